// Topic-level configs: Kafka's topic config names over the broker's log.*
// defaults, turned into the LogConfig a partition's log runs with.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "log/log_config.h"
#include "samsa/config.h"

namespace samsa {

// The topic defaults a broker's settings give (segment.bytes from
// log.segment.bytes, retention.ms from log.retention.*, ...).
LogConfig DefaultLogConfig(const BrokerConfig& broker);
// The log cleaner's settings from the broker's log.cleaner.* keys.
LogCleanerConfig CleanerConfigFor(const BrokerConfig& broker);

// The topic config names Kafka defines (cleanup.policy, retention.ms, ...).
const std::vector<std::string>& TopicConfigNames();

// `defaults` with topic-level overrides applied. An unknown key or a bad value
// is INVALID_CONFIG naming the key ("Unknown topic config name: x").
absl::StatusOr<LogConfig> ApplyTopicConfigs(const LogConfig& defaults, const Properties& overrides);

// Every topic config's effective value, marking those the topic overrides.
std::vector<ConfigEntry> DescribeTopicConfig(const LogConfig& effective, const Properties& overrides);

}  // namespace samsa
