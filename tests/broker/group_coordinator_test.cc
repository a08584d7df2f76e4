// GroupCoordinator: Kafka's classic group protocol over a LogOffsetsStore on
// MemEnv, driven by a ManualClock (no sleeps: timers run when the test
// advances the clock and calls AwaitTimers()).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "broker/group/consumer_protocol.h"
#include "broker/group/group_coordinator.h"
#include "broker/group/log_offsets_store.h"
#include "log/log.h"
#include "samsa/env.h"

namespace samsa::group {
namespace {

constexpr int kPartitions = 4;

// The result of an asynchronous call, filled by its callback on any thread.
template <typename T>
class Slot {
 public:
  std::function<void(T)> Callback() {
    auto state = state_;
    return [state](T r) {
      std::lock_guard<std::mutex> lock(state->mu);
      state->calls++;
      state->value = std::move(r);
      state->cv.notify_all();
    };
  }
  bool ready() const {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->value.has_value();
  }
  int calls() const {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->calls;
  }
  T get() const {
    std::lock_guard<std::mutex> lock(state_->mu);
    REQUIRE(state_->value.has_value());
    return *state_->value;
  }
  // Real-time bound for the concurrency test only (callbacks come from
  // other threads there).
  std::optional<T> WaitFor(std::chrono::milliseconds limit) const {
    std::unique_lock<std::mutex> lock(state_->mu);
    state_->cv.wait_for(lock, limit, [this] { return state_->value.has_value(); });
    return state_->value;
  }

 private:
  struct State {
    mutable std::mutex mu;
    std::condition_variable cv;
    std::optional<T> value;
    int calls = 0;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

using JoinSlot = Slot<JoinGroupResponse>;
using SyncSlot = Slot<SyncGroupResponse>;

std::vector<JoinGroupProtocol> Protocols(std::vector<std::string> names) {
  std::vector<JoinGroupProtocol> out;
  for (auto& n : names) out.push_back({n, "meta-" + n});
  return out;
}

struct Fixture {
  ManualClock clock;
  std::unique_ptr<Env> env = NewMemEnv(&clock);
  GroupCoordinatorConfig config;
  std::vector<std::unique_ptr<Log>> logs;
  LogOffsetsStore store;
  std::unique_ptr<GroupCoordinator> coordinator;

  explicit Fixture(bool start = true) {
    config.offsets_topic_num_partitions = kPartitions;
    OpenLogs();
    if (start) Start();
  }
  ~Fixture() { coordinator.reset(); }

  void OpenLogs() {
    for (int p = 0; p < kPartitions; ++p) {
      Log::Options options;
      options.env = env.get();
      options.dir = "/kafka-logs/__consumer_offsets-" + std::to_string(p);
      options.topic = "__consumer_offsets";
      options.partition = p;
      options.config.cleanup_policy = CleanupPolicy::kCompact;
      absl::StatusOr<std::unique_ptr<Log>> log = Log::Open(std::move(options));
      REQUIRE(log.ok());
      store.AddPartition(p, log->get());
      logs.push_back(*std::move(log));
    }
  }
  void Start() {
    coordinator = std::make_unique<GroupCoordinator>(
        GroupCoordinator::Options{&clock, &store, config, nullptr});
    for (int p = 0; p < kPartitions; ++p) REQUIRE(coordinator->OnElection(p).ok());
  }
  // A new coordinator over the same partitions, reopened from the files.
  void Restart() {
    coordinator.reset();
    for (int p = 0; p < kPartitions; ++p) store.RemovePartition(p);
    for (auto& log : logs) REQUIRE(log->Close().ok());
    logs.clear();
    OpenLogs();
    Start();
  }

  void Advance(absl::Duration d) {
    clock.Advance(d);
    coordinator->AwaitTimers();
  }

  JoinGroupRequest JoinRequest(const std::string& group, const std::string& member_id = "",
                               std::vector<std::string> protocols = {"range"}) {
    JoinGroupRequest r;
    r.group_id = group;
    r.member_id = member_id;
    r.session_timeout_ms = 10000;
    r.rebalance_timeout_ms = 30000;
    r.protocol_type = "consumer";
    r.protocols = Protocols(std::move(protocols));
    r.client_id = "client";
    r.client_host = "/127.0.0.1";
    return r;
  }
  JoinSlot Join(JoinGroupRequest r) {
    JoinSlot slot;
    coordinator->JoinGroup(std::move(r), slot.Callback());
    return slot;
  }
  SyncSlot Sync(const std::string& group, const JoinGroupResponse& joined,
                std::vector<SyncGroupAssignment> assignments = {}) {
    SyncSlot slot;
    SyncGroupRequest r;
    r.group_id = group;
    r.generation_id = joined.generation_id;
    r.member_id = joined.member_id;
    r.assignments = std::move(assignments);
    coordinator->SyncGroup(std::move(r), slot.Callback());
    return slot;
  }
  ErrorCode Heartbeat(const std::string& group, const JoinGroupResponse& joined,
                      std::optional<std::string> instance = std::nullopt) {
    return coordinator->Heartbeat({group, joined.generation_id, joined.member_id, instance})
        .error_code;
  }
  // Runs the initial rebalance delay out until every slot has its answer.
  void AwaitJoins(std::vector<JoinSlot*> slots) {
    for (int i = 0; i < 20; ++i) {
      if (std::all_of(slots.begin(), slots.end(), [](JoinSlot* s) { return s->ready(); })) return;
      Advance(absl::Milliseconds(config.group_initial_rebalance_delay_ms));
    }
    FAIL("JoinGroup never completed");
  }
  // Joins `n` members and completes the rebalance (leader assigns "a-<member>").
  std::vector<JoinGroupResponse> FormGroup(const std::string& group, int n) {
    std::vector<JoinSlot> slots;
    for (int i = 0; i < n; ++i) slots.push_back(Join(JoinRequest(group)));
    std::vector<JoinSlot*> ptrs;
    for (auto& s : slots) ptrs.push_back(&s);
    AwaitJoins(ptrs);
    std::vector<JoinGroupResponse> joined;
    for (auto& s : slots) joined.push_back(s.get());
    CompleteSync(group, joined);
    return joined;
  }
  void CompleteSync(const std::string& group, const std::vector<JoinGroupResponse>& joined) {
    std::vector<SyncSlot> syncs;
    for (const auto& j : joined) {
      REQUIRE(j.error_code == ErrorCode::kNone);
      std::vector<SyncGroupAssignment> assignments;
      if (j.leader == j.member_id) {
        for (const auto& m : j.members) assignments.push_back({m.member_id, "a-" + m.member_id});
      }
      syncs.push_back(Sync(group, j, assignments));
    }
    for (size_t i = 0; i < syncs.size(); ++i) {
      REQUIRE(syncs[i].ready());
      CHECK(syncs[i].get().error_code == ErrorCode::kNone);
      CHECK(syncs[i].get().assignment == "a-" + joined[i].member_id);
    }
  }
  DescribedGroup Describe(const std::string& group) {
    return coordinator->DescribeGroups({group}).groups.at(0);
  }
  OffsetCommitResponse Commit(const std::string& group, int32_t generation,
                              const std::string& member, const std::string& topic,
                              int32_t partition, int64_t offset, std::string metadata = "") {
    OffsetCommitRequest r;
    r.group_id = group;
    r.generation_id = generation;
    r.member_id = member;
    r.topics = {{topic, {{partition, offset, -1, metadata}}}};
    return coordinator->OffsetCommit(r);
  }
  ErrorCode CommitError(const std::string& group, int32_t generation, const std::string& member,
                        const std::string& topic, int32_t partition, int64_t offset) {
    return Commit(group, generation, member, topic, partition, offset).topics.at(0).partitions.at(0).error_code;
  }
  int64_t Fetched(const std::string& group, const std::string& topic, int32_t partition) {
    OffsetFetchRequest r;
    r.group_id = group;
    r.topics = std::vector<OffsetFetchRequestTopic>{{topic, {partition}}};
    OffsetFetchResponse resp = coordinator->OffsetFetch(r);
    REQUIRE(resp.error_code == ErrorCode::kNone);
    return resp.topics.at(0).partitions.at(0).committed_offset;
  }
};

const JoinGroupResponse* LeaderOf(const std::vector<JoinGroupResponse>& joined) {
  for (const auto& j : joined) {
    if (j.member_id == j.leader) return &j;
  }
  return nullptr;
}

TEST_CASE("three members form one generation with one leader", "[groups]") {
  Fixture f;
  // Protocol choice: range is not supported by everyone; roundrobin is.
  JoinSlot a = f.Join(f.JoinRequest("g", "", {"range", "roundrobin"}));
  JoinSlot b = f.Join(f.JoinRequest("g", "", {"roundrobin", "range"}));
  JoinSlot c = f.Join(f.JoinRequest("g", "", {"roundrobin"}));
  CHECK(!a.ready());
  CHECK(f.Describe("g").group_state == "PreparingRebalance");
  f.AwaitJoins({&a, &b, &c});
  std::vector<JoinGroupResponse> joined = {a.get(), b.get(), c.get()};
  std::set<std::string> ids;
  for (const auto& j : joined) {
    CHECK(j.error_code == ErrorCode::kNone);
    CHECK(j.generation_id == 1);
    CHECK(j.leader == joined[0].leader);
    CHECK(j.protocol_name == "roundrobin");
    CHECK(j.protocol_type == "consumer");
    CHECK(j.member_id.rfind("client-", 0) == 0);
    ids.insert(j.member_id);
  }
  CHECK(ids.size() == 3);
  // The first joiner leads and alone gets the member list.
  CHECK(joined[0].leader == joined[0].member_id);
  CHECK(joined[0].members.size() == 3);
  for (const auto& m : joined[0].members) CHECK(m.metadata == "meta-roundrobin");
  CHECK(joined[1].members.empty());
  CHECK(f.Describe("g").group_state == "CompletingRebalance");

  // Followers' SyncGroup waits for the leader's assignment.
  SyncSlot sb = f.Sync("g", joined[1]);
  SyncSlot sc = f.Sync("g", joined[2]);
  CHECK(!sb.ready());
  CHECK(!sc.ready());
  SyncSlot sa = f.Sync("g", joined[0],
                       {{joined[0].member_id, "A"}, {joined[1].member_id, "B"},
                        {joined[2].member_id, "C"}});
  REQUIRE(sa.ready());
  REQUIRE(sb.ready());
  REQUIRE(sc.ready());
  CHECK(sa.get().assignment == "A");
  CHECK(sb.get().assignment == "B");
  CHECK(sc.get().assignment == "C");
  CHECK(sb.get().protocol_name == "roundrobin");

  DescribedGroup d = f.Describe("g");
  CHECK(d.group_state == "Stable");
  CHECK(d.protocol_type == "consumer");
  CHECK(d.protocol_data == "roundrobin");
  REQUIRE(d.members.size() == 3);
  for (const auto& m : d.members) {
    CHECK(m.client_id == "client");
    CHECK(m.client_host == "/127.0.0.1");
    CHECK(m.member_metadata == "meta-roundrobin");
    CHECK(!m.member_assignment.empty());
  }
  for (const auto& j : joined) CHECK(f.Heartbeat("g", j) == ErrorCode::kNone);

  ListGroupsResponse list = f.coordinator->ListGroups({});
  REQUIRE(list.groups.size() == 1);
  CHECK(list.groups[0].group_id == "g");
  CHECK(list.groups[0].group_state == "Stable");
  CHECK(f.coordinator->ListGroups({{"Empty"}}).groups.empty());
}

TEST_CASE("a member joining a stable group starts a rebalance to the next generation",
          "[groups]") {
  Fixture f;
  std::vector<JoinGroupResponse> joined = f.FormGroup("g", 2);
  JoinSlot newcomer = f.Join(f.JoinRequest("g"));
  CHECK(!newcomer.ready());
  CHECK(f.Describe("g").group_state == "PreparingRebalance");
  for (const auto& j : joined) CHECK(f.Heartbeat("g", j) == ErrorCode::kRebalanceInProgress);
  // The old members rejoin with their ids; the rebalance completes at once
  // when everyone has (no timer needed).
  JoinSlot r0 = f.Join(f.JoinRequest("g", joined[0].member_id));
  CHECK(!r0.ready());
  JoinSlot r1 = f.Join(f.JoinRequest("g", joined[1].member_id));
  REQUIRE(r0.ready());
  REQUIRE(r1.ready());
  REQUIRE(newcomer.ready());
  for (const auto* s : {&r0, &r1, &newcomer}) {
    CHECK(s->get().error_code == ErrorCode::kNone);
    CHECK(s->get().generation_id == 2);
  }
  CHECK(r0.get().leader == joined[0].member_id);  // the leader stays
  CHECK(r0.get().members.size() == 3);
  // A heartbeat with the old generation is now refused.
  CHECK(f.Heartbeat("g", joined[1]) == ErrorCode::kIllegalGeneration);
  f.CompleteSync("g", {r0.get(), r1.get(), newcomer.get()});
  CHECK(f.Describe("g").group_state == "Stable");
}

TEST_CASE("a silent member's session expires and the group rebalances without it", "[groups]") {
  Fixture f;
  std::vector<JoinGroupResponse> joined = f.FormGroup("g", 2);
  const JoinGroupResponse& a = joined[0];
  f.Advance(absl::Milliseconds(6000));
  CHECK(f.Heartbeat("g", a) == ErrorCode::kNone);  // a resets its session; b does not
  f.Advance(absl::Milliseconds(3999));
  CHECK(f.Describe("g").group_state == "Stable");
  CHECK(f.Describe("g").members.size() == 2);
  f.Advance(absl::Milliseconds(1));  // b's 10 s session is over
  DescribedGroup d = f.Describe("g");
  CHECK(d.group_state == "PreparingRebalance");
  REQUIRE(d.members.size() == 1);
  CHECK(d.members[0].member_id == a.member_id);
  CHECK(f.Heartbeat("g", joined[1]) == ErrorCode::kUnknownMemberId);
  CHECK(f.Heartbeat("g", a) == ErrorCode::kRebalanceInProgress);
  JoinSlot again = f.Join(f.JoinRequest("g", a.member_id));
  REQUIRE(again.ready());
  CHECK(again.get().generation_id == 2);
  CHECK(again.get().members.size() == 1);
}

TEST_CASE("the rebalance timeout drops a member that heartbeats but does not rejoin",
          "[groups]") {
  Fixture f;
  std::vector<JoinGroupResponse> joined = f.FormGroup("g", 2);
  const JoinGroupResponse* leader = LeaderOf(joined);
  REQUIRE(leader != nullptr);
  const JoinGroupResponse& follower = joined[0].member_id == leader->member_id ? joined[1] : joined[0];
  // The leader's JoinGroup in a Stable group forces a rebalance.
  JoinSlot rejoin = f.Join(f.JoinRequest("g", leader->member_id));
  CHECK(!rejoin.ready());
  for (int t = 0; t < 5; ++t) {
    f.Advance(absl::Milliseconds(5000));
    CHECK(f.Heartbeat("g", follower) == ErrorCode::kRebalanceInProgress);
  }
  CHECK(!rejoin.ready());
  f.Advance(absl::Milliseconds(5000));  // 30 s: rebalance.timeout.ms
  REQUIRE(rejoin.ready());
  CHECK(rejoin.get().generation_id == 2);
  REQUIRE(rejoin.get().members.size() == 1);
  CHECK(rejoin.get().members[0].member_id == leader->member_id);
  CHECK(f.Heartbeat("g", follower) == ErrorCode::kUnknownMemberId);
}

TEST_CASE("the initial rebalance delay waits for more members, extended as they come",
          "[groups]") {
  Fixture f;  // group.initial.rebalance.delay.ms = 3000
  JoinSlot a = f.Join(f.JoinRequest("g"));
  f.Advance(absl::Milliseconds(2000));
  JoinSlot b = f.Join(f.JoinRequest("g"));
  f.Advance(absl::Milliseconds(999));
  CHECK(!a.ready());
  f.Advance(absl::Milliseconds(1));  // 3 s: b arrived meanwhile, so wait another 3 s
  CHECK(!a.ready());
  f.Advance(absl::Milliseconds(2999));
  CHECK(!a.ready());
  f.Advance(absl::Milliseconds(1));  // 6 s: nobody new, complete
  REQUIRE(a.ready());
  REQUIRE(b.ready());
  CHECK(a.get().generation_id == 1);
  CHECK(a.get().members.size() == 2);

  // Alone, a member waits exactly the delay.
  JoinSlot solo = f.Join(f.JoinRequest("h"));
  f.Advance(absl::Milliseconds(2999));
  CHECK(!solo.ready());
  f.Advance(absl::Milliseconds(1));
  REQUIRE(solo.ready());
  CHECK(solo.get().error_code == ErrorCode::kNone);
}

TEST_CASE("session timeouts outside the broker's bounds are refused", "[groups]") {
  Fixture f;
  JoinGroupRequest r = f.JoinRequest("g");
  r.session_timeout_ms = 5999;
  JoinSlot low = f.Join(r);
  REQUIRE(low.ready());
  CHECK(low.get().error_code == ErrorCode::kInvalidSessionTimeout);
  r.session_timeout_ms = 1800001;
  JoinSlot high = f.Join(r);
  REQUIRE(high.ready());
  CHECK(high.get().error_code == ErrorCode::kInvalidSessionTimeout);
  JoinGroupRequest empty_id = f.JoinRequest("");
  JoinSlot bad = f.Join(empty_id);
  REQUIRE(bad.ready());
  CHECK(bad.get().error_code == ErrorCode::kInvalidGroupId);
  // An unknown member id for a group that does not exist.
  JoinSlot unknown = f.Join(f.JoinRequest("nope", "ghost"));
  REQUIRE(unknown.ready());
  CHECK(unknown.get().error_code == ErrorCode::kUnknownMemberId);
}

TEST_CASE("JoinGroup v4+ hands a new member its id with MEMBER_ID_REQUIRED", "[groups]") {
  Fixture f;
  JoinGroupRequest r = f.JoinRequest("g");
  r.require_known_member_id = true;
  JoinSlot first = f.Join(r);
  REQUIRE(first.ready());
  CHECK(first.get().error_code == ErrorCode::kMemberIdRequired);
  const std::string id = first.get().member_id;
  CHECK(id.rfind("client-", 0) == 0);
  CHECK(id.size() == std::string("client-").size() + 36);  // a UUID
  r.member_id = id;
  JoinSlot second = f.Join(r);
  f.AwaitJoins({&second});
  CHECK(second.get().error_code == ErrorCode::kNone);
  CHECK(second.get().member_id == id);
  CHECK(second.get().leader == id);

  // A pending member that never comes back expires after its session.
  JoinGroupRequest other = f.JoinRequest("h");
  other.require_known_member_id = true;
  JoinSlot pending = f.Join(other);
  REQUIRE(pending.ready());
  f.Advance(absl::Milliseconds(10000));
  other.member_id = pending.get().member_id;
  JoinSlot late = f.Join(other);
  REQUIRE(late.ready());
  CHECK(late.get().error_code == ErrorCode::kUnknownMemberId);
}

TEST_CASE("a static member rejoins without a rebalance and its old member id is fenced",
          "[groups]") {
  Fixture f;
  JoinGroupRequest r = f.JoinRequest("g");
  r.group_instance_id = "instance-1";
  JoinSlot a = f.Join(r);
  JoinSlot b = f.Join(f.JoinRequest("g"));
  f.AwaitJoins({&a, &b});
  CHECK(a.get().member_id.rfind("instance-1-", 0) == 0);
  f.CompleteSync("g", {a.get(), b.get()});
  const JoinGroupResponse old = a.get();

  // A restart of the static member: unknown member id, same instance id,
  // same protocols.
  JoinSlot again = f.Join(r);
  REQUIRE(again.ready());
  const JoinGroupResponse fresh = again.get();
  CHECK(fresh.error_code == ErrorCode::kNone);
  CHECK(fresh.member_id != old.member_id);
  CHECK(fresh.generation_id == old.generation_id);
  // The old leader id comes back, so the new member does not assign.
  CHECK(fresh.leader == old.member_id);
  CHECK(f.Describe("g").group_state == "Stable");
  CHECK(f.Heartbeat("g", b.get()) == ErrorCode::kNone);

  CHECK(f.Heartbeat("g", old, "instance-1") == ErrorCode::kFencedInstanceId);
  CHECK(f.Heartbeat("g", fresh, "instance-1") == ErrorCode::kNone);
  CHECK(f.CommitError("g", old.generation_id, old.member_id, "t", 0, 1) ==
        ErrorCode::kUnknownMemberId);  // no instance id given: just unknown
  OffsetCommitRequest fenced;
  fenced.group_id = "g";
  fenced.generation_id = old.generation_id;
  fenced.member_id = old.member_id;
  fenced.group_instance_id = "instance-1";
  fenced.topics = {{"t", {{0, 1, -1, std::nullopt}}}};
  CHECK(f.coordinator->OffsetCommit(fenced).topics[0].partitions[0].error_code ==
        ErrorCode::kFencedInstanceId);
  // Its SyncGroup (Stable) returns its assignment, kept across the new id.
  SyncSlot s = f.Sync("g", fresh);
  REQUIRE(s.ready());
  CHECK(s.get().assignment == "a-" + old.member_id);

  // A static member can be removed by instance id alone.
  LeaveGroupResponse leave = f.coordinator->LeaveGroup({"g", {{"", "instance-1", std::nullopt}}});
  CHECK(leave.error_code == ErrorCode::kNone);
  CHECK(leave.members.at(0).error_code == ErrorCode::kNone);
  CHECK(f.Describe("g").group_state == "PreparingRebalance");
}

TEST_CASE("a member that never sends SyncGroup is removed after the rebalance timeout",
          "[groups]") {
  Fixture f;
  JoinSlot a = f.Join(f.JoinRequest("g"));
  JoinSlot b = f.Join(f.JoinRequest("g"));
  f.AwaitJoins({&a, &b});
  const std::vector<JoinGroupResponse> joined = {a.get(), b.get()};
  const JoinGroupResponse* leader = LeaderOf(joined);
  REQUIRE(leader != nullptr);
  const JoinGroupResponse follower = leader->member_id == a.get().member_id ? b.get() : a.get();
  SyncSlot ls = f.Sync("g", *leader, {{leader->member_id, "L"}, {follower.member_id, "F"}});
  REQUIRE(ls.ready());
  CHECK(f.Describe("g").group_state == "Stable");
  // The follower heartbeats (so its session lives) but never syncs.
  for (int i = 0; i < 5; ++i) {
    f.Advance(absl::Milliseconds(5000));
    CHECK(f.Heartbeat("g", follower) == ErrorCode::kNone);
    CHECK(f.Heartbeat("g", *leader) == ErrorCode::kNone);
  }
  f.Advance(absl::Milliseconds(5000));  // 30 s after the join completed
  DescribedGroup d = f.Describe("g");
  CHECK(d.group_state == "PreparingRebalance");
  REQUIRE(d.members.size() == 1);
  CHECK(d.members[0].member_id == leader->member_id);
}

TEST_CASE("group.max.size and protocol mismatches refuse new members", "[groups]") {
  Fixture f(/*start=*/false);
  f.config.group_max_size = 2;
  f.Start();
  std::vector<JoinGroupResponse> joined = f.FormGroup("g", 2);
  JoinSlot third = f.Join(f.JoinRequest("g"));
  REQUIRE(third.ready());
  CHECK(third.get().error_code == ErrorCode::kGroupMaxSizeReached);
  CHECK(f.Describe("g").group_state == "Stable");

  Fixture h;
  h.FormGroup("g", 1);
  JoinGroupRequest other_type = h.JoinRequest("g");
  other_type.protocol_type = "connect";
  JoinSlot t = h.Join(other_type);
  REQUIRE(t.ready());
  CHECK(t.get().error_code == ErrorCode::kInconsistentGroupProtocol);
  JoinSlot p = h.Join(h.JoinRequest("g", "", {"sticky"}));
  REQUIRE(p.ready());
  CHECK(p.get().error_code == ErrorCode::kInconsistentGroupProtocol);
  JoinGroupRequest no_protocols = h.JoinRequest("fresh");
  no_protocols.protocols.clear();
  JoinSlot n = h.Join(no_protocols);
  REQUIRE(n.ready());
  CHECK(n.get().error_code == ErrorCode::kInconsistentGroupProtocol);
}

TEST_CASE("a static member's new id is persisted and survives a restart", "[groups][durability]") {
  Fixture f;
  JoinGroupRequest r = f.JoinRequest("g");
  r.group_instance_id = "instance-1";
  JoinSlot a = f.Join(r);
  f.AwaitJoins({&a});
  f.CompleteSync("g", {a.get()});
  JoinSlot again = f.Join(r);
  REQUIRE(again.ready());
  const JoinGroupResponse fresh = again.get();
  REQUIRE(fresh.error_code == ErrorCode::kNone);
  f.Restart();
  DescribedGroup d = f.Describe("g");
  CHECK(d.group_state == "Stable");
  REQUIRE(d.members.size() == 1);
  CHECK(d.members[0].member_id == fresh.member_id);
  CHECK(d.members[0].group_instance_id == "instance-1");
  CHECK(f.Heartbeat("g", fresh, "instance-1") == ErrorCode::kNone);
  CHECK(f.Heartbeat("g", a.get(), "instance-1") == ErrorCode::kFencedInstanceId);
}

TEST_CASE("LeaveGroup removes several members at once and rebalances", "[groups]") {
  Fixture f;
  std::vector<JoinGroupResponse> joined = f.FormGroup("g", 3);
  LeaveGroupResponse resp = f.coordinator->LeaveGroup(
      {"g", {{joined[1].member_id, std::nullopt, "bye"},
             {joined[2].member_id, std::nullopt, std::nullopt},
             {"ghost", std::nullopt, std::nullopt}}});
  CHECK(resp.error_code == ErrorCode::kNone);
  REQUIRE(resp.members.size() == 3);
  CHECK(resp.members[0].error_code == ErrorCode::kNone);
  CHECK(resp.members[1].error_code == ErrorCode::kNone);
  CHECK(resp.members[2].error_code == ErrorCode::kUnknownMemberId);
  CHECK(f.Describe("g").group_state == "PreparingRebalance");
  CHECK(f.Heartbeat("g", joined[0]) == ErrorCode::kRebalanceInProgress);
  JoinSlot rejoin = f.Join(f.JoinRequest("g", joined[0].member_id));
  REQUIRE(rejoin.ready());
  CHECK(rejoin.get().generation_id == 2);
  CHECK(rejoin.get().members.size() == 1);

  // The last member leaving empties the group (a new generation, Empty).
  f.CompleteSync("g", {rejoin.get()});
  LeaveGroupResponse last = f.coordinator->LeaveGroup({"g", {{joined[0].member_id, {}, {}}}});
  CHECK(last.members.at(0).error_code == ErrorCode::kNone);
  CHECK(f.Describe("g").group_state == "Empty");
  // Leaving a group that does not exist.
  LeaveGroupResponse none = f.coordinator->LeaveGroup({"nope", {{"m", {}, {}}}});
  CHECK(none.members.at(0).error_code == ErrorCode::kUnknownMemberId);
}

TEST_CASE("members commit and fetch offsets", "[groups][offsets]") {
  Fixture f;
  std::vector<JoinGroupResponse> joined = f.FormGroup("g", 2);
  const JoinGroupResponse& m = joined[0];
  OffsetCommitRequest r;
  r.group_id = "g";
  r.generation_id = m.generation_id;
  r.member_id = m.member_id;
  r.topics = {{"orders", {{0, 100, 3, "note"}, {1, 200, -1, std::nullopt}}},
              {"payments", {{0, 5, -1, std::nullopt}}}};
  OffsetCommitResponse resp = f.coordinator->OffsetCommit(r);
  REQUIRE(resp.topics.size() == 2);
  for (const auto& t : resp.topics) {
    for (const auto& p : t.partitions) CHECK(p.error_code == ErrorCode::kNone);
  }
  CHECK(f.Fetched("g", "orders", 0) == 100);
  CHECK(f.Fetched("g", "orders", 1) == 200);
  CHECK(f.Fetched("g", "orders", 2) == -1);  // never committed
  CHECK(f.Fetched("g", "payments", 0) == 5);
  CHECK(f.Fetched("other-group", "orders", 0) == -1);

  // All partitions.
  OffsetFetchResponse all = f.coordinator->OffsetFetch({"g", std::nullopt, false});
  REQUIRE(all.topics.size() == 2);
  CHECK(all.topics[0].name == "orders");
  REQUIRE(all.topics[0].partitions.size() == 2);
  CHECK(all.topics[0].partitions[0].committed_leader_epoch == 3);
  CHECK(all.topics[0].partitions[0].metadata == "note");
  CHECK(all.topics[1].partitions[0].committed_offset == 5);

  auto committed = f.coordinator->CommittedOffsets("g");
  REQUIRE(committed.ok());
  CHECK(committed->size() == 3);
  CHECK(committed->at(TopicPartition{"orders", 1}).offset == 200);

  // A later commit wins.
  CHECK(f.CommitError("g", m.generation_id, m.member_id, "orders", 0, 150) == ErrorCode::kNone);
  CHECK(f.Fetched("g", "orders", 0) == 150);
}

TEST_CASE("commits with a stale generation or an unknown member are refused",
          "[groups][offsets]") {
  Fixture f;
  std::vector<JoinGroupResponse> joined = f.FormGroup("g", 1);
  const JoinGroupResponse& m = joined[0];
  CHECK(f.CommitError("g", m.generation_id - 1, m.member_id, "t", 0, 1) ==
        ErrorCode::kIllegalGeneration);
  CHECK(f.CommitError("g", m.generation_id, "stranger", "t", 0, 1) == ErrorCode::kUnknownMemberId);
  // A simple commit (generation -1, no member) into a group with members.
  CHECK(f.CommitError("g", -1, "", "t", 0, 1) == ErrorCode::kUnknownMemberId);
  // A generation for a group that does not exist.
  CHECK(f.CommitError("nope", 3, "x", "t", 0, 1) == ErrorCode::kIllegalGeneration);
  CHECK(f.Fetched("g", "t", 0) == -1);

  // Metadata over offset.metadata.max.bytes fails that partition only.
  OffsetCommitRequest r;
  r.group_id = "g";
  r.generation_id = m.generation_id;
  r.member_id = m.member_id;
  r.topics = {{"t", {{0, 7, -1, std::string(4097, 'x')}, {1, 8, -1, std::string(4096, 'x')}}}};
  OffsetCommitResponse resp = f.coordinator->OffsetCommit(r);
  CHECK(resp.topics[0].partitions[0].error_code == ErrorCode::kOffsetMetadataTooLarge);
  CHECK(resp.topics[0].partitions[1].error_code == ErrorCode::kNone);
  CHECK(f.Fetched("g", "t", 0) == -1);
  CHECK(f.Fetched("g", "t", 1) == 8);

  // During CompletingRebalance a member's commit is told to wait.
  JoinSlot newcomer = f.Join(f.JoinRequest("g"));
  JoinSlot rejoin = f.Join(f.JoinRequest("g", m.member_id));
  REQUIRE(rejoin.ready());
  CHECK(f.CommitError("g", rejoin.get().generation_id, m.member_id, "t", 0, 9) ==
        ErrorCode::kRebalanceInProgress);
  // ... and a SyncGroup from an old generation is refused.
  SyncSlot stale = f.Sync("g", m);
  REQUIRE(stale.ready());
  CHECK(stale.get().error_code == ErrorCode::kIllegalGeneration);
}

TEST_CASE("simple commits work for a group with no members", "[groups][offsets]") {
  Fixture f;
  CHECK(f.CommitError("standalone", -1, "", "t", 0, 42) == ErrorCode::kNone);
  CHECK(f.Fetched("standalone", "t", 0) == 42);
  DescribedGroup d = f.Describe("standalone");
  CHECK(d.group_state == "Empty");
  CHECK(d.protocol_type.empty());
}

TEST_CASE("offsets and groups survive a coordinator restart", "[groups][offsets][durability]") {
  Fixture f;
  std::vector<JoinGroupResponse> joined = f.FormGroup("g", 2);
  const JoinGroupResponse& m = joined[0];
  CHECK(f.CommitError("g", m.generation_id, m.member_id, "orders", 0, 100) == ErrorCode::kNone);
  CHECK(f.CommitError("g", m.generation_id, m.member_id, "orders", 0, 120) == ErrorCode::kNone);
  CHECK(f.CommitError("standalone", -1, "", "t", 3, 7) == ErrorCode::kNone);
  f.Restart();

  CHECK(f.Fetched("g", "orders", 0) == 120);
  CHECK(f.Fetched("standalone", "t", 3) == 7);
  DescribedGroup d = f.Describe("g");
  CHECK(d.group_state == "Stable");
  CHECK(d.protocol_data == "range");
  REQUIRE(d.members.size() == 2);
  for (const auto& member : d.members) CHECK(member.member_assignment == "a-" + member.member_id);
  // The members carry on in the same generation.
  for (const auto& j : joined) CHECK(f.Heartbeat("g", j) == ErrorCode::kNone);
  SyncSlot s = f.Sync("g", joined[1]);
  REQUIRE(s.ready());
  CHECK(s.get().assignment == "a-" + joined[1].member_id);
  // And sessions restart from the load: a silent member goes.
  f.Advance(absl::Milliseconds(5000));
  CHECK(f.Heartbeat("g", joined[0]) == ErrorCode::kNone);
  f.Advance(absl::Milliseconds(5000));
  DescribedGroup after = f.Describe("g");
  CHECK(after.group_state == "PreparingRebalance");
  REQUIRE(after.members.size() == 1);
  CHECK(after.members[0].member_id == joined[0].member_id);
}

TEST_CASE("DeleteGroups deletes only empty groups and leaves tombstones", "[groups][offsets]") {
  Fixture f;
  std::vector<JoinGroupResponse> joined = f.FormGroup("g", 1);
  const JoinGroupResponse& m = joined[0];
  CHECK(f.CommitError("g", m.generation_id, m.member_id, "orders", 0, 100) == ErrorCode::kNone);
  CHECK(f.CommitError("simple", -1, "", "orders", 0, 5) == ErrorCode::kNone);

  DeleteGroupsResponse busy = f.coordinator->DeleteGroups({"g", "missing"});
  CHECK(busy.results.at(0).error_code == ErrorCode::kNonEmptyGroup);
  CHECK(busy.results.at(1).error_code == ErrorCode::kGroupIdNotFound);

  f.coordinator->LeaveGroup({"g", {{m.member_id, {}, {}}}});
  REQUIRE(f.Describe("g").group_state == "Empty");
  DeleteGroupsResponse done = f.coordinator->DeleteGroups({"g", "simple"});
  CHECK(done.results.at(0).error_code == ErrorCode::kNone);
  CHECK(done.results.at(1).error_code == ErrorCode::kNone);
  CHECK(f.Describe("g").group_state == "Dead");
  CHECK(f.Fetched("g", "orders", 0) == -1);
  CHECK(f.coordinator->DeleteGroups({"g"}).results.at(0).error_code == ErrorCode::kGroupIdNotFound);

  // The log ends with tombstones for the offset and the group key.
  std::vector<std::pair<std::string, bool>> tail;  // (key, is tombstone)
  REQUIRE(f.store
              .Scan(f.coordinator->PartitionFor("g"),
                    [&](std::optional<std::string_view> key, std::optional<std::string_view> value,
                        int64_t) { tail.emplace_back(std::string(*key), !value.has_value()); })
              .ok());
  REQUIRE(tail.size() >= 2);
  CHECK(tail[tail.size() - 2].first == EncodeOffsetCommitKey({"g", "orders", 0}));
  CHECK(tail[tail.size() - 2].second);
  CHECK(tail.back().first == EncodeGroupMetadataKey({"g"}));
  CHECK(tail.back().second);

  f.Restart();
  CHECK(f.Describe("g").group_state == "Dead");
  CHECK(f.Fetched("g", "orders", 0) == -1);
  CHECK(f.Fetched("simple", "orders", 0) == -1);
  CHECK(f.coordinator->ListGroups({}).groups.empty());
}

TEST_CASE("offsets expire after retention, counted from when the group became empty",
          "[groups][offsets][retention]") {
  Fixture f(/*start=*/false);
  f.config.offsets_retention_minutes = 10;
  f.config.offsets_retention_check_interval_ms = 60000;
  f.Start();
  std::vector<JoinGroupResponse> joined = f.FormGroup("g", 1);
  const JoinGroupResponse& m = joined[0];
  CHECK(f.CommitError("g", m.generation_id, m.member_id, "t", 0, 10) == ErrorCode::kNone);
  CHECK(f.CommitError("simple", -1, "", "t", 0, 20) == ErrorCode::kNone);
  // The member stays 20 minutes (heart-beating), so its commit is old when
  // it leaves.
  for (int i = 0; i < 240; ++i) {
    f.Advance(absl::Milliseconds(5000));
    REQUIRE(f.Heartbeat("g", m) == ErrorCode::kNone);
  }
  // The simple commit expired 10 minutes after it was made.
  CHECK(f.Fetched("simple", "t", 0) == -1);
  CHECK(f.Fetched("g", "t", 0) == 10);  // the group is not empty: kept
  f.coordinator->LeaveGroup({"g", {{m.member_id, {}, {}}}});
  f.Advance(absl::Minutes(9));
  CHECK(f.Fetched("g", "t", 0) == 10);
  f.Advance(absl::Minutes(2));
  CHECK(f.Fetched("g", "t", 0) == -1);
  // Empty without offsets, the group is gone too, also after a restart.
  CHECK(f.Describe("g").group_state == "Dead");
  f.Restart();
  CHECK(f.Describe("g").group_state == "Dead");
  CHECK(f.Fetched("g", "t", 0) == -1);
}

TEST_CASE("a Stable consumer group's offsets of topics no member subscribes to expire after retention",
          "[groups][offsets][retention]") {
  // Kafka's GroupMetadata.removeExpiredOffsets, case Stable "consumer"
  // group with known subscriptions: offsets of unsubscribed topics expire
  // offsets.retention.minutes after their commit; subscribed ones stay.
  Fixture f(/*start=*/false);
  f.config.offsets_retention_minutes = 10;
  f.config.offsets_retention_check_interval_ms = 60000;
  f.Start();
  auto subscribe = [](std::vector<std::string> topics) {
    Subscription sub;
    sub.topics = std::move(topics);
    absl::StatusOr<std::string> bytes = EncodeSubscription(sub);
    REQUIRE(bytes.ok());
    return *bytes;
  };
  JoinGroupRequest a = f.JoinRequest("g");
  a.protocols = {{"range", subscribe({"orders"})}};
  JoinGroupRequest b = f.JoinRequest("g");
  b.protocols = {{"range", subscribe({"orders", "payments"})}};
  JoinSlot ja = f.Join(a);
  JoinSlot jb = f.Join(b);
  f.AwaitJoins({&ja, &jb});
  const std::vector<JoinGroupResponse> joined = {ja.get(), jb.get()};
  f.CompleteSync("g", joined);
  REQUIRE(f.Describe("g").group_state == "Stable");
  const JoinGroupResponse& m = joined[0];
  for (const char* topic : {"orders", "payments", "retired"}) {
    CHECK(f.CommitError("g", m.generation_id, m.member_id, topic, 0, 5) == ErrorCode::kNone);
  }
  auto stay = [&](absl::Duration d) {
    for (absl::Duration t; t < d; t += absl::Seconds(5)) {
      f.Advance(absl::Seconds(5));
      for (const JoinGroupResponse& j : joined) REQUIRE(f.Heartbeat("g", j) == ErrorCode::kNone);
    }
  };
  stay(absl::Minutes(9));
  CHECK(f.Fetched("g", "retired", 0) == 5);  // not yet 10 minutes old
  stay(absl::Minutes(2));
  CHECK(f.Fetched("g", "retired", 0) == -1);  // nobody subscribes to it
  CHECK(f.Fetched("g", "orders", 0) == 5);
  CHECK(f.Fetched("g", "payments", 0) == 5);
  // The subscriptions come back with the group's record after a restart.
  f.Restart();
  CHECK(f.Fetched("g", "retired", 0) == -1);
  CHECK(f.Fetched("g", "orders", 0) == 5);
  CHECK(f.Describe("g").group_state == "Stable");
  CHECK(f.CommitError("g", m.generation_id, m.member_id, "retired", 0, 7) == ErrorCode::kNone);
  for (int i = 0; i < 11 * 12; ++i) {
    f.Advance(absl::Seconds(5));
    for (const JoinGroupResponse& j : joined) f.Heartbeat("g", j);
  }
  CHECK(f.Fetched("g", "retired", 0) == -1);
  CHECK(f.Fetched("g", "payments", 0) == 5);
}

TEST_CASE("OnTopicDeleted tombstones the topic's offsets in every group", "[groups][offsets]") {
  Fixture f;
  CHECK(f.CommitError("a", -1, "", "gone", 0, 1) == ErrorCode::kNone);
  CHECK(f.CommitError("a", -1, "", "kept", 0, 2) == ErrorCode::kNone);
  CHECK(f.CommitError("b", -1, "", "gone", 1, 3) == ErrorCode::kNone);
  REQUIRE(f.coordinator->OnTopicDeleted("gone").ok());
  CHECK(f.Fetched("a", "gone", 0) == -1);
  CHECK(f.Fetched("a", "kept", 0) == 2);
  CHECK(f.Fetched("b", "gone", 1) == -1);
  f.Restart();
  CHECK(f.Fetched("a", "gone", 0) == -1);
  CHECK(f.Fetched("a", "kept", 0) == 2);
  CHECK(f.Fetched("b", "gone", 1) == -1);
}

// A store whose Scan blocks until released: the coordinator is "loading".
class BlockingStore final : public OffsetsTopicStore {
 public:
  explicit BlockingStore(OffsetsTopicStore* inner) : inner_(inner) {}
  absl::StatusOr<int64_t> Append(int32_t partition, std::string batch) override {
    return inner_->Append(partition, std::move(batch));
  }
  absl::Status Scan(int32_t partition, const ScanFn& fn) override {
    std::unique_lock<std::mutex> lock(mu_);
    scanning_ = true;
    cv_.notify_all();
    cv_.wait(lock, [this] { return released_; });
    return inner_->Scan(partition, fn);
  }
  void AwaitScanning() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return scanning_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  OffsetsTopicStore* inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool scanning_ = false;
  bool released_ = false;
};

TEST_CASE("groups of partitions not owned get NOT_COORDINATOR, loading ones LOAD_IN_PROGRESS",
          "[groups][ownership]") {
  Fixture f(/*start=*/false);
  BlockingStore blocking(&f.store);
  GroupCoordinator coordinator(GroupCoordinator::Options{&f.clock, &blocking, f.config, nullptr});
  // Find two groups on different partitions.
  std::string loading_group, other_group;
  for (int i = 0; loading_group.empty() || other_group.empty(); ++i) {
    const std::string id = "group-" + std::to_string(i);
    if (coordinator.PartitionFor(id) == 1 && loading_group.empty()) loading_group = id;
    if (coordinator.PartitionFor(id) == 2 && other_group.empty()) other_group = id;
  }
  std::thread election([&] { CHECK(coordinator.OnElection(1).ok()); });
  blocking.AwaitScanning();

  JoinSlot j;
  JoinGroupRequest r = f.JoinRequest(loading_group);
  coordinator.JoinGroup(r, j.Callback());
  REQUIRE(j.ready());
  CHECK(j.get().error_code == ErrorCode::kCoordinatorLoadInProgress);
  CHECK(coordinator.OffsetFetch({loading_group, std::nullopt, false}).error_code ==
        ErrorCode::kCoordinatorLoadInProgress);
  CHECK(coordinator.Heartbeat({loading_group, 1, "m", std::nullopt}).error_code == ErrorCode::kNone);
  CHECK(coordinator.ListGroups({}).error_code == ErrorCode::kCoordinatorLoadInProgress);
  JoinSlot other;
  coordinator.JoinGroup(f.JoinRequest(other_group), other.Callback());
  REQUIRE(other.ready());
  CHECK(other.get().error_code == ErrorCode::kNotCoordinator);
  OffsetCommitRequest commit;
  commit.group_id = other_group;
  commit.topics = {{"t", {{0, 1, -1, std::nullopt}}}};
  CHECK(coordinator.OffsetCommit(commit).topics[0].partitions[0].error_code ==
        ErrorCode::kNotCoordinator);
  CHECK(coordinator.DescribeGroups({other_group}).groups[0].error_code == ErrorCode::kNotCoordinator);

  blocking.Release();
  election.join();
  CHECK(coordinator.ListGroups({}).error_code == ErrorCode::kNone);
  JoinSlot joined;
  coordinator.JoinGroup(r, joined.Callback());
  CHECK(!joined.ready());  // waiting out the initial delay

  // Resignation: the pending JoinGroup is answered NOT_COORDINATOR.
  coordinator.OnResignation(1);
  REQUIRE(joined.ready());
  CHECK(joined.get().error_code == ErrorCode::kNotCoordinator);
  CHECK(coordinator.OffsetFetch({loading_group, std::nullopt, false}).error_code ==
        ErrorCode::kNotCoordinator);
  f.clock.Advance(absl::Seconds(10));
  coordinator.AwaitTimers();
  CHECK(joined.calls() == 1);
}

TEST_CASE("a failed group-metadata write fails the SyncGroup and rebalances", "[groups]") {
  Fixture f;
  JoinSlot a = f.Join(f.JoinRequest("g"));
  f.AwaitJoins({&a});
  // The partition's log goes away (the broker lost leadership).
  f.store.RemovePartition(f.coordinator->PartitionFor("g"));
  SyncSlot s = f.Sync("g", a.get(), {{a.get().member_id, "x"}});
  REQUIRE(s.ready());
  CHECK(s.get().error_code == ErrorCode::kNotCoordinator);
  CHECK(f.Describe("g").group_state == "PreparingRebalance");
  CHECK(f.CommitError("g", 1, a.get().member_id, "t", 0, 1) == ErrorCode::kNotCoordinator);
}

TEST_CASE("JoinGroup callbacks run exactly once, outside the coordinator lock",
          "[groups][concurrency]") {
  Fixture f;
  // A callback that calls back into the coordinator would deadlock if it
  // ran under the lock.
  std::atomic<int> nested{0};
  JoinGroupRequest r = f.JoinRequest("g");
  f.coordinator->JoinGroup(r, [&](JoinGroupResponse resp) {
    f.coordinator->DescribeGroups({"g"});
    nested += resp.error_code == ErrorCode::kNone;
  });
  f.Advance(absl::Milliseconds(3000));
  CHECK(nested == 1);
}

TEST_CASE("eight threads join, heartbeat and commit concurrently", "[groups][concurrency]") {
  Fixture f(/*start=*/false);
  f.config.group_initial_rebalance_delay_ms = 0;
  f.Start();
  constexpr int kThreads = 8;
  constexpr int kRounds = 40;
  std::atomic<int> commits{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string group = t % 2 == 0 ? "even" : "odd";
      std::string member_id;
      JoinGroupResponse joined;
      bool in_group = false;
      for (int round = 0; round < kRounds && !failed; ++round) {
        if (!in_group) {
          JoinGroupRequest r = f.JoinRequest(group, member_id);
          JoinSlot j;
          f.coordinator->JoinGroup(r, j.Callback());
          std::optional<JoinGroupResponse> resp = j.WaitFor(std::chrono::seconds(20));
          if (!resp) {
            failed = true;
            break;
          }
          if (resp->error_code != ErrorCode::kNone) {
            if (resp->error_code == ErrorCode::kUnknownMemberId) member_id.clear();
            continue;
          }
          joined = *resp;
          member_id = joined.member_id;
          std::vector<SyncGroupAssignment> assignments;
          for (const auto& m : joined.members) assignments.push_back({m.member_id, "p"});
          SyncSlot s;
          SyncGroupRequest sr{group, joined.generation_id, member_id, std::nullopt,
                              std::nullopt, std::nullopt, assignments};
          f.coordinator->SyncGroup(sr, s.Callback());
          std::optional<SyncGroupResponse> sresp = s.WaitFor(std::chrono::seconds(20));
          if (!sresp) {
            failed = true;
            break;
          }
          in_group = sresp->error_code == ErrorCode::kNone;
          continue;
        }
        const ErrorCode hb = f.Heartbeat(group, joined);
        if (hb != ErrorCode::kNone) {
          in_group = false;
          continue;
        }
        const ErrorCode c = f.CommitError(group, joined.generation_id, member_id,
                                          "topic-" + std::to_string(t), 0, round);
        if (c == ErrorCode::kNone) {
          commits++;
        } else {
          in_group = false;
        }
        f.coordinator->OffsetFetch({group, std::nullopt, false});
        f.coordinator->DescribeGroups({group});
      }
      if (!member_id.empty()) f.coordinator->LeaveGroup({group, {{member_id, {}, {}}}});
    });
  }
  for (auto& th : threads) th.join();
  CHECK(!failed);
  CHECK(commits > 0);
  // Everyone left: both groups are empty, and their offsets are intact.
  CHECK(f.Describe("even").group_state == "Empty");
  CHECK(f.Describe("odd").group_state == "Empty");
}

}  // namespace
}  // namespace samsa::group
