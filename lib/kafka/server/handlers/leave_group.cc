// LeaveGroup (api key 13), v0-5: members leave a group (it rebalances).
//
// As Kafka: v0-2 name one member (member_id) and get one error code — the
// group's error, else that member's; v3+ name a batch of members (with
// group_instance_id, so an admin can remove static members) and get a
// per-member error beside the group-level one; v5 adds a reason per member.
#include <optional>
#include <string>
#include <utility>

#include "kafka/messages/leave_group.h"
#include "kafka/server/handlers/group_handlers.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace leave_group_handler {

LeaveGroupResponse Handle(const RequestContext& ctx, LeaveGroupRequest& req) {
  const int16_t version = ctx.api_version();
  LeaveGroupResponse resp;
  const CoordinatorOrError groups = GetGroupCoordinator(ctx);
  if (groups.coordinator == nullptr) {
    resp.error_code = Code(groups.error);
    return resp;
  }
  group::LeaveGroupRequest l;
  l.group_id = std::move(req.group_id);
  if (version < 3) {
    l.members.push_back({std::move(req.member_id), std::nullopt, std::nullopt});
  } else {
    for (LeaveGroupRequest::MemberIdentity& m : req.members) {
      l.members.push_back({std::move(m.member_id), std::move(m.group_instance_id),
                           version >= 5 ? std::move(m.reason) : std::nullopt});
    }
  }
  const group::LeaveGroupResponse r = groups.coordinator->LeaveGroup(l);
  if (version < 3) {
    // Kafka's LeaveGroupResponse.getError: the top-level error, else the
    // first member's.
    ErrorCode e = r.error_code;
    for (const group::LeaveGroupMemberResponse& m : r.members) {
      if (e == ErrorCode::kNone) e = m.error_code;
    }
    resp.error_code = Code(e);
    return resp;
  }
  resp.error_code = Code(r.error_code);
  for (const group::LeaveGroupMemberResponse& m : r.members) {
    LeaveGroupResponse::MemberResponse wm;
    wm.member_id = m.member_id;
    wm.group_instance_id = m.group_instance_id;
    wm.error_code = Code(m.error_code);
    resp.members.push_back(std::move(wm));
  }
  return resp;
}

}  // namespace leave_group_handler
}  // namespace

ApiHandler LeaveGroupHandler() {
  using namespace leave_group_handler;
  return TypedHandler<LeaveGroupRequest, LeaveGroupResponse>(0, 5, Handle);
}

}  // namespace samsa::kafka
