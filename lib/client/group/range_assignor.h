// RangeAssignor ("range"), exactly as Kafka's: topic by topic, the members
// subscribed to the topic are laid out in MemberInfo order (static members by
// group.instance.id first, then by member id) and the topic's partitions are
// cut into consecutive ranges; the first (partitions % members) members get
// one extra. Two topics with the same partition count and subscribers give
// the same member the same ranges, so co-partitioned topics stay together.
// Eager protocol only. Rack-aware placement (Kafka 3.5+) is not implemented.
//
// Thread-safety: stateless; thread-safe.
#pragma once

#include "client/group/partition_assignor.h"

namespace samsa::client {

class RangeAssignor final : public PartitionAssignor {
 public:
  std::string_view name() const override { return "range"; }

 protected:
  std::map<std::string, std::vector<TopicPartition>> AssignPartitions(
      const PartitionsPerTopic& partitions_per_topic,
      const GroupSubscription& subscriptions) const override;
};

}  // namespace samsa::client
