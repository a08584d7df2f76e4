// The data-path API handlers (one file each in this directory) and the
// small helpers they share. AddDataHandlers (data_handlers.cc) lists them.
//
// Versions advertised are the ones whose every field is honoured:
//   Metadata 0-12, Produce 3-9 (magic-2 batches only), Fetch 4-15 (by topic
//   id from v13), ListOffsets 1-7, OffsetForLeaderEpoch 0-4, InitProducerId
//   0-4, DescribeCluster 0.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kafka/protocol/wire_types.h"
#include "kafka/server/handler.h"
#include "samsa/errors.h"

namespace samsa::kafka {

ApiHandler MetadataHandler();
ApiHandler ProduceHandler();
ApiHandler FetchHandler();
ApiHandler ListOffsetsHandler();
ApiHandler OffsetForLeaderEpochHandler();
ApiHandler InitProducerIdHandler();
ApiHandler DescribeClusterHandler();

// Kafka's leader-epoch fencing (KIP-320) for a request naming the leader
// epoch the client knows: -1 skips the check; older than the partition's is
// FENCED_LEADER_EPOCH, newer is UNKNOWN_LEADER_EPOCH. Unknown partitions and
// partitions this broker does not lead are left to the broker's own call
// (kNone here).
ErrorCode CheckCurrentLeaderEpoch(Broker::Impl* broker, const TopicPartition& tp,
                                  int32_t current_leader_epoch);

// What Kafka reports as authorized operations when no authorizer is
// configured: every operation the resource type supports, as a bit field of
// AclOperation codes (to32BitField). Reported only when the request asks.
// Cluster: CREATE(5) ALTER(7) DESCRIBE(8) CLUSTER_ACTION(9) DESCRIBE_CONFIGS(10)
// ALTER_CONFIGS(11) IDEMPOTENT_WRITE(12).
inline constexpr int32_t kClusterAuthorizedOperations =
    (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);
// Topic: READ(3) WRITE(4) CREATE(5) DELETE(6) ALTER(7) DESCRIBE(8)
// DESCRIBE_CONFIGS(10) ALTER_CONFIGS(11).
inline constexpr int32_t kTopicAuthorizedOperations =
    (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11);
inline constexpr int32_t kAuthorizedOperationsNotRequested = INT32_MIN;

}  // namespace samsa::kafka
