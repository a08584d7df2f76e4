// Incremental fetch sessions (KIP-227): the FetchSessionCache on its own.
// Expected behaviour is Apache Kafka's FetchSession.scala.
#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "kafka/server/fetch_session_cache.h"
#include "samsa/clock.h"
#include "samsa/errors.h"

namespace samsa::kafka {
namespace {

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
