// Log::Open: loading segments and recovering after an unclean shutdown, as
// Kafka's LogLoader does.
#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "log/log.h"
#include "samsa/errors.h"
#include "util/logging.h"
#include "util/status_macros.h"
#include "util/strings.h"

namespace samsa {
namespace {

constexpr int64_t kLargeSegmentBytes = 64 << 20;

}  // namespace

absl::StatusOr<std::unique_ptr<Log>> Log::Open(Options options) {
  if (options.env == nullptr || options.dir.empty()) {
    return absl::InvalidArgumentError("Log::Open needs an env and a directory");
  }
  std::unique_ptr<Log> log(new Log(std::move(options)));
  SAMSA_RETURN_IF_ERROR(log->Load());
  return log;
}

// A crash during a compaction swap (Log::ReplaceSegments) leaves
// "<base>.log.swap": a complete, synced cleaned segment whose swap had begun.
// As Kafka's LogLoader, finish it: the segments it replaces are those whose
// base offset lies in [smallest swap base, largest swap next offset); delete
// them, then rename the swap into place. Index files of a swap are not
// trusted (a crash may stop between its renames): they are deleted and
// rebuilt from the .log. `*children` is updated to what is left.
absl::Status Log::CompleteInterruptedSwaps(std::vector<std::string>* children) {
  const std::string& dir = options_.dir;
  std::vector<Offset> swaps;
  for (const std::string& child : *children) {
    if (auto base = ParseSegmentName(child, ".log.swap")) swaps.push_back(*base);
  }
  if (!swaps.empty()) {
    LogConfig config;
    {
      ReaderLock lock(&mu_);
      config = config_;
    }
    Offset min_base = swaps.front(), max_next = swaps.front();
    for (Offset base : swaps) {
      bool rebuild = false;
      SAMSA_ASSIGN_OR_RETURN(std::shared_ptr<LogSegment> swap,
                             LogSegment::Open(env_, dir, base, config, &rebuild, ".swap"));
      SAMSA_ASSIGN_OR_RETURN(Offset next, swap->ReadNextOffset());
      swap->Close();
      min_base = std::min(min_base, base);
      max_next = std::max(max_next, next);
      SAMSA_LOG(kInfo, "{}: completing the interrupted swap of cleaned segment {}", name(),
                base.value());
    }
    const auto in_swap_range = [&](const std::string& child) {
      for (std::string_view suffix : {".log", ".index", ".timeindex"}) {
        if (auto base = ParseSegmentName(child, suffix)) {
          return *base >= min_base && (*base < max_next || *base == min_base);
        }
      }
      return false;
    };
    for (const std::string& child : *children) {
      if (in_swap_range(child) || EndsWith(child, ".index.swap") ||
          EndsWith(child, ".timeindex.swap")) {
        SAMSA_LOG(kInfo, "{}: removing {}, replaced by a cleaned segment", name(), child);
        SAMSA_RETURN_IF_ERROR(env_->DeleteFile(JoinPath(dir, child)));
      }
    }
    for (Offset base : swaps) {
      const std::string stem = JoinPath(dir, SegmentFileStem(base));
      SAMSA_RETURN_IF_ERROR(env_->RenameFile(stem + ".log.swap", stem + ".log"));
    }
    SAMSA_RETURN_IF_ERROR(env_->SyncDir(dir));
  } else {
    // Index swaps without their log: the log was renamed already (the swap's
    // last step); its indexes are rebuilt.
    for (const std::string& child : *children) {
      if (!EndsWith(child, ".swap")) continue;
      SAMSA_LOG(kInfo, "{}: removing leftover {}", name(), child);
      SAMSA_RETURN_IF_ERROR(env_->DeleteFile(JoinPath(dir, child)));
      const std::string stem = JoinPath(dir, child.substr(0, std::min<size_t>(child.size(), 20)));
      for (const char* index : {".index", ".timeindex"}) {
        if (env_->FileExists(stem + index)) SAMSA_RETURN_IF_ERROR(env_->DeleteFile(stem + index));
      }
    }
  }
  SAMSA_ASSIGN_OR_RETURN(*children, env_->GetChildren(dir));
  return absl::OkStatus();
}

absl::Status Log::Load() {
  const std::string& dir = options_.dir;
  SAMSA_RETURN_IF_ERROR(CreateDirs(env_, dir));
  SAMSA_ASSIGN_OR_RETURN(std::vector<std::string> children, env_->GetChildren(dir));

  SAMSA_RETURN_IF_ERROR(CompleteInterruptedSwaps(&children));

  // Leftovers of operations a crash interrupted: files being deleted,
  // temporary files of atomic writes, and a log cleaner's output that never
  // reached its swap (the segments it would replace are intact).
  std::vector<Offset> bases;
  std::vector<std::string> index_files;
  std::vector<int64_t> snapshots;  // producer snapshots' offsets
  for (const std::string& child : children) {
    if (EndsWith(child, ".deleted") || EndsWith(child, ".cleaned") || EndsWith(child, ".tmp")) {
      SAMSA_LOG(kInfo, "{}: removing leftover {}", name(), child);
      SAMSA_RETURN_IF_ERROR(env_->DeleteFile(JoinPath(dir, child)));
      continue;
    }
    if (auto base = ParseSegmentName(child, ".log")) {
      bases.push_back(*base);
    } else if (EndsWith(child, ".index") || EndsWith(child, ".timeindex")) {
      index_files.push_back(child);
    } else if (auto offset = ProducerStateManager::ParseSnapshotFileName(child)) {
      snapshots.push_back(*offset);
    }
  }
  std::sort(bases.begin(), bases.end());
  // Index files without their .log are orphans (Kafka deletes them too).
  for (const std::string& index : index_files) {
    const std::string stem = index.substr(0, index.find('.'));
    if (!std::binary_search(bases.begin(), bases.end(),
                            ParseSegmentName(stem + ".log", ".log").value_or(Offset(-1)))) {
      SAMSA_LOG(kInfo, "{}: removing orphan index {}", name(), index);
      SAMSA_RETURN_IF_ERROR(env_->DeleteFile(JoinPath(dir, index)));
    }
  }

  LogConfig config;
  {
    ReaderLock lock(&mu_);
    config = config_;
  }
  const Offset recovery_point = options_.recovery_point;
  recovery_info_.clean_shutdown = options_.had_clean_shutdown;
  recovery_info_.recovery_point_before = recovery_point;

  std::vector<std::shared_ptr<LogSegment>> loaded;
  for (size_t i = 0; i < bases.size(); ++i) {
    bool rebuild = false;
    SAMSA_ASSIGN_OR_RETURN(std::shared_ptr<LogSegment> segment,
                           LogSegment::Open(env_, dir, bases[i], config, &rebuild));
    if (rebuild) {
      // Below the recovery point every byte was synced: a bad batch there is
      // corruption to report, not a torn tail to cut.
      const bool synced = i + 1 < bases.size() && bases[i + 1] <= recovery_point;
      absl::StatusOr<SegmentRecoveryResult> r = segment->Recover(/*truncate_invalid=*/!synced);
      if (!r.ok()) return StorageError(r.status(), "rebuilding the indexes of a synced segment");
      ++recovery_info_.indexes_rebuilt;
      if (r->truncated_bytes > 0) {
        recovery_info_.truncated_bytes += r->truncated_bytes;
        recovery_info_.problems.push_back(
            fmt::format("{}: cut {} bytes at {}", segment->log_path(), r->truncated_bytes,
                        r->problem));
      }
    }
    loaded.push_back(std::move(segment));
  }
  recovery_info_.segments_loaded = static_cast<int32_t>(loaded.size());

  // After an unclean shutdown, validate every segment that may hold bytes past
  // the recovery point; the first invalid byte ends the log.
  bool recovered = false;
  if (!options_.had_clean_shutdown && !loaded.empty()) {
    size_t first = 0;
    while (first + 1 < loaded.size() && loaded[first + 1]->base_offset() <= recovery_point) ++first;
    const size_t total = loaded.size() - first;
    if (total > 0) {
      SAMSA_LOG(kInfo, "{}: recovering {} segment(s) from offset {} after an unclean shutdown",
                name(), total, loaded[first]->base_offset().value());
    }
    for (size_t i = first; i < loaded.size(); ++i) {
      if (loaded[i]->size() >= kLargeSegmentBytes) {
        SAMSA_LOG(kInfo, "{}: recovering segment {}/{} ({} bytes)", name(), i - first + 1,
                  total, loaded[i]->size());
      }
      SAMSA_ASSIGN_OR_RETURN(SegmentRecoveryResult r, loaded[i]->Recover(true));
      ++recovery_info_.segments_recovered;
      recovered = true;
      if (r.truncated_bytes > 0) {
        recovery_info_.truncated_bytes += r.truncated_bytes;
        recovery_info_.problems.push_back(fmt::format("{}: cut {} bytes at {}",
                                                      loaded[i]->log_path(), r.truncated_bytes,
                                                      r.problem));
        // Whatever follows a hole cannot be trusted to follow it in order.
        for (size_t j = i + 1; j < loaded.size(); ++j) {
          recovery_info_.problems.push_back(
              fmt::format("{}: deleted, it followed a corrupt tail", loaded[j]->log_path()));
          SAMSA_RETURN_IF_ERROR(loaded[j]->DeleteFiles());
          ++recovery_info_.segments_deleted;
        }
        loaded.resize(i + 1);
        break;
      }
    }
  }

  if (loaded.empty()) {
    const Offset start = options_.log_start_offset.value_or(Offset(0));
    SAMSA_ASSIGN_OR_RETURN(std::shared_ptr<LogSegment> segment,
                           LogSegment::Create(env_, dir, start, config));
    loaded.push_back(std::move(segment));
    MutexLock lock(&append_mu_);
    dir_needs_sync_ = true;
  }

  SAMSA_ASSIGN_OR_RETURN(Offset log_end, loaded.back()->ReadNextOffset());
  const Offset first_base = loaded.front()->base_offset();
  Offset log_start = std::max(first_base, options_.log_start_offset.value_or(first_base));
  log_start = std::min(log_start, log_end);
  {
    WriterLock lock(&mu_);
    for (auto& segment : loaded) segments_.emplace(segment->base_offset(), segment);
    log_start_offset_ = log_start;
    log_end_offset_ = log_end;
    leo_position_ = loaded.back()->size();
    // One replica: everything recovered is committed. Replication overrides it.
    high_watermark_ = log_end;
    recovery_point_ = options_.had_clean_shutdown ? log_end : std::min(recovery_point, log_end);
    last_flush_time_ms_ = env_->clock()->NowMs();
  }
  recovery_info_.log_end_offset = log_end;
  {
    MutexLock lock(&append_mu_);
    SAMSA_RETURN_IF_ERROR(LoadProducerState(
        std::move(snapshots), /*replay_without_snapshot=*/!options_.had_clean_shutdown));
  }

  if (recovered) {
    // The recovered bytes are valid now; make them durable so the recovery
    // point covers them and the rebuilt indexes reach their files.
    MutexLock lock(&append_mu_);
    SAMSA_RETURN_IF_ERROR(FlushLocked(log_end));
    if (!recovery_info_.problems.empty()) {
      SAMSA_LOG(kWarning,
                "{}: recovered after an unclean shutdown: cut {} unsynced or corrupt bytes; "
                "log end offset is {} ({})",
                name(), recovery_info_.truncated_bytes, log_end.value(),
                fmt::join(recovery_info_.problems, "; "));
    } else {
      SAMSA_LOG(kInfo, "{}: recovered {} segment(s) after an unclean shutdown, nothing lost; "
                "log end offset {}", name(), recovery_info_.segments_recovered,
                log_end.value());
    }
  }
  return absl::OkStatus();
}

absl::Status Log::LoadProducerState(std::vector<int64_t> offsets, bool replay_without_snapshot) {
  const Offset log_end = log_end_offset();
  std::sort(offsets.begin(), offsets.end());
  // A snapshot past the log end describes batches a crash or a truncation
  // took away (Kafka's truncateAndReload drops it too).
  while (!offsets.empty() && offsets.back() > log_end.value()) {
    SAMSA_LOG(kInfo, "{}: removing producer snapshot at {}, past the log end offset {}", name(),
              offsets.back(), log_end.value());
    DeleteProducerSnapshot(offsets.back());
    offsets.pop_back();
  }
  std::optional<int64_t> from;
  while (!offsets.empty()) {
    const std::string path =
        JoinPath(options_.dir, ProducerStateManager::SnapshotFileName(offsets.back()));
    absl::StatusOr<std::string> bytes = ReadFileToString(env_, path);
    absl::Status loaded = bytes.ok() ? producers_.LoadSnapshot(*bytes) : bytes.status();
    if (loaded.ok()) {
      from = offsets.back();
      break;
    }
    SAMSA_LOG(kWarning, "{}: ignoring producer snapshot {}: {}", name(), path, loaded.ToString());
    DeleteProducerSnapshot(offsets.back());
    offsets.pop_back();
  }
  snapshot_offsets_ = offsets;
  if (!from) {
    // A clean shutdown with producers leaves a snapshot; without one there
    // were none. After a crash, producers that appeared since the last roll
    // (which would have snapshotted them) are in the active segment.
    if (!replay_without_snapshot) return absl::OkStatus();
    from = ActiveSegment()->base_offset().value();
  }
  if (*from < log_end.value()) {
    SAMSA_LOG(kInfo, "{}: rebuilding idempotent producers' state from offset {} to {}", name(),
              *from, log_end.value());
    std::vector<std::shared_ptr<LogSegment>> segments;
    {
      ReaderLock lock(&mu_);
      auto it = segments_.upper_bound(Offset(*from));
      if (it != segments_.begin()) --it;
      for (; it != segments_.end(); ++it) segments.push_back(it->second);
    }
    for (const auto& segment : segments) {
      BatchIterator batches(segment->log_file(), 0, segment->size(), BatchIterator::Mode::kHeaders);
      while (true) {
        SAMSA_ASSIGN_OR_RETURN(BatchIterator::Step step, batches.Next());
        if (step.kind != BatchIterator::Step::kBatch) break;
        const LocatedBatch& b = step.located;
        if (b.last_offset < *from || b.producer_id < 0 || b.control) continue;
        producers_.Update({b.producer_id, b.producer_epoch, b.base_sequence,
                           static_cast<int32_t>(b.last_offset - b.base_offset + 1)},
                          b.base_offset, b.last_offset, b.max_timestamp);
      }
    }
  }
  producers_.TruncateHead(log_start_offset().value());
  producers_.Expire(env_->clock()->NowMs(), config().producer_id_expiration_ms);
  return absl::OkStatus();
}

}  // namespace samsa
