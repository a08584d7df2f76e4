#include "kafka/protocol/reader.h"

#include <cstring>
#include <string>

#include <fmt/format.h>

#include "samsa/errors.h"
#include "util/endian.h"

namespace samsa::kafka {

bool Reader::ReadInt8(int8_t* v) {
  if (!Need(1)) return false;
  *v = static_cast<int8_t>(*p_++);
  return true;
}

bool Reader::ReadInt16(int16_t* v) {
  uint16_t u;
  if (!ReadUint16(&u)) return false;
  *v = static_cast<int16_t>(u);
  return true;
}

bool Reader::ReadUint16(uint16_t* v) {
  if (!Need(2)) return false;
  *v = LoadBE16(reinterpret_cast<const char*>(p_));
  p_ += 2;
  return true;
}

bool Reader::ReadInt32(int32_t* v) {
  uint32_t u;
  if (!ReadUint32(&u)) return false;
  *v = static_cast<int32_t>(u);
  return true;
}

bool Reader::ReadUint32(uint32_t* v) {
  if (!Need(4)) return false;
  *v = LoadBE32(reinterpret_cast<const char*>(p_));
  p_ += 4;
  return true;
}

bool Reader::ReadInt64(int64_t* v) {
  if (!Need(8)) return false;
  *v = static_cast<int64_t>(LoadBE64(reinterpret_cast<const char*>(p_)));
  p_ += 8;
  return true;
}

bool Reader::ReadFloat64(double* v) {
  int64_t bits;
  if (!ReadInt64(&bits)) return false;
  std::memcpy(v, &bits, sizeof(*v));
  return true;
}

bool Reader::ReadBool(bool* v) {
  int8_t b;
  if (!ReadInt8(&b)) return false;
  *v = b != 0;  // as Kafka: any non-zero byte is true
  return true;
}

bool Reader::ReadUuid(Uuid* v) {
  if (!Need(16)) return false;
  std::memcpy(v->bytes.data(), p_, 16);
  p_ += 16;
  return true;
}

bool Reader::ReadUnsignedVarint(uint32_t* v) {
  uint32_t value = 0;
  const uint8_t* p = p_;
  for (int shift = 0; shift <= 28; shift += 7) {
    if (p >= end_) return Fail("truncated");
    const uint32_t b = *p++;
    value |= (b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      p_ = p;
      *v = value;
      return true;
    }
  }
  return Fail("varint is too long");
}

// Reads a length prefix: int16 (strings) or int32 (bytes, arrays), or a
// compact uvarint holding length+1. -1 means null.
bool Reader::ReadLength(int32_t* length, bool compact, bool int32_length) {
  if (compact) {
    uint32_t u;
    if (!ReadUnsignedVarint(&u)) return false;
    if (u > static_cast<uint32_t>(INT32_MAX)) return Fail("length out of range");
    *length = static_cast<int32_t>(u) - 1;
    return true;
  }
  if (int32_length) {
    if (!ReadInt32(length)) return false;
  } else {
    int16_t n;
    if (!ReadInt16(&n)) return false;
    *length = n;
  }
  if (*length < -1) return Fail("negative length");
  return true;
}

bool Reader::ReadString(std::string* v, bool compact) {
  std::optional<std::string> s;
  if (!ReadNullableString(&s, compact, /*nullable=*/false)) return false;
  *v = std::move(*s);
  return true;
}

bool Reader::ReadNullableString(std::optional<std::string>* v, bool compact, bool nullable) {
  return ReadNullableRun(v, compact, nullable, /*int32_length=*/false);
}

// A string (int16 length) or bytes (int32 length): the length, then that
// many bytes; -1 is null.
bool Reader::ReadNullableRun(std::optional<std::string>* v, bool compact, bool nullable,
                             bool int32_length) {
  int32_t n;
  if (!ReadLength(&n, compact, int32_length)) return false;
  if (n < 0) {
    if (!nullable) return Fail("null is not allowed at this version");
    v->reset();
    return true;
  }
  if (!Need(static_cast<size_t>(n))) return false;
  v->emplace(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
  p_ += n;
  return true;
}

bool Reader::ReadBytes(std::string* v, bool compact) {
  std::optional<std::string> s;
  if (!ReadNullableBytes(&s, compact, /*nullable=*/false)) return false;
  *v = std::move(*s);
  return true;
}

bool Reader::ReadNullableBytes(std::optional<std::string>* v, bool compact, bool nullable) {
  return ReadNullableRun(v, compact, nullable, /*int32_length=*/true);
}

bool Reader::ReadNullableBytes(std::optional<BytesRef>* v, bool compact, bool nullable) {
  int32_t n;
  if (!ReadLength(&n, compact, /*int32_length=*/true)) return false;
  if (n < 0) {
    if (!nullable) return Fail("null is not allowed at this version");
    v->reset();
    return true;
  }
  if (!Need(static_cast<size_t>(n))) return false;
  v->emplace(BytesRef::View(std::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(n))));
  p_ += n;
  return true;
}

bool Reader::ReadArrayLength(int32_t* count, bool compact, bool nullable, size_t min_element_size) {
  if (!ReadLength(count, compact, /*int32_length=*/true)) return false;
  if (*count < 0) {
    if (!nullable) return Fail("null is not allowed at this version");
    return true;
  }
  const size_t per = min_element_size == 0 ? 1 : min_element_size;
  if (static_cast<size_t>(*count) > remaining() / per) {
    return Fail("array count exceeds the bytes remaining");
  }
  return true;
}

bool Reader::ReadTaggedFieldCount(uint32_t* count) {
  if (!ReadUnsignedVarint(count)) return false;
  if (*count > remaining() / 2) return Fail("tagged field count exceeds the bytes remaining");
  return true;
}

bool Reader::ReadTaggedField(uint32_t* tag, Reader* body) {
  uint32_t size;
  if (!ReadUnsignedVarint(tag) || !ReadUnsignedVarint(&size)) return false;
  if (!Need(size)) return false;
  *body = Reader(absl::MakeConstSpan(p_, size));
  p_ += size;
  return true;
}

absl::Status Reader::Error(std::string_view field) const {
  return absl::InvalidArgumentError(fmt::format("{}: {}", field, reason_));
}

absl::Status NestReadError(std::string_view parent, int64_t index, const absl::Status& nested) {
  const std::string inner(nested.message());
  if (index < 0) return absl::InvalidArgumentError(fmt::format("{}.{}", parent, inner));
  return absl::InvalidArgumentError(fmt::format("{}[{}].{}", parent, index, inner));
}

absl::Status MessageReadError(std::string_view message, int16_t version, const absl::Status& field_error) {
  const std::string inner(field_error.message());
  const size_t colon = inner.find(": ");
  if (colon == std::string::npos) {
    return KafkaError(ErrorCode::kInvalidRequest, fmt::format("{} v{}: {}", message, version, inner));
  }
  return KafkaError(ErrorCode::kInvalidRequest, fmt::format("{} v{}: field '{}': {}", message, version,
                                                            inner.substr(0, colon), inner.substr(colon + 2)));
}

absl::Status UnsupportedVersionError(std::string_view message, int16_t version) {
  return KafkaError(ErrorCode::kUnsupportedVersion, fmt::format("{} v{}: unsupported version", message, version));
}

}  // namespace samsa::kafka
