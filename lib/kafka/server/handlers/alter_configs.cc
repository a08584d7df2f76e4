// AlterConfigs (api key 33), v0-2: Kafka's legacy, whole-set alter.
//
// TOPIC (2): the given configs become the topic's whole dynamic config set —
// a config not listed (or listed with a null value) is removed, as Kafka's
// AlterConfigs does (IncrementalAlterConfigs keeps unlisted ones). A bad
// name or value is INVALID_CONFIG and changes nothing; a key listed twice is
// INVALID_REQUEST; validate_only checks without changing.
// BROKER (4): samsa has no dynamic broker configs: INVALID_REQUEST "Cannot
// update these configs dynamically: ..." (Kafka's answer for a config that is
// not dynamically updatable); an empty list is accepted (nothing to change).
// Other resource types: INVALID_REQUEST.
#include <set>
#include <string>

#include <fmt/format.h>

#include "kafka/messages/alter_configs.h"
#include "kafka/server/handlers/admin_util.h"
#include "samsa/errors.h"
#include "util/status_macros.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace alter_configs_handler {

using Request = AlterConfigsRequest;
using Response = AlterConfigsResponse;

absl::Status AlterOne(Broker::Impl* broker, const Request::AlterConfigsResource& r, bool validate_only) {
  std::set<std::string> names;
  for (const Request::AlterableConfig& c : r.configs) {
    if (!names.insert(c.name).second) {
      return KafkaError(ErrorCode::kInvalidRequest, "Error due to duplicate config keys");
    }
  }
  switch (r.resource_type) {
    case kResourceTopic: {
      Properties overrides;
      for (const Request::AlterableConfig& c : r.configs) {
        if (c.value) overrides[c.name] = *c.value;
      }
      return ReplaceTopicConfigs(broker, r.resource_name, overrides, validate_only);
    }
    default:
      return AlterNonTopicConfigs(*broker, r.resource_type, r.resource_name, names);
  }
}

Response Handle(const RequestContext& ctx, Request& request) {
  Broker::Impl* broker = ctx.server->broker();
  Response response;
  for (const Request::AlterConfigsResource& r : request.resources) {
    const absl::Status status = AlterOne(broker, r, request.validate_only);
    Response::AlterConfigsResourceResponse result;
    result.resource_type = r.resource_type;
    result.resource_name = r.resource_name;
    result.error_code = ErrorCodeFor(status);
    result.error_message = ErrorMessageFor(status);
    response.responses.push_back(std::move(result));
  }
  return response;
}

}  // namespace alter_configs_handler
}  // namespace

ApiHandler AlterConfigsHandler() {
  using namespace alter_configs_handler;
  return TypedHandler<Request, Response>(0, 2, Handle);
}

}  // namespace samsa::kafka
