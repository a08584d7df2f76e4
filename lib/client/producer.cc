#include "samsa/producer.h"

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "absl/container/flat_hash_map.h"
#include "broker/broker_impl.h"
#include "client/broker_client.h"
#include "client/partitioner.h"
#include "record/compression.h"
#include "record/record_batch.h"
#include "samsa/errors.h"
#include "util/logging.h"
#include "util/mutex.h"
#include "util/status_macros.h"

namespace samsa {

// ---- RecordFuture --------------------------------------------------------------

// The futures of one batch's records share one block: one allocation, one
// lock and one broadcast per batch rather than per record. A future is an
// aliasing shared_ptr to its State inside the block, so the block lives as
// long as any of its futures.
struct RecordFutureBlock {
  explicit RecordFutureBlock(Clock* c) : clock(c) {}
  Clock* const clock;
  Mutex mu;  // guards every State's result
  CondVar cv;
  // Appended to (under the producer's lock) only while the batch is open;
  // a deque keeps the States in place.
  std::deque<RecordFuture::State> states;
};

struct RecordFuture::State {
  explicit State(RecordFutureBlock* b) : block(b) {}
  RecordFutureBlock* const block;
  std::optional<absl::StatusOr<RecordMetadata>> result;  // guarded by block->mu
};

absl::StatusOr<RecordMetadata> RecordFuture::Get(absl::Duration timeout) const {
  if (!state_) return absl::FailedPreconditionError("empty RecordFuture");
  RecordFutureBlock* const block = state_->block;
  // Now() + InfiniteDuration() is InfiniteFuture(), which WaitUntil waits
  // for without a deadline.
  const absl::Time deadline = block->clock->Now() + timeout;
  MutexLock lock(&block->mu);
  while (!state_->result) {
    if (!block->cv.WaitUntil(&block->mu, block->clock, deadline)) {
      if (state_->result) break;
      return KafkaError(ErrorCode::kRequestTimedOut,
                        fmt::format("record not acknowledged within {}",
                                    absl::FormatDuration(timeout)));
    }
  }
  return *state_->result;
}

bool RecordFuture::ready() const {
  if (!state_) return false;
  MutexLock lock(&state_->block->mu);
  return state_->result.has_value();
}

// ---- Producer::Impl ------------------------------------------------------------

namespace {

struct PendingRecord {
  RecordFuture::State* future;  // in its batch's RecordFutureBlock
  SendCallback callback;
  int64_t timestamp;
  int32_t key_size;
  int32_t value_size;
};

// One partition's batch in the accumulator (Kafka's ProducerBatch).
struct ProducerBatch {
  ProducerBatch(TopicPartition p, record::RecordBatchOptions options, Clock* clock,
                absl::Time now, int64_t limit)
      : tp(std::move(p)),
        builder(options),
        futures(std::make_shared<RecordFutureBlock>(clock)),
        created(now),
        size_limit(limit) {}
  TopicPartition tp;
  record::RecordBatchBuilder builder;
  std::shared_ptr<RecordFutureBlock> futures;
  std::vector<PendingRecord> records;
  absl::Time created;
  int64_t size_limit;       // batch.size, or the topic's max.message.bytes if smaller
  int64_t reserved = 0;     // bytes held against buffer.memory
  bool full = false;        // no more records go in
  bool done = false;        // every record completed
  int flush_waiters = 0;    // Flush() calls waiting for this batch
};

record::CompressionType ParseCompression(const std::string& name) {
  if (name == "gzip") return record::CompressionType::kGzip;
  if (name == "snappy") return record::CompressionType::kSnappy;
  if (name == "lz4") return record::CompressionType::kLz4;
  if (name == "zstd") return record::CompressionType::kZstd;
  return record::CompressionType::kNone;
}

// Completes records of one block: every future (one lock, one broadcast),
// then each callback in order. `result(i)` is the i-th record's outcome.
template <typename Result>
void CompleteRecords(RecordFutureBlock* block, const std::vector<PendingRecord>& records,
                     Result result) {
  {
    MutexLock lock(&block->mu);
    for (size_t i = 0; i < records.size(); ++i) records[i].future->result = result(i);
    block->cv.SignalAll();
  }
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].callback) records[i].callback(*records[i].future->result);
  }
}

}  // namespace

class Producer::Impl {
 public:
  Impl(Broker* broker, ProducerConfig config, ProducerOptions options)
      : config_(std::move(config)),
        clock_(options.clock != nullptr ? options.clock : broker->impl()->clock()),
        client_(client::NewLocalBrokerClient(broker->impl(), clock_)),
        partitioner_(config_.partitioner, config_.partitioner_ignore_keys, config_.batch_size,
                     std::move(options.custom_partitioner)),
        compression_(ParseCompression(config_.compression_type)) {
    sender_ = std::thread([this] { RunSender(); });
  }

  ~Impl() { Close(absl::InfiniteDuration()).IgnoreError(); }

  const ProducerConfig& config() const { return config_; }

  RecordFuture Send(ProducerRecord record, SendCallback callback) {
    const int64_t timestamp = record.timestamp.value_or(clock_->NowMs());
    PendingRecord pending{nullptr, std::move(callback), timestamp,
                          record.key ? static_cast<int32_t>(record.key->size()) : -1,
                          record.value ? static_cast<int32_t>(record.value->size()) : -1};
    RecordFuture future;
    absl::Status s = Enqueue(record, timestamp, &pending, &future);
    if (!s.ok()) {
      // Refused here: a block of its own, completed at once.
      auto block = std::make_shared<RecordFutureBlock>(clock_);
      pending.future = &block->states.emplace_back(block.get());
      future = RecordFuture(std::shared_ptr<RecordFuture::State>(block, pending.future));
      std::vector<PendingRecord> one;
      one.push_back(std::move(pending));
      CompleteRecords(block.get(), one, [&](size_t) { return s; });
    }
    return future;
  }

  absl::Status Flush(absl::Duration timeout) {
    const absl::Time deadline = DeadlineAfter(timeout);
    MutexLock lock(&mu_);
    // Kafka's flush: every batch open or in flight now must complete. The
    // sender completes a partition's batches in the order they were opened
    // (in flight first, then its queue front to back), so waiting for the
    // newest batch of each partition is waiting for all of them; and the
    // sender wakes a flush only when a batch it waits for completes, not
    // after every batch.
    std::vector<std::shared_ptr<ProducerBatch>> waiting;
    for (auto& [tp, queue] : batches_) {
      if (!queue.empty()) waiting.push_back(queue.back());
    }
    for (const auto& b : in_flight_) {  // at most one per partition
      auto it = batches_.find(b->tp);
      if (it == batches_.end() || it->second.empty()) waiting.push_back(b);
    }
    for (const auto& b : waiting) ++b->flush_waiters;
    ++flushes_;
    sender_cv_.SignalAll();
    absl::Status result;
    for (const auto& b : waiting) {
      while (!b->done) {
        if (!done_cv_.WaitUntil(&mu_, clock_, deadline) && !b->done) {
          result = KafkaError(ErrorCode::kRequestTimedOut,
                              fmt::format("flush did not complete within {}",
                                          absl::FormatDuration(timeout)));
          break;
        }
      }
      if (!result.ok()) break;
    }
    for (const auto& b : waiting) --b->flush_waiters;
    --flushes_;
    return result;
  }

  absl::Status Close(absl::Duration timeout) {
    {
      MutexLock lock(&mu_);
      if (closed_) {
        return absl::OkStatus();
      }
      closed_ = true;  // no more sends
      closed_hint_.store(true, std::memory_order_relaxed);
    }
    absl::Status flushed = Flush(timeout);
    {
      MutexLock lock(&mu_);
      stopping_ = true;
      if (!flushed.ok()) force_close_ = true;
      sender_cv_.SignalAll();
      space_cv_.SignalAll();
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

  absl::StatusOr<client::TopicMetadata> TopicInfo(const std::string& topic) {
    const uint64_t version = client_->metadata_version();
    {
      MutexLock lock(&metadata_mu_);
      if (version == metadata_version_) {
        auto it = topics_.find(topic);
        if (it != topics_.end()) return it->second;
      } else {
        topics_.clear();
        metadata_version_ = version;
      }
    }
    SAMSA_ASSIGN_OR_RETURN(client::TopicMetadata md, client_->Topic(topic));
    MutexLock lock(&metadata_mu_);
    if (metadata_version_ == version) topics_[topic] = md;
    return md;
  }

  // On success, moves `*pending` into a batch and sets `*future`.
  absl::Status Enqueue(const ProducerRecord& record, int64_t timestamp, PendingRecord* pending,
                       RecordFuture* future) {
    // Early and lock-free (closed_ is checked again under mu_ below): a send
    // after Close() must not auto-create its topic.
    if (closed_hint_.load(std::memory_order_relaxed)) {
      return absl::FailedPreconditionError(
          "Cannot perform operation after producer has been closed");
    }
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
    TopicPartition tp{record.topic, partition};
    // A batch may not exceed the topic's max.message.bytes; a record too big
    // for that alone goes in a batch of its own so the broker's refusal
    // touches only it.
    const int64_t batch_limit = std::min<int64_t>(config_.batch_size, md.max_message_bytes);
    const bool oversized = alone > batch_limit;

    MutexLock lock(&mu_);
    std::optional<absl::Time> deadline;  // read the clock only if Send must block
    while (buffer_used_ + record_size > config_.buffer_memory) {
      if (closed_) {
        return absl::FailedPreconditionError(
            "Cannot perform operation after producer has been closed");
      }
      if (!deadline) deadline = clock_->Now() + absl::Milliseconds(config_.max_block_ms);
      if (!space_cv_.WaitUntil(&mu_, clock_, *deadline) &&
          buffer_used_ + record_size > config_.buffer_memory) {
        return KafkaError(ErrorCode::kRequestTimedOut,
                          fmt::format("Failed to allocate {} bytes within the configured max "
                                      "blocking time {} ms (buffer.memory {})",
                                      record_size, config_.max_block_ms, config_.buffer_memory));
      }
    }
    if (closed_) {
      return absl::FailedPreconditionError("Cannot perform operation after producer has been closed");
    }
    auto& queue = batches_[tp];
    ProducerBatch* batch = queue.empty() ? nullptr : queue.back().get();
    if (batch != nullptr && !batch->full &&
        (oversized || static_cast<int64_t>(batch->builder.EstimatedSizeInBytes()) + record_size >
                          batch->size_limit)) {
      batch->full = true;
    }
    const bool opened = batch == nullptr || batch->full;
    if (opened) {
      record::RecordBatchOptions options;
      options.compression = compression_;
      queue.push_back(
          std::make_shared<ProducerBatch>(tp, options, clock_, clock_->Now(), batch_limit));
      batch = queue.back().get();
    }
    batch->builder.Append(timestamp, key, value, headers);
    RecordFuture::State* state = &batch->futures->states.emplace_back(batch->futures.get());
    *future = RecordFuture(std::shared_ptr<RecordFuture::State>(batch->futures, state));
    pending->future = state;
    batch->records.push_back(std::move(*pending));
    batch->reserved += record_size;
    buffer_used_ += record_size;
    if (oversized || static_cast<int64_t>(batch->builder.EstimatedSizeInBytes()) >= batch_limit) {
      batch->full = true;
    }
    // Wake the sender when there is something to ship now, and when a batch
    // was opened: an idle sender sleeps with no deadline and must learn this
    // batch's linger deadline (else it would ship only at the next event).
    if (batch->full || config_.linger_ms == 0 || opened) sender_cv_.Signal();
    return absl::OkStatus();
  }

  // The sender thread (Kafka's Sender): ships ready batches, in order per
  // partition.
  void RunSender() {
    MutexLock lock(&mu_);
    while (true) {
      std::vector<std::shared_ptr<ProducerBatch>> ready;
      absl::Time next_deadline = absl::InfiniteFuture();
      const absl::Time now = clock_->Now();
      const bool drain_all = flushes_ > 0 || stopping_;
      for (auto it = batches_.begin(); it != batches_.end();) {
        auto& queue = it->second;
        if (!queue.empty()) {
          ProducerBatch* front = queue.front().get();
          const absl::Time due = front->created + absl::Milliseconds(config_.linger_ms);
          if (drain_all || front->full || queue.size() > 1 || due <= now) {
            ready.push_back(std::move(queue.front()));
            queue.pop_front();
          } else {
            next_deadline = std::min(next_deadline, due);
          }
        }
        if (queue.empty()) {
          batches_.erase(it++);
        } else {
          ++it;
        }
      }
      if (ready.empty()) {
        if (stopping_ && batches_.empty()) break;
        sender_cv_.WaitUntil(&mu_, clock_, next_deadline);
        continue;
      }
      for (auto& b : ready) in_flight_.push_back(b);
      bool flush_done = false;
      for (auto& b : ready) {
        mu_.Unlock();
        Ship(b.get());
        mu_.Lock();
        b->done = true;
        flush_done |= b->flush_waiters > 0;
        buffer_used_ -= b->reserved;
        std::erase(in_flight_, b);
      }
      space_cv_.SignalAll();
      if (flush_done) done_cv_.SignalAll();
    }
  }

  bool ForceClosed() {
    MutexLock lock(&mu_);
    return force_close_;
  }

  void FailBatch(ProducerBatch* batch, const absl::Status& status) {
    CompleteRecords(batch->futures.get(), batch->records,
                    [&](size_t) -> absl::StatusOr<RecordMetadata> { return status; });
  }

  void Ship(ProducerBatch* batch) {
    if (ForceClosed()) {
      FailBatch(batch, absl::FailedPreconditionError(
                           "Producer is closed forcefully: the record was not sent"));
      return;
    }
    absl::StatusOr<std::string> built = batch->builder.Build();
    if (!built.ok()) {
      FailBatch(batch, built.status());
      return;
    }
    const absl::Time give_up = batch->created + absl::Milliseconds(config_.delivery_timeout_ms);
    int attempts = 0;
    while (true) {
      ++attempts;
      // Produce consumes its buffer; a copy is kept only while a retry may
      // still follow.
      const bool may_retry = attempts <= config_.retries;
      absl::StatusOr<Broker::Impl::ProduceResult> result =
          client_->Produce(batch->tp, may_retry ? *built : std::move(*built), config_.acks);
      if (result.ok()) {
        CompleteRecords(batch->futures.get(), batch->records,
                        [&](size_t i) -> absl::StatusOr<RecordMetadata> {
                          const PendingRecord& r = batch->records[i];
                          RecordMetadata md;
                          md.topic = batch->tp.topic;
                          md.partition = batch->tp.partition;
                          md.offset = config_.acks == 0 || result->base_offset < 0
                                          ? -1
                                          : result->base_offset + static_cast<int64_t>(i);
                          md.timestamp = result->log_append_time >= 0 ? result->log_append_time
                                                                      : r.timestamp;
                          md.serialized_key_size = r.key_size;
                          md.serialized_value_size = r.value_size;
                          return md;
                        });
        return;
      }
      const ErrorCode code = ErrorCodeOf(result.status());
      const absl::Time retry_at = clock_->Now() + absl::Milliseconds(config_.retry_backoff_ms);
      if (!IsRetriable(code) || !may_retry || retry_at >= give_up) {
        if (IsRetriable(code) && may_retry) {
          FailBatch(batch, KafkaError(ErrorCode::kRequestTimedOut,
                                      fmt::format("Expiring {} record(s) for {}: delivery.timeout.ms "
                                                  "passed after {} attempt(s); last error: {}",
                                                  batch->records.size(), batch->tp.ToString(),
                                                  attempts, std::string(result.status().message()))));
        } else {
          FailBatch(batch, result.status());
        }
        return;
      }
      SAMSA_LOG(kWarning, "producer: retrying {} after {}", batch->tp.ToString(),
                std::string(result.status().message()));
      MutexLock lock(&mu_);
      while (!force_close_ && clock_->Now() < retry_at) {
        if (!sender_cv_.WaitUntil(&mu_, clock_, retry_at)) break;
      }
    }
  }

  const ProducerConfig config_;
  Clock* const clock_;
  const std::unique_ptr<client::BrokerClient> client_;
  client::Partitioner partitioner_;
  const record::CompressionType compression_;

  Mutex metadata_mu_;
  uint64_t metadata_version_ ABSL_GUARDED_BY(metadata_mu_) = 0;
  absl::flat_hash_map<std::string, client::TopicMetadata> topics_ ABSL_GUARDED_BY(metadata_mu_);

  Mutex mu_;
  CondVar sender_cv_;  // work for the sender
  CondVar space_cv_;   // buffer.memory freed
  CondVar done_cv_;    // batches completed
  absl::flat_hash_map<TopicPartition, std::deque<std::shared_ptr<ProducerBatch>>> batches_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<ProducerBatch>> in_flight_ ABSL_GUARDED_BY(mu_);
  int64_t buffer_used_ ABSL_GUARDED_BY(mu_) = 0;
  int flushes_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;       // Send refused
  std::atomic<bool> closed_hint_{false};           // closed_, readable without mu_
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;     // sender drains and exits
  bool force_close_ ABSL_GUARDED_BY(mu_) = false;  // unsent records fail
  std::thread sender_;
};

// ---- Producer --------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Producer>> Producer::Create(Broker* broker, ProducerConfig config,
                                                           ProducerOptions options) {
  if (broker == nullptr || broker->impl() == nullptr) {
    return absl::InvalidArgumentError("Producer::Create needs a Broker");
  }
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
  return std::unique_ptr<Producer>(
      new Producer(std::make_unique<Impl>(broker, std::move(config), std::move(options))));
}

Producer::Producer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Producer::~Producer() = default;

RecordFuture Producer::Send(ProducerRecord record, SendCallback callback) {
  return impl_->Send(std::move(record), std::move(callback));
}
absl::Status Producer::Flush(absl::Duration timeout) { return impl_->Flush(timeout); }
absl::Status Producer::Close(absl::Duration timeout) { return impl_->Close(timeout); }
absl::StatusOr<int32_t> Producer::PartitionsFor(const std::string& topic) {
  return impl_->PartitionsFor(topic);
}
const ProducerConfig& Producer::config() const { return impl_->config(); }

}  // namespace samsa
