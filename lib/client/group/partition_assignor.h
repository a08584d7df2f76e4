// PartitionAssignor: the group leader's side of Kafka's consumer rebalance —
// Kafka's ConsumerPartitionAssignor (with AbstractPartitionAssignor's common
// part). Every member names the assignors it supports in JoinGroup, each with
// the Subscription it would send under it; the leader runs the assignor the
// group agreed on over all members' Subscriptions and sends each member its
// Assignment in SyncGroup.
//
//   range               RangeAssignor (the Java client's default)
//   roundrobin          RoundRobinAssignor
//   sticky              StickyAssignor (eager, remembers its previous
//                       assignment in the subscription user data)
//   cooperative-sticky  CooperativeStickyAssignor (incremental, KIP-429)
//
// Assign() is deterministic: the same input gives the same output. Where
// Kafka's Java code lets HashMap iteration order decide (which member keeps
// its extra owned partitions first, which of several equal moves the sticky
// balancer makes), samsa takes members and topics in sorted order instead, so
// results equal Kafka's whenever Kafka's do not depend on hash order.
//
// Thread-safety: Assign() is const and thread-safe. SubscriptionUserData() and
// OnAssignment() read and update a member's own remembered state (the sticky
// assignors keep the last assignment and generation there): one thread at a
// time, the consumer that owns the assignor.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "broker/group/consumer_protocol.h"
#include "samsa/types.h"

namespace samsa::client {

// The consumer protocol's types live with the broker's group code, which
// decodes members' assignments for DescribeGroup; the assignors use them as
// client types.
using group::Assignment;
using group::DecodeAssignment;
using group::DecodeSubscription;
using group::EncodeAssignment;
using group::EncodeSubscription;
using group::GroupByTopic;
using group::ConsumerProtocolVersion;
using group::kConsumerProtocolMaxVersion;
using group::kDefaultGeneration;
using group::Subscription;
using group::TopicPartitions;


// Kafka's ConsumerPartitionAssignor.RebalanceProtocol (wire ids 0 and 1).
enum class RebalanceProtocol : int8_t { kEager = 0, kCooperative = 1 };

// Topic name -> number of partitions (partitions are 0..n-1).
using PartitionsPerTopic = std::map<std::string, int32_t>;
// Member id -> what that member sent in JoinGroup.
using GroupSubscription = std::map<std::string, Subscription>;
// Member id -> what the leader sends that member in SyncGroup.
using GroupAssignment = std::map<std::string, Assignment>;

class PartitionAssignor {
 public:
  virtual ~PartitionAssignor() = default;

  // The name members put in JoinGroup (partition.assignment.strategy).
  virtual std::string_view name() const = 0;

  // The rebalance protocols this assignor supports, most preferred first.
  virtual std::vector<RebalanceProtocol> supported_protocols() const {
    return {RebalanceProtocol::kEager};
  }

  // The version of the assignor's user data (Kafka's version()); 0 here.
  virtual int16_t version() const { return 0; }

  // The user data this member sends in its Subscription for `topics`
  // (null when the assignor has none).
  virtual std::optional<std::string> SubscriptionUserData(
      const std::vector<std::string>& topics) const {
    (void)topics;
    return std::nullopt;
  }

  // Tells the assignor this member's assignment and the generation it came
  // with, after SyncGroup (Kafka's onAssignment(assignment, groupMetadata)).
  virtual void OnAssignment(const Assignment& assignment, int32_t generation_id) {
    (void)assignment;
    (void)generation_id;
  }

  // The leader's computation: an Assignment for every member of
  // `subscriptions`. As Kafka's AbstractPartitionAssignor does, topics nobody
  // subscribes to and topics with no partitions are left out, and a member
  // subscribed to a topic missing from `partitions_per_topic` simply gets
  // nothing of it. Each member's partitions come sorted by (topic,
  // partition), without user data. InvalidArgument for a negative partition
  // count.
  absl::StatusOr<GroupAssignment> Assign(const PartitionsPerTopic& partitions_per_topic,
                                         const GroupSubscription& subscriptions) const;

 protected:
  // Member id -> its partitions. `partitions_per_topic` holds only subscribed
  // topics with at least one partition; every subscription's topics are
  // distinct. Members absent from the result get nothing.
  virtual std::map<std::string, std::vector<TopicPartition>> AssignPartitions(
      const PartitionsPerTopic& partitions_per_topic,
      const GroupSubscription& subscriptions) const = 0;
};

// The assignor named `name` ("range", "roundrobin", "sticky",
// "cooperative-sticky"); InvalidArgument for any other name.
absl::StatusOr<std::unique_ptr<PartitionAssignor>> MakePartitionAssignor(std::string_view name);

// What a member does with a new assignment under the COOPERATIVE protocol
// (Kafka's ConsumerCoordinator.onJoinComplete): it gives up `revoked` (owned,
// not assigned; onPartitionsRevoked), starts on `added` (assigned, not owned;
// onPartitionsAssigned), keeps the rest, and when it revoked anything it
// rejoins at once so the leader can hand those partitions to their new owner.
struct CooperativeChange {
  std::vector<TopicPartition> revoked;  // sorted
  std::vector<TopicPartition> added;    // sorted
  bool rejoin_required = false;         // == !revoked.empty()
};
CooperativeChange ComputeCooperativeChange(const std::vector<TopicPartition>& owned,
                                           const std::vector<TopicPartition>& assigned);

// Kafka's MemberInfo order, by which range and round-robin lay out members:
// members with a group.instance.id first, ordered by it; then the others, by
// member id.
bool MemberInfoLess(const std::string& a_member_id, const Subscription& a,
                    const std::string& b_member_id, const Subscription& b);

}  // namespace samsa::client
