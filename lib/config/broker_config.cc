// BrokerConfig: server.properties with Kafka's names, defaults and precedence.
#include <algorithm>

#include "absl/strings/ascii.h"
#include "config/config_reader.h"
#include "config/topic_config.h"
#include "log/log_config.h"
#include "samsa/config.h"
#include "util/status_macros.h"
#include "util/strings.h"

namespace samsa {
namespace {

using internal::ConfigReader;

// Kafka broker settings samsa accepts without acting on them (clustering,
// security, quotas, KRaft): a stock Kafka server.properties loads without a
// warning.
constexpr const char* kAcceptedKeys[] = {
    "process.roles", "node.id", "controller.quorum.voters", "controller.quorum.bootstrap.servers",
    "controller.listener.names", "inter.broker.listener.name", "metadata.log.dir",
    "metadata.log.segment.bytes", "cluster.id", "broker.rack", "reserved.broker.max.id",
    "broker.id.generation.enable", "zookeeper.connection.timeout.ms", "zookeeper.set.acl",
    "zookeeper.max.in.flight.requests", "transaction.state.log.replication.factor",
    "transaction.state.log.min.isr", "transaction.state.log.num.partitions",
    "transaction.state.log.segment.bytes", "transactional.id.expiration.ms",
    "transaction.max.timeout.ms", "auto.leader.rebalance.enable", "leader.imbalance.check.interval.seconds",
    "leader.imbalance.per.broker.percentage", "num.replica.fetchers", "num.replica.alter.log.dirs.threads",
    "offsets.load.buffer.size", "offsets.topic.compression.codec", "offsets.commit.required.acks",
    "group.max.session.timeout.ms", "inter.broker.protocol.version", "log.message.format.version",
    "log.preallocate",
    "log.cleaner.io.max.bytes.per.second",
    "log.cleaner.io.buffer.size", "authorizer.class.name",
    "super.users", "allow.everyone.if.no.acl.found", "security.inter.broker.protocol",
    "sasl.mechanism.inter.broker.protocol", "principal.builder.class", "request.timeout.ms",
    "max.connections", "max.connections.per.ip", "max.connections.per.ip.overrides",
    "max.connection.creation.rate", "connection.failed.authentication.delay.ms",
    "create.topic.policy.class.name", "alter.config.policy.class.name", "delegation.token.master.key",
    "delegation.token.secret.key", "fetch.purgatory.purge.interval.requests",
    "producer.purgatory.purge.interval.requests", "delete.records.purgatory.purge.interval.requests",
    "controlled.shutdown.enable", "controlled.shutdown.max.retries", "controlled.shutdown.retry.backoff.ms",
    "unclean.leader.election.enable", "replica.fetch.max.bytes", "replica.fetch.min.bytes",
    "replica.fetch.wait.max.ms", "replica.fetch.backoff.ms", "replica.socket.timeout.ms",
    "replica.socket.receive.buffer.bytes", "replica.high.watermark.checkpoint.interval.ms",
    "replica.selector.class", "num.partitions", "fetch.max.bytes", "metric.reporters",
    "metrics.num.samples", "metrics.sample.window.ms", "metrics.recording.level",
    "quota.window.num", "quota.window.size.seconds", "replication.quota.window.num",
    "replication.quota.window.size.seconds", "kafka.metrics.reporters",
    "kafka.metrics.polling.interval.secs", "password.encoder.secret", "log.local.retention.ms",
    "log.local.retention.bytes", "remote.log.storage.system.enable",
};
constexpr const char* kAcceptedPrefixes[] = {"ssl.", "sasl.", "listener.name.", "confluent.",
                                              "remote.log.", "early.start.listeners",
                                              "client.quota.", "socket.connection.setup."};

}  // namespace

absl::StatusOr<BrokerConfig> BrokerConfig::FromProperties(const Properties& props,
                                                          std::vector<std::string>* warnings) {
  BrokerConfig c;
  ConfigReader r(props);
  // node.id (KRaft files) stands for broker.id when broker.id is absent.
  if (props.count("broker.id") == 0 && props.count("node.id") != 0) {
    SAMSA_RETURN_IF_ERROR(r.Int("node.id", &c.broker_id, -1));
  }
  SAMSA_RETURN_IF_ERROR(r.Int("broker.id", &c.broker_id, -1));
  SAMSA_RETURN_IF_ERROR(r.String("listeners", &c.listeners));
  SAMSA_RETURN_IF_ERROR(r.String("advertised.listeners", &c.advertised_listeners));
  SAMSA_RETURN_IF_ERROR(r.String("listener.security.protocol.map", &c.listener_security_protocol_map));
  SAMSA_RETURN_IF_ERROR(r.String("log.dir", &c.log_dir));
  SAMSA_RETURN_IF_ERROR(r.String("log.dirs", &c.log_dirs));
  SAMSA_RETURN_IF_ERROR(r.Long("log.segment.bytes", &c.log_segment_bytes, 14, kIntMax));
  SAMSA_RETURN_IF_ERROR(r.Int("log.roll.hours", &c.log_roll_hours, 1));
  SAMSA_RETURN_IF_ERROR(r.OptionalLong("log.roll.ms", &c.log_roll_ms, 1));
  SAMSA_RETURN_IF_ERROR(r.Int("log.roll.jitter.hours", &c.log_roll_jitter_hours, 0));
  SAMSA_RETURN_IF_ERROR(r.OptionalLong("log.roll.jitter.ms", &c.log_roll_jitter_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Long("log.retention.bytes", &c.log_retention_bytes));
  SAMSA_RETURN_IF_ERROR(r.Int("log.retention.hours", &c.log_retention_hours));
  SAMSA_RETURN_IF_ERROR(r.OptionalInt("log.retention.minutes", &c.log_retention_minutes));
  SAMSA_RETURN_IF_ERROR(r.OptionalLong("log.retention.ms", &c.log_retention_ms));
  SAMSA_RETURN_IF_ERROR(r.Long("log.retention.check.interval.ms", &c.log_retention_check_interval_ms, 1));
  SAMSA_RETURN_IF_ERROR(r.Long("log.flush.interval.messages", &c.log_flush_interval_messages, 1));
  SAMSA_RETURN_IF_ERROR(r.OptionalLong("log.flush.interval.ms", &c.log_flush_interval_ms));
  SAMSA_RETURN_IF_ERROR(r.Long("log.flush.scheduler.interval.ms", &c.log_flush_scheduler_interval_ms));
  SAMSA_RETURN_IF_ERROR(r.Int("log.flush.offset.checkpoint.interval.ms", &c.log_flush_offset_checkpoint_interval_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("log.flush.start.offset.checkpoint.interval.ms", &c.log_flush_start_offset_checkpoint_interval_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("log.index.interval.bytes", &c.log_index_interval_bytes, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("log.index.size.max.bytes", &c.log_index_size_max_bytes, 4));
  SAMSA_RETURN_IF_ERROR(r.String("log.cleanup.policy", &c.log_cleanup_policy));
  SAMSA_RETURN_IF_ERROR(r.String("log.message.timestamp.type", &c.log_message_timestamp_type,
                                 {"CreateTime", "LogAppendTime"}));
  SAMSA_RETURN_IF_ERROR(r.Long("log.message.timestamp.difference.max.ms",
                               &c.log_message_timestamp_difference_max_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Long("log.message.timestamp.before.max.ms",
                               &c.log_message_timestamp_before_max_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Long("log.message.timestamp.after.max.ms",
                               &c.log_message_timestamp_after_max_ms, 0));
  SAMSA_RETURN_IF_ERROR(
      r.Bool("log.message.downconversion.enable", &c.log_message_downconversion_enable));
  SAMSA_RETURN_IF_ERROR(r.Int("producer.id.expiration.ms", &c.producer_id_expiration_ms, 1));
  SAMSA_RETURN_IF_ERROR(r.Bool("log.cleaner.enable", &c.log_cleaner_enable));
  SAMSA_RETURN_IF_ERROR(r.Int("log.cleaner.threads", &c.log_cleaner_threads, 0));
  SAMSA_RETURN_IF_ERROR(r.Long("log.cleaner.delete.retention.ms", &c.log_cleaner_delete_retention_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Double("log.cleaner.min.cleanable.ratio", &c.log_cleaner_min_cleanable_ratio, 0, 1));
  SAMSA_RETURN_IF_ERROR(r.Long("log.cleaner.min.compaction.lag.ms", &c.log_cleaner_min_compaction_lag_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Long("log.cleaner.backoff.ms", &c.log_cleaner_backoff_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Long("log.cleaner.dedupe.buffer.size", &c.log_cleaner_dedupe_buffer_size, 0));
  SAMSA_RETURN_IF_ERROR(r.Double("log.cleaner.io.buffer.load.factor", &c.log_cleaner_io_buffer_load_factor, 0, 1));
  SAMSA_RETURN_IF_ERROR(r.Long("log.cleaner.max.compaction.lag.ms", &c.log_cleaner_max_compaction_lag_ms, 1));
  SAMSA_RETURN_IF_ERROR(r.Long("log.segment.delete.delay.ms", &c.log_segment_delete_delay_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("num.partitions", &c.num_partitions, 1));
  SAMSA_RETURN_IF_ERROR(r.Short("default.replication.factor", &c.default_replication_factor, 1));
  SAMSA_RETURN_IF_ERROR(r.Bool("auto.create.topics.enable", &c.auto_create_topics_enable));
  SAMSA_RETURN_IF_ERROR(r.Bool("delete.topic.enable", &c.delete_topic_enable));
  SAMSA_RETURN_IF_ERROR(r.Int("message.max.bytes", &c.message_max_bytes, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("num.io.threads", &c.num_io_threads, 1));
  SAMSA_RETURN_IF_ERROR(r.Int("num.network.threads", &c.num_network_threads, 1));
  SAMSA_RETURN_IF_ERROR(r.Int("background.threads", &c.background_threads, 1));
  SAMSA_RETURN_IF_ERROR(r.Int("num.recovery.threads.per.data.dir", &c.num_recovery_threads_per_data_dir, 1));
  SAMSA_RETURN_IF_ERROR(r.Long("replica.lag.time.max.ms", &c.replica_lag_time_max_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("min.insync.replicas", &c.min_insync_replicas, 1));
  SAMSA_RETURN_IF_ERROR(r.String("compression.type", &c.compression_type,
                                 {"producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"}));
  SAMSA_RETURN_IF_ERROR(r.Bool("unclean.leader.election.enable", &c.unclean_leader_election_enable));
  SAMSA_RETURN_IF_ERROR(r.String("zookeeper.connect", &c.zookeeper_connect));
  SAMSA_RETURN_IF_ERROR(r.Int("zookeeper.session.timeout.ms", &c.zookeeper_session_timeout_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("offsets.topic.num.partitions", &c.offsets_topic_num_partitions, 1));
  SAMSA_RETURN_IF_ERROR(r.Short("offsets.topic.replication.factor", &c.offsets_topic_replication_factor, 1));
  SAMSA_RETURN_IF_ERROR(r.Int("offsets.topic.segment.bytes", &c.offsets_topic_segment_bytes, 1));
  SAMSA_RETURN_IF_ERROR(r.Int("offsets.retention.minutes", &c.offsets_retention_minutes, 1));
  SAMSA_RETURN_IF_ERROR(r.Long("offsets.retention.check.interval.ms", &c.offsets_retention_check_interval_ms, 1));
  SAMSA_RETURN_IF_ERROR(r.Int("offsets.commit.timeout.ms", &c.offsets_commit_timeout_ms, 1));
  SAMSA_RETURN_IF_ERROR(r.Int("group.initial.rebalance.delay.ms", &c.group_initial_rebalance_delay_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("group.min.session.timeout.ms", &c.group_min_session_timeout_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("group.max.session.timeout.ms", &c.group_max_session_timeout_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("group.max.size", &c.group_max_size, 1));
  SAMSA_RETURN_IF_ERROR(r.Int("socket.send.buffer.bytes", &c.socket_send_buffer_bytes));
  SAMSA_RETURN_IF_ERROR(r.Int("socket.receive.buffer.bytes", &c.socket_receive_buffer_bytes));
  SAMSA_RETURN_IF_ERROR(r.Int("socket.request.max.bytes", &c.socket_request_max_bytes, 1));
  SAMSA_RETURN_IF_ERROR(r.Int("queued.max.requests", &c.queued_max_requests, 1));
  SAMSA_RETURN_IF_ERROR(r.Long("connections.max.idle.ms", &c.connections_max_idle_ms));
  SAMSA_RETURN_IF_ERROR(r.Int("max.incremental.fetch.session.cache.slots",
                              &c.max_incremental_fetch_session_cache_slots, 0));
  SAMSA_RETURN_IF_ERROR(r.String("sasl.enabled.mechanisms", &c.sasl_enabled_mechanisms));
  SAMSA_RETURN_IF_ERROR(r.String("samsa.storage", &c.samsa_storage, {"disk", "memory"}));
  for (const auto& [key, value] : props) {
    if (key.rfind("listener.name.", 0) == 0) c.listener_overrides[key] = value;
  }
  for (const char* key : kAcceptedKeys) r.Accept(key);
  for (const char* prefix : kAcceptedPrefixes) r.AcceptPrefix(prefix);
  for (const std::string& policy : SplitCommaList(c.log_cleanup_policy)) {
    if (policy != "delete" && policy != "compact") {
      return ConfigReader::Invalid("log.cleanup.policy", c.log_cleanup_policy,
                                   "each item must be one of: delete, compact");
    }
  }
  if (c.LogDirs().empty()) return ConfigReader::Invalid("log.dirs", c.log_dirs, "no directory given");
  internal::ReportUnknownKeys(r, "server config", warnings);
  return c;
}

std::vector<std::string> BrokerConfig::LogDirs() const {
  return SplitCommaList(log_dirs.empty() ? log_dir : log_dirs);
}

int64_t BrokerConfig::LogRetentionMs() const {
  int64_t ms;
  if (log_retention_ms) {
    ms = *log_retention_ms;
  } else if (log_retention_minutes) {
    ms = int64_t{*log_retention_minutes} * 60 * 1000;
  } else {
    ms = int64_t{log_retention_hours} * 60 * 60 * 1000;
  }
  return ms < 0 ? -1 : ms;  // Kafka: any negative value means unlimited
}

int64_t BrokerConfig::LogRollMs() const {
  return log_roll_ms ? *log_roll_ms : int64_t{log_roll_hours} * 60 * 60 * 1000;
}

int64_t BrokerConfig::LogRollJitterMs() const {
  return log_roll_jitter_ms ? *log_roll_jitter_ms : int64_t{log_roll_jitter_hours} * 60 * 60 * 1000;
}

int64_t BrokerConfig::LogFlushIntervalMs() const {
  return log_flush_interval_ms ? *log_flush_interval_ms : log_flush_scheduler_interval_ms;
}

LogCleanerConfig CleanerConfigFor(const BrokerConfig& broker) {
  LogCleanerConfig c;
  c.enable = broker.log_cleaner_enable;
  c.threads = broker.log_cleaner_threads;
  c.dedupe_buffer_size = broker.log_cleaner_dedupe_buffer_size;
  c.io_buffer_load_factor = broker.log_cleaner_io_buffer_load_factor;
  c.backoff_ms = broker.log_cleaner_backoff_ms;
  return c;
}

LogConfig DefaultLogConfig(const BrokerConfig& broker) {
  LogConfig c;
  c.segment_bytes = broker.log_segment_bytes;
  c.segment_ms = broker.LogRollMs();
  c.segment_jitter_ms = broker.LogRollJitterMs();
  c.segment_index_bytes = broker.log_index_size_max_bytes;
  c.index_interval_bytes = broker.log_index_interval_bytes;
  c.retention_bytes = broker.log_retention_bytes;
  c.retention_ms = broker.LogRetentionMs();
  c.flush_messages = broker.log_flush_interval_messages;
  c.flush_ms = broker.LogFlushIntervalMs();
  c.max_message_bytes = broker.message_max_bytes;
  c.message_timestamp_type = broker.log_message_timestamp_type == "LogAppendTime"
                                 ? record::TimestampType::kLogAppendTime
                                 : record::TimestampType::kCreateTime;
  c.timestamp_difference_max_ms = broker.log_message_timestamp_difference_max_ms;
  c.timestamp_before_max_ms = broker.log_message_timestamp_before_max_ms;
  c.timestamp_after_max_ms = broker.log_message_timestamp_after_max_ms;
  c.message_downconversion_enable = broker.log_message_downconversion_enable;
  c.producer_id_expiration_ms = broker.producer_id_expiration_ms;
  const std::vector<std::string> policies = SplitCommaList(broker.log_cleanup_policy);
  const bool compact = std::count(policies.begin(), policies.end(), "compact") > 0;
  const bool del = std::count(policies.begin(), policies.end(), "delete") > 0;
  c.cleanup_policy = compact && del ? CleanupPolicy::kCompactDelete
                                    : compact ? CleanupPolicy::kCompact : CleanupPolicy::kDelete;
  c.file_delete_delay_ms = broker.log_segment_delete_delay_ms;
  c.delete_retention_ms = broker.log_cleaner_delete_retention_ms;
  c.min_cleanable_dirty_ratio = broker.log_cleaner_min_cleanable_ratio;
  c.min_compaction_lag_ms = broker.log_cleaner_min_compaction_lag_ms;
  c.max_compaction_lag_ms = broker.log_cleaner_max_compaction_lag_ms;
  c.min_insync_replicas = broker.min_insync_replicas;
  c.compression_type = broker.compression_type;
  return c;
}

}  // namespace samsa
