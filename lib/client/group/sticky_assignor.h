// The sticky assignors, exactly as Kafka 3.x's AbstractStickyAssignor and its
// two subclasses compute them:
//
//   sticky              StickyAssignor (eager). Each member remembers its last
//                       assignment and generation and sends them as
//                       StickyAssignorUserData in its Subscription.
//   cooperative-sticky  CooperativeStickyAssignor (cooperative and eager).
//                       Ownership comes from the Subscription's
//                       owned_partitions and generation_id (v2+; older
//                       subscriptions carry the generation as a 4-byte user
//                       data). A partition that changes owner is left out of
//                       this rebalance's assignment: its old owner revokes it
//                       and rejoins, and the follow-up rebalance gives it to
//                       its new owner, so no partition is ever owned twice.
//
// Goals, in order: balance (partition counts differ by at most one when all
// members subscribe to the same topics; otherwise no member could take a
// partition from one with two more), then stickiness (a member keeps as much
// as it owned). A partition claimed by several members goes to the claimant
// with the highest generation; claimed twice in the same generation, it is
// taken from both and assigned afresh.
//
// When every member subscribes to the same topics the fast "constrained"
// path runs (each member keeps up to its quota of owned partitions, the rest
// are dealt round-robin in (topic, partition) order to members sorted by id);
// otherwise the "general" path (assign unowned partitions to the least loaded
// eligible member, then move partitions until balanced, undoing the moves if
// they do not improve the balance score).
//
// Differences from Kafka's Java code, all where Java's result depends on
// HashMap iteration order or breaks its own contract: members are visited in
// member-id order; of several recorded moves between the same two members the
// smallest partition is reversed; a member with an empty subscription does
// not make the subscriptions look "all equal"; a partition is never moved
// back to a previous owner that no longer subscribes to its topic.
//
// Thread-safety: see PartitionAssignor.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "client/group/partition_assignor.h"

namespace samsa::client {

// StickyAssignor's user data (Kafka's STICKY_ASSIGNOR_USER_DATA_V1, written
// with the non-flexible protocol types):
//   previous_assignment:[topic:string partitions:[int32]] generation:int32
// Version 0 (Kafka 2.2 and older) lacks the generation.
struct StickyAssignorUserData {
  std::vector<TopicPartitions> previous_assignment;
  std::optional<int32_t> generation;  // nullopt when decoded from version 0
};
// Writes version 1 (a missing generation is written as kDefaultGeneration).
std::string EncodeStickyAssignorUserData(const StickyAssignorUserData& data);
// Reads version 1, falling back to version 0 as Kafka does; InvalidArgument
// when neither parses.
absl::StatusOr<StickyAssignorUserData> DecodeStickyAssignorUserData(std::string_view bytes);

class AbstractStickyAssignor : public PartitionAssignor {
 public:
  // What the assignor believes a member owned, and in which generation.
  struct MemberData {
    std::vector<TopicPartition> partitions;
    std::optional<int32_t> generation;
  };
  virtual MemberData GetMemberData(const Subscription& subscription) const = 0;

 protected:
  struct StickyResult {
    std::map<std::string, std::vector<TopicPartition>> assignment;
    // Partitions the constrained path gives to a member other than their
    // (revoked) owner: partition -> new owner. nullopt after the general path.
    std::optional<std::map<TopicPartition, std::string>> partitions_transferring_ownership;
  };
  StickyResult StickyAssign(const PartitionsPerTopic& partitions_per_topic,
                            const GroupSubscription& subscriptions) const;
};

class StickyAssignor final : public AbstractStickyAssignor {
 public:
  std::string_view name() const override { return "sticky"; }
  // StickyAssignorUserData v1 of the last assignment and generation; null
  // before the first assignment.
  std::optional<std::string> SubscriptionUserData(
      const std::vector<std::string>& topics) const override;
  void OnAssignment(const Assignment& assignment, int32_t generation_id) override;
  // From the user data only (an eager member owns nothing when it joins).
  MemberData GetMemberData(const Subscription& subscription) const override;

 protected:
  std::map<std::string, std::vector<TopicPartition>> AssignPartitions(
      const PartitionsPerTopic& partitions_per_topic,
      const GroupSubscription& subscriptions) const override;

 private:
  std::optional<std::vector<TopicPartition>> member_assignment_;
  int32_t generation_ = kDefaultGeneration;
};

class CooperativeStickyAssignor final : public AbstractStickyAssignor {
 public:
  std::string_view name() const override { return "cooperative-sticky"; }
  std::vector<RebalanceProtocol> supported_protocols() const override {
    return {RebalanceProtocol::kCooperative, RebalanceProtocol::kEager};
  }
  // The last generation as a big-endian int32 (for leaders reading
  // subscriptions older than v2).
  std::optional<std::string> SubscriptionUserData(
      const std::vector<std::string>& topics) const override;
  void OnAssignment(const Assignment& assignment, int32_t generation_id) override;
  // owned_partitions, with generation_id when present (v2+), else the
  // generation in the user data, else none.
  MemberData GetMemberData(const Subscription& subscription) const override;

 protected:
  std::map<std::string, std::vector<TopicPartition>> AssignPartitions(
      const PartitionsPerTopic& partitions_per_topic,
      const GroupSubscription& subscriptions) const override;

 private:
  int32_t generation_ = kDefaultGeneration;
};

}  // namespace samsa::client
