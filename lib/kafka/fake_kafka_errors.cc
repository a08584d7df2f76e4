#include "kafka/fake_kafka_errors.h"

#include "kafka/messages/messages.h"
#include "kafka/protocol/frame.h"
#include "kafka/protocol/request_envelope.h"
#include "kafka/server/handler.h"

namespace samsa::kafka {
namespace {

template <typename Request>
absl::Status Decode(const RequestHeader& header, absl::Span<const uint8_t> body, Request* out) {
  return DecodeBody(body, header.request_api_version, out);
}

template <typename Response>
std::string Frame(const RequestHeader& header, const Response& response) {
  Writer writer;
  (void)WriteResponseFrame(header.correlation_id, header.request_api_version, response, writer);
  return writer.Release();
}

}  // namespace

std::optional<ErrorAnswer> AnswerWithError(const RequestHeader& header, absl::Span<const uint8_t> body,
                                           int16_t code, const MetadataFacts* facts) {
  ErrorAnswer out;
  switch (static_cast<ApiKey>(header.request_api_key)) {
    case ApiKey::kMetadata: {
      MetadataRequest request;
      if (facts == nullptr || !Decode(header, body, &request).ok()) return std::nullopt;
      MetadataResponse response;
      for (const MetadataFacts::Broker& b : facts->brokers) {
        auto& rb = response.brokers.emplace_back();
        rb.node_id = b.node_id;
        rb.host = b.host;
        rb.port = b.port;
      }
      response.cluster_id = facts->cluster_id;
      response.controller_id = facts->controller_id;
      auto add_topic = [&](const std::string& name, const Uuid& topic_id) {
        auto& rt = response.topics.emplace_back();
        rt.error_code = code;
        rt.name = name;
        rt.topic_id = topic_id;
        out.partitions.emplace_back(name.empty() ? "id:" + UuidToTopicId(topic_id) : name, -1);
      };
      if (!request.topics.has_value()) {
        for (const std::string& name : facts->all_topics) add_topic(name, Uuid{});
      } else {
        for (const auto& t : *request.topics) add_topic(t.name.value_or(""), t.topic_id);
      }
      if (out.partitions.empty()) return std::nullopt;
      out.frame = Frame(header, response);
      return out;
    }
    case ApiKey::kProduce: {
      ProduceRequest request;
      if (!Decode(header, body, &request).ok() || request.acks == 0) return std::nullopt;  // acks=0: no answer
      ProduceResponse response;
      for (const auto& t : request.topic_data) {
        auto& rt = response.responses.emplace_back();
        rt.name = t.name;
        for (const auto& p : t.partition_data) {
          out.partitions.emplace_back(t.name, p.index);
          auto& rp = rt.partition_responses.emplace_back();
          rp.index = p.index;
          rp.error_code = code;
          rp.base_offset = -1;
        }
      }
      out.frame = Frame(header, response);
      return out;
    }
    case ApiKey::kFetch: {
      FetchRequest request;
      if (!Decode(header, body, &request).ok()) return std::nullopt;
      FetchResponse response;
      for (const auto& t : request.topics) {
        auto& rt = response.responses.emplace_back();
        rt.topic = t.topic;
        rt.topic_id = t.topic_id;
        // Fetch v13+ names topics by id: "id:<topic id>" for scope matching.
        const std::string name = t.topic.empty() ? "id:" + UuidToTopicId(t.topic_id) : t.topic;
        for (const auto& p : t.partitions) {
          out.partitions.emplace_back(name, p.partition);
          auto& rp = rt.partitions.emplace_back();
          rp.partition_index = p.partition;
          rp.error_code = code;
          rp.high_watermark = -1;
          rp.last_stable_offset = -1;
          rp.log_start_offset = -1;
          rp.records = std::string();
        }
      }
      // An incremental fetch naming no partition: the error goes top-level.
      if (out.partitions.empty()) response.error_code = code;
      out.frame = Frame(header, response);
      return out;
    }
    case ApiKey::kListOffsets: {
      ListOffsetsRequest request;
      if (!Decode(header, body, &request).ok()) return std::nullopt;
      ListOffsetsResponse response;
      for (const auto& t : request.topics) {
        auto& rt = response.topics.emplace_back();
        rt.name = t.name;
        for (const auto& p : t.partitions) {
          out.partitions.emplace_back(t.name, p.partition_index);
          auto& rp = rt.partitions.emplace_back();
          rp.partition_index = p.partition_index;
          rp.error_code = code;
          rp.timestamp = -1;
          rp.offset = -1;
          rp.leader_epoch = -1;
        }
      }
      out.frame = Frame(header, response);
      return out;
    }
    case ApiKey::kOffsetCommit: {
      OffsetCommitRequest request;
      if (!Decode(header, body, &request).ok()) return std::nullopt;
      OffsetCommitResponse response;
      for (const auto& t : request.topics) {
        auto& rt = response.topics.emplace_back();
        rt.name = t.name;
        for (const auto& p : t.partitions) {
          out.partitions.emplace_back(t.name, p.partition_index);
          auto& rp = rt.partitions.emplace_back();
          rp.partition_index = p.partition_index;
          rp.error_code = code;
        }
      }
      out.frame = Frame(header, response);
      return out;
    }
    case ApiKey::kOffsetFetch: {
      OffsetFetchRequest request;
      if (!Decode(header, body, &request).ok()) return std::nullopt;
      OffsetFetchResponse response;
      if (header.request_api_version < 8) {
        response.error_code = code;
        if (request.topics.has_value()) {
          for (const auto& t : *request.topics) {
            auto& rt = response.topics.emplace_back();
            rt.name = t.name;
            for (int32_t p : t.partition_indexes) {
              out.partitions.emplace_back(t.name, p);
              auto& rp = rt.partitions.emplace_back();
              rp.partition_index = p;
              rp.committed_offset = -1;
              rp.error_code = code;
            }
          }
        }
      } else {
        for (const auto& g : request.groups) {
          auto& rg = response.groups.emplace_back();
          rg.group_id = g.group_id;
          rg.error_code = code;
          if (!g.topics.has_value()) continue;
          for (const auto& t : *g.topics) {
            for (int32_t p : t.partition_indexes) out.partitions.emplace_back(t.name, p);
          }
        }
      }
      out.frame = Frame(header, response);
      return out;
    }
    case ApiKey::kFindCoordinator: {
      FindCoordinatorRequest request;
      if (!Decode(header, body, &request).ok()) return std::nullopt;
      FindCoordinatorResponse response;
      response.error_code = code;
      response.node_id = -1;
      response.port = -1;
      for (const std::string& key : request.coordinator_keys) {
        auto& c = response.coordinators.emplace_back();
        c.key = key;
        c.node_id = -1;
        c.port = -1;
        c.error_code = code;
      }
      out.frame = Frame(header, response);
      return out;
    }
    case ApiKey::kJoinGroup: {
      JoinGroupRequest request;
      if (!Decode(header, body, &request).ok()) return std::nullopt;
      JoinGroupResponse response;
      response.error_code = code;
      response.generation_id = -1;
      response.member_id = request.member_id;
      out.frame = Frame(header, response);
      return out;
    }
    case ApiKey::kHeartbeat: {
      HeartbeatResponse response;
      response.error_code = code;
      out.frame = Frame(header, response);
      return out;
    }
    case ApiKey::kSyncGroup: {
      SyncGroupResponse response;
      response.error_code = code;
      out.frame = Frame(header, response);
      return out;
    }
    case ApiKey::kInitProducerId: {
      InitProducerIdResponse response;
      response.error_code = code;
      response.producer_id = -1;
      response.producer_epoch = -1;
      out.frame = Frame(header, response);
      return out;
    }
    default:
      return std::nullopt;
  }
}

bool HasErrorResponder(int16_t api_key) {
  switch (static_cast<ApiKey>(api_key)) {
    case ApiKey::kMetadata:
    case ApiKey::kProduce:
    case ApiKey::kFetch:
    case ApiKey::kListOffsets:
    case ApiKey::kOffsetCommit:
    case ApiKey::kOffsetFetch:
    case ApiKey::kFindCoordinator:
    case ApiKey::kJoinGroup:
    case ApiKey::kHeartbeat:
    case ApiKey::kSyncGroup:
    case ApiKey::kInitProducerId:
      return true;
    default:
      return false;
  }
}

std::string RawResponseFrame(const RequestHeader& header, const std::string& body) {
  const ApiInfo* api = FindApi(header.request_api_key);
  Writer writer;
  ResponseHeader response_header;
  response_header.correlation_id = header.correlation_id;
  response_header.Write(writer, api != nullptr ? ResponseHeaderVersion(*api, header.request_api_version) : 0);
  std::string payload = writer.Release();
  payload += body;
  std::string frame;
  AppendFrame(payload, &frame);
  return frame;
}

}  // namespace samsa::kafka
