// The records of Kafka's __consumer_offsets topic: keys and values in Kafka's
// own schemas (OffsetCommitKey/Value, GroupMetadataKey/Value of
// kafka.coordinator.group / org.apache.kafka.coordinator.group.generated),
// and the group -> partition mapping.
//
// Byte layout. Every key and every value is an int16 schema version followed
// by the fields of that version, big-endian; strings are int16 length + UTF-8
// (-1 = null), bytes are int32 length + bytes, arrays int32 count + elements.
// Flexible versions (OffsetCommitValue v4, GroupMetadataValue v4) use compact
// forms instead (unsigned varint length+1, 0 = null) and end every struct with
// tagged fields (unsigned varint count, then tag, size, bytes); unknown tags
// are skipped.
//
//   key version 0|1  OffsetCommitKey    group string, topic string, partition int32
//   key version 2    GroupMetadataKey   group string
//   OffsetCommitValue v0  offset int64, metadata string, commitTimestamp int64
//                     v1  ... commitTimestamp, expireTimestamp int64
//                     v2  as v0
//                     v3  offset, leaderEpoch int32, metadata, commitTimestamp
//                     v4  as v3, flexible
//   GroupMetadataValue v0 protocolType, generation int32, protocol string?,
//                        leader string?, members[memberId, clientId,
//                        clientHost, sessionTimeout int32, subscription bytes,
//                        assignment bytes]
//                     v1 members gain rebalanceTimeout (after clientHost)
//                     v2 currentStateTimestamp int64 (before members)
//                     v3 members gain groupInstanceId string? (after memberId)
//                     v4 as v3, flexible
//   A null value (tombstone) deletes the key.
//
// What we write, as Kafka 3.x's GroupMetadataManager does with a current
// metadata version: keys OffsetCommitKey v1 and GroupMetadataKey v2;
// OffsetCommitValue v3, except v1 when the commit carries an explicit expire
// timestamp (OffsetCommit v2-v4 RetentionTimeMs); GroupMetadataValue v3.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace samsa::group {

inline constexpr std::string_view kOffsetsTopic = "__consumer_offsets";

struct OffsetCommitKey {
  std::string group;
  std::string topic;
  int32_t partition = 0;
  friend bool operator==(const OffsetCommitKey&, const OffsetCommitKey&) = default;
};

struct OffsetCommitValue {
  int64_t offset = -1;
  int32_t leader_epoch = -1;          // v3+; -1 none
  std::string metadata;
  int64_t commit_timestamp = -1;
  int64_t expire_timestamp = -1;      // v1 only; -1 none
  friend bool operator==(const OffsetCommitValue&, const OffsetCommitValue&) = default;
};

struct GroupMetadataKey {
  std::string group;
  friend bool operator==(const GroupMetadataKey&, const GroupMetadataKey&) = default;
};

struct MemberMetadataRecord {
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v3+
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = -1;  // v1+
  int32_t session_timeout_ms = 0;
  std::string subscription;
  std::string assignment;
  friend bool operator==(const MemberMetadataRecord&, const MemberMetadataRecord&) = default;
};

struct GroupMetadataValue {
  std::string protocol_type;
  int32_t generation = 0;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  int64_t current_state_timestamp = -1;  // v2+
  std::vector<MemberMetadataRecord> members;
  friend bool operator==(const GroupMetadataValue&, const GroupMetadataValue&) = default;
};

using CoordinatorKey = std::variant<OffsetCommitKey, GroupMetadataKey>;

inline constexpr int16_t kOffsetCommitKeyVersion = 1;
inline constexpr int16_t kGroupMetadataKeyVersion = 2;
inline constexpr int16_t kOffsetCommitValueVersion = 3;
inline constexpr int16_t kGroupMetadataValueVersion = 3;

// Keys: the version we write (see above).
std::string EncodeOffsetCommitKey(const OffsetCommitKey& key);
std::string EncodeGroupMetadataKey(const GroupMetadataKey& key);

// Values. With no version given, the one Kafka 3.x writes: OffsetCommitValue
// v3, or v1 when expire_timestamp != -1; GroupMetadataValue v3. An explicit
// version must be one the schema defines (0..4); fields the version lacks are
// dropped.
std::string EncodeOffsetCommitValue(const OffsetCommitValue& value,
                                    std::optional<int16_t> version = std::nullopt);
std::string EncodeGroupMetadataValue(const GroupMetadataValue& value, int16_t version = 3);

// Decoders accept every version the schemas define. Bad input (truncated,
// trailing bytes, negative lengths, unknown versions) yields a
// kCorruptMessage status that names what was wrong.
absl::StatusOr<CoordinatorKey> DecodeCoordinatorKey(std::string_view bytes);
absl::StatusOr<OffsetCommitValue> DecodeOffsetCommitValue(std::string_view bytes);
absl::StatusOr<GroupMetadataValue> DecodeGroupMetadataValue(std::string_view bytes);

// Java's String.hashCode() of the UTF-16 form of `utf8`: s[0]*31^(n-1) + ...
// + s[n-1] over UTF-16 code units with int32 wrap-around. A malformed UTF-8
// sequence counts as U+FFFD, as Java's decoder replaces it.
int32_t JavaStringHashCode(std::string_view utf8);

// The __consumer_offsets partition that holds `group_id`'s records:
// Utils.abs(hashCode) % num_partitions, where Utils.abs(x) = x & 0x7fffffff.
// REQUIRES: num_partitions > 0.
int32_t PartitionForGroup(std::string_view group_id, int32_t num_partitions);

}  // namespace samsa::group
