// samsa/broker.h — an Apache Kafka broker inside your process.
//
//   samsa::BrokerConfig config;                 // Kafka's names and defaults
//   config.log_dirs = "/var/lib/samsa";         // or BrokerConfig::FromProperties(...)
//   auto broker = samsa::Broker::Open(config);  // recovers every partition found
//   (*broker)->CreateTopic({.name = "orders", .num_partitions = 3});
//   ... samsa::Producer / samsa::Consumer bound to *broker ...
//   (*broker)->Close();                         // flush, checkpoints, clean-shutdown marker
//
// Open() takes each log dir's lock (a dir held by a live broker, in this
// process or another, is refused with KAFKA_STORAGE_ERROR), recovers every
// <topic>-<partition> directory (after an unclean shutdown: validating what was
// not synced, cutting torn tails — recovery_info() says what it did) and starts
// the background work: retention every log.retention.check.interval.ms,
// flushes per log.flush.interval.*, checkpoints — all on the injected Clock.
//
// Topic metadata (partition counts, topic ids, per-topic configs), which Kafka
// keeps in ZooKeeper or KRaft, lives in a `samsa-topics` file in each log dir
// beside Kafka's own files (meta.properties, the checkpoints,
// .kafka_cleanshutdown); the log files themselves are Kafka's, byte for byte.
//
// Errors are absl::Status values carrying Kafka error codes (samsa/errors.h):
// TOPIC_ALREADY_EXISTS, INVALID_TOPIC_EXCEPTION, INVALID_PARTITIONS,
// INVALID_REPLICATION_FACTOR, INVALID_CONFIG, UNKNOWN_TOPIC_OR_PARTITION,
// KAFKA_STORAGE_ERROR. A closed broker fails every call.
//
// Thread-safety: thread-safe. Producers and consumers may use one Broker from
// any number of threads. The Broker must outlive them.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "samsa/clock.h"
#include "samsa/config.h"
#include "samsa/env.h"
#include "samsa/group.h"
#include "samsa/topic.h"

namespace samsa {

struct BrokerOptions {
  // Where files go; nullptr: the real filesystem (or, when
  // samsa.storage=memory, a private in-memory one). Must outlive the Broker.
  Env* env = nullptr;
  // Where time comes from; nullptr: env's clock. Must outlive the Broker.
  Clock* clock = nullptr;
};

// What Open() found and did.
struct BrokerRecoveryInfo {
  bool clean_shutdown = true;         // every log dir had its marker
  int32_t partitions_loaded = 0;
  int32_t partitions_recovered = 0;   // scanned after an unclean shutdown
  int64_t truncated_bytes = 0;        // unsynced or corrupt bytes cut
  std::vector<std::string> problems;  // one line per cut
};

class Broker {
 public:
  static absl::StatusOr<std::unique_ptr<Broker>> Open(const BrokerConfig& config,
                                                      BrokerOptions options = {});
  // Loads a Kafka server.properties file (unknown keys: warnings) and opens.
  static absl::StatusOr<std::unique_ptr<Broker>> OpenFromPropertiesFile(
      const std::string& path, BrokerOptions options = {});
  // Closes if still open.
  ~Broker();

  int32_t id() const;
  const BrokerConfig& config() const;
  const BrokerRecoveryInfo& recovery_info() const;

  // --- Topics -------------------------------------------------------------------
  absl::Status CreateTopic(const NewTopic& topic);
  // Deletes the topic and its files (delete.topic.enable must be true).
  absl::Status DeleteTopic(std::string_view name);
  std::vector<std::string> ListTopics(bool include_internal = false) const;
  absl::StatusOr<TopicDescription> DescribeTopic(std::string_view name) const;
  // Kafka's CreatePartitions: grows the topic to `total_partitions`.
  absl::Status CreatePartitions(std::string_view topic, int32_t total_partitions);
  // Sets (a value) or removes (nullopt) topic config overrides, as Kafka's
  // IncrementalAlterConfigs does; validated as CreateTopic validates them.
  absl::Status AlterTopicConfigs(std::string_view topic,
                                 const std::map<std::string, std::optional<std::string>>& changes);
  // Every topic config with its effective value and where it comes from.
  absl::StatusOr<std::vector<ConfigEntry>> DescribeTopicConfigs(std::string_view topic) const;

  // --- Consumer groups --------------------------------------------------------
  // Groups live in the group coordinator, their offsets in the compacted
  // __consumer_offsets topic (created on first use; offsets.topic.* configs).
  // GROUP_ID_NOT_FOUND for a group the broker does not know.
  absl::StatusOr<std::vector<ConsumerGroupListing>> ListGroups();
  absl::StatusOr<ConsumerGroupDescription> DescribeGroup(std::string_view group_id);
  // Deletes an Empty group and its offsets (NON_EMPTY_GROUP otherwise).
  absl::Status DeleteGroup(std::string_view group_id);

  // --- Maintenance ---------------------------------------------------------------
  // Runs retention on every partition now (the background task does this every
  // log.retention.check.interval.ms). Returns the segments deleted.
  absl::StatusOr<int32_t> RunRetention();
  // Flushes every partition to disk.
  absl::Status Flush();

  // Flushes, writes checkpoints and the clean-shutdown marker, releases the
  // log dirs. Later calls on the broker fail.
  absl::Status Close();

  // samsa's own clients reach the broker's request API through this; it is
  // not part of the public API.
  class Impl;
  Impl* impl() const { return impl_.get(); }

 private:
  friend class Cluster;  // opens its brokers in cluster mode
  explicit Broker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace samsa
