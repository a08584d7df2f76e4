// FakeKafka (include/samsa/testing/fake_kafka.h): what a test pays to get a
// Kafka cluster of its own — Start (cluster on MemEnv, controller elected,
// a wire server per broker accepting connections) and destruction.
//
// Run (release build):
//   cmake --build build/release --target fake_kafka_bench
//   build/release/bench/fake_kafka_bench
//
// Rows:
//   BM_StartStop/<N>   FakeKafka::Start with N brokers, then its destructor;
//                      Time is one start+stop (target for N=1: < 20 ms).
//   BM_StartCreateTopicStop/1   the same plus CreateTopic (1 partition), as
//                      most tests begin.
//   BM_CreateTopic/<N>  Broker::CreateTopic of N partitions on a broker with
//                      samsa.storage=memory (and DeleteTopic, untimed);
//                      per_partition (seconds) should not grow with N.

#include <benchmark/benchmark.h>

#include <string>

#include "samsa/broker.h"
#include "samsa/logging.h"
#include "samsa/testing/fake_kafka.h"

namespace {

void BM_StartStop(benchmark::State& state) {
  samsa::SetMinLogLevel(samsa::LogLevel::kWarning);
  samsa::testing::FakeKafkaOptions options;
  options.num_brokers = static_cast<int32_t>(state.range(0));
  for (auto _ : state) {
    auto fake = samsa::testing::FakeKafka::Start(options);
    if (!fake.ok()) {
      state.SkipWithError(std::string(fake.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(fake->get());
  }
}
BENCHMARK(BM_StartStop)->Arg(1)->Arg(3)->Unit(benchmark::kMillisecond);

void BM_StartCreateTopicStop(benchmark::State& state) {
  samsa::SetMinLogLevel(samsa::LogLevel::kWarning);
  for (auto _ : state) {
    auto fake = samsa::testing::FakeKafka::Start({});
    if (!fake.ok() || !(*fake)->CreateTopic("t", 1).ok()) {
      state.SkipWithError("start or CreateTopic failed");
      return;
    }
  }
}
BENCHMARK(BM_StartCreateTopicStop)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_CreateTopic(benchmark::State& state) {
  samsa::SetMinLogLevel(samsa::LogLevel::kWarning);
  samsa::BrokerConfig config;
  config.samsa_storage = "memory";
  config.log_dirs = "/kafka-logs";
  auto broker = samsa::Broker::Open(config);
  if (!broker.ok()) {
    state.SkipWithError(std::string(broker.status().message()).c_str());
    return;
  }
  const auto partitions = static_cast<int32_t>(state.range(0));
  int64_t n = 0;
  for (auto _ : state) {
    const std::string name = "t" + std::to_string(n++);
    if (!(*broker)->CreateTopic({.name = name, .num_partitions = partitions}).ok()) {
      state.SkipWithError("CreateTopic failed");
      return;
    }
    state.PauseTiming();
    if (!(*broker)->DeleteTopic(name).ok()) {
      state.SkipWithError("DeleteTopic failed");
      return;
    }
    state.ResumeTiming();
  }
  state.counters["per_partition"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * partitions,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_CreateTopic)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
