#include "util/scheduler.h"

#include <atomic>

#include <catch2/catch.hpp>

namespace samsa {
namespace {

TEST_CASE("a scheduled task runs only when the manual clock reaches it", "[scheduler]") {
  ManualClock clock;
  Scheduler scheduler(&clock, 2, "test");
  std::atomic<int> runs{0};
  scheduler.ScheduleOnce("once", absl::Seconds(10), [&] { runs++; });
  scheduler.AwaitIdle();
  CHECK(runs.load() == 0);
  clock.Advance(absl::Seconds(9));
  scheduler.AwaitIdle();
  CHECK(runs.load() == 0);
  clock.Advance(absl::Seconds(1));
  scheduler.AwaitIdle();
  CHECK(runs.load() == 1);
  clock.Advance(absl::Hours(1));
  scheduler.AwaitIdle();
  CHECK(runs.load() == 1);
}

TEST_CASE("a periodic task runs at a fixed rate", "[scheduler]") {
  ManualClock clock;
  Scheduler scheduler(&clock, 1, "test");
  std::atomic<int> runs{0};
  scheduler.SchedulePeriodic("tick", absl::Seconds(5), absl::Seconds(5), [&] { runs++; });
  for (int i = 1; i <= 4; ++i) {
    clock.Advance(absl::Seconds(5));
    scheduler.AwaitIdle();
    CHECK(runs.load() == i);
  }
  // A jump over many periods runs it once and keeps the rate afterwards.
  clock.Advance(absl::Minutes(10));
  scheduler.AwaitIdle();
  CHECK(runs.load() == 5);
}

TEST_CASE("a cancelled task does not run again", "[scheduler]") {
  ManualClock clock;
  Scheduler scheduler(&clock, 1, "test");
  std::atomic<int> runs{0};
  auto id = scheduler.SchedulePeriodic("tick", absl::Seconds(1), absl::Seconds(1), [&] { runs++; });
  clock.Advance(absl::Seconds(1));
  scheduler.AwaitIdle();
  scheduler.Cancel(id);
  clock.Advance(absl::Seconds(10));
  scheduler.AwaitIdle();
  CHECK(runs.load() == 1);
}

TEST_CASE("tasks run on the system clock without a test driving time", "[scheduler]") {
  Scheduler scheduler(Clock::System(), 2, "test");
  std::atomic<int> runs{0};
  for (int i = 0; i < 10; ++i) scheduler.ScheduleOnce("now", absl::ZeroDuration(), [&] { runs++; });
  scheduler.AwaitIdle();
  CHECK(runs.load() == 10);
}

TEST_CASE("shutdown drops pending tasks and ignores new ones", "[scheduler]") {
  ManualClock clock;
  std::atomic<int> runs{0};
  Scheduler scheduler(&clock, 2, "test");
  scheduler.ScheduleOnce("later", absl::Seconds(1), [&] { runs++; });
  scheduler.Shutdown();
  CHECK(scheduler.ScheduleOnce("after", absl::ZeroDuration(), [&] { runs++; }) == 0);
  clock.Advance(absl::Seconds(5));
  CHECK(runs.load() == 0);
}

}  // namespace
}  // namespace samsa
