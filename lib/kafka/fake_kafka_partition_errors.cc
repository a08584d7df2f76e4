#include "kafka/fake_kafka_partition_errors.h"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "kafka/messages/messages.h"
#include "kafka/protocol/request_envelope.h"
#include "kafka/server/handler.h"

namespace samsa::kafka {
namespace {

// --- How the generated structs name topics and partitions -------------------
// One spelling for every partition-keyed API, request and response, so that
// splitting and merging are written once.

// A topic's partition list.
template <typename Topic>
auto& PartitionsOf(Topic& t) {
  if constexpr (requires { t.partition_data; }) {
    return t.partition_data;  // ProduceRequest
  } else if constexpr (requires { t.partition_responses; }) {
    return t.partition_responses;  // ProduceResponse
  } else if constexpr (requires { t.partition_indexes; }) {
    return t.partition_indexes;  // OffsetFetchRequest: bare indexes
  } else {
    return t.partitions;
  }
}

// A partition's index.
template <typename Partition>
int32_t IndexOf(const Partition& p) {
  if constexpr (std::is_same_v<Partition, int32_t>) {
    return p;  // OffsetFetchRequest
  } else if constexpr (requires { p.partition_index; }) {
    return p.partition_index;
  } else if constexpr (requires { p.partition; }) {
    return p.partition;  // FetchRequest
  } else {
    return p.index;  // Produce
  }
}

// A topic as the request names it (what ScopedPartition is given): its name,
// or "id:<topic id>" for Fetch v13+.
template <typename Topic>
std::string KeyOf(const Topic& t, int16_t version) {
  if constexpr (requires { t.topic_id; }) {
    return version >= 13 ? "id:" + UuidToTopicId(t.topic_id) : t.topic;  // Fetch
  } else {
    return t.name;
  }
}

// The response topic answering request topic `t`, with no partitions yet.
template <typename ResponseTopic, typename RequestTopic>
ResponseTopic AnswerTopic(const RequestTopic& t) {
  ResponseTopic out;
  if constexpr (requires { t.topic_id; }) {
    out.topic = t.topic;
    out.topic_id = t.topic_id;
  } else {
    out.name = t.name;
  }
  return out;
}

// A partition answering `code`, with the fields Kafka sets in an error
// partition of that API.
template <typename Partition>
Partition ErrorPartition(int32_t index, int16_t code) {
  Partition p;
  p.error_code = code;
  if constexpr (std::is_same_v<Partition, ProduceResponse::PartitionProduceResponse>) {
    p.index = index;
    p.base_offset = -1;
    p.log_append_time_ms = -1;
    p.log_start_offset = -1;
  } else if constexpr (std::is_same_v<Partition, FetchResponse::PartitionData>) {
    p.partition_index = index;
    p.high_watermark = -1;
    p.last_stable_offset = -1;
    p.log_start_offset = -1;
    p.aborted_transactions = std::nullopt;
    p.records = std::string();
  } else if constexpr (std::is_same_v<Partition,
                                      ListOffsetsResponse::ListOffsetsPartitionResponse>) {
    p.partition_index = index;
    p.timestamp = -1;
    p.offset = -1;
    p.leader_epoch = -1;
  } else if constexpr (std::is_same_v<Partition,
                                      OffsetCommitResponse::OffsetCommitResponsePartition>) {
    p.partition_index = index;
  } else {
    static_assert(std::is_same_v<Partition, OffsetFetchResponse::OffsetFetchResponsePartition> ||
                  std::is_same_v<Partition, OffsetFetchResponse::OffsetFetchResponsePartitions>);
    p.partition_index = index;
    p.committed_offset = -1;
    p.committed_leader_epoch = -1;
    p.metadata = "";
  }
  return p;
}

// --- Split and merge ------------------------------------------------------------

template <typename Topic>
bool AnyScoped(const std::vector<Topic>& topics, int16_t version, const ScopedPartition& scoped) {
  for (const Topic& t : topics) {
    const std::string key = KeyOf(t, version);
    for (const auto& p : PartitionsOf(t)) {
      if (scoped(key, IndexOf(p))) return true;
    }
  }
  return false;
}

// Removes the scoped partitions from `topics`, and the topics this leaves
// with none.
template <typename Topic>
void DropScoped(std::vector<Topic>* topics, int16_t version, const ScopedPartition& scoped) {
  std::vector<Topic> kept;
  for (Topic& t : *topics) {
    const std::string key = KeyOf(t, version);
    auto& partitions = PartitionsOf(t);
    const size_t erased =
        std::erase_if(partitions, [&](const auto& p) { return scoped(key, IndexOf(p)); });
    if (erased > 0 && partitions.empty()) continue;
    kept.push_back(std::move(t));
  }
  *topics = std::move(kept);
}

// The answer's topics in `requested`'s order: a scoped partition's entry
// carries `code`; any other is the handler's entry for it from `served`
// (left out when the handler gave none); a topic left with no entry is left
// out.
template <typename ResponseTopic, typename RequestTopic>
std::vector<ResponseTopic> MergeTopics(const std::vector<RequestTopic>& requested,
                                       std::vector<ResponseTopic> served, int16_t version,
                                       int16_t code, const ScopedPartition& scoped) {
  using Partition = typename std::remove_reference_t<decltype(PartitionsOf(
      std::declval<ResponseTopic&>()))>::value_type;
  // A deque per partition: a partition named twice is answered twice.
  std::map<std::pair<std::string, int32_t>, std::deque<Partition>> answered;
  for (ResponseTopic& t : served) {
    const std::string key = KeyOf(t, version);
    for (Partition& p : PartitionsOf(t)) answered[{key, IndexOf(p)}].push_back(std::move(p));
  }
  std::vector<ResponseTopic> out;
  for (const RequestTopic& t : requested) {
    const std::string key = KeyOf(t, version);
    ResponseTopic topic = AnswerTopic<ResponseTopic>(t);
    for (const auto& p : PartitionsOf(t)) {
      const int32_t index = IndexOf(p);
      if (scoped(key, index)) {
        PartitionsOf(topic).push_back(ErrorPartition<Partition>(index, code));
        continue;
      }
      auto it = answered.find({key, index});
      if (it == answered.end() || it->second.empty()) continue;
      PartitionsOf(topic).push_back(std::move(it->second.front()));
      it->second.pop_front();
    }
    if (!PartitionsOf(topic).empty()) out.push_back(std::move(topic));
  }
  return out;
}

// For a request that names no partition (OffsetFetch with topics null):
// the scoped partitions among those the handler answered get `code`, in
// place.
template <typename ResponseTopic>
void FailScopedAnswers(std::vector<ResponseTopic>* topics, int16_t version, int16_t code,
                       const ScopedPartition& scoped) {
  using Partition = typename std::remove_reference_t<decltype(PartitionsOf(
      std::declval<ResponseTopic&>()))>::value_type;
  for (ResponseTopic& t : *topics) {
    const std::string key = KeyOf(t, version);
    for (Partition& p : PartitionsOf(t)) {
      if (scoped(key, IndexOf(p))) p = ErrorPartition<Partition>(IndexOf(p), code);
    }
  }
}

template <typename Response>
bool DecodeResponseFrame(const RequestHeader& header, const std::string& frame, Response* out) {
  const ApiInfo* api = FindApi(header.request_api_key);
  if (api == nullptr || frame.size() < 4) return false;
  Reader reader(frame.data() + 4, frame.size() - 4);  // after the size prefix
  ResponseHeader response_header;
  if (!response_header.Read(reader, ResponseHeaderVersion(*api, header.request_api_version)).ok()) {
    return false;
  }
  return out->Read(reader, header.request_api_version).ok() && reader.empty();
}

// A plan serving `rest` (nothing when `rest_empty`) and answering with
// merge(handler's response, or a default one when nothing was served).
template <typename Response, typename Request, typename Merge>
PartitionErrorPlan MakePlan(const RequestHeader& header, const Request& rest, bool rest_empty,
                            Merge merge) {
  PartitionErrorPlan plan;
  if (!rest_empty) {
    Writer writer;
    rest.Write(writer, header.request_api_version);
    plan.rest_body = writer.Release();
  }
  plan.merge = [header, merge = std::move(merge)](std::optional<std::string> frame) {
    Response response;
    if (frame.has_value() && !DecodeResponseFrame(header, *frame, &response))
      return *std::move(frame);
    merge(response);
    Writer writer;
    (void)WriteResponseFrame(header.correlation_id, header.request_api_version, response, writer);
    return writer.Release();
  };
  return plan;
}

// The five APIs: each decodes, checks that a partition is scoped, builds the
// rest, and merges into the top-level list it answers with. The request kept
// for merging is shared by the plan's copies.

std::optional<PartitionErrorPlan> PlanProduce(const RequestHeader& header,
                                              absl::Span<const uint8_t> body, int16_t code,
                                              ScopedPartition scoped) {
  const int16_t version = header.request_api_version;
  ProduceRequest rest;
  if (!DecodeBody(body, version, &rest).ok() || rest.acks == 0) return std::nullopt;
  if (!AnyScoped(rest.topic_data, version, scoped)) return std::nullopt;
  // Only the shape is kept for merging: the records go to the handler.
  auto requested = std::make_shared<std::vector<ProduceRequest::TopicProduceData>>(rest.topic_data);
  for (auto& t : *requested) {
    for (auto& p : t.partition_data) p.records.reset();
  }
  DropScoped(&rest.topic_data, version, scoped);
  return MakePlan<ProduceResponse>(header, rest, rest.topic_data.empty(), [=](ProduceResponse& r) {
    r.responses = MergeTopics(*requested, std::move(r.responses), version, code, scoped);
  });
}

std::optional<PartitionErrorPlan> PlanFetch(const RequestHeader& header,
                                            absl::Span<const uint8_t> body, int16_t code,
                                            ScopedPartition scoped) {
  const int16_t version = header.request_api_version;
  FetchRequest rest;
  if (!DecodeBody(body, version, &rest).ok()) return std::nullopt;
  if (!AnyScoped(rest.topics, version, scoped)) return std::nullopt;
  auto requested = std::make_shared<std::vector<FetchRequest::FetchTopic>>(rest.topics);
  DropScoped(&rest.topics, version, scoped);
  rest.max_wait_ms = 0;  // a failed partition: Kafka answers at once
  return MakePlan<FetchResponse>(header, rest, rest.topics.empty(), [=](FetchResponse& r) {
    if (r.error_code != 0) return;  // the whole request failed
    r.responses = MergeTopics(*requested, std::move(r.responses), version, code, scoped);
  });
}

std::optional<PartitionErrorPlan> PlanListOffsets(const RequestHeader& header,
                                                  absl::Span<const uint8_t> body, int16_t code,
                                                  ScopedPartition scoped) {
  const int16_t version = header.request_api_version;
  ListOffsetsRequest rest;
  if (!DecodeBody(body, version, &rest).ok()) return std::nullopt;
  if (!AnyScoped(rest.topics, version, scoped)) return std::nullopt;
  auto requested = std::make_shared<std::vector<ListOffsetsRequest::ListOffsetsTopic>>(rest.topics);
  DropScoped(&rest.topics, version, scoped);
  return MakePlan<ListOffsetsResponse>(
      header, rest, rest.topics.empty(), [=](ListOffsetsResponse& r) {
        r.topics = MergeTopics(*requested, std::move(r.topics), version, code, scoped);
      });
}

std::optional<PartitionErrorPlan> PlanOffsetCommit(const RequestHeader& header,
                                                   absl::Span<const uint8_t> body, int16_t code,
                                                   ScopedPartition scoped) {
  const int16_t version = header.request_api_version;
  OffsetCommitRequest rest;
  if (!DecodeBody(body, version, &rest).ok()) return std::nullopt;
  if (!AnyScoped(rest.topics, version, scoped)) return std::nullopt;
  auto requested =
      std::make_shared<std::vector<OffsetCommitRequest::OffsetCommitRequestTopic>>(rest.topics);
  DropScoped(&rest.topics, version, scoped);
  return MakePlan<OffsetCommitResponse>(
      header, rest, rest.topics.empty(), [=](OffsetCommitResponse& r) {
        r.topics = MergeTopics(*requested, std::move(r.topics), version, code, scoped);
      });
}

std::optional<PartitionErrorPlan> PlanOffsetFetch(const RequestHeader& header,
                                                  absl::Span<const uint8_t> body, int16_t code,
                                                  ScopedPartition scoped) {
  const int16_t version = header.request_api_version;
  OffsetFetchRequest rest;
  if (!DecodeBody(body, version, &rest).ok()) return std::nullopt;
  if (version < 8) {
    if (!rest.topics.has_value()) {
      // topics null (v2+): every committed partition of the group. The
      // request is served whole and the scoped partitions among the answer's
      // are given the error.
      return MakePlan<OffsetFetchResponse>(header, rest, false, [=](OffsetFetchResponse& r) {
        if (r.error_code == 0) FailScopedAnswers(&r.topics, version, code, scoped);
      });
    }
    if (!AnyScoped(*rest.topics, version, scoped)) return std::nullopt;
    auto requested =
        std::make_shared<std::vector<OffsetFetchRequest::OffsetFetchRequestTopic>>(*rest.topics);
    DropScoped(&*rest.topics, version, scoped);
    return MakePlan<OffsetFetchResponse>(
        header, rest, rest.topics->empty(), [=](OffsetFetchResponse& r) {
          if (r.error_code != 0) return;  // the group failed
          r.topics = MergeTopics(*requested, std::move(r.topics), version, code, scoped);
        });
  }
  // v8+: several groups, each with its topics.
  // A group with topics null (every committed partition) is served whole
  // and the scoped partitions of its answer get the error.
  auto scoped_in = [&](const OffsetFetchRequest::OffsetFetchRequestGroup& g) {
    return g.topics.has_value() && AnyScoped(*g.topics, version, scoped);
  };
  auto all_topics = [](const OffsetFetchRequest::OffsetFetchRequestGroup& g) {
    return !g.topics.has_value();
  };
  if (std::none_of(rest.groups.begin(), rest.groups.end(), scoped_in) &&
      std::none_of(rest.groups.begin(), rest.groups.end(), all_topics)) {
    return std::nullopt;
  }
  auto requested =
      std::make_shared<std::vector<OffsetFetchRequest::OffsetFetchRequestGroup>>(rest.groups);
  std::vector<OffsetFetchRequest::OffsetFetchRequestGroup> kept;
  for (auto& g : rest.groups) {
    if (scoped_in(g)) {
      DropScoped(&*g.topics, version, scoped);
      if (g.topics->empty()) continue;  // nothing of it left to serve
    }
    kept.push_back(std::move(g));
  }
  rest.groups = std::move(kept);
  return MakePlan<OffsetFetchResponse>(
      header, rest, rest.groups.empty(), [=](OffsetFetchResponse& r) {
        std::map<std::string, std::deque<OffsetFetchResponse::OffsetFetchResponseGroup>> served;
        for (auto& g : r.groups) served[g.group_id].push_back(std::move(g));
        std::vector<OffsetFetchResponse::OffsetFetchResponseGroup> out;
        for (const auto& g : *requested) {
          std::deque<OffsetFetchResponse::OffsetFetchResponseGroup>& answers = served[g.group_id];
          OffsetFetchResponse::OffsetFetchResponseGroup group;
          group.group_id = g.group_id;
          if (!answers.empty()) {
            group = std::move(answers.front());
            answers.pop_front();
          }
          if (g.topics.has_value() && group.error_code == 0 &&
              AnyScoped(*g.topics, version, scoped)) {
            group.topics = MergeTopics(*g.topics, std::move(group.topics), version, code, scoped);
          } else if (!g.topics.has_value() && group.error_code == 0) {
            FailScopedAnswers(&group.topics, version, code, scoped);
          }
          out.push_back(std::move(group));
        }
        r.groups = std::move(out);
      });
}

// Metadata has no partition to split on: the request is served whole (a
// null list, or an empty one at v0, means every topic), then each topic the
// scope covers whole gets the code at topic level with no partitions, as
// Kafka lists a topic it cannot describe. The handler already lists every
// topic the request names, so the order is the request's.
std::optional<PartitionErrorPlan> PlanMetadata(const RequestHeader& header,
                                               absl::Span<const uint8_t> body, int16_t code,
                                               ScopedPartition scoped) {
  MetadataRequest request;
  if (!DecodeBody(body, header.request_api_version, &request).ok()) return std::nullopt;
  return MakePlan<MetadataResponse>(header, request, /*rest_empty=*/false, [=](MetadataResponse& r) {
    for (MetadataResponse::MetadataResponseTopic& t : r.topics) {
      if (!t.name.has_value() || !scoped(*t.name, -1)) continue;
      t.error_code = code;
      t.partitions.clear();
    }
  });
}

}  // namespace

bool HasPartitionErrorResponder(int16_t api_key) {
  switch (static_cast<ApiKey>(api_key)) {
    case ApiKey::kProduce:
    case ApiKey::kFetch:
    case ApiKey::kListOffsets:
    case ApiKey::kOffsetCommit:
    case ApiKey::kOffsetFetch:
    case ApiKey::kMetadata:
      return true;
    default:
      return false;
  }
}

std::optional<PartitionErrorPlan> PlanPartitionError(const RequestHeader& header,
                                                     absl::Span<const uint8_t> body,
                                                     int16_t error_code, ScopedPartition scoped) {
  switch (static_cast<ApiKey>(header.request_api_key)) {
    case ApiKey::kProduce:
      return PlanProduce(header, body, error_code, std::move(scoped));
    case ApiKey::kFetch:
      return PlanFetch(header, body, error_code, std::move(scoped));
    case ApiKey::kListOffsets:
      return PlanListOffsets(header, body, error_code, std::move(scoped));
    case ApiKey::kOffsetCommit:
      return PlanOffsetCommit(header, body, error_code, std::move(scoped));
    case ApiKey::kOffsetFetch:
      return PlanOffsetFetch(header, body, error_code, std::move(scoped));
    case ApiKey::kMetadata:
      return PlanMetadata(header, body, error_code, std::move(scoped));
    default:
      return std::nullopt;
  }
}

}  // namespace samsa::kafka
