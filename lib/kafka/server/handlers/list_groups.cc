// ListGroups (api key 16), v0-5: the groups this broker coordinates.
//
// states_filter (v4+) keeps the groups in one of the named states (case
// insensitive, as Kafka); group_state is answered from v4. types_filter (v5+)
// names group types: every group here is a "classic" one (KIP-848 consumer
// groups are not kept), so a filter without "classic" lists nothing;
// group_type is answered from v5. COORDINATOR_LOAD_IN_PROGRESS comes with the
// groups already loaded, as Kafka does.
//
// Admin clients send ListGroups to every broker without a FindCoordinator
// first; as in Kafka, that does not create __consumer_offsets: a broker
// without it has no groups.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <utility>

#include "broker/group/offsets_records.h"
#include "kafka/messages/list_groups.h"
#include "kafka/server/handlers/group_handlers.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace list_groups_handler {

constexpr std::string_view kClassicGroupType = "classic";

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

ListGroupsResponse Handle(const RequestContext& ctx, ListGroupsRequest& req) {
  const int16_t version = ctx.api_version();
  ListGroupsResponse resp;
  if (version >= 5 && !req.types_filter.empty() &&
      std::none_of(req.types_filter.begin(), req.types_filter.end(),
                   [](const std::string& t) { return EqualsIgnoringCase(t, kClassicGroupType); })) {
    return resp;
  }
  if (!ctx.server->broker()->DescribeTopic(group::kOffsetsTopic).ok()) return resp;
  const CoordinatorOrError groups = GetGroupCoordinator(ctx);
  if (groups.coordinator == nullptr) {
    resp.error_code = Code(groups.error);
    return resp;
  }
  group::ListGroupsRequest l;
  if (version >= 4) l.states_filter = std::move(req.states_filter);
  group::ListGroupsResponse r = groups.coordinator->ListGroups(l);
  resp.error_code = Code(r.error_code);
  for (group::ListedGroup& g : r.groups) {
    ListGroupsResponse::ListedGroup wg;
    wg.group_id = std::move(g.group_id);
    wg.protocol_type = std::move(g.protocol_type);
    if (version >= 4) wg.group_state = std::move(g.group_state);
    if (version >= 5) wg.group_type = std::string(kClassicGroupType);
    resp.groups.push_back(std::move(wg));
  }
  return resp;
}

}  // namespace list_groups_handler
}  // namespace

ApiHandler ListGroupsHandler() {
  using namespace list_groups_handler;
  return TypedHandler<ListGroupsRequest, ListGroupsResponse>(0, 5, Handle);
}

}  // namespace samsa::kafka
