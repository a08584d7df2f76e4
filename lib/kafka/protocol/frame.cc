#include "kafka/protocol/frame.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "samsa/errors.h"
#include "util/endian.h"

namespace samsa::kafka {

FrameParse ParseFrame(absl::Span<const uint8_t> buffered, int32_t max_frame_bytes) {
  FrameParse out;
  if (buffered.size() < 4) {
    out.status = FrameStatus::kNeedMore;
    out.bytes_needed = 4 - buffered.size();
    return out;
  }
  const auto size = static_cast<int32_t>(LoadBE32(reinterpret_cast<const char*>(buffered.data())));
  if (size < 0) {
    out.status = FrameStatus::kBad;
    out.error = KafkaError(ErrorCode::kInvalidRequest, fmt::format("frame size {} is negative", size));
    return out;
  }
  if (size > max_frame_bytes) {
    out.status = FrameStatus::kBad;
    out.error = KafkaError(ErrorCode::kInvalidRequest,
                           fmt::format("frame size {} is larger than socket.request.max.bytes ({})", size,
                                       max_frame_bytes));
    return out;
  }
  const size_t total = 4 + static_cast<size_t>(size);
  if (buffered.size() < total) {
    out.status = FrameStatus::kNeedMore;
    out.bytes_needed = total - buffered.size();
    return out;
  }
  out.status = FrameStatus::kComplete;
  out.payload = buffered.subspan(4, static_cast<size_t>(size));
  out.frame_bytes = total;
  return out;
}

FramePayload FramePayload::Uninitialized(size_t size) {
  FramePayload p;
  p.bytes_ = std::make_unique_for_overwrite<char[]>(size);
  p.size_ = size;
  return p;
}

FramePayload FramePayload::CopyOf(std::string_view bytes) {
  FramePayload p = Uninitialized(bytes.size());
  if (!bytes.empty()) std::memcpy(p.data(), bytes.data(), bytes.size());
  return p;
}

void FrameReader::Append(std::string_view bytes) {
  if (!error_.ok()) return;
  if (direct_active_) {
    // Bytes for the frame being received in place first.
    const size_t take = std::min(bytes.size(), direct_.size() - direct_filled_);
    std::memcpy(direct_.data() + direct_filled_, bytes.data(), take);
    direct_filled_ += take;
    bytes.remove_prefix(take);
    if (bytes.empty()) return;
  }
  // Drop consumed bytes before growing, so the buffer holds one frame or so.
  if (start_ > 0 && (start_ == buf_.size() || start_ >= buf_.size() / 2)) {
    buf_.erase(0, start_);
    start_ = 0;
  }
  buf_.append(bytes);
}

FrameStatus FrameReader::Next(FramePayload* payload) {
  if (!error_.ok()) return FrameStatus::kBad;
  if (direct_active_) {
    if (direct_filled_ < direct_.size()) return FrameStatus::kNeedMore;
    *payload = std::move(direct_);
    direct_ = FramePayload();
    direct_active_ = false;
    direct_filled_ = 0;
    return FrameStatus::kComplete;
  }
  const auto* base = reinterpret_cast<const uint8_t*>(buf_.data());
  const size_t available = buf_.size() - start_;
  FrameParse p = ParseFrame(absl::MakeConstSpan(base + start_, available), max_frame_bytes_);
  if (p.status == FrameStatus::kBad) {
    error_ = p.error;
    return FrameStatus::kBad;
  }
  if (p.status == FrameStatus::kNeedMore) {
    const size_t received = available >= 4 ? available - 4 : 0;
    const size_t size = received + p.bytes_needed;
    if (available >= 4 && size > kDirectFrameBytes && size <= 4 * received + kDirectHeadroomBytes) {
      // A large frame, partly here: everything buffered belongs to it.
      // Its storage is made now and the rest is received into it.
      direct_ = FramePayload::Uninitialized(available - 4 + p.bytes_needed);
      std::memcpy(direct_.data(), buf_.data() + start_ + 4, available - 4);
      direct_filled_ = available - 4;
      direct_active_ = true;
      buf_.clear();
      start_ = 0;
    }
    return FrameStatus::kNeedMore;
  }
  *payload = FramePayload::CopyOf(
      std::string_view(reinterpret_cast<const char*>(p.payload.data()), p.payload.size()));
  start_ += p.frame_bytes;
  return FrameStatus::kComplete;
}

absl::Span<char> FrameReader::DirectBuffer() {
  if (!direct_active_ || !error_.ok()) return {};
  return absl::MakeSpan(direct_.data() + direct_filled_, direct_.size() - direct_filled_);
}

void FrameReader::CommitDirect(size_t n) {
  direct_filled_ += std::min(n, direct_.size() - direct_filled_);
}

void AppendFrame(std::string_view payload, std::string* out) {
  char size[4];
  StoreBE32(size, static_cast<uint32_t>(payload.size()));
  out->append(size, 4);
  out->append(payload);
}

}  // namespace samsa::kafka
