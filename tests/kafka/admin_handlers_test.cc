// The admin API handlers (CreateTopics, DeleteTopics, CreatePartitions,
// DescribeConfigs, AlterConfigs, IncrementalAlterConfigs, DeleteRecords),
// called without sockets on a broker over MemEnv. Expected values come from
// the message schemas and Kafka's documented semantics (error codes as
// org.apache.kafka.common.protocol.Errors numbers them; config sources as
// DescribeConfigsResponse.ConfigSource does).
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/escaping.h"

#include "broker/broker_test_util.h"
#include "kafka/handler_test_util.h"
#include "kafka/messages/messages.h"
#include "kafka/server/server_context.h"

namespace samsa::kafka {
namespace {

using samsa::testing::BrokerFixture;
using testing::Call;

// Kafka's error codes (Errors.java).
constexpr int16_t kNone = 0;
constexpr int16_t kOffsetOutOfRange = 1;
constexpr int16_t kUnknownTopicOrPartition = 3;
constexpr int16_t kInvalidTopic = 17;
constexpr int16_t kTopicAlreadyExists = 36;
constexpr int16_t kInvalidPartitions = 37;
constexpr int16_t kInvalidReplicationFactor = 38;
constexpr int16_t kInvalidReplicaAssignment = 39;
constexpr int16_t kInvalidConfig = 40;
constexpr int16_t kInvalidRequest = 42;
constexpr int16_t kPolicyViolation = 44;
constexpr int16_t kTopicDeletionDisabled = 73;
constexpr int16_t kUnknownTopicId = 100;

// ConfigResource.Type and DescribeConfigsResponse.ConfigSource / ConfigType.
constexpr int8_t kTopicResource = 2;
constexpr int8_t kBrokerResource = 4;
constexpr int8_t kDynamicTopicConfig = 1;
constexpr int8_t kStaticBrokerConfig = 4;
constexpr int8_t kDefaultConfig = 5;
constexpr int8_t kTypeLong = 5;
constexpr int8_t kTypeList = 7;

// A topic id as Kafka prints it (URL-safe base64, unpadded) -> its 16 bytes.
Uuid IdOf(const std::string& printed) {
  std::string bytes;
  REQUIRE(absl::WebSafeBase64Unescape(printed, &bytes));
  REQUIRE(bytes.size() == 16);
  Uuid id;
  std::copy(bytes.begin(), bytes.end(), id.bytes.begin());
  return id;
}

struct AdminFixture : BrokerFixture {
  std::unique_ptr<SingleBrokerContext> ctx;

  AdminFixture() {
    config.num_partitions = 3;  // so -1 visibly means num.partitions
  }
  SingleBrokerContext* Start() {
    Open();
    ctx = std::make_unique<SingleBrokerContext>(&impl(), "test-cluster");
    return ctx.get();
  }

  int32_t PartitionCount(const std::string& topic) {
    auto d = impl().DescribeTopic(topic);
    REQUIRE(d.ok());
    return static_cast<int32_t>(d->partitions.size());
  }
  bool Exists(const std::string& topic) {
    auto topics = impl().ListTopics(true);
    return std::find(topics.begin(), topics.end(), topic) != topics.end();
  }
  std::map<std::string, std::string> Overrides(const std::string& topic) {
    auto d = impl().DescribeTopic(topic);
    REQUIRE(d.ok());
    return {d->configs.begin(), d->configs.end()};
  }
  void CreateTopic(const std::string& name, int32_t partitions, std::map<std::string, std::string> configs = {}) {
    NewTopic t;
    t.name = name;
    t.num_partitions = partitions;
    t.configs = std::move(configs);
    REQUIRE(impl().CreateTopic(t).ok());
  }
};

CreateTopicsRequest::CreatableTopic Topic(std::string name, int32_t partitions, int16_t replication,
                                          std::map<std::string, std::string> configs = {}) {
  CreateTopicsRequest::CreatableTopic t;
  t.name = std::move(name);
  t.num_partitions = partitions;
  t.replication_factor = replication;
  for (auto& [k, v] : configs) {
    CreateTopicsRequest::CreatableTopicConfig c;
    c.name = k;
    c.value = v;
    t.configs.push_back(c);
  }
  return t;
}

CreateTopicsResponse::CreatableTopicResult CreateOne(ServerContext* ctx, CreateTopicsRequest::CreatableTopic t,
                                                     int16_t version, bool validate_only = false) {
  CreateTopicsRequest request;
  request.topics.push_back(std::move(t));
  request.validate_only = validate_only;
  auto response = Call<CreateTopicsResponse>(ctx, request, version);
  REQUIRE(response.ok());
  REQUIRE(response->topics.size() == 1);
  return response->topics[0];
}

const DescribeConfigsResponse::DescribeConfigsResourceResult* FindConfig(
    const DescribeConfigsResponse::DescribeConfigsResult& r, const std::string& name) {
  for (const auto& c : r.configs) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

TEST_CASE("the admin APIs are advertised at the versions they implement", "[kafka][admin]") {
  struct Expect {
    ApiKey key;
    int16_t min, max;
  };
  for (const Expect& e : {Expect{ApiKey::kCreateTopics, 0, 7}, Expect{ApiKey::kDeleteTopics, 0, 6},
                          Expect{ApiKey::kCreatePartitions, 0, 3}, Expect{ApiKey::kDescribeConfigs, 0, 4},
                          Expect{ApiKey::kAlterConfigs, 0, 2}, Expect{ApiKey::kIncrementalAlterConfigs, 0, 1},
                          Expect{ApiKey::kDeleteRecords, 0, 2}}) {
    const ApiHandler* h = FindHandler(e.key);
    REQUIRE(h != nullptr);
    CHECK(h->min_version == e.min);
    CHECK(h->max_version == e.max);
  }
}

TEST_CASE("CreateTopics creates topics, -1 meaning the broker's defaults", "[kafka][admin][create_topics]") {
  AdminFixture f;
  ServerContext* ctx = f.Start();
  SECTION("explicit counts at v0-v3") {
    for (int16_t v : {0, 1, 2, 3}) {
      const std::string name = "explicit-v" + std::to_string(v);
      auto r = CreateOne(ctx, Topic(name, 2, 1), v);
      CHECK(r.name == name);
      CHECK(r.error_code == kNone);
      if (v >= 1) CHECK_FALSE(r.error_message.has_value());
      CHECK(f.PartitionCount(name) == 2);
    }
  }
  SECTION("-1/-1 at v4-v7 takes num.partitions and default.replication.factor") {
    for (int16_t v : {4, 5, 6, 7}) {
      const std::string name = "defaults-v" + std::to_string(v);
      auto r = CreateOne(ctx, Topic(name, -1, -1), v);
      CHECK(r.error_code == kNone);
      CHECK(f.PartitionCount(name) == 3);
      if (v >= 5) {
        CHECK(r.num_partitions == 3);
        CHECK(r.replication_factor == 1);
        REQUIRE(r.configs.has_value());
        bool saw_retention = false;
        for (const auto& c : *r.configs) {
          if (c.name != "retention.ms") continue;
          saw_retention = true;
          CHECK(c.value == std::optional<std::string>("604800000"));  // log.retention.hours=168
          CHECK(c.config_source == kDefaultConfig);
          CHECK_FALSE(c.read_only);
          CHECK_FALSE(c.is_sensitive);
        }
        CHECK(saw_retention);
      }
      if (v >= 7) {
        auto d = f.impl().DescribeTopic(name);
        REQUIRE(d.ok());
        CHECK_FALSE(r.topic_id.IsZero());
        CHECK(r.topic_id == IdOf(d->topic_id));
      }
    }
  }
}

TEST_CASE("CreateTopics applies the given configs", "[kafka][admin][create_topics]") {
  AdminFixture f;
  ServerContext* ctx = f.Start();
  auto r = CreateOne(ctx, Topic("configured", 1, 1, {{"retention.ms", "1000"}, {"cleanup.policy", "compact"}}), 5);
  REQUIRE(r.error_code == kNone);
  CHECK(f.Overrides("configured") ==
        std::map<std::string, std::string>{{"cleanup.policy", "compact"}, {"retention.ms", "1000"}});
  REQUIRE(r.configs.has_value());
  int seen = 0;
  for (const auto& c : *r.configs) {
    if (c.name == "retention.ms") {
      ++seen;
      CHECK(c.value == std::optional<std::string>("1000"));
      CHECK(c.config_source == kDynamicTopicConfig);
    } else if (c.name == "cleanup.policy") {
      ++seen;
      CHECK(c.value == std::optional<std::string>("compact"));
      CHECK(c.config_source == kDynamicTopicConfig);
    }
  }
  CHECK(seen == 2);
}

TEST_CASE("CreateTopics with validate_only creates nothing", "[kafka][admin][create_topics]") {
  AdminFixture f;
  ServerContext* ctx = f.Start();
  for (int16_t v : {1, 4, 5, 7}) {
    auto r = CreateOne(ctx, Topic("dry-run", -1, -1, {{"retention.ms", "1000"}}), v, /*validate_only=*/true);
    CHECK(r.error_code == kNone);
    if (v >= 5) CHECK(r.num_partitions == 3);
    if (v >= 7) CHECK(r.topic_id.IsZero());
    CHECK_FALSE(f.Exists("dry-run"));
  }
  // validate_only still reports what a real create would refuse.
  f.CreateTopic("taken", 1);
  CHECK(CreateOne(ctx, Topic("taken", 1, 1), 1, true).error_code == kTopicAlreadyExists);
  CHECK(CreateOne(ctx, Topic("bad-config", 1, 1, {{"retention.ms", "soon"}}), 1, true).error_code == kInvalidConfig);
  CHECK(CreateOne(ctx, Topic("rf", 1, 3), 1, true).error_code == kInvalidReplicationFactor);
  CHECK_FALSE(f.Exists("bad-config"));
}

TEST_CASE("CreateTopics reports per-topic errors with Kafka's codes", "[kafka][admin][create_topics]") {
  AdminFixture f;
  ServerContext* ctx = f.Start();
  SECTION("an existing topic is TOPIC_ALREADY_EXISTS") {
    f.CreateTopic("dup", 1);
    for (int16_t v : {0, 1, 4, 7}) {
      auto r = CreateOne(ctx, Topic("dup", 1, 1), v);
      CHECK(r.error_code == kTopicAlreadyExists);
      if (v >= 1) CHECK(r.error_message == std::optional<std::string>("Topic 'dup' already exists."));
    }
  }
  SECTION("an invalid name is INVALID_TOPIC_EXCEPTION") {
    for (const std::string& name : {std::string("has space"), std::string(".."), std::string(250, 'a')}) {
      CHECK(CreateOne(ctx, Topic(name, 1, 1), 3).error_code == kInvalidTopic);
    }
    CHECK(f.impl().ListTopics(true).empty());
  }
  SECTION("a bad or unknown config is INVALID_CONFIG, with a message, and creates nothing") {
    auto r = CreateOne(ctx, Topic("bad", 1, 1, {{"retention.ms", "soon"}}), 4);
    CHECK(r.error_code == kInvalidConfig);
    REQUIRE(r.error_message.has_value());
    CHECK(r.error_message->find("retention.ms") != std::string::npos);
    CHECK(CreateOne(ctx, Topic("bad", 1, 1, {{"no.such.config", "1"}}), 7).error_code == kInvalidConfig);
    CHECK_FALSE(f.Exists("bad"));
  }
  SECTION("partition count and replication factor are checked") {
    CHECK(CreateOne(ctx, Topic("zero", 0, 1), 2).error_code == kInvalidPartitions);
    CHECK(CreateOne(ctx, Topic("three", 1, 3), 2).error_code == kInvalidReplicationFactor);
    CHECK(f.impl().ListTopics(true).empty());
  }
  SECTION("a topic named twice in one request is INVALID_REQUEST for each entry") {
    CreateTopicsRequest request;
    request.topics = {Topic("twice", 1, 1), Topic("twice", 2, 1), Topic("once", 1, 1)};
    auto response = Call<CreateTopicsResponse>(ctx, request, 4);
    REQUIRE(response.ok());
    REQUIRE(response->topics.size() == 3);
    CHECK(response->topics[0].error_code == kInvalidRequest);
    CHECK(response->topics[1].error_code == kInvalidRequest);
    CHECK(response->topics[2].error_code == kNone);
    CHECK_FALSE(f.Exists("twice"));
    CHECK(f.Exists("once"));
  }
  SECTION("a manual assignment is honoured only on this broker with replication factor 1") {
    auto t = Topic("placed", -1, -1);
    t.assignments = {{.partition_index = 0, .broker_ids = {0}}, {.partition_index = 1, .broker_ids = {0}}};
    CHECK(CreateOne(ctx, t, 3).error_code == kNone);
    CHECK(f.PartitionCount("placed") == 2);
    auto elsewhere = Topic("elsewhere", -1, -1);
    elsewhere.assignments = {{.partition_index = 0, .broker_ids = {1}}};
    CHECK(CreateOne(ctx, elsewhere, 3).error_code == kInvalidReplicaAssignment);
    auto gap = Topic("gap", -1, -1);
    gap.assignments = {{.partition_index = 0, .broker_ids = {0}}, {.partition_index = 2, .broker_ids = {0}}};
    CHECK(CreateOne(ctx, gap, 3).error_code == kInvalidReplicaAssignment);
    auto both = Topic("both", 2, -1);
    both.assignments = {{.partition_index = 0, .broker_ids = {0}}};
    CHECK(CreateOne(ctx, both, 3).error_code == kInvalidRequest);
    CHECK_FALSE(f.Exists("elsewhere"));
    CHECK_FALSE(f.Exists("gap"));
    CHECK_FALSE(f.Exists("both"));
  }
}

TEST_CASE("DeleteTopics deletes topics by name (v0-5) and by name or id (v6)", "[kafka][admin][delete_topics]") {
  AdminFixture f;
  ServerContext* ctx = f.Start();
  SECTION("by name; Metadata no longer shows the topic") {
    for (int16_t v : {0, 1, 2, 3, 4, 5}) {
      const std::string name = "gone-v" + std::to_string(v);
      f.CreateTopic(name, 2);
      DeleteTopicsRequest request;
      request.topic_names = {name, "never-was"};
      request.timeout_ms = 30000;
      auto response = Call<DeleteTopicsResponse>(ctx, request, v);
      REQUIRE(response.ok());
      REQUIRE(response->responses.size() == 2);
      CHECK(response->responses[0].name == std::optional<std::string>(name));
      CHECK(response->responses[0].error_code == kNone);
      CHECK(response->responses[1].error_code == kUnknownTopicOrPartition);
      if (v >= 5) {
        CHECK_FALSE(response->responses[0].error_message.has_value());
        CHECK(response->responses[1].error_message.has_value());
      }
      CHECK_FALSE(f.Exists(name));
      auto md = f.impl().Metadata(std::vector<std::string>{name}, /*allow_auto_create=*/false);
      REQUIRE(md.size() == 1);
      CHECK(md[0].error == ErrorCode::kUnknownTopicOrPartition);
    }
  }
  SECTION("v6 by id, by name, both, and an unknown id") {
    f.CreateTopic("by-id", 1);
    f.CreateTopic("by-name", 1);
    f.CreateTopic("kept", 1);
    auto id = f.impl().DescribeTopic("by-id");
    auto name_id = f.impl().DescribeTopic("by-name");
    auto kept_id = f.impl().DescribeTopic("kept");
    REQUIRE(id.ok());
    REQUIRE(name_id.ok());
    REQUIRE(kept_id.ok());
    DeleteTopicsRequest request;
    request.topics.push_back({.name = std::nullopt, .topic_id = IdOf(id->topic_id)});
    request.topics.push_back({.name = "by-name", .topic_id = {}});
    request.topics.push_back({.name = "kept", .topic_id = IdOf(kept_id->topic_id)});
    Uuid unknown;
    unknown.bytes[0] = 0x42;
    request.topics.push_back({.name = std::nullopt, .topic_id = unknown});
    auto response = Call<DeleteTopicsResponse>(ctx, request, 6);
    REQUIRE(response.ok());
    REQUIRE(response->responses.size() == 4);
    CHECK(response->responses[0].error_code == kNone);
    CHECK(response->responses[0].name == std::optional<std::string>("by-id"));
    CHECK(response->responses[1].error_code == kNone);
    CHECK(response->responses[1].topic_id == IdOf(name_id->topic_id));
    CHECK(response->responses[2].error_code == kInvalidRequest);
    CHECK(response->responses[3].error_code == kUnknownTopicId);
    CHECK_FALSE(f.Exists("by-id"));
    CHECK_FALSE(f.Exists("by-name"));
    CHECK(f.Exists("kept"));
  }
}

TEST_CASE("DeleteTopics is refused when delete.topic.enable=false", "[kafka][admin][delete_topics]") {
  AdminFixture f;
  f.config.delete_topic_enable = false;
  ServerContext* ctx = f.Start();
  f.CreateTopic("stays", 1);
  DeleteTopicsRequest request;
  request.topic_names = {"stays"};
  auto response = Call<DeleteTopicsResponse>(ctx, request, 3);
  REQUIRE(response.ok());
  REQUIRE(response->responses.size() == 1);
  CHECK(response->responses[0].error_code == kTopicDeletionDisabled);
  CHECK(f.Exists("stays"));
}

TEST_CASE("CreateTopics refuses a request of more than 10,000 partitions whole, as Kafka's controller",
          "[kafka][admin][create_topics]") {
  AdminFixture f;
  ServerContext* ctx = f.Start();
  auto create = [&](std::vector<CreateTopicsRequest::CreatableTopic> topics, bool validate_only = false) {
    CreateTopicsRequest request;
    request.topics = std::move(topics);
    request.timeout_ms = 30000;
    request.validate_only = validate_only;
    auto response = Call<CreateTopicsResponse>(ctx, request, 5);
    REQUIRE(response.ok());
    REQUIRE(response->topics.size() == request.topics.size());
    return response->topics;
  };
  // Kafka's ReplicationControlManagerTest: 5000 + 5000 + 1 is one too many;
  // every topic fails, the valid ones too, and nothing is created.
  for (const auto& r : create({Topic("foo", 5000, 1), Topic("bar", 5000, 1), Topic("baz", 1, 1)})) {
    CHECK(r.error_code == kPolicyViolation);
    CHECK(r.error_message == std::optional<std::string>("Excessively large number of partitions per request."));
  }
  // -1 counts as num.partitions (3 here); a hostile count alone is refused
  // without the broker trying to open INT32_MAX partitions.
  CHECK(create({Topic("huge", INT32_MAX, 1)})[0].error_code == kPolicyViolation);
  CHECK(create({Topic("a", 9998, 1), Topic("b", -1, 1)})[0].error_code == kPolicyViolation);
  CHECK(f.impl().ListTopics(true).empty());
  // Exactly 10,000 passes the cap (validated only: creating 10,000
  // partitions would only slow the test down).
  for (const auto& r : create({Topic("foo", 9997, 1), Topic("bar", -1, 1)}, /*validate_only=*/true)) {
    CHECK(r.error_code == kNone);
  }
  CHECK(create({Topic("small", 2, 1)})[0].error_code == kNone);
  CHECK(f.PartitionCount("small") == 2);
}

TEST_CASE("CreatePartitions refuses to add more than 10,000 partitions in one request",
          "[kafka][admin][create_partitions]") {
  AdminFixture f;
  ServerContext* ctx = f.Start();
  f.CreateTopic("a", 2);
  f.CreateTopic("b", 1);
  auto grow = [&](std::vector<std::pair<std::string, int32_t>> counts, bool validate_only = false) {
    CreatePartitionsRequest request;
    for (auto& [name, count] : counts) {
      request.topics.push_back({.name = name, .count = count, .assignments = std::nullopt});
    }
    request.timeout_ms = 30000;
    request.validate_only = validate_only;
    auto response = Call<CreatePartitionsResponse>(ctx, request, 1);
    REQUIRE(response.ok());
    REQUIRE(response->results.size() == counts.size());
    return response->results;
  };
  // 2 -> 5002 and 1 -> 5002 add 10,001 partitions: both refused, neither grows.
  for (const auto& r : grow({{"a", 5002}, {"b", 5002}})) {
    CHECK(r.error_code == kPolicyViolation);
    CHECK(r.error_message == std::optional<std::string>("Unable to perform excessively large batch operation."));
  }
  CHECK(grow({{"a", INT32_MAX}})[0].error_code == kPolicyViolation);
  CHECK(f.PartitionCount("a") == 2);
  CHECK(f.PartitionCount("b") == 1);
  // Adding 10,000 exactly passes the cap (validated only, for speed); an
  // unknown topic adds nothing to the count.
  auto ok = grow({{"a", 5002}, {"b", 5001}, {"missing", 50000}}, /*validate_only=*/true);
  CHECK(ok[0].error_code == kNone);
  CHECK(ok[1].error_code == kNone);
  CHECK(ok[2].error_code == kUnknownTopicOrPartition);
  CHECK(grow({{"a", 4}})[0].error_code == kNone);
  CHECK(f.PartitionCount("a") == 4);
}

TEST_CASE("CreatePartitions grows a topic to the new total and refuses to shrink it",
          "[kafka][admin][create_partitions]") {
  AdminFixture f;
  ServerContext* ctx = f.Start();
  auto call = [&](const std::string& topic, int32_t count, int16_t v, bool validate_only = false,
                  std::optional<std::vector<CreatePartitionsRequest::CreatePartitionsAssignment>> assignments =
                      std::nullopt) {
    CreatePartitionsRequest request;
    request.topics.push_back({.name = topic, .count = count, .assignments = std::move(assignments)});
    request.timeout_ms = 30000;
    request.validate_only = validate_only;
    auto response = Call<CreatePartitionsResponse>(ctx, request, v);
    REQUIRE(response.ok());
    REQUIRE(response->results.size() == 1);
    CHECK(response->results[0].name == topic);
    return response->results[0];
  };
  for (int16_t v : {0, 1, 3}) {
    const std::string name = "grow-v" + std::to_string(v);
    f.CreateTopic(name, 1);
    auto grown = call(name, 3, v);
    CHECK(grown.error_code == kNone);
    CHECK_FALSE(grown.error_message.has_value());
    CHECK(f.PartitionCount(name) == 3);
    auto shrink = call(name, 2, v);
    CHECK(shrink.error_code == kInvalidPartitions);
    CHECK(shrink.error_message.has_value());
    CHECK(call(name, 3, v).error_code == kInvalidPartitions);
    CHECK(f.PartitionCount(name) == 3);
  }
  f.CreateTopic("dry", 1);
  CHECK(call("dry", 4, 1, /*validate_only=*/true).error_code == kNone);
  CHECK(f.PartitionCount("dry") == 1);
  CHECK(call("missing", 4, 1).error_code == kUnknownTopicOrPartition);
  CHECK(call("dry", 3, 2, false, std::vector<CreatePartitionsRequest::CreatePartitionsAssignment>{
                                     {.broker_ids = {0}}, {.broker_ids = {0}}})
            .error_code == kNone);
  CHECK(f.PartitionCount("dry") == 3);
  CHECK(call("dry", 4, 2, false,
             std::vector<CreatePartitionsRequest::CreatePartitionsAssignment>{{.broker_ids = {5}}})
            .error_code == kInvalidReplicaAssignment);
  CHECK(call("dry", 5, 2, false,
             std::vector<CreatePartitionsRequest::CreatePartitionsAssignment>{{.broker_ids = {0}}})
            .error_code == kInvalidReplicaAssignment);
  CHECK(f.PartitionCount("dry") == 3);
}

DescribeConfigsResponse::DescribeConfigsResult Describe(ServerContext* ctx, int8_t type, const std::string& name,
                                                        int16_t v, bool synonyms = false,
                                                        std::optional<std::vector<std::string>> keys = std::nullopt) {
  DescribeConfigsRequest request;
  request.resources.push_back({.resource_type = type, .resource_name = name, .configuration_keys = keys});
  request.include_synonyms = synonyms;
  auto response = Call<DescribeConfigsResponse>(ctx, request, v);
  INFO(response.status().ToString());
  REQUIRE(response.ok());
  REQUIRE(response->results.size() == 1);
  CHECK(response->results[0].resource_type == type);
  CHECK(response->results[0].resource_name == name);
  return response->results[0];
}

TEST_CASE("DescribeConfigs describes a topic's configs with their sources", "[kafka][admin][describe_configs]") {
  AdminFixture f;
  f.config.log_retention_hours = 24;  // a static broker default topics inherit
  ServerContext* ctx = f.Start();
  f.CreateTopic("described", 1, {{"cleanup.policy", "compact"}});
  for (int16_t v : {0, 1, 2, 3, 4}) {
    auto r = Describe(ctx, kTopicResource, "described", v);
    CHECK(r.error_code == kNone);
    CHECK_FALSE(r.error_message.has_value());
    const auto* policy = FindConfig(r, "cleanup.policy");
    const auto* segment = FindConfig(r, "segment.bytes");
    const auto* retention = FindConfig(r, "retention.ms");
    REQUIRE(policy != nullptr);
    REQUIRE(segment != nullptr);
    REQUIRE(retention != nullptr);
    CHECK(policy->value == std::optional<std::string>("compact"));
    CHECK(segment->value == std::optional<std::string>("1073741824"));
    CHECK(retention->value == std::optional<std::string>("86400000"));
    CHECK_FALSE(policy->read_only);
    if (v == 0) {
      // Kafka's client maps v0 is_default=false to TOPIC_CONFIG: only the
      // override is not a default.
      CHECK_FALSE(policy->is_default);
      CHECK(segment->is_default);
      CHECK(retention->is_default);
    } else {
      CHECK(policy->config_source == kDynamicTopicConfig);
      CHECK(segment->config_source == kDefaultConfig);
      CHECK(retention->config_source == kStaticBrokerConfig);
      CHECK(policy->synonyms.empty());  // include_synonyms was false
    }
    if (v >= 3) {
      CHECK(retention->config_type == kTypeLong);
      CHECK(policy->config_type == kTypeList);
    }
  }
}

TEST_CASE("DescribeConfigs filters by name, lists synonyms, and reports errors per resource",
          "[kafka][admin][describe_configs]") {
  AdminFixture f;
  ServerContext* ctx = f.Start();
  f.CreateTopic("t", 1, {{"retention.ms", "1000"}});
  SECTION("configuration_keys selects configs") {
    auto r = Describe(ctx, kTopicResource, "t", 1, false, std::vector<std::string>{"retention.ms", "segment.ms"});
    REQUIRE(r.configs.size() == 2);
    CHECK(FindConfig(r, "retention.ms") != nullptr);
    CHECK(FindConfig(r, "segment.ms") != nullptr);
  }
  SECTION("synonyms: the override, then the broker config it falls back to") {
    auto r = Describe(ctx, kTopicResource, "t", 1, /*synonyms=*/true);
    const auto* retention = FindConfig(r, "retention.ms");
    REQUIRE(retention != nullptr);
    REQUIRE(retention->synonyms.size() == 2);
    CHECK(retention->synonyms[0].name == "retention.ms");
    CHECK(retention->synonyms[0].value == std::optional<std::string>("1000"));
    CHECK(retention->synonyms[0].source == kDynamicTopicConfig);
    CHECK(retention->synonyms[1].name == "log.retention.ms");
    CHECK(retention->synonyms[1].value == std::optional<std::string>("604800000"));
    CHECK(retention->synonyms[1].source == kDefaultConfig);
  }
  SECTION("an unknown topic, a bad name and an unknown resource type") {
    auto unknown = Describe(ctx, kTopicResource, "nope", 2);
    CHECK(unknown.error_code == kUnknownTopicOrPartition);
    CHECK(unknown.configs.empty());
    CHECK(Describe(ctx, kTopicResource, "bad name", 2).error_code == kInvalidTopic);
    CHECK(Describe(ctx, 99, "x", 2).error_code == kInvalidRequest);
  }
}

TEST_CASE("DescribeConfigs describes the broker's static configs", "[kafka][admin][describe_configs]") {
  AdminFixture f;  // num.partitions=3 set in the fixture
  ServerContext* ctx = f.Start();
  for (int16_t v : {0, 1, 4}) {
    auto r = Describe(ctx, kBrokerResource, "0", v);
    CHECK(r.error_code == kNone);
    const auto* partitions = FindConfig(r, "num.partitions");
    const auto* rf = FindConfig(r, "default.replication.factor");
    const auto* id = FindConfig(r, "broker.id");
    const auto* dirs = FindConfig(r, "log.dirs");
    REQUIRE(partitions != nullptr);
    REQUIRE(rf != nullptr);
    REQUIRE(id != nullptr);
    REQUIRE(dirs != nullptr);
    REQUIRE(FindConfig(r, "log.retention.hours") != nullptr);
    REQUIRE(FindConfig(r, "log.segment.bytes") != nullptr);
    REQUIRE(FindConfig(r, "auto.create.topics.enable") != nullptr);
    REQUIRE(FindConfig(r, "message.max.bytes") != nullptr);
    REQUIRE(FindConfig(r, "listeners") != nullptr);
    REQUIRE(FindConfig(r, "offsets.topic.num.partitions") != nullptr);
    CHECK(partitions->value == std::optional<std::string>("3"));
    CHECK(rf->value == std::optional<std::string>("1"));
    CHECK(id->value == std::optional<std::string>("0"));
    CHECK(dirs->value == std::optional<std::string>("/kafka-logs"));
    CHECK(partitions->read_only);
    if (v >= 1) {
      CHECK(partitions->config_source == kStaticBrokerConfig);
      CHECK(rf->config_source == kDefaultConfig);
    } else {
      CHECK_FALSE(partitions->is_default);
      CHECK(rf->is_default);
    }
  }
  auto cluster_default = Describe(ctx, kBrokerResource, "", 1);
  CHECK(cluster_default.error_code == kNone);
  CHECK(cluster_default.configs.empty());  // no dynamic cluster-wide defaults
  CHECK(Describe(ctx, kBrokerResource, "7", 1).error_code == kInvalidRequest);
  CHECK(Describe(ctx, kBrokerResource, "x", 1).error_code == kInvalidRequest);
}

AlterConfigsResponse::AlterConfigsResourceResponse Alter(ServerContext* ctx, int8_t type, const std::string& name,
                                                         std::map<std::string, std::string> configs, int16_t v,
                                                         bool validate_only = false) {
  AlterConfigsRequest request;
  AlterConfigsRequest::AlterConfigsResource resource;
  resource.resource_type = type;
  resource.resource_name = name;
  for (auto& [k, val] : configs) resource.configs.push_back({.name = k, .value = val});
  request.resources.push_back(resource);
  request.validate_only = validate_only;
  auto response = Call<AlterConfigsResponse>(ctx, request, v);
  REQUIRE(response.ok());
  REQUIRE(response->responses.size() == 1);
  CHECK(response->responses[0].resource_type == type);
  CHECK(response->responses[0].resource_name == name);
  return response->responses[0];
}

TEST_CASE("AlterConfigs replaces a topic's whole dynamic config set", "[kafka][admin][alter_configs]") {
  AdminFixture f;
  ServerContext* ctx = f.Start();
  for (int16_t v : {0, 1, 2}) {
    const std::string name = "alter-v" + std::to_string(v);
    f.CreateTopic(name, 1, {{"retention.ms", "1000"}, {"cleanup.policy", "compact"}});
    auto r = Alter(ctx, kTopicResource, name, {{"retention.ms", "2000"}}, v);
    CHECK(r.error_code == kNone);
    CHECK_FALSE(r.error_message.has_value());
    // cleanup.policy was not listed: Kafka's AlterConfigs removes it.
    CHECK(f.Overrides(name) == std::map<std::string, std::string>{{"retention.ms", "2000"}});
    auto d = Describe(ctx, kTopicResource, name, 1, false, std::vector<std::string>{"cleanup.policy"});
    REQUIRE(d.configs.size() == 1);
    CHECK(d.configs[0].value == std::optional<std::string>("delete"));
    CHECK(d.configs[0].config_source == kDefaultConfig);
  }
  f.CreateTopic("guarded", 1, {{"retention.ms", "1000"}});
  SECTION("validate_only changes nothing") {
    CHECK(Alter(ctx, kTopicResource, "guarded", {{"segment.ms", "5000"}}, 1, true).error_code == kNone);
    CHECK(f.Overrides("guarded") == std::map<std::string, std::string>{{"retention.ms", "1000"}});
  }
  SECTION("a bad value is INVALID_CONFIG and changes nothing") {
    auto r = Alter(ctx, kTopicResource, "guarded", {{"segment.ms", "5000"}, {"retention.ms", "later"}}, 1);
    CHECK(r.error_code == kInvalidConfig);
    CHECK(r.error_message.has_value());
    CHECK(f.Overrides("guarded") == std::map<std::string, std::string>{{"retention.ms", "1000"}});
  }
  SECTION("unknown topics and broker resources") {
    CHECK(Alter(ctx, kTopicResource, "missing", {{"retention.ms", "1"}}, 0).error_code == kUnknownTopicOrPartition);
    auto broker = Alter(ctx, kBrokerResource, "0", {{"log.retention.hours", "1"}}, 0);
    CHECK(broker.error_code == kInvalidRequest);
    CHECK(broker.error_message.has_value());
  }
}

IncrementalAlterConfigsResponse::AlterConfigsResourceResponse IncrementalAlter(
    ServerContext* ctx, const std::string& topic,
    std::vector<IncrementalAlterConfigsRequest::AlterableConfig> configs, int16_t v, bool validate_only = false) {
  IncrementalAlterConfigsRequest request;
  IncrementalAlterConfigsRequest::AlterConfigsResource resource;
  resource.resource_type = kTopicResource;
  resource.resource_name = topic;
  resource.configs = std::move(configs);
  request.resources.push_back(resource);
  request.validate_only = validate_only;
  auto response = Call<IncrementalAlterConfigsResponse>(ctx, request, v);
  REQUIRE(response.ok());
  REQUIRE(response->responses.size() == 1);
  CHECK(response->responses[0].resource_name == topic);
  return response->responses[0];
}

using AlterableConfig = IncrementalAlterConfigsRequest::AlterableConfig;
constexpr int8_t kSet = 0, kDelete = 1, kAppend = 2, kSubtract = 3;

TEST_CASE("IncrementalAlterConfigs changes only the configs it names", "[kafka][admin][incremental_alter_configs]") {
  AdminFixture f;
  ServerContext* ctx = f.Start();
  for (int16_t v : {0, 1}) {
    const std::string name = "inc-v" + std::to_string(v);
    f.CreateTopic(name, 1, {{"retention.ms", "1000"}, {"cleanup.policy", "compact"}});
    CHECK(IncrementalAlter(ctx, name, {{.name = "retention.ms", .config_operation = kSet, .value = "2000"}}, v)
              .error_code == kNone);
    CHECK(f.Overrides(name) ==
          std::map<std::string, std::string>{{"cleanup.policy", "compact"}, {"retention.ms", "2000"}});
    CHECK(IncrementalAlter(ctx, name, {{.name = "retention.ms", .config_operation = kDelete, .value = std::nullopt}},
                           v)
              .error_code == kNone);
    CHECK(f.Overrides(name) == std::map<std::string, std::string>{{"cleanup.policy", "compact"}});
    CHECK(IncrementalAlter(ctx, name, {{.name = "cleanup.policy", .config_operation = kAppend, .value = "delete"}}, v)
              .error_code == kNone);
    CHECK(f.Overrides(name) == std::map<std::string, std::string>{{"cleanup.policy", "compact,delete"}});
    CHECK(IncrementalAlter(ctx, name,
                           {{.name = "cleanup.policy", .config_operation = kSubtract, .value = "compact"}}, v)
              .error_code == kNone);
    CHECK(f.Overrides(name) == std::map<std::string, std::string>{{"cleanup.policy", "delete"}});
  }
  f.CreateTopic("strict", 1, {{"retention.ms", "1000"}});
  const std::map<std::string, std::string> before{{"retention.ms", "1000"}};
  SECTION("APPEND starts from the default of an unset list config") {
    CHECK(IncrementalAlter(ctx, "strict", {{.name = "cleanup.policy", .config_operation = kAppend, .value = "compact"}},
                           1)
              .error_code == kNone);
    CHECK(f.Overrides("strict") ==
          std::map<std::string, std::string>{{"cleanup.policy", "delete,compact"}, {"retention.ms", "1000"}});
  }
  SECTION("APPEND/SUBTRACT on a non-list config is INVALID_REQUEST, on an unknown one INVALID_CONFIG") {
    CHECK(IncrementalAlter(ctx, "strict", {{.name = "retention.ms", .config_operation = kAppend, .value = "5"}}, 1)
              .error_code == kInvalidRequest);
    CHECK(IncrementalAlter(ctx, "strict", {{.name = "segment.ms", .config_operation = kSubtract, .value = "5"}}, 0)
              .error_code == kInvalidRequest);
    CHECK(IncrementalAlter(ctx, "strict", {{.name = "no.such", .config_operation = kAppend, .value = "5"}}, 1)
              .error_code == kInvalidConfig);
    CHECK(f.Overrides("strict") == before);
  }
  SECTION("an unknown operation or a null SET is INVALID_REQUEST") {
    CHECK(IncrementalAlter(ctx, "strict", {{.name = "segment.ms", .config_operation = 9, .value = "5"}}, 1)
              .error_code == kInvalidRequest);
    CHECK(IncrementalAlter(ctx, "strict", {{.name = "segment.ms", .config_operation = kSet, .value = std::nullopt}}, 1)
              .error_code == kInvalidRequest);
    CHECK(f.Overrides("strict") == before);
  }
  SECTION("validate_only changes nothing; a bad value changes nothing") {
    CHECK(IncrementalAlter(ctx, "strict", {{.name = "segment.ms", .config_operation = kSet, .value = "5000"}}, 1, true)
              .error_code == kNone);
    CHECK(IncrementalAlter(ctx, "strict",
                           {{.name = "segment.ms", .config_operation = kSet, .value = "5000"},
                            {.name = "retention.ms", .config_operation = kSet, .value = "never"}},
                           1)
              .error_code == kInvalidConfig);
    CHECK(f.Overrides("strict") == before);
  }
}

TEST_CASE("DeleteRecords moves the low watermark, which Fetch and ListOffsets then show",
          "[kafka][admin][delete_records]") {
  AdminFixture f;
  ServerContext* ctx = f.Start();
  for (int16_t v : {0, 1, 2}) {
    const std::string name = "trim-v" + std::to_string(v);
    f.CreateTopic(name, 2);
    const TopicPartition tp{name, 0};
    f.Produce(tp, 10, "r");  // offsets 0..9, high watermark 10
    DeleteRecordsRequest request;
    request.timeout_ms = 30000;
    request.topics.push_back({.name = name,
                              .partitions = {{.partition_index = 0, .offset = 4},
                                             {.partition_index = 1, .offset = 1},
                                             {.partition_index = 7, .offset = 0}}});
    request.topics.push_back({.name = "no-such-topic", .partitions = {{.partition_index = 0, .offset = 0}}});
    auto response = Call<DeleteRecordsResponse>(ctx, request, v);
    REQUIRE(response.ok());
    REQUIRE(response->topics.size() == 2);
    REQUIRE(response->topics[0].partitions.size() == 3);
    CHECK(response->topics[0].name == name);
    CHECK(response->topics[0].partitions[0].partition_index == 0);
    CHECK(response->topics[0].partitions[0].error_code == kNone);
    CHECK(response->topics[0].partitions[0].low_watermark == 4);
    // Partition 1 is empty (high watermark 0): offset 1 is past it.
    CHECK(response->topics[0].partitions[1].error_code == kOffsetOutOfRange);
    CHECK(response->topics[0].partitions[2].error_code == kUnknownTopicOrPartition);
    REQUIRE(response->topics[1].partitions.size() == 1);
    CHECK(response->topics[1].partitions[0].error_code == kUnknownTopicOrPartition);

    auto earliest = f.impl().ListOffset(tp, -2, FetchIsolation::kHighWatermark);
    REQUIRE(earliest.ok());
    CHECK(earliest->offset == 4);
    auto records = f.FetchAll(tp, 4);
    // Fetch returns whole batches (this one starts at 0; the consumer skips
    // what is below its position), but only from the new log start on.
    REQUIRE_FALSE(records.empty());
    CHECK(records.back().offset == 9);
    Broker::Impl::FetchRequest below;
    below.partitions.push_back({tp, 0, 1 << 20});
    below.max_wait = absl::ZeroDuration();
    auto fetched = f.impl().Fetch(below);
    REQUIRE(fetched.size() == 1);
    CHECK(ErrorCodeOf(fetched[0].status) == ErrorCode::kOffsetOutOfRange);
    CHECK(fetched[0].log_start_offset == 4);

    // -1 is the high watermark.
    DeleteRecordsRequest all;
    all.topics.push_back({.name = name, .partitions = {{.partition_index = 0, .offset = -1}}});
    auto trimmed = Call<DeleteRecordsResponse>(ctx, all, v);
    REQUIRE(trimmed.ok());
    CHECK(trimmed->topics[0].partitions[0].error_code == kNone);
    CHECK(trimmed->topics[0].partitions[0].low_watermark == 10);
    auto past = all;
    past.topics[0].partitions[0].offset = 11;
    auto refused = Call<DeleteRecordsResponse>(ctx, past, v);
    REQUIRE(refused.ok());
    CHECK(refused->topics[0].partitions[0].error_code == kOffsetOutOfRange);
    CHECK(refused->topics[0].partitions[0].low_watermark == -1);
  }
}

}  // namespace
}  // namespace samsa::kafka
