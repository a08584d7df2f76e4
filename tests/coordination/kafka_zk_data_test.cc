// Kafka's ZooKeeper data: the JSON of kafka.zk.ZkData, checked against the
// byte strings Kafka documents for each znode, plus decoding of older
// versions and of malformed input, and the paths.
#include <catch2/catch.hpp>

#include <string>

#include "coordination/kafka_zk_data.h"
#include "coordination/kafka_zk_paths.h"
#include "samsa/coordinator.h"

namespace samsa {
namespace {

namespace kz = kafka_zk;

constexpr int64_t kTs = 1'700'000'000'000;

bool Contains(const absl::Status& s, std::string_view text) {
  return std::string(s.message()).find(text) != std::string::npos;
}

TEST_CASE("a broker registration encodes as Kafka's BrokerIdZNode v5", "[coordination][zkdata]") {
  kz::BrokerRegistration broker;
  broker.endpoints = {{"PLAINTEXT", "host", 9092, "PLAINTEXT"}};
  broker.timestamp_ms = kTs;
  CHECK(kz::EncodeBrokerRegistration(broker) ==
        R"({"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},)"
        R"("endpoints":["PLAINTEXT://host:9092"],"jmx_port":-1,"port":9092,"host":"host",)"
        R"("version":5,"timestamp":"1700000000000"})");

  auto decoded = kz::DecodeBrokerRegistration(kz::EncodeBrokerRegistration(broker));
  REQUIRE(decoded.ok());
  CHECK(decoded->version == 5);
  CHECK(decoded->endpoints == broker.endpoints);
  CHECK(decoded->host == std::optional<std::string>("host"));
  CHECK(decoded->port == 9092);
  CHECK(decoded->timestamp_ms == kTs);
  CHECK(!decoded->rack.has_value());
}

TEST_CASE("a broker registration with a rack and two listeners round-trips",
          "[coordination][zkdata]") {
  kz::BrokerRegistration broker;
  broker.endpoints = {{"INTERNAL", "10.0.0.1", 9093, "SASL_SSL"},
                      {"CLIENT", "::1", 9092, "PLAINTEXT"}};
  broker.rack = "dc1";
  broker.jmx_port = 9999;
  broker.timestamp_ms = kTs;
  broker.features["metadata.version"] = {1, 7};
  const std::string json = kz::EncodeBrokerRegistration(broker);
  CHECK(json.find(R"("rack":"dc1")") != std::string::npos);
  CHECK(json.find(R"("endpoints":["INTERNAL://10.0.0.1:9093","CLIENT://[::1]:9092"])") !=
        std::string::npos);
  CHECK(json.find(R"("listener_security_protocol_map":{"INTERNAL":"SASL_SSL","CLIENT":"PLAINTEXT"})") !=
        std::string::npos);
  // host/port are the PLAINTEXT listener's.
  CHECK(json.find(R"("port":9092,"host":"::1")") != std::string::npos);
  auto decoded = kz::DecodeBrokerRegistration(json);
  REQUIRE(decoded.ok());
  broker.version = 5;
  broker.host = "::1";
  broker.port = 9092;
  CHECK(*decoded == broker);

  // Without a PLAINTEXT listener, host is null and port -1.
  kz::BrokerRegistration ssl;
  ssl.endpoints = {{"SSL", "h", 9094, "SSL"}};
  const std::string ssl_json = kz::EncodeBrokerRegistration(ssl);
  CHECK(ssl_json.find(R"("port":-1,"host":null)") != std::string::npos);
  auto ssl_decoded = kz::DecodeBrokerRegistration(ssl_json);
  REQUIRE(ssl_decoded.ok());
  CHECK(!ssl_decoded->host.has_value());
  CHECK(ssl_decoded->endpoints == ssl.endpoints);
}

TEST_CASE("older broker registrations decode", "[coordination][zkdata]") {
  // Kafka's documented v4 example (docs/implementation: broker node registry).
  auto v4 = kz::DecodeBrokerRegistration(
      R"({"version":4,"host":"localhost","port":9092,"jmx_port":9999,"timestamp":"2233345666",)"
      R"("endpoints":["CLIENT://host1:9092", "REPLICATION://host1:9093"],)"
      R"("listener_security_protocol_map":{"CLIENT":"SSL", "REPLICATION":"PLAINTEXT"}, "rack":"dc1"})");
  REQUIRE(v4.ok());
  CHECK(v4->version == 4);
  REQUIRE(v4->endpoints.size() == 2);
  CHECK(v4->endpoints[0] == kz::BrokerEndpoint{"CLIENT", "host1", 9092, "SSL"});
  CHECK(v4->endpoints[1] == kz::BrokerEndpoint{"REPLICATION", "host1", 9093, "PLAINTEXT"});
  CHECK(v4->rack == std::optional<std::string>("dc1"));
  CHECK(v4->timestamp_ms == 2233345666);
  CHECK(v4->jmx_port == 9999);

  // v2: endpoints named by protocol, no map.
  auto v2 = kz::DecodeBrokerRegistration(
      R"({"version":2,"host":"h","port":9092,"jmx_port":-1,"timestamp":"1",)"
      R"("endpoints":["PLAINTEXT://h:9092","SSL://h:9093"]})");
  REQUIRE(v2.ok());
  CHECK(v2->endpoints[1] == kz::BrokerEndpoint{"SSL", "h", 9093, "SSL"});

  // v1: host and port only.
  auto v1 = kz::DecodeBrokerRegistration(
      R"({"jmx_port":-1,"timestamp":"1","host":"h","version":1,"port":9092})");
  REQUIRE(v1.ok());
  REQUIRE(v1->endpoints.size() == 1);
  CHECK(v1->endpoints[0] == kz::BrokerEndpoint{"PLAINTEXT", "h", 9092, "PLAINTEXT"});
}

TEST_CASE("a topic assignment encodes as Kafka's TopicZNode v3", "[coordination][zkdata]") {
  kz::TopicAssignment topic;
  topic.topic_id = "vDGGdnsYQ6mIlEAY07Xvrg";
  topic.partitions[0] = {1, 2};
  CHECK(kz::EncodeTopicAssignment(topic) ==
        R"({"partitions":{"0":[1,2]},"topic_id":"vDGGdnsYQ6mIlEAY07Xvrg","adding_replicas":{},)"
        R"("removing_replicas":{},"version":3})");
  auto decoded = kz::DecodeTopicAssignment(kz::EncodeTopicAssignment(topic));
  REQUIRE(decoded.ok());
  CHECK(*decoded == topic);

  topic.partitions[1] = {2, 3};
  topic.partitions[2] = {3, 1};
  topic.adding_replicas[1] = {3};
  topic.removing_replicas[2] = {1};
  topic.adding_replicas[2] = {};  // empty lists are not written
  auto round = kz::DecodeTopicAssignment(kz::EncodeTopicAssignment(topic));
  REQUIRE(round.ok());
  topic.adding_replicas.erase(2);
  CHECK(*round == topic);
  CHECK(kz::EncodeTopicAssignment(topic).find(R"("adding_replicas":{"1":[3]})") !=
        std::string::npos);
}

TEST_CASE("version 1 and 2 topic assignments decode", "[coordination][zkdata]") {
  // Kafka's documented v1 example (docs/implementation: broker topic registry).
  auto v1 = kz::DecodeTopicAssignment(R"({ "version": 1, "partitions": {"0": [0, 1, 3] } })");
  REQUIRE(v1.ok());
  CHECK(v1->version == 1);
  CHECK(v1->partitions.at(0) == std::vector<int32_t>{0, 1, 3});
  CHECK(!v1->topic_id.has_value());
  CHECK(v1->adding_replicas.empty());
  auto v2 = kz::DecodeTopicAssignment(
      R"({"version":2,"partitions":{"1":[1],"0":[2]},"adding_replicas":{"0":[3]},"removing_replicas":{}})");
  REQUIRE(v2.ok());
  CHECK(v2->partitions.size() == 2);
  CHECK(v2->adding_replicas.at(0) == std::vector<int32_t>{3});
}

TEST_CASE("partition state, controller and epoch encode as Kafka writes them",
          "[coordination][zkdata]") {
  kz::PartitionState state{.leader = 1, .leader_epoch = 0, .isr = {1, 2}, .controller_epoch = 1};
  CHECK(kz::EncodePartitionState(state) ==
        R"({"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2]})");
  auto decoded = kz::DecodePartitionState(kz::EncodePartitionState(state));
  REQUIRE(decoded.ok());
  CHECK(*decoded == state);
  state.leader_recovery_state = 1;
  auto recovering = kz::DecodePartitionState(kz::EncodePartitionState(state));
  REQUIRE(recovering.ok());
  CHECK(recovering->leader_recovery_state == 1);

  CHECK(kz::EncodeController({.broker_id = 1, .timestamp_ms = kTs}) ==
        R"({"version":1,"brokerid":1,"timestamp":"1700000000000"})");
  auto controller = kz::DecodeController(R"({"version":1,"brokerid":3,"timestamp":"42"})");
  REQUIRE(controller.ok());
  CHECK(controller->broker_id == 3);
  CHECK(controller->timestamp_ms == 42);

  CHECK(kz::EncodeControllerEpoch(1) == "1");
  CHECK(*kz::DecodeControllerEpoch("17") == 17);
}

TEST_CASE("topic configs and change notifications encode as Kafka writes them",
          "[coordination][zkdata]") {
  kz::EntityConfig config;
  config.config["retention.ms"] = "1000";
  CHECK(kz::EncodeEntityConfig(config) == R"({"version":1,"config":{"retention.ms":"1000"}})");
  config.config["cleanup.policy"] = "compact";
  config.config["segment.bytes"] = "1048576";
  auto decoded = kz::DecodeEntityConfig(kz::EncodeEntityConfig(config));
  REQUIRE(decoded.ok());
  CHECK(*decoded == config);

  CHECK(kz::EncodeConfigChangeNotification("topics/orders") ==
        R"({"version":2,"entity_path":"topics/orders"})");
  CHECK(*kz::DecodeConfigChangeNotification(R"({"version":2,"entity_path":"topics/orders"})") ==
        "topics/orders");
}

TEST_CASE("malformed znode data decodes to a status", "[coordination][zkdata]") {
  struct Case {
    const char* name;
    absl::Status status;
  };
  const Case cases[] = {
      {"broker: not JSON", kz::DecodeBrokerRegistration("{\"version\":5,").status()},
      {"broker: empty", kz::DecodeBrokerRegistration("").status()},
      {"broker: an array", kz::DecodeBrokerRegistration("[1,2]").status()},
      {"broker: no version", kz::DecodeBrokerRegistration(R"({"endpoints":[]})").status()},
      {"broker: version 9", kz::DecodeBrokerRegistration(R"({"version":9,"endpoints":[]})").status()},
      {"broker: string version", kz::DecodeBrokerRegistration(R"({"version":"5","endpoints":[]})").status()},
      {"broker: no endpoints", kz::DecodeBrokerRegistration(R"({"version":5})").status()},
      {"broker: bad endpoint", kz::DecodeBrokerRegistration(R"({"version":5,"endpoints":["nohost"]})").status()},
      {"broker: bad port", kz::DecodeBrokerRegistration(R"({"version":5,"endpoints":["P://h:x"]})").status()},
      {"broker: endpoint not a string", kz::DecodeBrokerRegistration(R"({"version":5,"endpoints":[5]})").status()},
      {"broker: bad timestamp", kz::DecodeBrokerRegistration(R"({"version":5,"endpoints":[],"timestamp":"12a"})").status()},
      {"broker: bad feature", kz::DecodeBrokerRegistration(R"({"version":5,"endpoints":[],"features":{"f":{"min_version":1}}})").status()},
      {"topic: no partitions", kz::DecodeTopicAssignment(R"({"version":3})").status()},
      {"topic: bad partition key", kz::DecodeTopicAssignment(R"({"version":3,"partitions":{"x":[1]}})").status()},
      {"topic: negative partition", kz::DecodeTopicAssignment(R"({"version":3,"partitions":{"-1":[1]}})").status()},
      {"topic: replicas not ints", kz::DecodeTopicAssignment(R"({"version":3,"partitions":{"0":["a"]}})").status()},
      {"topic: replica too big", kz::DecodeTopicAssignment(R"({"version":3,"partitions":{"0":[4294967296]}})").status()},
      {"topic: topic_id not a string", kz::DecodeTopicAssignment(R"({"version":3,"partitions":{},"topic_id":5})").status()},
      {"state: no isr", kz::DecodePartitionState(R"({"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0})").status()},
      {"state: isr not a list", kz::DecodePartitionState(R"({"controller_epoch":1,"leader":1,"leader_epoch":0,"isr":1})").status()},
      {"state: leader a float", kz::DecodePartitionState(R"({"controller_epoch":1,"leader":1.5,"leader_epoch":0,"isr":[]})").status()},
      {"state: leader too big", kz::DecodePartitionState(R"({"controller_epoch":1,"leader":2147483648,"leader_epoch":0,"isr":[]})").status()},
      {"state: truncated", kz::DecodePartitionState(R"({"controller_epoch":1,"leader")").status()},
      {"controller: no brokerid", kz::DecodeController(R"({"version":1,"timestamp":"1"})").status()},
      {"controller: null", kz::DecodeController("null").status()},
      {"epoch: text", kz::DecodeControllerEpoch("abc").status()},
      {"epoch: empty", kz::DecodeControllerEpoch("").status()},
      {"epoch: trailing", kz::DecodeControllerEpoch("1x").status()},
      {"epoch: overflow", kz::DecodeControllerEpoch("99999999999").status()},
      {"config: value not a string", kz::DecodeEntityConfig(R"({"version":1,"config":{"a":1}})").status()},
      {"config: bad version", kz::DecodeEntityConfig(R"({"version":2,"config":{}})").status()},
      {"change: no entity_path", kz::DecodeConfigChangeNotification(R"({"version":2})").status()},
      {"bad UTF-8", kz::DecodeController("{\"brokerid\":1,\"x\":\"\xff\"}").status()},
  };
  for (const Case& c : cases) {
    INFO(c.name << ": " << c.status.ToString());
    CHECK(c.status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(Contains(c.status, "malformed"));
  }
}

TEST_CASE("the Scala HashMap order explains Kafka's key orders", "[coordination][zkdata]") {
  // BrokerIdZNode's six initial keys plus two: the order of Kafka's bytes above.
  CHECK(kz::ScalaMutableHashMapOrder({"version", "host", "port", "endpoints", "jmx_port",
                                      "timestamp", "listener_security_protocol_map", "features"},
                                     6) ==
        std::vector<std::string>{"features", "listener_security_protocol_map", "endpoints",
                                 "jmx_port", "port", "host", "version", "timestamp"});
  CHECK(kz::ScalaMutableHashMapOrder(
            {"version", "partitions", "adding_replicas", "removing_replicas", "topic_id"}, 4) ==
        std::vector<std::string>{"partitions", "topic_id", "adding_replicas",
                                 "removing_replicas", "version"});
  // Few partitions come out in numeric order.
  CHECK(kz::ScalaMutableHashMapOrder({"0", "1", "2", "3"}) ==
        std::vector<std::string>{"0", "1", "2", "3"});
}

TEST_CASE("Kafka's paths", "[coordination][zkdata]") {
  CHECK(kz::BrokerIdPath(1) == "/brokers/ids/1");
  CHECK(kz::TopicPath("orders") == "/brokers/topics/orders");
  CHECK(kz::TopicPartitionStatePath("orders", 3) == "/brokers/topics/orders/partitions/3/state");
  CHECK(kz::DeleteTopicPath("orders") == "/admin/delete_topics/orders");
  CHECK(kz::ConfigTopicPath("orders") == "/config/topics/orders");
  CHECK(kz::ConfigChangeSequencePrefix() == "/config/changes/config_change_");
  CHECK(kz::kControllerPath == "/controller");
  CHECK(kz::kControllerEpochPath == "/controller_epoch");
}

TEST_CASE("EnsureKafkaPaths builds the persistent skeleton, idempotently",
          "[coordination][zkdata]") {
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  REQUIRE(kz::EnsureKafkaPaths(zk).ok());
  REQUIRE(kz::EnsureKafkaPaths(zk).ok());
  CHECK(zk.GetChildren("/brokers")->names == std::vector<std::string>{"ids", "seqid", "topics"});
  CHECK(zk.GetChildren("/config")->names ==
        std::vector<std::string>{"brokers", "changes", "clients", "ips", "topics", "users"});
  CHECK(zk.Exists("/admin/delete_topics")->has_value());
  CHECK(!zk.Exists("/controller")->has_value());
  CHECK(!zk.Exists("/controller_epoch")->has_value());

  // A topic as Kafka's admin client writes it, then its state, a config
  // change and a deletion request.
  kz::TopicAssignment topic;
  topic.partitions[0] = {1};
  REQUIRE(zk.Create(kNoSession, kz::TopicPath("orders"), kz::EncodeTopicAssignment(topic),
                    CreateMode::kPersistent)
              .ok());
  auto state = kz::CreateRecursive(zk, kNoSession, kz::TopicPartitionStatePath("orders", 0),
                                   kz::EncodePartitionState({.leader = 1, .isr = {1}}));
  REQUIRE(state.ok());
  CHECK(zk.GetChildren("/brokers/topics/orders/partitions")->names ==
        std::vector<std::string>{"0"});
  CHECK(IsNodeExists(kz::CreateRecursive(zk, kNoSession, *state).status()));
  auto change = zk.Create(kNoSession, kz::ConfigChangeSequencePrefix(),
                          kz::EncodeConfigChangeNotification("topics/orders"),
                          CreateMode::kPersistentSequential);
  REQUIRE(change.ok());
  CHECK(*change == "/config/changes/config_change_0000000000");
  REQUIRE(zk.Create(kNoSession, kz::DeleteTopicPath("orders"), "", CreateMode::kPersistent).ok());
  CHECK(zk.GetChildren(kz::kDeleteTopicsPath)->names == std::vector<std::string>{"orders"});

  auto broker_session = zk.OpenSession(absl::Seconds(18), nullptr);
  REQUIRE(broker_session.ok());
  kz::BrokerRegistration broker;
  broker.endpoints = {{"PLAINTEXT", "localhost", 9092, "PLAINTEXT"}};
  REQUIRE(zk.Create(*broker_session, kz::BrokerIdPath(1), kz::EncodeBrokerRegistration(broker),
                    CreateMode::kEphemeral)
              .ok());
  CHECK(zk.GetChildren(kz::kBrokerIdsPath)->names == std::vector<std::string>{"1"});
}

}  // namespace
}  // namespace samsa
