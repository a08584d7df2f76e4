// The threads KafkaServer runs API handlers on (Kafka's num.io.threads
// request handler pool).
//
// Handlers may block (Produce waits for its append, Fetch long-polls up to
// fetch.max.wait.ms), so a fixed pool would let a few long-polling
// connections stall every other connection's requests. This pool starts
// with `min_threads` and adds a thread whenever a job is submitted while no
// thread is idle, up to `max_threads`; threads are kept until Shutdown. Only
// when `max_threads` handlers block at once does a new job wait for one of
// them.
//
// Thread-safety: thread-safe.
#pragma once

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "util/mutex.h"

namespace samsa::kafka {

class IoPool {
 public:
  IoPool(int min_threads, int max_threads);
  // Shuts down.
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  // Runs `job` on a pool thread. After Shutdown the job is dropped.
  void Submit(std::function<void()> job);
  // Drops the jobs not yet started, waits for the running ones, joins the
  // threads. Idempotent.
  void Shutdown();

  int threads() const;

 private:
  void Work();
  void StartThreadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int max_threads_;
  mutable Mutex mu_;
  CondVar cv_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
  int idle_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace samsa::kafka
