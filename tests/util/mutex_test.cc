#include "util/mutex.h"

#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "absl/time/clock.h"
#include "samsa/clock.h"

namespace samsa {
namespace {

// Spins (yielding) until `clock` has `n` waiters: the only way a test can know
// another thread is blocked before it moves time.
void AwaitWaiters(const ManualClock& clock, int n) {
  while (clock.NumWaiters() < n) std::this_thread::yield();
}

TEST_CASE("a wait on a manual clock times out only when the clock is advanced", "[clock]") {
  ManualClock clock;
  Mutex mu;
  CondVar cv;
  std::atomic<bool> timed_out{false};
  const absl::Time deadline = clock.Now() + absl::Seconds(5);
  std::thread waiter([&] {
    MutexLock lock(&mu);
    while (cv.WaitUntil(&mu, &clock, deadline)) {
    }
    timed_out = true;
  });
  AwaitWaiters(clock, 1);
  clock.Advance(absl::Seconds(4));
  // Still before the deadline: the waiter must go back to sleep.
  AwaitWaiters(clock, 1);
  CHECK_FALSE(timed_out.load());
  clock.Advance(absl::Seconds(1));
  waiter.join();
  CHECK(timed_out.load());
  CHECK(clock.NumWaiters() == 0);
}

TEST_CASE("a signal wakes a waiter on a manual clock before its deadline", "[clock]") {
  ManualClock clock;
  Mutex mu;
  CondVar cv;
  bool ready = false;
  bool woke_in_time = false;
  std::thread waiter([&] {
    MutexLock lock(&mu);
    while (!ready) {
      if (!cv.WaitUntil(&mu, &clock, clock.Now() + absl::Hours(1))) break;
    }
    woke_in_time = ready;
  });
  AwaitWaiters(clock, 1);
  {
    MutexLock lock(&mu);
    ready = true;
  }
  cv.SignalAll();
  waiter.join();
  CHECK(woke_in_time);
}

TEST_CASE("a deadline already passed returns at once", "[clock]") {
  ManualClock clock;
  Mutex mu;
  CondVar cv;
  MutexLock lock(&mu);
  CHECK_FALSE(cv.WaitUntil(&mu, &clock, clock.Now()));
  CHECK_FALSE(cv.WaitUntil(&mu, Clock::System(), absl::Now() - absl::Seconds(1)));
}

TEST_CASE("many waiters with different deadlines each wake at their own", "[clock]") {
  ManualClock clock;
  Mutex mu;
  CondVar cv;
  constexpr int kWaiters = 8;
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  const absl::Time start = clock.Now();
  for (int i = 1; i <= kWaiters; ++i) {
    threads.emplace_back([&, i] {
      MutexLock lock(&mu);
      while (cv.WaitUntil(&mu, &clock, start + absl::Seconds(i))) {
      }
      done++;
    });
  }
  AwaitWaiters(clock, kWaiters);
  for (int i = 1; i <= kWaiters; ++i) {
    clock.Advance(absl::Seconds(1));
    AwaitWaiters(clock, kWaiters - i);
    // Those whose deadline passed have left; the others are still waiting.
    while (done.load() < i) std::this_thread::yield();
    CHECK(done.load() == i);
  }
  for (auto& t : threads) t.join();
}

TEST_CASE("the system clock waits in real time", "[clock]") {
  Mutex mu;
  CondVar cv;
  MutexLock lock(&mu);
  const absl::Time start = absl::Now();
  while (cv.WaitUntil(&mu, Clock::System(), start + absl::Milliseconds(20))) {
  }
  CHECK(absl::Now() - start >= absl::Milliseconds(20));
}

}  // namespace
}  // namespace samsa
