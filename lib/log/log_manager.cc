#include "log/log_manager.h"

#include <algorithm>

#include <fmt/format.h>

#include "absl/strings/numbers.h"
#include "log/checkpoint_file.h"
#include "samsa/errors.h"
#include "util/logging.h"
#include "util/status_macros.h"

namespace samsa {

namespace {

// mkdir -p that survives a crash: each directory created gets its parent
// synced, as Kafka's createAndValidateLogDirs flushes the parent of a new
// log dir.
absl::Status CreateDirsDurably(Env* env, const std::string& path) {
  if (env->IsDirectory(path)) return absl::OkStatus();
  const std::string parent = DirName(path);
  if (parent != path && parent != "." && !parent.empty()) {
    SAMSA_RETURN_IF_ERROR(CreateDirsDurably(env, parent));
  }
  absl::Status created = env->CreateDir(path);
  if (!created.ok() && !absl::IsAlreadyExists(created)) return created;
  return env->SyncDir(parent.empty() ? "." : parent);
}

}  // namespace

LogManager::LogManager(Options options) : options_(std::move(options)), env_(options_.env) {}

LogManager::~LogManager() {
  absl::Status s = Close();
  if (!s.ok() && !absl::IsFailedPrecondition(s)) {
    SAMSA_LOG(kWarning, "log manager close failed: {}", std::string(s.message()));
  }
}

std::optional<TopicPartition> LogManager::ParseLogDirName(std::string_view name) {
  for (std::string_view suffix : {"-delete", "-future", "-stray"}) {
    if (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix) {
      return std::nullopt;
    }
  }
  const size_t dash = name.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) return std::nullopt;
  int32_t partition = 0;
  const std::string digits(name.substr(dash + 1));
  if (digits.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(digits, &partition)) {
    return std::nullopt;
  }
  return TopicPartition{std::string(name.substr(0, dash)), partition};
}

absl::StatusOr<std::unique_ptr<LogManager>> LogManager::Open(Options options) {
  if (options.env == nullptr || options.log_dirs.empty()) {
    return absl::InvalidArgumentError("LogManager needs an env and at least one log dir");
  }
  std::unique_ptr<LogManager> manager(new LogManager(std::move(options)));
  SAMSA_RETURN_IF_ERROR(manager->Load());
  LogCleaner::Options cleaner;
  cleaner.env = manager->env_;
  cleaner.config = manager->options_.cleaner;
  LogManager* m = manager.get();
  cleaner.logs = [m] { return m->AllLogs(); };
  cleaner.checkpoint = std::move(manager->loaded_cleaner_checkpoint_);
  cleaner.write_checkpoint = [m](const std::map<TopicPartition, Offset>& offsets) {
    return m->WriteCleanerCheckpoint(offsets);
  };
  manager->cleaner_ = std::make_unique<LogCleaner>(std::move(cleaner));
  manager->cleaner_->Startup();
  return manager;
}

absl::Status LogManager::Load() {
  MutexLock lock(&mu_);
  for (const std::string& dir : options_.log_dirs) {
    SAMSA_RETURN_IF_ERROR(CreateDirsDurably(env_, dir));
    absl::StatusOr<std::unique_ptr<FileLock>> dir_lock = env_->LockFile(JoinPath(dir, kLockFile));
    if (!dir_lock.ok()) {
      return KafkaError(ErrorCode::kKafkaStorageError,
                        fmt::format("log dir {} is in use by another broker: {}", dir,
                                    std::string(dir_lock.status().message())));
    }
    locks_.push_back(*std::move(dir_lock));

    const std::string marker = JoinPath(dir, kCleanShutdownFile);
    const bool clean = env_->FileExists(marker);
    // A bad checkpoint is not fatal: recovery from offset 0 is slower, not
    // wrong (Kafka resets it the same way).
    const auto read_checkpoint = [&](const char* file) {
      absl::StatusOr<OffsetCheckpoint> cp = ReadOffsetCheckpoint(env_, JoinPath(dir, file));
      if (cp.ok()) return *std::move(cp);
      SAMSA_LOG(kWarning, "{}; ignoring it", std::string(cp.status().message()));
      return OffsetCheckpoint{};
    };
    const OffsetCheckpoint recovery_points = read_checkpoint(kRecoveryPointCheckpointFile);
    const OffsetCheckpoint log_starts = read_checkpoint(kLogStartOffsetCheckpointFile);
    const OffsetCheckpoint cleaner_offsets = read_checkpoint(kCleanerOffsetCheckpointFile);

    SAMSA_ASSIGN_OR_RETURN(std::vector<std::string> children, env_->GetChildren(dir));
    std::vector<std::pair<TopicPartition, std::string>> partitions;
    for (const std::string& child : children) {
      const std::string path = JoinPath(dir, child);
      if (!env_->IsDirectory(path)) continue;
      if (child.size() > 7 && child.substr(child.size() - 7) == "-delete") {
        // A deletion a crash interrupted: finish it.
        SAMSA_LOG(kInfo, "removing {} (a partition whose deletion was interrupted)", path);
        SAMSA_RETURN_IF_ERROR(DeleteRecursively(env_, path));
        continue;
      }
      if (auto tp = ParseLogDirName(child)) partitions.emplace_back(*tp, path);
    }
    if (!clean && !partitions.empty()) {
      recovery_.unclean_dirs.push_back(dir);
      SAMSA_LOG(kInfo, "log dir {} was not shut down cleanly: recovering {} partition(s)", dir,
                partitions.size());
    }
    size_t done = 0;
    for (const auto& [tp, path] : partitions) {
      if (logs_.count(tp) != 0) {
        return KafkaError(ErrorCode::kKafkaStorageError,
                          fmt::format("partition {} has a directory in two log dirs ({} and {})",
                                      tp.ToString(), log_dir_of_[tp], dir));
      }
      Log::Options log_options;
      log_options.env = env_;
      log_options.dir = path;
      log_options.topic = tp.topic;
      log_options.partition = tp.partition;
      log_options.config = options_.config_for_topic ? options_.config_for_topic(tp.topic)
                                                     : options_.default_config;
      if (auto it = recovery_points.find(tp); it != recovery_points.end()) {
        log_options.recovery_point = it->second;
      }
      if (auto it = log_starts.find(tp); it != log_starts.end()) {
        log_options.log_start_offset = it->second;
      }
      log_options.had_clean_shutdown = clean;
      SAMSA_ASSIGN_OR_RETURN(std::unique_ptr<Log> log, Log::Open(std::move(log_options)));
      const LogRecoveryInfo& info = log->recovery_info();
      if (info.segments_recovered > 0) ++recovery_.logs_recovered;
      recovery_.truncated_bytes += info.truncated_bytes;
      for (const std::string& p : info.problems) recovery_.problems.push_back(p);
      ++recovery_.logs_loaded;
      log_dir_of_[tp] = dir;
      ++partitions_in_dir_[dir];
      logs_[tp] = std::move(log);
      if (auto it = cleaner_offsets.find(tp); it != cleaner_offsets.end()) {
        loaded_cleaner_checkpoint_[tp] = it->second;
      }
      if (++done % 100 == 0) {
        SAMSA_LOG(kInfo, "log dir {}: loaded {}/{} partitions", dir, done, partitions.size());
      }
    }
    // From here on a crash must not look like a clean shutdown.
    if (clean) {
      SAMSA_RETURN_IF_ERROR(env_->DeleteFile(marker));
      SAMSA_RETURN_IF_ERROR(env_->SyncDir(dir));
    }
  }
  return absl::OkStatus();
}

std::shared_ptr<Log> LogManager::GetLog(const TopicPartition& tp) const {
  MutexLock lock(&mu_);
  auto it = logs_.find(tp);
  return it == logs_.end() ? nullptr : it->second;
}

absl::StatusOr<std::shared_ptr<Log>> LogManager::GetOrCreateLog(const TopicPartition& tp,
                                                                const LogConfig& config) {
  MutexLock lock(&mu_);
  if (closed_) return absl::FailedPreconditionError("log manager is closed");
  if (auto it = logs_.find(tp); it != logs_.end()) return it->second;
  // The dir holding the fewest partitions (the first of those tied).
  const auto load = [&](const std::string& d) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = partitions_in_dir_.find(d);
    return it == partitions_in_dir_.end() ? int64_t{0} : it->second;
  };
  std::string dir = options_.log_dirs.front();
  for (const std::string& d : options_.log_dirs) {
    if (load(d) < load(dir)) dir = d;
  }
  Log::Options log_options;
  log_options.env = env_;
  log_options.dir = JoinPath(dir, tp.ToString());
  log_options.topic = tp.topic;
  log_options.partition = tp.partition;
  log_options.config = config;
  log_options.had_clean_shutdown = true;  // a new, empty log
  absl::StatusOr<std::unique_ptr<Log>> log = Log::Open(std::move(log_options));
  if (!log.ok()) {
    return KafkaError(ErrorCode::kKafkaStorageError,
                      fmt::format("creating the log of {} in {}: {}", tp.ToString(), dir,
                                  std::string(log.status().message())));
  }
  SAMSA_RETURN_IF_ERROR(env_->SyncDir(dir));
  std::shared_ptr<Log> result = *std::move(log);
  log_dir_of_[tp] = dir;
  ++partitions_in_dir_[dir];
  logs_[tp] = result;
  return result;
}

std::vector<std::pair<TopicPartition, std::shared_ptr<Log>>> LogManager::AllLogs() const {
  MutexLock lock(&mu_);
  return {logs_.begin(), logs_.end()};
}

absl::Status LogManager::DeleteLog(const TopicPartition& tp) {
  std::shared_ptr<Log> log;
  std::string dir;
  {
    MutexLock lock(&mu_);
    auto it = logs_.find(tp);
    if (it == logs_.end()) {
      return KafkaError(ErrorCode::kUnknownTopicOrPartition,
                        fmt::format("no log for {}", tp.ToString()));
    }
    log = std::move(it->second);
    logs_.erase(it);
    dir = log_dir_of_[tp];
    log_dir_of_.erase(tp);
    --partitions_in_dir_[dir];
  }
  // Stop compacting it (waits for a pass over it to stop).
  if (cleaner_ != nullptr) cleaner_->RemoveLog(tp);
  // Kafka renames the directory to <tp>.<id>-delete first, so that a crash
  // mid-delete is finished at the next start rather than reloaded.
  absl::Status closed = log->Close();
  if (!closed.ok()) SAMSA_LOG(kWarning, "{}", std::string(closed.message()));
  const std::string doomed = JoinPath(dir, fmt::format("{}.{}-delete", tp.ToString(),
                                                       env_->clock()->NowMs()));
  std::vector<std::string> files;
  SAMSA_ASSIGN_OR_RETURN(files, env_->GetChildren(log->dir()));
  SAMSA_RETURN_IF_ERROR(CreateDirs(env_, doomed));
  for (const std::string& f : files) {
    SAMSA_RETURN_IF_ERROR(env_->RenameFile(JoinPath(log->dir(), f), JoinPath(doomed, f)));
  }
  SAMSA_RETURN_IF_ERROR(env_->DeleteDir(log->dir()));
  SAMSA_RETURN_IF_ERROR(env_->SyncDir(dir));
  SAMSA_RETURN_IF_ERROR(DeleteRecursively(env_, doomed));
  return env_->SyncDir(dir);
}

absl::StatusOr<int32_t> LogManager::CleanupLogs() {
  int32_t deleted = 0;
  for (const auto& [tp, log] : AllLogs()) {
    absl::StatusOr<int32_t> n = log->DeleteOldSegments();
    if (!n.ok()) {
      // A log deleted (closed) since the list was taken: nothing to retain.
      if (GetLog(tp) != log) continue;
      SAMSA_LOG(kWarning, "retention of {} failed: {}", tp.ToString(),
                std::string(n.status().message()));
      continue;
    }
    deleted += *n;
  }
  return deleted;
}

absl::Status LogManager::FlushDirtyLogs() {
  const int64_t now = env_->clock()->NowMs();
  absl::Status result;
  for (const auto& [tp, log] : AllLogs()) {
    const LogConfig config = log->config();
    if (config.flush_ms == LogConfig::kNoLimit) continue;
    if (now - log->last_flush_time_ms() < config.flush_ms) continue;
    absl::Status flushed = log->Flush();
    // A log deleted (closed) since the list was taken has nothing to flush.
    if (!flushed.ok() && GetLog(tp) == log) result.Update(std::move(flushed));
  }
  return result;
}

std::vector<CleanerStats> LogManager::RunCleaner() { return cleaner_->CleanLogs(); }

absl::Status LogManager::WriteCleanerCheckpoint(const std::map<TopicPartition, Offset>& offsets) {
  std::map<std::string, OffsetCheckpoint> per_dir;
  {
    MutexLock lock(&mu_);
    if (closed_) return absl::FailedPreconditionError("log manager is closed");
    for (const std::string& dir : options_.log_dirs) per_dir[dir];
    for (const auto& [tp, offset] : offsets) {
      if (auto it = log_dir_of_.find(tp); it != log_dir_of_.end()) per_dir[it->second][tp] = offset;
    }
  }
  MutexLock lock(&cleaner_checkpoint_mu_);
  absl::Status result;
  for (const auto& [dir, dir_offsets] : per_dir) {
    result.Update(WriteOffsetCheckpoint(env_, JoinPath(dir, kCleanerOffsetCheckpointFile), dir_offsets));
  }
  return result;
}

absl::Status LogManager::CheckpointLocked(const char* file_name,
                                          const std::function<Offset(const Log&)>& offset_of) {
  std::map<std::string, OffsetCheckpoint> per_dir;
  for (const std::string& dir : options_.log_dirs) per_dir[dir];
  for (const auto& [tp, log] : logs_) per_dir[log_dir_of_[tp]][tp] = offset_of(*log);
  absl::Status result;
  for (const auto& [dir, offsets] : per_dir) {
    result.Update(WriteOffsetCheckpoint(env_, JoinPath(dir, file_name), offsets));
  }
  return result;
}

absl::Status LogManager::CheckpointRecoveryPoints() {
  MutexLock lock(&mu_);
  if (closed_) return absl::FailedPreconditionError("log manager is closed");
  return CheckpointLocked(kRecoveryPointCheckpointFile,
                          [](const Log& log) { return log.recovery_point(); });
}

absl::Status LogManager::CheckpointLogStartOffsets() {
  MutexLock lock(&mu_);
  if (closed_) return absl::FailedPreconditionError("log manager is closed");
  return CheckpointLocked(kLogStartOffsetCheckpointFile,
                          [](const Log& log) { return log.log_start_offset(); });
}

absl::Status LogManager::Close() {
  // First the cleaner: its passes take mu_ (to list logs, to checkpoint).
  if (cleaner_ != nullptr) cleaner_->Shutdown();
  MutexLock lock(&mu_);
  if (closed_) return absl::FailedPreconditionError("log manager is closed");
  closed_ = true;
  absl::Status result;
  for (auto& [tp, log] : logs_) result.Update(log->Close());
  result.Update(CheckpointLocked(kRecoveryPointCheckpointFile,
                                 [](const Log& log) { return log.recovery_point(); }));
  result.Update(CheckpointLocked(kLogStartOffsetCheckpointFile,
                                 [](const Log& log) { return log.log_start_offset(); }));
  // Only a fully flushed dir gets the marker: otherwise the next start must
  // recover.
  if (result.ok()) {
    for (const std::string& dir : options_.log_dirs) {
      result.Update(WriteFileAtomically(env_, JoinPath(dir, kCleanShutdownFile), ""));
    }
  } else {
    SAMSA_LOG(kWarning, "not writing the clean-shutdown marker: {}", std::string(result.message()));
  }
  logs_.clear();
  locks_.clear();
  return result;
}

}  // namespace samsa
