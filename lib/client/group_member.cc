#include "client/group_member.h"

#include <algorithm>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "samsa/errors.h"
#include "util/logging.h"
#include "util/status_macros.h"

namespace samsa::client {

// A JoinGroup or SyncGroup answer, delivered by the coordinator's callback
// (on whatever thread completes the rebalance) and waited for by Poll.
template <typename T>
struct GroupMember::Pending {
  Mutex mu;
  CondVar cv;
  std::optional<T> result ABSL_GUARDED_BY(mu);

  void Set(T value) {
    MutexLock lock(&mu);
    result = std::move(value);
    cv.SignalAll();
  }
  // The answer, or nullopt when `deadline` passed first.
  std::optional<T> WaitUntil(Clock* clock, absl::Time deadline) {
    MutexLock lock(&mu);
    while (!result) {
      if (!cv.WaitUntil(&mu, clock, deadline)) break;
    }
    return result;
  }
};

namespace {

constexpr int64_t kRetryBackoffMs = 100;  // retry.backoff.ms

bool IsCoordinatorError(ErrorCode code) {
  return code == ErrorCode::kCoordinatorNotAvailable || code == ErrorCode::kNotCoordinator ||
         code == ErrorCode::kCoordinatorLoadInProgress;
}

std::vector<TopicPartition> Minus(const std::vector<TopicPartition>& a,
                                  const std::vector<TopicPartition>& b) {
  std::vector<TopicPartition> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

absl::Status GroupError(ErrorCode code, std::string_view what, std::string_view group) {
  return KafkaError(code, fmt::format("{} for group {} failed", what, group));
}

}  // namespace

GroupMember::GroupMember(const ConsumerConfig& config, Clock* clock, BrokerClient* client)
    : config_(config), clock_(clock), client_(client) {
  cooperative_ = !config_.partition_assignment_strategy.empty();
  for (const std::string& name : config_.partition_assignment_strategy) {
    absl::StatusOr<std::unique_ptr<PartitionAssignor>> a = MakePartitionAssignor(name);
    if (!a.ok()) continue;  // validated by Consumer::Create
    const auto protocols = (*a)->supported_protocols();
    cooperative_ &= std::find(protocols.begin(), protocols.end(), RebalanceProtocol::kCooperative) !=
                    protocols.end();
    assignors_.push_back(*std::move(a));
  }
  next_auto_commit_ = clock_->Now() + absl::Milliseconds(config_.auto_commit_interval_ms);
  {
    MutexLock lock(&mu_);
    last_poll_ = clock_->Now();
  }
  heartbeat_thread_ = std::thread([this] { RunHeartbeats(); });
}

GroupMember::~GroupMember() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  heartbeat_thread_.join();
}

absl::Status GroupMember::Subscribe(std::vector<std::string> topics) {
  for (const std::string& t : topics) {
    if (t.empty()) {
      return KafkaError(ErrorCode::kInvalidTopicException,
                        "Topic collection to subscribe to cannot contain null or empty topic");
    }
  }
  std::sort(topics.begin(), topics.end());
  topics.erase(std::unique(topics.begin(), topics.end()), topics.end());
  topics_ = std::move(topics);
  pattern_.reset();
  subscribed_ = true;
  metadata_version_ = 0;  // check the topics on the next Poll
  return absl::OkStatus();
}

absl::Status GroupMember::SubscribePattern(const std::string& pattern) {
  try {
    pattern_.emplace(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return absl::InvalidArgumentError(fmt::format("bad subscription pattern '{}': {}", pattern, e.what()));
  }
  topics_.clear();
  subscribed_ = true;
  metadata_version_ = 0;
  return absl::OkStatus();
}

ConsumerGroupMetadata GroupMember::metadata() const {
  MutexLock lock(&mu_);
  ConsumerGroupMetadata md;
  md.group_id = config_.group_id;
  md.generation_id = generation_;
  md.member_id = member_id_;
  if (!config_.group_instance_id.empty()) md.group_instance_id = config_.group_instance_id;
  return md;
}

std::map<std::string, int32_t> GroupMember::CurrentTopics() {
  std::vector<std::string> names = topics_;
  if (pattern_) {
    names.clear();
    for (const std::string& t : client_->ListTopics()) {
      if (std::regex_match(t, *pattern_)) names.push_back(t);
    }
  }
  std::map<std::string, int32_t> out;
  for (const std::string& t : names) {
    absl::StatusOr<int32_t> n = client_->PartitionCount(t);
    out[t] = n.ok() ? *n : 0;  // a missing topic: subscribed, nothing to assign yet
  }
  return out;
}

void GroupMember::ResetMembership(bool keep_member_id) {
  generation_ = -1;
  if (!keep_member_id) member_id_.clear();
  state_ = State::kUnjoined;
  rejoin_needed_ = true;
  next_heartbeat_ = absl::InfiniteFuture();
  pending_join_.reset();
  pending_sync_.reset();
}

void GroupMember::BackOff(absl::Time deadline) {
  MutexLock lock(&mu_);
  cv_.WaitUntil(&mu_, clock_, std::min(deadline, clock_->Now() + absl::Milliseconds(kRetryBackoffMs)));
}

void GroupMember::MaybeAutoCommitSync(Host* host, const char* why) {
  if (!config_.enable_auto_commit) return;
  std::map<TopicPartition, OffsetAndMetadata> positions = host->Positions();
  if (positions.empty()) return;
  absl::Status s = Commit(positions);
  if (!s.ok()) {
    SAMSA_LOG(kWarning, "consumer {}: auto-commit {} failed: {}", config_.group_id, why,
              std::string(s.message()));
  }
  next_auto_commit_ = clock_->Now() + absl::Milliseconds(config_.auto_commit_interval_ms);
}

void GroupMember::StartJoin(Host* host) {
  const int32_t generation = generation_;
  group::JoinGroupRequest request;
  request.group_id = config_.group_id;
  request.session_timeout_ms = config_.session_timeout_ms;
  request.rebalance_timeout_ms = config_.max_poll_interval_ms;
  request.member_id = member_id_;
  if (!config_.group_instance_id.empty()) request.group_instance_id = config_.group_instance_id;
  request.protocol_type = std::string(group::kConsumerProtocolType);
  request.client_id = config_.client_id;
  request.client_host = "/127.0.0.1";
  request.require_known_member_id = true;
  for (const auto& assignor : assignors_) {
    Subscription sub;
    sub.topics = joined_topics_;
    sub.user_data = assignor->SubscriptionUserData(joined_topics_);
    sub.owned_partitions = GroupByTopic(owned_);
    sub.generation_id = generation;
    absl::StatusOr<std::string> encoded = EncodeSubscription(sub);
    if (!encoded.ok()) continue;
    request.protocols.push_back({std::string(assignor->name()), *std::move(encoded)});
  }
  auto pending = std::make_shared<Pending<group::JoinGroupResponse>>();
  pending_join_ = pending;
  state_ = State::kJoining;
  absl::StatusOr<GroupCoordinatorRef> coordinator = client_->GroupCoordinator();
  if (!coordinator.ok()) {
    group::JoinGroupResponse failed;
    failed.error_code = ErrorCodeOf(coordinator.status()) == ErrorCode::kNone
                            ? ErrorCode::kCoordinatorNotAvailable
                            : ErrorCodeOf(coordinator.status());
    pending->Set(std::move(failed));
    return;
  }
  // The callback may run right here (a group that completes at once) or on
  // another thread; it only fills `pending`.
  mu_.Unlock();
  (*coordinator)->JoinGroup(std::move(request),
                            [pending](group::JoinGroupResponse r) { pending->Set(std::move(r)); });
  mu_.Lock();
}

absl::StatusOr<std::vector<group::SyncGroupAssignment>> GroupMember::LeaderAssign(
    const group::JoinGroupResponse& joined) {
  PartitionAssignor* assignor = nullptr;
  for (const auto& a : assignors_) {
    if (joined.protocol_name && a->name() == *joined.protocol_name) assignor = a.get();
  }
  if (assignor == nullptr) {
    return KafkaError(ErrorCode::kInconsistentGroupProtocol,
                      fmt::format("the group chose assignor {}, which this consumer lacks",
                                  joined.protocol_name.value_or("(none)")));
  }
  GroupSubscription subscriptions;
  std::set<std::string> topics;
  int16_t version = kConsumerProtocolMaxVersion;
  for (const group::JoinGroupResponseMember& m : joined.members) {
    absl::StatusOr<Subscription> sub = DecodeSubscription(m.metadata);
    if (!sub.ok()) {
      return KafkaError(ErrorCode::kInconsistentGroupProtocol,
                        fmt::format("member {} sent a bad subscription: {}", m.member_id,
                                    std::string(sub.status().message())));
    }
    absl::StatusOr<int16_t> v = ConsumerProtocolVersion(m.metadata);
    if (v.ok()) version = std::min(version, *v);
    sub->group_instance_id = m.group_instance_id;
    topics.insert(sub->topics.begin(), sub->topics.end());
    subscriptions[m.member_id] = *std::move(sub);
  }
  PartitionsPerTopic partitions;
  for (const std::string& t : topics) {
    absl::StatusOr<int32_t> n = client_->PartitionCount(t);
    if (n.ok()) partitions[t] = *n;
  }
  SAMSA_ASSIGN_OR_RETURN(GroupAssignment assignment, assignor->Assign(partitions, subscriptions));
  std::vector<group::SyncGroupAssignment> out;
  for (auto& [member, a] : assignment) {
    SAMSA_ASSIGN_OR_RETURN(std::string bytes, EncodeAssignment(a, std::max<int16_t>(version, 0)));
    out.push_back({member, std::move(bytes)});
  }
  SAMSA_LOG(kInfo, "consumer {}: leader of generation {} assigned {} topic(s) to {} member(s) ({})",
            config_.group_id, joined.generation_id, partitions.size(), out.size(),
            assignor->name());
  return out;
}

void GroupMember::OnJoinComplete(const Assignment& assignment, Host* host) {
  std::vector<TopicPartition> assigned = assignment.PartitionList();
  std::sort(assigned.begin(), assigned.end());
  int32_t generation;
  std::string protocol;
  {
    MutexLock lock(&mu_);
    generation = generation_;
    protocol = protocol_;
  }
  for (const auto& a : assignors_) {
    if (a->name() == protocol) a->OnAssignment(assignment, generation);
  }
  if (!cooperative_) {
    // EAGER: everything was revoked before the join.
    owned_ = assigned;
    if (!assigned.empty()) host->AddAssigned(assigned);
    return;
  }
  CooperativeChange change = ComputeCooperativeChange(owned_, assigned);
  if (!change.revoked.empty()) {
    host->Revoke(change.revoked, /*lost=*/false);
    owned_ = Minus(owned_, change.revoked);
  }
  if (!change.added.empty()) {
    host->AddAssigned(change.added);
    owned_.insert(owned_.end(), change.added.begin(), change.added.end());
    std::sort(owned_.begin(), owned_.end());
  }
  if (change.rejoin_required) {
    // Give the revoked partitions to their new owners at once.
    MutexLock lock(&mu_);
    rejoin_needed_ = true;
  }
}

absl::StatusOr<bool> GroupMember::Poll(absl::Time deadline, Host* host) {
  if (!subscribed_) return true;
  bool lost = false;
  {
    MutexLock lock(&mu_);
    last_poll_ = clock_->Now();
    lost = std::exchange(membership_lost_, false);
  }
  if (lost && !owned_.empty()) {
    host->Revoke(owned_, /*lost=*/true);
    owned_.clear();
  }
  // Metadata changes: a pattern matching a new topic, a subscribed topic
  // gaining partitions.
  if (const uint64_t version = client_->metadata_version(); version != metadata_version_) {
    metadata_version_ = version;
    std::map<std::string, int32_t> now = CurrentTopics();
    if (now != joined_topic_partitions_) {
      MutexLock lock(&mu_);
      if (state_ == State::kStable || state_ == State::kUnjoined) rejoin_needed_ = true;
    }
  }
  while (true) {
    State state;
    bool rejoin;
    {
      MutexLock lock(&mu_);
      state = state_;
      rejoin = rejoin_needed_;
    }
    if (state == State::kStable && !rejoin) {
      if (config_.enable_auto_commit && clock_->Now() >= next_auto_commit_) {
        MaybeAutoCommitSync(host, "(interval)");
      }
      return true;
    }
    if (state == State::kStable || state == State::kUnjoined) {
      // Kafka's onJoinPrepare.
      if (!cooperative_) {
        MaybeAutoCommitSync(host, "before revoking partitions");
        if (!owned_.empty()) {
          host->Revoke(owned_, /*lost=*/false);
          owned_.clear();
        }
      }
      std::map<std::string, int32_t> topics = CurrentTopics();
      if (cooperative_) {
        // Partitions of topics no longer subscribed go before the join.
        std::vector<TopicPartition> gone;
        for (const TopicPartition& tp : owned_) {
          if (!topics.contains(tp.topic)) gone.push_back(tp);
        }
        if (!gone.empty()) {
          host->Revoke(gone, /*lost=*/false);
          owned_ = Minus(owned_, gone);
        }
      }
      joined_topic_partitions_ = topics;
      joined_topics_.clear();
      for (const auto& [t, n] : topics) joined_topics_.push_back(t);
      metadata_version_ = client_->metadata_version();
      MutexLock lock(&mu_);
      rejoin_needed_ = false;
      StartJoin(host);
      continue;
    }
    if (state == State::kJoining) {
      std::shared_ptr<Pending<group::JoinGroupResponse>> pending;
      {
        MutexLock lock(&mu_);
        pending = pending_join_;
      }
      if (!pending) continue;
      std::optional<group::JoinGroupResponse> joined = pending->WaitUntil(clock_, deadline);
      if (!joined) return false;
      MutexLock lock(&mu_);
      if (pending_join_ != pending) continue;  // reset meanwhile
      pending_join_.reset();
      const ErrorCode code = joined->error_code;
      if (code == ErrorCode::kNone) {
        member_id_ = joined->member_id;
        generation_ = joined->generation_id;
        protocol_ = joined->protocol_name.value_or("");
        std::vector<group::SyncGroupAssignment> assignments;
        if (joined->leader == joined->member_id) {
          mu_.Unlock();
          absl::StatusOr<std::vector<group::SyncGroupAssignment>> computed = LeaderAssign(*joined);
          mu_.Lock();
          if (!computed.ok()) {
            ResetMembership(/*keep_member_id=*/true);
            return computed.status();
          }
          assignments = *std::move(computed);
        }
        group::SyncGroupRequest request;
        request.group_id = config_.group_id;
        request.generation_id = generation_;
        request.member_id = member_id_;
        if (!config_.group_instance_id.empty()) request.group_instance_id = config_.group_instance_id;
        request.protocol_type = std::string(group::kConsumerProtocolType);
        request.protocol_name = protocol_;
        request.assignments = std::move(assignments);
        auto sync = std::make_shared<Pending<group::SyncGroupResponse>>();
        pending_sync_ = sync;
        state_ = State::kSyncing;
        absl::StatusOr<GroupCoordinatorRef> coordinator = client_->GroupCoordinator();
        if (!coordinator.ok()) {
          ResetMembership(/*keep_member_id=*/true);
          continue;
        }
        mu_.Unlock();
        (*coordinator)->SyncGroup(std::move(request),
                                  [sync](group::SyncGroupResponse r) { sync->Set(std::move(r)); });
        mu_.Lock();
        continue;
      }
      if (code == ErrorCode::kMemberIdRequired) {
        member_id_ = joined->member_id;  // join again with it, at once
        state_ = State::kUnjoined;
        continue;
      }
      if (code == ErrorCode::kUnknownMemberId || code == ErrorCode::kIllegalGeneration) {
        ResetMembership(/*keep_member_id=*/false);
        continue;
      }
      if (code == ErrorCode::kRebalanceInProgress || IsCoordinatorError(code)) {
        state_ = State::kUnjoined;
        rejoin_needed_ = true;
        mu_.Unlock();
        BackOff(deadline);
        mu_.Lock();
        if (clock_->Now() >= deadline) return false;
        continue;
      }
      // FENCED_INSTANCE_ID, INCONSISTENT_GROUP_PROTOCOL, GROUP_MAX_SIZE_REACHED,
      // INVALID_SESSION_TIMEOUT, INVALID_GROUP_ID, ...: the application's to see.
      ResetMembership(/*keep_member_id=*/code != ErrorCode::kFencedInstanceId);
      return GroupError(code, "JoinGroup", config_.group_id);
    }
    if (state == State::kSyncing) {
      std::shared_ptr<Pending<group::SyncGroupResponse>> pending;
      {
        MutexLock lock(&mu_);
        pending = pending_sync_;
      }
      if (!pending) continue;
      std::optional<group::SyncGroupResponse> synced = pending->WaitUntil(clock_, deadline);
      if (!synced) return false;
      ErrorCode code;
      {
        MutexLock lock(&mu_);
        if (pending_sync_ != pending) continue;
        pending_sync_.reset();
        code = synced->error_code;
        if (code == ErrorCode::kNone) {
          state_ = State::kStable;
          next_heartbeat_ = clock_->Now() + absl::Milliseconds(config_.heartbeat_interval_ms);
          cv_.SignalAll();
        } else if (code == ErrorCode::kRebalanceInProgress || IsCoordinatorError(code)) {
          state_ = State::kUnjoined;
          rejoin_needed_ = true;
          continue;
        } else if (code == ErrorCode::kUnknownMemberId || code == ErrorCode::kIllegalGeneration) {
          ResetMembership(/*keep_member_id=*/false);
          continue;
        } else {
          ResetMembership(/*keep_member_id=*/code != ErrorCode::kFencedInstanceId);
          return GroupError(code, "SyncGroup", config_.group_id);
        }
      }
      absl::StatusOr<Assignment> assignment =
          synced->assignment.empty() ? absl::StatusOr<Assignment>(Assignment{})
                                     : DecodeAssignment(synced->assignment);
      if (!assignment.ok()) {
        MutexLock lock(&mu_);
        ResetMembership(/*keep_member_id=*/true);
        return KafkaError(ErrorCode::kInconsistentGroupProtocol,
                          fmt::format("bad assignment from the group leader: {}",
                                      std::string(assignment.status().message())));
      }
      OnJoinComplete(*assignment, host);
      next_auto_commit_ = clock_->Now() + absl::Milliseconds(config_.auto_commit_interval_ms);
      continue;
    }
  }
}

absl::Status GroupMember::Commit(const std::map<TopicPartition, OffsetAndMetadata>& offsets) {
  if (offsets.empty()) return absl::OkStatus();
  SAMSA_ASSIGN_OR_RETURN(GroupCoordinatorRef coordinator, client_->GroupCoordinator());
  group::OffsetCommitRequest request;
  request.group_id = config_.group_id;
  {
    MutexLock lock(&mu_);
    if (subscribed_) {
      if (state_ != State::kStable) {
        return KafkaError(ErrorCode::kRebalanceInProgress,
                          "Offset commit cannot be completed since the consumer is undergoing a "
                          "rebalance for auto partition assignment. You can try completing the "
                          "rebalance by calling poll() and then retry the operation.");
      }
      request.generation_id = generation_;
      request.member_id = member_id_;
      if (!config_.group_instance_id.empty()) request.group_instance_id = config_.group_instance_id;
    }
  }
  for (const auto& [tp, om] : offsets) {
    if (request.topics.empty() || request.topics.back().name != tp.topic) {
      request.topics.push_back({tp.topic, {}});
    }
    group::OffsetCommitRequestPartition p;
    p.partition_index = tp.partition;
    p.committed_offset = om.offset;
    p.committed_leader_epoch = om.leader_epoch.value_or(-1);
    p.committed_metadata = om.metadata;
    request.topics.back().partitions.push_back(p);
  }
  group::OffsetCommitResponse response = coordinator->OffsetCommit(request);
  for (const auto& topic : response.topics) {
    for (const auto& p : topic.partitions) {
      if (p.error_code == ErrorCode::kNone) continue;
      if (p.error_code == ErrorCode::kUnknownMemberId ||
          p.error_code == ErrorCode::kIllegalGeneration) {
        MutexLock lock(&mu_);
        ResetMembership(/*keep_member_id=*/p.error_code == ErrorCode::kIllegalGeneration);
        membership_lost_ = true;
        return KafkaError(p.error_code,
                          "Commit cannot be completed since the group has already rebalanced and "
                          "assigned the partitions to another member.");
      }
      return KafkaError(p.error_code, fmt::format("commit of {}-{} for group {} failed",
                                                  topic.name, p.partition_index, config_.group_id));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<TopicPartition, std::optional<OffsetAndMetadata>>> GroupMember::Committed(
    const std::vector<TopicPartition>& partitions) {
  SAMSA_ASSIGN_OR_RETURN(GroupCoordinatorRef coordinator, client_->GroupCoordinator());
  group::OffsetFetchRequest request;
  request.group_id = config_.group_id;
  std::vector<group::OffsetFetchRequestTopic> topics;
  for (const TopicPartition& tp : partitions) {
    auto it = std::find_if(topics.begin(), topics.end(), [&](const auto& t) { return t.name == tp.topic; });
    if (it == topics.end()) it = topics.insert(topics.end(), {tp.topic, {}});
    it->partition_indexes.push_back(tp.partition);
  }
  request.topics = std::move(topics);
  group::OffsetFetchResponse response = coordinator->OffsetFetch(request);
  if (response.error_code != ErrorCode::kNone) {
    return GroupError(response.error_code, "OffsetFetch", config_.group_id);
  }
  std::map<TopicPartition, std::optional<OffsetAndMetadata>> out;
  for (const TopicPartition& tp : partitions) out[tp] = std::nullopt;
  for (const auto& topic : response.topics) {
    for (const auto& p : topic.partitions) {
      if (p.error_code != ErrorCode::kNone) {
        return KafkaError(p.error_code, fmt::format("offset fetch of {}-{} for group {} failed",
                                                    topic.name, p.partition_index, config_.group_id));
      }
      if (p.committed_offset < 0) continue;
      OffsetAndMetadata om;
      om.offset = p.committed_offset;
      om.metadata = p.metadata.value_or("");
      if (p.committed_leader_epoch >= 0) om.leader_epoch = p.committed_leader_epoch;
      out[{topic.name, p.partition_index}] = om;
    }
  }
  return out;
}

void GroupMember::Leave(Host* host, const char* reason) {
  if (!subscribed_) return;
  if (!owned_.empty()) {
    MaybeAutoCommitSync(host, "before leaving");
    host->Revoke(owned_, /*lost=*/false);
    owned_.clear();
  }
  std::string member_id;
  {
    MutexLock lock(&mu_);
    member_id = member_id_;
    // A static member keeps its place until its session times out (Kafka).
    const bool dynamic = config_.group_instance_id.empty();
    ResetMembership(/*keep_member_id=*/!dynamic);
    if (!dynamic) member_id.clear();
  }
  subscribed_ = false;
  topics_.clear();
  pattern_.reset();
  joined_topics_.clear();
  joined_topic_partitions_.clear();
  if (member_id.empty()) return;
  absl::StatusOr<GroupCoordinatorRef> coordinator = client_->GroupCoordinator();
  if (!coordinator.ok()) return;
  group::LeaveGroupRequest request;
  request.group_id = config_.group_id;
  request.members.push_back({member_id, std::nullopt, std::string(reason)});
  group::LeaveGroupResponse r = (*coordinator)->LeaveGroup(request);
  SAMSA_LOG(kInfo, "consumer {}: member {} left the group ({}): {}", config_.group_id, member_id,
            reason, ErrorCodeName(r.error_code));
}

void GroupMember::RunHeartbeats() {
  MutexLock lock(&mu_);
  while (!stopping_) {
    const absl::Time poll_deadline = last_poll_ + absl::Milliseconds(config_.max_poll_interval_ms);
    const absl::Time wake =
        state_ == State::kStable ? std::min(next_heartbeat_, poll_deadline) : absl::InfiniteFuture();
    if (clock_->Now() < wake) {
      cv_.WaitUntil(&mu_, clock_, wake);
      continue;
    }
    if (state_ != State::kStable) continue;
    if (clock_->Now() >= poll_deadline) {
      // Kafka's "consumer poll timeout has expired": leave, and the next
      // Poll finds its partitions lost.
      SAMSA_LOG(kWarning,
                "consumer {}: member {} did not poll within max.poll.interval.ms ({} ms); leaving "
                "the group",
                config_.group_id, member_id_, config_.max_poll_interval_ms);
      const std::string member_id = member_id_;
      const bool dynamic = config_.group_instance_id.empty();
      ResetMembership(/*keep_member_id=*/!dynamic);
      membership_lost_ = true;
      if (dynamic) {
        mu_.Unlock();
        absl::StatusOr<GroupCoordinatorRef> coordinator = client_->GroupCoordinator();
        if (coordinator.ok()) {
          group::LeaveGroupRequest request;
          request.group_id = config_.group_id;
          request.members.push_back({member_id, std::nullopt, "consumer poll timeout has expired"});
          (*coordinator)->LeaveGroup(request);
        }
        mu_.Lock();
      }
      continue;
    }
    group::HeartbeatRequest request;
    request.group_id = config_.group_id;
    request.generation_id = generation_;
    request.member_id = member_id_;
    if (!config_.group_instance_id.empty()) request.group_instance_id = config_.group_instance_id;
    const int32_t generation = generation_;
    mu_.Unlock();
    group::HeartbeatResponse response;
    absl::StatusOr<GroupCoordinatorRef> coordinator = client_->GroupCoordinator();
    if (coordinator.ok()) {
      response = (*coordinator)->Heartbeat(request);
    } else {
      response.error_code = ErrorCode::kCoordinatorNotAvailable;
    }
    mu_.Lock();
    if (state_ != State::kStable || generation_ != generation) continue;  // changed meanwhile
    const absl::Time now = clock_->Now();
    switch (response.error_code) {
      case ErrorCode::kNone:
        next_heartbeat_ = now + absl::Milliseconds(config_.heartbeat_interval_ms);
        break;
      case ErrorCode::kRebalanceInProgress:
        // Rejoin on the next Poll; keep the session alive meanwhile.
        rejoin_needed_ = true;
        next_heartbeat_ = now + absl::Milliseconds(config_.heartbeat_interval_ms);
        break;
      case ErrorCode::kUnknownMemberId:
      case ErrorCode::kIllegalGeneration:
      case ErrorCode::kFencedInstanceId:
        SAMSA_LOG(kWarning, "consumer {}: member {} is no longer in generation {}: {}",
                  config_.group_id, member_id_, generation, ErrorCodeName(response.error_code));
        ResetMembership(/*keep_member_id=*/response.error_code == ErrorCode::kIllegalGeneration);
        membership_lost_ = true;
        break;
      default:
        next_heartbeat_ = now + absl::Milliseconds(kRetryBackoffMs);
        break;
    }
  }
}

}  // namespace samsa::client
