#include "samsa/consumer.h"

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "broker/broker_test_util.h"
#include "client/client_test_util.h"
#include "client/fetch_decoder.h"
#include "io/fault_injection_env.h"
#include "record/crc32c.h"
#include "record/record_batch.h"
#include "samsa/errors.h"
#include "samsa/producer.h"
#include "util/endian.h"

namespace samsa {
namespace {

using testing::BrokerFixture;
using testing::PollAll;
using testing::Eventually;
using testing::SettledWaiters;

struct ClientFixture : BrokerFixture {
  std::unique_ptr<Producer> producer;

  ClientFixture() {
    Open();
    producer = Producer::Create(broker.get(), {}).value();
  }
  void Topic(const std::string& name, int partitions, bool memory = false) {
    NewTopic t;
    t.name = name;
    t.num_partitions = partitions;
    t.memory = memory;
    REQUIRE(broker->CreateTopic(t).ok());
  }
  std::unique_ptr<Consumer> MakeConsumer(ConsumerConfig config = {}) {
    auto c = Consumer::Create(broker.get(), config);
    REQUIRE(c.ok());
    return *std::move(c);
  }
  RecordMetadata Send(ProducerRecord r) {
    auto md = producer->Send(std::move(r)).Get();
    REQUIRE(md.ok());
    return *md;
  }
  void SendN(const std::string& topic, int partition, int n, const std::string& prefix = "v") {
    for (int i = 0; i < n; ++i) {
      producer->Send({.topic = topic, .partition = partition, .value = prefix + std::to_string(i)});
    }
    REQUIRE(producer->Flush().ok());
  }
  static std::vector<std::string> Values(const std::vector<ConsumerRecord>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) out.push_back(r.value_string());
    return out;
  }
};

ConsumerConfig Earliest() {
  ConsumerConfig c;
  c.auto_offset_reset = OffsetResetStrategy::kEarliest;
  return c;
}

TEST_CASE("poll returns what was produced, with keys, headers and timestamps", "[consumer]") {
  ClientFixture f;
  f.Topic("t", 2);
  f.Send({.topic = "t", .partition = 1, .key = "k1", .value = "v1",
          .headers = {{"h", "x"}, {"null", std::nullopt}}, .timestamp = f.clock.NowMs() - 5000});
  f.Send({.topic = "t", .partition = 1, .value = std::nullopt});  // tombstone, null key
  auto consumer = f.MakeConsumer(Earliest());
  REQUIRE(consumer->Assign({{"t", 0}, {"t", 1}}).ok());
  auto records = consumer->Poll(absl::ZeroDuration());
  REQUIRE(records.ok());
  REQUIRE(records->size() == 2);
  const ConsumerRecord& a = (*records)[0];
  CHECK(a.topic == "t");
  CHECK(a.partition == 1);
  CHECK(a.offset == 0);
  CHECK(a.timestamp == f.clock.NowMs() - 5000);
  CHECK(a.timestamp_type == TimestampType::kCreateTime);
  CHECK(a.key_view() == std::optional<std::string_view>("k1"));
  CHECK(a.value_string() == "v1");
  CHECK(a.headers == std::vector<Header>{{"h", "x"}, {"null", std::nullopt}});
  const ConsumerRecord& b = (*records)[1];
  CHECK(b.offset == 1);
  CHECK_FALSE(b.key.has_value());
  CHECK_FALSE(b.value.has_value());
  CHECK(consumer->Position({"t", 1}).value() == 2);
  CHECK(consumer->Position({"t", 0}).value() == 0);
  CHECK(consumer->Poll(absl::ZeroDuration())->empty());
}

TEST_CASE("auto.offset.reset: earliest, latest, none", "[consumer]") {
  ClientFixture f;
  f.Topic("t", 1);
  f.SendN("t", 0, 5);
  auto earliest = f.MakeConsumer(Earliest());
  REQUIRE(earliest->Assign({{"t", 0}}).ok());
  CHECK(earliest->Poll(absl::ZeroDuration())->size() == 5);

  auto latest = f.MakeConsumer();  // Kafka's default: latest
  REQUIRE(latest->Assign({{"t", 0}}).ok());
  CHECK(latest->Position({"t", 0}).value() == 5);
  CHECK(latest->Poll(absl::ZeroDuration())->empty());
  f.SendN("t", 0, 1, "new");
  CHECK(ClientFixture::Values(*latest->Poll(absl::ZeroDuration())) == std::vector<std::string>{"new0"});

  ConsumerConfig none;
  none.auto_offset_reset = OffsetResetStrategy::kNone;
  auto strict = f.MakeConsumer(none);
  REQUIRE(strict->Assign({{"t", 0}}).ok());
  CHECK(ErrorCodeOf(strict->Poll(absl::ZeroDuration()).status()) == ErrorCode::kOffsetOutOfRange);
  REQUIRE(strict->Seek({"t", 0}, 3).ok());
  CHECK(strict->Poll(absl::ZeroDuration())->size() == 3);
  // A position the log no longer holds: none fails, earliest resets.
  REQUIRE(f.impl().DeleteRecords({"t", 0}, 4).ok());
  REQUIRE(strict->Seek({"t", 0}, 1).ok());
  CHECK(ErrorCodeOf(strict->Poll(absl::ZeroDuration()).status()) == ErrorCode::kOffsetOutOfRange);
  REQUIRE(earliest->Seek({"t", 0}, 1).ok());
  auto reset = earliest->Poll(absl::ZeroDuration());
  REQUIRE(reset.ok());
  REQUIRE_FALSE(reset->empty());
  CHECK(reset->front().offset == 4);
}

TEST_CASE("max.poll.records: the rest stays buffered for the next poll", "[consumer]") {
  ClientFixture f;
  f.Topic("t", 1);
  f.SendN("t", 0, 25);
  ConsumerConfig config = Earliest();
  config.max_poll_records = 10;
  auto consumer = f.MakeConsumer(config);
  REQUIRE(consumer->Assign({{"t", 0}}).ok());
  std::vector<size_t> sizes;
  int64_t expected = 0;
  for (int i = 0; i < 3; ++i) {
    auto r = consumer->Poll(absl::ZeroDuration());
    REQUIRE(r.ok());
    sizes.push_back(r->size());
    for (const auto& rec : *r) CHECK(rec.offset == expected++);
    CHECK(consumer->Position({"t", 0}).value() == expected);
  }
  CHECK(sizes == std::vector<size_t>{10, 10, 5});
}

TEST_CASE("a consumer in a long poll wakes when a record is appended, not by the clock",
          "[consumer][threads]") {
  ClientFixture f;
  f.Topic("t", 1);
  auto consumer = f.MakeConsumer(Earliest());
  REQUIRE(consumer->Assign({{"t", 0}}).ok());
  std::vector<ConsumerRecord> got;
  absl::Status status;
  const int base = SettledWaiters(f.clock);
  std::thread poller([&] {
    auto r = consumer->Poll(absl::Seconds(30));
    status = r.status();
    if (r.ok()) got = *r;
  });
  // The consumer is blocked on the (manual) clock; time does not move.
  REQUIRE(Eventually([&] { return f.clock.NumWaiters() > base; }));
  const absl::Time before = f.clock.Now();
  f.Send({.topic = "t", .partition = 0, .value = "wake"});
  poller.join();
  CHECK(status.ok());
  REQUIRE(got.size() == 1);
  CHECK(got[0].value_string() == "wake");
  CHECK(f.clock.Now() == before);
}

TEST_CASE("Wakeup interrupts a blocked poll from another thread", "[consumer][threads]") {
  ClientFixture f;
  f.Topic("t", 1);
  auto consumer = f.MakeConsumer(Earliest());
  REQUIRE(consumer->Assign({{"t", 0}}).ok());
  absl::Status status;
  const int base = SettledWaiters(f.clock);
  std::thread poller([&] { status = consumer->Poll(absl::Seconds(3600)).status(); });
  REQUIRE(Eventually([&] { return f.clock.NumWaiters() > base; }));
  consumer->Wakeup();
  poller.join();
  CHECK(status.code() == absl::StatusCode::kCancelled);
  // A wakeup before a poll makes that poll return at once.
  consumer->Wakeup();
  CHECK(consumer->Poll(absl::Seconds(30)).status().code() == absl::StatusCode::kCancelled);
  CHECK(consumer->Poll(absl::ZeroDuration()).ok());
}

TEST_CASE("a poll with nothing to read returns after its timeout on the clock", "[consumer]") {
  ClientFixture f;
  f.Topic("t", 1);
  ConsumerConfig config = Earliest();
  config.fetch_max_wait_ms = 100;
  auto consumer = f.MakeConsumer(config);
  REQUIRE(consumer->Assign({{"t", 0}}).ok());
  std::atomic<bool> done{false};
  const int base = SettledWaiters(f.clock);
  std::thread poller([&] {
    auto r = consumer->Poll(absl::Milliseconds(350));
    CHECK(r.ok());
    done = true;
  });
  for (int i = 0; i < 3; ++i) {
    REQUIRE(Eventually([&] { return f.clock.NumWaiters() > base; }));
    CHECK_FALSE(done);
    f.clock.Advance(absl::Milliseconds(100));
  }
  REQUIRE(Eventually([&] { return done || f.clock.NumWaiters() > base; }));
  f.clock.Advance(absl::Milliseconds(100));
  poller.join();
  CHECK(done);
}

TEST_CASE("seek, seek to beginning and end, position", "[consumer]") {
  ClientFixture f;
  f.Topic("t", 1);
  f.SendN("t", 0, 10);
  auto consumer = f.MakeConsumer(Earliest());
  const TopicPartition tp{"t", 0};
  REQUIRE(consumer->Assign({tp}).ok());
  REQUIRE(consumer->Seek(tp, 7).ok());
  CHECK(ClientFixture::Values(*consumer->Poll(absl::ZeroDuration())) ==
        std::vector<std::string>{"v7", "v8", "v9"});
  REQUIRE(consumer->SeekToBeginning({tp}).ok());
  CHECK(consumer->Position(tp).value() == 0);
  CHECK(consumer->Poll(absl::ZeroDuration())->size() == 10);
  REQUIRE(consumer->SeekToEnd({tp}).ok());
  CHECK(consumer->Position(tp).value() == 10);
  CHECK(consumer->Seek({"t", 1}, 0).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(consumer->Seek(tp, -1).code() == absl::StatusCode::kInvalidArgument);
  CHECK(consumer->Position({"other", 0}).status().code() == absl::StatusCode::kFailedPrecondition);
  // A seek into the middle of a batch returns records from that offset on.
  auto p = Producer::Create(f.broker.get(), {.linger_ms = 1000}).value();
  for (int i = 0; i < 5; ++i) p->Send({.topic = "t", .partition = 0, .value = "b" + std::to_string(i)});
  REQUIRE(p->Flush().ok());
  REQUIRE(consumer->Seek(tp, 12).ok());
  CHECK(ClientFixture::Values(*consumer->Poll(absl::ZeroDuration())) ==
        std::vector<std::string>{"b2", "b3", "b4"});
}

TEST_CASE("pause keeps a partition's records back until resume", "[consumer]") {
  ClientFixture f;
  f.Topic("t", 2);
  f.SendN("t", 0, 3, "a");
  f.SendN("t", 1, 3, "b");
  ConsumerConfig config = Earliest();
  config.max_poll_records = 2;
  auto consumer = f.MakeConsumer(config);
  REQUIRE(consumer->Assign({{"t", 0}, {"t", 1}}).ok());
  auto first = consumer->Poll(absl::ZeroDuration());  // both fetched, 2 returned
  REQUIRE(first->size() == 2);
  REQUIRE(consumer->Pause({{"t", 0}}).ok());
  CHECK(consumer->Paused() == std::vector<TopicPartition>{{"t", 0}});
  std::vector<std::string> while_paused;
  for (int i = 0; i < 3; ++i) {
    const std::vector<ConsumerRecord> polled = consumer->Poll(absl::ZeroDuration()).value();
    for (const auto& r : polled) {
      CHECK(r.partition == 1);
      while_paused.push_back(r.value_string());
    }
  }
  CHECK(while_paused == std::vector<std::string>{"b0", "b1", "b2"});
  REQUIRE(consumer->Resume({{"t", 0}}).ok());
  CHECK(ClientFixture::Values(*consumer->Poll(absl::ZeroDuration())) ==
        std::vector<std::string>{"a2"});
  CHECK(consumer->Pause({{"x", 0}}).code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("beginning and end offsets, offsets for times", "[consumer]") {
  ClientFixture f;
  f.Topic("t", 1);
  const TopicPartition tp{"t", 0};
  for (int i = 0; i < 6; ++i) f.Send({.topic = "t", .partition = 0, .value = "v", .timestamp = 1000 + i * 100});
  REQUIRE(f.impl().DeleteRecords(tp, 2).ok());
  auto consumer = f.MakeConsumer();
  CHECK(consumer->BeginningOffsets({tp}).value() == std::map<TopicPartition, int64_t>{{tp, 2}});
  CHECK(consumer->EndOffsets({tp}).value() == std::map<TopicPartition, int64_t>{{tp, 6}});
  auto times = consumer->OffsetsForTimes({{tp, 1250}});
  REQUIRE(times.ok());
  CHECK(times->at(tp) == OffsetAndTimestamp{3, 1300});
  CHECK_FALSE(consumer->OffsetsForTimes({{tp, 99999}})->at(tp).has_value());
  CHECK(consumer->OffsetsForTimes({{tp, -5}}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ErrorCodeOf(consumer->EndOffsets({{"t", 9}}).status()) == ErrorCode::kUnknownTopicOrPartition);
}

TEST_CASE("records of a memory topic are views into the stored batch, not copies", "[consumer][memory]") {
  ClientFixture f;
  f.Topic("bus", 1, /*memory=*/true);
  f.Send({.topic = "bus", .partition = 0, .value = std::string(1000, 'z')});
  auto c1 = f.MakeConsumer(Earliest());
  auto c2 = f.MakeConsumer(Earliest());
  REQUIRE(c1->Assign({{"bus", 0}}).ok());
  REQUIRE(c2->Assign({{"bus", 0}}).ok());
  auto r1 = c1->Poll(absl::ZeroDuration()).value();
  auto r2 = c2->Poll(absl::ZeroDuration()).value();
  REQUIRE(r1.size() == 1);
  REQUIRE(r2.size() == 1);
  // Two consumers see the very same bytes: both point into the stored batch.
  CHECK(r1[0].value->data() == r2[0].value->data());
  CHECK(r1[0].value_string() == std::string(1000, 'z'));
}

TEST_CASE("Records(idle) iterates until nothing arrives for the idle time", "[consumer]") {
  ClientFixture f;
  f.Topic("t", 3);
  for (int p = 0; p < 3; ++p) f.SendN("t", p, 4);
  ConsumerConfig config = Earliest();
  config.max_poll_records = 5;
  auto consumer = f.MakeConsumer(config);
  REQUIRE(consumer->Assign({{"t", 0}, {"t", 1}, {"t", 2}}).ok());
  int n = 0;
  const int base = SettledWaiters(f.clock);
  std::thread advancer([&] {
    // The final, empty poll waits on the clock: let its idle time pass.
    Eventually([&] { return f.clock.NumWaiters() > base; });
    f.clock.Advance(absl::Seconds(2));
  });
  auto range = consumer->Records(absl::Seconds(1));
  for (const ConsumerRecord& r : range) {
    CHECK(r.value_string() == "v" + std::to_string(r.offset));
    ++n;
  }
  advancer.join();
  CHECK(n == 12);
  CHECK(range.status().ok());
}

TEST_CASE("bad assignments and a closed consumer fail clearly", "[consumer][errors]") {
  ClientFixture f;
  f.Topic("t", 1);
  auto consumer = f.MakeConsumer();
  CHECK(ErrorCodeOf(consumer->Assign({{"t", 1}})) == ErrorCode::kUnknownTopicOrPartition);
  CHECK(consumer->Assignment().empty());
  ConsumerConfig bad;
  bad.max_poll_records = 0;
  CHECK(ErrorCodeOf(Consumer::Create(f.broker.get(), bad).status()) == ErrorCode::kInvalidConfig);
  REQUIRE(consumer->Assign({{"t", 0}}).ok());
  REQUIRE(consumer->Close().ok());
  CHECK(consumer->Poll(absl::ZeroDuration()).status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(consumer->Assign({{"t", 0}}).code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("the fetch decoder checks CRCs, skips earlier records and ignores a cut tail",
          "[consumer][decode]") {
  record::RecordBatchOptions options;
  options.base_offset = 10;
  record::RecordBatchBuilder b1(options);
  for (int i = 0; i < 3; ++i) b1.Append(1000 + i, "k", "v" + std::to_string(i));
  options.base_offset = 13;
  options.compression = record::CompressionType::kLz4;
  record::RecordBatchBuilder b2(options);
  for (int i = 0; i < 2; ++i) b2.Append(2000 + i, std::nullopt, "c" + std::to_string(i));
  const std::string batch1 = b1.Build().value();
  const std::string batch2 = b2.Build().value();
  const TopicPartition tp{"t", 0};

  client::DecodedFetch out;
  REQUIRE(client::DecodeFetchedRecords(tp, SharedBytes::Copy(batch1 + batch2), 11, true, &out).ok());
  std::vector<int64_t> offsets;
  for (const auto& r : out.records) offsets.push_back(r.offset);
  CHECK(offsets == std::vector<int64_t>{11, 12, 13, 14});
  CHECK(out.next_fetch_offset == 15);
  CHECK(out.records[3].value_string() == "c1");

  // A fetch cut inside the second batch: the whole first batch, no error.
  client::DecodedFetch cut;
  REQUIRE(client::DecodeFetchedRecords(tp, SharedBytes::Copy(batch1 + batch2.substr(0, 30)), 10,
                                       true, &cut).ok());
  CHECK(cut.records.size() == 3);
  CHECK(cut.next_fetch_offset == 13);

  // A flipped bit: CORRUPT_MESSAGE with check.crcs, not without.
  std::string bad = batch1;
  bad[bad.size() - 2] ^= 1;
  client::DecodedFetch corrupt;
  absl::Status s = client::DecodeFetchedRecords(tp, SharedBytes::Copy(bad), 10, true, &corrupt);
  CHECK(ErrorCodeOf(s) == ErrorCode::kCorruptMessage);
  CHECK(s.message().find("t-0") != std::string::npos);
  client::DecodedFetch unchecked;
  CHECK(client::DecodeFetchedRecords(tp, SharedBytes::Copy(bad), 10, false, &unchecked).ok());
  CHECK(unchecked.records.size() == 3);
}

TEST_CASE("fetched records are decoded a few at a time across batches", "[consumer][decode]") {
  record::RecordBatchOptions options;
  options.base_offset = 10;
  record::RecordBatchBuilder b1(options);
  for (int i = 0; i < 3; ++i) b1.Append(1000 + i, "k", "a" + std::to_string(i));
  options.base_offset = 13;
  options.compression = record::CompressionType::kZstd;
  record::RecordBatchBuilder b2(options);
  for (int i = 0; i < 3; ++i) b2.Append(2000 + i, std::nullopt, "b" + std::to_string(i));
  const std::string batches = b1.Build().value() + b2.Build().value();

  client::FetchedRecords fetched({"t", 0}, SharedBytes::Copy(batches), 11, true);
  REQUIRE(fetched.Prepare().ok());
  CHECK_FALSE(fetched.exhausted());
  std::vector<ConsumerRecord> out;
  REQUIRE(fetched.Take(2, &out).ok());
  REQUIRE(out.size() == 2);
  CHECK(out[0].offset == 11);
  CHECK(out[1].offset == 12);
  CHECK_FALSE(fetched.exhausted());
  REQUIRE(fetched.Take(2, &out).ok());  // crosses into the compressed batch
  REQUIRE(out.size() == 4);
  CHECK(out[2].value_string() == "b0");
  CHECK(out[3].offset == 14);
  REQUIRE(fetched.Take(10, &out).ok());
  REQUIRE(out.size() == 5);
  CHECK(out[4].value_string() == "b2");
  CHECK(fetched.exhausted());
  CHECK(fetched.next_fetch_offset() == 16);

  // Nothing at or past the position: exhausted after Prepare, next offset
  // past the batches.
  client::FetchedRecords behind({"t", 0}, SharedBytes::Copy(batches), 16, true);
  REQUIRE(behind.Prepare().ok());
  CHECK(behind.exhausted());
}

TEST_CASE("acknowledged records survive a crash when every append is flushed", "[consumer][crash]") {
  ManualClock clock;
  std::unique_ptr<Env> base = NewMemEnv(&clock);
  FaultInjectionEnv env(base.get());
  BrokerConfig config = BrokerFixture::DefaultConfig();
  config.log_flush_interval_messages = 1;  // fsync per append
  auto broker = Broker::Open(config, {&env, &clock}).value();
  REQUIRE(broker->CreateTopic({.name = "durable", .num_partitions = 2}).ok());
  auto producer = Producer::Create(broker.get(), {}).value();
  int acked = 0;
  for (int i = 0; i < 40; ++i) {
    acked += producer->Send({.topic = "durable", .partition = i % 2, .value = std::to_string(i)}).Get().ok();
  }
  CHECK(acked == 40);
  REQUIRE(producer->Close().ok());
  env.Halt();  // the process dies: no clean shutdown, no last flush
  broker.reset();
  REQUIRE(env.SimulateCrash().ok());  // drops everything not synced

  auto reopened = Broker::Open(config, {&env, &clock});
  REQUIRE(reopened.ok());
  CHECK_FALSE((*reopened)->recovery_info().clean_shutdown);
  CHECK((*reopened)->recovery_info().partitions_recovered == 2);
  auto consumer = Consumer::Create(reopened->get(), Earliest()).value();
  REQUIRE(consumer->Assign({{"durable", 0}, {"durable", 1}}).ok());
  int n = 0;
  for (const auto& r : PollAll(*consumer)) {
    CHECK(std::stoi(r.value_string()) % 2 == r.partition);
    ++n;
  }
  CHECK(n == 40);
}

TEST_CASE("a broker reopened after Close has every acknowledged record", "[consumer][restart]") {
  ClientFixture f;
  f.Topic("kept", 3);
  for (int i = 0; i < 30; ++i) f.Send({.topic = "kept", .key = "k" + std::to_string(i % 7), .value = std::to_string(i)});
  REQUIRE(f.producer->Close().ok());
  f.Reopen();
  CHECK(f.broker->recovery_info().clean_shutdown);
  CHECK(f.broker->recovery_info().partitions_loaded == 3);
  CHECK(f.broker->recovery_info().partitions_recovered == 0);
  auto consumer = f.MakeConsumer(Earliest());
  REQUIRE(consumer->Assign({{"kept", 0}, {"kept", 1}, {"kept", 2}}).ok());
  std::set<int> values;
  for (const auto& r : PollAll(*consumer)) {
    CHECK(r.partition == KeyPartition(r.key_string(), 3));
    values.insert(std::stoi(r.value_string()));
  }
  CHECK(values.size() == 30);
}

TEST_CASE("retention and segment rolls driven by the manual clock", "[consumer][retention]") {
  ClientFixture f;
  NewTopic t;
  t.name = "short";
  t.num_partitions = 1;
  t.configs = {{"segment.ms", "1000"}, {"retention.ms", "5000"}};
  REQUIRE(f.broker->CreateTopic(t).ok());
  for (int i = 0; i < 10; ++i) {
    f.Send({.topic = "short", .partition = 0, .value = std::to_string(i)});
    f.clock.Advance(absl::Milliseconds(1500));  // each record rolls a new segment
  }
  auto before = f.broker->DescribeTopic("short").value();
  REQUIRE(f.broker->RunRetention().ok());
  auto consumer = f.MakeConsumer(Earliest());
  REQUIRE(consumer->Assign({{"short", 0}}).ok());
  const std::vector<ConsumerRecord> records = PollAll(*consumer);
  REQUIRE_FALSE(records.empty());
  // Records older than retention.ms are gone with their segments; the newest stay.
  CHECK(records.front().offset > 0);
  CHECK(records.back().offset == 9);
  CHECK(consumer->BeginningOffsets({{"short", 0}})->at({"short", 0}) == records.front().offset);
}

}  // namespace
}  // namespace samsa
