// JoinGroup (api key 11), v0-9: a member joins (or rejoins) a group and waits
// for the rebalance to complete; the answer comes later, from the
// coordinator's callback.
//
// Version mapping, as Kafka's KafkaApis.handleJoinGroupRequest:
// - v0 has no rebalance timeout: the session timeout serves for both.
// - v4+: a new dynamic member (no member id, no group instance id) first gets
//   MEMBER_ID_REQUIRED with its member id and must join again with it.
// - group_instance_id (static membership) v5+, reason v8+.
// - v9+ (KIP-814): a static leader rejoining a Stable group is answered as
//   the leader, with the members and skip_assignment; before v9 it gets the
//   old leader id and no members, so it does not assign.
// - Response: protocol_name is nullable from v7; before, "" stands for none.
//   protocol_type v7+, skip_assignment v9+, members only for the leader
//   (group_instance_id in them from v5).
#include <functional>
#include <string>
#include <utility>

#include "kafka/messages/join_group.h"
#include "kafka/server/handlers/group_handlers.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace join_group_handler {

JoinGroupResponse ToWire(const group::JoinGroupResponse& r, int16_t version) {
  JoinGroupResponse resp;
  resp.error_code = Code(r.error_code);
  resp.generation_id = r.generation_id;
  resp.protocol_type = r.protocol_type;
  resp.protocol_name =
      version >= 7 ? r.protocol_name : std::optional<std::string>(r.protocol_name.value_or(""));
  resp.leader = r.leader;
  resp.skip_assignment = version >= 9 && r.skip_assignment;
  resp.member_id = r.member_id;
  for (const group::JoinGroupResponseMember& m : r.members) {
    JoinGroupResponse::JoinGroupResponseMember wm;
    wm.member_id = m.member_id;
    if (version >= 5) wm.group_instance_id = m.group_instance_id;
    wm.metadata = m.metadata;
    resp.members.push_back(std::move(wm));
  }
  return resp;
}

void Handle(const RequestContext& ctx, JoinGroupRequest req,
            std::function<void(JoinGroupResponse)> done) {
  const int16_t version = ctx.api_version();
  const CoordinatorOrError groups = GetGroupCoordinator(ctx);
  if (groups.coordinator == nullptr) {
    group::JoinGroupResponse r;
    r.error_code = groups.error;
    r.member_id = req.member_id;
    return done(ToWire(r, version));
  }
  group::JoinGroupRequest j;
  j.group_id = std::move(req.group_id);
  j.session_timeout_ms = req.session_timeout_ms;
  j.rebalance_timeout_ms = version >= 1 ? req.rebalance_timeout_ms : -1;
  j.member_id = std::move(req.member_id);
  if (version >= 5) j.group_instance_id = std::move(req.group_instance_id);
  j.protocol_type = std::move(req.protocol_type);
  for (JoinGroupRequest::JoinGroupRequestProtocol& p : req.protocols) {
    j.protocols.push_back({std::move(p.name), std::move(p.metadata)});
  }
  if (version >= 8) j.reason = std::move(req.reason);
  j.client_id = ctx.client_id();
  j.client_host = ctx.client_host;
  j.require_known_member_id = version >= 4 && !j.group_instance_id.has_value();
  j.support_skipping_assignment = version >= 9;
  groups.coordinator->JoinGroup(
      std::move(j),
      [version, done = std::move(done)](group::JoinGroupResponse r) { done(ToWire(r, version)); });
}

}  // namespace join_group_handler
}  // namespace

ApiHandler JoinGroupHandler() {
  using namespace join_group_handler;
  return AsyncTypedHandler<JoinGroupRequest, JoinGroupResponse>(0, 9, Handle);
}

}  // namespace samsa::kafka
