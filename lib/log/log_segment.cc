#include "log/log_segment.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "log/index_format.h"
#include "record/record_batch.h"
#include "util/endian.h"
#include "util/logging.h"
#include "util/status_macros.h"
#include "util/strings.h"

namespace samsa {
namespace {

using record::RecordBatchView;

constexpr size_t kScanChunkBytes = 64 << 10;

std::string PathFor(const std::string& dir, Offset base, std::string_view suffix) {
  return JoinPath(dir, SegmentFileStem(base) + std::string(suffix));
}

}  // namespace

std::string SegmentFileStem(Offset base_offset) {
  return fmt::format("{:020d}", base_offset.value());
}

std::optional<Offset> ParseSegmentName(std::string_view name, std::string_view suffix) {
  if (!EndsWith(name, suffix) || name.size() != 20 + suffix.size()) return std::nullopt;
  int64_t value = 0;
  for (char c : name.substr(0, 20)) {
    if (c < '0' || c > '9') return std::nullopt;
    if (value > (std::numeric_limits<int64_t>::max() - (c - '0')) / 10) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return Offset(value);
}

LogSegment::LogSegment(Env* env, std::string dir, Offset base_offset, const LogConfig& config,
                       std::unique_ptr<File> log_file, int64_t size,
                       std::string_view file_suffix)
    : env_(env),
      dir_(std::move(dir)),
      base_(base_offset),
      index_interval_bytes_(config.index_interval_bytes),
      log_path_(PathFor(dir_, base_offset, ".log") + std::string(file_suffix)),
      log_file_(std::move(log_file)),
      size_(size),
      offset_index_(env, PathFor(dir_, base_offset, ".index") + std::string(file_suffix),
                    base_offset, config.segment_index_bytes),
      time_index_(env, PathFor(dir_, base_offset, ".timeindex") + std::string(file_suffix),
                  base_offset, config.segment_index_bytes),
      created_ms_(env->clock()->NowMs()) {}

LogSegment::~LogSegment() { Close(); }

absl::StatusOr<std::shared_ptr<LogSegment>> LogSegment::Create(Env* env, const std::string& dir,
                                                               Offset base_offset,
                                                               const LogConfig& config,
                                                               std::string_view file_suffix) {
  SAMSA_ASSIGN_OR_RETURN(
      std::unique_ptr<File> file,
      env->OpenFile(PathFor(dir, base_offset, ".log") + std::string(file_suffix),
                    OpenMode::kTruncate));
  std::shared_ptr<LogSegment> segment(
      new LogSegment(env, dir, base_offset, config, std::move(file), 0, file_suffix));
  // Stale index files of an earlier segment with this base would be read by a
  // later Open: remove them now; Flush writes fresh ones.
  SAMSA_RETURN_IF_ERROR(segment->offset_index_.file().Delete());
  SAMSA_RETURN_IF_ERROR(segment->time_index_.file().Delete());
  return segment;
}

absl::StatusOr<std::shared_ptr<LogSegment>> LogSegment::Open(Env* env, const std::string& dir,
                                                             Offset base_offset,
                                                             const LogConfig& config,
                                                             bool* indexes_need_rebuild,
                                                             std::string_view file_suffix) {
  const std::string log_path = PathFor(dir, base_offset, ".log") + std::string(file_suffix);
  SAMSA_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                         env->OpenFile(log_path, OpenMode::kOpenExisting));
  SAMSA_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  std::shared_ptr<LogSegment> segment(new LogSegment(env, dir, base_offset, config,
                                                     std::move(file), static_cast<int64_t>(size),
                                                     file_suffix));
  *indexes_need_rebuild = false;
  absl::Status offset_index = segment->offset_index_.Load();
  if (offset_index.ok()) offset_index = segment->offset_index_.SanityCheck(segment->size());
  absl::Status time_index = segment->time_index_.Load();
  if (time_index.ok()) time_index = segment->time_index_.SanityCheck();
  if (!offset_index.ok() || !time_index.ok()) {
    // Kafka rebuilds an index that is missing or fails its sanity check.
    const absl::Status& why = !offset_index.ok() ? offset_index : time_index;
    if (!absl::IsNotFound(why) || size > 0) {
      SAMSA_LOG(kWarning, "segment {}: index needs a rebuild: {}", log_path,
                std::string(why.message()));
      *indexes_need_rebuild = true;
    }
    segment->offset_index_.file().Reset();
    segment->time_index_.file().Reset();
    return segment;
  }
  // Restore the in-memory state Kafka keeps: the largest timestamp (from the
  // time index's last entry), the first batch's timestamp for segment.ms, and
  // the bytes appended since the last index entry.
  {
    MutexLock lock(&segment->mu_);
    if (auto last = segment->time_index_.LastEntry()) {
      segment->max_timestamp_ = last->timestamp;
      segment->offset_of_max_timestamp_ = last->offset;
    }
  }
  if (size > 0) {
    BatchIterator it(segment->log_file_.get(), 0, static_cast<int64_t>(size),
                     BatchIterator::Mode::kHeaders, record::kBatchHeaderSize);
    SAMSA_ASSIGN_OR_RETURN(BatchIterator::Step first, it.Next());
    if (first.kind == BatchIterator::Step::kBatch) {
      MutexLock lock(&segment->mu_);
      segment->rolling_based_timestamp_ = first.located.max_timestamp;
    }
  }
  const auto last_entry = segment->offset_index_.LastEntry();
  segment->bytes_since_last_index_entry_ =
      static_cast<int64_t>(size) - (last_entry ? last_entry->position : 0);
  return segment;
}

absl::Status LogSegment::Append(Offset largest_offset, int64_t largest_timestamp,
                                Offset offset_of_max_timestamp, std::string_view records) {
  if (records.empty()) return absl::OkStatus();
  if (!CanConvertToRelativeOffset(largest_offset)) {
    return absl::InternalError(fmt::format("segment {}: offset {} is not within 2^31 of base {}",
                                           log_path_, largest_offset.value(), base_.value()));
  }
  const int64_t physical_position = size();
  absl::Status written = log_file_->Append(records);
  if (!written.ok()) {
    // Nothing half-written: cut the file back to where this append began.
    absl::Status undo = log_file_->Truncate(static_cast<uint64_t>(physical_position));
    if (!undo.ok()) {
      return absl::DataLossError(fmt::format(
          "append to {} failed ({}) and so did cutting it back to {} bytes ({})", log_path_,
          std::string(written.message()), physical_position, std::string(undo.message())));
    }
    return written;
  }
  int64_t max_ts, max_ts_offset;
  {
    MutexLock lock(&mu_);
    if (physical_position == 0) rolling_based_timestamp_ = largest_timestamp;
    if (largest_timestamp > max_timestamp_) {
      max_timestamp_ = largest_timestamp;
      offset_of_max_timestamp_ = offset_of_max_timestamp;
    }
    max_ts = max_timestamp_;
    max_ts_offset = offset_of_max_timestamp_.value();
  }
  if (bytes_since_last_index_entry_ > index_interval_bytes_) {
    offset_index_.Append(largest_offset, physical_position);
    time_index_.MaybeAppend(max_ts, Offset(max_ts_offset));
    bytes_since_last_index_entry_ = 0;
  }
  bytes_since_last_index_entry_ += static_cast<int64_t>(records.size());
  size_.store(physical_position + static_cast<int64_t>(records.size()), std::memory_order_release);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<BatchLocation>> LogSegment::TranslateOffset(
    Offset offset, int64_t starting_position, int64_t max_position) const {
  BatchIterator it(log_file_.get(), starting_position, std::min(max_position, size()),
                   BatchIterator::Mode::kHeaders, kScanChunkBytes);
  while (true) {
    SAMSA_ASSIGN_OR_RETURN(BatchIterator::Step step, it.Next());
    if (step.kind == BatchIterator::Step::kEnd) return std::nullopt;
    if (step.kind == BatchIterator::Step::kInvalid) {
      return absl::DataLossError(fmt::format("{}: corrupt batch at position {}: {}", log_path_,
                                             it.position(), step.reason));
    }
    const LocatedBatch& b = step.located;
    if (b.last_offset >= offset.value()) {
      return BatchLocation{Offset(b.base_offset), Offset(b.last_offset), b.position, b.size};
    }
  }
}

namespace {

// The length of the whole batches at the start of `bytes` (a read may end in
// a partial one).
size_t WholeBatchesPrefix(std::string_view bytes) {
  size_t end = 0;
  while (end + record::kBatchHeaderSize <= bytes.size()) {
    const int64_t batch_size =
        record::kLogOverhead +
        static_cast<int32_t>(LoadBE32(bytes.data() + end + record::kBatchLengthPos));
    if (batch_size < static_cast<int64_t>(record::kBatchHeaderSize) ||
        end + static_cast<size_t>(batch_size) > bytes.size()) {
      break;
    }
    end += static_cast<size_t>(batch_size);
  }
  return end;
}

}  // namespace

absl::StatusOr<std::optional<SegmentReadResult>> LogSegment::Read(Offset start_offset,
                                                                  int64_t max_bytes,
                                                                  int64_t max_position,
                                                                  bool min_one_batch) const {
  max_position = std::min(max_position, size());
  const OffsetPosition from = offset_index_.Lookup(start_offset);
  SAMSA_ASSIGN_OR_RETURN(std::optional<BatchLocation> first,
                         TranslateOffset(start_offset, from.position, max_position));
  if (!first) return std::nullopt;
  SegmentReadResult result;
  result.first_batch_base_offset = first->base_offset;
  result.position = first->position;
  const int64_t limit = min_one_batch ? std::max(max_bytes, first->size) : max_bytes;
  const int64_t want = std::min(max_position - first->position, limit);
  if (want < first->size) return result;  // the first batch does not fit
  // A view of the storage where it can be one (MemEnv: up to the end of the
  // chunk holding the first batch, which holds whole batches), rather than
  // a copy of everything asked for; the fetch is then shorter, as Kafka's
  // is at a segment's end. A copy only if the view would hold no whole batch.
  SAMSA_ASSIGN_OR_RETURN(SharedBytes bytes,
                         log_file_->ReadSharedPrefix(static_cast<uint64_t>(first->position),
                                                     static_cast<size_t>(want)));
  size_t end = WholeBatchesPrefix(bytes.view());
  if (end == 0 && bytes.size() < static_cast<size_t>(want)) {
    SAMSA_ASSIGN_OR_RETURN(bytes, log_file_->ReadShared(static_cast<uint64_t>(first->position),
                                                        static_cast<size_t>(want)));
    end = WholeBatchesPrefix(bytes.view());
  }
  result.more = bytes.size() < static_cast<size_t>(want);
  result.records = bytes.Slice(0, end);
  return result;
}

absl::StatusOr<std::optional<TimestampOffset>> LogSegment::FindOffsetByTimestamp(
    int64_t timestamp, Offset starting_offset) const {
  const TimestampOffset from_time = time_index_.Lookup(timestamp);
  const int64_t position =
      offset_index_.Lookup(std::max(from_time.offset, starting_offset)).position;
  BatchIterator it(log_file_.get(), position, size(), BatchIterator::Mode::kWholeBatch,
                   kScanChunkBytes);
  while (true) {
    SAMSA_ASSIGN_OR_RETURN(BatchIterator::Step step, it.Next());
    if (step.kind == BatchIterator::Step::kEnd) return std::nullopt;
    if (step.kind == BatchIterator::Step::kInvalid) {
      return absl::DataLossError(fmt::format("{}: corrupt batch at position {}: {}", log_path_,
                                             it.position(), step.reason));
    }
    const LocatedBatch& b = step.located;
    if (b.max_timestamp < timestamp || b.last_offset < starting_offset.value()) continue;
    SAMSA_ASSIGN_OR_RETURN(record::RecordReader reader, record::RecordReader::Open(*b.batch));
    record::RecordView rec;
    while (true) {
      SAMSA_ASSIGN_OR_RETURN(bool more, reader.Next(&rec));
      if (!more) break;
      if (rec.timestamp >= timestamp && rec.offset >= starting_offset.value()) {
        return TimestampOffset{rec.timestamp, Offset(rec.offset)};
      }
    }
  }
}

absl::StatusOr<SegmentRecoveryResult> LogSegment::Recover(bool truncate_invalid) {
  SegmentRecoveryResult result;
  result.next_offset = base_;
  const int64_t file_size = size();
  offset_index_.file().Reset();
  time_index_.file().Reset();
  int64_t max_ts = -1;
  Offset max_ts_offset = base_;
  int64_t last_index_entry = 0;
  std::optional<int64_t> first_timestamp;
  BatchIterator it(log_file_.get(), 0, file_size, BatchIterator::Mode::kVerifiedCrc);
  while (true) {
    SAMSA_ASSIGN_OR_RETURN(BatchIterator::Step step, it.Next());
    if (step.kind == BatchIterator::Step::kEnd) break;
    std::string problem = step.reason;
    if (step.kind == BatchIterator::Step::kBatch) {
      const LocatedBatch& b = step.located;
      if (b.base_offset < result.next_offset.value() || b.last_offset < b.base_offset) {
        problem = fmt::format("batch offsets [{}, {}] do not follow offset {}", b.base_offset,
                              b.last_offset, result.next_offset.value());
      } else if (!CanConvertToRelativeOffset(Offset(b.last_offset))) {
        problem = fmt::format("offset {} is not within 2^31 of the base", b.last_offset);
      }
    }
    if (!problem.empty()) {
      if (!truncate_invalid) {
        return absl::DataLossError(fmt::format("{}: corrupt batch at position {} in a synced "
                                               "segment: {}",
                                               log_path_, it.position(), problem));
      }
      result.problem = fmt::format("position {}: {}", it.position(), problem);
      break;
    }
    const LocatedBatch& b = step.located;
    if (!first_timestamp) first_timestamp = b.max_timestamp;
    if (b.max_timestamp > max_ts) {
      max_ts = b.max_timestamp;
      max_ts_offset = Offset(b.last_offset);
    }
    if (result.valid_bytes - last_index_entry > index_interval_bytes_) {
      offset_index_.Append(Offset(b.last_offset), result.valid_bytes);
      time_index_.MaybeAppend(max_ts, max_ts_offset);
      last_index_entry = result.valid_bytes;
    }
    result.valid_bytes += b.size;
    result.next_offset = Offset(b.last_offset + 1);
    ++result.batches;
  }
  result.truncated_bytes = file_size - result.valid_bytes;
  if (result.truncated_bytes > 0) {
    SAMSA_RETURN_IF_ERROR(log_file_->Truncate(static_cast<uint64_t>(result.valid_bytes)));
    size_.store(result.valid_bytes, std::memory_order_release);
  }
  // A cleanly closed segment always ends its time index with the largest
  // timestamp; a recovered one does too.
  if (max_ts >= 0) time_index_.MaybeAppend(max_ts, max_ts_offset, /*skip_full_check=*/true);
  {
    MutexLock lock(&mu_);
    max_timestamp_ = max_ts;
    offset_of_max_timestamp_ = max_ts_offset;
    rolling_based_timestamp_ = first_timestamp;
  }
  bytes_since_last_index_entry_ = result.valid_bytes - last_index_entry;
  return result;
}

absl::StatusOr<int64_t> LogSegment::TruncateTo(Offset offset) {
  const OffsetPosition from = offset_index_.Lookup(offset);
  SAMSA_ASSIGN_OR_RETURN(std::optional<BatchLocation> at,
                         TranslateOffset(offset, from.position, size()));
  if (!at) return 0;
  const int64_t old_size = size();
  offset_index_.TruncateTo(offset);
  time_index_.TruncateTo(offset);
  SAMSA_RETURN_IF_ERROR(log_file_->Truncate(static_cast<uint64_t>(at->position)));
  size_.store(at->position, std::memory_order_release);
  const auto last_entry = offset_index_.LastEntry();
  bytes_since_last_index_entry_ = at->position - (last_entry ? last_entry->position : 0);
  {
    MutexLock lock(&mu_);
    if (auto last = time_index_.LastEntry()) {
      max_timestamp_ = last->timestamp;
      offset_of_max_timestamp_ = last->offset;
    } else {
      max_timestamp_ = -1;
      offset_of_max_timestamp_ = base_;
    }
    if (at->position == 0) rolling_based_timestamp_.reset();
  }
  return old_size - at->position;
}

absl::StatusOr<Offset> LogSegment::ReadNextOffset() const {
  const auto last_entry = offset_index_.LastEntry();
  BatchIterator it(log_file_.get(), last_entry ? last_entry->position : 0, size(),
                   BatchIterator::Mode::kHeaders, kScanChunkBytes);
  Offset next = last_entry ? last_entry->offset + 1 : base_;
  while (true) {
    SAMSA_ASSIGN_OR_RETURN(BatchIterator::Step step, it.Next());
    if (step.kind == BatchIterator::Step::kEnd) return next;
    if (step.kind == BatchIterator::Step::kInvalid) {
      return absl::DataLossError(fmt::format("{}: corrupt batch at position {}: {}", log_path_,
                                             it.position(), step.reason));
    }
    next = Offset(step.located.last_offset + 1);
  }
}

absl::Status LogSegment::Flush() {
  SAMSA_RETURN_IF_ERROR(log_file_->Sync());
  SAMSA_RETURN_IF_ERROR(offset_index_.file().Flush());
  return time_index_.file().Flush();
}

void LogSegment::OnBecomeInactive() {
  MutexLock lock(&mu_);
  if (max_timestamp_ >= 0) {
    time_index_.MaybeAppend(max_timestamp_, offset_of_max_timestamp_, /*skip_full_check=*/true);
  }
}

absl::Status LogSegment::ChangeFileSuffixes(const std::string& from, const std::string& to) {
  const auto renamed = [&](const std::string& path) {
    std::string result = path;
    if (result.size() >= from.size() &&
        result.compare(result.size() - from.size(), from.size(), from) == 0) {
      result.replace(result.size() - from.size(), from.size(), to);
    }
    return result;
  };
  const std::string new_log = renamed(log_path_);
  SAMSA_RETURN_IF_ERROR(env_->RenameFile(log_path_, new_log));
  log_path_ = new_log;
  SAMSA_RETURN_IF_ERROR(offset_index_.file().Rename(renamed(offset_index_.file().path())));
  return time_index_.file().Rename(renamed(time_index_.file().path()));
}

absl::Status LogSegment::DeleteFiles() {
  Close();
  absl::Status status = env_->DeleteFile(log_path_);
  if (absl::IsNotFound(status)) status = absl::OkStatus();
  SAMSA_RETURN_IF_ERROR(status);
  SAMSA_RETURN_IF_ERROR(offset_index_.file().Delete());
  return time_index_.file().Delete();
}

void LogSegment::Close() {
  offset_index_.file().Close();
  time_index_.file().Close();
}

int64_t LogSegment::max_timestamp_so_far() const {
  MutexLock lock(&mu_);
  return max_timestamp_;
}

Offset LogSegment::offset_of_max_timestamp_so_far() const {
  MutexLock lock(&mu_);
  return offset_of_max_timestamp_;
}

int64_t LogSegment::LargestTimestamp() const {
  const int64_t max_ts = max_timestamp_so_far();
  return max_ts >= 0 ? max_ts : created_ms_;
}

int64_t LogSegment::TimeWaitedForRoll(int64_t now_ms, int64_t message_timestamp) const {
  MutexLock lock(&mu_);
  if (rolling_based_timestamp_ && *rolling_based_timestamp_ >= 0) {
    return message_timestamp - *rolling_based_timestamp_;
  }
  return now_ms - created_ms_;
}

std::optional<int64_t> LogSegment::first_batch_timestamp() const {
  if (size() == 0) return std::nullopt;
  MutexLock lock(&mu_);
  return rolling_based_timestamp_;
}

bool LogSegment::CanConvertToRelativeOffset(Offset offset) const {
  const int64_t relative = offset - base_;
  return relative >= 0 && relative <= std::numeric_limits<int32_t>::max();
}

}  // namespace samsa
