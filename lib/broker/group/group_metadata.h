// GroupMetadata: one classic consumer group as Kafka's broker keeps it
// (kafka.coordinator.group.GroupMetadata / MemberMetadata): its state
// machine, members, leader, generation, protocol votes and committed offsets.
//
// States and the transitions Kafka allows (TransitionTo asserts them):
//   Empty               <- PreparingRebalance
//   PreparingRebalance  <- Stable, CompletingRebalance, Empty
//   CompletingRebalance <- PreparingRebalance
//   Stable              <- CompletingRebalance
//   Dead                <- any
//
// The type holds no lock and never calls a callback: member callbacks
// (a pending JoinGroup or SyncGroup) are handed out by Take*Callback so the
// coordinator can run them after releasing its lock.
//
// Thread-safety: none; the GroupCoordinator guards every group with its lock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "broker/group/group_requests.h"
#include "broker/group/offsets_records.h"
#include "samsa/types.h"
#include "util/scheduler.h"

namespace samsa::group {

enum class GroupState { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable, kDead };

// Kafka's names: "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead".
std::string_view GroupStateName(GroupState state);

using JoinCallback = std::function<void(JoinGroupResponse)>;
using SyncCallback = std::function<void(SyncGroupResponse)>;

struct MemberMetadata {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = 0;
  int32_t session_timeout_ms = 0;
  std::string protocol_type;
  std::vector<JoinGroupProtocol> supported_protocols;  // preference order
  std::string assignment;

  JoinCallback awaiting_join;  // set while a JoinGroup waits
  SyncCallback awaiting_sync;  // set while a SyncGroup waits
  bool is_new = false;         // joined, not yet through a completed join

  // Session timer (kept by the coordinator).
  bool heartbeat_satisfied = false;
  uint64_t heartbeat_token = 0;
  Scheduler::TaskId heartbeat_task = 0;

  bool IsStatic() const { return group_instance_id.has_value(); }
  bool IsAwaitingJoin() const { return static_cast<bool>(awaiting_join); }
  bool IsAwaitingSync() const { return static_cast<bool>(awaiting_sync); }
  // Whether the member needs no heartbeat to stay (Kafka's hasSatisfiedHeartbeat).
  bool HasSatisfiedHeartbeat() const;
  // Same protocols with the same metadata in the same order.
  bool Matches(const std::vector<JoinGroupProtocol>& protocols) const;
  // The member's metadata for `protocol` ("" if it does not support it).
  std::string Metadata(std::string_view protocol) const;
  // The member's most preferred protocol among `candidates`.
  std::string Vote(const std::set<std::string>& candidates) const;
};

class GroupMetadata {
 public:
  GroupMetadata(std::string group_id, GroupState initial_state, int64_t now_ms);

  const std::string& group_id() const { return group_id_; }
  GroupState state() const { return state_; }
  bool Is(GroupState s) const { return state_ == s; }
  bool CanRebalance() const;  // PreparingRebalance is a valid next state
  void TransitionTo(GroupState s, int64_t now_ms);
  std::optional<int64_t> current_state_timestamp() const { return current_state_timestamp_; }

  int32_t generation_id() const { return generation_id_; }
  const std::optional<std::string>& protocol_type() const { return protocol_type_; }
  const std::optional<std::string>& protocol_name() const { return protocol_name_; }
  const std::optional<std::string>& leader_id() const { return leader_id_; }
  bool IsLeader(std::string_view member_id) const { return leader_id_ && *leader_id_ == member_id; }

  // Members.
  bool Has(const std::string& member_id) const { return members_.count(member_id) != 0; }
  MemberMetadata* Get(const std::string& member_id);
  std::map<std::string, MemberMetadata>& members() { return members_; }
  const std::map<std::string, MemberMetadata>& members() const { return members_; }
  int32_t size() const { return static_cast<int32_t>(members_.size()); }
  int32_t num_awaiting_join() const { return num_members_awaiting_join_; }
  bool new_member_added() const { return new_member_added_; }
  void set_new_member_added(bool v) { new_member_added_ = v; }

  // Adds a member (the first sets the protocol type and becomes leader);
  // `join` (may be empty) waits for the rebalance.
  void Add(MemberMetadata member, JoinCallback join);
  // Removes a member (its pending callbacks must have been taken). The
  // leader's removal makes another member leader.
  void Remove(const std::string& member_id);
  // New protocols and timeouts for a member, and its pending JoinGroup.
  void UpdateMember(MemberMetadata* member, std::vector<JoinGroupProtocol> protocols,
                    int32_t rebalance_timeout_ms, int32_t session_timeout_ms, JoinCallback join);
  // Moves a static member to a new member id. The old id's pending
  // callbacks are appended to `fenced_join` / `fenced_sync` (to be failed
  // with FENCED_INSTANCE_ID).
  MemberMetadata* ReplaceStaticMember(const std::string& instance_id, const std::string& old_id,
                                      const std::string& new_id, std::vector<JoinCallback>* fenced_join,
                                      std::vector<SyncCallback>* fenced_sync);
  // Takes a member's pending callback (empty if none).
  JoinCallback TakeJoinCallback(MemberMetadata* member);
  SyncCallback TakeSyncCallback(MemberMetadata* member);

  // Static membership.
  std::optional<std::string> StaticMemberId(const std::string& instance_id) const;
  bool IsStaticMemberFenced(const std::optional<std::string>& instance_id,
                            const std::string& member_id) const;

  // Pending members (JoinGroup v4+ handed out a member id, not yet rejoined).
  bool IsPendingMember(const std::string& id) const { return pending_members_.count(id) != 0; }
  void AddPendingMember(const std::string& id) { pending_members_.insert(id); }
  void RemovePendingMember(const std::string& id) { pending_members_.erase(id); }
  // Members that must send SyncGroup in this generation.
  std::set<std::string>& pending_sync_members() { return pending_sync_members_; }

  // Protocols.
  bool SupportsProtocols(const std::string& protocol_type,
                         const std::vector<JoinGroupProtocol>& protocols) const;
  // The protocol all members support that gets the most first-choice votes.
  // REQUIRES: at least one member, and a common protocol.
  std::string SelectProtocol() const;

  // Rebalance.
  bool HasAllMembersJoined() const;
  // Makes a member that rejoined leader if the leader has not; false when
  // no member rejoined.
  bool MaybeElectNewJoinedLeader();
  void InitNextGeneration(int64_t now_ms);
  int32_t RebalanceTimeoutMs() const;
  // The members as the leader's JoinGroup response lists them.
  std::vector<JoinGroupResponseMember> CurrentMemberMetadata() const;

  // Offsets.
  std::map<TopicPartition, OffsetCommitValue>& offsets() { return offsets_; }
  bool HasOffsets() const { return !offsets_.empty(); }
  // The union of the members' subscribed topics, for a "consumer" group with
  // a chosen protocol whose members' subscriptions all parse (Kafka's
  // GroupMetadata.subscribedTopics); recomputed each generation and on load.
  const std::optional<std::set<std::string>>& subscribed_topics() const { return subscribed_topics_; }
  // Removes offsets past retention (Kafka 2.1+ rules, see the .cc) and
  // returns their partitions.
  std::vector<TopicPartition> RemoveExpiredOffsets(int64_t now_ms, int64_t retention_ms);

  // The GroupMetadataValue record of this group, with `assignment` per member.
  GroupMetadataValue ToRecord(const std::map<std::string, std::string>& assignment) const;
  // Rebuilds a group from its record (Stable with members, else Empty).
  static GroupMetadata FromRecord(const std::string& group_id, const GroupMetadataValue& value,
                                  int64_t now_ms);

  // Timer bookkeeping used by the coordinator (tokens make stale timers no-ops).
  uint64_t join_token = 0;            // the pending DelayedJoin / InitialDelayedJoin
  bool join_is_initial = false;
  int32_t initial_delay_ms = 0;       // InitialDelayedJoin's current delay
  int32_t initial_remaining_ms = 0;   // and how much more it may extend
  uint64_t sync_token = 0;            // the pending-sync timer
  std::map<std::string, uint64_t> pending_member_tokens;
  uint64_t incarnation = 0;           // distinguishes re-created groups

 private:
  std::string group_id_;
  GroupState state_;
  std::optional<int64_t> current_state_timestamp_;
  int32_t generation_id_ = 0;
  std::optional<std::string> protocol_type_;
  std::optional<std::string> protocol_name_;
  std::optional<std::string> leader_id_;
  std::map<std::string, MemberMetadata> members_;
  std::map<std::string, std::string> static_members_;  // instance id -> member id
  std::set<std::string> pending_members_;
  std::set<std::string> pending_sync_members_;
  std::map<std::string, int32_t> supported_protocols_;  // protocol -> members supporting it
  int32_t num_members_awaiting_join_ = 0;
  bool new_member_added_ = false;
  std::map<TopicPartition, OffsetCommitValue> offsets_;
  std::optional<std::set<std::string>> subscribed_topics_;

  std::optional<std::set<std::string>> ComputeSubscribedTopics() const;
};

}  // namespace samsa::group
