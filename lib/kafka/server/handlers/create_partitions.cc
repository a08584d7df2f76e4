// CreatePartitions (api key 37), v0-3: Broker::Impl::CreatePartitions per
// topic. `count` is the new total; one not above the current count is
// INVALID_PARTITIONS (Kafka's messages); validate_only checks and changes
// nothing; a topic named twice is INVALID_REQUEST. An assignment (null: the
// broker places them) must list one entry per new partition, each naming this
// broker alone (samsa's replication factor 1), else INVALID_REPLICA_ASSIGNMENT.
// Synchronous: timeout_ms is not waited on.
//
// A request adding more than 10,000 partitions in all (over the topics'
// current counts) is refused whole, every topic POLICY_VIOLATION, nothing
// changed: Kafka's controller writes a record per new partition and refuses
// an operation of more than MAX_RECORDS_PER_USER_OP (10,000) records with
// this error and message.
#include <algorithm>
#include <map>
#include <string>

#include <fmt/format.h>

#include "kafka/messages/create_partitions.h"
#include "kafka/server/handlers/admin_util.h"
#include "samsa/errors.h"
#include "util/status_macros.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace create_partitions_handler {

using Request = CreatePartitionsRequest;
using Response = CreatePartitionsResponse;

absl::Status CreateOne(const RequestContext& ctx, const Request::CreatePartitionsTopic& t, bool validate_only) {
  Broker::Impl* broker = ctx.server->broker();
  SAMSA_ASSIGN_OR_RETURN(TopicDescription topic, broker->DescribeTopic(t.name));
  const int32_t current = static_cast<int32_t>(topic.partitions.size());
  if (t.count == current) {
    return KafkaError(ErrorCode::kInvalidPartitions, fmt::format("Topic already has {} partitions.", current));
  }
  if (t.count < current) {
    return KafkaError(ErrorCode::kInvalidPartitions,
                      fmt::format("Topic currently has {} partitions, {} would not be an increase.", current,
                                  t.count));
  }
  if (t.assignments) {
    const int32_t added = t.count - current;
    if (static_cast<int32_t>(t.assignments->size()) != added) {
      return KafkaError(ErrorCode::kInvalidReplicaAssignment,
                        fmt::format("Increasing the number of partitions by {} but {} assignments provided.",
                                    added, t.assignments->size()));
    }
    for (const Request::CreatePartitionsAssignment& a : *t.assignments) {
      if (a.broker_ids.size() != 1 || a.broker_ids[0] != broker->broker_id()) {
        return KafkaError(ErrorCode::kInvalidReplicaAssignment,
                          fmt::format("Assignment [{}]: samsa places each partition on this broker ({}) "
                                      "alone (replication factor 1).",
                                      fmt::join(a.broker_ids, ","), broker->broker_id()));
      }
    }
    if (ctx.server->LiveBrokers(ctx.listener_name).size() != 1) {
      return KafkaError(ErrorCode::kInvalidReplicaAssignment,
                        "Manual replica assignment is not supported in a samsa cluster of several brokers.");
    }
  }
  if (validate_only) return absl::OkStatus();
  return broker->CreatePartitions(t.name, t.count);
}

constexpr int64_t kMaxNewPartitionsPerRequest = 10000;  // Kafka's MAX_RECORDS_PER_USER_OP

// The partitions the request would add, over the named topics' current
// counts (a topic that does not exist, or a decrease, adds none).
int64_t NewPartitions(const RequestContext& ctx, const Request& request) {
  int64_t total = 0;
  for (const Request::CreatePartitionsTopic& t : request.topics) {
    absl::StatusOr<TopicDescription> topic = ctx.server->broker()->DescribeTopic(t.name);
    if (topic.ok()) total += std::max<int64_t>(0, int64_t{t.count} - static_cast<int64_t>(topic->partitions.size()));
  }
  return total;
}

Response Handle(const RequestContext& ctx, Request& request) {
  Response response;
  if (NewPartitions(ctx, request) > kMaxNewPartitionsPerRequest) {
    for (const Request::CreatePartitionsTopic& t : request.topics) {
      Response::CreatePartitionsTopicResult& result = response.results.emplace_back();
      result.name = t.name;
      result.error_code = static_cast<int16_t>(ErrorCode::kPolicyViolation);
      result.error_message = "Unable to perform excessively large batch operation.";  // Kafka's words
    }
    return response;
  }
  std::map<std::string, int> seen;
  for (const Request::CreatePartitionsTopic& t : request.topics) ++seen[t.name];
  for (const Request::CreatePartitionsTopic& t : request.topics) {
    const absl::Status status = seen[t.name] > 1
                                    ? KafkaError(ErrorCode::kInvalidRequest, "Duplicate topic in request.")
                                    : CreateOne(ctx, t, request.validate_only);
    Response::CreatePartitionsTopicResult result;
    result.name = t.name;
    result.error_code = ErrorCodeFor(status);
    result.error_message = ErrorMessageFor(status);
    response.results.push_back(std::move(result));
  }
  return response;
}

}  // namespace create_partitions_handler
}  // namespace

ApiHandler CreatePartitionsHandler() {
  using namespace create_partitions_handler;
  return TypedHandler<Request, Response>(0, 3, Handle);
}

}  // namespace samsa::kafka
