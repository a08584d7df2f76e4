#include "kafka/protocol/frame.h"

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

void FrameReader::Append(std::string_view bytes) {
  if (!error_.ok()) return;
  // Drop consumed bytes before growing, so the buffer holds one frame or so.
  if (start_ > 0 && (start_ == buf_.size() || start_ >= buf_.size() / 2)) {
    buf_.erase(0, start_);
    start_ = 0;
  }
  buf_.append(bytes);
}

FrameStatus FrameReader::Next(std::string* payload) {
  if (!error_.ok()) return FrameStatus::kBad;
  const auto* base = reinterpret_cast<const uint8_t*>(buf_.data());
  FrameParse p = ParseFrame(absl::MakeConstSpan(base + start_, buf_.size() - start_), max_frame_bytes_);
  if (p.status == FrameStatus::kBad) {
    error_ = p.error;
    return FrameStatus::kBad;
  }
  if (p.status == FrameStatus::kNeedMore) return FrameStatus::kNeedMore;
  payload->assign(reinterpret_cast<const char*>(p.payload.data()), p.payload.size());
  start_ += p.frame_bytes;
  return FrameStatus::kComplete;
}

void AppendFrame(std::string_view payload, std::string* out) {
  char size[4];
  StoreBE32(size, static_cast<uint32_t>(payload.size()));
  out->append(size, 4);
  out->append(payload);
}

}  // namespace samsa::kafka
