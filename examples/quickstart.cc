// quickstart: a broker inside this process, a producer that sends to an
// explicit partition and prints the offset it got, a consumer that reads the
// records back — on disk, in Kafka's own log format.
//
//   quickstart [LOG_DIR]      (default /tmp/samsa-quickstart)
//
// Run it twice: the second run finds the first run's records (the broker
// recovers the log dir) and its offsets continue from there.
#include <cstdio>
#include <filesystem>
#include <string>

#include <samsa/samsa.h>

int main(int argc, char** argv) {
  const std::string log_dir = argc > 1 ? argv[1] : "/tmp/samsa-quickstart";

  samsa::BrokerConfig config;  // Kafka's names and defaults (server.properties)
  config.log_dirs = log_dir;
  absl::StatusOr<std::unique_ptr<samsa::Broker>> broker = samsa::Broker::Open(config);
  if (!broker.ok()) {
    std::fprintf(stderr, "cannot open the broker: %s\n", broker.status().ToString().c_str());
    return 1;
  }
  std::printf("broker %d open on %s (%d partition(s) recovered)\n", (*broker)->id(),
              log_dir.c_str(), (*broker)->recovery_info().partitions_loaded);

  // kafka-topics.sh --create --topic quickstart --partitions 3
  absl::Status created = (*broker)->CreateTopic({.name = "quickstart", .num_partitions = 3});
  if (!created.ok() && samsa::ErrorCodeOf(created) != samsa::ErrorCode::kTopicAlreadyExists) {
    std::fprintf(stderr, "create topic: %s\n", created.ToString().c_str());
    return 1;
  }

  // producer.send("quickstart", value, partition=1).get(timeout=10).offset
  auto producer = samsa::Producer::Create(broker->get(), {}).value();
  for (int i = 0; i < 3; ++i) {
    samsa::RecordFuture future = producer->Send(
        {.topic = "quickstart", .partition = 1, .value = "hello samsa #" + std::to_string(i)});
    absl::StatusOr<samsa::RecordMetadata> md = future.Get(absl::Seconds(10));
    if (!md.ok()) {
      std::fprintf(stderr, "send: %s\n", md.status().ToString().c_str());
      return 1;
    }
    std::printf("sent to %s-%d at offset %lld\n", md->topic.c_str(), md->partition,
                static_cast<long long>(md->offset));
  }
  // Keyed records: the partition is murmur2(key) % 3, as with Kafka's clients.
  for (const char* user : {"alice", "bob", "carol"}) {
    auto md = producer->Send({.topic = "quickstart", .key = user, .value = "signed up"}).Get();
    std::printf("key %-5s -> partition %d offset %lld\n", user, md->partition,
                static_cast<long long>(md->offset));
  }
  producer->Close().IgnoreError();

  // A consumer reads partition 1 from the beginning.
  samsa::ConsumerConfig cc;
  cc.auto_offset_reset = samsa::OffsetResetStrategy::kEarliest;
  auto consumer = samsa::Consumer::Create(broker->get(), cc).value();
  consumer->Assign({{"quickstart", 1}}).IgnoreError();
  int n = 0;
  for (const samsa::ConsumerRecord& r : consumer->Records(absl::Milliseconds(200))) {
    std::printf("read %s-%d@%lld: %s\n", r.topic.c_str(), r.partition,
                static_cast<long long>(r.offset), r.value_string().c_str());
    ++n;
  }
  std::printf("read %d record(s) from quickstart-1\n", n);

  // Flush, checkpoints, clean-shutdown marker.
  absl::Status closed = (*broker)->Close();
  if (!closed.ok()) {
    std::fprintf(stderr, "close: %s\n", closed.ToString().c_str());
    return 1;
  }
  // The files are Kafka's: <log.dir>/<topic>-<partition>/<20-digit base offset>.log etc.
  std::printf("files in %s/quickstart-1:\n", log_dir.c_str());
  for (const auto& entry : std::filesystem::directory_iterator(log_dir + "/quickstart-1")) {
    std::printf("  %-32s %8lld bytes\n", entry.path().filename().c_str(),
                static_cast<long long>(entry.file_size()));
  }
  return 0;
}
