// The classic consumer-group APIs as plain structs: JoinGroup, SyncGroup,
// Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups,
// ListGroups, DeleteGroups. Fields mirror Kafka's message schemas
// (JoinGroupRequest.json, ...) at their latest classic versions, with names
// in our style; version-dependent behaviour the wire layer must map is noted
// where it matters (e.g. JoinGroup v0's rebalance timeout, LeaveGroup v0-2's
// single member, OffsetFetch v8's groups array).
//
// Error codes are Kafka's (samsa::ErrorCode).
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "samsa/errors.h"

namespace samsa::group {

struct JoinGroupProtocol {
  std::string name;
  std::string metadata;
  friend bool operator==(const JoinGroupProtocol&, const JoinGroupProtocol&) = default;
};

struct JoinGroupRequest {
  std::string group_id;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = -1;  // v1+; -1 (v0): the session timeout
  std::string member_id;              // "" for a new member
  std::optional<std::string> group_instance_id;  // v5+: static membership
  std::string protocol_type;
  std::vector<JoinGroupProtocol> protocols;  // in the member's preference order
  std::optional<std::string> reason;         // v8+
  // From the request header and the connection.
  std::string client_id;
  std::string client_host;
  // JoinGroup v4+ from a dynamic member: a new member first gets
  // MEMBER_ID_REQUIRED with its member id, then joins again with it.
  bool require_known_member_id = false;
  // JoinGroup v9+ (KIP-814): a static leader that rejoins a Stable group is
  // told it leads, with the members, and to skip the assignment.
  bool support_skipping_assignment = false;
};

struct JoinGroupResponseMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string metadata;
};

struct JoinGroupResponse {
  ErrorCode error_code = ErrorCode::kNone;
  int32_t generation_id = -1;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::string leader;
  bool skip_assignment = false;
  std::string member_id;
  std::vector<JoinGroupResponseMember> members;  // the leader's only
};

struct SyncGroupAssignment {
  std::string member_id;
  std::string assignment;
};

struct SyncGroupRequest {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v3+
  std::optional<std::string> protocol_type;      // v5+
  std::optional<std::string> protocol_name;      // v5+
  std::vector<SyncGroupAssignment> assignments;  // the leader's only
};

struct SyncGroupResponse {
  ErrorCode error_code = ErrorCode::kNone;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::string assignment;
};

struct HeartbeatRequest {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

struct HeartbeatResponse {
  ErrorCode error_code = ErrorCode::kNone;
};

struct LeaveGroupMember {
  std::string member_id;  // "" with a group_instance_id: remove that static member
  std::optional<std::string> group_instance_id;
  std::optional<std::string> reason;
};

// v0-2 carry one member: the wire layer sends members[0]'s error as the
// top-level error code.
struct LeaveGroupRequest {
  std::string group_id;
  std::vector<LeaveGroupMember> members;
};

struct LeaveGroupMemberResponse {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  ErrorCode error_code = ErrorCode::kNone;
};

struct LeaveGroupResponse {
  ErrorCode error_code = ErrorCode::kNone;
  std::vector<LeaveGroupMemberResponse> members;
};

struct OffsetCommitRequestPartition {
  int32_t partition_index = 0;
  int64_t committed_offset = 0;
  int32_t committed_leader_epoch = -1;  // v6+
  std::optional<std::string> committed_metadata;
};

struct OffsetCommitRequestTopic {
  std::string name;
  std::vector<OffsetCommitRequestPartition> partitions;
};

struct OffsetCommitRequest {
  std::string group_id;
  int32_t generation_id = -1;  // -1 with member_id "": a simple (standalone) commit
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v7+
  int64_t retention_time_ms = -1;                // v2-4; -1: the broker's retention
  std::vector<OffsetCommitRequestTopic> topics;
};

struct OffsetCommitResponsePartition {
  int32_t partition_index = 0;
  ErrorCode error_code = ErrorCode::kNone;
};

struct OffsetCommitResponseTopic {
  std::string name;
  std::vector<OffsetCommitResponsePartition> partitions;
};

struct OffsetCommitResponse {
  std::vector<OffsetCommitResponseTopic> topics;
};

struct OffsetFetchRequestTopic {
  std::string name;
  std::vector<int32_t> partition_indexes;
};

struct OffsetFetchRequest {
  std::string group_id;
  std::optional<std::vector<OffsetFetchRequestTopic>> topics;  // nullopt: all
  bool require_stable = false;
};

struct OffsetFetchResponsePartition {
  int32_t partition_index = 0;
  int64_t committed_offset = -1;  // -1: nothing committed
  int32_t committed_leader_epoch = -1;
  std::optional<std::string> metadata;
  ErrorCode error_code = ErrorCode::kNone;
};

struct OffsetFetchResponseTopic {
  std::string name;
  std::vector<OffsetFetchResponsePartition> partitions;
};

struct OffsetFetchResponse {
  ErrorCode error_code = ErrorCode::kNone;  // group-level
  std::vector<OffsetFetchResponseTopic> topics;
};

struct DescribedGroupMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  std::string member_metadata;    // Stable groups only
  std::string member_assignment;  // Stable groups only
};

struct DescribedGroup {
  ErrorCode error_code = ErrorCode::kNone;
  std::string group_id;
  std::string group_state;  // "Empty", "PreparingRebalance", ..., "Dead"
  std::string protocol_type;
  std::string protocol_data;  // the selected protocol when Stable
  std::vector<DescribedGroupMember> members;
};

struct DescribeGroupsResponse {
  std::vector<DescribedGroup> groups;
};

struct ListGroupsRequest {
  std::vector<std::string> states_filter;  // v4+; empty: all
};

struct ListedGroup {
  std::string group_id;
  std::string protocol_type;
  std::string group_state;
};

struct ListGroupsResponse {
  ErrorCode error_code = ErrorCode::kNone;
  std::vector<ListedGroup> groups;
};

struct DeletableGroupResult {
  std::string group_id;
  ErrorCode error_code = ErrorCode::kNone;
};

struct DeleteGroupsResponse {
  std::vector<DeletableGroupResult> results;
};

}  // namespace samsa::group
