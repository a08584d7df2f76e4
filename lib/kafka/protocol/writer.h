// Writer: encoding of Kafka protocol primitives into a growing buffer (the
// mirror of Reader), plus error recording for generated Write() methods.
//
// Contract: Write* never fails by itself; a value that cannot be encoded at
// the requested version (a non-ignorable field with a non-default value at a
// version that lacks it, a null where the version does not allow one, a string
// longer than 32767 bytes in a classic STRING) is recorded with Fail() and
// the first such error is returned by status(): a caller must check status()
// before sending the bytes.
//
// Zero-copy: AppendExternal() records a span owned by the caller (e.g. record
// batches read from a log segment) instead of copying it; buffer() then holds
// the bytes around those spans and segments() lists the pieces in order for
// scatter I/O. The caller keeps the external memory live until it is sent.
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "kafka/protocol/wire_types.h"

namespace samsa::kafka {

class Writer {
 public:
  Writer() = default;

  void WriteInt8(int8_t v) { buf_.push_back(static_cast<char>(v)); }
  void WriteInt16(int16_t v) { WriteBE(static_cast<uint16_t>(v), 2); }
  void WriteUint16(uint16_t v) { WriteBE(v, 2); }
  void WriteInt32(int32_t v) { WriteBE(static_cast<uint32_t>(v), 4); }
  void WriteUint32(uint32_t v) { WriteBE(v, 4); }
  void WriteInt64(int64_t v) { WriteBE(static_cast<uint64_t>(v), 8); }
  void WriteFloat64(double v);
  void WriteBool(bool v) { buf_.push_back(v ? 1 : 0); }
  void WriteUuid(const Uuid& v) { buf_.append(reinterpret_cast<const char*>(v.bytes.data()), v.bytes.size()); }
  void WriteUnsignedVarint(uint32_t v);

  // STRING / COMPACT_STRING. `field` names the field in a recorded error.
  void WriteString(std::string_view v, bool compact, std::string_view field);
  // A null is written when allowed (`nullable`), else recorded as an error.
  void WriteNullableString(const std::optional<std::string>& v, bool compact, bool nullable, std::string_view field);
  void WriteBytes(std::string_view v, bool compact);
  void WriteNullableBytes(const std::optional<std::string>& v, bool compact, bool nullable, std::string_view field);
  void WriteNullableBytes(const std::optional<BytesRef>& v, bool compact, bool nullable, std::string_view field);
  // ARRAY / COMPACT_ARRAY count; WriteNullArray writes the null marker.
  void WriteArrayLength(size_t count, bool compact);
  void WriteNullArray(bool compact) { compact ? WriteUnsignedVarint(0) : WriteInt32(-1); }
  void WriteRaw(std::string_view bytes) { buf_.append(bytes); }

  // Appends `bytes` without copying them (see the header comment).
  void AppendExternal(absl::Span<const uint8_t> bytes);

  // Records the first error: "<field>: <reason>".
  void Fail(std::string_view field, std::string_view reason);
  // For generated top-level Write(): prefix the error recorded since
  // `errors_before` with "<message> v<version>: field '".
  void QualifyError(size_t errors_before, std::string_view message, int16_t version);
  size_t error_count() const { return error_count_; }
  bool ok() const { return error_count_ == 0; }
  absl::Status status() const;

  // Bytes written so far, not counting external spans.
  const std::string& buffer() const { return buf_; }
  std::string& mutable_buffer() { return buf_; }
  // Total size including external spans.
  size_t size() const { return buf_.size() + external_bytes_; }
  // Bytes written since buffer offset `offset`, counting external spans
  // appended there or later.
  size_t SizeSince(size_t offset) const;
  // The whole message as one string (copies external spans in).
  std::string Release();

  // The message as an ordered list of pieces for scatter I/O: owned pieces
  // point into buffer(), external ones at the caller's memory. Valid until the
  // next write.
  std::vector<absl::Span<const uint8_t>> segments() const;

 private:
  void WriteBE(uint64_t v, int n) {
    char tmp[8];
    for (int i = n - 1; i >= 0; --i) {
      tmp[i] = static_cast<char>(v & 0xff);
      v >>= 8;
    }
    buf_.append(tmp, static_cast<size_t>(n));
  }

  struct External {
    size_t at;  // offset in buf_ where the span goes
    absl::Span<const uint8_t> bytes;
  };

  std::string buf_;
  std::vector<External> externals_;
  size_t external_bytes_ = 0;
  size_t error_count_ = 0;
  std::string error_;
};

}  // namespace samsa::kafka
