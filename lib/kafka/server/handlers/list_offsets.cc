// ListOffsets (api key 2), versions 0-7. v0 (Kafka 0.8-0.10 clients; sarama
// by default) answers old_style_offsets, as Kafka's
// handleListOffsetRequestV0: Broker::Impl::LegacyListOffsets (segment base
// offsets, newest first, up to max_num_offsets); a timestamp below -2 is
// UNSUPPORTED_VERSION. From v1, per partition, Broker::Impl::ListOffset of
// its timestamp:
// -2 earliest, -1 latest, -3 the record with the largest timestamp (v7+),
// else the first record at or after the timestamp (offset -1 and timestamp
// -1 when none is, error NONE, as Kafka answers).
//
// - replica_id -1 (a consumer) reads up to the high watermark, or the last
//   stable offset with isolation_level 1 (v2+); any other replica id (a
//   follower, or -2 for debugging tools) sees the log end offset.
// - current_leader_epoch (v4+) is fenced as Kafka does.
// - A partition named twice is INVALID_REQUEST for each, as Kafka answers.
// - A failed partition has timestamp, offset and leader epoch -1.
#include <map>
#include <string>
#include <utility>

#include "kafka/messages/list_offsets.h"
#include "kafka/server/handlers/data_handlers.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace list_offsets_handler {

using Response = ListOffsetsResponse;

constexpr int32_t kConsumerReplicaId = -1;

Response HandleListOffsets(const RequestContext& ctx, ListOffsetsRequest& request) {
  Broker::Impl* broker = ctx.server->broker();
  const int16_t version = ctx.api_version();
  FetchIsolation isolation = FetchIsolation::kLogEnd;
  if (request.replica_id == kConsumerReplicaId) {
    isolation = version >= 2 && request.isolation_level == 1 ? FetchIsolation::kTxnCommitted
                                                             : FetchIsolation::kHighWatermark;
  }
  std::map<TopicPartition, int> counts;
  for (const ListOffsetsRequest::ListOffsetsTopic& t : request.topics) {
    for (const ListOffsetsRequest::ListOffsetsPartition& p : t.partitions)
      ++counts[{t.name, p.partition_index}];
  }

  Response response;
  for (const ListOffsetsRequest::ListOffsetsTopic& t : request.topics) {
    Response::ListOffsetsTopicResponse topic;
    topic.name = t.name;
    for (const ListOffsetsRequest::ListOffsetsPartition& p : t.partitions) {
      const TopicPartition tp{t.name, p.partition_index};
      Response::ListOffsetsPartitionResponse out;
      out.partition_index = p.partition_index;
      ErrorCode error = counts[tp] > 1
                            ? ErrorCode::kInvalidRequest
                            : CheckCurrentLeaderEpoch(broker, tp, p.current_leader_epoch);
      if (error == ErrorCode::kNone && version == 0) {
        if (p.timestamp < kEarliestTimestamp) {
          error = ErrorCode::kUnsupportedVersion;
        } else {
          absl::StatusOr<std::vector<int64_t>> offsets = broker->LegacyListOffsets(
              tp, p.timestamp, p.max_num_offsets, request.replica_id == kConsumerReplicaId);
          if (offsets.ok()) {
            out.old_style_offsets = *std::move(offsets);
          } else {
            error = ErrorCodeOf(offsets.status());
          }
        }
      } else if (error == ErrorCode::kNone) {
        absl::StatusOr<Broker::Impl::ListOffsetResult> result =
            broker->ListOffset(tp, p.timestamp, isolation);
        if (result.ok()) {
          out.timestamp = result->timestamp;
          out.offset = result->offset;
          // v4+ only (not ignorable below: a non-default value would not encode).
          if (version >= 4 && result->offset >= 0) out.leader_epoch = result->leader_epoch;
        } else {
          error = ErrorCodeOf(result.status());
        }
      }
      out.error_code = static_cast<int16_t>(error);
      topic.partitions.push_back(std::move(out));
    }
    response.topics.push_back(std::move(topic));
  }
  return response;
}

}  // namespace list_offsets_handler
}  // namespace

ApiHandler ListOffsetsHandler() {
  using namespace list_offsets_handler;
  return TypedHandler<ListOffsetsRequest, ListOffsetsResponse>(0, 7, HandleListOffsets);
}

}  // namespace samsa::kafka
