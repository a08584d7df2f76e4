#include "samsa/consumer.h"

#include <algorithm>
#include <atomic>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "broker/broker_impl.h"
#include "client/broker_client.h"
#include "client/cluster_client.h"
#include "client/fetch_decoder.h"
#include "client/group_member.h"
#include "samsa/errors.h"
#include "util/logging.h"
#include "util/status_macros.h"

namespace samsa {

namespace {

// Fetched records not yet returned: at most one fetch's batches per
// partition, decoded as Poll takes them (see client/fetch_decoder.h).
struct RecordBuffer {
  std::unique_ptr<client::FetchedRecords> fetched;
  bool empty() const { return !fetched || fetched->exhausted(); }
  void clear() { fetched.reset(); }
};

struct PartitionState {
  std::optional<int64_t> position;  // next offset to return; unknown until reset
  bool paused = false;
  RecordBuffer buffered;                // fetched, not yet returned
  int64_t next_fetch_offset = 0;        // where to fetch once `buffered` drains
};

absl::Status NotAssigned(const TopicPartition& tp) {
  return absl::FailedPreconditionError(
      fmt::format("No current assignment for partition {}", tp.ToString()));
}

}  // namespace

class Consumer::Impl final : private client::GroupMember::Host {
 public:
  Impl(std::unique_ptr<client::BrokerClient> client, ConsumerConfig config)
      : config_(std::move(config)),
        clock_(client->clock()),
        client_(std::move(client)),
        isolation_(config_.isolation_level == IsolationLevel::kReadCommitted
                       ? FetchIsolation::kTxnCommitted
                       : FetchIsolation::kHighWatermark) {
    if (!config_.group_id.empty()) {
      member_ = std::make_unique<client::GroupMember>(config_, clock_, client_.get());
    }
  }

  const ConsumerConfig& config() const { return config_; }
  Clock* clock() const { return clock_; }

  absl::Status CheckOpen() const {
    if (closed_) return absl::FailedPreconditionError("This consumer has already been closed.");
    return absl::OkStatus();
  }

  absl::Status Assign(const std::vector<TopicPartition>& partitions) {
    SAMSA_RETURN_IF_ERROR(CheckOpen());
    if (member_ && member_->subscribed()) return MutuallyExclusive();
    for (const TopicPartition& tp : partitions) {
      SAMSA_ASSIGN_OR_RETURN(client::TopicMetadata md, client_->Topic(tp.topic));
      if (tp.partition < 0 || tp.partition >= md.partitions) {
        return KafkaError(ErrorCode::kUnknownTopicOrPartition,
                          fmt::format("partition {} does not exist (topic {} has {} partitions)",
                                      tp.ToString(), tp.topic, md.partitions));
      }
    }
    std::map<TopicPartition, PartitionState> next;
    for (const TopicPartition& tp : partitions) {
      auto it = assigned_.find(tp);
      next[tp] = it != assigned_.end() ? std::move(it->second) : PartitionState{};
    }
    assigned_ = std::move(next);
    return absl::OkStatus();
  }

  std::vector<TopicPartition> Assignment() const {
    std::vector<TopicPartition> out;
    for (const auto& [tp, s] : assigned_) out.push_back(tp);
    return out;
  }

  absl::StatusOr<std::vector<ConsumerRecord>> Poll(absl::Duration timeout) {
    SAMSA_RETURN_IF_ERROR(CheckOpen());
    // InfiniteFuture() for InfiniteDuration(), as absl::Time arithmetic gives.
    const absl::Time deadline = clock_->Now() + std::max(timeout, absl::ZeroDuration());
    RunCommitCallbacks();
    while (true) {
      if (wakeup_.exchange(false)) return absl::CancelledError("consumer woken up (Wakeup())");
      if (member_) {
        // Joins, rejoins (running the rebalance listener) and auto-commits.
        SAMSA_ASSIGN_OR_RETURN(const bool stable, member_->Poll(deadline, this));
        if (!stable) return std::vector<ConsumerRecord>();
      }
      SAMSA_RETURN_IF_ERROR(ResolvePositions());
      if (!pending_error_.ok()) return std::exchange(pending_error_, absl::OkStatus());
      SAMSA_ASSIGN_OR_RETURN(std::vector<ConsumerRecord> out, DrainBuffered());
      if (!out.empty()) return out;

      Broker::Impl::FetchRequest request;
      for (const auto& [tp, s] : assigned_) {
        if (s.paused || !s.buffered.empty()) continue;
        Broker::Impl::FetchPartitionRequest p;
        p.tp = tp;
        p.fetch_offset = *s.position;
        p.max_bytes = config_.max_partition_fetch_bytes;
        request.partitions.push_back(std::move(p));
      }
      const absl::Time now = clock_->Now();
      if (request.partitions.empty()) {
        // Nothing to fetch: wait for the deadline or a Wakeup().
        if (now >= deadline) return out;
        waiter_.WaitUntil(clock_, deadline);
        if (clock_->Now() >= deadline && !wakeup_.load()) return out;
        continue;
      }
      const absl::Duration left = deadline - now;
      request.max_wait = std::max(absl::ZeroDuration(),
                                  std::min(left, absl::Milliseconds(config_.fetch_max_wait_ms)));
      request.min_bytes = config_.fetch_min_bytes;
      request.max_bytes = config_.fetch_max_bytes;
      request.isolation = isolation_;
      request.waiter = &waiter_;
      request.interrupted = &wakeup_;
      std::vector<Broker::Impl::FetchPartitionResponse> responses = client_->Fetch(request);
      bool reset = false;
      for (Broker::Impl::FetchPartitionResponse& r : responses) {
        SAMSA_ASSIGN_OR_RETURN(const bool was_reset, HandleFetchResponse(std::move(r)));
        reset |= was_reset;
      }
      bool any = false;
      for (const auto& [tp, s] : assigned_) any |= !s.paused && !s.buffered.empty();
      // A position reset fetches again at once, whatever the time left.
      if (!any && !reset && clock_->Now() >= deadline) {
        if (wakeup_.exchange(false)) return absl::CancelledError("consumer woken up (Wakeup())");
        return out;
      }
    }
  }

  void Wakeup() {
    wakeup_.store(true);
    waiter_.Signal();
  }

  absl::Status Seek(const TopicPartition& tp, int64_t offset) {
    SAMSA_RETURN_IF_ERROR(CheckOpen());
    if (offset < 0) return absl::InvalidArgumentError(fmt::format("seek offset must not be negative: {}", offset));
    auto it = assigned_.find(tp);
    if (it == assigned_.end()) return NotAssigned(tp);
    it->second.buffered.clear();
    it->second.position = offset;
    it->second.next_fetch_offset = offset;
    return absl::OkStatus();
  }

  absl::Status SeekTo(const std::vector<TopicPartition>& partitions, int64_t which) {
    SAMSA_RETURN_IF_ERROR(CheckOpen());
    for (const TopicPartition& tp : partitions) {
      if (!assigned_.contains(tp)) return NotAssigned(tp);
    }
    for (const TopicPartition& tp : partitions) {
      SAMSA_ASSIGN_OR_RETURN(int64_t offset, ListOffset(tp, which));
      PartitionState& s = assigned_[tp];
      s.buffered.clear();
      s.position = offset;
      s.next_fetch_offset = offset;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> Position(const TopicPartition& tp) {
    SAMSA_RETURN_IF_ERROR(CheckOpen());
    auto it = assigned_.find(tp);
    if (it == assigned_.end()) return NotAssigned(tp);
    if (!it->second.position) {
      SAMSA_ASSIGN_OR_RETURN(int64_t offset, ResetOffset(tp, "Undefined offset"));
      it->second.position = offset;
    }
    return *it->second.position;
  }

  absl::Status SetPaused(const std::vector<TopicPartition>& partitions, bool paused) {
    SAMSA_RETURN_IF_ERROR(CheckOpen());
    for (const TopicPartition& tp : partitions) {
      if (!assigned_.contains(tp)) return NotAssigned(tp);
    }
    for (const TopicPartition& tp : partitions) assigned_[tp].paused = paused;
    return absl::OkStatus();
  }

  std::vector<TopicPartition> Paused() const {
    std::vector<TopicPartition> out;
    for (const auto& [tp, s] : assigned_) {
      if (s.paused) out.push_back(tp);
    }
    return out;
  }

  absl::StatusOr<std::map<TopicPartition, int64_t>> Offsets(
      const std::vector<TopicPartition>& partitions, int64_t which) {
    SAMSA_RETURN_IF_ERROR(CheckOpen());
    std::map<TopicPartition, int64_t> out;
    for (const TopicPartition& tp : partitions) {
      SAMSA_ASSIGN_OR_RETURN(out[tp], ListOffset(tp, which));
    }
    return out;
  }

  absl::StatusOr<std::map<TopicPartition, std::optional<OffsetAndTimestamp>>> OffsetsForTimes(
      const std::map<TopicPartition, int64_t>& timestamps) {
    SAMSA_RETURN_IF_ERROR(CheckOpen());
    std::map<TopicPartition, std::optional<OffsetAndTimestamp>> out;
    for (const auto& [tp, ts] : timestamps) {
      if (ts < 0) {
        return absl::InvalidArgumentError(
            fmt::format("The target time for partition {} is {}. The target time cannot be "
                        "negative.", tp.ToString(), ts));
      }
      SAMSA_ASSIGN_OR_RETURN(Broker::Impl::ListOffsetResult r,
                             client_->ListOffset(tp, ts, isolation_));
      out[tp] = r.offset < 0 ? std::nullopt
                             : std::optional<OffsetAndTimestamp>({r.offset, r.timestamp});
    }
    return out;
  }

  absl::StatusOr<int32_t> PartitionsFor(const std::string& topic) {
    SAMSA_RETURN_IF_ERROR(CheckOpen());
    SAMSA_ASSIGN_OR_RETURN(client::TopicMetadata md, client_->Topic(topic));
    return md.partitions;
  }

  absl::Status Close() {
    if (closed_) return absl::OkStatus();
    if (member_) {
      if (member_->subscribed()) {
        member_->Leave(this, "the consumer is being closed");
      } else {
        member_->MaybeAutoCommitSync(this, "on close");
      }
      RunCommitCallbacks();
      member_.reset();  // stops the heartbeat thread
    }
    closed_ = true;
    assigned_.clear();
    return absl::OkStatus();
  }

  // --- Group subscription and committed offsets ---------------------------------

  absl::Status Subscribe(const std::vector<std::string>& topics, ConsumerRebalanceListener* listener) {
    SAMSA_RETURN_IF_ERROR(CheckGroup());
    if (!member_->subscribed() && !assigned_.empty()) return MutuallyExclusive();
    SAMSA_RETURN_IF_ERROR(member_->Subscribe(topics));
    listener_ = listener;
    return absl::OkStatus();
  }

  absl::Status SubscribePattern(const std::string& pattern, ConsumerRebalanceListener* listener) {
    SAMSA_RETURN_IF_ERROR(CheckGroup());
    if (!member_->subscribed() && !assigned_.empty()) return MutuallyExclusive();
    SAMSA_RETURN_IF_ERROR(member_->SubscribePattern(pattern));
    listener_ = listener;
    return absl::OkStatus();
  }

  absl::Status Unsubscribe() {
    SAMSA_RETURN_IF_ERROR(CheckOpen());
    if (member_ && member_->subscribed()) {
      member_->Leave(this, "the consumer unsubscribed from all topics");
    }
    assigned_.clear();
    return absl::OkStatus();
  }

  std::vector<std::string> Subscription() const {
    return member_ && member_->subscribed() ? member_->subscription() : std::vector<std::string>();
  }

  ConsumerGroupMetadata GroupMetadata() const {
    if (member_) return member_->metadata();
    return {};
  }

  absl::Status CommitSync(const std::optional<std::map<TopicPartition, OffsetAndMetadata>>& offsets) {
    SAMSA_RETURN_IF_ERROR(CheckGroup());
    RunCommitCallbacks();
    return member_->Commit(offsets ? *offsets : Positions());
  }

  void CommitAsync(const std::optional<std::map<TopicPartition, OffsetAndMetadata>>& offsets,
                   OffsetCommitCallback callback) {
    // The commit is a call into this process's broker: done now; its
    // callback waits for a later Poll/CommitSync/Close, as Kafka's does.
    std::map<TopicPartition, OffsetAndMetadata> what = offsets ? *offsets : Positions();
    absl::Status status = CheckGroup();
    if (status.ok()) status = member_->Commit(what);
    if (!status.ok()) {
      SAMSA_LOG(kWarning, "consumer: asynchronous commit failed: {}", std::string(status.message()));
    }
    if (callback) completed_commits_.push_back({std::move(what), std::move(status), std::move(callback)});
  }

  absl::StatusOr<std::map<TopicPartition, std::optional<OffsetAndMetadata>>> Committed(
      const std::vector<TopicPartition>& partitions) {
    SAMSA_RETURN_IF_ERROR(CheckGroup());
    return member_->Committed(partitions);
  }

  absl::StatusOr<std::map<TopicPartition, std::optional<int64_t>>> Lag(
      const std::vector<TopicPartition>& partitions) {
    SAMSA_ASSIGN_OR_RETURN(auto committed, Committed(partitions));
    std::map<TopicPartition, std::optional<int64_t>> out;
    for (const auto& [tp, om] : committed) {
      if (!om) {
        out[tp] = std::nullopt;
        continue;
      }
      SAMSA_ASSIGN_OR_RETURN(Broker::Impl::ListOffsetResult end,
                             client_->ListOffset(tp, kLatestTimestamp, isolation_));
      out[tp] = std::max<int64_t>(0, end.offset - om->offset);
    }
    return out;
  }

 private:
  absl::StatusOr<int64_t> ListOffset(const TopicPartition& tp, int64_t which) {
    SAMSA_ASSIGN_OR_RETURN(Broker::Impl::ListOffsetResult r, client_->ListOffset(tp, which, isolation_));
    return r.offset;
  }

  // auto.offset.reset for a partition without a valid position.
  absl::StatusOr<int64_t> ResetOffset(const TopicPartition& tp, std::string_view why) {
    switch (config_.auto_offset_reset) {
      case OffsetResetStrategy::kEarliest:
        return ListOffset(tp, kEarliestTimestamp);
      case OffsetResetStrategy::kLatest:
        return ListOffset(tp, kLatestTimestamp);
      case OffsetResetStrategy::kNone:
        break;
    }
    return KafkaError(ErrorCode::kOffsetOutOfRange,
                      fmt::format("{} with no reset policy (auto.offset.reset=none) for "
                                  "partition {}",
                                  why, tp.ToString()));
  }

  absl::Status ResolvePositions() {
    for (auto& [tp, s] : assigned_) {
      if (s.position) continue;
      SAMSA_ASSIGN_OR_RETURN(int64_t offset, ResetOffset(tp, "Undefined offset"));
      s.position = offset;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<ConsumerRecord>> DrainBuffered() {
    std::vector<ConsumerRecord> out;
    const size_t max = static_cast<size_t>(std::max(1, config_.max_poll_records));
    for (auto& [tp, s] : assigned_) {
      if (!s.paused && !s.buffered.empty() && out.size() < max) {
        const size_t before = out.size();
        absl::Status taken = s.buffered.fetched->Take(max - out.size(), &out);
        if (out.size() > before) s.position = out.back().offset + 1;
        if (!taken.ok()) {
          // Kafka's consumer returns the records before a corrupt one and
          // raises on the next poll; the position stays at the bad record.
          s.buffered.clear();
          if (out.empty()) return taken;
          pending_error_ = taken;
          break;
        }
        if (s.buffered.empty()) {
          // Past the whole fetched batch once its last record is returned.
          s.next_fetch_offset = std::max(*s.position, s.buffered.fetched->next_fetch_offset());
          s.position = s.next_fetch_offset;
          s.buffered.clear();
        }
      }
      if (out.size() >= max) break;
    }
    return out;
  }

  // Buffers a partition's fetched records; true when its position was reset
  // (out of range) instead.
  absl::StatusOr<bool> HandleFetchResponse(Broker::Impl::FetchPartitionResponse r) {
    auto it = assigned_.find(r.tp);
    if (it == assigned_.end()) return false;
    PartitionState& s = it->second;
    if (!s.position) return false;
    if (!r.status.ok()) {
      const ErrorCode code = ErrorCodeOf(r.status);
      if (code == ErrorCode::kOffsetOutOfRange) {
        SAMSA_ASSIGN_OR_RETURN(
            int64_t offset,
            ResetOffset(r.tp, fmt::format("Fetch position {} is out of range", *s.position)));
        s.position = offset;
        s.next_fetch_offset = offset;
        return true;
      }
      if (IsRetriable(code)) return false;  // try again on the next fetch
      return r.status;
    }
    auto fetched = std::make_unique<client::FetchedRecords>(r.tp, std::move(r.records),
                                                            *s.position, config_.check_crcs);
    SAMSA_RETURN_IF_ERROR(fetched->Prepare());
    if (fetched->exhausted()) {
      // Nothing to return (control batches, records below the position):
      // move past them.
      s.next_fetch_offset = std::max(*s.position, fetched->next_fetch_offset());
      s.position = s.next_fetch_offset;
      return false;
    }
    s.buffered.fetched = std::move(fetched);
    return false;
  }

  // --- GroupMember::Host ------------------------------------------------------------

  void Revoke(const std::vector<TopicPartition>& partitions, bool lost) override {
    if (listener_ != nullptr) {
      if (lost) {
        listener_->OnPartitionsLost(partitions);
      } else {
        listener_->OnPartitionsRevoked(partitions);
      }
    }
    for (const TopicPartition& tp : partitions) assigned_.erase(tp);
  }

  void AddAssigned(const std::vector<TopicPartition>& partitions) override {
    for (const TopicPartition& tp : partitions) assigned_[tp] = PartitionState{};
    // Start from the committed offsets; the rest by auto.offset.reset.
    absl::StatusOr<std::map<TopicPartition, std::optional<OffsetAndMetadata>>> committed =
        member_->Committed(partitions);
    if (committed.ok()) {
      for (const auto& [tp, om] : *committed) {
        if (om) {
          assigned_[tp].position = om->offset;
          assigned_[tp].next_fetch_offset = om->offset;
        }
      }
    } else {
      SAMSA_LOG(kWarning, "consumer {}: could not fetch committed offsets: {}", config_.group_id,
                std::string(committed.status().message()));
    }
    if (listener_ != nullptr) listener_->OnPartitionsAssigned(partitions);
  }

  std::map<TopicPartition, OffsetAndMetadata> Positions() override {
    std::map<TopicPartition, OffsetAndMetadata> out;
    for (const auto& [tp, s] : assigned_) {
      if (s.position) out[tp] = OffsetAndMetadata{*s.position, "", std::nullopt};
    }
    return out;
  }

  absl::Status CheckGroup() const {
    SAMSA_RETURN_IF_ERROR(CheckOpen());
    if (!member_) {
      return KafkaError(ErrorCode::kInvalidGroupId,
                        "To use the group management or offset commit APIs, you must provide a "
                        "valid group.id in the consumer configuration.");
    }
    return absl::OkStatus();
  }

  static absl::Status MutuallyExclusive() {
    return absl::FailedPreconditionError(
        "Subscription to topics, partitions and pattern are mutually exclusive");
  }

  void RunCommitCallbacks() {
    std::vector<CompletedCommit> done = std::exchange(completed_commits_, {});
    for (CompletedCommit& c : done) c.callback(c.offsets, c.status);
  }

  struct CompletedCommit {
    std::map<TopicPartition, OffsetAndMetadata> offsets;
    absl::Status status;
    OffsetCommitCallback callback;
  };

  const ConsumerConfig config_;
  Clock* const clock_;
  const std::unique_ptr<client::BrokerClient> client_;
  const FetchIsolation isolation_;
  std::unique_ptr<client::GroupMember> member_;  // with a group.id
  ConsumerRebalanceListener* listener_ = nullptr;
  std::vector<CompletedCommit> completed_commits_;
  std::map<TopicPartition, PartitionState> assigned_;
  FetchWaiter waiter_;
  std::atomic<bool> wakeup_{false};
  // A corrupt record met after some records were returned: the next Poll's.
  absl::Status pending_error_;
  bool closed_ = false;
};

// ---- Consumer ----------------------------------------------------------------------

static absl::Status ValidateConfig(const ConsumerConfig& config) {
  auto bad = [](std::string_view key, int64_t value, std::string_view why) {
    return KafkaError(ErrorCode::kInvalidConfig,
                      fmt::format("Invalid value {} for configuration {}: {}", value, key, why));
  };
  if (config.max_poll_records < 1) return bad("max.poll.records", config.max_poll_records, "must be >= 1");
  if (config.fetch_min_bytes < 0) return bad("fetch.min.bytes", config.fetch_min_bytes, "must be >= 0");
  if (config.fetch_max_wait_ms < 0) return bad("fetch.max.wait.ms", config.fetch_max_wait_ms, "must be >= 0");
  if (config.fetch_max_bytes < 0) return bad("fetch.max.bytes", config.fetch_max_bytes, "must be >= 0");
  if (config.max_partition_fetch_bytes < 0) {
    return bad("max.partition.fetch.bytes", config.max_partition_fetch_bytes, "must be >= 0");
  }
  if (!config.group_id.empty()) {
    if (config.partition_assignment_strategy.empty()) {
      return KafkaError(ErrorCode::kInvalidConfig,
                        "Invalid value [] for configuration partition.assignment.strategy: at "
                        "least one assignor is needed");
    }
    for (const std::string& name : config.partition_assignment_strategy) {
      if (!client::MakePartitionAssignor(name).ok()) {
        return KafkaError(ErrorCode::kInvalidConfig,
                          fmt::format("Invalid value {} for configuration "
                                      "partition.assignment.strategy: one of range, roundrobin, "
                                      "sticky, cooperative-sticky",
                                      name));
      }
    }
    if (config.heartbeat_interval_ms <= 0 || config.heartbeat_interval_ms >= config.session_timeout_ms) {
      return bad("heartbeat.interval.ms", config.heartbeat_interval_ms,
                 "must be > 0 and lower than session.timeout.ms");
    }
    if (config.max_poll_interval_ms < 1) {
      return bad("max.poll.interval.ms", config.max_poll_interval_ms, "must be >= 1");
    }
    if (config.auto_commit_interval_ms < 0) {
      return bad("auto.commit.interval.ms", config.auto_commit_interval_ms, "must be >= 0");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Consumer>> Consumer::Create(Broker* broker, ConsumerConfig config,
                                                           ConsumerOptions options) {
  if (broker == nullptr || broker->impl() == nullptr) {
    return absl::InvalidArgumentError("Consumer::Create needs a Broker");
  }
  Clock* clock = options.clock != nullptr ? options.clock : broker->impl()->clock();
  SAMSA_RETURN_IF_ERROR(ValidateConfig(config));
  auto client = client::NewLocalBrokerClient(broker->impl(), clock);
  return std::unique_ptr<Consumer>(
      new Consumer(std::make_unique<Impl>(std::move(client), std::move(config))));
}

absl::StatusOr<std::unique_ptr<Consumer>> Consumer::Create(Cluster* cluster, ConsumerConfig config,
                                                           ConsumerOptions options) {
  if (cluster == nullptr || cluster->impl() == nullptr) {
    return absl::InvalidArgumentError("Consumer::Create needs a Cluster");
  }
  Clock* clock = options.clock != nullptr ? options.clock : cluster->impl()->clock();
  const std::string group_id = config.group_id;
  SAMSA_RETURN_IF_ERROR(ValidateConfig(config));
  auto client = client::NewClusterBrokerClient(cluster->impl(), clock, group_id);
  return std::unique_ptr<Consumer>(
      new Consumer(std::make_unique<Impl>(std::move(client), std::move(config))));
}


Consumer::Consumer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Consumer::~Consumer() = default;

absl::Status Consumer::Assign(const std::vector<TopicPartition>& partitions) {
  return impl_->Assign(partitions);
}
std::vector<TopicPartition> Consumer::Assignment() const { return impl_->Assignment(); }
absl::StatusOr<std::vector<ConsumerRecord>> Consumer::Poll(absl::Duration timeout) {
  return impl_->Poll(timeout);
}
void Consumer::Wakeup() { impl_->Wakeup(); }
absl::Status Consumer::Seek(const TopicPartition& tp, int64_t offset) { return impl_->Seek(tp, offset); }
absl::Status Consumer::SeekToBeginning(const std::vector<TopicPartition>& partitions) {
  return impl_->SeekTo(partitions, kEarliestTimestamp);
}
absl::Status Consumer::SeekToEnd(const std::vector<TopicPartition>& partitions) {
  return impl_->SeekTo(partitions, kLatestTimestamp);
}
absl::StatusOr<int64_t> Consumer::Position(const TopicPartition& tp) { return impl_->Position(tp); }
absl::Status Consumer::Pause(const std::vector<TopicPartition>& partitions) {
  return impl_->SetPaused(partitions, true);
}
absl::Status Consumer::Resume(const std::vector<TopicPartition>& partitions) {
  return impl_->SetPaused(partitions, false);
}
std::vector<TopicPartition> Consumer::Paused() const { return impl_->Paused(); }
absl::StatusOr<std::map<TopicPartition, int64_t>> Consumer::BeginningOffsets(
    const std::vector<TopicPartition>& partitions) {
  return impl_->Offsets(partitions, kEarliestTimestamp);
}
absl::StatusOr<std::map<TopicPartition, int64_t>> Consumer::EndOffsets(
    const std::vector<TopicPartition>& partitions) {
  return impl_->Offsets(partitions, kLatestTimestamp);
}
absl::StatusOr<std::map<TopicPartition, std::optional<OffsetAndTimestamp>>>
Consumer::OffsetsForTimes(const std::map<TopicPartition, int64_t>& timestamps) {
  return impl_->OffsetsForTimes(timestamps);
}
absl::StatusOr<int32_t> Consumer::PartitionsFor(const std::string& topic) {
  return impl_->PartitionsFor(topic);
}
absl::Status Consumer::Close() { return impl_->Close(); }
absl::Status Consumer::Subscribe(const std::vector<std::string>& topics,
                                 ConsumerRebalanceListener* listener) {
  return impl_->Subscribe(topics, listener);
}
absl::Status Consumer::SubscribePattern(const std::string& pattern,
                                        ConsumerRebalanceListener* listener) {
  return impl_->SubscribePattern(pattern, listener);
}
absl::Status Consumer::Unsubscribe() { return impl_->Unsubscribe(); }
std::vector<std::string> Consumer::Subscription() const { return impl_->Subscription(); }
ConsumerGroupMetadata Consumer::GroupMetadata() const { return impl_->GroupMetadata(); }
absl::Status Consumer::CommitSync() { return impl_->CommitSync(std::nullopt); }
absl::Status Consumer::CommitSync(const std::map<TopicPartition, OffsetAndMetadata>& offsets) {
  return impl_->CommitSync(offsets);
}
void Consumer::CommitAsync(OffsetCommitCallback callback) {
  impl_->CommitAsync(std::nullopt, std::move(callback));
}
void Consumer::CommitAsync(const std::map<TopicPartition, OffsetAndMetadata>& offsets,
                           OffsetCommitCallback callback) {
  impl_->CommitAsync(offsets, std::move(callback));
}
absl::StatusOr<std::map<TopicPartition, std::optional<OffsetAndMetadata>>> Consumer::Committed(
    const std::vector<TopicPartition>& partitions) {
  return impl_->Committed(partitions);
}
absl::StatusOr<std::map<TopicPartition, std::optional<int64_t>>> Consumer::Lag(
    const std::vector<TopicPartition>& partitions) {
  return impl_->Lag(partitions);
}
const ConsumerConfig& Consumer::config() const { return impl_->config(); }

bool Consumer::RecordRange::Advance() {
  if (started_ && index_ + 1 < batch_.size()) {
    ++index_;
    return true;
  }
  started_ = true;
  batch_.clear();
  index_ = 0;
  Clock* clock = consumer_->impl_->clock();
  const absl::Time idle_deadline = clock->Now() + idle_;
  while (true) {
    const absl::Duration left = idle_deadline - clock->Now();
    if (left <= absl::ZeroDuration()) return false;
    absl::StatusOr<std::vector<ConsumerRecord>> records = consumer_->Poll(left);
    if (!records.ok()) {
      status_ = records.status();
      return false;
    }
    if (!records->empty()) {
      batch_ = *std::move(records);
      return true;
    }
  }
}

}  // namespace samsa
