// Consumers in a group: subscription, rebalancing, committed offsets, lag —
// against a broker's group coordinator, driven by a manual clock.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "broker/broker_test_util.h"
#include "broker/group/offsets_records.h"
#include "client/client_test_util.h"
#include "samsa/consumer.h"
#include "samsa/errors.h"
#include "samsa/producer.h"

namespace samsa {
namespace {

using testing::BrokerFixture;

struct GroupFixture : BrokerFixture {
  GroupFixture() {
    config.group_initial_rebalance_delay_ms = 0;
    Open();
  }
  void Topic(const std::string& name, int partitions) {
    REQUIRE(broker->CreateTopic({.name = name, .num_partitions = partitions}).ok());
  }
  ConsumerConfig Config(const std::string& client_id) {
    ConsumerConfig c;
    c.group_id = "g";
    c.client_id = client_id;
    c.auto_offset_reset = OffsetResetStrategy::kEarliest;
    c.enable_auto_commit = false;
    c.session_timeout_ms = 10000;
    c.heartbeat_interval_ms = 1000;
    c.max_poll_interval_ms = 30000;
    return c;
  }
  std::unique_ptr<Consumer> MakeConsumer(const ConsumerConfig& c) {
    auto consumer = Consumer::Create(broker.get(), c);
    REQUIRE(consumer.ok());
    return *std::move(consumer);
  }
  // Polls each consumer (without waiting) and moves the clock by a
  // heartbeat interval until `done` holds.
  template <typename Done>
  bool PumpUntil(const std::vector<Consumer*>& consumers, Done done,
                 std::map<Consumer*, std::vector<ConsumerRecord>>* received = nullptr) {
    for (int round = 0; round < 200; ++round) {
      for (Consumer* c : consumers) {
        auto polled = c->Poll(absl::ZeroDuration());
        REQUIRE(polled.ok());
        if (received != nullptr) {
          auto& r = (*received)[c];
          r.insert(r.end(), polled->begin(), polled->end());
        }
      }
      if (done()) return true;
      clock.Advance(absl::Milliseconds(500));
      // Let the heartbeat threads run what the clock made due (a yield, not
      // a wait for time: the clock is manual).
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return done();
  }
  void ProduceTo(const std::string& topic, int partitions, int per_partition) {
    for (int p = 0; p < partitions; ++p) Produce({topic, p}, per_partition, "r" + std::to_string(p));
  }
};

std::set<TopicPartition> AsSet(const std::vector<TopicPartition>& v) { return {v.begin(), v.end()}; }

// Records what the rebalance listener hears.
struct RecordingListener : ConsumerRebalanceListener {
  std::vector<std::vector<TopicPartition>> revoked, assigned, lost;
  void OnPartitionsRevoked(const std::vector<TopicPartition>& p) override { revoked.push_back(p); }
  void OnPartitionsAssigned(const std::vector<TopicPartition>& p) override { assigned.push_back(p); }
  void OnPartitionsLost(const std::vector<TopicPartition>& p) override { lost.push_back(p); }
};

TEST_CASE("a lone member of a group is assigned every partition at its first poll", "[group]") {
  GroupFixture f;
  f.Topic("orders", 3);
  f.ProduceTo("orders", 3, 4);
  auto c = f.MakeConsumer(f.Config("c1"));
  RecordingListener listener;
  REQUIRE(c->Subscribe({"orders"}, &listener).ok());
  // The join completes on the coordinator's timer thread (the initial
  // rebalance delay is 0 here, Kafka's default is 3 s): polls until then
  // return nothing.
  std::map<Consumer*, std::vector<ConsumerRecord>> got;
  REQUIRE(f.PumpUntil({c.get()}, [&] { return got[c.get()].size() == 12; }, &got));
  CHECK(AsSet(c->Assignment()) == std::set<TopicPartition>{{"orders", 0}, {"orders", 1}, {"orders", 2}});
  REQUIRE(listener.assigned.size() == 1);
  CHECK(listener.assigned[0].size() == 3);
  CHECK(c->Subscription() == std::vector<std::string>{"orders"});
  const ConsumerGroupMetadata md = c->GroupMetadata();
  CHECK(md.generation_id == 1);
  CHECK(md.member_id.rfind("c1-", 0) == 0);
}

TEST_CASE("two members split the partitions and together read every record once", "[group]") {
  GroupFixture f;
  f.Topic("orders", 4);
  f.ProduceTo("orders", 4, 5);
  auto a = f.MakeConsumer(f.Config("a"));
  auto b = f.MakeConsumer(f.Config("b"));
  RecordingListener la, lb;
  REQUIRE(a->Subscribe({"orders"}, &la).ok());
  REQUIRE(f.PumpUntil({a.get()}, [&] { return a->Assignment().size() == 4; }));
  REQUIRE(b->Subscribe({"orders"}, &lb).ok());
  std::map<Consumer*, std::vector<ConsumerRecord>> got;
  REQUIRE(f.PumpUntil(
      {a.get(), b.get()},
      [&] {
        return a->Assignment().size() == 2 && b->Assignment().size() == 2 &&
               got[a.get()].size() + got[b.get()].size() >= 20;
      },
      &got));
  std::set<TopicPartition> both = AsSet(a->Assignment());
  for (const auto& tp : b->Assignment()) CHECK(both.insert(tp).second);  // disjoint
  CHECK(both.size() == 4);
  // Every record once: offsets per partition 0..4, nothing twice.
  std::map<TopicPartition, std::vector<int64_t>> offsets;
  for (auto* c : {a.get(), b.get()}) {
    for (const auto& r : got[c]) offsets[r.topic_partition()].push_back(r.offset);
  }
  for (const auto& [tp, seen] : offsets) CHECK(seen.size() >= 5);
  // The range assignor (the default's first choice) gives "a" (sorted first)
  // partitions 0 and 1.
  CHECK(AsSet(a->Assignment()) == std::set<TopicPartition>{{"orders", 0}, {"orders", 1}});
  // An EAGER rebalance revoked everything "a" owned before reassigning.
  REQUIRE_FALSE(la.revoked.empty());
  CHECK(la.revoked[0].size() == 4);
  CHECK(a->GroupMetadata().generation_id == 2);
}

TEST_CASE("committed offsets survive a broker restart and a new member resumes from them",
          "[group][offsets]") {
  GroupFixture f;
  f.Topic("orders", 1);
  f.Produce({"orders", 0}, 20, "r");
  {
    auto c = f.MakeConsumer(f.Config("c"));
    REQUIRE(c->Subscribe({"orders"}).ok());
    REQUIRE(f.PumpUntil({c.get()}, [&] { return !c->Assignment().empty(); }));
    REQUIRE(c->Seek({"orders", 0}, 0).ok());
    REQUIRE(c->CommitSync({{{"orders", 0}, OffsetAndMetadata{12, "m", std::nullopt}}}).ok());
    auto committed = c->Committed({{"orders", 0}, {"orders", 1}});
    REQUIRE(committed.ok());
    REQUIRE((*committed)[{"orders", 0}].has_value());
    CHECK((*committed)[{"orders", 0}]->offset == 12);
    CHECK((*committed)[{"orders", 0}]->metadata == "m");
    CHECK_FALSE((*committed)[{"orders", 1}].has_value());
    REQUIRE(c->Close().ok());
  }
  f.Reopen();
  auto c = f.MakeConsumer(f.Config("c2"));
  REQUIRE(c->Subscribe({"orders"}).ok());
  std::map<Consumer*, std::vector<ConsumerRecord>> got;
  REQUIRE(f.PumpUntil({c.get()}, [&] { return got[c.get()].size() >= 8; }, &got));
  CHECK(got[c.get()].front().offset == 12);
  auto lag = c->Lag({{"orders", 0}});
  REQUIRE(lag.ok());
  CHECK((*lag)[{"orders", 0}] == 8);  // HW 20 - committed 12
}

TEST_CASE("a member that stops polling past max.poll.interval.ms loses its partitions",
          "[group][rebalance]") {
  GroupFixture f;
  f.Topic("orders", 2);
  ConsumerConfig ca = f.Config("a");
  ca.max_poll_interval_ms = 5000;
  auto a = f.MakeConsumer(ca);
  auto b = f.MakeConsumer(f.Config("b"));
  RecordingListener la;
  REQUIRE(a->Subscribe({"orders"}, &la).ok());
  REQUIRE(b->Subscribe({"orders"}).ok());
  REQUIRE(f.PumpUntil({a.get(), b.get()},
                      [&] { return a->Assignment().size() == 1 && b->Assignment().size() == 1; }));
  // Only b polls now: a's heartbeat thread leaves the group after 5 s.
  REQUIRE(f.PumpUntil({b.get()}, [&] { return b->Assignment().size() == 2; }));
  // a learns at its next poll that its partition was lost (not revoked).
  auto polled = a->Poll(absl::ZeroDuration());
  REQUIRE(polled.ok());
  REQUIRE(la.lost.size() == 1);
  CHECK(la.lost[0].size() == 1);
}

TEST_CASE("a pattern subscription picks up topics as they appear", "[group][rebalance]") {
  GroupFixture f;
  f.Topic("orders-eu", 1);
  f.Topic("payments", 1);
  auto c = f.MakeConsumer(f.Config("c"));
  REQUIRE(c->SubscribePattern("orders-.*").ok());
  REQUIRE(f.PumpUntil({c.get()}, [&] { return c->Assignment().size() == 1; }));
  CHECK(c->Assignment()[0].topic == "orders-eu");
  f.Topic("orders-us", 2);
  REQUIRE(f.PumpUntil({c.get()}, [&] { return c->Assignment().size() == 3; }));
  CHECK(c->Subscription() == std::vector<std::string>{"orders-eu", "orders-us"});
  CHECK(absl::IsInvalidArgument(c->SubscribePattern("orders-(")));
}

TEST_CASE("a subscribed topic gaining partitions triggers a rebalance", "[group][rebalance]") {
  GroupFixture f;
  f.Topic("orders", 1);
  auto c = f.MakeConsumer(f.Config("c"));
  REQUIRE(c->Subscribe({"orders"}).ok());
  REQUIRE(f.PumpUntil({c.get()}, [&] { return c->Assignment().size() == 1; }));
  REQUIRE(f.broker->CreatePartitions("orders", 3).ok());
  REQUIRE(f.PumpUntil({c.get()}, [&] { return c->Assignment().size() == 3; }));
}

TEST_CASE("cooperative-sticky moves only the partitions that change owner", "[group][rebalance]") {
  GroupFixture f;
  f.Topic("orders", 4);
  ConsumerConfig ca = f.Config("a");
  ca.partition_assignment_strategy = {"cooperative-sticky"};
  ConsumerConfig cb = f.Config("b");
  cb.partition_assignment_strategy = {"cooperative-sticky"};
  auto a = f.MakeConsumer(ca);
  RecordingListener la;
  REQUIRE(a->Subscribe({"orders"}, &la).ok());
  REQUIRE(f.PumpUntil({a.get()}, [&] { return a->Assignment().size() == 4; }));
  const std::set<TopicPartition> before = AsSet(a->Assignment());
  auto b = f.MakeConsumer(cb);
  REQUIRE(b->Subscribe({"orders"}).ok());
  REQUIRE(f.PumpUntil({a.get(), b.get()},
                      [&] { return a->Assignment().size() == 2 && b->Assignment().size() == 2; }));
  // a kept two of its partitions throughout: only the two that moved were
  // revoked, and nothing was ever owned by both.
  std::vector<TopicPartition> revoked;
  for (const auto& r : la.revoked) revoked.insert(revoked.end(), r.begin(), r.end());
  CHECK(revoked.size() == 2);
  for (const auto& tp : b->Assignment()) CHECK(before.contains(tp));
  for (const auto& tp : a->Assignment()) CHECK(before.contains(tp));
}

TEST_CASE("the broker describes a group's members, committed offsets and lag", "[group][lag]") {
  GroupFixture f;
  f.Topic("orders", 2);
  f.Produce({"orders", 0}, 10, "r");
  f.Produce({"orders", 1}, 4, "r");
  auto c = f.MakeConsumer(f.Config("reporter"));
  REQUIRE(c->Subscribe({"orders"}).ok());
  REQUIRE(f.PumpUntil({c.get()}, [&] { return c->Assignment().size() == 2; }));
  REQUIRE(c->CommitSync({{{"orders", 0}, OffsetAndMetadata{3, "", std::nullopt}}}).ok());
  auto d = f.broker->DescribeGroup("g");
  REQUIRE(d.ok());
  CHECK(d->state == "Stable");
  CHECK(d->protocol_type == "consumer");
  CHECK(d->assignor == "range");
  REQUIRE(d->members.size() == 1);
  CHECK(d->members[0].client_id == "reporter");
  CHECK(d->members[0].assignment.size() == 2);
  REQUIRE(d->partitions.size() == 2);
  CHECK(d->partitions[0].tp == TopicPartition{"orders", 0});
  CHECK(d->partitions[0].committed_offset == 3);
  CHECK(d->partitions[0].high_watermark == 10);
  CHECK(d->partitions[0].lag == 7);
  CHECK(d->partitions[0].client_id == "reporter");
  CHECK_FALSE(d->partitions[1].committed_offset.has_value());
  CHECK_FALSE(d->partitions[1].lag.has_value());
  auto groups = f.broker->ListGroups();
  REQUIRE(groups.ok());
  REQUIRE(groups->size() == 1);
  CHECK((*groups)[0].group_id == "g");
  CHECK(ErrorCodeOf(f.broker->DeleteGroup("g")) == ErrorCode::kNonEmptyGroup);
  REQUIRE(c->Close().ok());
  CHECK(f.broker->DeleteGroup("g").ok());
  CHECK(ErrorCodeOf(f.broker->DescribeGroup("g").status()) == ErrorCode::kGroupIdNotFound);
}

TEST_CASE("auto-commit commits positions every interval and on close", "[group][offsets]") {
  GroupFixture f;
  f.Topic("orders", 1);
  f.Produce({"orders", 0}, 6, "r");
  ConsumerConfig config = f.Config("c");
  config.enable_auto_commit = true;
  config.auto_commit_interval_ms = 5000;
  auto c = f.MakeConsumer(config);
  REQUIRE(c->Subscribe({"orders"}).ok());
  std::map<Consumer*, std::vector<ConsumerRecord>> got;
  REQUIRE(f.PumpUntil({c.get()}, [&] { return got[c.get()].size() == 6; }, &got));
  REQUIRE(f.PumpUntil({c.get()}, [&] {
    auto committed = c->Committed({{"orders", 0}});
    return committed.ok() && (*committed)[{"orders", 0}] &&
           (*committed)[{"orders", 0}]->offset == 6;
  }));
  f.Produce({"orders", 0}, 2, "s");
  REQUIRE(testing::PollAll(*c).size() == 2);
  REQUIRE(c->Close().ok());
  auto d = f.broker->DescribeGroup("g");
  REQUIRE(d.ok());
  CHECK(d->state == "Empty");
  REQUIRE(d->partitions.size() == 1);
  CHECK(d->partitions[0].committed_offset == 8);
}

TEST_CASE("group calls refuse bad use with clear errors", "[group][errors]") {
  GroupFixture f;
  f.Topic("orders", 1);
  ConsumerConfig no_group;
  auto plain = f.MakeConsumer(no_group);
  CHECK(ErrorCodeOf(plain->Subscribe({"orders"})) == ErrorCode::kInvalidGroupId);
  CHECK(ErrorCodeOf(plain->CommitSync()) == ErrorCode::kInvalidGroupId);

  auto c = f.MakeConsumer(f.Config("c"));
  REQUIRE(c->Subscribe({"orders"}).ok());
  CHECK(absl::IsFailedPrecondition(c->Assign({{"orders", 0}})));
  CHECK(ErrorCodeOf(c->Subscribe({""})) == ErrorCode::kInvalidTopicException);
  REQUIRE(c->Unsubscribe().ok());
  CHECK(c->Assignment().empty());
  REQUIRE(c->Assign({{"orders", 0}}).ok());
  CHECK(absl::IsFailedPrecondition(c->Subscribe({"orders"})));

  ConsumerConfig bad = f.Config("x");
  bad.partition_assignment_strategy = {"fastest"};
  CHECK(ErrorCodeOf(Consumer::Create(f.broker.get(), bad).status()) == ErrorCode::kInvalidConfig);
  bad = f.Config("x");
  bad.heartbeat_interval_ms = bad.session_timeout_ms;
  CHECK(ErrorCodeOf(Consumer::Create(f.broker.get(), bad).status()) == ErrorCode::kInvalidConfig);
  CHECK(ErrorCodeOf(f.broker->DeleteTopic("__consumer_offsets")) ==
        ErrorCode::kInvalidTopicException);
}

// Commits a consumer's positions whenever partitions are taken from it.
struct CommitOnRevoke : ConsumerRebalanceListener {
  Consumer* consumer = nullptr;
  int commits = 0;
  void OnPartitionsRevoked(const std::vector<TopicPartition>& partitions) override {
    REQUIRE(consumer->CommitSync().ok());
    ++commits;
  }
};

TEST_CASE("a group committing on revocation loses and repeats nothing while members come and go",
          "[group][rebalance]") {
  GroupFixture f;
  constexpr int kPartitions = 4;
  f.Topic("orders", kPartitions);
  struct Member {
    std::unique_ptr<Consumer> consumer;
    CommitOnRevoke listener;
  };
  std::vector<std::unique_ptr<Member>> members;
  std::vector<Consumer*> active;
  auto join = [&](const std::string& name) {
    auto m = std::make_unique<Member>();
    m->consumer = f.MakeConsumer(f.Config(name));
    m->listener.consumer = m->consumer.get();
    REQUIRE(m->consumer->Subscribe({"orders"}, &m->listener).ok());
    active.push_back(m->consumer.get());
    members.push_back(std::move(m));
  };
  std::map<TopicPartition, std::vector<int64_t>> seen;
  auto poll_all = [&] {
    for (Consumer* c : active) {
      auto polled = c->Poll(absl::ZeroDuration());
      REQUIRE(polled.ok());
      for (const auto& r : *polled) seen[r.topic_partition()].push_back(r.offset);
    }
    f.clock.Advance(absl::Milliseconds(500));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  };
  join("a");
  int produced = 0;
  for (int round = 0; round < 60; ++round) {
    for (int p = 0; p < kPartitions; ++p) f.Produce({"orders", p}, 3, "r");
    produced += 3 * kPartitions;
    if (round == 5) join("b");
    if (round == 15) join("c");
    if (round == 25) {
      // a leaves: its listener commits what it read before the others take over.
      REQUIRE(active.front()->Close().ok());
      active.erase(active.begin());
    }
    if (round == 35) join("d");
    poll_all();
  }
  for (int i = 0; i < 200; ++i) {
    size_t total = 0;
    for (const auto& [tp, offsets] : seen) total += offsets.size();
    if (total >= static_cast<size_t>(produced)) break;
    poll_all();
  }
  // Every record exactly once, in order per partition.
  for (int p = 0; p < kPartitions; ++p) {
    const std::vector<int64_t>& offsets = seen[{"orders", p}];
    INFO("partition " << p);
    REQUIRE(offsets.size() == static_cast<size_t>(produced / kPartitions));
    for (size_t i = 0; i < offsets.size(); ++i) REQUIRE(offsets[i] == static_cast<int64_t>(i));
  }
  int revocations = 0;
  for (const auto& m : members) revocations += m->listener.commits;
  CHECK(revocations >= 4);  // every join and the leave revoked (EAGER)
  size_t owned = 0;
  for (Consumer* c : active) owned += c->Assignment().size();
  CHECK(owned == kPartitions);
}

TEST_CASE("__consumer_offsets is compacted and the latest commit survives it and a restart",
          "[group][offsets][compaction]") {
  GroupFixture f;
  f.config.offsets_topic_segment_bytes = 2048;  // roll often: only closed segments are cleaned
  f.Reopen();
  f.Topic("orders", 1);
  f.Produce({"orders", 0}, 500, "r");
  auto c = f.MakeConsumer(f.Config("c"));
  REQUIRE(c->Assign({{"orders", 0}}).ok());
  for (int64_t offset = 1; offset <= 400; ++offset) {
    REQUIRE(c->CommitSync({{{"orders", 0}, OffsetAndMetadata{offset, "", std::nullopt}}}).ok());
  }
  const int32_t p = group::PartitionForGroup("g", f.config.offsets_topic_num_partitions);
  Log* log = f.impl().GetPartition({"__consumer_offsets", p})->log();
  const int64_t before = log->size_in_bytes();
  auto removed = f.impl().RunCleaner();
  REQUIRE(removed.ok());
  CHECK(*removed > 300);  // commits superseded by later ones
  CHECK(log->size_in_bytes() < before / 2);
  REQUIRE(c->Close().ok());
  f.Reopen();
  auto again = f.MakeConsumer(f.Config("c2"));
  auto committed = again->Committed({{"orders", 0}});
  REQUIRE(committed.ok());
  REQUIRE((*committed)[{"orders", 0}].has_value());
  CHECK((*committed)[{"orders", 0}]->offset == 400);
}

}  // namespace
}  // namespace samsa
