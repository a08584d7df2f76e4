// The envelope of a Kafka request frame (the payload after the size prefix):
// the request header, which API and version it names, and the body bytes; and
// the writers of whole request/response frames (size + header + body).
//
//   request payload:  api_key int16 | api_version int16 | correlation_id int32
//                     | client_id STRING (nullable, never compact)
//                     | tagged fields (header v2, flexible API versions only)
//                     | body
//   response payload: correlation_id int32 | tagged fields (header v1) | body
//
// The request header version follows the API version's flexibility (v2 when
// flexible, else v1); the response header is v1 when flexible, else v0, except
// that ApiVersions responses always use v0 (clients read that header before
// they know which versions the broker speaks).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "kafka/messages/api_keys.h"
#include "kafka/messages/api_versions.h"
#include "kafka/messages/headers.h"
#include "kafka/protocol/reader.h"
#include "kafka/protocol/writer.h"
#include "samsa/errors.h"
#include "util/status_macros.h"

namespace samsa::kafka {

struct RequestEnvelope {
  RequestHeader header;
  int16_t header_version = 1;
  // The API named by the header; null when the key is unknown.
  const ApiInfo* api = nullptr;
  // The request body: the payload after the header (points into the payload).
  absl::Span<const uint8_t> body;
};

// Decodes the header of a request payload into *out.
//   OK                   known API, supported version; out->body is the body.
//   UNSUPPORTED_VERSION  unknown API key or version out of range. The header's
//                        api key, version and correlation id are set, so the
//                        server can answer (for ApiVersions, with
//                        WriteUnsupportedApiVersionsFrame) or close.
//   INVALID_REQUEST      the payload is too short for the fixed header fields
//                        or the header is malformed: close the connection.
[[nodiscard]] absl::Status DecodeRequestEnvelope(absl::Span<const uint8_t> payload, RequestEnvelope* out);

// Decodes `body` as `Request` at `version`; trailing bytes are an error.
template <typename Request>
[[nodiscard]] absl::Status DecodeBody(absl::Span<const uint8_t> body, int16_t version, Request* out) {
  Reader reader(body);
  SAMSA_RETURN_IF_ERROR(out->Read(reader, version));
  if (!reader.empty()) {
    return KafkaError(ErrorCode::kInvalidRequest, std::string(Request::kName) + " v" + std::to_string(version) +
                                                      ": " + std::to_string(reader.remaining()) + " trailing bytes");
  }
  return absl::OkStatus();
}

// Decodes envelope.body as `Request` (DecodeBody at the header's version).
template <typename Request>
[[nodiscard]] absl::Status DecodeRequestBody(const RequestEnvelope& envelope, Request* out) {
  if (envelope.api == nullptr || envelope.api->key != Request::kApiKey) {
    return KafkaError(ErrorCode::kInvalidRequest, "request body decoded as the wrong API");
  }
  return DecodeBody(envelope.body, envelope.header.request_api_version, out);
}

// Starts a frame: reserves the size prefix; returns its offset in the buffer.
size_t BeginFrame(Writer& writer);
// Fills in the size prefix reserved by BeginFrame.
void EndFrame(size_t frame_start, Writer& writer);

// Appends a whole response frame for `response` at `version`.
template <typename Response>
[[nodiscard]] absl::Status WriteResponseFrame(int32_t correlation_id, int16_t version, const Response& response,
                                              Writer& writer) {
  const ApiInfo* api = FindApi(static_cast<int16_t>(Response::kApiKey));
  const size_t start = BeginFrame(writer);
  ResponseHeader header;
  header.correlation_id = correlation_id;
  header.Write(writer, ResponseHeaderVersion(*api, version));
  response.Write(writer, version);
  EndFrame(start, writer);
  return writer.status();
}

// Appends a whole request frame (what a client sends) for `request`.
template <typename Request>
[[nodiscard]] absl::Status WriteRequestFrame(int32_t correlation_id, const std::optional<std::string>& client_id,
                                             int16_t version, const Request& request, Writer& writer) {
  const ApiInfo* api = FindApi(static_cast<int16_t>(Request::kApiKey));
  const size_t start = BeginFrame(writer);
  RequestHeader header;
  header.request_api_key = static_cast<int16_t>(Request::kApiKey);
  header.request_api_version = version;
  header.correlation_id = correlation_id;
  header.client_id = client_id;
  header.Write(writer, RequestHeaderVersion(*api, api->Supports(version) ? version : api->min_version));
  request.Write(writer, version);
  EndFrame(start, writer);
  return writer.status();
}

// The answer Kafka gives to an ApiVersions request of a version it does not
// support (KIP-511): an ApiVersions v0 response, header v0, with error
// UNSUPPORTED_VERSION and one entry, ApiVersions' own supported range: from
// the codec's lowest version up to `max_version`, the highest the server
// serves (which may be below the codec's).
ApiVersionsResponse UnsupportedApiVersionsResponse(int16_t max_version);
void WriteUnsupportedApiVersionsFrame(int32_t correlation_id, int16_t max_version, Writer& writer);

}  // namespace samsa::kafka
