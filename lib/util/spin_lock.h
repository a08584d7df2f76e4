// SpinLock: a lock for critical sections of tens of nanoseconds that two
// threads take at high rates — the producer's accumulator, where Send()
// appends a record and the sender thread takes full batches.
//
// Why not samsa::Mutex there: a contended std::mutex parks the waiter in the
// kernel and its owner pays a futex wake on unlock — microseconds on a VM,
// for a section that lasts nanoseconds (pubsub_bench showed 17-33% of the
// producer's time in lock waits and wakes). A SpinLock spins with a pause
// instruction, then yields the CPU, so a preempted owner still gets to run on
// a machine with fewer cores than threads.
//
// Never hold it across I/O, a wait, or a call into user code. Acquire/release
// atomics give TSan the happens-before edges.
//
// Thread-safety: thread-safe.
#pragma once

#include <atomic>
#include <thread>

#include "absl/base/thread_annotations.h"

#include "util/cpu_relax.h"

namespace samsa {

class ABSL_LOCKABLE SpinLock {
 public:
  SpinLock() = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    int spins = 0;
    while (locked_.exchange(true, std::memory_order_acquire)) {
      while (locked_.load(std::memory_order_relaxed)) {
        if (++spins < kSpinsBeforeYield) {
          CpuRelax();
        } else {
          std::this_thread::yield();
        }
      }
    }
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() { locked_.store(false, std::memory_order_release); }

 private:
  static constexpr int kSpinsBeforeYield = 128;

  std::atomic<bool> locked_{false};
};

class ABSL_SCOPED_LOCKABLE SpinLockHolder {
 public:
  explicit SpinLockHolder(SpinLock* lock) ABSL_EXCLUSIVE_LOCK_FUNCTION(lock) : lock_(lock) {
    lock_->Lock();
  }
  ~SpinLockHolder() ABSL_UNLOCK_FUNCTION() { lock_->Unlock(); }
  SpinLockHolder(const SpinLockHolder&) = delete;
  SpinLockHolder& operator=(const SpinLockHolder&) = delete;

 private:
  SpinLock* const lock_;
};

}  // namespace samsa
