// samsa/clock.h — the source of all time in samsa.
//
// Every timestamp, timeout, interval and deadline in samsa reads a Clock, so
// that a test can drive time by hand with ManualClock: expire a session, roll a
// segment or apply retention without sleeping. Blocking waits with a deadline
// go through Clock::WaitUntil, which a ManualClock wakes when it is advanced.
//
// Thread-safety: Clock implementations are thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "absl/time/time.h"

namespace samsa {

class Clock {
 public:
  virtual ~Clock() = default;

  // The process-wide real-time clock (wall time: CLOCK_REALTIME). Never deleted.
  static Clock* System();

  virtual absl::Time Now() const = 0;

  // Milliseconds since the Unix epoch: Kafka's timestamp unit.
  int64_t NowMs() const { return absl::ToUnixMillis(Now()); }

  // Waits on `cv`, with `lock` held on entry and on return (released while
  // waiting), until `cv` is notified or this clock reaches `deadline`.
  // Returns false if the deadline has passed, true otherwise (which includes
  // spurious wake-ups: callers loop on their own condition).
  // absl::InfiniteFuture() waits for a notification only.
  virtual bool WaitUntil(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
                         absl::Time deadline) = 0;
};

// A clock that moves only when told to. Waiters blocked in WaitUntil wake up
// when Advance()/SetTime() reaches their deadline.
class ManualClock final : public Clock {
 public:
  // Starts at 2023-11-14T22:13:20Z (Unix ms 1'700'000'000'000) unless given.
  explicit ManualClock(absl::Time start = absl::FromUnixMillis(1'700'000'000'000));

  absl::Time Now() const override;
  bool WaitUntil(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
                 absl::Time deadline) override;

  // Moves time forward by `d` (>= 0) and wakes every waiter.
  void Advance(absl::Duration d);
  // Sets the time (which may not move backwards) and wakes every waiter.
  void SetTime(absl::Time t);

  // How many threads are blocked in WaitUntil right now: lets a test wait until
  // a worker has gone to sleep before it advances time.
  int NumWaiters() const;

 private:
  mutable std::mutex mu_;
  absl::Time now_;
  std::vector<std::condition_variable_any*> waiters_;
};

}  // namespace samsa
