// Reader and writer for the non-flexible Kafka protocol types that the
// ConsumerProtocol and the sticky assignor's user data are made of: int16,
// int32, string (int16 length), nullable bytes (int32 length), arrays (int32
// count). Private to lib/client/group.
//
// ProtocolReader never reads past its input: every read checks the bytes left
// and reports InvalidArgument naming `what` and the byte position.
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "util/endian.h"

namespace samsa::group {

class ProtocolWriter {
 public:
  void Int16(int16_t v) {
    char b[2];
    StoreBE16(b, static_cast<uint16_t>(v));
    out_.append(b, 2);
  }
  void Int32(int32_t v) {
    char b[4];
    StoreBE32(b, static_cast<uint32_t>(v));
    out_.append(b, 4);
  }
  // REQUIRES: s.size() <= 32767 (checked by the caller, which names the field).
  void String(std::string_view s) {
    Int16(static_cast<int16_t>(s.size()));
    out_.append(s);
  }
  void NullableString(const std::optional<std::string>& s) {
    if (!s) return Int16(-1);
    String(*s);
  }
  void NullableBytes(const std::optional<std::string>& b) {
    if (!b) return Int32(-1);
    Int32(static_cast<int32_t>(b->size()));
    out_.append(*b);
  }
  std::string Finish() && { return std::move(out_); }

 private:
  std::string out_;
};

inline absl::Status CheckStringLength(std::string_view s, std::string_view what) {
  if (s.size() > 0x7fff) {
    return absl::InvalidArgumentError(
        fmt::format("{} is {} bytes, more than a Kafka string holds (32767)", what, s.size()));
  }
  return absl::OkStatus();
}

class ProtocolReader {
 public:
  ProtocolReader(std::string_view in, std::string_view message) : in_(in), message_(message) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return in_.size() - pos_; }

  absl::StatusOr<int16_t> Int16(std::string_view what) {
    if (remaining() < 2) return Underflow(what, 2);
    const auto v = static_cast<int16_t>(LoadBE16(in_.data() + pos_));
    pos_ += 2;
    return v;
  }
  absl::StatusOr<int32_t> Int32(std::string_view what) {
    if (remaining() < 4) return Underflow(what, 4);
    const auto v = static_cast<int32_t>(LoadBE32(in_.data() + pos_));
    pos_ += 4;
    return v;
  }
  absl::StatusOr<std::string> String(std::string_view what) {
    const size_t at = pos_;
    auto len = Int16(what);
    if (!len.ok()) return len.status();
    if (*len < 0) return Bad(at, fmt::format("non-nullable field {} was serialized as null", what));
    return Bytes(what, static_cast<size_t>(*len));
  }
  absl::StatusOr<std::optional<std::string>> NullableString(std::string_view what) {
    auto len = Int16(what);
    if (!len.ok()) return len.status();
    if (*len < 0) return std::optional<std::string>();
    auto s = Bytes(what, static_cast<size_t>(*len));
    if (!s.ok()) return s.status();
    return std::optional<std::string>(*std::move(s));
  }
  absl::StatusOr<std::optional<std::string>> NullableBytes(std::string_view what) {
    auto len = Int32(what);
    if (!len.ok()) return len.status();
    if (*len < 0) return std::optional<std::string>();
    auto s = Bytes(what, static_cast<size_t>(*len));
    if (!s.ok()) return s.status();
    return std::optional<std::string>(*std::move(s));
  }
  // The count of a non-nullable array whose elements take at least
  // `min_element_bytes` each; rejects counts the remaining bytes cannot hold.
  absl::StatusOr<int32_t> ArrayCount(std::string_view what, size_t min_element_bytes) {
    const size_t at = pos_;
    auto n = Int32(what);
    if (!n.ok()) return n.status();
    if (*n < 0) return Bad(at, fmt::format("non-nullable field {} was serialized as null", what));
    if (static_cast<size_t>(*n) * min_element_bytes > remaining()) {
      return Bad(at, fmt::format("{} claims {} elements, but only {} bytes remain", what, *n,
                                 remaining()));
    }
    return *n;
  }

  absl::Status Bad(size_t at, std::string_view detail) const {
    return absl::InvalidArgumentError(fmt::format("{}: {} (at byte {})", message_, detail, at));
  }

 private:
  absl::StatusOr<std::string> Bytes(std::string_view what, size_t n) {
    if (remaining() < n) return Underflow(what, n);
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  absl::Status Underflow(std::string_view what, size_t need) const {
    return Bad(pos_, fmt::format("buffer underflow reading {} ({} bytes needed, {} left)", what,
                                 need, remaining()));
  }

  std::string_view in_;
  std::string_view message_;
  size_t pos_ = 0;
};

}  // namespace samsa::group
