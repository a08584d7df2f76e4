#include "io/mem_file_data.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <mutex>
#include <optional>
#include <vector>

#include <fmt/format.h>

namespace samsa::io {
namespace {

// Full-size chunks freed by any file (a deleted segment, a deleted topic)
// are kept for reuse, up to kPooledBytes: memory a MemEnv file gets fresh
// from malloc is faulted in page by page on first write, ~10 us per 4 KiB on
// VMs that back guest memory lazily (log_append_bench's BM_FirstTouchCopy),
// which capped memory topics at about a fault per 4 KiB appended; a reused
// chunk is already resident. Under ASan the pool is off, so a use after free
// of a chunk is still caught.
class ChunkPool {
 public:
  static constexpr size_t kPooledBytes = 64 << 20;

  static ChunkPool& Instance() {
    // Never destroyed: chunks may be released during static destruction.
    static ChunkPool* const pool = new ChunkPool();
    return *pool;
  }

  std::shared_ptr<char[]> Allocate(size_t capacity) {
#if !defined(__SANITIZE_ADDRESS__)
    if (capacity == MemFileData::kMaxChunkBytes) {
      char* memory = nullptr;
      {
        std::lock_guard lock(mu_);
        if (!free_.empty()) {
          memory = free_.back();
          free_.pop_back();
        }
      }
      if (memory == nullptr) memory = new char[capacity];
      return std::shared_ptr<char[]>(memory, [](char* p) { Instance().Release(p); });
    }
#endif
    // Not zero-filled: bytes beyond a chunk's length are never read.
    return std::make_shared_for_overwrite<char[]>(capacity);
  }

 private:
  void Release(char* memory) {
    {
      std::lock_guard lock(mu_);
      if (free_.size() * MemFileData::kMaxChunkBytes < kPooledBytes) {
        free_.push_back(memory);
        return;
      }
    }
    delete[] memory;
  }

  std::mutex mu_;
  std::vector<char*> free_;
};

std::shared_ptr<char[]> AllocateChunk(size_t capacity) {
  return ChunkPool::Instance().Allocate(capacity);
}

}  // namespace

uint64_t MemFileData::Size() const {
  ReaderLock lock(&mu_);
  return size_;
}

size_t MemFileData::NumChunks() const {
  ReaderLock lock(&mu_);
  return chunks_.size();
}

void MemFileData::Append(std::string_view data) {
  if (data.empty()) return;
  MutexLock append(&append_mu_);
  // Where the bytes go: the room left in the last chunk, or a new chunk.
  char* dst = nullptr;
  std::optional<Chunk> fresh;
  {
    ReaderLock lock(&mu_);
    if (chunks_.empty() || chunks_.back().capacity - chunks_.back().length < data.size()) {
      // Chunks grow with the file, so that a small file takes little memory.
      const size_t capacity = std::max(
          static_cast<size_t>(std::clamp<uint64_t>(size_, kMinChunkBytes, kMaxChunkBytes)),
          data.size());
      fresh = Chunk{nullptr, size_, capacity, 0};
    } else {
      dst = chunks_.back().memory.get() + chunks_.back().length;
    }
  }
  if (fresh) {
    fresh->memory = AllocateChunk(fresh->capacity);
    dst = fresh->memory.get();
  }
  // Outside mu_: bytes past the last chunk's length (or in a chunk not yet
  // listed) are seen by no reader — they are beyond every size a reader has
  // observed, and Truncate never leaves viewed bytes there — and no other
  // appender runs (append_mu_). The writer lock below publishes them.
  std::memcpy(dst, data.data(), data.size());
  WriterLock lock(&mu_);
  if (fresh) chunks_.push_back(*std::move(fresh));
  chunks_.back().length += data.size();
  size_ += data.size();
}

size_t MemFileData::ChunkIndex(uint64_t offset) const {
  assert(offset < size_);
  auto it = std::upper_bound(chunks_.begin(), chunks_.end(), offset,
                             [](uint64_t off, const Chunk& c) { return off < c.start; });
  return static_cast<size_t>(it - chunks_.begin()) - 1;
}

size_t MemFileData::CopyOut(uint64_t offset, size_t n, char* dst) const {
  if (offset >= size_) return 0;
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
  size_t copied = 0;
  for (size_t i = ChunkIndex(offset); copied < n; ++i) {
    const Chunk& chunk = chunks_[i];
    const size_t in_chunk = static_cast<size_t>(offset + copied - chunk.start);
    const size_t take = std::min(n - copied, chunk.length - in_chunk);
    std::memcpy(dst + copied, chunk.memory.get() + in_chunk, take);
    copied += take;
  }
  return copied;
}

size_t MemFileData::ReadAt(uint64_t offset, size_t n, char* scratch) const {
  ReaderLock lock(&mu_);
  return CopyOut(offset, n, scratch);
}

SharedBytes MemFileData::ReadShared(uint64_t offset, size_t n, bool prefix) const {
  ReaderLock lock(&mu_);
  if (offset >= size_ || n == 0) return SharedBytes();
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
  const Chunk& chunk = chunks_[ChunkIndex(offset)];
  const size_t in_chunk = static_cast<size_t>(offset - chunk.start);
  if (prefix) n = std::min(n, chunk.length - in_chunk);
  if (in_chunk + n <= chunk.length) {
    // Zero copy: the view holds the chunk, whose bytes below `length` never
    // change (see Truncate).
    return SharedBytes(chunk.memory, std::string_view(chunk.memory.get() + in_chunk, n));
  }
  // Spans chunks: a copy, into memory that is not zero-filled first (a
  // fetch of up to 1 MiB lands here whenever it crosses a chunk boundary).
  std::shared_ptr<char[]> copy = std::make_shared_for_overwrite<char[]>(n);
  CopyOut(offset, n, copy.get());
  const std::string_view bytes(copy.get(), n);
  return SharedBytes(std::move(copy), bytes);
}

absl::Status MemFileData::Truncate(uint64_t size, const std::string& path) {
  MutexLock append(&append_mu_);
  WriterLock lock(&mu_);
  if (size > size_) {
    return absl::InvalidArgumentError(fmt::format(
        "truncate {}: size {} is beyond the end of the file ({} bytes)", path, size, size_));
  }
  while (!chunks_.empty() && chunks_.back().start >= size) chunks_.pop_back();
  if (!chunks_.empty()) {
    Chunk& last = chunks_.back();
    const size_t keep = static_cast<size_t>(size - last.start);
    if (keep < last.length) {
      // Copy-on-truncate: views may point at bytes beyond `keep` in the old
      // chunk, which later appends must not overwrite.
      std::shared_ptr<char[]> fresh = AllocateChunk(last.capacity);
      std::memcpy(fresh.get(), last.memory.get(), keep);
      last.memory = std::move(fresh);
      last.length = keep;
    }
  }
  size_ = size;
  return absl::OkStatus();
}

}  // namespace samsa::io
