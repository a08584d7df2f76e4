// Framing (int32 size prefix) and request-envelope decoding.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "kafka/bytes_span.h"
#include "kafka/messages/messages.h"
#include "kafka/protocol/frame.h"
#include "kafka/protocol/request_envelope.h"
#include "samsa/errors.h"

namespace samsa::kafka {
namespace {

std::string Frame(const std::string& payload) {
  std::string out;
  AppendFrame(payload, &out);
  return out;
}

TEST_CASE("a frame parses whatever byte boundary the stream is split at", "[kafka][frame]") {
  const std::vector<std::string> payloads = {"hello", "", std::string(300, 'x'), "z"};
  std::string stream;
  for (const std::string& p : payloads) stream += Frame(p);
  CHECK(stream.substr(0, 9) == std::string("\x00\x00\x00\x05hello", 9));
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameReader reader;
    std::vector<std::string> got;
    FramePayload payload;
    reader.Append(std::string_view(stream).substr(0, cut));
    while (reader.Next(&payload) == FrameStatus::kComplete) got.emplace_back(payload.view());
    reader.Append(std::string_view(stream).substr(cut));
    FrameStatus st;
    while ((st = reader.Next(&payload)) == FrameStatus::kComplete) got.emplace_back(payload.view());
    INFO("cut at " << cut);
    CHECK(st == FrameStatus::kNeedMore);
    CHECK(got == payloads);
    CHECK(reader.buffered() == 0);
  }
  // Byte by byte.
  FrameReader reader;
  std::vector<std::string> got;
  FramePayload payload;
  for (char c : stream) {
    reader.Append(std::string_view(&c, 1));
    while (reader.Next(&payload) == FrameStatus::kComplete) got.emplace_back(payload.view());
  }
  CHECK(got == payloads);
}

TEST_CASE("a large frame is received in place, in pieces, between small ones", "[kafka][frame]") {
  // Payloads around and well above the in-place threshold, with distinct
  // bytes so a misplaced piece shows.
  std::vector<std::string> payloads = {"a", std::string(FrameReader::kDirectFrameBytes, 'b'), "",
                                       std::string(FrameReader::kDirectFrameBytes + 1, 'c'), "d"};
  std::string big(300 * 1024, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 251);
  payloads.push_back(big);
  payloads.push_back("tail");
  std::string stream;
  for (const std::string& p : payloads) stream += Frame(p);
  for (size_t chunk : {size_t{1000}, size_t{4096}, size_t{16384}, size_t{65536}}) {
    FrameReader reader;
    std::vector<std::string> got;
    FramePayload payload;
    size_t pos = 0;
    size_t direct_bytes = 0;
    while (pos < stream.size()) {
      const absl::Span<char> direct = reader.DirectBuffer();
      const size_t n = std::min({chunk, stream.size() - pos, direct.empty() ? chunk : direct.size()});
      if (!direct.empty()) {
        std::memcpy(direct.data(), stream.data() + pos, n);
        reader.CommitDirect(n);
        direct_bytes += n;
      } else {
        reader.Append(std::string_view(stream).substr(pos, n));
      }
      pos += n;
      while (reader.Next(&payload) == FrameStatus::kComplete) got.emplace_back(payload.view());
    }
    INFO("chunk " << chunk);
    CHECK(got == payloads);
    CHECK(reader.buffered() == 0);
    CHECK(reader.DirectBuffer().empty());
    // Only the frames above the threshold were received in place, most of
    // their bytes through DirectBuffer.
    CHECK(direct_bytes > big.size() / 2);
    CHECK(direct_bytes <= big.size() + FrameReader::kDirectFrameBytes + 1);
  }
  // Append alone (a caller that never asks for the direct buffer) still
  // works, a chunk spanning the end of a large frame and the next frames.
  FrameReader reader;
  std::vector<std::string> got;
  FramePayload payload;
  for (size_t pos = 0; pos < stream.size(); pos += 50000) {
    reader.Append(std::string_view(stream).substr(pos, 50000));
    while (reader.Next(&payload) == FrameStatus::kComplete) got.emplace_back(payload.view());
  }
  CHECK(got == payloads);
  // buffered() counts a partly received large frame, size prefix included.
  FrameReader partial;
  const std::string frame = Frame(big);
  partial.Append(std::string_view(frame).substr(0, 5000));
  CHECK(partial.Next(&payload) == FrameStatus::kNeedMore);
  CHECK(partial.buffered() == 5000);
  CHECK(partial.DirectBuffer().size() == frame.size() - 5000);

  // A huge frame announced with a few bytes is not allocated up front: it
  // goes in place only once enough of it arrived (4x + 1 MiB rule).
  const size_t huge = 8u << 20;
  std::string prefix(4, '\0');
  prefix[0] = static_cast<char>(huge >> 24);
  prefix[1] = static_cast<char>((huge >> 16) & 0xff);
  prefix[2] = static_cast<char>((huge >> 8) & 0xff);
  prefix[3] = static_cast<char>(huge & 0xff);
  FrameReader hostile;
  hostile.Append(prefix + "abc");
  CHECK(hostile.Next(&payload) == FrameStatus::kNeedMore);
  CHECK(hostile.DirectBuffer().empty());
  hostile.Append(std::string(1u << 20, 'x'));
  CHECK(hostile.Next(&payload) == FrameStatus::kNeedMore);
  CHECK(hostile.DirectBuffer().empty());  // 8 MiB > 4 x 1 MiB + 1 MiB
  hostile.Append(std::string(1u << 20, 'y'));
  CHECK(hostile.Next(&payload) == FrameStatus::kNeedMore);
  REQUIRE(hostile.DirectBuffer().size() == huge - 3 - (2u << 20));  // now in place
  CHECK(hostile.buffered() == 4 + 3 + (2u << 20));
}

TEST_CASE("ParseFrame says how many bytes are missing", "[kafka][frame]") {
  const std::string f = Frame("abcdef");
  FrameParse p = ParseFrame(Span(f).subspan(0, 2));
  CHECK(p.status == FrameStatus::kNeedMore);
  CHECK(p.bytes_needed == 2);
  p = ParseFrame(Span(f).subspan(0, 7));
  CHECK(p.status == FrameStatus::kNeedMore);
  CHECK(p.bytes_needed == 3);
  p = ParseFrame(Span(f));
  REQUIRE(p.status == FrameStatus::kComplete);
  CHECK(p.frame_bytes == 10);
  CHECK(std::string(reinterpret_cast<const char*>(p.payload.data()), p.payload.size()) == "abcdef");
}

TEST_CASE("a negative or oversize frame is bad, and stays bad", "[kafka][frame]") {
  const std::string negative("\xff\xff\xff\xfe", 4);
  FrameParse p = ParseFrame(Span(negative));
  CHECK(p.status == FrameStatus::kBad);
  CHECK(ErrorCodeOf(p.error) == ErrorCode::kInvalidRequest);

  // 104857601 bytes announced: one over socket.request.max.bytes.
  const std::string oversize("\x06\x40\x00\x01", 4);
  p = ParseFrame(Span(oversize));
  CHECK(p.status == FrameStatus::kBad);
  CHECK_THAT(std::string(p.error.message()), Catch::Contains("socket.request.max.bytes"));
  const std::string at_limit("\x06\x40\x00\x00", 4);
  CHECK(ParseFrame(Span(at_limit)).status == FrameStatus::kNeedMore);

  FrameReader small(10);
  small.Append(Frame("0123456789"));
  FramePayload payload;
  CHECK(small.Next(&payload) == FrameStatus::kComplete);
  CHECK(payload.view() == "0123456789");
  small.Append(Frame("0123456789a"));
  CHECK(small.Next(&payload) == FrameStatus::kBad);
  small.Append(Frame("ok"));
  CHECK(small.Next(&payload) == FrameStatus::kBad);
  CHECK_FALSE(small.error().ok());
}

std::string RequestPayload(const auto& request, int16_t version, int32_t correlation_id) {
  Writer w;
  REQUIRE(WriteRequestFrame(correlation_id, std::string("client"), version, request, w).ok());
  std::string frame = w.Release();
  return frame.substr(4);
}

TEST_CASE("a request envelope yields header, API and body", "[kafka][frame][envelope]") {
  FetchRequest fetch;
  fetch.max_wait_ms = 250;
  fetch.topics.emplace_back().topic = "t";
  for (int16_t version : {4, 12}) {
    const std::string payload = RequestPayload(fetch, version, 42);
    RequestEnvelope env;
    REQUIRE(DecodeRequestEnvelope(Span(payload), &env).ok());
    CHECK(env.header.request_api_key == 1);
    CHECK(env.header.request_api_version == version);
    CHECK(env.header.correlation_id == 42);
    CHECK(env.header.client_id == std::optional<std::string>("client"));
    CHECK(env.header_version == (version >= 12 ? 2 : 1));
    REQUIRE(env.api != nullptr);
    CHECK(env.api->key == ApiKey::kFetch);
    FetchRequest back;
    REQUIRE(DecodeRequestBody(env, &back).ok());
    CHECK(back == fetch);
    HeartbeatRequest wrong;
    CHECK_FALSE(DecodeRequestBody(env, &wrong).ok());
  }
}

TEST_CASE("trailing bytes after a request body are an error", "[kafka][frame][envelope]") {
  const std::string payload = RequestPayload(HeartbeatRequest(), 0, 1) + "x";
  RequestEnvelope env;
  REQUIRE(DecodeRequestEnvelope(Span(payload), &env).ok());
  HeartbeatRequest back;
  const absl::Status s = DecodeRequestBody(env, &back);
  CHECK_THAT(std::string(s.message()), Catch::Contains("1 trailing bytes"));
}

TEST_CASE("an unknown API key or version is UNSUPPORTED_VERSION with the correlation id", "[kafka][frame][envelope]") {
  const std::string unknown_key("\x03\xe7\x00\x00\x00\x00\x00\x09\x00\x00", 10);  // key 999
  RequestEnvelope env;
  absl::Status s = DecodeRequestEnvelope(Span(unknown_key), &env);
  CHECK(ErrorCodeOf(s) == ErrorCode::kUnsupportedVersion);
  CHECK(env.header.correlation_id == 9);
  CHECK(env.api == nullptr);

  const std::string fetch_v99("\x00\x01\x00\x63\x00\x00\x00\x0b\x00\x01x", 11);
  s = DecodeRequestEnvelope(Span(fetch_v99), &env);
  CHECK(ErrorCodeOf(s) == ErrorCode::kUnsupportedVersion);
  CHECK(env.header.correlation_id == 11);
  CHECK(env.header.client_id == std::optional<std::string>("x"));
  REQUIRE(env.api != nullptr);
  CHECK(env.api->key == ApiKey::kFetch);

  const std::string short_header("\x00\x01\x00\x04\x00", 5);
  s = DecodeRequestEnvelope(Span(short_header), &env);
  CHECK(ErrorCodeOf(s) == ErrorCode::kInvalidRequest);
}

TEST_CASE("ApiVersions of an unsupported version is answered with v0, error 35 and its range",
          "[kafka][frame][envelope]") {
  // A future client asks for ApiVersions v127 with a v2 header.
  const std::string request("\x00\x12\x00\x7f\x00\x00\x00\x05\x00\x01" "c" "\x00", 12);
  RequestEnvelope env;
  REQUIRE(ErrorCodeOf(DecodeRequestEnvelope(Span(request), &env)) == ErrorCode::kUnsupportedVersion);
  Writer w;
  WriteUnsupportedApiVersionsFrame(env.header.correlation_id, /*max_version=*/4, w);
  REQUIRE(w.status().ok());
  CHECK(w.Release() == std::string("\x00\x00\x00\x10"       // size 16
                                   "\x00\x00\x00\x05"       // header v0: correlation id 5
                                   "\x00\x23"               // error_code 35 UNSUPPORTED_VERSION
                                   "\x00\x00\x00\x01"       // api_keys: 1 entry
                                   "\x00\x12\x00\x00\x00\x04",  // ApiVersions 0-4
                                   20));
}

TEST_CASE("response frames carry the header version of their API", "[kafka][frame]") {
  Writer w;
  REQUIRE(WriteResponseFrame(77, 12, HeartbeatResponse(), w).ok() == false);  // Heartbeat has no v12
  Writer ok;
  REQUIRE(WriteResponseFrame(77, 4, HeartbeatResponse(), ok).ok());
  // size 12 | correlation id | header tags | throttle_time_ms | error_code | body tags
  CHECK(ok.Release() == std::string("\x00\x00\x00\x0c\x00\x00\x00\x4d\x00\x00\x00\x00\x00\x00\x00\x00", 16));
  Writer api;
  ApiVersionsResponse response;
  REQUIRE(WriteResponseFrame(1, 3, response, api).ok());
  // ApiVersions v3: header v0 (no tag byte after the correlation id).
  CHECK(api.Release().substr(0, 11) == std::string("\x00\x00\x00\x0c\x00\x00\x00\x01\x00\x00\x01", 11));
}

}  // namespace
}  // namespace samsa::kafka
