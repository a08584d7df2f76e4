// Watches: which reads set which watch, which changes fire them, once, in
// order, on the event thread without the coordinator's lock.
#include <catch2/catch.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "coordination/coordination_test_util.h"
#include "samsa/coordinator.h"

namespace samsa {
namespace {

using Events = std::vector<std::string>;

TEST_CASE("a data watch from Get fires NodeDataChanged once", "[coordination][watch]") {
  testing::EventLog log;
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  REQUIRE(zk.Create(kNoSession, "/a", "1", CreateMode::kPersistent).ok());
  REQUIRE(zk.Get("/a", log.Watch("get")).ok());
  REQUIRE(zk.Set("/a", "2").ok());
  REQUIRE(zk.Set("/a", "3").ok());  // the watch is spent
  zk.AwaitEventsDelivered();
  CHECK(log.Take() == Events{"get NodeDataChanged /a"});
  // A failed write fires nothing.
  REQUIRE(zk.Get("/a", log.Watch("get2")).ok());
  CHECK(IsBadVersion(zk.Set("/a", "4", 99).status()));
  zk.AwaitEventsDelivered();
  CHECK(log.Take().empty());
  // A read without a watcher leaves the watch in place.
  REQUIRE(zk.Get("/a").ok());
  REQUIRE(zk.Delete("/a").ok());
  zk.AwaitEventsDelivered();
  CHECK(log.Take() == Events{"get2 NodeDeleted /a"});
}

TEST_CASE("an Exists watch on a missing node fires NodeCreated", "[coordination][watch]") {
  testing::EventLog log;
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  auto missing = zk.Exists("/controller", log.Watch("exists"));
  REQUIRE(missing.ok());
  CHECK(!missing->has_value());
  REQUIRE(zk.Create(kNoSession, "/controller", "", CreateMode::kPersistent).ok());
  REQUIRE(zk.Set("/controller", "x").ok());
  zk.AwaitEventsDelivered();
  CHECK(log.Take() == Events{"exists NodeCreated /controller"});

  // On an existing node it is a data watch: changed, then deleted.
  REQUIRE(zk.Exists("/controller", log.Watch("e1")).ok());
  REQUIRE(zk.Set("/controller", "y").ok());
  REQUIRE(zk.Exists("/controller", log.Watch("e2")).ok());
  REQUIRE(zk.Delete("/controller").ok());
  zk.AwaitEventsDelivered();
  CHECK(log.Take() == Events{"e1 NodeDataChanged /controller", "e2 NodeDeleted /controller"});
}

TEST_CASE("a failed Get or GetChildren sets no watch", "[coordination][watch]") {
  testing::EventLog log;
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  CHECK(IsNoNode(zk.Get("/a", log.Watch("get")).status()));
  CHECK(IsNoNode(zk.GetChildren("/a", log.Watch("children")).status()));
  REQUIRE(zk.Create(kNoSession, "/a", "", CreateMode::kPersistent).ok());
  REQUIRE(zk.Create(kNoSession, "/a/b", "", CreateMode::kPersistent).ok());
  zk.AwaitEventsDelivered();
  CHECK(log.Take().empty());
}

TEST_CASE("a child watch fires on child create and delete and on the node's deletion",
          "[coordination][watch]") {
  testing::EventLog log;
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  REQUIRE(zk.Create(kNoSession, "/ids", "", CreateMode::kPersistent).ok());
  REQUIRE(zk.GetChildren("/ids", log.Watch("c1")).ok());
  REQUIRE(zk.Create(kNoSession, "/ids/1", "", CreateMode::kPersistent).ok());
  REQUIRE(zk.Create(kNoSession, "/ids/2", "", CreateMode::kPersistent).ok());
  zk.AwaitEventsDelivered();
  CHECK(log.Take() == Events{"c1 NodeChildrenChanged /ids"});

  REQUIRE(zk.GetChildren("/ids", log.Watch("c2")).ok());
  REQUIRE(zk.Set("/ids", "data").ok());            // not a child change
  REQUIRE(zk.Set("/ids/1", "data").ok());          // nor is a child's data
  REQUIRE(zk.Create(kNoSession, "/ids/1/x", "", CreateMode::kPersistent).ok());  // grandchild
  zk.AwaitEventsDelivered();
  CHECK(log.Take().empty());
  REQUIRE(zk.Delete("/ids/2").ok());
  zk.AwaitEventsDelivered();
  CHECK(log.Take() == Events{"c2 NodeChildrenChanged /ids"});

  // Deleting the watched node: data watch, then child watch (NodeDeleted
  // both), then the parent's child watch, as ZooKeeper's DataTree fires them.
  REQUIRE(zk.Create(kNoSession, "/t", "", CreateMode::kPersistent).ok());
  REQUIRE(zk.GetChildren("/", log.Watch("root")).ok());
  REQUIRE(zk.GetChildren("/t", log.Watch("t-children")).ok());
  REQUIRE(zk.Get("/t", log.Watch("t-data")).ok());
  REQUIRE(zk.Delete("/t").ok());
  zk.AwaitEventsDelivered();
  CHECK(log.Take() == Events{"t-data NodeDeleted /t", "t-children NodeDeleted /t",
                             "root NodeChildrenChanged /"});
}

TEST_CASE("events are delivered in the order the changes happened", "[coordination][watch]") {
  testing::EventLog log;
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  REQUIRE(zk.Create(kNoSession, "/a", "", CreateMode::kPersistent).ok());
  REQUIRE(zk.Get("/a", log.Watch("1")).ok());
  REQUIRE(zk.Exists("/b", log.Watch("2")).ok());
  REQUIRE(zk.GetChildren("/", log.Watch("3")).ok());
  REQUIRE(zk.Exists("/c", log.Watch("4")).ok());
  REQUIRE(zk.Create(kNoSession, "/b", "", CreateMode::kPersistent).ok());
  REQUIRE(zk.Set("/a", "x").ok());
  REQUIRE(zk.Create(kNoSession, "/c", "", CreateMode::kPersistent).ok());
  zk.AwaitEventsDelivered();
  CHECK(log.Take() == Events{"2 NodeCreated /b", "3 NodeChildrenChanged /",
                             "1 NodeDataChanged /a", "4 NodeCreated /c"});

  // A Multi's events come in op order, after it commits.
  REQUIRE(zk.Get("/a", log.Watch("a")).ok());
  REQUIRE(zk.Get("/b", log.Watch("b")).ok());
  REQUIRE(zk.Multi(kNoSession, {Op::Delete("/b"), Op::Set("/a", "y")}).ok());
  zk.AwaitEventsDelivered();
  CHECK(log.Take() == Events{"b NodeDeleted /b", "a NodeDataChanged /a"});
}

TEST_CASE("every registration is its own watch", "[coordination][watch]") {
  testing::EventLog log;
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  REQUIRE(zk.Create(kNoSession, "/a", "", CreateMode::kPersistent).ok());
  Watcher w = log.Watch("w");
  REQUIRE(zk.Get("/a", w).ok());
  REQUIRE(zk.Exists("/a", w).ok());
  REQUIRE(zk.Set("/a", "x").ok());
  zk.AwaitEventsDelivered();
  CHECK(log.Take() == Events{"w NodeDataChanged /a", "w NodeDataChanged /a"});
}

TEST_CASE("a watcher may call back into the coordinator", "[coordination][watch]") {
  testing::EventLog log;
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  REQUIRE(zk.Create(kNoSession, "/a", "0", CreateMode::kPersistent).ok());
  std::atomic<int> changes{0};
  std::atomic<int> failures{0};
  std::vector<std::string> seen;  // written by the event thread only
  // Re-reads and re-watches, as a Kafka controller's handler does, and writes
  // to another node (which fires another watch) from inside the callback.
  // (No Catch2 assertions off the test thread: failures are counted.)
  auto rewatch = std::make_shared<Watcher>();
  std::weak_ptr<Watcher> self = rewatch;
  *rewatch = [&, self](const WatchEvent& e) {
    if (e.type == WatchEventType::kNodeDeleted) return;
    auto watcher = self.lock();
    if (watcher == nullptr) return;
    auto data = zk.Get(e.path, *watcher);
    if (!data.ok()) {
      ++failures;
      return;
    }
    seen.push_back(data->data);
    ++changes;
    if (!zk.Set("/mirror", data->data).ok()) ++failures;
    zk.AwaitEventsDelivered();  // from a callback: returns at once
  };
  REQUIRE(zk.Create(kNoSession, "/mirror", "", CreateMode::kPersistent).ok());
  REQUIRE(zk.Get("/a", *rewatch).ok());
  REQUIRE(zk.Get("/mirror", log.Watch("mirror")).ok());
  for (int i = 1; i <= 3; ++i) {
    REQUIRE(zk.Set("/a", std::to_string(i)).ok());
    zk.AwaitEventsDelivered();
  }
  CHECK(changes == 3);
  CHECK(failures == 0);
  CHECK(seen == std::vector<std::string>{"1", "2", "3"});
  CHECK(zk.Get("/mirror")->data == "3");
  CHECK(log.Take() == Events{"mirror NodeDataChanged /mirror"});
  REQUIRE(zk.Delete("/a").ok());
  zk.AwaitEventsDelivered();
  CHECK(IsNoNode(zk.Get("/a").status()));
}

TEST_CASE("watches fire while other threads write", "[coordination][watch]") {
  ManualClock clock;
  InMemoryCoordinator zk(&clock);
  REQUIRE(zk.Create(kNoSession, "/counter", "0", CreateMode::kPersistent).ok());
  std::atomic<int> fired{0};
  std::atomic<int> failures{0};
  constexpr int kThreads = 4;
  constexpr int kIncrements = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        // Compare-and-set increments: retry on BadVersion.
        while (true) {
          auto cur = zk.Get("/counter", [&fired](const WatchEvent&) { ++fired; });
          if (!cur.ok()) {
            ++failures;
            return;
          }
          auto set = zk.Set("/counter", std::to_string(std::stoi(cur->data) + 1),
                            cur->stat.version);
          if (set.ok()) break;
          if (!IsBadVersion(set.status())) {
            ++failures;
            return;
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  zk.AwaitEventsDelivered();
  CHECK(failures == 0);
  auto final_value = zk.Get("/counter");
  CHECK(final_value->data == std::to_string(kThreads * kIncrements));
  CHECK(final_value->stat.version == kThreads * kIncrements);
  // Watches fired; after "done" spends the rest, none fires twice.
  CHECK(fired > 0);
  REQUIRE(zk.Set("/counter", "done").ok());
  zk.AwaitEventsDelivered();
  const int before = fired;
  REQUIRE(zk.Set("/counter", "again").ok());
  zk.AwaitEventsDelivered();
  CHECK(fired == before);
}

}  // namespace
}  // namespace samsa
