// Incremental fetch sessions (KIP-227): the Fetch handler driven with encoded
// requests on a broker over MemEnv and a manual clock, and the
// FetchSessionCache on its own. Expected behaviour is Apache Kafka's
// FetchSession.scala (FetchManager.newContext, the fetch contexts,
// FetchSessionCacheShard's eviction) and KafkaApis.handleFetchRequest.
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "broker/broker_test_util.h"
#include "kafka/handler_test_util.h"
#include "kafka/messages/messages.h"
#include "kafka/server/fetch_session_cache.h"
#include "kafka/server/handler.h"
#include "kafka/server/kafka_server.h"
#include "kafka/server/server_context.h"
#include "record/record_batch.h"
#include "samsa/errors.h"

namespace samsa::kafka {
namespace {

namespace kt = samsa::kafka::testing;
namespace st = samsa::testing;

constexpr int16_t kNone = 0;
constexpr int16_t kUnknownTopicOrPartition = 3;
constexpr int16_t kFetchSessionIdNotFound = 70;
constexpr int16_t kInvalidFetchSessionEpoch = 71;
constexpr int16_t kUnknownLeaderEpoch = 75;
constexpr int16_t kUnknownTopicId = 100;
constexpr int16_t kInconsistentTopicId = 103;
constexpr int16_t kFetchSessionTopicIdError = 106;

constexpr int16_t kByName = 12;  // the last version naming topics by name
constexpr int16_t kById = 13;

// One partition of a request: by name, or by id (v13+).
struct Part {
  std::string topic;
  Uuid id;
  int32_t partition = 0;
  int64_t offset = 0;
  int32_t leader_epoch = -1;
};

Part Named(const std::string& topic, int32_t partition, int64_t offset) {
  return Part{topic, Uuid{}, partition, offset};
}
Part ById(const Uuid& id, int32_t partition, int64_t offset) {
  return Part{"", id, partition, offset};
}

FetchRequest Request(int32_t session_id, int32_t epoch, const std::vector<Part>& parts,
                     int32_t max_wait_ms = 0) {
  FetchRequest r;
  r.replica_id = -1;
  r.max_wait_ms = max_wait_ms;
  r.min_bytes = 1;
  r.max_bytes = 50 << 20;
  r.session_id = session_id;
  r.session_epoch = epoch;
  for (const Part& p : parts) {
    if (r.topics.empty() || r.topics.back().topic != p.topic ||
        !(r.topics.back().topic_id == p.id)) {
      FetchRequest::FetchTopic t;
      t.topic = p.topic;
      t.topic_id = p.id;
      r.topics.push_back(std::move(t));
    }
    FetchRequest::FetchPartition fp;
    fp.partition = p.partition;
    fp.fetch_offset = p.offset;
    fp.partition_max_bytes = 1 << 20;
    fp.current_leader_epoch = p.leader_epoch;
    r.topics.back().partitions.push_back(fp);
  }
  return r;
}

void Forget(FetchRequest* r, const std::string& topic, const Uuid& id,
            std::vector<int32_t> partitions) {
  FetchRequest::ForgottenTopic f;
  f.topic = topic;
  f.topic_id = id;
  f.partitions = std::move(partitions);
  r->forgotten_topics_data.push_back(std::move(f));
}

// The answered partitions as "topic/partition" (the topic's id in Kafka's
// text form from v13).
std::map<std::string, FetchResponse::PartitionData> Answered(const FetchResponse& r) {
  std::map<std::string, FetchResponse::PartitionData> out;
  for (const auto& t : r.responses) {
    const std::string topic = t.topic.empty() ? UuidToTopicId(t.topic_id) : t.topic;
    for (const auto& p : t.partitions) out[topic + "/" + std::to_string(p.partition_index)] = p;
  }
  return out;
}

std::vector<st::TestRecord> Records(const FetchResponse::PartitionData& p) {
  return st::DecodeAll(p.records.value_or(""));
}

// The offsets of the records in `bytes`, or false if they do not decode:
// DecodeAll without Catch2 assertions, for threads other than the test's.
bool OffsetsOf(std::string_view bytes, std::vector<int64_t>* out) {
  while (!bytes.empty()) {
    absl::StatusOr<record::RecordBatchView> batch = record::RecordBatchView::Parse(bytes);
    if (!batch.ok()) return false;
    absl::StatusOr<record::RecordReader> reader = record::RecordReader::Open(*batch);
    if (!reader.ok()) return false;
    record::RecordView rec;
    while (true) {
      absl::StatusOr<bool> more = reader->Next(&rec);
      if (!more.ok()) return false;
      if (!*more) break;
      out->push_back(rec.offset);
    }
    bytes.remove_prefix(batch->size_in_bytes());
  }
  return true;
}

struct Fixture : st::BrokerFixture {
  std::unique_ptr<SingleBrokerContext> server;

  explicit Fixture(int32_t slots = 1000) {
    config.max_incremental_fetch_session_cache_slots = slots;
    Open();
    server = std::make_unique<SingleBrokerContext>(&impl(), "samsa-test-cluster");
  }
  ServerContext* ctx() { return server.get(); }
  FetchSessionCache* sessions() { return server->fetch_sessions(); }

  void CreateTopic(const std::string& name, int32_t partitions) {
    REQUIRE(broker->CreateTopic({.name = name, .num_partitions = partitions}).ok());
  }
  Uuid TopicId(const std::string& name) {
    auto md = impl().Metadata(std::vector<std::string>{name}, /*allow_auto_create=*/false);
    REQUIRE(md.size() == 1);
    const Uuid id = TopicIdToUuid(md[0].topic_id);
    REQUIRE_FALSE(id.IsZero());
    return id;
  }
  FetchResponse Fetch(const FetchRequest& request, int16_t version = kByName) {
    auto r = kt::Call<FetchResponse>(ctx(), request, version);
    REQUIRE(r.ok());
    return *std::move(r);
  }
  // A full request at epoch 0 for `parts`: the session id it got (0: none).
  int32_t Open(const std::vector<Part>& parts, int16_t version = kByName) {
    FetchResponse r = Fetch(Request(0, 0, parts), version);
    REQUIRE(r.error_code == kNone);
    return r.session_id;
  }
  using st::BrokerFixture::Open;
};

// --- Creating and using a session ------------------------------------------------------------

TEST_CASE(
    "fetch session: a full fetch at epoch 0 opens a session, and incremental ones answer only "
    "what changed",
    "[kafka][handlers][fetch][session]") {
  Fixture f;
  f.CreateTopic("t", 2);
  f.Produce({"t", 0}, 2, "a");
  f.Produce({"t", 1}, 3, "b");

  FetchResponse full = f.Fetch(Request(0, 0, {Named("t", 0, 0), Named("t", 1, 0)}));
  CHECK(full.error_code == kNone);
  const int32_t id = full.session_id;
  REQUIRE(id > 0);
  auto parts = Answered(full);
  REQUIRE(parts.size() == 2);
  CHECK(Records(parts["t/0"]).size() == 2);
  CHECK(Records(parts["t/1"]).size() == 3);

  // The client moved its positions and nothing new came: no partition.
  FetchResponse none = f.Fetch(Request(id, 1, {Named("t", 0, 2), Named("t", 1, 3)}));
  CHECK(none.error_code == kNone);
  CHECK(none.session_id == id);
  CHECK(none.responses.empty());

  // Records on partition 1 only; the request names nothing, the session
  // remembers where each partition is.
  f.Produce({"t", 1}, 2, "c");
  FetchResponse one = f.Fetch(Request(id, 2, {}));
  CHECK(one.error_code == kNone);
  CHECK(one.session_id == id);
  parts = Answered(one);
  REQUIRE(parts.size() == 1);
  REQUIRE(parts.count("t/1") == 1);
  CHECK(parts["t/1"].error_code == kNone);
  CHECK(parts["t/1"].high_watermark == 5);
  const auto records = Records(parts["t/1"]);
  REQUIRE(records.size() == 2);
  CHECK(records.front().offset == 3);

  FetchResponse caught_up = f.Fetch(Request(id, 3, {Named("t", 1, 5)}));
  CHECK(caught_up.error_code == kNone);
  CHECK(caught_up.responses.empty());
  CHECK(f.sessions()->size() == 1);
  CHECK(f.sessions()->total_partitions() == 2);
}

TEST_CASE("fetch session: a moved log start offset is answered without records",
          "[kafka][handlers][fetch][session]") {
  Fixture f;
  f.CreateTopic("t", 2);
  f.Produce({"t", 0}, 3, "a");
  const int32_t id = f.Open({Named("t", 0, 3), Named("t", 1, 0)});
  REQUIRE(id > 0);
  REQUIRE(f.impl().DeleteRecords({"t", 0}, 2).ok());
  auto parts = Answered(f.Fetch(Request(id, 1, {})));
  REQUIRE(parts.size() == 1);
  CHECK(parts["t/0"].log_start_offset == 2);
  CHECK(parts["t/0"].high_watermark == 3);
  CHECK(Records(parts["t/0"]).empty());
  CHECK(f.Fetch(Request(id, 2, {})).responses.empty());
}

TEST_CASE(
    "fetch session: a partition in error is answered every time, and again once the error "
    "is gone",
    "[kafka][handlers][fetch][session]") {
  Fixture f;
  f.CreateTopic("t", 1);
  f.Produce({"t", 0}, 1, "a");
  Part future_epoch = Named("t", 0, 0);
  future_epoch.leader_epoch = 5;  // the leader is at epoch 0
  FetchResponse full = f.Fetch(Request(0, 0, {future_epoch}));
  const int32_t id = full.session_id;
  REQUIRE(id > 0);
  CHECK(Answered(full)["t/0"].error_code == kUnknownLeaderEpoch);

  auto again = Answered(f.Fetch(Request(id, 1, {})));
  REQUIRE(again.size() == 1);
  CHECK(again["t/0"].error_code == kUnknownLeaderEpoch);

  Part fixed = Named("t", 0, 0);
  fixed.leader_epoch = 0;
  auto ok = Answered(f.Fetch(Request(id, 2, {fixed})));
  REQUIRE(ok.size() == 1);
  CHECK(ok["t/0"].error_code == kNone);
  CHECK(ok["t/0"].high_watermark == 1);
  CHECK(Records(ok["t/0"]).size() == 1);

  fixed.offset = 1;
  CHECK(f.Fetch(Request(id, 3, {fixed})).responses.empty());
}

TEST_CASE("fetch session: partitions a request adds join the session",
          "[kafka][handlers][fetch][session]") {
  Fixture f;
  f.CreateTopic("t", 1);
  f.CreateTopic("u", 1);
  const int32_t id = f.Open({Named("t", 0, 0)});
  REQUIRE(id > 0);
  f.Produce({"u", 0}, 2, "u");
  auto added = Answered(f.Fetch(Request(id, 1, {Named("u", 0, 0)})));
  REQUIRE(added.size() == 1);  // t/0 unchanged
  CHECK(Records(added["u/0"]).size() == 2);
  CHECK(f.sessions()->total_partitions() == 2);
  f.Produce({"u", 0}, 1, "u2");
  f.Produce({"t", 0}, 1, "t");
  auto both = Answered(f.Fetch(Request(id, 2, {Named("u", 0, 2)})));
  REQUIRE(both.size() == 2);
  CHECK(Records(both["t/0"]).size() == 1);
  REQUIRE(Records(both["u/0"]).size() == 1);
  CHECK(Records(both["u/0"]).front().offset == 2);
}

TEST_CASE("fetch session: a forgotten partition leaves the session, forgetting the last closes it",
          "[kafka][handlers][fetch][session]") {
  Fixture f;
  f.CreateTopic("t", 2);
  const int32_t id = f.Open({Named("t", 0, 0), Named("t", 1, 0)});
  REQUIRE(id > 0);
  f.Produce({"t", 0}, 1, "a");
  f.Produce({"t", 1}, 1, "b");

  FetchRequest forget0 = Request(id, 1, {});
  Forget(&forget0, "t", Uuid{}, {0});
  auto parts = Answered(f.Fetch(forget0));
  REQUIRE(parts.size() == 1);
  CHECK(parts.count("t/1") == 1);  // t/0 has records too, but left the session
  CHECK(f.sessions()->total_partitions() == 1);

  // Kafka closes a session that a request empties and serves it sessionless.
  FetchRequest forget1 = Request(id, 2, {});
  Forget(&forget1, "t", Uuid{}, {1});
  FetchResponse closed = f.Fetch(forget1);
  CHECK(closed.error_code == kNone);
  CHECK(closed.session_id == 0);
  CHECK(closed.responses.empty());
  CHECK_FALSE(f.sessions()->Contains(id));
  CHECK(f.Fetch(Request(id, 3, {})).error_code == kFetchSessionIdNotFound);
}

TEST_CASE("fetch session: long-polls on every partition of the session",
          "[kafka][handlers][fetch][session]") {
  Fixture f;
  f.CreateTopic("t", 2);
  const int32_t id = f.Open({Named("t", 0, 0), Named("t", 1, 0)});
  REQUIRE(id > 0);
  const int base = st::SettledWaiters(f.clock);
  auto fut = std::async(std::launch::async, [&] {
    // Names no partition: the session's two are what it waits on.
    return kt::Call<FetchResponse>(f.ctx(), Request(id, 1, {}, /*max_wait_ms=*/500), kByName,
                                   std::chrono::seconds(30));
  });
  while (f.clock.NumWaiters() <= base) std::this_thread::yield();
  CHECK(fut.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout);
  f.Produce({"t", 1}, 2, "late");
  auto r = fut.get();  // no clock movement: the append woke it
  REQUIRE(r.ok());
  CHECK(r->session_id == id);
  auto parts = Answered(*r);
  REQUIRE(parts.size() == 1);
  CHECK(Records(parts["t/1"]).size() == 2);
}

// --- Session errors and closing ------------------------------------------------------------------

TEST_CASE("fetch session: a wrong epoch is INVALID_FETCH_SESSION_EPOCH and changes nothing",
          "[kafka][handlers][fetch][session]") {
  Fixture f;
  f.CreateTopic("t", 1);
  f.Produce({"t", 0}, 1, "a");
  const int32_t id = f.Open({Named("t", 0, 0)});
  REQUIRE(id > 0);
  for (int32_t epoch : {2, 0x7fffffff, -5, INT32_MIN}) {
    INFO("epoch " << epoch);
    FetchRequest bad = Request(id, epoch, {Named("t", 0, 1)});
    Forget(&bad, "t", Uuid{}, {0});
    FetchResponse r = f.Fetch(bad);
    CHECK(r.error_code == kInvalidFetchSessionEpoch);
    CHECK(r.session_id == 0);
    CHECK(r.responses.empty());
  }
  // Epoch 1 still works, from the session's own offset: the bad requests'
  // partitions and forgotten list were not applied.
  auto parts = Answered(f.Fetch(Request(id, 1, {})));
  REQUIRE(parts.size() == 1);
  CHECK(Records(parts["t/0"]).size() == 1);
}

TEST_CASE("fetch session: an unknown session id is FETCH_SESSION_ID_NOT_FOUND",
          "[kafka][handlers][fetch][session]") {
  Fixture f;
  f.CreateTopic("t", 1);
  const int32_t id = f.Open({Named("t", 0, 0)});
  REQUIRE(id > 0);
  for (auto [sid, epoch] : std::vector<std::pair<int32_t, int32_t>>{
           {id == 1 ? 2 : id - 1, 1}, {0, 1}, {0, -2}, {-7, 1}, {INT32_MIN, INT32_MAX}}) {
    INFO("session " << sid << " epoch " << epoch);
    FetchResponse r = f.Fetch(Request(sid, epoch, {Named("t", 0, 0)}));
    CHECK(r.error_code == kFetchSessionIdNotFound);
    CHECK(r.session_id == 0);
    CHECK(r.responses.empty());
  }
  CHECK(f.Fetch(Request(id, 1, {})).error_code == kNone);
}

TEST_CASE("fetch session: epoch -1 closes the session and is served in full without one",
          "[kafka][handlers][fetch][session]") {
  Fixture f;
  f.CreateTopic("t", 2);
  const int32_t id = f.Open({Named("t", 0, 0), Named("t", 1, 0)});
  REQUIRE(id > 0);
  FetchResponse r = f.Fetch(Request(id, -1, {Named("t", 0, 0)}));
  CHECK(r.error_code == kNone);
  CHECK(r.session_id == 0);
  CHECK(Answered(r).size() == 1);  // the request's partitions, not the session's
  CHECK_FALSE(f.sessions()->Contains(id));
  CHECK(f.sessions()->size() == 0);
  CHECK(f.Fetch(Request(id, 1, {})).error_code == kFetchSessionIdNotFound);

  // Session 0 at epoch -1: sessionless, as librdkafka 2.0.2 sends.
  FetchResponse plain = f.Fetch(Request(0, -1, {Named("t", 0, 0), Named("t", 1, 0)}));
  CHECK(plain.session_id == 0);
  CHECK(Answered(plain).size() == 2);
  CHECK(f.sessions()->size() == 0);
}

TEST_CASE("fetch session: epoch 0 naming a session closes it and opens a new one",
          "[kafka][handlers][fetch][session]") {
  Fixture f;
  f.CreateTopic("t", 1);
  const int32_t first = f.Open({Named("t", 0, 0)});
  REQUIRE(first > 0);
  FetchResponse r = f.Fetch(Request(first, 0, {Named("t", 0, 0)}));
  CHECK(r.error_code == kNone);
  const int32_t second = r.session_id;
  CHECK(second > 0);
  CHECK(second != first);
  CHECK_FALSE(f.sessions()->Contains(first));
  CHECK(f.sessions()->size() == 1);
  CHECK(f.Fetch(Request(first, 1, {})).error_code == kFetchSessionIdNotFound);
  CHECK(f.Fetch(Request(second, 1, {})).error_code == kNone);
}

TEST_CASE(
    "fetch session: a request served while a duplicate moved the epoch is "
    "INVALID_FETCH_SESSION_EPOCH",
    "[kafka][handlers][fetch][session]") {
  Fixture f;
  f.CreateTopic("t", 1);
  const int32_t id = f.Open({Named("t", 0, 0)});
  REQUIRE(id > 0);
  const int base = st::SettledWaiters(f.clock);
  auto first = std::async(std::launch::async, [&] {
    return kt::Call<FetchResponse>(f.ctx(), Request(id, 1, {}, /*max_wait_ms=*/500), kByName,
                                   std::chrono::seconds(30));
  });
  while (f.clock.NumWaiters() <= base) std::this_thread::yield();
  // The first request moved the session to epoch 2 when it began.
  CHECK(f.Fetch(Request(id, 2, {})).error_code == kNone);
  f.clock.Advance(absl::Milliseconds(500));
  auto r = first.get();
  REQUIRE(r.ok());
  CHECK(r->error_code == kInvalidFetchSessionEpoch);
  CHECK(r->session_id == id);  // Kafka names the session here
  CHECK(r->responses.empty());
  CHECK(f.Fetch(Request(id, 3, {})).error_code == kNone);
}

// --- Slots and eviction -----------------------------------------------------------------------

TEST_CASE("fetch session: max.incremental.fetch.session.cache.slots=0 keeps no session",
          "[kafka][handlers][fetch][session]") {
  Fixture f(/*slots=*/0);
  f.CreateTopic("t", 1);
  f.Produce({"t", 0}, 1, "a");
  FetchResponse r = f.Fetch(Request(0, 0, {Named("t", 0, 0)}), 7);
  CHECK(r.error_code == kNone);
  CHECK(r.session_id == 0);
  CHECK(Records(Answered(r)["t/0"]).size() == 1);
  CHECK(f.sessions()->size() == 0);
  CHECK(f.Fetch(Request(1234, 1, {})).error_code == kFetchSessionIdNotFound);
}

TEST_CASE(
    "fetch session: a full cache of young sessions gives none, and past the eviction age the "
    "least recently used goes",
    "[kafka][handlers][fetch][session]") {
  Fixture f(/*slots=*/2);
  f.CreateTopic("t", 1);
  const std::vector<Part> parts = {Named("t", 0, 0)};
  const int32_t a = f.Open(parts);
  const int32_t b = f.Open(parts);
  REQUIRE(a > 0);
  REQUIRE(b > 0);
  CHECK(a != b);
  CHECK(f.Open(parts) == 0);  // full, and both are young

  f.clock.Advance(absl::Seconds(60));
  CHECK(f.Fetch(Request(b, 1, {})).error_code == kNone);  // b used at +60 s
  f.clock.Advance(absl::Seconds(60));                     // a unused for exactly 120 s
  CHECK(f.Open(parts) == 0);
  f.clock.Advance(absl::Milliseconds(1));  // a unused for more than 120 s: evictable
  const int32_t c = f.Open(parts);
  CHECK(c > 0);
  CHECK(f.sessions()->size() == 2);
  CHECK(f.Fetch(Request(a, 1, {})).error_code == kFetchSessionIdNotFound);
  CHECK(f.Fetch(Request(b, 2, {})).error_code == kNone);
  CHECK(f.Fetch(Request(c, 1, {})).error_code == kNone);
}

TEST_CASE("fetch session: an old session gives way only to a bigger one",
          "[kafka][handlers][fetch][session]") {
  Fixture f(/*slots=*/1);
  f.CreateTopic("t", 2);
  const int32_t a = f.Open({Named("t", 0, 0)});
  REQUIRE(a > 0);
  f.clock.Advance(absl::Seconds(121));
  // Used now (not stale), but created more than 120 s ago: evictable by size.
  CHECK(f.Fetch(Request(a, 1, {})).error_code == kNone);
  CHECK(f.Open({Named("t", 1, 0)}) == 0);  // as big: no
  CHECK(f.sessions()->Contains(a));
  const int32_t bigger = f.Open({Named("t", 0, 0), Named("t", 1, 0)});
  CHECK(bigger > 0);
  CHECK_FALSE(f.sessions()->Contains(a));
  CHECK(f.Fetch(Request(a, 2, {})).error_code == kFetchSessionIdNotFound);
}

// --- Topic ids (v13+) -------------------------------------------------------------------------

TEST_CASE("fetch session v13: partitions are kept and answered by topic id",
          "[kafka][handlers][fetch][session]") {
  Fixture f;
  f.CreateTopic("t", 2);
  const Uuid id = f.TopicId("t");
  Uuid ghost;
  ghost.bytes[0] = 0x42;
  f.Produce({"t", 0}, 2, "a");

  FetchResponse full =
      f.Fetch(Request(0, 0, {ById(id, 0, 0), ById(id, 1, 0), ById(ghost, 0, 0)}), kById);
  const int32_t sid = full.session_id;
  REQUIRE(sid > 0);
  REQUIRE(full.responses.size() == 2);
  CHECK(full.responses[0].topic_id == id);
  CHECK(full.responses[0].partitions.size() == 2);
  CHECK(full.responses[1].topic_id == ghost);
  CHECK(full.responses[1].partitions[0].error_code == kUnknownTopicId);

  // Only the unknown id (an error every time) is answered.
  FetchResponse quiet = f.Fetch(Request(sid, 1, {ById(id, 0, 2)}), kById);
  CHECK(quiet.error_code == kNone);
  REQUIRE(quiet.responses.size() == 1);
  CHECK(quiet.responses[0].topic_id == ghost);

  f.Produce({"t", 1}, 3, "b");
  FetchRequest forget_ghost = Request(sid, 2, {});
  Forget(&forget_ghost, "", ghost, {0});
  FetchResponse one = f.Fetch(forget_ghost, kById);
  REQUIRE(one.responses.size() == 1);
  CHECK(one.responses[0].topic_id == id);
  REQUIRE(one.responses[0].partitions.size() == 1);
  CHECK(one.responses[0].partitions[0].partition_index == 1);
  CHECK(Records(one.responses[0].partitions[0]).size() == 3);

  FetchRequest forget1 = Request(sid, 3, {});
  Forget(&forget1, "", id, {1});
  f.Produce({"t", 1}, 1, "c");
  CHECK(f.Fetch(forget1, kById).responses.empty());  // t/1 left; t/0 unchanged
  CHECK(f.sessions()->total_partitions() == 1);

  // A session by id is not served by name, and the other way round.
  FetchResponse by_name = f.Fetch(Request(sid, 4, {}), kByName);
  CHECK(by_name.error_code == kFetchSessionTopicIdError);
  CHECK(by_name.responses.empty());
  const int32_t named = f.Open({Named("t", 0, 0)});
  REQUIRE(named > 0);
  CHECK(f.Fetch(Request(named, 1, {}), kById).error_code == kFetchSessionTopicIdError);

  CHECK(f.Fetch(Request(sid, 4, {}), kById).error_code == kNone);
}

TEST_CASE(
    "fetch session v13: a deleted topic answers UNKNOWN_TOPIC_OR_PARTITION, a recreated "
    "one INCONSISTENT_TOPIC_ID",
    "[kafka][handlers][fetch][session]") {
  Fixture f;
  f.CreateTopic("t", 1);
  const Uuid id = f.TopicId("t");
  const int32_t sid = f.Open({ById(id, 0, 0)}, kById);
  REQUIRE(sid > 0);
  REQUIRE(f.broker->DeleteTopic("t").ok());
  FetchResponse gone = f.Fetch(Request(sid, 1, {}), kById);
  CHECK(gone.error_code == kNone);
  REQUIRE(gone.responses.size() == 1);
  CHECK(gone.responses[0].topic_id == id);
  CHECK(gone.responses[0].partitions[0].error_code == kUnknownTopicOrPartition);

  f.CreateTopic("t", 1);
  REQUIRE_FALSE(f.TopicId("t") == id);
  f.Produce({"t", 0}, 1, "new");
  FetchResponse other = f.Fetch(Request(sid, 2, {}), kById);
  REQUIRE(other.responses.size() == 1);
  CHECK(other.responses[0].partitions[0].error_code == kInconsistentTopicId);
  CHECK(Records(other.responses[0].partitions[0]).empty());  // not the new topic's records
}

TEST_CASE(
    "fetch session v13: an unknown id added incrementally is UNKNOWN_TOPIC_ID every time, "
    "the other partitions unharmed",
    "[kafka][handlers][fetch][session]") {
  Fixture f;
  f.CreateTopic("t", 1);
  const Uuid id = f.TopicId("t");
  Uuid ghost;
  ghost.bytes[15] = 0x07;
  const int32_t sid = f.Open({ById(id, 0, 0)}, kById);
  REQUIRE(sid > 0);
  FetchResponse r = f.Fetch(Request(sid, 1, {ById(ghost, 3, 0)}), kById);
  REQUIRE(r.responses.size() == 1);
  CHECK(r.responses[0].topic_id == ghost);
  CHECK(r.responses[0].partitions[0].partition_index == 3);
  CHECK(r.responses[0].partitions[0].error_code == kUnknownTopicId);
  f.Produce({"t", 0}, 1, "a");
  auto parts = Answered(f.Fetch(Request(sid, 2, {}), kById));
  CHECK(parts.size() == 2);
  CHECK(parts[UuidToTopicId(id) + "/0"].error_code == kNone);
  CHECK(Records(parts[UuidToTopicId(id) + "/0"]).size() == 1);
  CHECK(parts[UuidToTopicId(ghost) + "/3"].error_code == kUnknownTopicId);
}

// --- Lifetime and threads ---------------------------------------------------------------------

TEST_CASE("fetch session: sessions end when the server stops",
          "[kafka][handlers][fetch][session]") {
  st::BrokerFixture b;
  b.config.listeners = "PLAINTEXT://127.0.0.1:0";
  b.Open();
  auto server = Server::Start(&b.impl());
  REQUIRE(server.ok());
  REQUIRE(b.broker->CreateTopic({.name = "t", .num_partitions = 1}).ok());
  ServerContext* ctx = (*server)->context();
  auto r = kt::Call<FetchResponse>(ctx, Request(0, 0, {Named("t", 0, 0)}), kByName);
  REQUIRE(r.ok());
  CHECK(r->session_id > 0);
  CHECK(ctx->fetch_sessions()->size() == 1);
  (*server)->Stop();
  CHECK(ctx->fetch_sessions()->size() == 0);
}

TEST_CASE("fetch session: threads fetching on their own sessions each read their partition in full",
          "[kafka][handlers][fetch][session][threads]") {
  Fixture f(/*slots=*/8);
  constexpr int kThreads = 4;
  constexpr int kBatches = 30;
  f.CreateTopic("t", kThreads);
  struct Result {
    std::string error;
    int64_t next = 0;
    int sessions = 0;
  };
  std::vector<Result> results(kThreads);
  std::atomic<bool> stop{false};
  std::atomic<int> done{0};
  // No Catch2 assertion off the main thread: each records its first problem.
  auto run = [&](int i) {
    Result& out = results[i];
    int32_t sid = 0;
    int32_t epoch = 0;
    for (int round = 0; !stop.load() && (out.next < kBatches || round < 20); ++round) {
      // Every few rounds a thread starts over with a new session.
      const bool full = sid == 0 || epoch % 7 == 0;
      const FetchRequest req = Request(sid, full ? 0 : epoch, {Named("t", i, out.next)});
      auto r = kt::Call<FetchResponse>(f.ctx(), req, kByName);
      if (!r.ok() || r->error_code != kNone) {
        out.error = r.ok() ? "error " + std::to_string(r->error_code) : r.status().ToString();
        return;
      }
      if (full) {
        sid = r->session_id;
        epoch = 0;
        ++out.sessions;
        if (sid == 0) {
          out.error = "no session";
          return;
        }
      }
      epoch = FetchSessionCache::NextEpoch(epoch);
      for (const auto& t : r->responses) {
        for (const auto& p : t.partitions) {
          if (p.partition_index != i || p.error_code != kNone) {
            out.error = "unexpected partition " + std::to_string(p.partition_index);
            return;
          }
          std::vector<int64_t> offsets;
          if (!OffsetsOf(p.records.value_or(""), &offsets)) {
            out.error = "records that do not decode";
            return;
          }
          for (int64_t offset : offsets) {
            if (offset != out.next) {
              out.error = "offset " + std::to_string(offset) + " for " + std::to_string(out.next);
              return;
            }
            ++out.next;
          }
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      run(i);
      done.fetch_add(1);
    });
  }
  for (int b = 0; b < kBatches; ++b) {
    for (int i = 0; i < kThreads; ++i) f.Produce({"t", i}, 1, "r");
  }
  const auto start = std::chrono::steady_clock::now();
  while (done.load() < kThreads &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(60)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop.store(true);
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    INFO("thread " << i);
    CHECK(results[i].error.empty());
    CHECK(results[i].next == kBatches);
    CHECK(results[i].sessions > 1);
  }
}

// --- The cache on its own ---------------------------------------------------------------------

TEST_CASE("fetch session epochs wrap from INT32_MAX to 1 and stay -1 once final",
          "[kafka][fetch][session]") {
  CHECK(FetchSessionCache::NextEpoch(0) == 1);
  CHECK(FetchSessionCache::NextEpoch(41) == 42);
  CHECK(FetchSessionCache::NextEpoch(INT32_MAX) == 1);
  CHECK(FetchSessionCache::NextEpoch(-1) == -1);
  CHECK(FetchSessionCache::NextEpoch(INT32_MIN) == -1);
}

TEST_CASE("fetch session cache counts a partition named twice once and forgets all on Clear",
          "[kafka][fetch][session]") {
  ManualClock clock;
  FetchSessionCache cache(&clock, 10);
  FetchSessionPartition p;
  p.topic = "t";
  p.partition = 0;
  p.fetch_offset = 1;
  FetchSessionPartition again = p;
  again.fetch_offset = 5;
  FetchSessionPartition other = p;
  other.partition = 1;
  const int32_t id = cache.MaybeCreate(false, {p, other, again});
  REQUIRE(id > 0);
  CHECK(cache.total_partitions() == 2);
  auto begun = cache.BeginIncremental(id, 1, false, {}, {}, nullptr);
  REQUIRE(begun.ok());
  REQUIRE(begun->partitions.size() == 2);
  CHECK(begun->partitions[0].partition == 0);
  CHECK(begun->partitions[0].fetch_offset == 5);  // its first place, its last values
  CHECK(cache.BeginIncremental(id, 1, false, {}, {}, nullptr).status().code() !=
        absl::StatusCode::kOk);
  cache.Clear();
  CHECK(cache.size() == 0);
  CHECK(cache.total_partitions() == 0);
  // A request that began before Clear still finishes.
  auto finished =
      cache.FinishIncremental(*begun, {FetchPartitionOutcome{}, FetchPartitionOutcome{}});
  REQUIRE(finished.ok());
  CHECK(ErrorCodeOf(cache.BeginIncremental(id, 2, false, {}, {}, nullptr).status()) ==
        ErrorCode::kFetchSessionIdNotFound);
}

TEST_CASE("fetch session cache: partitions that returned records move to the end",
          "[kafka][fetch][session]") {
  ManualClock clock;
  FetchSessionCache cache(&clock, 10);
  std::vector<FetchSessionPartition> parts(3);
  for (int i = 0; i < 3; ++i) {
    parts[i].topic = "t";
    parts[i].partition = i;
  }
  const int32_t id = cache.MaybeCreate(false, parts);
  REQUIRE(id > 0);
  auto begun = cache.BeginIncremental(id, 1, false, {}, {}, nullptr);
  REQUIRE(begun.ok());
  std::vector<FetchPartitionOutcome> outcomes(3);
  outcomes[0].has_records = true;
  outcomes[0].high_watermark = 4;
  auto include = cache.FinishIncremental(*begun, outcomes);
  REQUIRE(include.ok());
  CHECK(*include == std::vector<bool>{true, false, false});
  auto next = cache.BeginIncremental(id, 2, false, {}, {}, nullptr);
  REQUIRE(next.ok());
  REQUIRE(next->partitions.size() == 3);
  CHECK(next->partitions[0].partition == 1);
  CHECK(next->partitions[1].partition == 2);
  CHECK(next->partitions[2].partition == 0);
  CHECK(next->partitions[2].high_watermark == 4);
}

TEST_CASE(
    "fetch session cache: a partition added under an unknown topic id takes the name once "
    "the id resolves, and keeps it",
    "[kafka][fetch][session]") {
  ManualClock clock;
  FetchSessionCache cache(&clock, 10);
  FetchSessionPartition p;
  p.topic_id.bytes[0] = 9;  // topic "" : unknown when the session was made
  const int32_t id = cache.MaybeCreate(true, {p});
  REQUIRE(id > 0);
  std::string name;  // what the resolver knows
  auto resolve = [&name](const Uuid&) { return name; };
  auto first = cache.BeginIncremental(id, 1, true, {}, {}, resolve);
  REQUIRE(first.ok());
  CHECK(first->partitions.at(0).topic.empty());
  REQUIRE(cache.FinishIncremental(*first, {FetchPartitionOutcome{}}).ok());
  name = "t";
  auto second = cache.BeginIncremental(id, 2, true, {}, {}, resolve);
  REQUIRE(second.ok());
  CHECK(second->partitions.at(0).topic == "t");
  REQUIRE(cache.FinishIncremental(*second, {FetchPartitionOutcome{}}).ok());
  // The topic went away: the partition keeps its name (and the handler
  // answers UNKNOWN_TOPIC_OR_PARTITION for it).
  name = "";
  auto third = cache.BeginIncremental(id, 3, true, {}, {}, resolve);
  REQUIRE(third.ok());
  CHECK(third->partitions.at(0).topic == "t");
}

}  // namespace
}  // namespace samsa::kafka
