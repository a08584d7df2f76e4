// samsa/testing/fake_kafka.h — a Kafka cluster in your test process, with
// fault injection, for testing Kafka clients (librdkafka, kafka-python,
// franz-go, samsa's own...) without a JVM.
//
//   auto kafka = samsa::testing::FakeKafka::Start({.num_brokers = 3});
//   if (!kafka.ok() || !(*kafka)->CreateTopic("orders", 6).ok()) ...;
//   // point the client under test at (*kafka)->BootstrapServers()
//   (*kafka)->PushRequestErrors(/*Produce*/ 0, std::vector<int16_t>{6 /* NOT_LEADER_OR_FOLLOWER */});
//   ... the client's next Produce gets NOT_LEADER_OR_FOLLOWER, it retries ...
//   auto records = (*kafka)->ReadAll("orders", 0);   // stored once
//
// What it is: a real samsa Cluster (include/samsa/cluster.h; memory storage
// unless `log_dir` is given) whose brokers each serve the Kafka wire
// protocol on 127.0.0.1 at a port the kernel picks. Start returns once every
// server accepts connections. Brokers are numbered 0..num_brokers-1.
//
// Fault controls (all take effect for requests decoded after the call):
// - PushRequestErrors: the next matching requests of an API get the given
//   error codes, in order (one pending error consumed per matching request).
//   Supported APIs: Produce (0), Fetch (1), ListOffsets (2), OffsetCommit
//   (8), OffsetFetch (9), FindCoordinator (10), JoinGroup (11), Heartbeat
//   (12), SyncGroup (14), InitProducerId (22) and Metadata (3); pushing for
//   another API is INVALID_REQUEST.
//   A scope limits which requests match: a broker, and/or a topic (with a
//   partition, or -1 for any) that the request must name — by name, or for
//   Fetch v13+ by the topic's id. The first pending error whose scope
//   matches is used; a Produce with acks=0 (no response) is never matched.
//   An error's delay is waited first: before the answer, and before the
//   served part (below) is served.
//   What a matched request gets:
//   - Scope without a topic: the request is not served; every partition of
//     the response (or the top-level error; OffsetFetch both, v8 each group)
//     carries the code. A Produce so answered appends nothing.
//   - Scope with a topic, on Produce, Fetch, ListOffsets, OffsetCommit or
//     OffsetFetch (v0-7 topics, v8 each group naming the partition): as
//     Kafka answers when one partition has a problem, only the scoped
//     partitions fail (the scope's partition, or for -1 every partition of
//     the topic) and carry the code, with the fields Kafka puts in an error
//     partition (Produce base_offset -1; Fetch high watermark, last stable
//     offset and log start offset -1, no records; ListOffsets offset and
//     timestamp -1; OffsetFetch offset -1). Every other partition is served
//     by the real handler as if the scoped ones had not been in the request
//     (a Produce appends their batches and nothing of the scoped ones; a
//     Fetch answers without waiting for data). The response keeps the
//     request's topic and partition order. A request- or group-level error
//     of the served part (a Fetch's, an OffsetFetch's) is answered as the
//     handler gave it.
//     An OffsetFetch group with topics null (every committed partition, as
//     an admin client's listConsumerGroupOffsets asks) names the partitions
//     the group has committed on that broker: it matches when one of them
//     is in the scope, is served whole, and those in the scope are answered
//     with the code (offset -1). A group with nothing committed there never
//     matches.
//   - Metadata without a topic scope: every topic the request names (all
//     topics for a null list) gets the error at topic level, with no
//     partitions, the brokers listed as usual.
//   - Metadata with a topic scope (partition -1; a scope naming one
//     partition never matches a Metadata request): the request is served,
//     and only the scoped topic is listed with the error and no partitions,
//     as Kafka lists a topic it cannot describe (librdkafka's mock:
//     rd_kafka_mock_topic_set_error). It matches a request naming the topic,
//     or a null list (every topic) while the topic exists; an empty list
//     (no topics) never matches.
// - Intercept: a callback sees each request of an API (ApiVersions
//   included) and passes it, answers it with a response body of your own,
//   delays it, or drops the connection.
// - RecordedRequests: every request received, in arrival order.
// - CapApiVersions / DisableApi: ApiVersions advertises the cap (or omits the
//   API); a request above the cap closes the connection, as Kafka does for a
//   version it does not serve.
// - BrokerDown / BrokerUp: a broker outage: its server stops (connections
//   closed, nothing listens) and the broker stops (its partitions go offline:
//   LEADER_NOT_AVAILABLE; other brokers' Metadata no longer lists it).
//   BrokerUp restarts the broker and its server on the SAME port, so clients
//   reconnect to the address they know.
// - SetRoundTripDelay: every request to a broker waits that long before it
//   is served.
// Order of checks per request: recording, round-trip delay, API cap,
// Intercept callbacks, pushed errors, then the real handler.
// - MovePartitionLeader: the partition (its one replica, with its data) moves
//   to a chosen broker (Cluster::ReassignPartition); the old leader answers
//   NOT_LEADER_OR_FOLLOWER, Metadata names the new one with the next epoch.
// - SetGroupCoordinator: a chosen broker becomes a group's coordinator; the
//   old one answers NOT_COORDINATOR, FindCoordinator names the new one, and
//   the group's committed offsets come along.
//
// Thread-safety: thread-safe; every method may be called from any thread
// while clients talk to the brokers. Intercept callbacks run on the server's
// network threads, one request at a time per connection, several
// connections at once; they must not call back into this FakeKafka's
// BrokerDown/BrokerUp or destroy it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "samsa/config.h"

namespace samsa {
class Cluster;
}  // namespace samsa

namespace samsa::testing {

struct FakeKafkaOptions {
  int32_t num_brokers = 1;
  // server.properties overrides applied to every broker (e.g.
  // {"num.partitions", "3"}); listeners, broker.id and log.dirs are the
  // fake's own and are ignored here.
  Properties broker_properties;
  // Defaults for tests (Kafka's own are 3000 and 3): a group rebalances at
  // once; the offsets topic is small.
  int32_t group_initial_rebalance_delay_ms = 0;  // group.initial.rebalance.delay.ms
  int32_t offsets_topic_num_partitions = 1;      // offsets.topic.num.partitions
  // "" keeps every log in memory (samsa.storage=memory); a directory keeps
  // them on disk under <log_dir>/broker-<id>.
  std::string log_dir;
};

// A record as stored.
struct FakeRecord {
  int64_t offset = -1;
  int64_t timestamp = -1;
  std::optional<std::string> key;
  std::optional<std::string> value;
};

// Which requests a pushed error applies to (unset fields match everything)
// and, with a topic on a partition-keyed API, which of their partitions fail
// (see PushRequestErrors above).
struct RequestScope {
  std::optional<int32_t> broker_id;
  // Requests naming this topic (and `partition` of it). Produce, Fetch,
  // ListOffsets, OffsetCommit, OffsetFetch: only those partitions get the
  // error, the rest of the request is served. Unset: the whole request fails.
  std::optional<std::string> topic;
  int32_t partition = -1;  // -1: every partition of `topic`
};

struct InjectedError {
  int16_t error_code = 0;                       // Kafka's code (errors.h ErrorCode)
  absl::Duration delay = absl::ZeroDuration();  // before the error response is sent
};

// A request as the fake received it.
struct ObservedRequest {
  int32_t broker_id = -1;
  int16_t api_key = -1;
  int16_t api_version = -1;
  int32_t correlation_id = 0;
  std::string client_id;
  std::string body;  // the request body after its header (Intercept only; empty when recorded)
  absl::Time received;
};

// What an Intercept callback decides.
struct InterceptAction {
  enum class Kind { kPass, kRespond, kDropConnection };
  Kind kind = Kind::kPass;
  // kRespond: the response body (after the response header, which the fake
  // writes: correlation id, and tagged fields for flexible versions).
  std::string response_body;
  absl::Duration delay = absl::ZeroDuration();  // before passing, responding or dropping

  static InterceptAction Pass() { return {}; }
  static InterceptAction Delay(absl::Duration d) { return {Kind::kPass, {}, d}; }
  static InterceptAction Respond(std::string body) { return {Kind::kRespond, std::move(body), {}}; }
  static InterceptAction DropConnection() { return {Kind::kDropConnection, {}, {}}; }
};

using Interceptor = std::function<InterceptAction(const ObservedRequest&)>;

class FakeKafka {
 public:
  static absl::StatusOr<std::unique_ptr<FakeKafka>> Start(FakeKafkaOptions options = {});
  // Stops every server, then the cluster.
  ~FakeKafka();
  FakeKafka(const FakeKafka&) = delete;
  FakeKafka& operator=(const FakeKafka&) = delete;

  // "127.0.0.1:port,..." of every broker, up or down (ascending id).
  std::string BootstrapServers() const;
  // Broker `id`'s port (kept across BrokerDown/BrokerUp); -1 for no such id.
  int32_t Port(int32_t broker_id) const;
  int32_t num_brokers() const;
  // The cluster behind the servers (for samsa's own clients, DescribeTopic...).
  Cluster* cluster() const;

  // --- Data helpers (through the cluster, not the wire; not intercepted) --------
  absl::Status CreateTopic(std::string_view name, int32_t partitions);
  // Appends one record (acks=all); returns its offset.
  absl::StatusOr<int64_t> Produce(std::string_view topic, int32_t partition, std::optional<std::string> key,
                                  std::optional<std::string> value);
  // Every record of the partition from its log start up to its high watermark.
  absl::StatusOr<std::vector<FakeRecord>> ReadAll(std::string_view topic, int32_t partition);
  // The group's committed offset for the partition; nullopt if none.
  absl::StatusOr<std::optional<int64_t>> CommittedOffset(std::string_view group, std::string_view topic,
                                                         int32_t partition);
  // Polls `predicate` (every millisecond, at most until `timeout`); true once
  // it held.
  static bool WaitFor(const std::function<bool()>& predicate, absl::Duration timeout);
  // Waits until the group's committed offset for the partition is >= `offset`.
  // DEADLINE_EXCEEDED naming the last offset seen otherwise.
  absl::Status WaitForCommittedOffset(std::string_view group, std::string_view topic, int32_t partition,
                                      int64_t offset, absl::Duration timeout);

  // --- Faults --------------------------------------------------------------------
  // Queues `errors` for the next matching requests of `api_key` (see above).
  absl::Status PushRequestErrors(int16_t api_key, std::vector<InjectedError> errors, RequestScope scope = {});
  absl::Status PushRequestErrors(int16_t api_key, const std::vector<int16_t>& error_codes,
                                 RequestScope scope = {});
  // Errors pushed and not yet consumed, all APIs.
  int PendingRequestErrors() const;
  void ClearRequestErrors();

  // Adds a callback for every request of `api_key` (callbacks of one key run
  // in the order added; the first that does not pass decides). Returns a
  // handle for RemoveIntercept.
  int Intercept(int16_t api_key, Interceptor callback);
  void RemoveIntercept(int handle);

  // Every request received since Start or ClearRecorded (body left empty).
  std::vector<ObservedRequest> RecordedRequests() const;
  void ClearRecorded();

  // ApiVersions advertises at most `max_version` for the API (DisableApi: not
  // at all); a request above it closes the connection. ClearApiCaps undoes.
  void CapApiVersions(int16_t api_key, int16_t max_version);
  void DisableApi(int16_t api_key);
  void ClearApiCaps();

  // Stops broker `id`'s server and the broker (see above). NOT_FOUND for no
  // such id; FAILED_PRECONDITION when it is already down.
  absl::Status BrokerDown(int32_t broker_id);
  // Restarts it and its server on its old port (an error if that port was
  // taken meanwhile; the broker then runs without a server: call again).
  absl::Status BrokerUp(int32_t broker_id);
  // Delays every request of broker `id` by `delay` (zero: none).
  void SetRoundTripDelay(int32_t broker_id, absl::Duration delay);
  // Moves the partition to broker `id` (see above; Cluster::ReassignPartition
  // tells the details and errors). Returns once every broker knows.
  absl::Status MovePartitionLeader(std::string_view topic, int32_t partition, int32_t broker_id);
  // Makes broker `id` the coordinator of `group` by moving the
  // __consumer_offsets partition the group hashes to (Kafka's
  // abs(groupId.hashCode) % offsets.topic.num.partitions), creating the
  // topic first if needed. As in Kafka, every group of that partition moves
  // with it: with the default offsets_topic_num_partitions = 1, all groups.
  absl::Status SetGroupCoordinator(std::string_view group, int32_t broker_id);

  class Impl;

 private:
  explicit FakeKafka(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace samsa::testing
