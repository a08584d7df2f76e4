// LogConfig: the per-topic settings that govern one partition's log, with
// Kafka's names and defaults (a topic config overrides the broker's log.*
// default of the same meaning).
//
// Thread-safety: a plain value. A Log copies it; Log::UpdateConfig replaces it.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "record/record_batch_format.h"

namespace samsa {

enum class CleanupPolicy { kDelete, kCompact, kCompactDelete };

struct LogConfig {
  static constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();

  int64_t segment_bytes = 1LL << 30;               // segment.bytes (log.segment.bytes)
  int64_t segment_ms = 7LL * 24 * 3600 * 1000;     // segment.ms (log.roll.ms / log.roll.hours=168)
  int64_t segment_jitter_ms = 0;                   // segment.jitter.ms
  int64_t segment_index_bytes = 10LL << 20;        // segment.index.bytes (log.index.size.max.bytes)
  int32_t index_interval_bytes = 4096;             // index.interval.bytes
  int64_t retention_bytes = -1;                    // retention.bytes (-1: no size limit)
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;   // retention.ms (log.retention.hours=168; -1: forever)
  int64_t flush_messages = kNoLimit;               // flush.messages (log.flush.interval.messages)
  int64_t flush_ms = kNoLimit;                     // flush.ms (log.flush.interval.ms)
  int32_t max_message_bytes = 1048588;             // max.message.bytes (message.max.bytes)
  record::TimestampType message_timestamp_type =   // message.timestamp.type
      record::TimestampType::kCreateTime;
  CleanupPolicy cleanup_policy = CleanupPolicy::kDelete;  // cleanup.policy
  int64_t file_delete_delay_ms = 60000;            // file.delete.delay.ms
  int64_t delete_retention_ms = 24LL * 3600 * 1000;  // delete.retention.ms
  double min_cleanable_dirty_ratio = 0.5;          // min.cleanable.dirty.ratio
  int64_t min_compaction_lag_ms = 0;               // min.compaction.lag.ms
  int64_t max_compaction_lag_ms = kNoLimit;        // max.compaction.lag.ms
  int32_t min_insync_replicas = 1;                 // min.insync.replicas
  std::string compression_type = "producer";       // compression.type
  // How far a CreateTime record's timestamp may be from the broker's clock
  // (INVALID_TIMESTAMP otherwise); see TimestampBeforeMaxMs().
  int64_t timestamp_difference_max_ms = kNoLimit;  // message.timestamp.difference.max.ms
  int64_t timestamp_before_max_ms = kNoLimit;      // message.timestamp.before.max.ms
  int64_t timestamp_after_max_ms = kNoLimit;       // message.timestamp.after.max.ms
  // Whether a Fetch v0-3 (an old client) gets the magic-2 batches converted
  // down to its message format; if not, UNSUPPORTED_VERSION.
  bool message_downconversion_enable = true;       // message.downconversion.enable
  // Broker-wide (not a topic config): an idempotent producer idle this long
  // is forgotten.
  int64_t producer_id_expiration_ms = 86400000;    // producer.id.expiration.ms

  bool compact() const { return cleanup_policy != CleanupPolicy::kDelete; }
  // Kafka 3.6's LogConfig (KIP-937): before/after.max.ms when set (not
  // Long.MAX_VALUE), else the older difference.max.ms, for either side.
  int64_t TimestampBeforeMaxMs() const {
    return timestamp_before_max_ms != kNoLimit ? timestamp_before_max_ms : timestamp_difference_max_ms;
  }
  int64_t TimestampAfterMaxMs() const {
    return timestamp_after_max_ms != kNoLimit ? timestamp_after_max_ms : timestamp_difference_max_ms;
  }
};

// The broker-wide settings of the log cleaner (kafka.log.CleanerConfig), with
// Kafka's names and defaults.
struct LogCleanerConfig {
  bool enable = true;                          // log.cleaner.enable
  int32_t threads = 1;                         // log.cleaner.threads
  int64_t dedupe_buffer_size = 128LL << 20;    // log.cleaner.dedupe.buffer.size
  double io_buffer_load_factor = 0.9;          // log.cleaner.io.buffer.load.factor
  int64_t backoff_ms = 15000;                  // log.cleaner.backoff.ms
};

}  // namespace samsa
