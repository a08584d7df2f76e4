// Broker::Impl's consumer groups: the group coordinator over this broker's
// partitions of __consumer_offsets, and the group views the public API and the
// `samsa groups` tool show.

#include <algorithm>
#include <map>
#include <string>

#include <fmt/format.h>

#include "broker/broker_impl.h"
#include "broker/group/consumer_protocol.h"
#include "broker/group/log_offsets_store.h"
#include "broker/group/offsets_records.h"
#include "samsa/errors.h"
#include "util/logging.h"
#include "util/status_macros.h"

namespace samsa {
namespace {

// __consumer_offsets on this broker: appends go through the broker's Produce
// (acks=all), so the high watermark moves and fetchers of the topic see them;
// scans read the partitions' logs (LogOffsetsStore).
class BrokerOffsetsStore final : public group::LogOffsetsStore {
 public:
  explicit BrokerOffsetsStore(Broker::Impl* broker) : broker_(broker) {}

  absl::StatusOr<int64_t> Append(int32_t partition, std::string record_batch) override {
    SAMSA_ASSIGN_OR_RETURN(
        Broker::Impl::ProduceResult result,
        broker_->Produce({std::string(group::kOffsetsTopic), partition}, std::move(record_batch),
                         /*acks=*/-1, AppendOrigin::kCoordinator));
    return result.last_offset;
  }

 private:
  Broker::Impl* const broker_;
};

}  // namespace

absl::StatusOr<group::GroupCoordinator*> Broker::Impl::Groups() {
  if (group::GroupCoordinator* ready = groups_ready_.load(std::memory_order_acquire)) return ready;
  SAMSA_RETURN_IF_ERROR(CheckOpen());
  const std::string topic(group::kOffsetsTopic);
  if (cluster_mode_) {
    // Through the cluster, before groups_mu_: the topic's metadata comes back
    // through ApplyClusterMetadata, which takes groups_mu_.
    std::shared_ptr<const coordination::ClusterMetadata> md = cluster_metadata();
    if (md == nullptr || !md->topics.contains(topic)) {
      NewTopic spec;
      spec.name = topic;
      spec.num_partitions = config_.offsets_topic_num_partitions;
      spec.replication_factor = 1;
      spec.configs = {{"cleanup.policy", "compact"},
                      {"segment.bytes", std::to_string(config_.offsets_topic_segment_bytes)},
                      {"compression.type", "producer"}};
      absl::Status created = hooks_.create_topic(spec);
      if (!created.ok() && ErrorCodeOf(created) != ErrorCode::kTopicAlreadyExists) return created;
    }
  }
  MutexLock lock(&groups_mu_);
  if (groups_) return groups_.get();
  int32_t partitions = 0;
  std::set<int32_t> led;
  if (cluster_mode_) {
    std::shared_ptr<const coordination::ClusterMetadata> md = cluster_metadata();
    if (md == nullptr || !md->topics.contains(topic)) {
      return KafkaError(ErrorCode::kCoordinatorNotAvailable,
                        fmt::format("{} is not known to broker {} yet", topic, broker_id()));
    }
    partitions = static_cast<int32_t>(md->topics.find(topic)->second.partitions.size());
    led = LedOffsetsPartitions(*md);
  } else {
    MutexLock topics_lock(&topics_mu_);
    const TopicInfo* info = registry_.Find(topic);
    if (info == nullptr) {
      // Kafka creates the topic on the first FindCoordinator. With fewer live
      // brokers than offsets.topic.replication.factor Kafka refuses groups
      // until enough brokers join; a broker embedded alone uses what it has.
      NewTopic spec;
      spec.name = topic;
      spec.num_partitions = config_.offsets_topic_num_partitions;
      spec.replication_factor = 1;
      if (config_.offsets_topic_replication_factor > 1) {
        SAMSA_LOG(kWarning,
                  "broker {}: creating {} with replication factor 1 (one live broker; "
                  "offsets.topic.replication.factor is {})",
                  broker_id(), topic, config_.offsets_topic_replication_factor);
      }
      spec.configs = {{"cleanup.policy", "compact"},
                      {"segment.bytes", std::to_string(config_.offsets_topic_segment_bytes)},
                      {"compression.type", "producer"}};
      SAMSA_RETURN_IF_ERROR(CreateTopicLocked(spec, /*auto_created=*/false));
      info = registry_.Find(topic);
    }
    partitions = info->num_partitions;
    for (int32_t p = 0; p < partitions; ++p) led.insert(p);
  }
  auto store = std::make_unique<BrokerOffsetsStore>(this);
  for (int32_t p : led) {
    std::shared_ptr<Partition> partition = GetPartition({topic, p});
    if (partition == nullptr) {
      return KafkaError(ErrorCode::kCoordinatorNotAvailable,
                        fmt::format("{}-{} is not hosted by broker {}", topic, p, broker_id()));
    }
    store->AddPartition(p, partition->log());
  }
  group::GroupCoordinator::Options options;
  options.clock = clock_;
  options.store = store.get();
  options.config.offsets_topic_num_partitions = partitions;
  options.config.group_min_session_timeout_ms = config_.group_min_session_timeout_ms;
  options.config.group_max_session_timeout_ms = config_.group_max_session_timeout_ms;
  options.config.group_initial_rebalance_delay_ms = config_.group_initial_rebalance_delay_ms;
  options.config.group_max_size = config_.group_max_size;
  options.config.offsets_retention_minutes = config_.offsets_retention_minutes;
  options.config.offsets_retention_check_interval_ms = config_.offsets_retention_check_interval_ms;
  options.partition_exists = [this](const TopicPartition& tp) {
    if (!cluster_mode_) return GetPartition(tp) != nullptr;
    std::shared_ptr<const coordination::ClusterMetadata> md = cluster_metadata();
    return md != nullptr && md->Find(tp.topic, tp.partition) != nullptr;
  };
  auto coordinator = std::make_unique<group::GroupCoordinator>(std::move(options));
  for (int32_t p : led) SAMSA_RETURN_IF_ERROR(coordinator->OnElection(p));
  groups_led_ = led;
  SAMSA_LOG(kInfo, "broker {}: group coordinator for {} partitions of {}", broker_id(), partitions,
            topic);
  offsets_store_ = std::move(store);
  groups_ = std::move(coordinator);
  groups_ready_.store(groups_.get(), std::memory_order_release);
  return groups_.get();
}

std::set<int32_t> Broker::Impl::LedOffsetsPartitions(const coordination::ClusterMetadata& md) const {
  std::set<int32_t> led;
  auto it = md.topics.find(group::kOffsetsTopic);
  if (it == md.topics.end()) return led;
  for (size_t p = 0; p < it->second.partitions.size(); ++p) {
    const int32_t id = static_cast<int32_t>(p);
    if (it->second.partitions[p].leader == broker_id() &&
        GetPartition({std::string(group::kOffsetsTopic), id}) != nullptr) {
      led.insert(id);
    }
  }
  return led;
}

void Broker::Impl::MoveGroupLeadership(const coordination::ClusterMetadata& md) {
  MutexLock lock(&groups_mu_);
  if (!groups_ || closed_.load()) return;
  auto* store = static_cast<BrokerOffsetsStore*>(offsets_store_.get());
  const std::set<int32_t> led = LedOffsetsPartitions(md);
  for (int32_t p : groups_led_) {
    if (led.contains(p)) continue;
    groups_->OnResignation(p);
    store->RemovePartition(p);
  }
  for (int32_t p : led) {
    if (groups_led_.contains(p)) continue;
    store->AddPartition(p, GetPartition({std::string(group::kOffsetsTopic), p})->log());
    absl::Status s = groups_->OnElection(p);
    if (!s.ok()) {
      SAMSA_LOG(kWarning, "broker {}: loading groups of {}-{}: {}", broker_id(), group::kOffsetsTopic,
                p, std::string(s.message()));
    }
  }
  groups_led_ = led;
}

absl::StatusOr<std::vector<ConsumerGroupListing>> Broker::Impl::ListGroups() {
  SAMSA_ASSIGN_OR_RETURN(group::GroupCoordinator * groups, Groups());
  group::ListGroupsResponse listed = groups->ListGroups({});
  if (listed.error_code != ErrorCode::kNone) {
    return KafkaError(listed.error_code, "ListGroups failed");
  }
  std::vector<ConsumerGroupListing> out;
  for (const group::ListedGroup& g : listed.groups) {
    out.push_back({g.group_id, g.group_state, g.protocol_type});
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
  return out;
}

absl::StatusOr<ConsumerGroupDescription> Broker::Impl::DescribeGroup(std::string_view group_id) {
  SAMSA_ASSIGN_OR_RETURN(group::GroupCoordinator * groups, Groups());
  group::DescribeGroupsResponse described = groups->DescribeGroups({std::string(group_id)});
  if (described.groups.empty()) {
    return KafkaError(ErrorCode::kGroupIdNotFound, fmt::format("Consumer group '{}' does not exist.", group_id));
  }
  const group::DescribedGroup& g = described.groups[0];
  if (g.error_code != ErrorCode::kNone) {
    return KafkaError(g.error_code, fmt::format("describe group {}", group_id));
  }
  SAMSA_ASSIGN_OR_RETURN(auto committed, groups->CommittedOffsets(group_id));
  if (g.group_state == "Dead" && committed.empty()) {
    return KafkaError(ErrorCode::kGroupIdNotFound,
                      fmt::format("Consumer group '{}' does not exist.", group_id));
  }
  ConsumerGroupDescription out;
  out.group_id = g.group_id;
  out.state = g.group_state;
  out.protocol_type = g.protocol_type;
  out.assignor = g.protocol_data;
  out.coordinator = broker_id();
  std::map<TopicPartition, ConsumerGroupPartition> partitions;
  for (const group::DescribedGroupMember& m : g.members) {
    ConsumerGroupMember member;
    member.member_id = m.member_id;
    member.group_instance_id = m.group_instance_id;
    member.client_id = m.client_id;
    member.host = m.client_host;
    if (g.protocol_type == "consumer" && !m.member_assignment.empty()) {
      absl::StatusOr<group::Assignment> assignment = group::DecodeAssignment(m.member_assignment);
      if (assignment.ok()) member.assignment = assignment->PartitionList();
    }
    for (const TopicPartition& tp : member.assignment) {
      ConsumerGroupPartition& p = partitions[tp];
      p.member_id = member.member_id;
      p.client_id = member.client_id;
      p.host = member.host;
    }
    out.members.push_back(std::move(member));
  }
  for (const auto& [tp, value] : committed) partitions[tp].committed_offset = value.offset;
  for (auto& [tp, p] : partitions) {
    p.tp = tp;
    if (std::shared_ptr<Partition> partition = GetPartition(tp)) {
      p.log_end_offset = partition->log()->log_end_offset().value();
      p.high_watermark = partition->log()->high_watermark().value();
      if (p.committed_offset) p.lag = std::max<int64_t>(0, p.high_watermark - *p.committed_offset);
    }
    out.partitions.push_back(p);
  }
  return out;
}

absl::Status Broker::Impl::DeleteGroup(std::string_view group_id) {
  SAMSA_ASSIGN_OR_RETURN(group::GroupCoordinator * groups, Groups());
  group::DeleteGroupsResponse deleted = groups->DeleteGroups({std::string(group_id)});
  for (const group::DeletableGroupResult& r : deleted.results) {
    if (r.error_code != ErrorCode::kNone) {
      return KafkaError(r.error_code, fmt::format("delete group {}", group_id));
    }
  }
  return absl::OkStatus();
}

}  // namespace samsa
