// Topic-level configs (org.apache.kafka.common.config.TopicConfig) over the
// broker's defaults.
#include "config/topic_config.h"

#include <algorithm>

#include <fmt/format.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

#include "config/config_reader.h"
#include "samsa/errors.h"
#include "util/status_macros.h"

namespace samsa {
namespace {

using internal::ConfigReader;

// Keys Kafka defines that samsa stores and reports but that do not change
// how its logs behave (no tiered storage, throttling or down-conversion),
// with Kafka's defaults.
const std::map<std::string, std::string>& PassiveTopicConfigs() {
  static const auto* configs = new std::map<std::string, std::string>{
      {"follower.replication.throttled.replicas", ""},
      {"leader.replication.throttled.replicas", ""},
      {"local.retention.bytes", "-2"},
      {"local.retention.ms", "-2"},
      {"message.format.version", "3.0-IV1"},
      {"preallocate", "false"},
      {"remote.storage.enable", "false"},
      {"unclean.leader.election.enable", "false"},
  };
  return *configs;
}

std::string PolicyName(CleanupPolicy p) {
  switch (p) {
    case CleanupPolicy::kDelete: return "delete";
    case CleanupPolicy::kCompact: return "compact";
    case CleanupPolicy::kCompactDelete: return "compact,delete";
  }
  return "delete";
}

std::string DoubleName(double d) {
  std::string s = fmt::format("{}", d);
  if (s.find('.') == std::string::npos && s.find('e') == std::string::npos) s += ".0";
  return s;
}

}  // namespace

const std::vector<std::string>& TopicConfigNames() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>{
        "cleanup.policy", "compression.type", "delete.retention.ms", "file.delete.delay.ms",
        "flush.messages", "flush.ms", "index.interval.bytes", "max.compaction.lag.ms",
        "max.message.bytes",
        "message.downconversion.enable", "message.timestamp.after.max.ms",
        "message.timestamp.before.max.ms",
        "message.timestamp.difference.max.ms", "message.timestamp.type",
        "min.cleanable.dirty.ratio", "min.compaction.lag.ms",
        "min.insync.replicas", "retention.bytes", "retention.ms", "segment.bytes",
        "segment.index.bytes", "segment.jitter.ms", "segment.ms"};
    for (const auto& [name, value] : PassiveTopicConfigs()) v->push_back(name);
    std::sort(v->begin(), v->end());
    return v;
  }();
  return *names;
}

namespace {

// Kafka's ThrottledReplicaListValidator: split on ',', each item trimmed;
// valid when every item is empty or <digits>:<digits>, or when the items
// together are "*".
bool ThrottledReplicaListValid(std::string_view value) {
  std::string joined;
  bool all_replicas = true;
  const absl::string_view whole(value.data(), value.size());
  for (absl::string_view part : absl::StrSplit(whole, ',')) {
    const absl::string_view stripped = absl::StripAsciiWhitespace(part);
    const std::string_view item(stripped.data(), stripped.size());
    joined.append(item);
    if (item.empty()) continue;
    const size_t colon = item.find(':');
    const auto digits = [](std::string_view d) {
      return !d.empty() && std::all_of(d.begin(), d.end(), absl::ascii_isdigit);
    };
    if (colon == std::string_view::npos || !digits(item.substr(0, colon)) ||
        !digits(item.substr(colon + 1))) {
      all_replicas = false;
    }
  }
  return all_replicas || joined == "*";
}

}  // namespace

absl::StatusOr<LogConfig> ApplyTopicConfigs(const LogConfig& defaults, const Properties& overrides) {
  for (const auto& [key, value] : overrides) {
    const auto& names = TopicConfigNames();
    if (std::find(names.begin(), names.end(), key) == names.end()) {
      return KafkaError(ErrorCode::kInvalidConfig, fmt::format("Unknown topic config name: {}", key));
    }
  }
  LogConfig c = defaults;
  ConfigReader r(overrides);
  std::vector<std::string> policies;
  SAMSA_RETURN_IF_ERROR(r.List("cleanup.policy", &policies));
  if (overrides.count("cleanup.policy") != 0) {
    bool compact = false, del = false;
    for (const std::string& p : policies) {
      if (p == "compact") compact = true;
      else if (p == "delete") del = true;
      else return ConfigReader::Invalid("cleanup.policy", overrides.at("cleanup.policy"),
                                        "each item must be one of: delete, compact");
    }
    if (!compact && !del) {
      return ConfigReader::Invalid("cleanup.policy", overrides.at("cleanup.policy"), "empty list");
    }
    c.cleanup_policy = compact && del ? CleanupPolicy::kCompactDelete
                                      : compact ? CleanupPolicy::kCompact : CleanupPolicy::kDelete;
  }
  SAMSA_RETURN_IF_ERROR(r.String("compression.type", &c.compression_type,
                                 {"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"}));
  SAMSA_RETURN_IF_ERROR(r.Long("delete.retention.ms", &c.delete_retention_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Long("file.delete.delay.ms", &c.file_delete_delay_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Long("flush.messages", &c.flush_messages, 1));
  SAMSA_RETURN_IF_ERROR(r.Long("flush.ms", &c.flush_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("index.interval.bytes", &c.index_interval_bytes, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("max.message.bytes", &c.max_message_bytes, 0));
  std::string timestamp_type;
  SAMSA_RETURN_IF_ERROR(r.String("message.timestamp.type", &timestamp_type, {"CreateTime", "LogAppendTime"}));
  if (!timestamp_type.empty()) {
    c.message_timestamp_type = timestamp_type == "LogAppendTime" ? record::TimestampType::kLogAppendTime
                                                                 : record::TimestampType::kCreateTime;
  }
  SAMSA_RETURN_IF_ERROR(r.Double("min.cleanable.dirty.ratio", &c.min_cleanable_dirty_ratio, 0, 1));
  SAMSA_RETURN_IF_ERROR(r.Long("min.compaction.lag.ms", &c.min_compaction_lag_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("min.insync.replicas", &c.min_insync_replicas, 1));
  SAMSA_RETURN_IF_ERROR(r.Long("retention.bytes", &c.retention_bytes));
  SAMSA_RETURN_IF_ERROR(r.Long("retention.ms", &c.retention_ms, -1));
  int32_t segment_bytes = static_cast<int32_t>(std::min<int64_t>(c.segment_bytes, kIntMax));
  SAMSA_RETURN_IF_ERROR(r.Int("segment.bytes", &segment_bytes, 14));
  c.segment_bytes = segment_bytes;
  int32_t segment_index_bytes = static_cast<int32_t>(std::min<int64_t>(c.segment_index_bytes, kIntMax));
  SAMSA_RETURN_IF_ERROR(r.Int("segment.index.bytes", &segment_index_bytes, 4));
  c.segment_index_bytes = segment_index_bytes;
  SAMSA_RETURN_IF_ERROR(r.Long("segment.jitter.ms", &c.segment_jitter_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Long("segment.ms", &c.segment_ms, 1));
  // Check the passive keys' types too, so a bad value is refused as Kafka would.
  SAMSA_RETURN_IF_ERROR(r.Long("max.compaction.lag.ms", &c.max_compaction_lag_ms, 1));
  SAMSA_RETURN_IF_ERROR(
      r.Long("message.timestamp.difference.max.ms", &c.timestamp_difference_max_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Long("message.timestamp.before.max.ms", &c.timestamp_before_max_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Long("message.timestamp.after.max.ms", &c.timestamp_after_max_ms, 0));
  for (const char* key : {"local.retention.bytes", "local.retention.ms"}) {
    int64_t ignored = 0;
    SAMSA_RETURN_IF_ERROR(r.Long(key, &ignored, -2));
  }
  SAMSA_RETURN_IF_ERROR(r.Bool("message.downconversion.enable", &c.message_downconversion_enable));
  for (const char* key :
       {"preallocate", "remote.storage.enable", "unclean.leader.election.enable"}) {
    bool ignored = false;
    SAMSA_RETURN_IF_ERROR(r.Bool(key, &ignored));
  }
  for (const char* key :
       {"leader.replication.throttled.replicas", "follower.replication.throttled.replicas"}) {
    auto it = overrides.find(key);
    if (it != overrides.end() && !ThrottledReplicaListValid(it->second)) {
      return ConfigReader::Invalid(
          key, it->second,
          fmt::format("{} must be the literal '*' or a list of replicas in the following format: "
                      "[partitionId]:[brokerId],[partitionId]:[brokerId],...",
                      key));
    }
  }
  return c;
}

std::vector<ConfigEntry> DescribeTopicConfig(const LogConfig& c, const Properties& overrides) {
  std::map<std::string, std::string> effective = {
      {"cleanup.policy", PolicyName(c.cleanup_policy)},
      {"compression.type", c.compression_type},
      {"delete.retention.ms", std::to_string(c.delete_retention_ms)},
      {"file.delete.delay.ms", std::to_string(c.file_delete_delay_ms)},
      {"flush.messages", std::to_string(c.flush_messages)},
      {"flush.ms", std::to_string(c.flush_ms)},
      {"index.interval.bytes", std::to_string(c.index_interval_bytes)},
      {"max.compaction.lag.ms", std::to_string(c.max_compaction_lag_ms)},
      {"max.message.bytes", std::to_string(c.max_message_bytes)},
      {"message.downconversion.enable", c.message_downconversion_enable ? "true" : "false"},
      {"message.timestamp.after.max.ms", std::to_string(c.timestamp_after_max_ms)},
      {"message.timestamp.before.max.ms", std::to_string(c.timestamp_before_max_ms)},
      {"message.timestamp.difference.max.ms", std::to_string(c.timestamp_difference_max_ms)},
      {"message.timestamp.type", c.message_timestamp_type == record::TimestampType::kLogAppendTime
                                     ? "LogAppendTime" : "CreateTime"},
      {"min.cleanable.dirty.ratio", DoubleName(c.min_cleanable_dirty_ratio)},
      {"min.compaction.lag.ms", std::to_string(c.min_compaction_lag_ms)},
      {"min.insync.replicas", std::to_string(c.min_insync_replicas)},
      {"retention.bytes", std::to_string(c.retention_bytes)},
      {"retention.ms", std::to_string(c.retention_ms)},
      {"segment.bytes", std::to_string(c.segment_bytes)},
      {"segment.index.bytes", std::to_string(c.segment_index_bytes)},
      {"segment.jitter.ms", std::to_string(c.segment_jitter_ms)},
      {"segment.ms", std::to_string(c.segment_ms)},
  };
  for (const auto& [name, value] : PassiveTopicConfigs()) effective[name] = value;
  std::vector<ConfigEntry> entries;
  for (const std::string& name : TopicConfigNames()) {
    ConfigEntry e;
    e.name = name;
    auto o = overrides.find(name);
    if (o != overrides.end()) {
      e.value = o->second;
      e.source = ConfigEntry::Source::kDynamicTopicConfig;
      e.is_default = false;
    } else {
      e.value = effective[name];
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

}  // namespace samsa
