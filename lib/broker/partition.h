// Partition: one topic-partition hosted by this broker — its Log, its leader
// epoch, replicas and in-sync replicas, its high watermark, and the fetches
// waiting for it to grow (kafka.cluster.Partition).
//
// With one replica (until replication lands) this broker is the leader, the
// ISR is {this broker} and the high watermark follows the log end offset as
// soon as an append is written. Every advance of the high watermark wakes the
// FetchWaiters registered here: a consumer in a long poll sees a record as
// soon as it is appended, without polling.
//
// Thread-safety: thread-safe. The Log is shared with the broker's LogManager;
// after the partition is deleted its calls fail as closed.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "log/log.h"
#include "samsa/errors.h"
#include "samsa/topic.h"
#include "samsa/types.h"
#include "util/mutex.h"

namespace samsa {

// A fetch (or anything else) waiting for partitions to change. Signal() may be
// called from any thread; the owner waits with WaitUntil().
//
// Spin, then park: WaitUntil first watches the flag for up to kSpinNs of real
// time, and only then sleeps on the condition variable; Signal() takes the
// lock and wakes only a waiter that sleeps. On a stream of appends a few
// microseconds apart (an in-process bus) the consumer then never sleeps, and
// the appender pays no futex wake: on a 2-core VM, a wake of a parked thread
// cost the appender ~5-30 us and the reader as much again (pubsub_bench
// BM_LatencySamsaMemory). The spin is bounded, so an idle consumer costs at
// most kSpinNs of CPU per wait.
class FetchWaiter {
 public:
  static constexpr int64_t kSpinNs = 50'000;

  void Signal() {
    // seq_cst pairs with WaitUntil's store to sleeping_ and load of
    // signaled_: either it sees the signal, or this sees it sleeping.
    signaled_.store(true);
    if (sleeping_.load()) {
      MutexLock lock(&mu_);
      cv_.SignalAll();
    }
  }
  // Waits until signalled or `deadline` on `clock`; returns whether it was
  // signalled, and clears the signal.
  bool WaitUntil(Clock* clock, absl::Time deadline) {
    if (!signaled_.load(std::memory_order_acquire) && SpinForSignal()) {
      return signaled_.exchange(false);
    }
    MutexLock lock(&mu_);
    sleeping_.store(true);
    while (!signaled_.load()) {
      if (!cv_.WaitUntil(&mu_, clock, deadline)) break;
    }
    sleeping_.store(false);
    return signaled_.exchange(false);
  }
  void Clear() { signaled_.store(false); }

 private:
  // Watches signaled_ for up to kSpinNs; returns whether it was set.
  bool SpinForSignal() const;

  Mutex mu_;
  CondVar cv_;
  std::atomic<bool> signaled_{false};
  std::atomic<bool> sleeping_{false};
};

// Which bound a read observes (Kafka's FetchIsolation).
enum class FetchIsolation {
  kLogEnd,          // a follower replica: up to the LEO
  kHighWatermark,   // read_uncommitted consumers
  kTxnCommitted,    // read_committed consumers: up to the last stable offset
};

class Partition {
 public:
  Partition(TopicPartition tp, std::shared_ptr<Log> log, int32_t broker_id, Clock* clock);

  const TopicPartition& topic_partition() const { return tp_; }
  Log* log() const { return log_.get(); }
  int32_t leader_epoch() const;
  // The leader and ISR the controller last set (in a cluster); alone, this
  // broker leads with epoch 0 and is the only replica.
  void SetLeadership(int32_t leader, int32_t leader_epoch, std::vector<int32_t> replicas,
                     std::vector<int32_t> isr);
  int32_t leader() const;

  // Appends a producer's batches as the leader. acks: 0, 1 or -1 (all);
  // with -1, fewer in-sync replicas than min.insync.replicas is
  // NOT_ENOUGH_REPLICAS and nothing is written. NOT_LEADER_OR_FOLLOWER while
  // fenced. Appends from the caller's buffer, whose batch headers it
  // rewrites (Log::AppendAsLeader).
  absl::StatusOr<LogAppendInfo> AppendRecordsToLeader(absl::Span<char> records, int16_t acks,
                                                      AppendOrigin origin = AppendOrigin::kClient);

  // Stops (and resumes) leader appends: once Fence() returns no append is in
  // progress and later ones fail with NOT_LEADER_OR_FOLLOWER (retriable), so
  // the log can be copied to the replica that takes the partition over
  // (Cluster::ReassignPartition). Reads go on.
  void Fence();
  void Unfence();

  // Reads from `offset` up to the bound `isolation` names.
  absl::StatusOr<LogReadInfo> Read(Offset offset, int64_t max_bytes, FetchIsolation isolation,
                                   bool min_one_batch = true) const;

  Offset high_watermark() const { return log_->high_watermark(); }
  // With no transactions the last stable offset is the high watermark.
  Offset last_stable_offset() const { return log_->high_watermark(); }

  void AddWaiter(FetchWaiter* waiter);
  void RemoveWaiter(FetchWaiter* waiter);
  // Wakes every waiter (the high watermark or the log start moved, or the
  // partition is going away).
  void NotifyWaiters();

  PartitionDescription Describe() const;

 private:
  const TopicPartition tp_;
  const std::shared_ptr<Log> log_;
  const int32_t broker_id_;
  Clock* const clock_;

  // Held shared by every leader append, exclusively by Fence().
  SharedMutex append_mu_;
  bool fenced_ ABSL_GUARDED_BY(append_mu_) = false;

  mutable Mutex mu_;
  int32_t leader_epoch_ ABSL_GUARDED_BY(mu_) = 0;
  int32_t leader_ ABSL_GUARDED_BY(mu_);
  std::vector<int32_t> replicas_ ABSL_GUARDED_BY(mu_);
  std::vector<int32_t> isr_ ABSL_GUARDED_BY(mu_);
  std::vector<FetchWaiter*> waiters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace samsa
