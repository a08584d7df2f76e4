#include "client/cluster_client.h"

#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "broker/group/offsets_records.h"
#include "samsa/errors.h"
#include "util/status_macros.h"

namespace samsa::client {
namespace {

bool LeaderMoved(const absl::Status& s) {
  const ErrorCode code = ErrorCodeOf(s);
  return code == ErrorCode::kNotLeaderOrFollower || code == ErrorCode::kLeaderNotAvailable;
}

class ClusterBrokerClient final : public BrokerClient {
 public:
  ClusterBrokerClient(Cluster::Impl* cluster, Clock* clock, std::string group_id)
      : cluster_(cluster), clock_(clock), group_id_(std::move(group_id)) {}

  Clock* clock() const override { return clock_; }

  uint64_t metadata_version() const override {
    std::shared_ptr<const coordination::ClusterMetadata> md = cluster_->metadata();
    if (md == nullptr) return 0;
    return (static_cast<uint64_t>(md->controller_epoch) << 32) + static_cast<uint64_t>(md->version);
  }

  absl::StatusOr<TopicMetadata> Topic(std::string_view topic) override {
    std::shared_ptr<const coordination::ClusterMetadata> md = cluster_->metadata();
    if (md == nullptr || !md->topics.contains(topic)) {
      SAMSA_RETURN_IF_ERROR(ValidateTopicName(topic));
      if (!cluster_->base_config().auto_create_topics_enable) {
        return KafkaError(ErrorCode::kUnknownTopicOrPartition, fmt::format("topic {} does not exist", topic));
      }
      NewTopic spec;
      spec.name = std::string(topic);
      absl::Status created = cluster_->CreateTopic(spec);
      if (!created.ok() && ErrorCodeOf(created) != ErrorCode::kTopicAlreadyExists) return created;
      md = cluster_->metadata();
      if (md == nullptr || !md->topics.contains(topic)) {
        return KafkaError(ErrorCode::kLeaderNotAvailable,
                          fmt::format("topic {} was created but has no metadata yet", topic));
      }
    }
    const coordination::TopicLeadership& t = md->topics.find(topic)->second;
    TopicMetadata result;
    result.partitions = static_cast<int32_t>(t.partitions.size());
    result.max_message_bytes = cluster_->base_config().message_max_bytes;
    if (auto it = t.configs.find("max.message.bytes"); it != t.configs.end()) {
      result.max_message_bytes = std::atoi(it->second.c_str());
    }
    return result;
  }

  absl::StatusOr<Broker::Impl::ProduceResult> Produce(const TopicPartition& tp,
                                                      absl::Span<char> records,
                                                      int16_t acks) override {
    // The first attempt appends from a copy: a retry at a new leader sends
    // the batches as they came, not with the first leader's stamps.
    for (int attempt = 0;; ++attempt) {
      absl::StatusOr<std::shared_ptr<Broker>> leader = Leader(tp);
      absl::StatusOr<Broker::Impl::ProduceResult> result =
          !leader.ok() ? absl::StatusOr<Broker::Impl::ProduceResult>(leader.status())
          : attempt == 0
              ? (*leader)->impl()->Produce(tp, std::string(records.data(), records.size()), acks,
                                           AppendOrigin::kLocalProducer)
              : (*leader)->impl()->Produce(tp, records, acks, AppendOrigin::kLocalProducer);
      if (result.ok() || attempt > 0 || !LeaderMoved(result.status())) return result;
    }
  }

  std::vector<Broker::Impl::FetchPartitionResponse> Fetch(
      const Broker::Impl::FetchRequest& request) override {
    std::vector<Broker::Impl::FetchPartitionResponse> responses(request.partitions.size());
    // Partitions by leader, with their index in the request.
    std::map<int32_t, std::pair<std::shared_ptr<Broker>, std::vector<size_t>>> by_leader;
    for (size_t i = 0; i < request.partitions.size(); ++i) {
      responses[i].tp = request.partitions[i].tp;
      absl::StatusOr<std::shared_ptr<Broker>> leader = Leader(request.partitions[i].tp);
      if (!leader.ok()) {
        responses[i].status = leader.status();
        continue;
      }
      auto& entry = by_leader[(*leader)->id()];
      entry.first = *leader;
      entry.second.push_back(i);
    }
    // Wait on every partition at once: an append to any of them wakes us.
    FetchWaiter own_waiter;
    FetchWaiter* waiter = request.waiter != nullptr ? request.waiter : &own_waiter;
    std::vector<std::shared_ptr<Partition>> watched;
    for (auto& [id, entry] : by_leader) {
      for (size_t i : entry.second) {
        if (auto p = entry.first->impl()->GetPartition(request.partitions[i].tp)) {
          p->AddWaiter(waiter);
          watched.push_back(std::move(p));
        }
      }
    }
    const absl::Time deadline = clock_->Now() + request.max_wait;
    while (true) {
      int64_t total = 0;
      for (auto& [id, entry] : by_leader) {
        Broker::Impl::FetchRequest sub;
        sub.max_wait = absl::ZeroDuration();
        sub.min_bytes = 0;
        sub.max_bytes = request.max_bytes;
        sub.isolation = request.isolation;
        for (size_t i : entry.second) sub.partitions.push_back(request.partitions[i]);
        std::vector<Broker::Impl::FetchPartitionResponse> got = entry.first->impl()->Fetch(sub);
        for (size_t k = 0; k < got.size() && k < entry.second.size(); ++k) {
          total += static_cast<int64_t>(got[k].records.size());
          responses[entry.second[k]] = std::move(got[k]);
        }
      }
      if (total >= request.min_bytes || request.max_wait <= absl::ZeroDuration() ||
          clock_->Now() >= deadline) {
        break;
      }
      if (request.interrupted != nullptr && request.interrupted->load()) break;
      waiter->WaitUntil(clock_, deadline);
      if (request.interrupted != nullptr && request.interrupted->load()) break;
    }
    for (const auto& p : watched) p->RemoveWaiter(waiter);
    return responses;
  }

  absl::StatusOr<int32_t> PartitionCount(std::string_view topic) override {
    std::shared_ptr<const coordination::ClusterMetadata> md = cluster_->metadata();
    if (md == nullptr || !md->topics.contains(topic)) {
      return KafkaError(ErrorCode::kUnknownTopicOrPartition, fmt::format("topic {} does not exist", topic));
    }
    return static_cast<int32_t>(md->topics.find(topic)->second.partitions.size());
  }

  std::vector<std::string> ListTopics() override { return cluster_->ListTopics(false); }

  absl::StatusOr<GroupCoordinatorRef> GroupCoordinator() override {
    const std::string topic(group::kOffsetsTopic);
    std::shared_ptr<const coordination::ClusterMetadata> md = cluster_->metadata();
    if (md == nullptr || !md->topics.contains(topic)) {
      // Any running broker creates the topic (Kafka: on the first FindCoordinator).
      for (int32_t id : cluster_->live_broker_ids()) {
        if (std::shared_ptr<Broker> b = cluster_->GetBroker(id)) {
          absl::Status s = b->impl()->Groups().status();
          if (!s.ok() && ErrorCodeOf(s) != ErrorCode::kCoordinatorNotAvailable) return s;
          break;
        }
      }
      md = cluster_->metadata();
      if (md == nullptr || !md->topics.contains(topic)) {
        return KafkaError(ErrorCode::kCoordinatorNotAvailable, "the offsets topic is not available yet");
      }
    }
    const int32_t partitions = static_cast<int32_t>(md->topics.find(topic)->second.partitions.size());
    const int32_t p = group::PartitionForGroup(group_id_, partitions);
    const coordination::PartitionLeadership* pl = md->Find(topic, p);
    std::shared_ptr<Broker> leader = pl != nullptr && pl->leader >= 0 ? cluster_->GetBroker(pl->leader) : nullptr;
    if (leader == nullptr) {
      return KafkaError(ErrorCode::kCoordinatorNotAvailable,
                        fmt::format("{}-{} (group {}) has no live leader", topic, p, group_id_));
    }
    // Shares ownership of the leader: a KillBroker meanwhile closes it, but
    // the coordinator object lives until this reference goes.
    SAMSA_ASSIGN_OR_RETURN(group::GroupCoordinator * groups, leader->impl()->Groups());
    return GroupCoordinatorRef(std::move(leader), groups);
  }

  absl::StatusOr<Broker::Impl::ListOffsetResult> ListOffset(const TopicPartition& tp,
                                                            int64_t timestamp,
                                                            FetchIsolation isolation) override {
    for (int attempt = 0;; ++attempt) {
      absl::StatusOr<std::shared_ptr<Broker>> leader = Leader(tp);
      absl::StatusOr<Broker::Impl::ListOffsetResult> result =
          leader.ok() ? (*leader)->impl()->ListOffset(tp, timestamp, isolation)
                      : absl::StatusOr<Broker::Impl::ListOffsetResult>(leader.status());
      if (result.ok() || attempt > 0 || !LeaderMoved(result.status())) return result;
    }
  }

 private:
  // The running leader of `tp` per the newest metadata.
  absl::StatusOr<std::shared_ptr<Broker>> Leader(const TopicPartition& tp) const {
    std::shared_ptr<const coordination::ClusterMetadata> md = cluster_->metadata();
    const coordination::PartitionLeadership* pl = md ? md->Find(tp.topic, tp.partition) : nullptr;
    if (pl == nullptr) {
      return KafkaError(ErrorCode::kUnknownTopicOrPartition, fmt::format("{} does not exist", tp.ToString()));
    }
    if (pl->leader < 0) {
      return KafkaError(ErrorCode::kLeaderNotAvailable,
                        fmt::format("{} is offline: no live replica can lead it (replicas [{}])",
                                    tp.ToString(), fmt::join(pl->replicas, ",")));
    }
    std::shared_ptr<Broker> broker = cluster_->GetBroker(pl->leader);
    if (broker == nullptr) {
      return KafkaError(ErrorCode::kNotLeaderOrFollower,
                        fmt::format("broker {}, the leader of {}, is not running", pl->leader, tp.ToString()));
    }
    return broker;
  }

  Cluster::Impl* const cluster_;
  Clock* const clock_;
  const std::string group_id_;
};

}  // namespace

std::unique_ptr<BrokerClient> NewClusterBrokerClient(Cluster::Impl* cluster, Clock* clock,
                                                     std::string group_id) {
  return std::make_unique<ClusterBrokerClient>(cluster, clock, std::move(group_id));
}

}  // namespace samsa::client
