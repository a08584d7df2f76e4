// MemFileData: the bytes of one MemEnv file (its "inode"), stored so that
// reads can hand out views of the storage itself instead of copies.
//
// The bytes live in a list of chunks: buffers that are allocated once and never
// moved or reallocated, so a SharedBytes can point into a chunk and keep it
// alive by holding a reference to it. Chunks grow from 4 KiB (small files
// stay small) to 1 MiB, and an Append always lands within a single chunk (a
// new chunk is started when the current one has too little room left, and a
// larger append gets a chunk of its own size): so reading back exactly what
// one Append wrote — one record batch — is never a copy. The price is the
// unused tail of a chunk whose room was too small for the next append.
// Freed 1 MiB chunks go to a process-wide pool (at most 64 MiB) and are reused
// by the next file that grows, so appends do not fault in fresh pages.
//
// Bytes once published in a chunk are never modified while a view may see them:
// Truncate into the middle of a chunk replaces that chunk by a fresh copy of
// its kept prefix (copy-on-truncate), so that later appends write into the
// copy and not under an old view.
//
// Thread-safety: thread-safe. Appends and truncates take turns on an append
// lock; reads take a reader lock. An append copies its bytes (and faults in
// a fresh chunk's pages, ~10 us per 4 KiB on some VMs) before it takes the
// writer lock, which it holds only to publish the new length: readers wait
// for no copy, and one appender and any number of readers run together.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "samsa/bytes.h"
#include "util/mutex.h"

namespace samsa::io {

class MemFileData {
 public:
  static constexpr size_t kMinChunkBytes = 4 << 10;
  static constexpr size_t kMaxChunkBytes = 1 << 20;

  uint64_t Size() const;

  void Append(std::string_view data);

  // Copies up to `n` bytes at `offset` into `scratch`; returns how many (fewer
  // than `n` only at end of file).
  size_t ReadAt(uint64_t offset, size_t n, char* scratch) const;

  // Up to `n` bytes at `offset`: a view of the chunk holding them if one
  // chunk holds them all, otherwise a copy; with `prefix`, the view of the
  // bytes up to the end of the chunk holding `offset` (never a copy).
  SharedBytes ReadShared(uint64_t offset, size_t n, bool prefix = false) const;

  // Cuts the file to `size` bytes. InvalidArgument (naming `path`) if `size` is
  // beyond the end.
  absl::Status Truncate(uint64_t size, const std::string& path);

  // How many chunks hold the bytes (for tests of the storage layout).
  size_t NumChunks() const;

 private:
  struct Chunk {
    std::shared_ptr<char[]> memory;
    uint64_t start;   // file offset of memory[0]
    size_t capacity;  // bytes allocated
    size_t length;    // bytes in use: [start, start + length) of the file
  };

  // Index of the chunk holding byte `offset`. REQUIRES: offset < size_.
  size_t ChunkIndex(uint64_t offset) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  size_t CopyOut(uint64_t offset, size_t n, char* dst) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  // Serialises Append and Truncate (taken before mu_): the bytes past the
  // last chunk's length are the appender's alone while it holds this.
  Mutex append_mu_;
  mutable SharedMutex mu_;
  // Contiguous: chunks_[i].start + chunks_[i].length == chunks_[i + 1].start.
  std::vector<Chunk> chunks_ ABSL_GUARDED_BY(mu_);
  uint64_t size_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace samsa::io
