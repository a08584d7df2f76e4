// Fetch (api key 1), versions 4-15: topics named by name, from v13 by topic
// id (KIP-516; an id no topic has is UNKNOWN_TOPIC_ID for each of its
// partitions). v14 only adds an error samsa never raises (tiered storage),
// v15 moves replica_id into a tagged field. v16+ (leader endpoints on
// NOT_LEADER_OR_FOLLOWER, KIP-951) is not served. One Broker::Impl::Fetch,
// which long-polls up to
// max_wait_ms for min_bytes on the broker's clock (this handler blocks an
// io thread meanwhile; the server grows its pool for that).
//
// - Fetch sessions (v7+, KIP-227) are not kept, as a Kafka broker with no
//   session cache slots does: a full request (epoch 0 or -1) is answered in
//   full with session_id 0 ("no session"), so clients keep sending full
//   requests; an incremental one (epoch > 0) is FETCH_SESSION_ID_NOT_FOUND.
// - isolation_level 0 reads up to the high watermark, anything else
//   (read_committed) up to the last stable offset; read_committed answers
//   carry an empty aborted_transactions list (samsa has no transactions),
//   read_uncommitted ones null, as Kafka sends.
// - current_leader_epoch (v9+) is checked as Kafka does (FENCED_LEADER_EPOCH,
//   UNKNOWN_LEADER_EPOCH). Any partition error answers at once.
// - A failed partition has high watermark, last stable offset and log start
//   -1 and empty records, as Kafka's error partitions do.
// - replica_id is not acted on: a fetch from a follower over the wire is
//   served like a consumer's (samsa's replicas fetch in-process).
// Known costs: each partition's records are copied from the log's shared
// buffer into the response struct, then again into the frame; a v13+
// request maps ids to names from the broker's whole metadata, per request.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kafka/messages/fetch.h"
#include "kafka/server/handlers/data_handlers.h"

namespace samsa::kafka {
namespace {

using Response = FetchResponse;

constexpr int32_t kInitialEpoch = 0;
constexpr int32_t kFinalEpoch = -1;

Response::PartitionData ErrorPartition(int32_t index, ErrorCode error) {
  Response::PartitionData p;
  p.partition_index = index;
  p.error_code = static_cast<int16_t>(error);
  p.high_watermark = -1;
  p.last_stable_offset = -1;
  p.log_start_offset = -1;
  p.aborted_transactions = std::nullopt;
  p.records = std::string();
  return p;
}

std::string UuidKey(const Uuid& id) {
  return std::string(reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size());
}

Response HandleFetch(const RequestContext& ctx, FetchRequest& request) {
  Broker::Impl* broker = ctx.server->broker();
  const int16_t version = ctx.api_version();
  Response response;
  response.session_id = 0;
  if (request.session_epoch != kInitialEpoch && request.session_epoch != kFinalEpoch) {
    response.error_code = static_cast<int16_t>(ErrorCode::kFetchSessionIdNotFound);
    return response;
  }
  const bool read_committed = request.isolation_level != 0;

  Broker::Impl::FetchRequest fetch;
  fetch.max_wait = absl::Milliseconds(std::max(request.max_wait_ms, 0));
  fetch.min_bytes = request.min_bytes;
  fetch.max_bytes = request.max_bytes;
  fetch.isolation = read_committed ? FetchIsolation::kTxnCommitted : FetchIsolation::kHighWatermark;

  // Where each request partition's answer comes from: an index into the
  // broker's responses, or -1 with the error found here.
  struct Slot {
    int index = -1;
    ErrorCode error = ErrorCode::kNone;
  };
  std::vector<std::vector<Slot>> slots(request.topics.size());
  bool early_error = false;
  std::map<std::string, std::string> names_by_id;  // raw id bytes -> name (v13+)
  if (version >= 13) {
    for (const Broker::Impl::TopicMetadata& t :
         broker->Metadata(std::nullopt, /*allow_auto_create=*/false)) {
      const Uuid id = TopicIdToUuid(t.topic_id);
      if (!id.IsZero()) names_by_id[UuidKey(id)] = t.name;
    }
  }
  for (size_t t = 0; t < request.topics.size(); ++t) {
    const FetchRequest::FetchTopic& topic = request.topics[t];
    std::string name = topic.topic;
    bool unknown_id = false;
    if (version >= 13) {
      auto it = names_by_id.find(UuidKey(topic.topic_id));
      unknown_id = it == names_by_id.end();
      if (!unknown_id) name = it->second;
    }
    for (const FetchRequest::FetchPartition& p : topic.partitions) {
      const TopicPartition tp{name, p.partition};
      Slot slot;
      slot.error = unknown_id ? ErrorCode::kUnknownTopicId
                              : CheckCurrentLeaderEpoch(broker, tp, p.current_leader_epoch);
      if (slot.error != ErrorCode::kNone) {
        early_error = true;
      } else {
        slot.index = static_cast<int>(fetch.partitions.size());
        fetch.partitions.push_back({tp, p.fetch_offset, std::max(p.partition_max_bytes, 0)});
      }
      slots[t].push_back(slot);
    }
  }
  // Kafka answers at once when nothing is fetched or a partition failed.
  if (early_error || fetch.partitions.empty()) fetch.max_wait = absl::ZeroDuration();

  std::vector<Broker::Impl::FetchPartitionResponse> results = broker->Fetch(fetch);

  for (size_t t = 0; t < request.topics.size(); ++t) {
    const FetchRequest::FetchTopic& topic = request.topics[t];
    Response::FetchableTopicResponse out;
    out.topic = topic.topic;        // v0-12
    out.topic_id = topic.topic_id;  // v13+
    for (size_t i = 0; i < topic.partitions.size(); ++i) {
      const int32_t index = topic.partitions[i].partition;
      const Slot& slot = slots[t][i];
      if (slot.index < 0) {
        out.partitions.push_back(ErrorPartition(index, slot.error));
        continue;
      }
      const Broker::Impl::FetchPartitionResponse& r = results[slot.index];
      if (!r.status.ok()) {
        out.partitions.push_back(ErrorPartition(index, ErrorCodeOf(r.status)));
        continue;
      }
      Response::PartitionData p;
      p.partition_index = index;
      p.error_code = 0;
      p.high_watermark = r.high_watermark;
      p.last_stable_offset = r.last_stable_offset;
      p.log_start_offset = r.log_start_offset;
      if (read_committed) {
        p.aborted_transactions = std::vector<Response::AbortedTransaction>{};
      } else {
        p.aborted_transactions = std::nullopt;
      }
      p.preferred_read_replica = -1;
      p.records = std::string(r.records.view());  // the copy noted above
      out.partitions.push_back(std::move(p));
    }
    response.responses.push_back(std::move(out));
  }
  return response;
}

}  // namespace

ApiHandler FetchHandler() { return TypedHandler<FetchRequest, FetchResponse>(4, 15, HandleFetch); }

}  // namespace samsa::kafka
