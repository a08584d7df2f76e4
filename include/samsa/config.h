// samsa/config.h — configuration with Kafka's names, defaults and rules.
//
//   Properties               java.util.Properties text: ParseProperties /
//                            LoadPropertiesFile / FormatProperties.
//   BrokerConfig             server.properties settings (broker.id, listeners,
//                            log.dirs, log.segment.bytes, log.retention.*, ...).
//   ConfigEntry              a topic config as DescribeConfigs reports it.
//   ProducerConfig / ConsumerConfig
//                            the client settings samsa's Producer and Consumer use.
//
// FromProperties loaders follow Kafka: a key they do not know is a warning
// (returned and logged), never an error, so a Kafka-shipped server.properties
// loads unchanged; a bad value is INVALID_CONFIG naming the key, in Kafka's
// words: "Invalid value x for configuration k: <why>". Topic configs are
// stricter, as Kafka's CreateTopics is: an unknown topic config is an error.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "samsa/env.h"

namespace samsa {

using Properties = std::map<std::string, std::string>;

// Parses java.util.Properties text: '#'/'!' comments, key/value separated by
// '=', ':' or whitespace, '\' line continuations, \t \n \r \f \uXXXX escapes.
absl::StatusOr<Properties> ParseProperties(std::string_view text);
absl::StatusOr<Properties> LoadPropertiesFile(Env* env, const std::string& path);
// Text that ParseProperties reads back to `props` (escaping as needed).
std::string FormatProperties(const Properties& props);

inline constexpr int64_t kLongMax = std::numeric_limits<int64_t>::max();
inline constexpr int32_t kIntMax = std::numeric_limits<int32_t>::max();

struct BrokerConfig {
  int32_t broker_id = 0;                              // broker.id (Kafka: -1 = generated)
  std::string listeners = "PLAINTEXT://:9092";        // listeners
  std::string advertised_listeners;                   // advertised.listeners ("" = listeners)
  std::string listener_security_protocol_map;         // listener.security.protocol.map
  std::string log_dir = "/tmp/kafka-logs";            // log.dir
  std::string log_dirs;                               // log.dirs (wins over log.dir)
  int64_t log_segment_bytes = 1073741824;             // log.segment.bytes
  int32_t log_roll_hours = 168;                       // log.roll.hours
  std::optional<int64_t> log_roll_ms;                 // log.roll.ms (wins over hours)
  int32_t log_roll_jitter_hours = 0;                  // log.roll.jitter.hours
  std::optional<int64_t> log_roll_jitter_ms;          // log.roll.jitter.ms
  int64_t log_retention_bytes = -1;                   // log.retention.bytes
  int32_t log_retention_hours = 168;                  // log.retention.hours
  std::optional<int32_t> log_retention_minutes;       // log.retention.minutes
  std::optional<int64_t> log_retention_ms;            // log.retention.ms (wins)
  int64_t log_retention_check_interval_ms = 300000;   // log.retention.check.interval.ms
  int64_t log_flush_interval_messages = kLongMax;     // log.flush.interval.messages
  std::optional<int64_t> log_flush_interval_ms;       // log.flush.interval.ms
  int64_t log_flush_scheduler_interval_ms = kLongMax; // log.flush.scheduler.interval.ms
  int32_t log_flush_offset_checkpoint_interval_ms = 60000;        // log.flush.offset.checkpoint.interval.ms
  int32_t log_flush_start_offset_checkpoint_interval_ms = 60000;  // log.flush.start.offset.checkpoint.interval.ms
  int32_t log_index_interval_bytes = 4096;            // log.index.interval.bytes
  int32_t log_index_size_max_bytes = 10485760;        // log.index.size.max.bytes
  std::string log_cleanup_policy = "delete";          // log.cleanup.policy
  std::string log_message_timestamp_type = "CreateTime";  // log.message.timestamp.type
  int64_t log_message_timestamp_difference_max_ms = kLongMax;  // log.message.timestamp.difference.max.ms
  int64_t log_message_timestamp_before_max_ms = kLongMax;      // log.message.timestamp.before.max.ms
  int64_t log_message_timestamp_after_max_ms = kLongMax;       // log.message.timestamp.after.max.ms
  bool log_message_downconversion_enable = true;  // log.message.downconversion.enable
  int32_t producer_id_expiration_ms = 86400000;       // producer.id.expiration.ms
  bool log_cleaner_enable = true;                     // log.cleaner.enable
  int32_t log_cleaner_threads = 1;                    // log.cleaner.threads
  int64_t log_cleaner_delete_retention_ms = 86400000; // log.cleaner.delete.retention.ms
  double log_cleaner_min_cleanable_ratio = 0.5;       // log.cleaner.min.cleanable.ratio
  int64_t log_cleaner_min_compaction_lag_ms = 0;      // log.cleaner.min.compaction.lag.ms
  int64_t log_cleaner_backoff_ms = 15000;             // log.cleaner.backoff.ms
  int64_t log_cleaner_dedupe_buffer_size = 134217728; // log.cleaner.dedupe.buffer.size
  double log_cleaner_io_buffer_load_factor = 0.9;     // log.cleaner.io.buffer.load.factor
  int64_t log_cleaner_max_compaction_lag_ms = kLongMax;  // log.cleaner.max.compaction.lag.ms
  int64_t log_segment_delete_delay_ms = 60000;        // log.segment.delete.delay.ms
  int32_t num_partitions = 1;                         // num.partitions
  int16_t default_replication_factor = 1;             // default.replication.factor
  bool auto_create_topics_enable = true;              // auto.create.topics.enable
  bool delete_topic_enable = true;                    // delete.topic.enable
  int32_t message_max_bytes = 1048588;                // message.max.bytes
  int32_t num_io_threads = 8;                         // num.io.threads
  int32_t num_network_threads = 3;                    // num.network.threads
  int32_t background_threads = 10;                    // background.threads
  int32_t num_recovery_threads_per_data_dir = 1;      // num.recovery.threads.per.data.dir
  int64_t replica_lag_time_max_ms = 30000;            // replica.lag.time.max.ms
  int32_t min_insync_replicas = 1;                    // min.insync.replicas
  std::string compression_type = "producer";          // compression.type
  bool unclean_leader_election_enable = false;        // unclean.leader.election.enable
  std::string zookeeper_connect;                      // zookeeper.connect (accepted; unused)
  int32_t zookeeper_session_timeout_ms = 18000;       // zookeeper.session.timeout.ms
  int32_t offsets_topic_num_partitions = 50;          // offsets.topic.num.partitions
  int16_t offsets_topic_replication_factor = 3;       // offsets.topic.replication.factor
  int32_t offsets_topic_segment_bytes = 104857600;    // offsets.topic.segment.bytes
  int32_t offsets_retention_minutes = 10080;          // offsets.retention.minutes
  int64_t offsets_retention_check_interval_ms = 600000;  // offsets.retention.check.interval.ms
  int32_t offsets_commit_timeout_ms = 5000;           // offsets.commit.timeout.ms
  int32_t group_initial_rebalance_delay_ms = 3000;    // group.initial.rebalance.delay.ms
  int32_t group_min_session_timeout_ms = 6000;        // group.min.session.timeout.ms
  int32_t group_max_session_timeout_ms = 1800000;     // group.max.session.timeout.ms
  int32_t group_max_size = kIntMax;                   // group.max.size
  int32_t socket_send_buffer_bytes = 102400;          // socket.send.buffer.bytes
  int32_t socket_receive_buffer_bytes = 102400;       // socket.receive.buffer.bytes
  int32_t socket_request_max_bytes = 104857600;       // socket.request.max.bytes
  int32_t queued_max_requests = 500;                  // queued.max.requests
  int64_t connections_max_idle_ms = 600000;           // connections.max.idle.ms
  int32_t max_incremental_fetch_session_cache_slots = 1000;  // max.incremental.fetch.session.cache.slots
  std::string sasl_enabled_mechanisms = "GSSAPI";     // sasl.enabled.mechanisms
  std::string samsa_storage = "disk";                 // samsa.storage: disk | memory (samsa's own)
  // Every listener.name.<listener>.* key (e.g. the SASL/PLAIN JAAS line), as given.
  Properties listener_overrides;

  static absl::StatusOr<BrokerConfig> FromProperties(const Properties& props,
                                                     std::vector<std::string>* warnings = nullptr);

  // Effective values after Kafka's precedence rules.
  std::vector<std::string> LogDirs() const;     // log.dirs, else log.dir; split on ','
  int64_t LogRetentionMs() const;               // ms > minutes > hours; -1 = forever
  int64_t LogRollMs() const;                    // ms > hours
  int64_t LogRollJitterMs() const;              // ms > hours
  int64_t LogFlushIntervalMs() const;           // log.flush.interval.ms, else the scheduler's
};

// A topic config with its effective value, as DescribeConfigs reports it.
struct ConfigEntry {
  enum class Source { kDynamicTopicConfig, kStaticBrokerConfig, kDefaultConfig };
  std::string name;
  std::string value;
  Source source = Source::kDefaultConfig;
  bool is_default = true;
  bool read_only = false;
  bool sensitive = false;
};

enum class PartitionerType { kDefault, kSticky, kRoundRobin, kCustom };

struct ProducerConfig {
  std::string client_id;                   // client.id
  int16_t acks = -1;                       // acks: 0, 1, -1/all (Kafka 3 default: all)
  int64_t linger_ms = 0;                   // linger.ms
  int32_t batch_size = 16384;              // batch.size
  int64_t buffer_memory = 33554432;        // buffer.memory
  int64_t max_block_ms = 60000;            // max.block.ms
  std::string compression_type = "none";   // compression.type: none|gzip|snappy|lz4|zstd
  int32_t max_request_size = 1048576;      // max.request.size
  int32_t delivery_timeout_ms = 120000;    // delivery.timeout.ms
  int32_t request_timeout_ms = 30000;      // request.timeout.ms
  int32_t retries = kIntMax;               // retries
  int64_t retry_backoff_ms = 100;          // retry.backoff.ms
  PartitionerType partitioner = PartitionerType::kDefault;  // partitioner.class
  bool partitioner_ignore_keys = false;    // partitioner.ignore.keys
  bool enable_idempotence = true;          // enable.idempotence (accepted)
  int32_t max_in_flight_requests_per_connection = 5;  // max.in.flight.requests.per.connection
  std::string bootstrap_servers;           // bootstrap.servers

  static absl::StatusOr<ProducerConfig> FromProperties(const Properties& props,
                                                       std::vector<std::string>* warnings = nullptr);
};

enum class OffsetResetStrategy { kEarliest, kLatest, kNone };
enum class IsolationLevel { kReadUncommitted, kReadCommitted };

struct ConsumerConfig {
  std::string group_id;                             // group.id
  std::string client_id;                            // client.id
  std::string group_instance_id;                    // group.instance.id (static membership)
  OffsetResetStrategy auto_offset_reset = OffsetResetStrategy::kLatest;  // auto.offset.reset
  bool enable_auto_commit = true;                   // enable.auto.commit
  int32_t auto_commit_interval_ms = 5000;           // auto.commit.interval.ms
  int32_t max_poll_records = 500;                   // max.poll.records
  int32_t max_poll_interval_ms = 300000;            // max.poll.interval.ms
  int32_t fetch_min_bytes = 1;                      // fetch.min.bytes
  int32_t fetch_max_wait_ms = 500;                  // fetch.max.wait.ms
  int32_t fetch_max_bytes = 52428800;               // fetch.max.bytes
  int32_t max_partition_fetch_bytes = 1048576;      // max.partition.fetch.bytes
  IsolationLevel isolation_level = IsolationLevel::kReadUncommitted;  // isolation.level
  int32_t session_timeout_ms = 45000;               // session.timeout.ms
  int32_t heartbeat_interval_ms = 3000;             // heartbeat.interval.ms
  int32_t rebalance_timeout_ms = 300000;            // (= max.poll.interval.ms, as Kafka's consumer sends)
  // partition.assignment.strategy, in preference order: range, roundrobin,
  // sticky, cooperative-sticky.
  std::vector<std::string> partition_assignment_strategy = {"range", "cooperative-sticky"};
  bool check_crcs = true;                           // check.crcs
  int32_t request_timeout_ms = 30000;               // request.timeout.ms
  std::string bootstrap_servers;                    // bootstrap.servers

  static absl::StatusOr<ConsumerConfig> FromProperties(const Properties& props,
                                                       std::vector<std::string>* warnings = nullptr);
};

}  // namespace samsa
