// ConsumerProtocol: the bytes a Kafka consumer puts inside JoinGroup's
// protocol metadata (its Subscription) and SyncGroup's member assignment (its
// Assignment), encoded exactly as Kafka's
// org.apache.kafka.clients.consumer.internals.ConsumerProtocol encodes them
// (schemas ConsumerProtocolSubscription.json / ConsumerProtocolAssignment.json,
// versions 0-3, never flexible; all integers big-endian):
//
//   Subscription := version:int16 topics:[string] user_data:nullable_bytes
//                   owned_partitions:[TopicPartitions]        (v1+)
//                   generation_id:int32                       (v2+)
//                   rack_id:nullable_string                   (v3+)
//   Assignment   := version:int16 assigned_partitions:[TopicPartitions]
//                   user_data:nullable_bytes                  (same in v0-v3)
//   TopicPartitions := topic:string partitions:[int32]
//
//   [x]             int32 count, then count x's (never null here)
//   string          int16 length, then that many UTF-8 bytes (never null)
//   nullable_string int16 length (-1 = null), then the bytes
//   nullable_bytes  int32 length (-1 = null), then the bytes
//
// Encoding at a version drops the fields that version lacks (they are
// "ignorable" in the schema), and, as Kafka does, a version above 3 is written
// as 3. Decoding accepts any version >= 0: a version above 3 is read with the
// version-3 layout (later versions only append fields), and bytes after the
// known fields are ignored. Malformed input (a negative version, a truncated
// field, a null where the schema forbids one, a count larger than the bytes
// left) gives InvalidArgument naming the field; nothing here crashes or
// allocates more than the input can justify.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "samsa/types.h"

namespace samsa::group {

// The highest ConsumerProtocol version samsa knows (Kafka 3.5+ also stops here).
inline constexpr int16_t kConsumerProtocolMaxVersion = 3;
// The protocol type consumer groups join with (ConsumerProtocol.PROTOCOL_TYPE).
inline constexpr std::string_view kConsumerProtocolType = "consumer";
// The generation a member reports before it has joined any (Kafka's
// AbstractStickyAssignor.DEFAULT_GENERATION).
inline constexpr int32_t kDefaultGeneration = -1;

// One topic's partitions, as the protocol groups them.
struct TopicPartitions {
  std::string topic;
  std::vector<int32_t> partitions;
  friend bool operator==(const TopicPartitions&, const TopicPartitions&) = default;
};

struct Subscription {
  std::vector<std::string> topics;
  std::optional<std::string> user_data;           // assignor-specific; null by default
  std::vector<TopicPartitions> owned_partitions;  // v1+
  int32_t generation_id = kDefaultGeneration;     // v2+
  std::optional<std::string> rack_id;             // v3+ (client.rack)
  // Not on the wire: the member's group.instance.id, which the group leader
  // learns from the JoinGroup response. Range and round-robin order static
  // members by it, as Kafka's MemberInfo does.
  std::optional<std::string> group_instance_id;

  // owned_partitions, flattened in wire order.
  std::vector<TopicPartition> OwnedPartitionList() const;
  friend bool operator==(const Subscription&, const Subscription&) = default;
};

struct Assignment {
  std::vector<TopicPartitions> partitions;
  std::optional<std::string> user_data;

  // partitions, flattened in wire order.
  std::vector<TopicPartition> PartitionList() const;
  friend bool operator==(const Assignment&, const Assignment&) = default;
};

// Groups `partitions` by topic, keeping the order in which topics and
// partitions first appear (as the protocol carries them).
std::vector<TopicPartitions> GroupByTopic(const std::vector<TopicPartition>& partitions);

// Encodes `subscription` at `version` (0..3; above 3 is written as 3).
// InvalidArgument for a negative version or a topic name longer than 32767 bytes.
absl::StatusOr<std::string> EncodeSubscription(const Subscription& subscription,
                                               int16_t version = kConsumerProtocolMaxVersion);
absl::StatusOr<Subscription> DecodeSubscription(std::string_view bytes);

absl::StatusOr<std::string> EncodeAssignment(const Assignment& assignment,
                                             int16_t version = kConsumerProtocolMaxVersion);
absl::StatusOr<Assignment> DecodeAssignment(std::string_view bytes);

// The int16 version that starts an encoded Subscription or Assignment.
absl::StatusOr<int16_t> ConsumerProtocolVersion(std::string_view bytes);

}  // namespace samsa::group
