#include "log/log_cleaner.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "log/batch_iterator.h"
#include "record/compression.h"
#include "record/crc32c.h"
#include "record/varint.h"
#include "samsa/errors.h"
#include "util/endian.h"
#include "util/logging.h"
#include "util/scheduler.h"
#include "util/status_macros.h"

namespace samsa {

using record::RecordBatchView;
using record::RecordView;

// --- FilterBatch ---------------------------------------------------------------------

absl::StatusOr<FilteredBatch> FilterBatch(const RecordBatchView& batch,
                                          const std::function<bool(const RecordView&)>& retain) {
  FilteredBatch out;
  SAMSA_ASSIGN_OR_RETURN(record::RecordReader reader, record::RecordReader::Open(batch));
  const std::string_view data = reader.records_data();
  // The retained records, uncompressed, byte for byte: with baseOffset and
  // baseTimestamp unchanged their deltas stay right.
  std::string kept;
  int64_t max_timestamp = -1;
  size_t position = 0;
  RecordView rec;
  while (true) {
    SAMSA_ASSIGN_OR_RETURN(bool more, reader.Next(&rec));
    if (!more) break;
    // The reader has validated this record, so its length varint is sound.
    int32_t length = 0;
    const char* body = record::GetVarint(data.data() + position, data.data() + data.size(), &length);
    const size_t end = static_cast<size_t>(body - data.data()) + static_cast<size_t>(length);
    if (retain(rec)) {
      kept.append(data.substr(position, end - position));
      max_timestamp = std::max(max_timestamp, rec.timestamp);
      ++out.retained;
    } else {
      ++out.removed;
    }
    position = end;
  }
  if (out.removed == 0) {
    out.kind = FilteredBatch::kAll;
    out.max_timestamp = batch.max_timestamp();
    return out;
  }
  if (out.retained == 0) {
    out.kind = FilteredBatch::kNone;
    return out;
  }
  out.kind = FilteredBatch::kSome;
  if (batch.timestamp_type() == record::TimestampType::kLogAppendTime) {
    max_timestamp = batch.max_timestamp();
  }
  out.max_timestamp = max_timestamp;
  std::string& bytes = out.bytes;
  bytes.assign(batch.bytes().substr(0, record::kBatchHeaderSize));
  if (batch.compression() == record::CompressionType::kNone) {
    bytes.append(kept);
  } else {
    SAMSA_RETURN_IF_ERROR(record::Compress(batch.compression(), kept, &bytes));
  }
  char* h = bytes.data();
  StoreBE32(h + record::kBatchLengthPos, static_cast<uint32_t>(bytes.size() - record::kLogOverhead));
  StoreBE64(h + record::kMaxTimestampPos, static_cast<uint64_t>(max_timestamp));
  StoreBE32(h + record::kRecordsCountPos, static_cast<uint32_t>(out.retained));
  StoreBE32(h + record::kCrcPos,
            record::Crc32cExtend(0, h + record::kAttributesPos, bytes.size() - record::kAttributesPos));
  return out;
}

// --- LogCleaner ------------------------------------------------------------------------

LogCleaner::LogCleaner(Options options) : options_(std::move(options)), env_(options_.env) {
  MutexLock lock(&mu_);
  checkpoint_ = options_.checkpoint;
}

LogCleaner::~LogCleaner() { Shutdown(); }

void LogCleaner::Startup() {
  if (!options_.config.enable) return;
  MutexLock lock(&scheduler_mu_);
  if (scheduler_ != nullptr) return;
  stopping_.store(false);
  scheduler_ = std::make_unique<Scheduler>(env_->clock(), 1, "log-cleaner");
  const absl::Duration backoff = absl::Milliseconds(std::max<int64_t>(options_.config.backoff_ms, 1));
  scheduler_->SchedulePeriodic("log-cleaner", backoff, backoff, [this] {
    if (!stopping_.load()) CleanLogs();
  });
}

void LogCleaner::Shutdown() {
  stopping_.store(true);
  std::unique_ptr<Scheduler> scheduler;
  {
    MutexLock lock(&scheduler_mu_);
    scheduler = std::move(scheduler_);
  }
  if (scheduler != nullptr) scheduler->Shutdown();
}

void LogCleaner::AwaitIdle() {
  MutexLock lock(&scheduler_mu_);
  if (scheduler_ != nullptr) scheduler_->AwaitIdle();
}

std::map<TopicPartition, Offset> LogCleaner::checkpoint() const {
  MutexLock lock(&mu_);
  return checkpoint_;
}

void LogCleaner::RemoveLog(const TopicPartition& tp) {
  {
    MutexLock lock(&mu_);
    aborting_ = tp;
  }
  { MutexLock pass(&pass_mu_); }  // a pass over tp stops at its next batch
  MutexLock lock(&mu_);
  aborting_.reset();
  checkpoint_.erase(tp);
}

absl::Status LogCleaner::CheckNotAborted(const Log& log) const {
  if (stopping_.load()) {
    return absl::AbortedError(fmt::format("{}: cleaning stopped: shutting down", log.name()));
  }
  MutexLock lock(&mu_);
  if (aborting_ && aborting_->topic == log.topic() && aborting_->partition == log.partition()) {
    return absl::AbortedError(fmt::format("{}: cleaning stopped: log removed", log.name()));
  }
  return absl::OkStatus();
}

Offset LogCleaner::FirstDirtyOffset(const Log& log, Offset log_start, Offset log_end) const {
  MutexLock lock(&mu_);
  auto it = checkpoint_.find(TopicPartition{log.topic(), log.partition()});
  if (it == checkpoint_.end()) return log_start;
  // Kafka resets a checkpoint below the log start or past the log end (a
  // truncated log) to the log start.
  if (it->second < log_start || it->second > log_end) return log_start;
  return it->second;
}

CleanableLog LogCleaner::Cleanable(const Log& log) const {
  const LogConfig config = log.config();
  const Log::SegmentsSnapshot snapshot = log.Snapshot();
  const auto& segments = snapshot.segments;
  const int64_t now_ms = env_->clock()->NowMs();
  CleanableLog c;
  c.first_dirty_offset =
      FirstDirtyOffset(log, snapshot.log_start_offset, snapshot.log_end_offset);
  // The segment holding the first dirty offset, and the non-active ones after it.
  size_t first_dirty_index = 0;
  while (first_dirty_index + 1 < segments.size() &&
         segments[first_dirty_index + 1]->base_offset() <= c.first_dirty_offset) {
    ++first_dirty_index;
  }
  Offset first_uncleanable = std::min(segments.back()->base_offset(), snapshot.high_watermark);
  if (config.min_compaction_lag_ms > 0) {
    for (size_t i = first_dirty_index; i + 1 < segments.size(); ++i) {
      if (segments[i]->LargestTimestamp() > now_ms - config.min_compaction_lag_ms) {
        first_uncleanable = std::min(first_uncleanable, segments[i]->base_offset());
        break;
      }
    }
  }
  c.first_uncleanable_offset = first_uncleanable;
  for (const auto& segment : segments) {
    if (segment->base_offset() < c.first_dirty_offset) c.clean_bytes += segment->size();
  }
  if (first_uncleanable > c.first_dirty_offset) {
    for (size_t i = first_dirty_index;
         i < segments.size() && segments[i]->base_offset() < first_uncleanable; ++i) {
      c.dirty_bytes += segments[i]->size();
    }
  }
  const int64_t total = c.clean_bytes + c.dirty_bytes;
  c.dirty_ratio = total == 0 ? 0.0 : static_cast<double>(c.dirty_bytes) / static_cast<double>(total);
  // max.compaction.lag.ms: how long the oldest dirty record has waited past it.
  std::optional<int64_t> earliest;
  for (size_t i = first_dirty_index; i + 1 < segments.size(); ++i) {
    std::optional<int64_t> ts = segments[i]->first_batch_timestamp();
    if (ts && *ts > 0) earliest = std::min(earliest.value_or(*ts), *ts);
  }
  const int64_t clean_until = now_ms - std::max<int64_t>(config.max_compaction_lag_ms, 0);
  if (earliest && *earliest < clean_until) c.compaction_delay_ms = clean_until - *earliest;
  c.needs_cleaning = config.compact() &&
                     ((c.compaction_delay_ms > 0 && c.dirty_bytes > 0) ||
                      c.dirty_ratio > config.min_cleanable_dirty_ratio);
  return c;
}

absl::StatusOr<CleanerStats> LogCleaner::CleanOnce(Log& log, bool force) {
  MutexLock pass(&pass_mu_);
  SAMSA_RETURN_IF_ERROR(CheckNotAborted(log));
  const CleanableLog cleanable = Cleanable(log);
  CleanerStats stats;
  stats.log = log.name();
  stats.dirty_ratio = cleanable.dirty_ratio;
  stats.first_dirty_offset = stats.end_offset = cleanable.first_dirty_offset;
  const bool qualifies =
      cleanable.needs_cleaning ||
      (force && log.config().compact() && cleanable.dirty_bytes > 0 &&
       cleanable.first_uncleanable_offset > cleanable.first_dirty_offset);
  if (!qualifies) return stats;
  return Clean(log, cleanable);
}

std::vector<CleanerStats> LogCleaner::CleanLogs() {
  std::vector<std::pair<double, std::shared_ptr<Log>>> candidates;
  for (const auto& [tp, log] : options_.logs()) {
    if (!log->config().compact()) continue;
    const CleanableLog c = Cleanable(*log);
    if (c.needs_cleaning) candidates.emplace_back(c.dirty_ratio, log);
  }
  // The filthiest first.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<CleanerStats> done;
  for (const auto& [ratio, log] : candidates) {
    if (stopping_.load()) break;
    absl::StatusOr<CleanerStats> stats = CleanOnce(*log);
    if (!stats.ok()) {
      if (absl::IsAborted(stats.status())) {
        SAMSA_LOG(kInfo, "{}", std::string(stats.status().message()));
      } else {
        SAMSA_LOG(kWarning, "{}: cleaning failed: {}", log->name(),
                  std::string(stats.status().message()));
      }
      continue;
    }
    if (stats->cleaned) done.push_back(*std::move(stats));
  }
  return done;
}

absl::Status LogCleaner::BuildOffsetMap(const Log& log,
                                        const std::vector<std::shared_ptr<LogSegment>>& segments,
                                        Offset start, Offset end, CleanerStats* stats) {
  map_->Clear();
  for (size_t i = 0; i < segments.size(); ++i) {
    const LogSegment& segment = *segments[i];
    const Offset next_start =
        i + 1 < segments.size() ? std::min(segments[i + 1]->base_offset(), end) : end;
    if (next_start <= start || segment.base_offset() >= end) continue;
    SAMSA_RETURN_IF_ERROR(CheckNotAborted(log));
    const int64_t from = segment.offset_index().Lookup(start).position;
    BatchIterator it(segment.log_file(), from, segment.size(), BatchIterator::Mode::kVerifiedCrc);
    while (true) {
      SAMSA_ASSIGN_OR_RETURN(BatchIterator::Step step, it.Next());
      if (step.kind == BatchIterator::Step::kEnd) break;
      if (step.kind == BatchIterator::Step::kInvalid) {
        return absl::DataLossError(fmt::format("{}: corrupt batch at position {}: {}",
                                               segment.log_path(), it.position(), step.reason));
      }
      const LocatedBatch& b = step.located;
      if (b.base_offset >= next_start.value()) break;
      if (b.last_offset < start.value()) continue;
      stats->bytes_read += b.size;
      if (!b.batch->is_control()) {
        SAMSA_ASSIGN_OR_RETURN(record::RecordReader reader, record::RecordReader::Open(*b.batch));
        RecordView rec;
        while (true) {
          SAMSA_ASSIGN_OR_RETURN(bool more, reader.Next(&rec));
          if (!more) break;
          if (rec.key && rec.offset >= start.value() && !map_->Put(*rec.key, rec.offset)) {
            // Full: clean up to the last batch mapped whole, as Kafka does.
            stats->map_full = true;
            return absl::OkStatus();
          }
        }
      }
      map_->UpdateLatestOffset(b.last_offset);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<CleanerStats> LogCleaner::Clean(Log& log, const CleanableLog& cleanable) {
  const int64_t started_ms = env_->clock()->NowMs();
  const LogConfig config = log.config();
  CleanerStats stats;
  stats.log = log.name();
  stats.cleaned = true;
  stats.dirty_ratio = cleanable.dirty_ratio;
  stats.first_dirty_offset = cleanable.first_dirty_offset;

  // What is cleaned must be durable first: a crash must not keep a cleaned
  // segment and lose the newer records that made it drop older ones.
  SAMSA_RETURN_IF_ERROR(log.FlushUpTo(cleanable.first_uncleanable_offset));
  const Log::SegmentsSnapshot snapshot = log.Snapshot();
  // Never the active segment.
  std::vector<std::shared_ptr<LogSegment>> segments(snapshot.segments.begin(),
                                                    snapshot.segments.end() - 1);
  if (map_ == nullptr) {
    const int64_t memory =
        options_.config.dedupe_buffer_size / std::max<int32_t>(options_.config.threads, 1);
    map_ = std::make_unique<OffsetMap>(memory, options_.config.io_buffer_load_factor);
  }

  // The delete horizon: from the last segment of the clean section.
  for (const auto& segment : segments) {
    if (segment->base_offset() >= cleanable.first_dirty_offset) break;
    stats.delete_horizon_ms = segment->LargestTimestamp() - config.delete_retention_ms;
  }

  SAMSA_RETURN_IF_ERROR(BuildOffsetMap(log, segments, cleanable.first_dirty_offset,
                                       cleanable.first_uncleanable_offset, &stats));
  stats.map_entries = map_->size();
  const Offset end(map_->latest_offset() + 1);
  if (end <= cleanable.first_dirty_offset) {
    return absl::ResourceExhaustedError(fmt::format(
        "{}: the offset map ({} entries, log.cleaner.dedupe.buffer.size) cannot hold the keys "
        "of the batch at offset {}",
        log.name(), map_->max_entries(), cleanable.first_dirty_offset.value()));
  }
  stats.end_offset = end;

  // Group the segments below `end` so that each cleaned segment stays under
  // segment.bytes, the index size and 2^31 offsets (Kafka's groupSegmentsBySize).
  std::vector<std::shared_ptr<LogSegment>> to_clean;
  for (const auto& segment : segments) {
    if (segment->base_offset() < end) to_clean.push_back(segment);
  }
  const size_t max_offset_entries = static_cast<size_t>(config.segment_index_bytes / 8);
  const size_t max_time_entries = static_cast<size_t>(config.segment_index_bytes / 12);
  size_t i = 0;
  while (i < to_clean.size()) {
    std::vector<std::shared_ptr<LogSegment>> group = {to_clean[i]};
    int64_t log_size = to_clean[i]->size();
    size_t offset_entries = to_clean[i]->offset_index().entries();
    size_t time_entries = to_clean[i]->time_index().entries();
    ++i;
    while (i < to_clean.size()) {
      const LogSegment& next = *to_clean[i];
      // The last offset `next` may hold: up to the following segment's base.
      const Offset next_end = i + 1 < segments.size() ? segments[i + 1]->base_offset()
                                                      : cleanable.first_uncleanable_offset;
      const bool fits =
          log_size + next.size() <= config.segment_bytes &&
          offset_entries + next.offset_index().entries() <= max_offset_entries &&
          time_entries + next.time_index().entries() <= max_time_entries &&
          (next.size() == 0 || (next_end - 1) - group.front()->base_offset() <=
                                   std::numeric_limits<int32_t>::max());
      if (!fits) break;
      group.push_back(to_clean[i]);
      log_size += next.size();
      offset_entries += next.offset_index().entries();
      time_entries += next.time_index().entries();
      ++i;
    }
    SAMSA_RETURN_IF_ERROR(CleanGroup(log, snapshot, group, stats.delete_horizon_ms, &stats));
  }

  {
    MutexLock lock(&mu_);
    checkpoint_[TopicPartition{log.topic(), log.partition()}] = end;
  }
  if (options_.write_checkpoint) {
    absl::Status s = options_.write_checkpoint(checkpoint());
    if (!s.ok()) {
      SAMSA_LOG(kWarning, "{}: writing the cleaner checkpoint failed: {}", log.name(),
                std::string(s.message()));
    }
  }
  stats.elapsed_ms = env_->clock()->NowMs() - started_ms;
  SAMSA_LOG(kInfo,
            "{}: cleaned offsets [{}, {}) in {} segment(s) into {}: read {} bytes, wrote {} "
            "bytes; removed {} of {} records ({} tombstones, {} without a key); dirty ratio was "
            "{:.3f}; offset map {} entries{}; delete horizon {} ms; {} ms",
            stats.log, cleanable.first_dirty_offset.value(), end.value(), stats.segments_cleaned,
            stats.segments_written, stats.bytes_read, stats.bytes_written, stats.records_removed,
            stats.records_read, stats.tombstones_removed, stats.invalid_records, stats.dirty_ratio,
            stats.map_entries, stats.map_full ? " (full)" : "", stats.delete_horizon_ms,
            stats.elapsed_ms);
  return stats;
}

absl::Status LogCleaner::CleanGroup(Log& log, const Log::SegmentsSnapshot& snapshot,
                                    const std::vector<std::shared_ptr<LogSegment>>& group,
                                    int64_t delete_horizon_ms, CleanerStats* stats) {
  const LogConfig config = log.config();
  const Offset base = group.front()->base_offset();
  absl::StatusOr<std::shared_ptr<LogSegment>> created =
      LogSegment::Create(env_, log.dir(), base, config, ".cleaned");
  if (!created.ok()) {
    return KafkaError(ErrorCode::kKafkaStorageError,
                      fmt::format("{}: creating cleaned segment {}: {}", log.name(), base.value(),
                                  std::string(created.status().message())));
  }
  std::shared_ptr<LogSegment> cleaned = *std::move(created);
  const auto discard = [&](absl::Status why) {
    absl::Status deleted = cleaned->DeleteFiles();
    if (!deleted.ok()) {
      SAMSA_LOG(kWarning, "{}: could not delete {}: {}", log.name(), cleaned->log_path(),
                std::string(deleted.message()));
    }
    return why;
  };
  const int64_t latest_mapped = map_->latest_offset();
  for (const auto& old : group) {
    absl::Status live = CheckNotAborted(log);
    if (!live.ok()) return discard(live);
    // Kafka's retainDeletes: the segment is newer than the delete horizon.
    const bool retain_deletes = old->LargestTimestamp() > delete_horizon_ms;
    const auto retain = [&](const RecordView& rec) {
      ++stats->records_read;
      if (rec.offset > latest_mapped) return true;
      if (!rec.key) {
        ++stats->invalid_records;
        return false;
      }
      if (rec.offset < map_->Get(*rec.key)) return false;
      if (!rec.value && !retain_deletes) {
        ++stats->tombstones_removed;
        return false;
      }
      return true;
    };
    BatchIterator it(old->log_file(), 0, old->size(), BatchIterator::Mode::kVerifiedCrc);
    while (true) {
      absl::StatusOr<BatchIterator::Step> step = it.Next();
      if (!step.ok()) return discard(step.status());
      if (step->kind == BatchIterator::Step::kEnd) break;
      if (step->kind == BatchIterator::Step::kInvalid) {
        return discard(absl::DataLossError(fmt::format(
            "{}: corrupt batch at position {}: {}", old->log_path(), it.position(), step->reason)));
      }
      const LocatedBatch& b = step->located;
      stats->bytes_read += b.size;
      std::string_view bytes = b.batch->bytes();
      int64_t max_timestamp = b.max_timestamp;
      FilteredBatch filtered;
      if (!b.batch->is_control()) {
        absl::StatusOr<FilteredBatch> f = FilterBatch(*b.batch, retain);
        if (!f.ok()) {
          return discard(absl::DataLossError(fmt::format("{}: batch at offset {}: {}",
                                                         old->log_path(), b.base_offset,
                                                         std::string(f.status().message()))));
        }
        filtered = *std::move(f);
        stats->records_removed += filtered.removed;
        if (filtered.kind == FilteredBatch::kNone) continue;
        if (filtered.kind == FilteredBatch::kSome) bytes = filtered.bytes;
        max_timestamp = filtered.max_timestamp;
      }
      absl::Status appended = cleaned->Append(Offset(b.last_offset), max_timestamp,
                                              Offset(b.last_offset), bytes);
      if (!appended.ok()) return discard(appended);
    }
  }
  cleaned->OnBecomeInactive();
  absl::Status flushed = cleaned->Flush();
  if (!flushed.ok()) return discard(flushed);
  stats->bytes_written += cleaned->size();
  // Deletes the cleaned files itself when it aborts.
  SAMSA_RETURN_IF_ERROR(log.ReplaceSegments(cleaned, group, snapshot.truncations));
  stats->segments_cleaned += static_cast<int32_t>(group.size());
  ++stats->segments_written;
  return absl::OkStatus();
}

}  // namespace samsa
