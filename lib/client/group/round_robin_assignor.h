// RoundRobinAssignor ("roundrobin"), exactly as Kafka's: every partition of
// every subscribed topic, sorted by (topic, partition), is dealt in turn to the
// members in MemberInfo order (static members by group.instance.id first, then
// by member id), a member not subscribed to the partition's topic being
// skipped. With identical subscriptions partition counts differ by at most
// one. Eager protocol only.
//
// Thread-safety: stateless; thread-safe.
#pragma once

#include "client/group/partition_assignor.h"

namespace samsa::client {

class RoundRobinAssignor final : public PartitionAssignor {
 public:
  std::string_view name() const override { return "roundrobin"; }

 protected:
  std::map<std::string, std::vector<TopicPartition>> AssignPartitions(
      const PartitionsPerTopic& partitions_per_topic,
      const GroupSubscription& subscriptions) const override;
};

}  // namespace samsa::client
