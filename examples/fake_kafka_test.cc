// fake_kafka_test: a unit test of application code that talks to Kafka, with
// an embedded samsa broker standing in for the cluster. It starts in
// milliseconds, needs no network and no disk (samsa.storage=memory), and the
// test reads back exactly what the code under test produced.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include <samsa/samsa.h>

// --- the application code under test ------------------------------------------

// Publishes one event per order, keyed by customer so that one customer's
// orders stay in order (one partition per key).
class OrderService {
 public:
  explicit OrderService(samsa::Producer* producer) : producer_(producer) {}

  absl::StatusOr<int64_t> PlaceOrder(const std::string& customer, const std::string& item) {
    absl::StatusOr<samsa::RecordMetadata> md =
        producer_->Send({.topic = "orders",
                         .key = customer,
                         .value = item,
                         .headers = {{"event-type", "order-placed"}}})
            .Get(absl::Seconds(5));
    if (!md.ok()) return md.status();
    return md->offset;
  }

 private:
  samsa::Producer* producer_;
};

// --- the fake Kafka ----------------------------------------------------------------

struct FakeKafka {
  std::unique_ptr<samsa::Broker> broker;
  std::unique_ptr<samsa::Producer> producer;

  explicit FakeKafka(int partitions = 3) {
    samsa::BrokerConfig config;
    config.samsa_storage = "memory";
    config.auto_create_topics_enable = false;  // as many production clusters run
    broker = samsa::Broker::Open(config).value();
    REQUIRE(broker->CreateTopic({.name = "orders", .num_partitions = partitions}).ok());
    producer = samsa::Producer::Create(broker.get(), {}).value();
  }

  // Everything in the topic, as a consumer that starts from the beginning sees it.
  std::vector<samsa::ConsumerRecord> ReadAll(const std::string& topic) {
    samsa::ConsumerConfig cc;
    cc.auto_offset_reset = samsa::OffsetResetStrategy::kEarliest;
    auto consumer = samsa::Consumer::Create(broker.get(), cc).value();
    std::vector<samsa::TopicPartition> partitions;
    for (int p = 0; p < consumer->PartitionsFor(topic).value(); ++p) partitions.push_back({topic, p});
    REQUIRE(consumer->Assign(partitions).ok());
    std::vector<samsa::ConsumerRecord> all;
    while (true) {
      auto polled = consumer->Poll(absl::ZeroDuration());
      REQUIRE(polled.ok());
      if (polled->empty()) return all;
      all.insert(all.end(), polled->begin(), polled->end());
    }
  }
};

// --- the tests -----------------------------------------------------------------------

TEST_CASE("each order is published once, keyed by customer, with its header") {
  FakeKafka kafka;
  OrderService service(kafka.producer.get());
  REQUIRE(service.PlaceOrder("alice", "book").ok());
  REQUIRE(service.PlaceOrder("bob", "lamp").ok());
  REQUIRE(service.PlaceOrder("alice", "pen").ok());

  std::map<std::string, std::vector<std::string>> by_customer;
  for (const samsa::ConsumerRecord& r : kafka.ReadAll("orders")) {
    // The partition Kafka's Java client and librdkafka would pick for the key.
    CHECK(r.partition == samsa::KeyPartition(r.key_string(), 3));
    REQUIRE(r.headers.size() == 1);
    CHECK(r.headers[0].value == "order-placed");
    by_customer[r.key_string()].push_back(r.value_string());
  }
  CHECK(by_customer["alice"] == std::vector<std::string>{"book", "pen"});
  CHECK(by_customer["bob"] == std::vector<std::string>{"lamp"});
}

TEST_CASE("the service surfaces Kafka's errors: a missing topic, a record too large") {
  FakeKafka kafka;
  // Fault: the topic is deleted under the service's feet.
  REQUIRE(kafka.broker->DeleteTopic("orders").ok());
  OrderService service(kafka.producer.get());
  auto missing = service.PlaceOrder("alice", "book");
  CHECK(samsa::ErrorCodeOf(missing.status()) == samsa::ErrorCode::kUnknownTopicOrPartition);

  // Fault: the topic refuses big records (max.message.bytes).
  REQUIRE(kafka.broker
              ->CreateTopic({.name = "orders", .num_partitions = 1,
                             .configs = {{"max.message.bytes", "200"}}})
              .ok());
  auto too_big = service.PlaceOrder("alice", std::string(1000, 'x'));
  CHECK(samsa::ErrorCodeOf(too_big.status()) == samsa::ErrorCode::kMessageTooLarge);
  CHECK(kafka.ReadAll("orders").empty());
}
