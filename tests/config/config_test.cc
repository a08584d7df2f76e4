#include <catch2/catch.hpp>

#include "config/topic_config.h"
#include "samsa/config.h"
#include "samsa/errors.h"

namespace samsa {
namespace {

Properties LoadData(const std::string& name) {
  absl::StatusOr<Properties> props =
      LoadPropertiesFile(Env::Default(), std::string(SAMSA_CONFIG_TEST_DATA) + "/" + name);
  REQUIRE(props.ok());
  return *props;
}

TEST_CASE("Kafka's shipped server.properties loads unchanged and without warnings", "[config]") {
  std::vector<std::string> warnings;
  absl::StatusOr<BrokerConfig> c = BrokerConfig::FromProperties(LoadData("server.properties"), &warnings);
  REQUIRE(c.ok());
  CHECK(warnings.empty());
  CHECK(c->broker_id == 0);
  CHECK(c->LogDirs() == std::vector<std::string>{"/tmp/kafka-logs"});
  CHECK(c->num_partitions == 1);
  CHECK(c->num_network_threads == 3);
  CHECK(c->num_io_threads == 8);
  CHECK(c->LogRetentionMs() == 168LL * 3600 * 1000);
  CHECK(c->log_retention_check_interval_ms == 300000);
  CHECK(c->zookeeper_connect == "localhost:2181");
  CHECK(c->offsets_topic_replication_factor == 1);
  CHECK(c->group_initial_rebalance_delay_ms == 0);
  CHECK(c->socket_request_max_bytes == 104857600);
}

TEST_CASE("Kafka's KRaft server.properties loads: node.id stands for broker.id", "[config]") {
  std::vector<std::string> warnings;
  absl::StatusOr<BrokerConfig> c = BrokerConfig::FromProperties(LoadData("kraft-server.properties"), &warnings);
  REQUIRE(c.ok());
  CHECK(warnings.empty());
  CHECK(c->broker_id == 1);
  CHECK(c->listeners == "PLAINTEXT://:9092,CONTROLLER://:9093");
  CHECK(c->advertised_listeners == "PLAINTEXT://localhost:9092");
  CHECK(c->LogDirs() == std::vector<std::string>{"/tmp/kraft-combined-logs"});
}

TEST_CASE("defaults are Kafka's", "[config]") {
  absl::StatusOr<BrokerConfig> c = BrokerConfig::FromProperties({});
  REQUIRE(c.ok());
  CHECK(c->log_segment_bytes == 1073741824);
  CHECK(c->LogRollMs() == 168LL * 3600 * 1000);
  CHECK(c->log_retention_bytes == -1);
  CHECK(c->message_max_bytes == 1048588);
  CHECK(c->auto_create_topics_enable);
  CHECK(c->offsets_topic_num_partitions == 50);
  CHECK(c->replica_lag_time_max_ms == 30000);
  CHECK(c->log_index_interval_bytes == 4096);
  CHECK(c->log_index_size_max_bytes == 10485760);
  const LogConfig log = DefaultLogConfig(*c);
  CHECK(log.segment_bytes == 1073741824);
  CHECK(log.retention_ms == 604800000);
  CHECK(log.flush_messages == kLongMax);
}

TEST_CASE("log.cleaner.* keys reach the cleaner and the topics' log config", "[config]") {
  absl::StatusOr<BrokerConfig> defaults = BrokerConfig::FromProperties({});
  REQUIRE(defaults.ok());
  const LogCleanerConfig d = CleanerConfigFor(*defaults);
  CHECK(d.enable);
  CHECK(d.threads == 1);
  CHECK(d.dedupe_buffer_size == 134217728);
  CHECK(d.backoff_ms == 15000);
  CHECK(DefaultLogConfig(*defaults).max_compaction_lag_ms == kLongMax);

  std::vector<std::string> warnings;
  absl::StatusOr<BrokerConfig> c = BrokerConfig::FromProperties(
      {{"log.cleaner.enable", "false"}, {"log.cleaner.dedupe.buffer.size", "1048576"},
       {"log.cleaner.backoff.ms", "500"}, {"log.cleaner.max.compaction.lag.ms", "60000"}},
      &warnings);
  REQUIRE(c.ok());
  CHECK(warnings.empty());
  const LogCleanerConfig cleaner = CleanerConfigFor(*c);
  CHECK_FALSE(cleaner.enable);
  CHECK(cleaner.dedupe_buffer_size == 1048576);
  CHECK(cleaner.backoff_ms == 500);
  CHECK(DefaultLogConfig(*c).max_compaction_lag_ms == 60000);
  absl::StatusOr<LogConfig> topic =
      ApplyTopicConfigs(DefaultLogConfig(*c), {{"max.compaction.lag.ms", "1234"}});
  REQUIRE(topic.ok());
  CHECK(topic->max_compaction_lag_ms == 1234);
  CHECK(ErrorCodeOf(ApplyTopicConfigs(DefaultLogConfig(*c), {{"max.compaction.lag.ms", "0"}})
                        .status()) == ErrorCode::kInvalidConfig);
}

TEST_CASE("log.message.timestamp.*.max.ms reach the topics' log config", "[config]") {
  absl::StatusOr<BrokerConfig> defaults = BrokerConfig::FromProperties({});
  REQUIRE(defaults.ok());
  const LogConfig d = DefaultLogConfig(*defaults);
  CHECK(d.TimestampBeforeMaxMs() == kLongMax);
  CHECK(d.TimestampAfterMaxMs() == kLongMax);

  std::vector<std::string> warnings;
  absl::StatusOr<BrokerConfig> c = BrokerConfig::FromProperties(
      {{"log.message.timestamp.difference.max.ms", "60000"},
       {"log.message.timestamp.after.max.ms", "3600000"}},
      &warnings);
  REQUIRE(c.ok());
  CHECK(warnings.empty());
  const LogConfig broker = DefaultLogConfig(*c);
  CHECK(broker.TimestampBeforeMaxMs() == 60000);  // difference.max.ms stands in
  CHECK(broker.TimestampAfterMaxMs() == 3600000);

  absl::StatusOr<LogConfig> topic =
      ApplyTopicConfigs(broker, {{"message.timestamp.before.max.ms", "1000"}});
  REQUIRE(topic.ok());
  CHECK(topic->TimestampBeforeMaxMs() == 1000);
  CHECK(topic->TimestampAfterMaxMs() == 3600000);
  for (const ConfigEntry& e : DescribeTopicConfig(*topic, {{"message.timestamp.before.max.ms", "1000"}})) {
    if (e.name == "message.timestamp.difference.max.ms") CHECK(e.value == "60000");
    if (e.name == "message.timestamp.after.max.ms") CHECK(e.value == "3600000");
    if (e.name == "message.timestamp.before.max.ms") CHECK(e.value == "1000");
  }
  CHECK(ErrorCodeOf(ApplyTopicConfigs(broker, {{"message.timestamp.after.max.ms", "-1"}}).status()) ==
        ErrorCode::kInvalidConfig);
  CHECK_FALSE(BrokerConfig::FromProperties({{"log.message.timestamp.before.max.ms", "soon"}}).ok());
}

TEST_CASE("message.downconversion.enable: the broker key is the topics' default", "[config]") {
  absl::StatusOr<BrokerConfig> defaults = BrokerConfig::FromProperties({});
  REQUIRE(defaults.ok());
  CHECK(DefaultLogConfig(*defaults).message_downconversion_enable);
  std::vector<std::string> warnings;
  absl::StatusOr<BrokerConfig> off =
      BrokerConfig::FromProperties({{"log.message.downconversion.enable", "false"}}, &warnings);
  REQUIRE(off.ok());
  CHECK(warnings.empty());
  const LogConfig broker = DefaultLogConfig(*off);
  CHECK_FALSE(broker.message_downconversion_enable);
  absl::StatusOr<LogConfig> topic =
      ApplyTopicConfigs(broker, {{"message.downconversion.enable", "true"}});
  REQUIRE(topic.ok());
  CHECK(topic->message_downconversion_enable);
  for (const ConfigEntry& e : DescribeTopicConfig(broker, {})) {
    if (e.name == "message.downconversion.enable") CHECK(e.value == "false");
  }
  const absl::Status bad =
      ApplyTopicConfigs(broker, {{"message.downconversion.enable", "maybe"}}).status();
  CHECK(ErrorCodeOf(bad) == ErrorCode::kInvalidConfig);
  CHECK_FALSE(BrokerConfig::FromProperties({{"log.message.downconversion.enable", "maybe"}}).ok());
}

TEST_CASE("producer.id.expiration.ms reaches the logs", "[config]") {
  absl::StatusOr<BrokerConfig> defaults = BrokerConfig::FromProperties({});
  REQUIRE(defaults.ok());
  CHECK(DefaultLogConfig(*defaults).producer_id_expiration_ms == 86400000);  // Kafka's default
  absl::StatusOr<BrokerConfig> c = BrokerConfig::FromProperties({{"producer.id.expiration.ms", "60000"}});
  REQUIRE(c.ok());
  CHECK(DefaultLogConfig(*c).producer_id_expiration_ms == 60000);
  CHECK_FALSE(BrokerConfig::FromProperties({{"producer.id.expiration.ms", "0"}}).ok());
}

TEST_CASE("an unknown key is a warning that names it, never an error", "[config]") {
  std::vector<std::string> warnings;
  absl::StatusOr<BrokerConfig> c = BrokerConfig::FromProperties({{"no.such.setting", "1"}}, &warnings);
  REQUIRE(c.ok());
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("no.such.setting") != std::string::npos);
}

TEST_CASE("max.incremental.fetch.session.cache.slots loads: Kafka's 1000 by default, 0 for none",
          "[config]") {
  absl::StatusOr<BrokerConfig> defaults = BrokerConfig::FromProperties({});
  REQUIRE(defaults.ok());
  CHECK(defaults->max_incremental_fetch_session_cache_slots == 1000);
  std::vector<std::string> warnings;
  absl::StatusOr<BrokerConfig> none =
      BrokerConfig::FromProperties({{"max.incremental.fetch.session.cache.slots", "0"}}, &warnings);
  REQUIRE(none.ok());
  CHECK(warnings.empty());
  CHECK(none->max_incremental_fetch_session_cache_slots == 0);
  absl::StatusOr<BrokerConfig> negative =
      BrokerConfig::FromProperties({{"max.incremental.fetch.session.cache.slots", "-1"}});
  CHECK(ErrorCodeOf(negative.status()) == ErrorCode::kInvalidConfig);
}

TEST_CASE("a bad value is INVALID_CONFIG naming the key", "[config]") {
  const auto error_for = [](Properties p) {
    absl::StatusOr<BrokerConfig> c = BrokerConfig::FromProperties(p);
    REQUIRE_FALSE(c.ok());
    CHECK(ErrorCodeOf(c.status()) == ErrorCode::kInvalidConfig);
    return std::string(c.status().message());
  };
  CHECK(error_for({{"num.partitions", "many"}}).find("num.partitions") != std::string::npos);
  CHECK(error_for({{"num.partitions", "0"}}).find("at least 1") != std::string::npos);
  CHECK(error_for({{"log.segment.bytes", "3000000000"}}).find("log.segment.bytes") != std::string::npos);
  CHECK(error_for({{"auto.create.topics.enable", "yes"}}).find("true or false") != std::string::npos);
  CHECK(error_for({{"log.message.timestamp.type", "Wallclock"}}).find("log.message.timestamp.type") !=
        std::string::npos);
  CHECK(error_for({{"log.cleanup.policy", "delete,shred"}}).find("log.cleanup.policy") != std::string::npos);
  CHECK(error_for({{"samsa.storage", "tape"}}).find("samsa.storage") != std::string::npos);
}

TEST_CASE("retention: ms beats minutes beats hours, negative means forever", "[config]") {
  CHECK(BrokerConfig::FromProperties({{"log.retention.hours", "1"}})->LogRetentionMs() == 3600000);
  CHECK(BrokerConfig::FromProperties({{"log.retention.hours", "1"}, {"log.retention.minutes", "2"}})
            ->LogRetentionMs() == 120000);
  CHECK(BrokerConfig::FromProperties({{"log.retention.minutes", "2"}, {"log.retention.ms", "5"}})
            ->LogRetentionMs() == 5);
  CHECK(BrokerConfig::FromProperties({{"log.retention.ms", "-1"}})->LogRetentionMs() == -1);
  CHECK(BrokerConfig::FromProperties({{"log.roll.hours", "2"}, {"log.roll.ms", "7"}})->LogRollMs() == 7);
  CHECK(BrokerConfig::FromProperties({{"log.dir", "/a"}, {"log.dirs", "/b, /c"}})->LogDirs() ==
        std::vector<std::string>{"/b", "/c"});
}

TEST_CASE("listener.name.* keys are kept for the wire server", "[config]") {
  const std::string jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required "
                           "username=\"admin\" password=\"secret\" user_admin=\"secret\";";
  absl::StatusOr<BrokerConfig> c =
      BrokerConfig::FromProperties({{"listener.name.sasl_plaintext.plain.sasl.jaas.config", jaas}});
  REQUIRE(c.ok());
  CHECK(c->listener_overrides.at("listener.name.sasl_plaintext.plain.sasl.jaas.config") == jaas);
}

TEST_CASE("topic configs override the broker defaults and are validated", "[config][topic]") {
  const LogConfig defaults = DefaultLogConfig(*BrokerConfig::FromProperties({}));
  absl::StatusOr<LogConfig> c = ApplyTopicConfigs(
      defaults, {{"retention.ms", "-1"}, {"cleanup.policy", "compact,delete"}, {"segment.bytes", "1024"},
                 {"message.timestamp.type", "LogAppendTime"}, {"min.insync.replicas", "2"}});
  REQUIRE(c.ok());
  CHECK(c->retention_ms == -1);
  CHECK(c->cleanup_policy == CleanupPolicy::kCompactDelete);
  CHECK(c->segment_bytes == 1024);
  CHECK(c->message_timestamp_type == record::TimestampType::kLogAppendTime);
  CHECK(c->min_insync_replicas == 2);
  CHECK(c->retention_bytes == defaults.retention_bytes);

  absl::StatusOr<LogConfig> unknown = ApplyTopicConfigs(defaults, {{"retention.hours", "1"}});
  CHECK(ErrorCodeOf(unknown.status()) == ErrorCode::kInvalidConfig);
  CHECK(std::string(unknown.status().message()).find("Unknown topic config name: retention.hours") !=
        std::string::npos);
  CHECK(ErrorCodeOf(ApplyTopicConfigs(defaults, {{"segment.bytes", "13"}}).status()) == ErrorCode::kInvalidConfig);
  CHECK(ErrorCodeOf(ApplyTopicConfigs(defaults, {{"retention.ms", "-2"}}).status()) == ErrorCode::kInvalidConfig);
  CHECK(ErrorCodeOf(ApplyTopicConfigs(defaults, {{"preallocate", "maybe"}}).status()) == ErrorCode::kInvalidConfig);
}

// Kafka's ThrottledReplicaListValidator (core/src/main/scala/kafka/server/
// ThrottledReplicaListValidator.scala): the literal '*', or comma-separated
// [partitionId]:[brokerId] items, each trimmed; empty items pass.
TEST_CASE("throttled replica lists are validated as Kafka validates them", "[config][topic]") {
  const LogConfig defaults = DefaultLogConfig(*BrokerConfig::FromProperties({}));
  for (const char* key :
       {"leader.replication.throttled.replicas", "follower.replication.throttled.replicas"}) {
    for (const char* good : {"", "*", " * ", "*,", "0:1", "0:1,1:2", " 0:1 , 12:345 ", ",0:1"}) {
      INFO(key << "=\"" << good << "\"");
      CHECK(ApplyTopicConfigs(defaults, {{key, good}}).ok());
    }
    for (const char* bad :
         {"0", "a:b", "0:1:2", "0:", ":1", "*,0:1", "**", "-1:2", "0 :1", "all"}) {
      INFO(key << "=\"" << bad << "\"");
      absl::StatusOr<LogConfig> c = ApplyTopicConfigs(defaults, {{key, bad}});
      CHECK(ErrorCodeOf(c.status()) == ErrorCode::kInvalidConfig);
      CHECK(std::string(c.status().message()).find("must be the literal '*'") != std::string::npos);
    }
  }
}

TEST_CASE("DescribeTopicConfig marks overrides and reports every topic config", "[config][topic]") {
  const LogConfig defaults = DefaultLogConfig(*BrokerConfig::FromProperties({}));
  const Properties overrides{{"retention.ms", "1000"}};
  std::vector<ConfigEntry> entries = DescribeTopicConfig(*ApplyTopicConfigs(defaults, overrides), overrides);
  CHECK(entries.size() == TopicConfigNames().size());
  for (const ConfigEntry& e : entries) {
    if (e.name == "retention.ms") {
      CHECK(e.value == "1000");
      CHECK_FALSE(e.is_default);
      CHECK(e.source == ConfigEntry::Source::kDynamicTopicConfig);
    }
    if (e.name == "segment.bytes") {
      CHECK(e.value == "1073741824");
      CHECK(e.is_default);
    }
    if (e.name == "cleanup.policy") CHECK(e.value == "delete");
  }
}

TEST_CASE("producer config: Kafka names, acks=all, partitioner class names", "[config][client]") {
  absl::StatusOr<ProducerConfig> p = ProducerConfig::FromProperties(
      {{"acks", "all"}, {"linger.ms", "5"}, {"compression.type", "zstd"},
       {"partitioner.class", "org.apache.kafka.clients.producer.RoundRobinPartitioner"},
       {"key.serializer", "org.apache.kafka.common.serialization.StringSerializer"}});
  REQUIRE(p.ok());
  CHECK(p->acks == -1);
  CHECK(p->linger_ms == 5);
  CHECK(p->compression_type == "zstd");
  CHECK(p->partitioner == PartitionerType::kRoundRobin);
  CHECK(ProducerConfig::FromProperties({{"acks", "0"}})->acks == 0);
  CHECK(ErrorCodeOf(ProducerConfig::FromProperties({{"acks", "2"}}).status()) == ErrorCode::kInvalidConfig);
  CHECK(ErrorCodeOf(ProducerConfig::FromProperties({{"compression.type", "brotli"}}).status()) ==
        ErrorCode::kInvalidConfig);
  CHECK(ProducerConfig{}.batch_size == 16384);
  CHECK(ProducerConfig{}.buffer_memory == 33554432);
}

TEST_CASE("consumer config: offset reset, isolation and assignor names", "[config][client]") {
  absl::StatusOr<ConsumerConfig> c = ConsumerConfig::FromProperties(
      {{"group.id", "g"}, {"auto.offset.reset", "earliest"}, {"isolation.level", "read_committed"},
       {"partition.assignment.strategy",
        "org.apache.kafka.clients.consumer.RoundRobinAssignor, cooperative-sticky"},
       {"max.poll.interval.ms", "1000"}});
  REQUIRE(c.ok());
  CHECK(c->group_id == "g");
  CHECK(c->auto_offset_reset == OffsetResetStrategy::kEarliest);
  CHECK(c->isolation_level == IsolationLevel::kReadCommitted);
  CHECK(c->partition_assignment_strategy == std::vector<std::string>{"roundrobin", "cooperative-sticky"});
  CHECK(c->rebalance_timeout_ms == 1000);
  CHECK(ErrorCodeOf(ConsumerConfig::FromProperties({{"auto.offset.reset", "smallest"}}).status()) ==
        ErrorCode::kInvalidConfig);
  CHECK(ConsumerConfig{}.auto_offset_reset == OffsetResetStrategy::kLatest);
  CHECK(ConsumerConfig{}.max_poll_records == 500);
}

}  // namespace
}  // namespace samsa
