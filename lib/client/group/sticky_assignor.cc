// A transcription of Kafka 3.x's AbstractStickyAssignor (constrainedAssign,
// generalAssign and their helpers), StickyAssignor and
// CooperativeStickyAssignor. Function and variable names follow Kafka's so the
// two can be read side by side; see sticky_assignor.h for where samsa
// deliberately differs.
#include "client/group/sticky_assignor.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <set>
#include <utility>

#include "broker/group/protocol_io.h"
#include "util/endian.h"
#include "util/logging.h"
#include "util/status_macros.h"

namespace samsa::client {

using group::CheckStringLength;
using group::ProtocolReader;
using group::ProtocolWriter;

namespace {

using Tp = TopicPartition;
using AssignmentMap = std::map<std::string, std::vector<Tp>>;

bool Contains(const std::vector<Tp>& v, const Tp& tp) {
  return std::find(v.begin(), v.end(), tp) != v.end();
}
// Java's List.remove(Object): the first occurrence, if any.
void RemoveFirst(std::vector<Tp>& v, const Tp& tp) {
  const auto it = std::find(v.begin(), v.end(), tp);
  if (it != v.end()) v.erase(it);
}

struct ConsumerGenerationPair {
  std::string consumer;
  int32_t generation;
};

// Kafka's AbstractStickyAssignor.PartitionMovements: the net movement of each
// partition during one general assignment, so that a move that would undo an
// earlier one (B->A after A->B) moves the earlier partition back instead and
// keeps the assignment sticky.
class PartitionMovements {
 public:
  Tp GetTheActualPartitionToBeMoved(const Tp& partition, std::string old_consumer,
                                    const std::string& new_consumer) const {
    const auto by_topic = by_topic_.find(partition.topic);
    if (by_topic == by_topic_.end()) return partition;
    if (const auto it = movements_.find(partition); it != movements_.end()) {
      old_consumer = it->second.first;  // the partition's original owner
    }
    const auto reverse = by_topic->second.find({new_consumer, old_consumer});
    if (reverse == by_topic->second.end()) return partition;
    return *reverse->second.begin();
  }

  void MovePartition(const Tp& partition, const std::string& old_consumer,
                     const std::string& new_consumer) {
    if (movements_.contains(partition)) {
      const Pair existing = RemoveMovementRecordOfPartition(partition);
      if (existing.first != new_consumer) {
        AddPartitionMovementRecord(partition, {existing.first, new_consumer});
      }
    } else {
      AddPartitionMovementRecord(partition, {old_consumer, new_consumer});
    }
  }

 private:
  using Pair = std::pair<std::string, std::string>;  // (source, destination)

  Pair RemoveMovementRecordOfPartition(const Tp& partition) {
    const auto node = movements_.extract(partition);
    const Pair pair = node.mapped();
    auto& for_topic = by_topic_[partition.topic];
    auto& set = for_topic[pair];
    set.erase(partition);
    if (set.empty()) for_topic.erase(pair);
    if (for_topic.empty()) by_topic_.erase(partition.topic);
    return pair;
  }
  void AddPartitionMovementRecord(const Tp& partition, const Pair& pair) {
    movements_[partition] = pair;
    by_topic_[partition.topic][pair].insert(partition);
  }

  std::map<std::string, std::map<Pair, std::set<Tp>>> by_topic_;
  std::map<Tp, Pair> movements_;
};

int64_t TotalPartitions(const PartitionsPerTopic& partitions_per_topic) {
  int64_t total = 0;
  for (const auto& entry : partitions_per_topic) total += entry.second;
  return total;
}

// ---------------------------------------------------------------------------
// The constrained path: every member subscribes to the same topics.

AssignmentMap ConstrainedAssign(const PartitionsPerTopic& partitions_per_topic,
                                AssignmentMap consumer_to_owned_partitions,
                                const std::set<Tp>& partitions_with_multiple_previous_owners,
                                std::map<Tp, std::string>& partitions_transferring_ownership) {
  std::set<Tp> all_revoked_partitions;
  // Members that may still be given partitions to reach their quota.
  std::vector<std::string> unfilled_members_with_under_min_quota_partitions;
  std::deque<std::string> unfilled_members_with_exactly_min_quota_partitions;

  const auto number_of_consumers = static_cast<int64_t>(consumer_to_owned_partitions.size());
  const int64_t total_partitions_count = TotalPartitions(partitions_per_topic);
  const int64_t min_quota = total_partitions_count / number_of_consumers;
  const int64_t max_quota =
      (total_partitions_count + number_of_consumers - 1) / number_of_consumers;
  // How many members get maxQuota (zero when minQuota == maxQuota).
  const int64_t expected_num_members_with_over_min_quota_partitions =
      total_partitions_count % number_of_consumers;
  int64_t current_num_members_with_over_min_quota_partitions = 0;

  AssignmentMap assignment;
  std::set<Tp> assigned_partitions;
  // Keep previously owned partitions, up to the quota.
  for (auto& [consumer, owned_partitions] : consumer_to_owned_partitions) {
    std::vector<Tp>& consumer_assignment = assignment[consumer];
    for (const Tp& doubly_claimed : partitions_with_multiple_previous_owners) {
      RemoveFirst(owned_partitions, doubly_claimed);
    }
    const auto owned = static_cast<int64_t>(owned_partitions.size());
    int64_t keep;
    if (owned < min_quota) {
      keep = owned;
      unfilled_members_with_under_min_quota_partitions.push_back(consumer);
    } else if (owned >= max_quota && current_num_members_with_over_min_quota_partitions <
                                         expected_num_members_with_over_min_quota_partitions) {
      keep = max_quota;
      ++current_num_members_with_over_min_quota_partitions;
      if (current_num_members_with_over_min_quota_partitions ==
          expected_num_members_with_over_min_quota_partitions) {
        unfilled_members_with_exactly_min_quota_partitions.clear();
      }
    } else {
      keep = min_quota;
      if (current_num_members_with_over_min_quota_partitions <
          expected_num_members_with_over_min_quota_partitions) {
        unfilled_members_with_exactly_min_quota_partitions.push_back(consumer);
      }
    }
    for (int64_t i = 0; i < owned; ++i) {
      const Tp& tp = owned_partitions[static_cast<size_t>(i)];
      if (i < keep) {
        consumer_assignment.push_back(tp);
        assigned_partitions.insert(tp);
      } else {
        all_revoked_partitions.insert(tp);
      }
    }
  }

  // Every other partition, sorted by (topic, partition).
  std::vector<Tp> unassigned_partitions;
  for (const auto& [topic, count] : partitions_per_topic) {
    for (int32_t p = 0; p < count; ++p) {
      Tp tp{topic, p};
      if (!assigned_partitions.contains(tp)) unassigned_partitions.push_back(std::move(tp));
    }
  }

  std::sort(unfilled_members_with_under_min_quota_partitions.begin(),
            unfilled_members_with_under_min_quota_partitions.end());
  std::sort(unfilled_members_with_exactly_min_quota_partitions.begin(),
            unfilled_members_with_exactly_min_quota_partitions.end());

  // Round-robin the rest: first up to minQuota, then up to maxQuota.
  auto& under_min = unfilled_members_with_under_min_quota_partitions;
  size_t next_under_min = 0;  // Java's iterator over the under-min list
  for (const Tp& unassigned_partition : unassigned_partitions) {
    std::string consumer;
    bool from_under_min = false;
    if (next_under_min < under_min.size()) {
      consumer = under_min[next_under_min++];
      from_under_min = true;
    } else if (under_min.empty() && unfilled_members_with_exactly_min_quota_partitions.empty()) {
      // Kafka throws IllegalStateException here; the quotas make it unreachable.
      SAMSA_LOG(kError, "sticky assignor: no unfilled member left for {}",
                unassigned_partition.ToString());
      break;
    } else if (under_min.empty()) {
      consumer = unfilled_members_with_exactly_min_quota_partitions.front();
      unfilled_members_with_exactly_min_quota_partitions.pop_front();
    } else {
      next_under_min = 0;
      consumer = under_min[next_under_min++];
      from_under_min = true;
    }

    std::vector<Tp>& consumer_assignment = assignment[consumer];
    consumer_assignment.push_back(unassigned_partition);
    // Every owned partition that could stay was kept above, so this one is new
    // to `consumer`; if someone else owned it, it changes hands.
    if (all_revoked_partitions.contains(unassigned_partition) ||
        partitions_with_multiple_previous_owners.contains(unassigned_partition)) {
      partitions_transferring_ownership[unassigned_partition] = consumer;
    }

    const auto current_assigned_count = static_cast<int64_t>(consumer_assignment.size());
    if (current_assigned_count == min_quota && from_under_min) {
      under_min.erase(under_min.begin() + static_cast<std::ptrdiff_t>(--next_under_min));
      unfilled_members_with_exactly_min_quota_partitions.push_back(consumer);
    } else if (current_assigned_count == max_quota) {
      ++current_num_members_with_over_min_quota_partitions;
    }
  }

  for (const std::string& member : under_min) {
    if (static_cast<int64_t>(assignment[member].size()) != min_quota) {
      SAMSA_LOG(kError, "sticky assignor: member {} has {} partitions, expected {}", member,
                assignment[member].size(), min_quota);
    }
  }
  return assignment;
}

// ---------------------------------------------------------------------------
// The general path: subscriptions differ.

class GeneralAssigner {
 public:
  GeneralAssigner(const PartitionsPerTopic& partitions_per_topic,
                  const GroupSubscription& subscriptions,
                  const std::map<std::string, AbstractStickyAssignor::MemberData>& member_data,
                  AssignmentMap current_assignment)
      : partitions_per_topic_(partitions_per_topic),
        subscriptions_(subscriptions),
        member_data_(member_data),
        current_assignment_(std::move(current_assignment)),
        sorted_current_subscriptions_(SubscriptionComparator{&current_assignment_}) {}

  AssignmentMap Assign() {
    std::map<Tp, ConsumerGenerationPair> prev_assignment = PrepopulateCurrentAssignments();

    for (const auto& entry : partitions_per_topic_) topic2_all_potential_consumers_[entry.first];
    for (const auto& [consumer_id, subscription] : subscriptions_) {
      auto& topics = consumer2_all_potential_topics_[consumer_id];
      for (const std::string& topic : subscription.topics) {
        if (!partitions_per_topic_.contains(topic)) continue;
        topics.insert(topic);
        topic2_all_potential_consumers_[topic].push_back(consumer_id);
      }
      current_assignment_[consumer_id];  // every member has an entry
    }

    std::map<Tp, std::string> current_partition_consumer;
    for (const auto& [consumer, partitions] : current_assignment_) {
      for (const Tp& tp : partitions) current_partition_consumer[tp] = consumer;
    }

    // Topics with the fewest potential consumers first, then by name.
    std::vector<std::string> sorted_all_topics;
    for (const auto& entry : topic2_all_potential_consumers_)
      sorted_all_topics.push_back(entry.first);
    std::stable_sort(sorted_all_topics.begin(), sorted_all_topics.end(),
                     [this](const std::string& a, const std::string& b) {
                       return topic2_all_potential_consumers_[a].size() <
                              topic2_all_potential_consumers_[b].size();
                     });
    std::vector<Tp> sorted_all_partitions;
    for (const std::string& topic : sorted_all_topics) {
      for (int32_t p = 0; p < partitions_per_topic_.at(topic); ++p) {
        sorted_all_partitions.push_back({topic, p});
      }
    }

    std::set<Tp> assigned_partitions;
    bool revocation_required = false;
    for (auto& [consumer, partitions] : current_assignment_) {
      const auto& subscribed = consumer2_all_potential_topics_[consumer];
      for (auto it = partitions.begin(); it != partitions.end();) {
        if (!topic2_all_potential_consumers_.contains(it->topic)) {
          current_partition_consumer.erase(*it);
          it = partitions.erase(it);
        } else if (!subscribed.contains(it->topic)) {
          // The member no longer subscribes to the topic: it must give it up.
          it = partitions.erase(it);
          revocation_required = true;
        } else {
          assigned_partitions.insert(*it);
          ++it;
        }
      }
    }

    std::vector<Tp> unassigned_partitions;
    for (const Tp& tp : sorted_all_partitions) {
      if (!assigned_partitions.contains(tp)) unassigned_partitions.push_back(tp);
    }

    for (const auto& entry : current_assignment_) sorted_current_subscriptions_.insert(entry.first);

    Balance(prev_assignment, sorted_all_partitions, unassigned_partitions,
            current_partition_consumer, revocation_required);
    return std::move(current_assignment_);
  }

 private:
  // Orders members by how many partitions they hold, then by id (Kafka's
  // SubscriptionComparator). A member's entry must be erased from the set
  // before its assignment changes size, and inserted again afterwards.
  struct SubscriptionComparator {
    const AssignmentMap* map;
    bool operator()(const std::string& a, const std::string& b) const {
      const size_t sa = map->at(a).size();
      const size_t sb = map->at(b).size();
      return sa != sb ? sa < sb : a < b;
    }
  };

  std::map<Tp, ConsumerGenerationPair> PrepopulateCurrentAssignments() const {
    std::map<Tp, std::map<int32_t, std::string>> sorted_partition_consumers_by_generation;
    for (const auto& [consumer, data] : member_data_) {
      const int32_t generation = data.generation.value_or(kDefaultGeneration);
      for (const Tp& partition : data.partitions) {
        auto& consumers = sorted_partition_consumers_by_generation[partition];
        if (data.generation && consumers.contains(*data.generation)) {
          SAMSA_LOG(kWarning,
                    "sticky assignor: partition {} is assigned to multiple consumers following "
                    "sticky assignment generation {}",
                    partition.ToString(), generation);
        } else {
          consumers[generation] = consumer;
        }
      }
    }
    // The previous owner of a partition is the one of the second-highest
    // generation that claims it.
    std::map<Tp, ConsumerGenerationPair> prev_assignment;
    for (const auto& [partition, consumers] : sorted_partition_consumers_by_generation) {
      if (consumers.size() < 2) continue;
      auto it = consumers.rbegin();
      ++it;
      prev_assignment[partition] = {it->second, it->first};
    }
    return prev_assignment;
  }

  int64_t MaxAssignmentSize(const std::string& consumer) const {
    const auto& topics = consumer2_all_potential_topics_.at(consumer);
    int64_t size = 0;
    for (const std::string& topic : topics) size += partitions_per_topic_.at(topic);
    return size;
  }

  bool CanTopicParticipateInReassignment(const std::string& topic) const {
    return topic2_all_potential_consumers_.at(topic).size() >= 2;
  }

  bool CanConsumerParticipateInReassignment(const std::string& consumer) const {
    const std::vector<Tp>& current_partitions = current_assignment_.at(consumer);
    const auto current_assignment_size = static_cast<int64_t>(current_partitions.size());
    const int64_t max_assignment_size = MaxAssignmentSize(consumer);
    if (current_assignment_size > max_assignment_size) {
      SAMSA_LOG(kError, "sticky assignor: consumer {} is assigned more partitions than possible",
                consumer);
    }
    if (current_assignment_size < max_assignment_size) return true;
    for (const Tp& partition : current_partitions) {
      if (CanTopicParticipateInReassignment(partition.topic)) return true;
    }
    return false;
  }

  void AssignPartition(const Tp& partition, std::map<Tp, std::string>& current_partition_consumer) {
    for (const std::string& consumer : sorted_current_subscriptions_) {
      if (consumer2_all_potential_topics_.at(consumer).contains(partition.topic)) {
        const std::string c = consumer;  // the set node goes away below
        sorted_current_subscriptions_.erase(c);
        current_assignment_.at(c).push_back(partition);
        current_partition_consumer[partition] = c;
        sorted_current_subscriptions_.insert(c);
        return;
      }
    }
  }

  bool IsBalanced() const {
    if (sorted_current_subscriptions_.empty()) return true;
    const size_t min = current_assignment_.at(*sorted_current_subscriptions_.begin()).size();
    const size_t max = current_assignment_.at(*sorted_current_subscriptions_.rbegin()).size();
    if (min + 1 >= max) return true;

    std::map<Tp, std::string> all_partitions;
    for (const auto& [consumer, partitions] : current_assignment_) {
      for (const Tp& tp : partitions) {
        if (all_partitions.contains(tp)) {
          SAMSA_LOG(kError, "sticky assignor: {} is assigned to more than one consumer",
                    tp.ToString());
        }
        all_partitions[tp] = consumer;
      }
    }
    // A member short of what it could hold must not be able to take a
    // partition from a member holding more.
    for (const std::string& consumer : sorted_current_subscriptions_) {
      const std::vector<Tp>& consumer_partitions = current_assignment_.at(consumer);
      const size_t consumer_partition_count = consumer_partitions.size();
      if (static_cast<int64_t>(consumer_partition_count) == MaxAssignmentSize(consumer)) continue;
      for (const std::string& topic : consumer2_all_potential_topics_.at(consumer)) {
        for (int32_t i = 0; i < partitions_per_topic_.at(topic); ++i) {
          const Tp tp{topic, i};
          if (Contains(consumer_partitions, tp)) continue;
          const auto other = all_partitions.find(tp);
          if (other == all_partitions.end()) continue;
          const auto other_assignment = current_assignment_.find(other->second);
          if (other_assignment == current_assignment_.end()) continue;
          if (consumer_partition_count < other_assignment->second.size()) return false;
        }
      }
    }
    return true;
  }

  void ProcessPartitionMovement(const Tp& partition, const std::string& new_consumer,
                                std::map<Tp, std::string>& current_partition_consumer) {
    const std::string old_consumer = current_partition_consumer.at(partition);
    sorted_current_subscriptions_.erase(old_consumer);
    sorted_current_subscriptions_.erase(new_consumer);
    partition_movements_.MovePartition(partition, old_consumer, new_consumer);
    RemoveFirst(current_assignment_.at(old_consumer), partition);
    current_assignment_.at(new_consumer).push_back(partition);
    current_partition_consumer[partition] = new_consumer;
    sorted_current_subscriptions_.insert(new_consumer);
    sorted_current_subscriptions_.insert(old_consumer);
  }

  void ReassignPartitionTo(const Tp& partition, const std::string& new_consumer,
                           std::map<Tp, std::string>& current_partition_consumer) {
    const std::string& consumer = current_partition_consumer.at(partition);
    const Tp to_move =
        partition_movements_.GetTheActualPartitionToBeMoved(partition, consumer, new_consumer);
    ProcessPartitionMovement(to_move, new_consumer, current_partition_consumer);
  }

  void ReassignPartition(const Tp& partition,
                         std::map<Tp, std::string>& current_partition_consumer) {
    for (const std::string& another : sorted_current_subscriptions_) {
      if (consumer2_all_potential_topics_.at(another).contains(partition.topic)) {
        const std::string new_consumer = another;
        ReassignPartitionTo(partition, new_consumer, current_partition_consumer);
        return;
      }
    }
  }

  bool PerformReassignments(const std::vector<Tp>& reassignable_partitions,
                            const std::map<Tp, ConsumerGenerationPair>& prev_assignment,
                            std::map<Tp, std::string>& current_partition_consumer) {
    bool reassignment_performed = false;
    bool modified;
    do {
      modified = false;
      for (auto it = reassignable_partitions.begin();
           it != reassignable_partitions.end() && !IsBalanced(); ++it) {
        const Tp& partition = *it;
        const auto owner = current_partition_consumer.find(partition);
        if (owner == current_partition_consumer.end()) continue;
        const auto consumer_assignment = current_assignment_.find(owner->second);
        if (consumer_assignment == current_assignment_.end()) continue;
        const size_t consumer_size = consumer_assignment->second.size();

        if (const auto prev = prev_assignment.find(partition); prev != prev_assignment.end()) {
          const std::string& prev_consumer = prev->second.consumer;
          const auto prev_assigned = current_assignment_.find(prev_consumer);
          if (prev_assigned != current_assignment_.end() &&
              consumer2_all_potential_topics_.at(prev_consumer).contains(partition.topic) &&
              consumer_size > prev_assigned->second.size() + 1) {
            ReassignPartitionTo(partition, prev_consumer, current_partition_consumer);
            reassignment_performed = modified = true;
            continue;
          }
        }

        // Is there a better-suited consumer for the partition?
        for (const std::string& other : topic2_all_potential_consumers_.at(partition.topic)) {
          const auto other_assignment = current_assignment_.find(other);
          if (other_assignment == current_assignment_.end()) continue;
          if (consumer_size > other_assignment->second.size() + 1) {
            ReassignPartition(partition, current_partition_consumer);
            reassignment_performed = modified = true;
            break;
          }
        }
      }
    } while (modified);
    return reassignment_performed;
  }

  // Sum over all pairs of members of the difference in partition counts; 0
  // is perfectly balanced.
  static int64_t BalanceScore(const AssignmentMap& assignment) {
    std::vector<int64_t> sizes;
    for (const auto& entry : assignment) sizes.push_back(static_cast<int64_t>(entry.second.size()));
    int64_t score = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      for (size_t j = i + 1; j < sizes.size(); ++j) score += std::abs(sizes[i] - sizes[j]);
    }
    return score;
  }

  void Balance(const std::map<Tp, ConsumerGenerationPair>& prev_assignment,
               std::vector<Tp> sorted_partitions, std::vector<Tp> unassigned_partitions,
               std::map<Tp, std::string>& current_partition_consumer, bool revocation_required) {
    const bool initializing =
        current_assignment_.at(*sorted_current_subscriptions_.rbegin()).empty();

    for (const Tp& partition : unassigned_partitions) {
      if (topic2_all_potential_consumers_.at(partition.topic).empty()) continue;
      AssignPartition(partition, current_partition_consumer);
    }

    // Only partitions with two or more potential consumers can move...
    const auto fixed = [this](const Tp& tp) {
      return !CanTopicParticipateInReassignment(tp.topic);
    };
    std::erase_if(sorted_partitions, fixed);
    std::erase_if(unassigned_partitions, fixed);

    // ...and only members that could hold more, or hold a movable partition.
    AssignmentMap fixed_assignments;
    for (const auto& entry : consumer2_all_potential_topics_) {
      const std::string& consumer = entry.first;
      if (!CanConsumerParticipateInReassignment(consumer)) {
        sorted_current_subscriptions_.erase(consumer);
        fixed_assignments[consumer] = std::move(current_assignment_.at(consumer));
        current_assignment_.erase(consumer);
      }
    }

    // Kept to revert to if the moves below do not improve the balance.
    const AssignmentMap pre_balance_assignment = current_assignment_;
    const std::map<Tp, std::string> pre_balance_partition_consumers = current_partition_consumer;

    // Without subscription-driven revocations, first try to balance by moving
    // only the newly assigned partitions.
    if (!revocation_required) {
      PerformReassignments(unassigned_partitions, prev_assignment, current_partition_consumer);
    }
    const bool reassignment_performed =
        PerformReassignments(sorted_partitions, prev_assignment, current_partition_consumer);

    if (!initializing && reassignment_performed &&
        BalanceScore(current_assignment_) >= BalanceScore(pre_balance_assignment)) {
      // The ordered set no longer matches the restored sizes; it is not used
      // again, so clear it rather than leave it inconsistent.
      sorted_current_subscriptions_.clear();
      current_assignment_ = pre_balance_assignment;
      current_partition_consumer = pre_balance_partition_consumers;
    }

    for (auto& [consumer, partitions] : fixed_assignments) {
      current_assignment_[consumer] = std::move(partitions);
    }
  }

  const PartitionsPerTopic& partitions_per_topic_;
  const GroupSubscription& subscriptions_;
  const std::map<std::string, AbstractStickyAssignor::MemberData>& member_data_;
  AssignmentMap current_assignment_;
  std::set<std::string, SubscriptionComparator> sorted_current_subscriptions_;
  std::map<std::string, std::vector<std::string>> topic2_all_potential_consumers_;
  std::map<std::string, std::set<std::string>> consumer2_all_potential_topics_;
  PartitionMovements partition_movements_;
};

}  // namespace

// ---------------------------------------------------------------------------

AbstractStickyAssignor::StickyResult AbstractStickyAssignor::StickyAssign(
    const PartitionsPerTopic& partitions_per_topic, const GroupSubscription& subscriptions) const {
  StickyResult result;
  if (subscriptions.empty()) return result;

  std::map<std::string, MemberData> member_data;
  for (const auto& [consumer, subscription] : subscriptions) {
    member_data[consumer] = GetMemberData(subscription);
  }

  // Kafka's allSubscriptionsEqual: also collects each member's previously
  // owned partitions that still exist, resolving claims by several members.
  bool is_all_subscriptions_equal = true;
  std::optional<std::set<std::string>> subscribed_topics;
  AssignmentMap consumer_to_owned_partitions;
  std::set<Tp> partitions_with_multiple_previous_owners;
  std::map<Tp, std::string> all_previous_partitions_to_owner;
  for (const auto& [consumer, subscription] : subscriptions) {
    const std::set<std::string> topics(subscription.topics.begin(), subscription.topics.end());
    if (!subscribed_topics) {
      subscribed_topics = topics;
    } else if (*subscribed_topics != topics) {
      is_all_subscriptions_equal = false;
    }

    const MemberData& data = member_data.at(consumer);
    const int32_t member_generation = data.generation.value_or(kDefaultGeneration);
    std::vector<Tp>& owned_partitions = consumer_to_owned_partitions[consumer];
    for (const Tp& tp : data.partitions) {
      const auto count = partitions_per_topic.find(tp.topic);
      if (count == partitions_per_topic.end() || tp.partition < 0 ||
          tp.partition >= count->second) {
        continue;
      }
      const auto [it, inserted] = all_previous_partitions_to_owner.try_emplace(tp, consumer);
      if (inserted) {
        owned_partitions.push_back(tp);
        continue;
      }
      const std::string other_consumer = it->second;
      const int32_t other_generation =
          member_data.at(other_consumer).generation.value_or(kDefaultGeneration);
      if (member_generation == other_generation) {
        SAMSA_LOG(kError,
                  "sticky assignor: consumers {} and {} both claim {} in generation {}; it is "
                  "taken from both",
                  consumer, other_consumer, tp.ToString(), member_generation);
        partitions_with_multiple_previous_owners.insert(tp);
        RemoveFirst(consumer_to_owned_partitions[other_consumer], tp);
        it->second = consumer;
      } else if (member_generation > other_generation) {
        owned_partitions.push_back(tp);
        RemoveFirst(consumer_to_owned_partitions[other_consumer], tp);
        it->second = consumer;
      }
      // else: the other member, of a newer generation, keeps it.
    }
  }

  if (is_all_subscriptions_equal) {
    result.partitions_transferring_ownership.emplace();
    result.assignment = ConstrainedAssign(
        partitions_per_topic, std::move(consumer_to_owned_partitions),
        partitions_with_multiple_previous_owners, *result.partitions_transferring_ownership);
  } else {
    result.assignment = GeneralAssigner(partitions_per_topic, subscriptions, member_data,
                                        std::move(consumer_to_owned_partitions))
                            .Assign();
  }
  return result;
}

// --- StickyAssignor -----------------------------------------------------------

std::string EncodeStickyAssignorUserData(const StickyAssignorUserData& data) {
  ProtocolWriter w;
  w.Int32(static_cast<int32_t>(data.previous_assignment.size()));
  for (const TopicPartitions& tp : data.previous_assignment) {
    // Topic names come from the assignment the member was given, which the
    // protocol already limited to Kafka string lengths.
    w.String(std::string_view(tp.topic).substr(0, 0x7fff));
    w.Int32(static_cast<int32_t>(tp.partitions.size()));
    for (int32_t p : tp.partitions) w.Int32(p);
  }
  w.Int32(data.generation.value_or(kDefaultGeneration));
  return std::move(w).Finish();
}

namespace {
absl::StatusOr<StickyAssignorUserData> DecodeStickyUserDataVersion(std::string_view bytes,
                                                                   bool with_generation) {
  ProtocolReader r(bytes, "StickyAssignorUserData");
  StickyAssignorUserData data;
  SAMSA_ASSIGN_OR_RETURN(const int32_t n, r.ArrayCount("previous_assignment", 6));
  for (int32_t i = 0; i < n; ++i) {
    TopicPartitions tp;
    SAMSA_ASSIGN_OR_RETURN(tp.topic, r.String("previous_assignment topic"));
    SAMSA_ASSIGN_OR_RETURN(const int32_t np, r.ArrayCount("previous_assignment partitions", 4));
    for (int32_t j = 0; j < np; ++j) {
      SAMSA_ASSIGN_OR_RETURN(const int32_t p, r.Int32("previous_assignment partition"));
      tp.partitions.push_back(p);
    }
    data.previous_assignment.push_back(std::move(tp));
  }
  if (with_generation) {
    SAMSA_ASSIGN_OR_RETURN(data.generation, r.Int32("generation"));
  }
  return data;
}
}  // namespace

absl::StatusOr<StickyAssignorUserData> DecodeStickyAssignorUserData(std::string_view bytes) {
  auto v1 = DecodeStickyUserDataVersion(bytes, true);
  if (v1.ok()) return v1;
  auto v0 = DecodeStickyUserDataVersion(bytes, false);
  if (v0.ok()) return v0;
  return v1.status();
}

std::optional<std::string> StickyAssignor::SubscriptionUserData(
    const std::vector<std::string>& topics) const {
  (void)topics;
  if (!member_assignment_) return std::nullopt;
  return EncodeStickyAssignorUserData({GroupByTopic(*member_assignment_), generation_});
}

void StickyAssignor::OnAssignment(const Assignment& assignment, int32_t generation_id) {
  member_assignment_ = assignment.PartitionList();
  generation_ = generation_id;
}

AbstractStickyAssignor::MemberData StickyAssignor::GetMemberData(
    const Subscription& subscription) const {
  if (!subscription.user_data || subscription.user_data->empty()) return {};
  auto data = DecodeStickyAssignorUserData(*subscription.user_data);
  if (!data.ok()) {
    // As Kafka: ignore a previous assignment that cannot be parsed.
    return {{}, kDefaultGeneration};
  }
  MemberData out;
  for (const TopicPartitions& tp : data->previous_assignment) {
    for (int32_t p : tp.partitions) out.partitions.push_back({tp.topic, p});
  }
  out.generation = data->generation;
  return out;
}

std::map<std::string, std::vector<TopicPartition>> StickyAssignor::AssignPartitions(
    const PartitionsPerTopic& partitions_per_topic, const GroupSubscription& subscriptions) const {
  return StickyAssign(partitions_per_topic, subscriptions).assignment;
}

// --- CooperativeStickyAssignor --------------------------------------------------

std::optional<std::string> CooperativeStickyAssignor::SubscriptionUserData(
    const std::vector<std::string>& topics) const {
  (void)topics;
  std::string out(4, '\0');
  StoreBE32(out.data(), static_cast<uint32_t>(generation_));
  return out;
}

void CooperativeStickyAssignor::OnAssignment(const Assignment& assignment, int32_t generation_id) {
  (void)assignment;
  generation_ = generation_id;
}

AbstractStickyAssignor::MemberData CooperativeStickyAssignor::GetMemberData(
    const Subscription& subscription) const {
  MemberData out;
  out.partitions = subscription.OwnedPartitionList();
  if (subscription.generation_id != kDefaultGeneration) {
    out.generation = subscription.generation_id;
  } else if (subscription.user_data && subscription.user_data->size() >= 4) {
    out.generation = static_cast<int32_t>(LoadBE32(subscription.user_data->data()));
  }
  return out;
}

std::map<std::string, std::vector<TopicPartition>> CooperativeStickyAssignor::AssignPartitions(
    const PartitionsPerTopic& partitions_per_topic, const GroupSubscription& subscriptions) const {
  StickyResult result = StickyAssign(partitions_per_topic, subscriptions);
  std::map<Tp, std::string> transferring;
  if (result.partitions_transferring_ownership) {
    transferring = std::move(*result.partitions_transferring_ownership);
  } else {
    // Kafka's computePartitionsTransferringOwnership: partitions some member
    // gains that another member (per its owned_partitions) loses.
    std::map<Tp, std::string> all_added_partitions;
    std::set<Tp> all_revoked_partitions;
    for (const auto& [consumer, assigned] : result.assignment) {
      const std::vector<Tp> owned = subscriptions.at(consumer).OwnedPartitionList();
      const std::set<Tp> owned_set(owned.begin(), owned.end());
      const std::set<Tp> assigned_set(assigned.begin(), assigned.end());
      for (const Tp& tp : assigned) {
        if (!owned_set.contains(tp)) all_added_partitions[tp] = consumer;
      }
      for (const Tp& tp : owned) {
        if (!assigned_set.contains(tp)) all_revoked_partitions.insert(tp);
      }
    }
    for (auto& [tp, consumer] : all_added_partitions) {
      if (all_revoked_partitions.contains(tp)) transferring.emplace(tp, consumer);
    }
  }
  // The cooperative protocol: a partition changing owner is first revoked by
  // its old owner, and assigned in the follow-up rebalance.
  for (const auto& [tp, consumer] : transferring) RemoveFirst(result.assignment[consumer], tp);
  return std::move(result.assignment);
}

}  // namespace samsa::client
