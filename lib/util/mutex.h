// Mutex, MutexLock, SharedMutex and CondVar: std:: primitives with Abseil's
// thread-safety annotations.
//
// Why not absl::Mutex: Debian's libabsl is built without TSan instrumentation,
// so TSan cannot see absl::Mutex's happens-before edges and reports races on
// every variable it guards (checked with a two-thread counter under
// -fsanitize=thread). These wrappers keep the annotations (clang's
// -Wthread-safety checks ABSL_GUARDED_BY) over pthread-based std primitives,
// which TSan intercepts.
//
// CondVar waits take a Clock so that a ManualClock in a test can expire the
// deadline: every timed wait in samsa goes through CondVar::WaitUntil.
#pragma once

#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "samsa/clock.h"
#include "util/cpu_relax.h"

namespace samsa {

namespace sync_internal {
// Tries `try_lock` up to kSpinTries times, a pause apart (a few microseconds
// in all), before the caller blocks in the kernel. See SharedMutex.
inline constexpr int kSpinTries = 100;
template <typename TryLock>
inline bool SpinTry(TryLock try_lock) {
  for (int i = 0; i < kSpinTries; ++i) {
    if (try_lock()) return true;
    CpuRelax();
  }
  return false;
}
}  // namespace sync_internal

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) { return mu_.try_lock(); }
  // Documents (and tells the analysis) that the caller holds the lock.
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A reader/writer lock. Lock and ReaderLock spin briefly (SpinTry) before
// blocking: glibc's rwlock parks a contended locker at once, and its unlock
// then pays a futex wake. The log's lock is held for well under a microsecond
// by an append and a read, yet with a producer appending while a consumer
// reads, one append in a few met the other side and slept: a linger.ms=0
// Send() took 30 us on average on a 2-core VM, 3 us with the spin
// (pubsub_bench BM_LatencySamsaMemory, Send-to-callback p50 67 -> 2.2 us).
class ABSL_LOCKABLE SharedMutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    if (!sync_internal::SpinTry([this] { return mu_.try_lock(); })) mu_.lock();
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() {
    if (!sync_internal::SpinTry([this] { return mu_.try_lock_shared(); })) mu_.lock_shared();
  }
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock_shared(); }
  void AssertReaderHeld() const ABSL_ASSERT_SHARED_LOCK() {}

 private:
  std::shared_mutex mu_;
};

class ABSL_SCOPED_LOCKABLE WriterLock {
 public:
  explicit WriterLock(SharedMutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~WriterLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex* const mu_;
};

class ABSL_SCOPED_LOCKABLE ReaderLock {
 public:
  explicit ReaderLock(SharedMutex* mu) ABSL_SHARED_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->ReaderLock();
  }
  ~ReaderLock() ABSL_UNLOCK_FUNCTION() { mu_->ReaderUnlock(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex* const mu_;
};

class CondVar {
 public:
  // Waits until signalled (spurious wake-ups possible: callers loop on their
  // condition). REQUIRES: *mu held.
  void Wait(Mutex* mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }

  // Waits until signalled or until `clock` reaches `deadline`. Returns false
  // if the deadline has passed. REQUIRES: *mu held.
  bool WaitUntil(Mutex* mu, Clock* clock, absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    if (deadline == absl::InfiniteFuture()) {
      // No clock can reach it: not a timed wait (and not one of a
      // ManualClock's waiters).
      cv_.wait(lock);
      lock.release();
      return true;
    }
    const bool before_deadline = clock->WaitUntil(cv_, lock, deadline);
    lock.release();
    return before_deadline;
  }

  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable_any cv_;
};

}  // namespace samsa
