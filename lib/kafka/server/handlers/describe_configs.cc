// DescribeConfigs (api key 32), v0-4.
//
// TOPIC (2): Broker::Impl::DescribeTopicConfigs, every topic config Kafka
// defines with its effective value; source DYNAMIC_TOPIC_CONFIG (1) for an
// override, STATIC_BROKER_CONFIG (4) for a broker-level default that
// server.properties changed, DEFAULT_CONFIG (5) otherwise; v0 has is_default
// instead (true unless the topic overrides it, as Kafka's client reads it). An invalid name is INVALID_TOPIC_EXCEPTION,
// an unknown topic UNKNOWN_TOPIC_OR_PARTITION.
// BROKER (4): named by this broker's id, the static broker configs by Kafka's
// names (read-only: samsa has no dynamic broker configs); "" is the
// cluster-wide dynamic default set, which is empty; another id is
// INVALID_REQUEST, as Kafka says. Any other resource type (BROKER_LOGGER
// included) is INVALID_REQUEST.
// configuration_keys null (or empty) lists every config, else only those
// named. Synonyms when include_synonyms (v1+); config_type from v3;
// documentation is always null (samsa carries no config documentation).
#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "broker/topic_registry.h"
#include "kafka/messages/describe_configs.h"
#include "kafka/server/handlers/admin_util.h"
#include "samsa/errors.h"
#include "util/status_macros.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace describe_configs_handler {

using Request = DescribeConfigsRequest;
using Response = DescribeConfigsResponse;

absl::StatusOr<std::vector<DescribedConfig>> ConfigsOf(Broker::Impl* broker,
                                                       const Request::DescribeConfigsResource& r) {
  switch (r.resource_type) {
    case kResourceTopic: {
      SAMSA_RETURN_IF_ERROR(ValidateTopicName(r.resource_name));
      SAMSA_ASSIGN_OR_RETURN(std::vector<ConfigEntry> entries, broker->DescribeTopicConfigs(r.resource_name));
      return DescribeTopicConfigEntries(broker->config(), entries);
    }
    case kResourceBroker:
      SAMSA_RETURN_IF_ERROR(CheckBrokerResourceName(*broker, r.resource_name));
      if (r.resource_name.empty()) return std::vector<DescribedConfig>{};  // no dynamic defaults
      return DescribeBrokerConfigEntries(broker->config());
    default:
      return KafkaError(ErrorCode::kInvalidRequest,
                        fmt::format("Unsupported resource type: {}", static_cast<int>(r.resource_type)));
  }
}

Response Handle(const RequestContext& ctx, Request& request) {
  Broker::Impl* broker = ctx.server->broker();
  const bool synonyms = ctx.api_version() >= 1 && request.include_synonyms;
  Response response;
  for (const Request::DescribeConfigsResource& r : request.resources) {
    Response::DescribeConfigsResult result;
    result.resource_type = r.resource_type;
    result.resource_name = r.resource_name;
    absl::StatusOr<std::vector<DescribedConfig>> configs = ConfigsOf(broker, r);
    result.error_code = ErrorCodeFor(configs.status());
    result.error_message = ErrorMessageFor(configs.status());
    if (configs.ok()) {
      const bool all = !r.configuration_keys || r.configuration_keys->empty();
      for (const DescribedConfig& d : *configs) {
        if (!all && std::find(r.configuration_keys->begin(), r.configuration_keys->end(), d.name) ==
                        r.configuration_keys->end()) {
          continue;
        }
        Response::DescribeConfigsResourceResult c;
        c.name = d.name;
        c.value = d.value;
        c.read_only = d.read_only;
        // v0 only. Kafka's client reads is_default=false as TOPIC_CONFIG for a
        // topic and STATIC_BROKER_CONFIG for a broker, so a topic config is
        // "default" unless the topic overrides it.
        c.is_default = ctx.api_version() == 0 && (r.resource_type == kResourceTopic
                                                      ? d.source != kSourceDynamicTopicConfig
                                                      : d.source == kSourceDefaultConfig);
        c.config_source = d.source;
        c.is_sensitive = d.sensitive;
        c.config_type = static_cast<int8_t>(d.type);
        c.documentation = std::nullopt;
        if (synonyms) {
          for (const ConfigSynonym& s : d.synonyms) {
            Response::DescribeConfigsSynonym synonym;
            synonym.name = s.name;
            synonym.value = s.value;
            synonym.source = s.source;
            c.synonyms.push_back(std::move(synonym));
          }
        }
        result.configs.push_back(std::move(c));
      }
    }
    response.results.push_back(std::move(result));
  }
  return response;
}

}  // namespace describe_configs_handler
}  // namespace

ApiHandler DescribeConfigsHandler() {
  using namespace describe_configs_handler;
  return TypedHandler<Request, Response>(0, 4, Handle);
}

}  // namespace samsa::kafka
