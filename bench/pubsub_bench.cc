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
//   BM_ProduceOnly           the producer alone (memory topic, linger.ms=5):
//                            kRecords Send()s and a Flush(), no consumer
//   BM_ConsumeOnly           the consumer alone: Poll()s kRecords already in a
//                            memory topic, from offset 0 each iteration
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
//   BM_LatencySamsaMemory    memory topic, linger.ms=0; also ack_p50_us ...:
//                            Send() to its callback (on the sender thread,
//                            just after the broker appended): the producer's
//                            share; the rest is the consumer's wake-up and fetch
// and consumer_cpu% / other_cpu%: how much of a core the consumer thread and
// the threads other than the producer (samsa's sender) used: the producer's
// busy-wait holds one core, so on a 2-core machine these share the other.
// samsa's consumer spins up to 50 us for an append before it parks
// (FetchWaiter, broker/partition.h), so at 100k records/s it never parks and
// its consumer_cpu% is ~100: the price of taking the futex wake-ups off the
// path. The tail (p99) follows the host's load: 9-20 us in quiet periods,
// 100-1300 us when other VMs were busy (the mutex queue's p99: 37-65 us).
//   BM_LatencyMutexQueue     the mutex + condition_variable queue
//
// Besides wall-clock rates, each throughput row reports CPU per record
// (cpu_ns/rec: all threads; consumer_ns/rec: the consumer thread; the CPU
// column is the producing thread): steadier than wall time on a shared
// machine, and where the work goes.
//
// Memory topics store into MemEnv chunks (1 MiB at most) from malloc; when a
// topic is deleted, glibc returns the freed chunks to the kernel, so the next
// topic's appends fault in fresh pages, ~10 us per 4 KiB page on VMs that
// back guest memory lazily (see log_append_bench's BM_FirstTouchCopy). That
// caps the memory rows at 1 KiB near the fault rate. To see the rest, rerun
// with glibc keeping freed memory:
//   GLIBC_TUNABLES=glibc.malloc.trim_threshold=4294967296:glibc.malloc.mmap_threshold=33554432
//
// Thread count matters on small machines: samsa runs three threads (the
// producer, its sender thread, the consumer), the queues two.

#include <pthread.h>
#include <sched.h>
#include <time.h>

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
#include <optional>
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

int64_t CpuNs(clockid_t clock) {
  timespec ts;
  ::clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// CPU time spent on the records, per record: less sensitive than wall time
// to what else the machine runs. Each throughput row reports
//   cpu_ns/rec       the whole process (every thread) in the timed part
//   consumer_ns/rec  the consumer thread
struct CpuMeter {
  int64_t process = 0;
  int64_t consumer = 0;
  int64_t started = 0;
  void Start() { started = CpuNs(CLOCK_PROCESS_CPUTIME_ID); }
  void Stop() { process += CpuNs(CLOCK_PROCESS_CPUTIME_ID) - started; }
  void Report(benchmark::State& state, int64_t records) const {
    const double n = static_cast<double>(state.iterations() * records);
    if (n == 0) return;
    state.counters["cpu_ns/rec"] = static_cast<double>(process) / n;
    if (consumer > 0) state.counters["consumer_ns/rec"] = static_cast<double>(consumer) / n;
  }
};

constexpr int kProducerCpu = 0;
constexpr int kConsumerCpu = 1;

// Pins the calling thread to the `index`-th CPU the process may use (if it
// has that many) and restores the thread's mask when destroyed. The
// producing thread takes CPU index 0 and the consuming thread index 1 in every
// row, so each row measures a cross-core hand-off: left to the scheduler, the
// queues ran 1-5x faster from one run to the next, depending on whether both
// threads happened to share a core (no wake-ups, long batches). samsa's sender
// thread is created before any pinning and may run on either CPU.
class PinThread {
 public:
  explicit PinThread(int index) {
    // Named for perf --sort comm: the producer (main) and consumer threads
    // otherwise share the program's name.
    if (index == kConsumerCpu) ::pthread_setname_np(::pthread_self(), "bench-consumer");
    static const std::vector<int> cpus = [] {
      std::vector<int> out;
      cpu_set_t set;
      if (::sched_getaffinity(0, sizeof(set), &set) == 0) {
        for (int c = 0; c < CPU_SETSIZE; ++c) {
          if (CPU_ISSET(c, &set)) out.push_back(c);
        }
      }
      return out;
    }();
    if (cpus.size() < 2 || index >= static_cast<int>(cpus.size())) return;
    if (::pthread_getaffinity_np(::pthread_self(), sizeof(saved_), &saved_) != 0) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpus[static_cast<size_t>(index)], &one);
    pinned_ = ::pthread_setaffinity_np(::pthread_self(), sizeof(one), &one) == 0;
  }
  ~PinThread() {
    if (pinned_) ::pthread_setaffinity_np(::pthread_self(), sizeof(saved_), &saved_);
  }
  PinThread(const PinThread&) = delete;
  PinThread& operator=(const PinThread&) = delete;

 private:
  cpu_set_t saved_;
  bool pinned_ = false;
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
  std::optional<PinThread> pin(kProducerCpu);  // after the rig: the sender is not pinned
  CpuMeter cpu;
  std::atomic<int64_t> errors{0};
  SendCallback count_errors = [&errors](const absl::StatusOr<RecordMetadata>& md) {
    if (!md.ok()) errors.fetch_add(1, std::memory_order_relaxed);
  };
  for (auto _ : state) {
    state.PauseTiming();
    const std::string topic = rig->NextTopic();
    state.ResumeTiming();
    cpu.Start();
    int64_t received = 0;
    int64_t consumer_ns = 0;
    std::thread consumer([&] {
      PinThread pin(kConsumerCpu);
      received = ConsumeSamsa(rig->consumer(), kRecords);
      consumer_ns = CpuNs(CLOCK_THREAD_CPUTIME_ID);
    });
    for (int64_t i = 0; i < kRecords; ++i) {
      rig->producer()->Send({.topic = topic, .partition = 0, .value = payload}, count_errors);
    }
    const absl::Status flushed = rig->producer()->Flush();
    consumer.join();
    cpu.Stop();
    cpu.consumer += consumer_ns;
    if (!flushed.ok() || errors.load() != 0 || received != kRecords * static_cast<int64_t>(size)) {
      state.SkipWithError(fmt::format("flush: {}, {} send errors, {} bytes received",
                                      std::string(flushed.message()), errors.load(), received)
                              .c_str());
      break;
    }
  }
  pin.reset();
  {
    SlowSetupNotice notice("samsa broker teardown");
    rig.reset();
  }
  SetThroughputCounters(state, kRecords, size);
  cpu.Report(state, kRecords);
}

// The pipeline's halves alone, on a memory topic, one thread each (plus the
// producer's sender thread): where the end-to-end time goes.

// Send kRecords (batched: linger.ms=5) and Flush, no consumer.
void BM_ProduceOnly(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const std::string payload = Payload(size);
  SamsaRig rig(Storage::kMemory, 5);
  PinThread pin(kProducerCpu);
  CpuMeter cpu;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string topic = rig.NextTopic();
    state.ResumeTiming();
    cpu.Start();
    for (int64_t i = 0; i < kRecords; ++i) {
      rig.producer()->Send({.topic = topic, .partition = 0, .value = payload});
    }
    Check(rig.producer()->Flush(), "Flush");
    cpu.Stop();
  }
  SetThroughputCounters(state, kRecords, size);
  cpu.Report(state, kRecords);
}

// Poll kRecords already in the topic (written once, before timing), from
// offset 0 each iteration.
void BM_ConsumeOnly(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const std::string payload = Payload(size);
  SamsaRig rig(Storage::kMemory, 5);
  const std::string topic = rig.NextTopic();
  for (int64_t i = 0; i < kRecords; ++i) {
    rig.producer()->Send({.topic = topic, .partition = 0, .value = payload});
  }
  Check(rig.producer()->Flush(), "Flush");
  PinThread pin(kConsumerCpu);
  CpuMeter cpu;
  for (auto _ : state) {
    Check(rig.consumer()->Seek({topic, 0}, 0), "Seek");
    cpu.Start();
    const int64_t received = ConsumeSamsa(rig.consumer(), kRecords);
    cpu.Stop();
    if (received != kRecords * static_cast<int64_t>(size)) {
      state.SkipWithError("lost records");
      break;
    }
  }
  SetThroughputCounters(state, kRecords, size);
  cpu.Report(state, kRecords);
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
  PinThread pin(kProducerCpu);
  CpuMeter cpu;
  for (auto _ : state) {
    cpu.Start();
    int64_t received = 0;
    int64_t consumer_ns = 0;
    std::thread consumer([&] {
      PinThread pin(kConsumerCpu);
      int64_t bytes = 0;
      for (int64_t i = 0; i < kRecords; ++i) bytes += static_cast<int64_t>(queue.Pop().size());
      received = bytes;
      consumer_ns = CpuNs(CLOCK_THREAD_CPUTIME_ID);
    });
    for (int64_t i = 0; i < kRecords; ++i) queue.Push(payload);
    consumer.join();
    cpu.Stop();
    cpu.consumer += consumer_ns;
    if (received != kRecords * static_cast<int64_t>(size)) {
      state.SkipWithError("lost records");
      break;
    }
  }
  SetThroughputCounters(state, kRecords, size);
  cpu.Report(state, kRecords);
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
  PinThread pin(kProducerCpu);
  CpuMeter cpu;
  for (auto _ : state) {
    cpu.Start();
    int64_t received = 0;
    int64_t consumer_ns = 0;
    std::thread consumer([&] {
      PinThread pin(kConsumerCpu);
      int64_t bytes = 0;
      int spins = 0;
      for (int64_t i = 0; i < kRecords; ++i) {
        std::string* s = nullptr;
        while (!queue->pop(s)) SpinWait(&spins);
        bytes += static_cast<int64_t>(s->size());
        delete s;
      }
      received = bytes;
      consumer_ns = CpuNs(CLOCK_THREAD_CPUTIME_ID);
    });
    int spins = 0;
    for (int64_t i = 0; i < kRecords; ++i) {
      auto* s = new std::string(payload);
      while (!queue->push(s)) SpinWait(&spins);
    }
    consumer.join();
    cpu.Stop();
    cpu.consumer += consumer_ns;
    if (received != kRecords * static_cast<int64_t>(size)) {
      state.SkipWithError("lost records");
      break;
    }
  }
  SetThroughputCounters(state, kRecords, size);
  cpu.Report(state, kRecords);
}

// ---- latency --------------------------------------------------------------------

// Counters <prefix>p50_us, p99_us, p999_us, max_us of `latencies` (ns),
// leaving out the first kLatencyWarmup.
void SetPercentiles(benchmark::State& state, const std::string& prefix,
                    const std::vector<int64_t>& latencies) {
  std::vector<int64_t> sorted(latencies.begin() + kLatencyWarmup, latencies.end());
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double p) {
    const size_t i =
        std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())));
    return static_cast<double>(sorted[i]) / 1000.0;
  };
  state.counters[prefix + "p50_us"] = pct(0.50);
  state.counters[prefix + "p99_us"] = pct(0.99);
  state.counters[prefix + "p999_us"] = pct(0.999);
  state.counters[prefix + "max_us"] = static_cast<double>(sorted.back()) / 1000.0;
}

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
  PinThread pin(kProducerCpu);
  std::vector<int64_t> latencies;
  double rate = 0;
  int64_t wall_ns = 0, process_ns = 0, producer_ns = 0, consumer_ns = 0;
  for (auto _ : state) {
    latencies.clear();
    latencies.reserve(kLatencyRecords);
    const int64_t process_start = CpuNs(CLOCK_PROCESS_CPUTIME_ID);
    const int64_t producer_start = CpuNs(CLOCK_THREAD_CPUTIME_ID);
    std::thread consumer([&] {
      PinThread pin(kConsumerCpu);
      consume([&](std::string_view v) {
        int64_t sent;
        std::memcpy(&sent, v.data(), sizeof(sent));
        latencies.push_back(NowNs() - sent);
      });
      consumer_ns += CpuNs(CLOCK_THREAD_CPUTIME_ID);
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
    producer_ns += CpuNs(CLOCK_THREAD_CPUTIME_ID) - producer_start;
    consumer.join();
    wall_ns += NowNs() - start;
    process_ns += CpuNs(CLOCK_PROCESS_CPUTIME_ID) - process_start;
  }
  if (static_cast<int64_t>(latencies.size()) != kLatencyRecords) {
    state.SkipWithError("lost records");
    return;
  }
  SetPercentiles(state, "", latencies);
  state.counters["rate"] = rate;
  // How busy the other core is: the consumer thread, and every other thread
  // but the (busy-waiting) producer, i.e. samsa's sender, in % of one core.
  const double wall = static_cast<double>(std::max<int64_t>(wall_ns, 1));
  state.counters["consumer_cpu%"] = 100.0 * static_cast<double>(consumer_ns) / wall;
  state.counters["other_cpu%"] =
      100.0 * static_cast<double>(process_ns - producer_ns - consumer_ns) / wall;
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
  // Send -> callback (on the sender thread, right after the broker's append):
  // the producer's share of the latency. Offsets are 0.. on the fresh topic.
  std::vector<int64_t> sent_ns(kLatencyRecords), acked_ns(kLatencyRecords);
  int64_t next = 0;
  std::atomic<int64_t> errors{0};
  SendCallback on_ack = [&](const absl::StatusOr<RecordMetadata>& md) {
    if (!md.ok() || md->offset < 0 || md->offset >= kLatencyRecords) {
      errors.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    acked_ns[static_cast<size_t>(md->offset)] = NowNs() - sent_ns[static_cast<size_t>(md->offset)];
  };
  RunLatency(
      state, "BM_LatencySamsaMemory", size,
      [&](const std::string& v) {
        std::memcpy(&sent_ns[static_cast<size_t>(next++)], v.data(), sizeof(int64_t));
        rig->producer()->Send({.topic = topic, .partition = 0, .value = v}, on_ack);
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
  if (errors.load() != 0) {
    state.SkipWithError("send errors");
  } else if (next == kLatencyRecords) {
    SetPercentiles(state, "ack_", acked_ns);
  }
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
BENCHMARK(BM_ProduceOnly)->Arg(100)->Arg(1024)->UseRealTime();
BENCHMARK(BM_ConsumeOnly)->Arg(100)->Arg(1024)->UseRealTime();
BENCHMARK(BM_MutexQueue)->Arg(100)->Arg(1024)->UseRealTime();
BENCHMARK(BM_SpscQueue)->Arg(100)->Arg(1024)->UseRealTime();
BENCHMARK(BM_LatencySamsaMemory)->Arg(100)->Iterations(1)->UseRealTime();
BENCHMARK(BM_LatencyMutexQueue)->Arg(100)->Iterations(1)->UseRealTime();

}  // namespace
}  // namespace samsa::bench

int main(int argc, char** argv) { return samsa::bench::RunBenchmarks(argc, argv); }
