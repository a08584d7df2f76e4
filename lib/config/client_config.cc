// ProducerConfig and ConsumerConfig with Kafka's client names and defaults.
#include "absl/strings/ascii.h"
#include "config/config_reader.h"
#include "samsa/config.h"
#include "util/status_macros.h"

namespace samsa {
namespace {

using internal::ConfigReader;

constexpr const char* kAcceptedClientKeys[] = {
    "key.serializer", "value.serializer", "key.deserializer", "value.deserializer",
    "security.protocol", "sasl.mechanism", "sasl.jaas.config", "metadata.max.age.ms",
    "send.buffer.bytes", "receive.buffer.bytes", "reconnect.backoff.ms", "reconnect.backoff.max.ms",
    "connections.max.idle.ms", "metric.reporters", "metrics.num.samples", "metrics.sample.window.ms",
    "interceptor.classes", "client.dns.lookup", "socket.connection.setup.timeout.ms",
    "socket.connection.setup.timeout.max.ms", "transactional.id", "transaction.timeout.ms",
    "exclude.internal.topics", "allow.auto.create.topics", "default.api.timeout.ms",
    "client.rack", "auto.include.jmx.reporter", "metadata.max.idle.ms", "partitioner.adaptive.partitioning.enable",
    "partitioner.availability.timeout.ms",
};

// Kafka's partitioner class names, and samsa's short names.
absl::Status ReadPartitioner(ConfigReader& r, PartitionerType* out) {
  std::optional<std::string> raw = r.Raw("partitioner.class");
  if (!raw) return absl::OkStatus();
  const std::string v = absl::AsciiStrToLower(*raw);
  if (v == "default" || v == "org.apache.kafka.clients.producer.internals.defaultpartitioner") {
    *out = PartitionerType::kDefault;
  } else if (v == "sticky" || v == "uniform-sticky" ||
             v == "org.apache.kafka.clients.producer.uniformstickypartitioner") {
    *out = PartitionerType::kSticky;
  } else if (v == "round-robin" || v == "roundrobin" ||
             v == "org.apache.kafka.clients.producer.roundrobinpartitioner") {
    *out = PartitionerType::kRoundRobin;
  } else if (v == "custom") {
    *out = PartitionerType::kCustom;
  } else {
    return ConfigReader::Invalid("partitioner.class", *raw,
                                 "expected default, sticky, round-robin, custom or one of Kafka's "
                                 "partitioner class names");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ProducerConfig> ProducerConfig::FromProperties(const Properties& props,
                                                              std::vector<std::string>* warnings) {
  ProducerConfig c;
  ConfigReader r(props);
  SAMSA_RETURN_IF_ERROR(r.String("client.id", &c.client_id));
  if (std::optional<std::string> acks = r.Raw("acks")) {
    if (*acks == "all" || *acks == "-1") c.acks = -1;
    else if (*acks == "0") c.acks = 0;
    else if (*acks == "1") c.acks = 1;
    else return ConfigReader::Invalid("acks", *acks, "String must be one of: all, -1, 0, 1");
  }
  SAMSA_RETURN_IF_ERROR(r.Long("linger.ms", &c.linger_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("batch.size", &c.batch_size, 0));
  SAMSA_RETURN_IF_ERROR(r.Long("buffer.memory", &c.buffer_memory, 0));
  SAMSA_RETURN_IF_ERROR(r.Long("max.block.ms", &c.max_block_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.String("compression.type", &c.compression_type,
                                 {"none", "gzip", "snappy", "lz4", "zstd"}));
  SAMSA_RETURN_IF_ERROR(r.Int("max.request.size", &c.max_request_size, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("delivery.timeout.ms", &c.delivery_timeout_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("request.timeout.ms", &c.request_timeout_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("retries", &c.retries, 0));
  SAMSA_RETURN_IF_ERROR(r.Long("retry.backoff.ms", &c.retry_backoff_ms, 0));
  SAMSA_RETURN_IF_ERROR(ReadPartitioner(r, &c.partitioner));
  SAMSA_RETURN_IF_ERROR(r.Bool("partitioner.ignore.keys", &c.partitioner_ignore_keys));
  SAMSA_RETURN_IF_ERROR(r.Bool("enable.idempotence", &c.enable_idempotence));
  SAMSA_RETURN_IF_ERROR(r.Int("max.in.flight.requests.per.connection",
                              &c.max_in_flight_requests_per_connection, 1));
  SAMSA_RETURN_IF_ERROR(r.String("bootstrap.servers", &c.bootstrap_servers));
  for (const char* key : kAcceptedClientKeys) r.Accept(key);
  r.AcceptPrefix("ssl.");
  r.AcceptPrefix("sasl.");
  internal::ReportUnknownKeys(r, "producer config", warnings);
  return c;
}

absl::StatusOr<ConsumerConfig> ConsumerConfig::FromProperties(const Properties& props,
                                                              std::vector<std::string>* warnings) {
  ConsumerConfig c;
  ConfigReader r(props);
  SAMSA_RETURN_IF_ERROR(r.String("group.id", &c.group_id));
  SAMSA_RETURN_IF_ERROR(r.String("client.id", &c.client_id));
  SAMSA_RETURN_IF_ERROR(r.String("group.instance.id", &c.group_instance_id));
  std::string reset;
  SAMSA_RETURN_IF_ERROR(r.String("auto.offset.reset", &reset, {"earliest", "latest", "none"}));
  if (reset == "earliest") c.auto_offset_reset = OffsetResetStrategy::kEarliest;
  if (reset == "latest") c.auto_offset_reset = OffsetResetStrategy::kLatest;
  if (reset == "none") c.auto_offset_reset = OffsetResetStrategy::kNone;
  SAMSA_RETURN_IF_ERROR(r.Bool("enable.auto.commit", &c.enable_auto_commit));
  SAMSA_RETURN_IF_ERROR(r.Int("auto.commit.interval.ms", &c.auto_commit_interval_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("max.poll.records", &c.max_poll_records, 1));
  SAMSA_RETURN_IF_ERROR(r.Int("max.poll.interval.ms", &c.max_poll_interval_ms, 1));
  c.rebalance_timeout_ms = c.max_poll_interval_ms;
  SAMSA_RETURN_IF_ERROR(r.Int("fetch.min.bytes", &c.fetch_min_bytes, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("fetch.max.wait.ms", &c.fetch_max_wait_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("fetch.max.bytes", &c.fetch_max_bytes, 0));
  SAMSA_RETURN_IF_ERROR(r.Int("max.partition.fetch.bytes", &c.max_partition_fetch_bytes, 0));
  std::string isolation;
  SAMSA_RETURN_IF_ERROR(r.String("isolation.level", &isolation, {"read_uncommitted", "read_committed"}));
  if (isolation == "read_committed") c.isolation_level = IsolationLevel::kReadCommitted;
  SAMSA_RETURN_IF_ERROR(r.Int("session.timeout.ms", &c.session_timeout_ms, 1));
  SAMSA_RETURN_IF_ERROR(r.Int("heartbeat.interval.ms", &c.heartbeat_interval_ms, 1));
  std::vector<std::string> strategies;
  SAMSA_RETURN_IF_ERROR(r.List("partition.assignment.strategy", &strategies));
  if (props.count("partition.assignment.strategy") != 0) {
    c.partition_assignment_strategy.clear();
    for (const std::string& s : strategies) {
      const std::string v = absl::AsciiStrToLower(s);
      std::string name;
      if (v == "range" || v == "org.apache.kafka.clients.consumer.rangeassignor") name = "range";
      else if (v == "roundrobin" || v == "org.apache.kafka.clients.consumer.roundrobinassignor") name = "roundrobin";
      else if (v == "sticky" || v == "org.apache.kafka.clients.consumer.stickyassignor") name = "sticky";
      else if (v == "cooperative-sticky" || v == "org.apache.kafka.clients.consumer.cooperativestickyassignor") name = "cooperative-sticky";
      else return ConfigReader::Invalid("partition.assignment.strategy", s,
                                        "expected range, roundrobin, sticky, cooperative-sticky or a Kafka assignor class name");
      c.partition_assignment_strategy.push_back(name);
    }
    if (c.partition_assignment_strategy.empty()) {
      return ConfigReader::Invalid("partition.assignment.strategy", "", "at least one assignor");
    }
  }
  SAMSA_RETURN_IF_ERROR(r.Bool("check.crcs", &c.check_crcs));
  SAMSA_RETURN_IF_ERROR(r.Int("request.timeout.ms", &c.request_timeout_ms, 0));
  SAMSA_RETURN_IF_ERROR(r.String("bootstrap.servers", &c.bootstrap_servers));
  for (const char* key : kAcceptedClientKeys) r.Accept(key);
  r.AcceptPrefix("ssl.");
  r.AcceptPrefix("sasl.");
  internal::ReportUnknownKeys(r, "consumer config", warnings);
  return c;
}

}  // namespace samsa
