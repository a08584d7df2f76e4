// A broker on an in-memory filesystem and a manual clock, for tests.
#pragma once

#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "broker/broker_impl.h"
#include "log/log_test_util.h"
#include "samsa/broker.h"

namespace samsa::testing {

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

  std::vector<TestRecord> FetchAll(const TopicPartition& tp, int64_t from = 0) {
    Broker::Impl::FetchRequest request;
    request.partitions.push_back({tp, from, 1 << 20});
    request.max_wait = absl::ZeroDuration();
    auto responses = impl().Fetch(request);
    REQUIRE(responses.size() == 1);
    REQUIRE(responses[0].status.ok());
    return DecodeAll(responses[0].records.view());
  }
};

}  // namespace samsa::testing
