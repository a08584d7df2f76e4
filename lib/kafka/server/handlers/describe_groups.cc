// DescribeGroups (api key 15), v0-5: each group's state, protocol and members.
//
// As Kafka 3.x: state names "Empty", "PreparingRebalance",
// "CompletingRebalance", "Stable", "Dead"; a group the coordinator does not
// know is "Dead" with error NONE (Kafka's DeadGroup summary); protocol_data
// and each member's metadata and assignment only while Stable;
// group_instance_id v4+. authorized_operations (v3+) is INT32_MIN unless
// asked for; when asked, Kafka without an authorizer answers every operation
// a group supports (READ, DELETE, DESCRIBE), and so does samsa, which has no
// ACLs.
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "kafka/messages/describe_groups.h"
#include "kafka/server/handlers/group_handlers.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace describe_groups_handler {

// Kafka's AclOperation codes (READ 3, DELETE 6, DESCRIBE 8) as a bit field.
constexpr int32_t kGroupOperations = (1 << 3) | (1 << 6) | (1 << 8);

DescribeGroupsResponse Handle(const RequestContext& ctx, DescribeGroupsRequest& req) {
  const int16_t version = ctx.api_version();
  DescribeGroupsResponse resp;
  const CoordinatorOrError groups = GetGroupCoordinator(ctx);
  group::DescribeGroupsResponse r;
  if (groups.coordinator != nullptr) {
    r = groups.coordinator->DescribeGroups(req.groups);
  } else {
    for (const std::string& id : req.groups) {
      group::DescribedGroup d;
      d.group_id = id;
      d.error_code = groups.error;
      r.groups.push_back(std::move(d));
    }
  }
  const bool with_operations = version >= 3 && req.include_authorized_operations;
  for (group::DescribedGroup& g : r.groups) {
    DescribeGroupsResponse::DescribedGroup wg;
    wg.error_code = Code(g.error_code);
    wg.group_id = std::move(g.group_id);
    wg.group_state = std::move(g.group_state);
    wg.protocol_type = std::move(g.protocol_type);
    wg.protocol_data = std::move(g.protocol_data);
    for (group::DescribedGroupMember& m : g.members) {
      DescribeGroupsResponse::DescribedGroupMember wm;
      wm.member_id = std::move(m.member_id);
      if (version >= 4) wm.group_instance_id = std::move(m.group_instance_id);
      wm.client_id = std::move(m.client_id);
      wm.client_host = std::move(m.client_host);
      wm.member_metadata = std::move(m.member_metadata);
      wm.member_assignment = std::move(m.member_assignment);
      wg.members.push_back(std::move(wm));
    }
    if (with_operations && g.error_code == ErrorCode::kNone)
      wg.authorized_operations = kGroupOperations;
    resp.groups.push_back(std::move(wg));
  }
  return resp;
}

}  // namespace describe_groups_handler
}  // namespace

ApiHandler DescribeGroupsHandler() {
  using namespace describe_groups_handler;
  return TypedHandler<DescribeGroupsRequest, DescribeGroupsResponse>(0, 5, Handle);
}

}  // namespace samsa::kafka
