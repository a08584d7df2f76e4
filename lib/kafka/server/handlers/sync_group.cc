// SyncGroup (api key 14), v0-5: after a join, every member asks for its
// assignment; the leader brings everyone's. The answer comes from the
// coordinator's callback once the leader's assignment is stored.
//
// As Kafka's KafkaApis.handleSyncGroupRequest: group_instance_id v3+;
// protocol_type and protocol_name v5+, where both are mandatory (a request
// without them gets INCONSISTENT_GROUP_PROTOCOL) and must match the group's
// (checked by the coordinator). The response carries them from v5.
#include <functional>
#include <string>
#include <utility>

#include "kafka/messages/sync_group.h"
#include "kafka/server/handlers/group_handlers.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace sync_group_handler {

SyncGroupResponse ToWire(const group::SyncGroupResponse& r) {
  SyncGroupResponse resp;
  resp.error_code = Code(r.error_code);
  resp.protocol_type = r.protocol_type;
  resp.protocol_name = r.protocol_name;
  resp.assignment = r.assignment;
  return resp;
}

SyncGroupResponse Error(ErrorCode e) {
  SyncGroupResponse resp;
  resp.error_code = Code(e);
  return resp;
}

void Handle(const RequestContext& ctx, SyncGroupRequest req,
            std::function<void(SyncGroupResponse)> done) {
  const int16_t version = ctx.api_version();
  if (version >= 5 && (!req.protocol_type.has_value() || !req.protocol_name.has_value())) {
    return done(Error(ErrorCode::kInconsistentGroupProtocol));
  }
  const CoordinatorOrError groups = GetGroupCoordinator(ctx);
  if (groups.coordinator == nullptr) return done(Error(groups.error));
  group::SyncGroupRequest s;
  s.group_id = std::move(req.group_id);
  s.generation_id = req.generation_id;
  s.member_id = std::move(req.member_id);
  if (version >= 3) s.group_instance_id = std::move(req.group_instance_id);
  if (version >= 5) {
    s.protocol_type = std::move(req.protocol_type);
    s.protocol_name = std::move(req.protocol_name);
  }
  for (SyncGroupRequest::SyncGroupRequestAssignment& a : req.assignments) {
    s.assignments.push_back({std::move(a.member_id), std::move(a.assignment)});
  }
  groups.coordinator->SyncGroup(
      std::move(s), [done = std::move(done)](group::SyncGroupResponse r) { done(ToWire(r)); });
}

}  // namespace sync_group_handler
}  // namespace

ApiHandler SyncGroupHandler() {
  using namespace sync_group_handler;
  return AsyncTypedHandler<SyncGroupRequest, SyncGroupResponse>(0, 5, Handle);
}

}  // namespace samsa::kafka
