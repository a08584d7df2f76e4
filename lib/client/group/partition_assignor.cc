#include "client/group/partition_assignor.h"

#include <algorithm>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "client/group/range_assignor.h"
#include "client/group/round_robin_assignor.h"
#include "client/group/sticky_assignor.h"

namespace samsa::client {

absl::StatusOr<GroupAssignment> PartitionAssignor::Assign(
    const PartitionsPerTopic& partitions_per_topic, const GroupSubscription& subscriptions) const {
  // As AbstractPartitionAssignor.assign(Cluster, GroupSubscription): only
  // subscribed topics that have partitions take part.
  GroupSubscription members;
  std::set<std::string> subscribed;
  for (const auto& [member_id, subscription] : subscriptions) {
    Subscription s = subscription;
    std::set<std::string> seen;
    s.topics.clear();
    for (const std::string& topic : subscription.topics) {
      if (seen.insert(topic).second) s.topics.push_back(topic);
    }
    subscribed.insert(seen.begin(), seen.end());
    members.emplace(member_id, std::move(s));
  }
  PartitionsPerTopic partitions;
  for (const auto& [topic, count] : partitions_per_topic) {
    if (count < 0) {
      return absl::InvalidArgumentError(fmt::format(
          "{} assignor: topic {} has a negative partition count {}", name(), topic, count));
    }
    if (count > 0 && subscribed.contains(topic)) partitions.emplace(topic, count);
  }

  std::map<std::string, std::vector<TopicPartition>> raw = AssignPartitions(partitions, members);
  GroupAssignment out;
  for (const auto& entry : members) {
    std::vector<TopicPartition>& tps = raw[entry.first];
    std::sort(tps.begin(), tps.end());
    out[entry.first].partitions = GroupByTopic(tps);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<PartitionAssignor>> MakePartitionAssignor(std::string_view name) {
  if (name == "range") return std::unique_ptr<PartitionAssignor>(new RangeAssignor());
  if (name == "roundrobin") return std::unique_ptr<PartitionAssignor>(new RoundRobinAssignor());
  if (name == "sticky") return std::unique_ptr<PartitionAssignor>(new StickyAssignor());
  if (name == "cooperative-sticky") {
    return std::unique_ptr<PartitionAssignor>(new CooperativeStickyAssignor());
  }
  return absl::InvalidArgumentError(fmt::format(
      "unknown partition assignor \"{}\" (range, roundrobin, sticky, cooperative-sticky)", name));
}

CooperativeChange ComputeCooperativeChange(const std::vector<TopicPartition>& owned,
                                           const std::vector<TopicPartition>& assigned) {
  const std::set<TopicPartition> owned_set(owned.begin(), owned.end());
  const std::set<TopicPartition> assigned_set(assigned.begin(), assigned.end());
  CooperativeChange change;
  std::set_difference(owned_set.begin(), owned_set.end(), assigned_set.begin(), assigned_set.end(),
                      std::back_inserter(change.revoked));
  std::set_difference(assigned_set.begin(), assigned_set.end(), owned_set.begin(), owned_set.end(),
                      std::back_inserter(change.added));
  change.rejoin_required = !change.revoked.empty();
  return change;
}

bool MemberInfoLess(const std::string& a_member_id, const Subscription& a,
                    const std::string& b_member_id, const Subscription& b) {
  if (a.group_instance_id && b.group_instance_id) {
    if (*a.group_instance_id != *b.group_instance_id) {
      return *a.group_instance_id < *b.group_instance_id;
    }
    return a_member_id < b_member_id;  // equal instance ids: keep a strict order
  }
  if (a.group_instance_id) return true;
  if (b.group_instance_id) return false;
  return a_member_id < b_member_id;
}

}  // namespace samsa::client
