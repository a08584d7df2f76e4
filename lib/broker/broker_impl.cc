// Broker::Impl: opening, background work, and the request API.
#include "broker/broker_impl.h"

#include "broker/group/offsets_records.h"

#include <algorithm>

#include <fmt/format.h>

#include "absl/strings/numbers.h"
#include "config/topic_config.h"
#include "util/logging.h"
#include "util/status_macros.h"

namespace samsa {
namespace {

constexpr char kMetaProperties[] = "meta.properties";

// meta.properties as a ZooKeeper-mode Kafka broker writes it: version=0,
// broker.id, cluster.id. A dir that names another broker is refused, as
// Kafka refuses it (InconsistentBrokerIdException).
absl::Status CheckOrWriteMetaProperties(Env* env, const std::string& dir, int32_t broker_id) {
  const std::string path = JoinPath(dir, kMetaProperties);
  if (env->FileExists(path)) {
    SAMSA_ASSIGN_OR_RETURN(std::string text, ReadFileToString(env, path));
    absl::StatusOr<Properties> props = ParseProperties(text);
    if (!props.ok()) {
      return KafkaError(ErrorCode::kKafkaStorageError,
                        fmt::format("{}: {}", path, std::string(props.status().message())));
    }
    auto it = props->find("broker.id");
    if (it == props->end()) it = props->find("node.id");
    int32_t stored = -1;
    if (it != props->end() && absl::SimpleAtoi(it->second, &stored) && stored != broker_id) {
      return KafkaError(ErrorCode::kInconsistentClusterId,
                        fmt::format("Configured broker.id {} doesn't match stored broker.id {} in "
                                    "meta.properties ({})",
                                    broker_id, stored, path));
    }
    return absl::OkStatus();
  }
  Properties props;
  props["version"] = "0";
  props["broker.id"] = std::to_string(broker_id);
  props["cluster.id"] = NewTopicId();
  return WriteFileAtomically(env, path, "#\n" + FormatProperties(props));
}

}  // namespace

Broker::Impl::Impl(const BrokerConfig& config, BrokerOptions options) : config_(config) {
  log_dirs_ = config_.LogDirs();
  Clock* clock = options.clock != nullptr ? options.clock : Clock::System();
  if (options.env != nullptr) {
    env_ = options.env;
  } else if (config_.samsa_storage == "memory") {
    owned_env_ = NewMemEnv(clock);
    env_ = owned_env_.get();
  } else if (options.clock != nullptr) {
    owned_env_ = NewPosixEnv(clock);
    env_ = owned_env_.get();
  } else {
    env_ = Env::Default();
  }
  clock_ = options.clock != nullptr ? options.clock : env_->clock();
}

absl::StatusOr<std::unique_ptr<Broker::Impl>> Broker::Impl::Open(const BrokerConfig& config,
                                                                 BrokerOptions options) {
  std::unique_ptr<Impl> impl(new Impl(config, options));
  SAMSA_RETURN_IF_ERROR(impl->Load());
  impl->StartBackgroundTasks();
  bool has_offsets_topic;
  {
    MutexLock lock(&impl->topics_mu_);
    has_offsets_topic = impl->registry_.Find(group::kOffsetsTopic) != nullptr;
  }
  // Groups and committed offsets come back with the broker.
  if (has_offsets_topic) SAMSA_RETURN_IF_ERROR(impl->Groups().status());
  return impl;
}

absl::StatusOr<std::unique_ptr<Broker::Impl>> Broker::Impl::OpenInCluster(const BrokerConfig& config,
                                                                          BrokerOptions options,
                                                                          ClusterHooks hooks) {
  std::unique_ptr<Impl> impl(new Impl(config, options));
  impl->cluster_mode_ = true;
  impl->hooks_ = std::move(hooks);
  SAMSA_RETURN_IF_ERROR(impl->Load());
  impl->StartBackgroundTasks();
  // Partitions are hosted, and groups loaded, when the controller's
  // metadata arrives.
  return impl;
}

Broker::Impl::~Impl() {
  absl::Status s = Close();
  if (!s.ok() && !absl::IsFailedPrecondition(s)) {
    SAMSA_LOG(kWarning, "broker {}: close failed: {}", broker_id(), std::string(s.message()));
  }
}

absl::Status Broker::Impl::CheckOpen() const {
  if (closed_.load()) {
    return KafkaError(ErrorCode::kKafkaStorageError, fmt::format("broker {} is closed", broker_id()));
  }
  return absl::OkStatus();
}

absl::Status Broker::Impl::Load() {
  if (log_dirs_.empty()) return KafkaError(ErrorCode::kInvalidConfig, "log.dirs is empty");
  MutexLock lock(&topics_mu_);
  // In a cluster the topics are the coordinator's: the registry is filled
  // from the controller's metadata and not stored.
  if (!cluster_mode_) SAMSA_RETURN_IF_ERROR(registry_.Load(env_, log_dirs_));
  LogManager::Options options;
  options.env = env_;
  options.log_dirs = log_dirs_;
  options.default_config = DefaultLogConfig(config_);
  options.cleaner = CleanerConfigFor(config_);
  options.config_for_topic = [this](const std::string& topic) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    const TopicInfo* info = registry_.Find(topic);
    if (info == nullptr) return DefaultLogConfig(config_);
    absl::StatusOr<LogConfig> config = LogConfigFor(*info);
    return config.ok() ? *config : DefaultLogConfig(config_);
  };
  SAMSA_ASSIGN_OR_RETURN(disk_logs_, LogManager::Open(std::move(options)));
  for (const std::string& dir : log_dirs_) {
    SAMSA_RETURN_IF_ERROR(CheckOrWriteMetaProperties(env_, dir, config_.broker_id));
  }

  // Partitions found on disk that the registry does not know (a log dir
  // copied from Kafka, or a registry lost) become topics.
  bool registry_changed = false;
  std::map<std::string, int32_t> found;
  for (const auto& [tp, log] : cluster_mode_ ? decltype(disk_logs_->AllLogs())() : disk_logs_->AllLogs()) {
    found[tp.topic] = std::max(found[tp.topic], tp.partition + 1);
  }
  for (const auto& [topic, count] : found) {
    TopicInfo* info = registry_.FindMutable(topic);
    if (info == nullptr) {
      SAMSA_LOG(kInfo, "broker {}: adopting topic {} ({} partition(s)) found in the log dirs",
                broker_id(), topic, count);
      registry_.Put(TopicInfo{topic, NewTopicId(), count, {}, false});
      registry_changed = true;
    } else if (info->num_partitions < count) {
      info->num_partitions = count;
      registry_changed = true;
    }
  }
  // Every registered partition gets its Partition (creating a log missing
  // from disk, e.g. after a dir was lost).
  for (const auto& [name, info] : registry_.topics()) {
    SAMSA_RETURN_IF_ERROR(AddPartitionsLocked(info, 0, info.num_partitions));
  }
  if (registry_changed) SAMSA_RETURN_IF_ERROR(StoreRegistryLocked());

  const LogManagerRecoverySummary& summary = disk_logs_->recovery_summary();
  recovery_.clean_shutdown = summary.unclean_dirs.empty();
  recovery_.partitions_loaded = summary.logs_loaded;
  recovery_.partitions_recovered = summary.logs_recovered;
  recovery_.truncated_bytes = summary.truncated_bytes;
  recovery_.problems = summary.problems;
  SAMSA_LOG(kInfo, "broker {}: opened {} with {} topic(s), {} partition(s){}", broker_id(),
            fmt::join(log_dirs_, ","), registry_.topics().size(), summary.logs_loaded,
            recovery_.clean_shutdown ? "" : " after an unclean shutdown");
  return absl::OkStatus();
}

void Broker::Impl::StartBackgroundTasks() {
  scheduler_ = std::make_unique<Scheduler>(clock_, std::max(config_.num_io_threads, 1),
                                           fmt::format("broker-{}", broker_id()));
  const auto every = [&](const char* name, int64_t ms, std::function<void()> fn) {
    if (ms <= 0 || ms == std::numeric_limits<int64_t>::max()) return;
    scheduler_->SchedulePeriodic(name, absl::Milliseconds(ms), absl::Milliseconds(ms),
                                 std::move(fn));
  };
  every("retention", config_.log_retention_check_interval_ms, [this] { RunRetention().IgnoreError(); });
  every("flush", config_.log_flush_scheduler_interval_ms, [this] {
    absl::Status s = disk_logs_->FlushDirtyLogs();
    if (!s.ok()) SAMSA_LOG(kWarning, "scheduled flush failed: {}", std::string(s.message()));
  });
  every("recovery-point-checkpoint", config_.log_flush_offset_checkpoint_interval_ms,
        [this] { disk_logs_->CheckpointRecoveryPoints().IgnoreError(); });
  every("log-start-offset-checkpoint", config_.log_flush_start_offset_checkpoint_interval_ms,
        [this] { disk_logs_->CheckpointLogStartOffsets().IgnoreError(); });
}

absl::Status Broker::Impl::Close() {
  if (closed_.exchange(true)) {
    return absl::FailedPreconditionError(fmt::format("broker {} is closed", broker_id()));
  }
  {
    // Pending JoinGroup/SyncGroup calls end (NOT_COORDINATOR); the
    // coordinator itself goes with the broker object.
    MutexLock lock(&groups_mu_);
    if (groups_) {
      for (int32_t p = 0; p < groups_->num_partitions(); ++p) groups_->OnResignation(p);
    }
  }
  if (scheduler_) scheduler_->Shutdown();
  {
    // Wake every waiting fetch: they return what they have.
    ReaderLock lock(&partitions_mu_);
    for (const auto& [tp, partition] : partitions_) partition->NotifyWaiters();
  }
  absl::Status result;
  MutexLock lock(&topics_mu_);
  if (disk_logs_) result.Update(disk_logs_->Close());
  if (memory_logs_) memory_logs_->Close().IgnoreError();
  SAMSA_LOG(kInfo, "broker {}: closed{}", broker_id(), result.ok() ? " cleanly" : "");
  return result;
}

std::shared_ptr<Partition> Broker::Impl::GetPartition(const TopicPartition& tp) const {
  ReaderLock lock(&partitions_mu_);
  auto it = partitions_.find(tp);
  return it == partitions_.end() ? nullptr : it->second;
}

// --- Metadata ------------------------------------------------------------------------

absl::Status Broker::Impl::MaybeAutoCreate(std::string_view topic, bool allow_auto_create) {
  if (cluster_mode_) return ClusterAutoCreate(topic, allow_auto_create);
  {
    MutexLock lock(&topics_mu_);
    if (registry_.Find(topic) != nullptr) return absl::OkStatus();
    if (!allow_auto_create || !config_.auto_create_topics_enable) {
      return KafkaError(ErrorCode::kUnknownTopicOrPartition,
                        fmt::format("topic {} does not exist", topic));
    }
    NewTopic spec;
    spec.name = std::string(topic);
    absl::Status created = CreateTopicLocked(spec, /*auto_created=*/true);
    if (!created.ok() && ErrorCodeOf(created) != ErrorCode::kTopicAlreadyExists) return created;
  }
  return absl::OkStatus();
}

std::shared_ptr<const Broker::Impl::TopicIdIndex> Broker::Impl::TopicIds() {
  // The version is read before the topics: an index is never labelled newer
  // than what it holds (a change after the read makes the next call rebuild).
  const uint64_t version = metadata_version();
  {
    MutexLock lock(&topic_ids_mu_);
    if (topic_ids_ != nullptr && topic_ids_->version == version) return topic_ids_;
  }
  auto index = std::make_shared<TopicIdIndex>();
  index->version = version;
  auto add = [&](const std::string& name, const std::string& id) {
    if (id.empty()) return;
    index->ids_by_name[name] = id;
    index->names_by_id[id] = name;
  };
  if (cluster_mode_) {
    if (std::shared_ptr<const coordination::ClusterMetadata> cluster = cluster_metadata()) {
      for (const auto& [name, topic] : cluster->topics) add(name, topic.topic_id);
    }
  } else {
    MutexLock lock(&topics_mu_);
    for (const auto& [name, info] : registry_.topics()) add(name, info.topic_id);
  }
  MutexLock lock(&topic_ids_mu_);
  if (topic_ids_ == nullptr || topic_ids_->version <= version) topic_ids_ = index;
  return index;
}

std::vector<Broker::Impl::TopicMetadata> Broker::Impl::Metadata(
    const std::optional<std::vector<std::string>>& topics, bool allow_auto_create) {
  if (cluster_mode_) return ClusterMetadataFor(topics, allow_auto_create);
  std::vector<std::string> names;
  if (topics) {
    names = *topics;
  } else {
    names = ListTopics(/*include_internal=*/true);
  }
  std::vector<TopicMetadata> result;
  for (const std::string& name : names) {
    TopicMetadata md;
    md.name = name;
    if (absl::Status valid = ValidateTopicName(name); !valid.ok()) {
      md.error = ErrorCode::kInvalidTopicException;
      result.push_back(std::move(md));
      continue;
    }
    if (absl::Status s = MaybeAutoCreate(name, allow_auto_create); !s.ok()) {
      md.error = ErrorCodeOf(s);
      result.push_back(std::move(md));
      continue;
    }
    int32_t count = 0;
    {
      MutexLock lock(&topics_mu_);
      const TopicInfo* info = registry_.Find(name);
      if (info == nullptr) {
        md.error = ErrorCode::kUnknownTopicOrPartition;
        result.push_back(std::move(md));
        continue;
      }
      md.topic_id = info->topic_id;
      md.internal = name.rfind("__", 0) == 0;
      count = info->num_partitions;
    }
    for (int32_t p = 0; p < count; ++p) {
      PartitionMetadata pm;
      pm.partition = p;
      std::shared_ptr<Partition> partition = GetPartition({name, p});
      if (partition == nullptr) {
        pm.error = ErrorCode::kLeaderNotAvailable;
      } else {
        pm.leader = broker_id();
        pm.leader_epoch = partition->leader_epoch();
        pm.replicas = {broker_id()};
        pm.isr = {broker_id()};
      }
      md.partitions.push_back(std::move(pm));
    }
    result.push_back(std::move(md));
  }
  return result;
}

absl::StatusOr<int32_t> Broker::Impl::PartitionCount(std::string_view topic, bool allow_auto_create) {
  SAMSA_RETURN_IF_ERROR(CheckOpen());
  SAMSA_RETURN_IF_ERROR(ValidateTopicName(topic));
  SAMSA_RETURN_IF_ERROR(MaybeAutoCreate(topic, allow_auto_create));
  if (cluster_mode_) {
    std::shared_ptr<const coordination::ClusterMetadata> md = cluster_metadata();
    if (md == nullptr || !md->topics.contains(topic)) {
      return KafkaError(ErrorCode::kUnknownTopicOrPartition,
                        fmt::format("topic {} does not exist", topic));
    }
    return static_cast<int32_t>(md->topics.find(topic)->second.partitions.size());
  }
  MutexLock lock(&topics_mu_);
  const TopicInfo* info = registry_.Find(topic);
  if (info == nullptr) {
    return KafkaError(ErrorCode::kUnknownTopicOrPartition, fmt::format("topic {} does not exist", topic));
  }
  return info->num_partitions;
}

// --- Produce -------------------------------------------------------------------------

absl::StatusOr<Broker::Impl::ProduceResult> Broker::Impl::Produce(const TopicPartition& tp,
                                                                  std::string records, int16_t acks,
                                                                  AppendOrigin origin) {
  return Produce(tp, absl::MakeSpan(records), acks, origin);
}

absl::StatusOr<Broker::Impl::ProduceResult> Broker::Impl::Produce(const TopicPartition& tp,
                                                                  absl::Span<char> records, int16_t acks,
                                                                  AppendOrigin origin) {
  SAMSA_RETURN_IF_ERROR(CheckOpen());
  SAMSA_ASSIGN_OR_RETURN(std::shared_ptr<Partition> partition, LeaderPartition(tp));
  SAMSA_ASSIGN_OR_RETURN(LogAppendInfo info, partition->AppendRecordsToLeader(records, acks, origin));
  ProduceResult result;
  result.base_offset = info.first_offset.value();
  result.last_offset = info.last_offset.value();
  result.log_append_time = info.log_append_time;
  result.log_start_offset = info.log_start_offset.value();
  return result;
}

// --- Fetch ---------------------------------------------------------------------------

std::vector<Broker::Impl::FetchPartitionResponse> Broker::Impl::Fetch(const FetchRequest& request) {
  std::vector<FetchPartitionResponse> responses(request.partitions.size());
  std::vector<std::shared_ptr<Partition>> partitions(request.partitions.size());
  const absl::Status open = CheckOpen();
  for (size_t i = 0; i < request.partitions.size(); ++i) {
    responses[i].tp = request.partitions[i].tp;
    if (!open.ok()) {
      responses[i].status = open;
      continue;
    }
    absl::StatusOr<std::shared_ptr<Partition>> partition = LeaderPartition(request.partitions[i].tp);
    if (partition.ok()) {
      partitions[i] = *std::move(partition);
    } else {
      responses[i].status = partition.status();
    }
  }

  // Register before the first read so that an append between a read and the
  // wait is not missed.
  FetchWaiter own_waiter;
  FetchWaiter* waiter = request.waiter != nullptr ? request.waiter : &own_waiter;
  for (const auto& p : partitions) {
    if (p) p->AddWaiter(waiter);
  }
  const absl::Time deadline = clock_->Now() + request.max_wait;

  while (true) {
    int64_t total = 0;
    bool failed = false;
    bool more_available = false;  // some read stopped at a storage boundary
    for (size_t i = 0; i < partitions.size(); ++i) {
      FetchPartitionResponse& r = responses[i];
      if (partitions[i] == nullptr) {
        failed = true;
        continue;
      }
      const FetchPartitionRequest& pr = request.partitions[i];
      // The response limit, but the first partition with data always returns a
      // whole batch (KIP-74).
      const int64_t room = std::max<int64_t>(request.max_bytes - total, 0);
      const int64_t limit = std::min<int64_t>(pr.max_bytes, room);
      absl::StatusOr<LogReadInfo> read = partitions[i]->Read(
          Offset(pr.fetch_offset), limit, request.isolation, /*min_one_batch=*/total == 0);
      r.high_watermark = partitions[i]->high_watermark().value();
      r.last_stable_offset = partitions[i]->last_stable_offset().value();
      r.log_start_offset = partitions[i]->log()->log_start_offset().value();
      if (!read.ok()) {
        r.status = read.status();
        r.records = SharedBytes();
        failed = true;
        continue;
      }
      r.status = absl::OkStatus();
      r.records = std::move(read->records);
      total += static_cast<int64_t>(r.records.size());
      more_available = more_available || read->more_available;
    }
    if (failed || total >= request.min_bytes || more_available ||
        request.max_wait <= absl::ZeroDuration() || closed_.load() || clock_->Now() >= deadline) {
      break;
    }
    if (request.interrupted != nullptr && request.interrupted->load()) break;
    waiter->WaitUntil(clock_, deadline);  // timed out or woken: read again
    if (request.interrupted != nullptr && request.interrupted->load()) break;
  }
  for (const auto& p : partitions) {
    if (p) p->RemoveWaiter(waiter);
  }
  return responses;
}

// --- ListOffsets / DeleteRecords -------------------------------------------------------

absl::StatusOr<Broker::Impl::ListOffsetResult> Broker::Impl::ListOffset(const TopicPartition& tp,
                                                                        int64_t timestamp,
                                                                        FetchIsolation isolation) {
  SAMSA_RETURN_IF_ERROR(CheckOpen());
  SAMSA_ASSIGN_OR_RETURN(std::shared_ptr<Partition> partition, LeaderPartition(tp));
  ListOffsetResult result;
  result.leader_epoch = partition->leader_epoch();
  if (timestamp == kLatestTimestamp) {
    // Consumers see up to the high watermark (last stable offset), not the LEO.
    result.offset = isolation == FetchIsolation::kTxnCommitted
                        ? partition->last_stable_offset().value()
                        : isolation == FetchIsolation::kLogEnd ? partition->log()->log_end_offset().value()
                                                               : partition->high_watermark().value();
    return result;
  }
  SAMSA_ASSIGN_OR_RETURN(std::optional<TimestampOffset> found,
                         partition->log()->FetchOffsetByTimestamp(timestamp));
  if (found) {
    result.timestamp = found->timestamp;
    result.offset = found->offset.value();
  }
  return result;
}

absl::StatusOr<std::vector<int64_t>> Broker::Impl::LegacyListOffsets(const TopicPartition& tp,
                                                                     int64_t timestamp,
                                                                     int32_t max_num_offsets,
                                                                     bool from_consumer) {
  SAMSA_RETURN_IF_ERROR(CheckOpen());
  SAMSA_ASSIGN_OR_RETURN(std::shared_ptr<Partition> partition, LeaderPartition(tp));
  const Log::SegmentsSnapshot snapshot = partition->log()->Snapshot();
  // (offset, last written) per segment, then the log end offset "now".
  std::vector<std::pair<int64_t, int64_t>> times;
  for (const std::shared_ptr<LogSegment>& segment : snapshot.segments) {
    times.emplace_back(std::max(segment->base_offset().value(), snapshot.log_start_offset.value()),
                       segment->LargestTimestamp());
  }
  if (!snapshot.segments.empty() && snapshot.segments.back()->size() > 0) {
    times.emplace_back(snapshot.log_end_offset.value(), clock_->NowMs());
  }
  int64_t start = -1;
  if (timestamp == kLatestTimestamp) {
    start = static_cast<int64_t>(times.size()) - 1;
  } else if (timestamp == kEarliestTimestamp) {
    start = times.empty() ? -1 : 0;
  } else {
    start = static_cast<int64_t>(times.size()) - 1;
    while (start >= 0 && times[static_cast<size_t>(start)].second > timestamp) --start;
  }
  // Newest first, as Kafka sorts them: `times` runs oldest to newest.
  std::vector<int64_t> offsets;
  for (int64_t i = start; i >= 0 && static_cast<int64_t>(offsets.size()) < max_num_offsets; --i) {
    offsets.push_back(times[static_cast<size_t>(i)].first);
  }
  if (from_consumer) {
    const int64_t hw = partition->high_watermark().value();
    if (!offsets.empty() && offsets.front() > hw) {
      std::vector<int64_t> capped{hw};
      for (int64_t o : offsets) {
        if (o <= hw) capped.push_back(o);
      }
      offsets = std::move(capped);
    }
  }
  return offsets;
}

absl::StatusOr<int64_t> Broker::Impl::DeleteRecords(const TopicPartition& tp, int64_t before_offset) {
  SAMSA_RETURN_IF_ERROR(CheckOpen());
  SAMSA_ASSIGN_OR_RETURN(std::shared_ptr<Partition> partition, LeaderPartition(tp));
  SAMSA_ASSIGN_OR_RETURN(Offset start, partition->log()->DeleteRecordsBefore(Offset(before_offset)));
  partition->NotifyWaiters();
  return start.value();
}

absl::StatusOr<int64_t> Broker::Impl::RunCleaner() {
  SAMSA_RETURN_IF_ERROR(CheckOpen());
  std::vector<LogManager*> managers;
  {
    MutexLock lock(&topics_mu_);
    managers.push_back(disk_logs_.get());
    if (memory_logs_) managers.push_back(memory_logs_.get());
  }
  int64_t removed = 0;
  for (LogManager* m : managers) {
    for (const CleanerStats& stats : m->RunCleaner()) removed += stats.records_removed;
  }
  return removed;
}

absl::StatusOr<int32_t> Broker::Impl::RunRetention() {
  SAMSA_RETURN_IF_ERROR(CheckOpen());
  int32_t deleted = 0;
  std::vector<LogManager*> managers;
  {
    MutexLock lock(&topics_mu_);
    managers.push_back(disk_logs_.get());
    if (memory_logs_) managers.push_back(memory_logs_.get());
  }
  for (LogManager* m : managers) {
    absl::StatusOr<int32_t> n = m->CleanupLogs();
    if (n.ok()) deleted += *n;
  }
  return deleted;
}

absl::Status Broker::Impl::Flush() {
  SAMSA_RETURN_IF_ERROR(CheckOpen());
  absl::Status result;
  for (const auto& [tp, log] : disk_logs_->AllLogs()) result.Update(log->Flush());
  result.Update(disk_logs_->CheckpointRecoveryPoints());
  return result;
}

}  // namespace samsa
