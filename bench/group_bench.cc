// Consumer groups: how long the group protocol's own work takes — a group of
// N consumers reaching Stable after they join together — and how many offset
// commits per second one member gets through.
//
// Run (release build):
//   cmake --build build/release --target group_bench
//   build/release/bench/group_bench --benchmark_min_time=0.5
//
// Rows:
//   BM_GroupJoin/<N>     N consumers (range assignor, one 2N-partition topic,
//                        group.initial.rebalance.delay.ms 3000) subscribe and
//                        poll until every one has its partitions. Time runs
//                        on a ManualClock advanced in 100 ms steps as soon as
//                        no consumer makes progress, so what is measured is
//                        the protocol work (JoinGroup, the leader's
//                        assignment, SyncGroup, the __consumer_offsets
//                        append), not the 3 s delay. items_per_second counts
//                        members joined; `rounds` how many poll rounds it took.
//   BM_CommitSync/<P>    one member commits P partitions' offsets per call
//                        (each a durable append to __consumer_offsets);
//                        items_per_second counts commit calls, the
//                        `offsets/s` counter partitions.
//
// Each iteration uses a fresh broker on MemEnv, so __consumer_offsets and the
// group state start empty.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_util.h"
#include "samsa/broker.h"
#include "samsa/clock.h"
#include "samsa/consumer.h"
#include "samsa/env.h"

namespace samsa::bench {
namespace {

struct GroupRig {
  ManualClock clock;
  std::unique_ptr<Env> env = NewMemEnv(&clock);
  std::unique_ptr<Broker> broker;

  explicit GroupRig(int partitions) {
    BrokerConfig config;
    config.log_dirs = "/kafka-logs";
    config.num_io_threads = 1;
    broker = CheckOk(Broker::Open(config, BrokerOptions{env.get(), &clock}), "Broker::Open");
    Check(broker->CreateTopic({.name = "t", .num_partitions = partitions}), "CreateTopic");
  }
  ~GroupRig() { Check(broker->Close(), "Broker::Close"); }

  std::unique_ptr<Consumer> Member(int i) {
    ConsumerConfig c;
    c.group_id = "bench";
    c.client_id = "c" + std::to_string(i);
    c.enable_auto_commit = false;
    c.partition_assignment_strategy = {"range"};
    return CheckOk(Consumer::Create(broker.get(), c), "Consumer::Create");
  }
};

void BM_GroupJoin(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  int64_t rounds = 0;
  for (auto _ : state) {
    state.PauseTiming();
    {
      GroupRig rig(2 * n);
      std::vector<std::unique_ptr<Consumer>> members;
      for (int i = 0; i < n; ++i) members.push_back(rig.Member(i));
      state.ResumeTiming();
      for (auto& m : members) Check(m->Subscribe({"t"}), "Subscribe");
      int stable = 0;
      while (stable < n) {
        ++rounds;
        stable = 0;
        for (auto& m : members) {
          CheckOk(m->Poll(absl::ZeroDuration()), "Poll");
          stable += m->Assignment().empty() ? 0 : 1;
        }
        if (stable < n) {
          // Let the coordinator's timer thread finish what is due, then move
          // time on (the initial rebalance delay, heartbeats).
          std::this_thread::yield();
          rig.clock.Advance(absl::Milliseconds(100));
        }
      }
      state.PauseTiming();
      for (auto& m : members) Check(m->Close(), "Close");
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["rounds"] =
      benchmark::Counter(static_cast<double>(rounds), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_GroupJoin)->Arg(1)->Arg(10)->Arg(100)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_CommitSync(benchmark::State& state) {
  const int partitions = static_cast<int>(state.range(0));
  GroupRig rig(partitions);
  std::unique_ptr<Consumer> member = rig.Member(0);
  std::vector<TopicPartition> all;
  for (int p = 0; p < partitions; ++p) all.push_back({"t", p});
  Check(member->Assign(all), "Assign");
  std::map<TopicPartition, OffsetAndMetadata> offsets;
  int64_t next = 0;
  for (auto _ : state) {
    ++next;
    for (const auto& tp : all) offsets[tp] = OffsetAndMetadata{next, "", std::nullopt};
    Check(member->CommitSync(offsets), "CommitSync");
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["offsets/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * partitions), benchmark::Counter::kIsRate);
  Check(member->Close(), "Close");
}
BENCHMARK(BM_CommitSync)->Arg(1)->Arg(100)->UseRealTime();

}  // namespace
}  // namespace samsa::bench

int main(int argc, char** argv) { return samsa::bench::RunBenchmarks(argc, argv); }
