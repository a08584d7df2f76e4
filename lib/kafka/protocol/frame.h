// Kafka request/response framing: every message on a connection is an int32
// big-endian size followed by that many bytes (header + body).
//
//   +----------------+---------------------------------------------+
//   | size: int32 BE | size bytes: request/response header + body  |
//   +----------------+---------------------------------------------+
//
// ParseFrame() looks at the bytes buffered so far and says: a complete frame
// (its payload and how many bytes it took), need more bytes, or bad (a
// negative size or one above socket.request.max.bytes; the connection should
// be closed). FrameReader keeps the buffer for a connection and yields the
// payloads one by one as bytes arrive in arbitrary pieces.
//
// Thread-safety: ParseFrame is pure; a FrameReader is used by one thread at a
// time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace samsa::kafka {

// socket.request.max.bytes default.
inline constexpr int32_t kDefaultMaxRequestBytes = 104857600;

enum class FrameStatus { kComplete, kNeedMore, kBad };

struct FrameParse {
  FrameStatus status = FrameStatus::kNeedMore;
  // kComplete: the payload (points into the buffer passed in) and the bytes
  // the frame took including its size prefix.
  absl::Span<const uint8_t> payload;
  size_t frame_bytes = 0;
  // kNeedMore: how many more bytes are needed at least.
  size_t bytes_needed = 0;
  // kBad: why (INVALID_REQUEST).
  absl::Status error;
};

FrameParse ParseFrame(absl::Span<const uint8_t> buffered, int32_t max_frame_bytes = kDefaultMaxRequestBytes);

class FrameReader {
 public:
  explicit FrameReader(int32_t max_frame_bytes = kDefaultMaxRequestBytes) : max_frame_bytes_(max_frame_bytes) {}

  // Adds bytes received from the peer.
  void Append(std::string_view bytes);
  // On kComplete moves the next frame's payload into *payload. kBad is sticky:
  // once a bad size is seen, the stream cannot be resynchronised.
  FrameStatus Next(std::string* payload);
  // The reason for kBad.
  const absl::Status& error() const { return error_; }
  // Bytes buffered and not yet returned.
  size_t buffered() const { return buf_.size() - start_; }

 private:
  int32_t max_frame_bytes_;
  std::string buf_;
  size_t start_ = 0;
  absl::Status error_;
};

// Appends an int32 size prefix + `payload` to *out.
void AppendFrame(std::string_view payload, std::string* out);

}  // namespace samsa::kafka
