#include "kafka/protocol/writer.h"

#include <cstring>

#include <fmt/format.h>

#include "samsa/errors.h"

namespace samsa::kafka {

void Writer::WriteFloat64(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  WriteBE(bits, 8);
}

void Writer::WriteUnsignedVarint(uint32_t v) {
  while (v >= 0x80) {
    buf_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  buf_.push_back(static_cast<char>(v));
}

void Writer::WriteString(std::string_view v, bool compact, std::string_view field) {
  if (compact) {
    WriteUnsignedVarint(static_cast<uint32_t>(v.size()) + 1);
  } else {
    if (v.size() > 32767) {
      Fail(field, "string longer than 32767 bytes");
      WriteInt16(0);
      return;
    }
    WriteInt16(static_cast<int16_t>(v.size()));
  }
  buf_.append(v);
}

void Writer::WriteNullableString(const std::optional<std::string>& v, bool compact, bool nullable,
                                 std::string_view field) {
  if (v.has_value()) return WriteString(*v, compact, field);
  if (!nullable) Fail(field, "null is not allowed at this version");
  compact ? WriteUnsignedVarint(0) : WriteInt16(-1);
}

void Writer::WriteBytes(std::string_view v, bool compact) {
  if (compact) {
    WriteUnsignedVarint(static_cast<uint32_t>(v.size()) + 1);
  } else {
    WriteInt32(static_cast<int32_t>(v.size()));
  }
  buf_.append(v);
}

void Writer::WriteNullableBytes(const std::optional<std::string>& v, bool compact, bool nullable,
                                std::string_view field) {
  if (v.has_value()) return WriteBytes(*v, compact);
  if (!nullable) Fail(field, "null is not allowed at this version");
  compact ? WriteUnsignedVarint(0) : WriteInt32(-1);
}

void Writer::WriteNullableBytes(const std::optional<BytesRef>& v, bool compact, bool nullable,
                                std::string_view field) {
  if (v.has_value()) return WriteBytes(v->view(), compact);
  if (!nullable) Fail(field, "null is not allowed at this version");
  compact ? WriteUnsignedVarint(0) : WriteInt32(-1);
}

void Writer::WriteArrayLength(size_t count, bool compact) {
  if (compact) {
    WriteUnsignedVarint(static_cast<uint32_t>(count) + 1);
  } else {
    WriteInt32(static_cast<int32_t>(count));
  }
}

void Writer::AppendExternal(absl::Span<const uint8_t> bytes) {
  if (bytes.empty()) return;
  externals_.push_back({buf_.size(), bytes});
  external_bytes_ += bytes.size();
}

void Writer::Fail(std::string_view field, std::string_view reason) {
  if (error_count_++ == 0) error_ = fmt::format("{}: {}", field, reason);
}

void Writer::QualifyError(size_t errors_before, std::string_view message, int16_t version) {
  if (errors_before != 0 || error_count_ == 0) return;
  const size_t colon = error_.find(": ");
  if (colon == std::string::npos) {
    error_ = fmt::format("{} v{}: {}", message, version, error_);
  } else {
    error_ = fmt::format("{} v{}: field '{}': {}", message, version, error_.substr(0, colon),
                         error_.substr(colon + 2));
  }
}

absl::Status Writer::status() const {
  if (error_count_ == 0) return absl::OkStatus();
  return KafkaError(ErrorCode::kInvalidRequest, fmt::format("cannot encode {}", error_));
}

size_t Writer::SizeSince(size_t offset) const {
  size_t n = buf_.size() - offset;
  for (const External& e : externals_) {
    if (e.at >= offset) n += e.bytes.size();
  }
  return n;
}

std::string Writer::Release() {
  if (externals_.empty()) return std::move(buf_);
  std::string out;
  out.reserve(size());
  for (absl::Span<const uint8_t> piece : segments()) {
    out.append(reinterpret_cast<const char*>(piece.data()), piece.size());
  }
  buf_.clear();
  externals_.clear();
  external_bytes_ = 0;
  return out;
}

std::vector<absl::Span<const uint8_t>> Writer::segments() const {
  std::vector<absl::Span<const uint8_t>> out;
  const auto* base = reinterpret_cast<const uint8_t*>(buf_.data());
  size_t at = 0;
  for (const External& e : externals_) {
    if (e.at > at) out.emplace_back(base + at, e.at - at);
    out.push_back(e.bytes);
    at = e.at;
  }
  if (buf_.size() > at) out.emplace_back(base + at, buf_.size() - at);
  return out;
}

}  // namespace samsa::kafka
