// What the admin API handlers share: their ApiHandler factories (one file
// each: create_topics.cc, delete_topics.cc, create_partitions.cc,
// describe_configs.cc, alter_configs.cc, incremental_alter_configs.cc,
// delete_records.cc), Kafka's config-resource numbering, configs described
// as DescribeConfigs / CreateTopics v5+ report them (source, type,
// synonyms), topic-config replacement for AlterConfigs and
// IncrementalAlterConfigs, topic ids as Uuids, and a status as a response's
// error code and message.
//
// Thread-safety: pure functions; the Broker::Impl calls are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "broker/broker_impl.h"
#include "kafka/protocol/wire_types.h"
#include "kafka/server/handler.h"
#include "samsa/config.h"

namespace samsa::kafka {

ApiHandler CreateTopicsHandler();
ApiHandler DeleteTopicsHandler();
ApiHandler CreatePartitionsHandler();
ApiHandler DescribeConfigsHandler();
ApiHandler AlterConfigsHandler();
ApiHandler IncrementalAlterConfigsHandler();
ApiHandler DeleteRecordsHandler();

// org.apache.kafka.common.config.ConfigResource.Type ids.
inline constexpr int8_t kResourceTopic = 2;
inline constexpr int8_t kResourceBroker = 4;
inline constexpr int8_t kResourceBrokerLogger = 8;

// DescribeConfigsResponse.ConfigSource ids.
inline constexpr int8_t kSourceDynamicTopicConfig = 1;
inline constexpr int8_t kSourceStaticBrokerConfig = 4;
inline constexpr int8_t kSourceDefaultConfig = 5;

// DescribeConfigsResponse.ConfigType ids.
enum class ConfigType : int8_t {
  kUnknown = 0, kBoolean = 1, kString = 2, kInt = 3, kShort = 4,
  kLong = 5, kDouble = 6, kList = 7, kClass = 8, kPassword = 9,
};

struct ConfigSynonym {
  std::string name;
  std::optional<std::string> value;
  int8_t source = kSourceDefaultConfig;
};

// One config as DescribeConfigs reports it.
struct DescribedConfig {
  std::string name;
  std::optional<std::string> value;  // null: unset (a broker config with no value)
  int8_t source = kSourceDefaultConfig;
  bool read_only = false;
  bool sensitive = false;
  ConfigType type = ConfigType::kUnknown;
  // Kafka's order: the config itself first, then what it falls back to.
  std::vector<ConfigSynonym> synonyms;
};

// A topic's configs (`entries` from Broker::Impl::DescribeTopicConfigs or
// DescribeTopicConfig) with Kafka's sources: an override is
// DYNAMIC_TOPIC_CONFIG; a default that the broker's server.properties moved
// away from Kafka's own default is STATIC_BROKER_CONFIG (its synonym names the
// broker config, e.g. log.retention.ms for retention.ms); else DEFAULT_CONFIG.
std::vector<DescribedConfig> DescribeTopicConfigEntries(const BrokerConfig& broker,
                                                        const std::vector<ConfigEntry>& entries);

// The configs a topic created with `overrides` would have (CreateTopics v5+),
// or INVALID_CONFIG. The samsa.storage key is not a log config and is skipped.
absl::StatusOr<std::vector<DescribedConfig>> DescribeNewTopicConfigs(const BrokerConfig& broker,
                                                                     const Properties& overrides);

// The broker's static configs by Kafka's names (broker.id, listeners,
// log.dirs, log.retention.hours, num.partitions, ...), all read-only (samsa
// has no dynamic broker configs): STATIC_BROKER_CONFIG when the value differs
// from Kafka's default, DEFAULT_CONFIG otherwise.
std::vector<DescribedConfig> DescribeBrokerConfigEntries(const BrokerConfig& broker);

// Kafka's type of a topic config (kUnknown for a name Kafka does not define).
ConfigType TopicConfigType(std::string_view name);

// Replaces the dynamic configs of `topic` with `overrides` (configs not in it
// are removed), or only checks that it could when `validate_only`. Errors:
// INVALID_TOPIC_EXCEPTION, UNKNOWN_TOPIC_OR_PARTITION, INVALID_CONFIG.
absl::Status ReplaceTopicConfigs(Broker::Impl* broker, std::string_view topic,
                                 const Properties& overrides, bool validate_only);

// The current dynamic configs (overrides) of `topic`.
absl::StatusOr<Properties> TopicOverrides(Broker::Impl* broker, std::string_view topic);

// Checks a BROKER resource name against this broker: "" (the cluster-wide
// default) or this broker's id. INVALID_REQUEST otherwise, in Kafka's words.
absl::Status CheckBrokerResourceName(const Broker::Impl& broker, std::string_view name);

// AlterConfigs / IncrementalAlterConfigs on anything but a topic: a BROKER
// resource (named as CheckBrokerResourceName wants) accepts an empty change
// and refuses config `names` (no dynamic broker configs); other resource
// types are INVALID_REQUEST.
absl::Status AlterNonTopicConfigs(const Broker::Impl& broker, int8_t resource_type,
                                  std::string_view resource_name, const std::set<std::string>& names);

// A status as a response's error code / message (null when OK; Kafka's own
// message, without the "ERROR_NAME: " prefix KafkaError adds).
int16_t ErrorCodeFor(const absl::Status& status);
std::optional<std::string> ErrorMessageFor(const absl::Status& status);

}  // namespace samsa::kafka
