#include <atomic>
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "broker/broker_test_util.h"
#include "config/topic_config.h"
#include "io/fault_injection_env.h"
#include "samsa/errors.h"

namespace samsa {
namespace {

using testing::BrokerFixture;
using testing::MakeBatch;

TEST_CASE("topics are created, listed, described and deleted", "[broker][topics]") {
  BrokerFixture f;
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "orders", .num_partitions = 3}).ok());
  REQUIRE(b.CreateTopic({.name = "audit"}).ok());  // num.partitions = 1
  CHECK(b.ListTopics() == std::vector<std::string>{"audit", "orders"});
  auto d = b.DescribeTopic("orders");
  REQUIRE(d.ok());
  REQUIRE(d->partitions.size() == 3);
  CHECK(d->partitions[2].leader == 0);
  CHECK(d->partitions[2].replicas == std::vector<int32_t>{0});
  CHECK(d->partitions[2].isr == std::vector<int32_t>{0});
  CHECK(d->topic_id.size() == 22);  // base64 of 16 bytes, no padding
  f.Produce({"orders", 1}, 4, "x");
  d = b.DescribeTopic("orders");
  CHECK(d->partitions[1].log_end_offset == 4);
  CHECK(d->partitions[1].high_watermark == 4);
  CHECK(d->partitions[1].log_start_offset == 0);
  REQUIRE(b.DeleteTopic("orders").ok());
  CHECK(b.ListTopics() == std::vector<std::string>{"audit"});
  const std::vector<std::string> files = *f.env->GetChildren("/kafka-logs");
  for (const std::string& name : files) CHECK(name.rfind("orders-", 0) == std::string::npos);
  CHECK(ErrorCodeOf(b.DescribeTopic("orders").status()) == ErrorCode::kUnknownTopicOrPartition);
}

TEST_CASE("the topic-id index follows creates and deletes and is rebuilt only then", "[broker][topics]") {
  BrokerFixture f;
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "a"}).ok());
  REQUIRE(b.CreateTopic({.name = "m", .memory = true}).ok());
  const std::string id_a = b.DescribeTopic("a")->topic_id;
  const std::string id_m = b.DescribeTopic("m")->topic_id;
  auto index = f.impl().TopicIds();
  CHECK(index->ids_by_name.at("a") == id_a);
  CHECK(index->ids_by_name.at("m") == id_m);
  CHECK(index->names_by_id.at(id_a) == "a");
  CHECK(index->names_by_id.at(id_m) == "m");
  CHECK(f.impl().TopicIds() == index);  // nothing changed: the same index
  REQUIRE(b.DeleteTopic("a").ok());
  REQUIRE(b.CreateTopic({.name = "a"}).ok());  // again: a new id
  const std::string id_a2 = b.DescribeTopic("a")->topic_id;
  REQUIRE(id_a2 != id_a);
  auto after = f.impl().TopicIds();
  CHECK(after != index);
  CHECK(after->ids_by_name.at("a") == id_a2);
  CHECK_FALSE(after->names_by_id.contains(id_a));
  CHECK(after->names_by_id.at(id_a2) == "a");
  REQUIRE(b.DeleteTopic("m").ok());
  CHECK_FALSE(f.impl().TopicIds()->ids_by_name.contains("m"));
}

TEST_CASE("bad topic requests get Kafka's errors and change nothing", "[broker][topics]") {
  BrokerFixture f;
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "a.b"}).ok());
  const auto code = [&](NewTopic t) { return ErrorCodeOf(b.CreateTopic(t)); };
  CHECK(code({.name = "a.b"}) == ErrorCode::kTopicAlreadyExists);
  CHECK(code({.name = "a_b"}) == ErrorCode::kInvalidTopicException);  // collides with a.b
  CHECK(code({.name = "bad name"}) == ErrorCode::kInvalidTopicException);
  CHECK(code({.name = ""}) == ErrorCode::kInvalidTopicException);
  CHECK(code({.name = ".."}) == ErrorCode::kInvalidTopicException);
  CHECK(code({.name = std::string(250, 'x')}) == ErrorCode::kInvalidTopicException);
  CHECK(code({.name = std::string(249, 'x')}) == ErrorCode::kNone);
  CHECK(code({.name = "p", .num_partitions = 0}) == ErrorCode::kInvalidPartitions);
  CHECK(code({.name = "r", .replication_factor = 3}) == ErrorCode::kInvalidReplicationFactor);
  CHECK(code({.name = "c", .configs = {{"retention.hours", "1"}}}) == ErrorCode::kInvalidConfig);
  CHECK(code({.name = "v", .configs = {{"segment.bytes", "tiny"}}}) == ErrorCode::kInvalidConfig);
  CHECK(b.ListTopics().size() == 2);
}

TEST_CASE("produce and fetch go through the request API with Kafka's errors", "[broker][request]") {
  BrokerFixture f;
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "t", .num_partitions = 2}).ok());
  CHECK(f.Produce({"t", 0}, 3, "a") == 0);
  CHECK(f.Produce({"t", 0}, 2, "b") == 3);
  auto records = f.FetchAll({"t", 0});
  REQUIRE(records.size() == 5);
  CHECK(records[4].value == "b-1");
  CHECK(ErrorCodeOf(f.impl().Produce({"t", 7}, MakeBatch(1, "x", 0), 1).status()) ==
        ErrorCode::kUnknownTopicOrPartition);
  CHECK(ErrorCodeOf(f.impl().Produce({"t", 0}, MakeBatch(1, "x", 0), 2).status()) ==
        ErrorCode::kInvalidRequiredAcks);
  Broker::Impl::FetchRequest request;
  request.partitions = {{{"t", 0}, 99, 1 << 20}, {{"nope", 0}, 0, 1 << 20}};
  request.max_wait = absl::Seconds(5);
  auto responses = f.impl().Fetch(request);  // an error answers at once: no wait
  CHECK(ErrorCodeOf(responses[0].status) == ErrorCode::kOffsetOutOfRange);
  CHECK(ErrorCodeOf(responses[1].status) == ErrorCode::kUnknownTopicOrPartition);
}

TEST_CASE("min.insync.replicas above the ISR refuses acks=all with NOT_ENOUGH_REPLICAS", "[broker][request]") {
  BrokerFixture f;
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "safe", .configs = {{"min.insync.replicas", "2"}}}).ok());
  CHECK(ErrorCodeOf(f.impl().Produce({"safe", 0}, MakeBatch(1, "x", 0), -1).status()) ==
        ErrorCode::kNotEnoughReplicas);
  CHECK(f.impl().Produce({"safe", 0}, MakeBatch(1, "x", 0), 1).ok());  // acks=1 does not check
}

TEST_CASE("a fetch waits on the broker clock for fetch.min.bytes and returns at max wait",
          "[broker][fetch]") {
  BrokerFixture f;
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "t"}).ok());
  Broker::Impl::FetchRequest request;
  request.partitions = {{{"t", 0}, 0, 1 << 20}};
  request.max_wait = absl::Seconds(10);
  std::atomic<bool> returned{false};
  std::vector<Broker::Impl::FetchPartitionResponse> responses;
  // The broker's own threads that wait on the clock, once they have settled;
  // counting them by hand raced with a background thread not yet asleep, and
  // the clock then moved before the fetch waited (a hang).
  const int base = testing::SettledWaiters(f.clock);
  std::thread fetcher([&] {
    responses = f.impl().Fetch(request);
    returned = true;
  });
  // The fetch sleeps on the manual clock.
  while (f.clock.NumWaiters() <= base) std::this_thread::yield();
  CHECK_FALSE(returned.load());
  f.clock.Advance(absl::Seconds(10));
  fetcher.join();
  REQUIRE(responses[0].status.ok());
  CHECK(responses[0].records.empty());
}

// Kafka's DelayedFetch completes at once when the fetch offset is on an older
// segment than the high watermark: the rest cannot come in this read, so
// waiting for fetch.min.bytes would only delay it. The same for the end of a
// memory topic's storage chunk, where a read stops rather than copy.
TEST_CASE("a fetch waiting for fetch.min.bytes returns at once when more lies past a segment or chunk",
          "[broker][fetch]") {
  BrokerFixture f;
  Broker& b = f.Open();
  const std::string prefix(20, 'p');  // 200 records: a ~6 KB batch, more than a first chunk
  SECTION("the next segment") {
    REQUIRE(b.CreateTopic({.name = "t", .configs = {{"segment.bytes", "8192"}}}).ok());
  }
  SECTION("the next chunk of a memory topic's segment") {
    REQUIRE(b.CreateTopic({.name = "t"}).ok());
  }
  f.Produce({"t", 0}, 200, prefix);
  f.Produce({"t", 0}, 200, prefix);
  Broker::Impl::FetchRequest request;
  request.partitions = {{{"t", 0}, 0, 1 << 20}};
  request.min_bytes = 1 << 20;
  request.max_wait = absl::Seconds(10);
  const int base = testing::SettledWaiters(f.clock);
  std::atomic<bool> returned{false};
  std::vector<Broker::Impl::FetchPartitionResponse> responses;
  std::thread fetcher([&] {
    responses = f.impl().Fetch(request);
    returned = true;
  });
  // Either it returns, or it sleeps on the manual clock (the failure).
  while (!returned.load() && f.clock.NumWaiters() <= base) std::this_thread::yield();
  const bool at_once = returned.load();
  if (!at_once) f.clock.Advance(absl::Seconds(10));
  fetcher.join();
  CHECK(at_once);
  REQUIRE(responses[0].status.ok());
  const auto records = testing::DecodeAll(responses[0].records.view());
  REQUIRE(records.size() == 200);  // the first batch: its segment's or chunk's end
  CHECK(records.front().offset == 0);
  CHECK(f.FetchAll({"t", 0}).size() == 400);
}

TEST_CASE("a FetchWaiter: a signal before the wait, during its spin, or once parked", "[broker][fetch]") {
  ManualClock clock;
  FetchWaiter waiter;
  // Signalled before: returns at once, and the signal is used up.
  waiter.Signal();
  CHECK(waiter.WaitUntil(&clock, clock.Now() + absl::Hours(1)));
  CHECK_FALSE(waiter.WaitUntil(&clock, clock.Now()));  // deadline now: spins, then times out
  // Parked: the wait registered with the manual clock only after its spin, and
  // only Signal() can end it (the clock does not move).
  const int base = clock.NumWaiters();
  std::atomic<bool> woke{false};
  std::thread waiting([&] { woke = waiter.WaitUntil(&clock, clock.Now() + absl::Hours(1)); });
  while (clock.NumWaiters() <= base) std::this_thread::yield();
  waiter.Signal();
  waiting.join();
  CHECK(woke.load());
  // Clear() drops a pending signal.
  waiter.Signal();
  waiter.Clear();
  CHECK_FALSE(waiter.WaitUntil(&clock, clock.Now()));
}

TEST_CASE("FetchWaiters lose no signal: two threads ping-pong 3000 times", "[broker][fetch][threads]") {
  // Each side waits for its own signal, then signals the other; a lost signal
  // leaves both waiting until the (real) 60 s deadline and fails the test.
  // Every third round the signaller first busy-waits past the spin, so that
  // both the spinning and the parked path are taken.
  Clock* clock = Clock::System();
  FetchWaiter ping, pong;
  constexpr int kRounds = 3000;
  auto delay = [](int round) {
    if (round % 3 != 0) return;
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start <
           std::chrono::nanoseconds(FetchWaiter::kSpinNs + 20'000)) {
    }
  };
  std::atomic<int> missed{0};
  std::thread other([&] {
    for (int i = 0; i < kRounds; ++i) {
      if (!ping.WaitUntil(clock, clock->Now() + absl::Seconds(60))) {
        missed.fetch_add(1);
        return;
      }
      delay(i);
      pong.Signal();
    }
  });
  bool all = true;
  for (int i = 0; i < kRounds && all; ++i) {
    ping.Signal();
    all = pong.WaitUntil(clock, clock->Now() + absl::Seconds(60));
  }
  if (!all) ping.Signal();  // let the other side finish
  other.join();
  CHECK(all);
  CHECK(missed.load() == 0);
}

TEST_CASE("a waiting fetch wakes as soon as a record is appended", "[broker][fetch]") {
  BrokerFixture f;
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "t", .num_partitions = 2}).ok());
  Broker::Impl::FetchRequest request;
  request.partitions = {{{"t", 0}, 0, 1 << 20}, {{"t", 1}, 0, 1 << 20}};
  request.max_wait = absl::Hours(1);  // on the manual clock: only an append can end it
  std::vector<Broker::Impl::FetchPartitionResponse> responses;
  const int base = testing::SettledWaiters(f.clock);
  std::thread fetcher([&] { responses = f.impl().Fetch(request); });
  while (f.clock.NumWaiters() <= base) std::this_thread::yield();
  f.Produce({"t", 1}, 2, "late");
  fetcher.join();
  CHECK(responses[0].records.empty());
  CHECK(testing::DecodeAll(responses[1].records.view()).size() == 2);
  CHECK(responses[1].high_watermark == 2);
}

TEST_CASE("a caller can interrupt its waiting fetch", "[broker][fetch]") {
  BrokerFixture f;
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "t"}).ok());
  FetchWaiter waiter;
  std::atomic<bool> interrupted{false};
  Broker::Impl::FetchRequest request;
  request.partitions = {{{"t", 0}, 0, 1 << 20}};
  request.max_wait = absl::Hours(1);
  request.waiter = &waiter;
  request.interrupted = &interrupted;
  const int base = testing::SettledWaiters(f.clock);
  std::thread fetcher([&] { f.impl().Fetch(request); });
  while (f.clock.NumWaiters() <= base) std::this_thread::yield();
  interrupted = true;
  waiter.Signal();
  fetcher.join();  // returns without the clock moving
  SUCCEED();
}

TEST_CASE("fetch.max.bytes limits a response but the first batch always comes back", "[broker][fetch]") {
  BrokerFixture f;
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "t", .num_partitions = 2}).ok());
  for (int p = 0; p < 2; ++p) {
    REQUIRE(f.impl().Produce({"t", p}, MakeBatch(1, "v", 0, record::CompressionType::kNone, 5000), 1).ok());
  }
  Broker::Impl::FetchRequest request;
  request.partitions = {{{"t", 0}, 0, 100}, {{"t", 1}, 0, 100}};
  request.max_bytes = 100;
  request.max_wait = absl::ZeroDuration();
  auto responses = f.impl().Fetch(request);
  CHECK(testing::DecodeAll(responses[0].records.view()).size() == 1);  // KIP-74
  CHECK(responses[1].records.empty());
}

TEST_CASE("ListOffsets: earliest, latest (the high watermark) and by timestamp", "[broker][request]") {
  BrokerFixture f;
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "t"}).ok());
  REQUIRE(f.impl().Produce({"t", 0}, MakeBatch(3, "a", 1000), 1).ok());  // ts 1000..1002
  REQUIRE(f.impl().Produce({"t", 0}, MakeBatch(3, "b", 2000), 1).ok());  // ts 2000..2002
  const auto list = [&](int64_t ts) {
    auto r = f.impl().ListOffset({"t", 0}, ts, FetchIsolation::kHighWatermark);
    REQUIRE(r.ok());
    return *r;
  };
  CHECK(list(-2).offset == 0);
  CHECK(list(-1).offset == 6);
  CHECK(list(1500).offset == 3);
  CHECK(list(1500).timestamp == 2000);
  CHECK(list(9999).offset == -1);
  CHECK(list(-3).offset == 5);
  REQUIRE(f.impl().DeleteRecords({"t", 0}, 2).ok());
  CHECK(list(-2).offset == 2);
}

// Kafka's UnifiedLog.legacyFetchOffsetsBefore and
// Partition.legacyFetchOffsetsForTimestamp (ListOffsets v0): segment base
// offsets and the log end, newest first, from the newest segment last
// written at or before the timestamp; a consumer sees the high watermark.
TEST_CASE("ListOffsets v0: old-style offsets from segments, as Kafka lists them",
          "[broker][request]") {
  BrokerFixture f;
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "t"}).ok());
  Log* log = f.impl().GetPartition({"t", 0})->log();
  for (int64_t ts : {1000, 2000, 3000}) {  // segments at 0, 3, 6: ts ts..ts+2 each
    if (ts > 1000) REQUIRE(log->Roll().ok());
    REQUIRE(f.impl().Produce({"t", 0}, MakeBatch(3, "v", ts), 1).ok());
  }
  const auto list = [&](int64_t ts, int32_t max, bool consumer = false) {
    auto r = f.impl().LegacyListOffsets({"t", 0}, ts, max, consumer);
    REQUIRE(r.ok());
    return *r;
  };
  using V = std::vector<int64_t>;
  CHECK(list(-1, 10) == V{9, 6, 3, 0});  // the log end, then each segment
  CHECK(list(-1, 2) == V{9, 6});
  CHECK(list(-2, 10) == V{0});
  CHECK(list(2500, 10) == V{3, 0});  // segment 3 was last written at 2002
  CHECK(list(2002, 10) == V{3, 0});
  CHECK(list(500, 10).empty());
  CHECK(list(f.clock.NowMs(), 10) == V{9, 6, 3, 0});
  // A consumer gets the high watermark in place of offsets above it.
  log->UpdateHighWatermark(Offset(4));
  CHECK(list(-1, 10, /*consumer=*/true) == V{4, 3, 0});
  CHECK(list(-1, 10, /*consumer=*/false) == V{9, 6, 3, 0});
  // No offset below the log start.
  REQUIRE(f.impl().DeleteRecords({"t", 0}, 2).ok());
  CHECK(list(-2, 10) == V{2});
  CHECK(ErrorCodeOf(f.impl().LegacyListOffsets({"nope", 0}, -1, 1, true).status()) ==
        ErrorCode::kUnknownTopicOrPartition);
}

TEST_CASE("auto-create makes a topic on first use only when enabled", "[broker][topics]") {
  BrokerFixture f;
  f.config.num_partitions = 4;
  Broker& b = f.Open();
  CHECK(*f.impl().PartitionCount("fresh", /*allow_auto_create=*/true) == 4);
  CHECK(b.ListTopics() == std::vector<std::string>{"fresh"});
  CHECK(ErrorCodeOf(f.impl().PartitionCount("other", false).status()) ==
        ErrorCode::kUnknownTopicOrPartition);
  REQUIRE(b.Close().ok());
  f.broker.reset();
  f.config.auto_create_topics_enable = false;
  f.Open();
  CHECK(ErrorCodeOf(f.impl().PartitionCount("other", true).status()) ==
        ErrorCode::kUnknownTopicOrPartition);
  auto md = f.impl().Metadata(std::vector<std::string>{"fresh", "other", "bad name"}, true);
  REQUIRE(md.size() == 3);
  CHECK(md[0].error == ErrorCode::kNone);
  CHECK(md[0].partitions.size() == 4);
  CHECK(md[1].error == ErrorCode::kUnknownTopicOrPartition);
  CHECK(md[2].error == ErrorCode::kInvalidTopicException);
}

TEST_CASE("partitions can be added, never removed", "[broker][topics]") {
  BrokerFixture f;
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "t", .num_partitions = 2}).ok());
  const uint64_t version = f.impl().metadata_version();
  REQUIRE(b.CreatePartitions("t", 5).ok());
  CHECK(f.impl().metadata_version() > version);
  CHECK(b.DescribeTopic("t")->partitions.size() == 5);
  CHECK(f.Produce({"t", 4}, 1, "new") == 0);
  CHECK(ErrorCodeOf(b.CreatePartitions("t", 5)) == ErrorCode::kInvalidPartitions);
  CHECK(ErrorCodeOf(b.CreatePartitions("none", 5)) == ErrorCode::kUnknownTopicOrPartition);
}

TEST_CASE("topic configs can be altered and described", "[broker][topics]") {
  BrokerFixture f;
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "t", .configs = {{"retention.ms", "1000"}}}).ok());
  REQUIRE(b.AlterTopicConfigs("t", {{"retention.bytes", "4096"}, {"retention.ms", std::nullopt}}).ok());
  auto entries = b.DescribeTopicConfigs("t");
  REQUIRE(entries.ok());
  for (const ConfigEntry& e : *entries) {
    if (e.name == "retention.bytes") CHECK(e.value == "4096");
    if (e.name == "retention.ms") CHECK(e.is_default);
  }
  CHECK(f.impl().GetPartition({"t", 0})->log()->config().retention_bytes == 4096);
  CHECK(ErrorCodeOf(b.AlterTopicConfigs("t", {{"retention.bytes", "lots"}})) == ErrorCode::kInvalidConfig);
  CHECK(f.impl().GetPartition({"t", 0})->log()->config().retention_bytes == 4096);
}

TEST_CASE("a reopened broker has its topics, configs and records, memory topics are gone",
          "[broker][restart]") {
  BrokerFixture f;
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "durable", .num_partitions = 2, .configs = {{"cleanup.policy", "compact"}}}).ok());
  REQUIRE(b.CreateTopic({.name = "ephemeral", .memory = true}).ok());
  f.Produce({"durable", 1}, 3, "d");
  f.Produce({"ephemeral", 0}, 3, "e");
  f.Reopen();
  CHECK(f.broker->ListTopics() == std::vector<std::string>{"durable"});
  CHECK(f.broker->recovery_info().clean_shutdown);
  CHECK(f.FetchAll({"durable", 1}).size() == 3);
  CHECK(f.broker->DescribeTopic("durable")->configs.at("cleanup.policy") == "compact");
  CHECK(f.impl().GetPartition({"durable", 0})->log()->config().cleanup_policy == CleanupPolicy::kCompact);
  // Kafka's files are where Kafka puts them.
  CHECK(f.env->FileExists("/kafka-logs/durable-1/00000000000000000000.log"));
  CHECK(f.env->FileExists("/kafka-logs/durable-1/partition.metadata"));
  CHECK(f.env->FileExists("/kafka-logs/meta.properties"));
}

TEST_CASE("a memory topic never touches the broker's filesystem", "[broker][memory]") {
  BrokerFixture f;
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "bus", .num_partitions = 2, .memory = true}).ok());
  f.Produce({"bus", 0}, 5, "m");
  CHECK(f.FetchAll({"bus", 0}).size() == 5);
  CHECK(b.DescribeTopic("bus")->memory);
  const std::vector<std::string> files = *f.env->GetChildren("/kafka-logs");
  for (const std::string& name : files) CHECK(name.rfind("bus-", 0) == std::string::npos);
}

TEST_CASE("partitions found in the log dirs are adopted as topics", "[broker][restart]") {
  BrokerFixture f;
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "copied", .num_partitions = 3}).ok());
  f.Produce({"copied", 2}, 2, "c");
  REQUIRE(b.Close().ok());
  f.broker.reset();
  REQUIRE(f.env->DeleteFile("/kafka-logs/samsa-topics").ok());  // as if copied from Kafka
  f.Open();
  auto d = f.broker->DescribeTopic("copied");
  REQUIRE(d.ok());
  CHECK(d->partitions.size() == 3);
  CHECK(d->partitions[2].log_end_offset == 2);
}

TEST_CASE("a second broker cannot open log dirs a live broker holds", "[broker][restart]") {
  BrokerFixture f;
  f.Open();
  auto second = f.TryOpen();
  REQUIRE_FALSE(second.ok());
  CHECK(ErrorCodeOf(second.status()) == ErrorCode::kKafkaStorageError);
}

TEST_CASE("meta.properties names the broker, another broker.id is refused", "[broker][restart]") {
  BrokerFixture f;
  f.config.broker_id = 3;
  f.Open();
  auto meta = ReadFileToString(f.env.get(), "/kafka-logs/meta.properties");
  REQUIRE(meta.ok());
  CHECK(meta->find("broker.id=3") != std::string::npos);
  CHECK(meta->find("version=0") != std::string::npos);
  CHECK(meta->find("cluster.id=") != std::string::npos);
  REQUIRE(f.broker->Close().ok());
  f.broker.reset();
  f.config.broker_id = 4;
  auto other = f.TryOpen();
  REQUIRE_FALSE(other.ok());
  CHECK(std::string(other.status().message()).find("doesn't match stored broker.id 3") != std::string::npos);
}

TEST_CASE("partitions are spread over several log dirs", "[broker][topics]") {
  BrokerFixture f;
  f.config.log_dirs = "/d1,/d2,/d3";
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "t", .num_partitions = 6}).ok());
  for (const char* dir : {"/d1", "/d2", "/d3"}) {
    int count = 0;
    const std::vector<std::string> files = *f.env->GetChildren(dir);
    for (const std::string& name : files) count += name.rfind("t-", 0) == 0;
    CHECK(count == 2);
  }
  f.Reopen();
  CHECK(f.broker->DescribeTopic("t")->partitions.size() == 6);

  // A new partition goes to the dir holding the fewest (the first of those
  // tied), counting what was loaded and what was deleted.
  const auto dir_of = [&](const std::string& partition_dir) {
    for (const char* dir : {"/d1", "/d2", "/d3"}) {
      if (f.env->FileExists(std::string(dir) + "/" + partition_dir)) return std::string(dir);
    }
    return std::string();
  };
  REQUIRE(f.broker->CreateTopic({.name = "x"}).ok());
  CHECK(dir_of("x-0") == "/d1");  // 2/2/2: a tie
  f.Reopen();
  REQUIRE(f.broker->CreateTopic({.name = "y"}).ok());
  CHECK(dir_of("y-0") == "/d2");  // 3/2/2 as loaded
  REQUIRE(f.broker->DeleteTopic("x").ok());
  REQUIRE(f.broker->DeleteTopic("y").ok());
  REQUIRE(f.broker->CreateTopic({.name = "z"}).ok());
  CHECK(dir_of("z-0") == "/d1");  // 2/2/2 again once both are gone
}

TEST_CASE("retention runs every log.retention.check.interval.ms on the broker clock", "[broker][background]") {
  BrokerFixture f;
  f.config.log_retention_check_interval_ms = 60000;
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "t", .configs = {{"segment.bytes", "2000"}, {"retention.ms", "3600000"}}}).ok());
  for (int i = 0; i < 10; ++i) {
    REQUIRE(f.impl().Produce({"t", 0}, MakeBatch(1, "v", f.clock.NowMs(), record::CompressionType::kNone, 500), 1).ok());
  }
  const int64_t segments = f.impl().GetPartition({"t", 0})->log()->num_segments();
  REQUIRE(segments > 2);
  f.clock.Advance(absl::Minutes(30));
  f.impl().AwaitBackgroundIdle();
  CHECK(f.impl().GetPartition({"t", 0})->log()->num_segments() == segments);  // not old enough
  f.clock.Advance(absl::Minutes(31));
  f.impl().AwaitBackgroundIdle();
  CHECK(f.impl().GetPartition({"t", 0})->log()->log_start_offset() == Offset(10));
}

TEST_CASE("after a crash the broker recovers, keeps what was flushed and says so", "[broker][restart]") {
  ManualClock clock;
  std::unique_ptr<Env> base = NewMemEnv(&clock);
  FaultInjectionEnv env(base.get());
  BrokerConfig config = BrokerFixture::DefaultConfig();
  {
    auto b = Broker::Open(config, BrokerOptions{&env, &clock});
    REQUIRE(b.ok());
    REQUIRE((*b)->CreateTopic({.name = "t"}).ok());
    REQUIRE((*b)->impl()->Produce({"t", 0}, MakeBatch(5, "kept", 0), 1).ok());
    REQUIRE((*b)->Flush().ok());
    REQUIRE((*b)->impl()->Produce({"t", 0}, MakeBatch(5, "lost", 0), 1).ok());
    env.Halt();
  }
  REQUIRE(env.SimulateCrash().ok());
  auto b = Broker::Open(config, BrokerOptions{&env, &clock});
  REQUIRE(b.ok());
  CHECK_FALSE((*b)->recovery_info().clean_shutdown);
  CHECK((*b)->recovery_info().partitions_recovered == 1);
  CHECK((*b)->DescribeTopic("t")->partitions[0].log_end_offset == 5);
}

TEST_CASE("a closed broker refuses requests", "[broker]") {
  BrokerFixture f;
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "t"}).ok());
  REQUIRE(b.Close().ok());
  CHECK(ErrorCodeOf(b.CreateTopic({.name = "u"})) == ErrorCode::kKafkaStorageError);
  CHECK(ErrorCodeOf(f.impl().Produce({"t", 0}, MakeBatch(1, "x", 0), 1).status()) ==
        ErrorCode::kKafkaStorageError);
  CHECK_FALSE(b.Close().ok());
}


// Every topic config Kafka defines, set to boundary and malformed values, at
// creation and by alteration: each is refused with INVALID_CONFIG (nothing
// changed) or taken, and a topic that took it still appends, reads, rolls,
// runs retention and is deleted without a crash or a hang. Kafka's own
// validators (ConfigDef ranges, values trimmed) decide which are taken.
TEST_CASE("hostile topic config values are refused or leave a working topic", "[broker][config]") {
  BrokerFixture f;
  f.config.log_retention_check_interval_ms = 1000;
  Broker& b = f.Open();
  REQUIRE(b.CreateTopic({.name = "t"}).ok());
  const std::vector<std::string> values = {
      "0",          "-1",          "-2",    "1",    "4",           "2147483647", "2147483648",
      "-2147483649", "9223372036854775807",  "9223372036854775808", "-9223372036854775808",
      "",           " 5",          "5 ",    "0x10", "1.5",         "1e3",        "abc",
      "true",       "compact",     "delete,compact", "CreateTime", "LogAppendTime", "none"};
  int taken = 0, refused = 0, appended_ok = 0;
  for (const std::string& key : TopicConfigNames()) {
    for (const std::string& value : values) {
      INFO(key << "=\"" << value << "\"");
      const auto described = [&] {
        std::vector<std::pair<std::string, std::string>> out;
        auto entries = b.DescribeTopicConfigs("t");
        REQUIRE(entries.ok());
        for (const ConfigEntry& e : *entries) out.emplace_back(e.name, e.value);
        return out;
      };
      const auto before = described();
      const absl::Status altered = b.AlterTopicConfigs("t", {{key, value}});
      if (!altered.ok()) {
        CHECK(ErrorCodeOf(altered) == ErrorCode::kInvalidConfig);
        CHECK(described() == before);
      }
      const absl::Status created = b.CreateTopic({.name = "c", .configs = {{key, value}}});
      if (!created.ok()) {
        CHECK(ErrorCodeOf(created) == ErrorCode::kInvalidConfig);
        CHECK_FALSE(f.impl().GetPartition({"c", 0}));
        ++refused;
        continue;
      }
      ++taken;
      // The topic works: appends (a batch may be refused as too large for a
      // tiny max.message.bytes, with a status), reads, rolls and retention.
      for (int i = 0; i < 3; ++i) {
        auto appended = f.impl().Produce({"c", 0}, MakeBatch(2, "v", f.clock.NowMs()), 1);
        if (appended.ok()) {
          ++appended_ok;
        } else {
          CHECK(ErrorCodeOf(appended.status()) != ErrorCode::kUnknownServerError);
        }
        f.clock.Advance(absl::Hours(1));
      }
      const auto fetch = [&] {
        Broker::Impl::FetchRequest request;
        const Offset start = f.impl().GetPartition({"c", 0})->log()->log_start_offset();
        request.partitions.push_back({{"c", 0}, start.value(), 1 << 20});
        request.max_wait = absl::ZeroDuration();
        auto responses = f.impl().Fetch(request);
        REQUIRE(responses.size() == 1);
        INFO(responses[0].status);
        CHECK(responses[0].status.ok());
      };
      // The clock moved while appending: retention may be running on the
      // broker's threads, and would move the log start between the read of
      // it and the fetch (seen under TSan with retention.ms=0).
      f.impl().AwaitBackgroundIdle();
      fetch();
      f.clock.Advance(absl::Hours(24 * 8));
      f.impl().AwaitBackgroundIdle();
      fetch();
      REQUIRE(b.DeleteTopic("c").ok());
    }
    // Back to the default for the next key.
    REQUIRE(b.AlterTopicConfigs("t", {{key, std::nullopt}}).ok());
  }
  CHECK(taken > 0);
  CHECK(refused > 0);
  // Only the taken max.message.bytes values below a batch's size (0, 1, 4,
  // " 5", "5 ") refuse these batches, and message.timestamp.after.max.ms or
  // difference.max.ms of 0 (the batch's second record is 1 ms ahead).
  CHECK(appended_ok == 3 * (taken - 5 - 2));
  // "t" still works after all of it.
  REQUIRE(f.impl().Produce({"t", 0}, MakeBatch(2, "after", f.clock.NowMs()), 1).ok());
  CHECK(f.FetchAll({"t", 0}).size() >= 2);
}

}  // namespace
}  // namespace samsa
