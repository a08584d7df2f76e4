// GroupMember: the consumer's side of Kafka's classic group protocol
// (AbstractCoordinator + ConsumerCoordinator): joins the group, runs the
// assignor when elected leader, syncs, heartbeats from a background thread,
// commits and fetches offsets, and leaves.
//
// The consumer drives it from Poll(): Poll() joins or rejoins when needed and
// tells the Host which partitions are revoked, lost and assigned; the
// heartbeat thread only notices (a rebalance, a lost membership, a missed
// max.poll.interval.ms) and leaves the reaction to the next Poll(), as
// Kafka's consumer does. A JoinGroup or SyncGroup still pending when Poll's
// deadline passes stays pending: the next Poll() waits for it again.
//
// Thread-safety: the consumer's thread calls everything except the
// heartbeat thread's own work; state both touch is under mu_.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "broker/group/group_requests.h"
#include "client/broker_client.h"
#include "client/group/partition_assignor.h"
#include "samsa/config.h"
#include "samsa/consumer.h"
#include "util/mutex.h"

namespace samsa::client {

class GroupMember {
 public:
  // What the member asks of the consumer, on the consumer's thread.
  class Host {
   public:
    virtual ~Host() = default;
    // Partitions leave the assignment: revoked in a rebalance, or lost when
    // the membership was. The host runs the user's listener, then drops them.
    virtual void Revoke(const std::vector<TopicPartition>& partitions, bool lost) = 0;
    // Partitions join the assignment (positions from committed offsets).
    virtual void AddAssigned(const std::vector<TopicPartition>& partitions) = 0;
    // The positions to auto-commit.
    virtual std::map<TopicPartition, OffsetAndMetadata> Positions() = 0;
  };

  // "*client" and "*clock" must outlive the member. config.group_id is set.
  GroupMember(const ConsumerConfig& config, Clock* clock, BrokerClient* client);
  // Stops the heartbeat thread (does not leave: call Leave first).
  ~GroupMember();

  absl::Status Subscribe(std::vector<std::string> topics);
  absl::Status SubscribePattern(const std::string& pattern);
  bool subscribed() const { return subscribed_; }
  std::vector<std::string> subscription() const { return joined_topics_; }
  ConsumerGroupMetadata metadata() const;

  // Joins, rejoins and auto-commits as needed. Returns true when the member
  // is in a Stable generation with its assignment given to the host; false
  // when `deadline` came first (nothing is lost: the next call continues).
  // Fatal group errors (FENCED_INSTANCE_ID, INCONSISTENT_GROUP_PROTOCOL,
  // GROUP_MAX_SIZE_REACHED, INVALID_SESSION_TIMEOUT, ...) are returned.
  absl::StatusOr<bool> Poll(absl::Time deadline, Host* host);

  // OffsetCommit with the member's generation (or as a simple commit when
  // not subscribed). Per-partition errors become the status.
  absl::Status Commit(const std::map<TopicPartition, OffsetAndMetadata>& offsets);
  absl::StatusOr<std::map<TopicPartition, std::optional<OffsetAndMetadata>>> Committed(
      const std::vector<TopicPartition>& partitions);
  // Auto-commit of the host's positions when enable.auto.commit.
  void MaybeAutoCommitSync(Host* host, const char* why);

  // Revokes everything (as an unsubscribe), leaves the group (dynamic
  // members only) and forgets the membership.
  void Leave(Host* host, const char* reason);

 private:
  enum class State { kUnjoined, kJoining, kSyncing, kStable };
  template <typename T>
  struct Pending;

  // Topics the subscription stands for now, and their partition counts.
  std::map<std::string, int32_t> CurrentTopics();
  void StartJoin(Host* host) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<group::SyncGroupAssignment>> LeaderAssign(
      const group::JoinGroupResponse& joined);
  void OnJoinComplete(const Assignment& assignment, Host* host);
  void ResetMembership(bool keep_member_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RunHeartbeats();
  // Waits (on the clock) until `deadline` or a heartbeat-thread event.
  void BackOff(absl::Time deadline);

  const ConsumerConfig config_;
  Clock* const clock_;
  BrokerClient* const client_;
  std::vector<std::unique_ptr<PartitionAssignor>> assignors_;
  bool cooperative_ = false;  // every configured assignor supports COOPERATIVE

  // The subscription (consumer thread only).
  bool subscribed_ = false;
  std::vector<std::string> topics_;
  std::optional<std::regex> pattern_;
  uint64_t metadata_version_ = 0;         // of the last topic check
  std::map<std::string, int32_t> joined_topic_partitions_;  // at the last join
  std::vector<std::string> joined_topics_;
  std::vector<TopicPartition> owned_;     // the current assignment
  absl::Time next_auto_commit_;

  mutable Mutex mu_;
  CondVar cv_;  // the heartbeat thread's wake-ups
  State state_ ABSL_GUARDED_BY(mu_) = State::kUnjoined;
  std::string member_id_ ABSL_GUARDED_BY(mu_);
  int32_t generation_ ABSL_GUARDED_BY(mu_) = -1;
  std::string protocol_ ABSL_GUARDED_BY(mu_);
  bool rejoin_needed_ ABSL_GUARDED_BY(mu_) = true;
  bool membership_lost_ ABSL_GUARDED_BY(mu_) = false;  // owned partitions are lost
  absl::Time last_poll_ ABSL_GUARDED_BY(mu_);
  absl::Time next_heartbeat_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<Pending<group::JoinGroupResponse>> pending_join_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<Pending<group::SyncGroupResponse>> pending_sync_ ABSL_GUARDED_BY(mu_);
  std::thread heartbeat_thread_;
};

}  // namespace samsa::client
