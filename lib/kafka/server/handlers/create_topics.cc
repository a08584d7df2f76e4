// CreateTopics (api key 19), v0-7: Broker::Impl::CreateTopic per topic.
//
// As Kafka does: num_partitions / replication_factor -1 take the broker's
// num.partitions / default.replication.factor; validate_only (v1+) checks
// everything and creates nothing; each topic gets its own error code (and
// message, v1+); v5+ reports the created topic's partition count, replication
// factor and configs, v7 its topic id. Creation is synchronous, so timeout_ms
// is not waited on.
//
// Manual replica assignments: samsa hosts a partition on one broker, so an
// assignment is accepted only when every partition lists this broker alone,
// with indexes 0..n-1 (n partitions, replication factor 1), and this broker
// is the only live one; anything else is INVALID_REPLICA_ASSIGNMENT. Setting
// both an assignment and num_partitions/replication_factor is INVALID_REQUEST
// (Kafka's message).
//
// A request asking for more than 10,000 partitions in all (num_partitions,
// -1 counting as num.partitions, or the assignments' count) is refused
// whole, every topic POLICY_VIOLATION, nothing created: Kafka's controller
// limit (ReplicationControlManager.validateTotalNumberOfPartitions,
// MAX_PARTITIONS_PER_BATCH), which also keeps one request from making a
// broker open millions of partitions.
#include <algorithm>
#include <map>
#include <set>
#include <string>

#include <fmt/format.h>

#include "kafka/messages/create_topics.h"
#include "kafka/server/handlers/admin_util.h"
#include "samsa/errors.h"
#include "util/status_macros.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace create_topics_handler {

using Request = CreateTopicsRequest;
using Response = CreateTopicsResponse;

// The NewTopic a request entry asks for, or why it cannot be honoured.
absl::StatusOr<NewTopic> ToNewTopic(const RequestContext& ctx, const Request::CreatableTopic& t) {
  NewTopic spec;
  spec.name = t.name;
  spec.num_partitions = t.num_partitions;
  spec.replication_factor = t.replication_factor;
  std::vector<std::string> null_configs;
  for (const Request::CreatableTopicConfig& c : t.configs) {
    if (!c.value) {
      null_configs.push_back(c.name);
      continue;
    }
    spec.configs[c.name] = *c.value;
  }
  if (!null_configs.empty()) {
    return KafkaError(ErrorCode::kInvalidConfig,
                      fmt::format("Null value not supported for topic configs: {}", fmt::join(null_configs, ",")));
  }
  if (t.assignments.empty()) return spec;
  if (t.num_partitions != -1 || t.replication_factor != -1) {
    return KafkaError(ErrorCode::kInvalidRequest,
                      "Both numPartitions or replicationFactor and replicasAssignments were set. "
                      "Both cannot be used at the same time.");
  }
  Broker::Impl* broker = ctx.server->broker();
  const int32_t self = broker->broker_id();
  std::set<int32_t> indexes;
  for (const Request::CreatableReplicaAssignment& a : t.assignments) {
    indexes.insert(a.partition_index);
    if (a.broker_ids.size() != 1 || a.broker_ids[0] != self) {
      return KafkaError(ErrorCode::kInvalidReplicaAssignment,
                        fmt::format("Partition {} is assigned to brokers [{}]: samsa places each partition "
                                    "on this broker ({}) alone (replication factor 1).",
                                    a.partition_index, fmt::join(a.broker_ids, ","), self));
    }
  }
  const int32_t n = static_cast<int32_t>(t.assignments.size());
  if (static_cast<int32_t>(indexes.size()) != n || *indexes.begin() != 0 || *indexes.rbegin() != n - 1) {
    return KafkaError(ErrorCode::kInvalidReplicaAssignment,
                      "Partitions should be a consecutive 0-based integer sequence");
  }
  if (ctx.server->LiveBrokers(ctx.listener_name).size() != 1) {
    return KafkaError(ErrorCode::kInvalidReplicaAssignment,
                      "Manual replica assignment is not supported in a samsa cluster of several brokers.");
  }
  spec.num_partitions = n;
  spec.replication_factor = 1;
  return spec;
}

void FillCreated(const RequestContext& ctx, const NewTopic& spec, bool validate_only,
                 Response::CreatableTopicResult* result) {
  Broker::Impl* broker = ctx.server->broker();
  const BrokerConfig& config = broker->config();
  result->num_partitions = spec.num_partitions == -1 ? config.num_partitions : spec.num_partitions;
  result->replication_factor =
      spec.replication_factor == -1 ? config.default_replication_factor : spec.replication_factor;
  std::vector<Response::CreatableTopicConfigs> configs;
  absl::StatusOr<std::vector<DescribedConfig>> described = DescribeNewTopicConfigs(config, spec.configs);
  if (described.ok()) {
    for (const DescribedConfig& d : *described) {
      Response::CreatableTopicConfigs c;
      c.name = d.name;
      c.value = d.value;
      c.read_only = d.read_only;
      c.config_source = d.source;
      c.is_sensitive = d.sensitive;
      configs.push_back(std::move(c));
    }
    result->configs = std::move(configs);
  } else {
    result->configs = std::nullopt;
    result->topic_config_error_code = ErrorCodeFor(described.status());
  }
  if (!validate_only) {
    absl::StatusOr<TopicDescription> created = broker->DescribeTopic(spec.name);
    if (created.ok()) result->topic_id = TopicIdToUuid(created->topic_id);
  }
}

// Kafka's QuorumController.MAX_RECORDS_PER_BATCH, the cap on the partitions
// one CreateTopics request may create.
constexpr int64_t kMaxPartitionsPerRequest = 10000;

int64_t TotalPartitions(const RequestContext& ctx, const Request& request) {
  int64_t total = 0;
  for (const Request::CreatableTopic& t : request.topics) {
    if (!t.assignments.empty()) {
      total += static_cast<int64_t>(t.assignments.size());
    } else if (t.num_partitions == -1) {
      total += ctx.server->broker()->config().num_partitions;
    } else if (t.num_partitions > 0) {
      total += t.num_partitions;
    }
  }
  return total;
}

Response Handle(const RequestContext& ctx, Request& request) {
  Broker::Impl* broker = ctx.server->broker();
  Response response;
  if (TotalPartitions(ctx, request) > kMaxPartitionsPerRequest) {
    for (const Request::CreatableTopic& t : request.topics) {
      Response::CreatableTopicResult& result = response.topics.emplace_back();
      result.name = t.name;
      result.error_code = static_cast<int16_t>(ErrorCode::kPolicyViolation);
      result.error_message = "Excessively large number of partitions per request.";  // Kafka's words
    }
    return response;
  }
  std::map<std::string, int> seen;
  for (const Request::CreatableTopic& t : request.topics) ++seen[t.name];
  std::vector<std::string> duplicates;
  for (const auto& [name, count] : seen) {
    if (count > 1) duplicates.push_back(name);
  }
  for (const Request::CreatableTopic& t : request.topics) {
    Response::CreatableTopicResult result;
    result.name = t.name;
    absl::Status status;
    if (seen[t.name] > 1) {
      status = KafkaError(ErrorCode::kInvalidRequest,
                          fmt::format("Create topics request from client `{}` contains multiple entries "
                                      "for the following topics: {}",
                                      ctx.client_id(), fmt::join(duplicates, ",")));
    } else {
      absl::StatusOr<NewTopic> spec = ToNewTopic(ctx, t);
      status = spec.status();
      if (status.ok()) {
        status = request.validate_only ? broker->ValidateCreateTopic(*spec) : broker->CreateTopic(*spec);
      }
      if (status.ok()) FillCreated(ctx, *spec, request.validate_only, &result);
    }
    result.error_code = ErrorCodeFor(status);
    result.error_message = ErrorMessageFor(status);
    response.topics.push_back(std::move(result));
  }
  return response;
}

}  // namespace create_topics_handler
}  // namespace

ApiHandler CreateTopicsHandler() {
  using namespace create_topics_handler;
  return TypedHandler<Request, Response>(0, 7, Handle);
}

}  // namespace samsa::kafka
