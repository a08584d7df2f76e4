// LogCleaner: Kafka's log compaction (kafka.log.LogCleaner, Cleaner and
// LogCleanerManager) for logs whose cleanup.policy includes "compact".
//
// What a pass over one log does, as Kafka's Cleaner:
//   - The cleanable part runs from the log start to the first uncleanable
//     offset = min(active segment's base, high watermark, base of the first
//     segment holding a record newer than now - min.compaction.lag.ms). Its
//     dirty section starts at the first dirty offset (the cleaner checkpoint,
//     clamped to the log start). A log qualifies when dirty bytes / (clean +
//     dirty bytes) > min.cleanable.dirty.ratio (Kafka's strict comparison), or
//     when its oldest dirty record is older than max.compaction.lag.ms.
//   - An OffsetMap (key -> last offset) is built over the dirty section; when
//     it fills, the pass cleans only up to the last batch mapped.
//   - Every segment from the log start to the end of what was mapped is
//     rewritten, in groups that stay under segment.bytes and the index limits.
//     A record stays when its offset is past the map, or its key is not in the
//     map or its offset is at least the map's for the key; a tombstone (null
//     value) also needs its segment to be newer than the delete horizon; a
//     record without a key is dropped (Kafka counts it invalid). Control
//     batches stay whole. Offsets are kept, gaps allowed (FilterBatch).
//   - Delete horizon (Kafka's pre-3.1 rule): the "last modified" time of the
//     last segment of the clean section minus delete.retention.ms, where samsa
//     uses the segment's largest record timestamp (LogSegment::
//     LargestTimestamp) in place of the file's mtime (a segment without
//     records counts the clock time it was created or opened at); a tombstone
//     in a segment whose largest timestamp is <= the horizon is dropped.
//   - Each group is written to "<base>.log.cleaned" (+ .index/.timeindex),
//     flushed, and swapped in by Log::ReplaceSegments (crash-safe; see there).
//   - The first dirty offset becomes the end of what was mapped; it is kept
//     per partition and persisted by the LogManager in each log dir's
//     cleaner-offset-checkpoint.
// Before a pass the log is flushed up to its first uncleanable offset, so a
// crash cannot keep a cleaned segment yet lose the newer records that made
// the cleaner drop older ones.
//
// Background: Startup() runs a pass over the qualifying logs (filthiest
// first) every log.cleaner.backoff.ms on the injected clock. CleanOnce and
// CleanLogs run a pass synchronously (tests, the broker). Passes are
// serialised (log.cleaner.threads > 1 does not add parallel passes).
//
// Thread-safety: thread-safe. Appends to a log continue during its pass; the
// swap takes the log's locks briefly.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "log/log.h"
#include "log/log_config.h"
#include "log/offset_map.h"
#include "record/record_batch.h"
#include "samsa/env.h"
#include "samsa/types.h"
#include "util/mutex.h"

namespace samsa {

class Scheduler;

// What a look at one log finds (Kafka's LogToClean).
struct CleanableLog {
  Offset first_dirty_offset;
  Offset first_uncleanable_offset;
  int64_t clean_bytes = 0;
  int64_t dirty_bytes = 0;        // of the cleanable dirty section
  double dirty_ratio = 0;         // dirty / (clean + dirty); 0 when empty
  int64_t compaction_delay_ms = 0;  // how far past max.compaction.lag.ms, 0 if not
  bool needs_cleaning = false;
};

// What one pass did (Kafka's CleanerStats).
struct CleanerStats {
  std::string log;        // "topic-partition"
  bool cleaned = false;   // false: the log did not qualify; the rest is zero
  double dirty_ratio = 0;  // before the pass
  Offset first_dirty_offset;
  Offset end_offset;      // cleaned up to here: the new first dirty offset
  int64_t delete_horizon_ms = 0;
  int32_t segments_cleaned = 0;  // old segments rewritten
  int32_t segments_written = 0;  // cleaned segments swapped in
  int64_t bytes_read = 0;        // to build the map and to clean
  int64_t bytes_written = 0;
  int64_t records_read = 0;      // while cleaning
  int64_t records_removed = 0;
  int64_t tombstones_removed = 0;
  int64_t invalid_records = 0;   // without a key (dropped)
  int64_t map_entries = 0;
  bool map_full = false;
  int64_t elapsed_ms = 0;
};

// One batch filtered for compaction.
struct FilteredBatch {
  enum Kind { kAll, kNone, kSome } kind = kAll;
  std::string bytes;         // the rewritten batch when kSome
  int32_t retained = 0;
  int32_t removed = 0;
  int64_t max_timestamp = -1;  // of the batch written (kAll, kSome)
};

// Keeps the records of `batch` that `retain` accepts. kAll: keep the bytes as
// they are; kNone: the batch disappears; kSome: a new magic-2 batch with the
// same baseOffset, baseTimestamp, lastOffsetDelta (Kafka preserves the last
// offset so a producer's sequence survives), partitionLeaderEpoch,
// attributes and producer fields; the retained records byte for byte (their
// offset and timestamp deltas unchanged), recompressed with the batch's codec;
// maxTimestamp recomputed for CreateTime; CRC recomputed.
// kCorruptMessage when a record does not decode.
absl::StatusOr<FilteredBatch> FilterBatch(
    const record::RecordBatchView& batch,
    const std::function<bool(const record::RecordView&)>& retain);

class LogCleaner {
 public:
  struct Options {
    Env* env = nullptr;  // its clock times the passes; must outlive the cleaner
    LogCleanerConfig config;
    // Every log the cleaner may clean (it picks those whose policy includes
    // compact). Called from the cleaner's thread.
    std::function<std::vector<std::pair<TopicPartition, std::shared_ptr<Log>>>()> logs;
    // First dirty offsets loaded from cleaner-offset-checkpoint files.
    std::map<TopicPartition, Offset> checkpoint;
    // Persists the first dirty offsets, called after every pass that cleaned.
    std::function<absl::Status(const std::map<TopicPartition, Offset>&)> write_checkpoint;
  };

  explicit LogCleaner(Options options);
  // Shuts down.
  ~LogCleaner();

  // Starts the background passes (when config.enable).
  void Startup();
  // Stops them; a pass in progress is abandoned at its next batch boundary.
  void Shutdown();
  // Waits until no background pass is due at the clock's time or running
  // (tests: advance a ManualClock by log.cleaner.backoff.ms, then wait).
  void AwaitIdle();

  // Whether and how much `log` needs cleaning now.
  CleanableLog Cleanable(const Log& log) const;

  // One pass over `log` if it qualifies (or, with `force`, whenever its dirty
  // section is not empty). stats.cleaned says whether it ran.
  absl::StatusOr<CleanerStats> CleanOnce(Log& log, bool force = false);
  // Cleans every qualifying log once, filthiest first. Errors are logged and
  // skipped (the log is tried again at the next pass).
  std::vector<CleanerStats> CleanLogs();

  // Forgets a partition (deleted): waits for a pass over it to stop, and
  // drops its checkpoint entry.
  void RemoveLog(const TopicPartition& tp);

  // The first dirty offset of each partition cleaned so far.
  std::map<TopicPartition, Offset> checkpoint() const;

 private:
  absl::StatusOr<CleanerStats> Clean(Log& log, const CleanableLog& cleanable)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(pass_mu_);
  absl::Status CleanGroup(Log& log, const Log::SegmentsSnapshot& snapshot,
                          const std::vector<std::shared_ptr<LogSegment>>& group,
                          int64_t delete_horizon_ms, CleanerStats* stats)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(pass_mu_);
  absl::Status BuildOffsetMap(const Log& log,
                              const std::vector<std::shared_ptr<LogSegment>>& segments,
                              Offset start, Offset end, CleanerStats* stats)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(pass_mu_);
  absl::Status CheckNotAborted(const Log& log) const;
  Offset FirstDirtyOffset(const Log& log, Offset log_start, Offset log_end) const;

  Options options_;
  Env* const env_;

  // Held for a whole pass: passes run one at a time.
  Mutex pass_mu_;
  std::unique_ptr<OffsetMap> map_ ABSL_GUARDED_BY(pass_mu_);

  mutable Mutex mu_;
  std::map<TopicPartition, Offset> checkpoint_ ABSL_GUARDED_BY(mu_);
  std::optional<TopicPartition> aborting_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> stopping_{false};
  std::unique_ptr<Scheduler> scheduler_;
  Mutex scheduler_mu_;
};

}  // namespace samsa
