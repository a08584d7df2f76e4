// The coordinator's data operations: the node tree, Stat bookkeeping,
// versions and compare-and-set, sequential names, paths, Multi, errors and
// injected faults.
#include <catch2/catch.hpp>

#include <string>

#include <fmt/format.h>

#include "coordination/coordination_test_util.h"
#include "samsa/coordinator.h"

namespace samsa {
namespace {

constexpr int64_t kStartMs = 1'700'000'000'000;

TEST_CASE("the root exists and nodes are created under existing parents", "[coordination]") {
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  auto root = zk.Exists("/");
  REQUIRE(root.ok());
  REQUIRE(root->has_value());

  auto created = zk.Create(kNoSession, "/brokers", "", CreateMode::kPersistent);
  REQUIRE(created.ok());
  CHECK(*created == "/brokers");
  REQUIRE(zk.Create(kNoSession, "/brokers/ids", "x", CreateMode::kPersistent).ok());

  auto orphan = zk.Create(kNoSession, "/config/topics", "", CreateMode::kPersistent);
  CHECK(IsNoNode(orphan.status()));
  CHECK(orphan.status().code() == absl::StatusCode::kNotFound);
  CHECK(std::string(orphan.status().message()).find("/config") != std::string::npos);

  auto again = zk.Create(kNoSession, "/brokers", "", CreateMode::kPersistent);
  CHECK(IsNodeExists(again.status()));
  CHECK(again.status().code() == absl::StatusCode::kAlreadyExists);
  CHECK(std::string(again.status().message()).find("/brokers") != std::string::npos);
  CHECK(IsNodeExists(zk.Create(kNoSession, "/", "", CreateMode::kPersistent).status()));

  auto get = zk.Get("/brokers/ids");
  REQUIRE(get.ok());
  CHECK(get->data == "x");
  CHECK(IsNoNode(zk.Get("/nope").status()));
}

TEST_CASE("Stat tracks zxids, times, versions and children", "[coordination]") {
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  const int64_t z0 = zk.LastZxid();
  REQUIRE(zk.Create(kNoSession, "/a", "hello", CreateMode::kPersistent).ok());
  CHECK(zk.LastZxid() == z0 + 1);
  auto a = zk.Get("/a");
  REQUIRE(a.ok());
  CHECK(a->stat.czxid == z0 + 1);
  CHECK(a->stat.mzxid == z0 + 1);
  CHECK(a->stat.pzxid == z0 + 1);
  CHECK(a->stat.ctime == kStartMs);
  CHECK(a->stat.mtime == kStartMs);
  CHECK(a->stat.version == 0);
  CHECK(a->stat.cversion == 0);
  CHECK(a->stat.ephemeral_owner == kNoSession);
  CHECK(a->stat.data_length == 5);
  CHECK(a->stat.num_children == 0);

  clock.Advance(absl::Seconds(3));
  auto set = zk.Set("/a", "hi", 0);
  REQUIRE(set.ok());
  CHECK(set->version == 1);
  CHECK(set->mzxid == z0 + 2);
  CHECK(set->czxid == z0 + 1);
  CHECK(set->mtime == kStartMs + 3000);
  CHECK(set->ctime == kStartMs);
  CHECK(set->data_length == 2);

  REQUIRE(zk.Create(kNoSession, "/a/c1", "", CreateMode::kPersistent).ok());
  REQUIRE(zk.Create(kNoSession, "/a/c2", "", CreateMode::kPersistent).ok());
  auto parent = zk.Exists("/a");
  REQUIRE(parent.ok());
  REQUIRE(parent->has_value());
  CHECK((*parent)->cversion == 2);
  CHECK((*parent)->num_children == 2);
  CHECK((*parent)->pzxid == z0 + 4);
  CHECK((*parent)->mzxid == z0 + 2);  // children do not change the data
  CHECK((*parent)->version == 1);
  REQUIRE(zk.Delete("/a/c1").ok());
  parent = zk.Exists("/a");
  CHECK((*parent)->cversion == 3);
  CHECK((*parent)->num_children == 1);
  CHECK((*parent)->pzxid == z0 + 5);
}

TEST_CASE("Set and Delete compare the expected version", "[coordination]") {
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  REQUIRE(zk.Create(kNoSession, "/epoch", "1", CreateMode::kPersistent).ok());
  REQUIRE(zk.Set("/epoch", "2", 0).ok());

  auto stale = zk.Set("/epoch", "3", 0);
  CHECK(IsBadVersion(stale.status()));
  CHECK(stale.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(stale.status().message()).find("bad version") != std::string::npos);
  CHECK(std::string(stale.status().message()).find("/epoch") != std::string::npos);
  CHECK(zk.Get("/epoch")->data == "2");

  REQUIRE(zk.Set("/epoch", "3", 1).ok());
  REQUIRE(zk.Set("/epoch", "4", kAnyVersion).ok());
  CHECK(zk.Get("/epoch")->stat.version == 3);

  CHECK(IsBadVersion(zk.Delete("/epoch", 2)));
  CHECK(zk.Exists("/epoch")->has_value());
  CHECK(zk.Delete("/epoch", 3).ok());
  CHECK(!zk.Exists("/epoch")->has_value());
  CHECK(IsNoNode(zk.Delete("/epoch")));
  CHECK(IsNoNode(zk.Set("/epoch", "5").status()));
  // A caller tells NodeExists from BadVersion although both fail a write.
  CHECK(!IsNodeExists(stale.status()));
}

TEST_CASE("Delete refuses a node with children and the root", "[coordination]") {
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  REQUIRE(zk.Create(kNoSession, "/t", "", CreateMode::kPersistent).ok());
  REQUIRE(zk.Create(kNoSession, "/t/p", "", CreateMode::kPersistent).ok());
  auto s = zk.Delete("/t");
  CHECK(IsNotEmpty(s));
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(!IsBadVersion(s));
  CHECK(std::string(s.message()).find("/t") != std::string::npos);
  CHECK(zk.Exists("/t")->has_value());
  CHECK(IsBadArguments(zk.Delete("/")));
}

TEST_CASE("GetChildren returns sorted names and the parent's Stat", "[coordination]") {
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  REQUIRE(zk.Create(kNoSession, "/ids", "", CreateMode::kPersistent).ok());
  for (const char* id : {"3", "10", "1", "2"}) {
    REQUIRE(zk.Create(kNoSession, std::string("/ids/") + id, "", CreateMode::kPersistent).ok());
  }
  auto children = zk.GetChildren("/ids");
  REQUIRE(children.ok());
  CHECK(children->names == std::vector<std::string>{"1", "10", "2", "3"});
  CHECK(children->stat.num_children == 4);
  CHECK(children->stat.cversion == 4);
  CHECK(zk.GetChildren("/")->names == std::vector<std::string>{"ids"});
  CHECK(IsNoNode(zk.GetChildren("/none").status()));
}

TEST_CASE("sequential nodes are named from the parent's cversion, 10 digits", "[coordination]") {
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  REQUIRE(zk.Create(kNoSession, "/q", "", CreateMode::kPersistent).ok());
  CHECK(*zk.Create(kNoSession, "/q/item-", "a", CreateMode::kPersistentSequential) ==
        "/q/item-0000000000");
  CHECK(*zk.Create(kNoSession, "/q/item-", "b", CreateMode::kPersistentSequential) ==
        "/q/item-0000000001");
  CHECK(*zk.Create(kNoSession, "/q/item-", "c", CreateMode::kPersistentSequential) ==
        "/q/item-0000000002");
  // Any child create or delete moves the counter, as in ZooKeeper.
  REQUIRE(zk.Create(kNoSession, "/q/other", "", CreateMode::kPersistent).ok());
  REQUIRE(zk.Delete("/q/other").ok());
  CHECK(*zk.Create(kNoSession, "/q/item-", "d", CreateMode::kPersistentSequential) ==
        "/q/item-0000000005");
  // The prefix may end with '/'.
  CHECK(*zk.Create(kNoSession, "/q/", "e", CreateMode::kPersistentSequential) == "/q/0000000006");
  CHECK(zk.Get("/q/item-0000000001")->data == "b");
  CHECK(IsNoNode(zk.Create(kNoSession, "/none/x-", "", CreateMode::kPersistentSequential).status()));
}

TEST_CASE("bad paths are rejected as ZooKeeper rejects them", "[coordination]") {
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  REQUIRE(zk.Create(kNoSession, "/a", "", CreateMode::kPersistent).ok());
  for (const std::string& bad : std::vector<std::string>{"", "a", "a/b", "/a/", "//a", "/a//b", "/a/./b", "/a/.", "/a/..",
                          "/a/../b", "/./a", std::string("/a\0b", 4), "/a\x01", "/a\x7f",
                          "/a\xc2\x85"}) {
    INFO("path \"" << bad << "\"");
    auto created = zk.Create(kNoSession, bad, "", CreateMode::kPersistent);
    CHECK(IsBadArguments(created.status()));
    CHECK(created.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(IsBadArguments(zk.Get(bad).status()));
    CHECK(IsBadArguments(zk.Exists(bad).status()));
    CHECK(IsBadArguments(zk.GetChildren(bad).status()));
    CHECK(IsBadArguments(zk.Set(bad, "").status()));
    CHECK(IsBadArguments(zk.Delete(bad)));
  }
  for (const std::string& good : std::vector<std::string>{"/a/...", "/a/.b", "/a/b.", "/a/..b", "/a/b c", "/a/\xc3\xa9"}) {
    INFO("path \"" << good << "\"");
    CHECK(zk.Create(kNoSession, good, "", CreateMode::kPersistent).ok());
  }
  CHECK(ValidatePath("/").ok());
  CHECK(ValidatePath("/a/", /*sequential=*/true).ok());
  CHECK(!ValidatePath("/a//", /*sequential=*/true).ok());
}

TEST_CASE("ephemeral nodes need a session and cannot have children", "[coordination]") {
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  auto s = zk.OpenSession(absl::Seconds(10), nullptr);
  REQUIRE(s.ok());
  CHECK(IsBadArguments(zk.Create(kNoSession, "/e", "", CreateMode::kEphemeral).status()));
  REQUIRE(zk.Create(*s, "/e", "", CreateMode::kEphemeral).ok());
  CHECK(zk.Exists("/e")->value().ephemeral_owner == *s);
  auto child = zk.Create(*s, "/e/c", "", CreateMode::kPersistent);
  CHECK(IsNoChildrenForEphemerals(child.status()));
  CHECK(child.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(child.status().message()).find("/e") != std::string::npos);
  CHECK(IsNoChildrenForEphemerals(
      zk.Create(*s, "/e/", "", CreateMode::kEphemeralSequential).status()));
}

TEST_CASE("Multi applies all operations as one transaction", "[coordination][multi]") {
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  auto session = zk.OpenSession(absl::Seconds(10), nullptr);
  REQUIRE(session.ok());
  REQUIRE(zk.Create(kNoSession, "/controller_epoch", "1", CreateMode::kPersistent).ok());
  REQUIRE(zk.Create(kNoSession, "/old", "", CreateMode::kPersistent).ok());
  const int64_t z0 = zk.LastZxid();

  auto results = zk.Multi(*session, {Op::Check("/controller_epoch", 0),
                                     Op::Create("/controller", "c", CreateMode::kEphemeral),
                                     Op::Set("/controller_epoch", "2", 0),
                                     Op::Create("/seq-", "", CreateMode::kPersistentSequential),
                                     Op::Delete("/old", 0),
                                     // Later ops see earlier ones.
                                     Op::Create("/new", "", CreateMode::kPersistent),
                                     Op::Create("/new/child", "", CreateMode::kPersistent)});
  REQUIRE(results.ok());
  REQUIRE(results->size() == 7);
  CHECK((*results)[1].path == "/controller");
  CHECK((*results)[2].stat.version == 1);
  // "/" had 3 child changes before it: two creates, then /controller's.
  CHECK((*results)[3].path == "/seq-0000000003");
  CHECK(zk.LastZxid() == z0 + 1);                   // one transaction, one zxid
  CHECK((*results)[1].stat.czxid == z0 + 1);
  CHECK((*results)[2].stat.mzxid == z0 + 1);
  CHECK(zk.Get("/controller")->stat.ephemeral_owner == *session);
  CHECK(zk.Get("/controller_epoch")->data == "2");
  CHECK(!zk.Exists("/old")->has_value());
  CHECK(zk.Exists("/new/child")->has_value());
}

TEST_CASE("a failing Multi changes nothing and fires nothing", "[coordination][multi]") {
  testing::EventLog log;
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  auto session = zk.OpenSession(absl::Seconds(10), nullptr);
  REQUIRE(session.ok());
  REQUIRE(zk.Create(kNoSession, "/m", "v0", CreateMode::kPersistent).ok());
  REQUIRE(zk.Create(kNoSession, "/gone", "", CreateMode::kPersistent).ok());
  REQUIRE(zk.Get("/m", log.Watch("m")).ok());
  REQUIRE(zk.GetChildren("/m", log.Watch("m-children")).ok());
  REQUIRE(zk.Exists("/m/a", log.Watch("a")).ok());
  const int64_t z0 = zk.LastZxid();
  const Stat root_before = zk.Exists("/")->value();

  struct Case {
    const char* name;
    std::vector<Op> ops;
    bool (*is)(const absl::Status&);
    int failing;
  };
  std::vector<Case> cases;
  cases.push_back({"missing node at the end",
                   {Op::Create("/m/a", "x", CreateMode::kEphemeral), Op::Set("/m", "v1"),
                    Op::Delete("/gone"), Op::Delete("/nonexistent")},
                   IsNoNode, 3});
  cases.push_back({"stale check (controller epoch fencing)",
                   {Op::Create("/m/a", "x", CreateMode::kPersistent), Op::Check("/m", 7)},
                   IsBadVersion, 1});
  cases.push_back({"create then create again",
                   {Op::Create("/m/a", "x", CreateMode::kPersistent),
                    Op::Create("/m/a", "y", CreateMode::kPersistent)},
                   IsNodeExists, 1});
  cases.push_back({"delete a node given children earlier in the multi",
                   {Op::Create("/gone/kid", "", CreateMode::kPersistent), Op::Delete("/gone")},
                   IsNotEmpty, 1});
  cases.push_back({"bad path", {Op::Set("/m", "v2"), Op::Create("bad", "", CreateMode::kPersistent)},
                   IsBadArguments, 1});
  for (Case& c : cases) {
    INFO(c.name);
    auto results = zk.Multi(*session, std::move(c.ops));
    REQUIRE(!results.ok());
    CHECK(c.is(results.status()));
    CHECK(std::string(results.status().message()).find(fmt::format("multi op #{}", c.failing)) !=
          std::string::npos);
    CHECK(zk.LastZxid() == z0);
    auto m = zk.Get("/m");
    CHECK(m->data == "v0");
    CHECK(m->stat.version == 0);
    CHECK(m->stat.cversion == 0);
    CHECK(!zk.Exists("/m/a")->has_value());
    CHECK(zk.Exists("/gone")->has_value());
    CHECK(zk.GetChildren("/gone")->names.empty());
    CHECK(zk.Exists("/")->value() == root_before);
  }
  zk.AwaitEventsDelivered();
  CHECK(log.Take().empty());
  // The session owns no ephemeral from the failed multis: closing it deletes nothing.
  REQUIRE(zk.CloseSession(*session).ok());
  CHECK(zk.LastZxid() == z0);
}

TEST_CASE("injected connection loss fails the next N calls and changes nothing",
          "[coordination][faults]") {
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  zk.InjectConnectionLoss(2);
  auto first = zk.Create(kNoSession, "/a", "", CreateMode::kPersistent);
  CHECK(IsConnectionLoss(first.status()));
  CHECK(first.status().code() == absl::StatusCode::kUnavailable);
  CHECK(IsConnectionLoss(zk.OpenSession(absl::Seconds(1), nullptr).status()));
  auto exists = zk.Exists("/a");
  REQUIRE(exists.ok());
  CHECK(!exists->has_value());
  CHECK(zk.Create(kNoSession, "/a", "", CreateMode::kPersistent).ok());
}

TEST_CASE("a closed coordinator fails every call", "[coordination][faults]") {
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  auto session = zk.OpenSession(absl::Seconds(10), nullptr);
  REQUIRE(session.ok());
  REQUIRE(zk.Create(kNoSession, "/a", "", CreateMode::kPersistent).ok());
  zk.Close();
  CHECK(IsCoordinatorClosed(zk.Get("/a").status()));
  CHECK(IsCoordinatorClosed(zk.Exists("/a").status()));
  CHECK(IsCoordinatorClosed(zk.GetChildren("/").status()));
  CHECK(IsCoordinatorClosed(zk.Set("/a", "").status()));
  CHECK(IsCoordinatorClosed(zk.Delete("/a")));
  CHECK(IsCoordinatorClosed(zk.Create(kNoSession, "/b", "", CreateMode::kPersistent).status()));
  CHECK(IsCoordinatorClosed(zk.Multi(kNoSession, {Op::Check("/a", 0)}).status()));
  CHECK(IsCoordinatorClosed(zk.OpenSession(absl::Seconds(1), nullptr).status()));
  CHECK(IsCoordinatorClosed(zk.Heartbeat(*session)));
  CHECK(IsCoordinatorClosed(zk.CloseSession(*session)));
  CHECK(IsCoordinatorClosed(zk.ExpireSession(*session)));
  CHECK(zk.Get("/a").status().code() == absl::StatusCode::kUnavailable);
  zk.AwaitEventsDelivered();  // returns
  zk.Close();                 // idempotent
}

TEST_CASE("a status from elsewhere carries no coordinator error", "[coordination]") {
  CHECK(CoordinatorErrorOf(absl::OkStatus()) == CoordinatorError::kOk);
  CHECK(CoordinatorErrorOf(absl::NotFoundError("x")) == CoordinatorError::kOther);
  CHECK(!IsNoNode(absl::NotFoundError("no node /x")));
  auto s = CoordinatorStatus(CoordinatorError::kBadVersion, "bad version for /x");
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(IsBadVersion(s));
}

}  // namespace
}  // namespace samsa
