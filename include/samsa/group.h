// samsa/group.h — what a broker knows about a consumer group: its state,
// members and their assignments, and per partition the committed offset,
// log end offset, high watermark and lag — the columns of Kafka's
// `kafka-consumer-groups.sh --describe --group G` (and --members).
//
// Lag is Kafka's: high watermark − committed offset, for partitions with a
// committed offset; unknown (nullopt) without one.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "samsa/types.h"

namespace samsa {

struct ConsumerGroupMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string host;
  std::vector<TopicPartition> assignment;  // decoded from the consumer protocol
};

struct ConsumerGroupPartition {
  TopicPartition tp;
  std::optional<int64_t> committed_offset;  // nullopt: nothing committed
  int64_t log_end_offset = -1;
  int64_t high_watermark = -1;
  std::optional<int64_t> lag;               // high watermark - committed offset
  std::string member_id;                    // "" when no member is assigned it
  std::string client_id;
  std::string host;
};

struct ConsumerGroupDescription {
  std::string group_id;
  // Kafka's group states: Empty, PreparingRebalance, CompletingRebalance,
  // Stable, Dead.
  std::string state;
  std::string protocol_type;  // "consumer" for Kafka consumers
  std::string assignor;       // the agreed protocol (range, roundrobin, ...) when Stable
  int32_t coordinator = -1;   // broker id
  std::vector<ConsumerGroupMember> members;
  std::vector<ConsumerGroupPartition> partitions;  // sorted by topic, partition
};

struct ConsumerGroupListing {
  std::string group_id;
  std::string state;
  std::string protocol_type;
};

}  // namespace samsa
