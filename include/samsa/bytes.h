// samsa/bytes.h — SharedBytes: a read-only byte range that keeps its storage
// alive.
//
// Record keys and values handed to a consumer, and the batches a log read
// returns, are SharedBytes: they point into the stored batch (no copy for
// memory topics and recently appended batches) and hold a reference to the
// buffer that owns the bytes, so they stay valid for as long as the caller
// keeps them, whatever the log does meanwhile.
//
// Thread-safety: immutable; copies may be used from any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace samsa {

class SharedBytes {
 public:
  SharedBytes() = default;
  // Points at `bytes`, which `owner` keeps alive.
  SharedBytes(std::shared_ptr<const void> owner, std::string_view bytes)
      : owner_(std::move(owner)), bytes_(bytes) {}

  // Takes ownership of `s` (no copy of its characters).
  static SharedBytes FromString(std::string s) {
    auto owner = std::make_shared<const std::string>(std::move(s));
    std::string_view view(*owner);
    return SharedBytes(std::move(owner), view);
  }
  // Copies `bytes` into a new buffer.
  static SharedBytes Copy(std::string_view bytes) { return FromString(std::string(bytes)); }

  std::string_view view() const { return bytes_; }
  const char* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

  // A sub-range sharing the same owner. REQUIRES: pos + n <= size().
  SharedBytes Slice(size_t pos, size_t n) const { return SharedBytes(owner_, bytes_.substr(pos, n)); }

  const std::shared_ptr<const void>& owner() const { return owner_; }

 private:
  std::shared_ptr<const void> owner_;
  std::string_view bytes_;
};

}  // namespace samsa
