// Metadata (api key 3), versions 0-12: the live brokers, the cluster id and
// controller, and the topics asked for (every topic when the list is null —
// or, at v0, empty) with their partitions' leaders, epochs and replicas.
//
// A named topic that does not exist is auto-created when the request allows
// it (v4+; always below v4) and the broker's auto.create.topics.enable is
// on; otherwise it is UNKNOWN_TOPIC_OR_PARTITION, an invalid name
// INVALID_TOPIC_EXCEPTION. From v12 a topic may be named by id alone (null
// name): an id no topic has is UNKNOWN_TOPIC_ID with a null name, as Kafka
// answers. Authorized operations (v8+) are Kafka's "no authorizer" bit
// fields when asked for, INT32_MIN otherwise. offline_replicas (v5+) lists
// the replicas whose broker is not alive (a BrokerDown broker's, in a
// FakeKafka).
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kafka/messages/metadata.h"
#include "kafka/server/handlers/data_handlers.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace metadata_handler {

using Response = MetadataResponse;

// `live`: the ids of the brokers alive now. A replica on any other broker is
// offline (v5+ offline_replicas), as Kafka's controller reports a replica
// whose broker is not alive.
Response::MetadataResponseTopic ToWire(const Broker::Impl::TopicMetadata& t, bool include_ops,
                                       const std::set<int32_t>& live) {
  Response::MetadataResponseTopic topic;
  topic.error_code = static_cast<int16_t>(t.error);
  topic.name = t.name;
  topic.topic_id = TopicIdToUuid(t.topic_id);
  topic.is_internal = IsInternalTopic(t.name);  // Kafka's Topic.isInternal
  topic.topic_authorized_operations =
      include_ops ? kTopicAuthorizedOperations : kAuthorizedOperationsNotRequested;
  for (const Broker::Impl::PartitionMetadata& p : t.partitions) {
    Response::MetadataResponsePartition partition;
    partition.error_code = static_cast<int16_t>(p.error);
    partition.partition_index = p.partition;
    partition.leader_id = p.leader;
    partition.leader_epoch = p.leader_epoch;
    partition.replica_nodes = p.replicas;
    partition.isr_nodes = p.isr;
    for (int32_t r : p.replicas) {
      if (!live.contains(r)) partition.offline_replicas.push_back(r);
    }
    topic.partitions.push_back(std::move(partition));
  }
  return topic;
}

Response HandleMetadata(const RequestContext& ctx, MetadataRequest& request) {
  ServerContext* server = ctx.server;
  Broker::Impl* broker = server->broker();
  const int16_t version = ctx.api_version();
  const bool include_topic_ops = version >= 8 && request.include_topic_authorized_operations;

  Response response;
  std::set<int32_t> live;
  for (const BrokerEndpoint& b : server->LiveBrokers(ctx.listener_name)) {
    live.insert(b.node_id);
    Response::MetadataResponseBroker out;
    out.node_id = b.node_id;
    out.host = b.host;
    out.port = b.port;
    out.rack = b.rack;
    response.brokers.push_back(std::move(out));
  }
  response.cluster_id = server->cluster_id();
  response.controller_id = server->controller_id();
  response.cluster_authorized_operations =
      version >= 8 && request.include_cluster_authorized_operations
          ? kClusterAuthorizedOperations
          : kAuthorizedOperationsNotRequested;

  // v0 has no null list: empty means every topic.
  const bool all_topics = !request.topics.has_value() || (version == 0 && request.topics->empty());
  if (all_topics) {
    for (const Broker::Impl::TopicMetadata& t :
         broker->Metadata(std::nullopt, /*allow_auto_create=*/false)) {
      response.topics.push_back(ToWire(t, include_topic_ops, live));
    }
    return response;
  }

  // Names in request order, once each; topics named by id are resolved
  // against every topic (ids never auto-create).
  std::vector<std::string> names;
  std::set<std::string> seen;
  std::vector<Response::MetadataResponseTopic> by_id;
  std::optional<std::vector<Broker::Impl::TopicMetadata>> all;
  for (const MetadataRequest::MetadataRequestTopic& t : *request.topics) {
    if (t.name.has_value() && t.topic_id.IsZero()) {
      if (seen.insert(*t.name).second) names.push_back(*t.name);
      continue;
    }
    Response::MetadataResponseTopic topic;
    topic.name = t.name;
    topic.topic_id = t.topic_id;
    if (version < 12) {
      // Kafka: topic ids are not supported in requests below v12 (whose
      // response names are not nullable).
      topic.name = t.name.value_or("");
      topic.error_code = static_cast<int16_t>(ErrorCode::kInvalidRequest);
      by_id.push_back(std::move(topic));
      continue;
    }
    if (!all) all = broker->Metadata(std::nullopt, /*allow_auto_create=*/false);
    const Broker::Impl::TopicMetadata* found = nullptr;
    for (const Broker::Impl::TopicMetadata& m : *all) {
      if (!t.topic_id.IsZero() && TopicIdToUuid(m.topic_id) == t.topic_id) found = &m;
    }
    if (found == nullptr) {
      topic.name = std::nullopt;
      topic.error_code = static_cast<int16_t>(ErrorCode::kUnknownTopicId);
      by_id.push_back(std::move(topic));
      continue;
    }
    if (seen.insert(found->name).second) by_id.push_back(ToWire(*found, include_topic_ops, live));
  }

  const bool allow_auto_create = version < 4 || request.allow_auto_topic_creation;
  if (!names.empty()) {
    for (const Broker::Impl::TopicMetadata& t : broker->Metadata(names, allow_auto_create)) {
      response.topics.push_back(ToWire(t, include_topic_ops, live));
    }
  }
  for (Response::MetadataResponseTopic& t : by_id) response.topics.push_back(std::move(t));
  return response;
}

}  // namespace metadata_handler
}  // namespace

ApiHandler MetadataHandler() {
  using namespace metadata_handler;
  return TypedHandler<MetadataRequest, MetadataResponse>(0, 12, HandleMetadata);
}

}  // namespace samsa::kafka
