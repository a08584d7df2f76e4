// Fetch (api key 1), versions 0-15: topics named by name, from v13 by topic
// id (KIP-516; an id no topic has is UNKNOWN_TOPIC_ID for each of its
// partitions). v14 only adds an error samsa never raises (tiered storage),
// v15 moves replica_id into a tagged field. v16+ (leader endpoints on
// NOT_LEADER_OR_FOLLOWER, KIP-951) is not served. One Broker::Impl::Fetch,
// which long-polls up to max_wait_ms for min_bytes on the broker's clock
// (this handler blocks an io thread meanwhile; the server grows its pool for
// that).
//
// - Fetch sessions (v7+, KIP-227) as Apache Kafka's FetchManager.newContext
//   and its fetch contexts (core/src/main/scala/kafka/server/
//   FetchSession.scala) serve them, on the broker's FetchSessionCache
//   (fetch_session_cache.h; max.incremental.fetch.session.cache.slots, 0 =
//   none, as a Kafka broker without slots):
//   * epoch 0 or -1 is a full request: a session_id it names is closed first;
//     every partition is answered. Epoch 0 then asks for a session: its id is
//     the response's session_id if a slot was free or freed, else 0. Epoch -1
//     never creates one (session_id 0).
//   * any other epoch is incremental: session_id X must exist
//     (FETCH_SESSION_ID_NOT_FOUND), expect this epoch
//     (INVALID_FETCH_SESSION_EPOCH) and name topics as this version does
//     (FETCH_SESSION_TOPIC_ID_ERROR); these are top-level errors with
//     session_id 0 and no partitions. The request's partitions join the
//     session or update it, forgotten_topics_data leave it; every partition
//     of the session is fetched (and long-polled on), and only those with
//     records, an error, or a high watermark / last stable offset / log start
//     offset changed since last sent are answered, with session_id X. A
//     request that leaves the session empty closes it and is served
//     sessionless. A duplicate served meanwhile makes the later answer
//     INVALID_FETCH_SESSION_EPOCH.
//   * v13+ sessions key partitions by topic id. A partition whose topic was
//     deleted answers UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID while the
//     id never resolved), one recreated under the same name
//     INCONSISTENT_TOPIC_ID, as Kafka's KafkaApis and ReplicaManager do.
//   * every session is a consumer's: replica_id is not acted on, so
//     followers' sessions are not "privileged" as Kafka's are.
// - isolation_level 0 reads up to the high watermark, anything else
//   (read_committed) up to the last stable offset; read_committed answers
//   carry an empty aborted_transactions list (samsa has no transactions),
//   read_uncommitted ones null, as Kafka sends.
// - current_leader_epoch (v9+) is checked as Kafka does (FENCED_LEADER_EPOCH,
//   UNKNOWN_LEADER_EPOCH). Any partition error answers at once.
// - A failed partition has high watermark, last stable offset and log start
//   -1 and empty records, as Kafka's error partitions do.
// - A fetch from a replica (replica_id >= 0; v15+ replica_state.replica_id),
//   as Partition.fetchRecords treats one: a replica_id that is not one of
//   the partition's other replicas gets UNKNOWN_LEADER_EPOCH when the
//   request carries a current_leader_epoch, else NOT_LEADER_OR_FOLLOWER
//   (after the epoch check); an assigned follower reads up to the log end
//   offset rather than the high watermark. samsa's own replicas fetch
//   in-process; this is what a wire client claiming to be one gets.
// - v0-3 are old clients' (Kafka 0.8-0.10 formats): the stored v2 batches
//   are converted down to magic 0 (v0-1) or 1 (v2-3) as Kafka's KafkaApis
//   does (record/legacy_records.h: RecordsUtil.downConvert, at least the
//   first batch whole, then cut to the size read); a topic with
//   message.downconversion.enable=false answers UNSUPPORTED_VERSION, and a
//   zstd batch (only below v10 anyway) UNSUPPORTED_COMPRESSION_TYPE.
// Known cost: each partition's records are copied from the log's shared
// buffer into the response struct, then again into the frame (removing the
// first copy measured no gain: it copies cache-hot bytes; a scatter send of
// the log's own buffers would remove both). v13+ ids map to names through
// the broker's cached index (Broker::Impl::TopicIds).
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kafka/messages/fetch.h"
#include "kafka/server/fetch_session_cache.h"
#include "kafka/server/handlers/data_handlers.h"
#include "record/legacy_records.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace fetch_handler {

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

// The broker's topics by id and by name (v13+), from its metadata now
// (Broker::Impl::TopicIds: rebuilt only when topics were created or deleted).
struct TopicIds {
  std::shared_ptr<const Broker::Impl::TopicIdIndex> index;

  // "" for an id no topic has.
  std::string NameOf(const Uuid& id) const {
    if (index == nullptr || id.IsZero()) return std::string();
    auto it = index->names_by_id.find(UuidToTopicId(id));
    return it == index->names_by_id.end() ? std::string() : it->second;
  }
  // The topic's id; nullopt if no such topic.
  std::optional<Uuid> IdOf(const std::string& name) const {
    if (index == nullptr) return std::nullopt;
    auto it = index->ids_by_name.find(name);
    if (it == index->ids_by_name.end()) return std::nullopt;
    return TopicIdToUuid(it->second);
  }
};

TopicIds LoadTopicIds(Broker::Impl* broker) { return TopicIds{broker->TopicIds()}; }

// The request's partitions as session entries, in request order. By id
// (v13+), `topic` is the name the id has now ("" if none).
std::vector<FetchSessionPartition> RequestedPartitions(const FetchRequest& request, bool by_id,
                                                       const TopicIds& ids) {
  std::vector<FetchSessionPartition> out;
  for (const FetchRequest::FetchTopic& topic : request.topics) {
    const std::string name = by_id ? ids.NameOf(topic.topic_id) : topic.topic;
    for (const FetchRequest::FetchPartition& p : topic.partitions) {
      FetchSessionPartition e;
      if (by_id) e.topic_id = topic.topic_id;
      e.topic = name;
      e.partition = p.partition;
      e.fetch_offset = p.fetch_offset;
      e.max_bytes = p.partition_max_bytes;
      e.fetcher_log_start_offset = p.log_start_offset;
      e.current_leader_epoch = p.current_leader_epoch;
      e.last_fetched_epoch = p.last_fetched_epoch;
      out.push_back(std::move(e));
    }
  }
  return out;
}

std::vector<FetchSessionPartition> ForgottenPartitions(const FetchRequest& request, bool by_id) {
  std::vector<FetchSessionPartition> out;
  for (const FetchRequest::ForgottenTopic& topic : request.forgotten_topics_data) {
    for (int32_t partition : topic.partitions) {
      FetchSessionPartition e;
      if (by_id) {
        e.topic_id = topic.topic_id;
      } else {
        e.topic = topic.topic;
      }
      e.partition = partition;
      out.push_back(std::move(e));
    }
  }
  return out;
}

// Why a v13+ partition cannot be read by the name its id gave, if so:
// KafkaApis answers UNKNOWN_TOPIC_ID for an id that never resolved and
// UNKNOWN_TOPIC_OR_PARTITION for a topic gone from the metadata;
// ReplicaManager answers INCONSISTENT_TOPIC_ID when the name now has another
// id (deleted and created again).
ErrorCode TopicIdError(const FetchSessionPartition& p, const TopicIds& ids) {
  if (p.topic.empty()) return ErrorCode::kUnknownTopicId;
  const std::optional<Uuid> id = ids.IdOf(p.topic);
  if (!id.has_value()) return ErrorCode::kUnknownTopicOrPartition;
  if (!(*id == p.topic_id)) return ErrorCode::kInconsistentTopicId;
  return ErrorCode::kNone;
}

// Partition.followerReplicaOrThrow: a follower's fetch must come from one of
// the partition's replicas other than this broker.
ErrorCode FollowerError(Broker::Impl* broker, const TopicPartition& tp, int32_t replica_id,
                        int32_t current_leader_epoch) {
  std::shared_ptr<Partition> partition = broker->GetPartition(tp);
  if (partition == nullptr) return ErrorCode::kNone;  // the fetch reports it
  const std::vector<int32_t> replicas = partition->Describe().replicas;
  if (replica_id != broker->broker_id() &&
      std::find(replicas.begin(), replicas.end(), replica_id) != replicas.end()) {
    return ErrorCode::kNone;
  }
  return current_leader_epoch >= 0 ? ErrorCode::kUnknownLeaderEpoch : ErrorCode::kNotLeaderOrFollower;
}

// The topic config KafkaApis.maybeConvertFetchedData looks at for a client
// older than the log's format (below v10): nullopt without the partition.
std::optional<LogConfig> OldClientLogConfig(Broker::Impl* broker, const TopicPartition& tp) {
  const std::shared_ptr<Partition> partition = broker->GetPartition(tp);
  if (partition == nullptr || partition->log() == nullptr) return std::nullopt;
  return partition->log()->config();
}

// The stored batches of `part` as a message set of `magic` (0 or 1), or
// UNSUPPORTED_VERSION when the topic forbids down-conversion.
absl::StatusOr<std::string> DownConvert(const std::optional<LogConfig>& config,
                                        const Broker::Impl::FetchPartitionRequest& part,
                                        std::string_view batches, int8_t magic) {
  if (config && !config->message_downconversion_enable) {
    return KafkaError(ErrorCode::kUnsupportedVersion,
                      fmt::format("Conversion to message format {} is disabled for partition {}",
                                  magic, part.tp.ToString()));
  }
  return record::DownConvertToLegacy(batches, magic, part.fetch_offset, batches.size());
}

Response HandleFetch(const RequestContext& ctx, FetchRequest& request) {
  Broker::Impl* broker = ctx.server->broker();
  FetchSessionCache* sessions = ctx.server->fetch_sessions();
  const int16_t version = ctx.api_version();
  const bool by_id = version >= 13;
  const bool read_committed = request.isolation_level != 0;
  Response response;
  response.session_id = 0;

  TopicIds ids;
  if (by_id) ids = LoadTopicIds(broker);

  // FetchManager.newContext: which partitions to fetch, and how to answer.
  enum class Mode { kSessionless, kFull, kIncremental };
  Mode mode = Mode::kSessionless;
  std::vector<FetchSessionPartition> partitions = RequestedPartitions(request, by_id, ids);
  FetchSessionCache::IncrementalFetch incremental;
  if (request.session_epoch == kInitialEpoch || request.session_epoch == kFinalEpoch) {
    if (request.session_id != 0) sessions->Remove(request.session_id);
    mode = request.session_epoch == kFinalEpoch ? Mode::kSessionless : Mode::kFull;
  } else {
    absl::StatusOr<FetchSessionCache::IncrementalFetch> begun = sessions->BeginIncremental(
        request.session_id, request.session_epoch, by_id, partitions, ForgottenPartitions(request, by_id),
        [&ids](const Uuid& id) { return ids.NameOf(id); });
    if (!begun.ok()) {
      response.error_code = static_cast<int16_t>(ErrorCodeOf(begun.status()));
      return response;
    }
    incremental = *std::move(begun);
    if (incremental.closed) {
      mode = Mode::kSessionless;
    } else {
      mode = Mode::kIncremental;
      partitions = incremental.partitions;
    }
  }

  Broker::Impl::FetchRequest fetch;
  fetch.max_wait = absl::Milliseconds(std::max(request.max_wait_ms, 0));
  fetch.min_bytes = request.min_bytes;
  fetch.max_bytes = request.max_bytes;
  fetch.isolation = read_committed ? FetchIsolation::kTxnCommitted : FetchIsolation::kHighWatermark;
  const int32_t replica_id = version >= 15 ? request.replica_state.replica_id : request.replica_id;
  const bool from_follower = replica_id >= 0;
  if (from_follower) fetch.isolation = FetchIsolation::kLogEnd;  // FetchIsolation.of: followers read to the LEO

  // Where each partition's answer comes from: an index into the broker's
  // responses, or -1 with the error found here.
  struct Slot {
    int index = -1;
    ErrorCode error = ErrorCode::kNone;
  };
  std::vector<Slot> slots(partitions.size());
  bool early_error = false;
  for (size_t i = 0; i < partitions.size(); ++i) {
    const FetchSessionPartition& p = partitions[i];
    const TopicPartition tp{p.topic, p.partition};
    Slot& slot = slots[i];
    slot.error = by_id ? TopicIdError(p, ids) : ErrorCode::kNone;
    if (slot.error == ErrorCode::kNone) {
      slot.error = CheckCurrentLeaderEpoch(broker, tp, p.current_leader_epoch);
    }
    if (slot.error == ErrorCode::kNone && from_follower) {
      slot.error = FollowerError(broker, tp, replica_id, p.current_leader_epoch);
    }
    if (slot.error != ErrorCode::kNone) {
      early_error = true;
    } else {
      slot.index = static_cast<int>(fetch.partitions.size());
      fetch.partitions.push_back({tp, p.fetch_offset, std::max(p.max_bytes, 0)});
    }
  }
  // Kafka answers at once when nothing is fetched or a partition failed.
  if (early_error || fetch.partitions.empty()) fetch.max_wait = absl::ZeroDuration();

  std::vector<Broker::Impl::FetchPartitionResponse> results = broker->Fetch(fetch);

  std::vector<Response::PartitionData> answers;
  answers.reserve(partitions.size());
  for (size_t i = 0; i < partitions.size(); ++i) {
    const int32_t index = partitions[i].partition;
    const Slot& slot = slots[i];
    if (slot.index < 0) {
      answers.push_back(ErrorPartition(index, slot.error));
      continue;
    }
    const Broker::Impl::FetchPartitionResponse& r = results[slot.index];
    const Broker::Impl::FetchPartitionRequest& part = fetch.partitions[slot.index];
    std::optional<LogConfig> config;
    if (version < 10) config = OldClientLogConfig(broker, part.tp);
    // KafkaApis.maybeConvertFetchedData: a Fetch older than v10 cannot carry
    // zstd (KIP-110), so a topic whose compression.type is zstd answers it
    // with UNSUPPORTED_COMPRESSION_TYPE.
    if (config && config->compression_type == "zstd") {
      answers.push_back(ErrorPartition(index, ErrorCode::kUnsupportedCompressionType));
      continue;
    }
    if (!r.status.ok()) {
      answers.push_back(ErrorPartition(index, ErrorCodeOf(r.status)));
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
    if (version < 4) {
      // KafkaApis: down-conversion for a client below the log's format.
      absl::StatusOr<std::string> converted =
          DownConvert(config, part, r.records.view(), version <= 1 ? 0 : 1);
      if (!converted.ok()) {
        answers.push_back(ErrorPartition(index, ErrorCodeOf(converted.status())));
        continue;
      }
      p.records = *std::move(converted);
    } else {
      p.records = std::string(r.records.view());  // the copy noted above
    }
    answers.push_back(std::move(p));
  }

  // The fetch context's updateAndGenerateResponseData.
  std::vector<bool> include(partitions.size(), true);
  switch (mode) {
    case Mode::kSessionless:
      break;
    case Mode::kFull:
      if (sessions->max_slots() > 0) {
        std::vector<FetchSessionPartition> cached = partitions;
        for (size_t i = 0; i < cached.size(); ++i) {
          cached[i].high_watermark = answers[i].high_watermark;
          cached[i].last_stable_offset = answers[i].last_stable_offset;
          cached[i].log_start_offset = answers[i].log_start_offset;
        }
        response.session_id = sessions->MaybeCreate(by_id, std::move(cached));
      }
      break;
    case Mode::kIncremental: {
      std::vector<FetchPartitionOutcome> outcomes(answers.size());
      for (size_t i = 0; i < answers.size(); ++i) {
        outcomes[i].has_records = answers[i].records.has_value() && !answers[i].records->empty();
        outcomes[i].has_error = answers[i].error_code != 0;
        outcomes[i].high_watermark = answers[i].high_watermark;
        outcomes[i].last_stable_offset = answers[i].last_stable_offset;
        outcomes[i].log_start_offset = answers[i].log_start_offset;
      }
      response.session_id = incremental.session_id;
      absl::StatusOr<std::vector<bool>> finished = sessions->FinishIncremental(incremental, outcomes);
      if (!finished.ok()) {
        response.error_code = static_cast<int16_t>(ErrorCodeOf(finished.status()));
        return response;
      }
      include = *std::move(finished);
      break;
    }
  }

  // Consecutive partitions of one topic share a topic entry, as Kafka's
  // FetchResponse.toMessage groups its partition map.
  std::string last_topic_key;
  for (size_t i = 0; i < partitions.size(); ++i) {
    if (!include[i]) continue;
    const FetchSessionPartition& p = partitions[i];
    std::string key = by_id ? UuidKey(p.topic_id) : p.topic;
    if (response.responses.empty() || key != last_topic_key) {
      Response::FetchableTopicResponse out;
      if (by_id) {
        out.topic_id = p.topic_id;  // v13+
      } else {
        out.topic = p.topic;  // v0-12
      }
      response.responses.push_back(std::move(out));
      last_topic_key = std::move(key);
    }
    response.responses.back().partitions.push_back(std::move(answers[i]));
  }
  return response;
}

}  // namespace fetch_handler
}  // namespace

ApiHandler FetchHandler() {
  using namespace fetch_handler;
  return TypedHandler<FetchRequest, FetchResponse>(0, 15, HandleFetch);
}

}  // namespace samsa::kafka
