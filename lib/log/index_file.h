// IndexFile: the fixed-size entries of one .index or .timeindex file, held in
// memory exactly as on disk, with the file written lazily.
//
// Appends go to memory at once and reach the file on Flush(), which also
// fsyncs (Kafka's indexes are memory-mapped and likewise reach the disk only
// when flushed). Entries are not checksummed; after an unclean shutdown the
// log rebuilds the indexes of unflushed segments from the .log.
//
// Thread-safety: one writer (the log's appender) and any number of readers of
// entries() / Entry(); Flush, TruncateToEntries, Reset, Rename and Delete need
// the writer role. Entry bytes returned are copied out under the lock.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "samsa/env.h"
#include "util/mutex.h"

namespace samsa {

class IndexFile {
 public:
  // Does not touch the file until Load() or Flush(). "*env" must outlive this.
  IndexFile(Env* env, std::string path, size_t entry_size, int64_t max_index_bytes);

  // Reads the whole file into memory. NotFound if it does not exist;
  // DataLoss if its size is not a multiple of the entry size (a torn write).
  absl::Status Load();

  const std::string& path() const { return path_; }
  size_t entry_size() const { return entry_size_; }
  size_t entries() const;
  size_t max_entries() const { return max_entries_; }
  bool IsFull() const { return entries() >= max_entries_; }

  // Copies entry `i` (entry_size bytes) into `out`. REQUIRES: i < entries().
  void ReadEntry(size_t i, char* out) const;

  // Binary search: the largest i in [0, entries()) with key(i) <= target, or
  // -1 if none, where key decodes an entry (entries are sorted by key).
  template <typename KeyFn>
  int64_t FloorSearch(int64_t target, KeyFn key) const;

  void Append(const char* entry);
  void TruncateToEntries(size_t n);
  // Drops every entry and empties the file at the next Flush.
  void Reset() { TruncateToEntries(0); }

  // Writes the entries not yet in the file (rewriting the file if it was
  // truncated below what it held) and fsyncs it. Creates the file if needed.
  absl::Status Flush();

  absl::Status Rename(const std::string& new_path);
  // Deletes the file (missing is fine).
  absl::Status Delete();
  // Closes the open handle, if any.
  void Close();

 private:
  Env* const env_;
  std::string path_;
  const size_t entry_size_;
  const size_t max_entries_;

  mutable Mutex mu_;
  std::string bytes_ ABSL_GUARDED_BY(mu_);  // entries, encoded as on disk

  // Writer-only state.
  std::unique_ptr<File> file_;
  uint64_t file_bytes_ = 0;  // bytes of bytes_ known to be in the file
  bool rewrite_ = false;     // the file holds bytes no longer in bytes_
};

template <typename KeyFn>
int64_t IndexFile::FloorSearch(int64_t target, KeyFn key) const {
  MutexLock lock(&mu_);
  const size_t n = bytes_.size() / entry_size_;
  int64_t lo = 0, hi = static_cast<int64_t>(n) - 1, found = -1;
  while (lo <= hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (key(bytes_.data() + mid * entry_size_) <= target) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

}  // namespace samsa
