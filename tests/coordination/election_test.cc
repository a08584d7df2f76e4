// Kafka's controller election on the coordinator, raced by eight brokers:
// exactly one wins /controller; when its session expires, another wins and
// /controller_epoch moves by compare-and-set.
//
// The election is KafkaZkClient.registerControllerAndIncrementControllerEpoch:
// create /controller_epoch ("0") if absent, read the epoch and its version,
// then one Multi: create the ephemeral /controller and set the epoch to
// epoch + 1 at the version read. (The election policy itself belongs to the
// controller; this checks the coordinator gives it what it needs.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "coordination/coordination_test_util.h"
#include "coordination/kafka_zk_data.h"
#include "coordination/kafka_zk_paths.h"
#include "samsa/coordinator.h"

namespace samsa {
namespace {

namespace kz = kafka_zk;

enum class Outcome { kWon, kLost, kError };

Outcome Elect(Coordinator& zk, SessionId session, int32_t broker_id, int64_t now_ms) {
  while (true) {
    auto created = zk.Create(kNoSession, kz::kControllerEpochPath, kz::EncodeControllerEpoch(0),
                             CreateMode::kPersistent);
    if (!created.ok() && !IsNodeExists(created.status())) return Outcome::kError;
    auto epoch_node = zk.Get(kz::kControllerEpochPath);
    if (!epoch_node.ok()) return Outcome::kError;
    auto epoch = kz::DecodeControllerEpoch(epoch_node->data);
    if (!epoch.ok()) return Outcome::kError;
    auto result = zk.Multi(
        session,
        {Op::Create(std::string(kz::kControllerPath),
                    kz::EncodeController({.broker_id = broker_id, .timestamp_ms = now_ms}),
                    CreateMode::kEphemeral),
         Op::Set(std::string(kz::kControllerEpochPath), kz::EncodeControllerEpoch(*epoch + 1),
                 epoch_node->stat.version)});
    if (result.ok()) return Outcome::kWon;
    if (IsNodeExists(result.status())) return Outcome::kLost;  // someone else is controller
    if (IsBadVersion(result.status())) continue;  // the epoch moved under us: read again
    return Outcome::kError;
  }
}

struct Race {
  std::vector<Outcome> outcomes;
  int winners = 0;
  int errors = 0;
  int winner_index = -1;
};

// Runs Elect for `brokers` (indexes into `sessions`) on their own threads,
// released together.
Race RunRace(Coordinator& zk, const std::vector<SessionId>& sessions,
             const std::vector<int>& brokers, int64_t now_ms) {
  Race race;
  race.outcomes.assign(sessions.size(), Outcome::kLost);
  std::latch start(static_cast<std::ptrdiff_t>(brokers.size()));
  std::vector<std::thread> threads;
  for (int b : brokers) {
    threads.emplace_back([&, b] {
      start.arrive_and_wait();
      race.outcomes[b] = Elect(zk, sessions[b], b + 1, now_ms);
    });
  }
  for (auto& t : threads) t.join();
  for (int b : brokers) {
    if (race.outcomes[b] == Outcome::kWon) {
      ++race.winners;
      race.winner_index = b;
    }
    if (race.outcomes[b] == Outcome::kError) ++race.errors;
  }
  return race;
}

TEST_CASE("eight brokers race for /controller: one wins, and one more after it expires",
          "[coordination][election]") {
  testing::EventLog log;
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  REQUIRE(kz::EnsureKafkaPaths(zk).ok());
  constexpr int kBrokers = 8;
  std::vector<SessionId> sessions;
  for (int b = 0; b < kBrokers; ++b) {
    auto s = zk.OpenSession(absl::Seconds(18), log.Listener("broker" + std::to_string(b + 1)));
    REQUIRE(s.ok());
    sessions.push_back(*s);
  }
  std::vector<int> all(kBrokers);
  for (int b = 0; b < kBrokers; ++b) all[b] = b;

  Race first = RunRace(zk, sessions, all, clock.NowMs());
  CHECK(first.errors == 0);
  REQUIRE(first.winners == 1);
  auto controller = zk.Get(kz::kControllerPath);
  REQUIRE(controller.ok());
  auto decoded = kz::DecodeController(controller->data);
  REQUIRE(decoded.ok());
  CHECK(decoded->broker_id == first.winner_index + 1);
  CHECK(controller->stat.ephemeral_owner == sessions[first.winner_index]);
  auto epoch = zk.Get(kz::kControllerEpochPath);
  REQUIRE(epoch.ok());
  CHECK(epoch->data == "1");
  CHECK(epoch->stat.version == 1);

  // Every loser watches /controller, as Kafka's brokers do.
  for (int b = 0; b < kBrokers; ++b) {
    if (b != first.winner_index) {
      REQUIRE(zk.Exists(kz::kControllerPath, log.Watch("watch" + std::to_string(b + 1))).ok());
    }
  }
  // The winner stops heart-beating; the others keep their sessions alive.
  for (int step = 0; step < 2; ++step) {
    clock.Advance(absl::Seconds(10));
    for (int b = 0; b < kBrokers; ++b) {
      if (b != first.winner_index) REQUIRE(zk.Heartbeat(sessions[b]).ok());
    }
  }
  CHECK(!zk.Exists(kz::kControllerPath)->has_value());
  zk.AwaitEventsDelivered();
  auto events = log.Take();
  CHECK(events.size() == kBrokers);  // seven watches, one expiry
  for (int b = 0; b < kBrokers; ++b) {
    const std::string expected =
        b == first.winner_index
            ? "broker" + std::to_string(b + 1) + " expired"
            : "watch" + std::to_string(b + 1) + " NodeDeleted /controller";
    CHECK(std::count(events.begin(), events.end(), expected) == 1);
  }
  CHECK(events.back() == "broker" + std::to_string(first.winner_index + 1) + " expired");

  std::vector<int> survivors;
  for (int b = 0; b < kBrokers; ++b) {
    if (b != first.winner_index) survivors.push_back(b);
  }
  Race second = RunRace(zk, sessions, survivors, clock.NowMs());
  CHECK(second.errors == 0);
  REQUIRE(second.winners == 1);
  CHECK(second.winner_index != first.winner_index);
  auto new_controller = zk.Get(kz::kControllerPath);
  REQUIRE(new_controller.ok());
  CHECK(kz::DecodeController(new_controller->data)->broker_id == second.winner_index + 1);
  epoch = zk.Get(kz::kControllerEpochPath);
  REQUIRE(epoch.ok());
  CHECK(epoch->data == "2");
  CHECK(epoch->stat.version == 2);

  // The deposed controller is fenced: a write conditioned on the epoch
  // version it knew fails, and its session is gone.
  auto zombie = zk.Multi(kNoSession, {Op::Check(std::string(kz::kControllerEpochPath), 1),
                                      Op::Set(kz::TopicPath("t"), "x")});
  CHECK(IsBadVersion(zombie.status()));
  CHECK(IsSessionExpired(zk.Heartbeat(sessions[first.winner_index])));
}

}  // namespace
}  // namespace samsa
