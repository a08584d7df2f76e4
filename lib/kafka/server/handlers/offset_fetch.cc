// OffsetFetch (api key 9), v0-8: a consumer reads its group's committed
// positions.
//
// As Kafka's KafkaApis.handleOffsetFetchRequest: a partition without a
// committed offset answers offset -1, metadata "", error NONE; topics null
// (v2+) asks for every partition the group has offsets for;
// committed_leader_epoch v5+; a group-level error is the top-level
// error_code from v2 (with no topics), and before v2 each requested
// partition's error (offset -1, metadata ""). v8 asks for several groups at
// once (groups -> groups, each with its own error). require_stable (v7+)
// never has to wait: samsa has no transactional offset commits, so no
// partition is unstable.
//
// Not advertised: v9, whose member id / member epoch belong to KIP-848
// consumer groups, which this coordinator does not keep. Kafka's v0 read
// ZooKeeper; here it reads __consumer_offsets like v1.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kafka/messages/offset_fetch.h"
#include "kafka/server/handlers/group_handlers.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace offset_fetch_handler {

// One group's offsets from the coordinator (or the group-level error).
group::OffsetFetchResponse FetchGroup(const CoordinatorOrError& groups,
                                      group::OffsetFetchRequest request) {
  if (groups.coordinator == nullptr) {
    group::OffsetFetchResponse r;
    r.error_code = groups.error;
    return r;
  }
  return groups.coordinator->OffsetFetch(request);
}

template <typename WirePartition>
WirePartition ToWirePartition(const group::OffsetFetchResponsePartition& p, int16_t version) {
  WirePartition w;
  w.partition_index = p.partition_index;
  w.committed_offset = p.committed_offset;
  if (version >= 5) w.committed_leader_epoch = p.committed_leader_epoch;
  w.metadata = p.metadata;
  w.error_code = Code(p.error_code);
  return w;
}

OffsetFetchResponse HandleOne(const RequestContext& ctx, OffsetFetchRequest& req,
                              const CoordinatorOrError& groups) {
  const int16_t version = ctx.api_version();
  group::OffsetFetchRequest f;
  f.group_id = req.group_id;
  if (req.topics.has_value()) {  // always before v2 (not nullable there)
    f.topics.emplace();
    for (const OffsetFetchRequest::OffsetFetchRequestTopic& t : *req.topics) {
      f.topics->push_back({t.name, t.partition_indexes});
    }
  }
  f.require_stable = version >= 7 && req.require_stable;
  group::OffsetFetchResponse r = FetchGroup(groups, f);

  OffsetFetchResponse resp;
  if (r.error_code != ErrorCode::kNone) {
    if (version >= 2) {
      resp.error_code = Code(r.error_code);
      return resp;
    }
    // v0-1 have no top-level error: every requested partition carries it.
    r.topics.clear();
    const std::vector<group::OffsetFetchRequestTopic> requested =
        f.topics.value_or(std::vector<group::OffsetFetchRequestTopic>{});
    for (const group::OffsetFetchRequestTopic& t : requested) {
      group::OffsetFetchResponseTopic rt{t.name, {}};
      for (int32_t p : t.partition_indexes) {
        group::OffsetFetchResponsePartition rp;
        rp.partition_index = p;
        rp.metadata = "";
        rp.error_code = r.error_code;
        rt.partitions.push_back(std::move(rp));
      }
      r.topics.push_back(std::move(rt));
    }
  }
  for (const group::OffsetFetchResponseTopic& t : r.topics) {
    OffsetFetchResponse::OffsetFetchResponseTopic wt;
    wt.name = t.name;
    for (const group::OffsetFetchResponsePartition& p : t.partitions) {
      wt.partitions.push_back(
          ToWirePartition<OffsetFetchResponse::OffsetFetchResponsePartition>(p, version));
    }
    resp.topics.push_back(std::move(wt));
  }
  return resp;
}

OffsetFetchResponse HandleGroups(const RequestContext& ctx, OffsetFetchRequest& req,
                                 const CoordinatorOrError& groups) {
  const int16_t version = ctx.api_version();
  OffsetFetchResponse resp;
  for (const OffsetFetchRequest::OffsetFetchRequestGroup& g : req.groups) {
    group::OffsetFetchRequest f;
    f.group_id = g.group_id;
    if (g.topics.has_value()) {
      f.topics.emplace();
      for (const OffsetFetchRequest::OffsetFetchRequestTopics& t : *g.topics) {
        f.topics->push_back({t.name, t.partition_indexes});
      }
    }
    f.require_stable = req.require_stable;
    const group::OffsetFetchResponse r = FetchGroup(groups, f);
    OffsetFetchResponse::OffsetFetchResponseGroup wg;
    wg.group_id = g.group_id;
    wg.error_code = Code(r.error_code);
    for (const group::OffsetFetchResponseTopic& t : r.topics) {
      OffsetFetchResponse::OffsetFetchResponseTopics wt;
      wt.name = t.name;
      for (const group::OffsetFetchResponsePartition& p : t.partitions) {
        wt.partitions.push_back(
            ToWirePartition<OffsetFetchResponse::OffsetFetchResponsePartitions>(p, version));
      }
      wg.topics.push_back(std::move(wt));
    }
    resp.groups.push_back(std::move(wg));
  }
  return resp;
}

OffsetFetchResponse Handle(const RequestContext& ctx, OffsetFetchRequest& req) {
  const CoordinatorOrError groups = GetGroupCoordinator(ctx);
  return ctx.api_version() >= 8 ? HandleGroups(ctx, req, groups) : HandleOne(ctx, req, groups);
}

}  // namespace offset_fetch_handler
}  // namespace

ApiHandler OffsetFetchHandler() {
  using namespace offset_fetch_handler;
  return TypedHandler<OffsetFetchRequest, OffsetFetchResponse>(0, 8, Handle);
}

}  // namespace samsa::kafka
