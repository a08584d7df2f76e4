// Broker::Impl as one broker of a Cluster: the controller's metadata decides
// which partitions it hosts and leads; requests for partitions it does not
// lead are refused with Kafka's codes; metadata and topic views come from the
// controller's metadata.
#include <algorithm>

#include <fmt/format.h>

#include "broker/broker_impl.h"
#include "broker/group/offsets_records.h"
#include "util/logging.h"
#include "util/status_macros.h"

namespace samsa {
namespace {

bool Contains(const std::vector<int32_t>& v, int32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

std::shared_ptr<const coordination::ClusterMetadata> Broker::Impl::cluster_metadata() const {
  MutexLock lock(&cluster_mu_);
  return cluster_metadata_;
}

absl::StatusOr<std::shared_ptr<Partition>> Broker::Impl::LeaderPartition(const TopicPartition& tp) const {
  std::shared_ptr<Partition> partition = GetPartition(tp);
  if (!cluster_mode_) {
    if (partition == nullptr) {
      return KafkaError(ErrorCode::kUnknownTopicOrPartition,
                        fmt::format("this server does not host {}", tp.ToString()));
    }
    return partition;
  }
  std::shared_ptr<const coordination::ClusterMetadata> md = cluster_metadata();
  const coordination::PartitionLeadership* pl = md ? md->Find(tp.topic, tp.partition) : nullptr;
  if (pl == nullptr) {
    return KafkaError(ErrorCode::kUnknownTopicOrPartition,
                      fmt::format("{} does not exist", tp.ToString()));
  }
  if (pl->leader < 0) {
    return KafkaError(ErrorCode::kLeaderNotAvailable,
                      fmt::format("{} is offline: no live replica can lead it (replicas [{}])",
                                  tp.ToString(), fmt::join(pl->replicas, ",")));
  }
  if (pl->leader != broker_id() || partition == nullptr) {
    return KafkaError(ErrorCode::kNotLeaderOrFollower,
                      fmt::format("broker {} is not the leader of {} (broker {} is)", broker_id(),
                                  tp.ToString(), pl->leader));
  }
  return partition;
}

void Broker::Impl::ApplyClusterMetadata(std::shared_ptr<const coordination::ClusterMetadata> md) {
  if (closed_.load() || md == nullptr) return;
  MutexLock apply_lock(&apply_mu_);
  {
    std::shared_ptr<const coordination::ClusterMetadata> current = cluster_metadata();
    if (current != nullptr &&
        std::pair(md->controller_epoch, md->version) <= std::pair(current->controller_epoch, current->version)) {
      SAMSA_LOG(kInfo, "broker {}: ignoring stale metadata (controller epoch {}, version {})",
                broker_id(), md->controller_epoch, md->version);
      return;
    }
  }
  std::vector<std::string> deleted_topics;
  std::vector<TopicPartition> moved_away;
  {
    MutexLock lock(&topics_mu_);
    // Topics gone from the cluster: their logs go (StopReplica with delete).
    std::vector<TopicInfo> gone;
    for (const auto& [name, info] : registry_.topics()) {
      if (!md->topics.contains(name)) gone.push_back(info);
    }
    for (const TopicInfo& info : gone) {
      for (int32_t p = 0; p < info.num_partitions; ++p) {
        const TopicPartition tp{info.name, p};
        incoming_.erase(tp);
        if (LogManager* logs = UnhostPartitionLocked(tp)) logs->DeleteLog(tp).IgnoreError();
      }
      registry_.Erase(info.name);
      deleted_topics.push_back(info.name);
      SAMSA_LOG(kInfo, "broker {}: deleted the logs of topic {}", broker_id(), info.name);
    }
    // Logs on disk of topics the cluster no longer has (deleted while this
    // broker was down): stray, deleted as well.
    // So are logs of partitions reassigned to another broker while this one
    // was down.
    for (const auto& [tp, log] : disk_logs_->AllLogs()) {
      const coordination::PartitionLeadership* pl = md->Find(tp.topic, tp.partition);
      const bool stray = md->topics.contains(tp.topic)
                             ? pl != nullptr && !Contains(pl->replicas, broker_id()) &&
                                   !incoming_.contains(tp) && GetPartition(tp) == nullptr
                             : registry_.Find(tp.topic) == nullptr;
      if (stray) {
        SAMSA_LOG(kInfo, "broker {}: deleting stray log {}", broker_id(), tp.ToString());
        disk_logs_->DeleteLog(tp).IgnoreError();
      }
    }
    for (const auto& [name, t] : md->topics) {
      TopicInfo info;
      info.name = name;
      info.topic_id = t.topic_id;
      info.num_partitions = static_cast<int32_t>(t.partitions.size());
      info.memory = config_.samsa_storage == "memory";
      for (const auto& [key, value] : t.configs) {
        if (key == kStorageConfig) {
          info.memory = info.memory || value == "memory";
        } else {
          info.configs[key] = value;
        }
      }
      // Changed configs (AlterTopicConfigs through /config/topics) reach the
      // logs this broker already hosts.
      const TopicInfo* before = registry_.Find(name);
      const bool configs_changed = before != nullptr && before->configs != info.configs;
      registry_.Put(info);
      if (configs_changed) {
        absl::StatusOr<LogConfig> log_config = LogConfigFor(info);
        if (!log_config.ok()) {
          SAMSA_LOG(kError, "broker {}: ignoring the new configs of topic {}: {}", broker_id(), name,
                    std::string(log_config.status().message()));
        } else {
          UpdateHostedLogConfigs(info, *log_config);
          SAMSA_LOG(kInfo, "broker {}: topic {} configs updated", broker_id(), name);
        }
      }
      for (size_t p = 0; p < t.partitions.size(); ++p) {
        const coordination::PartitionLeadership& pl = t.partitions[p];
        const TopicPartition tp{name, static_cast<int32_t>(p)};
        if (!Contains(pl.replicas, broker_id())) {
          // Reassigned away (StopReplica with delete): after the group
          // coordinator has let go of it, below. A copy on its way here is kept.
          if (!incoming_.contains(tp) && GetPartition(tp) != nullptr) moved_away.push_back(tp);
          continue;
        }
        incoming_.erase(tp);  // a moved partition arrived: now a replica
        if (GetPartition(tp) == nullptr) {
          absl::Status added = AddPartitionsLocked(info, tp.partition, tp.partition + 1);
          if (!added.ok()) {
            SAMSA_LOG(kError, "broker {}: cannot host {}: {}", broker_id(), tp.ToString(),
                      std::string(added.message()));
            continue;
          }
        }
        GetPartition(tp)->SetLeadership(pl.leader, pl.leader_epoch, pl.replicas, pl.isr);
      }
    }
  }
  {
    MutexLock lock(&cluster_mu_);
    cluster_metadata_ = md;
  }
  metadata_version_.fetch_add(1, std::memory_order_acq_rel);
  if (group::GroupCoordinator* groups = groups_ready_.load(std::memory_order_acquire)) {
    for (const std::string& topic : deleted_topics) groups->OnTopicDeleted(topic).IgnoreError();
  }
  MoveGroupLeadership(*md);
  if (!moved_away.empty()) {
    MutexLock lock(&topics_mu_);
    for (const TopicPartition& tp : moved_away) {
      if (LogManager* logs = UnhostPartitionLocked(tp)) logs->DeleteLog(tp).IgnoreError();
      SAMSA_LOG(kInfo, "broker {}: {} was reassigned: its log here is deleted", broker_id(),
                tp.ToString());
    }
  }
}

LogManager* Broker::Impl::UnhostPartitionLocked(const TopicPartition& tp) {
  std::shared_ptr<Partition> partition;
  {
    WriterLock lock(&partitions_mu_);
    auto it = partitions_.find(tp);
    if (it != partitions_.end()) {
      partition = std::move(it->second);
      partitions_.erase(it);
    }
  }
  if (partition) partition->NotifyWaiters();
  const TopicInfo* info = registry_.Find(tp.topic);
  return info == nullptr ? nullptr : LogManagerFor(*info);
}

absl::StatusOr<std::shared_ptr<Partition>> Broker::Impl::AddIncomingReplica(const TopicPartition& tp,
                                                                            Offset log_start) {
  SAMSA_RETURN_IF_ERROR(CheckOpen());
  MutexLock lock(&topics_mu_);
  const TopicInfo* info = registry_.Find(tp.topic);
  if (info == nullptr || tp.partition < 0 || tp.partition >= info->num_partitions) {
    return KafkaError(ErrorCode::kUnknownTopicOrPartition,
                      fmt::format("broker {} does not know {}", broker_id(), tp.ToString()));
  }
  if (GetPartition(tp) != nullptr) {
    return absl::FailedPreconditionError(
        fmt::format("broker {} already hosts {}", broker_id(), tp.ToString()));
  }
  SAMSA_RETURN_IF_ERROR(AddPartitionsLocked(*info, tp.partition, tp.partition + 1));
  std::shared_ptr<Partition> partition = GetPartition(tp);
  // A stale log of it (hosted here before, not yet deleted) goes.
  absl::Status emptied = partition->log()->TruncateFullyAndStartAt(log_start);
  if (!emptied.ok()) {
    if (LogManager* logs = UnhostPartitionLocked(tp)) logs->DeleteLog(tp).IgnoreError();
    return emptied;
  }
  incoming_.insert(tp);
  return partition;
}

void Broker::Impl::DropIncomingReplica(const TopicPartition& tp) {
  MutexLock lock(&topics_mu_);
  if (!incoming_.erase(tp)) return;
  if (LogManager* logs = UnhostPartitionLocked(tp)) logs->DeleteLog(tp).IgnoreError();
}

absl::Status Broker::Impl::ClusterAutoCreate(std::string_view topic, bool allow_auto_create) {
  std::shared_ptr<const coordination::ClusterMetadata> md = cluster_metadata();
  if (md != nullptr && md->topics.contains(topic)) return absl::OkStatus();
  if (!allow_auto_create || !config_.auto_create_topics_enable) {
    return KafkaError(ErrorCode::kUnknownTopicOrPartition, fmt::format("topic {} does not exist", topic));
  }
  NewTopic spec;
  spec.name = std::string(topic);
  absl::Status created = hooks_.create_topic(spec);
  if (!created.ok() && ErrorCodeOf(created) != ErrorCode::kTopicAlreadyExists) return created;
  return absl::OkStatus();
}

std::vector<Broker::Impl::TopicMetadata> Broker::Impl::ClusterMetadataFor(
    const std::optional<std::vector<std::string>>& topics, bool allow_auto_create) {
  std::vector<std::string> names = topics ? *topics : ListTopics(/*include_internal=*/true);
  std::vector<TopicMetadata> result;
  for (const std::string& name : names) {
    TopicMetadata md;
    md.name = name;
    if (absl::Status valid = ValidateTopicName(name); !valid.ok()) {
      md.error = ErrorCode::kInvalidTopicException;
      result.push_back(std::move(md));
      continue;
    }
    if (absl::Status s = ClusterAutoCreate(name, allow_auto_create); !s.ok()) {
      md.error = ErrorCodeOf(s);
      result.push_back(std::move(md));
      continue;
    }
    std::shared_ptr<const coordination::ClusterMetadata> cluster = cluster_metadata();
    if (cluster == nullptr || !cluster->topics.contains(name)) {
      // Created, but the controller's metadata has not reached this broker yet.
      md.error = ErrorCode::kLeaderNotAvailable;
      result.push_back(std::move(md));
      continue;
    }
    const auto it = cluster->topics.find(name);
    md.topic_id = it->second.topic_id;
    md.internal = name.rfind("__", 0) == 0;
    for (size_t p = 0; p < it->second.partitions.size(); ++p) {
      const coordination::PartitionLeadership& pl = it->second.partitions[p];
      PartitionMetadata pm;
      pm.partition = static_cast<int32_t>(p);
      pm.leader = pl.leader;
      pm.leader_epoch = pl.leader_epoch;
      pm.replicas = pl.replicas;
      pm.isr = pl.isr;
      if (pl.leader < 0) pm.error = ErrorCode::kLeaderNotAvailable;
      md.partitions.push_back(std::move(pm));
    }
    result.push_back(std::move(md));
  }
  return result;
}

TopicDescription DescribeLeadership(
    std::string_view name, const coordination::TopicLeadership& t,
    const std::function<std::shared_ptr<Partition>(int32_t partition, int32_t leader)>& leader_partition) {
  TopicDescription d;
  d.name = std::string(name);
  d.topic_id = t.topic_id;
  d.internal = IsInternalTopic(name);
  for (const auto& [key, value] : t.configs) {
    if (key == kStorageConfig) {
      d.memory = value == "memory";
    } else {
      d.configs[key] = value;
    }
  }
  for (size_t p = 0; p < t.partitions.size(); ++p) {
    const coordination::PartitionLeadership& pl = t.partitions[p];
    PartitionDescription pd;
    if (pl.leader >= 0) {
      if (std::shared_ptr<Partition> partition = leader_partition(static_cast<int32_t>(p), pl.leader)) {
        pd = partition->Describe();
      }
    }
    pd.partition = static_cast<int32_t>(p);
    pd.leader = pl.leader;
    pd.replicas = pl.replicas;
    pd.isr = pl.isr;
    d.partitions.push_back(std::move(pd));
  }
  return d;
}

absl::StatusOr<TopicDescription> Broker::Impl::DescribeClusterTopic(std::string_view name) const {
  std::shared_ptr<const coordination::ClusterMetadata> md = cluster_metadata();
  if (md == nullptr || !md->topics.contains(name)) {
    return KafkaError(ErrorCode::kUnknownTopicOrPartition, fmt::format("topic {} does not exist", name));
  }
  // Offsets are known here only for the partitions this broker leads.
  return DescribeLeadership(name, md->topics.find(name)->second,
                            [&](int32_t partition, int32_t leader) -> std::shared_ptr<Partition> {
                              if (leader != broker_id()) return nullptr;
                              return GetPartition({std::string(name), partition});
                            });
}

}  // namespace samsa
