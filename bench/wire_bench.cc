// Kafka over loopback: produce and consume throughput of a librdkafka C client
// (rdkafka.h) in this process against
//   samsa_server  a samsa Broker (samsa.storage=memory, 1 partition per topic)
//                 behind samsa::KafkaServer on PLAINTEXT://127.0.0.1:0;
//   mock          librdkafka's own in-process mock cluster (rdkafka_mock.h,
//                 1 broker): what a user would otherwise pick for tests;
// and, as the no-network reference, samsa's in-process Producer (and
// Consumer) on the same kind of memory topic (in_process).
//
// Run (release build; --benchmark_min_time is in seconds in benchmark 1.7):
//   cmake --preset release && cmake --build build/release -j2 --target wire_bench
//   build/release/bench/wire_bench --benchmark_min_time=1
//     --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//                                                       (one command line)
//
// The project's targets (issue 6; compare medians of items_per_second):
//   BM_Produce/samsa_server/<size>  >= 2 x BM_Produce/mock/<size>
//   BM_Produce/samsa_server/<size>  >= 0.5 x BM_Produce/in_process/<size>
//                                   (within 2x of the in-process Producer)
//
// Rows (Arg = value size in bytes, 100 or 1024; no key):
//   BM_Produce/<target>/<size>  one iteration produces 200k x 100 B or 50k x 1 KiB records
//     (200k of 100 B, 50k of 1 KiB) to partition 0 of a fresh topic and waits
//     for every delivery report (rd_kafka_flush). librdkafka settings, the same
//     for both wire targets: acks=1, linger.ms=5, compression.type=none,
//     batch.size / batch.num.messages / queue.buffering.max.* at their
//     defaults; a full local queue is waited out with rd_kafka_poll(1 ms).
//     The in-process row: samsa Producer, acks=1, linger.ms=5, batch.size
//     16384 (its default), Send() with an error-counting callback, Flush().
//     Each topic gets one warm-up record before the timed part, so metadata
//     and connections are in place.
//   BM_Consume/<target>/<size>  the records are produced once,
//     untimed; each iteration then reads all of them from offset 0 of
//     partition 0 with no group (librdkafka's simple consumer:
//     rd_kafka_consume_start(offset 0) + rd_kafka_consume_batch, default
//     fetch settings but fetch.wait.max.ms=10 (see RdConsumer::ReadAll); rd_kafka_consume_stop after; one untimed read first).
//     The in-process row: a samsa Consumer Seek(0)s and Poll()s.
//     kRecords for consume is smaller (40k x 100 B, 4k x 1 KiB): the mock
//     keeps only the last 5 MiB of each partition.
// Times are wall-clock: UseRealTime for produce; consume rows time each read
// from its start to the last record (UseManualTime, see RdConsumer::ReadAll). items_per_second counts records,
// bytes_per_second value bytes. cpu_ns/rec is the CPU time of the whole process
// (client, server and mock threads) per record: steadier than wall time on a
// shared machine. Each row prints one line on stderr when it starts.
//
// Page faults: librdkafka copies every produced value into its own malloc'd
// message, and memory topics append into fresh MemEnv chunks; when glibc
// returns freed memory to the kernel, the next iteration faults it back in
// (~10 us per 4 KiB page on VMs that back guest memory lazily). At 1 KiB that
// fault cost, mostly the client's, dominates every wire row and hides the
// servers' own costs. To see them, rerun with glibc keeping freed memory:
//   GLIBC_TUNABLES=glibc.malloc.trim_threshold=4294967296:glibc.malloc.mmap_threshold=33554432
//
// The mock cluster cannot delete topics, so its rows keep every topic until
// the row ends (the cluster is made per row); samsa's delete the previous one.

#include <time.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "bench_util.h"
#include "samsa/broker.h"
#include "samsa/consumer.h"
#include "samsa/kafka_server.h"
#include "samsa/producer.h"
#include "samsa/topic.h"

namespace samsa::bench {
namespace {

int64_t RecordsFor(size_t size) { return size <= 100 ? 200000 : 50000; }
// librdkafka's mock partitions keep at most 5 MiB of record batches (older
// ones are dropped: ListOffsets(earliest) moves up), so the consume rows read
// what fits: 40k x 100 B, 4k x 1 KiB (~4.3 MB with batch overhead).
int64_t ConsumeRecordsFor(size_t size) { return size <= 100 ? 40000 : 4000; }

std::string Payload(size_t size) {
  std::string payload(size, 'v');
  for (size_t i = 0; i < size; ++i) payload[i] = static_cast<char>('a' + i % 26);
  return payload;
}

int64_t ProcessCpuNs() {
  timespec ts;
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void SetCounters(benchmark::State& state, int64_t records, size_t size, int64_t cpu_ns) {
  state.SetItemsProcessed(state.iterations() * records);
  state.SetBytesProcessed(state.iterations() * records * static_cast<int64_t>(size));
  const double n = static_cast<double>(state.iterations() * records);
  if (n > 0) state.counters["cpu_ns/rec"] = static_cast<double>(cpu_ns) / n;
}

// One line per row (the library calls a row's function several times: once
// to size the run, then once per repetition).
void Announce(const char* what, const char* target, size_t size, int64_t records) {
  static std::set<std::string>* announced = new std::set<std::string>;
  if (!announced->insert(fmt::format("{}/{}/{}", what, target, size)).second) return;
  std::fprintf(stderr, "wire_bench: %s %s: %lld records of %zu B per iteration\n", what, target,
               static_cast<long long>(records), size);
}

// ---- targets ----------------------------------------------------------------------

enum class Target { kSamsaServer, kMock, kInProcess };

const char* TargetName(Target t) {
  switch (t) {
    case Target::kSamsaServer: return "samsa_server";
    case Target::kMock: return "mock";
    case Target::kInProcess: return "in_process";
  }
  return "?";
}

BrokerConfig MemoryBrokerConfig() {
  BrokerConfig config;
  config.samsa_storage = "memory";
  config.listeners = "PLAINTEXT://127.0.0.1:0";
  config.auto_create_topics_enable = true;
  config.num_partitions = 1;
  return config;
}

void SetConf(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, name, value.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "rd_kafka_conf_set %s=%s: %s\n", name, value.c_str(), err);
    std::abort();
  }
}

rd_kafka_t* NewClient(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof(err));
  if (rk == nullptr) {
    std::fprintf(stderr, "rd_kafka_new: %s\n", err);
    std::abort();
  }
  return rk;
}

// A Kafka endpoint on loopback: samsa's broker + KafkaServer, or a mock
// cluster owned by a spare librdkafka handle. Topics have 1 partition.
class Endpoint {
 public:
  explicit Endpoint(Target target) {
    if (target == Target::kSamsaServer) {
      broker_ = CheckOk(Broker::Open(MemoryBrokerConfig()), "Broker::Open");
      server_ = CheckOk(KafkaServer::Start(broker_.get()), "KafkaServer::Start");
      bootstrap_ = server_->BootstrapServers();
    } else {
      rd_kafka_conf_t* conf = rd_kafka_conf_new();
      SetConf(conf, "log_level", "3");
      mock_owner_ = NewClient(RD_KAFKA_PRODUCER, conf);
      mock_ = rd_kafka_mock_cluster_new(mock_owner_, 1);
      if (mock_ == nullptr) {
        std::fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
        std::abort();
      }
      bootstrap_ = rd_kafka_mock_cluster_bootstraps(mock_);
    }
  }
  ~Endpoint() {
    if (server_ != nullptr) {
      server_->Stop();
      server_.reset();
      if (!topic_.empty()) Check(broker_->DeleteTopic(topic_), "DeleteTopic");
      Check(broker_->Close(), "Broker::Close");
    }
    if (mock_ != nullptr) rd_kafka_mock_cluster_destroy(mock_);
    if (mock_owner_ != nullptr) rd_kafka_destroy(mock_owner_);
  }
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }

  // Deletes the previous topic (samsa) and creates a fresh one.
  const std::string& NextTopic() {
    if (broker_ != nullptr && !topic_.empty()) Check(broker_->DeleteTopic(topic_), "DeleteTopic");
    topic_ = fmt::format("wire{}", next_++);
    if (broker_ != nullptr) {
      Check(broker_->CreateTopic({.name = topic_, .num_partitions = 1}), "CreateTopic");
    } else if (rd_kafka_mock_topic_create(mock_, topic_.c_str(), 1, 1) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "rd_kafka_mock_topic_create failed\n");
      std::abort();
    }
    return topic_;
  }

 private:
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<KafkaServer> server_;
  rd_kafka_t* mock_owner_ = nullptr;
  rd_kafka_mock_cluster_t* mock_ = nullptr;
  std::string bootstrap_;
  std::string topic_;
  int next_ = 0;
};

// ---- librdkafka producer --------------------------------------------------------

struct DeliveryCounts {
  int64_t ok = 0;
  int64_t failed = 0;
  std::string first_error;
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  auto* counts = static_cast<DeliveryCounts*>(opaque);
  if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++counts->ok;
  } else {
    if (counts->failed++ == 0) counts->first_error = rd_kafka_err2str(msg->err);
  }
}

// Delivery reports run on the thread calling rd_kafka_poll/flush: this one.
class RdProducer {
 public:
  explicit RdProducer(const std::string& bootstrap) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    SetConf(conf, "bootstrap.servers", bootstrap);
    SetConf(conf, "acks", "1");
    SetConf(conf, "linger.ms", "5");
    SetConf(conf, "compression.type", "none");
    SetConf(conf, "log_level", "3");
    if (const char* debug = std::getenv("WIRE_BENCH_RDKAFKA_DEBUG")) SetConf(conf, "debug", debug);
    rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
    rd_kafka_conf_set_opaque(conf, &counts_);
    rk_ = NewClient(RD_KAFKA_PRODUCER, conf);
  }
  ~RdProducer() {
    rd_kafka_flush(rk_, 10000);
    rd_kafka_destroy(rk_);
  }
  RdProducer(const RdProducer&) = delete;
  RdProducer& operator=(const RdProducer&) = delete;

  // Produces n copies of payload to partition 0 of topic and waits for
  // every delivery report. Returns "" or what went wrong.
  std::string Produce(const std::string& topic, const std::string& payload, int64_t n) {
    counts_ = DeliveryCounts{};
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
    for (int64_t i = 0; i < n; ++i) {
      while (rd_kafka_produce(rkt, 0, RD_KAFKA_MSG_F_COPY, const_cast<char*>(payload.data()),
                              payload.size(), nullptr, 0, nullptr) != 0) {
        const rd_kafka_resp_err_t err = rd_kafka_last_error();
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          rd_kafka_topic_destroy(rkt);
          return fmt::format("rd_kafka_produce: {}", rd_kafka_err2str(err));
        }
        rd_kafka_poll(rk_, 1);
      }
    }
    const rd_kafka_resp_err_t flushed = rd_kafka_flush(rk_, 60000);
    rd_kafka_topic_destroy(rkt);
    if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return fmt::format("rd_kafka_flush: {}", rd_kafka_err2str(flushed));
    }
    if (counts_.failed != 0 || counts_.ok != n) {
      return fmt::format("{} delivered, {} failed (first: {})", counts_.ok, counts_.failed,
                         counts_.first_error);
    }
    return "";
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  DeliveryCounts counts_;
};

// ---- librdkafka consumer (no group) ------------------------------------------------

constexpr int kFetchWaitMaxMs = 10;

class RdConsumer {
 public:
  RdConsumer(const std::string& bootstrap, const std::string& topic) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    SetConf(conf, "bootstrap.servers", bootstrap);
    SetConf(conf, "enable.auto.commit", "false");
    SetConf(conf, "fetch.wait.max.ms", std::to_string(kFetchWaitMaxMs));
    SetConf(conf, "log_level", "3");
    if (const char* debug = std::getenv("WIRE_BENCH_RDKAFKA_DEBUG")) SetConf(conf, "debug", debug);
    rk_ = NewClient(RD_KAFKA_CONSUMER, conf);
    rd_kafka_topic_conf_t* tconf = rd_kafka_topic_conf_new();
    char err[512];
    if (rd_kafka_topic_conf_set(tconf, "auto.commit.enable", "false", err, sizeof(err)) !=
        RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "auto.commit.enable: %s\n", err);
      std::abort();
    }
    rkt_ = rd_kafka_topic_new(rk_, topic.c_str(), tconf);
    msgs_.resize(1000);
  }
  ~RdConsumer() {
    rd_kafka_topic_destroy(rkt_);
    rd_kafka_destroy(rk_);
  }
  RdConsumer(const RdConsumer&) = delete;
  RdConsumer& operator=(const RdConsumer&) = delete;

  // Reads partition 0 from offset 0 until n records came; returns the value
  // bytes seen, or -1 after printing an error. *seconds: from the start to
  // the n-th record. After it, the consumer has a Fetch long-polling at the
  // log end, and the next start would wait for it (fetch.wait.max.ms, 500 ms
  // by default): the consumer sets fetch.wait.max.ms=kFetchWaitMaxMs and
  // ReadAll waits that out after the timed part. Offset 0 rather than
  // RD_KAFKA_OFFSET_BEGINNING: a logical start offset makes librdkafka wait
  // for its next ~500 ms timer tick before the ListOffsets, on every target.
  int64_t ReadAll(int64_t n, double* seconds) {
    const auto start = std::chrono::steady_clock::now();
    if (rd_kafka_consume_start(rkt_, 0, 0) != 0) {
      std::fprintf(stderr, "rd_kafka_consume_start: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
      return -1;
    }
    int64_t got = 0;
    int64_t bytes = 0;
    bool failed = false;
    while (got < n && !failed) {
      const ssize_t k = rd_kafka_consume_batch(rkt_, 0, 1000, msgs_.data(), msgs_.size());
      if (k < 0) {
        std::fprintf(stderr, "rd_kafka_consume_batch: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
        failed = true;
        break;
      }
      for (ssize_t i = 0; i < k; ++i) {
        rd_kafka_message_t* m = msgs_[static_cast<size_t>(i)];
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
          ++got;
          bytes += static_cast<int64_t>(m->len);
        } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          std::fprintf(stderr, "consume: %s\n", rd_kafka_err2str(m->err));
          failed = true;
        }
        rd_kafka_message_destroy(m);
      }
    }
    *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rd_kafka_consume_stop(rkt_, 0);
    // Let the Fetch long-polling at the log end return, so the next start
    // does not wait for it.
    std::this_thread::sleep_for(std::chrono::milliseconds(2 * kFetchWaitMaxMs));
    return failed ? -1 : bytes;
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_topic_t* rkt_ = nullptr;
  std::vector<rd_kafka_message_t*> msgs_;
};

// ---- samsa in-process ---------------------------------------------------------------

class InProcessRig {
 public:
  InProcessRig() {
    broker_ = CheckOk(Broker::Open(MemoryBrokerConfig()), "Broker::Open");
    ProducerConfig pc;
    pc.acks = 1;
    pc.linger_ms = 5;
    producer_ = CheckOk(Producer::Create(broker_.get(), pc), "Producer::Create");
    ConsumerConfig cc;
    cc.auto_offset_reset = OffsetResetStrategy::kEarliest;
    consumer_ = CheckOk(Consumer::Create(broker_.get(), cc), "Consumer::Create");
  }
  ~InProcessRig() {
    Check(producer_->Close(), "Producer::Close");
    Check(consumer_->Close(), "Consumer::Close");
    if (!topic_.empty()) Check(broker_->DeleteTopic(topic_), "DeleteTopic");
    Check(broker_->Close(), "Broker::Close");
  }
  InProcessRig(const InProcessRig&) = delete;
  InProcessRig& operator=(const InProcessRig&) = delete;

  const std::string& NextTopic() {
    if (!topic_.empty()) Check(broker_->DeleteTopic(topic_), "DeleteTopic");
    topic_ = fmt::format("wire{}", next_++);
    Check(broker_->CreateTopic({.name = topic_, .num_partitions = 1}), "CreateTopic");
    return topic_;
  }

  std::string Produce(const std::string& topic, const std::string& payload, int64_t n) {
    std::atomic<int64_t> errors{0};
    SendCallback count_errors = [&errors](const absl::StatusOr<RecordMetadata>& md) {
      if (!md.ok()) errors.fetch_add(1, std::memory_order_relaxed);
    };
    for (int64_t i = 0; i < n; ++i) {
      producer_->Send({.topic = topic, .partition = 0, .value = payload}, count_errors);
    }
    const absl::Status flushed = producer_->Flush();
    if (!flushed.ok() || errors.load() != 0) {
      return fmt::format("flush: {}, {} send errors", std::string(flushed.message()), errors.load());
    }
    return "";
  }

  int64_t ReadAll(const std::string& topic, int64_t n, double* seconds) {
    const auto start = std::chrono::steady_clock::now();
    Check(consumer_->Seek({topic, 0}, 0), "Seek");
    int64_t got = 0;
    int64_t bytes = 0;
    while (got < n) {
      absl::StatusOr<std::vector<ConsumerRecord>> records = consumer_->Poll(absl::Milliseconds(100));
      if (!records.ok()) {
        std::fprintf(stderr, "Poll: %s\n", std::string(records.status().message()).c_str());
        return -1;
      }
      for (const ConsumerRecord& r : *records) {
        if (r.value) bytes += static_cast<int64_t>(r.value->size());
      }
      got += static_cast<int64_t>(records->size());
    }
    *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return bytes;
  }

  Consumer* consumer() { return consumer_.get(); }

 private:
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<Producer> producer_;
  std::unique_ptr<Consumer> consumer_;
  std::string topic_;
  int next_ = 0;
};

// ---- benchmarks -------------------------------------------------------------------

void BM_Produce(benchmark::State& state, Target target) {
  const size_t size = static_cast<size_t>(state.range(0));
  const int64_t n = RecordsFor(size);
  const std::string payload = Payload(size);
  Announce("produce", TargetName(target), size, n);
  std::unique_ptr<Endpoint> endpoint;
  std::unique_ptr<RdProducer> rd;
  std::unique_ptr<InProcessRig> local;
  if (target == Target::kInProcess) {
    local = std::make_unique<InProcessRig>();
  } else {
    endpoint = std::make_unique<Endpoint>(target);
    rd = std::make_unique<RdProducer>(endpoint->bootstrap());
  }
  int64_t cpu_ns = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string topic = local ? local->NextTopic() : endpoint->NextTopic();
    std::string error = local ? local->Produce(topic, payload, 1) : rd->Produce(topic, payload, 1);
    state.ResumeTiming();
    const int64_t cpu_start = ProcessCpuNs();
    if (error.empty()) {
      error = local ? local->Produce(topic, payload, n) : rd->Produce(topic, payload, n);
    }
    cpu_ns += ProcessCpuNs() - cpu_start;
    if (!error.empty()) {
      state.SkipWithError(error.c_str());
      break;
    }
  }
  rd.reset();
  endpoint.reset();
  local.reset();
  SetCounters(state, n, size, cpu_ns);
}

void BM_Consume(benchmark::State& state, Target target) {
  const size_t size = static_cast<size_t>(state.range(0));
  const int64_t n = ConsumeRecordsFor(size);
  const std::string payload = Payload(size);
  Announce("consume", TargetName(target), size, n);
  std::unique_ptr<Endpoint> endpoint;
  std::unique_ptr<RdConsumer> rd;
  std::unique_ptr<InProcessRig> local;
  std::string topic;
  std::string error;
  if (target == Target::kInProcess) {
    local = std::make_unique<InProcessRig>();
    topic = local->NextTopic();
    error = local->Produce(topic, payload, n);
    if (error.empty()) Check(local->consumer()->Assign({{topic, 0}}), "Assign");
  } else {
    endpoint = std::make_unique<Endpoint>(target);
    topic = endpoint->NextTopic();
    error = RdProducer(endpoint->bootstrap()).Produce(topic, payload, n);
    rd = std::make_unique<RdConsumer>(endpoint->bootstrap(), topic);
    // Untimed first read: connections, metadata.
    double ignored = 0;
    if (error.empty() && rd->ReadAll(n, &ignored) != n * static_cast<int64_t>(size)) error = "warm-up read failed";
  }
  int64_t cpu_ns = 0;
  for (auto _ : state) {
    if (!error.empty()) break;
    const int64_t cpu_start = ProcessCpuNs();
    double seconds = 0;
    const int64_t bytes = local ? local->ReadAll(topic, n, &seconds) : rd->ReadAll(n, &seconds);
    cpu_ns += ProcessCpuNs() - cpu_start;
    state.SetIterationTime(seconds);
    if (bytes != n * static_cast<int64_t>(size)) {
      error = fmt::format("read {} value bytes, expected {}", bytes, n * static_cast<int64_t>(size));
    }
  }
  if (!error.empty()) state.SkipWithError(error.c_str());
  rd.reset();
  endpoint.reset();
  local.reset();
  SetCounters(state, n, size, cpu_ns);
}

void Sizes(benchmark::internal::Benchmark* b) {
  b->Arg(100)->Arg(1024)->UseRealTime()->Unit(benchmark::kMillisecond);
}

BENCHMARK_CAPTURE(BM_Produce, samsa_server, Target::kSamsaServer)->Apply(Sizes);
BENCHMARK_CAPTURE(BM_Produce, mock, Target::kMock)->Apply(Sizes);
BENCHMARK_CAPTURE(BM_Produce, in_process, Target::kInProcess)->Apply(Sizes);
// Consume rows time each read themselves (UseManualTime): see ReadAll.
void ConsumeSizes(benchmark::internal::Benchmark* b) {
  b->Arg(100)->Arg(1024)->UseManualTime()->Unit(benchmark::kMillisecond);
}

BENCHMARK_CAPTURE(BM_Consume, samsa_server, Target::kSamsaServer)->Apply(ConsumeSizes);
BENCHMARK_CAPTURE(BM_Consume, mock, Target::kMock)->Apply(ConsumeSizes);
BENCHMARK_CAPTURE(BM_Consume, in_process, Target::kInProcess)->Apply(ConsumeSizes);

}  // namespace
}  // namespace samsa::bench

int main(int argc, char** argv) { return samsa::bench::RunBenchmarks(argc, argv); }
