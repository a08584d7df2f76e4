// DeleteGroups (api key 42), v0-2: deletes empty groups and their committed
// offsets. Per group, as Kafka: NONE, NON_EMPTY_GROUP (members remain),
// GROUP_ID_NOT_FOUND (no such group), NOT_COORDINATOR, ... A group named
// twice is answered once, as Kafka (which takes the names as a set).
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kafka/messages/delete_groups.h"
#include "kafka/server/handlers/group_handlers.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace delete_groups_handler {

DeleteGroupsResponse Handle(const RequestContext& ctx, DeleteGroupsRequest& req) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (std::string& n : req.groups_names) {
    if (seen.insert(n).second) names.push_back(std::move(n));
  }
  DeleteGroupsResponse resp;
  const CoordinatorOrError groups = GetGroupCoordinator(ctx);
  if (groups.coordinator == nullptr) {
    for (std::string& n : names) resp.results.push_back({std::move(n), Code(groups.error)});
    return resp;
  }
  group::DeleteGroupsResponse r = groups.coordinator->DeleteGroups(names);
  for (group::DeletableGroupResult& g : r.results) {
    resp.results.push_back({std::move(g.group_id), Code(g.error_code)});
  }
  return resp;
}

}  // namespace delete_groups_handler
}  // namespace

ApiHandler DeleteGroupsHandler() {
  using namespace delete_groups_handler;
  return TypedHandler<DeleteGroupsRequest, DeleteGroupsResponse>(0, 2, Handle);
}

}  // namespace samsa::kafka
