// GroupCoordinator: Kafka's classic consumer-group coordinator, broker side
// (kafka.coordinator.group.GroupCoordinator + GroupMetadataManager, 3.x
// semantics): JoinGroup / SyncGroup / Heartbeat / LeaveGroup, committed
// offsets, DescribeGroups / ListGroups / DeleteGroups, for the groups whose
// __consumer_offsets partition this broker leads.
//
// Contract:
// - A group lives in partition PartitionForGroup(group_id, num_partitions).
//   Requests for a group whose partition is not owned get NOT_COORDINATOR;
//   while OnElection loads the partition they get COORDINATOR_LOAD_IN_PROGRESS
//   (Heartbeat answers NONE and SyncGroup REBALANCE_IN_PROGRESS then, as
//   Kafka does).
// - JoinGroup and SyncGroup complete asynchronously: `done` runs exactly once,
//   possibly on another caller's thread or on the coordinator's timer thread,
//   never while the coordinator's lock is held. The other calls return their
//   response.
// - Every offset commit and every group-metadata change (a completed
//   SyncGroup, a group gone empty, a static member's new id) is appended to
//   the group's partition through the OffsetsTopicStore before it is
//   acknowledged. OnElection rebuilds the groups from those records: the
//   latest value per key wins, a tombstone deletes.
// - Time comes from options.clock: session time-outs, rebalance time-outs,
//   group.initial.rebalance.delay.ms and offset retention run on an internal
//   Scheduler driven by it; AwaitTimers() lets a test run what is due.
//
// Locking: one coordinator lock guards all groups; offset-commit appends run
// outside it (serialised by a commit lock, taken before the coordinator
// lock), group-metadata appends run under it (once per rebalance).
//
// Thread-safety: thread-safe. "*options.clock" and "*options.store" must
// outlive the coordinator. The destructor fails pending JoinGroup/SyncGroup
// calls with NOT_COORDINATOR.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "broker/group/group_metadata.h"
#include "broker/group/group_requests.h"
#include "broker/group/offsets_records.h"
#include "broker/group/offsets_topic_store.h"
#include "samsa/clock.h"
#include "samsa/types.h"
#include "util/mutex.h"
#include "util/scheduler.h"

namespace samsa::group {

struct GroupCoordinatorConfig {
  int32_t offsets_topic_num_partitions = 50;           // offsets.topic.num.partitions
  int32_t group_min_session_timeout_ms = 6000;         // group.min.session.timeout.ms
  int32_t group_max_session_timeout_ms = 1800000;      // group.max.session.timeout.ms
  int32_t group_initial_rebalance_delay_ms = 3000;     // group.initial.rebalance.delay.ms
  int32_t group_max_size = 2147483647;                 // group.max.size
  int64_t offsets_retention_minutes = 10080;           // offsets.retention.minutes
  int64_t offsets_retention_check_interval_ms = 600000;  // offsets.retention.check.interval.ms
  int32_t offset_metadata_max_bytes = 4096;            // offset.metadata.max.bytes
  // How long a new member's JoinGroup may wait before it is dropped
  // (GroupCoordinator.NewMemberJoinTimeoutMs).
  int32_t new_member_join_timeout_ms = 300000;
};

class GroupCoordinator {
 public:
  struct Options {
    Clock* clock = nullptr;
    OffsetsTopicStore* store = nullptr;
    GroupCoordinatorConfig config;
    // When set, OffsetCommit rejects partitions it says do not exist with
    // UNKNOWN_TOPIC_OR_PARTITION (Kafka's broker checks its metadata cache).
    std::function<bool(const TopicPartition&)> partition_exists;
  };

  explicit GroupCoordinator(Options options);
  ~GroupCoordinator();
  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  int32_t PartitionFor(std::string_view group_id) const;
  int32_t num_partitions() const { return config_.offsets_topic_num_partitions; }

  // --- Partition ownership -------------------------------------------------
  // This broker became leader of __consumer_offsets-<partition>: loads its
  // groups and offsets (synchronously; concurrent requests for its groups get
  // COORDINATOR_LOAD_IN_PROGRESS meanwhile).
  absl::Status OnElection(int32_t partition);
  // This broker no longer leads it: drops its groups; their pending
  // JoinGroup/SyncGroup calls get NOT_COORDINATOR.
  void OnResignation(int32_t partition);

  // --- Group membership ----------------------------------------------------
  void JoinGroup(JoinGroupRequest request, JoinCallback done);
  void SyncGroup(SyncGroupRequest request, SyncCallback done);
  HeartbeatResponse Heartbeat(const HeartbeatRequest& request);
  LeaveGroupResponse LeaveGroup(const LeaveGroupRequest& request);

  // --- Offsets -------------------------------------------------------------
  OffsetCommitResponse OffsetCommit(const OffsetCommitRequest& request);
  OffsetFetchResponse OffsetFetch(const OffsetFetchRequest& request);
  // The committed offsets of a group (empty if it has none); for lag.
  absl::StatusOr<std::map<TopicPartition, OffsetCommitValue>> CommittedOffsets(
      std::string_view group_id);
  // A topic was deleted: tombstones every group's offsets for it.
  absl::Status OnTopicDeleted(std::string_view topic);
  // Expires offsets past offsets.retention.minutes (what the periodic
  // offsets.retention.check.interval.ms task runs).
  void CleanupExpiredOffsets();

  // --- Administration ------------------------------------------------------
  DescribeGroupsResponse DescribeGroups(const std::vector<std::string>& group_ids);
  ListGroupsResponse ListGroups(const ListGroupsRequest& request);
  DeleteGroupsResponse DeleteGroups(const std::vector<std::string>& group_ids);

  // For tests: blocks until every timer due at the clock's current time has
  // run (and what it triggered finished).
  void AwaitTimers();

 private:
  using Deferred = std::vector<std::function<void()>>;
  struct PartitionLoad;

  static void RunDeferred(Deferred& deferred);
  int64_t NowMs() const { return clock_->NowMs(); }

  ErrorCode GroupStatus(const std::string& group_id, bool require_non_empty_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  GroupMetadata* FindGroup(const std::string& group_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  GroupMetadata* CreateGroup(const std::string& group_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string NewMemberId(const std::string& client_id, const std::optional<std::string>& instance_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Join / rebalance machinery (Kafka's names).
  void DoNewMemberJoin(GroupMetadata* g, JoinGroupRequest& req, JoinCallback& done, Deferred* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DoCurrentMemberJoin(GroupMetadata* g, JoinGroupRequest& req, JoinCallback& done,
                           Deferred* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddMemberAndRebalance(GroupMetadata* g, JoinGroupRequest& req, const std::string& member_id,
                             JoinCallback done, Deferred* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateStaticMemberAndRebalance(GroupMetadata* g, const std::string& old_id,
                                      const std::string& new_id, JoinGroupRequest& req,
                                      JoinCallback done, Deferred* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybePrepareRebalance(GroupMetadata* g, Deferred* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PrepareRebalance(GroupMetadata* g, Deferred* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ScheduleJoin(GroupMetadata* g, bool initial, int32_t delay_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TryCompleteJoin(GroupMetadata* g, Deferred* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnJoinTimer(const std::string& group_id, uint64_t token);
  void OnCompleteJoin(GroupMetadata* g, Deferred* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ResetAndPropagateAssignmentError(GroupMetadata* g, ErrorCode error, Deferred* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetAndPropagateAssignment(GroupMetadata* g, const std::map<std::string, std::string>& assignment,
                                 Deferred* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SchedulePendingSync(GroupMetadata* g) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnSyncTimer(const std::string& group_id, uint64_t token);
  JoinGroupResponse JoinResult(GroupMetadata* g, const std::string& member_id, bool with_members)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void InvokeJoin(GroupMetadata* g, MemberMetadata* m, JoinGroupResponse r, Deferred* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Sessions.
  void ScheduleHeartbeat(GroupMetadata* g, MemberMetadata* m, int32_t timeout_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CancelHeartbeat(MemberMetadata* m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnHeartbeatTimer(const std::string& group_id, const std::string& member_id, uint64_t token);
  void AddPendingMemberExpiration(GroupMetadata* g, const std::string& member_id, int32_t timeout_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnPendingMemberTimer(const std::string& group_id, const std::string& member_id,
                            uint64_t token);
  void RemoveMemberAndUpdateGroup(GroupMetadata* g, const std::string& member_id, Deferred* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemovePendingMemberAndUpdateGroup(GroupMetadata* g, const std::string& member_id,
                                         Deferred* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Storage.
  ErrorCode StoreGroup(GroupMetadata* g, const std::map<std::string, std::string>& assignment)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes offsets chosen by `select` from `groups`, tombstones them, and
  // deletes (with a tombstone) groups left Empty without offsets.
  void CleanupGroupMetadata(const std::vector<std::string>& group_ids,
                            const std::function<std::vector<TopicPartition>(GroupMetadata*)>& select)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UnloadGroup(GroupMetadata* g, Deferred* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  OffsetsTopicStore* const store_;
  const GroupCoordinatorConfig config_;
  const std::function<bool(const TopicPartition&)> partition_exists_;

  // Taken before mu_ by everything that appends offsets outside mu_ or
  // deletes offsets, so a commit's append and its cache update are atomic
  // with respect to deletion.
  Mutex commit_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable Mutex mu_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  std::set<int32_t> owned_partitions_ ABSL_GUARDED_BY(mu_);
  std::set<int32_t> loading_partitions_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<GroupMetadata>> groups_ ABSL_GUARDED_BY(mu_);
  uint64_t next_token_ ABSL_GUARDED_BY(mu_) = 1;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);

  // Last: its threads stop (in its destructor) before the members above go.
  Scheduler scheduler_;
};

}  // namespace samsa::group
