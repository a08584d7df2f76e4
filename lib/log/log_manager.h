// LogManager: every partition log of one broker, across its log.dirs
// (kafka.log.LogManager).
//
// Open() takes each dir's .lock (a second broker on the same dir fails
// clearly), reads the dir's clean-shutdown marker and checkpoints, loads every
// <topic>-<partition> directory — recovering it when the dir was not shut
// down cleanly — and removes the marker so that a later crash is not taken for
// a clean stop. Close() flushes and closes every log, writes the checkpoints
// and then the marker.
//
// New partitions go to the log dir holding the fewest partitions, as Kafka
// places them. The broker drives the periodic work (retention every
// log.retention.check.interval.ms, flushes, checkpoints) by calling
// CleanupLogs / FlushDirtyLogs / Checkpoint* from its scheduler.
//
// Log compaction: a LogCleaner (log_cleaner.h) runs in the background for
// logs whose cleanup.policy includes compact (unless options.cleaner.enable
// is false); RunCleaner() forces a pass. Its first dirty offsets are kept in
// each dir's cleaner-offset-checkpoint, loaded at Open.
//
// Thread-safety: thread-safe; each Log is itself thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "log/log.h"
#include "log/log_cleaner.h"
#include "samsa/env.h"
#include "samsa/types.h"
#include "util/mutex.h"

namespace samsa {

struct LogManagerRecoverySummary {
  int32_t logs_loaded = 0;
  int32_t logs_recovered = 0;        // scanned after an unclean shutdown
  int64_t truncated_bytes = 0;
  std::vector<std::string> unclean_dirs;
  std::vector<std::string> problems;  // one line per cut tail / deleted segment
};

class LogManager {
 public:
  struct Options {
    Env* env = nullptr;  // must outlive the LogManager
    std::vector<std::string> log_dirs;
    LogConfig default_config;
    // The config of an existing topic's logs at load time (topic overrides
    // over the defaults); default_config when unset.
    std::function<LogConfig(const std::string& topic)> config_for_topic;
    // log.cleaner.*: the background compaction of compacted topics.
    LogCleanerConfig cleaner;
  };

  static absl::StatusOr<std::unique_ptr<LogManager>> Open(Options options);
  // Closes if still open.
  ~LogManager();

  // "<topic>-<partition>" -> the TopicPartition; nullopt for other names
  // (including Kafka's "-delete", "-future" and "-stray" directories).
  static std::optional<TopicPartition> ParseLogDirName(std::string_view name);

  // The log of a partition, or nullptr. Shared: a log deleted or closed while
  // a reader holds it stays valid (its calls then fail as closed).
  std::shared_ptr<Log> GetLog(const TopicPartition& tp) const;
  // The log of a partition, created (empty) with `config` if missing.
  absl::StatusOr<std::shared_ptr<Log>> GetOrCreateLog(const TopicPartition& tp,
                                                      const LogConfig& config);
  std::vector<std::pair<TopicPartition, std::shared_ptr<Log>>> AllLogs() const;
  // Closes and deletes a partition's log with its directory.
  absl::Status DeleteLog(const TopicPartition& tp);

  // Retention over every log; returns the segments deleted.
  absl::StatusOr<int32_t> CleanupLogs();
  // Flushes logs whose last flush is older than their flush.ms.
  absl::Status FlushDirtyLogs();
  absl::Status CheckpointRecoveryPoints();
  absl::Status CheckpointLogStartOffsets();

  // A compaction pass now over every compacted log that qualifies, filthiest
  // first; what each pass did.
  std::vector<CleanerStats> RunCleaner();
  LogCleaner& cleaner() { return *cleaner_; }

  const LogManagerRecoverySummary& recovery_summary() const { return recovery_; }
  const std::vector<std::string>& log_dirs() const { return options_.log_dirs; }

  // Flushes and closes all logs, writes checkpoints and the clean-shutdown
  // marker, releases the dir locks. Later calls fail.
  absl::Status Close();

 private:
  explicit LogManager(Options options);
  absl::Status Load();
  absl::Status WriteCleanerCheckpoint(const std::map<TopicPartition, Offset>& offsets);
  absl::Status CheckpointLocked(const char* file_name,
                                const std::function<Offset(const Log&)>& offset_of)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Options options_;
  Env* const env_;
  LogManagerRecoverySummary recovery_;

  mutable Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<FileLock>> locks_ ABSL_GUARDED_BY(mu_);
  std::map<TopicPartition, std::shared_ptr<Log>> logs_ ABSL_GUARDED_BY(mu_);
  std::map<TopicPartition, std::string> log_dir_of_ ABSL_GUARDED_BY(mu_);
  // How many partitions each log dir holds (log_dir_of_ counted), kept as
  // logs come and go: a new partition goes to the dir with the fewest, and
  // counting them per creation made creating n partitions O(n^2) (7000 took
  // 0.6 s on a memory broker).
  std::map<std::string, int64_t, std::less<>> partitions_in_dir_ ABSL_GUARDED_BY(mu_);

  // Serialises writes of the cleaner-offset-checkpoint files.
  Mutex cleaner_checkpoint_mu_;
  // Created by Open; stopped first by Close.
  std::unique_ptr<LogCleaner> cleaner_;
  std::map<TopicPartition, Offset> loaded_cleaner_checkpoint_;
};

}  // namespace samsa
