#include "broker/partition.h"

#include <time.h>

#include <algorithm>

#include <fmt/format.h>

#include "util/cpu_relax.h"

namespace samsa {

Partition::Partition(TopicPartition tp, std::shared_ptr<Log> log, int32_t broker_id, Clock* clock)
    : tp_(std::move(tp)),
      log_(std::move(log)),
      broker_id_(broker_id),
      clock_(clock),
      leader_(broker_id),
      replicas_{broker_id},
      isr_{broker_id} {
  // One replica: everything in the log is committed.
  log_->UpdateHighWatermark(log_->log_end_offset());
}

int32_t Partition::leader_epoch() const {
  MutexLock lock(&mu_);
  return leader_epoch_;
}

int32_t Partition::leader() const {
  MutexLock lock(&mu_);
  return leader_;
}

void Partition::SetLeadership(int32_t leader, int32_t leader_epoch, std::vector<int32_t> replicas,
                              std::vector<int32_t> isr) {
  bool changed;
  {
    MutexLock lock(&mu_);
    changed = leader_ != leader || leader_epoch_ != leader_epoch;
    leader_ = leader;
    leader_epoch_ = leader_epoch;
    replicas_ = std::move(replicas);
    isr_ = std::move(isr);
  }
  // Waiting fetches look again (and see whether this broker still leads).
  if (changed) NotifyWaiters();
}

absl::StatusOr<LogAppendInfo> Partition::AppendRecordsToLeader(absl::Span<char> records, int16_t acks,
                                                               AppendOrigin origin) {
  if (acks != 0 && acks != 1 && acks != -1) {
    return KafkaError(ErrorCode::kInvalidRequiredAcks,
                      fmt::format("{}: acks must be 0, 1 or -1, not {}", tp_.ToString(), acks));
  }
  ReaderLock fence(&append_mu_);
  if (fenced_) {
    return KafkaError(ErrorCode::kNotLeaderOrFollower,
                      fmt::format("{} is moving to another broker", tp_.ToString()));
  }
  const int32_t in_sync = 1;
  if (acks == -1 && in_sync < log_->config().min_insync_replicas) {
    return KafkaError(ErrorCode::kNotEnoughReplicas,
                      fmt::format("{}: {} in-sync replica(s), min.insync.replicas is {}",
                                  tp_.ToString(), in_sync, log_->config().min_insync_replicas));
  }
  absl::StatusOr<LogAppendInfo> info = log_->AppendAsLeader(records, leader_epoch(), origin);
  if (!info.ok()) return info;
  // With one replica the high watermark is the LEO once the write is done.
  if (log_->MaybeIncrementHighWatermark(info->last_offset + 1)) NotifyWaiters();
  return info;
}

void Partition::Fence() {
  WriterLock lock(&append_mu_);
  fenced_ = true;
}

void Partition::Unfence() {
  WriterLock lock(&append_mu_);
  fenced_ = false;
}

absl::StatusOr<LogReadInfo> Partition::Read(Offset offset, int64_t max_bytes,
                                            FetchIsolation isolation, bool min_one_batch) const {
  Offset bound;
  switch (isolation) {
    case FetchIsolation::kLogEnd: bound = log_->log_end_offset(); break;
    case FetchIsolation::kHighWatermark: bound = high_watermark(); break;
    case FetchIsolation::kTxnCommitted: bound = last_stable_offset(); break;
  }
  return log_->Read(offset, max_bytes, bound, min_one_batch);
}

bool FetchWaiter::SpinForSignal() const {
  auto monotonic_ns = [] {
    timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  };
  const int64_t start_ns = monotonic_ns();
  while (true) {
    for (int i = 0; i < 64; ++i) {
      if (signaled_.load(std::memory_order_acquire)) return true;
      CpuRelax();
    }
    if (monotonic_ns() - start_ns >= kSpinNs) return false;
  }
}

void Partition::AddWaiter(FetchWaiter* waiter) {
  MutexLock lock(&mu_);
  waiters_.push_back(waiter);
}

void Partition::RemoveWaiter(FetchWaiter* waiter) {
  MutexLock lock(&mu_);
  auto it = std::find(waiters_.begin(), waiters_.end(), waiter);
  if (it != waiters_.end()) waiters_.erase(it);
}

void Partition::NotifyWaiters() {
  MutexLock lock(&mu_);
  for (FetchWaiter* waiter : waiters_) waiter->Signal();
}

PartitionDescription Partition::Describe() const {
  PartitionDescription d;
  d.partition = tp_.partition;
  {
    MutexLock lock(&mu_);
    d.leader = leader_;
    d.replicas = replicas_;
    d.isr = isr_;
  }
  d.log_start_offset = log_->log_start_offset().value();
  d.log_end_offset = log_->log_end_offset().value();
  d.high_watermark = log_->high_watermark().value();
  d.size_bytes = log_->size_in_bytes();
  return d;
}

}  // namespace samsa
