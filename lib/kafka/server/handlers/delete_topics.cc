// DeleteTopics (api key 20), v0-6: Broker::Impl::DeleteTopic per topic.
//
// v0-5 name topics; v6 names a topic or gives its id (resolved against the
// broker's topics; UNKNOWN_TOPIC_ID when none has it; both a name and an id
// is INVALID_REQUEST, as Kafka says). Per-topic errors, as Kafka's:
// UNKNOWN_TOPIC_OR_PARTITION, TOPIC_DELETION_DISABLED (delete.topic.enable=
// false), INVALID_TOPIC_EXCEPTION for an internal topic; a message from v5.
// Deletion is synchronous, so timeout_ms is not waited on.
#include <string>

#include <fmt/format.h>

#include "kafka/messages/delete_topics.h"
#include "kafka/server/handlers/admin_util.h"
#include "samsa/errors.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace delete_topics_handler {

using Request = DeleteTopicsRequest;
using Response = DeleteTopicsResponse;

// The topic with id `id`, or UNKNOWN_TOPIC_ID.
absl::StatusOr<std::string> TopicNameForId(Broker::Impl* broker, const Uuid& id) {
  if (!id.IsZero()) {
    for (const std::string& name : broker->ListTopics(/*include_internal=*/true)) {
      absl::StatusOr<TopicDescription> d = broker->DescribeTopic(name);
      if (d.ok() && TopicIdToUuid(d->topic_id) == id) return name;
    }
  }
  return KafkaError(ErrorCode::kUnknownTopicId,
                    fmt::format("Topic id {} does not exist", UuidToTopicId(id)));
}

Response::DeletableTopicResult DeleteOne(Broker::Impl* broker, const std::optional<std::string>& name,
                                         const Uuid& id) {
  Response::DeletableTopicResult result;
  result.name = name;
  result.topic_id = id;
  absl::Status status;
  if (name && !id.IsZero()) {
    status = KafkaError(ErrorCode::kInvalidRequest, "You may not specify both topic name and topic id.");
  } else if (!name) {
    absl::StatusOr<std::string> found = TopicNameForId(broker, id);
    status = found.status();
    if (found.ok()) result.name = *found;
  } else {
    absl::StatusOr<TopicDescription> d = broker->DescribeTopic(*name);
    if (d.ok()) result.topic_id = TopicIdToUuid(d->topic_id);
  }
  if (status.ok()) status = broker->DeleteTopic(*result.name);
  result.error_code = ErrorCodeFor(status);
  result.error_message = ErrorMessageFor(status);
  return result;
}

Response Handle(const RequestContext& ctx, Request& request) {
  Broker::Impl* broker = ctx.server->broker();
  Response response;
  if (ctx.api_version() >= 6) {
    for (const Request::DeleteTopicState& t : request.topics) {
      response.responses.push_back(DeleteOne(broker, t.name, t.topic_id));
    }
  } else {
    for (const std::string& name : request.topic_names) {
      response.responses.push_back(DeleteOne(broker, name, Uuid{}));
    }
  }
  return response;
}

}  // namespace delete_topics_handler
}  // namespace

ApiHandler DeleteTopicsHandler() {
  using namespace delete_topics_handler;
  return TypedHandler<Request, Response>(0, 6, Handle);
}

}  // namespace samsa::kafka
