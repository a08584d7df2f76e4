// The data-path handlers (Metadata, Produce, Fetch, ListOffsets,
// OffsetForLeaderEpoch, InitProducerId, DescribeCluster) called without
// sockets on a broker over MemEnv and a manual clock. Expected values come
// from Kafka's schemas and documented semantics; versions tested are the
// lowest and highest advertised and the ones the Debian clients send
// (kafka-python 2.0.2, librdkafka 2.0.2) and the Java client asks for.
#include <chrono>
#include <climits>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/escaping.h"

#include "broker/broker_test_util.h"
#include "kafka/handler_test_util.h"
#include "kafka/messages/messages.h"
#include "kafka/server/handler.h"
#include "kafka/server/server_context.h"
#include "record/record_batch.h"
#include "samsa/errors.h"

namespace samsa::kafka {
namespace {

namespace kt = samsa::kafka::testing;
namespace st = samsa::testing;

constexpr int16_t kNone = 0;
constexpr int16_t kOffsetOutOfRange = 1;
constexpr int16_t kCorruptMessage = 2;
constexpr int16_t kUnknownTopicOrPartition = 3;
constexpr int16_t kNotLeaderOrFollower = 6;
constexpr int16_t kInvalidTopic = 17;
constexpr int16_t kInvalidRequiredAcks = 21;
constexpr int16_t kInvalidRequest = 42;
constexpr int16_t kOutOfOrderSequenceNumber = 45;
constexpr int16_t kInvalidProducerEpoch = 47;
constexpr int16_t kTransactionalIdAuthorizationFailed = 53;
constexpr int16_t kFetchSessionIdNotFound = 70;
constexpr int16_t kFencedLeaderEpoch = 74;
constexpr int16_t kUnknownLeaderEpoch = 75;
constexpr int16_t kUnsupportedCompressionType = 76;
constexpr int16_t kInvalidRecord = 87;
constexpr int16_t kUnknownTopicId = 100;

struct Fixture : st::BrokerFixture {
  std::unique_ptr<SingleBrokerContext> server;

  explicit Fixture(bool auto_create = true) {
    config.auto_create_topics_enable = auto_create;
    Open();
    server = std::make_unique<SingleBrokerContext>(&impl(), "samsa-test-cluster");
    server->SetEndpoint("PLAINTEXT", "127.0.0.1", 19092);
  }
  ServerContext* ctx() { return server.get(); }

  void CreateTopic(const std::string& name, int32_t partitions = 1,
                   std::map<std::string, std::string> configs = {}) {
    REQUIRE(broker
                ->CreateTopic(
                    {.name = name, .num_partitions = partitions, .configs = std::move(configs)})
                .ok());
  }
  int64_t LogEnd(const TopicPartition& tp) {
    auto p = impl().GetPartition(tp);
    REQUIRE(p != nullptr);
    return p->log()->log_end_offset().value();
  }
};

std::string Batch(int n, const std::string& prefix, int64_t ts,
                  record::RecordBatchOptions options = record::RecordBatchOptions{}) {
  record::RecordBatchBuilder builder(options);
  for (int i = 0; i < n; ++i)
    builder.Append(ts + i, "k" + std::to_string(i), prefix + "-" + std::to_string(i));
  absl::StatusOr<std::string> batch = builder.Build();
  REQUIRE(batch.ok());
  return *std::move(batch);
}

ProduceRequest ProduceOf(const std::string& topic, int32_t partition,
                         std::optional<std::string> records, int16_t acks = 1) {
  ProduceRequest r;
  r.transactional_id = std::nullopt;
  r.acks = acks;
  r.timeout_ms = 30000;
  ProduceRequest::TopicProduceData t;
  t.name = topic;
  ProduceRequest::PartitionProduceData p;
  p.index = partition;
  p.records = std::move(records);
  t.partition_data.push_back(std::move(p));
  r.topic_data.push_back(std::move(t));
  return r;
}

FetchRequest FetchOf(const std::string& topic, int32_t partition, int64_t offset,
                     int32_t max_wait_ms = 0, int32_t min_bytes = 1) {
  FetchRequest r;
  r.replica_id = -1;
  r.max_wait_ms = max_wait_ms;
  r.min_bytes = min_bytes;
  r.max_bytes = 50 << 20;
  FetchRequest::FetchTopic t;
  t.topic = topic;
  FetchRequest::FetchPartition p;
  p.partition = partition;
  p.fetch_offset = offset;
  p.partition_max_bytes = 1 << 20;
  t.partitions.push_back(p);
  r.topics.push_back(std::move(t));
  return r;
}

ListOffsetsRequest ListOffsetsOf(const std::string& topic, int32_t partition, int64_t timestamp) {
  ListOffsetsRequest r;
  r.replica_id = -1;
  ListOffsetsRequest::ListOffsetsTopic t;
  t.name = topic;
  ListOffsetsRequest::ListOffsetsPartition p;
  p.partition_index = partition;
  p.timestamp = timestamp;
  t.partitions.push_back(p);
  r.topics.push_back(std::move(t));
  return r;
}

OffsetForLeaderEpochRequest EpochOf(const std::string& topic, int32_t partition,
                                    int32_t leader_epoch, int32_t current_leader_epoch = -1) {
  OffsetForLeaderEpochRequest r;
  OffsetForLeaderEpochRequest::OffsetForLeaderTopic t;
  t.topic = topic;
  OffsetForLeaderEpochRequest::OffsetForLeaderPartition p;
  p.partition = partition;
  p.leader_epoch = leader_epoch;
  p.current_leader_epoch = current_leader_epoch;
  t.partitions.push_back(p);
  r.topics.push_back(std::move(t));
  return r;
}

MetadataRequest MetadataOf(std::optional<std::vector<std::string>> names,
                           bool allow_auto_create = true) {
  MetadataRequest r;
  if (names) {
    r.topics.emplace();
    for (const std::string& n : *names) {
      MetadataRequest::MetadataRequestTopic t;
      t.name = n;
      r.topics->push_back(t);
    }
  } else {
    r.topics = std::nullopt;
  }
  r.allow_auto_topic_creation = allow_auto_create;
  return r;
}

std::set<std::string> TopicNames(const MetadataResponse& r) {
  std::set<std::string> names;
  for (const auto& t : r.topics) names.insert(t.name.value_or("<null>"));
  return names;
}

// The stored batch differs from the produced one only in the fields the
// broker stamps outside the CRC: baseOffset and partitionLeaderEpoch.
void CheckSameBatch(const std::string& produced, const std::string& fetched, int64_t base_offset) {
  REQUIRE(fetched.size() == produced.size());
  CHECK(fetched.substr(16) == produced.substr(16));  // magic, CRC and everything it covers
  std::vector<st::TestRecord> records = st::DecodeAll(fetched);
  REQUIRE(!records.empty());
  CHECK(records.front().offset == base_offset);
}

// --- Versions ------------------------------------------------------------------------------

TEST_CASE("the data handlers cover the versions the Debian and Java clients send",
          "[kafka][handlers]") {
  struct Need {
    ApiKey key;
    std::vector<int16_t> versions;
  };
  // kafka-python 2.0.2, librdkafka 2.0.2, the Java client 3.x (its newest).
  const std::vector<Need> needs = {
      {ApiKey::kMetadata, {0, 1, 4, 5, 12}},   {ApiKey::kProduce, {7, 9}},
      {ApiKey::kFetch, {4, 11, 12, 13}},       {ApiKey::kListOffsets, {1, 2, 7}},
      {ApiKey::kOffsetForLeaderEpoch, {2, 4}}, {ApiKey::kInitProducerId, {4}},
      {ApiKey::kDescribeCluster, {0}},
  };
  for (const Need& n : needs) {
    const ApiHandler* h = FindHandler(n.key);
    REQUIRE(h != nullptr);
    for (int16_t v : n.versions) {
      INFO("api " << static_cast<int>(n.key) << " v" << v);
      CHECK(h->min_version <= v);
      CHECK(v <= h->max_version);
    }
  }
  // Old clients' versions too (sarama by default, kafka-python with an old
  // api_version, librdkafka with api.version.request=false): Produce v0-2
  // and Fetch v0-3 carry legacy message sets, converted; ListOffsets v0.
  CHECK(FindHandler(ApiKey::kProduce)->min_version == 0);
  CHECK(FindHandler(ApiKey::kFetch)->min_version == 0);
  CHECK(FindHandler(ApiKey::kListOffsets)->min_version == 0);
}

// --- Metadata ------------------------------------------------------------------------------

TEST_CASE("metadata v0 with an empty topic list describes every topic",
          "[kafka][handlers][metadata]") {
  Fixture f;
  f.CreateTopic("alpha", 2);
  f.CreateTopic("beta", 1);
  auto r = kt::Call<MetadataResponse>(f.ctx(), MetadataOf(std::vector<std::string>{}), 0);
  REQUIRE(r.ok());
  REQUIRE(r->brokers.size() == 1);
  CHECK(r->brokers[0].node_id == 0);
  CHECK(r->brokers[0].host == "127.0.0.1");
  CHECK(r->brokers[0].port == 19092);
  CHECK(TopicNames(*r) == std::set<std::string>{"alpha", "beta"});
  for (const auto& t : r->topics) {
    CHECK(t.error_code == kNone);
    if (t.name == "alpha") {
      REQUIRE(t.partitions.size() == 2);
      CHECK(t.partitions[1].partition_index == 1);
      CHECK(t.partitions[1].leader_id == 0);
      CHECK(t.partitions[1].replica_nodes == std::vector<int32_t>{0});
      CHECK(t.partitions[1].isr_nodes == std::vector<int32_t>{0});
    }
  }
}

TEST_CASE("metadata v1: a null list is every topic, an empty list none",
          "[kafka][handlers][metadata]") {
  Fixture f;
  f.CreateTopic("alpha");
  auto all = kt::Call<MetadataResponse>(f.ctx(), MetadataOf(std::nullopt), 1);
  REQUIRE(all.ok());
  CHECK(TopicNames(*all) == std::set<std::string>{"alpha"});
  CHECK(all->controller_id == 0);
  auto none = kt::Call<MetadataResponse>(f.ctx(), MetadataOf(std::vector<std::string>{}), 1);
  REQUIRE(none.ok());
  CHECK(none->topics.empty());
  CHECK(none->brokers.size() == 1);
}

TEST_CASE("metadata answers a topic named twice once", "[kafka][handlers][metadata]") {
  Fixture f;
  f.CreateTopic("twice");
  auto r = kt::Call<MetadataResponse>(f.ctx(),
                                      MetadataOf(std::vector<std::string>{"twice", "twice"}), 4);
  REQUIRE(r.ok());
  REQUIRE(r->topics.size() == 1);
  CHECK(r->topics[0].name == "twice");
}

TEST_CASE("metadata below v4 auto-creates a named topic", "[kafka][handlers][metadata]") {
  Fixture f;
  auto r = kt::Call<MetadataResponse>(f.ctx(), MetadataOf(std::vector<std::string>{"fresh"}), 1);
  REQUIRE(r.ok());
  REQUIRE(r->topics.size() == 1);
  CHECK(r->topics[0].error_code == kNone);
  CHECK(r->topics[0].partitions.size() == 1);  // num.partitions
  CHECK(f.impl().DescribeTopic("fresh").ok());
}

TEST_CASE("metadata v4 creates a missing topic only when the request allows it",
          "[kafka][handlers][metadata]") {
  Fixture f;
  auto denied =
      kt::Call<MetadataResponse>(f.ctx(), MetadataOf(std::vector<std::string>{"maybe"}, false), 4);
  REQUIRE(denied.ok());
  REQUIRE(denied->topics.size() == 1);
  CHECK(denied->topics[0].error_code == kUnknownTopicOrPartition);
  CHECK_FALSE(f.impl().DescribeTopic("maybe").ok());

  auto allowed =
      kt::Call<MetadataResponse>(f.ctx(), MetadataOf(std::vector<std::string>{"maybe"}, true), 4);
  REQUIRE(allowed.ok());
  REQUIRE(allowed->topics.size() == 1);
  CHECK(allowed->topics[0].error_code == kNone);
  CHECK(allowed->cluster_id == "samsa-test-cluster");
  CHECK(f.impl().DescribeTopic("maybe").ok());
}

TEST_CASE("metadata does not auto-create when the broker disables it",
          "[kafka][handlers][metadata]") {
  Fixture f(/*auto_create=*/false);
  auto r =
      kt::Call<MetadataResponse>(f.ctx(), MetadataOf(std::vector<std::string>{"nope"}, true), 5);
  REQUIRE(r.ok());
  REQUIRE(r->topics.size() == 1);
  CHECK(r->topics[0].error_code == kUnknownTopicOrPartition);
}

TEST_CASE("metadata reports an invalid topic name as INVALID_TOPIC_EXCEPTION",
          "[kafka][handlers][metadata]") {
  Fixture f;
  auto r =
      kt::Call<MetadataResponse>(f.ctx(), MetadataOf(std::vector<std::string>{"bad name!"}), 1);
  REQUIRE(r.ok());
  REQUIRE(r->topics.size() == 1);
  CHECK(r->topics[0].error_code == kInvalidTopic);
}

TEST_CASE("metadata v12 carries topic ids, leader epochs and finds a topic by id",
          "[kafka][handlers][metadata]") {
  Fixture f;
  f.CreateTopic("ids", 1);
  auto r = kt::Call<MetadataResponse>(f.ctx(), MetadataOf(std::vector<std::string>{"ids"}), 12);
  REQUIRE(r.ok());
  REQUIRE(r->topics.size() == 1);
  const auto& t = r->topics[0];
  CHECK(t.error_code == kNone);
  CHECK_FALSE(t.topic_id.IsZero());
  // The broker prints the id as base64url without padding, as Kafka does.
  auto described = f.impl().DescribeTopic("ids");
  REQUIRE(described.ok());
  std::string id_bytes;
  REQUIRE(absl::WebSafeBase64Unescape(described->topic_id, &id_bytes));
  REQUIRE(id_bytes.size() == 16);
  CHECK(std::string(reinterpret_cast<const char*>(t.topic_id.bytes.data()), 16) == id_bytes);
  CHECK_FALSE(t.is_internal);
  REQUIRE(t.partitions.size() == 1);
  CHECK(t.partitions[0].leader_epoch == 0);
  CHECK(t.partitions[0].offline_replicas.empty());
  CHECK(t.topic_authorized_operations == INT_MIN);  // not asked for

  MetadataRequest by_id;
  by_id.topics.emplace();
  MetadataRequest::MetadataRequestTopic known;
  known.name = std::nullopt;
  known.topic_id = t.topic_id;
  MetadataRequest::MetadataRequestTopic unknown;
  unknown.name = std::nullopt;
  unknown.topic_id.bytes[15] = 1;
  by_id.topics->push_back(known);
  by_id.topics->push_back(unknown);
  auto found = kt::Call<MetadataResponse>(f.ctx(), by_id, 12);
  REQUIRE(found.ok());
  REQUIRE(found->topics.size() == 2);
  CHECK(found->topics[0].name == "ids");
  CHECK(found->topics[0].error_code == kNone);
  CHECK(found->topics[1].name == std::nullopt);
  CHECK(found->topics[1].error_code == kUnknownTopicId);
  CHECK(found->topics[1].topic_id == unknown.topic_id);
}

TEST_CASE("metadata v8 reports authorized operations only when asked",
          "[kafka][handlers][metadata]") {
  Fixture f;
  f.CreateTopic("ops");
  MetadataRequest req = MetadataOf(std::vector<std::string>{"ops"});
  req.include_topic_authorized_operations = true;
  req.include_cluster_authorized_operations = true;
  auto r = kt::Call<MetadataResponse>(f.ctx(), req, 8);
  REQUIRE(r.ok());
  REQUIRE(r->topics.size() == 1);
  // AclOperation READ=3, WRITE=4 on topics; DESCRIBE=8 on the cluster.
  CHECK((r->topics[0].topic_authorized_operations & (1 << 3)) != 0);
  CHECK((r->topics[0].topic_authorized_operations & (1 << 4)) != 0);
  CHECK(r->topics[0].topic_authorized_operations != INT_MIN);
  CHECK((r->cluster_authorized_operations & (1 << 8)) != 0);
}

// --- Produce and Fetch -------------------------------------------------------------------

TEST_CASE("a batch produced at v7 comes back byte for byte from fetch v4, v11 and v12",
          "[kafka][handlers][produce][fetch]") {
  Fixture f;
  f.CreateTopic("t");
  const std::string first = Batch(3, "a", f.clock.NowMs());
  const std::string second = Batch(2, "b", f.clock.NowMs());
  auto p1 = kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, first), 7);
  REQUIRE(p1.ok());
  REQUIRE(p1->responses.size() == 1);
  REQUIRE(p1->responses[0].partition_responses.size() == 1);
  const auto& r1 = p1->responses[0].partition_responses[0];
  CHECK(r1.error_code == kNone);
  CHECK(r1.base_offset == 0);
  CHECK(r1.log_append_time_ms == -1);  // CreateTime topic
  CHECK(r1.log_start_offset == 0);
  auto p2 = kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, second), 7);
  REQUIRE(p2.ok());
  CHECK(p2->responses[0].partition_responses[0].base_offset == 3);

  for (int16_t version : {4, 11, 12}) {
    INFO("fetch v" << version);
    auto r = kt::Call<FetchResponse>(f.ctx(), FetchOf("t", 0, 3), version);
    REQUIRE(r.ok());
    CHECK(r->error_code == kNone);
    CHECK(r->session_id == 0);
    REQUIRE(r->responses.size() == 1);
    CHECK(r->responses[0].topic == "t");
    REQUIRE(r->responses[0].partitions.size() == 1);
    const auto& part = r->responses[0].partitions[0];
    CHECK(part.error_code == kNone);
    CHECK(part.high_watermark == 5);
    CHECK(part.last_stable_offset == 5);
    if (version >= 5) CHECK(part.log_start_offset == 0);
    if (version >= 11) CHECK(part.preferred_read_replica == -1);
    CHECK(part.aborted_transactions == std::nullopt);  // read_uncommitted
    REQUIRE(part.records.has_value());
    CheckSameBatch(second, *part.records, 3);
  }
  auto from_start = kt::Call<FetchResponse>(f.ctx(), FetchOf("t", 0, 0), 11);
  REQUIRE(from_start.ok());
  const std::string& both = *from_start->responses[0].partitions[0].records;
  REQUIRE(both.size() == first.size() + second.size());
  CheckSameBatch(first, both.substr(0, first.size()), 0);
  CheckSameBatch(second, both.substr(first.size()), 3);
}

// The topic's compression.type is the codec records are stored with
// (LogValidator recompresses); a Fetch below v10 cannot carry zstd, so
// Kafka's KafkaApis answers it with UNSUPPORTED_COMPRESSION_TYPE for a topic
// whose compression.type is zstd (KIP-110).
TEST_CASE("a topic's compression.type recompresses produced batches, and zstd needs fetch v10",
          "[kafka][handlers][produce][fetch]") {
  Fixture f;
  f.CreateTopic("z", 1, {{"compression.type", "zstd"}});
  f.CreateTopic("g", 1, {{"compression.type", "gzip"}});
  const std::string sent = Batch(3, "a", f.clock.NowMs());  // uncompressed
  for (const char* topic : {"z", "g"}) {
    auto p = kt::Call<ProduceResponse>(f.ctx(), ProduceOf(topic, 0, sent), 7);
    REQUIRE(p.ok());
    CHECK(p->responses[0].partition_responses[0].error_code == kNone);
  }
  // The partition's records are `sent`, stored with `codec`.
  const auto check_stored = [&](const FetchResponse::PartitionData& p,
                                record::CompressionType codec) {
    CHECK(p.error_code == kNone);
    REQUIRE(p.records.has_value());
    auto batch = record::RecordBatchView::Parse(*p.records);
    REQUIRE(batch.ok());
    CHECK(batch->compression() == codec);
    CHECK(st::DecodeAll(*p.records) == st::DecodeAll(sent));
  };
  for (int16_t version : {4, 9, 10, 11}) {
    INFO("fetch v" << version);
    auto z = kt::Call<FetchResponse>(f.ctx(), FetchOf("z", 0, 0), version);
    REQUIRE(z.ok());
    const auto& zp = z->responses[0].partitions[0];
    auto g = kt::Call<FetchResponse>(f.ctx(), FetchOf("g", 0, 0), version);
    REQUIRE(g.ok());
    check_stored(g->responses[0].partitions[0], record::CompressionType::kGzip);
    if (version < 10) {
      CHECK(zp.error_code == kUnsupportedCompressionType);
      CHECK(zp.records.value_or("").empty());
    } else {
      check_stored(zp, record::CompressionType::kZstd);
    }
  }
}

TEST_CASE("produce at v3 and v9 appends and reports offsets", "[kafka][handlers][produce]") {
  Fixture f;
  f.CreateTopic("t");
  auto v3 =
      kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, Batch(2, "x", f.clock.NowMs())), 3);
  REQUIRE(v3.ok());
  CHECK(v3->responses[0].partition_responses[0].error_code == kNone);
  CHECK(v3->responses[0].partition_responses[0].base_offset == 0);
  auto v9 =
      kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, Batch(1, "y", f.clock.NowMs())), 9);
  REQUIRE(v9.ok());
  const auto& r = v9->responses[0].partition_responses[0];
  CHECK(r.error_code == kNone);
  CHECK(r.base_offset == 2);
  CHECK(r.log_start_offset == 0);
  CHECK(r.error_message == std::nullopt);
  CHECK(r.record_errors.empty());
  CHECK(f.LogEnd({"t", 0}) == 3);
}

TEST_CASE("produce to a LogAppendTime topic returns the broker's append time",
          "[kafka][handlers][produce]") {
  Fixture f;
  f.CreateTopic("lat", 1, {{"message.timestamp.type", "LogAppendTime"}});
  f.clock.Advance(absl::Seconds(5));
  const int64_t now = f.clock.NowMs();
  auto r = kt::Call<ProduceResponse>(f.ctx(), ProduceOf("lat", 0, Batch(1, "x", 1000)), 7);
  REQUIRE(r.ok());
  CHECK(r->responses[0].partition_responses[0].error_code == kNone);
  CHECK(r->responses[0].partition_responses[0].log_append_time_ms == now);
}

TEST_CASE("produce with acks=0 stores the records and sends no response",
          "[kafka][handlers][produce]") {
  Fixture f;
  f.CreateTopic("t");
  auto fut = kt::StartCall(f.ctx(), ProduceOf("t", 0, Batch(4, "q", f.clock.NowMs()), 0), 7);
  REQUIRE(fut.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  HandlerResponse r = fut.get();
  CHECK(r.kind == HandlerResponse::Kind::kNoResponse);
  CHECK(f.FetchAll({"t", 0}).size() == 4);
}

TEST_CASE("produce with acks=0 that fails closes the connection", "[kafka][handlers][produce]") {
  Fixture f;
  auto fut = kt::StartCall(f.ctx(), ProduceOf("missing", 0, Batch(1, "q", f.clock.NowMs()), 0), 7);
  REQUIRE(fut.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(fut.get().kind == HandlerResponse::Kind::kClose);
}

TEST_CASE("produce with a bad CRC is CORRUPT_MESSAGE and stores nothing",
          "[kafka][handlers][produce]") {
  Fixture f;
  f.CreateTopic("t");
  std::string batch = Batch(2, "x", f.clock.NowMs());
  batch[batch.size() - 1] ^= 0x5a;  // a value byte, under the CRC
  auto r = kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, batch), 7);
  REQUIRE(r.ok());
  const auto& p = r->responses[0].partition_responses[0];
  CHECK(p.error_code == kCorruptMessage);
  CHECK(p.base_offset == -1);
  CHECK(f.LogEnd({"t", 0}) == 0);
}

TEST_CASE("produce never auto-creates: an unknown topic is UNKNOWN_TOPIC_OR_PARTITION",
          "[kafka][handlers][produce]") {
  Fixture f(/*auto_create=*/false);
  auto r =
      kt::Call<ProduceResponse>(f.ctx(), ProduceOf("ghost", 0, Batch(1, "x", f.clock.NowMs())), 7);
  REQUIRE(r.ok());
  CHECK(r->responses[0].partition_responses[0].error_code == kUnknownTopicOrPartition);
  Fixture g(/*auto_create=*/true);
  auto r2 =
      kt::Call<ProduceResponse>(g.ctx(), ProduceOf("ghost", 0, Batch(1, "x", g.clock.NowMs())), 7);
  REQUIRE(r2.ok());
  CHECK(r2->responses[0].partition_responses[0].error_code == kUnknownTopicOrPartition);
  CHECK_FALSE(g.impl().DescribeTopic("ghost").ok());
}

TEST_CASE("produce with invalid acks is INVALID_REQUIRED_ACKS and stores nothing",
          "[kafka][handlers][produce]") {
  Fixture f;
  f.CreateTopic("t");
  auto r =
      kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, Batch(1, "x", f.clock.NowMs()), 2), 7);
  REQUIRE(r.ok());
  CHECK(r->responses[0].partition_responses[0].error_code == kInvalidRequiredAcks);
  CHECK(f.LogEnd({"t", 0}) == 0);
}

TEST_CASE("produce rejects records that are not exactly one magic-2 batch",
          "[kafka][handlers][produce]") {
  Fixture f;
  f.CreateTopic("t");
  SECTION("null records") {
    auto r = kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, std::nullopt), 7);
    REQUIRE(r.ok());
    CHECK(r->responses[0].partition_responses[0].error_code == kInvalidRecord);
  }
  SECTION("two batches") {
    const std::string two = Batch(1, "x", 0) + Batch(1, "y", 0);
    auto r = kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, two), 7);
    REQUIRE(r.ok());
    CHECK(r->responses[0].partition_responses[0].error_code == kInvalidRecord);
  }
  SECTION("magic 1") {
    std::string batch = Batch(1, "x", 0);
    batch[16] = 1;
    auto r = kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, batch), 7);
    REQUIRE(r.ok());
    CHECK(r->responses[0].partition_responses[0].error_code == kInvalidRecord);
  }
  SECTION("a truncated batch") {
    const std::string batch = Batch(2, "x", 0);
    auto r =
        kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, batch.substr(0, batch.size() - 3)), 7);
    REQUIRE(r.ok());
    CHECK(r->responses[0].partition_responses[0].error_code == kInvalidRecord);
  }
  SECTION("a negative batch length") {
    std::string batch = Batch(1, "x", 0);
    batch[8] = static_cast<char>(0xff);
    auto r = kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, batch), 7);
    REQUIRE(r.ok());
    CHECK(r->responses[0].partition_responses[0].error_code == kInvalidRecord);
  }
  SECTION("a control batch") {
    record::RecordBatchOptions o;
    o.control = true;
    auto r = kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, Batch(1, "x", 0, o)), 7);
    REQUIRE(r.ok());
    CHECK(r->responses[0].partition_responses[0].error_code == kInvalidRecord);
  }
  SECTION("zstd below v7") {
    record::RecordBatchOptions o;
    o.compression = record::CompressionType::kZstd;
    auto r = kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, Batch(1, "x", 0, o)), 6);
    REQUIRE(r.ok());
    CHECK(r->responses[0].partition_responses[0].error_code == kUnsupportedCompressionType);
  }
  CHECK(f.LogEnd({"t", 0}) == 0);
}

TEST_CASE("clients may not produce to an internal topic", "[kafka][handlers][produce]") {
  Fixture f;
  REQUIRE(f.impl().Groups().ok());  // creates __consumer_offsets
  const int64_t before = f.LogEnd({"__consumer_offsets", 0});
  auto r =
      kt::Call<ProduceResponse>(f.ctx(), ProduceOf("__consumer_offsets", 0, Batch(1, "x", 0)), 7);
  REQUIRE(r.ok());
  CHECK(r->responses[0].partition_responses[0].error_code == kInvalidTopic);
  CHECK(f.LogEnd({"__consumer_offsets", 0}) == before);
  auto md = kt::Call<MetadataResponse>(
      f.ctx(), MetadataOf(std::vector<std::string>{"__consumer_offsets"}), 1);
  REQUIRE(md.ok());
  REQUIRE(md->topics.size() == 1);
  CHECK(md->topics[0].is_internal);
}

TEST_CASE("produce of a transactional batch is TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
          "[kafka][handlers][produce]") {
  Fixture f;
  f.CreateTopic("t");
  record::RecordBatchOptions o;
  o.producer_id = 7;
  o.producer_epoch = 0;
  o.base_sequence = 0;
  o.transactional = true;
  ProduceRequest req = ProduceOf("t", 0, Batch(1, "x", 0, o));
  req.transactional_id = "txn";
  auto r = kt::Call<ProduceResponse>(f.ctx(), req, 7);
  REQUIRE(r.ok());
  CHECK(r->responses[0].partition_responses[0].error_code == kTransactionalIdAuthorizationFailed);
  CHECK(f.LogEnd({"t", 0}) == 0);
}

TEST_CASE("an idempotent producer's batch (producer id, epoch, sequence) is stored",
          "[kafka][handlers][produce]") {
  Fixture f;
  f.CreateTopic("t");
  auto pid = kt::Call<InitProducerIdResponse>(
      f.ctx(),
      [] {
        InitProducerIdRequest r;
        r.transactional_id = std::nullopt;
        r.transaction_timeout_ms = -1;
        return r;
      }(),
      4);
  REQUIRE(pid.ok());
  REQUIRE(pid->error_code == kNone);
  record::RecordBatchOptions o;
  o.producer_id = pid->producer_id;
  o.producer_epoch = pid->producer_epoch;
  o.base_sequence = 0;
  auto r = kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, Batch(3, "idem", 0, o), -1), 9);
  REQUIRE(r.ok());
  CHECK(r->responses[0].partition_responses[0].error_code == kNone);
  CHECK(f.LogEnd({"t", 0}) == 3);

  // A retry (the client did not see the answer) gets the same offsets and
  // stores nothing; the next batch continues the sequence; a gap, or an
  // epoch older than the producer's, is refused (KIP-98, Kafka's
  // ProducerStateManager).
  o.base_sequence = 3;
  auto second = kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, Batch(2, "idem2", 0, o), -1), 9);
  REQUIRE(second.ok());
  CHECK(second->responses[0].partition_responses[0].base_offset == 3);
  for (int16_t version : {3, 7, 9}) {
    INFO("produce v" << version);
    auto retry = kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, Batch(2, "idem2", 0, o), -1),
                                           version);
    REQUIRE(retry.ok());
    CHECK(retry->responses[0].partition_responses[0].error_code == kNone);
    CHECK(retry->responses[0].partition_responses[0].base_offset == 3);
  }
  CHECK(f.LogEnd({"t", 0}) == 5);
  o.base_sequence = 6;
  auto gap = kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, Batch(1, "gap", 0, o), -1), 9);
  REQUIRE(gap.ok());
  CHECK(gap->responses[0].partition_responses[0].error_code == kOutOfOrderSequenceNumber);
  o.base_sequence = 5;
  o.producer_epoch = static_cast<int16_t>(pid->producer_epoch - 1);
  auto fenced = kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, Batch(1, "old", 0, o), -1), 9);
  REQUIRE(fenced.ok());
  CHECK(fenced->responses[0].partition_responses[0].error_code == kInvalidProducerEpoch);
  CHECK(f.LogEnd({"t", 0}) == 5);
}

TEST_CASE("fetch v13+ names topics by the id metadata gave", "[kafka][handlers][fetch]") {
  Fixture f;
  f.CreateTopic("byid");
  const std::string batch = Batch(2, "id", f.clock.NowMs());
  REQUIRE(kt::Call<ProduceResponse>(f.ctx(), ProduceOf("byid", 0, batch), 9).ok());
  auto md = kt::Call<MetadataResponse>(f.ctx(), MetadataOf(std::vector<std::string>{"byid"}), 12);
  REQUIRE(md.ok());
  REQUIRE(md->topics.size() == 1);
  const Uuid id = md->topics[0].topic_id;
  REQUIRE_FALSE(id.IsZero());
  for (int16_t version : {13, 15}) {
    INFO("fetch v" << version);
    FetchRequest req = FetchOf("", 0, 0);
    req.topics[0].topic_id = id;
    FetchRequest::FetchTopic ghost;
    ghost.topic_id.bytes[0] = 0x42;
    ghost.partitions.push_back({.partition = 0, .fetch_offset = 0, .partition_max_bytes = 1024});
    req.topics.push_back(ghost);
    auto r = kt::Call<FetchResponse>(f.ctx(), req, version);
    REQUIRE(r.ok());
    REQUIRE(r->responses.size() == 2);
    CHECK(r->responses[0].topic_id == id);
    const auto& part = r->responses[0].partitions[0];
    CHECK(part.error_code == kNone);
    CHECK(part.high_watermark == 2);
    REQUIRE(part.records.has_value());
    CheckSameBatch(batch, *part.records, 0);
    CHECK(r->responses[1].topic_id == ghost.topic_id);
    CHECK(r->responses[1].partitions[0].error_code == kUnknownTopicId);
  }
}

TEST_CASE("a fetch from a replica id that is not a follower of the partition is refused as Kafka does",
          "[kafka][handlers][fetch]") {
  // Partition.followerReplicaOrThrow: UNKNOWN_LEADER_EPOCH when the request
  // carries a current leader epoch, else NOT_LEADER_OR_FOLLOWER; this
  // broker's own id is not a follower either. A consumer (-1) is served.
  Fixture f;
  f.CreateTopic("t");
  const std::string batch = Batch(2, "r", f.clock.NowMs());
  REQUIRE(kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, batch), 9).ok());
  auto fetch = [&](int32_t replica_id, int32_t current_leader_epoch, int16_t version) {
    FetchRequest req = FetchOf("t", 0, 0);
    req.replica_id = replica_id;
    req.topics[0].partitions[0].current_leader_epoch = current_leader_epoch;
    auto r = kt::Call<FetchResponse>(f.ctx(), req, version);
    REQUIRE(r.ok());
    REQUIRE(r->responses.size() == 1);
    return r->responses[0].partitions[0];
  };
  CHECK(fetch(5, -1, 11).error_code == kNotLeaderOrFollower);
  CHECK(fetch(5, 0, 11).error_code == kUnknownLeaderEpoch);
  CHECK(fetch(0, -1, 11).error_code == kNotLeaderOrFollower);  // the leader itself
  CHECK(fetch(5, -1, 4).error_code == kNotLeaderOrFollower);   // v4: no epoch field
  CHECK(fetch(5, 3, 11).error_code == kUnknownLeaderEpoch);    // the epoch check comes first
  const auto consumer = fetch(-1, 0, 11);
  CHECK(consumer.error_code == kNone);
  REQUIRE(consumer.records.has_value());
  CheckSameBatch(batch, *consumer.records, 0);

  // v15 names the replica in replica_state (and topics by id).
  auto md = kt::Call<MetadataResponse>(f.ctx(), MetadataOf(std::vector<std::string>{"t"}), 12);
  REQUIRE(md.ok());
  FetchRequest v15 = FetchOf("", 0, 0);
  v15.topics[0].topic_id = md->topics[0].topic_id;
  v15.replica_state.replica_id = 5;
  auto r = kt::Call<FetchResponse>(f.ctx(), v15, 15);
  REQUIRE(r.ok());
  CHECK(r->responses[0].partitions[0].error_code == kNotLeaderOrFollower);

  // A follower in the assignment is served (up to the log end offset).
  f.impl().GetPartition({"t", 0})->SetLeadership(0, 0, {0, 5}, {0, 5});
  const auto follower = fetch(5, 0, 11);
  CHECK(follower.error_code == kNone);
  REQUIRE(follower.records.has_value());
  CheckSameBatch(batch, *follower.records, 0);
}

TEST_CASE("fetch long-polls until an append wakes it", "[kafka][handlers][fetch]") {
  Fixture f;
  f.CreateTopic("t");
  const int base = st::SettledWaiters(f.clock);
  auto fut = std::async(std::launch::async, [&] {
    return kt::Call<FetchResponse>(f.ctx(),
                                   FetchOf("t", 0, 0, /*max_wait_ms=*/500, /*min_bytes=*/1), 11,
                                   std::chrono::seconds(30));
  });
  while (f.clock.NumWaiters() <= base) std::this_thread::yield();  // the fetch waits on the clock
  CHECK(fut.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout);
  const std::string batch = Batch(2, "late", f.clock.NowMs());
  auto p = kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, batch), 7);
  REQUIRE(p.ok());
  auto r = fut.get();  // no clock movement: the append woke it
  REQUIRE(r.ok());
  const auto& part = r->responses[0].partitions[0];
  CHECK(part.error_code == kNone);
  CHECK(part.high_watermark == 2);
  REQUIRE(part.records.has_value());
  CheckSameBatch(batch, *part.records, 0);
}

TEST_CASE("fetch short of min_bytes returns what it has at max_wait", "[kafka][handlers][fetch]") {
  Fixture f;
  f.CreateTopic("t");
  const std::string batch = Batch(1, "small", f.clock.NowMs());
  REQUIRE(kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, batch), 7).ok());
  const int base = st::SettledWaiters(f.clock);
  auto fut = std::async(std::launch::async, [&] {
    return kt::Call<FetchResponse>(f.ctx(),
                                   FetchOf("t", 0, 0, /*max_wait_ms=*/500, /*min_bytes=*/1 << 20),
                                   4, std::chrono::seconds(30));
  });
  while (f.clock.NumWaiters() <= base) std::this_thread::yield();
  CHECK(fut.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout);
  f.clock.Advance(absl::Milliseconds(500));
  auto r = fut.get();
  REQUIRE(r.ok());
  const auto& part = r->responses[0].partitions[0];
  CHECK(part.error_code == kNone);
  REQUIRE(part.records.has_value());
  CheckSameBatch(batch, *part.records, 0);
}

TEST_CASE("fetch past the log end is OFFSET_OUT_OF_RANGE", "[kafka][handlers][fetch]") {
  Fixture f;
  f.CreateTopic("t");
  REQUIRE(kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, Batch(1, "x", 0)), 7).ok());
  auto r = kt::Call<FetchResponse>(f.ctx(), FetchOf("t", 0, 100, 500), 11);
  REQUIRE(r.ok());
  const auto& part = r->responses[0].partitions[0];
  CHECK(part.error_code == kOffsetOutOfRange);
  CHECK(part.high_watermark == -1);
  CHECK(part.records.value_or("x").empty());
}

TEST_CASE("fetch of an unknown topic is UNKNOWN_TOPIC_OR_PARTITION at once",
          "[kafka][handlers][fetch]") {
  Fixture f;
  f.CreateTopic("t");
  FetchRequest req = FetchOf("t", 0, 0, /*max_wait_ms=*/60000);
  FetchRequest::FetchTopic other;
  other.topic = "nope";
  other.partitions.push_back({.partition = 0, .fetch_offset = 0, .partition_max_bytes = 1024});
  req.topics.push_back(other);
  auto r = kt::Call<FetchResponse>(f.ctx(), req, 11);  // returns without the clock moving
  REQUIRE(r.ok());
  REQUIRE(r->responses.size() == 2);
  CHECK(r->responses[0].partitions[0].error_code == kNone);
  CHECK(r->responses[1].topic == "nope");
  CHECK(r->responses[1].partitions[0].error_code == kUnknownTopicOrPartition);
}

TEST_CASE("fetch sessions: a full request at epoch 0 gets a session, an unknown one is not found",
          "[kafka][handlers][fetch]") {
  // More in fetch_session_test.cc.
  Fixture f;
  f.CreateTopic("t");
  FetchRequest create = FetchOf("t", 0, 0);
  create.session_id = 0;
  create.session_epoch = 0;  // asks for a new session
  auto r = kt::Call<FetchResponse>(f.ctx(), create, 7);
  REQUIRE(r.ok());
  CHECK(r->error_code == kNone);
  CHECK(r->session_id > 0);
  REQUIRE(r->responses.size() == 1);

  FetchRequest incremental = FetchOf("t", 0, 0);
  incremental.session_id = r->session_id == 1234 ? 1235 : 1234;
  incremental.session_epoch = 1;
  auto i = kt::Call<FetchResponse>(f.ctx(), incremental, 11);
  REQUIRE(i.ok());
  CHECK(i->error_code == kFetchSessionIdNotFound);
  CHECK(i->responses.empty());
}

TEST_CASE("fetch read_committed carries an empty aborted transactions list",
          "[kafka][handlers][fetch]") {
  Fixture f;
  f.CreateTopic("t");
  REQUIRE(kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, Batch(1, "x", 0)), 7).ok());
  FetchRequest req = FetchOf("t", 0, 0);
  req.isolation_level = 1;
  auto r = kt::Call<FetchResponse>(f.ctx(), req, 4);
  REQUIRE(r.ok());
  const auto& part = r->responses[0].partitions[0];
  CHECK(part.error_code == kNone);
  REQUIRE(part.aborted_transactions.has_value());
  CHECK(part.aborted_transactions->empty());
  CHECK(part.last_stable_offset == 1);
}

TEST_CASE("fetch v9+ fences a stale or future leader epoch", "[kafka][handlers][fetch]") {
  Fixture f;
  f.CreateTopic("t");
  FetchRequest req = FetchOf("t", 0, 0);
  req.topics[0].partitions[0].current_leader_epoch = 1;  // the leader is at epoch 0
  auto r = kt::Call<FetchResponse>(f.ctx(), req, 11);
  REQUIRE(r.ok());
  CHECK(r->responses[0].partitions[0].error_code == kUnknownLeaderEpoch);
  req.topics[0].partitions[0].current_leader_epoch = 0;
  auto ok = kt::Call<FetchResponse>(f.ctx(), req, 11);
  REQUIRE(ok.ok());
  CHECK(ok->responses[0].partitions[0].error_code == kNone);
}

// --- ListOffsets ---------------------------------------------------------------------------

TEST_CASE("list offsets: earliest, latest and by timestamp", "[kafka][handlers][list_offsets]") {
  Fixture f;
  f.CreateTopic("t");
  const int64_t ts = 1'000'000;
  REQUIRE(kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, Batch(3, "x", ts)), 7)
              .ok());  // ts, ts+1, ts+2
  for (int16_t version : {1, 2, 7}) {
    INFO("list offsets v" << version);
    auto earliest = kt::Call<ListOffsetsResponse>(f.ctx(), ListOffsetsOf("t", 0, -2), version);
    REQUIRE(earliest.ok());
    CHECK(earliest->topics[0].partitions[0].error_code == kNone);
    CHECK(earliest->topics[0].partitions[0].offset == 0);
    CHECK(earliest->topics[0].partitions[0].timestamp == -1);
    auto latest = kt::Call<ListOffsetsResponse>(f.ctx(), ListOffsetsOf("t", 0, -1), version);
    REQUIRE(latest.ok());
    CHECK(latest->topics[0].partitions[0].offset == 3);
    auto by_time = kt::Call<ListOffsetsResponse>(f.ctx(), ListOffsetsOf("t", 0, ts + 1), version);
    REQUIRE(by_time.ok());
    CHECK(by_time->topics[0].partitions[0].offset == 1);
    CHECK(by_time->topics[0].partitions[0].timestamp == ts + 1);
    auto after = kt::Call<ListOffsetsResponse>(f.ctx(), ListOffsetsOf("t", 0, ts + 100), version);
    REQUIRE(after.ok());
    CHECK(after->topics[0].partitions[0].error_code == kNone);
    CHECK(after->topics[0].partitions[0].offset == -1);
    CHECK(after->topics[0].partitions[0].timestamp == -1);
  }
  auto v4 = kt::Call<ListOffsetsResponse>(f.ctx(), ListOffsetsOf("t", 0, -1), 4);
  REQUIRE(v4.ok());
  CHECK(v4->topics[0].partitions[0].leader_epoch == 0);
  auto max_ts = kt::Call<ListOffsetsResponse>(f.ctx(), ListOffsetsOf("t", 0, -3), 7);
  REQUIRE(max_ts.ok());
  CHECK(max_ts->topics[0].partitions[0].offset == 2);
  CHECK(max_ts->topics[0].partitions[0].timestamp == ts + 2);
}

TEST_CASE("list offsets errors: unknown partition, duplicates, fenced epoch",
          "[kafka][handlers][list_offsets]") {
  Fixture f;
  f.CreateTopic("t");
  auto unknown = kt::Call<ListOffsetsResponse>(f.ctx(), ListOffsetsOf("t", 5, -1), 2);
  REQUIRE(unknown.ok());
  CHECK(unknown->topics[0].partitions[0].error_code == kUnknownTopicOrPartition);
  CHECK(unknown->topics[0].partitions[0].offset == -1);

  ListOffsetsRequest dup = ListOffsetsOf("t", 0, -1);
  dup.topics[0].partitions.push_back(dup.topics[0].partitions[0]);
  auto d = kt::Call<ListOffsetsResponse>(f.ctx(), dup, 2);
  REQUIRE(d.ok());
  REQUIRE(d->topics[0].partitions.size() == 2);
  CHECK(d->topics[0].partitions[0].error_code == kInvalidRequest);
  CHECK(d->topics[0].partitions[1].error_code == kInvalidRequest);

  ListOffsetsRequest fenced = ListOffsetsOf("t", 0, -1);
  fenced.topics[0].partitions[0].current_leader_epoch = 3;
  auto e = kt::Call<ListOffsetsResponse>(f.ctx(), fenced, 7);
  REQUIRE(e.ok());
  CHECK(e->topics[0].partitions[0].error_code == kUnknownLeaderEpoch);
}

// --- OffsetForLeaderEpoch ------------------------------------------------------------------

TEST_CASE("offset for leader epoch: the current epoch ends at the log end offset",
          "[kafka][handlers][offset_for_leader_epoch]") {
  Fixture f;
  f.CreateTopic("t");
  REQUIRE(kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, Batch(3, "x", 0)), 7).ok());
  for (int16_t version : {0, 2, 4}) {
    INFO("v" << version);
    auto r = kt::Call<OffsetForLeaderEpochResponse>(f.ctx(), EpochOf("t", 0, 0), version);
    REQUIRE(r.ok());
    const auto& p = r->topics[0].partitions[0];
    CHECK(p.error_code == kNone);
    CHECK(p.end_offset == 3);
    if (version >= 1) CHECK(p.leader_epoch == 0);
  }
  auto future_epoch = kt::Call<OffsetForLeaderEpochResponse>(f.ctx(), EpochOf("t", 0, 5), 4);
  REQUIRE(future_epoch.ok());
  CHECK(future_epoch->topics[0].partitions[0].error_code == kNone);
  CHECK(future_epoch->topics[0].partitions[0].end_offset == -1);
  CHECK(future_epoch->topics[0].partitions[0].leader_epoch == -1);
  auto undefined = kt::Call<OffsetForLeaderEpochResponse>(f.ctx(), EpochOf("t", 0, -1), 4);
  REQUIRE(undefined.ok());
  CHECK(undefined->topics[0].partitions[0].end_offset == -1);

  auto unknown = kt::Call<OffsetForLeaderEpochResponse>(f.ctx(), EpochOf("nope", 0, 0), 4);
  REQUIRE(unknown.ok());
  CHECK(unknown->topics[0].partitions[0].error_code == kUnknownTopicOrPartition);
  auto fenced =
      kt::Call<OffsetForLeaderEpochResponse>(f.ctx(), EpochOf("t", 0, 0, /*current=*/2), 4);
  REQUIRE(fenced.ok());
  CHECK(fenced->topics[0].partitions[0].error_code == kUnknownLeaderEpoch);
}

TEST_CASE("offset for leader epoch: an older epoch ends where the next stored epoch starts",
          "[kafka][handlers][offset_for_leader_epoch]") {
  Fixture f;
  f.CreateTopic("t");
  auto partition = f.impl().GetPartition({"t", 0});
  REQUIRE(partition != nullptr);
  REQUIRE(kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, Batch(3, "e0", 0)), 7)
              .ok());  // 0-2 at epoch 0
  partition->SetLeadership(0, 2, {0}, {0});
  REQUIRE(kt::Call<ProduceResponse>(f.ctx(), ProduceOf("t", 0, Batch(2, "e2", 0)), 7)
              .ok());  // 3-4 at epoch 2
  partition->SetLeadership(0, 4, {0}, {0});

  // Epoch 1 never wrote: Kafka answers the largest epoch below it (0) and
  // the start of the next one (2 at offset 3).
  auto r1 = kt::Call<OffsetForLeaderEpochResponse>(f.ctx(), EpochOf("t", 0, 1), 4);
  REQUIRE(r1.ok());
  CHECK(r1->topics[0].partitions[0].leader_epoch == 0);
  CHECK(r1->topics[0].partitions[0].end_offset == 3);
  // Epoch 2 ends where epoch 4 (the current one) began: the log end.
  auto r2 = kt::Call<OffsetForLeaderEpochResponse>(f.ctx(), EpochOf("t", 0, 2), 4);
  REQUIRE(r2.ok());
  CHECK(r2->topics[0].partitions[0].leader_epoch == 2);
  CHECK(r2->topics[0].partitions[0].end_offset == 5);
  auto r4 = kt::Call<OffsetForLeaderEpochResponse>(f.ctx(), EpochOf("t", 0, 4), 4);
  REQUIRE(r4.ok());
  CHECK(r4->topics[0].partitions[0].leader_epoch == 4);
  CHECK(r4->topics[0].partitions[0].end_offset == 5);
  // A client at epoch 2 while the leader is at 4 is fenced.
  auto fenced =
      kt::Call<OffsetForLeaderEpochResponse>(f.ctx(), EpochOf("t", 0, 2, /*current=*/2), 4);
  REQUIRE(fenced.ok());
  CHECK(fenced->topics[0].partitions[0].error_code == kFencedLeaderEpoch);
}

// --- InitProducerId and DescribeCluster -----------------------------------------------------

TEST_CASE("init producer id hands out distinct ids with epoch 0",
          "[kafka][handlers][init_producer_id]") {
  Fixture f;
  InitProducerIdRequest req;
  req.transactional_id = std::nullopt;
  req.transaction_timeout_ms = 60000;
  std::set<int64_t> ids;
  for (int16_t version : {0, 4, 4}) {
    auto r = kt::Call<InitProducerIdResponse>(f.ctx(), req, version);
    REQUIRE(r.ok());
    CHECK(r->error_code == kNone);
    CHECK(r->producer_id >= 0);
    CHECK(r->producer_epoch == 0);
    ids.insert(r->producer_id);
  }
  CHECK(ids.size() == 3);
  req.transactional_id = "txn-1";
  auto txn = kt::Call<InitProducerIdResponse>(f.ctx(), req, 4);
  REQUIRE(txn.ok());
  CHECK(txn->error_code == kTransactionalIdAuthorizationFailed);
  CHECK(txn->producer_id == -1);
}

TEST_CASE("describe cluster v0 lists the brokers, the cluster id and the controller",
          "[kafka][handlers][describe_cluster]") {
  Fixture f;
  auto r = kt::Call<DescribeClusterResponse>(f.ctx(), DescribeClusterRequest{}, 0);
  REQUIRE(r.ok());
  CHECK(r->error_code == kNone);
  CHECK(r->error_message == std::nullopt);
  CHECK(r->cluster_id == "samsa-test-cluster");
  CHECK(r->controller_id == 0);
  REQUIRE(r->brokers.size() == 1);
  CHECK(r->brokers[0].broker_id == 0);
  CHECK(r->brokers[0].host == "127.0.0.1");
  CHECK(r->brokers[0].port == 19092);
  CHECK(r->cluster_authorized_operations == INT_MIN);
}

}  // namespace
}  // namespace samsa::kafka
