#include "client/group/range_assignor.h"

#include <algorithm>

namespace samsa::client {

std::map<std::string, std::vector<TopicPartition>> RangeAssignor::AssignPartitions(
    const PartitionsPerTopic& partitions_per_topic, const GroupSubscription& subscriptions) const {
  std::map<std::string, std::vector<const GroupSubscription::value_type*>> consumers_per_topic;
  for (const auto& entry : subscriptions) {
    for (const std::string& topic : entry.second.topics)
      consumers_per_topic[topic].push_back(&entry);
  }
  std::map<std::string, std::vector<TopicPartition>> assignment;
  for (auto& [topic, consumers] : consumers_per_topic) {
    const auto it = partitions_per_topic.find(topic);
    if (it == partitions_per_topic.end()) continue;
    std::sort(consumers.begin(), consumers.end(), [](const auto* a, const auto* b) {
      return MemberInfoLess(a->first, a->second, b->first, b->second);
    });
    const int32_t num_partitions = it->second;
    const auto n = static_cast<int32_t>(consumers.size());
    const int32_t per_consumer = num_partitions / n;
    const int32_t with_extra = num_partitions % n;
    for (int32_t i = 0; i < n; ++i) {
      const int32_t start = per_consumer * i + std::min(i, with_extra);
      const int32_t length = per_consumer + (i + 1 > with_extra ? 0 : 1);
      auto& out = assignment[consumers[static_cast<size_t>(i)]->first];
      for (int32_t p = start; p < start + length; ++p) out.push_back({topic, p});
    }
  }
  return assignment;
}

}  // namespace samsa::client
