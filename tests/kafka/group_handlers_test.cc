// The consumer-group API handlers (FindCoordinator, JoinGroup, SyncGroup,
// Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups,
// ListGroups, DeleteGroups) called without sockets at the versions real
// clients send: kafka-python 2.0.2, librdkafka 2.0.2 and the Java client 3.x.
// Expected values come from Kafka's schemas and documented semantics.
//
// The broker runs on a ManualClock with group.initial.rebalance.delay.ms=0:
// a first join completes when the coordinator's timer (due at once) runs,
// which the tests wait for with AwaitTimers(); no time passes.
#include <chrono>
#include <future>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "broker/broker_test_util.h"
#include "broker/group/offsets_records.h"
#include "kafka/handler_test_util.h"
#include "kafka/messages/messages.h"
#include "kafka/server/server_context.h"

namespace samsa::kafka {
namespace {

using kafka::testing::Call;
using kafka::testing::DecodeResponseFrame;
using kafka::testing::StartCall;

constexpr int32_t kBrokerId = 3;
constexpr int16_t kMemberIdRequired = 79;
constexpr int16_t kRebalanceInProgress = 27;
constexpr int16_t kIllegalGeneration = 22;
constexpr int16_t kUnknownMemberId = 25;
constexpr int16_t kNonEmptyGroup = 68;
constexpr int16_t kGroupIdNotFound = 69;
constexpr int16_t kInconsistentGroupProtocol = 23;
constexpr int16_t kCoordinatorNotAvailable = 15;
constexpr int16_t kInvalidRequest = 42;

struct GroupServer {
  samsa::testing::BrokerFixture broker;
  std::unique_ptr<SingleBrokerContext> server;

  GroupServer() {
    broker.config.broker_id = kBrokerId;
    broker.config.group_initial_rebalance_delay_ms = 0;
    broker.config.offsets_topic_replication_factor = 1;
    broker.Open();
    NewTopic orders;
    orders.name = "orders";
    orders.num_partitions = 2;
    REQUIRE(broker.impl().CreateTopic(orders).ok());
    server = std::make_unique<SingleBrokerContext>(&broker.impl(), "cluster-1");
    server->SetEndpoint("PLAINTEXT", "broker-3.example", 19092);
  }

  ServerContext* ctx() { return server.get(); }

  group::GroupCoordinator* coordinator() {
    absl::StatusOr<group::GroupCoordinator*> g = broker.impl().Groups();
    REQUIRE(g.ok());
    return *g;
  }

  template <typename Response, typename Request>
  Response Ok(const Request& request, int16_t version) {
    absl::StatusOr<Response> r = Call<Response>(server.get(), request, version);
    INFO(Request::kName << " v" << version << ": " << r.status().ToString());
    REQUIRE(r.ok());
    return *std::move(r);
  }

  // Starts a JoinGroup, lets the coordinator's due timers run, and returns
  // the answer (which a join waiting for other members does not have yet).
  std::future<HandlerResponse> StartJoin(const JoinGroupRequest& request, int16_t version) {
    std::future<HandlerResponse> f = StartCall(server.get(), request, version);
    coordinator()->AwaitTimers();
    return f;
  }

  template <typename Response>
  Response Await(std::future<HandlerResponse>& f, int16_t version) {
    REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    absl::StatusOr<Response> r = DecodeResponseFrame<Response>(f.get(), version);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    return *std::move(r);
  }

  JoinGroupResponse Join(const JoinGroupRequest& request, int16_t version) {
    std::future<HandlerResponse> f = StartJoin(request, version);
    return Await<JoinGroupResponse>(f, version);
  }
};

JoinGroupRequest MakeJoin(const std::string& group, const std::string& member_id, int16_t version) {
  JoinGroupRequest j;
  j.group_id = group;
  j.session_timeout_ms = 10000;
  if (version >= 1) j.rebalance_timeout_ms = 30000;
  j.member_id = member_id;
  j.protocol_type = "consumer";
  // Opaque to the broker (a ConsumerProtocolSubscription in a real client).
  j.protocols.push_back({"range", std::string("\x00\x01", 2) + "subscription-in-" + group, {}});
  if (version >= 8) j.reason = "test join";
  return j;
}

SyncGroupRequest MakeSync(const std::string& group, int32_t generation,
                          const std::string& member_id, int16_t version) {
  SyncGroupRequest s;
  s.group_id = group;
  s.generation_id = generation;
  s.member_id = member_id;
  if (version >= 5) {
    s.protocol_type = "consumer";
    s.protocol_name = "range";
  }
  return s;
}

HeartbeatRequest MakeHeartbeat(const std::string& group, int32_t generation,
                               const std::string& member_id) {
  HeartbeatRequest h;
  h.group_id = group;
  h.generation_id = generation;
  h.member_id = member_id;
  return h;
}

OffsetCommitRequest MakeCommit(const std::string& group, int32_t generation,
                               const std::string& member_id, int32_t partition, int64_t offset,
                               int16_t version) {
  OffsetCommitRequest c;
  c.group_id = group;
  if (version >= 1) {
    c.generation_id_or_member_epoch = generation;
    c.member_id = member_id;
  }
  OffsetCommitRequest::OffsetCommitRequestTopic t;
  t.name = "orders";
  OffsetCommitRequest::OffsetCommitRequestPartition p;
  p.partition_index = partition;
  p.committed_offset = offset;
  if (version >= 6) p.committed_leader_epoch = 4;
  p.committed_metadata = "meta-" + std::to_string(offset);
  t.partitions.push_back(p);
  c.topics.push_back(t);
  return c;
}

OffsetFetchRequest MakeFetch(const std::string& group, std::vector<int32_t> partitions) {
  OffsetFetchRequest f;
  f.group_id = group;
  f.topics = std::vector<OffsetFetchRequest::OffsetFetchRequestTopic>{
      {"orders", std::move(partitions), {}}};
  return f;
}

// The single error of a one-partition OffsetCommit response.
int16_t CommitError(const OffsetCommitResponse& r) {
  REQUIRE(r.topics.size() == 1);
  REQUIRE(r.topics[0].name == "orders");
  REQUIRE(r.topics[0].partitions.size() == 1);
  return r.topics[0].partitions[0].error_code;
}

// A single member's whole life at one set of client versions.
struct ClientVersions {
  int16_t join, sync, heartbeat, leave, commit, fetch;
};

void RunSingleMember(GroupServer& s, const std::string& group, ClientVersions v) {
  // JoinGroup: v4+ from a new dynamic member first asks for a member id.
  std::string member_id;
  if (v.join >= 4) {
    const JoinGroupResponse first = s.Join(MakeJoin(group, "", v.join), v.join);
    CHECK(first.error_code == kMemberIdRequired);
    CHECK(first.member_id.rfind("test-client-", 0) == 0);  // client id + "-" + UUID, as Kafka
    CHECK(first.generation_id == -1);
    member_id = first.member_id;
  }
  const JoinGroupResponse joined = s.Join(MakeJoin(group, member_id, v.join), v.join);
  REQUIRE(joined.error_code == 0);
  if (v.join >= 4) {
    CHECK(joined.member_id == member_id);
  } else {
    CHECK(joined.member_id.rfind("test-client-", 0) == 0);
    member_id = joined.member_id;
  }
  CHECK(joined.generation_id == 1);
  CHECK(joined.protocol_name == std::optional<std::string>("range"));
  if (v.join >= 7) CHECK(joined.protocol_type == std::optional<std::string>("consumer"));
  CHECK(joined.leader == member_id);
  REQUIRE(joined.members.size() == 1);
  CHECK(joined.members[0].member_id == member_id);
  CHECK(joined.members[0].metadata == MakeJoin(group, "", v.join).protocols[0].metadata);

  // SyncGroup as the leader.
  SyncGroupRequest sync = MakeSync(group, joined.generation_id, member_id, v.sync);
  sync.assignments.push_back({member_id, std::string("\x00\x01orders-0-1", 13), {}});
  std::future<HandlerResponse> sf = StartCall(s.ctx(), sync, v.sync);
  const SyncGroupResponse synced = s.Await<SyncGroupResponse>(sf, v.sync);
  CHECK(synced.error_code == 0);
  CHECK(synced.assignment == std::string("\x00\x01orders-0-1", 13));
  if (v.sync >= 5) {
    CHECK(synced.protocol_type == std::optional<std::string>("consumer"));
    CHECK(synced.protocol_name == std::optional<std::string>("range"));
  }

  CHECK(s.Ok<HeartbeatResponse>(MakeHeartbeat(group, 1, member_id), v.heartbeat).error_code == 0);

  // OffsetCommit, then OffsetFetch returns it; partition 1 has no offset.
  CHECK(CommitError(s.Ok<OffsetCommitResponse>(MakeCommit(group, 1, member_id, 0, 42, v.commit),
                                               v.commit)) == 0);
  OffsetFetchResponse fetched;
  if (v.fetch >= 8) {
    OffsetFetchRequest f;
    f.groups.push_back(
        {group,
         std::nullopt,
         -1,
         std::vector<OffsetFetchRequest::OffsetFetchRequestTopics>{{"orders", {0, 1}, {}}},
         {}});
    const OffsetFetchResponse r = s.Ok<OffsetFetchResponse>(f, v.fetch);
    REQUIRE(r.groups.size() == 1);
    CHECK(r.groups[0].group_id == group);
    CHECK(r.groups[0].error_code == 0);
    REQUIRE(r.groups[0].topics.size() == 1);
    REQUIRE(r.groups[0].topics[0].partitions.size() == 2);
    const auto& p0 = r.groups[0].topics[0].partitions[0];
    const auto& p1 = r.groups[0].topics[0].partitions[1];
    CHECK(p0.partition_index == 0);
    CHECK(p0.committed_offset == 42);
    CHECK(p0.committed_leader_epoch == 4);
    CHECK(p0.metadata == std::optional<std::string>("meta-42"));
    CHECK(p0.error_code == 0);
    CHECK(p1.partition_index == 1);
    CHECK(p1.committed_offset == -1);
    CHECK(p1.metadata == std::optional<std::string>(""));
    CHECK(p1.error_code == 0);
  } else {
    fetched = s.Ok<OffsetFetchResponse>(MakeFetch(group, {0, 1}), v.fetch);
    CHECK(fetched.error_code == 0);
    REQUIRE(fetched.topics.size() == 1);
    CHECK(fetched.topics[0].name == "orders");
    REQUIRE(fetched.topics[0].partitions.size() == 2);
    const auto& p0 = fetched.topics[0].partitions[0];
    const auto& p1 = fetched.topics[0].partitions[1];
    CHECK(p0.partition_index == 0);
    CHECK(p0.committed_offset == 42);
    // The leader epoch travels from OffsetCommit v6 and OffsetFetch v5.
    CHECK(p0.committed_leader_epoch == (v.commit >= 6 && v.fetch >= 5 ? 4 : -1));
    CHECK(p0.metadata == std::optional<std::string>("meta-42"));
    CHECK(p0.error_code == 0);
    CHECK(p1.partition_index == 1);
    CHECK(p1.committed_offset == -1);
    CHECK(p1.metadata == std::optional<std::string>(""));
    CHECK(p1.error_code == 0);
  }

  // LeaveGroup: the group goes empty (its offsets stay).
  if (v.leave >= 3) {
    LeaveGroupRequest l;
    l.group_id = group;
    l.members.push_back({member_id,
                         std::nullopt,
                         v.leave >= 5 ? std::optional<std::string>("done") : std::nullopt,
                         {}});
    const LeaveGroupResponse left = s.Ok<LeaveGroupResponse>(l, v.leave);
    CHECK(left.error_code == 0);
    REQUIRE(left.members.size() == 1);
    CHECK(left.members[0].member_id == member_id);
    CHECK(left.members[0].error_code == 0);
  } else {
    LeaveGroupRequest l;
    l.group_id = group;
    l.member_id = member_id;
    CHECK(s.Ok<LeaveGroupResponse>(l, v.leave).error_code == 0);
  }
  s.coordinator()->AwaitTimers();
  DescribeGroupsRequest d;
  d.groups = {group};
  const DescribeGroupsResponse described = s.Ok<DescribeGroupsResponse>(d, 0);
  REQUIRE(described.groups.size() == 1);
  CHECK(described.groups[0].group_state == "Empty");
  CHECK(described.groups[0].members.empty());
  // A heartbeat from the member that left: no longer known.
  CHECK(s.Ok<HeartbeatResponse>(MakeHeartbeat(group, 1, member_id), v.heartbeat).error_code ==
        kUnknownMemberId);
}

TEST_CASE("FindCoordinator names this broker as a group's coordinator at v0, v2 and v4",
          "[kafka][handlers][group]") {
  GroupServer s;
  FindCoordinatorRequest v0;
  v0.key = "my-group";
  const FindCoordinatorResponse r0 = s.Ok<FindCoordinatorResponse>(v0, 0);
  CHECK(r0.error_code == 0);
  CHECK(r0.node_id == kBrokerId);
  CHECK(r0.host == "broker-3.example");
  CHECK(r0.port == 19092);

  FindCoordinatorRequest v2;
  v2.key = "my-group";
  v2.key_type = 0;
  const FindCoordinatorResponse r2 = s.Ok<FindCoordinatorResponse>(v2, 2);
  CHECK(r2.error_code == 0);
  CHECK(r2.error_message == std::optional<std::string>("NONE"));  // Kafka's Errors.NONE.message()
  CHECK(r2.node_id == kBrokerId);
  CHECK(r2.host == "broker-3.example");
  CHECK(r2.port == 19092);

  FindCoordinatorRequest v4;
  v4.key_type = 0;
  v4.coordinator_keys = {"group-a", "group-b"};
  const FindCoordinatorResponse r4 = s.Ok<FindCoordinatorResponse>(v4, 4);
  REQUIRE(r4.coordinators.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(r4.coordinators[i].key == v4.coordinator_keys[i]);
    CHECK(r4.coordinators[i].error_code == 0);
    CHECK(r4.coordinators[i].node_id == kBrokerId);
    CHECK(r4.coordinators[i].host == "broker-3.example");
    CHECK(r4.coordinators[i].port == 19092);
  }

  // Kafka creates __consumer_offsets for the first FindCoordinator.
  absl::StatusOr<TopicDescription> offsets = s.broker.impl().DescribeTopic(group::kOffsetsTopic);
  REQUIRE(offsets.ok());
  CHECK(offsets->partitions.size() == 50);  // offsets.topic.num.partitions
}

TEST_CASE("FindCoordinator for a transaction has no coordinator, an unknown key type is invalid",
          "[kafka][handlers][group]") {
  GroupServer s;
  FindCoordinatorRequest txn;
  txn.key = "my-transactional-id";
  txn.key_type = 1;
  const FindCoordinatorResponse r = s.Ok<FindCoordinatorResponse>(txn, 2);
  CHECK(r.error_code == kCoordinatorNotAvailable);
  CHECK(r.node_id == -1);
  CHECK(r.host.empty());
  CHECK(r.port == -1);

  FindCoordinatorRequest bad;
  bad.key_type = 7;
  bad.coordinator_keys = {"x"};
  const FindCoordinatorResponse rb = s.Ok<FindCoordinatorResponse>(bad, 4);
  REQUIRE(rb.coordinators.size() == 1);
  CHECK(rb.coordinators[0].error_code == kInvalidRequest);
  CHECK(rb.coordinators[0].node_id == -1);
}

TEST_CASE("a consumer at librdkafka 2.0.2's versions joins, syncs, commits, fetches and leaves",
          "[kafka][handlers][group]") {
  GroupServer s;
  RunSingleMember(s, "rdkafka-group",
                  {/*join=*/5, /*sync=*/3, /*heartbeat=*/3, /*leave=*/1, /*commit=*/7,
                   /*fetch=*/7});
}

TEST_CASE("a consumer at kafka-python 2.0.2's versions joins without MEMBER_ID_REQUIRED",
          "[kafka][handlers][group]") {
  GroupServer s;
  RunSingleMember(s, "python-group",
                  {/*join=*/2, /*sync=*/1, /*heartbeat=*/1, /*leave=*/1, /*commit=*/2,
                   /*fetch=*/1});
}

TEST_CASE(
    "a consumer at the newest versions (Java client 3.x) joins, syncs, commits, fetches and leaves",
    "[kafka][handlers][group]") {
  GroupServer s;
  RunSingleMember(s, "java-group",
                  {/*join=*/9, /*sync=*/5, /*heartbeat=*/4, /*leave=*/5, /*commit=*/9,
                   /*fetch=*/8});
}

TEST_CASE("a second member's join makes the first rebalance, the group then describes both",
          "[kafka][handlers][group]") {
  GroupServer s;
  const std::string group = "two-members";
  // Member A joins and syncs: Stable, generation 1.
  const std::string a = s.Join(MakeJoin(group, "", 5), 5).member_id;
  const JoinGroupResponse a1 = s.Join(MakeJoin(group, a, 5), 5);
  REQUIRE(a1.error_code == 0);
  REQUIRE(a1.generation_id == 1);
  SyncGroupRequest sync_a = MakeSync(group, 1, a, 3);
  sync_a.assignments.push_back({a, "all-of-it", {}});
  std::future<HandlerResponse> fa = StartCall(s.ctx(), sync_a, 3);
  REQUIRE(s.Await<SyncGroupResponse>(fa, 3).error_code == 0);

  // Member B joins: the group prepares a rebalance; B waits for A.
  const std::string b = s.Join(MakeJoin(group, "", 5), 5).member_id;
  REQUIRE(!b.empty());
  std::future<HandlerResponse> b_join = s.StartJoin(MakeJoin(group, b, 5), 5);
  CHECK(b_join.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout);
  CHECK(s.Ok<HeartbeatResponse>(MakeHeartbeat(group, 1, a), 3).error_code == kRebalanceInProgress);

  // A rejoins: generation 2 with both; A stays leader and gets the members.
  const JoinGroupResponse a2 = s.Join(MakeJoin(group, a, 5), 5);
  const JoinGroupResponse b2 = s.Await<JoinGroupResponse>(b_join, 5);
  REQUIRE(a2.error_code == 0);
  REQUIRE(b2.error_code == 0);
  CHECK(a2.generation_id == 2);
  CHECK(b2.generation_id == 2);
  CHECK(a2.leader == a);
  CHECK(b2.leader == a);
  CHECK(a2.members.size() == 2);
  CHECK(b2.members.empty());  // only the leader gets the members

  // A commit from the old generation is refused.
  CHECK(CommitError(s.Ok<OffsetCommitResponse>(MakeCommit(group, 1, a, 0, 5, 7), 7)) ==
        kIllegalGeneration);
  // So is one from a member the group does not know.
  CHECK(CommitError(s.Ok<OffsetCommitResponse>(MakeCommit(group, 2, "stranger", 0, 5, 7), 7)) ==
        kUnknownMemberId);

  // B syncs first (waits for the leader), then A brings the assignment.
  std::future<HandlerResponse> fb = StartCall(s.ctx(), MakeSync(group, 2, b, 3), 3);
  SyncGroupRequest sync_a2 = MakeSync(group, 2, a, 3);
  sync_a2.assignments.push_back({a, "orders-0", {}});
  sync_a2.assignments.push_back({b, "orders-1", {}});
  std::future<HandlerResponse> fa2 = StartCall(s.ctx(), sync_a2, 3);
  CHECK(s.Await<SyncGroupResponse>(fa2, 3).assignment == "orders-0");
  const SyncGroupResponse sb = s.Await<SyncGroupResponse>(fb, 3);
  CHECK(sb.error_code == 0);
  CHECK(sb.assignment == "orders-1");
  CHECK(s.Ok<HeartbeatResponse>(MakeHeartbeat(group, 2, a), 3).error_code == 0);
  CHECK(CommitError(s.Ok<OffsetCommitResponse>(MakeCommit(group, 2, b, 1, 9, 7), 7)) == 0);

  // DescribeGroups v5: Stable, the protocol, both members with their client
  // id / host, metadata and assignment; an unknown group is Dead, error 0.
  DescribeGroupsRequest d;
  d.groups = {group, "no-such-group"};
  const DescribeGroupsResponse described = s.Ok<DescribeGroupsResponse>(d, 5);
  REQUIRE(described.groups.size() == 2);
  const auto& g = described.groups[0];
  CHECK(g.error_code == 0);
  CHECK(g.group_id == group);
  CHECK(g.group_state == "Stable");
  CHECK(g.protocol_type == "consumer");
  CHECK(g.protocol_data == "range");
  CHECK(g.authorized_operations == std::numeric_limits<int32_t>::min());
  REQUIRE(g.members.size() == 2);
  for (const auto& m : g.members) {
    CHECK(m.client_id == "test-client");
    CHECK(m.client_host == "/127.0.0.1");
    CHECK(m.group_instance_id == std::nullopt);
    CHECK(m.member_metadata == MakeJoin(group, "", 5).protocols[0].metadata);
    if (m.member_id == a) {
      CHECK(m.member_assignment == "orders-0");
    } else {
      CHECK(m.member_id == b);
      CHECK(m.member_assignment == "orders-1");
    }
  }
  CHECK(described.groups[1].error_code == 0);
  CHECK(described.groups[1].group_id == "no-such-group");
  CHECK(described.groups[1].group_state == "Dead");
  CHECK(described.groups[1].members.empty());

  // include_authorized_operations: without an authorizer Kafka grants every
  // group operation: READ (3), DELETE (6), DESCRIBE (8).
  d.groups = {group};
  d.include_authorized_operations = true;
  CHECK(s.Ok<DescribeGroupsResponse>(d, 3).groups.at(0).authorized_operations ==
        ((1 << 3) | (1 << 6) | (1 << 8)));

  // ListGroups: v0 lists it; v4 filters by state (case-insensitive) and
  // answers the state; v5 answers the type "classic".
  const ListGroupsResponse all = s.Ok<ListGroupsResponse>(ListGroupsRequest{}, 0);
  CHECK(all.error_code == 0);
  REQUIRE(all.groups.size() == 1);
  CHECK(all.groups[0].group_id == group);
  CHECK(all.groups[0].protocol_type == "consumer");
  ListGroupsRequest stable;
  stable.states_filter = {"stable"};
  const ListGroupsResponse listed = s.Ok<ListGroupsResponse>(stable, 4);
  REQUIRE(listed.groups.size() == 1);
  CHECK(listed.groups[0].group_state == "Stable");
  ListGroupsRequest empty;
  empty.states_filter = {"Empty"};
  CHECK(s.Ok<ListGroupsResponse>(empty, 4).groups.empty());
  ListGroupsRequest consumer_type;
  consumer_type.types_filter = {"consumer"};
  CHECK(s.Ok<ListGroupsResponse>(consumer_type, 5).groups.empty());
  const ListGroupsResponse v5 = s.Ok<ListGroupsResponse>(ListGroupsRequest{}, 5);
  REQUIRE(v5.groups.size() == 1);
  CHECK(v5.groups[0].group_type == "classic");

  // A group with members cannot be deleted.
  DeleteGroupsRequest del;
  del.groups_names = {group};
  const DeleteGroupsResponse deleted = s.Ok<DeleteGroupsResponse>(del, 1);
  REQUIRE(deleted.results.size() == 1);
  CHECK(deleted.results[0].group_id == group);
  CHECK(deleted.results[0].error_code == kNonEmptyGroup);
}

TEST_CASE(
    "a static member (group.instance.id) joins without MEMBER_ID_REQUIRED and leaves by instance "
    "id",
    "[kafka][handlers][group]") {
  GroupServer s;
  JoinGroupRequest join = MakeJoin("static", "", 5);
  join.group_instance_id = "instance-1";
  const JoinGroupResponse joined = s.Join(join, 5);
  REQUIRE(joined.error_code == 0);
  CHECK(joined.member_id.rfind("instance-1-", 0) == 0);  // instance id + "-" + UUID, as Kafka
  REQUIRE(joined.members.size() == 1);
  CHECK(joined.members[0].group_instance_id == std::optional<std::string>("instance-1"));

  SyncGroupRequest sync = MakeSync("static", joined.generation_id, joined.member_id, 3);
  sync.group_instance_id = "instance-1";
  sync.assignments.push_back({joined.member_id, "a", {}});
  std::future<HandlerResponse> f = StartCall(s.ctx(), sync, 3);
  REQUIRE(s.Await<SyncGroupResponse>(f, 3).error_code == 0);

  DescribeGroupsRequest d;
  d.groups = {"static"};
  const DescribeGroupsResponse described = s.Ok<DescribeGroupsResponse>(d, 4);
  REQUIRE(described.groups.at(0).members.size() == 1);
  CHECK(described.groups[0].members[0].group_instance_id ==
        std::optional<std::string>("instance-1"));

  // Another member id claiming the same instance id is fenced.
  HeartbeatRequest impostor = MakeHeartbeat("static", joined.generation_id, "instance-1-other");
  impostor.group_instance_id = "instance-1";
  CHECK(s.Ok<HeartbeatResponse>(impostor, 3).error_code == 82);  // FENCED_INSTANCE_ID

  // An admin removes it by instance id alone (LeaveGroup v3+).
  LeaveGroupRequest leave;
  leave.group_id = "static";
  leave.members.push_back({"", std::optional<std::string>("instance-1"), std::nullopt, {}});
  const LeaveGroupResponse left = s.Ok<LeaveGroupResponse>(leave, 3);
  CHECK(left.error_code == 0);
  REQUIRE(left.members.size() == 1);
  CHECK(left.members[0].member_id.empty());
  CHECK(left.members[0].group_instance_id == std::optional<std::string>("instance-1"));
  CHECK(left.members[0].error_code == 0);
  CHECK(s.Ok<DescribeGroupsResponse>(d, 4).groups.at(0).members.empty());
}

TEST_CASE(
    "a static leader rejoining a Stable group skips the assignment from JoinGroup v9 (KIP-814)",
    "[kafka][handlers][group]") {
  GroupServer s;
  JoinGroupRequest join = MakeJoin("static-leader", "", 9);
  join.group_instance_id = "leader-instance";
  const JoinGroupResponse first = s.Join(join, 9);
  REQUIRE(first.error_code == 0);
  REQUIRE(first.leader == first.member_id);
  SyncGroupRequest sync = MakeSync("static-leader", first.generation_id, first.member_id, 5);
  sync.group_instance_id = "leader-instance";
  sync.assignments.push_back({first.member_id, "a", {}});
  std::future<HandlerResponse> f = StartCall(s.ctx(), sync, 5);
  REQUIRE(s.Await<SyncGroupResponse>(f, 5).error_code == 0);

  // v9: a new member id, no rebalance, told it leads, with the members,
  // and to skip the assignor.
  const JoinGroupResponse v9 = s.Join(join, 9);
  REQUIRE(v9.error_code == 0);
  CHECK(v9.member_id != first.member_id);
  CHECK(v9.generation_id == first.generation_id);
  CHECK(v9.leader == v9.member_id);
  CHECK(v9.skip_assignment);
  REQUIRE(v9.members.size() == 1);
  CHECK(v9.members[0].member_id == v9.member_id);

  // v5: the old leader id and no members, so the client does not assign.
  const JoinGroupResponse v5 = s.Join(join, 5);
  REQUIRE(v5.error_code == 0);
  CHECK(v5.member_id != v9.member_id);
  CHECK(v5.generation_id == first.generation_id);
  CHECK(v5.leader == v9.member_id);
  CHECK(v5.members.empty());
}

TEST_CASE("SyncGroup v5 without the protocol type and name is an inconsistent protocol",
          "[kafka][handlers][group]") {
  GroupServer s;
  const std::string m = s.Join(MakeJoin("g5", "", 9), 9).member_id;
  REQUIRE(s.Join(MakeJoin("g5", m, 9), 9).error_code == 0);
  SyncGroupRequest sync = MakeSync("g5", 1, m, 5);
  sync.protocol_name = std::nullopt;
  std::future<HandlerResponse> f = StartCall(s.ctx(), sync, 5);
  CHECK(s.Await<SyncGroupResponse>(f, 5).error_code == kInconsistentGroupProtocol);
  SyncGroupRequest wrong = MakeSync("g5", 1, m, 5);
  wrong.protocol_name = "roundrobin";
  std::future<HandlerResponse> fw = StartCall(s.ctx(), wrong, 5);
  CHECK(s.Await<SyncGroupResponse>(fw, 5).error_code == kInconsistentGroupProtocol);
}

TEST_CASE("LeaveGroup v3+ answers each member, v0-2 answer the member's error at the top level",
          "[kafka][handlers][group]") {
  GroupServer s;
  const std::string m = s.Join(MakeJoin("leavers", "", 9), 9).member_id;
  REQUIRE(s.Join(MakeJoin("leavers", m, 9), 9).error_code == 0);
  LeaveGroupRequest batch;
  batch.group_id = "leavers";
  batch.members.push_back({m, std::nullopt, std::optional<std::string>("bye"), {}});
  batch.members.push_back({"nobody", std::nullopt, std::nullopt, {}});
  const LeaveGroupResponse r = s.Ok<LeaveGroupResponse>(batch, 5);
  CHECK(r.error_code == 0);
  REQUIRE(r.members.size() == 2);
  CHECK(r.members[0].member_id == m);
  CHECK(r.members[0].error_code == 0);
  CHECK(r.members[1].member_id == "nobody");
  CHECK(r.members[1].error_code == kUnknownMemberId);

  LeaveGroupRequest one;
  one.group_id = "leavers";
  one.member_id = "nobody";
  CHECK(s.Ok<LeaveGroupResponse>(one, 0).error_code == kUnknownMemberId);
}

TEST_CASE("DeleteGroups removes an empty group and its offsets", "[kafka][handlers][group]") {
  GroupServer s;
  // A consumer outside any group commits (generation -1, no member id).
  CHECK(CommitError(s.Ok<OffsetCommitResponse>(MakeCommit("standalone", -1, "", 0, 77, 2), 2)) ==
        0);
  OffsetFetchRequest all;
  all.group_id = "standalone";
  all.topics = std::nullopt;  // v2+: every partition with an offset
  const OffsetFetchResponse before = s.Ok<OffsetFetchResponse>(all, 3);
  REQUIRE(before.topics.size() == 1);
  REQUIRE(before.topics[0].partitions.size() == 1);
  CHECK(before.topics[0].partitions[0].partition_index == 0);
  CHECK(before.topics[0].partitions[0].committed_offset == 77);

  DeleteGroupsRequest del;
  del.groups_names = {"standalone", "never-existed"};
  const DeleteGroupsResponse deleted = s.Ok<DeleteGroupsResponse>(del, 2);
  REQUIRE(deleted.results.size() == 2);
  CHECK(deleted.results[0].group_id == "standalone");
  CHECK(deleted.results[0].error_code == 0);
  CHECK(deleted.results[1].group_id == "never-existed");
  CHECK(deleted.results[1].error_code == kGroupIdNotFound);

  CHECK(s.Ok<OffsetFetchResponse>(all, 3).topics.empty());
  const OffsetFetchResponse listed = s.Ok<OffsetFetchResponse>(MakeFetch("standalone", {0}), 1);
  REQUIRE(listed.topics.size() == 1);
  REQUIRE(listed.topics[0].partitions.size() == 1);
  CHECK(listed.topics[0].partitions[0].committed_offset == -1);
  CHECK(listed.topics[0].partitions[0].error_code == 0);

  del.groups_names = {"standalone"};
  CHECK(s.Ok<DeleteGroupsResponse>(del, 0).results.at(0).error_code == kGroupIdNotFound);
}

TEST_CASE("OffsetFetch v8 answers several groups, each with its own offsets",
          "[kafka][handlers][group]") {
  GroupServer s;
  REQUIRE(CommitError(s.Ok<OffsetCommitResponse>(MakeCommit("g1", -1, "", 1, 11, 8), 8)) == 0);
  REQUIRE(CommitError(s.Ok<OffsetCommitResponse>(MakeCommit("g2", -1, "", 0, 22, 8), 8)) == 0);
  OffsetFetchRequest f;
  f.groups.push_back({"g1", std::nullopt, -1, std::nullopt, {}});  // every partition
  f.groups.push_back(
      {"g2",
       std::nullopt,
       -1,
       std::vector<OffsetFetchRequest::OffsetFetchRequestTopics>{{"orders", {0, 1}, {}}},
       {}});
  const OffsetFetchResponse r = s.Ok<OffsetFetchResponse>(f, 8);
  REQUIRE(r.groups.size() == 2);
  CHECK(r.groups[0].group_id == "g1");
  REQUIRE(r.groups[0].topics.size() == 1);
  REQUIRE(r.groups[0].topics[0].partitions.size() == 1);
  CHECK(r.groups[0].topics[0].partitions[0].partition_index == 1);
  CHECK(r.groups[0].topics[0].partitions[0].committed_offset == 11);
  CHECK(r.groups[1].group_id == "g2");
  REQUIRE(r.groups[1].topics.size() == 1);
  REQUIRE(r.groups[1].topics[0].partitions.size() == 2);
  CHECK(r.groups[1].topics[0].partitions[0].committed_offset == 22);
  CHECK(r.groups[1].topics[0].partitions[1].committed_offset == -1);
}

TEST_CASE(
    "requests for a group whose offsets partition this broker does not lead get NOT_COORDINATOR",
    "[kafka][handlers][group]") {
  constexpr int16_t kNotCoordinator = 16;
  GroupServer s;
  group::GroupCoordinator* c = s.coordinator();
  c->OnResignation(c->PartitionFor("elsewhere"));

  CHECK(s.Join(MakeJoin("elsewhere", "", 5), 5).error_code == kNotCoordinator);
  CHECK(s.Ok<HeartbeatResponse>(MakeHeartbeat("elsewhere", 1, "m"), 1).error_code ==
        kNotCoordinator);
  CHECK(CommitError(s.Ok<OffsetCommitResponse>(MakeCommit("elsewhere", -1, "", 0, 1, 2), 2)) ==
        kNotCoordinator);
  // OffsetFetch v2+: a top-level error and no topics.
  const OffsetFetchResponse v2 = s.Ok<OffsetFetchResponse>(MakeFetch("elsewhere", {0, 1}), 2);
  CHECK(v2.error_code == kNotCoordinator);
  CHECK(v2.topics.empty());
  // v0-1 have no top-level error: each requested partition carries it.
  const OffsetFetchResponse v1 = s.Ok<OffsetFetchResponse>(MakeFetch("elsewhere", {0, 1}), 1);
  REQUIRE(v1.topics.size() == 1);
  REQUIRE(v1.topics[0].partitions.size() == 2);
  for (const auto& p : v1.topics[0].partitions) {
    CHECK(p.committed_offset == -1);
    CHECK(p.metadata == std::optional<std::string>(""));
    CHECK(p.error_code == kNotCoordinator);
  }
  LeaveGroupRequest leave;
  leave.group_id = "elsewhere";
  leave.member_id = "m";
  CHECK(s.Ok<LeaveGroupResponse>(leave, 1).error_code == kNotCoordinator);
  DescribeGroupsRequest d;
  d.groups = {"elsewhere"};
  CHECK(s.Ok<DescribeGroupsResponse>(d, 1).groups.at(0).error_code == kNotCoordinator);
}

TEST_CASE("ListGroups on a fresh broker lists nothing and does not create __consumer_offsets",
          "[kafka][handlers][group]") {
  GroupServer s;
  const ListGroupsResponse r = s.Ok<ListGroupsResponse>(ListGroupsRequest{}, 4);
  CHECK(r.error_code == 0);
  CHECK(r.groups.empty());
  CHECK(!s.broker.impl().DescribeTopic(group::kOffsetsTopic).ok());
}

TEST_CASE("OffsetCommit to a partition that does not exist is UNKNOWN_TOPIC_OR_PARTITION",
          "[kafka][handlers][group]") {
  GroupServer s;
  CHECK(CommitError(s.Ok<OffsetCommitResponse>(MakeCommit("g", -1, "", 9, 1, 7), 7)) == 3);
}

TEST_CASE("the group APIs are advertised up to the versions they implement",
          "[kafka][handlers][group]") {
  struct Want {
    ApiKey key;
    int16_t max;
  };
  // The newest each client sends (Java 3.x), which must be accepted.
  for (const Want& w :
       {Want{ApiKey::kFindCoordinator, 4}, Want{ApiKey::kJoinGroup, 9}, Want{ApiKey::kSyncGroup, 5},
        Want{ApiKey::kHeartbeat, 4}, Want{ApiKey::kLeaveGroup, 5}, Want{ApiKey::kOffsetCommit, 9},
        Want{ApiKey::kOffsetFetch, 8}, Want{ApiKey::kDescribeGroups, 5},
        Want{ApiKey::kListGroups, 4}, Want{ApiKey::kDeleteGroups, 2}}) {
    const ApiHandler* h = FindHandler(w.key);
    REQUIRE(h != nullptr);
    CHECK(h->min_version == 0);
    CHECK(h->max_version >= w.max);
  }
}

}  // namespace
}  // namespace samsa::kafka
