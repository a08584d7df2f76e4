#include "log/log.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "record/record_batch.h"
#include "samsa/errors.h"
#include "util/endian.h"
#include "util/logging.h"
#include "util/status_macros.h"

namespace samsa {

using record::RecordBatchView;

namespace {

// Kafka's LogValidator refuses a keyless record for a compacted topic.
absl::Status CheckRecordsHaveKeys(const RecordBatchView& batch, const std::string& name) {
  if (batch.is_control()) return absl::OkStatus();
  SAMSA_ASSIGN_OR_RETURN(record::RecordReader reader, record::RecordReader::Open(batch));
  record::RecordView rec;
  while (true) {
    SAMSA_ASSIGN_OR_RETURN(bool more, reader.Next(&rec));
    if (!more) return absl::OkStatus();
    if (!rec.key.has_value()) {
      return KafkaError(ErrorCode::kInvalidRecord,
                        fmt::format("Compacted topic cannot accept message without key in topic "
                                    "partition {}.",
                                    name));
    }
  }
}

// Kafka's LogValidator.validateTimestamp for a producer's batch: a batch
// may not claim LogAppendTime (the broker's to set), and with
// message.timestamp.type=CreateTime no record's timestamp (other than -1,
// NO_TIMESTAMP) may lie more than message.timestamp.before.max.ms before
// the broker's clock or after.max.ms past it. Refused: INVALID_TIMESTAMP.
absl::Status CheckTimestamps(const RecordBatchView& batch, const record::RecordTimestamps& ts,
                             const LogConfig& config, Clock* clock, const std::string& name) {
  if (batch.timestamp_type() == record::TimestampType::kLogAppendTime) {
    return KafkaError(ErrorCode::kInvalidTimestamp,
                      fmt::format("{}: invalid timestamp type in the batch at offset {}. Producer "
                                  "should not set timestamp type to LogAppendTime.",
                                  name, batch.base_offset()));
  }
  if (config.message_timestamp_type != record::TimestampType::kCreateTime) return absl::OkStatus();
  const int64_t before = config.TimestampBeforeMaxMs();
  const int64_t after = config.TimestampAfterMaxMs();
  if (before == LogConfig::kNoLimit && after == LogConfig::kNoLimit) return absl::OkStatus();
  const int64_t now = clock->NowMs();
  // In 128 bits: a timestamp may be any int64.
  const auto out_of_range = [&](int64_t t) {
    if (t == record::kNoTimestamp) return false;
    const __int128 d = static_cast<__int128>(now) - t;
    return d > before || -d > after;
  };
  if (!out_of_range(ts.min) && !out_of_range(ts.max)) return absl::OkStatus();
  // Name the first record out of range, as Kafka's RecordError does.
  int64_t offset = batch.base_offset();
  int64_t timestamp = out_of_range(ts.min) ? ts.min : ts.max;
  SAMSA_ASSIGN_OR_RETURN(record::RecordReader reader, record::RecordReader::Open(batch));
  record::RecordView rec;
  while (true) {
    SAMSA_ASSIGN_OR_RETURN(bool more, reader.Next(&rec));
    if (!more) break;
    if (out_of_range(rec.timestamp)) {
      offset = rec.offset;
      timestamp = rec.timestamp;
      break;
    }
  }
  const auto clamp = [](__int128 v) {
    return static_cast<int64_t>(std::clamp<__int128>(v, std::numeric_limits<int64_t>::min(),
                                                     std::numeric_limits<int64_t>::max()));
  };
  return KafkaError(ErrorCode::kInvalidTimestamp,
                    fmt::format("{}: timestamp {} of message with offset {} is out of range. The "
                                "timestamp should be within [{}, {}]",
                                name, timestamp, offset, clamp(static_cast<__int128>(now) - before),
                                clamp(static_cast<__int128>(now) + after)));
}

// BrokerCompressionType.targetCompression: the codec a producer's batch is
// stored with under the topic's compression.type; nullopt for "producer"
// (the batch's own).
std::optional<record::CompressionType> TopicCompression(const std::string& type) {
  if (type == "producer") return std::nullopt;
  if (type == "uncompressed") return record::CompressionType::kNone;
  if (type == "gzip") return record::CompressionType::kGzip;
  if (type == "snappy") return record::CompressionType::kSnappy;
  if (type == "lz4") return record::CompressionType::kLz4;
  if (type == "zstd") return record::CompressionType::kZstd;
  return std::nullopt;  // refused by the config parser
}

// Kafka's LogValidator.buildRecordsAndAssignOffsets: the batch's records
// (timestamps, keys, values, headers) in a new batch compressed with
// `codec`, keeping the producer id, epoch, base sequence and transactional
// flag. Offsets are assigned in place afterwards, as for any batch.
absl::StatusOr<std::string> Recompress(const RecordBatchView& batch,
                                       record::CompressionType codec) {
  record::RecordBatchOptions options;
  options.compression = codec;
  options.producer_id = batch.producer_id();
  options.producer_epoch = batch.producer_epoch();
  options.base_sequence = batch.base_sequence();
  options.transactional = batch.is_transactional();
  record::RecordBatchBuilder builder(options);
  SAMSA_ASSIGN_OR_RETURN(record::RecordReader reader, record::RecordReader::Open(batch));
  record::RecordView rec;
  std::vector<record::RecordHeader> headers;
  while (true) {
    SAMSA_ASSIGN_OR_RETURN(bool more, reader.Next(&rec));
    if (!more) break;
    headers.clear();
    for (const record::RecordHeaderView& h : rec.headers) headers.push_back({h.key, h.value});
    builder.Append(rec.timestamp, rec.key, rec.value, headers);
  }
  return builder.Build();
}

}  // namespace

Log::Log(Options options) : options_(std::move(options)), env_(options_.env) {
  WriterLock lock(&mu_);
  config_ = options_.config;
}

Log::~Log() {
  absl::Status s = Close();
  if (!s.ok() && ErrorCodeOf(s) != ErrorCode::kKafkaStorageError) {
    SAMSA_LOG(kWarning, "{}: close failed: {}", name(), std::string(s.message()));
  }
}

std::string Log::name() const { return fmt::format("{}-{}", options_.topic, options_.partition); }

absl::Status Log::StorageError(const absl::Status& cause, std::string_view what) const {
  return KafkaError(ErrorCode::kKafkaStorageError,
                    fmt::format("{}: {}: {}", name(), what, std::string(cause.message())));
}

absl::Status Log::CheckOpenLocked() const {
  if (closed_.load()) return KafkaError(ErrorCode::kKafkaStorageError, fmt::format("{}: log is closed", name()));
  return offline_;
}

absl::Status Log::GoOffline(const absl::Status& cause, std::string_view what) {
  absl::Status error = StorageError(cause, what);
  if (offline_.ok()) {
    offline_ = KafkaError(ErrorCode::kKafkaStorageError,
                          fmt::format("{}: offline after an I/O error ({}); reopen to recover",
                                      name(), std::string(error.message())));
    SAMSA_LOG(kError, "{}", std::string(offline_.message()));
  }
  return error;
}

std::shared_ptr<LogSegment> Log::ActiveSegment() const {
  ReaderLock lock(&mu_);
  return segments_.rbegin()->second;
}

// --- Append ----------------------------------------------------------------------

absl::StatusOr<LogAppendInfo> Log::AppendAsLeader(std::string records, int32_t leader_epoch,
                                                  AppendOrigin origin) {
  return Append(absl::MakeSpan(records), /*assign_offsets=*/true, leader_epoch, origin);
}

absl::StatusOr<LogAppendInfo> Log::AppendAsLeader(absl::Span<char> records, int32_t leader_epoch,
                                                  AppendOrigin origin) {
  return Append(records, /*assign_offsets=*/true, leader_epoch, origin);
}

absl::StatusOr<LogAppendInfo> Log::AppendAsFollower(std::string records) {
  return Append(absl::MakeSpan(records), /*assign_offsets=*/false, -1, AppendOrigin::kReplication);
}

absl::StatusOr<LogAppendInfo> Log::Append(absl::Span<char> records, bool assign_offsets,
                                          int32_t leader_epoch, AppendOrigin origin) {
  const LogConfig config = this->config();
  LogAppendInfo info;

  // Validate every batch before anything is written (Kafka's analyzeAndValidateRecords).
  struct Parsed {
    size_t position;
    size_t size;
    int32_t records;
    int64_t max_timestamp;
    // A producer's batch whose maxTimestamp is taken from its records.
    bool from_records = false;
    // The batch rebuilt with the topic's compression.type, if it was.
    std::string rebuilt;
    // An idempotent producer's batch (producer_id >= 0) from a client.
    ProducerStateManager::BatchInfo producer;
  };
  std::vector<Parsed> batches;
  const std::optional<record::CompressionType> topic_compression =
      TopicCompression(config.compression_type);
  bool any_rebuilt = false;
  bool any_producer = false;
  {
    size_t pos = 0;
    while (pos < records.size()) {
      std::string_view rest(records.data() + pos, records.size() - pos);
      absl::StatusOr<RecordBatchView> batch =
          RecordBatchView::Parse(rest, /*verify_crc=*/origin != AppendOrigin::kLocalProducer);
      if (!batch.ok()) {
        return KafkaError(ErrorCode::kCorruptMessage,
                          fmt::format("{}: batch at byte {} of the append: {}", name(), pos,
                                      std::string(batch.status().message())));
      }
      if (static_cast<int64_t>(batch->size_in_bytes()) > config.max_message_bytes) {
        return KafkaError(ErrorCode::kMessageTooLarge,
                          fmt::format("{}: batch of {} bytes exceeds max.message.bytes {}", name(),
                                      batch->size_in_bytes(), config.max_message_bytes));
      }
      Parsed parsed{pos, batch->size_in_bytes(), batch->last_offset_delta() + 1,
                    batch->max_timestamp()};
      if (origin == AppendOrigin::kClient || origin == AppendOrigin::kLocalProducer) {
        record::RecordTimestamps timestamps;
        absl::Status valid =
            record::ValidateRecords(*batch, /*require_dense_offsets=*/true, &timestamps);
        if (!valid.ok()) {
          return KafkaError(ErrorCode::kCorruptMessage,
                            fmt::format("{}: {}", name(), std::string(valid.message())));
        }
        if (config.compact()) SAMSA_RETURN_IF_ERROR(CheckRecordsHaveKeys(*batch, name()));
        SAMSA_RETURN_IF_ERROR(CheckTimestamps(*batch, timestamps, config, env_->clock(), name()));
        // Kafka's LogValidator sets a producer's batch's maxTimestamp from
        // its records: the time index, ListOffsets by time and time-based
        // retention must not trust the header (sarama 1.22 sends -1).
        parsed.max_timestamp = timestamps.max;
        parsed.from_records = true;
        if (topic_compression && *topic_compression != batch->compression()) {
          SAMSA_ASSIGN_OR_RETURN(parsed.rebuilt, Recompress(*batch, *topic_compression));
          // Kafka checks the size again after a recompression.
          if (static_cast<int64_t>(parsed.rebuilt.size()) > config.max_message_bytes) {
            return KafkaError(
                ErrorCode::kMessageTooLarge,
                fmt::format("{}: batch of {} bytes, {} with compression.type {}, exceeds "
                            "max.message.bytes {}",
                            name(), batch->size_in_bytes(), parsed.rebuilt.size(),
                            config.compression_type, config.max_message_bytes));
          }
          any_rebuilt = true;
        }
      }
      // Idempotent producers' batches: checked when from a client, and
      // remembered from any origin, as Kafka's followers do (here, a
      // partition that ReassignPartition copies batch by batch with
      // AppendAsFollower arrives with its producers).
      if (batch->producer_id() >= 0 && batch->base_sequence() < 0 &&
          (origin == AppendOrigin::kClient || origin == AppendOrigin::kLocalProducer)) {
        // LogValidator.validateBatch.
        return KafkaError(ErrorCode::kInvalidRecord,
                          fmt::format("{}: invalid sequence number {} in record batch with "
                                      "producerId {}",
                                      name(), batch->base_sequence(), batch->producer_id()));
      }
      if (batch->producer_id() >= 0 && !batch->is_control() &&
          origin != AppendOrigin::kCoordinator) {
        parsed.producer = {batch->producer_id(), batch->producer_epoch(), batch->base_sequence(),
                           batch->last_offset_delta() + 1};
        any_producer = true;
      }
      batches.push_back(std::move(parsed));
      pos += batch->size_in_bytes();
    }
  }
  // The append's bytes when a batch was rebuilt (the caller's are left as
  // they were).
  std::string recompressed;
  if (any_rebuilt) {
    size_t total = 0;
    for (const Parsed& b : batches) total += b.rebuilt.empty() ? b.size : b.rebuilt.size();
    recompressed.reserve(total);
    for (Parsed& b : batches) {
      const size_t at = recompressed.size();
      if (b.rebuilt.empty()) {
        recompressed.append(records.data() + b.position, b.size);
      } else {
        recompressed.append(b.rebuilt);
        b.size = b.rebuilt.size();
        std::string().swap(b.rebuilt);
      }
      b.position = at;
    }
    records = absl::MakeSpan(recompressed);
  }
  if (static_cast<int64_t>(records.size()) > config.segment_bytes) {
    return KafkaError(ErrorCode::kRecordListTooLarge,
                      fmt::format("{}: an append of {} bytes exceeds segment.bytes {}", name(),
                                  records.size(), config.segment_bytes));
  }

  MutexLock append_lock(&append_mu_);
  SAMSA_RETURN_IF_ERROR(CheckOpenLocked());
  if (batches.empty()) {
    info.first_offset = info.last_offset = log_end_offset() - 1;
    info.log_start_offset = log_start_offset();
    return info;
  }
  const Offset leo = log_end_offset();
  const int64_t now_ms = env_->clock()->NowMs();
  const bool log_append_time =
      config.message_timestamp_type == record::TimestampType::kLogAppendTime &&
      origin != AppendOrigin::kReplication;

  // Idempotent producers' batches, checked against a copy of their state
  // (ProducerStateManager), merged back once the append is written. A
  // retried batch is answered with the offsets it was stored at, and nothing
  // is written (UnifiedLog.analyzeAndValidateProducerState).
  std::optional<ProducerStateManager> producers;
  if (any_producer) {
    std::vector<int64_t> ids;
    for (const Parsed& b : batches) {
      if (b.producer.producer_id >= 0) ids.push_back(b.producer.producer_id);
    }
    producers = producers_.Subset(ids);
    const bool from_client =
        origin == AppendOrigin::kClient || origin == AppendOrigin::kLocalProducer;
    Offset at = leo;
    for (const Parsed& b : batches) {
      if (!assign_offsets) {
        at = Offset(static_cast<int64_t>(
            LoadBE64(records.data() + b.position + record::kBaseOffsetPos)));
      }
      const Offset last = at + (b.records - 1);
      if (b.producer.producer_id >= 0 && from_client) {
        SAMSA_ASSIGN_OR_RETURN(std::optional<ProducerBatchMetadata> duplicate,
                               producers->Check(b.producer, name()));
        if (duplicate) {
          info.first_offset = Offset(duplicate->first_offset);
          info.last_offset = Offset(duplicate->last_offset);
          info.max_timestamp = duplicate->timestamp;
          info.log_append_time = log_append_time ? duplicate->timestamp : -1;
          info.log_start_offset = log_start_offset();
          info.duplicate = true;
          return info;
        }
      }
      if (b.producer.producer_id >= 0) {
        producers->Update(b.producer, at.value(), last.value(),
                          log_append_time ? now_ms : b.max_timestamp);
      }
      at = last + 1;
    }
  }

  int64_t max_timestamp = -1;
  Offset offset_of_max_timestamp;
  Offset next = leo;
  for (const Parsed& b : batches) {
    char* batch = records.data() + b.position;
    Offset base, last;
    if (assign_offsets) {
      base = next;
      last = next + (b.records - 1);
      record::SetBaseOffset(batch, base.value());
      if (leader_epoch >= 0) record::SetPartitionLeaderEpoch(batch, leader_epoch);
      if (log_append_time) {
        record::SetLogAppendTime(batch, now_ms);
      } else if (b.from_records) {
        record::SetCreateTimeMaxTimestamp(batch, b.max_timestamp);
      }
    } else {
      RecordBatchView view = *RecordBatchView::Parse(std::string_view(batch, b.size), false);
      base = Offset(view.base_offset());
      last = Offset(view.last_offset());
      if (base < next) {
        return KafkaError(ErrorCode::kInvalidRecord,
                          fmt::format("{}: batch at offset {} does not follow offset {}", name(),
                                      base.value(), next.value() - 1));
      }
    }
    const int64_t ts = log_append_time ? now_ms : b.max_timestamp;
    if (ts > max_timestamp) {
      max_timestamp = ts;
      offset_of_max_timestamp = last;
    }
    if (info.num_batches == 0) info.first_offset = base;
    info.last_offset = last;
    info.num_records += b.records;
    ++info.num_batches;
    next = last + 1;
  }
  info.max_timestamp = max_timestamp;
  info.offset_of_max_timestamp = offset_of_max_timestamp;
  info.log_append_time = log_append_time ? now_ms : -1;
  info.valid_bytes = static_cast<int64_t>(records.size());

  // Roll when this append would overflow the segment, when it is old enough,
  // or when an index is full (Kafka's LogSegment.shouldRoll).
  std::shared_ptr<LogSegment> segment = ActiveSegment();
  const int64_t messages_size = static_cast<int64_t>(records.size());
  const bool should_roll =
      segment->size() > config.segment_bytes - messages_size ||
      (segment->size() > 0 && segment->TimeWaitedForRoll(now_ms, max_timestamp) >
                                  config.segment_ms - config.segment_jitter_ms) ||
      segment->offset_index().IsFull() || segment->time_index().IsFull() ||
      !segment->CanConvertToRelativeOffset(info.last_offset);
  if (should_roll) {
    SAMSA_RETURN_IF_ERROR(RollLocked(info.first_offset.value()));
    segment = ActiveSegment();
  }

  absl::Status written =
      segment->Append(info.last_offset, max_timestamp, offset_of_max_timestamp,
                      std::string_view(records.data(), records.size()));
  if (!written.ok()) {
    // DataLoss: the write failed and the file could not be cut back.
    return absl::IsDataLoss(written) ? GoOffline(written, "append failed")
                                     : StorageError(written, "append failed");
  }
  {
    WriterLock lock(&mu_);
    log_end_offset_ = info.last_offset + 1;
    leo_position_ = segment->size();
    info.log_start_offset = log_start_offset_;
  }
  if (producers) producers_.Merge(*producers);
  unflushed_records_ += info.num_records;
  if (unflushed_records_ >= config.flush_messages) {
    SAMSA_RETURN_IF_ERROR(FlushLocked(info.last_offset + 1));
  }
  return info;
}

// --- Read ------------------------------------------------------------------------

absl::StatusOr<LogReadInfo> Log::Read(Offset start_offset, int64_t max_bytes, Offset max_offset,
                                      bool min_one_batch) const {
  LogReadInfo info;
  info.fetch_offset = start_offset;
  std::vector<std::shared_ptr<LogSegment>> candidates;
  int64_t leo_position;
  {
    if (closed_.load()) {
      return KafkaError(ErrorCode::kKafkaStorageError, fmt::format("{}: log is closed", name()));
    }
    ReaderLock lock(&mu_);
    info.log_start_offset = log_start_offset_;
    info.log_end_offset = log_end_offset_;
    info.high_watermark = high_watermark_;
    leo_position = leo_position_;
    if (start_offset < log_start_offset_ || start_offset > log_end_offset_) {
      return KafkaError(ErrorCode::kOffsetOutOfRange,
                        fmt::format("{}: offset {} is outside the log [{}, {}]", name(),
                                    start_offset.value(), log_start_offset_.value(),
                                    log_end_offset_.value()));
    }
    auto it = segments_.upper_bound(start_offset);
    if (it != segments_.begin()) --it;
    for (; it != segments_.end(); ++it) candidates.push_back(it->second);
  }
  max_offset = std::min(max_offset, info.log_end_offset);
  if (start_offset >= max_offset) return info;

  for (size_t i = 0; i < candidates.size(); ++i) {
    const LogSegment& segment = *candidates[i];
    if (segment.base_offset() >= max_offset) break;
    // The bytes of this segment below max_offset (a batch boundary: the high
    // watermark or the LEO).
    int64_t max_position;
    if (i + 1 < candidates.size() && candidates[i + 1]->base_offset() <= max_offset) {
      max_position = segment.size();
    } else if (max_offset == info.log_end_offset) {
      max_position = leo_position;
    } else {
      const OffsetPosition from = segment.offset_index().Lookup(max_offset);
      absl::StatusOr<std::optional<BatchLocation>> at =
          segment.TranslateOffset(max_offset, from.position, segment.size());
      if (!at.ok()) return StorageError(at.status(), "read failed");
      max_position = at->has_value() ? (*at)->position : segment.size();
    }
    absl::StatusOr<std::optional<SegmentReadResult>> read =
        segment.Read(start_offset, max_bytes, max_position, min_one_batch);
    if (!read.ok()) return StorageError(read.status(), "read failed");
    if (read->has_value()) {
      info.records = std::move((*read)->records);
      info.more_available = (*read)->more || (i + 1 < candidates.size() &&
                                              candidates[i + 1]->base_offset() < max_offset);
      return info;
    }
  }
  return info;
}

absl::StatusOr<std::optional<TimestampOffset>> Log::FetchOffsetByTimestamp(int64_t timestamp) const {
  std::vector<std::shared_ptr<LogSegment>> segments;
  Offset log_start, log_end;
  {
    ReaderLock lock(&mu_);
    log_start = log_start_offset_;
    log_end = log_end_offset_;
    for (const auto& [base, segment] : segments_) segments.push_back(segment);
  }
  if (timestamp == kEarliestTimestamp) return TimestampOffset{-1, log_start};
  if (timestamp == kLatestTimestamp) return TimestampOffset{-1, log_end};
  if (timestamp == kMaxTimestamp) {
    const LogSegment* best = nullptr;
    for (const auto& segment : segments) {
      if (segment->max_timestamp_so_far() >= 0 &&
          (best == nullptr || segment->max_timestamp_so_far() > best->max_timestamp_so_far())) {
        best = segment.get();
      }
    }
    if (best == nullptr) return std::nullopt;
    // The first record carrying the largest timestamp.
    absl::StatusOr<std::optional<TimestampOffset>> found =
        best->FindOffsetByTimestamp(best->max_timestamp_so_far(), log_start);
    if (!found.ok()) return StorageError(found.status(), "timestamp lookup failed");
    return *found;
  }
  if (timestamp < 0) {
    return KafkaError(ErrorCode::kInvalidRequest,
                      fmt::format("{}: invalid timestamp {} to look up", name(), timestamp));
  }
  for (const auto& segment : segments) {
    if (segment->LargestTimestamp() < timestamp) continue;
    absl::StatusOr<std::optional<TimestampOffset>> found =
        segment->FindOffsetByTimestamp(timestamp, log_start);
    if (!found.ok()) return StorageError(found.status(), "timestamp lookup failed");
    if (found->has_value()) return *found;
  }
  return std::nullopt;
}

// --- Accessors -------------------------------------------------------------------

Offset Log::log_start_offset() const {
  ReaderLock lock(&mu_);
  return log_start_offset_;
}
Offset Log::log_end_offset() const {
  ReaderLock lock(&mu_);
  return log_end_offset_;
}
Offset Log::high_watermark() const {
  ReaderLock lock(&mu_);
  return high_watermark_;
}
Offset Log::recovery_point() const {
  ReaderLock lock(&mu_);
  return recovery_point_;
}
void Log::UpdateHighWatermark(Offset high_watermark) {
  WriterLock lock(&mu_);
  high_watermark_ = std::clamp(high_watermark, log_start_offset_, log_end_offset_);
}
bool Log::MaybeIncrementHighWatermark(Offset high_watermark) {
  WriterLock lock(&mu_);
  const Offset target = std::min(high_watermark, log_end_offset_);
  if (target <= high_watermark_) return false;
  high_watermark_ = target;
  return true;
}
int64_t Log::size_in_bytes() const {
  ReaderLock lock(&mu_);
  int64_t total = 0;
  for (const auto& [base, segment] : segments_) total += segment->size();
  return total;
}
int32_t Log::num_segments() const {
  ReaderLock lock(&mu_);
  return static_cast<int32_t>(segments_.size());
}
std::vector<Offset> Log::segment_base_offsets() const {
  ReaderLock lock(&mu_);
  std::vector<Offset> bases;
  for (const auto& [base, segment] : segments_) bases.push_back(base);
  return bases;
}
int64_t Log::last_flush_time_ms() const {
  ReaderLock lock(&mu_);
  return last_flush_time_ms_;
}
LogConfig Log::config() const {
  ReaderLock lock(&mu_);
  return config_;
}
void Log::UpdateConfig(const LogConfig& config) {
  WriterLock lock(&mu_);
  config_ = config;
}

// --- Roll, flush -----------------------------------------------------------------

absl::Status Log::Roll() {
  MutexLock lock(&append_mu_);
  SAMSA_RETURN_IF_ERROR(CheckOpenLocked());
  return RollLocked(std::nullopt);
}

absl::Status Log::RollLocked(std::optional<int64_t> expected_next_offset) {
  std::shared_ptr<LogSegment> active = ActiveSegment();
  const Offset new_base = log_end_offset();
  if (active->base_offset() == new_base) {
    // Kafka: an empty active segment at the same base is reused.
    if (active->size() == 0) return absl::OkStatus();
    return KafkaError(ErrorCode::kKafkaStorageError,
                      fmt::format("{}: cannot roll: segment {} already exists", name(),
                                  new_base.value()));
  }
  active->OnBecomeInactive();
  absl::StatusOr<std::shared_ptr<LogSegment>> segment =
      LogSegment::Create(env_, options_.dir, new_base, config());
  if (!segment.ok()) return StorageError(segment.status(), "roll failed");
  {
    WriterLock lock(&mu_);
    segments_.emplace(new_base, *segment);
    leo_position_ = 0;
  }
  dir_needs_sync_ = true;
  SAMSA_LOG(kDebug, "{}: rolled new segment at offset {}", name(), new_base.value());
  // Kafka takes a producer snapshot at every roll, so that a restart replays
  // at most the active segment.
  if (!producers_.empty()) TakeProducerSnapshotLocked(new_base);
  return absl::OkStatus();
}

void Log::TakeProducerSnapshotLocked(Offset offset) {
  const std::string path =
      JoinPath(options_.dir, ProducerStateManager::SnapshotFileName(offset.value()));
  absl::Status written = WriteFileAtomically(env_, path, producers_.EncodeSnapshot());
  if (!written.ok()) {
    // Only an optimisation: a restart replays more of the log instead.
    SAMSA_LOG(kWarning, "{}: writing producer snapshot {} failed: {}", name(), path,
              written.ToString());
    return;
  }
  std::erase(snapshot_offsets_, offset.value());
  snapshot_offsets_.push_back(offset.value());
  std::sort(snapshot_offsets_.begin(), snapshot_offsets_.end());
  // The newest two: the older one serves when a crash leaves the newest past
  // the recovered log end.
  while (snapshot_offsets_.size() > 2) {
    DeleteProducerSnapshot(snapshot_offsets_.front());
    snapshot_offsets_.erase(snapshot_offsets_.begin());
  }
}

void Log::DeleteProducerSnapshot(int64_t offset) {
  const std::string path = JoinPath(options_.dir, ProducerStateManager::SnapshotFileName(offset));
  absl::Status s = env_->DeleteFile(path);
  if (!s.ok() && env_->FileExists(path)) {
    SAMSA_LOG(kWarning, "{}: deleting producer snapshot {} failed: {}", name(), path, s.ToString());
  }
}

void Log::DeleteProducerSnapshotsAfterLocked(Offset offset) {
  while (!snapshot_offsets_.empty() && snapshot_offsets_.back() > offset.value()) {
    DeleteProducerSnapshot(snapshot_offsets_.back());
    snapshot_offsets_.pop_back();
  }
}

absl::Status Log::Flush() {
  MutexLock lock(&append_mu_);
  SAMSA_RETURN_IF_ERROR(CheckOpenLocked());
  return FlushLocked(log_end_offset());
}

absl::Status Log::FlushUpTo(Offset offset) {
  MutexLock lock(&append_mu_);
  SAMSA_RETURN_IF_ERROR(CheckOpenLocked());
  return FlushLocked(std::min(offset, log_end_offset()));
}

absl::Status Log::FlushLocked(Offset offset) {
  std::vector<std::shared_ptr<LogSegment>> to_flush;
  {
    ReaderLock lock(&mu_);
    if (offset <= recovery_point_ && !dir_needs_sync_) return absl::OkStatus();
    if (offset > recovery_point_) {
      // Segments holding offsets in [recovery point, offset).
      auto it = segments_.upper_bound(recovery_point_);
      if (it != segments_.begin()) --it;
      for (; it != segments_.end() && it->first < offset; ++it) to_flush.push_back(it->second);
    }
  }
  for (const auto& segment : to_flush) {
    absl::Status s = segment->Flush();
    if (!s.ok()) return GoOffline(s, "flush failed");
  }
  if (dir_needs_sync_) {
    absl::Status s = env_->SyncDir(options_.dir);
    if (!s.ok()) return GoOffline(s, "directory sync failed");
    dir_needs_sync_ = false;
  }
  WriterLock lock(&mu_);
  recovery_point_ = std::max(recovery_point_, offset);
  last_flush_time_ms_ = env_->clock()->NowMs();
  if (offset >= log_end_offset_) unflushed_records_ = 0;
  return absl::OkStatus();
}

// --- Truncation --------------------------------------------------------------------

absl::StatusOr<Offset> Log::Truncate(Offset offset) {
  MutexLock append_lock(&append_mu_);
  SAMSA_RETURN_IF_ERROR(CheckOpenLocked());
  if (offset < Offset(0)) {
    return KafkaError(ErrorCode::kInvalidRequest,
                      fmt::format("{}: cannot truncate to negative offset {}", name(), offset.value()));
  }
  if (offset >= log_end_offset()) return log_end_offset();
  std::vector<std::shared_ptr<LogSegment>> doomed;
  std::shared_ptr<LogSegment> keep;
  {
    ReaderLock lock(&mu_);
    if (offset <= segments_.begin()->first || offset < log_start_offset_) keep = nullptr;
    else keep = std::prev(segments_.upper_bound(offset))->second;
  }
  if (keep == nullptr) {
    SAMSA_RETURN_IF_ERROR(TruncateFullyAndStartAtLocked(offset));
    return offset;
  }
  {
    WriterLock lock(&mu_);
    ++truncations_;
    for (auto it = segments_.upper_bound(keep->base_offset()); it != segments_.end();) {
      doomed.push_back(it->second);
      it = segments_.erase(it);
    }
  }
  for (const auto& segment : doomed) SAMSA_RETURN_IF_ERROR(DeleteSegmentFiles(segment, "truncation"));
  absl::StatusOr<int64_t> removed = keep->TruncateTo(offset);
  if (!removed.ok()) return StorageError(removed.status(), "truncate failed");
  absl::StatusOr<Offset> next = keep->ReadNextOffset();
  if (!next.ok()) return StorageError(next.status(), "truncate failed");
  {
    WriterLock lock(&mu_);
    log_end_offset_ = *next;
    leo_position_ = keep->size();
    high_watermark_ = std::min(high_watermark_, log_end_offset_);
    recovery_point_ = std::min(recovery_point_, log_end_offset_);
    log_start_offset_ = std::min(log_start_offset_, log_end_offset_);
  }
  SAMSA_LOG(kInfo, "{}: truncated to offset {} (log end offset now {})", name(), offset.value(),
            next->value());
  // Kafka's truncateAndReload: the producers' state again from the newest
  // snapshot at or below the new log end, and the batches after it.
  DeleteProducerSnapshotsAfterLocked(*next);
  producers_.Clear();
  SAMSA_RETURN_IF_ERROR(LoadProducerState(snapshot_offsets_, /*replay_without_snapshot=*/true));
  return *next;
}

absl::Status Log::TruncateFullyAndStartAt(Offset offset) {
  MutexLock lock(&append_mu_);
  SAMSA_RETURN_IF_ERROR(CheckOpenLocked());
  return TruncateFullyAndStartAtLocked(offset);
}

absl::Status Log::TruncateFullyAndStartAtLocked(Offset offset) {
  std::vector<std::shared_ptr<LogSegment>> doomed;
  {
    ReaderLock lock(&mu_);
    for (const auto& [base, segment] : segments_) doomed.push_back(segment);
  }
  // Create the new segment first so the log is never without one; a stale
  // segment at the same base is replaced by Create.
  for (const auto& segment : doomed) {
    if (segment->base_offset() != offset) {
      SAMSA_RETURN_IF_ERROR(DeleteSegmentFiles(segment, "full truncation"));
    }
  }
  absl::StatusOr<std::shared_ptr<LogSegment>> fresh =
      LogSegment::Create(env_, options_.dir, offset, config());
  if (!fresh.ok()) return StorageError(fresh.status(), "truncate failed");
  dir_needs_sync_ = true;
  producers_.Clear();
  DeleteProducerSnapshotsAfterLocked(Offset(-1));
  WriterLock lock(&mu_);
  ++truncations_;
  segments_.clear();
  segments_.emplace(offset, *fresh);
  log_start_offset_ = log_end_offset_ = high_watermark_ = recovery_point_ = offset;
  leo_position_ = 0;
  SAMSA_LOG(kInfo, "{}: truncated fully; starting again at offset {}", name(), offset.value());
  return absl::OkStatus();
}

// --- Retention ---------------------------------------------------------------------

absl::StatusOr<Offset> Log::DeleteRecordsBefore(Offset offset) {
  MutexLock append_lock(&append_mu_);
  SAMSA_RETURN_IF_ERROR(CheckOpenLocked());
  {
    WriterLock lock(&mu_);
    if (offset == Offset(-1)) offset = high_watermark_;
    if (offset < Offset(0) || offset > high_watermark_) {
      return KafkaError(ErrorCode::kOffsetOutOfRange,
                        fmt::format("{}: cannot delete records before offset {}: the high "
                                    "watermark is {}",
                                    name(), offset.value(), high_watermark_.value()));
    }
    if (offset <= log_start_offset_) return log_start_offset_;
    log_start_offset_ = offset;
  }
  SAMSA_LOG(kInfo, "{}: log start offset moved to {} by a delete-records request", name(),
            offset.value());
  // The predicates run under mu_: they must not call accessors that lock it.
  SAMSA_RETURN_IF_ERROR(DeleteSegmentsWhile(
                            [offset](const LogSegment&, std::optional<Offset> next_base) {
                              return next_base && *next_base <= offset;
                            },
                            "below the log start offset")
                            .status());
  producers_.TruncateHead(log_start_offset().value());
  return log_start_offset();
}

absl::StatusOr<int32_t> Log::DeleteOldSegments() {
  MutexLock lock(&append_mu_);
  SAMSA_RETURN_IF_ERROR(CheckOpenLocked());
  const LogConfig config = this->config();
  int32_t deleted = 0;
  if (config.cleanup_policy != CleanupPolicy::kCompact) {
    if (config.retention_ms >= 0) {
      const int64_t now_ms = env_->clock()->NowMs();
      SAMSA_ASSIGN_OR_RETURN(
          int32_t n, DeleteSegmentsWhile(
                         [&](const LogSegment& segment, std::optional<Offset>) {
                           return now_ms - segment.LargestTimestamp() > config.retention_ms;
                         },
                         "past retention.ms"));
      deleted += n;
    }
    if (config.retention_bytes >= 0) {
      int64_t excess = size_in_bytes() - config.retention_bytes;
      SAMSA_ASSIGN_OR_RETURN(int32_t n, DeleteSegmentsWhile(
                                            [&](const LogSegment& segment, std::optional<Offset>) {
                                              if (excess - segment.size() < 0) return false;
                                              excess -= segment.size();
                                              return true;
                                            },
                                            "past retention.bytes"));
      deleted += n;
    }
  }
  const Offset log_start = log_start_offset();  // stable: changed only under append_mu_
  SAMSA_ASSIGN_OR_RETURN(int32_t n, DeleteSegmentsWhile(
                                        [log_start](const LogSegment&, std::optional<Offset> next_base) {
                                          return next_base && *next_base <= log_start;
                                        },
                                        "below the log start offset"));
  // Producers whose batches are gone, or idle past producer.id.expiration.ms.
  producers_.TruncateHead(log_start_offset().value());
  producers_.Expire(env_->clock()->NowMs(), config.producer_id_expiration_ms);
  return deleted + n;
}

absl::StatusOr<int32_t> Log::DeleteSegmentsWhile(
    const std::function<bool(const LogSegment&, std::optional<Offset> next_base)>& predicate,
    const char* reason) {
  // Oldest first, stopping at the first segment the predicate spares, at an
  // empty active segment, and at any segment not wholly below the high
  // watermark (Kafka's deletableSegments).
  std::vector<std::shared_ptr<LogSegment>> deletable;
  {
    ReaderLock lock(&mu_);
    for (auto it = segments_.begin(); it != segments_.end(); ++it) {
      auto next = std::next(it);
      const std::optional<Offset> next_base =
          next == segments_.end() ? std::nullopt : std::optional<Offset>(next->first);
      const Offset upper_bound = next_base.value_or(log_end_offset_);
      const bool is_last_and_empty = !next_base && it->second->size() == 0;
      if (is_last_and_empty || high_watermark_ < upper_bound || !predicate(*it->second, next_base)) {
        break;
      }
      deletable.push_back(it->second);
    }
  }
  if (deletable.empty()) return 0;
  // Deleting every segment: roll first so that an (empty) active segment
  // remains, as Kafka does.
  if (deletable.size() == static_cast<size_t>(num_segments())) {
    SAMSA_RETURN_IF_ERROR(RollLocked(std::nullopt));
  }
  {
    WriterLock lock(&mu_);
    for (const auto& segment : deletable) segments_.erase(segment->base_offset());
    log_start_offset_ = std::max(log_start_offset_, segments_.begin()->first);
    high_watermark_ = std::max(high_watermark_, log_start_offset_);
    // Only up to the first segment kept: it may hold unflushed bytes below the
    // log start, and a recovery point past them would let recovery trust them.
    recovery_point_ = std::max(recovery_point_, segments_.begin()->first);
  }
  for (const auto& segment : deletable) SAMSA_RETURN_IF_ERROR(DeleteSegmentFiles(segment, reason));
  return static_cast<int32_t>(deletable.size());
}

absl::Status Log::DeleteSegmentFiles(const std::shared_ptr<LogSegment>& segment,
                                     const char* reason) {
  // Kafka renames to .deleted first so that a crash mid-way leaves files that
  // the next start recognises and removes; readers holding the segment keep
  // their open handle.
  SAMSA_LOG(kInfo, "{}: deleting segment {} ({} bytes): {}", name(), segment->base_offset().value(),
            segment->size(), reason);
  absl::Status s = segment->ChangeFileSuffixes("", ".deleted");
  if (s.ok()) s = segment->DeleteFiles();
  if (!s.ok()) return StorageError(s, fmt::format("deleting segment {}", segment->base_offset().value()));
  return absl::OkStatus();
}

// --- Compaction's swap -----------------------------------------------------------------

Log::SegmentsSnapshot Log::Snapshot() const {
  SegmentsSnapshot snapshot;
  ReaderLock lock(&mu_);
  for (const auto& [base, segment] : segments_) snapshot.segments.push_back(segment);
  snapshot.log_start_offset = log_start_offset_;
  snapshot.log_end_offset = log_end_offset_;
  snapshot.high_watermark = high_watermark_;
  snapshot.truncations = truncations_;
  return snapshot;
}

absl::Status Log::ReplaceSegments(const std::shared_ptr<LogSegment>& cleaned,
                                  const std::vector<std::shared_ptr<LogSegment>>& old,
                                  uint64_t truncations) {
  const auto discard = [&](absl::Status why) {
    absl::Status deleted = cleaned->DeleteFiles();
    if (!deleted.ok()) {
      SAMSA_LOG(kWarning, "{}: could not delete the cleaned segment {}: {}", name(),
                cleaned->log_path(), std::string(deleted.message()));
    }
    return why;
  };
  if (old.empty() || old.front()->base_offset() != cleaned->base_offset()) {
    return discard(absl::InvalidArgumentError(
        fmt::format("{}: a cleaned segment must replace segments at its base offset", name())));
  }
  MutexLock append_lock(&append_mu_);
  absl::Status open = CheckOpenLocked();
  if (!open.ok()) return discard(open);
  {
    ReaderLock lock(&mu_);
    bool present = truncations_ == truncations;
    for (const auto& segment : old) {
      auto it = segments_.find(segment->base_offset());
      present = present && it != segments_.end() && it->second == segment &&
                std::next(it) != segments_.end();
    }
    if (!present) {
      return discard(absl::AbortedError(fmt::format(
          "{}: segments changed while being cleaned (truncation or retention); cleaning of "
          "segment {} abandoned",
          name(), cleaned->base_offset().value())));
    }
  }
  // 1. .cleaned -> .swap, durably: from here a crash completes the swap.
  absl::Status s = cleaned->ChangeFileSuffixes(".cleaned", ".swap");
  if (s.ok()) s = env_->SyncDir(options_.dir);
  if (!s.ok()) {
    // Nothing swapped yet; a .swap left on disk would be completed by the
    // next Open over segments that may have changed by then, so it must go.
    absl::Status deleted = cleaned->DeleteFiles();
    if (deleted.ok()) deleted = env_->SyncDir(options_.dir);
    if (!deleted.ok()) return GoOffline(s, "swapping in a cleaned segment");
    return StorageError(s, "swapping in a cleaned segment");
  }
  // 2. In memory.
  {
    WriterLock lock(&mu_);
    for (const auto& segment : old) segments_.erase(segment->base_offset());
    segments_.emplace(cleaned->base_offset(), cleaned);
  }
  // 3. Old files -> .deleted, durably before step 4 (so that no crash can
  // keep the final names of the cleaned segment beside the old segments),
  // then gone; 4. .swap -> final names, durably.
  for (const auto& segment : old) {
    s = segment->ChangeFileSuffixes("", ".deleted");
    if (!s.ok()) return GoOffline(s, "deleting a segment replaced by a cleaned one");
  }
  s = env_->SyncDir(options_.dir);
  if (!s.ok()) return GoOffline(s, "deleting a segment replaced by a cleaned one");
  for (const auto& segment : old) {
    s = segment->DeleteFiles();
    if (!s.ok()) return GoOffline(s, "deleting a segment replaced by a cleaned one");
  }
  s = cleaned->ChangeFileSuffixes(".swap", "");
  if (s.ok()) s = env_->SyncDir(options_.dir);
  if (!s.ok()) return GoOffline(s, "renaming a cleaned segment");
  return absl::OkStatus();
}

// --- Close, delete -------------------------------------------------------------------

absl::Status Log::Close() {
  MutexLock append_lock(&append_mu_);
  if (closed_.load()) {
    return KafkaError(ErrorCode::kKafkaStorageError, fmt::format("{}: log is closed", name()));
  }
  // An offline log is closed without a flush: its files are what recovery
  // will find.
  absl::Status flushed = offline_;
  if (flushed.ok()) {
    {
      ReaderLock lock(&mu_);
      for (const auto& [base, segment] : segments_) segment->OnBecomeInactive();
    }
    flushed = FlushLocked(log_end_offset());
    // A clean shutdown leaves the producers' state at the log end: the next
    // Open replays nothing.
    if (flushed.ok() && (!producers_.empty() || !snapshot_offsets_.empty())) {
      TakeProducerSnapshotLocked(log_end_offset());
    }
  }
  {
    // Indexes of segments below the recovery point may hold the entry just
    // added by OnBecomeInactive: write them all.
    ReaderLock lock(&mu_);
    for (const auto& [base, segment] : segments_) {
      if (flushed.ok()) flushed = segment->Flush();
      segment->Close();
    }
  }
  closed_.store(true);
  if (!flushed.ok()) return StorageError(flushed, "flush on close failed");
  return absl::OkStatus();
}

absl::Status Log::Delete() {
  absl::Status closed = Close();
  if (!closed.ok() && ErrorCodeOf(closed) != ErrorCode::kKafkaStorageError) return closed;
  {
    WriterLock lock(&mu_);
    segments_.clear();
  }
  absl::Status s = DeleteRecursively(env_, options_.dir);
  if (!s.ok()) return StorageError(s, "deleting the log directory failed");
  return absl::OkStatus();
}

}  // namespace samsa
