// FindCoordinator (api key 10), v0-4: which broker coordinates a group.
//
// As Kafka's KafkaApis.getCoordinator: a group's coordinator is the leader of
// __consumer_offsets partition PartitionFor(group id), with its endpoint on
// the listener the request came in on. The topic is created on first use
// (by Broker::Impl::Groups(); Kafka creates it too, but answers
// COORDINATOR_NOT_AVAILABLE until it exists). No live leader:
// COORDINATOR_NOT_AVAILABLE with Kafka's "no node" (-1, "", -1).
// v0-3 ask for one key, v4+ for a batch (coordinator_keys -> coordinators).
//
// Key types: 0 GROUP. 1 TRANSACTION gets COORDINATOR_NOT_AVAILABLE: samsa
// has no transaction coordinator. Any other type is INVALID_REQUEST, as
// Kafka's CoordinatorType.forId throws. v5 (TRANSACTION_ABORTABLE) and v6
// (share groups) are not advertised. error_message is Kafka's: "NONE" on
// success (Errors.NONE.message()), the error's default message otherwise.
#include <optional>
#include <string>
#include <vector>

#include "broker/group/offsets_records.h"
#include "kafka/messages/find_coordinator.h"
#include "kafka/server/handlers/group_handlers.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace find_coordinator_handler {

constexpr int8_t kGroupKeyType = 0;
constexpr int8_t kTransactionKeyType = 1;

// Kafka's Errors.message(): the exception's default message, and "NONE"
// (the enum's name) for no error.
constexpr char kNoneMessage[] = "NONE";
constexpr char kNotAvailableMessage[] = "The coordinator is not available.";
constexpr char kInvalidRequestMessage[] =
    "This most likely occurs because of a request being malformed by the client library or the "
    "message was sent to an incompatible broker. See the broker logs for more details.";

struct Found {
  ErrorCode error = ErrorCode::kNone;
  std::string message = kNoneMessage;
  BrokerEndpoint node{-1, "", -1, std::nullopt};  // Kafka's Node.noNode()
};

// The coordinators of `keys`, in order.
std::vector<Found> Locate(const RequestContext& ctx, int8_t key_type,
                          const std::vector<std::string>& keys) {
  std::vector<Found> found(keys.size());
  auto fail_all = [&found](ErrorCode e, const std::string& message) {
    for (Found& f : found) {
      f.error = e;
      f.message = message;
    }
    return found;
  };
  if (key_type == kTransactionKeyType) {
    return fail_all(ErrorCode::kCoordinatorNotAvailable, "samsa has no transaction coordinator");
  }
  if (key_type != kGroupKeyType) {
    return fail_all(ErrorCode::kInvalidRequest, kInvalidRequestMessage);
  }
  const CoordinatorOrError groups = GetGroupCoordinator(ctx);
  if (groups.coordinator == nullptr) return fail_all(groups.error, kNotAvailableMessage);

  Broker::Impl* broker = ctx.server->broker();
  const std::vector<Broker::Impl::TopicMetadata> metadata = broker->Metadata(
      std::vector<std::string>{std::string(group::kOffsetsTopic)}, /*allow_auto_create=*/false);
  const std::vector<BrokerEndpoint> live = ctx.server->LiveBrokers(ctx.listener_name);
  for (size_t i = 0; i < keys.size(); ++i) {
    const int32_t partition = groups.coordinator->PartitionFor(keys[i]);
    int32_t leader = -1;
    for (const Broker::Impl::TopicMetadata& t : metadata) {
      if (t.name != group::kOffsetsTopic || t.error != ErrorCode::kNone) continue;
      for (const Broker::Impl::PartitionMetadata& p : t.partitions) {
        if (p.partition == partition) leader = p.leader;
      }
    }
    Found& f = found[i];
    for (const BrokerEndpoint& b : live) {
      if (leader >= 0 && b.node_id == leader) f.node = b;
    }
    if (f.node.node_id < 0) {
      f.error = ErrorCode::kCoordinatorNotAvailable;
      f.message = kNotAvailableMessage;
    }
  }
  return found;
}

FindCoordinatorResponse Handle(const RequestContext& ctx, FindCoordinatorRequest& req) {
  FindCoordinatorResponse resp;
  const int16_t version = ctx.api_version();
  const int8_t key_type = version >= 1 ? req.key_type : kGroupKeyType;
  if (version < 4) {
    const Found f = Locate(ctx, key_type, {req.key})[0];
    resp.error_code = Code(f.error);
    resp.error_message = f.message;
    resp.node_id = f.node.node_id;
    resp.host = f.node.host;
    resp.port = f.node.port;
    return resp;
  }
  const std::vector<Found> found = Locate(ctx, key_type, req.coordinator_keys);
  for (size_t i = 0; i < found.size(); ++i) {
    FindCoordinatorResponse::Coordinator c;
    c.key = req.coordinator_keys[i];
    c.node_id = found[i].node.node_id;
    c.host = found[i].node.host;
    c.port = found[i].node.port;
    c.error_code = Code(found[i].error);
    c.error_message = found[i].message;
    resp.coordinators.push_back(std::move(c));
  }
  return resp;
}

}  // namespace find_coordinator_handler
}  // namespace

ApiHandler FindCoordinatorHandler() {
  using namespace find_coordinator_handler;
  return TypedHandler<FindCoordinatorRequest, FindCoordinatorResponse>(0, 4, Handle);
}

}  // namespace samsa::kafka
