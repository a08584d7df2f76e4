#include "broker/group/group_coordinator.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "record/record_batch.h"
#include "util/logging.h"

namespace samsa::group {
namespace {

// Kafka's GroupMetadataManager.storeGroup error mapping.
ErrorCode StoreGroupError(const absl::Status& s) {
  switch (ErrorCode e = ErrorCodeOf(s)) {
    case ErrorCode::kNone: return e;
    case ErrorCode::kUnknownTopicOrPartition:
    case ErrorCode::kNotEnoughReplicas:
    case ErrorCode::kNotEnoughReplicasAfterAppend: return ErrorCode::kCoordinatorNotAvailable;
    case ErrorCode::kNotLeaderOrFollower:
    case ErrorCode::kKafkaStorageError: return ErrorCode::kNotCoordinator;
    case ErrorCode::kRequestTimedOut: return ErrorCode::kRebalanceInProgress;
    case ErrorCode::kMessageTooLarge:
    case ErrorCode::kRecordListTooLarge:
    case ErrorCode::kInvalidFetchSize: return ErrorCode::kUnknownServerError;
    default: return e;
  }
}

// Kafka's GroupMetadataManager.storeOffsets error mapping.
ErrorCode StoreOffsetsError(const absl::Status& s) {
  switch (ErrorCode e = ErrorCodeOf(s)) {
    case ErrorCode::kNone: return e;
    case ErrorCode::kUnknownTopicOrPartition:
    case ErrorCode::kNotEnoughReplicas:
    case ErrorCode::kNotEnoughReplicasAfterAppend: return ErrorCode::kCoordinatorNotAvailable;
    case ErrorCode::kNotLeaderOrFollower:
    case ErrorCode::kKafkaStorageError: return ErrorCode::kNotCoordinator;
    case ErrorCode::kMessageTooLarge:
    case ErrorCode::kRecordListTooLarge:
    case ErrorCode::kInvalidFetchSize: return ErrorCode::kInvalidCommitOffsetSize;
    default: return e;
  }
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

absl::Duration Ms(int64_t ms) { return absl::Milliseconds(std::max<int64_t>(ms, 0)); }

}  // namespace

GroupCoordinator::GroupCoordinator(Options options)
    : clock_(options.clock),
      store_(options.store),
      config_(options.config),
      partition_exists_(std::move(options.partition_exists)),
      rng_(std::random_device{}()),
      scheduler_(options.clock, 1, "group-coordinator") {
  const absl::Duration interval = Ms(config_.offsets_retention_check_interval_ms);
  scheduler_.SchedulePeriodic("offsets-retention", interval, interval,
                              [this] { CleanupExpiredOffsets(); });
}

GroupCoordinator::~GroupCoordinator() {
  scheduler_.Shutdown();
  Deferred out;
  {
    MutexLock commit(&commit_mu_);
    MutexLock lock(&mu_);
    shutting_down_ = true;
    for (auto& [id, g] : groups_) UnloadGroup(g.get(), &out);
    groups_.clear();
  }
  RunDeferred(out);
}

void GroupCoordinator::RunDeferred(Deferred& deferred) {
  for (auto& fn : deferred) fn();
  deferred.clear();
}

int32_t GroupCoordinator::PartitionFor(std::string_view group_id) const {
  return PartitionForGroup(group_id, config_.offsets_topic_num_partitions);
}

void GroupCoordinator::AwaitTimers() { scheduler_.AwaitIdle(); }

ErrorCode GroupCoordinator::GroupStatus(const std::string& group_id, bool require_non_empty_id) const {
  if (require_non_empty_id && group_id.empty()) return ErrorCode::kInvalidGroupId;
  if (shutting_down_) return ErrorCode::kCoordinatorNotAvailable;
  const int32_t p = PartitionFor(group_id);
  if (loading_partitions_.count(p)) return ErrorCode::kCoordinatorLoadInProgress;
  if (!owned_partitions_.count(p)) return ErrorCode::kNotCoordinator;
  return ErrorCode::kNone;
}

GroupMetadata* GroupCoordinator::FindGroup(const std::string& group_id) {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : it->second.get();
}

GroupMetadata* GroupCoordinator::CreateGroup(const std::string& group_id) {
  auto g = std::make_unique<GroupMetadata>(group_id, GroupState::kEmpty, NowMs());
  g->incarnation = next_token_++;
  GroupMetadata* raw = g.get();
  groups_[group_id] = std::move(g);
  return raw;
}

std::string GroupCoordinator::NewMemberId(const std::string& client_id,
                                          const std::optional<std::string>& instance_id) {
  // A random (version 4) UUID, as java.util.UUID.randomUUID() prints it.
  const uint64_t hi = (rng_() & ~0xf000ULL) | 0x4000ULL;
  const uint64_t lo = (rng_() & ~(0xcULL << 60)) | (0x8ULL << 60);
  const std::string uuid = fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32,
                                       (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48,
                                       lo & 0xffffffffffffULL);
  return fmt::format("{}-{}", instance_id.value_or(client_id), uuid);
}

// --- JoinGroup ----------------------------------------------------------------

void GroupCoordinator::JoinGroup(JoinGroupRequest req, JoinCallback done) {
  if (req.rebalance_timeout_ms < 0) req.rebalance_timeout_ms = req.session_timeout_ms;  // v0
  Deferred out;
  {
    MutexLock lock(&mu_);
    auto fail = [&](ErrorCode e) {
      JoinGroupResponse r;
      r.error_code = e;
      r.member_id = req.member_id;
      out.push_back([done = std::move(done), r] { done(r); });
    };
    const ErrorCode status = GroupStatus(req.group_id, /*require_non_empty_id=*/true);
    if (status != ErrorCode::kNone) {
      fail(status);
    } else if (req.session_timeout_ms < config_.group_min_session_timeout_ms ||
               req.session_timeout_ms > config_.group_max_session_timeout_ms) {
      fail(ErrorCode::kInvalidSessionTimeout);
    } else {
      const bool unknown_member = req.member_id.empty();
      GroupMetadata* g = FindGroup(req.group_id);
      if (g == nullptr && unknown_member) g = CreateGroup(req.group_id);
      if (g == nullptr) {
        fail(ErrorCode::kUnknownMemberId);
      } else {
        // Kafka's acceptJoiningMember (group.max.size).
        bool accept = true;
        MemberMetadata* existing = unknown_member ? nullptr : g->Get(req.member_id);
        switch (g->state()) {
          case GroupState::kEmpty:
          case GroupState::kDead: break;
          case GroupState::kPreparingRebalance:
            accept = (existing && existing->IsAwaitingJoin()) ||
                     g->num_awaiting_join() < config_.group_max_size;
            break;
          case GroupState::kCompletingRebalance:
          case GroupState::kStable:
            accept = existing != nullptr || g->size() < config_.group_max_size;
            break;
        }
        if (!accept) {
          fail(ErrorCode::kGroupMaxSizeReached);
        } else if (unknown_member) {
          DoNewMemberJoin(g, req, done, &out);
        } else {
          DoCurrentMemberJoin(g, req, done, &out);
        }
        if (g->Is(GroupState::kPreparingRebalance)) TryCompleteJoin(g, &out);
      }
    }
  }
  RunDeferred(out);
}

void GroupCoordinator::DoNewMemberJoin(GroupMetadata* g, JoinGroupRequest& req, JoinCallback& done,
                                       Deferred* out) {
  auto fail = [&](ErrorCode e, const std::string& member_id) {
    JoinGroupResponse r;
    r.error_code = e;
    r.member_id = member_id;
    out->push_back([done = std::move(done), r] { done(r); });
  };
  if (g->Is(GroupState::kDead)) return fail(ErrorCode::kCoordinatorNotAvailable, "");
  if (!g->SupportsProtocols(req.protocol_type, req.protocols)) {
    return fail(ErrorCode::kInconsistentGroupProtocol, "");
  }
  const std::string new_id = NewMemberId(req.client_id, req.group_instance_id);
  if (req.group_instance_id) {
    if (auto old_id = g->StaticMemberId(*req.group_instance_id)) {
      SAMSA_LOG(kInfo, "group {}: static member {} rejoins; replacing member {} with {}",
                g->group_id(), *req.group_instance_id, *old_id, new_id);
      return UpdateStaticMemberAndRebalance(g, *old_id, new_id, req, std::move(done), out);
    }
    return AddMemberAndRebalance(g, req, new_id, std::move(done), out);
  }
  if (req.require_known_member_id) {
    g->AddPendingMember(new_id);
    AddPendingMemberExpiration(g, new_id, req.session_timeout_ms);
    return fail(ErrorCode::kMemberIdRequired, new_id);
  }
  AddMemberAndRebalance(g, req, new_id, std::move(done), out);
}

void GroupCoordinator::DoCurrentMemberJoin(GroupMetadata* g, JoinGroupRequest& req,
                                           JoinCallback& done, Deferred* out) {
  const std::string& member_id = req.member_id;
  auto respond = [&](JoinGroupResponse r) {
    out->push_back([done = std::move(done), r = std::move(r)] { done(r); });
  };
  auto fail = [&](ErrorCode e) {
    JoinGroupResponse r;
    r.error_code = e;
    r.member_id = member_id;
    respond(std::move(r));
  };
  if (g->Is(GroupState::kDead)) return fail(ErrorCode::kCoordinatorNotAvailable);
  if (!g->SupportsProtocols(req.protocol_type, req.protocols)) {
    return fail(ErrorCode::kInconsistentGroupProtocol);
  }
  if (g->IsPendingMember(member_id)) {
    // Pending member ids are handed out to dynamic members only.
    if (req.group_instance_id) return fail(ErrorCode::kUnknownMemberId);
    return AddMemberAndRebalance(g, req, member_id, std::move(done), out);
  }
  if (g->IsStaticMemberFenced(req.group_instance_id, member_id)) {
    return fail(ErrorCode::kFencedInstanceId);
  }
  MemberMetadata* m = g->Get(member_id);
  if (m == nullptr || (req.group_instance_id && !g->StaticMemberId(*req.group_instance_id))) {
    return fail(ErrorCode::kUnknownMemberId);
  }
  auto update_and_rebalance = [&] {
    g->UpdateMember(m, req.protocols, req.rebalance_timeout_ms, req.session_timeout_ms,
                    std::move(done));
    MaybePrepareRebalance(g, out);
  };
  switch (g->state()) {
    case GroupState::kPreparingRebalance:
      return update_and_rebalance();
    case GroupState::kCompletingRebalance:
      if (m->Matches(req.protocols)) {
        // It may have missed the JoinGroup response: give it again.
        return respond(JoinResult(g, member_id, g->IsLeader(member_id)));
      }
      return update_and_rebalance();
    case GroupState::kStable:
      // The leader's JoinGroup forces a rebalance (so it can react to
      // changes the member metadata does not show); so does new metadata.
      if (g->IsLeader(member_id) || !m->Matches(req.protocols)) return update_and_rebalance();
      return respond(JoinResult(g, member_id, /*with_members=*/false));
    case GroupState::kEmpty:
    case GroupState::kDead:
      return fail(ErrorCode::kUnknownMemberId);
  }
}

void GroupCoordinator::AddMemberAndRebalance(GroupMetadata* g, JoinGroupRequest& req,
                                             const std::string& member_id, JoinCallback done,
                                             Deferred* out) {
  MemberMetadata m;
  m.member_id = member_id;
  m.group_instance_id = req.group_instance_id;
  m.client_id = req.client_id;
  m.client_host = req.client_host;
  m.rebalance_timeout_ms = req.rebalance_timeout_ms;
  m.session_timeout_ms = req.session_timeout_ms;
  m.protocol_type = req.protocol_type;
  m.supported_protocols = req.protocols;
  m.is_new = true;
  // Lets the initial rebalance delay be extended.
  if (g->Is(GroupState::kPreparingRebalance) && g->generation_id() == 0) {
    g->set_new_member_added(true);
  }
  g->pending_member_tokens.erase(member_id);
  g->Add(std::move(m), std::move(done));
  // A new member cannot heartbeat before its JoinGroup returns: time out the
  // JoinGroup itself instead, so a client that went away is not waited for.
  ScheduleHeartbeat(g, g->Get(member_id), config_.new_member_join_timeout_ms);
  MaybePrepareRebalance(g, out);
}

void GroupCoordinator::UpdateStaticMemberAndRebalance(GroupMetadata* g, const std::string& old_id,
                                                      const std::string& new_id,
                                                      JoinGroupRequest& req, JoinCallback done,
                                                      Deferred* out) {
  const std::string current_leader = g->leader_id().value_or("");
  std::vector<JoinCallback> fenced_join;
  std::vector<SyncCallback> fenced_sync;
  MemberMetadata* m =
      g->ReplaceStaticMember(*req.group_instance_id, old_id, new_id, &fenced_join, &fenced_sync);
  for (auto& cb : fenced_join) {
    JoinGroupResponse r;
    r.error_code = ErrorCode::kFencedInstanceId;
    r.member_id = old_id;
    out->push_back([cb = std::move(cb), r] { cb(r); });
  }
  for (auto& cb : fenced_sync) {
    SyncGroupResponse r;
    r.error_code = ErrorCode::kFencedInstanceId;
    out->push_back([cb = std::move(cb), r] { cb(r); });
  }
  ScheduleHeartbeat(g, m, m->session_timeout_ms);
  const std::vector<JoinGroupProtocol> old_protocols = m->supported_protocols;
  const int32_t old_rebalance = m->rebalance_timeout_ms;
  const int32_t old_session = m->session_timeout_ms;
  g->UpdateMember(m, req.protocols, req.rebalance_timeout_ms, req.session_timeout_ms, done);
  switch (g->state()) {
    case GroupState::kStable: {
      if (g->protocol_name() && *g->protocol_name() == g->SelectProtocol()) {
        // Same protocol: persist the new member id, no rebalance.
        std::map<std::string, std::string> assignment;
        for (const auto& [id, member] : g->members()) assignment[id] = member.assignment;
        const ErrorCode err = StoreGroup(g, assignment);
        if (err != ErrorCode::kNone) {
          SAMSA_LOG(kWarning, "group {}: could not persist static member {}: {}", g->group_id(),
                    *req.group_instance_id, ErrorCodeName(err));
          g->UpdateMember(m, old_protocols, old_rebalance, old_session, nullptr);
          std::vector<JoinCallback> unused_join;
          std::vector<SyncCallback> unused_sync;
          MemberMetadata* old = g->ReplaceStaticMember(*req.group_instance_id, new_id, old_id,
                                                       &unused_join, &unused_sync);
          ScheduleHeartbeat(g, old, old->session_timeout_ms);
          JoinGroupResponse r;
          r.error_code = err;
          r.generation_id = g->generation_id();
          r.protocol_type = g->protocol_type();
          r.protocol_name = g->protocol_name();
          r.leader = current_leader;
          out->push_back([done = std::move(done), r] { done(r); });
        } else if (req.support_skipping_assignment) {
          // JoinGroup v9+: the leader learns it leads (and keeps watching
          // metadata) but skips the assignor, whose result a Stable group
          // would not propagate.
          const bool is_leader = g->IsLeader(new_id);
          JoinGroupResponse r = JoinResult(g, new_id, /*with_members=*/is_leader);
          r.skip_assignment = is_leader;
          InvokeJoin(g, m, std::move(r), out);
        } else {
          JoinGroupResponse r = JoinResult(g, new_id, /*with_members=*/false);
          // The old leader id: a replaced leader must not assign in a Stable
          // group (its assignment would not be propagated).
          r.leader = current_leader;
          InvokeJoin(g, m, std::move(r), out);
        }
      } else {
        MaybePrepareRebalance(g, out);
      }
      break;
    }
    case GroupState::kCompletingRebalance:
      MaybePrepareRebalance(g, out);
      break;
    default:
      break;  // PreparingRebalance: it waits with the others
  }
}

void GroupCoordinator::MaybePrepareRebalance(GroupMetadata* g, Deferred* out) {
  if (g->CanRebalance()) PrepareRebalance(g, out);
}

void GroupCoordinator::PrepareRebalance(GroupMetadata* g, Deferred* out) {
  if (g->Is(GroupState::kCompletingRebalance)) {
    ResetAndPropagateAssignmentError(g, ErrorCode::kRebalanceInProgress, out);
  }
  g->sync_token = 0;  // cancels a pending-sync timer
  const bool initial = g->Is(GroupState::kEmpty);
  g->TransitionTo(GroupState::kPreparingRebalance, NowMs());
  SAMSA_LOG(kDebug, "group {}: preparing to rebalance (generation {})", g->group_id(),
            g->generation_id());
  if (initial) {
    const int32_t delay = config_.group_initial_rebalance_delay_ms;
    g->initial_remaining_ms = std::max(g->RebalanceTimeoutMs() - delay, 0);
    ScheduleJoin(g, /*initial=*/true, delay);
  } else {
    ScheduleJoin(g, /*initial=*/false, g->RebalanceTimeoutMs());
    TryCompleteJoin(g, out);
  }
}

void GroupCoordinator::ScheduleJoin(GroupMetadata* g, bool initial, int32_t delay_ms) {
  const uint64_t token = next_token_++;
  g->join_token = token;
  g->join_is_initial = initial;
  if (initial) g->initial_delay_ms = delay_ms;
  scheduler_.ScheduleOnce("group-join", Ms(delay_ms),
                          [this, id = g->group_id(), token] { OnJoinTimer(id, token); });
}

void GroupCoordinator::TryCompleteJoin(GroupMetadata* g, Deferred* out) {
  if (g->Is(GroupState::kPreparingRebalance) && g->join_token != 0 && !g->join_is_initial &&
      g->HasAllMembersJoined()) {
    g->join_token = 0;
    OnCompleteJoin(g, out);
  }
}

void GroupCoordinator::OnJoinTimer(const std::string& group_id, uint64_t token) {
  Deferred out;
  {
    MutexLock lock(&mu_);
    GroupMetadata* g = FindGroup(group_id);
    if (g == nullptr || g->join_token != token) return;
    if (g->join_is_initial && g->new_member_added() && g->initial_remaining_ms != 0) {
      // Kafka's InitialDelayedJoin: members are still arriving; wait again,
      // up to the rebalance timeout in all.
      g->set_new_member_added(false);
      const int32_t delay = std::min(config_.group_initial_rebalance_delay_ms, g->initial_remaining_ms);
      g->initial_remaining_ms = std::max(g->initial_remaining_ms - g->initial_delay_ms, 0);
      ScheduleJoin(g, /*initial=*/true, delay);
      return;
    }
    g->join_token = 0;
    OnCompleteJoin(g, &out);
  }
  RunDeferred(out);
}

void GroupCoordinator::OnCompleteJoin(GroupMetadata* g, Deferred* out) {
  std::vector<std::string> gone;
  for (const auto& [id, m] : g->members()) {
    if (!m.IsAwaitingJoin() && !m.IsStatic()) gone.push_back(id);
  }
  for (const std::string& id : gone) {
    SAMSA_LOG(kInfo, "group {}: removing member {}, which did not rejoin in time", g->group_id(), id);
    MemberMetadata* m = g->Get(id);
    CancelHeartbeat(m);
    if (SyncCallback cb = g->TakeSyncCallback(m)) {
      SyncGroupResponse r;
      r.error_code = ErrorCode::kUnknownMemberId;
      out->push_back([cb = std::move(cb), r] { cb(r); });
    }
    g->Remove(id);
  }
  if (g->Is(GroupState::kDead)) return;
  if (!g->MaybeElectNewJoinedLeader() && !g->members().empty()) {
    // Nobody rejoined: wait for sessions to expire the silent members.
    SAMSA_LOG(kWarning, "group {}: could not complete rebalance, no member rejoined", g->group_id());
    ScheduleJoin(g, /*initial=*/false, g->RebalanceTimeoutMs());
    return;
  }
  g->InitNextGeneration(NowMs());
  if (g->Is(GroupState::kEmpty)) {
    SAMSA_LOG(kInfo, "group {} with generation {} is now empty", g->group_id(), g->generation_id());
    const ErrorCode err = StoreGroup(g, {});
    if (err != ErrorCode::kNone) {
      SAMSA_LOG(kWarning, "group {}: could not write its empty metadata: {}", g->group_id(),
                ErrorCodeName(err));
    }
    return;
  }
  SAMSA_LOG(kInfo, "group {}: stabilized generation {} ({}) with {} members", g->group_id(),
            g->generation_id(), g->protocol_name().value_or(""), g->size());
  for (auto& [id, m] : g->members()) {
    InvokeJoin(g, &m, JoinResult(g, id, g->IsLeader(id)), out);
    ScheduleHeartbeat(g, &m, m.session_timeout_ms);
    m.is_new = false;
    g->pending_sync_members().insert(id);
  }
  SchedulePendingSync(g);
}

JoinGroupResponse GroupCoordinator::JoinResult(GroupMetadata* g, const std::string& member_id,
                                               bool with_members) {
  JoinGroupResponse r;
  r.generation_id = g->generation_id();
  r.protocol_type = g->protocol_type();
  r.protocol_name = g->protocol_name();
  r.leader = g->leader_id().value_or("");
  r.member_id = member_id;
  if (with_members) r.members = g->CurrentMemberMetadata();
  return r;
}

void GroupCoordinator::InvokeJoin(GroupMetadata* g, MemberMetadata* m, JoinGroupResponse r,
                                  Deferred* out) {
  if (JoinCallback cb = g->TakeJoinCallback(m)) {
    out->push_back([cb = std::move(cb), r = std::move(r)] { cb(r); });
  }
}

void GroupCoordinator::ResetAndPropagateAssignmentError(GroupMetadata* g, ErrorCode error,
                                                        Deferred* out) {
  for (auto& [id, m] : g->members()) m.assignment.clear();
  for (auto& [id, m] : g->members()) {
    if (SyncCallback cb = g->TakeSyncCallback(&m)) {
      SyncGroupResponse r;
      r.error_code = error;
      out->push_back([cb = std::move(cb), r] { cb(r); });
      ScheduleHeartbeat(g, &m, m.session_timeout_ms);
    }
  }
}

void GroupCoordinator::SetAndPropagateAssignment(
    GroupMetadata* g, const std::map<std::string, std::string>& assignment, Deferred* out) {
  for (auto& [id, m] : g->members()) {
    auto it = assignment.find(id);
    m.assignment = it == assignment.end() ? "" : it->second;
  }
  for (auto& [id, m] : g->members()) {
    if (SyncCallback cb = g->TakeSyncCallback(&m)) {
      SyncGroupResponse r;
      r.protocol_type = g->protocol_type();
      r.protocol_name = g->protocol_name();
      r.assignment = m.assignment;
      out->push_back([cb = std::move(cb), r = std::move(r)] { cb(r); });
      ScheduleHeartbeat(g, &m, m.session_timeout_ms);
    }
  }
}

void GroupCoordinator::SchedulePendingSync(GroupMetadata* g) {
  const uint64_t token = next_token_++;
  g->sync_token = token;
  scheduler_.ScheduleOnce("group-sync", Ms(g->RebalanceTimeoutMs()),
                          [this, id = g->group_id(), token] { OnSyncTimer(id, token); });
}

void GroupCoordinator::OnSyncTimer(const std::string& group_id, uint64_t token) {
  Deferred out;
  {
    MutexLock lock(&mu_);
    GroupMetadata* g = FindGroup(group_id);
    if (g == nullptr || g->sync_token != token) return;
    g->sync_token = 0;
    if (!(g->Is(GroupState::kCompletingRebalance) || g->Is(GroupState::kStable)) ||
        g->pending_sync_members().empty()) {
      return;
    }
    const std::set<std::string> pending = g->pending_sync_members();
    for (const std::string& id : pending) {
      SAMSA_LOG(kInfo, "group {}: removing member {}, which did not send SyncGroup in time",
                g->group_id(), id);
      if (MemberMetadata* m = g->Get(id)) CancelHeartbeat(m);
      g->Remove(id);
    }
    PrepareRebalance(g, &out);
  }
  RunDeferred(out);
}

// --- SyncGroup ----------------------------------------------------------------

void GroupCoordinator::SyncGroup(SyncGroupRequest req, SyncCallback done) {
  Deferred out;
  {
    MutexLock lock(&mu_);
    auto fail = [&](ErrorCode e) {
      SyncGroupResponse r;
      r.error_code = e;
      out.push_back([done = std::move(done), r] { done(r); });
    };
    ErrorCode status = GroupStatus(req.group_id, /*require_non_empty_id=*/true);
    // A loading coordinator asks the member to rejoin.
    if (status == ErrorCode::kCoordinatorLoadInProgress) status = ErrorCode::kRebalanceInProgress;
    GroupMetadata* g = status == ErrorCode::kNone ? FindGroup(req.group_id) : nullptr;
    MemberMetadata* m = g ? g->Get(req.member_id) : nullptr;
    if (status != ErrorCode::kNone) {
      fail(status);
    } else if (g == nullptr) {
      fail(ErrorCode::kUnknownMemberId);
    } else if (g->Is(GroupState::kDead)) {
      fail(ErrorCode::kCoordinatorNotAvailable);
    } else if (g->IsStaticMemberFenced(req.group_instance_id, req.member_id)) {
      fail(ErrorCode::kFencedInstanceId);
    } else if (m == nullptr) {
      fail(ErrorCode::kUnknownMemberId);
    } else if (req.generation_id != g->generation_id()) {
      fail(ErrorCode::kIllegalGeneration);
    } else if ((req.protocol_type && g->protocol_type() != req.protocol_type) ||
               (req.protocol_name && g->protocol_name() != req.protocol_name)) {
      fail(ErrorCode::kInconsistentGroupProtocol);
    } else {
      switch (g->state()) {
        case GroupState::kEmpty:
        case GroupState::kDead:
          fail(ErrorCode::kUnknownMemberId);
          break;
        case GroupState::kPreparingRebalance:
          fail(ErrorCode::kRebalanceInProgress);
          break;
        case GroupState::kCompletingRebalance: {
          m->awaiting_sync = std::move(done);
          g->pending_sync_members().erase(req.member_id);
          if (g->pending_sync_members().empty()) g->sync_token = 0;
          if (g->IsLeader(req.member_id)) {
            std::map<std::string, std::string> assignment;
            for (SyncGroupAssignment& a : req.assignments) {
              assignment[a.member_id] = std::move(a.assignment);
            }
            for (const auto& [id, member] : g->members()) assignment.try_emplace(id);
            const ErrorCode err = StoreGroup(g, assignment);
            if (err != ErrorCode::kNone) {
              ResetAndPropagateAssignmentError(g, err, &out);
              MaybePrepareRebalance(g, &out);
            } else {
              SetAndPropagateAssignment(g, assignment, &out);
              g->TransitionTo(GroupState::kStable, NowMs());
            }
          }
          break;
        }
        case GroupState::kStable: {
          g->pending_sync_members().erase(req.member_id);
          if (g->pending_sync_members().empty()) g->sync_token = 0;
          SyncGroupResponse r;
          r.protocol_type = g->protocol_type();
          r.protocol_name = g->protocol_name();
          r.assignment = m->assignment;
          out.push_back([done = std::move(done), r] { done(r); });
          ScheduleHeartbeat(g, m, m->session_timeout_ms);
          break;
        }
      }
    }
  }
  RunDeferred(out);
}

// --- Heartbeat and sessions ---------------------------------------------------

HeartbeatResponse GroupCoordinator::Heartbeat(const HeartbeatRequest& req) {
  MutexLock lock(&mu_);
  HeartbeatResponse r;
  const ErrorCode status = GroupStatus(req.group_id, /*require_non_empty_id=*/true);
  if (status == ErrorCode::kCoordinatorLoadInProgress) return r;  // as Kafka: blindly fine
  if (status != ErrorCode::kNone) {
    r.error_code = status;
    return r;
  }
  GroupMetadata* g = FindGroup(req.group_id);
  MemberMetadata* m = g ? g->Get(req.member_id) : nullptr;
  if (g == nullptr) {
    r.error_code = ErrorCode::kUnknownMemberId;
  } else if (g->Is(GroupState::kDead)) {
    r.error_code = ErrorCode::kCoordinatorNotAvailable;
  } else if (g->IsStaticMemberFenced(req.group_instance_id, req.member_id)) {
    r.error_code = ErrorCode::kFencedInstanceId;
  } else if (m == nullptr) {
    r.error_code = ErrorCode::kUnknownMemberId;
  } else if (req.generation_id != g->generation_id()) {
    r.error_code = ErrorCode::kIllegalGeneration;
  } else if (g->Is(GroupState::kEmpty)) {
    r.error_code = ErrorCode::kUnknownMemberId;
  } else {
    ScheduleHeartbeat(g, m, m->session_timeout_ms);
    if (g->Is(GroupState::kPreparingRebalance)) r.error_code = ErrorCode::kRebalanceInProgress;
  }
  return r;
}

void GroupCoordinator::ScheduleHeartbeat(GroupMetadata* g, MemberMetadata* m, int32_t timeout_ms) {
  CancelHeartbeat(m);
  m->heartbeat_satisfied = false;
  const uint64_t token = next_token_++;
  m->heartbeat_token = token;
  m->heartbeat_task = scheduler_.ScheduleOnce(
      "group-session", Ms(timeout_ms),
      [this, gid = g->group_id(), mid = m->member_id, token] { OnHeartbeatTimer(gid, mid, token); });
}

void GroupCoordinator::CancelHeartbeat(MemberMetadata* m) {
  if (m->heartbeat_task != 0) scheduler_.Cancel(m->heartbeat_task);
  m->heartbeat_task = 0;
  m->heartbeat_token = 0;
}

void GroupCoordinator::OnHeartbeatTimer(const std::string& group_id, const std::string& member_id,
                                        uint64_t token) {
  Deferred out;
  {
    MutexLock lock(&mu_);
    GroupMetadata* g = FindGroup(group_id);
    if (g == nullptr || g->Is(GroupState::kDead)) return;
    MemberMetadata* m = g->Get(member_id);
    if (m == nullptr || m->heartbeat_token != token) return;
    m->heartbeat_task = 0;
    if (m->HasSatisfiedHeartbeat()) return;  // awaiting a rebalance: not expected to beat
    SAMSA_LOG(kInfo, "group {}: member {} has failed (session timed out), removing it", group_id,
              member_id);
    RemoveMemberAndUpdateGroup(g, member_id, &out);
  }
  RunDeferred(out);
}

void GroupCoordinator::AddPendingMemberExpiration(GroupMetadata* g, const std::string& member_id,
                                                  int32_t timeout_ms) {
  const uint64_t token = next_token_++;
  g->pending_member_tokens[member_id] = token;
  scheduler_.ScheduleOnce("group-pending-member", Ms(timeout_ms),
                          [this, gid = g->group_id(), member_id, token] {
                            OnPendingMemberTimer(gid, member_id, token);
                          });
}

void GroupCoordinator::OnPendingMemberTimer(const std::string& group_id, const std::string& member_id,
                                            uint64_t token) {
  Deferred out;
  {
    MutexLock lock(&mu_);
    GroupMetadata* g = FindGroup(group_id);
    if (g == nullptr) return;
    auto it = g->pending_member_tokens.find(member_id);
    if (it == g->pending_member_tokens.end() || it->second != token) return;
    if (g->IsPendingMember(member_id)) RemovePendingMemberAndUpdateGroup(g, member_id, &out);
  }
  RunDeferred(out);
}

void GroupCoordinator::RemoveMemberAndUpdateGroup(GroupMetadata* g, const std::string& member_id,
                                                  Deferred* out) {
  MemberMetadata* m = g->Get(member_id);
  if (m == nullptr) return;
  // A new member may time out while its JoinGroup waits: answer it so the
  // client rejoins if it is still alive.
  if (JoinCallback cb = g->TakeJoinCallback(m)) {
    JoinGroupResponse r;
    r.error_code = ErrorCode::kUnknownMemberId;
    out->push_back([cb = std::move(cb), r] { cb(r); });
  }
  if (SyncCallback cb = g->TakeSyncCallback(m)) {
    SyncGroupResponse r;
    r.error_code = ErrorCode::kUnknownMemberId;
    out->push_back([cb = std::move(cb), r] { cb(r); });
  }
  CancelHeartbeat(m);
  g->Remove(member_id);
  switch (g->state()) {
    case GroupState::kDead:
    case GroupState::kEmpty: break;
    case GroupState::kStable:
    case GroupState::kCompletingRebalance: MaybePrepareRebalance(g, out); break;
    case GroupState::kPreparingRebalance: TryCompleteJoin(g, out); break;
  }
}

void GroupCoordinator::RemovePendingMemberAndUpdateGroup(GroupMetadata* g,
                                                         const std::string& member_id,
                                                         Deferred* out) {
  g->RemovePendingMember(member_id);
  g->pending_member_tokens.erase(member_id);
  if (g->Is(GroupState::kPreparingRebalance)) TryCompleteJoin(g, out);
}

// --- LeaveGroup ---------------------------------------------------------------

LeaveGroupResponse GroupCoordinator::LeaveGroup(const LeaveGroupRequest& req) {
  Deferred out;
  LeaveGroupResponse resp;
  {
    MutexLock lock(&mu_);
    const ErrorCode status = GroupStatus(req.group_id, /*require_non_empty_id=*/true);
    if (status != ErrorCode::kNone) {
      resp.error_code = status;
      return resp;
    }
    GroupMetadata* g = FindGroup(req.group_id);
    if (g != nullptr && g->Is(GroupState::kDead)) {
      resp.error_code = ErrorCode::kCoordinatorNotAvailable;
      return resp;
    }
    for (const LeaveGroupMember& lm : req.members) {
      LeaveGroupMemberResponse mr{lm.member_id, lm.group_instance_id, ErrorCode::kNone};
      if (g == nullptr) {
        mr.error_code = ErrorCode::kUnknownMemberId;
      } else if (lm.member_id.empty()) {
        // Removal of a static member by instance id (administrative).
        std::optional<std::string> current =
            lm.group_instance_id ? g->StaticMemberId(*lm.group_instance_id) : std::nullopt;
        if (current) {
          RemoveMemberAndUpdateGroup(g, *current, &out);
        } else {
          mr.error_code = ErrorCode::kUnknownMemberId;
        }
      } else if (g->IsPendingMember(lm.member_id)) {
        RemovePendingMemberAndUpdateGroup(g, lm.member_id, &out);
      } else if (g->IsStaticMemberFenced(lm.group_instance_id, lm.member_id)) {
        mr.error_code = ErrorCode::kFencedInstanceId;
      } else if (g->Has(lm.member_id)) {
        SAMSA_LOG(kInfo, "group {}: member {} leaves{}", g->group_id(), lm.member_id,
                  lm.reason ? fmt::format(" ({})", *lm.reason) : "");
        RemoveMemberAndUpdateGroup(g, lm.member_id, &out);
      } else {
        mr.error_code = ErrorCode::kUnknownMemberId;
      }
      resp.members.push_back(std::move(mr));
    }
  }
  RunDeferred(out);
  return resp;
}

// --- Offsets ------------------------------------------------------------------

OffsetCommitResponse GroupCoordinator::OffsetCommit(const OffsetCommitRequest& req) {
  OffsetCommitResponse resp;
  for (const OffsetCommitRequestTopic& t : req.topics) {
    OffsetCommitResponseTopic rt{t.name, {}};
    for (const OffsetCommitRequestPartition& p : t.partitions) {
      rt.partitions.push_back({p.partition_index, ErrorCode::kNone});
    }
    resp.topics.push_back(std::move(rt));
  }
  auto set_all = [&resp](ErrorCode e) {
    for (auto& t : resp.topics) {
      for (auto& p : t.partitions) p.error_code = e;
    }
  };

  MutexLock commit(&commit_mu_);
  struct Pending {
    OffsetCommitResponsePartition* response;
    TopicPartition tp;
    OffsetCommitValue value;
  };
  std::vector<Pending> pending;
  uint64_t incarnation = 0;
  int32_t partition = 0;
  {
    MutexLock lock(&mu_);
    const ErrorCode status = GroupStatus(req.group_id, /*require_non_empty_id=*/false);
    if (status != ErrorCode::kNone) {
      set_all(status);
      return resp;
    }
    GroupMetadata* g = FindGroup(req.group_id);
    if (g == nullptr) {
      if (req.generation_id >= 0) {
        // From an old generation of a group that is gone.
        set_all(ErrorCode::kIllegalGeneration);
        return resp;
      }
      g = CreateGroup(req.group_id);  // a group that only stores offsets
    }
    // Kafka's validateOffsetCommit.
    ErrorCode error = ErrorCode::kNone;
    MemberMetadata* m = g->Get(req.member_id);
    if (g->Is(GroupState::kDead)) {
      error = ErrorCode::kCoordinatorNotAvailable;
    } else if (req.generation_id >= 0 || !req.member_id.empty() || req.group_instance_id) {
      if (g->IsStaticMemberFenced(req.group_instance_id, req.member_id)) {
        error = ErrorCode::kFencedInstanceId;
      } else if (m == nullptr) {
        error = ErrorCode::kUnknownMemberId;
      } else if (req.generation_id != g->generation_id()) {
        error = ErrorCode::kIllegalGeneration;
      }
    } else if (!g->Is(GroupState::kEmpty)) {
      error = ErrorCode::kUnknownMemberId;  // only members commit to a live group
    }
    if (error == ErrorCode::kNone && g->Is(GroupState::kCompletingRebalance)) {
      error = ErrorCode::kRebalanceInProgress;
    }
    if (error != ErrorCode::kNone) {
      set_all(error);
      return resp;
    }
    if (m != nullptr && (g->Is(GroupState::kStable) || g->Is(GroupState::kPreparingRebalance))) {
      ScheduleHeartbeat(g, m, m->session_timeout_ms);
    }
    const int64_t now = NowMs();
    for (size_t ti = 0; ti < req.topics.size(); ++ti) {
      const OffsetCommitRequestTopic& t = req.topics[ti];
      for (size_t pi = 0; pi < t.partitions.size(); ++pi) {
        const OffsetCommitRequestPartition& p = t.partitions[pi];
        OffsetCommitResponsePartition* rp = &resp.topics[ti].partitions[pi];
        TopicPartition tp{t.name, p.partition_index};
        if (partition_exists_ && !partition_exists_(tp)) {
          rp->error_code = ErrorCode::kUnknownTopicOrPartition;
          continue;
        }
        const std::string metadata = p.committed_metadata.value_or("");
        if (static_cast<int64_t>(metadata.size()) > config_.offset_metadata_max_bytes) {
          rp->error_code = ErrorCode::kOffsetMetadataTooLarge;
          continue;
        }
        OffsetCommitValue v;
        v.offset = p.committed_offset;
        v.leader_epoch = p.committed_leader_epoch;
        v.metadata = metadata;
        v.commit_timestamp = now;
        v.expire_timestamp = req.retention_time_ms >= 0 ? now + req.retention_time_ms : -1;
        pending.push_back({rp, std::move(tp), std::move(v)});
      }
    }
    incarnation = g->incarnation;
    partition = PartitionFor(req.group_id);
  }
  if (pending.empty()) return resp;

  // Append outside the coordinator lock; commit_mu_ keeps appends and cache
  // updates in the same order, and keeps deletions out meanwhile.
  record::RecordBatchBuilder builder;
  const int64_t now = NowMs();
  for (const Pending& p : pending) {
    const std::string key =
        EncodeOffsetCommitKey(OffsetCommitKey{req.group_id, p.tp.topic, p.tp.partition});
    const std::string value = EncodeOffsetCommitValue(p.value);
    builder.Append(now, key, value);
  }
  absl::StatusOr<std::string> batch = builder.Build();
  absl::Status status = batch.status();
  if (status.ok()) status = store_->Append(partition, std::move(*batch)).status();

  MutexLock lock(&mu_);
  if (!status.ok()) {
    const ErrorCode e = StoreOffsetsError(status);
    SAMSA_LOG(kWarning, "group {}: offset commit failed: {}", req.group_id,
              std::string(status.message()));
    for (Pending& p : pending) p.response->error_code = e;
    return resp;
  }
  GroupMetadata* g = FindGroup(req.group_id);
  if (g != nullptr && g->incarnation == incarnation && !g->Is(GroupState::kDead)) {
    for (Pending& p : pending) g->offsets()[p.tp] = std::move(p.value);
  }
  return resp;
}

OffsetFetchResponse GroupCoordinator::OffsetFetch(const OffsetFetchRequest& req) {
  MutexLock lock(&mu_);
  OffsetFetchResponse resp;
  const ErrorCode status = GroupStatus(req.group_id, /*require_non_empty_id=*/false);
  if (status != ErrorCode::kNone) {
    resp.error_code = status;
    return resp;
  }
  GroupMetadata* g = FindGroup(req.group_id);
  if (g != nullptr && g->Is(GroupState::kDead)) g = nullptr;
  auto fill = [](OffsetFetchResponsePartition* rp, const OffsetCommitValue* v) {
    rp->committed_offset = v ? v->offset : -1;
    rp->committed_leader_epoch = v ? v->leader_epoch : -1;
    rp->metadata = v ? v->metadata : "";
  };
  if (!req.topics) {
    if (g == nullptr) return resp;
    for (const auto& [tp, v] : g->offsets()) {
      if (resp.topics.empty() || resp.topics.back().name != tp.topic) {
        resp.topics.push_back({tp.topic, {}});
      }
      OffsetFetchResponsePartition rp;
      rp.partition_index = tp.partition;
      fill(&rp, &v);
      resp.topics.back().partitions.push_back(std::move(rp));
    }
    return resp;
  }
  for (const OffsetFetchRequestTopic& t : *req.topics) {
    OffsetFetchResponseTopic rt{t.name, {}};
    for (int32_t p : t.partition_indexes) {
      OffsetFetchResponsePartition rp;
      rp.partition_index = p;
      const OffsetCommitValue* v = nullptr;
      if (g != nullptr) {
        auto it = g->offsets().find(TopicPartition{t.name, p});
        if (it != g->offsets().end()) v = &it->second;
      }
      fill(&rp, v);
      rt.partitions.push_back(std::move(rp));
    }
    resp.topics.push_back(std::move(rt));
  }
  return resp;
}

absl::StatusOr<std::map<TopicPartition, OffsetCommitValue>> GroupCoordinator::CommittedOffsets(
    std::string_view group_id) {
  MutexLock lock(&mu_);
  const std::string id(group_id);
  const ErrorCode status = GroupStatus(id, /*require_non_empty_id=*/false);
  if (status != ErrorCode::kNone) return KafkaError(status, fmt::format("group '{}'", id));
  GroupMetadata* g = FindGroup(id);
  if (g == nullptr || g->Is(GroupState::kDead)) return std::map<TopicPartition, OffsetCommitValue>{};
  return g->offsets();
}

absl::Status GroupCoordinator::OnTopicDeleted(std::string_view topic) {
  MutexLock commit(&commit_mu_);
  MutexLock lock(&mu_);
  std::vector<std::string> ids;
  for (const auto& [id, g] : groups_) ids.push_back(id);
  const std::string name(topic);
  CleanupGroupMetadata(ids, [&name](GroupMetadata* g) {
    std::vector<TopicPartition> removed;
    for (auto it = g->offsets().begin(); it != g->offsets().end();) {
      if (it->first.topic == name) {
        removed.push_back(it->first);
        it = g->offsets().erase(it);
      } else {
        ++it;
      }
    }
    return removed;
  });
  return absl::OkStatus();
}

void GroupCoordinator::CleanupExpiredOffsets() {
  MutexLock commit(&commit_mu_);
  MutexLock lock(&mu_);
  if (shutting_down_) return;
  std::vector<std::string> ids;
  for (const auto& [id, g] : groups_) ids.push_back(id);
  const int64_t now = NowMs();
  const int64_t retention_ms = config_.offsets_retention_minutes * 60 * 1000;
  CleanupGroupMetadata(ids, [now, retention_ms](GroupMetadata* g) {
    return g->RemoveExpiredOffsets(now, retention_ms);
  });
}

void GroupCoordinator::CleanupGroupMetadata(
    const std::vector<std::string>& group_ids,
    const std::function<std::vector<TopicPartition>(GroupMetadata*)>& select) {
  const int64_t now = NowMs();
  for (const std::string& id : group_ids) {
    GroupMetadata* g = FindGroup(id);
    if (g == nullptr) continue;
    const std::vector<TopicPartition> removed = select(g);
    if (g->Is(GroupState::kEmpty) && !g->HasOffsets()) g->TransitionTo(GroupState::kDead, now);
    const bool dead = g->Is(GroupState::kDead);
    record::RecordBatchBuilder builder;
    for (const TopicPartition& tp : removed) {
      builder.Append(now, EncodeOffsetCommitKey(OffsetCommitKey{id, tp.topic, tp.partition}),
                     std::nullopt);
    }
    // A group that only stored offsets (generation 0) never wrote metadata.
    if (dead && g->generation_id() > 0) {
      builder.Append(now, EncodeGroupMetadataKey(GroupMetadataKey{id}), std::nullopt);
    }
    if (dead) {
      SAMSA_LOG(kInfo, "group {} removed ({} offsets)", id, removed.size());
      groups_.erase(id);
    }
    if (builder.empty()) continue;
    absl::StatusOr<std::string> batch = builder.Build();
    absl::Status s = batch.status();
    if (s.ok()) s = store_->Append(PartitionFor(id), std::move(*batch)).status();
    if (!s.ok()) {
      SAMSA_LOG(kWarning, "group {}: could not write tombstones: {}", id, std::string(s.message()));
    }
  }
}

ErrorCode GroupCoordinator::StoreGroup(GroupMetadata* g,
                                       const std::map<std::string, std::string>& assignment) {
  record::RecordBatchBuilder builder;
  builder.Append(NowMs(), EncodeGroupMetadataKey(GroupMetadataKey{g->group_id()}),
                 EncodeGroupMetadataValue(g->ToRecord(assignment)));
  absl::StatusOr<std::string> batch = builder.Build();
  absl::Status s = batch.status();
  if (s.ok()) s = store_->Append(PartitionFor(g->group_id()), std::move(*batch)).status();
  if (!s.ok()) {
    SAMSA_LOG(kWarning, "group {}: could not store group metadata: {}", g->group_id(),
              std::string(s.message()));
  }
  return StoreGroupError(s);
}

// --- Administration -----------------------------------------------------------

DescribeGroupsResponse GroupCoordinator::DescribeGroups(const std::vector<std::string>& group_ids) {
  MutexLock lock(&mu_);
  DescribeGroupsResponse resp;
  for (const std::string& id : group_ids) {
    DescribedGroup d;
    d.group_id = id;
    d.error_code = GroupStatus(id, /*require_non_empty_id=*/false);
    if (d.error_code != ErrorCode::kNone) {
      resp.groups.push_back(std::move(d));
      continue;
    }
    GroupMetadata* g = FindGroup(id);
    if (g == nullptr) {
      d.group_state = "Dead";
      resp.groups.push_back(std::move(d));
      continue;
    }
    d.group_state = std::string(GroupStateName(g->state()));
    d.protocol_type = g->protocol_type().value_or("");
    const bool stable = g->Is(GroupState::kStable);
    if (stable) d.protocol_data = g->protocol_name().value_or("");
    for (const auto& [mid, m] : g->members()) {
      DescribedGroupMember dm;
      dm.member_id = mid;
      dm.group_instance_id = m.group_instance_id;
      dm.client_id = m.client_id;
      dm.client_host = m.client_host;
      if (stable) {
        dm.member_metadata = m.Metadata(d.protocol_data);
        dm.member_assignment = m.assignment;
      }
      d.members.push_back(std::move(dm));
    }
    resp.groups.push_back(std::move(d));
  }
  return resp;
}

ListGroupsResponse GroupCoordinator::ListGroups(const ListGroupsRequest& req) {
  MutexLock lock(&mu_);
  ListGroupsResponse resp;
  if (!loading_partitions_.empty()) resp.error_code = ErrorCode::kCoordinatorLoadInProgress;
  for (const auto& [id, g] : groups_) {
    const std::string_view state = GroupStateName(g->state());
    if (!req.states_filter.empty() &&
        std::none_of(req.states_filter.begin(), req.states_filter.end(),
                     [state](const std::string& s) { return EqualsIgnoreCase(s, state); })) {
      continue;
    }
    resp.groups.push_back({id, g->protocol_type().value_or(""), std::string(state)});
  }
  return resp;
}

DeleteGroupsResponse GroupCoordinator::DeleteGroups(const std::vector<std::string>& group_ids) {
  MutexLock commit(&commit_mu_);
  MutexLock lock(&mu_);
  DeleteGroupsResponse resp;
  std::vector<std::string> eligible;
  for (const std::string& id : group_ids) {
    DeletableGroupResult r{id, GroupStatus(id, /*require_non_empty_id=*/false)};
    if (r.error_code == ErrorCode::kNone) {
      GroupMetadata* g = FindGroup(id);
      if (g == nullptr || g->Is(GroupState::kDead)) {
        r.error_code = ErrorCode::kGroupIdNotFound;
      } else if (g->Is(GroupState::kEmpty)) {
        g->TransitionTo(GroupState::kDead, NowMs());
        eligible.push_back(id);
      } else {
        r.error_code = ErrorCode::kNonEmptyGroup;
      }
    }
    resp.results.push_back(std::move(r));
  }
  CleanupGroupMetadata(eligible, [](GroupMetadata* g) {
    std::vector<TopicPartition> removed;
    for (const auto& [tp, v] : g->offsets()) removed.push_back(tp);
    g->offsets().clear();
    return removed;
  });
  return resp;
}

// --- Partition ownership ------------------------------------------------------

absl::Status GroupCoordinator::OnElection(int32_t partition) {
  {
    MutexLock lock(&mu_);
    if (shutting_down_) {
      return KafkaError(ErrorCode::kCoordinatorNotAvailable, "group coordinator is shutting down");
    }
    if (owned_partitions_.count(partition) || loading_partitions_.count(partition)) {
      return absl::OkStatus();
    }
    loading_partitions_.insert(partition);
  }
  SAMSA_LOG(kInfo, "loading groups of {}-{}", kOffsetsTopic, partition);
  // Latest value per key; a tombstone removes what came before it.
  std::map<std::string, std::map<TopicPartition, OffsetCommitValue>> offsets;
  std::map<std::string, GroupMetadataValue> groups;
  int64_t skipped = 0;
  absl::Status status = store_->Scan(
      partition, [&](std::optional<std::string_view> key, std::optional<std::string_view> value,
                     int64_t offset) {
        if (!key) {
          ++skipped;
          return;
        }
        absl::StatusOr<CoordinatorKey> k = DecodeCoordinatorKey(*key);
        if (!k.ok()) {
          // Unknown key versions (e.g. the new consumer protocol's records).
          SAMSA_LOG(kDebug, "{}-{} offset {}: skipped: {}", kOffsetsTopic, partition, offset,
                    std::string(k.status().message()));
          ++skipped;
          return;
        }
        if (const auto* ok = std::get_if<OffsetCommitKey>(&*k)) {
          const TopicPartition tp{ok->topic, ok->partition};
          if (!value) {
            auto it = offsets.find(ok->group);
            if (it != offsets.end()) it->second.erase(tp);
            return;
          }
          absl::StatusOr<OffsetCommitValue> v = DecodeOffsetCommitValue(*value);
          if (!v.ok()) {
            SAMSA_LOG(kWarning, "{}-{} offset {}: {}", kOffsetsTopic, partition, offset,
                      std::string(v.status().message()));
            ++skipped;
            return;
          }
          offsets[ok->group][tp] = std::move(*v);
        } else {
          const auto& gk = std::get<GroupMetadataKey>(*k);
          if (!value) {
            groups.erase(gk.group);
            return;
          }
          absl::StatusOr<GroupMetadataValue> v = DecodeGroupMetadataValue(*value);
          if (!v.ok()) {
            SAMSA_LOG(kWarning, "{}-{} offset {}: {}", kOffsetsTopic, partition, offset,
                      std::string(v.status().message()));
            ++skipped;
            return;
          }
          groups[gk.group] = std::move(*v);
        }
      });

  MutexLock lock(&mu_);
  if (!loading_partitions_.count(partition)) return absl::OkStatus();  // resigned meanwhile
  loading_partitions_.erase(partition);
  if (!status.ok()) {
    SAMSA_LOG(kError, "loading {}-{} failed: {}", kOffsetsTopic, partition,
              std::string(status.message()));
    return status;
  }
  const int64_t now = NowMs();
  int32_t loaded = 0;
  for (auto& [id, value] : groups) {
    auto g = std::make_unique<GroupMetadata>(GroupMetadata::FromRecord(id, value, now));
    g->incarnation = next_token_++;
    auto o = offsets.find(id);
    if (o != offsets.end()) {
      g->offsets() = std::move(o->second);
      offsets.erase(o);
    }
    for (auto& [mid, m] : g->members()) ScheduleHeartbeat(g.get(), &m, m.session_timeout_ms);
    groups_[id] = std::move(g);
    ++loaded;
  }
  // Groups that only store offsets (no metadata record).
  for (auto& [id, group_offsets] : offsets) {
    if (group_offsets.empty()) continue;
    GroupMetadata* g = CreateGroup(id);
    g->offsets() = std::move(group_offsets);
    ++loaded;
  }
  owned_partitions_.insert(partition);
  SAMSA_LOG(kInfo, "loaded {} groups from {}-{} ({} records skipped)", loaded, kOffsetsTopic,
            partition, skipped);
  return absl::OkStatus();
}

void GroupCoordinator::OnResignation(int32_t partition) {
  Deferred out;
  {
    MutexLock commit(&commit_mu_);
    MutexLock lock(&mu_);
    owned_partitions_.erase(partition);
    loading_partitions_.erase(partition);
    for (auto it = groups_.begin(); it != groups_.end();) {
      if (PartitionFor(it->first) == partition) {
        UnloadGroup(it->second.get(), &out);
        it = groups_.erase(it);
      } else {
        ++it;
      }
    }
  }
  RunDeferred(out);
}

void GroupCoordinator::UnloadGroup(GroupMetadata* g, Deferred* out) {
  for (auto& [id, m] : g->members()) {
    if (JoinCallback cb = g->TakeJoinCallback(&m)) {
      JoinGroupResponse r;
      r.error_code = ErrorCode::kNotCoordinator;
      r.member_id = id;
      out->push_back([cb = std::move(cb), r] { cb(r); });
    }
    if (SyncCallback cb = g->TakeSyncCallback(&m)) {
      SyncGroupResponse r;
      r.error_code = ErrorCode::kNotCoordinator;
      out->push_back([cb = std::move(cb), r] { cb(r); });
    }
    CancelHeartbeat(&m);
  }
  g->join_token = 0;
  g->sync_token = 0;
  g->TransitionTo(GroupState::kDead, NowMs());
}

}  // namespace samsa::group
