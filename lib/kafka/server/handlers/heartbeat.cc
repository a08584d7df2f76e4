// Heartbeat (api key 12), v0-4: a member says it is alive; the answer tells
// it whether the group is rebalancing (REBALANCE_IN_PROGRESS: rejoin) or it
// is no longer a member (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, ...).
// group_instance_id v3+; throttle_time_ms v1+.
#include <utility>

#include "kafka/messages/heartbeat.h"
#include "kafka/server/handlers/group_handlers.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace heartbeat_handler {

HeartbeatResponse Handle(const RequestContext& ctx, HeartbeatRequest& req) {
  HeartbeatResponse resp;
  const CoordinatorOrError groups = GetGroupCoordinator(ctx);
  if (groups.coordinator == nullptr) {
    resp.error_code = Code(groups.error);
    return resp;
  }
  group::HeartbeatRequest h;
  h.group_id = std::move(req.group_id);
  h.generation_id = req.generation_id;
  h.member_id = std::move(req.member_id);
  if (ctx.api_version() >= 3) h.group_instance_id = std::move(req.group_instance_id);
  resp.error_code = Code(groups.coordinator->Heartbeat(h).error_code);
  return resp;
}

}  // namespace heartbeat_handler
}  // namespace

ApiHandler HeartbeatHandler() {
  using namespace heartbeat_handler;
  return TypedHandler<HeartbeatRequest, HeartbeatResponse>(0, 4, Handle);
}

}  // namespace samsa::kafka
