// Several brokers in one process: registration, controller election, Kafka's
// replica placement, leader routing, broker loss and return, topic deletion
// and growth.
#include "samsa/cluster.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "broker/broker_impl.h"
#include "broker/cluster_impl.h"
#include "broker/group/offsets_records.h"
#include "broker_test_util.h"
#include "coordination/controller.h"
#include "coordination/kafka_zk_data.h"
#include "coordination/kafka_zk_paths.h"
#include "record/record_batch.h"
#include "samsa/consumer.h"
#include "samsa/producer.h"

namespace samsa {
namespace {

namespace zk = kafka_zk;

struct ClusterFixture {
  ManualClock clock;
  std::unique_ptr<Env> env = NewMemEnv(&clock);
  std::unique_ptr<Cluster> cluster;

  explicit ClusterFixture(int brokers = 3, std::function<void(BrokerConfig&)> tweak = nullptr) {
    ClusterOptions options;
    options.num_brokers = brokers;
    options.base.log_dirs = "/kafka";
    options.base.num_io_threads = 1;
    if (tweak) tweak(options.base);
    options.env = env.get();
    options.clock = &clock;
    options.placement_seed = 7;
    auto started = Cluster::Start(options);
    REQUIRE(started.ok());
    cluster = *std::move(started);
  }

  InMemoryCoordinator& coordinator() { return *dynamic_cast<InMemoryCoordinator*>(cluster->coordinator()); }

  zk::PartitionState State(const std::string& topic, int32_t p) {
    auto node = coordinator().Get(zk::TopicPartitionStatePath(topic, p));
    REQUIRE(node.ok());
    auto state = zk::DecodePartitionState(node->data);
    REQUIRE(state.ok());
    return *state;
  }

  std::map<int32_t, int32_t> Leaders(const std::string& topic) {
    auto d = cluster->DescribeTopic(topic);
    REQUIRE(d.ok());
    std::map<int32_t, int32_t> leaders;
    for (const PartitionDescription& p : d->partitions) leaders[p.partition] = p.leader;
    return leaders;
  }

  std::unique_ptr<Producer> MakeProducer(int retries = 0) {
    ProducerConfig config;
    config.linger_ms = 0;
    config.retries = retries;
    auto producer = Producer::Create(cluster.get(), config);
    REQUIRE(producer.ok());
    return *std::move(producer);
  }

  std::unique_ptr<Consumer> MakeConsumer() {
    ConsumerConfig config;
    config.auto_offset_reset = OffsetResetStrategy::kEarliest;
    auto consumer = Consumer::Create(cluster.get(), config);
    REQUIRE(consumer.ok());
    return *std::move(consumer);
  }

  // Sends `n` records to each of `partitions`; returns their acknowledged offsets.
  void ProduceTo(Producer& producer, const std::string& topic, const std::vector<int32_t>& partitions,
                 int n, const std::string& prefix) {
    std::vector<RecordFuture> futures;
    for (int32_t p : partitions) {
      for (int i = 0; i < n; ++i) {
        futures.push_back(producer.Send(
            {.topic = topic, .partition = p, .value = fmt::format("{}-{}-{}", prefix, p, i)}));
      }
    }
    REQUIRE(producer.Flush().ok());
    for (const RecordFuture& f : futures) REQUIRE(f.Get().ok());
  }

  // Every value read from `partitions` from the beginning.
  std::map<int32_t, std::vector<std::string>> ConsumeAll(const std::string& topic,
                                                         const std::vector<int32_t>& partitions) {
    std::unique_ptr<Consumer> consumer = MakeConsumer();
    std::vector<TopicPartition> tps;
    for (int32_t p : partitions) tps.push_back({topic, p});
    REQUIRE(consumer->Assign(tps).ok());
    std::map<int32_t, std::vector<std::string>> values;
    for (int empty = 0; empty < 3;) {
      auto polled = consumer->Poll(absl::ZeroDuration());
      REQUIRE(polled.ok());
      empty = polled->empty() ? empty + 1 : 0;
      for (const ConsumerRecord& r : *polled) values[r.partition].push_back(std::string(r.value->view()));
    }
    return values;
  }

  std::vector<int32_t> PartitionsLedBy(const std::string& topic, int32_t broker) {
    std::vector<int32_t> out;
    for (const auto& [p, leader] : Leaders(topic)) {
      if (leader == broker) out.push_back(p);
    }
    return out;
  }

  int32_t SomeNonController() {
    for (int32_t id : cluster->live_broker_ids()) {
      if (id != cluster->controller_id()) return id;
    }
    FAIL("no broker but the controller");
    return -1;
  }
};

std::vector<int32_t> AllPartitions(int n) {
  std::vector<int32_t> out;
  for (int i = 0; i < n; ++i) out.push_back(i);
  return out;
}

TEST_CASE("AssignReplicasToBrokers places replicas as Kafka's AdminUtils does", "[cluster]") {
  // Kafka's AdminTest.testReplicaAssignment: 5 brokers, 10 partitions,
  // replication factor 3, fixed start index 0.
  const std::map<int32_t, std::vector<int32_t>> expected = {
      {0, {0, 1, 2}}, {1, {1, 2, 3}}, {2, {2, 3, 4}}, {3, {3, 4, 0}}, {4, {4, 0, 1}},
      {5, {0, 2, 3}}, {6, {1, 3, 4}}, {7, {2, 4, 0}}, {8, {3, 0, 1}}, {9, {4, 1, 2}}};
  auto assignment = coordination::AssignReplicasToBrokers({4, 2, 0, 3, 1}, 10, 3, 0, 0, nullptr);
  REQUIRE(assignment.ok());
  CHECK(*assignment == expected);

  std::mt19937_64 rng(1);
  CHECK(ErrorCodeOf(coordination::AssignReplicasToBrokers({0, 1}, 3, 3, -1, 0, &rng).status()) ==
        ErrorCode::kInvalidReplicationFactor);
  CHECK(ErrorCodeOf(coordination::AssignReplicasToBrokers({0, 1}, 0, 1, -1, 0, &rng).status()) ==
        ErrorCode::kInvalidPartitions);

  // Growing a topic continues from partition 0's first replica
  // (AdminZkClient.addPartitions).
  auto grown = coordination::AssignNewPartitions({0, 1, 2}, {{0, {1}}, {1, {2}}, {2, {0}}}, 5);
  REQUIRE(grown.ok());
  CHECK(*grown == std::map<int32_t, std::vector<int32_t>>{{3, {1}}, {4, {2}}});
}

TEST_CASE("three brokers register and elect exactly one controller", "[cluster]") {
  ClusterFixture f;
  auto ids = f.coordinator().GetChildren(zk::kBrokerIdsPath);
  REQUIRE(ids.ok());
  CHECK(ids->names == std::vector<std::string>{"0", "1", "2"});
  for (const std::string& id : ids->names) {
    auto node = f.coordinator().Get("/brokers/ids/" + id);
    REQUIRE(node.ok());
    CHECK(node->stat.ephemeral_owner != kNoSession);
    CHECK(zk::DecodeBrokerRegistration(node->data).ok());
  }
  const int32_t controller = f.cluster->controller_id();
  CHECK(controller >= 0);
  CHECK(controller <= 2);
  CHECK(f.cluster->controller_epoch() == 1);
  auto node = f.coordinator().Get(zk::kControllerPath);
  REQUIRE(node.ok());
  // /controller belongs to the controller broker's session.
  auto registration = f.coordinator().Get(zk::BrokerIdPath(controller));
  REQUIRE(registration.ok());
  CHECK(node->stat.ephemeral_owner == registration->stat.ephemeral_owner);
  // Every broker got the same metadata, naming the controller.
  for (int32_t id : f.cluster->broker_ids()) {
    auto md = f.cluster->broker(id)->impl()->cluster_metadata();
    REQUIRE(md != nullptr);
    CHECK(md->controller_id == controller);
    CHECK(md->live_brokers == std::set<int32_t>{0, 1, 2});
  }
}

TEST_CASE("a topic's partitions are spread over the brokers and led by their first replica",
          "[cluster]") {
  ClusterFixture f;
  REQUIRE(f.cluster->CreateTopic({.name = "orders", .num_partitions = 6, .replication_factor = 1}).ok());
  CHECK(ErrorCodeOf(f.cluster->CreateTopic({.name = "orders", .num_partitions = 1})) ==
        ErrorCode::kTopicAlreadyExists);
  CHECK(ErrorCodeOf(f.cluster->CreateTopic({.name = "wide", .num_partitions = 1, .replication_factor = 2})) ==
        ErrorCode::kInvalidReplicationFactor);

  auto assignment_node = f.coordinator().Get(zk::TopicPath("orders"));
  REQUIRE(assignment_node.ok());
  auto assignment = zk::DecodeTopicAssignment(assignment_node->data);
  REQUIRE(assignment.ok());
  REQUIRE(assignment->partitions.size() == 6);
  std::map<int32_t, int> per_broker;
  for (const auto& [p, replicas] : assignment->partitions) {
    REQUIRE(replicas.size() == 1);
    ++per_broker[replicas[0]];
    // Round robin from a start index: partition p+1 goes to the next broker.
    if (p > 0) CHECK(replicas[0] == (assignment->partitions[p - 1][0] + 1) % 3);
    const zk::PartitionState state = f.State("orders", p);
    CHECK(state.leader == replicas[0]);
    CHECK(state.leader_epoch == 0);
    CHECK(state.isr == replicas);
    CHECK(state.controller_epoch == 1);
  }
  CHECK(per_broker == std::map<int32_t, int>{{0, 2}, {1, 2}, {2, 2}});

  // Each broker hosts exactly its partitions; Metadata from any broker
  // names the same leaders; a non-leader refuses requests.
  for (int32_t id : f.cluster->broker_ids()) {
    Broker::Impl* broker = f.cluster->broker(id)->impl();
    auto md = broker->Metadata(std::vector<std::string>{"orders"}, false);
    REQUIRE(md.size() == 1);
    REQUIRE(md[0].partitions.size() == 6);
    for (int32_t p = 0; p < 6; ++p) {
      const int32_t leader = assignment->partitions[p][0];
      CHECK(md[0].partitions[p].leader == leader);
      CHECK((broker->GetPartition({"orders", p}) != nullptr) == (leader == id));
      if (leader != id) {
        auto produced = broker->Produce({"orders", p}, testing::MakeBatch(1, "x", 0), 1);
        CHECK(ErrorCodeOf(produced.status()) == ErrorCode::kNotLeaderOrFollower);
        auto listed = broker->ListOffset({"orders", p}, -1, FetchIsolation::kHighWatermark);
        CHECK(ErrorCodeOf(listed.status()) == ErrorCode::kNotLeaderOrFollower);
      }
    }
  }
}

TEST_CASE("a cluster producer and consumer reach every partition's leader", "[cluster]") {
  ClusterFixture f;
  REQUIRE(f.cluster->CreateTopic({.name = "orders", .num_partitions = 6}).ok());
  auto producer = f.MakeProducer();
  f.ProduceTo(*producer, "orders", AllPartitions(6), 5, "a");
  const std::map<int32_t, int32_t> leaders = f.Leaders("orders");
  for (const auto& [p, leader] : leaders) {
    auto partition = f.cluster->broker(leader)->impl()->GetPartition({"orders", p});
    REQUIRE(partition != nullptr);
    CHECK(partition->log()->log_end_offset().value() == 5);
  }
  auto d = f.cluster->DescribeTopic("orders");
  REQUIRE(d.ok());
  for (const PartitionDescription& p : d->partitions) CHECK(p.high_watermark == 5);

  const auto values = f.ConsumeAll("orders", AllPartitions(6));
  REQUIRE(values.size() == 6);
  for (const auto& [p, v] : values) {
    REQUIRE(v.size() == 5);
    CHECK(v.front() == fmt::format("a-{}-0", p));
    CHECK(v.back() == fmt::format("a-{}-4", p));
  }
}

TEST_CASE("killing the controller elects another, its partitions are offline until it returns",
          "[cluster]") {
  ClusterFixture f;
  REQUIRE(f.cluster->CreateTopic({.name = "orders", .num_partitions = 6}).ok());
  auto producer = f.MakeProducer();
  f.ProduceTo(*producer, "orders", AllPartitions(6), 4, "before");

  const int32_t killed = f.cluster->controller_id();
  const std::vector<int32_t> lost = f.PartitionsLedBy("orders", killed);
  REQUIRE(lost.size() == 2);
  REQUIRE(f.cluster->KillBroker(killed).ok());
  CHECK(f.cluster->broker(killed) == nullptr);

  const int32_t controller = f.cluster->controller_id();
  CHECK(controller >= 0);
  CHECK(controller != killed);
  CHECK(f.cluster->controller_epoch() == 2);
  for (int32_t p : lost) {
    const zk::PartitionState state = f.State("orders", p);
    CHECK(state.leader == -1);
    CHECK(state.leader_epoch == 1);
    CHECK(state.isr == std::vector<int32_t>{killed});  // the last in-sync replica stays
    CHECK(state.controller_epoch == 2);
    CHECK(f.Leaders("orders")[p] == -1);
  }

  // Clients get LEADER_NOT_AVAILABLE for the offline partitions; the others work.
  auto refused = producer->Send({.topic = "orders", .partition = lost[0], .value = "x"}).Get();
  CHECK(ErrorCodeOf(refused.status()) == ErrorCode::kLeaderNotAvailable);
  CHECK(std::string(refused.status().message()).find("offline") != std::string::npos);
  auto consumer = f.MakeConsumer();
  auto ends = consumer->EndOffsets({{"orders", lost[0]}});
  CHECK(ErrorCodeOf(ends.status()) == ErrorCode::kLeaderNotAvailable);
  std::vector<int32_t> online;
  for (int32_t p : AllPartitions(6)) {
    if (std::find(lost.begin(), lost.end(), p) == lost.end()) online.push_back(p);
  }
  f.ProduceTo(*producer, "orders", online, 1, "during");
  for (int32_t id : f.cluster->live_broker_ids()) {
    auto md = f.cluster->broker(id)->impl()->Metadata(std::vector<std::string>{"orders"}, false);
    CHECK(md[0].partitions[lost[0]].error == ErrorCode::kLeaderNotAvailable);
    auto produced = f.cluster->broker(id)->impl()->Produce({"orders", lost[0]}, testing::MakeBatch(1, "x", 0), 1);
    CHECK(ErrorCodeOf(produced.status()) == ErrorCode::kLeaderNotAvailable);
  }

  REQUIRE(f.cluster->RestartBroker(killed).ok());
  CHECK_FALSE(f.cluster->broker(killed)->recovery_info().clean_shutdown);
  CHECK(f.cluster->controller_id() == controller);  // the new controller stays
  for (int32_t p : lost) {
    const zk::PartitionState state = f.State("orders", p);
    CHECK(state.leader == killed);
    CHECK(state.leader_epoch == 2);
  }
  f.ProduceTo(*producer, "orders", lost, 1, "after");
  const auto values = f.ConsumeAll("orders", lost);
  for (int32_t p : lost) {
    REQUIRE(values.at(p).size() == 5);  // every acknowledged record, then the new one
    CHECK(values.at(p)[0] == fmt::format("before-{}-0", p));
    CHECK(values.at(p)[3] == fmt::format("before-{}-3", p));
    CHECK(values.at(p)[4] == fmt::format("after-{}-0", p));
  }
}

TEST_CASE("a producer retrying an offline partition delivers once its leader returns", "[cluster]") {
  ClusterFixture f;
  REQUIRE(f.cluster->CreateTopic({.name = "orders", .num_partitions = 3}).ok());
  const int32_t down = f.SomeNonController();
  const std::vector<int32_t> lost = f.PartitionsLedBy("orders", down);
  REQUIRE(!lost.empty());
  REQUIRE(f.cluster->StopBroker(down).ok());
  auto producer = f.MakeProducer(/*retries=*/1000);
  RecordFuture future = producer->Send({.topic = "orders", .partition = lost[0], .value = "late"});
  // It waits out retry.backoff.ms on the manual clock, failing each attempt.
  for (int i = 0; i < 5; ++i) {
    f.clock.Advance(absl::Milliseconds(100));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a yield for the sender
  }
  CHECK_FALSE(future.ready());
  REQUIRE(f.cluster->RestartBroker(down).ok());
  REQUIRE(testing::Eventually([&] {
    f.clock.Advance(absl::Milliseconds(100));
    // The brokers' heartbeats due by now have run: no session expires.
    for (int32_t id : f.cluster->live_broker_ids()) f.cluster->broker(id)->impl()->AwaitBackgroundIdle();
    return future.ready();
  }));
  auto md = future.Get();
  REQUIRE(md.ok());
  CHECK(md->offset == 0);
  CHECK(f.ConsumeAll("orders", {lost[0]}).at(lost[0]) == std::vector<std::string>{"late"});
}

TEST_CASE("stopping a broker takes its partitions offline, the controller stays", "[cluster]") {
  ClusterFixture f;
  REQUIRE(f.cluster->CreateTopic({.name = "orders", .num_partitions = 6}).ok());
  auto producer = f.MakeProducer();
  f.ProduceTo(*producer, "orders", AllPartitions(6), 3, "v");
  const int32_t controller = f.cluster->controller_id();
  const int32_t stopped = f.SomeNonController();
  const std::vector<int32_t> lost = f.PartitionsLedBy("orders", stopped);
  REQUIRE(f.cluster->StopBroker(stopped).ok());
  CHECK(f.cluster->controller_id() == controller);
  CHECK(f.cluster->controller_epoch() == 1);
  CHECK(ErrorCodeOf(f.cluster->StopBroker(stopped)) == ErrorCode::kBrokerNotAvailable);
  for (int32_t p : lost) CHECK(f.State("orders", p).leader == -1);
  auto refused = producer->Send({.topic = "orders", .partition = lost[0], .value = "x"}).Get();
  CHECK(ErrorCodeOf(refused.status()) == ErrorCode::kLeaderNotAvailable);

  REQUIRE(f.cluster->RestartBroker(stopped).ok());
  CHECK(f.cluster->broker(stopped)->recovery_info().clean_shutdown);
  for (int32_t p : lost) {
    CHECK(f.State("orders", p).leader == stopped);
    CHECK(f.State("orders", p).leader_epoch == 2);
  }
  const auto values = f.ConsumeAll("orders", lost);
  for (int32_t p : lost) CHECK(values.at(p).size() == 3);
}

TEST_CASE("deleting a topic removes its nodes and its files on the hosting brokers", "[cluster]") {
  ClusterFixture f;
  REQUIRE(f.cluster->CreateTopic({.name = "doomed", .num_partitions = 3}).ok());
  REQUIRE(f.cluster->CreateTopic({.name = "kept", .num_partitions = 3}).ok());
  auto producer = f.MakeProducer();
  f.ProduceTo(*producer, "doomed", AllPartitions(3), 2, "d");
  const std::map<int32_t, int32_t> leaders = f.Leaders("doomed");
  for (const auto& [p, leader] : leaders) {
    CHECK(f.env->FileExists(fmt::format("/kafka/broker-{}/doomed-{}", leader, p)));
  }
  // One hosting broker is down while the topic is deleted: its log is stray
  // when it returns, and goes then.
  const int32_t down = leaders.at(0);
  REQUIRE(f.cluster->StopBroker(down).ok());
  REQUIRE(f.cluster->DeleteTopic("doomed").ok());
  CHECK(ErrorCodeOf(f.cluster->DeleteTopic("doomed")) == ErrorCode::kUnknownTopicOrPartition);
  CHECK_FALSE(f.coordinator().Exists(zk::TopicPath("doomed")).value().has_value());
  CHECK_FALSE(f.coordinator().Exists(zk::DeleteTopicPath("doomed")).value().has_value());
  CHECK(f.cluster->ListTopics() == std::vector<std::string>{"kept"});
  for (const auto& [p, leader] : leaders) {
    CHECK(f.env->FileExists(fmt::format("/kafka/broker-{}/doomed-{}", leader, p)) == (leader == down));
  }
  REQUIRE(f.cluster->RestartBroker(down).ok());
  CHECK_FALSE(f.env->FileExists(fmt::format("/kafka/broker-{}/doomed-0", down)));
  CHECK(f.cluster->broker(down)->ListTopics() == std::vector<std::string>{"kept"});
  // Topic admin on a broker goes through the cluster.
  REQUIRE(f.cluster->broker(down)->CreateTopic({.name = "via-broker", .num_partitions = 2}).ok());
  CHECK(f.coordinator().Exists(zk::TopicPath("via-broker")).value().has_value());
  CHECK(f.cluster->ListTopics() == std::vector<std::string>{"kept", "via-broker"});
  REQUIRE(f.cluster->broker(down)->DeleteTopic("via-broker").ok());
  CHECK(f.cluster->ListTopics() == std::vector<std::string>{"kept"});
  // (AlterTopicConfigs through a broker: its own test below.)
}

TEST_CASE("adding partitions extends the assignment and the new partitions take records",
          "[cluster]") {
  ClusterFixture f;
  REQUIRE(f.cluster->CreateTopic({.name = "orders", .num_partitions = 3}).ok());
  const std::map<int32_t, int32_t> before = f.Leaders("orders");
  REQUIRE(f.cluster->CreatePartitions("orders", 5).ok());
  CHECK(ErrorCodeOf(f.cluster->CreatePartitions("orders", 4)) == ErrorCode::kInvalidPartitions);
  const std::map<int32_t, int32_t> after = f.Leaders("orders");
  REQUIRE(after.size() == 5);
  for (int32_t p = 0; p < 3; ++p) CHECK(after.at(p) == before.at(p));
  // The round robin goes on from partition 0's broker.
  CHECK(after.at(3) == before.at(0));
  CHECK(after.at(4) == before.at(1));
  CHECK(f.State("orders", 4).leader == after.at(4));
  auto producer = f.MakeProducer();
  f.ProduceTo(*producer, "orders", {3, 4}, 2, "new");
  const auto values = f.ConsumeAll("orders", {3, 4});
  CHECK(values.at(3).size() == 2);
  CHECK(values.at(4).size() == 2);
}

TEST_CASE("a broker whose session expires is taken for lost, then registers again", "[cluster]") {
  ClusterFixture f;
  REQUIRE(f.cluster->CreateTopic({.name = "orders", .num_partitions = 6}).ok());
  const int32_t controller = f.cluster->controller_id();
  const int32_t victim = f.SomeNonController();
  const std::vector<int32_t> led = f.PartitionsLedBy("orders", victim);
  auto registration = f.coordinator().Get(zk::BrokerIdPath(victim));
  REQUIRE(registration.ok());
  REQUIRE(f.coordinator().ExpireSession(registration->stat.ephemeral_owner).ok());
  f.cluster->AwaitSettled();

  // The controller saw the registration go (leader epoch bumped) and come
  // back with a new session; the broker leads its partitions again.
  auto again = f.coordinator().Get(zk::BrokerIdPath(victim));
  REQUIRE(again.ok());
  CHECK(again->stat.ephemeral_owner != registration->stat.ephemeral_owner);
  CHECK(again->stat.czxid > registration->stat.czxid);
  CHECK(f.cluster->controller_id() == controller);
  for (int32_t p : led) {
    const zk::PartitionState state = f.State("orders", p);
    CHECK(state.leader == victim);
    CHECK(state.leader_epoch >= 1);
  }
  auto producer = f.MakeProducer();
  f.ProduceTo(*producer, "orders", led, 1, "x");
}

TEST_CASE("sessions stay alive while the clock runs and the brokers heartbeat", "[cluster]") {
  ClusterFixture f;
  const int32_t controller = f.cluster->controller_id();
  // 60 s of time in 1 s steps (zookeeper.session.timeout.ms is 18 s): the
  // heartbeats (every 6 s) keep every session.
  for (int i = 0; i < 60; ++i) {
    f.clock.Advance(absl::Seconds(1));
    for (int32_t id : f.cluster->live_broker_ids()) f.cluster->broker(id)->impl()->AwaitBackgroundIdle();
  }
  f.cluster->AwaitSettled();
  CHECK(f.coordinator().NumSessions() == 3);
  CHECK(f.cluster->controller_id() == controller);
  CHECK(f.cluster->controller_epoch() == 1);
}

TEST_CASE("a pause longer than zookeeper.session.timeout.ms expires every session, the cluster recovers",
          "[cluster]") {
  ClusterFixture f;
  REQUIRE(f.cluster->CreateTopic({.name = "orders", .num_partitions = 6}).ok());
  auto producer = f.MakeProducer();
  f.ProduceTo(*producer, "orders", AllPartitions(6), 2, "before");
  std::map<int32_t, int64_t> czxid;
  for (int32_t id : f.cluster->broker_ids()) {
    auto node = f.coordinator().Get(zk::BrokerIdPath(id));
    REQUIRE(node.ok());
    czxid[id] = node->stat.czxid;
  }
  // No heartbeat can run inside one jump past the 18 s time-out. The next
  // coordinator call applies the expiry; AwaitSettled lets every broker
  // register again and a controller take over.
  f.clock.Advance(absl::Seconds(19));
  CHECK(f.coordinator().NumSessions() <= 3);
  f.cluster->AwaitSettled();
  REQUIRE(testing::Eventually([&] {
    f.cluster->AwaitSettled();
    return f.coordinator().NumSessions() == 3 && f.cluster->controller_id() >= 0;
  }));
  f.cluster->AwaitSettled();
  CHECK(f.cluster->controller_epoch() >= 2);
  for (int32_t id : f.cluster->broker_ids()) {
    auto node = f.coordinator().Get(zk::BrokerIdPath(id));
    REQUIRE(node.ok());
    CHECK(node->stat.czxid > czxid[id]);
  }
  // Every partition is led by its replica again (a broker the new
  // controller found registered keeps its leader epoch: it never stopped
  // leading; the others went offline and came back, epoch + 2).
  auto assignment = zk::DecodeTopicAssignment(f.coordinator().Get(zk::TopicPath("orders"))->data);
  REQUIRE(assignment.ok());
  for (const auto& [p, leader] : f.Leaders("orders")) {
    CHECK(leader == assignment->partitions.at(p)[0]);
    const int32_t epoch = f.State("orders", p).leader_epoch;
    CHECK(epoch >= 0);
    CHECK(epoch <= 2);
  }
  f.ProduceTo(*producer, "orders", AllPartitions(6), 1, "after");
  const auto values = f.ConsumeAll("orders", AllPartitions(6));
  for (int32_t p = 0; p < 6; ++p) CHECK(values.at(p).size() == 3);
}

TEST_CASE("the controller's session expiry moves the controller", "[cluster]") {
  ClusterFixture f;
  REQUIRE(f.cluster->CreateTopic({.name = "orders", .num_partitions = 3}).ok());
  const int32_t controller = f.cluster->controller_id();
  auto registration = f.coordinator().Get(zk::BrokerIdPath(controller));
  REQUIRE(registration.ok());
  REQUIRE(f.coordinator().ExpireSession(registration->stat.ephemeral_owner).ok());
  f.cluster->AwaitSettled();
  CHECK(f.cluster->controller_epoch() >= 2);
  CHECK(f.cluster->controller_id() >= 0);
  // Whoever controls now sees every broker and every partition led.
  auto md = f.cluster->impl()->metadata();
  REQUIRE(md != nullptr);
  CHECK(md->live_brokers == std::set<int32_t>{0, 1, 2});
  for (const auto& [p, leader] : f.Leaders("orders")) CHECK(leader >= 0);
}

TEST_CASE("a consumer group's coordinator is the broker leading its __consumer_offsets partition",
          "[cluster][groups]") {
  ClusterFixture f(3, [](BrokerConfig& c) {
    c.offsets_topic_num_partitions = 3;
    c.group_initial_rebalance_delay_ms = 0;
  });
  REQUIRE(f.cluster->CreateTopic({.name = "orders", .num_partitions = 3}).ok());
  auto producer = f.MakeProducer();
  f.ProduceTo(*producer, "orders", AllPartitions(3), 4, "g");

  ConsumerConfig config;
  config.group_id = "g";
  config.client_id = "c1";
  config.auto_offset_reset = OffsetResetStrategy::kEarliest;
  config.enable_auto_commit = false;
  config.session_timeout_ms = 10000;
  config.heartbeat_interval_ms = 1000;
  auto consumer = Consumer::Create(f.cluster.get(), config);
  REQUIRE(consumer.ok());
  REQUIRE((*consumer)->Subscribe({"orders"}).ok());
  size_t got = 0;
  for (int round = 0; round < 200 && got < 12; ++round) {
    auto polled = (*consumer)->Poll(absl::ZeroDuration());
    REQUIRE(polled.ok());
    got += polled->size();
    if (got < 12) {
      f.clock.Advance(absl::Milliseconds(200));
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a yield for the timer threads
    }
  }
  REQUIRE(got == 12);
  REQUIRE((*consumer)->CommitSync().ok());

  // The group lives on the leader of partition PartitionForGroup("g", 3).
  const int32_t p = group::PartitionForGroup("g", 3);
  const int32_t coordinator = f.Leaders("__consumer_offsets").at(p);
  REQUIRE(coordinator >= 0);
  auto described = f.cluster->broker(coordinator)->DescribeGroup("g");
  REQUIRE(described.ok());
  CHECK(described->state == "Stable");
  CHECK(described->coordinator == coordinator);
  for (int32_t id : f.cluster->live_broker_ids()) {
    if (id == coordinator) continue;
    CHECK(ErrorCodeOf(f.cluster->broker(id)->DescribeGroup("g").status()) == ErrorCode::kNotCoordinator);
  }
  REQUIRE((*consumer)->Close().ok());
  consumer->reset();

  // The coordinator's broker is killed and returns: the group's offsets
  // come back from its log.
  REQUIRE(f.cluster->KillBroker(coordinator).ok());
  REQUIRE(f.cluster->RestartBroker(coordinator).ok());
  auto again = Consumer::Create(f.cluster.get(), config);
  REQUIRE(again.ok());
  auto committed = (*again)->Committed({{"orders", 0}, {"orders", 1}, {"orders", 2}});
  REQUIRE(committed.ok());
  for (const auto& [tp, offset] : *committed) {
    REQUIRE(offset.has_value());
    CHECK(offset->offset == 4);
  }
}

TEST_CASE("killing the coordinator's broker while a consumer commits through it is safe",
          "[cluster][groups]") {
  // The consumer's thread may be inside a call on the coordinator when the
  // broker is killed: the coordinator must outlive that call (it fails with
  // a coordinator error or succeeds), never be freed under it (ASan checks).
  ClusterFixture f(2, [](BrokerConfig& c) {
    c.offsets_topic_num_partitions = 2;
    c.group_initial_rebalance_delay_ms = 0;
  });
  REQUIRE(f.cluster->CreateTopic({.name = "orders", .num_partitions = 1}).ok());
  ConsumerConfig config;
  config.group_id = "killed-coordinator";
  config.enable_auto_commit = false;
  auto consumer = Consumer::Create(f.cluster.get(), config);
  REQUIRE(consumer.ok());
  REQUIRE((*consumer)->Assign({{"orders", 0}}).ok());
  REQUIRE((*consumer)->CommitSync({{{"orders", 0}, OffsetAndMetadata{1, ""}}}).ok());
  const int32_t coordinator = f.Leaders("__consumer_offsets").at(group::PartitionForGroup(config.group_id, 2));
  REQUIRE(coordinator >= 0);

  std::atomic<int> commits{0};
  std::atomic<int> failures{0};
  std::atomic<bool> stop{false};
  std::thread committer([&] {
    for (int64_t offset = 2; !stop.load(); ++offset) {
      absl::Status s = (*consumer)->CommitSync({{{"orders", 0}, OffsetAndMetadata{offset, ""}}});
      (s.ok() ? commits : failures).fetch_add(1);
    }
  });
  while (commits.load() < 20) std::this_thread::yield();
  REQUIRE(f.cluster->KillBroker(coordinator).ok());
  const int failures_before_restart = [&] {
    while (failures.load() == 0) std::this_thread::yield();  // the coordinator is gone
    return failures.load();
  }();
  REQUIRE(f.cluster->RestartBroker(coordinator).ok());
  const int after_restart = commits.load();
  while (commits.load() < after_restart + 20) std::this_thread::yield();  // and comes back
  stop = true;
  committer.join();
  CHECK(failures_before_restart > 0);
  auto committed = (*consumer)->Committed({{"orders", 0}});
  REQUIRE(committed.ok());
  REQUIRE(committed->at({"orders", 0}).has_value());
  CHECK(committed->at({"orders", 0})->offset > 20);
}

TEST_CASE("topic configs altered through any broker reach every broker and survive a controller change",
          "[cluster][topics]") {
  ClusterFixture f(3);
  REQUIRE(f.cluster->CreateTopic({.name = "orders", .num_partitions = 3}).ok());
  auto producer = f.MakeProducer();
  const std::string big(2000, 'x');
  REQUIRE(producer->Send({.topic = "orders", .partition = 0, .value = big}).Get().ok());

  auto value_of = [&](int32_t broker, const std::string& name) -> std::string {
    auto configs = f.cluster->broker(broker)->DescribeTopicConfigs("orders");
    REQUIRE(configs.ok());
    for (const ConfigEntry& e : *configs) {
      if (e.name == name) return e.is_default ? "default:" + e.value : e.value;
    }
    return "missing";
  };
  const int32_t via = f.SomeNonController();
  REQUIRE(f.cluster->broker(via)->AlterTopicConfigs("orders", {{"max.message.bytes", "1000"},
                                                               {"retention.ms", "60000"}}).ok());
  for (int32_t id : f.cluster->live_broker_ids()) {
    INFO("broker " << id);
    CHECK(value_of(id, "max.message.bytes") == "1000");
    CHECK(value_of(id, "retention.ms") == "60000");
  }
  // Kafka's ConfigEntityZNode holds the overrides.
  auto node = f.coordinator().Get(zk::ConfigTopicPath("orders"));
  REQUIRE(node.ok());
  auto decoded = zk::DecodeEntityConfig(node->data);
  REQUIRE(decoded.ok());
  CHECK(decoded->config == std::map<std::string, std::string>{{"max.message.bytes", "1000"},
                                                              {"retention.ms", "60000"}});
  // The leaders' logs apply it: a 2000-byte record is now too large on every partition.
  for (int32_t p = 0; p < 3; ++p) {
    absl::StatusOr<RecordMetadata> sent = producer->Send({.topic = "orders", .partition = p, .value = big}).Get();
    CHECK(ErrorCodeOf(sent.status()) == ErrorCode::kMessageTooLarge);
  }
  // A bad value changes nothing; samsa.storage is fixed at creation.
  CHECK(ErrorCodeOf(f.cluster->broker(via)->AlterTopicConfigs("orders", {{"retention.ms", "soon"}})) ==
        ErrorCode::kInvalidConfig);
  CHECK(ErrorCodeOf(f.cluster->broker(via)->AlterTopicConfigs("orders", {{"samsa.storage", "memory"}})) ==
        ErrorCode::kInvalidConfig);
  CHECK(ErrorCodeOf(f.cluster->broker(via)->AlterTopicConfigs("nope", {{"retention.ms", "1"}})) ==
        ErrorCode::kUnknownTopicOrPartition);
  CHECK(value_of(via, "retention.ms") == "60000");

  // Deleting an override returns the default; the controller's successor keeps the rest.
  REQUIRE(f.cluster->broker(via)->AlterTopicConfigs("orders", {{"max.message.bytes", std::nullopt}}).ok());
  const int32_t old_controller = f.cluster->controller_id();
  REQUIRE(f.cluster->StopBroker(old_controller).ok());
  f.cluster->AwaitSettled();
  REQUIRE(f.cluster->controller_id() != old_controller);
  REQUIRE(f.cluster->controller_id() >= 0);
  for (int32_t id : f.cluster->live_broker_ids()) {
    INFO("broker " << id);
    CHECK(value_of(id, "retention.ms") == "60000");
    CHECK(value_of(id, "max.message.bytes").rfind("default:", 0) == 0);
  }
  REQUIRE(f.cluster->broker(f.cluster->controller_id())
              ->AlterTopicConfigs("orders", {{"retention.ms", "120000"}})
              .ok());
  REQUIRE(f.cluster->RestartBroker(old_controller).ok());
  f.cluster->AwaitSettled();
  CHECK(value_of(old_controller, "retention.ms") == "120000");
}

// The copy is appended batch by batch with the batches' own offsets; the
// idempotent producers' state is rebuilt from them, so a retry that reaches
// the new leader is still recognised (Kafka's followers keep that state).
TEST_CASE("a reassigned partition keeps its idempotent producers' state", "[cluster][reassign]") {
  ClusterFixture f;
  REQUIRE(f.cluster->CreateTopic({.name = "orders", .num_partitions = 1}).ok());
  const auto batch = [](int32_t first_seq, int n) {
    record::RecordBatchOptions o;
    o.producer_id = 31;
    o.producer_epoch = 0;
    o.base_sequence = first_seq;
    record::RecordBatchBuilder b(o);
    for (int i = 0; i < n; ++i) b.Append(0, std::nullopt, "v" + std::to_string(first_seq + i));
    absl::StatusOr<std::string> built = b.Build();
    REQUIRE(built.ok());
    return *built;
  };
  const int32_t from = f.Leaders("orders").at(0);
  const int32_t to = (from + 1) % 3;
  auto first = f.cluster->broker(from)->impl()->Produce({"orders", 0}, batch(0, 3), -1);
  REQUIRE(first.ok());
  REQUIRE(f.cluster->broker(from)->impl()->Produce({"orders", 0}, batch(3, 2), -1).ok());
  REQUIRE(f.cluster->ReassignPartition("orders", 0, to).ok());

  Broker::Impl* leader = f.cluster->broker(to)->impl();
  auto retry = leader->Produce({"orders", 0}, batch(3, 2), -1);
  REQUIRE(retry.ok());
  CHECK(retry->base_offset == 3);
  CHECK(ErrorCodeOf(leader->Produce({"orders", 0}, batch(9, 1), -1).status()) ==
        ErrorCode::kOutOfOrderSequenceNumber);
  auto next = leader->Produce({"orders", 0}, batch(5, 1), -1);
  REQUIRE(next.ok());
  CHECK(next->base_offset == 5);
}

TEST_CASE("reassigning a partition moves its log, offsets and leadership to the chosen broker",
          "[cluster][reassign]") {
  ClusterFixture f;
  REQUIRE(f.cluster->CreateTopic({.name = "orders", .num_partitions = 2}).ok());
  auto producer = f.MakeProducer();
  f.ProduceTo(*producer, "orders", {0, 1}, 5, "v");
  const int32_t from = f.Leaders("orders").at(0);
  int32_t to = (from + 1) % 3;
  // The log start inside the data: the copy keeps it.
  REQUIRE(f.cluster->broker(from)->impl()->DeleteRecords({"orders", 0}, 2).ok());
  const zk::PartitionState before = f.State("orders", 0);
  REQUIRE(f.env->FileExists(fmt::format("/kafka/broker-{}/orders-0", from)));

  REQUIRE(f.cluster->ReassignPartition("orders", 0, to).ok());
  const zk::PartitionState after = f.State("orders", 0);
  CHECK(after.leader == to);
  CHECK(after.leader_epoch == before.leader_epoch + 1);
  CHECK(after.isr == std::vector<int32_t>{to});
  auto assignment = zk::DecodeTopicAssignment(f.coordinator().Get(zk::TopicPath("orders"))->data);
  REQUIRE(assignment.ok());
  CHECK(assignment->partitions.at(0) == std::vector<int32_t>{to});
  auto described = f.cluster->DescribeTopic("orders");
  REQUIRE(described.ok());
  const PartitionDescription& p0 = described->partitions[0];
  CHECK(p0.leader == to);
  CHECK(p0.replicas == std::vector<int32_t>{to});
  CHECK(p0.log_start_offset == 2);
  CHECK(p0.log_end_offset == 5);
  CHECK(p0.high_watermark == 5);
  // The old broker's copy is gone; it refuses the partition.
  CHECK_FALSE(f.env->FileExists(fmt::format("/kafka/broker-{}/orders-0", from)));
  CHECK(f.env->FileExists(fmt::format("/kafka/broker-{}/orders-0", to)));
  CHECK(ErrorCodeOf(f.cluster->broker(from)
                        ->impl()
                        ->ListOffset({"orders", 0}, -1, FetchIsolation::kHighWatermark)
                        .status()) == ErrorCode::kNotLeaderOrFollower);
  // Records go on from the same offset, and read back from the log start.
  auto md = producer->Send({.topic = "orders", .partition = 0, .value = "moved"}).Get();
  REQUIRE(md.ok());
  CHECK(md->offset == 5);
  CHECK(f.ConsumeAll("orders", {0}).at(0) ==
        std::vector<std::string>{"v-0-2", "v-0-3", "v-0-4", "moved"});
  CHECK(f.ConsumeAll("orders", {1}).at(1).size() == 5);  // the other partition: untouched

  // It survives the new broker's restart (its files).
  REQUIRE(f.cluster->StopBroker(to).ok());
  REQUIRE(f.cluster->RestartBroker(to).ok());
  CHECK(f.ConsumeAll("orders", {0}).at(0).size() == 4);

  // Already there: nothing happens.
  const int32_t epoch = f.State("orders", 0).leader_epoch;
  REQUIRE(f.cluster->ReassignPartition("orders", 0, to).ok());
  CHECK(f.State("orders", 0).leader_epoch == epoch);
  // Bad requests change nothing.
  CHECK(ErrorCodeOf(f.cluster->ReassignPartition("nope", 0, from)) == ErrorCode::kUnknownTopicOrPartition);
  CHECK(ErrorCodeOf(f.cluster->ReassignPartition("orders", 2, from)) == ErrorCode::kUnknownTopicOrPartition);
  CHECK(ErrorCodeOf(f.cluster->ReassignPartition("orders", 0, 9)) == ErrorCode::kBrokerNotAvailable);
  const int32_t p1_leader = f.Leaders("orders").at(1);
  const int32_t other = (p1_leader + 1) % 3;
  REQUIRE(f.cluster->StopBroker(p1_leader).ok());
  CHECK(ErrorCodeOf(f.cluster->ReassignPartition("orders", 1, other)) == ErrorCode::kLeaderNotAvailable);
  CHECK(f.State("orders", 1).leader == -1);
  CHECK_FALSE(f.env->FileExists(fmt::format("/kafka/broker-{}/orders-1", other)));
}

TEST_CASE("a producer keeps delivering while its partition moves: every acknowledged record once, in order",
          "[cluster][reassign]") {
  ClusterFixture f;
  REQUIRE(f.cluster->CreateTopic({.name = "orders", .num_partitions = 1}).ok());
  ProducerConfig config;
  config.linger_ms = 0;
  config.retries = 1000000;
  config.retry_backoff_ms = 0;  // the clock is manual: retry at once
  auto producer = Producer::Create(f.cluster.get(), config);
  REQUIRE(producer.ok());
  std::mutex mu;
  std::vector<std::pair<int64_t, std::string>> acked;
  std::atomic<int> failed{0};
  std::atomic<bool> stop{false};
  std::thread sender([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string value = fmt::format("r{}", i);
      (*producer)->Send({.topic = "orders", .partition = 0, .value = value},
                        [&, value](const absl::StatusOr<RecordMetadata>& md) {
                          if (!md.ok()) {
                            failed.fetch_add(1);
                            return;
                          }
                          std::lock_guard lock(mu);
                          acked.emplace_back(md->offset, value);
                        });
      if (i % 64 == 63) std::this_thread::yield();
    }
  });
  auto acked_count = [&] {
    std::lock_guard lock(mu);
    return acked.size();
  };
  while (acked_count() < 200) std::this_thread::yield();
  const int32_t from = f.Leaders("orders").at(0);
  REQUIRE(f.cluster->ReassignPartition("orders", 0, (from + 1) % 3).ok());
  const size_t at_move = acked_count();
  while (acked_count() < at_move + 200) std::this_thread::yield();
  REQUIRE(f.cluster->ReassignPartition("orders", 0, (from + 2) % 3).ok());
  const size_t at_second_move = acked_count();
  while (acked_count() < at_second_move + 200) std::this_thread::yield();
  stop = true;
  sender.join();
  REQUIRE((*producer)->Flush().ok());
  CHECK(failed.load() == 0);
  std::vector<std::string> expected;
  {
    std::lock_guard lock(mu);
    std::sort(acked.begin(), acked.end());
    for (size_t i = 0; i < acked.size(); ++i) {
      REQUIRE(acked[i].first == static_cast<int64_t>(i));  // no gap, no duplicate offset
      expected.push_back(acked[i].second);
    }
  }
  // Sent order is offset order: r0, r1, ... with nothing lost or doubled.
  for (size_t i = 0; i < expected.size(); ++i) REQUIRE(expected[i] == fmt::format("r{}", i));
  CHECK(f.ConsumeAll("orders", {0}).at(0) == expected);
}

TEST_CASE("moving a __consumer_offsets partition moves its groups' coordination and committed offsets",
          "[cluster][reassign][groups]") {
  ClusterFixture f(3, [](BrokerConfig& c) {
    c.offsets_topic_num_partitions = 1;
    c.group_initial_rebalance_delay_ms = 0;
  });
  REQUIRE(f.cluster->CreateTopic({.name = "orders", .num_partitions = 1}).ok());
  ConsumerConfig config;
  config.group_id = "moving";
  config.enable_auto_commit = false;
  auto consumer = Consumer::Create(f.cluster.get(), config);
  REQUIRE(consumer.ok());
  REQUIRE((*consumer)->Assign({{"orders", 0}}).ok());
  REQUIRE((*consumer)->CommitSync({{{"orders", 0}, OffsetAndMetadata{7, "seven"}}}).ok());
  const int32_t from = f.Leaders("__consumer_offsets").at(0);
  const int32_t to = (from + 1) % 3;

  REQUIRE(f.cluster->ReassignPartition("__consumer_offsets", 0, to).ok());
  CHECK(ErrorCodeOf(f.cluster->broker(from)->DescribeGroup("moving").status()) == ErrorCode::kNotCoordinator);
  auto described = f.cluster->broker(to)->DescribeGroup("moving");
  REQUIRE(described.ok());
  CHECK(described->coordinator == to);
  auto committed = (*consumer)->Committed({{"orders", 0}});
  REQUIRE(committed.ok());
  REQUIRE(committed->at({"orders", 0}).has_value());
  CHECK(committed->at({"orders", 0})->offset == 7);
  CHECK(committed->at({"orders", 0})->metadata == "seven");
  REQUIRE((*consumer)->CommitSync({{{"orders", 0}, OffsetAndMetadata{9, ""}}}).ok());
  // The new coordinator wrote it to its log: it is there after its restart.
  REQUIRE(f.cluster->KillBroker(to).ok());
  REQUIRE(f.cluster->RestartBroker(to).ok());
  committed = (*consumer)->Committed({{"orders", 0}});
  REQUIRE(committed.ok());
  REQUIRE(committed->at({"orders", 0}).has_value());
  CHECK(committed->at({"orders", 0})->offset == 9);
}

}  // namespace
}  // namespace samsa
