// Broker::Impl: the broker's internal request API — Kafka's operations
// (Metadata, Produce, Fetch, ListOffsets, DeleteRecords, CreateTopics, ...)
// with Kafka's semantics and error codes, written once. The in-process
// Producer and Consumer call it directly with no serialisation; the wire
// server (lib/kafka) decodes frames and calls the very same functions.
//
// Thread-safety: thread-safe. Request calls may run concurrently from any
// number of threads; Fetch blocks up to its max_wait.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "broker/group/group_coordinator.h"
#include "broker/partition.h"
#include "broker/topic_registry.h"
#include "coordination/controller.h"
#include "log/log_manager.h"
#include "samsa/broker.h"
#include "util/mutex.h"
#include "util/scheduler.h"

namespace samsa {

// A topic's description from the controller's leadership record; the offsets
// of partition p come from `leader_partition(p, leader)` (nullptr: unknown).
TopicDescription DescribeLeadership(
    std::string_view name, const coordination::TopicLeadership& t,
    const std::function<std::shared_ptr<Partition>(int32_t partition, int32_t leader)>& leader_partition);

class Broker::Impl {
 public:
  static absl::StatusOr<std::unique_ptr<Impl>> Open(const BrokerConfig& config,
                                                    BrokerOptions options);

  // --- Cluster mode (broker_cluster.cc) -----------------------------------------
  // A broker of a Cluster: topic metadata comes from the controller
  // (ApplyClusterMetadata), not from the samsa-topics file; topic admin goes
  // through these hooks to the cluster (which writes the coordinator).
  struct ClusterHooks {
    std::function<absl::Status(const NewTopic&)> create_topic;
    std::function<absl::Status(std::string_view)> delete_topic;
    std::function<absl::Status(std::string_view, int32_t)> create_partitions;
    std::function<absl::Status(std::string_view, const std::map<std::string, std::optional<std::string>>&)>
        alter_topic_configs;
  };
  static absl::StatusOr<std::unique_ptr<Impl>> OpenInCluster(const BrokerConfig& config,
                                                             BrokerOptions options,
                                                             ClusterHooks hooks);
  bool in_cluster() const { return cluster_mode_; }
  // Kafka's LeaderAndIsr + UpdateMetadata + StopReplica(delete) from the
  // controller, in one: hosts (creating their logs) the partitions whose
  // replicas name this broker, records who leads each, deletes the logs of
  // topics no longer listed and of partitions reassigned to other brokers,
  // moves group coordination with the leadership of __consumer_offsets
  // partitions. Metadata from an older controller epoch (or an older send) is
  // ignored.
  void ApplyClusterMetadata(std::shared_ptr<const coordination::ClusterMetadata> metadata);
  // The receiving end of a reassignment (Cluster::ReassignPartition): hosts
  // `tp` here, not yet as a replica the controller knows, its log emptied to
  // start at `log_start`; ApplyClusterMetadata keeps it until metadata names
  // this broker a replica. FAILED_PRECONDITION if `tp` is hosted here already.
  absl::StatusOr<std::shared_ptr<Partition>> AddIncomingReplica(const TopicPartition& tp, Offset log_start);
  // Undoes AddIncomingReplica after a failed move (deletes the copy).
  void DropIncomingReplica(const TopicPartition& tp);
  // The last metadata applied (nullptr before the first, or alone).
  std::shared_ptr<const coordination::ClusterMetadata> cluster_metadata() const;
  Scheduler* scheduler() const { return scheduler_.get(); }
  ~Impl();

  int32_t broker_id() const { return config_.broker_id; }
  const BrokerConfig& config() const { return config_; }
  Clock* clock() const { return clock_; }
  const BrokerRecoveryInfo& recovery_info() const { return recovery_; }

  // --- Metadata ---------------------------------------------------------------
  struct PartitionMetadata {
    int32_t partition = 0;
    ErrorCode error = ErrorCode::kNone;
    int32_t leader = -1;
    int32_t leader_epoch = 0;
    std::vector<int32_t> replicas;
    std::vector<int32_t> isr;
  };
  struct TopicMetadata {
    std::string name;
    ErrorCode error = ErrorCode::kNone;
    std::string topic_id;
    bool internal = false;
    std::vector<PartitionMetadata> partitions;
  };
  // Every topic when `topics` is nullopt. A named topic that does not exist is
  // created when `allow_auto_create` and auto.create.topics.enable, otherwise
  // reported with UNKNOWN_TOPIC_OR_PARTITION (an invalid name with
  // INVALID_TOPIC_EXCEPTION).
  std::vector<TopicMetadata> Metadata(const std::optional<std::vector<std::string>>& topics,
                                      bool allow_auto_create);
  // Every topic's id (the base64 text Kafka prints) by name, and the name by
  // id, as of `version` (a metadata_version()): for requests that name topics
  // by id (Fetch v13+). Built again only when the version has moved since
  // the last call — topic ids change only when topics are created or deleted
  // — so a request pays a map lookup, not a walk over every topic.
  struct TopicIdIndex {
    uint64_t version = 0;
    absl::flat_hash_map<std::string, std::string> ids_by_name;
    absl::flat_hash_map<std::string, std::string> names_by_id;
  };
  std::shared_ptr<const TopicIdIndex> TopicIds();
  // A topic's partition count, auto-creating the topic as Metadata does.
  absl::StatusOr<int32_t> PartitionCount(std::string_view topic, bool allow_auto_create);
  // Changes whenever a topic is created or deleted or gains partitions; clients
  // cache metadata against it.
  uint64_t metadata_version() const { return metadata_version_.load(std::memory_order_acquire); }

  // --- Produce ---------------------------------------------------------------
  struct ProduceResult {
    int64_t base_offset = -1;
    int64_t last_offset = -1;
    int64_t log_append_time = -1;  // -1 unless the topic uses LogAppendTime
    int64_t log_start_offset = -1;
  };
  // Appends one partition's batches. acks 0/1/-1. Errors:
  // UNKNOWN_TOPIC_OR_PARTITION, CORRUPT_MESSAGE, MESSAGE_TOO_LARGE,
  // RECORD_LIST_TOO_LARGE, NOT_ENOUGH_REPLICAS, INVALID_REQUIRED_ACKS,
  // KAFKA_STORAGE_ERROR.
  // The span form appends from the caller's buffer (a request frame), whose
  // batch headers it rewrites (base offset, leader epoch, LogAppendTime).
  absl::StatusOr<ProduceResult> Produce(const TopicPartition& tp, std::string records, int16_t acks,
                                        AppendOrigin origin = AppendOrigin::kClient);
  absl::StatusOr<ProduceResult> Produce(const TopicPartition& tp, absl::Span<char> records, int16_t acks,
                                        AppendOrigin origin = AppendOrigin::kClient);

  // --- Fetch -----------------------------------------------------------------
  struct FetchPartitionRequest {
    TopicPartition tp;
    int64_t fetch_offset = 0;
    int32_t max_bytes = 1 << 20;  // max.partition.fetch.bytes
  };
  struct FetchRequest {
    std::vector<FetchPartitionRequest> partitions;
    absl::Duration max_wait = absl::Milliseconds(500);  // fetch.max.wait.ms
    int32_t min_bytes = 1;                               // fetch.min.bytes
    int32_t max_bytes = 52428800;                        // fetch.max.bytes
    FetchIsolation isolation = FetchIsolation::kHighWatermark;
    // Optional, owned by the caller: Fetch waits on it (registered with the
    // partitions it reads), so the caller can Signal() it to make the fetch
    // look again, and set *interrupted first to make it return at once (a
    // consumer's Wakeup).
    FetchWaiter* waiter = nullptr;
    const std::atomic<bool>* interrupted = nullptr;
  };
  struct FetchPartitionResponse {
    TopicPartition tp;
    absl::Status status;  // carries the Kafka error code
    int64_t high_watermark = -1;
    int64_t last_stable_offset = -1;
    int64_t log_start_offset = -1;
    SharedBytes records;  // whole batches
  };
  // Kafka's fetch: reads every partition from its offset; if fewer than
  // min_bytes came back and no partition failed, waits (up to max_wait on the
  // broker's clock) for appends, which wake it at once, and reads again. The
  // first partition with data returns at least one batch even past the byte
  // limits (KIP-74); responses are in request order.
  std::vector<FetchPartitionResponse> Fetch(const FetchRequest& request);

  // --- ListOffsets / DeleteRecords -------------------------------------------
  struct ListOffsetResult {
    int64_t timestamp = -1;
    int64_t offset = -1;  // -1: no such record (a timestamp past every record)
    int32_t leader_epoch = -1;
  };
  // timestamp: -2 earliest, -1 latest (the high watermark, or the last stable
  // offset for read_committed), -3 the largest timestamp, else the first
  // record at or after it.
  absl::StatusOr<ListOffsetResult> ListOffset(const TopicPartition& tp, int64_t timestamp,
                                              FetchIsolation isolation);
  // ListOffsets v0 (Kafka's UnifiedLog.legacyFetchOffsetsBefore and
  // Partition.legacyFetchOffsetsForTimestamp): up to `max_num_offsets`
  // segment base offsets (at least the log start offset), with the log end
  // offset last when the active segment holds data, newest first: for -1 from
  // the newest, for -2 the oldest alone, else from the newest segment last
  // written at or before `timestamp` (its largest record timestamp, which
  // samsa keeps where Kafka reads the file's mtime). A consumer
  // (`from_consumer`) sees the high watermark in place of offsets above it.
  absl::StatusOr<std::vector<int64_t>> LegacyListOffsets(const TopicPartition& tp,
                                                         int64_t timestamp,
                                                         int32_t max_num_offsets,
                                                         bool from_consumer);
  // Moves the partition's log start offset up to `before_offset` (-1: the high
  // watermark); returns the new low watermark.
  absl::StatusOr<int64_t> DeleteRecords(const TopicPartition& tp, int64_t before_offset);

  // --- Topics (behind Broker's public methods) ---------------------------------
  absl::Status CreateTopic(const NewTopic& topic);
  // The checks CreateTopic makes (name, existence, partition count,
  // replication factor, configs), creating nothing: CreateTopics with
  // validate_only. OK when CreateTopic(topic) would be accepted now.
  absl::Status ValidateCreateTopic(const NewTopic& topic) const;
  absl::Status DeleteTopic(std::string_view name);
  std::vector<std::string> ListTopics(bool include_internal) const;
  absl::StatusOr<TopicDescription> DescribeTopic(std::string_view name) const;
  absl::Status CreatePartitions(std::string_view topic, int32_t total_partitions);
  absl::Status AlterTopicConfigs(std::string_view topic,
                                 const std::map<std::string, std::optional<std::string>>& changes);
  absl::StatusOr<std::vector<ConfigEntry>> DescribeTopicConfigs(std::string_view topic) const;

  // The hosted partition, or nullptr.
  std::shared_ptr<Partition> GetPartition(const TopicPartition& tp) const;

  // --- Consumer groups (broker_groups.cc) ---------------------------------------
  // The group coordinator, which leads every partition of __consumer_offsets
  // on a single broker. The topic is created on first use (compacted,
  // offsets.topic.num.partitions partitions) and its groups and offsets are
  // loaded then, or at Open() when it exists.
  absl::StatusOr<group::GroupCoordinator*> Groups();
  // Committed offset, log end offset, high watermark and lag of every
  // partition a group has offsets for or is assigned (what
  // kafka-consumer-groups.sh --describe shows).
  absl::StatusOr<ConsumerGroupDescription> DescribeGroup(std::string_view group_id);
  absl::StatusOr<std::vector<ConsumerGroupListing>> ListGroups();
  absl::Status DeleteGroup(std::string_view group_id);

  absl::StatusOr<int32_t> RunRetention();
  // A compaction pass over every compacted partition now (the cleaner does
  // this every log.cleaner.backoff.ms). Returns the records removed.
  absl::StatusOr<int64_t> RunCleaner();
  absl::Status Flush();
  // Waits until the background tasks due by the clock's current time have run
  // (tests on a manual clock).
  void AwaitBackgroundIdle() { scheduler_->AwaitIdle(); }
  absl::Status Close();

 private:
  Impl(const BrokerConfig& config, BrokerOptions options);
  absl::Status Load();
  absl::Status CheckOpen() const;
  absl::Status CreateTopicLocked(const NewTopic& topic, bool auto_created)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(topics_mu_);
  // The registry entry CreateTopic would add (no topic id yet), or why not.
  absl::StatusOr<TopicInfo> NewTopicInfoLocked(const NewTopic& topic) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(topics_mu_);
  absl::Status AddPartitionsLocked(const TopicInfo& info, int32_t from, int32_t to)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(topics_mu_);
  absl::StatusOr<LogConfig> LogConfigFor(const TopicInfo& info) const;
  // Stops hosting `tp` (fetches waiting on it wake) and returns its log
  // manager, for the caller to delete the log; nullptr if not hosted.
  LogManager* UnhostPartitionLocked(const TopicPartition& tp) ABSL_EXCLUSIVE_LOCKS_REQUIRED(topics_mu_);
  LogManager* LogManagerFor(const TopicInfo& info) ABSL_EXCLUSIVE_LOCKS_REQUIRED(topics_mu_);
  // Applies a topic's (new) log config to the partitions of it this broker hosts.
  void UpdateHostedLogConfigs(const TopicInfo& info, const LogConfig& config)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(topics_mu_);
  absl::Status StoreRegistryLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(topics_mu_);
  absl::Status DeleteTopicFiles(std::string_view name);
  absl::Status MaybeAutoCreate(std::string_view topic, bool allow_auto_create);
  void StartBackgroundTasks();
  // The partition a Produce/Fetch/ListOffsets for `tp` acts on: alone, the
  // hosted one (UNKNOWN_TOPIC_OR_PARTITION otherwise); in a cluster, only if
  // this broker leads it (NOT_LEADER_OR_FOLLOWER; LEADER_NOT_AVAILABLE when
  // the partition is offline).
  absl::StatusOr<std::shared_ptr<Partition>> LeaderPartition(const TopicPartition& tp) const;
  std::vector<TopicMetadata> ClusterMetadataFor(const std::optional<std::vector<std::string>>& topics,
                                                bool allow_auto_create);
  absl::Status ClusterAutoCreate(std::string_view topic, bool allow_auto_create);
  absl::StatusOr<TopicDescription> DescribeClusterTopic(std::string_view name) const;
  // Group coordination follows the leadership of __consumer_offsets.
  void MoveGroupLeadership(const coordination::ClusterMetadata& metadata);
  // The __consumer_offsets partitions this broker leads in `metadata`.
  std::set<int32_t> LedOffsetsPartitions(const coordination::ClusterMetadata& metadata) const;

  BrokerConfig config_;
  std::vector<std::string> log_dirs_;
  std::unique_ptr<Env> owned_env_;  // the in-memory filesystem of samsa.storage=memory
  Env* env_;
  Clock* clock_;
  BrokerRecoveryInfo recovery_;
  std::atomic<bool> closed_{false};
  std::atomic<uint64_t> metadata_version_{1};

  // The last TopicIds() built.
  Mutex topic_ids_mu_;
  std::shared_ptr<const TopicIdIndex> topic_ids_ ABSL_GUARDED_BY(topic_ids_mu_);

  // Admin operations and the registry.
  mutable Mutex topics_mu_;
  TopicRegistry registry_ ABSL_GUARDED_BY(topics_mu_);
  // Partitions being moved here (AddIncomingReplica), not yet replicas.
  absl::flat_hash_set<TopicPartition> incoming_ ABSL_GUARDED_BY(topics_mu_);
  std::unique_ptr<LogManager> disk_logs_;
  std::unique_ptr<Env> memory_env_ ABSL_GUARDED_BY(topics_mu_);  // memory topics' filesystem
  std::unique_ptr<LogManager> memory_logs_ ABSL_GUARDED_BY(topics_mu_);

  // The hot path's lookup table.
  mutable SharedMutex partitions_mu_;
  absl::flat_hash_map<TopicPartition, std::shared_ptr<Partition>> partitions_
      ABSL_GUARDED_BY(partitions_mu_);

  std::unique_ptr<Scheduler> scheduler_;

  // Cluster mode.
  bool cluster_mode_ = false;
  ClusterHooks hooks_;
  mutable Mutex cluster_mu_ ABSL_ACQUIRED_AFTER(topics_mu_);
  std::shared_ptr<const coordination::ClusterMetadata> cluster_metadata_ ABSL_GUARDED_BY(cluster_mu_);
  Mutex apply_mu_ ABSL_ACQUIRED_BEFORE(groups_mu_);  // one ApplyClusterMetadata at a time

  // Consumer groups: created by Groups(), destroyed (pending joins failed)
  // before the logs close.
  Mutex groups_mu_ ABSL_ACQUIRED_BEFORE(topics_mu_);
  std::unique_ptr<group::OffsetsTopicStore> offsets_store_ ABSL_GUARDED_BY(groups_mu_);
  std::unique_ptr<group::GroupCoordinator> groups_ ABSL_GUARDED_BY(groups_mu_);
  std::atomic<group::GroupCoordinator*> groups_ready_{nullptr};
  std::set<int32_t> groups_led_ ABSL_GUARDED_BY(groups_mu_);  // partitions elected for
};

}  // namespace samsa
