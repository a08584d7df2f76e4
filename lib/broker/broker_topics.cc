// Broker::Impl: topic administration — CreateTopics, DeleteTopics,
// CreatePartitions, configs — with Kafka's validation and messages.
#include <algorithm>

#include <fmt/format.h>

#include "broker/broker_impl.h"
#include "config/topic_config.h"
#include "util/logging.h"
#include "util/status_macros.h"

namespace samsa {
namespace {

constexpr char kMemoryLogDir[] = "/samsa-memory-topics";
constexpr char kPartitionMetadataFile[] = "partition.metadata";

}  // namespace

absl::StatusOr<LogConfig> Broker::Impl::LogConfigFor(const TopicInfo& info) const {
  absl::StatusOr<LogConfig> config = ApplyTopicConfigs(DefaultLogConfig(config_), info.configs);
  if (!config.ok()) return config.status();
  return config;
}

LogManager* Broker::Impl::LogManagerFor(const TopicInfo& info) {
  if (!info.memory) return disk_logs_.get();
  if (!memory_logs_) {
    memory_env_ = NewMemEnv(clock_);
    LogManager::Options options;
    options.env = memory_env_.get();
    options.log_dirs = {kMemoryLogDir};
    options.default_config = DefaultLogConfig(config_);
    options.cleaner = CleanerConfigFor(config_);
    absl::StatusOr<std::unique_ptr<LogManager>> manager = LogManager::Open(std::move(options));
    if (!manager.ok()) return nullptr;  // a MemEnv does not fail to open
    memory_logs_ = *std::move(manager);
  }
  return memory_logs_.get();
}

absl::Status Broker::Impl::StoreRegistryLocked() {
  metadata_version_.fetch_add(1, std::memory_order_acq_rel);
  if (cluster_mode_) return absl::OkStatus();  // the coordinator holds the topics
  absl::Status s = registry_.Store(env_, log_dirs_);
  if (!s.ok()) {
    return KafkaError(ErrorCode::kKafkaStorageError,
                      fmt::format("writing topic metadata: {}", std::string(s.message())));
  }
  return absl::OkStatus();
}

absl::Status Broker::Impl::AddPartitionsLocked(const TopicInfo& info, int32_t from, int32_t to) {
  SAMSA_ASSIGN_OR_RETURN(LogConfig config, LogConfigFor(info));
  LogManager* logs = LogManagerFor(info);
  for (int32_t p = from; p < to; ++p) {
    const TopicPartition tp{info.name, p};
    SAMSA_ASSIGN_OR_RETURN(std::shared_ptr<Log> log, logs->GetOrCreateLog(tp, config));
    log->UpdateConfig(config);
    // Kafka 2.8+ records the topic id beside the segments.
    const std::string metadata_path = JoinPath(log->dir(), kPartitionMetadataFile);
    Env* env = info.memory ? memory_env_.get() : env_;
    if (!info.topic_id.empty() && !env->FileExists(metadata_path)) {
      SAMSA_RETURN_IF_ERROR(WriteFileAtomically(
          env, metadata_path, fmt::format("version: 0\ntopic_id: {}\n", info.topic_id)));
    }
    auto partition = std::make_shared<Partition>(tp, std::move(log), broker_id(), clock_);
    WriterLock lock(&partitions_mu_);
    partitions_[tp] = std::move(partition);
  }
  return absl::OkStatus();
}

absl::Status Broker::Impl::CreateTopic(const NewTopic& topic) {
  SAMSA_RETURN_IF_ERROR(CheckOpen());
  if (cluster_mode_) return hooks_.create_topic(topic);
  MutexLock lock(&topics_mu_);
  return CreateTopicLocked(topic, /*auto_created=*/false);
}

absl::Status Broker::Impl::ValidateCreateTopic(const NewTopic& topic) const {
  SAMSA_RETURN_IF_ERROR(CheckOpen());
  MutexLock lock(&topics_mu_);  // in a cluster, the registry mirrors the controller's topics
  return NewTopicInfoLocked(topic).status();
}

absl::StatusOr<TopicInfo> Broker::Impl::NewTopicInfoLocked(const NewTopic& spec) const {
  SAMSA_RETURN_IF_ERROR(ValidateTopicName(spec.name));
  if (registry_.Find(spec.name) != nullptr) {
    return KafkaError(ErrorCode::kTopicAlreadyExists,
                      fmt::format("Topic '{}' already exists.", spec.name));
  }
  for (const auto& [name, info] : registry_.topics()) {
    if (TopicNamesCollide(name, spec.name)) {
      return KafkaError(ErrorCode::kInvalidTopicException,
                        fmt::format("Topic '{}' collides with existing topic: {}", spec.name, name));
    }
  }
  const int32_t partitions = spec.num_partitions == -1 ? config_.num_partitions : spec.num_partitions;
  if (partitions < 1) {
    return KafkaError(ErrorCode::kInvalidPartitions,
                      "Number of partitions was set to an invalid non-positive value.");
  }
  const int32_t replication =
      spec.replication_factor == -1 ? config_.default_replication_factor : spec.replication_factor;
  if (replication < 1) {
    return KafkaError(ErrorCode::kInvalidReplicationFactor,
                      "Replication factor must be larger than 0.");
  }
  constexpr int32_t kLiveBrokers = 1;
  if (replication > kLiveBrokers) {
    return KafkaError(ErrorCode::kInvalidReplicationFactor,
                      fmt::format("Replication factor: {} larger than available brokers: {}.",
                                  replication, kLiveBrokers));
  }
  TopicInfo info;
  info.name = spec.name;
  info.num_partitions = partitions;
  info.memory = spec.memory || config_.samsa_storage == "memory";
  for (const auto& [key, value] : spec.configs) {
    if (key == kStorageConfig) {
      if (value != "memory" && value != "disk") {
        return KafkaError(ErrorCode::kInvalidConfig,
                          fmt::format("Invalid value {} for configuration {}: must be memory or disk",
                                      value, key));
      }
      info.memory = info.memory || value == "memory";
      continue;
    }
    info.configs[key] = value;
  }
  SAMSA_RETURN_IF_ERROR(LogConfigFor(info).status());  // INVALID_CONFIG naming the key
  return info;
}

absl::Status Broker::Impl::CreateTopicLocked(const NewTopic& spec, bool auto_created) {
  SAMSA_ASSIGN_OR_RETURN(TopicInfo info, NewTopicInfoLocked(spec));
  if (spec.name.find_first_of("._") != std::string::npos && !IsInternalTopic(spec.name)) {
    SAMSA_LOG(kWarning,
              "topic {}: due to limitations in metric names, topics with a period ('.') or "
              "underscore ('_') could collide. To avoid issues it is best to use either, but not both.",
              spec.name);
  }
  const int32_t partitions = info.num_partitions;
  info.topic_id = NewTopicId();
  registry_.Put(info);
  absl::Status added = AddPartitionsLocked(info, 0, partitions);
  if (!added.ok()) {
    registry_.Erase(info.name);
    return added;
  }
  if (info.memory) {
    metadata_version_.fetch_add(1, std::memory_order_acq_rel);
  } else {
    SAMSA_RETURN_IF_ERROR(StoreRegistryLocked());
  }
  SAMSA_LOG(kInfo, "broker {}: {} topic {} with {} partition(s){}", broker_id(),
            auto_created ? "auto-created" : "created", info.name, partitions,
            info.memory ? " (memory-backed)" : "");
  return absl::OkStatus();
}

absl::Status Broker::Impl::DeleteTopic(std::string_view name) {
  SAMSA_RETURN_IF_ERROR(CheckOpen());
  if (!config_.delete_topic_enable) {
    return KafkaError(ErrorCode::kTopicDeletionDisabled,
                      "Topic deletion is disabled (delete.topic.enable=false).");
  }
  if (IsInternalTopic(name)) {
    return KafkaError(ErrorCode::kInvalidTopicException,
                      fmt::format("Topic {} is a Kafka internal topic and cannot be deleted.", name));
  }
  if (cluster_mode_) return hooks_.delete_topic(name);
  absl::Status result = DeleteTopicFiles(name);
  if (group::GroupCoordinator* groups = groups_ready_.load(std::memory_order_acquire)) {
    // Kafka's GroupMetadataManager drops the deleted topic's offsets.
    if (result.ok()) groups->OnTopicDeleted(name).IgnoreError();
  }
  return result;
}

absl::Status Broker::Impl::DeleteTopicFiles(std::string_view name) {
  MutexLock lock(&topics_mu_);
  const TopicInfo* found = registry_.Find(name);
  if (found == nullptr) {
    return KafkaError(ErrorCode::kUnknownTopicOrPartition,
                      fmt::format("topic {} does not exist", name));
  }
  const TopicInfo info = *found;
  LogManager* logs = LogManagerFor(info);
  absl::Status result;
  for (int32_t p = 0; p < info.num_partitions; ++p) {
    const TopicPartition tp{info.name, p};
    std::shared_ptr<Partition> partition;
    {
      WriterLock lock(&partitions_mu_);
      auto it = partitions_.find(tp);
      if (it != partitions_.end()) {
        partition = it->second;
        partitions_.erase(it);
      }
    }
    if (partition) partition->NotifyWaiters();
    absl::Status deleted = logs->DeleteLog(tp);
    if (!deleted.ok() && ErrorCodeOf(deleted) != ErrorCode::kUnknownTopicOrPartition) {
      result.Update(deleted);
    }
  }
  registry_.Erase(info.name);
  if (info.memory) {
    metadata_version_.fetch_add(1, std::memory_order_acq_rel);
  } else {
    result.Update(StoreRegistryLocked());
  }
  SAMSA_LOG(kInfo, "broker {}: deleted topic {}", broker_id(), info.name);
  return result;
}

std::vector<std::string> Broker::Impl::ListTopics(bool include_internal) const {
  std::vector<std::string> names;
  if (cluster_mode_) {
    if (std::shared_ptr<const coordination::ClusterMetadata> md = cluster_metadata()) {
      for (const auto& [name, t] : md->topics) {
        if (include_internal || !IsInternalTopic(name)) names.push_back(name);
      }
    }
    return names;
  }
  MutexLock lock(&topics_mu_);
  for (const auto& [name, info] : registry_.topics()) {
    if (include_internal || !IsInternalTopic(name)) names.push_back(name);
  }
  return names;
}

absl::StatusOr<TopicDescription> Broker::Impl::DescribeTopic(std::string_view name) const {
  SAMSA_RETURN_IF_ERROR(CheckOpen());
  if (cluster_mode_) return DescribeClusterTopic(name);
  TopicDescription d;
  {
    MutexLock lock(&topics_mu_);
    const TopicInfo* info = registry_.Find(name);
    if (info == nullptr) {
      return KafkaError(ErrorCode::kUnknownTopicOrPartition,
                        fmt::format("topic {} does not exist", name));
    }
    d.name = info->name;
    d.topic_id = info->topic_id;
    d.internal = IsInternalTopic(info->name);
    d.memory = info->memory;
    d.configs = {info->configs.begin(), info->configs.end()};
    d.partitions.resize(static_cast<size_t>(info->num_partitions));
  }
  for (size_t p = 0; p < d.partitions.size(); ++p) {
    std::shared_ptr<Partition> partition = GetPartition({d.name, static_cast<int32_t>(p)});
    if (partition) {
      d.partitions[p] = partition->Describe();
    } else {
      d.partitions[p].partition = static_cast<int32_t>(p);
    }
  }
  return d;
}

absl::Status Broker::Impl::CreatePartitions(std::string_view topic, int32_t total_partitions) {
  SAMSA_RETURN_IF_ERROR(CheckOpen());
  if (cluster_mode_) return hooks_.create_partitions(topic, total_partitions);
  MutexLock lock(&topics_mu_);
  TopicInfo* info = registry_.FindMutable(topic);
  if (info == nullptr) {
    return KafkaError(ErrorCode::kUnknownTopicOrPartition,
                      fmt::format("topic {} does not exist", topic));
  }
  if (total_partitions <= info->num_partitions) {
    return KafkaError(ErrorCode::kInvalidPartitions,
                      fmt::format("Topic currently has {} partitions, {} would not be an increase.",
                                  info->num_partitions, total_partitions));
  }
  const int32_t from = info->num_partitions;
  SAMSA_RETURN_IF_ERROR(AddPartitionsLocked(*info, from, total_partitions));
  info->num_partitions = total_partitions;
  SAMSA_LOG(kInfo, "broker {}: topic {} grew from {} to {} partitions", broker_id(), topic, from,
            total_partitions);
  if (info->memory) {
    metadata_version_.fetch_add(1, std::memory_order_acq_rel);
    return absl::OkStatus();
  }
  return StoreRegistryLocked();
}

absl::Status Broker::Impl::AlterTopicConfigs(
    std::string_view topic, const std::map<std::string, std::optional<std::string>>& changes) {
  SAMSA_RETURN_IF_ERROR(CheckOpen());
  // A cluster's topic configs live in /config/topics: the change comes back
  // to every broker with the controller's metadata.
  if (cluster_mode_) return hooks_.alter_topic_configs(topic, changes);
  MutexLock lock(&topics_mu_);
  TopicInfo* info = registry_.FindMutable(topic);
  if (info == nullptr) {
    return KafkaError(ErrorCode::kUnknownTopicOrPartition,
                      fmt::format("topic {} does not exist", topic));
  }
  TopicInfo updated = *info;
  for (const auto& [key, value] : changes) {
    if (value) {
      updated.configs[key] = *value;
    } else {
      updated.configs.erase(key);
    }
  }
  SAMSA_ASSIGN_OR_RETURN(LogConfig config, LogConfigFor(updated));
  *info = updated;
  UpdateHostedLogConfigs(*info, config);
  if (info->memory) return absl::OkStatus();
  return StoreRegistryLocked();
}

void Broker::Impl::UpdateHostedLogConfigs(const TopicInfo& info, const LogConfig& config) {
  for (int32_t p = 0; p < info.num_partitions; ++p) {
    if (std::shared_ptr<Partition> partition = GetPartition({info.name, p})) {
      partition->log()->UpdateConfig(config);
    }
  }
}

absl::StatusOr<std::vector<ConfigEntry>> Broker::Impl::DescribeTopicConfigs(std::string_view topic) const {
  SAMSA_RETURN_IF_ERROR(CheckOpen());
  MutexLock lock(&topics_mu_);
  const TopicInfo* info = registry_.Find(topic);
  if (info == nullptr) {
    return KafkaError(ErrorCode::kUnknownTopicOrPartition,
                      fmt::format("topic {} does not exist", topic));
  }
  SAMSA_ASSIGN_OR_RETURN(LogConfig config, LogConfigFor(*info));
  return DescribeTopicConfig(config, info->configs);
}

}  // namespace samsa
