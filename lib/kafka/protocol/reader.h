// Reader: bounds-checked decoding of Kafka protocol primitives from a byte
// span (big-endian ints, unsigned varints, classic and compact strings, bytes
// and array lengths, tagged-field headers).
//
// Contract: every Read* call either consumes exactly the bytes of one value
// and returns true, or returns false, consumes nothing meaningful and records
// why (reason()); Error(field) turns that into an absl::Status naming the
// field. Every length or count is checked against the bytes remaining BEFORE
// anything is allocated, so a hostile count cannot cause a huge allocation:
// an array of N elements needs at least N * min_element_size bytes left (as
// Kafka's "Tried to allocate a collection of size N, but there are only M
// bytes remaining").
//
// Thread-safety: one thread at a time. The span must outlive the Reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "kafka/protocol/wire_types.h"

namespace samsa::kafka {

class Reader {
 public:
  explicit Reader(absl::Span<const uint8_t> data) : p_(data.data()), end_(data.data() + data.size()) {}
  Reader(const char* data, size_t size)
      : p_(reinterpret_cast<const uint8_t*>(data)), end_(reinterpret_cast<const uint8_t*>(data) + size) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool empty() const { return p_ == end_; }
  // Bytes not yet read.
  absl::Span<const uint8_t> rest() const { return absl::MakeConstSpan(p_, end_); }

  [[nodiscard]] bool ReadInt8(int8_t* v);
  [[nodiscard]] bool ReadInt16(int16_t* v);
  [[nodiscard]] bool ReadUint16(uint16_t* v);
  [[nodiscard]] bool ReadInt32(int32_t* v);
  [[nodiscard]] bool ReadUint32(uint32_t* v);
  [[nodiscard]] bool ReadInt64(int64_t* v);
  [[nodiscard]] bool ReadFloat64(double* v);
  [[nodiscard]] bool ReadBool(bool* v);
  [[nodiscard]] bool ReadUuid(Uuid* v);
  // Unsigned LEB128, at most 5 bytes (Kafka's readUnsignedVarint).
  [[nodiscard]] bool ReadUnsignedVarint(uint32_t* v);

  // STRING (int16 length) or COMPACT_STRING (uvarint length+1). A null
  // (length -1 / 0) is an error here.
  [[nodiscard]] bool ReadString(std::string* v, bool compact);
  // As ReadString; null yields nullopt when `nullable`, an error otherwise.
  [[nodiscard]] bool ReadNullableString(std::optional<std::string>* v, bool compact, bool nullable);
  // BYTES (int32 length) or COMPACT_BYTES (uvarint length+1).
  [[nodiscard]] bool ReadBytes(std::string* v, bool compact);
  [[nodiscard]] bool ReadNullableBytes(std::optional<std::string>* v, bool compact, bool nullable);
  // The same as a view into the buffer read (no copy): see BytesRef.
  [[nodiscard]] bool ReadNullableBytes(std::optional<BytesRef>* v, bool compact, bool nullable);
  // ARRAY (int32 count) or COMPACT_ARRAY (uvarint count+1). Sets *count to -1
  // for null (an error unless `nullable`). Fails unless count *
  // max(1, min_element_size) bytes remain.
  [[nodiscard]] bool ReadArrayLength(int32_t* count, bool compact, bool nullable, size_t min_element_size);

  // The count of a tagged-field section; fails unless 2 bytes per field remain.
  [[nodiscard]] bool ReadTaggedFieldCount(uint32_t* count);
  // One tagged field's tag and size; `*body` is a Reader over exactly its
  // `size` bytes, which this Reader skips.
  [[nodiscard]] bool ReadTaggedField(uint32_t* tag, Reader* body);

  // Why the last Read* failed ("truncated", "negative length", ...).
  std::string_view reason() const { return reason_; }
  // Records a failure reason (for checks made by generated code); returns false.
  bool Fail(const char* reason) {
    reason_ = reason;
    return false;
  }
  // InvalidArgument "<field>: <reason>".
  absl::Status Error(std::string_view field) const;

 private:
  bool Need(size_t n) {
    if (remaining() < n) return Fail("truncated");
    return true;
  }
  bool ReadLength(int32_t* length, bool compact, bool int32_length);
  bool ReadNullableRun(std::optional<std::string>* v, bool compact, bool nullable,
                       bool int32_length);

  const uint8_t* p_;
  const uint8_t* end_;
  const char* reason_ = "ok";
};

// For generated code: "<parent>[<index>].<nested status message>" and
// "<Message> v<version>: field '<path>'" wrappers of a field error.
absl::Status NestReadError(std::string_view parent, int64_t index, const absl::Status& nested);
absl::Status MessageReadError(std::string_view message, int16_t version, const absl::Status& field_error);
absl::Status UnsupportedVersionError(std::string_view message, int16_t version);

}  // namespace samsa::kafka
