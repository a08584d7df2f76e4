// Scheduler: a small pool of worker threads running one-shot and periodic
// tasks at times read from a Clock — the broker's background work (retention
// every log.retention.check.interval.ms, flushes, checkpoints, session
// time-outs). With a ManualClock nothing runs until the test advances time;
// AwaitIdle() then waits until every task due by now has run, so a test can
// check the effect without sleeping.
//
// Periodic tasks run at a fixed rate (next run = previous due time + period,
// as Kafka's KafkaScheduler.schedule does), except that periods missed while
// the clock jumped ahead are not made up in a burst: the rate restarts from
// the run that caught up. A task never runs concurrently with itself.
//
// Thread-safety: thread-safe. Tasks run on worker threads and must not call
// Shutdown(). The destructor shuts down: it waits for running tasks and drops
// the rest.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "samsa/clock.h"
#include "util/mutex.h"

namespace samsa {

class Scheduler {
 public:
  using TaskId = uint64_t;

  // "*clock" must outlive the scheduler. threads >= 1.
  Scheduler(Clock* clock, int threads, std::string name);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs `fn` once, `delay` from now.
  TaskId ScheduleOnce(std::string name, absl::Duration delay, std::function<void()> fn);
  // Runs `fn` first after `initial_delay`, then every `period` (> 0).
  TaskId SchedulePeriodic(std::string name, absl::Duration initial_delay, absl::Duration period,
                          std::function<void()> fn);
  // The task will not start again (a run in progress finishes).
  void Cancel(TaskId id);

  // Blocks until no task is due at the clock's current time and none runs.
  void AwaitIdle();
  // Stops the workers after the tasks in progress; later schedules are ignored.
  void Shutdown();

  int64_t runs_completed() const;

 private:
  struct Task {
    TaskId id;
    std::string name;
    absl::Time due;
    absl::Duration period;  // zero: once
    std::function<void()> fn;
  };

  void Work();
  TaskId Add(std::string name, absl::Time due, absl::Duration period, std::function<void()> fn);

  Clock* const clock_;
  const std::string name_;
  mutable Mutex mu_;
  CondVar work_cv_;  // a task was added or is due, or shutdown
  CondVar idle_cv_;  // a run finished
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  TaskId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Keyed by (due time, id): the first entry is the next to run.
  std::map<std::pair<absl::Time, TaskId>, Task> queue_ ABSL_GUARDED_BY(mu_);
  std::set<TaskId> cancelled_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t runs_completed_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::thread> workers_;
};

}  // namespace samsa
