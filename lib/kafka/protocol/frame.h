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
#include <memory>
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

// One frame's payload: heap bytes that are not zero-filled when allocated (a
// large frame is received straight into them, so the 1 MB of a producer's
// request is written once, by recv, not also by a memset) and never move
// once allocated (views into them stay valid while the payload lives).
class FramePayload {
 public:
  FramePayload() = default;
  // `size` bytes of unspecified value, to be written by the caller.
  static FramePayload Uninitialized(size_t size);
  static FramePayload CopyOf(std::string_view bytes);

  char* data() { return bytes_.get(); }
  const char* data() const { return bytes_.get(); }
  size_t size() const { return size_; }
  std::string_view view() const { return {bytes_.get(), size_}; }

 private:
  std::unique_ptr<char[]> bytes_;
  size_t size_ = 0;
};

class FrameReader {
 public:
  explicit FrameReader(int32_t max_frame_bytes = kDefaultMaxRequestBytes) : max_frame_bytes_(max_frame_bytes) {}

  // Adds bytes received from the peer.
  void Append(std::string_view bytes);
  // On kComplete moves the next frame's payload into *payload. kBad is sticky:
  // once a bad size is seen, the stream cannot be resynchronised.
  FrameStatus Next(FramePayload* payload);
  // The reason for kBad.
  const absl::Status& error() const { return error_; }
  // Bytes buffered and not yet returned.
  size_t buffered() const { return buf_.size() - start_ + (direct_active_ ? 4 + direct_filled_ : 0); }

  // Receiving a large frame in place. Once Next() has seen the size of a
  // frame of more than kDirectFrameBytes that is not complete yet, the
  // frame's payload storage is allocated whole (as Kafka's NetworkReceive
  // allocates its buffer once it has read the size) and DirectBuffer() is
  // the part still to fill: the caller receives into it and reports the
  // bytes with CommitDirect(), and Next() hands that storage over without a
  // copy. Empty when no large frame is pending (then use Append()).
  // So that a peer announcing a huge frame and sending little cannot make
  // the reader commit memory it never fills, a frame goes in place only
  // once its size is at most 4x the bytes received of it + 1 MiB (a
  // producer's 1 MB request at once; a 100 MiB one after ~25 MiB came
  // through Append, which grows with what arrives).
  static constexpr size_t kDirectFrameBytes = 32 * 1024;
  static constexpr size_t kDirectHeadroomBytes = 1 << 20;
  absl::Span<char> DirectBuffer();
  void CommitDirect(size_t n);

 private:
  int32_t max_frame_bytes_;
  std::string buf_;
  size_t start_ = 0;
  absl::Status error_;
  // The large frame being received in place (see DirectBuffer).
  bool direct_active_ = false;
  FramePayload direct_;
  size_t direct_filled_ = 0;
};

// Appends an int32 size prefix + `payload` to *out.
void AppendFrame(std::string_view payload, std::string* out);

}  // namespace samsa::kafka
