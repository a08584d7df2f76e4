// samsa/cluster.h — several brokers in one process, coordinated as a Kafka
// cluster in ZooKeeper mode: one shared in-memory coordinator, broker
// registration, an elected controller, leaders per partition.
//
//   samsa::ClusterOptions options;
//   options.num_brokers = 3;
//   options.base.log_dirs = "/data";           // broker <id> uses /data/broker-<id>
//   auto cluster = samsa::Cluster::Start(options);
//   (*cluster)->CreateTopic({.name = "orders", .num_partitions = 6, .replication_factor = 1});
//   auto producer = samsa::Producer::Create(cluster->get(), {});   // routes to leaders
//   (*cluster)->KillBroker(2);                 // its partitions go offline
//   (*cluster)->RestartBroker(2);              // ... and come back with their data
//
// Brokers are numbered 0..num_brokers-1 (broker.id). Each opens a session on
// the coordinator (zookeeper.session.timeout.ms, heart-beaten every third of
// it on the broker's scheduler) and registers at /brokers/ids/<id>. Every
// broker runs for controller (/controller, ephemeral; /controller_epoch grows
// by one per election); the controller places replicas as Kafka's
// AdminUtils.assignReplicasToBrokers does (no racks; the first replica is the
// preferred leader), writes each partition's leader and ISR, moves
// leadership when brokers leave or return, and sends its metadata to every
// live broker directly (an in-process call standing for LeaderAndIsr and
// UpdateMetadata). Topic admin writes the coordinator as Kafka's
// AdminZkClient does and returns once the controller has acted on it.
//
// Replication factor 1 only, for now: a partition whose broker is gone is
// offline (leader -1; requests get LEADER_NOT_AVAILABLE) until that broker
// returns (ReassignPartition moves a partition with its log, but only from a
// live leader). CreateTopic with a replication factor above 1 is refused with
// INVALID_REPLICATION_FACTOR.
//
// Every broker's files go through a fault-injection wrapper of the cluster's
// Env: KillBroker halts it (no further write reaches the files: no
// clean-shutdown marker, no last flush — what the page cache already holds
// stays, as after SIGKILL), closes the broker's session so that its
// registration goes at once, and drops the broker's objects. RestartBroker
// opens it again from its files (recovering them) and registers it again.
//
// Errors carry Kafka codes: INVALID_REPLICATION_FACTOR, INVALID_PARTITIONS,
// TOPIC_ALREADY_EXISTS, UNKNOWN_TOPIC_OR_PARTITION, BROKER_NOT_AVAILABLE (a
// stopped broker), NOT_CONTROLLER (no controller elected).
//
// Thread-safety: thread-safe. The Cluster must outlive the producers and
// consumers made from it.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "samsa/broker.h"
#include "samsa/clock.h"
#include "samsa/config.h"
#include "samsa/coordinator.h"
#include "samsa/env.h"
#include "samsa/topic.h"

namespace samsa {

struct ClusterOptions {
  int32_t num_brokers = 3;
  // Every broker's config; broker.id is set per broker and log.dirs gets a
  // subdirectory broker-<id> per broker (each dir of a list).
  BrokerConfig base;
  // Files and time; nullptr: as Broker::Open chooses. Must outlive the Cluster.
  Env* env = nullptr;
  Clock* clock = nullptr;
  // Seeds the controller's replica placement (Kafka draws it at random).
  uint64_t placement_seed = 0;
};

class Cluster {
 public:
  // Starts the brokers and waits until a controller is elected.
  static absl::StatusOr<std::unique_ptr<Cluster>> Start(ClusterOptions options);
  // Stops every broker cleanly.
  ~Cluster();

  // The running broker `id`, or nullptr (stopped, killed, or no such id).
  // Valid until that broker is stopped or killed. Its topic admin goes
  // through the cluster: AlterTopicConfigs rewrites /config/topics/<topic>
  // and every broker hosting the topic applies the new configs.
  Broker* broker(int32_t id) const;
  // Every broker id, running or not.
  std::vector<int32_t> broker_ids() const;
  // The ids of the running brokers.
  std::vector<int32_t> live_broker_ids() const;

  // Closes the broker cleanly, then ends its session.
  absl::Status StopBroker(int32_t id);
  // Ends the broker without a clean shutdown (see above).
  absl::Status KillBroker(int32_t id);
  // Opens a stopped or killed broker again.
  absl::Status RestartBroker(int32_t id);

  // The current controller's broker id (-1: none elected), read from
  // /controller; its epoch from /controller_epoch.
  int32_t controller_id() const;
  int32_t controller_epoch() const;
  Coordinator* coordinator() const;

  // --- Topic admin -------------------------------------------------------------------
  absl::Status CreateTopic(const NewTopic& topic);
  absl::Status DeleteTopic(std::string_view name);
  absl::Status CreatePartitions(std::string_view topic, int32_t total_partitions);
  // Moves partition `partition` of `topic` — its one replica, so its
  // leadership too — to broker `broker_id`, as kafka-reassign-partitions.sh
  // does: the new replica gets a copy of the whole log (same offsets, leader
  // epochs, timestamps, log start and high watermark), the controller makes
  // it the leader with the next leader epoch, and the old broker deletes its
  // copy. While the log is copied the old leader refuses appends with
  // NOT_LEADER_OR_FOLLOWER (retriable: producers retry and reach the new
  // leader); fetches go on. Moving a __consumer_offsets partition moves the
  // coordination of its groups (their offsets load on the new broker).
  // Returns once every broker has acted on it. OK when it is there already;
  // UNKNOWN_TOPIC_OR_PARTITION, BROKER_NOT_AVAILABLE (target not running),
  // LEADER_NOT_AVAILABLE (the partition is offline: nothing to copy from).
  absl::Status ReassignPartition(std::string_view topic, int32_t partition, int32_t broker_id);
  // Per partition: leader, replicas, ISR, and the offsets its leader reports.
  absl::StatusOr<TopicDescription> DescribeTopic(std::string_view name) const;
  std::vector<std::string> ListTopics(bool include_internal = false) const;

  // Waits until every watch the coordinator fired so far has been handled
  // (the controller and the brokers have acted on every change made so far).
  void AwaitSettled() const;

  // samsa's own clients reach the brokers through this; not public API.
  class Impl;
  Impl* impl() const { return impl_.get(); }

 private:
  explicit Cluster(std::unique_ptr<Impl> impl);
  static std::unique_ptr<Broker> AdoptBroker(std::unique_ptr<Broker::Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace samsa
