// OffsetForLeaderEpoch (api key 23), versions 0-4: for each partition, the
// end offset of the requested leader epoch — the first offset of the next
// larger epoch the log knows — as Kafka's LeaderEpochFileCache.endOffsetFor
// answers it. Consumers use it to detect truncation (KIP-320).
//
// samsa keeps no leader-epoch cache: the epochs are the
// partitionLeaderEpoch stamped in the stored batches, plus the current
// leader epoch, which starts at or before the log end offset. So:
// - requested -1 (UNDEFINED_EPOCH): epoch -1, end offset -1;
// - the current epoch: the current epoch and the log end offset;
// - a larger epoch than the current one: -1, -1;
// - an older epoch: the batches are scanned from the log start for the first
//   one with a larger epoch; the answer is (the largest stored epoch not
//   above the requested one — or the requested one when no batch has one —,
//   that batch's base offset, or the log end offset when none). Known cost:
//   the scan reads the log (only asked after a leader change).
// - current_leader_epoch (v2+) is fenced as Kafka does; a partition this
//   broker does not lead is NOT_LEADER_OR_FOLLOWER, an unknown one
//   UNKNOWN_TOPIC_OR_PARTITION.
#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "kafka/messages/offset_for_leader_epoch.h"
#include "kafka/server/handlers/data_handlers.h"
#include "record/record_batch_format.h"
#include "util/status_macros.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace offset_for_leader_epoch_handler {

using Response = OffsetForLeaderEpochResponse;

constexpr int32_t kUndefinedEpoch = -1;
constexpr int64_t kUndefinedEpochOffset = -1;

uint64_t BigEndian(std::string_view s, size_t pos, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(s[pos + i]);
  return v;
}

struct EpochEnd {
  int32_t epoch = kUndefinedEpoch;
  int64_t end_offset = kUndefinedEpochOffset;
};

// The end offset of `requested` < the current epoch, from the stored batches.
absl::StatusOr<EpochEnd> ScanEpochs(const Partition& partition, int32_t requested) {
  const int64_t log_start = partition.log()->log_start_offset().value();
  const int64_t log_end = partition.log()->log_end_offset().value();
  int32_t floor_epoch = kUndefinedEpoch;
  int64_t higher_start = log_end;
  int64_t next = log_start;
  bool found = false;
  while (!found && next < log_end) {
    SAMSA_ASSIGN_OR_RETURN(
        LogReadInfo read,
        partition.Read(Offset(next), 1 << 20, FetchIsolation::kLogEnd, /*min_one_batch=*/true));
    std::string_view bytes = read.records.view();
    const int64_t before = next;
    while (bytes.size() >= record::kBatchHeaderSize) {
      const int64_t base = static_cast<int64_t>(BigEndian(bytes, record::kBaseOffsetPos, 8));
      const int64_t size =
          record::kLogOverhead + static_cast<int32_t>(BigEndian(bytes, record::kBatchLengthPos, 4));
      const int32_t epoch =
          static_cast<int32_t>(BigEndian(bytes, record::kPartitionLeaderEpochPos, 4));
      const int64_t last =
          base + static_cast<int32_t>(BigEndian(bytes, record::kLastOffsetDeltaPos, 4));
      if (epoch > requested) {
        higher_start = std::max(base, log_start);
        found = true;
        break;
      }
      floor_epoch = std::max(floor_epoch, epoch);
      next = std::max(next, last + 1);
      if (size <= 0 || static_cast<size_t>(size) > bytes.size()) break;
      bytes.remove_prefix(static_cast<size_t>(size));
    }
    if (!found && next == before) break;  // nothing readable there
  }
  return EpochEnd{floor_epoch >= 0 ? floor_epoch : requested, higher_start};
}

Response HandleOffsetForLeaderEpoch(const RequestContext& ctx,
                                    OffsetForLeaderEpochRequest& request) {
  Broker::Impl* broker = ctx.server->broker();
  Response response;
  for (const OffsetForLeaderEpochRequest::OffsetForLeaderTopic& t : request.topics) {
    Response::OffsetForLeaderTopicResult topic;
    topic.topic = t.topic;
    for (const OffsetForLeaderEpochRequest::OffsetForLeaderPartition& p : t.partitions) {
      const TopicPartition tp{t.topic, p.partition};
      Response::EpochEndOffset out;
      out.partition = p.partition;
      std::shared_ptr<Partition> partition = broker->GetPartition(tp);
      ErrorCode error = ErrorCode::kNone;
      if (partition == nullptr) {
        error = ErrorCode::kUnknownTopicOrPartition;
      } else if (partition->leader() != broker->broker_id()) {
        error = ErrorCode::kNotLeaderOrFollower;
      } else {
        error = CheckCurrentLeaderEpoch(broker, tp, p.current_leader_epoch);
      }
      if (error == ErrorCode::kNone) {
        const int32_t current = partition->leader_epoch();
        EpochEnd end;
        if (p.leader_epoch == kUndefinedEpoch || p.leader_epoch > current) {
          end = EpochEnd{};
        } else if (p.leader_epoch == current) {
          end = EpochEnd{current, partition->log()->log_end_offset().value()};
        } else {
          absl::StatusOr<EpochEnd> scanned = ScanEpochs(*partition, p.leader_epoch);
          if (scanned.ok()) {
            end = *scanned;
          } else {
            error = ErrorCodeOf(scanned.status());
          }
        }
        if (error == ErrorCode::kNone) {
          out.leader_epoch = end.epoch;
          out.end_offset = end.end_offset;
        }
      }
      out.error_code = static_cast<int16_t>(error);
      topic.partitions.push_back(std::move(out));
    }
    response.topics.push_back(std::move(topic));
  }
  return response;
}

}  // namespace offset_for_leader_epoch_handler
}  // namespace

ApiHandler OffsetForLeaderEpochHandler() {
  using namespace offset_for_leader_epoch_handler;
  return TypedHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>(
      0, 4, HandleOffsetForLeaderEpoch);
}

}  // namespace samsa::kafka
