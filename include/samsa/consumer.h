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
// Partitions are assigned by hand (Assign); group subscription comes with the
// group coordinator. Each assigned partition has a position — the offset of
// the next record to return — kept apart from any committed offset. A
// position is unknown until first needed, then set by auto.offset.reset
// (earliest: the log start offset; latest: the high watermark; none: the
// call fails with OFFSET_OUT_OF_RANGE). A fetch from a position the log no
// longer (or not yet) holds is reset the same way.
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
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "samsa/broker.h"
#include "samsa/config.h"
#include "samsa/record.h"
#include "samsa/types.h"

namespace samsa {

struct OffsetAndTimestamp {
  int64_t offset = -1;
  int64_t timestamp = -1;
  friend bool operator==(const OffsetAndTimestamp&, const OffsetAndTimestamp&) = default;
};

struct ConsumerOptions {
  Clock* clock = nullptr;  // nullptr: the broker's clock
};

class Consumer {
 public:
  static absl::StatusOr<std::unique_ptr<Consumer>> Create(Broker* broker, ConsumerConfig config,
                                                          ConsumerOptions options = {});
  ~Consumer();

  // Replaces the assignment. Positions of partitions kept are kept; new ones
  // start unknown. UNKNOWN_TOPIC_OR_PARTITION if a partition does not exist.
  absl::Status Assign(const std::vector<TopicPartition>& partitions);
  std::vector<TopicPartition> Assignment() const;

  absl::StatusOr<std::vector<ConsumerRecord>> Poll(absl::Duration timeout);
  void Wakeup();

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

  // Every later call fails with FailedPrecondition.
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
