// samsa/consumer.h — Kafka's consumer, bound to a Broker in this process.
//
//   samsa::ConsumerConfig config;
//   config.auto_offset_reset = samsa::OffsetResetStrategy::kEarliest;
//   auto consumer = samsa::Consumer::Create(broker.get(), config);
//   (*consumer)->Assign({{"orders", 0}, {"orders", 1}});
//   absl::StatusOr<std::vector<samsa::ConsumerRecord>> records =
//       (*consumer)->Poll(absl::Seconds(1));
//
//   // kafka-python's `for msg in consumer` with consumer_timeout_ms=1000:
//   for (const samsa::ConsumerRecord& r : (*consumer)->Records(absl::Seconds(1))) { ... }
//
// Partitions are assigned by hand (Assign) or by the consumer group
// (Subscribe; needs group.id): Kafka's classic group protocol with the
// broker's group coordinator — JoinGroup, SyncGroup, a background heartbeat
// thread (heartbeat.interval.ms, session.timeout.ms), the assignors of
// partition.assignment.strategy (range, roundrobin, sticky,
// cooperative-sticky: COOPERATIVE rebalancing when every configured assignor
// supports it, else EAGER), static membership with group.instance.id. The
// group (re)joins inside Poll(), which also runs the rebalance listener: on
// an EAGER rebalance every owned partition is revoked first; on a COOPERATIVE
// one only those moving away, and the member rejoins at once to hand them
// over. A consumer that does not Poll() for max.poll.interval.ms leaves the
// group (its partitions are then lost, not revoked). A rebalance happens when
// a member joins, leaves or times out, when a subscribed topic gains
// partitions, and when a topic matching a subscribed pattern appears.
//
// Each assigned partition has a position — the offset of the next record to
// return — kept apart from the committed offset (stored by the group
// coordinator in __consumer_offsets). A position is unknown until first
// needed, then set from the committed offset (group consumers), else by
// auto.offset.reset (earliest: the log start offset; latest: the high
// watermark; none: the call fails with OFFSET_OUT_OF_RANGE). A fetch from a
// position the log no longer (or not yet) holds is reset the same way.
// With enable.auto.commit, positions are committed every
// auto.commit.interval.ms (from Poll), before partitions are revoked and on
// Close().
//
// Poll(timeout) returns at most max.poll.records records, only below each
// partition's high watermark, in offset order per partition, and advances the
// positions past them. When nothing is buffered it fetches from every
// assigned, unpaused partition (fetch.min.bytes, fetch.max.bytes,
// max.partition.fetch.bytes) and, while there is nothing, waits — woken as
// soon as a producer appends, never by polling — until `timeout` passes on the
// injected Clock (each broker wait at most fetch.max.wait.ms). Wakeup() from
// another thread makes a blocked Poll (or the next one) return CANCELLED.
// Records beyond max.poll.records stay buffered for the next Poll.
//
// Batches are checked (CRC-32C when check.crcs, every record's framing) before
// a record is returned; a corrupt batch fails the Poll with CORRUPT_MESSAGE
// naming the partition and offset. Keys and values are SharedBytes pointing
// into the stored batch (memory topics and recently appended batches: no copy)
// or, for compressed batches, into one decompressed buffer per batch.
//
// Thread-safety: one thread at a time, as Kafka's consumer, except Wakeup(),
// which any thread may call. The Broker must outlive the Consumer.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "samsa/broker.h"
#include "samsa/cluster.h"
#include "samsa/config.h"
#include "samsa/record.h"
#include "samsa/types.h"

namespace samsa {

struct OffsetAndTimestamp {
  int64_t offset = -1;
  int64_t timestamp = -1;
  friend bool operator==(const OffsetAndTimestamp&, const OffsetAndTimestamp&) = default;
};

struct OffsetAndMetadata {
  int64_t offset = -1;
  std::string metadata;
  std::optional<int32_t> leader_epoch;
  friend bool operator==(const OffsetAndMetadata&, const OffsetAndMetadata&) = default;
};

// Kafka's ConsumerRebalanceListener. Called on the thread calling Poll (or
// Unsubscribe/Close), between the group's rebalance steps.
class ConsumerRebalanceListener {
 public:
  virtual ~ConsumerRebalanceListener() = default;
  // Before partitions are taken away in a rebalance: commit their offsets
  // here if auto-commit is off.
  virtual void OnPartitionsRevoked(const std::vector<TopicPartition>& partitions) {}
  // After a rebalance gave these partitions (COOPERATIVE: only the new ones).
  virtual void OnPartitionsAssigned(const std::vector<TopicPartition>& partitions) {}
  // The member was dropped from the group (session or poll time-out, fenced):
  // these partitions may already belong to another member. Kafka's default
  // calls OnPartitionsRevoked.
  virtual void OnPartitionsLost(const std::vector<TopicPartition>& partitions) {
    OnPartitionsRevoked(partitions);
  }
};

// Kafka's ConsumerGroupMetadata.
struct ConsumerGroupMetadata {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

// Called (from a later Poll, CommitSync or Close, on the consumer's thread)
// with the outcome of a CommitAsync.
using OffsetCommitCallback = std::function<void(
    const std::map<TopicPartition, OffsetAndMetadata>& offsets, const absl::Status& status)>;

struct ConsumerOptions {
  Clock* clock = nullptr;  // nullptr: the broker's clock
};

class Consumer {
 public:
  static absl::StatusOr<std::unique_ptr<Consumer>> Create(Broker* broker, ConsumerConfig config,
                                                          ConsumerOptions options = {});
  // A consumer of a Cluster: fetches from each partition's leader; its
  // group coordinator is the broker leading the group's partition of
  // __consumer_offsets.
  static absl::StatusOr<std::unique_ptr<Consumer>> Create(Cluster* cluster, ConsumerConfig config,
                                                          ConsumerOptions options = {});
  ~Consumer();

  // Replaces the assignment. Positions of partitions kept are kept; new ones
  // start unknown. UNKNOWN_TOPIC_OR_PARTITION if a partition does not exist.
  absl::Status Assign(const std::vector<TopicPartition>& partitions);
  std::vector<TopicPartition> Assignment() const;

  // Joins group.id and takes the partitions the group assigns (replacing any
  // manual assignment). `listener` (may be null) must outlive the
  // subscription. INVALID_GROUP_ID without a group.id; INVALID_TOPIC_EXCEPTION
  // for an empty topic name. Subscribing again replaces the subscription
  // (and rebalances).
  absl::Status Subscribe(const std::vector<std::string>& topics,
                         ConsumerRebalanceListener* listener = nullptr);
  // Every topic (but internal ones) whose whole name matches `pattern`
  // (ECMAScript syntax, like Java's Pattern for ordinary patterns), now and as
  // topics appear. InvalidArgument for a bad pattern.
  absl::Status SubscribePattern(const std::string& pattern,
                                ConsumerRebalanceListener* listener = nullptr);
  // Leaves the group (auto-committing first when enabled) and drops the
  // assignment.
  absl::Status Unsubscribe();
  // The subscribed topics (for a pattern: those it matched at the last join).
  std::vector<std::string> Subscription() const;
  ConsumerGroupMetadata GroupMetadata() const;

  absl::StatusOr<std::vector<ConsumerRecord>> Poll(absl::Duration timeout);
  void Wakeup();

  // --- Committed offsets (needs group.id) ---------------------------------------
  // Commits the current positions of every assigned partition, or `offsets`.
  // Errors: REBALANCE_IN_PROGRESS (commit after the rebalance, from the
  // listener or the next Poll), ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID (Kafka's
  // CommitFailedException: the member was dropped), FENCED_INSTANCE_ID,
  // COORDINATOR_NOT_AVAILABLE, ...
  absl::Status CommitSync();
  absl::Status CommitSync(const std::map<TopicPartition, OffsetAndMetadata>& offsets);
  // Commits now; `callback` runs on a later Poll/CommitSync/Close.
  void CommitAsync(OffsetCommitCallback callback = nullptr);
  void CommitAsync(const std::map<TopicPartition, OffsetAndMetadata>& offsets,
                   OffsetCommitCallback callback = nullptr);
  // The last committed offset of each partition (nullopt: none).
  absl::StatusOr<std::map<TopicPartition, std::optional<OffsetAndMetadata>>> Committed(
      const std::vector<TopicPartition>& partitions);
  // Kafka's lag of the group on each partition: high watermark − committed
  // offset (nullopt when nothing is committed).
  absl::StatusOr<std::map<TopicPartition, std::optional<int64_t>>> Lag(
      const std::vector<TopicPartition>& partitions);

  // Positions. REQUIRES for each: the partition is assigned (else
  // FailedPrecondition). A seek takes effect on the next Poll.
  absl::Status Seek(const TopicPartition& tp, int64_t offset);
  absl::Status SeekToBeginning(const std::vector<TopicPartition>& partitions);
  absl::Status SeekToEnd(const std::vector<TopicPartition>& partitions);
  // The offset of the next record Poll would return (resolving an unknown
  // position by auto.offset.reset).
  absl::StatusOr<int64_t> Position(const TopicPartition& tp);

  // Paused partitions are not fetched and their buffered records are kept
  // back until resumed.
  absl::Status Pause(const std::vector<TopicPartition>& partitions);
  absl::Status Resume(const std::vector<TopicPartition>& partitions);
  std::vector<TopicPartition> Paused() const;

  // Log start offsets; end offsets (the high watermark: the offset the next
  // record will get); the first offset whose timestamp is >= the given one
  // (nullopt when none), as Kafka's ListOffsets. Any partition, assigned or not.
  absl::StatusOr<std::map<TopicPartition, int64_t>> BeginningOffsets(
      const std::vector<TopicPartition>& partitions);
  absl::StatusOr<std::map<TopicPartition, int64_t>> EndOffsets(
      const std::vector<TopicPartition>& partitions);
  absl::StatusOr<std::map<TopicPartition, std::optional<OffsetAndTimestamp>>> OffsetsForTimes(
      const std::map<TopicPartition, int64_t>& timestamps);
  // Partition count of a topic (UNKNOWN_TOPIC_OR_PARTITION if missing).
  absl::StatusOr<int32_t> PartitionsFor(const std::string& topic);

  // Auto-commits (when enabled and in a group), leaves the group (not a
  // static member: it keeps its place until session.timeout.ms), runs pending
  // commit callbacks. Every later call fails with FailedPrecondition.
  absl::Status Close();

  // An input range of records: each step polls until a record arrives or
  // `idle_timeout` passes with none, which ends the iteration (as kafka-python's
  // consumer_timeout_ms). An error also ends it; status() tells which.
  class RecordRange {
   public:
    class iterator {
     public:
      using value_type = ConsumerRecord;
      using difference_type = std::ptrdiff_t;
      iterator() = default;
      explicit iterator(RecordRange* range) : range_(range) {}
      const ConsumerRecord& operator*() const { return range_->current(); }
      const ConsumerRecord* operator->() const { return &range_->current(); }
      iterator& operator++() {
        if (!range_->Advance()) range_ = nullptr;
        return *this;
      }
      void operator++(int) { ++*this; }
      friend bool operator==(const iterator& a, const iterator& b) { return a.range_ == b.range_; }

     private:
      RecordRange* range_ = nullptr;
    };
    iterator begin() { return Advance() ? iterator(this) : iterator(); }
    iterator end() { return iterator(); }
    // OK when the iteration ended by the idle timeout.
    const absl::Status& status() const { return status_; }

   private:
    friend class Consumer;
    RecordRange(Consumer* consumer, absl::Duration idle) : consumer_(consumer), idle_(idle) {}
    bool Advance();
    const ConsumerRecord& current() const { return batch_[index_]; }
    Consumer* consumer_;
    absl::Duration idle_;
    std::vector<ConsumerRecord> batch_;
    size_t index_ = 0;
    bool started_ = false;
    absl::Status status_;
  };
  RecordRange Records(absl::Duration idle_timeout) { return RecordRange(this, idle_timeout); }

  const ConsumerConfig& config() const;

  class Impl;

 private:
  explicit Consumer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace samsa
