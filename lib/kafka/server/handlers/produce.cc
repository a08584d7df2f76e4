// Produce (api key 0), versions 0-9: each partition's records are one
// magic-2 record batch (v3+), or for v0-2 a legacy message set (magic 0 or
// 1, what Kafka 0.8-0.10 clients send) that is converted to one v2 batch
// first (record/legacy_records.h), as a Kafka 3.x broker converts it: the
// log holds magic 2 only. Appended with Broker::Impl::Produce.
//
// Kafka's checks, in Kafka's order:
// - acks other than 0, 1, -1: INVALID_REQUIRED_ACKS for every partition,
//   nothing appended.
// - transactional batches: TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every
//   partition (samsa has no transaction coordinator, so no transactional id
//   is ever authorized — what Kafka answers a producer whose transactional
//   id it does not authorize). A transactional_id with plain batches is
//   accepted, as Kafka does.
// - per partition, an unknown topic or partition first (the broker's
//   UNKNOWN_TOPIC_OR_PARTITION / NOT_LEADER_OR_FOLLOWER), then the shape of
//   the records (ProduceRequest.validateRecords, v3+): no batch (null, empty
//   or truncated), a magic other than 2, more than one batch, or a control
//   batch is INVALID_RECORD; zstd below v7 UNSUPPORTED_COMPRESSION_TYPE;
//   an internal topic (__consumer_offsets, __transaction_state) is
//   INVALID_TOPIC_EXCEPTION unless the client id is "__admin_client"; then
//   the append (a bad CRC is CORRUPT_MESSAGE; nothing of that partition
//   stored).
// - v0-2: validateRecords checks nothing (Kafka); a legacy set's entries
//   are checked as LogValidator does (ConvertLegacyToV2's errors), each
//   entry no larger than max.message.bytes (MESSAGE_TOO_LARGE, as
//   UnifiedLog.analyzeAndValidateRecords); null or empty records append
//   nothing and answer base offset -1 with no error, as Kafka's log does
//   with no batch. A v2 batch in a v0-2 request is taken as at v3.
// - acks=0: no response; if any partition failed, the connection is closed
//   (Kafka's way of telling a fire-and-forget producer to refresh metadata).
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "kafka/messages/produce.h"
#include "kafka/server/handlers/data_handlers.h"
#include "record/legacy_records.h"
#include "record/record_batch_format.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace produce_handler {

using Response = ProduceResponse;

// The one client id Kafka lets append to internal topics (AdminUtils.AdminClientId).
constexpr std::string_view kAdminClientId = "__admin_client";

uint32_t ReadBigEndian32(std::string_view s, size_t pos) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(s[pos])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[pos + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[pos + 2])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(s[pos + 3]));
}

int16_t Attributes(std::string_view s) {
  return static_cast<int16_t>((static_cast<uint8_t>(s[record::kAttributesPos]) << 8) |
                              static_cast<uint8_t>(s[record::kAttributesPos + 1]));
}

// Kafka's ProduceRequest.validateRecords for v3+.
absl::Status ValidateRecords(const std::optional<BytesRef>& records, int16_t version) {
  if (!records.has_value() || records->size() < record::kBatchHeaderSize) {
    return KafkaError(
        ErrorCode::kInvalidRecord,
        fmt::format("Produce requests with version {} must have at least one record batch "
                    "per partition",
                    version));
  }
  const std::string_view r = records->view();
  const int64_t batch_size =
      record::kLogOverhead + static_cast<int32_t>(ReadBigEndian32(r, record::kBatchLengthPos));
  if (batch_size > static_cast<int64_t>(r.size()) ||
      batch_size < static_cast<int64_t>(record::kBatchHeaderSize)) {
    return KafkaError(
        ErrorCode::kInvalidRecord,
        fmt::format("Produce requests with version {} must have at least one record batch "
                    "per partition",
                    version));
  }
  if (static_cast<int8_t>(r[record::kMagicPos]) != record::kMagic) {
    return KafkaError(
        ErrorCode::kInvalidRecord,
        fmt::format("Produce requests with version {} are only allowed to contain record "
                    "batches with magic version 2",
                    version));
  }
  if (version < 7 && (Attributes(r) & record::kAttrCompressionMask) ==
                         static_cast<int16_t>(record::CompressionType::kZstd)) {
    return KafkaError(
        ErrorCode::kUnsupportedCompressionType,
        fmt::format("Produce requests with version {} are not allowed to use ZStandard "
                    "compression",
                    version));
  }
  if ((Attributes(r) & record::kAttrControlBit) != 0) {
    // LogValidator: only the broker writes control batches.
    return KafkaError(ErrorCode::kInvalidRecord,
                      "Clients are not allowed to write control records");
  }
  if (batch_size < static_cast<int64_t>(r.size())) {
    return KafkaError(
        ErrorCode::kInvalidRecord,
        fmt::format("Produce requests with version {} are only allowed to contain exactly "
                    "one record batch per partition",
                    version));
  }
  return absl::OkStatus();
}

bool IsTransactional(const std::optional<BytesRef>& records) {
  return records.has_value() && records->size() >= record::kBatchHeaderSize &&
         record::PeekMagic(records->view()) == record::kMagic &&
         (Attributes(*records) & record::kAttrTransactionalBit) != 0;
}

Response::PartitionProduceResponse ErrorResponse(int32_t index, const absl::Status& status) {
  Response::PartitionProduceResponse p;
  p.index = index;
  p.error_code = static_cast<int16_t>(ErrorCodeOf(status));
  p.base_offset = -1;
  p.log_append_time_ms = -1;
  p.log_start_offset = -1;
  p.error_message = std::string(status.message());
  return p;
}

// Answers every partition of the request with `status`.
Response AllFailed(const ProduceRequest& request, const absl::Status& status) {
  Response response;
  for (const ProduceRequest::TopicProduceData& t : request.topic_data) {
    Response::TopicProduceResponse topic;
    topic.name = t.name;
    for (const ProduceRequest::PartitionProduceData& p : t.partition_data) {
      topic.partition_responses.push_back(ErrorResponse(p.index, status));
    }
    response.responses.push_back(std::move(topic));
  }
  return response;
}

// Runs the request; *failure is the first partition's error (for acks=0).
Response HandleProduce(const RequestContext& ctx, ProduceRequest& request, absl::Status* failure) {
  Broker::Impl* broker = ctx.server->broker();
  const int16_t version = ctx.api_version();
  if (request.acks != 0 && request.acks != 1 && request.acks != -1) {
    *failure = KafkaError(ErrorCode::kInvalidRequiredAcks,
                          fmt::format("invalid required acks {}", request.acks));
    return AllFailed(request, *failure);
  }
  for (const ProduceRequest::TopicProduceData& t : request.topic_data) {
    for (const ProduceRequest::PartitionProduceData& p : t.partition_data) {
      if (IsTransactional(p.records)) {
        *failure = KafkaError(ErrorCode::kTransactionalIdAuthorizationFailed,
                              "transactions are not supported: no transactional id is authorized");
        return AllFailed(request, *failure);
      }
    }
  }

  Response response;
  for (ProduceRequest::TopicProduceData& t : request.topic_data) {
    Response::TopicProduceResponse topic;
    topic.name = t.name;
    for (ProduceRequest::PartitionProduceData& p : t.partition_data) {
      const TopicPartition tp{t.name, p.index};
      // v0-2 may carry a legacy message set: converted here, stored as v2.
      const bool legacy =
          version < 3 && p.records.has_value() &&
          record::PeekMagic(p.records->view()).value_or(record::kMagic) < record::kMagic;
      const bool no_records = version < 3 && (!p.records.has_value() || p.records->size() == 0);
      std::string converted;
      absl::Status valid;
      if (no_records) {
        valid = absl::OkStatus();
      } else if (legacy) {
        // Each entry within max.message.bytes, as UnifiedLog checks each
        // shallow batch; an unknown partition is reported below.
        if (const std::shared_ptr<Partition> partition = broker->GetPartition(tp)) {
          absl::StatusOr<record::LegacyConversion> c = record::ConvertLegacyToV2(
              p.records->view(), {.max_entry_bytes = partition->log()->config().max_message_bytes});
          if (c.ok()) {
            converted = std::move(c->batch);
          } else {
            valid = c.status();
          }
        }
      } else {
        valid = ValidateRecords(p.records, version);
      }
      if (valid.ok() && IsInternalTopic(t.name) && ctx.client_id() != kAdminClientId) {
        valid = KafkaError(ErrorCode::kInvalidTopicException,
                           fmt::format("Cannot append to internal topic {}", t.name));
      }
      // An unknown partition is reported as such whatever its records are:
      // the broker's lookup fails before it reads them.
      if (!valid.ok() && broker->GetPartition(tp) != nullptr) {
        if (failure->ok()) *failure = valid;
        topic.partition_responses.push_back(ErrorResponse(p.index, valid));
        continue;
      }
      // The records are a view into the request frame (BytesRef, decoded
      // without a copy): the broker stamps offsets and epoch into the batch
      // header there and copies the batch from it into the log. The frame
      // is this request's alone (an interceptor sees it only during its
      // call; the connection keeps it until the answer), so writing into it
      // is safe. Null records append nothing (an unknown partition still
      // answers as such).
      absl::Span<char> records;
      if (legacy && !converted.empty()) {
        records = absl::MakeSpan(converted);
      } else if (p.records.has_value()) {
        records = absl::MakeSpan(const_cast<char*>(p.records->data()), p.records->size());
      }
      if (no_records && broker->GetPartition(tp) != nullptr) {
        // Kafka's log appends nothing and answers offset -1 (LogAppendInfo
        // of no batch).
        Response::PartitionProduceResponse out;
        out.index = p.index;
        out.error_code = 0;
        out.base_offset = -1;
        out.log_append_time_ms = -1;
        out.log_start_offset = -1;
        topic.partition_responses.push_back(std::move(out));
        continue;
      }
      absl::StatusOr<Broker::Impl::ProduceResult> result = broker->Produce(tp, records, request.acks);
      if (!result.ok()) {
        if (failure->ok()) *failure = result.status();
        topic.partition_responses.push_back(ErrorResponse(p.index, result.status()));
        continue;
      }
      Response::PartitionProduceResponse out;
      out.index = p.index;
      out.error_code = 0;
      out.base_offset = result->base_offset;
      out.log_append_time_ms = result->log_append_time;
      out.log_start_offset = result->log_start_offset;
      topic.partition_responses.push_back(std::move(out));
    }
    response.responses.push_back(std::move(topic));
  }
  return response;
}

}  // namespace produce_handler
}  // namespace

ApiHandler ProduceHandler() {
  using namespace produce_handler;
  return ApiHandler{ApiKey::kProduce, 0, 9,
                    [](const RequestContext& ctx, absl::Span<const uint8_t> body, Respond respond) {
                      ProduceRequest request;
                      absl::Status s = DecodeBody(ctx, body, &request);
                      if (!s.ok()) return respond(HandlerResponse::Close(std::move(s)));
                      absl::Status failure;
                      Response response = HandleProduce(ctx, request, &failure);
                      if (request.acks == 0) {
                        respond(failure.ok() ? HandlerResponse::None()
                                             : HandlerResponse::Close(std::move(failure)));
                        return;
                      }
                      respond(EncodeResponse(ctx, response));
                    }};
}

}  // namespace samsa::kafka
