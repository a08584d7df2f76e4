#include "samsa/producer.h"

#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "broker/broker_impl.h"
#include "client/broker_client.h"
#include "client/cluster_client.h"
#include "client/partitioner.h"
#include "record/compression.h"
#include "record/record_batch.h"
#include "samsa/errors.h"
#include "util/logging.h"
#include "util/mutex.h"
#include "util/spin_lock.h"
#include "util/status_macros.h"

namespace samsa {

// ---- RecordFuture --------------------------------------------------------------

// The futures of one batch's records share one block: one allocation, one
// lock and one broadcast per batch rather than per record, and one outcome —
// a batch is acknowledged or fails as a whole — from which each record's
// RecordMetadata is derived when asked for.
//
// A future is (block, index) and holds one reference to the block, counted
// intrusively. Handing out a future costs no atomic operation: a batch's
// block starts with kReservedRefs references besides the batch's own, each
// future handed out takes one of them (counted under the accumulator lock),
// and the batch returns the ones it did not hand out, with its own, when it
// is destroyed. Only a copy (atomic add) and a destruction (atomic sub) of a
// future touch the count. Send() costs one atomic fewer per record than
// with std::shared_ptr (pubsub_bench: see the commit that introduced this).
struct RecordFuture::Block {
  Block(Clock* c, TopicPartition p, int64_t refs)
      : clock(c), tp(std::move(p)), refs(refs) {}
  Clock* const clock;
  const TopicPartition tp;
  std::atomic<int64_t> refs;
  // Per record, in batch order: appended (under the producer's accumulator
  // lock) only while the batch is open; read-only once done.
  struct Info {
    int64_t timestamp;
    int32_t key_size;
    int32_t value_size;
  };
  std::vector<Info> records;
  Mutex mu;
  CondVar cv;
  bool done ABSL_GUARDED_BY(mu) = false;
  // The outcome, written once before done is set.
  absl::Status error;
  int64_t base_offset = -1;      // -1 with acks=0
  int64_t log_append_time = -1;  // -1 unless the topic uses LogAppendTime
};

namespace {

using FutureBlock = RecordFuture::Block;

void Unref(FutureBlock* block, int64_t n) {
  if (block->refs.fetch_sub(n, std::memory_order_acq_rel) == n) delete block;
}

// The futures a thread destroys one after another mostly belong to one block
// (a producing thread that drops each Send()'s future at once): their
// releases are summed per thread and applied in one atomic subtraction when
// the thread releases a future of another block, or exits. The lock-prefixed
// subtraction per future was 10% of pubsub_bench's BM_ProduceOnly/100 CPU.
// The block a thread defers stays allocated until then — one batch's
// per-record metadata per thread at most — and nothing observable changes:
// the outcome lives in the block, which nobody else can reach once its
// futures are gone.
// Set once the thread's DeferredUnref is destroyed (trivially destructible,
// so readable to the thread's end): a future destroyed later, by another
// thread_local's destructor, releases its reference directly.
thread_local bool deferred_unref_gone = false;

class DeferredUnref {
 public:
  ~DeferredUnref() {
    Flush();
    deferred_unref_gone = true;
  }
  void Release(FutureBlock* block) {
    if (block != block_) {
      Flush();
      block_ = block;
    }
    ++count_;
  }

 private:
  void Flush() {
    if (block_ != nullptr) Unref(block_, count_);
    block_ = nullptr;
    count_ = 0;
  }
  FutureBlock* block_ = nullptr;
  int64_t count_ = 0;
};

thread_local DeferredUnref deferred_unref;

void Release(FutureBlock* block) {
  if (deferred_unref_gone) {
    Unref(block, 1);
  } else {
    deferred_unref.Release(block);
  }
}

// REQUIRES: the block's outcome is written.
absl::StatusOr<RecordMetadata> MetadataOf(const FutureBlock& block, int32_t index) {
  if (!block.error.ok()) return block.error;
  const FutureBlock::Info& r = block.records[static_cast<size_t>(index)];
  RecordMetadata md;
  md.topic = block.tp.topic;
  md.partition = block.tp.partition;
  md.offset = block.base_offset < 0 ? -1 : block.base_offset + index;
  md.timestamp = block.log_append_time >= 0 ? block.log_append_time : r.timestamp;
  md.serialized_key_size = r.key_size;
  md.serialized_value_size = r.value_size;
  return md;
}

}  // namespace

RecordFuture::RecordFuture(const RecordFuture& other) : block_(other.block_), index_(other.index_) {
  if (block_ != nullptr) block_->refs.fetch_add(1, std::memory_order_relaxed);
}

RecordFuture::RecordFuture(RecordFuture&& other) noexcept
    : block_(std::exchange(other.block_, nullptr)), index_(other.index_) {}

RecordFuture& RecordFuture::operator=(const RecordFuture& other) {
  if (this != &other) *this = RecordFuture(other);
  return *this;
}

RecordFuture& RecordFuture::operator=(RecordFuture&& other) noexcept {
  if (this != &other) {
    if (block_ != nullptr) Release(block_);
    block_ = std::exchange(other.block_, nullptr);
    index_ = other.index_;
  }
  return *this;
}

RecordFuture::~RecordFuture() {
  if (block_ != nullptr) Release(block_);
}

absl::StatusOr<RecordMetadata> RecordFuture::Get(absl::Duration timeout) const {
  if (block_ == nullptr) return absl::FailedPreconditionError("empty RecordFuture");
  MutexLock lock(&block_->mu);
  if (block_->done) return MetadataOf(*block_, index_);  // no clock needed
  // Now() + InfiniteDuration() is InfiniteFuture(), which WaitUntil waits
  // for without a deadline.
  const absl::Time deadline = block_->clock->Now() + timeout;
  while (!block_->done) {
    if (!block_->cv.WaitUntil(&block_->mu, block_->clock, deadline)) {
      if (block_->done) break;
      return KafkaError(ErrorCode::kRequestTimedOut,
                        fmt::format("record not acknowledged within {}",
                                    absl::FormatDuration(timeout)));
    }
  }
  return MetadataOf(*block_, index_);
}

bool RecordFuture::ready() const {
  if (block_ == nullptr) return false;
  MutexLock lock(&block_->mu);
  return block_->done;
}

// ---- Producer::Impl ------------------------------------------------------------

namespace {

// One partition's batch in the accumulator (Kafka's ProducerBatch).
struct ProducerBatch {
  ProducerBatch(const TopicPartition& tp, record::RecordBatchOptions options, Clock* clock,
                absl::Time now, int64_t limit)
      : builder(options),
        futures(new FutureBlock(clock, tp, 1 + kReservedRefs)),
        created(now),
        size_limit(limit) {}
  // Returns the block references not handed out to futures, and its own.
  ~ProducerBatch() { Unref(futures, 1 + kReservedRefs - handed_out); }
  ProducerBatch(const ProducerBatch&) = delete;
  ProducerBatch& operator=(const ProducerBatch&) = delete;

  const TopicPartition& tp() const { return futures->tp; }
  // The future of the record just appended at `index`. REQUIRES: the
  // accumulator lock held, the batch open.
  RecordFuture NewFuture(int32_t index) {
    ++handed_out;  // one of the reserved references
    return RecordFuture(futures, index);
  }

  // More than a batch can hold records (a record is >= 7 bytes, a batch at
  // most 2 GiB).
  static constexpr int64_t kReservedRefs = int64_t{1} << 40;
  record::RecordBatchBuilder builder;
  FutureBlock* const futures;  // owns one reference, and the reserved ones
  int64_t handed_out = 0;      // reserved references given to futures
  // Only the records sent with a callback: (index in the batch, callback).
  std::vector<std::pair<int32_t, SendCallback>> callbacks;
  absl::Time created;
  // With linger.ms=0: RealTimeNs() when opened, and the sender's progress
  // count then (the late-sender rescue in Enqueue); else 0.
  int64_t opened_real_ns = 0;
  uint64_t opened_sender_progress = 0;
  int64_t size_limit;    // batch.size, or the topic's max.message.bytes if smaller
  int64_t reserved = 0;  // bytes held against buffer.memory
  bool full = false;     // no more records go in
  // Set by the first Ship(): the batch's bytes, kept for retries, and its
  // header as built (the broker rewrites it in place).
  std::optional<std::string> built;
  std::array<char, record::kBatchHeaderSize> built_header;
  int attempts = 0;
  std::optional<absl::Time> retry_at;  // the back-off before the next attempt
  // Set by the sender when every record completed; Flush() waits for it.
  std::atomic<bool> done{false};
  std::atomic<int> flush_waiters{0};  // Flush() calls waiting for this batch
};

record::CompressionType ParseCompression(const std::string& name) {
  if (name == "gzip") return record::CompressionType::kGzip;
  if (name == "snappy") return record::CompressionType::kSnappy;
  if (name == "lz4") return record::CompressionType::kLz4;
  if (name == "zstd") return record::CompressionType::kZstd;
  return record::CompressionType::kNone;
}

// Records the batch's outcome, wakes its futures (one lock, one broadcast),
// then runs the callbacks in order, reusing one RecordMetadata for all.
void CompleteBatch(FutureBlock* block,
                   const std::vector<std::pair<int32_t, SendCallback>>& callbacks,
                   absl::Status error, int64_t base_offset, int64_t log_append_time) {
  {
    MutexLock lock(&block->mu);
    block->error = std::move(error);
    block->base_offset = base_offset;
    block->log_append_time = log_append_time;
    block->done = true;
    block->cv.SignalAll();
  }
  if (callbacks.empty()) return;
  if (!block->error.ok()) {
    const absl::StatusOr<RecordMetadata> failed(block->error);
    for (const auto& [index, callback] : callbacks) callback(failed);
    return;
  }
  absl::StatusOr<RecordMetadata> md = RecordMetadata{};
  md->topic = block->tp.topic;
  md->partition = block->tp.partition;
  for (const auto& [index, callback] : callbacks) {
    const FutureBlock::Info& r = block->records[static_cast<size_t>(index)];
    md->offset = base_offset < 0 ? -1 : base_offset + index;
    md->timestamp = log_append_time >= 0 ? log_append_time : r.timestamp;
    md->serialized_key_size = r.key_size;
    md->serialized_value_size = r.value_size;
    callback(md);
  }
}

}  // namespace

// Locking. The accumulator (batches, in-flight list, buffer.memory use,
// close/flush flags) is guarded by acc_mu_, a SpinLock held for a few dozen
// nanoseconds by Send() and by the sender. Everything that sleeps — the
// sender waiting for work or a linger deadline, Send() waiting for
// buffer.memory, Flush() waiting for batches — does so on a CondVar under
// wait_mu_, and whoever makes progress wakes it only when someone sleeps:
//   sender:  sender_sleeping_ = true, then re-collects ready batches under
//            acc_mu_, then waits;  Send(): appends under acc_mu_, then reads
//            sender_sleeping_ and, if set, clears it and signals under
//            wait_mu_ (see WakeSender).
// The acc_mu_ order between the two sections means either the sender sees
// the append or Send() sees the flag (and the sender holds wait_mu_ until it
// waits, so the signal is not lost). buffer.memory waiters (space_waiters_)
// and flushes (ProducerBatch::flush_waiters) follow the same pattern. Lock
// order: wait_mu_ before acc_mu_.
class Producer::Impl {
  using BatchQueue = std::deque<std::shared_ptr<ProducerBatch>>;

 public:
  Impl(std::unique_ptr<client::BrokerClient> client, ProducerConfig config, ProducerOptions options)
      : config_(std::move(config)),
        clock_(client->clock()),
        client_(std::move(client)),
        partitioner_(config_.partitioner, config_.partitioner_ignore_keys, config_.batch_size,
                     std::move(options.custom_partitioner)),
        compression_(ParseCompression(config_.compression_type)) {
    sender_ = std::thread([this] {
      // Named for top -H, perf and gdb (at most 15 characters).
      ::pthread_setname_np(::pthread_self(), "samsa-sender");
      RunSender();
    });
  }

  ~Impl() { Close(absl::InfiniteDuration()).IgnoreError(); }

  const ProducerConfig& config() const { return config_; }

  // By reference: the record is only read (Producer::Send owns it).
  RecordFuture Send(const ProducerRecord& record, SendCallback&& callback) {
    // With the system clock, one clock_gettime serves both the record's
    // timestamp and the direct-send heuristic's real time (each read was
    // ~3% of pubsub_bench linger0/100's CPU).
    int64_t real_ns = -1;
    int64_t timestamp;
    if (record.timestamp) {
      timestamp = *record.timestamp;
    } else if (clock_is_system_) {
      real_ns = RealTimeNs();
      timestamp = FloorDiv(real_ns, 1000000);  // absl::ToUnixMillis rounds down too
    } else {
      timestamp = clock_->NowMs();
    }
    RecordFuture future;
    absl::Status s = Enqueue(record, timestamp, real_ns, &callback, &future);
    if (!s.ok()) {
      // Refused here: a block of its own (its one reference the future's),
      // completed at once.
      auto* block = new FutureBlock(
          clock_, TopicPartition{record.topic, record.partition.value_or(-1)}, 1);
      block->records.push_back({timestamp, record.key ? static_cast<int32_t>(record.key->size()) : -1,
                                record.value ? static_cast<int32_t>(record.value->size()) : -1});
      future = RecordFuture(block, 0);
      std::vector<std::pair<int32_t, SendCallback>> one;
      if (callback) one.emplace_back(0, std::move(callback));
      CompleteBatch(block, one, std::move(s), -1, -1);
    }
    return future;
  }

  absl::Status Flush(absl::Duration timeout) {
    const absl::Time deadline = DeadlineAfter(timeout);
    // Kafka's flush: every batch open or in flight now must complete. The
    // sender completes a partition's batches in the order they were opened
    // (in flight first, then its queue front to back), so waiting for the
    // newest batch of each partition is waiting for all of them; and the
    // sender wakes a flush only when a batch it waits for completes, not
    // after every batch.
    std::vector<std::shared_ptr<ProducerBatch>> waiting;
    {
      SpinLockHolder lock(&acc_mu_);
      for (auto& [tp, queue] : batches_) {
        if (!queue.empty()) waiting.push_back(queue.back());
      }
      for (const auto& b : in_flight_) {  // at most one per partition
        auto it = batches_.find(b->tp());
        if (it == batches_.end() || it->second.empty()) waiting.push_back(b);
      }
      for (const auto& b : waiting) b->flush_waiters.fetch_add(1);
      ++flushes_;
    }
    // Only when there is something to drain: a woken sender is not asleep,
    // and a Send() right after a flush of nothing would not ship directly.
    if (!waiting.empty()) WakeSender();
    absl::Status result;
    {
      MutexLock lock(&wait_mu_);
      for (const auto& b : waiting) {
        while (!b->done.load()) {
          if (!done_cv_.WaitUntil(&wait_mu_, clock_, deadline) && !b->done.load()) {
            result = KafkaError(ErrorCode::kRequestTimedOut,
                                fmt::format("flush did not complete within {}",
                                            absl::FormatDuration(timeout)));
            break;
          }
        }
        if (!result.ok()) break;
      }
    }
    SpinLockHolder lock(&acc_mu_);
    for (const auto& b : waiting) b->flush_waiters.fetch_sub(1);
    --flushes_;
    return result;
  }

  absl::Status Close(absl::Duration timeout) {
    {
      SpinLockHolder lock(&acc_mu_);
      if (closed_) return absl::OkStatus();
      closed_ = true;  // no more sends
      closed_hint_.store(true, std::memory_order_relaxed);
    }
    {
      // Sends blocked on buffer.memory fail now.
      MutexLock lock(&wait_mu_);
      space_cv_.SignalAll();
    }
    absl::Status flushed = Flush(timeout);
    {
      SpinLockHolder lock(&acc_mu_);
      stopping_ = true;
      if (!flushed.ok()) force_close_ = true;
    }
    {
      MutexLock lock(&wait_mu_);
      sender_cv_.SignalAll();
    }
    if (sender_.joinable()) sender_.join();
    return flushed;
  }

  absl::StatusOr<int32_t> PartitionsFor(const std::string& topic) {
    SAMSA_ASSIGN_OR_RETURN(client::TopicMetadata md, TopicInfo(topic));
    return md.partitions;
  }

 private:
  // InfiniteFuture() for InfiniteDuration(), as absl::Time arithmetic gives.
  absl::Time DeadlineAfter(absl::Duration d) const { return clock_->Now() + d; }

  absl::Status ClosedError() const {
    return absl::FailedPreconditionError("Cannot perform operation after producer has been closed");
  }

  // Wakes the sender if it sleeps. Call after publishing the work under
  // acc_mu_, without holding it.
  void WakeSender() {
    // The first to see the flag clears it and signals; the Send()s after it,
    // until the sender runs (which takes microseconds, on a busy machine
    // milliseconds), find it clear and skip the mutex and the futex call.
    // With linger.ms=0 every Send() used to signal until then: the mutex
    // and signal were ~9% of the producing thread's samples in
    // pubsub_bench Memory_linger0/100 (perf). Nothing is lost: the sender
    // sets the flag and collects again before every wait.
    if (sender_sleeping_.load() && sender_sleeping_.exchange(false)) {
      MutexLock lock(&wait_mu_);
      sender_cv_.Signal();
    }
  }

  absl::StatusOr<client::TopicMetadata> TopicInfo(const std::string& topic) {
    const uint64_t version = client_->metadata_version();
    // First the topic this thread last asked this producer about, at this
    // metadata version: a thread mostly sends to one topic, and comparing
    // its name takes no lock (an uncontended spinlock here was ~5% of the
    // producing thread's samples in pubsub_bench Memory_linger0/100: its
    // locked exchange waits for the record's stores to drain).
    HotTopic& hot = t_hot_topic;
    if (hot.producer == id_ && hot.version == version && hot.topic == topic) return hot.md;
    absl::StatusOr<client::TopicMetadata> md = CachedTopicInfo(topic, version);
    if (md.ok()) {
      hot.producer = id_;
      hot.version = version;
      hot.topic = topic;
      hot.md = *md;
    }
    return md;
  }

  absl::StatusOr<client::TopicMetadata> CachedTopicInfo(const std::string& topic,
                                                        uint64_t version) {
    {
      SpinLockHolder lock(&metadata_mu_);
      if (version == metadata_version_) {
        auto it = topics_.find(topic);
        if (it != topics_.end()) return it->second;
      } else {
        topics_.clear();
        metadata_version_ = version;
      }
    }
    SAMSA_ASSIGN_OR_RETURN(client::TopicMetadata md, client_->Topic(topic));
    SpinLockHolder lock(&metadata_mu_);
    if (metadata_version_ == version) topics_.insert_or_assign(topic, md);
    return md;
  }

  // A thread's last TopicInfo answer. Keyed by the producer's id_ (never
  // reused, unlike its address) and the metadata version it was valid at.
  struct HotTopic {
    uint64_t producer = 0;  // no producer has id 0
    uint64_t version = 0;
    std::string topic;
    client::TopicMetadata md;
  };
  static thread_local HotTopic t_hot_topic;
  static uint64_t NextId() {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }

  // On success, moves `*callback` into a batch and sets `*future`.
  // `real_ns`: RealTimeNs() if Send() read it, else -1.
  absl::Status Enqueue(const ProducerRecord& record, int64_t timestamp, int64_t real_ns,
                       SendCallback* callback,
                       RecordFuture* future) {
    // Early and lock-free (closed_ is checked again under acc_mu_ below): a
    // send after Close() must not auto-create its topic.
    if (closed_hint_.load(std::memory_order_relaxed)) return ClosedError();
    if (record.topic.empty()) {
      return KafkaError(ErrorCode::kInvalidTopicException, "a record needs a topic");
    }
    SAMSA_ASSIGN_OR_RETURN(client::TopicMetadata md, TopicInfo(record.topic));
    std::vector<record::RecordHeader> headers;
    headers.reserve(record.headers.size());
    for (const Header& h : record.headers) {
      headers.push_back({h.key, h.value ? std::optional<std::string_view>(*h.value) : std::nullopt});
    }
    const auto key = record.key ? std::optional<std::string_view>(*record.key) : std::nullopt;
    const auto value = record.value ? std::optional<std::string_view>(*record.value) : std::nullopt;
    // Kafka's upper bound for a record alone in a batch (the deltas at their
    // widest), checked against max.request.size and buffer.memory.
    const int64_t record_size =
        static_cast<int64_t>(record::RecordBatchBuilder::EstimateRecordSize(
            INT32_MAX, INT32_MAX, key, value, headers));
    const int64_t alone = record::kBatchHeaderSize + record_size;
    if (alone > config_.max_request_size || alone > config_.buffer_memory) {
      return KafkaError(ErrorCode::kMessageTooLarge,
                        fmt::format("The message is {} bytes when serialized which is larger than "
                                    "{}, which is the value of the {} configuration.",
                                    alone, std::min<int64_t>(config_.max_request_size,
                                                             config_.buffer_memory),
                                    config_.max_request_size <= config_.buffer_memory
                                        ? "max.request.size"
                                        : "buffer.memory"));
    }
    int32_t partition;
    if (record.partition) {
      partition = *record.partition;
      if (partition < 0 || partition >= md.partitions) {
        return KafkaError(ErrorCode::kUnknownTopicOrPartition,
                          fmt::format("Invalid partition given with record: {} is not in the "
                                      "range [0...{}) of topic {}",
                                      partition, md.partitions, record.topic));
      }
    } else {
      SAMSA_ASSIGN_OR_RETURN(partition, partitioner_.Partition(record, md.partitions, record_size));
    }
    // A batch may not exceed the topic's max.message.bytes; a record too big
    // for that alone goes in a batch of its own so the broker's refusal
    // touches only it.
    const int64_t batch_limit = std::min<int64_t>(config_.batch_size, md.max_message_bytes);
    const bool oversized = alone > batch_limit;
    const int32_t key_size = key ? static_cast<int32_t>(key->size()) : -1;
    const int32_t value_size = value ? static_cast<int32_t>(value->size()) : -1;

    // Adds the record to `batch`. REQUIRES: acc_mu_ held, the batch open.
    auto append_to = [&](ProducerBatch* batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(acc_mu_) {
      const auto index = static_cast<int32_t>(batch->futures->records.size());
      // Room for as many records of this shape as the batch can take, at
      // once: growing record by record moved every entry so far, and
      // record_size (deltas at their widest) undercounted them, so a full
      // batch of 100-byte records still regrew its callbacks once
      // (_M_realloc_insert, ~1% of pubsub_bench linger0/100's samples). A
      // batch shipped directly holds one record.
      size_t room = 0;
      if (index == 0) {
        const int64_t smallest = static_cast<int64_t>(
            record::RecordBatchBuilder::EstimateRecordSize(0, 0, key, value, headers));
        room = batch->full ? 1
                           : static_cast<size_t>(std::clamp<int64_t>(
                                 (batch->size_limit - record::kBatchHeaderSize) / smallest + 1, 1,
                                 1024));
        batch->futures->records.reserve(room);
      }
      batch->builder.Append(timestamp, key, value, headers);
      batch->futures->records.push_back({timestamp, key_size, value_size});
      *future = batch->NewFuture(index);
      if (*callback) {
        if (room > 0) batch->callbacks.reserve(room);
        batch->callbacks.emplace_back(index, std::move(*callback));
      }
      batch->reserved += record_size;
      buffer_used_ += record_size;
    };
    // Real time, not the injected clock: a performance heuristic (see the
    // direct path below), not a semantic one.
    bool spaced_out = false;
    bool gapped = false;  // kDirectSendGapNs or more since the previous send
    int64_t now_ns = 0;
    if (config_.linger_ms == 0) {
      now_ns = real_ns >= 0 ? real_ns : RealTimeNs();
      // A few sends closer together than kDirectSendGapNs after a gap still
      // count as spaced out: a caller that was held up (preempted) catches
      // up with a short burst, and handing those records to a sender that
      // must first get a core made them the latency tail (pubsub_bench's
      // latency row at 100k records/s: ~15% of records went to the sender,
      // p99 ~120-330 us; with the allowance 4-7%, most of them queued behind
      // a record of such a burst). A sustained stream still goes to the
      // sender after kDirectBurst records.
      const int64_t last_ns = last_send_ns_.load(std::memory_order_relaxed);
      last_send_ns_.store(now_ns, std::memory_order_relaxed);
      if (now_ns - last_ns >= kDirectSendGapNs) {
        burst_.store(0, std::memory_order_relaxed);
        spaced_out = true;
        gapped = true;
      } else {
        // Counts up to kDirectBurst and stays (a racy count between
        // threads only moves the heuristic).
        const int burst = burst_.load(std::memory_order_relaxed);
        spaced_out = burst < kDirectBurst;
        if (spaced_out) burst_.store(burst + 1, std::memory_order_relaxed);
      }
    }
    // The partition, for the direct path below: only when it may be taken.
    std::optional<TopicPartition> direct_tp;
    if (spaced_out) direct_tp.emplace(TopicPartition{record.topic, partition});
    std::optional<absl::Time> deadline;  // read the clock only if Send must block
    while (true) {
      bool appended = false;
      bool wake = false;
      std::shared_ptr<ProducerBatch> direct;
      {
        SpinLockHolder lock(&acc_mu_);
        if (closed_) return ClosedError();
        if (buffer_used_ + record_size <= config_.buffer_memory) {
          if (direct_tp && sender_sleeping_.load(std::memory_order_relaxed) &&
              !batches_.contains(*direct_tp) && NothingInFlightLocked(*direct_tp)) {
            // linger.ms=0 with nothing ahead of this record for its partition,
            // the sender idle and sends spaced out: ship it from this thread
            // (below), saving the hand-off to the sender — on a small
            // machine, a wait for a core. The partition is busy meanwhile:
            // later records queue behind this one and the sender leaves them
            // until it is done. Back-to-back sends go to the sender instead,
            // which batches what accumulates while it works: one append per
            // record made the broker's locks ping-pong with the consumer's
            // reads (pubsub_bench linger0/100 fell from 1.7M to 9k records/s).
            record::RecordBatchOptions options;
            options.compression = compression_;
            direct = std::make_shared<ProducerBatch>(*direct_tp, options, clock_, clock_->Now(),
                                                     batch_limit);
            direct->full = true;
            append_to(direct.get());
            busy_.insert(*direct_tp);
            in_flight_.push_back(direct);
            appended = true;
          }
        }
        if (appended) {
          // Shipped below.
        } else if (buffer_used_ + record_size <= config_.buffer_memory) {
          const TopicPartition* tp = hot_tp_;
          if (hot_queue_ == nullptr || tp->partition != partition || tp->topic != record.topic) {
            auto [it, inserted] = batches_.try_emplace(TopicPartition{record.topic, partition});
            hot_queue_ = &it->second;
            hot_tp_ = tp = &it->first;
          }
          BatchQueue& queue = *hot_queue_;
          ProducerBatch* batch = queue.empty() ? nullptr : queue.back().get();
          if (batch != nullptr && !batch->full &&
              (oversized || static_cast<int64_t>(batch->builder.EstimatedSizeInBytes()) +
                                    record_size >
                                batch->size_limit)) {
            batch->full = true;
          }
          const bool opened = batch == nullptr || batch->full;
          if (opened) {
            record::RecordBatchOptions options;
            options.compression = compression_;
            queue.push_back(
                std::make_shared<ProducerBatch>(*tp, options, clock_, clock_->Now(), batch_limit));
            batch = queue.back().get();
            // Room for a full batch at once, as Kafka's BufferPool hands out
            // batch.size buffers: no regrowth (and copy) as records arrive.
            batch->builder.Reserve(static_cast<size_t>(std::min<int64_t>(batch_limit, kMaxReserve)));
          }
          if (opened && config_.linger_ms == 0) {
            batch->opened_real_ns = now_ns;
            batch->opened_sender_progress = sender_progress_.load(std::memory_order_relaxed);
          }
          append_to(batch);
          if (oversized ||
              static_cast<int64_t>(batch->builder.EstimatedSizeInBytes()) >= batch_limit) {
            batch->full = true;
          }
          ProducerBatch* front = queue.front().get();
          if (config_.linger_ms == 0 && front->opened_real_ns > 0 &&
              (gapped || now_ns - front->opened_real_ns >= kLateSenderNs) &&
              sender_progress_.load(std::memory_order_relaxed) == front->opened_sender_progress &&
              NothingInFlightLocked(*tp)) {
            // The sender was told of this batch kLateSenderNs ago and has
            // not finished a batch since: it is waiting for a CPU (on a small
            // machine, a time slice of the scheduler: milliseconds), or for a
            // callback. (A sender busy shipping is not late: taking its next
            // batch would only move the work to this thread.) With linger.ms=0
            // the record should go now, and this thread is running: ship
            // the partition's oldest batch from here, as the direct path
            // does. Later records queue behind it as usual.
            // The same when this send came kDirectSendGapNs or more after
            // the previous one (gapped), however recent the batch: the
            // caller is not in a hot loop, and its record queued only behind
            // what the sender has not taken yet (the tail of a catch-up
            // burst, or a batch opened while the sender was still awake from
            // one), so it would wait for the sender to get a core. At 100k
            // records/s on 2 busy cores that was the p99 (pubsub_bench
            // BM_LatencySamsaMemory, 8 runs: p99 81 -> 52 us; the linger0
            // throughput rows, where gaps are rare, within noise).
            direct = std::move(queue.front());
            queue.pop_front();
            direct->full = true;
            busy_.insert(direct->tp());
            if (queue.empty()) EraseQueueLocked(batches_.find(direct->tp()));
            in_flight_.push_back(direct);
          }
          // Wake the sender when there is something to ship now, and when a
          // batch was opened: a sleeping sender must learn this batch's
          // linger deadline (else it would ship only at the next event).
          wake = batch->full || config_.linger_ms == 0 || opened;
          appended = true;
        } else if (!deadline) {
          deadline = clock_->Now() + absl::Milliseconds(config_.max_block_ms);
        }
      }
      if (direct) {
        if (Ship(direct.get(), /*on_sender=*/false)) {
          Complete(direct);
        } else {
          HandToSender(direct);
        }
        // The gap to the next send counts from here: shipping may take
        // longer than kDirectSendGapNs itself (a disk topic's write), and
        // measured from this send's start, back-to-back sends would then all
        // look spaced out and ship one record each (pubsub_bench
        // Disk_linger0/1024 fell to 0.4x).
        last_send_ns_.store(RealTimeNs(), std::memory_order_relaxed);
        return absl::OkStatus();
      }
      if (appended) {
        if (wake) WakeSender();
        return absl::OkStatus();
      }
      // buffer.memory is full: wait for the sender to free some.
      MutexLock lock(&wait_mu_);
      space_waiters_.fetch_add(1);
      bool fits;
      {
        SpinLockHolder acc(&acc_mu_);
        fits = closed_ || buffer_used_ + record_size <= config_.buffer_memory;
      }
      const bool timed_out = !fits && !space_cv_.WaitUntil(&wait_mu_, clock_, *deadline);
      space_waiters_.fetch_sub(1);
      if (timed_out) {
        SpinLockHolder acc(&acc_mu_);
        if (closed_) return ClosedError();
        if (buffer_used_ + record_size > config_.buffer_memory) {
          return KafkaError(ErrorCode::kRequestTimedOut,
                            fmt::format("Failed to allocate {} bytes within the configured max "
                                        "blocking time {} ms (buffer.memory {})",
                                        record_size, config_.max_block_ms, config_.buffer_memory));
        }
      }
    }
  }

  // Whether no batch of `tp` is being shipped: neither by a Send() (busy_)
  // nor by the sender (in_flight_). A batch shipped outside the sender keeps
  // per-partition order only then.
  bool NothingInFlightLocked(const TopicPartition& tp) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(acc_mu_) {
    return !busy_.contains(tp) && std::none_of(in_flight_.begin(), in_flight_.end(),
                                               [&](const auto& b) { return b->tp() == tp; });
  }

  void EraseQueueLocked(absl::node_hash_map<TopicPartition, BatchQueue>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(acc_mu_) {
    if (&it->second == hot_queue_) {
      hot_queue_ = nullptr;
      hot_tp_ = nullptr;
    }
    batches_.erase(it);
  }

  // Moves the batches that are ready now into `ready` (and in flight), and
  // sets `next_deadline` to the earliest linger deadline of the rest.
  void CollectReadyLocked(std::vector<std::shared_ptr<ProducerBatch>>* ready,
                          absl::Time* next_deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(acc_mu_) {
    const absl::Time now = clock_->Now();
    const bool drain_all = flushes_ > 0 || stopping_;
    for (auto it = batches_.begin(); it != batches_.end();) {
      auto& queue = it->second;
      if (busy_.contains(it->first)) {
        // Shipped from a Send() (linger.ms=0); it wakes the sender when done.
        ++it;
        continue;
      }
      if (!queue.empty()) {
        ProducerBatch* front = queue.front().get();
        const absl::Time due = front->created + absl::Milliseconds(config_.linger_ms);
        if (drain_all || front->full || queue.size() > 1 || due <= now) {
          ready->push_back(std::move(queue.front()));
          queue.pop_front();
        } else {
          *next_deadline = std::min(*next_deadline, due);
        }
      }
      if (queue.empty()) {
        EraseQueueLocked(it++);
      } else {
        ++it;
      }
    }
    for (auto& b : *ready) in_flight_.push_back(b);
  }

  // The sender thread (Kafka's Sender): ships ready batches, in order per
  // partition.
  void RunSender() {
    while (true) {
      std::vector<std::shared_ptr<ProducerBatch>> ready;
      absl::Time next_deadline = absl::InfiniteFuture();
      bool exit = false;
      {
        SpinLockHolder lock(&acc_mu_);
        CollectReadyLocked(&ready, &next_deadline);
        exit = ready.empty() && stopping_ && batches_.empty();
      }
      if (exit) break;
      if (ready.empty()) {
        MutexLock lock(&wait_mu_);
        sender_sleeping_.store(true);
        {
          SpinLockHolder acc(&acc_mu_);
          next_deadline = absl::InfiniteFuture();
          CollectReadyLocked(&ready, &next_deadline);
          exit = ready.empty() && stopping_ && batches_.empty();
        }
        if (ready.empty() && !exit) sender_cv_.WaitUntil(&wait_mu_, clock_, next_deadline);
        sender_sleeping_.store(false);
        if (exit) break;
        if (ready.empty()) continue;
      }
      for (auto& b : ready) {
        Ship(b.get(), /*on_sender=*/true);
        Complete(b);
        sender_progress_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  // After Ship(): releases the batch's buffer.memory and wakes whoever waits.
  void Complete(const std::shared_ptr<ProducerBatch>& b) {
    b->done.store(true);
    bool queued_behind = false;
    {
      SpinLockHolder lock(&acc_mu_);
      buffer_used_ -= b->reserved;
      std::erase(in_flight_, b);
      if (busy_.erase(b->tp()) > 0) queued_behind = batches_.contains(b->tp());
    }
    if (b->flush_waiters.load() > 0) {
      MutexLock lock(&wait_mu_);
      done_cv_.SignalAll();
    }
    if (space_waiters_.load() > 0) {
      MutexLock lock(&wait_mu_);
      space_cv_.SignalAll();
    }
    if (queued_behind) WakeSender();
  }

  bool ForceClosed() {
    SpinLockHolder lock(&acc_mu_);
    return force_close_;
  }

  // The real time for the direct-send heuristic: the wall clock when the
  // producer runs on the system clock (Send() has read it anyway; a jump of
  // the wall clock costs at most one send's choice of path), else the
  // steady clock.
  int64_t RealTimeNs() const {
    timespec ts;
    clock_gettime(clock_is_system_ ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
  }
  static int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b < 0 ? 1 : 0); }

  void FailBatch(ProducerBatch* batch, absl::Status status) {
    CompleteBatch(batch->futures, batch->callbacks, std::move(status), -1, -1);
  }

  // Produces the batch and completes its records, retrying retriable
  // errors every retry.backoff.ms. On the sender thread; or in Send() for a
  // batch shipped directly, which must not block on a back-off: then a first
  // retriable failure returns false, and the caller hands the batch (built,
  // with its attempt count) to the sender.
  bool Ship(ProducerBatch* batch, bool on_sender) {
    if (ForceClosed()) {
      FailBatch(batch, absl::FailedPreconditionError(
                           "Producer is closed forcefully: the record was not sent"));
      return true;
    }
    if (!batch->built) {
      absl::StatusOr<std::string> built = batch->builder.Build();
      if (!built.ok()) {
        FailBatch(batch, built.status());
        return true;
      }
      batch->built = *std::move(built);
      // The header as built: the broker stamps the batch in place.
      std::memcpy(batch->built_header.data(), batch->built->data(), batch->built_header.size());
    }
    const TopicPartition& tp = batch->tp();
    const absl::Time give_up = batch->created + absl::Milliseconds(config_.delivery_timeout_ms);
    while (true) {
      if (batch->retry_at) {
        if (!on_sender) return false;
        // Back off, unless Close() forces an end (it signals sender_cv_).
        {
          MutexLock lock(&wait_mu_);
          sender_sleeping_.store(true);
          while (!ForceClosed() && clock_->Now() < *batch->retry_at) {
            if (!sender_cv_.WaitUntil(&wait_mu_, clock_, *batch->retry_at)) break;
          }
          sender_sleeping_.store(false);
        }
        batch->retry_at.reset();
      }
      // The broker appends from the built batch itself (no copy per
      // attempt) and stamps its header: a retry sends it as built, as
      // Kafka's producer resends the same bytes.
      if (batch->attempts > 0) {
        std::memcpy(batch->built->data(), batch->built_header.data(), batch->built_header.size());
      }
      ++batch->attempts;
      const bool may_retry = batch->attempts <= config_.retries;
      absl::StatusOr<Broker::Impl::ProduceResult> result =
          client_->Produce(tp, absl::MakeSpan(*batch->built), config_.acks);
      if (result.ok()) {
        CompleteBatch(batch->futures, batch->callbacks, absl::OkStatus(),
                      config_.acks == 0 ? -1 : result->base_offset, result->log_append_time);
        return true;
      }
      const ErrorCode code = ErrorCodeOf(result.status());
      const absl::Time retry_at = clock_->Now() + absl::Milliseconds(config_.retry_backoff_ms);
      if (!IsRetriable(code) || !may_retry || retry_at >= give_up) {
        if (IsRetriable(code) && may_retry) {
          FailBatch(batch, KafkaError(ErrorCode::kRequestTimedOut,
                                      fmt::format("Expiring {} record(s) for {}: delivery.timeout.ms "
                                                  "passed after {} attempt(s); last error: {}",
                                                  batch->futures->records.size(), tp.ToString(),
                                                  batch->attempts,
                                                  std::string(result.status().message()))));
        } else {
          FailBatch(batch, result.status());
        }
        return true;
      }
      SAMSA_LOG(kWarning, "producer: retrying {} after {}", tp.ToString(),
                std::string(result.status().message()));
      batch->retry_at = retry_at;
    }
  }

  // A directly shipped batch that must be retried: the sender takes it over,
  // ahead of anything queued behind it.
  void HandToSender(const std::shared_ptr<ProducerBatch>& b) {
    {
      SpinLockHolder lock(&acc_mu_);
      std::erase(in_flight_, b);
      busy_.erase(b->tp());
      batches_[b->tp()].push_front(b);
    }
    WakeSender();
  }

  const ProducerConfig config_;
  Clock* const clock_;
  const std::unique_ptr<client::BrokerClient> client_;
  client::Partitioner partitioner_;
  const record::CompressionType compression_;
  const bool clock_is_system_ = clock_ == Clock::System();
  const uint64_t id_ = NextId();  // keys t_hot_topic

  // Fields are grouped by who writes them, each group on its own cache
  // line(s) (alignas(64)): a line the sender writes that Send() reads or
  // writes per record cost a cache miss per record (perf: Enqueue's
  // exchange of last_send_ns_, next to the sender's progress counter, was
  // ~19% of its samples in pubsub_bench linger0/100).

  // Producer threads only (Send()).
  // Taken by a Send() whose thread's t_hot_topic does not answer.
  alignas(64) SpinLock metadata_mu_;
  uint64_t metadata_version_ ABSL_GUARDED_BY(metadata_mu_) = 0;
  absl::node_hash_map<std::string, client::TopicMetadata> topics_ ABSL_GUARDED_BY(metadata_mu_);

  std::atomic<bool> closed_hint_{false};  // closed_, readable without a lock
  // A send that comes less than this (RealTimeNs) after the previous one
  // (its start, or its end when it shipped directly) is not shipped directly
  // (but see kDirectBurst). Read and written with plain loads and stores:
  // between threads sending at once the heuristic is racy anyway.
  static constexpr int64_t kDirectSendGapNs = 5000;
  std::atomic<int64_t> last_send_ns_{0};
  // Sends since the last one that came kDirectSendGapNs after its
  // predecessor; the first kDirectBurst of them may still ship directly.
  // 32, not 8: a caller held up for ~100-300 us at 100k records/s catches
  // up with 10-30 sends, and with 8 the rest of them queued for the sender,
  // which then had to get a core (BM_LatencySamsaMemory: records with an
  // ack slower than 30 us fell from ~800-1100 to 40-400 per 100k, p99 47-74
  // -> 24-40 us in single runs). A sustained stream pays 32 one-record
  // appends per gap instead of 8: the linger0 throughput rows within noise.
  static constexpr int kDirectBurst = 32;
  std::atomic<int> burst_{0};

  // The accumulator, Send() and the sender; see "Locking" above.
  alignas(64) SpinLock acc_mu_;
  // A node map: a queue and its key stay where they are until erased (see
  // hot_queue_).
  absl::node_hash_map<TopicPartition, BatchQueue> batches_ ABSL_GUARDED_BY(acc_mu_);
  // The entry of batches_ the last Send() appended to, or null: back-to-back
  // sends to one partition find it by comparing the topic's name, not by
  // hashing it (and without building a TopicPartition). Reset when erased.
  BatchQueue* hot_queue_ ABSL_GUARDED_BY(acc_mu_) = nullptr;
  const TopicPartition* hot_tp_ ABSL_GUARDED_BY(acc_mu_) = nullptr;
  std::vector<std::shared_ptr<ProducerBatch>> in_flight_ ABSL_GUARDED_BY(acc_mu_);
  // Partitions whose batch a Send() is shipping itself (linger.ms=0).
  absl::flat_hash_set<TopicPartition> busy_ ABSL_GUARDED_BY(acc_mu_);
  int64_t buffer_used_ ABSL_GUARDED_BY(acc_mu_) = 0;
  int flushes_ ABSL_GUARDED_BY(acc_mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(acc_mu_) = false;       // Send refused
  bool stopping_ ABSL_GUARDED_BY(acc_mu_) = false;     // sender drains and exits
  bool force_close_ ABSL_GUARDED_BY(acc_mu_) = false;  // unsent records fail
  // The most a new batch reserves up front (batch.size may be set large).
  static constexpr int64_t kMaxReserve = int64_t{1} << 20;

  // The sender.
  // A linger.ms=0 batch the sender has not taken after this long (real
  // time) is shipped by the next Send() to its partition.
  static constexpr int64_t kLateSenderNs = 50'000;
  alignas(64) std::atomic<uint64_t> sender_progress_{0};  // batches the sender completed

  // Sleeping and waking; see "Locking" above.
  alignas(64) Mutex wait_mu_;
  CondVar sender_cv_;  // work for the sender, or a forced close during a back-off
  CondVar space_cv_;   // buffer.memory freed, or closed
  CondVar done_cv_;    // batches completed
  std::atomic<bool> sender_sleeping_{false};
  std::atomic<int> space_waiters_{0};

  std::thread sender_;
};

thread_local Producer::Impl::HotTopic Producer::Impl::t_hot_topic;

// ---- Producer --------------------------------------------------------------------

static absl::Status ValidateConfig(const ProducerConfig& config, const ProducerOptions& options) {
  auto bad = [](std::string_view key, auto value, std::string_view why) {
    return KafkaError(ErrorCode::kInvalidConfig,
                      fmt::format("Invalid value {} for configuration {}: {}", value, key, why));
  };
  if (config.acks != 0 && config.acks != 1 && config.acks != -1) {
    return bad("acks", config.acks, "must be one of 0, 1, -1 (all)");
  }
  if (config.batch_size < 0) return bad("batch.size", config.batch_size, "must be >= 0");
  if (config.linger_ms < 0) return bad("linger.ms", config.linger_ms, "must be >= 0");
  if (config.buffer_memory <= 0) return bad("buffer.memory", config.buffer_memory, "must be > 0");
  if (config.max_block_ms < 0) return bad("max.block.ms", config.max_block_ms, "must be >= 0");
  if (config.max_request_size <= 0) {
    return bad("max.request.size", config.max_request_size, "must be > 0");
  }
  if (config.retries < 0) return bad("retries", config.retries, "must be >= 0");
  if (config.retry_backoff_ms < 0) return bad("retry.backoff.ms", config.retry_backoff_ms, "must be >= 0");
  if (config.delivery_timeout_ms < 0) {
    return bad("delivery.timeout.ms", config.delivery_timeout_ms, "must be >= 0");
  }
  const std::string& c = config.compression_type;
  if (c != "none" && c != "gzip" && c != "snappy" && c != "lz4" && c != "zstd") {
    return bad("compression.type", c, "must be one of none, gzip, snappy, lz4, zstd");
  }
  if (config.partitioner == PartitionerType::kCustom && !options.custom_partitioner) {
    return bad("partitioner.class", "custom", "needs ProducerOptions::custom_partitioner");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Producer>> Producer::Create(Broker* broker, ProducerConfig config,
                                                           ProducerOptions options) {
  if (broker == nullptr || broker->impl() == nullptr) {
    return absl::InvalidArgumentError("Producer::Create needs a Broker");
  }
  Clock* clock = options.clock != nullptr ? options.clock : broker->impl()->clock();
  SAMSA_RETURN_IF_ERROR(ValidateConfig(config, options));
  auto client = client::NewLocalBrokerClient(broker->impl(), clock);
  return std::unique_ptr<Producer>(
      new Producer(std::make_unique<Impl>(std::move(client), std::move(config), std::move(options))));
}

absl::StatusOr<std::unique_ptr<Producer>> Producer::Create(Cluster* cluster, ProducerConfig config,
                                                           ProducerOptions options) {
  if (cluster == nullptr || cluster->impl() == nullptr) {
    return absl::InvalidArgumentError("Producer::Create needs a Cluster");
  }
  Clock* clock = options.clock != nullptr ? options.clock : cluster->impl()->clock();
  SAMSA_RETURN_IF_ERROR(ValidateConfig(config, options));
  auto client = client::NewClusterBrokerClient(cluster->impl(), clock);
  return std::unique_ptr<Producer>(
      new Producer(std::make_unique<Impl>(std::move(client), std::move(config), std::move(options))));
}


Producer::Producer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Producer::~Producer() = default;

RecordFuture Producer::Send(ProducerRecord record, SendCallback callback) {
  return impl_->Send(record, std::move(callback));
}
absl::Status Producer::Flush(absl::Duration timeout) { return impl_->Flush(timeout); }
absl::Status Producer::Close(absl::Duration timeout) { return impl_->Close(timeout); }
absl::StatusOr<int32_t> Producer::PartitionsFor(const std::string& topic) {
  return impl_->PartitionsFor(topic);
}
const ProducerConfig& Producer::config() const { return impl_->config(); }

}  // namespace samsa
