// A broker on an in-memory filesystem and a manual clock, for tests.
#pragma once

#include <memory>
#include <chrono>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "broker/broker_impl.h"
#include "log/log_test_util.h"
#include "samsa/broker.h"

namespace samsa::testing {

// Waits (in real time, briefly) until `pred` holds: for state that another
// thread changes. Gives up after ~2 s and returns what pred says then.
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 20000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return pred();
}

// The number of threads blocked on `clock` once it stops changing (background
// threads that wait on the clock — the broker's scheduler, a lingering
// producer — have gone to sleep). A test then waits for NumWaiters() to pass
// it to know that the thread it started is blocked.
inline int SettledWaiters(const ManualClock& clock) {
  int last = clock.NumWaiters();
  for (int stable = 0; stable < 30;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const int now = clock.NumWaiters();
    stable = now == last ? stable + 1 : 0;
    last = now;
  }
  return last;
}

struct BrokerFixture {
  ManualClock clock;
  std::unique_ptr<Env> env = NewMemEnv(&clock);
  BrokerConfig config = DefaultConfig();
  std::unique_ptr<Broker> broker;

  static BrokerConfig DefaultConfig() {
    BrokerConfig c;
    c.log_dirs = "/kafka-logs";
    c.num_io_threads = 2;
    return c;
  }

  absl::StatusOr<std::unique_ptr<Broker>> TryOpen() {
    return Broker::Open(config, BrokerOptions{env.get(), &clock});
  }
  Broker& Open() {
    auto b = TryOpen();
    REQUIRE(b.ok());
    broker = *std::move(b);
    return *broker;
  }
  void Reopen() {
    REQUIRE(broker->Close().ok());
    broker.reset();
    Open();
  }
  Broker::Impl& impl() { return *broker->impl(); }

  // Appends `n` records "<prefix>-<i>" to tp; returns the base offset.
  int64_t Produce(const TopicPartition& tp, int n, const std::string& prefix) {
    auto result = impl().Produce(tp, MakeBatch(n, prefix, clock.NowMs()), 1);
    REQUIRE(result.ok());
    return result->base_offset;
  }

  // Every record from `from` to the high watermark, fetching until none come
  // (a fetch from a memory topic stops at the end of a storage chunk).
  std::vector<TestRecord> FetchAll(const TopicPartition& tp, int64_t from = 0) {
    std::vector<TestRecord> all;
    while (true) {
      Broker::Impl::FetchRequest request;
      request.partitions.push_back({tp, from, 1 << 20});
      request.max_wait = absl::ZeroDuration();
      auto responses = impl().Fetch(request);
      REQUIRE(responses.size() == 1);
      REQUIRE(responses[0].status.ok());
      std::vector<TestRecord> some = DecodeAll(responses[0].records.view());
      if (some.empty()) return all;
      from = some.back().offset + 1;
      all.insert(all.end(), some.begin(), some.end());
    }
  }
};

}  // namespace samsa::testing
