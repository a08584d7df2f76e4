// Cluster::Impl: the brokers of a Cluster, the coordinator they share, topic
// admin written to the coordinator, and the in-process channel through which
// the controller reaches the brokers.
//
// Thread-safety: thread-safe. Never calls a ClusterMember or a broker with
// its own lock held (a controller callback may be calling in).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "broker/broker_impl.h"
#include "coordination/controller.h"
#include "io/fault_injection_env.h"
#include "samsa/cluster.h"
#include "util/mutex.h"

namespace samsa {

class Cluster::Impl final : public coordination::ControllerChannel {
 public:
  static absl::StatusOr<std::unique_ptr<Impl>> Start(ClusterOptions options);
  ~Impl() override;

  Clock* clock() const { return clock_; }
  const BrokerConfig& base_config() const { return options_.base; }
  InMemoryCoordinator* coordinator() const { return coordinator_.get(); }

  // The running broker, shared so that it stays valid during a call even if
  // it is stopped meanwhile (it then fails calls as closed).
  std::shared_ptr<Broker> GetBroker(int32_t id) const;
  std::vector<int32_t> broker_ids() const;
  std::vector<int32_t> live_broker_ids() const;
  // The newest metadata any controller sent (nullptr before the first).
  std::shared_ptr<const coordination::ClusterMetadata> metadata() const;

  absl::Status StopBroker(int32_t id, bool clean);
  absl::Status RestartBroker(int32_t id);
  int32_t controller_id() const;
  int32_t controller_epoch() const;

  absl::Status CreateTopic(const NewTopic& topic);
  absl::Status DeleteTopic(std::string_view name);
  absl::Status CreatePartitions(std::string_view topic, int32_t total_partitions);
  // Rewrites /config/topics/<topic> (nullopt deletes a key) and returns once
  // the controller has sent the change to the brokers.
  absl::Status AlterTopicConfigs(std::string_view topic,
                                 const std::map<std::string, std::optional<std::string>>& changes);
  // See Cluster::ReassignPartition.
  absl::Status ReassignPartition(std::string_view topic, int32_t partition, int32_t broker_id);
  absl::StatusOr<TopicDescription> DescribeTopic(std::string_view name) const;
  std::vector<std::string> ListTopics(bool include_internal) const;
  void AwaitSettled() const { coordinator_->AwaitEventsDelivered(); }

  // ControllerChannel: the controller's metadata reaches broker `broker_id`.
  void SendClusterMetadata(int32_t broker_id,
                           std::shared_ptr<const coordination::ClusterMetadata> metadata) override;

 private:
  struct Node {
    BrokerConfig config;
    FaultInjectionEnv* env = nullptr;  // owned by `broker` (its deleter)
    std::shared_ptr<Broker> broker;
    std::shared_ptr<coordination::ClusterMember> member;
  };

  explicit Impl(ClusterOptions options);
  absl::Status StartBroker(int32_t id);
  absl::StatusOr<std::vector<int32_t>> RegisteredBrokers() const;

  ClusterOptions options_;
  std::unique_ptr<Env> owned_env_;
  Env* env_ = nullptr;
  Clock* clock_ = nullptr;
  std::unique_ptr<InMemoryCoordinator> coordinator_;

  mutable Mutex mu_;
  std::map<int32_t, Node> nodes_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const coordination::ClusterMetadata> latest_ ABSL_GUARDED_BY(mu_);

  Mutex admin_mu_;  // one admin change at a time
  std::mt19937_64 rng_ ABSL_GUARDED_BY(admin_mu_);
};

}  // namespace samsa
