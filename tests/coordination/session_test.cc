// Sessions: time-outs driven by a ManualClock, heartbeats, ephemeral-node
// clean-up on close and on expiry, listeners, and calls after the end.
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <string>

#include "coordination/coordination_test_util.h"
#include "samsa/coordinator.h"

namespace samsa {
namespace {

TEST_CASE("an expired session's ephemerals are deleted and its listener told",
          "[coordination][session]") {
  testing::EventLog log;
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  REQUIRE(zk.Create(kNoSession, "/brokers", "", CreateMode::kPersistent).ok());
  auto s = zk.OpenSession(absl::Seconds(10), log.Listener("s"));
  REQUIRE(s.ok());
  REQUIRE(zk.Create(*s, "/brokers/1", "b1", CreateMode::kEphemeral).ok());
  auto seq = zk.Create(*s, "/brokers/seq-", "", CreateMode::kEphemeralSequential);
  REQUIRE(seq.ok());
  REQUIRE(zk.Create(*s, "/brokers/persistent", "", CreateMode::kPersistent).ok());
  REQUIRE(zk.Exists("/brokers/1", log.Watch("w")).ok());

  clock.Advance(absl::Seconds(10) - absl::Milliseconds(1));
  CHECK(zk.Exists("/brokers/1")->has_value());
  zk.AwaitEventsDelivered();
  CHECK(log.Take().empty());

  clock.Advance(absl::Milliseconds(1));  // the whole time-out without a heartbeat
  CHECK(!zk.Exists("/brokers/1")->has_value());
  CHECK(!zk.Exists(*seq)->has_value());
  CHECK(zk.Exists("/brokers/persistent")->has_value());
  CHECK(zk.GetChildren("/brokers")->names == std::vector<std::string>{"persistent"});
  zk.AwaitEventsDelivered();
  CHECK(log.Take() == std::vector<std::string>{"w NodeDeleted /brokers/1", "s expired"});
  CHECK(zk.NumSessions() == 0);

  auto hb = zk.Heartbeat(*s);
  CHECK(IsSessionExpired(hb));
  CHECK(hb.code() == absl::StatusCode::kUnavailable);
  CHECK(std::string(hb.message()).find("expired") != std::string::npos);
  CHECK(IsSessionExpired(zk.Create(*s, "/brokers/1", "", CreateMode::kEphemeral).status()));
  CHECK(IsSessionExpired(zk.Create(*s, "/x", "", CreateMode::kPersistent).status()));
  CHECK(IsSessionExpired(zk.Multi(*s, {Op::Check("/", kAnyVersion)}).status()));
  CHECK(IsSessionExpired(zk.CloseSession(*s)));
  CHECK(IsSessionExpired(zk.Heartbeat(12345)));  // never opened
}

TEST_CASE("the expiry thread expires a session with no call at all", "[coordination][session]") {
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  std::promise<SessionState> told;
  auto s = zk.OpenSession(absl::Seconds(6), [&told](SessionId, SessionState state) {
    told.set_value(state);
  });
  REQUIRE(s.ok());
  clock.Advance(absl::Seconds(7));
  // Nothing else calls the coordinator: its own thread must notice. (A real
  // time-out only guards against a hang; it is not a sleep.)
  auto future = told.get_future();
  REQUIRE(future.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  CHECK(future.get() == SessionState::kExpired);
}

TEST_CASE("heartbeats keep a session alive past its time-out", "[coordination][session]") {
  testing::EventLog log;
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  auto s = zk.OpenSession(absl::Seconds(10), log.Listener("s"));
  REQUIRE(s.ok());
  REQUIRE(zk.Create(*s, "/e", "", CreateMode::kEphemeral).ok());
  for (int i = 0; i < 5; ++i) {
    clock.Advance(absl::Seconds(6));
    REQUIRE(zk.Heartbeat(*s).ok());
  }
  // 30 s have passed; never 10 s without a heartbeat.
  CHECK(zk.Exists("/e")->has_value());
  // A create with the session counts as a heartbeat too.
  clock.Advance(absl::Seconds(6));
  REQUIRE(zk.Create(*s, "/e2", "", CreateMode::kEphemeral).ok());
  clock.Advance(absl::Seconds(6));
  CHECK(zk.Exists("/e2")->has_value());
  CHECK(zk.NumSessions() == 1);
  zk.AwaitEventsDelivered();
  CHECK(log.Take().empty());

  clock.Advance(absl::Seconds(4));
  CHECK(!zk.Exists("/e")->has_value());
  CHECK(!zk.Exists("/e2")->has_value());
  zk.AwaitEventsDelivered();
  CHECK(log.Take() == std::vector<std::string>{"s expired"});
}

TEST_CASE("sessions expire independently", "[coordination][session]") {
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  auto short_lived = zk.OpenSession(absl::Seconds(2), nullptr);
  auto long_lived = zk.OpenSession(absl::Seconds(20), nullptr);
  REQUIRE(short_lived.ok());
  REQUIRE(long_lived.ok());
  CHECK(*short_lived != *long_lived);
  REQUIRE(zk.Create(*short_lived, "/a", "", CreateMode::kEphemeral).ok());
  REQUIRE(zk.Create(*long_lived, "/b", "", CreateMode::kEphemeral).ok());
  clock.Advance(absl::Seconds(5));
  CHECK(!zk.Exists("/a")->has_value());
  CHECK(zk.Exists("/b")->has_value());
  CHECK(zk.Heartbeat(*long_lived).ok());
}

TEST_CASE("closing a session deletes its ephemerals at once", "[coordination][session]") {
  testing::EventLog log;
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  auto s = zk.OpenSession(absl::Seconds(10), log.Listener("s"));
  REQUIRE(s.ok());
  REQUIRE(zk.Create(*s, "/controller", "", CreateMode::kEphemeral).ok());
  REQUIRE(zk.Get("/controller", log.Watch("w")).ok());
  REQUIRE(zk.GetChildren("/", log.Watch("root")).ok());
  const int64_t z0 = zk.LastZxid();
  REQUIRE(zk.CloseSession(*s).ok());
  CHECK(zk.LastZxid() == z0 + 1);
  CHECK(!zk.Exists("/controller")->has_value());
  zk.AwaitEventsDelivered();
  CHECK(log.Take() == std::vector<std::string>{"w NodeDeleted /controller",
                                               "root NodeChildrenChanged /", "s closed"});
  auto again = zk.Create(*s, "/controller", "", CreateMode::kEphemeral);
  CHECK(IsSessionExpired(again.status()));
  CHECK(std::string(again.status().message()).find("closed") != std::string::npos);
  // Time passing later changes nothing for a closed session.
  clock.Advance(absl::Seconds(60));
  zk.AwaitEventsDelivered();
  CHECK(log.Take().empty());
}

TEST_CASE("ExpireSession expires a session on demand", "[coordination][session][faults]") {
  testing::EventLog log;
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  auto s = zk.OpenSession(absl::Seconds(10), log.Listener("s"));
  REQUIRE(s.ok());
  REQUIRE(zk.Multi(*s, {Op::Create("/e", "", CreateMode::kEphemeral)}).ok());
  REQUIRE(zk.ExpireSession(*s).ok());
  CHECK(!zk.Exists("/e")->has_value());
  CHECK(IsSessionExpired(zk.Heartbeat(*s)));
  CHECK(IsSessionExpired(zk.ExpireSession(*s)));
  zk.AwaitEventsDelivered();
  CHECK(log.Take() == std::vector<std::string>{"s expired"});
}

TEST_CASE("a session needs a positive time-out", "[coordination][session]") {
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  CHECK(IsBadArguments(zk.OpenSession(absl::ZeroDuration(), nullptr).status()));
  CHECK(IsBadArguments(zk.OpenSession(absl::Seconds(-1), nullptr).status()));
}

TEST_CASE("the coordinator can be destroyed with live sessions and pending events",
          "[coordination][session]") {
  testing::EventLog log;
  ManualClock clock;
  {
    InMemoryCoordinator zk(&clock);
    auto s = zk.OpenSession(absl::Seconds(10), log.Listener("s"));
    REQUIRE(s.ok());
    REQUIRE(zk.Create(*s, "/e", "", CreateMode::kEphemeral).ok());
    REQUIRE(zk.Exists("/e", log.Watch("w")).ok());
    REQUIRE(zk.Delete("/e").ok());
  }
  // Not a crash nor a hang; undelivered events may be dropped, never called
  // after the coordinator is gone.
  SUCCEED();
}

}  // namespace
}  // namespace samsa
