// In-process pub/sub: one producer thread -> one consumer thread through a
// samsa topic, against plain in-process queues carrying the same payloads.
//
// Run (release build; --benchmark_min_time is in seconds in benchmark 1.7):
//   cmake --preset release && cmake --build build/release --target pubsub_bench
//   build/release/bench/pubsub_bench --benchmark_min_time=0.5
//     --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//                                                       (one command line)
//
// The project's targets (compare medians; items_per_second counts records):
//   BM_Samsa/Memory_linger0/<size>  >= 0.5 x BM_MutexQueue/<size>
//   BM_Samsa/Memory_batched/<size>  >= 2   x BM_MutexQueue/<size>  (linger.ms=5, batch.size 16 KiB)
//   BM_LatencySamsaMemory/100       p99_us < 50 at 100k records/s
//
// Throughput rows (Arg = value size in bytes, 100 or 1024). Each iteration
// moves kRecords records end to end: the benchmark thread produces them, a
// consumer thread started for the iteration receives them; the iteration ends
// when the consumer has all of them (and, for samsa, Flush() returned). Times
// are wall-clock (UseRealTime).
//   BM_Samsa/Memory_linger0  memory topic (NewTopic::memory), 1 partition,
//                            linger.ms=0, batch.size 16384 (defaults)
//   BM_Samsa/Memory_batched  the same with linger.ms=5
//   BM_Samsa/Disk_linger0    a disk topic on PosixEnv in a mkdtemp dir (log.dirs),
//   BM_Samsa/Disk_batched    default flush settings: never fsyncs
//   BM_MutexQueue            std::deque<std::string> + std::mutex +
//                            std::condition_variable: push_back + notify_one,
//                            the consumer waits and pops one at a time
//   BM_SpscQueue             boost::lockfree::spsc_queue<std::string*> (64 Ki
//                            slots); both sides spin (yielding) when full/empty
// The samsa producer never waits for a record's future: Send() with a
// callback that counts errors, Flush() at the end of the iteration. Every
// variant builds one std::string per record from the same payload (samsa's
// ProducerRecord owns its value; the queues carry a string). The consumer is
// a samsa Consumer (auto.offset.reset=earliest, other settings default)
// polling Poll(100 ms) until it has the iteration's records. Each iteration
// writes to a fresh topic (created, assigned and the previous one deleted
// outside the timed region), so memory does not grow with the run.
//
// Latency rows: the producer sends kLatencyRecords records of 100 B at
// kLatencyRate records/s (busy-waiting on steady_clock between sends), each
// value starting with its send time (steady_clock ns, taken just before
// Send/push); the consumer subtracts it from the time it sees the record.
// The first kLatencyWarmup records are left out. Counters: p50_us, p99_us,
// p999_us, max_us, and rate (records/s achieved by the producer).
//   BM_LatencySamsaMemory    memory topic, linger.ms=0
//   BM_LatencyMutexQueue     the mutex + condition_variable queue
//
// Thread count matters on small machines: samsa runs three threads (the
// producer, its sender thread, the consumer), the queues two.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/lockfree/spsc_queue.hpp>
#include <fmt/format.h>

#include "bench_util.h"
#include "samsa/broker.h"
#include "samsa/consumer.h"
#include "samsa/producer.h"
#include "samsa/topic.h"

namespace samsa::bench {
namespace {

constexpr int64_t kRecords = 20000;  // per throughput iteration
constexpr int64_t kLatencyRecords = 100000;
constexpr int64_t kLatencyWarmup = 2000;
constexpr int64_t kLatencyRate = 100000;  // records/s

using SteadyClock = std::chrono::steady_clock;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch())
      .count();
}

// Prints a line on stderr if a setup step is still running after ~1 s, so a
// slow run does not look hung.
class SlowSetupNotice {
 public:
  explicit SlowSetupNotice(std::string what) : what_(std::move(what)) {
    thread_ = std::thread([this] {
      std::unique_lock lock(mu_);
      if (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return done_; })) {
        std::fprintf(stderr, "pubsub_bench: %s: setup is taking more than 1 s...\n", what_.c_str());
      }
    });
  }
  ~SlowSetupNotice() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

 private:
  std::string what_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

std::string Payload(size_t size) {
  std::string payload(size, 'v');
  for (size_t i = 0; i < size; ++i) payload[i] = static_cast<char>('a' + i % 26);
  return payload;
}

void SetThroughputCounters(benchmark::State& state, int64_t records, size_t size) {
  state.SetItemsProcessed(state.iterations() * records);
  state.SetBytesProcessed(state.iterations() * records * static_cast<int64_t>(size));
}

// ---- samsa --------------------------------------------------------------------

enum class Storage { kMemory, kDisk };
enum class Mode { kLinger0, kBatched };

// A broker in a fresh temp dir, a producer and a consumer, and a fresh topic
// per NextTopic().
class SamsaRig {
 public:
  SamsaRig(Storage storage, int64_t linger_ms) : storage_(storage) {
    BrokerConfig config;
    config.log_dirs = dir_.path();
    broker_ = CheckOk(Broker::Open(config), "Broker::Open");
    ProducerConfig pc;
    pc.linger_ms = linger_ms;
    pc.batch_size = 16384;
    producer_ = CheckOk(Producer::Create(broker_.get(), pc), "Producer::Create");
    ConsumerConfig cc;
    cc.auto_offset_reset = OffsetResetStrategy::kEarliest;
    consumer_ = CheckOk(Consumer::Create(broker_.get(), cc), "Consumer::Create");
  }
  ~SamsaRig() {
    Check(producer_->Close(), "Producer::Close");
    Check(consumer_->Close(), "Consumer::Close");
    if (!topic_.empty()) Check(broker_->DeleteTopic(topic_), "DeleteTopic");
    Check(broker_->Close(), "Broker::Close");
  }

  // Deletes the previous topic, creates the next one, assigns the consumer
  // to its partition 0.
  const std::string& NextTopic() {
    if (!topic_.empty()) Check(broker_->DeleteTopic(topic_), "DeleteTopic");
    topic_ = fmt::format("t{}", next_++);
    Check(broker_->CreateTopic({.name = topic_, .num_partitions = 1,
                                .memory = storage_ == Storage::kMemory}),
          "CreateTopic");
    Check(consumer_->Assign({{topic_, 0}}), "Assign");
    return topic_;
  }

  Producer* producer() { return producer_.get(); }
  Consumer* consumer() { return consumer_.get(); }

 private:
  const Storage storage_;
  TempDir dir_;
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<Producer> producer_;
  std::unique_ptr<Consumer> consumer_;
  std::string topic_;
  int next_ = 0;
};

// Polls until `n` records came; returns the value bytes received, or -1 on
// an error (after printing it).
int64_t ConsumeSamsa(Consumer* consumer, int64_t n) {
  int64_t got = 0;
  int64_t bytes = 0;
  while (got < n) {
    absl::StatusOr<std::vector<ConsumerRecord>> records = consumer->Poll(absl::Milliseconds(100));
    if (!records.ok()) {
      std::fprintf(stderr, "Poll: %s\n", std::string(records.status().message()).c_str());
      return -1;
    }
    for (const ConsumerRecord& r : *records) {
      if (r.value) bytes += static_cast<int64_t>(r.value->size());
    }
    got += static_cast<int64_t>(records->size());
  }
  return bytes;
}

void BM_Samsa(benchmark::State& state, Storage storage, Mode mode) {
  const size_t size = static_cast<size_t>(state.range(0));
  const std::string payload = Payload(size);
  std::unique_ptr<SamsaRig> rig;
  {
    SlowSetupNotice notice("samsa broker setup");
    rig = std::make_unique<SamsaRig>(storage, mode == Mode::kBatched ? 5 : 0);
  }
  std::atomic<int64_t> errors{0};
  SendCallback count_errors = [&errors](const absl::StatusOr<RecordMetadata>& md) {
    if (!md.ok()) errors.fetch_add(1, std::memory_order_relaxed);
  };
  for (auto _ : state) {
    state.PauseTiming();
    const std::string topic = rig->NextTopic();
    state.ResumeTiming();
    int64_t received = 0;
    std::thread consumer([&] { received = ConsumeSamsa(rig->consumer(), kRecords); });
    for (int64_t i = 0; i < kRecords; ++i) {
      rig->producer()->Send({.topic = topic, .partition = 0, .value = payload}, count_errors);
    }
    const absl::Status flushed = rig->producer()->Flush();
    consumer.join();
    if (!flushed.ok() || errors.load() != 0 || received != kRecords * static_cast<int64_t>(size)) {
      state.SkipWithError(fmt::format("flush: {}, {} send errors, {} bytes received",
                                      std::string(flushed.message()), errors.load(), received)
                              .c_str());
      break;
    }
  }
  {
    SlowSetupNotice notice("samsa broker teardown");
    rig.reset();
  }
  SetThroughputCounters(state, kRecords, size);
}

// ---- baselines ------------------------------------------------------------------

class MutexQueue {
 public:
  void Push(std::string s) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(s));
    }
    cv_.notify_one();
  }
  std::string Pop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return !queue_.empty(); });
    std::string s = std::move(queue_.front());
    queue_.pop_front();
    return s;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
};

void BM_MutexQueue(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const std::string payload = Payload(size);
  MutexQueue queue;
  for (auto _ : state) {
    int64_t received = 0;
    std::thread consumer([&] {
      int64_t bytes = 0;
      for (int64_t i = 0; i < kRecords; ++i) bytes += static_cast<int64_t>(queue.Pop().size());
      received = bytes;
    });
    for (int64_t i = 0; i < kRecords; ++i) queue.Push(payload);
    consumer.join();
    if (received != kRecords * static_cast<int64_t>(size)) {
      state.SkipWithError("lost records");
      break;
    }
  }
  SetThroughputCounters(state, kRecords, size);
}

using Spsc = boost::lockfree::spsc_queue<std::string*, boost::lockfree::capacity<65536>>;

void SpinWait(int* spins) {
  if (++*spins > 64) {
    std::this_thread::yield();
    *spins = 0;
  }
}

void BM_SpscQueue(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const std::string payload = Payload(size);
  auto queue = std::make_unique<Spsc>();
  for (auto _ : state) {
    int64_t received = 0;
    std::thread consumer([&] {
      int64_t bytes = 0;
      int spins = 0;
      for (int64_t i = 0; i < kRecords; ++i) {
        std::string* s = nullptr;
        while (!queue->pop(s)) SpinWait(&spins);
        bytes += static_cast<int64_t>(s->size());
        delete s;
      }
      received = bytes;
    });
    int spins = 0;
    for (int64_t i = 0; i < kRecords; ++i) {
      auto* s = new std::string(payload);
      while (!queue->push(s)) SpinWait(&spins);
    }
    consumer.join();
    if (received != kRecords * static_cast<int64_t>(size)) {
      state.SkipWithError("lost records");
      break;
    }
  }
  SetThroughputCounters(state, kRecords, size);
}

// ---- latency --------------------------------------------------------------------

// Sends kLatencyRecords values at kLatencyRate/s through `send`, each starting
// with its send time; `consume` runs on its own thread and must call
// `record(value)` once per record. Reports the percentiles.
template <typename Send, typename Consume>
void RunLatency(benchmark::State& state, const char* name, size_t size, Send send,
                Consume consume) {
  std::fprintf(stderr, "pubsub_bench: %s: %lld records at %lld/s (~%.1f s per iteration)\n",
               name, static_cast<long long>(kLatencyRecords),
               static_cast<long long>(kLatencyRate),
               static_cast<double>(kLatencyRecords) / static_cast<double>(kLatencyRate));
  std::string value = Payload(std::max<size_t>(size, 8));
  std::vector<int64_t> latencies;
  double rate = 0;
  for (auto _ : state) {
    latencies.clear();
    latencies.reserve(kLatencyRecords);
    std::thread consumer([&] {
      consume([&](std::string_view v) {
        int64_t sent;
        std::memcpy(&sent, v.data(), sizeof(sent));
        latencies.push_back(NowNs() - sent);
      });
    });
    const int64_t interval_ns = 1000000000 / kLatencyRate;
    const int64_t start = NowNs();
    int64_t next = start;
    for (int64_t i = 0; i < kLatencyRecords; ++i) {
      while (NowNs() < next) {
      }
      next += interval_ns;
      const int64_t now = NowNs();
      std::memcpy(value.data(), &now, sizeof(now));
      send(value);
    }
    rate = static_cast<double>(kLatencyRecords) * 1e9 / static_cast<double>(NowNs() - start);
    consumer.join();
  }
  if (static_cast<int64_t>(latencies.size()) != kLatencyRecords) {
    state.SkipWithError("lost records");
    return;
  }
  std::vector<int64_t> sorted(latencies.begin() + kLatencyWarmup, latencies.end());
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double p) {
    const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())));
    return static_cast<double>(sorted[i]) / 1000.0;
  };
  state.counters["p50_us"] = pct(0.50);
  state.counters["p99_us"] = pct(0.99);
  state.counters["p999_us"] = pct(0.999);
  state.counters["max_us"] = static_cast<double>(sorted.back()) / 1000.0;
  state.counters["rate"] = rate;
  state.SetItemsProcessed(state.iterations() * kLatencyRecords);
}

void BM_LatencySamsaMemory(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  std::unique_ptr<SamsaRig> rig;
  {
    SlowSetupNotice notice("samsa broker setup");
    rig = std::make_unique<SamsaRig>(Storage::kMemory, 0);
  }
  const std::string topic = rig->NextTopic();
  std::atomic<int64_t> errors{0};
  SendCallback count_errors = [&errors](const absl::StatusOr<RecordMetadata>& md) {
    if (!md.ok()) errors.fetch_add(1, std::memory_order_relaxed);
  };
  RunLatency(
      state, "BM_LatencySamsaMemory", size,
      [&](const std::string& v) {
        rig->producer()->Send({.topic = topic, .partition = 0, .value = v}, count_errors);
      },
      [&](auto record) {
        int64_t got = 0;
        while (got < kLatencyRecords) {
          absl::StatusOr<std::vector<ConsumerRecord>> records =
              rig->consumer()->Poll(absl::Milliseconds(100));
          if (!records.ok()) return;
          for (const ConsumerRecord& r : *records) record(r.value->view());
          got += static_cast<int64_t>(records->size());
        }
      });
  Check(rig->producer()->Flush(), "Flush");
  if (errors.load() != 0) state.SkipWithError("send errors");
  rig.reset();
}

void BM_LatencyMutexQueue(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  MutexQueue queue;
  RunLatency(
      state, "BM_LatencyMutexQueue", size, [&](const std::string& v) { queue.Push(v); },
      [&](auto record) {
        for (int64_t i = 0; i < kLatencyRecords; ++i) record(queue.Pop());
      });
}

BENCHMARK_CAPTURE(BM_Samsa, Memory_linger0, Storage::kMemory, Mode::kLinger0)
    ->Arg(100)->Arg(1024)->UseRealTime();
BENCHMARK_CAPTURE(BM_Samsa, Memory_batched, Storage::kMemory, Mode::kBatched)
    ->Arg(100)->Arg(1024)->UseRealTime();
BENCHMARK_CAPTURE(BM_Samsa, Disk_linger0, Storage::kDisk, Mode::kLinger0)
    ->Arg(100)->Arg(1024)->UseRealTime();
BENCHMARK_CAPTURE(BM_Samsa, Disk_batched, Storage::kDisk, Mode::kBatched)
    ->Arg(100)->Arg(1024)->UseRealTime();
BENCHMARK(BM_MutexQueue)->Arg(100)->Arg(1024)->UseRealTime();
BENCHMARK(BM_SpscQueue)->Arg(100)->Arg(1024)->UseRealTime();
BENCHMARK(BM_LatencySamsaMemory)->Arg(100)->Iterations(1)->UseRealTime();
BENCHMARK(BM_LatencyMutexQueue)->Arg(100)->Iterations(1)->UseRealTime();

}  // namespace
}  // namespace samsa::bench

int main(int argc, char** argv) { return samsa::bench::RunBenchmarks(argc, argv); }
