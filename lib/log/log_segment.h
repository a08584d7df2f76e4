// LogSegment: one segment of a partition's log — <base>.log, <base>.index and
// <base>.timeindex in the partition directory, named by the 20-digit base
// offset, with Kafka's append, lookup, read, recovery and truncation rules
// (kafka.log.LogSegment).
//
// Appends go straight to the .log file (no user-space buffer: readers pread
// the same file). Index entries are added every index.interval.bytes and
// reach their files on Flush (index_format.h).
//
// Thread-safety: one writer (Append, Recover, TruncateTo, Flush, OnBecomeInactive,
// ChangeFileSuffixes, DeleteFiles) at a time — the owning Log serialises them —
// concurrently with any number of readers (Read, TranslateOffset,
// FindOffsetByTimestamp, size, ...) of bytes below the size they observed.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "log/batch_iterator.h"
#include "log/log_config.h"
#include "log/offset_index.h"
#include "samsa/bytes.h"
#include "samsa/env.h"
#include "samsa/types.h"
#include "util/mutex.h"

namespace samsa {

// "00000000000000367814" for 367814.
std::string SegmentFileStem(Offset base_offset);
// "00000000000000367814<suffix>" -> 367814; nullopt for anything else.
std::optional<Offset> ParseSegmentName(std::string_view name, std::string_view suffix);

struct BatchLocation {
  Offset base_offset;
  Offset last_offset;
  int64_t position = 0;
  int64_t size = 0;
};

struct SegmentReadResult {
  Offset first_batch_base_offset;  // base offset of the first batch returned
  int64_t position = 0;            // file position of the first batch
  SharedBytes records;             // whole batches; may be empty (first batch too big)
  // The storage ended the read early (a MemEnv chunk's end): more batches
  // below max_position would have fitted in max_bytes.
  bool more = false;
};

struct SegmentRecoveryResult {
  int64_t valid_bytes = 0;
  int64_t truncated_bytes = 0;
  int32_t batches = 0;
  Offset next_offset;    // offset after the last valid batch (base offset if none)
  std::string problem;   // why the scan stopped early, when truncated_bytes > 0
};

class LogSegment {
 public:
  // Creates the files of a new, empty segment (replacing stale ones).
  // `file_suffix` is appended to the three file names (the log cleaner writes
  // "<base>.log.cleaned", ...; ChangeFileSuffixes renames them later).
  static absl::StatusOr<std::shared_ptr<LogSegment>> Create(Env* env, const std::string& dir,
                                                            Offset base_offset,
                                                            const LogConfig& config,
                                                            std::string_view file_suffix = "");
  // Opens the existing .log of a segment and loads its indexes. When an index
  // file is missing, torn or inconsistent, `*indexes_need_rebuild` is set and
  // the caller must Recover() the segment before using it.
  static absl::StatusOr<std::shared_ptr<LogSegment>> Open(Env* env, const std::string& dir,
                                                          Offset base_offset,
                                                          const LogConfig& config,
                                                          bool* indexes_need_rebuild,
                                                          std::string_view file_suffix = "");
  ~LogSegment();

  Offset base_offset() const { return base_; }
  int64_t size() const { return size_.load(std::memory_order_acquire); }
  const std::string& log_path() const { return log_path_; }
  const OffsetIndex& offset_index() const { return offset_index_; }
  const TimeIndex& time_index() const { return time_index_; }
  const File* log_file() const { return log_file_.get(); }

  // Appends `records` (complete batches, offsets assigned) whose last offset
  // is `largest_offset`, largest timestamp `largest_timestamp` carried by the
  // batch ending at `offset_of_max_timestamp`. On a write error the file is cut
  // back so nothing half-written remains; if that fails too, DataLoss.
  absl::Status Append(Offset largest_offset, int64_t largest_timestamp,
                      Offset offset_of_max_timestamp, std::string_view records);

  // The first batch at or after `starting_position` whose last offset is >=
  // `offset`, looking no further than `max_position`; nullopt if none.
  absl::StatusOr<std::optional<BatchLocation>> TranslateOffset(Offset offset,
                                                               int64_t starting_position,
                                                               int64_t max_position) const;

  // Whole batches from the one holding `start_offset`: at most `max_bytes`
  // (but the first batch whole even if bigger when `min_one_batch`), none at
  // or past `max_position`. nullopt if no batch holds an offset >= start_offset
  // below max_position.
  absl::StatusOr<std::optional<SegmentReadResult>> Read(Offset start_offset, int64_t max_bytes,
                                                        int64_t max_position,
                                                        bool min_one_batch) const;

  // The first record with timestamp >= `timestamp` and offset >=
  // `starting_offset` (Kafka's findOffsetByTimestamp), or nullopt.
  absl::StatusOr<std::optional<TimestampOffset>> FindOffsetByTimestamp(
      int64_t timestamp, Offset starting_offset) const;

  // Scans the whole .log, validating every batch (CRC, sizes, offsets in
  // order), rebuilds both indexes, and — when `truncate_invalid` — cuts the
  // file at the first invalid byte. Without `truncate_invalid`, an invalid
  // byte is an error (DataLoss naming the file and position) and nothing
  // changes on disk.
  absl::StatusOr<SegmentRecoveryResult> Recover(bool truncate_invalid);

  // Removes every batch holding an offset >= `offset` (the whole batch that
  // holds `offset`); returns the bytes removed.
  absl::StatusOr<int64_t> TruncateTo(Offset offset);

  // The offset after the last batch (base offset when empty).
  absl::StatusOr<Offset> ReadNextOffset() const;

  // fsyncs the .log and writes + fsyncs both indexes.
  absl::Status Flush();
  // What Kafka does when a segment stops being active: a last time-index
  // entry for the largest timestamp.
  void OnBecomeInactive();

  // Renames the three files from suffix `from` to `to` (".log" -> ".log.deleted").
  absl::Status ChangeFileSuffixes(const std::string& from, const std::string& to);
  absl::Status DeleteFiles();
  // Closes the file handles (the log is not flushed).
  void Close();

  // Largest timestamp appended (-1 if none) and the offset that carried it.
  int64_t max_timestamp_so_far() const;
  Offset offset_of_max_timestamp_so_far() const;
  // Kafka's largestTimestamp: the max timestamp, or the segment's creation
  // time in ms when no batch carried one (Kafka uses the file's mtime).
  int64_t LargestTimestamp() const;
  // How long the segment has been accumulating for the segment.ms roll:
  // message_timestamp - first batch's timestamp, or now - creation time.
  int64_t TimeWaitedForRoll(int64_t now_ms, int64_t message_timestamp) const;
  bool CanConvertToRelativeOffset(Offset offset) const;
  // The max timestamp of the first batch (Kafka's getFirstBatchTimestamp, what
  // max.compaction.lag.ms measures from); nullopt when empty.
  std::optional<int64_t> first_batch_timestamp() const;

 private:
  LogSegment(Env* env, std::string dir, Offset base_offset, const LogConfig& config,
             std::unique_ptr<File> log_file, int64_t size, std::string_view file_suffix);

  Env* const env_;
  const std::string dir_;
  const Offset base_;
  const int32_t index_interval_bytes_;
  std::string log_path_;
  std::unique_ptr<File> log_file_;
  std::atomic<int64_t> size_;
  OffsetIndex offset_index_;
  TimeIndex time_index_;
  const int64_t created_ms_;

  mutable Mutex mu_;
  int64_t max_timestamp_ ABSL_GUARDED_BY(mu_) = -1;
  Offset offset_of_max_timestamp_ ABSL_GUARDED_BY(mu_);
  std::optional<int64_t> rolling_based_timestamp_ ABSL_GUARDED_BY(mu_);

  // Writer-only.
  int64_t bytes_since_last_index_entry_ = 0;
};

}  // namespace samsa
