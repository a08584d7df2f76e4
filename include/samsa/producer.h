// samsa/producer.h — Kafka's producer, bound to a Broker in this process.
//
//   samsa::ProducerConfig config;             // Kafka's names and defaults
//   config.linger_ms = 5;
//   auto producer = samsa::Producer::Create(broker.get(), config);
//   samsa::RecordFuture f = (*producer)->Send({.topic = "orders", .partition = 1,
//                                              .value = "hello"});
//   absl::StatusOr<samsa::RecordMetadata> md = f.Get(absl::Seconds(10));
//   if (md.ok()) std::cout << md->offset;     // producer.send(...).get(timeout=10).offset
//   (*producer)->Close();
//
// Send() picks the partition (the record's own; else murmur2 of the key, as
// Kafka's Java client and librdkafka's murmur2_random do; else the sticky
// partitioner of KIP-480/KIP-794; or round-robin or a custom function, per
// partitioner.class), appends the record to that partition's open batch in the
// accumulator and returns at once. A background sender thread ships a batch
// when it reaches batch.size, when linger.ms has passed since it was opened
// (read on the injected Clock), on Flush() and on Close(); it builds a Kafka v2
// record batch (compressed per compression.type), hands it to the broker's
// Produce with the configured acks, and completes each record's future and
// then its callback (on the sender thread) with the offset the broker gave it.
// Retriable broker errors are retried every retry.backoff.ms until
// delivery.timeout.ms has passed since the record was sent.
//
// With linger.ms=0, a Send() that finds its partition with nothing queued or
// in flight, the sender idle, and the producer's previous Send() more than
// 5 us ago ships the record itself, on the calling thread (no hand-off to the
// sender): its future is complete and its callback has run when Send()
// returns. Back-to-back sends go through the sender, which batches them.
// Records queued meanwhile go to the sender as above; a retry is always the
// sender's, so Send() never waits on a back-off. One exception: a batch the
// sender has not taken 50 us (real time) after it was opened, while the
// sender finished no batch meanwhile (it is waiting for a CPU, or in a slow
// callback), is shipped by the next Send() to its partition, on that thread,
// callbacks included.
//
// Records sent by one producer to one partition are stored in the order Send()
// was called. Batches hold at most buffer.memory bytes in total; a Send() that
// does not fit blocks up to max.block.ms for room.
//
// Errors (the future fails, the callback sees the status, nothing of that
// record is written):
//   UNKNOWN_TOPIC_OR_PARTITION  topic missing (auto.create.topics.enable off) or
//                               an explicit partition out of range
//   INVALID_TOPIC_EXCEPTION     an illegal topic name
//   MESSAGE_TOO_LARGE           a record bigger than max.request.size or
//                               buffer.memory (or the topic's max.message.bytes)
//   REQUEST_TIMED_OUT           no buffer room within max.block.ms, or
//                               delivery.timeout.ms passed before the broker took it
//   FailedPrecondition          the producer is closed
//   any error the broker's Produce returns (NOT_ENOUGH_REPLICAS, ...)
// With acks=0 the broker's answer is not awaited: a future completes with
// offset -1 once the batch was handed over, as Kafka's does.
//
// enable.idempotence is accepted; until InitProducerId exists batches carry no
// producer id (exactly what an acks=1 Java producer with idempotence off sends).
//
// Thread-safety: thread-safe. Any number of threads may Send() concurrently.
// The Broker must outlive the Producer. A RecordFuture is a value: copies of
// one may be used and destroyed on different threads at once (one object is
// not for concurrent use). A completed future stays valid after the Producer
// and its Broker are gone; Get() on one still pending needs their Clock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "samsa/broker.h"
#include "samsa/cluster.h"
#include "samsa/config.h"
#include "samsa/record.h"

namespace samsa {

// The result of one Send(): Kafka's Future<RecordMetadata>.
class RecordFuture {
 public:
  RecordFuture() = default;  // an empty future; Get() fails
  RecordFuture(const RecordFuture& other);
  RecordFuture(RecordFuture&& other) noexcept;
  RecordFuture& operator=(const RecordFuture& other);
  RecordFuture& operator=(RecordFuture&& other) noexcept;
  ~RecordFuture();

  // Waits (on the producer's clock) until the record is acknowledged or failed,
  // or `timeout` passes (REQUEST_TIMED_OUT status; the send goes on).
  absl::StatusOr<RecordMetadata> Get(absl::Duration timeout = absl::InfiniteDuration()) const;
  bool ready() const;

  // The producer's: the shared state of one batch's futures. Adopts one
  // reference to `block`.
  struct Block;
  RecordFuture(Block* block, int32_t index) : block_(block), index_(index) {}

 private:
  Block* block_ = nullptr;
  int32_t index_ = 0;
};

// Called once per record, on the sender thread — or inside Send(), for a
// record refused there or shipped by Send() itself (linger.ms=0) — with the
// metadata or the error. A callback must not call Flush() or Close().
using SendCallback = std::function<void(const absl::StatusOr<RecordMetadata>&)>;

// partitioner.class=custom: returns a partition in [0, num_partitions).
using PartitionerFn = std::function<int32_t(const ProducerRecord& record, int32_t num_partitions)>;

struct ProducerOptions {
  PartitionerFn custom_partitioner;  // used when config.partitioner is kCustom
  Clock* clock = nullptr;            // nullptr: the broker's clock
};

class Producer {
 public:
  // Validates the config (INVALID_CONFIG naming the key) and starts the sender.
  static absl::StatusOr<std::unique_ptr<Producer>> Create(Broker* broker, ProducerConfig config,
                                                          ProducerOptions options = {});
  // A producer of a Cluster: each batch goes to its partition's leader
  // (NOT_LEADER_OR_FOLLOWER / LEADER_NOT_AVAILABLE are retriable: retried
  // every retry.backoff.ms until delivery.timeout.ms).
  static absl::StatusOr<std::unique_ptr<Producer>> Create(Cluster* cluster, ProducerConfig config,
                                                          ProducerOptions options = {});
  // Close(InfiniteDuration()) if still open.
  ~Producer();

  RecordFuture Send(ProducerRecord record, SendCallback callback = nullptr);
  // Sends every buffered record now and waits until each has completed.
  absl::Status Flush(absl::Duration timeout = absl::InfiniteDuration());
  // Flushes, waiting up to `timeout`; records still unsent then fail
  // ("producer closed forcefully"). Later Send() calls fail.
  absl::Status Close(absl::Duration timeout = absl::InfiniteDuration());
  // The topic's partition count (auto-creating it as Send would).
  absl::StatusOr<int32_t> PartitionsFor(const std::string& topic);

  const ProducerConfig& config() const;

  class Impl;

 private:
  explicit Producer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) of `key`, and
// the partition Kafka's default partitioner gives a keyed record:
// (murmur2(key) & 0x7fffffff) % num_partitions.
int32_t Murmur2(std::string_view key);
int32_t KeyPartition(std::string_view key, int32_t num_partitions);

}  // namespace samsa
