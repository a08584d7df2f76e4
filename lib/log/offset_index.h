// OffsetIndex and TimeIndex: the sparse indexes of one segment (layout in
// index_format.h), over an IndexFile.
//
// OffsetIndex::Lookup(o) gives the greatest indexed offset <= o and the file
// position of its batch, from where a forward scan of the .log finds the batch
// holding o. TimeIndex::Lookup(t) gives the greatest indexed timestamp <= t and
// its offset. Both return the segment start (base offset, position 0 /
// timestamp -1) when nothing smaller is indexed, as Kafka's do.
//
// Thread-safety: as IndexFile — one writer, concurrent readers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "log/index_file.h"
#include "samsa/types.h"

namespace samsa {

struct OffsetPosition {
  Offset offset;
  int64_t position = 0;
};

struct TimestampOffset {
  int64_t timestamp = -1;
  Offset offset;
};

class OffsetIndex {
 public:
  OffsetIndex(Env* env, std::string path, Offset base_offset, int64_t max_index_bytes);

  absl::Status Load() { return file_.Load(); }
  // Checks entries strictly increase in offset and position, lie at or after
  // the base offset and before `log_size`. DataLoss naming the file otherwise.
  absl::Status SanityCheck(int64_t log_size) const;

  OffsetPosition Lookup(Offset target) const;
  // REQUIRES: offset > last entry's offset, position > last entry's position,
  // and offset - base fits in an int32.
  void Append(Offset offset, int64_t position);
  // Removes every entry with offset >= `offset`.
  void TruncateTo(Offset offset);
  std::optional<OffsetPosition> LastEntry() const;
  OffsetPosition EntryAt(size_t i) const;

  size_t entries() const { return file_.entries(); }
  bool IsFull() const { return file_.IsFull(); }
  Offset base_offset() const { return base_; }
  IndexFile& file() { return file_; }
  const IndexFile& file() const { return file_; }

 private:
  const Offset base_;
  IndexFile file_;
};

class TimeIndex {
 public:
  TimeIndex(Env* env, std::string path, Offset base_offset, int64_t max_index_bytes);

  absl::Status Load() { return file_.Load(); }
  // Checks timestamps strictly increase, offsets do not decrease and lie at or
  // after the base offset.
  absl::Status SanityCheck() const;

  TimestampOffset Lookup(int64_t target_timestamp) const;
  // Appends (timestamp, offset) if timestamp is greater than the last entry's
  // (Kafka's maybeAppend). Ignored when full unless `skip_full_check`.
  void MaybeAppend(int64_t timestamp, Offset offset, bool skip_full_check = false);
  // Removes every entry with offset >= `offset`.
  void TruncateTo(Offset offset);
  std::optional<TimestampOffset> LastEntry() const;
  TimestampOffset EntryAt(size_t i) const;

  size_t entries() const { return file_.entries(); }
  bool IsFull() const { return file_.IsFull(); }
  IndexFile& file() { return file_; }
  const IndexFile& file() const { return file_; }

 private:
  const Offset base_;
  IndexFile file_;
};

}  // namespace samsa
