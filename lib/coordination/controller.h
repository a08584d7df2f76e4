// ClusterMember and the controller: what one broker of a cluster does on the
// coordinator (kafka.server.KafkaZkClient's broker side and
// kafka.controller.KafkaController, for replication factor 1).
//
// A ClusterMember opens a session (zookeeper.session.timeout.ms), registers
// the broker at /brokers/ids/<id> (ephemeral, Kafka's BrokerIdZNode JSON) and
// runs for controller: it creates /controller (ephemeral) and bumps
// /controller_epoch in one Multi (compare-and-set on its version). The loser
// watches /controller and runs again when it goes away.
//
// The controller (the winner) loads the cluster from the coordinator and then
// reacts to watches:
//   /brokers/ids children   a broker left (or its session expired, or it came
//                           back with a new session: a new czxid): the
//                           partitions it led get a new leader from the live
//                           in-sync replicas, or leader -1 (offline) when none
//                           is left — with replication factor 1 always; the
//                           ISR keeps its last member, as Kafka keeps it. A
//                           broker that (re)joins leads again the offline
//                           partitions it is in the ISR of. Every change bumps
//                           the leader epoch.
//   /brokers/topics children  a new topic: each partition gets its state node
//                           (leader = first live replica, isr = live replicas).
//   /brokers/topics/<t>      more partitions in the assignment: their state.
//   /admin/delete_topics     the topic's nodes are removed, then the request.
// Every controller write is a Multi that first checks /controller_epoch's
// version, so a deposed controller cannot write (Kafka's zkVersion fencing).
//
// After each change the controller sends the whole ClusterMetadata to every
// live broker through ControllerChannel::SendClusterMetadata, which stands for
// Kafka's LeaderAndIsr, UpdateMetadata and StopReplica(delete) requests at
// once: a broker hosts the partitions whose replicas name it, leads those
// whose leader is it, and deletes the logs of topics no longer listed.
//
// Replication (followers fetching, ISR shrink/expand) is not here yet: the
// metadata already carries replicas and ISR per partition so that it plugs in.
//
// On session expiry the member opens a new session, registers again and runs
// for controller again, as a Kafka broker does.
//
// Threading: watch callbacks and the session listener run on the
// coordinator's event thread; every handler holds the member's lock. Stop()
// waits for a handler in progress and makes later callbacks no-ops, so the
// channel and coordinator need only outlive Stop().
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "coordination/kafka_zk_data.h"
#include "samsa/coordinator.h"
#include "util/mutex.h"

namespace samsa::coordination {

struct PartitionLeadership {
  std::vector<int32_t> replicas;  // the assignment; the first is the preferred leader
  int32_t leader = -1;            // -1: offline
  int32_t leader_epoch = 0;
  std::vector<int32_t> isr;
};

struct TopicLeadership {
  std::string topic_id;
  std::map<std::string, std::string> configs;  // /config/topics/<t>
  std::vector<PartitionLeadership> partitions;  // index = partition id
};

// The controller's view of the cluster, sent whole to every live broker.
struct ClusterMetadata {
  int32_t controller_id = -1;
  int32_t controller_epoch = 0;
  int64_t version = 0;  // grows with every send of one controller
  std::set<int32_t> live_brokers;
  std::map<std::string, TopicLeadership, std::less<>> topics;

  const PartitionLeadership* Find(std::string_view topic, int32_t partition) const;
};

// How the controller reaches brokers (in process: a direct call).
class ControllerChannel {
 public:
  virtual ~ControllerChannel() = default;
  virtual void SendClusterMetadata(int32_t broker_id,
                                   std::shared_ptr<const ClusterMetadata> metadata) = 0;
};

// Kafka's AdminUtils.assignReplicasToBrokers without racks: `brokers` (any
// order; sorted here), partitions [start_partition_id, +num_partitions).
// fixed_start_index < 0 draws the start index and the replica shift from
// `rng` (Kafka's Random.nextInt(n)); >= 0 uses it for both.
// INVALID_PARTITIONS / INVALID_REPLICATION_FACTOR on bad arguments.
absl::StatusOr<std::map<int32_t, std::vector<int32_t>>> AssignReplicasToBrokers(
    std::vector<int32_t> brokers, int32_t num_partitions, int32_t replication_factor,
    int32_t fixed_start_index, int32_t start_partition_id, std::mt19937_64* rng);

// The assignment of partitions [existing, total) when a topic grows, as
// AdminZkClient.addPartitions computes it: start index = the position of
// partition 0's first replica among the sorted brokers.
absl::StatusOr<std::map<int32_t, std::vector<int32_t>>> AssignNewPartitions(
    std::vector<int32_t> brokers, const std::map<int32_t, std::vector<int32_t>>& existing,
    int32_t total_partitions);

class ClusterMember : public std::enable_shared_from_this<ClusterMember> {
 public:
  struct Options {
    Coordinator* coordinator = nullptr;   // must outlive Stop()
    ControllerChannel* channel = nullptr;  // must outlive Stop()
    int32_t broker_id = 0;
    kafka_zk::BrokerRegistration registration;
    absl::Duration session_timeout = absl::Seconds(18);  // zookeeper.session.timeout.ms
    Clock* clock = nullptr;  // registration timestamps; nullptr: the system clock
  };

  // Opens the session, registers the broker, runs for controller.
  static absl::StatusOr<std::shared_ptr<ClusterMember>> Start(Options options);
  ~ClusterMember();

  // Ends the member's part: later callbacks do nothing. Does not close the
  // session (CloseSession() does; a killed broker's session just ends).
  void Stop();
  // Closes the session (ephemerals go at once: a clean shutdown).
  absl::Status CloseSession();
  // Keeps the session alive (called on the broker's scheduler).
  absl::Status Heartbeat();

  SessionId session() const;
  bool is_controller() const;
  int32_t broker_id() const { return options_.broker_id; }

 private:
  explicit ClusterMember(Options options);
  Watcher Bind(void (ClusterMember::*handler)(const WatchEvent&));

  absl::Status RegisterLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TryElectLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnSessionEvent(SessionId session, SessionState state);
  void OnControllerChange(const WatchEvent& event);

  // --- The controller role (controller.cc) ---
  absl::Status BecomeControllerLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ResignLocked(const absl::Status& why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnBrokersChange(const WatchEvent& event);
  void OnTopicsChange(const WatchEvent& event);
  void OnTopicChange(const WatchEvent& event);
  void OnTopicConfigChange(const WatchEvent& event);
  void OnDeleteTopicsChange(const WatchEvent& event);
  absl::Status ReadBrokersLocked(std::map<int32_t, int64_t>* brokers) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status HandleBrokersLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status HandleTopicsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadTopicLocked(const std::string& topic) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status HandleDeletionsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Elects leaders where the current one is gone or none is set, writing
  // the changed state nodes.
  absl::Status ElectLeadersLocked(const std::set<int32_t>& bounced) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteFencedLocked(std::vector<Op> ops) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PublishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t NowMs() const;

  const Options options_;
  mutable Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  SessionId session_ ABSL_GUARDED_BY(mu_) = kNoSession;

  // The controller role.
  bool controller_ ABSL_GUARDED_BY(mu_) = false;
  int32_t epoch_zk_version_ ABSL_GUARDED_BY(mu_) = 0;
  ClusterMetadata metadata_ ABSL_GUARDED_BY(mu_);
  std::map<int32_t, int64_t> broker_czxid_ ABSL_GUARDED_BY(mu_);  // live broker -> registration czxid
};

}  // namespace samsa::coordination
