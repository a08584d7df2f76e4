// The consumer-group API handlers (one file each in this directory) and what
// they share: reaching the broker's group coordinator.
//
// Each handler maps the generated wire structs (kafka/messages/*.h) to the
// coordinator's request types (broker/group/group_requests.h) field by field,
// at the request's version, and back; the semantics (states, generations,
// error codes) are the coordinator's, which follows Kafka 3.x.
//
// Thread-safety: the handlers are stateless; see kafka/server/handler.h.
#pragma once

#include <cstdint>

#include "broker/group/group_coordinator.h"
#include "kafka/server/handler.h"
#include "samsa/errors.h"

namespace samsa::kafka {

ApiHandler FindCoordinatorHandler();  // v0-4
ApiHandler JoinGroupHandler();        // v0-9
ApiHandler SyncGroupHandler();        // v0-5
ApiHandler HeartbeatHandler();        // v0-4
ApiHandler LeaveGroupHandler();       // v0-5
ApiHandler OffsetCommitHandler();     // v0-9
ApiHandler OffsetFetchHandler();      // v0-8
ApiHandler DescribeGroupsHandler();   // v0-5
ApiHandler ListGroupsHandler();       // v0-5
ApiHandler DeleteGroupsHandler();     // v0-2

// The broker's group coordinator (Broker::Impl::Groups(), which creates
// __consumer_offsets on first use) or, when there is none, the error a group
// request answers with: the status's Kafka code, COORDINATOR_NOT_AVAILABLE
// when it carries none.
struct CoordinatorOrError {
  group::GroupCoordinator* coordinator = nullptr;
  ErrorCode error = ErrorCode::kNone;
};
CoordinatorOrError GetGroupCoordinator(const RequestContext& ctx);

inline int16_t Code(ErrorCode e) { return static_cast<int16_t>(e); }

}  // namespace samsa::kafka
