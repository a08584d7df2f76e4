#include "client/group/round_robin_assignor.h"

#include <algorithm>
#include <set>

namespace samsa::client {

std::map<std::string, std::vector<TopicPartition>> RoundRobinAssignor::AssignPartitions(
    const PartitionsPerTopic& partitions_per_topic, const GroupSubscription& subscriptions) const {
  std::map<std::string, std::vector<TopicPartition>> assignment;
  if (subscriptions.empty()) return assignment;

  std::vector<const GroupSubscription::value_type*> members;
  std::set<std::string> all_topics;  // sorted, as Kafka's allPartitionsSorted
  for (const auto& entry : subscriptions) {
    members.push_back(&entry);
    all_topics.insert(entry.second.topics.begin(), entry.second.topics.end());
  }
  std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) {
    return MemberInfoLess(a->first, a->second, b->first, b->second);
  });
  const auto subscribed = [](const Subscription& s, const std::string& topic) {
    return std::find(s.topics.begin(), s.topics.end(), topic) != s.topics.end();
  };

  size_t next = 0;  // Kafka's CircularIterator over the sorted members
  for (const std::string& topic : all_topics) {
    const auto it = partitions_per_topic.find(topic);
    if (it == partitions_per_topic.end()) continue;
    for (int32_t p = 0; p < it->second; ++p) {
      // Some member subscribes to `topic` (it came from a subscription), so
      // this stops within one lap.
      while (!subscribed(members[next]->second, topic)) next = (next + 1) % members.size();
      assignment[members[next]->first].push_back({topic, p});
      next = (next + 1) % members.size();
    }
  }
  return assignment;
}

}  // namespace samsa::client
