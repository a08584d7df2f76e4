// The group API handlers (see AddDataHandlers/AddAdminHandlers/AddGroupHandlers
// in kafka/server/handler.h): each API's handler lives in its own file in
// this directory; this function lists them.
#include "kafka/server/handlers/group_handlers.h"

#include <vector>

#include "kafka/server/handler.h"

namespace samsa::kafka {

CoordinatorOrError GetGroupCoordinator(const RequestContext& ctx) {
  absl::StatusOr<group::GroupCoordinator*> groups = ctx.server->broker()->Groups();
  if (groups.ok()) return {*groups, ErrorCode::kNone};
  ErrorCode e = ErrorCodeOf(groups.status());
  if (e == ErrorCode::kNone || e == ErrorCode::kUnknownServerError)
    e = ErrorCode::kCoordinatorNotAvailable;
  return {nullptr, e};
}

void AddGroupHandlers(std::vector<ApiHandler>* out) {
  out->push_back(FindCoordinatorHandler());
  out->push_back(JoinGroupHandler());
  out->push_back(SyncGroupHandler());
  out->push_back(HeartbeatHandler());
  out->push_back(LeaveGroupHandler());
  out->push_back(OffsetCommitHandler());
  out->push_back(OffsetFetchHandler());
  out->push_back(DescribeGroupsHandler());
  out->push_back(ListGroupsHandler());
  out->push_back(DeleteGroupsHandler());
}

}  // namespace samsa::kafka
