// Partition assignors: the scenarios of Kafka's own RangeAssignorTest,
// RoundRobinAssignorTest, AbstractStickyAssignorTest, StickyAssignorTest and
// CooperativeStickyAssignorTest (expected assignments as Kafka's tests and
// javadoc state them), plus seeded random rebalances checked for validity,
// balance, stickiness and, for cooperative-sticky, that no partition ever
// moves straight from one owner to another.
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "fuzz_mutate.h"

#include "client/assignor_test_util.h"
#include "client/group/partition_assignor.h"
#include "client/group/range_assignor.h"
#include "client/group/round_robin_assignor.h"
#include "client/group/sticky_assignor.h"

namespace samsa::client {
namespace {

using namespace samsa::client::testing;  // NOLINT

Flat Run(const PartitionAssignor& assignor, const PartitionsPerTopic& ppt,
         const GroupSubscription& subscriptions) {
  auto result = assignor.Assign(ppt, subscriptions);
  REQUIRE(result.ok());
  return Flatten(*result);
}

std::string Name(const char* prefix, int i) { return fmt::format("{}{:02d}", prefix, i); }

uint64_t Seed() { return samsa::testing::FuzzSeed(20261125); }

// --- scenarios every assignor shares ----------------------------------------------

TEST_CASE("every assignor: one consumer with no topic gets nothing", "[assignor]") {
  for (const char* name : {"range", "roundrobin", "sticky", "cooperative-sticky"}) {
    INFO(name);
    auto assignor = *MakePartitionAssignor(name);
    CHECK(Run(*assignor, {}, {{"consumer", Sub({})}}) == Flat{{"consumer", {}}});
    // A subscribed topic without metadata (Kafka's testOneConsumerNonexistentTopic).
    CHECK(Run(*assignor, {}, {{"consumer", Sub({"topic"})}}) == Flat{{"consumer", {}}});
    CHECK(Run(*assignor, {{"topic", 0}}, {{"consumer", Sub({"topic"})}}) == Flat{{"consumer", {}}});
  }
}

TEST_CASE("every assignor: one consumer gets all of its one topic", "[assignor]") {
  for (const char* name : {"range", "roundrobin", "sticky", "cooperative-sticky"}) {
    INFO(name);
    auto assignor = *MakePartitionAssignor(name);
    CHECK(Run(*assignor, {{"topic", 3}}, {{"consumer", Sub({"topic"})}}) ==
          Flat{{"consumer", {Tp("topic", 0), Tp("topic", 1), Tp("topic", 2)}}});
  }
}

TEST_CASE("every assignor: only partitions of subscribed topics are assigned", "[assignor]") {
  for (const char* name : {"range", "roundrobin", "sticky", "cooperative-sticky"}) {
    INFO(name);
    auto assignor = *MakePartitionAssignor(name);
    CHECK(Run(*assignor, {{"topic", 3}, {"other", 3}}, {{"consumer", Sub({"topic"})}}) ==
          Flat{{"consumer", {Tp("topic", 0), Tp("topic", 1), Tp("topic", 2)}}});
  }
}

TEST_CASE("every assignor: one consumer gets all of several topics", "[assignor]") {
  for (const char* name : {"range", "roundrobin", "sticky", "cooperative-sticky"}) {
    INFO(name);
    auto assignor = *MakePartitionAssignor(name);
    CHECK(
        Run(*assignor, {{"topic1", 1}, {"topic2", 2}}, {{"consumer", Sub({"topic1", "topic2"})}}) ==
        Flat{{"consumer", {Tp("topic1", 0), Tp("topic2", 0), Tp("topic2", 1)}}});
  }
}

TEST_CASE("every assignor: two consumers share one partition, one gets nothing", "[assignor]") {
  for (const char* name : {"range", "roundrobin", "sticky", "cooperative-sticky"}) {
    INFO(name);
    auto assignor = *MakePartitionAssignor(name);
    const Flat a = Run(*assignor, {{"topic", 1}},
                       {{"consumer1", Sub({"topic"})}, {"consumer2", Sub({"topic"})}});
    CHECK(a == Flat{{"consumer1", {Tp("topic", 0)}}, {"consumer2", {}}});
  }
}

TEST_CASE("every assignor: two consumers split two partitions", "[assignor]") {
  for (const char* name : {"range", "roundrobin", "sticky", "cooperative-sticky"}) {
    INFO(name);
    auto assignor = *MakePartitionAssignor(name);
    const Flat a = Run(*assignor, {{"topic", 2}},
                       {{"consumer1", Sub({"topic"})}, {"consumer2", Sub({"topic"})}});
    CHECK(a == Flat{{"consumer1", {Tp("topic", 0)}}, {"consumer2", {Tp("topic", 1)}}});
  }
}

TEST_CASE("assignors are named as Kafka names them, with Kafka's protocols", "[assignor]") {
  CHECK((*MakePartitionAssignor("range"))->name() == "range");
  CHECK((*MakePartitionAssignor("roundrobin"))->name() == "roundrobin");
  CHECK((*MakePartitionAssignor("sticky"))->name() == "sticky");
  auto coop = *MakePartitionAssignor("cooperative-sticky");
  CHECK(coop->name() == "cooperative-sticky");
  CHECK(coop->supported_protocols() ==
        std::vector<RebalanceProtocol>{RebalanceProtocol::kCooperative, RebalanceProtocol::kEager});
  CHECK((*MakePartitionAssignor("sticky"))->supported_protocols() ==
        std::vector<RebalanceProtocol>{RebalanceProtocol::kEager});
  CHECK((*MakePartitionAssignor("range"))->supported_protocols() ==
        std::vector<RebalanceProtocol>{RebalanceProtocol::kEager});
  CHECK(MakePartitionAssignor("uniform").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(RangeAssignor().Assign({{"t", -1}}, {{"c", Sub({"t"})}}).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

// --- RangeAssignorTest ------------------------------------------------------------

TEST_CASE("range: mixed subscriptions are ranged topic by topic", "[assignor][range]") {
  const Flat a = Run(RangeAssignor(), {{"topic1", 3}, {"topic2", 2}},
                     {{"consumer1", Sub({"topic1"})},
                      {"consumer2", Sub({"topic1", "topic2"})},
                      {"consumer3", Sub({"topic1"})}});
  CHECK(a == Flat{{"consumer1", {Tp("topic1", 0)}},
                  {"consumer2", {Tp("topic1", 1), Tp("topic2", 0), Tp("topic2", 1)}},
                  {"consumer3", {Tp("topic1", 2)}}});
}

TEST_CASE("range: two consumers, two topics of three partitions", "[assignor][range]") {
  const Flat a =
      Run(RangeAssignor(), {{"topic1", 3}, {"topic2", 3}},
          {{"consumer1", Sub({"topic1", "topic2"})}, {"consumer2", Sub({"topic1", "topic2"})}});
  CHECK(a ==
        Flat{{"consumer1", {Tp("topic1", 0), Tp("topic1", 1), Tp("topic2", 0), Tp("topic2", 1)}},
             {"consumer2", {Tp("topic1", 2), Tp("topic2", 2)}}});
}

TEST_CASE("range: static members are ordered by group.instance.id, before dynamic ones",
          "[assignor][range]") {
  // consumer-b sorts after consumer-a by member id, but its instance id sorts first.
  Subscription low = Sub({"topic1", "topic2"});
  low.group_instance_id = "instance1";
  Subscription high = Sub({"topic1", "topic2"});
  high.group_instance_id = "instance2";
  const Flat a = Run(RangeAssignor(), {{"topic1", 3}, {"topic2", 3}},
                     {{"consumer-b", low}, {"consumer-a", high}});
  CHECK(a.at("consumer-b") ==
        Tps{Tp("topic1", 0), Tp("topic1", 1), Tp("topic2", 0), Tp("topic2", 1)});
  CHECK(a.at("consumer-a") == Tps{Tp("topic1", 2), Tp("topic2", 2)});

  // A static member comes before a dynamic one whatever their member ids.
  Subscription stat = Sub({"t"});
  stat.group_instance_id = "zzz";
  const Flat b = Run(RangeAssignor(), {{"t", 3}}, {{"a-dynamic", Sub({"t"})}, {"z-static", stat}});
  CHECK(b.at("z-static") == Tps{Tp("t", 0), Tp("t", 1)});
  CHECK(b.at("a-dynamic") == Tps{Tp("t", 2)});
}

TEST_CASE("range: the first (partitions % consumers) members get one extra", "[assignor][range]") {
  GroupSubscription subs;
  for (int i = 0; i < 3; ++i) subs["c" + std::to_string(i)] = Sub({"t"});
  const Flat a = Run(RangeAssignor(), {{"t", 8}}, subs);
  CHECK(a.at("c0") == Tps{Tp("t", 0), Tp("t", 1), Tp("t", 2)});
  CHECK(a.at("c1") == Tps{Tp("t", 3), Tp("t", 4), Tp("t", 5)});
  CHECK(a.at("c2") == Tps{Tp("t", 6), Tp("t", 7)});
  // More consumers than partitions: the last ones get nothing.
  const Flat b = Run(RangeAssignor(), {{"t", 2}}, subs);
  CHECK(b == Flat{{"c0", {Tp("t", 0)}}, {"c1", {Tp("t", 1)}}, {"c2", {}}});
}

// --- RoundRobinAssignorTest ---------------------------------------------------------

TEST_CASE("roundrobin: mixed subscriptions skip members not subscribed", "[assignor][roundrobin]") {
  const Flat a = Run(RoundRobinAssignor(), {{"topic1", 3}, {"topic2", 2}},
                     {{"consumer1", Sub({"topic1"})},
                      {"consumer2", Sub({"topic1", "topic2"})},
                      {"consumer3", Sub({"topic1"})}});
  CHECK(a == Flat{{"consumer1", {Tp("topic1", 0)}},
                  {"consumer2", {Tp("topic1", 1), Tp("topic2", 0), Tp("topic2", 1)}},
                  {"consumer3", {Tp("topic1", 2)}}});
}

TEST_CASE("roundrobin: two consumers, two topics of three partitions", "[assignor][roundrobin]") {
  const Flat a =
      Run(RoundRobinAssignor(), {{"topic1", 3}, {"topic2", 3}},
          {{"consumer1", Sub({"topic1", "topic2"})}, {"consumer2", Sub({"topic1", "topic2"})}});
  CHECK(a == Flat{{"consumer1", {Tp("topic1", 0), Tp("topic1", 2), Tp("topic2", 1)}},
                  {"consumer2", {Tp("topic1", 1), Tp("topic2", 0), Tp("topic2", 2)}}});
}

TEST_CASE("roundrobin: the javadoc's unbalanced example", "[assignor][roundrobin]") {
  const Flat a =
      Run(RoundRobinAssignor(), {{"t0", 1}, {"t1", 2}, {"t2", 3}},
          {{"C0", Sub({"t0"})}, {"C1", Sub({"t0", "t1"})}, {"C2", Sub({"t0", "t1", "t2"})}});
  CHECK(a == Flat{{"C0", {Tp("t0", 0)}},
                  {"C1", {Tp("t1", 0)}},
                  {"C2", {Tp("t1", 1), Tp("t2", 0), Tp("t2", 1), Tp("t2", 2)}}});
}

TEST_CASE("roundrobin: static members are dealt in group.instance.id order",
          "[assignor][roundrobin]") {
  Subscription s1 = Sub({"t"});
  s1.group_instance_id = "instance-2";
  Subscription s2 = Sub({"t"});
  s2.group_instance_id = "instance-1";
  const Flat a = Run(RoundRobinAssignor(), {{"t", 3}}, {{"m1", s1}, {"m2", s2}});
  CHECK(a.at("m2") == Tps{Tp("t", 0), Tp("t", 2)});
  CHECK(a.at("m1") == Tps{Tp("t", 1)});
}

// --- sticky scenarios (AbstractStickyAssignorTest) -------------------------------------

// Builds the subscription a member of `name` would send, owning `owned`.
Subscription MemberSub(std::string_view name, std::vector<std::string> topics, const Tps& owned,
                       int32_t generation) {
  return name == "sticky" ? StickySub(std::move(topics), owned, generation)
                          : CoopSub(std::move(topics), owned, generation);
}

TEST_CASE("sticky: two consumers, two topics of three partitions", "[assignor][sticky]") {
  for (const char* name : {"sticky", "cooperative-sticky"}) {
    INFO(name);
    const Flat a =
        Run(**MakePartitionAssignor(name), {{"topic1", 3}, {"topic2", 3}},
            {{"consumer1", Sub({"topic1", "topic2"})}, {"consumer2", Sub({"topic1", "topic2"})}});
    CHECK(a == Flat{{"consumer1", {Tp("topic1", 0), Tp("topic1", 2), Tp("topic2", 1)}},
                    {"consumer2", {Tp("topic1", 1), Tp("topic2", 0), Tp("topic2", 2)}}});
  }
}

TEST_CASE("sticky: mixed subscriptions are balanced by the general path", "[assignor][sticky]") {
  for (const char* name : {"sticky", "cooperative-sticky"}) {
    INFO(name);
    const Flat a = Run(**MakePartitionAssignor(name), {{"topic1", 3}, {"topic2", 2}},
                       {{"consumer1", Sub({"topic1"})},
                        {"consumer2", Sub({"topic1", "topic2"})},
                        {"consumer3", Sub({"topic1"})}});
    CHECK(a == Flat{{"consumer1", {Tp("topic1", 0), Tp("topic1", 2)}},
                    {"consumer2", {Tp("topic2", 0), Tp("topic2", 1)}},
                    {"consumer3", {Tp("topic1", 1)}}});
  }
}

TEST_CASE("sticky: the javadoc's first example keeps every assignment when C1 leaves",
          "[assignor][sticky]") {
  const std::vector<std::string> topics = {"t0", "t1", "t2", "t3"};
  const PartitionsPerTopic ppt = {{"t0", 2}, {"t1", 2}, {"t2", 2}, {"t3", 2}};
  for (const char* name : {"sticky", "cooperative-sticky"}) {
    INFO(name);
    auto assignor = *MakePartitionAssignor(name);
    const Flat first =
        Run(*assignor, ppt, {{"C0", Sub(topics)}, {"C1", Sub(topics)}, {"C2", Sub(topics)}});
    // As the StickyAssignor javadoc draws it.
    CHECK(first == Flat{{"C0", {Tp("t0", 0), Tp("t1", 1), Tp("t3", 0)}},
                        {"C1", {Tp("t0", 1), Tp("t2", 0), Tp("t3", 1)}},
                        {"C2", {Tp("t1", 0), Tp("t2", 1)}}});
    const Flat second = Run(*assignor, ppt,
                            {{"C0", MemberSub(name, topics, first.at("C0"), 1)},
                             {"C2", MemberSub(name, topics, first.at("C2"), 1)}});
    CHECK(ValidityAndBalanceProblems({{"C0", Sub(topics)}, {"C2", Sub(topics)}}, second, ppt) ==
          "");
    CHECK(second.at("C0").size() == 4);
    CHECK(second.at("C2").size() == 4);
    for (const char* member : {"C0", "C2"}) {
      for (const TopicPartition& tp : first.at(member)) {
        CHECK(std::count(second.at(member).begin(), second.at(member).end(), tp) == 1);
      }
    }
  }
}

TEST_CASE("sticky: the javadoc's second example, and C0 leaving it", "[assignor][sticky]") {
  const PartitionsPerTopic ppt = {{"t0", 1}, {"t1", 2}, {"t2", 3}};
  for (const char* name : {"sticky", "cooperative-sticky"}) {
    INFO(name);
    auto assignor = *MakePartitionAssignor(name);
    const Flat first =
        Run(*assignor, ppt,
            {{"C0", Sub({"t0"})}, {"C1", Sub({"t0", "t1"})}, {"C2", Sub({"t0", "t1", "t2"})}});
    CHECK(first == Flat{{"C0", {Tp("t0", 0)}},
                        {"C1", {Tp("t1", 0), Tp("t1", 1)}},
                        {"C2", {Tp("t2", 0), Tp("t2", 1), Tp("t2", 2)}}});
    const Flat second = Run(*assignor, ppt,
                            {{"C1", MemberSub(name, {"t0", "t1"}, first.at("C1"), 1)},
                             {"C2", MemberSub(name, {"t0", "t1", "t2"}, first.at("C2"), 1)}});
    CHECK(second == Flat{{"C1", {Tp("t0", 0), Tp("t1", 0), Tp("t1", 1)}},
                         {"C2", {Tp("t2", 0), Tp("t2", 1), Tp("t2", 2)}}});
  }
}

TEST_CASE("sticky: adding then removing a consumer of one topic", "[assignor][sticky]") {
  const PartitionsPerTopic ppt = {{"topic", 3}};
  // Eager sticky: the new member gets the partition the old one gives up.
  StickyAssignor sticky;
  Flat a = Run(sticky, ppt, {{"consumer1", Sub({"topic"})}});
  CHECK(a.at("consumer1") == Tps{Tp("topic", 0), Tp("topic", 1), Tp("topic", 2)});
  a = Run(
      sticky, ppt,
      {{"consumer1", StickySub({"topic"}, a.at("consumer1"), 1)}, {"consumer2", Sub({"topic"})}});
  CHECK(a ==
        Flat{{"consumer1", {Tp("topic", 0), Tp("topic", 1)}}, {"consumer2", {Tp("topic", 2)}}});
  a = Run(sticky, ppt, {{"consumer2", StickySub({"topic"}, a.at("consumer2"), 2)}});
  CHECK(a.at("consumer2") == Tps{Tp("topic", 0), Tp("topic", 1), Tp("topic", 2)});

  // Cooperative: topic-2 is first revoked from consumer1, then assigned.
  CooperativeStickyAssignor coop;
  a = Run(coop, ppt, {{"consumer1", CoopSub({"topic"}, {}, -1)}});
  const Tps all = a.at("consumer1");
  a = Run(coop, ppt,
          {{"consumer1", CoopSub({"topic"}, all, 1)}, {"consumer2", CoopSub({"topic"}, {}, -1)}});
  CHECK(a == Flat{{"consumer1", {Tp("topic", 0), Tp("topic", 1)}}, {"consumer2", {}}});
  a = Run(coop, ppt,
          {{"consumer1", CoopSub({"topic"}, a.at("consumer1"), 2)},
           {"consumer2", CoopSub({"topic"}, {}, 2)}});
  CHECK(a ==
        Flat{{"consumer1", {Tp("topic", 0), Tp("topic", 1)}}, {"consumer2", {Tp("topic", 2)}}});
}

TEST_CASE("sticky: partitions claimed twice in one generation are taken from both",
          "[assignor][sticky]") {
  const PartitionsPerTopic ppt = {{"topic", 2}};
  const Tps both = {Tp("topic", 0), Tp("topic", 1)};
  // Eager: both are simply reassigned.
  const Flat eager = Run(
      StickyAssignor(), ppt,
      {{"consumer1", StickySub({"topic"}, both, 1)}, {"consumer2", StickySub({"topic"}, both, 1)}});
  CHECK(eager == Flat{{"consumer1", {Tp("topic", 0)}}, {"consumer2", {Tp("topic", 1)}}});
  // Cooperative: they must be revoked first, so nobody gets them this round.
  const Flat coop =
      Run(CooperativeStickyAssignor(), ppt,
          {{"consumer1", CoopSub({"topic"}, both, 1)}, {"consumer2", CoopSub({"topic"}, both, 1)}});
  CHECK(coop == Flat{{"consumer1", {}}, {"consumer2", {}}});
}

TEST_CASE("sticky: a claim from an older generation loses to a newer one", "[assignor][sticky]") {
  // Kafka's testOwnedPartitionsAreInvalidatedForConsumerWithStaleGeneration.
  const PartitionsPerTopic ppt = {{"topic", 3}, {"topic2", 3}};
  const Tps owned = {Tp("topic", 0), Tp("topic", 2), Tp("topic2", 1)};
  for (const char* name : {"sticky", "cooperative-sticky"}) {
    INFO(name);
    const Flat a = Run(**MakePartitionAssignor(name), ppt,
                       {{"consumer1", MemberSub(name, {"topic", "topic2"}, owned, 10)},
                        {"consumer2", MemberSub(name, {"topic", "topic2"}, owned, 9)}});
    CHECK(a == Flat{{"consumer1", owned},
                    {"consumer2", {Tp("topic", 1), Tp("topic2", 0), Tp("topic2", 2)}}});
  }
}

TEST_CASE("sticky: a new member takes only unowned partitions from a balanced group",
          "[assignor][sticky]") {
  // Kafka's testNoReassignmentOnCurrentMembers.
  const std::vector<std::string> topics = {"topic", "topic1", "topic2", "topic3"};
  const PartitionsPerTopic ppt = {{"topic", 3}, {"topic1", 3}, {"topic2", 3}, {"topic3", 3}};
  for (const char* name : {"sticky", "cooperative-sticky"}) {
    INFO(name);
    const GroupSubscription subs = {
        {"consumer1", MemberSub(name, topics, {}, -1)},
        {"consumer2",
         MemberSub(name, topics, {Tp("topic", 0), Tp("topic2", 0), Tp("topic1", 0)}, 9)},
        {"consumer3",
         MemberSub(name, topics, {Tp("topic3", 2), Tp("topic2", 2), Tp("topic1", 1)}, 8)},
        {"consumer4",
         MemberSub(name, topics, {Tp("topic3", 1), Tp("topic", 1), Tp("topic", 2)}, 7)}};
    const Flat a = Run(**MakePartitionAssignor(name), ppt, subs);
    CHECK(a.at("consumer1") == Tps{Tp("topic1", 2), Tp("topic2", 1), Tp("topic3", 0)});
    CHECK(a.at("consumer2") == Tps{Tp("topic", 0), Tp("topic1", 0), Tp("topic2", 0)});
    CHECK(ValidityAndBalanceProblems(subs, a, ppt) == "");
  }
}

TEST_CASE("sticky: partitions of a deleted topic are dropped", "[assignor][sticky]") {
  for (const char* name : {"sticky", "cooperative-sticky"}) {
    INFO(name);
    const Flat a =
        Run(**MakePartitionAssignor(name), {{"topic", 2}},
            {{"consumer", MemberSub(name, {"topic", "gone"}, {Tp("gone", 0), Tp("topic", 0)}, 1)}});
    CHECK(a == Flat{{"consumer", {Tp("topic", 0), Tp("topic", 1)}}});
  }
}

TEST_CASE("sticky: an unsubscribed topic's partitions move to its subscribers",
          "[assignor][sticky]") {
  const PartitionsPerTopic ppt = {{"a", 2}, {"b", 2}};
  const Flat a = Run(StickyAssignor(), ppt,
                     {{"c1", StickySub({"b"}, {Tp("a", 0), Tp("a", 1), Tp("b", 0)}, 3)},
                      {"c2", StickySub({"a", "b"}, {Tp("b", 1)}, 3)}});
  const GroupSubscription subs = {{"c1", Sub({"b"})}, {"c2", Sub({"a", "b"})}};
  CHECK(ValidityAndBalanceProblems(subs, a, ppt) == "");
  // c1 keeps b-0; c2 takes a (only it subscribes) and, for balance, hands b-1
  // to c1.
  CHECK(a == Flat{{"c1", {Tp("b", 0), Tp("b", 1)}}, {"c2", {Tp("a", 0), Tp("a", 1)}}});
}

TEST_CASE("sticky: a partition claimed by two members of one generation, with a third member",
          "[assignor][sticky]") {
  // Kafka's testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersIn
  // SameGenerationWithEqualPartitionsPerConsumer.
  const PartitionsPerTopic ppt = {{"topic", 3}};
  for (const char* name : {"sticky", "cooperative-sticky"}) {
    INFO(name);
    const Flat a =
        Run(**MakePartitionAssignor(name), ppt,
            {{"consumer1", MemberSub(name, {"topic"}, {Tp("topic", 0), Tp("topic", 1)}, 5)},
             {"consumer2", MemberSub(name, {"topic"}, {Tp("topic", 0), Tp("topic", 2)}, 5)},
             {"consumer3", MemberSub(name, {"topic"}, {}, 5)}});
    const bool cooperative = std::string_view(name) == "cooperative-sticky";
    CHECK(a == Flat{{"consumer1", {Tp("topic", 1)}},
                    {"consumer2", {Tp("topic", 2)}},
                    {"consumer3", cooperative ? Tps{} : Tps{Tp("topic", 0)}}});
  }
}

TEST_CASE("sticky: a topic added to and removed from two consumers' subscriptions",
          "[assignor][sticky]") {
  // Kafka's testAddRemoveTopicTwoConsumers.
  StickyAssignor assignor;
  PartitionsPerTopic ppt = {{"topic", 3}};
  Flat a = Run(assignor, ppt, {{"consumer1", Sub({"topic"})}, {"consumer2", Sub({"topic"})}});
  CHECK(a ==
        Flat{{"consumer1", {Tp("topic", 0), Tp("topic", 2)}}, {"consumer2", {Tp("topic", 1)}}});

  ppt["topic2"] = 3;
  GroupSubscription subs = {{"consumer1", StickySub({"topic", "topic2"}, a.at("consumer1"), 1)},
                            {"consumer2", StickySub({"topic", "topic2"}, a.at("consumer2"), 1)}};
  const Flat b = Run(assignor, ppt, subs);
  CHECK(ValidityAndBalanceProblems(subs, b, ppt) == "");
  CHECK(b.at("consumer1").size() == 3);
  for (const char* c : {"consumer1", "consumer2"}) {
    for (const auto& tp : a.at(c)) CHECK(std::count(b.at(c).begin(), b.at(c).end(), tp) == 1);
  }

  ppt.erase("topic");
  subs = {{"consumer1", StickySub({"topic2"}, b.at("consumer1"), 2)},
          {"consumer2", StickySub({"topic2"}, b.at("consumer2"), 2)}};
  const Flat c = Run(assignor, ppt, subs);
  CHECK(ValidityAndBalanceProblems(subs, c, ppt) == "");
  // Each keeps its topic2 partitions: nothing moves.
  for (const char* member : {"consumer1", "consumer2"}) {
    Tps kept;
    for (const auto& tp : b.at(member)) {
      if (tp.topic == "topic2") kept.push_back(tp);
    }
    CHECK(c.at(member) == kept);
  }
}

TEST_CASE("sticky: Kafka's poor round-robin scenario is balanced", "[assignor][sticky]") {
  PartitionsPerTopic ppt;
  for (int i = 1; i <= 5; ++i) ppt["topic" + std::to_string(i)] = (i % 2) + 1;
  const GroupSubscription subs = {
      {"consumer1", Sub({"topic1", "topic2", "topic3", "topic4", "topic5"})},
      {"consumer2", Sub({"topic1", "topic3", "topic5"})},
      {"consumer3", Sub({"topic1", "topic3", "topic5"})},
      {"consumer4", Sub({"topic1", "topic2", "topic3", "topic4", "topic5"})}};
  for (const char* name : {"sticky", "cooperative-sticky"}) {
    INFO(name);
    CHECK(ValidityAndBalanceProblems(subs, Run(**MakePartitionAssignor(name), ppt, subs), ppt) ==
          "");
  }
}

TEST_CASE("sticky: reassignment after one consumer of nested subscriptions leaves",
          "[assignor][sticky]") {
  // Kafka's testReassignmentAfterOneConsumerLeaves: consumer i subscribes to
  // topics 1..i, topic i has i partitions.
  PartitionsPerTopic ppt;
  for (int i = 1; i < 20; ++i) ppt[Name("topic", i)] = i;
  for (const char* name : {"sticky", "cooperative-sticky"}) {
    INFO(name);
    auto assignor = *MakePartitionAssignor(name);
    GroupSubscription subs;
    for (int i = 1; i < 20; ++i) {
      std::vector<std::string> topics;
      for (int j = 1; j <= i; ++j) topics.push_back(Name("topic", j));
      subs[Name("consumer", i)] = MemberSub(name, topics, {}, -1);
    }
    const Flat a = Run(*assignor, ppt, subs);
    REQUIRE(ValidityAndBalanceProblems(subs, a, ppt) == "");
    for (auto& [member, sub] : subs) sub = MemberSub(name, sub.topics, a.at(member), 1);
    subs.erase(Name("consumer", 10));
    const Flat b = Run(*assignor, ppt, subs);
    // Only consumer10's partitions were free, so nothing changes owner and
    // even the cooperative assignment is complete.
    CHECK(ValidityAndBalanceProblems(subs, b, ppt) == "");
    for (const auto& [member, tps] : b) {
      for (const auto& tp : a.at(member)) {
        CHECK(std::count(tps.begin(), tps.end(), tp) == 1);
      }
    }
  }
}

TEST_CASE("sticky: a consumer joining nine others takes only from those above quota",
          "[assignor][sticky]") {
  // Kafka's testReassignmentAfterOneConsumerAdded.
  const PartitionsPerTopic ppt = {{"topic", 20}};
  for (const char* name : {"sticky", "cooperative-sticky"}) {
    INFO(name);
    auto assignor = *MakePartitionAssignor(name);
    GroupSubscription subs;
    for (int i = 1; i < 10; ++i) subs[Name("consumer", i)] = MemberSub(name, {"topic"}, {}, -1);
    const Flat a = Run(*assignor, ppt, subs);
    REQUIRE(ValidityAndBalanceProblems(subs, a, ppt) == "");
    for (auto& [member, sub] : subs) sub = MemberSub(name, {"topic"}, a.at(member), 1);
    subs[Name("consumer", 10)] = MemberSub(name, {"topic"}, {}, -1);
    Flat b = Run(*assignor, ppt, subs);
    for (const auto& [member, tps] : a) {
      const Tps& now = b.at(member);
      CHECK(now.size() == 2);
      for (const auto& tp : now) CHECK(std::count(tps.begin(), tps.end(), tp) == 1);
    }
    if (std::string_view(name) == "sticky") {
      CHECK(b.at(Name("consumer", 10)).size() == 2);
    } else {
      // Both of its partitions were someone's: they come in the follow-up.
      CHECK(b.at(Name("consumer", 10)).empty());
      for (auto& [member, sub] : subs) sub = MemberSub(name, {"topic"}, b.at(member), 2);
      b = Run(*assignor, ppt, subs);
      CHECK(b.at(Name("consumer", 10)).size() == 2);
      CHECK(ValidityAndBalanceProblems(subs, b, ppt) == "");
    }
  }
}

TEST_CASE("sticky: a large uniform group is assigned quickly and evenly", "[assignor][sticky]") {
  PartitionsPerTopic ppt;
  std::vector<std::string> topics;
  for (int i = 0; i < 20; ++i) {
    topics.push_back(Name("topic", i));
    ppt[topics.back()] = 1000;
  }
  GroupSubscription subs;
  for (int i = 0; i < 300; ++i) subs[Name("consumer", i)] = CoopSub(topics, {}, -1);
  CooperativeStickyAssignor assignor;
  const Flat a = Run(assignor, ppt, subs);
  CHECK(MaxMinusMin(a) <= 1);
  CHECK(ValidityAndBalanceProblems(subs, a, ppt) == "");
  for (auto& [member, sub] : subs) sub = CoopSub(topics, a.at(member), 1);
  subs.erase(Name("consumer", 7));
  const Flat b = Run(assignor, ppt, subs);
  CHECK(MaxMinusMin(b) <= 1);
  CHECK(ValidityAndBalanceProblems(subs, b, ppt) == "");
}

TEST_CASE("sticky assignor remembers its assignment and generation in user data",
          "[assignor][sticky]") {
  StickyAssignor assignor;
  CHECK_FALSE(assignor.SubscriptionUserData({"t"}).has_value());
  Assignment mine;
  mine.partitions = {{"t", {1, 4}}};
  assignor.OnAssignment(mine, 6);
  auto ud = assignor.SubscriptionUserData({"t"});
  REQUIRE(ud.has_value());
  Subscription s = Sub({"t"});
  s.user_data = ud;
  const auto md = assignor.GetMemberData(s);
  CHECK(md.partitions == Tps{Tp("t", 1), Tp("t", 4)});
  CHECK(md.generation == std::optional<int32_t>(6));

  CooperativeStickyAssignor coop;
  CHECK(coop.SubscriptionUserData({"t"}) ==
        std::optional<std::string>(std::string("\xff\xff\xff\xff", 4)));
  coop.OnAssignment(mine, 258);
  CHECK(coop.SubscriptionUserData({"t"}) ==
        std::optional<std::string>(std::string("\0\0\x01\x02", 4)));
  // A v1 subscription (no generation field) carries the generation in user data.
  Subscription v1 = CoopSub({"t"}, {Tp("t", 0)}, -1);
  v1.user_data = coop.SubscriptionUserData({"t"});
  CHECK(coop.GetMemberData(v1).generation == std::optional<int32_t>(258));
  CHECK(coop.GetMemberData(CoopSub({"t"}, {}, 3)).generation == std::optional<int32_t>(3));
  CHECK_FALSE(coop.GetMemberData(CoopSub({"t"}, {}, -1)).generation.has_value());
}

TEST_CASE("cooperative change: revoke what is no longer assigned, add what is new",
          "[assignor][cooperative]") {
  const auto change = ComputeCooperativeChange({Tp("t", 2), Tp("t", 0), Tp("u", 1)},
                                               {Tp("t", 0), Tp("t", 3), Tp("t", 1)});
  CHECK(change.revoked == Tps{Tp("t", 2), Tp("u", 1)});
  CHECK(change.added == Tps{Tp("t", 1), Tp("t", 3)});
  CHECK(change.rejoin_required);
  const auto same = ComputeCooperativeChange({Tp("t", 0)}, {Tp("t", 0), Tp("t", 1)});
  CHECK(same.revoked.empty());
  CHECK(same.added == Tps{Tp("t", 1)});
  CHECK_FALSE(same.rejoin_required);
}

// --- random rebalances -------------------------------------------------------------

std::vector<std::string> RandomSublist(std::mt19937_64& rng, const std::vector<std::string>& all) {
  std::vector<std::string> out;
  for (const auto& t : all) {
    if (rng() % 2) out.push_back(t);
  }
  return out;
}

// Kafka's testReassignmentWithRandomSubscriptionsAndChanges: random
// subscriptions, then every member changes its subscription while keeping
// what it owned; both assignments must be valid and balanced.
TEST_CASE("sticky: random subscriptions and changes stay valid and balanced",
          "[assignor][sticky][random]") {
  const uint64_t seed = Seed();
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 100; ++round) {
    INFO("seed " << seed << " (SAMSA_FUZZ_SEED), round " << round);
    const int num_topics = 10 + static_cast<int>(rng() % 10);
    std::vector<std::string> topics;
    PartitionsPerTopic ppt;
    for (int i = 0; i < num_topics; ++i) {
      topics.push_back(Name("t", i));
      ppt[topics.back()] = i + 1;
    }
    const int num_consumers = 20 + static_cast<int>(rng() % 20);
    const bool eager = round % 2 == 0;
    const char* name = eager ? "sticky" : "cooperative-sticky";
    INFO(name);
    auto assignor = *MakePartitionAssignor(name);
    GroupSubscription subs;
    for (int i = 0; i < num_consumers; ++i) {
      subs[Name("c", i)] = MemberSub(name, RandomSublist(rng, topics), {}, -1);
    }
    Flat a = Run(*assignor, ppt, subs);
    REQUIRE(ValidityAndBalanceProblems(subs, a, ppt) == "");

    GroupSubscription changed;
    for (int i = 0; i < num_consumers; ++i) {
      const std::string c = Name("c", i);
      changed[c] = MemberSub(name, RandomSublist(rng, topics), a.at(c), 1);
    }
    Flat b = Run(*assignor, ppt, changed);
    // Cooperative leaves partitions changing owner out of a rebalance, so (as
    // Kafka's CooperativeStickyAssignorTest does) follow-up rebalances run
    // while any member revokes, at most 4 of them; then the assignment must
    // be complete and balanced.
    for (int follow_up = 0; !eager; ++follow_up) {
      REQUIRE(ValidityAndBalanceProblems(changed, b, ppt, /*complete=*/false, /*balanced=*/false) ==
              "");
      bool revoked = false;
      for (auto& [member, subscription] : changed) {
        const Tps before = subscription.OwnedPartitionList();
        revoked = revoked || ComputeCooperativeChange(before, b.at(member)).rejoin_required;
        subscription = MemberSub(name, subscription.topics, b.at(member), 2 + follow_up);
      }
      if (!revoked) break;
      REQUIRE(follow_up < 4);
      b = Run(*assignor, ppt, changed);
    }
    REQUIRE(ValidityAndBalanceProblems(changed, b, ppt) == "");
  }
}

// The cooperative protocol end to end: members revoke what they lose and
// rejoin until nobody revokes; at no point is a partition handed to a member
// while another still owns it.
void RunCooperativeRebalances(const PartitionsPerTopic& ppt,
                              const std::map<std::string, std::vector<std::string>>& topics,
                              std::map<std::string, Tps>& owned, int32_t& generation) {
  CooperativeStickyAssignor assignor;
  for (int attempt = 0;; ++attempt) {
    REQUIRE(attempt < 5);  // as Kafka's test: at most 4 follow-ups
    ++generation;
    GroupSubscription subs;
    for (const auto& [member, t] : topics) subs[member] = CoopSub(t, owned[member], generation - 1);
    const Flat a = Run(assignor, ppt, subs);
    std::map<TopicPartition, std::string> owner;
    for (const auto& [member, tps] : owned) {
      for (const auto& tp : tps) owner[tp] = member;
    }
    bool rejoin = false;
    for (const auto& [member, assigned] : a) {
      for (const auto& tp : assigned) {
        const auto it = owner.find(tp);
        INFO(tp << " assigned to " << member);
        CHECK((it == owner.end() || it->second == member || !topics.contains(it->second)));
      }
      const CooperativeChange change = ComputeCooperativeChange(owned[member], assigned);
      rejoin = rejoin || change.rejoin_required;
      owned[member] = assigned;
    }
    for (auto it = owned.begin(); it != owned.end();) {
      it = topics.contains(it->first) ? std::next(it) : owned.erase(it);
    }
    if (!rejoin) {
      GroupSubscription plain;
      for (const auto& [member, t] : topics) plain[member] = Sub(t);
      REQUIRE(ValidityAndBalanceProblems(plain, a, ppt) == "");
      return;
    }
  }
}

TEST_CASE("cooperative-sticky: a partition never moves straight from one owner to another",
          "[assignor][cooperative][random]") {
  const uint64_t seed = Seed();
  std::mt19937_64 rng(seed);
  std::vector<std::string> all_topics;
  PartitionsPerTopic ppt;
  for (int i = 0; i < 8; ++i) {
    all_topics.push_back(Name("t", i));
    ppt[all_topics.back()] = 1 + static_cast<int>(rng() % 6);
  }
  std::map<std::string, std::vector<std::string>> topics;
  std::map<std::string, Tps> owned;
  int32_t generation = 0;
  for (int change = 0; change < 100; ++change) {
    INFO("seed " << seed << " (SAMSA_FUZZ_SEED), change " << change);
    // Add, remove or resubscribe a member; every fourth change, the same
    // topics for all (the constrained path).
    const int member = static_cast<int>(rng() % 10);
    const std::string id = Name("m", member);
    if (topics.contains(id) && rng() % 3 == 0) {
      topics.erase(id);
    } else {
      topics[id] = RandomSublist(rng, all_topics);
    }
    if (change % 4 == 0) {
      for (auto& entry : topics) entry.second = all_topics;
    }
    if (topics.empty()) continue;
    RunCooperativeRebalances(ppt, topics, owned, generation);
  }
}

TEST_CASE("sticky: identical subscriptions stay within one partition and stay put",
          "[assignor][sticky][random]") {
  const uint64_t seed = Seed();
  std::mt19937_64 rng(seed);
  const std::vector<std::string> topics = {"a", "b", "c"};
  const PartitionsPerTopic ppt = {{"a", 7}, {"b", 5}, {"c", 12}};
  const int total = 24;
  StickyAssignor assignor;
  std::map<std::string, Tps> owned;
  int32_t generation = 0;
  for (int change = 0; change < 100; ++change) {
    INFO("seed " << seed << " (SAMSA_FUZZ_SEED), change " << change);
    const std::string id = Name("m", static_cast<int>(rng() % 12));
    if (owned.contains(id)) {
      owned.erase(id);
    } else {
      owned[id] = {};
    }
    if (owned.empty()) continue;
    GroupSubscription subs;
    for (const auto& [member, tps] : owned) subs[member] = StickySub(topics, tps, generation);
    ++generation;
    const Flat a = Run(assignor, ppt, subs);
    REQUIRE(ValidityAndBalanceProblems(subs, a, ppt) == "");
    REQUIRE(MaxMinusMin(a) <= 1);
    // Stickiness: each member keeps min(owned, its quota) of what it had.
    const size_t n = owned.size();
    const size_t max_quota = (total + n - 1) / n;
    const size_t min_quota = total / n;
    size_t kept = 0, movable = 0, at_max = 0;
    for (const auto& [member, before] : owned) {
      const Tps& after = a.at(member);
      for (const auto& tp : before) kept += std::count(after.begin(), after.end(), tp);
      movable += std::min(before.size(), max_quota);
      if (after.size() == max_quota) ++at_max;
    }
    // At least every previous owner kept up to the minimum quota.
    size_t floor_kept = 0;
    for (const auto& [member, before] : owned) floor_kept += std::min(before.size(), min_quota);
    CHECK(kept >= floor_kept);
    CHECK(kept <= movable);
    for (auto& [member, tps] : owned) tps = a.at(member);
  }
}

}  // namespace
}  // namespace samsa::client
