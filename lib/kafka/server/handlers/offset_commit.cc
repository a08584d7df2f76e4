// OffsetCommit (api key 8), v0-9: a consumer stores its positions.
//
// Field mapping: generation id and member id v1+ (generation -1 with an
// empty member id: a commit from a consumer outside any group, accepted while
// the group is empty or unknown); group_instance_id v7+; retention_time_ms
// v2-4 (-1: offsets.retention.minutes); committed_leader_epoch v6+; v9's
// generation_id_or_member_epoch is the generation of a classic group, which
// is the only kind this coordinator keeps. Errors are per partition.
//
// Deviations from Kafka 3.x: v0 stores in __consumer_offsets (Kafka wrote v0
// commits to ZooKeeper); v1's per-partition commit_timestamp is ignored (the
// commit is stamped with the broker's time).
#include <utility>

#include "kafka/messages/offset_commit.h"
#include "kafka/server/handlers/group_handlers.h"

namespace samsa::kafka {
namespace {
// Named, so that unity builds (several .cc in one TU) keep each handler's
// helpers apart.
namespace offset_commit_handler {

OffsetCommitResponse Handle(const RequestContext& ctx, OffsetCommitRequest& req) {
  const int16_t version = ctx.api_version();
  const CoordinatorOrError groups = GetGroupCoordinator(ctx);
  group::OffsetCommitRequest c;
  c.group_id = std::move(req.group_id);
  if (version >= 1) {
    c.generation_id = req.generation_id_or_member_epoch;
    c.member_id = std::move(req.member_id);
  }
  if (version >= 7) c.group_instance_id = std::move(req.group_instance_id);
  if (version >= 2 && version <= 4) c.retention_time_ms = req.retention_time_ms;
  for (OffsetCommitRequest::OffsetCommitRequestTopic& t : req.topics) {
    group::OffsetCommitRequestTopic ct;
    ct.name = std::move(t.name);
    for (OffsetCommitRequest::OffsetCommitRequestPartition& p : t.partitions) {
      group::OffsetCommitRequestPartition cp;
      cp.partition_index = p.partition_index;
      cp.committed_offset = p.committed_offset;
      if (version >= 6) cp.committed_leader_epoch = p.committed_leader_epoch;
      cp.committed_metadata = std::move(p.committed_metadata);
      ct.partitions.push_back(std::move(cp));
    }
    c.topics.push_back(std::move(ct));
  }

  group::OffsetCommitResponse r;
  if (groups.coordinator != nullptr) {
    r = groups.coordinator->OffsetCommit(c);
  } else {
    for (const group::OffsetCommitRequestTopic& t : c.topics) {
      group::OffsetCommitResponseTopic rt{t.name, {}};
      for (const group::OffsetCommitRequestPartition& p : t.partitions) {
        rt.partitions.push_back({p.partition_index, groups.error});
      }
      r.topics.push_back(std::move(rt));
    }
  }
  OffsetCommitResponse resp;
  for (const group::OffsetCommitResponseTopic& t : r.topics) {
    OffsetCommitResponse::OffsetCommitResponseTopic wt;
    wt.name = t.name;
    for (const group::OffsetCommitResponsePartition& p : t.partitions) {
      wt.partitions.push_back({p.partition_index, Code(p.error_code)});
    }
    resp.topics.push_back(std::move(wt));
  }
  return resp;
}

}  // namespace offset_commit_handler
}  // namespace

ApiHandler OffsetCommitHandler() {
  using namespace offset_commit_handler;
  return TypedHandler<OffsetCommitRequest, OffsetCommitResponse>(0, 9, Handle);
}

}  // namespace samsa::kafka
