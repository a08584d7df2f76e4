#include "kafka/server/handlers/admin_util.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "broker/topic_registry.h"
#include "config/topic_config.h"
#include "samsa/errors.h"
#include "util/status_macros.h"

namespace samsa::kafka {
namespace {

// Kafka's LogConfig.TopicConfigSynonyms: the broker config each topic
// config falls back to.
const std::map<std::string, std::string, std::less<>>& BrokerSynonyms() {
  static const auto* synonyms = new std::map<std::string, std::string, std::less<>>{
      {"cleanup.policy", "log.cleanup.policy"},
      {"compression.type", "compression.type"},
      {"delete.retention.ms", "log.cleaner.delete.retention.ms"},
      {"file.delete.delay.ms", "log.segment.delete.delay.ms"},
      {"flush.messages", "log.flush.interval.messages"},
      {"flush.ms", "log.flush.interval.ms"},
      {"index.interval.bytes", "log.index.interval.bytes"},
      {"local.retention.bytes", "log.local.retention.bytes"},
      {"local.retention.ms", "log.local.retention.ms"},
      {"max.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms"},
      {"max.message.bytes", "message.max.bytes"},
      {"message.downconversion.enable", "log.message.downconversion.enable"},
      {"message.format.version", "log.message.format.version"},
      {"message.timestamp.after.max.ms", "log.message.timestamp.after.max.ms"},
      {"message.timestamp.before.max.ms", "log.message.timestamp.before.max.ms"},
      {"message.timestamp.difference.max.ms", "log.message.timestamp.difference.max.ms"},
      {"message.timestamp.type", "log.message.timestamp.type"},
      {"min.cleanable.dirty.ratio", "log.cleaner.min.cleanable.ratio"},
      {"min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms"},
      {"min.insync.replicas", "min.insync.replicas"},
      {"preallocate", "log.preallocate"},
      {"retention.bytes", "log.retention.bytes"},
      {"retention.ms", "log.retention.ms"},
      {"segment.bytes", "log.segment.bytes"},
      {"segment.index.bytes", "log.index.size.max.bytes"},
      {"segment.jitter.ms", "log.roll.jitter.ms"},
      {"segment.ms", "log.roll.ms"},
      {"unclean.leader.election.enable", "unclean.leader.election.enable"},
  };
  return *synonyms;
}

// Each topic config's value under Kafka's own broker defaults.
const std::map<std::string, std::string>& KafkaTopicDefaults() {
  static const auto* defaults = [] {
    auto* m = new std::map<std::string, std::string>;
    for (const ConfigEntry& e : DescribeTopicConfig(DefaultLogConfig(BrokerConfig{}), {})) {
      (*m)[e.name] = e.value;
    }
    return m;
  }();
  return *defaults;
}

std::optional<std::string> OptionalString(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

template <typename T>
std::optional<std::string> OptionalNumber(const std::optional<T>& v) {
  if (!v) return std::nullopt;
  return std::to_string(*v);
}

std::string Bool(bool b) { return b ? "true" : "false"; }

std::string Double(double d) {
  std::string s = fmt::format("{}", d);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

struct BrokerConfigValue {
  const char* name;
  std::optional<std::string> value;
  ConfigType type;
};

std::vector<BrokerConfigValue> BrokerConfigValues(const BrokerConfig& c) {
  using T = ConfigType;
  return {
      {"advertised.listeners", OptionalString(c.advertised_listeners), T::kString},
      {"auto.create.topics.enable", Bool(c.auto_create_topics_enable), T::kBoolean},
      {"background.threads", std::to_string(c.background_threads), T::kInt},
      {"broker.id", std::to_string(c.broker_id), T::kInt},
      {"compression.type", c.compression_type, T::kString},
      {"connections.max.idle.ms", std::to_string(c.connections_max_idle_ms), T::kLong},
      {"default.replication.factor", std::to_string(c.default_replication_factor), T::kInt},
      {"delete.topic.enable", Bool(c.delete_topic_enable), T::kBoolean},
      {"group.initial.rebalance.delay.ms", std::to_string(c.group_initial_rebalance_delay_ms), T::kInt},
      {"group.max.session.timeout.ms", std::to_string(c.group_max_session_timeout_ms), T::kInt},
      {"group.max.size", std::to_string(c.group_max_size), T::kInt},
      {"group.min.session.timeout.ms", std::to_string(c.group_min_session_timeout_ms), T::kInt},
      {"listener.security.protocol.map", OptionalString(c.listener_security_protocol_map), T::kString},
      {"listeners", c.listeners, T::kString},
      {"log.cleaner.backoff.ms", std::to_string(c.log_cleaner_backoff_ms), T::kLong},
      {"log.cleaner.dedupe.buffer.size", std::to_string(c.log_cleaner_dedupe_buffer_size), T::kLong},
      {"log.cleaner.delete.retention.ms", std::to_string(c.log_cleaner_delete_retention_ms), T::kLong},
      {"log.cleaner.enable", Bool(c.log_cleaner_enable), T::kBoolean},
      {"log.cleaner.io.buffer.load.factor", Double(c.log_cleaner_io_buffer_load_factor), T::kDouble},
      {"log.cleaner.max.compaction.lag.ms", std::to_string(c.log_cleaner_max_compaction_lag_ms), T::kLong},
      {"log.cleaner.min.cleanable.ratio", Double(c.log_cleaner_min_cleanable_ratio), T::kDouble},
      {"log.cleaner.min.compaction.lag.ms", std::to_string(c.log_cleaner_min_compaction_lag_ms), T::kLong},
      {"log.cleaner.threads", std::to_string(c.log_cleaner_threads), T::kInt},
      {"log.cleanup.policy", c.log_cleanup_policy, T::kList},
      {"log.dir", c.log_dir, T::kString},
      {"log.dirs", OptionalString(c.log_dirs), T::kString},
      {"log.flush.interval.messages", std::to_string(c.log_flush_interval_messages), T::kLong},
      {"log.flush.interval.ms", OptionalNumber(c.log_flush_interval_ms), T::kLong},
      {"log.flush.offset.checkpoint.interval.ms", std::to_string(c.log_flush_offset_checkpoint_interval_ms), T::kInt},
      {"log.flush.scheduler.interval.ms", std::to_string(c.log_flush_scheduler_interval_ms), T::kLong},
      {"log.flush.start.offset.checkpoint.interval.ms",
       std::to_string(c.log_flush_start_offset_checkpoint_interval_ms), T::kInt},
      {"log.index.interval.bytes", std::to_string(c.log_index_interval_bytes), T::kInt},
      {"log.index.size.max.bytes", std::to_string(c.log_index_size_max_bytes), T::kInt},
      {"log.message.downconversion.enable", Bool(c.log_message_downconversion_enable), T::kBoolean},
      {"log.message.timestamp.after.max.ms", std::to_string(c.log_message_timestamp_after_max_ms), T::kLong},
      {"log.message.timestamp.before.max.ms", std::to_string(c.log_message_timestamp_before_max_ms), T::kLong},
      {"log.message.timestamp.difference.max.ms", std::to_string(c.log_message_timestamp_difference_max_ms),
       T::kLong},
      {"log.message.timestamp.type", c.log_message_timestamp_type, T::kString},
      {"log.retention.bytes", std::to_string(c.log_retention_bytes), T::kLong},
      {"log.retention.check.interval.ms", std::to_string(c.log_retention_check_interval_ms), T::kLong},
      {"log.retention.hours", std::to_string(c.log_retention_hours), T::kInt},
      {"log.retention.minutes", OptionalNumber(c.log_retention_minutes), T::kInt},
      {"log.retention.ms", OptionalNumber(c.log_retention_ms), T::kLong},
      {"log.roll.hours", std::to_string(c.log_roll_hours), T::kInt},
      {"log.roll.jitter.hours", std::to_string(c.log_roll_jitter_hours), T::kInt},
      {"log.roll.jitter.ms", OptionalNumber(c.log_roll_jitter_ms), T::kLong},
      {"log.roll.ms", OptionalNumber(c.log_roll_ms), T::kLong},
      {"log.segment.bytes", std::to_string(c.log_segment_bytes), T::kInt},
      {"log.segment.delete.delay.ms", std::to_string(c.log_segment_delete_delay_ms), T::kLong},
      {"max.incremental.fetch.session.cache.slots", std::to_string(c.max_incremental_fetch_session_cache_slots),
       T::kInt},
      {"message.max.bytes", std::to_string(c.message_max_bytes), T::kInt},
      {"min.insync.replicas", std::to_string(c.min_insync_replicas), T::kInt},
      {"num.io.threads", std::to_string(c.num_io_threads), T::kInt},
      {"num.network.threads", std::to_string(c.num_network_threads), T::kInt},
      {"num.partitions", std::to_string(c.num_partitions), T::kInt},
      {"num.recovery.threads.per.data.dir", std::to_string(c.num_recovery_threads_per_data_dir), T::kInt},
      {"offsets.commit.timeout.ms", std::to_string(c.offsets_commit_timeout_ms), T::kInt},
      {"offsets.retention.check.interval.ms", std::to_string(c.offsets_retention_check_interval_ms), T::kLong},
      {"offsets.retention.minutes", std::to_string(c.offsets_retention_minutes), T::kInt},
      {"offsets.topic.num.partitions", std::to_string(c.offsets_topic_num_partitions), T::kInt},
      {"offsets.topic.replication.factor", std::to_string(c.offsets_topic_replication_factor), T::kShort},
      {"offsets.topic.segment.bytes", std::to_string(c.offsets_topic_segment_bytes), T::kInt},
      {"producer.id.expiration.ms", std::to_string(c.producer_id_expiration_ms), T::kInt},
      {"queued.max.requests", std::to_string(c.queued_max_requests), T::kInt},
      {"replica.lag.time.max.ms", std::to_string(c.replica_lag_time_max_ms), T::kLong},
      {"sasl.enabled.mechanisms", c.sasl_enabled_mechanisms, T::kList},
      {"socket.receive.buffer.bytes", std::to_string(c.socket_receive_buffer_bytes), T::kInt},
      {"socket.request.max.bytes", std::to_string(c.socket_request_max_bytes), T::kInt},
      {"socket.send.buffer.bytes", std::to_string(c.socket_send_buffer_bytes), T::kInt},
      {"unclean.leader.election.enable", Bool(c.unclean_leader_election_enable), T::kBoolean},
      {"zookeeper.connect", OptionalString(c.zookeeper_connect), T::kString},
      {"zookeeper.session.timeout.ms", std::to_string(c.zookeeper_session_timeout_ms), T::kInt},
  };
}

}  // namespace

ConfigType TopicConfigType(std::string_view name) {
  static const auto* types = new std::map<std::string, ConfigType, std::less<>>{
      {"cleanup.policy", ConfigType::kList},
      {"compression.type", ConfigType::kString},
      {"delete.retention.ms", ConfigType::kLong},
      {"file.delete.delay.ms", ConfigType::kLong},
      {"flush.messages", ConfigType::kLong},
      {"flush.ms", ConfigType::kLong},
      {"follower.replication.throttled.replicas", ConfigType::kList},
      {"index.interval.bytes", ConfigType::kInt},
      {"leader.replication.throttled.replicas", ConfigType::kList},
      {"local.retention.bytes", ConfigType::kLong},
      {"local.retention.ms", ConfigType::kLong},
      {"max.compaction.lag.ms", ConfigType::kLong},
      {"max.message.bytes", ConfigType::kInt},
      {"message.downconversion.enable", ConfigType::kBoolean},
      {"message.format.version", ConfigType::kString},
      {"message.timestamp.after.max.ms", ConfigType::kLong},
      {"message.timestamp.before.max.ms", ConfigType::kLong},
      {"message.timestamp.difference.max.ms", ConfigType::kLong},
      {"message.timestamp.type", ConfigType::kString},
      {"min.cleanable.dirty.ratio", ConfigType::kDouble},
      {"min.compaction.lag.ms", ConfigType::kLong},
      {"min.insync.replicas", ConfigType::kInt},
      {"preallocate", ConfigType::kBoolean},
      {"remote.storage.enable", ConfigType::kBoolean},
      {"retention.bytes", ConfigType::kLong},
      {"retention.ms", ConfigType::kLong},
      {"segment.bytes", ConfigType::kInt},
      {"segment.index.bytes", ConfigType::kInt},
      {"segment.jitter.ms", ConfigType::kLong},
      {"segment.ms", ConfigType::kLong},
      {"unclean.leader.election.enable", ConfigType::kBoolean},
  };
  auto it = types->find(name);
  return it == types->end() ? ConfigType::kUnknown : it->second;
}

std::vector<DescribedConfig> DescribeTopicConfigEntries(const BrokerConfig& broker,
                                                        const std::vector<ConfigEntry>& entries) {
  // The broker-level value each topic config falls back to on this broker.
  std::map<std::string, std::string> broker_defaults;
  for (const ConfigEntry& e : DescribeTopicConfig(DefaultLogConfig(broker), {})) {
    broker_defaults[e.name] = e.value;
  }
  const auto& kafka_defaults = KafkaTopicDefaults();
  std::vector<DescribedConfig> out;
  out.reserve(entries.size());
  for (const ConfigEntry& e : entries) {
    DescribedConfig d;
    d.name = e.name;
    d.value = e.value;
    d.read_only = e.read_only;
    d.sensitive = e.sensitive;
    d.type = TopicConfigType(e.name);
    auto fallback = broker_defaults.find(e.name);
    auto kafka_default = kafka_defaults.find(e.name);
    const bool broker_set = fallback != broker_defaults.end() && kafka_default != kafka_defaults.end() &&
                            fallback->second != kafka_default->second;
    auto synonym = BrokerSynonyms().find(e.name);
    if (e.source == ConfigEntry::Source::kDynamicTopicConfig) {
      d.source = kSourceDynamicTopicConfig;
      d.synonyms.push_back({e.name, e.value, kSourceDynamicTopicConfig});
    } else if (broker_set || e.source == ConfigEntry::Source::kStaticBrokerConfig) {
      d.source = kSourceStaticBrokerConfig;
    } else {
      d.source = kSourceDefaultConfig;
    }
    if (fallback != broker_defaults.end()) {
      const int8_t source = broker_set ? kSourceStaticBrokerConfig : kSourceDefaultConfig;
      const std::string name = synonym != BrokerSynonyms().end() ? synonym->second : e.name;
      d.synonyms.push_back({name, fallback->second, source});
    }
    out.push_back(std::move(d));
  }
  return out;
}

absl::StatusOr<std::vector<DescribedConfig>> DescribeNewTopicConfigs(const BrokerConfig& broker,
                                                                     const Properties& overrides) {
  Properties log_overrides = overrides;
  log_overrides.erase(kStorageConfig);
  SAMSA_ASSIGN_OR_RETURN(LogConfig effective, ApplyTopicConfigs(DefaultLogConfig(broker), log_overrides));
  return DescribeTopicConfigEntries(broker, DescribeTopicConfig(effective, log_overrides));
}

std::vector<DescribedConfig> DescribeBrokerConfigEntries(const BrokerConfig& broker) {
  const std::vector<BrokerConfigValue> defaults = BrokerConfigValues(BrokerConfig{});
  const std::vector<BrokerConfigValue> values = BrokerConfigValues(broker);
  std::vector<DescribedConfig> out;
  out.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    DescribedConfig d;
    d.name = values[i].name;
    d.value = values[i].value;
    d.type = values[i].type;
    d.read_only = true;
    d.source = values[i].value != defaults[i].value ? kSourceStaticBrokerConfig : kSourceDefaultConfig;
    if (d.source == kSourceStaticBrokerConfig) d.synonyms.push_back({d.name, d.value, d.source});
    if (defaults[i].value) d.synonyms.push_back({d.name, defaults[i].value, kSourceDefaultConfig});
    out.push_back(std::move(d));
  }
  return out;
}

absl::StatusOr<Properties> TopicOverrides(Broker::Impl* broker, std::string_view topic) {
  SAMSA_RETURN_IF_ERROR(ValidateTopicName(topic));
  SAMSA_ASSIGN_OR_RETURN(TopicDescription description, broker->DescribeTopic(topic));
  return Properties(description.configs.begin(), description.configs.end());
}

absl::Status ReplaceTopicConfigs(Broker::Impl* broker, std::string_view topic,
                                 const Properties& overrides, bool validate_only) {
  SAMSA_ASSIGN_OR_RETURN(Properties current, TopicOverrides(broker, topic));
  // The same check the broker makes before it changes anything.
  SAMSA_RETURN_IF_ERROR(ApplyTopicConfigs(DefaultLogConfig(broker->config()), overrides).status());
  if (validate_only) return absl::OkStatus();
  std::map<std::string, std::optional<std::string>> changes;
  for (const auto& [name, value] : current) {
    if (overrides.count(name) == 0) changes[name] = std::nullopt;
  }
  for (const auto& [name, value] : overrides) changes[name] = value;
  if (changes.empty()) return absl::OkStatus();
  return broker->AlterTopicConfigs(topic, changes);
}

absl::Status CheckBrokerResourceName(const Broker::Impl& broker, std::string_view name) {
  if (name.empty()) return absl::OkStatus();
  int32_t id = 0;
  if (!absl::SimpleAtoi(std::string(name), &id)) {
    return KafkaError(ErrorCode::kInvalidRequest,
                      fmt::format("Broker id must be an integer, but it is: {}", name));
  }
  if (id != broker.broker_id()) {
    return KafkaError(ErrorCode::kInvalidRequest,
                      fmt::format("Unexpected broker id, expected {} or empty string, but received {}",
                                  broker.broker_id(), name));
  }
  return absl::OkStatus();
}

absl::Status AlterNonTopicConfigs(const Broker::Impl& broker, int8_t resource_type,
                                  std::string_view resource_name, const std::set<std::string>& names) {
  if (resource_type != kResourceBroker) {
    return KafkaError(ErrorCode::kInvalidRequest,
                      fmt::format("Unsupported resource type: {}", static_cast<int>(resource_type)));
  }
  SAMSA_RETURN_IF_ERROR(CheckBrokerResourceName(broker, resource_name));
  if (names.empty()) return absl::OkStatus();
  return KafkaError(ErrorCode::kInvalidRequest,
                    fmt::format("Cannot update these configs dynamically: {}", fmt::join(names, ",")));
}

int16_t ErrorCodeFor(const absl::Status& status) { return static_cast<int16_t>(ErrorCodeOf(status)); }

std::optional<std::string> ErrorMessageFor(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  std::string message(status.message());
  const std::string prefix = ErrorCodeName(ErrorCodeOf(status)) + ": ";
  if (message.compare(0, prefix.size(), prefix) == 0) message.erase(0, prefix.size());
  return message;
}

}  // namespace samsa::kafka
