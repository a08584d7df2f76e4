// pubsub_threads: threads of one program talking through a memory-backed
// topic — Kafka's model (partitions, offsets, independent consumers) as an
// in-process bus, with no disk at all.
//
//   pubsub_threads [RECORDS_PER_PRODUCER]   (default 100000)
//
// Four producer threads publish keyed events to a 4-partition memory topic;
// two consumers each read every partition on their own (pub/sub: both see
// everything). Each checks that the records of every key arrive in order.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <samsa/samsa.h>

int main(int argc, char** argv) {
  const int per_producer = argc > 1 ? std::atoi(argv[1]) : 100000;
  constexpr int kProducers = 4, kPartitions = 4, kConsumers = 2;

  samsa::BrokerConfig config;
  config.samsa_storage = "memory";  // the whole broker in memory: no log dir touched
  auto broker = samsa::Broker::Open(config).value();
  broker->CreateTopic({.name = "events", .num_partitions = kPartitions, .memory = true}).IgnoreError();

  samsa::ProducerConfig pc;
  pc.linger_ms = 1;  // let records batch up under load
  auto producer = samsa::Producer::Create(broker.get(), pc).value();

  const auto start = std::chrono::steady_clock::now();
  std::atomic<bool> failed{false};
  std::vector<std::thread> consumers;
  std::vector<long> received(kConsumers, 0);
  for (int c = 0; c < kConsumers; ++c) {
    consumers.emplace_back([&, c] {
      samsa::ConsumerConfig cc;
      cc.auto_offset_reset = samsa::OffsetResetStrategy::kEarliest;
      auto consumer = samsa::Consumer::Create(broker.get(), cc).value();
      std::vector<samsa::TopicPartition> all;
      for (int p = 0; p < kPartitions; ++p) all.push_back({"events", p});
      consumer->Assign(all).IgnoreError();
      std::map<std::string, long> next;  // per key: the sequence number expected next
      const long total = static_cast<long>(kProducers) * per_producer;
      while (received[c] < total) {
        absl::StatusOr<std::vector<samsa::ConsumerRecord>> records =
            consumer->Poll(absl::Seconds(5));
        if (!records.ok() || records->empty()) {
          failed = true;
          return;
        }
        for (const samsa::ConsumerRecord& r : *records) {
          const long seq = std::atol(r.value_string().c_str());
          long& expected = next[r.key_string()];
          if (seq != expected) failed = true;
          expected = seq + 1;
          ++received[c];
        }
      }
    });
  }
  std::vector<std::thread> producers;
  for (int t = 0; t < kProducers; ++t) {
    producers.emplace_back([&, t] {
      const std::string key = "producer-" + std::to_string(t);
      for (int i = 0; i < per_producer; ++i) {
        producer->Send({.topic = "events", .key = key, .value = std::to_string(i)},
                       [&](const absl::StatusOr<samsa::RecordMetadata>& md) {
                         if (!md.ok()) failed = true;
                       });
      }
    });
  }
  for (auto& t : producers) t.join();
  producer->Flush().IgnoreError();
  for (auto& t : consumers) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (int c = 0; c < kConsumers; ++c) {
    std::printf("consumer %d received %ld records\n", c, received[c]);
  }
  std::printf("%d producers x %d records through a memory topic to %d consumers in %.3f s "
              "(%.0f records/s delivered per consumer)%s\n",
              kProducers, per_producer, kConsumers, seconds,
              kProducers * static_cast<double>(per_producer) / seconds,
              failed ? " -- ORDER OR DELIVERY FAILURE" : ", per-key order kept");
  producer->Close().IgnoreError();
  broker->Close().IgnoreError();
  return failed ? 1 : 0;
}
