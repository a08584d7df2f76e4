#include "kafka/server/io_pool.h"

#include <pthread.h>

#include <algorithm>
#include <utility>

namespace samsa::kafka {

IoPool::IoPool(int min_threads, int max_threads) : max_threads_(std::max({1, min_threads, max_threads})) {
  MutexLock lock(&mu_);
  for (int i = 0; i < std::max(1, min_threads); ++i) StartThreadLocked();
}

IoPool::~IoPool() { Shutdown(); }

void IoPool::StartThreadLocked() {
  threads_.emplace_back([this] {
    // Kafka's request handler threads; named for top -H, perf and gdb.
    ::pthread_setname_np(::pthread_self(), "samsa-handler");
    Work();
  });
}

void IoPool::Submit(std::function<void()> job) {
  MutexLock lock(&mu_);
  if (shutdown_) return;
  queue_.push_back(std::move(job));
  if (static_cast<size_t>(idle_) < queue_.size() && static_cast<int>(threads_.size()) < max_threads_) {
    StartThreadLocked();
  }
  cv_.Signal();
}

void IoPool::Work() {
  for (;;) {
    std::function<void()> job;
    {
      MutexLock lock(&mu_);
      while (queue_.empty() && !shutdown_) {
        ++idle_;
        cv_.Wait(&mu_);
        --idle_;
      }
      if (shutdown_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

void IoPool::Shutdown() {
  std::vector<std::thread> threads;
  std::deque<std::function<void()>> dropped;
  {
    MutexLock lock(&mu_);
    shutdown_ = true;
    threads.swap(threads_);
    dropped.swap(queue_);
    cv_.SignalAll();
  }
  dropped.clear();  // outside the lock: a job's captures may do anything on destruction
  for (std::thread& t : threads) t.join();
}

int IoPool::threads() const {
  MutexLock lock(&mu_);
  return static_cast<int>(threads_.size());
}

}  // namespace samsa::kafka
