// IncrementalAlterConfigs (api key 44), v0-1: per-config operations on a
// topic's dynamic configs, keeping the ones not named (unlike AlterConfigs).
//
// Operations, as Kafka's: SET (0) a value; DELETE (1) the override (back to
// the default); APPEND (2) / SUBTRACT (3) items of a list-type config
// (cleanup.policy, *.replication.throttled.replicas), starting from the
// current value (the override, else the effective default); on another type
// INVALID_REQUEST, on an unknown name INVALID_CONFIG (Kafka's ConfigHelper).
// An unknown operation, a null value for SET/APPEND/SUBTRACT or a key named
// twice is INVALID_REQUEST. The result is checked as a whole
// (INVALID_CONFIG changes nothing); validate_only checks without changing.
// BROKER (4) and other resources: as AlterConfigs (no dynamic broker configs).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "absl/strings/str_split.h"
#include "kafka/messages/incremental_alter_configs.h"
#include "kafka/server/handlers/admin_util.h"
#include "samsa/errors.h"
#include "util/status_macros.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace incremental_alter_configs_handler {

using Request = IncrementalAlterConfigsRequest;
using Response = IncrementalAlterConfigsResponse;

enum Op : int8_t { kSet = 0, kDelete = 1, kAppend = 2, kSubtract = 3 };

std::vector<std::string> SplitList(const std::string& value) {
  std::vector<std::string> items;
  for (const auto& item : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
    items.emplace_back(item.data(), item.size());
  }
  return items;
}

std::string JoinList(const std::vector<std::string>& items) { return fmt::format("{}", fmt::join(items, ",")); }

absl::Status AlterTopic(Broker::Impl* broker, const Request::AlterConfigsResource& r, bool validate_only) {
  SAMSA_ASSIGN_OR_RETURN(Properties overrides, TopicOverrides(broker, r.resource_name));
  std::vector<ConfigEntry> effective;
  for (const Request::AlterableConfig& c : r.configs) {
    switch (c.config_operation) {
      case kSet:
        overrides[c.name] = *c.value;
        break;
      case kDelete:
        overrides.erase(c.name);
        break;
      case kAppend:
      case kSubtract: {
        const ConfigType type = TopicConfigType(c.name);
        if (type == ConfigType::kUnknown) {
          return KafkaError(ErrorCode::kInvalidConfig, fmt::format("Unknown topic config name: {}", c.name));
        }
        if (type != ConfigType::kList) {
          return KafkaError(ErrorCode::kInvalidRequest,
                            fmt::format("Config value {} is not allowed for config key: {}",
                                        c.config_operation == kAppend ? "append" : "subtract", c.name));
        }
        std::string current;
        if (auto it = overrides.find(c.name); it != overrides.end()) {
          current = it->second;
        } else {
          if (effective.empty()) {
            SAMSA_ASSIGN_OR_RETURN(effective, broker->DescribeTopicConfigs(r.resource_name));
          }
          for (const ConfigEntry& e : effective) {
            if (e.name == c.name) current = e.value;
          }
        }
        std::vector<std::string> items = SplitList(current);
        const std::vector<std::string> operand = SplitList(*c.value);
        if (c.config_operation == kAppend) {
          for (const std::string& item : operand) {
            if (std::find(items.begin(), items.end(), item) == items.end()) items.push_back(item);
          }
        } else {
          items.erase(std::remove_if(items.begin(), items.end(),
                                     [&](const std::string& item) {
                                       return std::find(operand.begin(), operand.end(), item) != operand.end();
                                     }),
                      items.end());
        }
        overrides[c.name] = JoinList(items);
        break;
      }
    }
  }
  return ReplaceTopicConfigs(broker, r.resource_name, overrides, validate_only);
}

absl::Status AlterOne(Broker::Impl* broker, const Request::AlterConfigsResource& r, bool validate_only) {
  std::set<std::string> names;
  for (const Request::AlterableConfig& c : r.configs) {
    if (!names.insert(c.name).second) {
      return KafkaError(ErrorCode::kInvalidRequest, "Error due to duplicate config keys");
    }
    if (c.config_operation < kSet || c.config_operation > kSubtract) {
      return KafkaError(ErrorCode::kInvalidRequest,
                        fmt::format("Unknown alter config operation type: {}", static_cast<int>(c.config_operation)));
    }
    if (c.config_operation != kDelete && !c.value) {
      return KafkaError(ErrorCode::kInvalidRequest, fmt::format("Null value not supported for : {}", c.name));
    }
  }
  switch (r.resource_type) {
    case kResourceTopic:
      return AlterTopic(broker, r, validate_only);
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

}  // namespace incremental_alter_configs_handler
}  // namespace

ApiHandler IncrementalAlterConfigsHandler() {
  using namespace incremental_alter_configs_handler;
  return TypedHandler<Request, Response>(0, 1, Handle);
}

}  // namespace samsa::kafka
