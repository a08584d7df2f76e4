#include "util/scheduler.h"

#include <pthread.h>

#include "util/logging.h"

namespace samsa {

Scheduler::Scheduler(Clock* clock, int threads, std::string name)
    : clock_(clock), name_(std::move(name)) {
  for (int i = 0; i < std::max(threads, 1); ++i) {
    workers_.emplace_back([this] {
      ::pthread_setname_np(::pthread_self(), "samsa-io");  // for top -H, perf, gdb
      Work();
    });
  }
}

Scheduler::~Scheduler() { Shutdown(); }

Scheduler::TaskId Scheduler::Add(std::string name, absl::Time due, absl::Duration period,
                                 std::function<void()> fn) {
  MutexLock lock(&mu_);
  if (shutdown_) return 0;
  const TaskId id = next_id_++;
  queue_.emplace(std::make_pair(due, id), Task{id, std::move(name), due, period, std::move(fn)});
  work_cv_.SignalAll();
  return id;
}

Scheduler::TaskId Scheduler::ScheduleOnce(std::string name, absl::Duration delay,
                                          std::function<void()> fn) {
  return Add(std::move(name), clock_->Now() + delay, absl::ZeroDuration(), std::move(fn));
}

Scheduler::TaskId Scheduler::SchedulePeriodic(std::string name, absl::Duration initial_delay,
                                              absl::Duration period, std::function<void()> fn) {
  return Add(std::move(name), clock_->Now() + initial_delay,
             std::max(period, absl::Nanoseconds(1)), std::move(fn));
}

void Scheduler::Cancel(TaskId id) {
  MutexLock lock(&mu_);
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (it->second.id == id) {
      queue_.erase(it);
      break;
    }
  }
  cancelled_.insert(id);
  idle_cv_.SignalAll();
}

void Scheduler::Work() {
  MutexLock lock(&mu_);
  while (!shutdown_) {
    if (queue_.empty()) {
      work_cv_.Wait(&mu_);
      continue;
    }
    const absl::Time due = queue_.begin()->first.first;
    if (clock_->Now() < due) {
      work_cv_.WaitUntil(&mu_, clock_, due);
      continue;
    }
    Task task = std::move(queue_.begin()->second);
    queue_.erase(queue_.begin());
    ++running_;
    mu_.Unlock();
    task.fn();
    mu_.Lock();
    --running_;
    ++runs_completed_;
    if (task.period > absl::ZeroDuration() && !shutdown_ && cancelled_.count(task.id) == 0) {
      task.due += task.period;
      // Periods missed while the clock jumped ahead (or a run overran) are
      // not made up in a burst: the rate restarts from now.
      if (task.due <= clock_->Now()) task.due = clock_->Now() + task.period;
      queue_.emplace(std::make_pair(task.due, task.id), std::move(task));
      work_cv_.SignalAll();
    }
    idle_cv_.SignalAll();
  }
}

void Scheduler::AwaitIdle() {
  MutexLock lock(&mu_);
  while (!shutdown_ && (running_ > 0 ||
                        (!queue_.empty() && queue_.begin()->first.first <= clock_->Now()))) {
    idle_cv_.Wait(&mu_);
  }
}

void Scheduler::Shutdown() {
  {
    MutexLock lock(&mu_);
    if (shutdown_ && workers_.empty()) return;
    shutdown_ = true;
    queue_.clear();
    work_cv_.SignalAll();
    idle_cv_.SignalAll();
  }
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
}

int64_t Scheduler::runs_completed() const {
  MutexLock lock(&mu_);
  return runs_completed_;
}

}  // namespace samsa
