// Log: one partition's log — an ordered set of LogSegments in
// <log.dir>/<topic>-<partition>/ — with Kafka's semantics (kafka.log.UnifiedLog
// + LocalLog): offsets assigned on append, reads of whole batches, lookups by
// offset and timestamp, roll, retention, truncation, flush and recovery.
//
// Offsets a Log exposes: log start offset <= high watermark <= log end offset
// (LEO). The recovery point is the offset below which every byte is known to
// be durable (fsynced); after an unclean shutdown, Open() re-validates
// everything past it, cuts a torn or corrupt tail, rebuilds indexes, and says
// what it did in recovery_info().
//
// Errors carry Kafka codes: kCorruptMessage (bad CRC/size in an append),
// kInvalidRecord (a record without a key from a client, when cleanup.policy
// includes compact),
// kMessageTooLarge, kRecordListTooLarge, kOffsetOutOfRange (a read or
// DeleteRecordsBefore outside the log), kKafkaStorageError (I/O failure, a
// closed log, a corrupt synced segment). A failed fsync, or a failed write
// that could not be cut back, takes the log offline: later writes fail with
// kKafkaStorageError until it is reopened (reads of what it holds still work).
//
// Thread-safety: thread-safe. Appends, rolls, truncation, retention and
// flushes are serialised by an internal append lock; reads take a short
// shared lock to find their segment and never wait for an append's I/O.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "log/log_config.h"
#include "log/log_segment.h"
#include "log/producer_state.h"
#include "samsa/bytes.h"
#include "samsa/env.h"
#include "samsa/types.h"
#include "util/mutex.h"

namespace samsa {

// Special timestamps of Kafka's ListOffsets.
inline constexpr int64_t kLatestTimestamp = -1;
inline constexpr int64_t kEarliestTimestamp = -2;
inline constexpr int64_t kMaxTimestamp = -3;

// Who appends. kClient: a produce request (the wire, or any caller handing
// over bytes): every batch's CRC and records are checked. kLocalProducer: a
// Producer in this process, whose batches its RecordBatchBuilder has just
// built and checksummed; the records are checked as kClient's, the CRC is not
// computed a second time (it was a third of the sender thread's CPU at 1 KiB
// records). kReplication and kCoordinator: batches a broker wrote.
enum class AppendOrigin { kClient, kLocalProducer, kReplication, kCoordinator };

struct LogAppendInfo {
  Offset first_offset;                 // base offset of the first batch written
  Offset last_offset;                  // last offset written
  int64_t max_timestamp = -1;
  Offset offset_of_max_timestamp;
  int64_t log_append_time = -1;        // the broker's time when LogAppendTime
  Offset log_start_offset;
  int32_t num_batches = 0;
  int32_t num_records = 0;
  int64_t valid_bytes = 0;
  // An idempotent producer's retry of a batch already stored: nothing was
  // written; the offsets are the stored batch's.
  bool duplicate = false;
};

struct LogReadInfo {
  Offset fetch_offset;
  SharedBytes records;  // whole batches; empty when nothing (or nothing that fits)
  // More bytes below the read's bound are in the log now that this read did
  // not return though max_bytes had room: they are past the end of the
  // storage the read came from (a MemEnv chunk, or the segment, with a later
  // segment holding data). A fetch waiting for fetch.min.bytes stops waiting
  // (Kafka's DelayedFetch completes when the fetch offset is on an older
  // segment than the high watermark).
  bool more_available = false;
  Offset log_start_offset;
  Offset log_end_offset;
  Offset high_watermark;
};

struct LogRecoveryInfo {
  bool clean_shutdown = true;
  int32_t segments_loaded = 0;
  int32_t segments_recovered = 0;    // scanned and validated
  int32_t indexes_rebuilt = 0;
  int32_t segments_deleted = 0;      // past a corrupt point
  int64_t truncated_bytes = 0;       // cut from torn or corrupt tails
  Offset recovery_point_before;      // from the checkpoint
  Offset log_end_offset;
  std::vector<std::string> problems;  // what was cut and why, one line each
};

class Log {
 public:
  struct Options {
    Env* env = nullptr;          // must outlive the Log
    std::string dir;             // <log.dir>/<topic>-<partition>
    std::string topic;
    int32_t partition = 0;
    LogConfig config;
    // From recovery-point-offset-checkpoint: everything below is durable.
    Offset recovery_point{0};
    // From log-start-offset-checkpoint, when known.
    std::optional<Offset> log_start_offset;
    // Whether the log dir's clean-shutdown marker was present.
    bool had_clean_shutdown = false;
  };

  // Opens (creating if missing) and recovers the log in options.dir.
  static absl::StatusOr<std::unique_ptr<Log>> Open(Options options);
  // Closes the log (see Close()) if still open.
  ~Log();

  const std::string& dir() const { return options_.dir; }
  const std::string& topic() const { return options_.topic; }
  int32_t partition() const { return options_.partition; }
  // "topic-partition", Kafka's TopicPartition.toString().
  std::string name() const;

  // Appends a producer's batches (one or more, back to back, as in a
  // ProduceRequest): validates them (CRC, sizes, records when from a client),
  // assigns offsets from the LEO by rewriting baseOffset, stamps
  // partitionLeaderEpoch and — for message.timestamp.type=LogAppendTime — the
  // broker time, rolls if needed, writes, and advances the LEO. On error
  // nothing is written. The span form rewrites those header fields in the
  // caller's buffer (a request frame's) and copies the batches from it into
  // the segment: no copy of the caller's before.
  absl::StatusOr<LogAppendInfo> AppendAsLeader(std::string records, int32_t leader_epoch,
                                               AppendOrigin origin = AppendOrigin::kClient);
  absl::StatusOr<LogAppendInfo> AppendAsLeader(absl::Span<char> records, int32_t leader_epoch,
                                               AppendOrigin origin = AppendOrigin::kClient);
  // Appends batches whose offsets are already assigned (from a leader, or a
  // rewrite): they must start at or after the LEO and increase.
  absl::StatusOr<LogAppendInfo> AppendAsFollower(std::string records);

  // Whole batches starting with the one that holds `start_offset`, at most
  // `max_bytes` (the first batch whole when `min_one_batch`), none holding an
  // offset at or past `max_offset` (exclusive bound: the high watermark for
  // consumers, the LEO for followers). kOffsetOutOfRange when start_offset is
  // below the log start or past the LEO.
  absl::StatusOr<LogReadInfo> Read(Offset start_offset, int64_t max_bytes, Offset max_offset,
                                   bool min_one_batch = true) const;

  // Kafka's ListOffsets for one partition: kEarliestTimestamp -> log start,
  // kLatestTimestamp -> LEO, kMaxTimestamp -> the record with the largest
  // timestamp, t >= 0 -> the first record with timestamp >= t. nullopt when
  // no record qualifies. The returned timestamp is -1 for earliest/latest.
  absl::StatusOr<std::optional<TimestampOffset>> FetchOffsetByTimestamp(int64_t timestamp) const;

  Offset log_start_offset() const;
  Offset log_end_offset() const;
  Offset high_watermark() const;
  Offset recovery_point() const;
  // Sets the high watermark, clamped to [log start, LEO].
  void UpdateHighWatermark(Offset high_watermark);
  // Raises the high watermark to `high_watermark` (clamped to the LEO); never
  // lowers it. Returns whether it moved. Concurrent appenders use this.
  bool MaybeIncrementHighWatermark(Offset high_watermark);

  int64_t size_in_bytes() const;
  int32_t num_segments() const;
  std::vector<Offset> segment_base_offsets() const;
  int64_t last_flush_time_ms() const;
  LogConfig config() const;
  void UpdateConfig(const LogConfig& config);
  const LogRecoveryInfo& recovery_info() const { return recovery_info_; }

  // Makes everything below the LEO (or `offset`) durable: fsyncs segment files
  // and indexes (and the directory when segments were created), then moves the
  // recovery point.
  absl::Status Flush();
  absl::Status FlushUpTo(Offset offset);

  // Starts a new active segment at the LEO (no-op if the active one is empty).
  absl::Status Roll();

  // Removes every record at or after `offset` (whole batches: the batch holding
  // `offset` goes too). Returns the new LEO. No-op when offset >= LEO.
  absl::StatusOr<Offset> Truncate(Offset offset);
  // Deletes everything and starts again, empty, at `offset`.
  absl::Status TruncateFullyAndStartAt(Offset offset);

  // Kafka's DeleteRecords: moves the log start offset up to `offset` (-1: the
  // high watermark) and deletes segments wholly below it. kOffsetOutOfRange
  // past the high watermark. Returns the new log start offset.
  absl::StatusOr<Offset> DeleteRecordsBefore(Offset offset);

  // Retention: deletes the oldest segments whose data is older than
  // retention.ms, beyond retention.bytes, or below the log start offset —
  // only segments wholly below the high watermark. Files are renamed to
  // .deleted first, then removed. Returns how many segments went.
  absl::StatusOr<int32_t> DeleteOldSegments();

  // --- For the log cleaner (log_cleaner.h) ---

  // A consistent view of the segments (oldest first; the last is the active
  // one) and offsets. `truncations` counts truncations so far: a cleaner that
  // read segments before one must not swap its result in.
  struct SegmentsSnapshot {
    std::vector<std::shared_ptr<LogSegment>> segments;
    Offset log_start_offset;
    Offset log_end_offset;
    Offset high_watermark;
    uint64_t truncations = 0;
  };
  SegmentsSnapshot Snapshot() const;

  // Log compaction's swap (Kafka's replaceSegments): `cleaned`, a flushed
  // segment whose three files carry the suffix ".cleaned" and whose base is
  // old.front()'s, replaces `old` (consecutive segments of this log, none the
  // active one). Steps, each a point a crash may stop at (Log::Open finishes
  // or discards the work): rename the cleaned files to ".swap" and sync the
  // directory; swap the segments in memory (readers holding an old segment
  // keep reading it); rename the old files to ".deleted", sync the directory
  // and delete them; rename the ".swap" files to their final names and sync
  // the directory.
  // Aborted (status kAborted, the cleaned files deleted, nothing changed) when
  // the log was closed or truncated since `truncations`, or any of `old` left
  // the log meanwhile (retention). A failure once the swap began takes the
  // log offline (kKafkaStorageError): the next Open completes it.
  absl::Status ReplaceSegments(const std::shared_ptr<LogSegment>& cleaned,
                               const std::vector<std::shared_ptr<LogSegment>>& old,
                               uint64_t truncations);

  // Flushes, writes each segment's last time-index entry, closes files. Later
  // calls fail with kKafkaStorageError "closed".
  absl::Status Close();
  // Closes and removes the directory with everything in it.
  absl::Status Delete();

 private:
  explicit Log(Options options);

  absl::Status Load();
  absl::Status CompleteInterruptedSwaps(std::vector<std::string>* children);
  absl::StatusOr<LogAppendInfo> Append(absl::Span<char> records, bool assign_offsets,
                                       int32_t leader_epoch, AppendOrigin origin);
  absl::Status CheckOpenLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);
  absl::Status RollLocked(std::optional<int64_t> expected_next_offset)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);
  absl::Status FlushLocked(Offset offset) ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);
  absl::Status TruncateFullyAndStartAtLocked(Offset offset) ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);
  absl::StatusOr<int32_t> DeleteSegmentsWhile(
      const std::function<bool(const LogSegment&, std::optional<Offset> next_base)>& predicate,
      const char* reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);
  absl::Status DeleteSegmentFiles(const std::shared_ptr<LogSegment>& segment, const char* reason);
  std::shared_ptr<LogSegment> ActiveSegment() const;
  // Producer snapshots (producer_state.h): written at rolls and at Close.
  void TakeProducerSnapshotLocked(Offset offset) ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);
  void DeleteProducerSnapshotsAfterLocked(Offset offset) ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);
  void DeleteProducerSnapshot(int64_t offset);
  // Rebuilds producers_ (at Open, after a truncation) from the newest of the
  // snapshots at `offsets` (the .snapshot files in the directory) at or below
  // the log end, then the batches after it.
  // Without a snapshot, the active segment is replayed when
  // `replay_without_snapshot` (a truncation, a crash).
  absl::Status LoadProducerState(std::vector<int64_t> offsets, bool replay_without_snapshot)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);
  absl::Status StorageError(const absl::Status& cause, std::string_view what) const;
  // Returns StorageError(cause, what) and takes the log offline.
  absl::Status GoOffline(const absl::Status& cause, std::string_view what)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);

  Options options_;
  Env* const env_;
  LogRecoveryInfo recovery_info_;

  // Serialises writers: append, roll, truncate, retention, flush, close.
  mutable Mutex append_mu_;
  // Set under append_mu_; read by readers without it.
  std::atomic<bool> closed_{false};
  // Set when a flush or a write that could not be undone failed: after that
  // the file contents are unknown (a failed fsync may have dropped pages), so
  // the log refuses writes until it is reopened and recovered — Kafka takes
  // the log dir offline the same way.
  absl::Status offline_ ABSL_GUARDED_BY(append_mu_);
  bool dir_needs_sync_ ABSL_GUARDED_BY(append_mu_) = false;
  int64_t unflushed_records_ ABSL_GUARDED_BY(append_mu_) = 0;
  // Idempotent producers (producer_state.h), and the offsets of the
  // .snapshot files of them in the directory.
  ProducerStateManager producers_ ABSL_GUARDED_BY(append_mu_);
  std::vector<int64_t> snapshot_offsets_ ABSL_GUARDED_BY(append_mu_);

  // Guards what readers look at; held only briefly, never across file I/O.
  mutable SharedMutex mu_;
  std::map<Offset, std::shared_ptr<LogSegment>> segments_ ABSL_GUARDED_BY(mu_);
  Offset log_start_offset_ ABSL_GUARDED_BY(mu_);
  Offset log_end_offset_ ABSL_GUARDED_BY(mu_);
  int64_t leo_position_ ABSL_GUARDED_BY(mu_) = 0;  // active segment's size at the LEO
  Offset high_watermark_ ABSL_GUARDED_BY(mu_);
  Offset recovery_point_ ABSL_GUARDED_BY(mu_);
  int64_t last_flush_time_ms_ ABSL_GUARDED_BY(mu_) = 0;
  LogConfig config_ ABSL_GUARDED_BY(mu_);
  uint64_t truncations_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace samsa
