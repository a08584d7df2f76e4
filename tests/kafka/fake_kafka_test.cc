// samsa::testing::FakeKafka driven by a real Kafka client: librdkafka's C API.
// Every delivery report and metadata call runs on the test thread
// (rd_kafka_flush / rd_kafka_metadata serve the callbacks here).
#include "samsa/testing/fake_kafka.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include "kafka/messages/messages.h"
#include "kafka/protocol/reader.h"
#include "kafka/protocol/request_envelope.h"
#include "kafka/protocol/writer.h"
#include "kafka/server/handler.h"
#include "record/record_batch.h"
#include "samsa/cluster.h"
#include "samsa/consumer.h"
#include "samsa/errors.h"

namespace samsa::testing {
namespace {

constexpr int16_t kProduce = 0;
constexpr int16_t kMetadata = 3;
constexpr int16_t kApiVersions = 18;
constexpr int16_t kFetch = 1;
constexpr int16_t kOffsetCommit = 8;
constexpr int16_t kNotLeaderOrFollower = 6;        // Kafka's NOT_LEADER_OR_FOLLOWER
constexpr int16_t kCoordinatorLoadInProgress = 14;  // COORDINATOR_LOAD_IN_PROGRESS

std::unique_ptr<FakeKafka> StartFake(int32_t brokers = 1) {
  FakeKafkaOptions options;
  options.num_brokers = brokers;
  auto fake = FakeKafka::Start(options);
  REQUIRE(fake.ok());
  return *std::move(fake);
}

// A librdkafka producer counting its delivery reports.
// librdkafka starts its threads with C11 thrd_create, which glibc runs
// without going through TSan's pthread_create interceptor: under TSan those
// threads crash in the sanitizer's allocator (no thread state) before
// librdkafka does anything. The cases that drive librdkafka are therefore
// compiled but not registered under TSan; they run in the release and
// ASan+UBSan builds. The raw-socket cases run everywhere.
#if defined(__SANITIZE_THREAD__)
#define RDKAFKA_TEST_CASE(...) [[maybe_unused]] static void INTERNAL_CATCH_UNIQUE_NAME(rdkafka_case_not_under_tsan_)()
#else
#define RDKAFKA_TEST_CASE(...) TEST_CASE(__VA_ARGS__)
#endif

class RdProducer {
 public:
  explicit RdProducer(const std::string& bootstrap) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    Set(conf, "bootstrap.servers", bootstrap.c_str());
    Set(conf, "retry.backoff.ms", "10");
    Set(conf, "reconnect.backoff.ms", "10");
    Set(conf, "reconnect.backoff.max.ms", "100");
    Set(conf, "message.timeout.ms", "30000");
    Set(conf, "linger.ms", "0");
    Set(conf, "log_level", "2");  // the fake drops connections on purpose
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
      auto* self = static_cast<RdProducer*>(opaque);
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++self->delivered;
        self->offsets.push_back(m->offset);
      } else {
        ++self->failed;
        self->last_error = m->err;
      }
    });
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    REQUIRE(rk_ != nullptr);
  }
  ~RdProducer() { rd_kafka_destroy(rk_); }

  void Produce(const std::string& topic, int32_t partition, const std::string& value) {
    REQUIRE(rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                              RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  // librdkafka looks up a topic it has no metadata for on a 1 s timer: a
  // flush may take that long.
  bool Flush(int timeout_ms = 20000) { return rd_kafka_flush(rk_, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR; }
  rd_kafka_t* rk() const { return rk_; }

  int delivered = 0;
  int failed = 0;
  rd_kafka_resp_err_t last_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::vector<int64_t> offsets;

 private:
  static void Set(rd_kafka_conf_t* conf, const char* key, const char* value) {
    char err[512];
    REQUIRE(rd_kafka_conf_set(conf, key, value, err, sizeof(err)) == RD_KAFKA_CONF_OK);
  }
  rd_kafka_t* rk_ = nullptr;
};

std::vector<ObservedRequest> Requests(const FakeKafka& fake, int16_t api_key) {
  std::vector<ObservedRequest> out;

  for (const ObservedRequest& r : fake.RecordedRequests()) {
    if (r.api_key == api_key) out.push_back(r);
  }
  return out;
}

// True when a TCP connection to 127.0.0.1:port is accepted.
bool Connects(int32_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

TEST_CASE("FakeKafka: Produce and ReadAll round-trip through the cluster", "[kafka][fake]") {
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 2).ok());
  REQUIRE(fake->Produce("t", 1, "k0", "v0").value() == 0);
  REQUIRE(fake->Produce("t", 1, std::nullopt, "v1").value() == 1);
  auto records = fake->ReadAll("t", 1);
  REQUIRE(records.ok());
  REQUIRE(records->size() == 2);
  CHECK((*records)[0].key == std::optional<std::string>("k0"));
  CHECK((*records)[0].value == std::optional<std::string>("v0"));
  CHECK((*records)[1].offset == 1);
  CHECK_FALSE((*records)[1].key.has_value());
  CHECK(fake->ReadAll("t", 0)->empty());
  CHECK(ErrorCodeOf(fake->ReadAll("t", 2).status()) == ErrorCode::kUnknownTopicOrPartition);
}

RDKAFKA_TEST_CASE("FakeKafka: a Metadata request of a 3-broker fake lists the 3 brokers", "[kafka][fake]") {
  auto fake = StartFake(3);
  REQUIRE(fake->num_brokers() == 3);
  RdProducer producer(fake->BootstrapServers());
  const rd_kafka_metadata_t* md = nullptr;
  REQUIRE(rd_kafka_metadata(producer.rk(), 1, nullptr, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR);
  std::set<std::pair<int32_t, int32_t>> brokers;
  for (int i = 0; i < md->broker_cnt; ++i) brokers.insert({md->brokers[i].id, md->brokers[i].port});
  rd_kafka_metadata_destroy(md);
  CHECK(brokers == std::set<std::pair<int32_t, int32_t>>{{0, fake->Port(0)}, {1, fake->Port(1)}, {2, fake->Port(2)}});
}

RDKAFKA_TEST_CASE("FakeKafka: librdkafka reads a topic-scoped Metadata error on that topic alone",
                  "[kafka][fake]") {
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 2).ok());
  REQUIRE(fake->CreateTopic("u", 3).ok());
  RdProducer producer(fake->BootstrapServers());
  const rd_kafka_metadata_t* md = nullptr;
  REQUIRE(rd_kafka_metadata(producer.rk(), 1, nullptr, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_metadata_destroy(md);  // connected: the next Metadata request is ours
  REQUIRE(fake->PushRequestErrors(kMetadata, std::vector<int16_t>{RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE},
                                  {.topic = "t"})
              .ok());
  REQUIRE(rd_kafka_metadata(producer.rk(), 1, nullptr, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR);
  std::map<std::string, std::pair<rd_kafka_resp_err_t, int>> topics;  // name -> (error, partitions)
  for (int i = 0; i < md->topic_cnt; ++i) {
    topics[md->topics[i].topic] = {md->topics[i].err, md->topics[i].partition_cnt};
  }
  rd_kafka_metadata_destroy(md);
  REQUIRE(topics.count("t") == 1);
  REQUIRE(topics.count("u") == 1);
  CHECK(topics["t"] == std::make_pair(RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, 0));
  CHECK(topics["u"] == std::make_pair(RD_KAFKA_RESP_ERR_NO_ERROR, 3));
  CHECK(fake->PendingRequestErrors() == 0);
}

RDKAFKA_TEST_CASE("FakeKafka: an injected NOT_LEADER_OR_FOLLOWER is retried and the record stored once", "[kafka][fake]") {
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 1).ok());
  REQUIRE(fake->PushRequestErrors(kProduce, std::vector<int16_t>{kNotLeaderOrFollower}).ok());
  REQUIRE(fake->PendingRequestErrors() == 1);
  RdProducer producer(fake->BootstrapServers());
  producer.Produce("t", 0, "hello");
  REQUIRE(producer.Flush());
  CHECK(producer.delivered == 1);
  CHECK(producer.failed == 0);
  CHECK(fake->PendingRequestErrors() == 0);
  CHECK(Requests(*fake, kProduce).size() >= 2);  // the refused one and the retry
  auto records = fake->ReadAll("t", 0);
  REQUIRE(records.ok());
  REQUIRE(records->size() == 1);
  CHECK((*records)[0].value == std::optional<std::string>("hello"));
}

RDKAFKA_TEST_CASE("FakeKafka: pushed errors respect their scope and supported APIs", "[kafka][fake]") {
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 2).ok());
  constexpr int16_t kCreateTopics = 19;  // no error responder
  CHECK(ErrorCodeOf(fake->PushRequestErrors(kCreateTopics, std::vector<int16_t>{3})) == ErrorCode::kInvalidRequest);
  CHECK(fake->PendingRequestErrors() == 0);
  // Scoped to another broker and to another partition: never consumed here.
  REQUIRE(fake->PushRequestErrors(kProduce, std::vector<int16_t>{kNotLeaderOrFollower}, {.broker_id = 7}).ok());
  REQUIRE(fake->PushRequestErrors(kProduce, std::vector<int16_t>{kNotLeaderOrFollower},
                                  {.topic = "t", .partition = 1})
              .ok());
  RdProducer producer(fake->BootstrapServers());
  producer.Produce("t", 0, "a");
  REQUIRE(producer.Flush());
  CHECK(producer.delivered == 1);
  CHECK(Requests(*fake, kProduce).size() == 1);
  CHECK(fake->PendingRequestErrors() == 2);
  // Partition 1 consumes its error, then succeeds.
  producer.Produce("t", 1, "b");
  REQUIRE(producer.Flush());
  CHECK(producer.delivered == 2);
  CHECK(fake->PendingRequestErrors() == 1);
  CHECK(fake->ReadAll("t", 1)->size() == 1);
}

RDKAFKA_TEST_CASE("FakeKafka: recorded requests name their broker, API and version", "[kafka][fake]") {
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 1).ok());
  RdProducer producer(fake->BootstrapServers());
  producer.Produce("t", 0, "x");
  REQUIRE(producer.Flush());
  const std::vector<ObservedRequest> api_versions = Requests(*fake, kApiVersions);
  const std::vector<ObservedRequest> metadata = Requests(*fake, kMetadata);
  const std::vector<ObservedRequest> produce = Requests(*fake, kProduce);
  REQUIRE_FALSE(api_versions.empty());
  REQUIRE_FALSE(metadata.empty());
  REQUIRE(produce.size() == 1);
  CHECK(produce[0].broker_id == 0);
  // librdkafka 2.x asks ApiVersions v3 first and sends record batches (Produce v3+).
  CHECK(api_versions[0].api_version == 3);
  CHECK(produce[0].api_version > 3);
  CHECK(produce[0].body.empty());
  fake->ClearRecorded();
  CHECK(fake->RecordedRequests().empty());
}

RDKAFKA_TEST_CASE("FakeKafka: a capped API version is what the client uses", "[kafka][fake]") {
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 1).ok());
  fake->CapApiVersions(kProduce, 3);
  RdProducer producer(fake->BootstrapServers());
  producer.Produce("t", 0, "x");
  REQUIRE(producer.Flush());
  CHECK(producer.delivered == 1);
  const std::vector<ObservedRequest> produce = Requests(*fake, kProduce);
  REQUIRE(produce.size() == 1);
  CHECK(produce[0].api_version == 3);
}

RDKAFKA_TEST_CASE("FakeKafka: a dropped connection is survived", "[kafka][fake]") {
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 1).ok());
  std::atomic<int> seen{0};
  std::atomic<bool> empty_body{false};
  fake->Intercept(kProduce, [&seen, &empty_body](const ObservedRequest& r) {
    if (r.body.empty()) empty_body = true;
    return seen.fetch_add(1) == 0 ? InterceptAction::DropConnection() : InterceptAction::Pass();
  });
  RdProducer producer(fake->BootstrapServers());
  producer.Produce("t", 0, "once");
  REQUIRE(producer.Flush());
  CHECK(producer.delivered == 1);
  CHECK(seen.load() >= 2);
  CHECK_FALSE(empty_body.load());
  CHECK(fake->ReadAll("t", 0)->size() == 1);
}

RDKAFKA_TEST_CASE("FakeKafka: BrokerDown closes the port, BrokerUp serves on the same one", "[kafka][fake]") {
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 1).ok());
  RdProducer producer(fake->BootstrapServers());
  producer.Produce("t", 0, "before");
  REQUIRE(producer.Flush());
  const int32_t port = fake->Port(0);
  REQUIRE(Connects(port));

  REQUIRE(fake->BrokerDown(0).ok());
  CHECK_FALSE(Connects(port));
  CHECK(fake->cluster()->live_broker_ids().empty());
  CHECK(fake->BrokerDown(0).code() == absl::StatusCode::kFailedPrecondition);
  producer.Produce("t", 0, "during");
  CHECK_FALSE(producer.Flush(200));  // nowhere to deliver to
  CHECK(producer.delivered == 1);

  REQUIRE(fake->BrokerUp(0).ok());
  CHECK(fake->Port(0) == port);
  CHECK(Connects(port));
  REQUIRE(producer.Flush());
  CHECK(producer.delivered == 2);
  CHECK(producer.failed == 0);
  auto records = fake->ReadAll("t", 0);
  REQUIRE(records.ok());
  REQUIRE(records->size() == 2);
  CHECK((*records)[1].value == std::optional<std::string>("during"));
}

RDKAFKA_TEST_CASE("FakeKafka: a round-trip delay holds every response of the broker", "[kafka][fake]") {
  auto fake = StartFake();
  fake->SetRoundTripDelay(0, absl::Milliseconds(300));
  RdProducer producer(fake->BootstrapServers());
  const absl::Time start = absl::Now();
  const rd_kafka_metadata_t* md = nullptr;
  REQUIRE(rd_kafka_metadata(producer.rk(), 1, nullptr, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_metadata_destroy(md);
  // At least ApiVersions and Metadata, each held 300 ms.
  CHECK(absl::Now() - start >= absl::Milliseconds(600));
}

RDKAFKA_TEST_CASE("FakeKafka: an intercept can answer with its own response body", "[kafka][fake]") {
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 1).ok());
  // Produce v3..v8 response body with one partition answered
  // NOT_LEADER_OR_FOLLOWER is what PushRequestErrors does for us; here the
  // test answers the first Produce itself, with MESSAGE_TOO_LARGE (10) which
  // librdkafka does not retry.
  std::atomic<int> calls{0};
  fake->Intercept(kProduce, [&calls](const ObservedRequest& r) {
    if (calls.fetch_add(1) > 0) return InterceptAction::Pass();
    // ProduceResponse (non-flexible, v3-v8): [responses: name, [index, error_code,
    // base_offset, log_append_time_ms (v2+), log_start_offset (v5+), record_errors
    // (v8+), error_message (v8+)]], throttle_time_ms.
    std::string body;
    auto i16 = [&](int16_t v) { body.push_back(char(v >> 8)); body.push_back(char(v)); };
    auto i32 = [&](int32_t v) { for (int s = 24; s >= 0; s -= 8) body.push_back(char(v >> s)); };
    auto i64 = [&](int64_t v) { for (int s = 56; s >= 0; s -= 8) body.push_back(char(v >> s)); };
    i32(1);
    i16(1);
    body += "t";
    i32(1);
    i32(0);      // partition
    i16(10);     // MESSAGE_TOO_LARGE
    i64(-1);     // base offset
    i64(-1);     // log append time
    if (r.api_version >= 5) i64(-1);
    if (r.api_version >= 8) {
      i32(0);    // record_errors
      i16(-1);   // error_message null
    }
    i32(0);      // throttle
    return InterceptAction::Respond(body);
  });
  fake->CapApiVersions(kProduce, 8);  // the hand-written body above is non-flexible
  RdProducer producer(fake->BootstrapServers());
  producer.Produce("t", 0, "x");
  REQUIRE(producer.Flush());
  CHECK(producer.failed == 1);
  CHECK(producer.last_error == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  CHECK(fake->ReadAll("t", 0)->empty());
}

RDKAFKA_TEST_CASE("FakeKafka: a consumer group survives injected Fetch and OffsetCommit errors", "[kafka][fake]") {
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 1).ok());
  for (int i = 0; i < 3; ++i) REQUIRE(fake->Produce("t", 0, std::nullopt, "v" + std::to_string(i)).ok());
  // Both retriable in Kafka: the client fetches again after a metadata
  // refresh, and commits again after finding the coordinator.
  REQUIRE(fake->PushRequestErrors(kFetch, std::vector<int16_t>{kNotLeaderOrFollower}).ok());
  REQUIRE(fake->PushRequestErrors(kOffsetCommit, std::vector<int16_t>{kCoordinatorLoadInProgress}).ok());

  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"bootstrap.servers", fake->BootstrapServers()},
           {"group.id", "g"},
           {"auto.offset.reset", "earliest"},
           {"enable.auto.commit", "false"},
           {"fetch.error.backoff.ms", "10"},
           {"retry.backoff.ms", "10"},
           {"log_level", "2"}}) {
    REQUIRE(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) == RD_KAFKA_CONF_OK);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  REQUIRE(rk != nullptr);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, "t", RD_KAFKA_PARTITION_UA);
  REQUIRE(rd_kafka_subscribe(rk, topics) == RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(topics);

  std::vector<std::string> values;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (values.size() < 3 && absl::Now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) values.emplace_back(static_cast<const char*>(m->payload), m->len);
    rd_kafka_message_destroy(m);
  }
  CHECK(values == std::vector<std::string>{"v0", "v1", "v2"});
  CHECK(rd_kafka_commit(rk, nullptr, 0) == RD_KAFKA_RESP_ERR_NO_ERROR);
  CHECK(fake->WaitForCommittedOffset("g", "t", 0, 3, absl::Seconds(10)).ok());
  CHECK(fake->PendingRequestErrors() == 0);
  CHECK(fake->CommittedOffset("g", "t", 0).value() == std::optional<int64_t>(3));
  CHECK(fake->CommittedOffset("other", "t", 0).value() == std::nullopt);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
}

RDKAFKA_TEST_CASE("FakeKafka: stopping does not wait for a delayed request", "[kafka][fake]") {
  auto fake = StartFake();
  fake->SetRoundTripDelay(0, absl::Seconds(60));
  RdProducer producer(fake->BootstrapServers());
  const rd_kafka_metadata_t* md = nullptr;
  // No answer within 300 ms (librdkafka reports a timeout or, with no broker up yet, a transport error).
  CHECK(rd_kafka_metadata(producer.rk(), 1, nullptr, &md, 300) != RD_KAFKA_RESP_ERR_NO_ERROR);
  CHECK(md == nullptr);
  REQUIRE_FALSE(fake->RecordedRequests().empty());  // ApiVersions arrived and is held
  const absl::Time start = absl::Now();
  fake.reset();
  CHECK(absl::Now() - start < absl::Seconds(10));
}

// A blocking connection speaking raw frames (for what librdkafka hides).
class RawConnection {
 public:
  explicit RawConnection(int32_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  }
  ~RawConnection() { ::close(fd_); }

  template <typename Request>
  void Send(int32_t correlation_id, int16_t version, const Request& request) {
    kafka::Writer writer;
    REQUIRE(kafka::WriteRequestFrame(correlation_id, std::string("raw"), version, request, writer).ok());
    const std::string frame = writer.Release();
    REQUIRE(::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(frame.size()));
  }
  // The next frame's payload; nullopt when the server closed the connection.
  std::optional<std::string> Receive() {
    std::string size_bytes;
    if (!ReadN(4, &size_bytes)) return std::nullopt;
    const uint32_t size = (uint32_t(uint8_t(size_bytes[0])) << 24) | (uint32_t(uint8_t(size_bytes[1])) << 16) |
                          (uint32_t(uint8_t(size_bytes[2])) << 8) | uint32_t(uint8_t(size_bytes[3]));
    std::string payload;
    if (!ReadN(size, &payload)) return std::nullopt;
    return payload;
  }
  // Sends `request` at `version` and decodes the answer, whose header has
  // `response_header_version` (1 for flexible versions), checking the
  // correlation id.
  template <typename Response, typename Request>
  Response Call(int32_t correlation_id, int16_t version, int16_t response_header_version,
                const Request& request) {
    Send(correlation_id, version, request);
    const std::optional<std::string> payload = Receive();
    REQUIRE(payload.has_value());
    kafka::Reader reader(payload->data(), payload->size());
    kafka::ResponseHeader header;
    REQUIRE(header.Read(reader, response_header_version).ok());
    CHECK(header.correlation_id == correlation_id);
    Response response;
    REQUIRE(response.Read(reader, version).ok());
    return response;
  }

 private:
  bool ReadN(size_t n, std::string* out) {
    out->resize(n);
    size_t got = 0;
    while (got < n) {
      const ssize_t r = ::recv(fd_, out->data() + got, n - got, 0);
      if (r <= 0) return false;
      got += static_cast<size_t>(r);
    }
    return true;
  }
  int fd_ = -1;
};

TEST_CASE("FakeKafka: ApiVersions advertises caps and omits disabled APIs, above the cap closes", "[kafka][fake]") {
  auto fake = StartFake();
  fake->CapApiVersions(kMetadata, 4);
  fake->DisableApi(kFetch);
  RawConnection conn(fake->Port(0));
  conn.Send(1, 0, kafka::ApiVersionsRequest{});
  const std::optional<std::string> payload = conn.Receive();
  REQUIRE(payload.has_value());
  kafka::Reader reader(payload->data(), payload->size());
  kafka::ResponseHeader header;
  REQUIRE(header.Read(reader, 0).ok());  // ApiVersions answers with header v0
  CHECK(header.correlation_id == 1);
  kafka::ApiVersionsResponse response;
  REQUIRE(response.Read(reader, 0).ok());
  CHECK(response.error_code == 0);
  std::map<int16_t, std::pair<int16_t, int16_t>> apis;
  for (const auto& api : response.api_keys) apis[api.api_key] = {api.min_version, api.max_version};
  CHECK(apis.count(kFetch) == 0);
  REQUIRE(apis.count(kMetadata) == 1);
  CHECK(apis[kMetadata].second == 4);
  REQUIRE(apis.count(kProduce) == 1);
  CHECK(apis[kProduce].second > 4);  // not capped

  // Metadata v4 is served; v5 is above the cap: the connection closes.
  kafka::MetadataRequest metadata;
  metadata.topics = std::vector<kafka::MetadataRequest::MetadataRequestTopic>{};
  conn.Send(2, 4, metadata);
  CHECK(conn.Receive().has_value());
  conn.Send(3, 5, metadata);
  CHECK_FALSE(conn.Receive().has_value());

  fake->ClearApiCaps();
  RawConnection again(fake->Port(0));
  again.Send(4, 5, metadata);
  CHECK(again.Receive().has_value());
}

RDKAFKA_TEST_CASE("FakeKafka: an injected error waits its delay, and logs can live on disk", "[kafka][fake]") {
  const std::string dir = fmt::format("/tmp/fake_kafka_test.{}", ::getpid());
  FakeKafkaOptions options;
  options.log_dir = dir;
  auto started = FakeKafka::Start(options);
  REQUIRE(started.ok());
  std::unique_ptr<FakeKafka> fake = *std::move(started);
  REQUIRE(fake->CreateTopic("t", 1).ok());
  REQUIRE(fake->PushRequestErrors(kProduce, {InjectedError{kNotLeaderOrFollower, absl::Milliseconds(300)}}).ok());
  RdProducer producer(fake->BootstrapServers());
  const absl::Time start = absl::Now();
  producer.Produce("t", 0, "late");
  REQUIRE(producer.Flush());
  CHECK(absl::Now() - start >= absl::Milliseconds(300));
  CHECK(producer.delivered == 1);
  CHECK(fake->ReadAll("t", 0)->size() == 1);
  fake.reset();
  CHECK(std::filesystem::exists(dir + "/broker-0"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("FakeKafka: a partition-scoped error matches a Fetch naming its topic by id", "[kafka][fake]") {
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 2).ok());
  auto description = fake->cluster()->DescribeTopic("t");
  REQUIRE(description.ok());
  REQUIRE(fake->PushRequestErrors(kFetch, std::vector<int16_t>{kNotLeaderOrFollower}, {.topic = "t", .partition = 1})
              .ok());
  auto fetch_partition = [&](int32_t partition) {
    kafka::FetchRequest request;
    request.max_wait_ms = 0;
    auto& topic = request.topics.emplace_back();
    topic.topic_id = kafka::TopicIdToUuid(description->topic_id);
    auto& p = topic.partitions.emplace_back();
    p.partition = partition;
    p.partition_max_bytes = 1 << 20;
    return request;
  };
  RawConnection conn(fake->Port(0));
  for (int32_t partition : {0, 1}) {
    conn.Send(partition + 1, 13, fetch_partition(partition));
    const std::optional<std::string> payload = conn.Receive();
    REQUIRE(payload.has_value());
    kafka::Reader reader(payload->data(), payload->size());
    kafka::ResponseHeader header;
    REQUIRE(header.Read(reader, 1).ok());  // Fetch v13 is flexible: response header v1
    kafka::FetchResponse response;
    REQUIRE(response.Read(reader, 13).ok());
    REQUIRE(response.responses.size() == 1);
    REQUIRE(response.responses[0].partitions.size() == 1);
    CHECK(response.responses[0].topic_id == kafka::TopicIdToUuid(description->topic_id));
    // Partition 0 is served (no error); partition 1 gets the pushed error.
    CHECK(response.responses[0].partitions[0].error_code == (partition == 1 ? kNotLeaderOrFollower : 0));
  }
  CHECK(fake->PendingRequestErrors() == 0);
}

RDKAFKA_TEST_CASE("FakeKafka: the other brokers' Metadata leaves a down broker out and its partitions offline",
          "[kafka][fake]") {
  auto fake = StartFake(3);
  REQUIRE(fake->CreateTopic("t", 3).ok());
  REQUIRE(fake->BrokerDown(0).ok());
  // Bootstrap at broker 1 only: broker 0's address refuses connections.
  RdProducer producer(fmt::format("127.0.0.1:{}", fake->Port(1)));
  rd_kafka_topic_t* topic = rd_kafka_topic_new(producer.rk(), "t", nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  REQUIRE(rd_kafka_metadata(producer.rk(), 0, topic, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR);
  std::set<int32_t> brokers;
  for (int i = 0; i < md->broker_cnt; ++i) brokers.insert(md->brokers[i].id);
  CHECK(brokers == std::set<int32_t>{1, 2});
  REQUIRE(md->topic_cnt == 1);
  REQUIRE(md->topics[0].partition_cnt == 3);
  int offline = 0;
  for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
    const rd_kafka_metadata_partition_t& p = md->topics[0].partitions[i];
    CHECK(p.leader != 0);
    if (p.leader == -1) {
      ++offline;
      CHECK(p.err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE);
    }
  }
  CHECK(offline == 1);  // 3 partitions on 3 brokers: one was broker 0's
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(topic);

  // Metadata v5+ names the down broker's replica in offline_replicas (the
  // field librdkafka does not expose), and only there.
  RawConnection conn(fake->Port(1));
  kafka::MetadataRequest request;
  request.topics.emplace().emplace_back().name = "t";
  conn.Send(7, 5, request);
  const std::optional<std::string> payload = conn.Receive();
  REQUIRE(payload.has_value());
  kafka::Reader reader(payload->data(), payload->size());
  kafka::ResponseHeader header;
  REQUIRE(header.Read(reader, 0).ok());  // Metadata v5 is not flexible
  kafka::MetadataResponse response;
  REQUIRE(response.Read(reader, 5).ok());
  REQUIRE(response.topics.size() == 1);
  int with_offline = 0;
  for (const auto& p : response.topics[0].partitions) {
    REQUIRE(p.replica_nodes.size() == 1);
    if (p.replica_nodes[0] == 0) {
      ++with_offline;
      CHECK(p.offline_replicas == std::vector<int32_t>{0});
    } else {
      CHECK(p.offline_replicas.empty());
    }
  }
  CHECK(with_offline == 1);
  REQUIRE(fake->BrokerUp(0).ok());
  CHECK(fake->cluster()->live_broker_ids().size() == 3);
}

RDKAFKA_TEST_CASE("FakeKafka: an injected REBALANCE_IN_PROGRESS heartbeat makes the member join again", "[kafka][fake]") {
  constexpr int16_t kJoinGroup = 11;
  constexpr int16_t kHeartbeat = 12;
  constexpr int16_t kRebalanceInProgress = 27;  // REBALANCE_IN_PROGRESS
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 1).ok());
  REQUIRE(fake->Produce("t", 0, std::nullopt, "v").ok());

  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"bootstrap.servers", fake->BootstrapServers()},
           {"group.id", "g"},
           {"auto.offset.reset", "earliest"},
           {"heartbeat.interval.ms", "50"},
           {"log_level", "2"}}) {
    REQUIRE(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) == RD_KAFKA_CONF_OK);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  REQUIRE(rk != nullptr);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, "t", RD_KAFKA_PARTITION_UA);
  REQUIRE(rd_kafka_subscribe(rk, topics) == RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(topics);

  bool consumed = false;
  auto poll = [&] {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 10);
    if (m != nullptr) {
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) consumed = true;
      rd_kafka_message_destroy(m);
    }
  };
  REQUIRE(FakeKafka::WaitFor([&] { poll(); return consumed; }, absl::Seconds(20)));
  // JoinGroup v4+: the first one is refused with MEMBER_ID_REQUIRED (KIP-394),
  // the client joins again with the member id it was given.
  const size_t joins = Requests(*fake, kJoinGroup).size();
  CHECK(joins >= 1);

  REQUIRE(fake->PushRequestErrors(kHeartbeat, std::vector<int16_t>{kRebalanceInProgress}).ok());
  CHECK(FakeKafka::WaitFor([&] { poll(); return Requests(*fake, kJoinGroup).size() > joins; }, absl::Seconds(20)));
  CHECK(fake->PendingRequestErrors() == 0);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
}

TEST_CASE("FakeKafka: BrokerUp fails while its port is taken and succeeds once it is free", "[kafka][fake]") {
  auto fake = StartFake();
  const int32_t port = fake->Port(0);
  REQUIRE(fake->BrokerDown(0).ok());
  const int squatter = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(squatter >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(squatter, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::listen(squatter, 1) == 0);
  CHECK_FALSE(fake->BrokerUp(0).ok());
  ::close(squatter);
  REQUIRE(fake->BrokerUp(0).ok());
  CHECK(fake->Port(0) == port);
  CHECK(Connects(port));
  CHECK(fake->BrokerUp(0).code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("FakeKafka: a Metadata error goes to the topics named, the brokers still listed", "[kafka][fake]") {
  constexpr int16_t kUnknownTopicOrPartition = 3;
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 2).ok());
  REQUIRE(fake->CreateTopic("u", 1).ok());
  REQUIRE(fake->PushRequestErrors(kMetadata, std::vector<int16_t>{kUnknownTopicOrPartition}, {.topic = "t"}).ok());
  RawConnection conn(fake->Port(0));
  auto metadata = [&](int32_t correlation_id, const std::string& topic) {
    kafka::MetadataRequest request;
    request.topics = std::vector<kafka::MetadataRequest::MetadataRequestTopic>(1);
    (*request.topics)[0].name = topic;
    return conn.Call<kafka::MetadataResponse>(correlation_id, 9, 1, request);  // v9 is flexible
  };
  const kafka::MetadataResponse other = metadata(1, "u");  // not in scope: served
  REQUIRE(other.topics.size() == 1);
  CHECK(other.topics[0].error_code == 0);
  CHECK(fake->PendingRequestErrors() == 1);

  const kafka::MetadataResponse failed = metadata(2, "t");
  REQUIRE(failed.brokers.size() == 1);
  CHECK(failed.brokers[0].port == fake->Port(0));
  CHECK(failed.controller_id == 0);
  REQUIRE(failed.topics.size() == 1);
  CHECK(failed.topics[0].name == std::optional<std::string>("t"));
  CHECK(failed.topics[0].error_code == kUnknownTopicOrPartition);
  CHECK(failed.topics[0].partitions.empty());

  const kafka::MetadataResponse served = metadata(3, "t");
  REQUIRE(served.topics.size() == 1);
  CHECK(served.topics[0].error_code == 0);
  CHECK(served.topics[0].partitions.size() == 2);
  CHECK(served.cluster_id == failed.cluster_id);
}

TEST_CASE("FakeKafka: a topic-scoped Metadata error fails only that topic, the others are described",
          "[kafka][fake]") {
  constexpr int16_t kLeaderNotAvailable = 5;
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 2).ok());
  REQUIRE(fake->CreateTopic("u", 3).ok());
  REQUIRE(fake->PushRequestErrors(kMetadata, std::vector<int16_t>{kLeaderNotAvailable, kLeaderNotAvailable},
                                  {.topic = "t"})
              .ok());
  RawConnection conn(fake->Port(0));
  auto metadata = [&](int32_t correlation_id,
                      std::optional<std::vector<std::string>> topics) -> kafka::MetadataResponse {
    kafka::MetadataRequest request;
    if (topics.has_value()) {
      request.topics = std::vector<kafka::MetadataRequest::MetadataRequestTopic>();
      for (const std::string& name : *topics) {
        request.topics->emplace_back();
        request.topics->back().name = name;
      }
    } else {
      request.topics = std::nullopt;  // every topic
    }
    return conn.Call<kafka::MetadataResponse>(correlation_id, 9, 1, request);
  };
  auto find = [](const kafka::MetadataResponse& r, const std::string& name) {
    for (const auto& t : r.topics) {
      if (t.name == std::optional<std::string>(name)) return &t;
    }
    return static_cast<const kafka::MetadataResponse::MetadataResponseTopic*>(nullptr);
  };
  // Naming both, in the order asked: t fails, u is described.
  const kafka::MetadataResponse named = metadata(1, std::vector<std::string>{"u", "t"});
  REQUIRE(named.topics.size() == 2);
  CHECK(named.topics[0].name == std::optional<std::string>("u"));
  CHECK(named.topics[0].error_code == 0);
  CHECK(named.topics[0].partitions.size() == 3);
  CHECK(named.topics[1].name == std::optional<std::string>("t"));
  CHECK(named.topics[1].error_code == kLeaderNotAvailable);
  CHECK(named.topics[1].partitions.empty());
  REQUIRE(named.brokers.size() == 1);
  // Every topic (null list): the same.
  const kafka::MetadataResponse all = metadata(2, std::nullopt);
  REQUIRE(find(all, "t") != nullptr);
  REQUIRE(find(all, "u") != nullptr);
  CHECK(find(all, "t")->error_code == kLeaderNotAvailable);
  CHECK(find(all, "t")->partitions.empty());
  CHECK(find(all, "u")->error_code == 0);
  CHECK(find(all, "u")->partitions.size() == 3);
  CHECK(fake->PendingRequestErrors() == 0);
  // Used up: t is described again.
  const kafka::MetadataResponse after = metadata(3, std::vector<std::string>{"t"});
  REQUIRE(after.topics.size() == 1);
  CHECK(after.topics[0].error_code == 0);
  CHECK(after.topics[0].partitions.size() == 2);
}

RDKAFKA_TEST_CASE("FakeKafka: MovePartitionLeader moves a partition with its data, the producer follows",
                  "[kafka][fake]") {
  auto fake = StartFake(2);
  REQUIRE(fake->CreateTopic("t", 1).ok());
  const int32_t before = fake->cluster()->DescribeTopic("t")->partitions[0].leader;
  const int32_t after = 1 - before;
  RdProducer producer(fake->BootstrapServers());
  for (int i = 0; i < 5; ++i) producer.Produce("t", 0, "a" + std::to_string(i));
  REQUIRE(producer.Flush());
  REQUIRE(producer.delivered == 5);

  REQUIRE(fake->MovePartitionLeader("t", 0, after).ok());
  CHECK(fake->cluster()->DescribeTopic("t")->partitions[0].leader == after);
  fake->ClearRecorded();
  for (int i = 0; i < 5; ++i) producer.Produce("t", 0, "b" + std::to_string(i));
  REQUIRE(producer.Flush());
  CHECK(producer.delivered == 10);
  CHECK(producer.failed == 0);
  // The first Produce after the move went to the old leader and was refused
  // (NOT_LEADER_OR_FOLLOWER); the client refreshed its metadata and now
  // writes to the new one.
  bool to_new_leader = false;
  for (const ObservedRequest& r : Requests(*fake, kProduce)) to_new_leader |= r.broker_id == after;
  CHECK(to_new_leader);
  auto records = fake->ReadAll("t", 0);
  REQUIRE(records.ok());
  std::vector<std::string> values;
  for (const FakeRecord& r : *records) {
    CHECK(r.offset == static_cast<int64_t>(values.size()));
    values.push_back(r.value.value_or("<null>"));
  }
  CHECK(values == std::vector<std::string>{"a0", "a1", "a2", "a3", "a4", "b0", "b1", "b2", "b3", "b4"});

  CHECK(ErrorCodeOf(fake->MovePartitionLeader("nope", 0, after)) == ErrorCode::kUnknownTopicOrPartition);
  CHECK(ErrorCodeOf(fake->MovePartitionLeader("t", 3, after)) == ErrorCode::kUnknownTopicOrPartition);
  CHECK(ErrorCodeOf(fake->MovePartitionLeader("t", 0, 7)) == ErrorCode::kBrokerNotAvailable);
  CHECK(fake->MovePartitionLeader("t", 0, after).ok());  // there already
}

TEST_CASE("FakeKafka: SetGroupCoordinator moves a group, its offsets come along, FindCoordinator names it",
          "[kafka][fake]") {
  FakeKafkaOptions options;
  options.num_brokers = 2;
  auto started = FakeKafka::Start(options);
  REQUIRE(started.ok());
  std::unique_ptr<FakeKafka> fake = *std::move(started);
  REQUIRE(fake->CreateTopic("t", 1).ok());
  ConsumerConfig config;
  config.group_id = "g";
  config.enable_auto_commit = false;
  auto consumer = Consumer::Create(fake->cluster(), config);
  REQUIRE(consumer.ok());
  REQUIRE((*consumer)->Assign({{"t", 0}}).ok());
  REQUIRE((*consumer)->CommitSync({{{"t", 0}, OffsetAndMetadata{3, ""}}}).ok());

  auto coordinator_named_by = [&](int32_t broker) {
    RawConnection conn(fake->Port(broker));
    kafka::FindCoordinatorRequest request;
    request.key = "g";
    conn.Send(1, 1, request);
    const std::optional<std::string> payload = conn.Receive();
    REQUIRE(payload.has_value());
    kafka::Reader reader(payload->data(), payload->size());
    kafka::ResponseHeader header;
    REQUIRE(header.Read(reader, 0).ok());
    kafka::FindCoordinatorResponse response;
    REQUIRE(response.Read(reader, 1).ok());
    REQUIRE(response.error_code == 0);
    return response.node_id;
  };
  const int32_t before = coordinator_named_by(0);
  REQUIRE(coordinator_named_by(1) == before);
  const int32_t after = 1 - before;

  REQUIRE(fake->SetGroupCoordinator("g", after).ok());
  CHECK(coordinator_named_by(0) == after);
  CHECK(coordinator_named_by(1) == after);
  CHECK(fake->cluster()->broker(after)->DescribeGroup("g").ok());
  CHECK(ErrorCodeOf(fake->cluster()->broker(before)->DescribeGroup("g").status()) == ErrorCode::kNotCoordinator);
  CHECK(fake->CommittedOffset("g", "t", 0).value() == std::optional<int64_t>(3));
  // The consumer finds the new coordinator and commits through it.
  REQUIRE((*consumer)->CommitSync({{{"t", 0}, OffsetAndMetadata{5, ""}}}).ok());
  CHECK(fake->CommittedOffset("g", "t", 0).value() == std::optional<int64_t>(5));
  CHECK(ErrorCodeOf(fake->SetGroupCoordinator("g", 9)) == ErrorCode::kBrokerNotAvailable);
  REQUIRE((*consumer)->Close().ok());
}


// --- Partition-level errors (a scope naming a topic) -----------------------------

// Sends `request` at `version` on `conn` and decodes the answer.
template <typename Response, typename Request>
Response Call(RawConnection& conn, int32_t correlation_id, int16_t version, const Request& request) {
  conn.Send(correlation_id, version, request);
  const std::optional<std::string> payload = conn.Receive();
  REQUIRE(payload.has_value());
  kafka::Reader reader(payload->data(), payload->size());
  kafka::ResponseHeader header;
  const kafka::ApiInfo* api = kafka::FindApi(static_cast<int16_t>(Request::kApiKey));
  REQUIRE(header.Read(reader, kafka::ResponseHeaderVersion(*api, version)).ok());
  CHECK(header.correlation_id == correlation_id);
  Response response;
  REQUIRE(response.Read(reader, version).ok());
  CHECK(reader.empty());
  return response;
}

std::string Batch(const std::vector<std::string>& values) {
  record::RecordBatchBuilder builder;
  for (const std::string& v : values) builder.Append(0, std::nullopt, v);
  absl::StatusOr<std::string> batch = builder.Build();
  REQUIRE(batch.ok());
  return *std::move(batch);
}

// A Produce (acks=all) of one batch per (topic, partition), in that order.
kafka::ProduceRequest ProduceOf(const std::vector<std::pair<std::string, std::vector<int32_t>>>& topics,
                                const std::string& value) {
  kafka::ProduceRequest request;
  request.acks = -1;
  request.timeout_ms = 10000;
  for (const auto& [name, partitions] : topics) {
    auto& t = request.topic_data.emplace_back();
    t.name = name;
    for (int32_t p : partitions) {
      auto& pd = t.partition_data.emplace_back();
      pd.index = p;
      pd.records = Batch({fmt::format("{}-{}-{}", value, name, p)});
    }
  }
  return request;
}

// (partition index, error code) of each partition of each topic of a response, in order.
using PartitionErrors = std::vector<std::vector<std::pair<int32_t, int16_t>>>;
template <typename Topics>
PartitionErrors Outline(const Topics& topics) {
  PartitionErrors out;
  for (const auto& t : topics) {
    auto& o = out.emplace_back();
    if constexpr (requires { t.partition_responses; }) {  // Produce
      for (const auto& p : t.partition_responses) o.emplace_back(p.index, p.error_code);
    } else {
      for (const auto& p : t.partitions) o.emplace_back(p.partition_index, p.error_code);
    }
  }
  return out;
}

TEST_CASE("FakeKafka: a partition-scoped Produce error fails that partition only, the others are stored",
          "[kafka][fake]") {
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 2).ok());
  // Another broker's: never matched here.
  REQUIRE(fake->PushRequestErrors(kProduce, std::vector<int16_t>{kNotLeaderOrFollower},
                                  {.broker_id = 7, .topic = "t", .partition = 1})
              .ok());
  REQUIRE(fake->PushRequestErrors(kProduce, std::vector<int16_t>{kNotLeaderOrFollower}, {.topic = "t", .partition = 1})
              .ok());
  RawConnection conn(fake->Port(0));
  // Partition 1 first: the answer keeps the request's order.
  const kafka::ProduceResponse first = Call<kafka::ProduceResponse>(conn, 1, 9, ProduceOf({{"t", {1, 0}}}, "a"));
  REQUIRE(first.responses.size() == 1);
  CHECK(first.responses[0].name == "t");
  const auto& parts = first.responses[0].partition_responses;
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].index == 1);
  CHECK(parts[0].error_code == kNotLeaderOrFollower);
  CHECK(parts[0].base_offset == -1);
  CHECK(parts[1].index == 0);
  CHECK(parts[1].error_code == 0);
  CHECK(parts[1].base_offset == 0);
  CHECK(fake->PendingRequestErrors() == 1);  // broker 7's
  REQUIRE(fake->ReadAll("t", 0)->size() == 1);
  CHECK(fake->ReadAll("t", 0)->at(0).value == std::optional<std::string>("a-t-0"));
  CHECK(fake->ReadAll("t", 1)->empty());

  // The error is consumed: both partitions are stored.
  const kafka::ProduceResponse second = Call<kafka::ProduceResponse>(conn, 2, 9, ProduceOf({{"t", {0, 1}}}, "b"));
  REQUIRE(second.responses.size() == 1);
  REQUIRE(second.responses[0].partition_responses.size() == 2);
  CHECK(second.responses[0].partition_responses[0].error_code == 0);
  CHECK(second.responses[0].partition_responses[0].base_offset == 1);
  CHECK(second.responses[0].partition_responses[1].error_code == 0);
  CHECK(second.responses[0].partition_responses[1].base_offset == 0);
  CHECK(fake->ReadAll("t", 0)->size() == 2);
  REQUIRE(fake->ReadAll("t", 1)->size() == 1);
  CHECK(fake->ReadAll("t", 1)->at(0).value == std::optional<std::string>("b-t-1"));
}

TEST_CASE("FakeKafka: a topic-scoped error fails every partition of the topic, another topic is served",
          "[kafka][fake]") {
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 2).ok());
  REQUIRE(fake->CreateTopic("u", 1).ok());
  REQUIRE(fake->PushRequestErrors(kProduce, {InjectedError{kNotLeaderOrFollower, absl::Milliseconds(200)}},
                                  {.topic = "t"})
              .ok());
  RawConnection conn(fake->Port(0));
  const absl::Time start = absl::Now();
  const kafka::ProduceResponse produced =
      Call<kafka::ProduceResponse>(conn, 1, 7, ProduceOf({{"t", {0, 1}}, {"u", {0}}}, "a"));
  CHECK(absl::Now() - start >= absl::Milliseconds(200));  // the error's delay still applies
  REQUIRE(produced.responses.size() == 2);
  CHECK(produced.responses[0].name == "t");
  CHECK(produced.responses[1].name == "u");
  CHECK(Outline(produced.responses) ==
        PartitionErrors{{{0, kNotLeaderOrFollower}, {1, kNotLeaderOrFollower}}, {{0, 0}}});
  CHECK(fake->ReadAll("t", 0)->empty());
  CHECK(fake->ReadAll("t", 1)->empty());
  CHECK(fake->ReadAll("u", 0)->size() == 1);

  // Fetch v13 names topics by id: the scope's topic is matched by its id.
  REQUIRE(fake->Produce("t", 0, std::nullopt, "x").ok());
  REQUIRE(fake->PushRequestErrors(kFetch, std::vector<int16_t>{kNotLeaderOrFollower}, {.topic = "t"}).ok());
  const std::string t_id = fake->cluster()->DescribeTopic("t")->topic_id;
  const std::string u_id = fake->cluster()->DescribeTopic("u")->topic_id;
  kafka::FetchRequest fetch;
  fetch.max_wait_ms = 0;
  for (const auto& [id, partitions] : std::vector<std::pair<std::string, std::vector<int32_t>>>{
           {t_id, {0, 1}}, {u_id, {0}}}) {
    auto& topic = fetch.topics.emplace_back();
    topic.topic_id = kafka::TopicIdToUuid(id);
    for (int32_t p : partitions) {
      auto& fp = topic.partitions.emplace_back();
      fp.partition = p;
      fp.partition_max_bytes = 1 << 20;
    }
  }
  const kafka::FetchResponse fetched = Call<kafka::FetchResponse>(conn, 2, 13, fetch);
  CHECK(fetched.error_code == 0);
  REQUIRE(fetched.responses.size() == 2);
  CHECK(fetched.responses[0].topic_id == kafka::TopicIdToUuid(t_id));
  CHECK(fetched.responses[1].topic_id == kafka::TopicIdToUuid(u_id));
  CHECK(Outline(fetched.responses) ==
        PartitionErrors{{{0, kNotLeaderOrFollower}, {1, kNotLeaderOrFollower}}, {{0, 0}}});
  CHECK(fetched.responses[0].partitions[0].high_watermark == -1);
  CHECK(fetched.responses[1].partitions[0].high_watermark == 1);
  CHECK(fake->PendingRequestErrors() == 0);
}

TEST_CASE("FakeKafka: a partition-scoped Fetch error fails that partition, the other returns its records",
          "[kafka][fake]") {
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 2).ok());
  for (int32_t p : {0, 1}) {
    for (int i = 0; i < 2; ++i) REQUIRE(fake->Produce("t", p, std::nullopt, fmt::format("v{}", i)).ok());
  }
  REQUIRE(fake->PushRequestErrors(kFetch, std::vector<int16_t>{kNotLeaderOrFollower}, {.topic = "t", .partition = 1})
              .ok());
  kafka::FetchRequest request;
  request.max_wait_ms = 5000;  // with a failed partition Kafka answers at once
  request.min_bytes = 1 << 20;
  auto& topic = request.topics.emplace_back();
  topic.topic = "t";
  for (int32_t p : {0, 1}) {
    auto& fp = topic.partitions.emplace_back();
    fp.partition = p;
    fp.partition_max_bytes = 1 << 20;
  }
  RawConnection conn(fake->Port(0));
  const absl::Time start = absl::Now();
  const kafka::FetchResponse failed = Call<kafka::FetchResponse>(conn, 1, 12, request);
  CHECK(absl::Now() - start < absl::Seconds(4));
  REQUIRE(failed.responses.size() == 1);
  CHECK(failed.responses[0].topic == "t");
  CHECK(Outline(failed.responses) ==
        PartitionErrors{{{0, 0}, {1, kNotLeaderOrFollower}}});
  const auto& served = failed.responses[0].partitions[0];
  CHECK(served.high_watermark == 2);
  CHECK(served.log_start_offset == 0);
  REQUIRE(served.records.has_value());
  auto batch = record::RecordBatchView::Parse(*served.records);
  REQUIRE(batch.ok());
  CHECK(batch->base_offset() == 0);
  const auto& error = failed.responses[0].partitions[1];
  CHECK(error.high_watermark == -1);
  CHECK(error.last_stable_offset == -1);
  CHECK(error.log_start_offset == -1);
  CHECK((!error.records.has_value() || error.records->empty()));

  // Consumed: both partitions return records.
  request.max_wait_ms = 0;
  request.min_bytes = 1;
  const kafka::FetchResponse next = Call<kafka::FetchResponse>(conn, 2, 12, request);
  CHECK(Outline(next.responses) == PartitionErrors{{{0, 0}, {1, 0}}});
  CHECK(next.responses[0].partitions[1].high_watermark == 2);
  CHECK(next.responses[0].partitions[1].records.value_or("").size() > 0);
}

TEST_CASE("FakeKafka: a partition-scoped ListOffsets error fails that partition, the other gets its offset",
          "[kafka][fake]") {
  constexpr int16_t kListOffsets = 2;
  constexpr int16_t kUnknownTopicOrPartition = 3;
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 2).ok());
  for (int i = 0; i < 3; ++i) REQUIRE(fake->Produce("t", 0, std::nullopt, "v").ok());
  REQUIRE(fake->Produce("t", 1, std::nullopt, "v").ok());
  REQUIRE(fake->PushRequestErrors(kListOffsets, std::vector<int16_t>{kUnknownTopicOrPartition},
                                  {.topic = "t", .partition = 0})
              .ok());
  kafka::ListOffsetsRequest request;
  request.replica_id = -1;
  auto& topic = request.topics.emplace_back();
  topic.name = "t";
  for (int32_t p : {0, 1}) {
    auto& lp = topic.partitions.emplace_back();
    lp.partition_index = p;
    lp.timestamp = -1;  // latest
  }
  RawConnection conn(fake->Port(0));
  const kafka::ListOffsetsResponse failed = Call<kafka::ListOffsetsResponse>(conn, 1, 7, request);
  CHECK(Outline(failed.topics) ==
        PartitionErrors{{{0, kUnknownTopicOrPartition}, {1, 0}}});
  CHECK(failed.topics[0].partitions[0].offset == -1);
  CHECK(failed.topics[0].partitions[0].timestamp == -1);
  CHECK(failed.topics[0].partitions[1].offset == 1);

  const kafka::ListOffsetsResponse next = Call<kafka::ListOffsetsResponse>(conn, 2, 7, request);
  CHECK(Outline(next.topics) == PartitionErrors{{{0, 0}, {1, 0}}});
  CHECK(next.topics[0].partitions[0].offset == 3);
}

// Commits offset, offset + 1 for partitions 0, 1 of topic "t" from outside
// any group's generation (generation -1, no member id), OffsetCommit v8.
kafka::OffsetCommitResponse CommitBoth(RawConnection& conn, int32_t correlation_id, const std::string& group,
                                       int64_t offset) {
  kafka::OffsetCommitRequest request;
  request.group_id = group;
  auto& topic = request.topics.emplace_back();
  topic.name = "t";
  for (int32_t p : {0, 1}) {
    auto& cp = topic.partitions.emplace_back();
    cp.partition_index = p;
    cp.committed_offset = offset + p;
  }
  return Call<kafka::OffsetCommitResponse>(conn, correlation_id, 8, request);
}

TEST_CASE("FakeKafka: partition-scoped OffsetCommit and OffsetFetch errors leave the other partitions served",
          "[kafka][fake]") {
  constexpr int16_t kOffsetFetch = 9;
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 2).ok());
  RawConnection conn(fake->Port(0));
  auto commit = [&](int32_t correlation_id, const std::string& group, int64_t offset) {
    return CommitBoth(conn, correlation_id, group, offset);
  };
  REQUIRE(fake->PushRequestErrors(kOffsetCommit, std::vector<int16_t>{kCoordinatorLoadInProgress},
                                  {.topic = "t", .partition = 1})
              .ok());
  CHECK(Outline(commit(1, "g", 5).topics) ==
        PartitionErrors{{{0, 0}, {1, kCoordinatorLoadInProgress}}});
  CHECK(fake->CommittedOffset("g", "t", 0).value() == std::optional<int64_t>(5));
  CHECK(fake->CommittedOffset("g", "t", 1).value() == std::nullopt);
  CHECK(Outline(commit(2, "g", 10).topics) ==
        PartitionErrors{{{0, 0}, {1, 0}}});
  CHECK(fake->CommittedOffset("g", "t", 1).value() == std::optional<int64_t>(11));
  CHECK(Outline(commit(3, "h", 20).topics) ==
        PartitionErrors{{{0, 0}, {1, 0}}});

  // OffsetFetch v7: the topics form, partition 1 failed, no top-level error.
  REQUIRE(fake->PushRequestErrors(kOffsetFetch, std::vector<int16_t>{kCoordinatorLoadInProgress},
                                  {.topic = "t", .partition = 1})
              .ok());
  kafka::OffsetFetchRequest v7;
  v7.group_id = "g";
  v7.topics = std::vector<kafka::OffsetFetchRequest::OffsetFetchRequestTopic>(1);
  (*v7.topics)[0].name = "t";
  (*v7.topics)[0].partition_indexes = {1, 0};
  const kafka::OffsetFetchResponse fetched = Call<kafka::OffsetFetchResponse>(conn, 4, 7, v7);
  CHECK(fetched.error_code == 0);
  CHECK(Outline(fetched.topics) ==
        PartitionErrors{{{1, kCoordinatorLoadInProgress}, {0, 0}}});
  CHECK(fetched.topics[0].partitions[0].committed_offset == -1);
  CHECK(fetched.topics[0].partitions[1].committed_offset == 10);

  // OffsetFetch v8: each group naming the partition has it failed.
  REQUIRE(fake->PushRequestErrors(kOffsetFetch, std::vector<int16_t>{kCoordinatorLoadInProgress},
                                  {.topic = "t", .partition = 1})
              .ok());
  kafka::OffsetFetchRequest v8;
  for (const std::string group : {"g", "h"}) {
    auto& g = v8.groups.emplace_back();
    g.group_id = group;
    g.topics = std::vector<kafka::OffsetFetchRequest::OffsetFetchRequestTopics>(1);
    (*g.topics)[0].name = "t";
    (*g.topics)[0].partition_indexes = group == "g" ? std::vector<int32_t>{0, 1} : std::vector<int32_t>{1};
  }
  const kafka::OffsetFetchResponse groups = Call<kafka::OffsetFetchResponse>(conn, 5, 8, v8);
  REQUIRE(groups.groups.size() == 2);
  CHECK(groups.groups[0].group_id == "g");
  CHECK(groups.groups[0].error_code == 0);
  CHECK(Outline(groups.groups[0].topics) ==
        PartitionErrors{{{0, 0}, {1, kCoordinatorLoadInProgress}}});
  CHECK(groups.groups[0].topics[0].partitions[0].committed_offset == 10);
  CHECK(groups.groups[0].topics[0].partitions[1].committed_offset == -1);
  CHECK(groups.groups[1].group_id == "h");  // nothing of it served: answered by the fake
  CHECK(groups.groups[1].error_code == 0);
  CHECK(Outline(groups.groups[1].topics) ==
        PartitionErrors{{{1, kCoordinatorLoadInProgress}}});
  CHECK(fake->PendingRequestErrors() == 0);

  const kafka::OffsetFetchResponse again = Call<kafka::OffsetFetchResponse>(conn, 6, 7, v7);
  CHECK(Outline(again.topics) == PartitionErrors{{{1, 0}, {0, 0}}});
  CHECK(again.topics[0].partitions[0].committed_offset == 11);
}

// (error code, committed offset) of each partition of topic "t" in an
// OffsetFetch answer's topics, by partition.
template <typename Topics>
std::map<int32_t, std::pair<int16_t, int64_t>> CommittedOfT(const Topics& topics) {
  std::map<int32_t, std::pair<int16_t, int64_t>> out;
  for (const auto& t : topics) {
    if (t.name != "t") continue;
    for (const auto& p : t.partitions) out[p.partition_index] = {p.error_code, p.committed_offset};
  }
  return out;
}

TEST_CASE("FakeKafka: a partition-scoped OffsetFetch error reaches a fetch of every committed partition",
          "[kafka][fake]") {
  // OffsetFetch with topics null (what an admin client's
  // listConsumerGroupOffsets sends) names no partition: it covers the ones
  // the group has committed, so a scope matches when one of those is in it.
  constexpr int16_t kOffsetFetch = 9;
  auto fake = StartFake();
  REQUIRE(fake->CreateTopic("t", 2).ok());
  RawConnection conn(fake->Port(0));
  for (const auto& [group, offset] : {std::pair<std::string, int64_t>{"g", 10}, {"h", 20}}) {
    REQUIRE(Outline(CommitBoth(conn, 1, group, offset).topics) == PartitionErrors{{{0, 0}, {1, 0}}});
  }
  REQUIRE(fake->PushRequestErrors(kOffsetFetch, std::vector<int16_t>{kCoordinatorLoadInProgress},
                                  {.topic = "t", .partition = 1})
              .ok());
  // A group with nothing committed covers no partition: the error waits.
  kafka::OffsetFetchRequest none;
  none.group_id = "nobody";
  none.topics = std::nullopt;
  const kafka::OffsetFetchResponse empty = Call<kafka::OffsetFetchResponse>(conn, 2, 7, none);
  CHECK(empty.error_code == 0);
  CHECK(empty.topics.empty());
  CHECK(fake->PendingRequestErrors() == 1);

  // v7, topics null: every committed partition listed, the scoped one failed.
  kafka::OffsetFetchRequest all;
  all.group_id = "g";
  all.topics = std::nullopt;
  const kafka::OffsetFetchResponse fetched = Call<kafka::OffsetFetchResponse>(conn, 3, 7, all);
  CHECK(fetched.error_code == 0);
  CHECK(CommittedOfT(fetched.topics) ==
        std::map<int32_t, std::pair<int16_t, int64_t>>{{0, {0, 10}}, {1, {kCoordinatorLoadInProgress, -1}}});
  CHECK(fake->PendingRequestErrors() == 0);
  CHECK(CommittedOfT(Call<kafka::OffsetFetchResponse>(conn, 4, 7, all).topics) ==
        std::map<int32_t, std::pair<int16_t, int64_t>>{{0, {0, 10}}, {1, {0, 11}}});

  // v8: a group asking for everything and one naming partition 0 only.
  REQUIRE(fake->PushRequestErrors(kOffsetFetch, std::vector<int16_t>{kCoordinatorLoadInProgress},
                                  {.topic = "t", .partition = 1})
              .ok());
  kafka::OffsetFetchRequest v8;
  auto& g = v8.groups.emplace_back();
  g.group_id = "g";
  g.topics = std::nullopt;
  auto& h = v8.groups.emplace_back();
  h.group_id = "h";
  h.topics = std::vector<kafka::OffsetFetchRequest::OffsetFetchRequestTopics>(1);
  (*h.topics)[0].name = "t";
  (*h.topics)[0].partition_indexes = {0};
  const kafka::OffsetFetchResponse groups = Call<kafka::OffsetFetchResponse>(conn, 5, 8, v8);
  REQUIRE(groups.groups.size() == 2);
  CHECK(groups.groups[0].group_id == "g");
  CHECK(groups.groups[0].error_code == 0);
  CHECK(CommittedOfT(groups.groups[0].topics) ==
        std::map<int32_t, std::pair<int16_t, int64_t>>{{0, {0, 10}}, {1, {kCoordinatorLoadInProgress, -1}}});
  CHECK(groups.groups[1].group_id == "h");
  CHECK(CommittedOfT(groups.groups[1].topics) == std::map<int32_t, std::pair<int16_t, int64_t>>{{0, {0, 20}}});
  CHECK(fake->PendingRequestErrors() == 0);
}

}  // namespace
}  // namespace samsa::testing
