#include "broker/group/group_metadata.h"

#include <algorithm>
#include <cassert>

#include "broker/group/consumer_protocol.h"
#include "util/logging.h"

namespace samsa::group {

std::string_view GroupStateName(GroupState state) {
  switch (state) {
    case GroupState::kEmpty: return "Empty";
    case GroupState::kPreparingRebalance: return "PreparingRebalance";
    case GroupState::kCompletingRebalance: return "CompletingRebalance";
    case GroupState::kStable: return "Stable";
    case GroupState::kDead: return "Dead";
  }
  return "Unknown";
}

namespace {

bool ValidPrevious(GroupState to, GroupState from) {
  switch (to) {
    case GroupState::kDead: return true;
    case GroupState::kCompletingRebalance: return from == GroupState::kPreparingRebalance;
    case GroupState::kStable: return from == GroupState::kCompletingRebalance;
    case GroupState::kPreparingRebalance:
      return from == GroupState::kStable || from == GroupState::kCompletingRebalance ||
             from == GroupState::kEmpty;
    case GroupState::kEmpty: return from == GroupState::kPreparingRebalance;
  }
  return false;
}

}  // namespace

bool MemberMetadata::HasSatisfiedHeartbeat() const {
  if (is_new) return heartbeat_satisfied;  // new members may expire while awaiting join
  if (IsAwaitingJoin() || IsAwaitingSync()) return true;
  return heartbeat_satisfied;
}

bool MemberMetadata::Matches(const std::vector<JoinGroupProtocol>& protocols) const {
  return protocols == supported_protocols;
}

std::string MemberMetadata::Metadata(std::string_view protocol) const {
  for (const JoinGroupProtocol& p : supported_protocols) {
    if (p.name == protocol) return p.metadata;
  }
  return "";
}

std::string MemberMetadata::Vote(const std::set<std::string>& candidates) const {
  for (const JoinGroupProtocol& p : supported_protocols) {
    if (candidates.count(p.name)) return p.name;
  }
  return "";
}

GroupMetadata::GroupMetadata(std::string group_id, GroupState initial_state, int64_t now_ms)
    : group_id_(std::move(group_id)), state_(initial_state), current_state_timestamp_(now_ms) {}

bool GroupMetadata::CanRebalance() const {
  return ValidPrevious(GroupState::kPreparingRebalance, state_);
}

void GroupMetadata::TransitionTo(GroupState s, int64_t now_ms) {
  assert(ValidPrevious(s, state_));
  state_ = s;
  current_state_timestamp_ = now_ms;
}

MemberMetadata* GroupMetadata::Get(const std::string& member_id) {
  auto it = members_.find(member_id);
  return it == members_.end() ? nullptr : &it->second;
}

void GroupMetadata::Add(MemberMetadata member, JoinCallback join) {
  if (members_.empty()) protocol_type_ = member.protocol_type;
  if (!leader_id_) leader_id_ = member.member_id;
  if (member.group_instance_id) static_members_[*member.group_instance_id] = member.member_id;
  for (const JoinGroupProtocol& p : member.supported_protocols) supported_protocols_[p.name]++;
  member.awaiting_join = std::move(join);
  if (member.awaiting_join) num_members_awaiting_join_++;
  pending_members_.erase(member.member_id);
  const std::string id = member.member_id;
  members_.insert_or_assign(id, std::move(member));
}

void GroupMetadata::Remove(const std::string& member_id) {
  auto it = members_.find(member_id);
  if (it != members_.end()) {
    MemberMetadata& m = it->second;
    for (const JoinGroupProtocol& p : m.supported_protocols) {
      if (--supported_protocols_[p.name] == 0) supported_protocols_.erase(p.name);
    }
    if (m.IsAwaitingJoin()) num_members_awaiting_join_--;
    if (m.group_instance_id) {
      auto s = static_members_.find(*m.group_instance_id);
      if (s != static_members_.end() && s->second == member_id) static_members_.erase(s);
    }
    members_.erase(it);
  }
  pending_members_.erase(member_id);
  pending_sync_members_.erase(member_id);
  if (IsLeader(member_id)) {
    if (members_.empty()) {
      leader_id_.reset();
    } else {
      leader_id_ = members_.begin()->first;
    }
  }
}

void GroupMetadata::UpdateMember(MemberMetadata* member, std::vector<JoinGroupProtocol> protocols,
                                 int32_t rebalance_timeout_ms, int32_t session_timeout_ms,
                                 JoinCallback join) {
  for (const JoinGroupProtocol& p : member->supported_protocols) {
    if (--supported_protocols_[p.name] == 0) supported_protocols_.erase(p.name);
  }
  for (const JoinGroupProtocol& p : protocols) supported_protocols_[p.name]++;
  member->supported_protocols = std::move(protocols);
  member->rebalance_timeout_ms = rebalance_timeout_ms;
  member->session_timeout_ms = session_timeout_ms;
  if (join) {
    if (!member->IsAwaitingJoin()) num_members_awaiting_join_++;
    member->awaiting_join = std::move(join);
  } else if (member->IsAwaitingJoin()) {
    num_members_awaiting_join_--;
    member->awaiting_join = nullptr;
  }
}

MemberMetadata* GroupMetadata::ReplaceStaticMember(const std::string& instance_id,
                                                   const std::string& old_id,
                                                   const std::string& new_id,
                                                   std::vector<JoinCallback>* fenced_join,
                                                   std::vector<SyncCallback>* fenced_sync) {
  auto it = members_.find(old_id);
  assert(it != members_.end());
  MemberMetadata member = std::move(it->second);
  members_.erase(it);
  if (member.awaiting_join) {
    fenced_join->push_back(std::move(member.awaiting_join));
    member.awaiting_join = nullptr;
    num_members_awaiting_join_--;
  }
  if (member.awaiting_sync) {
    fenced_sync->push_back(std::move(member.awaiting_sync));
    member.awaiting_sync = nullptr;
  }
  member.member_id = new_id;
  if (IsLeader(old_id)) leader_id_ = new_id;
  static_members_[instance_id] = new_id;
  pending_sync_members_.erase(old_id);
  auto [pos, inserted] = members_.insert_or_assign(new_id, std::move(member));
  return &pos->second;
}

JoinCallback GroupMetadata::TakeJoinCallback(MemberMetadata* member) {
  if (!member->awaiting_join) return nullptr;
  JoinCallback cb = std::move(member->awaiting_join);
  member->awaiting_join = nullptr;
  num_members_awaiting_join_--;
  return cb;
}

SyncCallback GroupMetadata::TakeSyncCallback(MemberMetadata* member) {
  SyncCallback cb = std::move(member->awaiting_sync);
  member->awaiting_sync = nullptr;
  return cb;
}

std::optional<std::string> GroupMetadata::StaticMemberId(const std::string& instance_id) const {
  auto it = static_members_.find(instance_id);
  if (it == static_members_.end()) return std::nullopt;
  return it->second;
}

bool GroupMetadata::IsStaticMemberFenced(const std::optional<std::string>& instance_id,
                                         const std::string& member_id) const {
  if (!instance_id) return false;
  auto current = StaticMemberId(*instance_id);
  return current && *current != member_id;
}

bool GroupMetadata::SupportsProtocols(const std::string& protocol_type,
                                      const std::vector<JoinGroupProtocol>& protocols) const {
  if (Is(GroupState::kEmpty)) return !protocol_type.empty() && !protocols.empty();
  if (!protocol_type_ || *protocol_type_ != protocol_type) return false;
  for (const JoinGroupProtocol& p : protocols) {
    auto it = supported_protocols_.find(p.name);
    if (it != supported_protocols_.end() && it->second == size()) return true;
  }
  return false;
}

std::string GroupMetadata::SelectProtocol() const {
  std::set<std::string> candidates;
  for (const auto& [name, count] : supported_protocols_) {
    if (count == size()) candidates.insert(name);
  }
  std::map<std::string, int> votes;
  for (const auto& [id, m] : members_) votes[m.Vote(candidates)]++;
  // Most votes; ties go to the protocol that sorts first (deterministic).
  std::string best;
  int best_votes = -1;
  for (const auto& [name, n] : votes) {
    if (n > best_votes) {
      best = name;
      best_votes = n;
    }
  }
  return best;
}

bool GroupMetadata::HasAllMembersJoined() const {
  return size() == num_members_awaiting_join_ && pending_members_.empty();
}

bool GroupMetadata::MaybeElectNewJoinedLeader() {
  if (!leader_id_) return false;
  auto it = members_.find(*leader_id_);
  if (it != members_.end() && it->second.IsAwaitingJoin()) return true;
  for (const auto& [id, m] : members_) {
    if (m.IsAwaitingJoin()) {
      leader_id_ = id;
      return true;
    }
  }
  return false;
}

void GroupMetadata::InitNextGeneration(int64_t now_ms) {
  generation_id_++;
  if (!members_.empty()) {
    protocol_name_ = SelectProtocol();
    TransitionTo(GroupState::kCompletingRebalance, now_ms);
  } else {
    protocol_name_.reset();
    TransitionTo(GroupState::kEmpty, now_ms);
  }
  subscribed_topics_ = ComputeSubscribedTopics();
  pending_sync_members_.clear();
}

std::optional<std::set<std::string>> GroupMetadata::ComputeSubscribedTopics() const {
  if (protocol_type_ != kConsumerProtocolType || members_.empty() || !protocol_name_) return std::nullopt;
  std::set<std::string> topics;
  for (const auto& [id, m] : members_) {
    absl::StatusOr<Subscription> sub = DecodeSubscription(m.Metadata(*protocol_name_));
    if (!sub.ok()) {
      // Kafka logs this and stops expiring the group's offsets by topic.
      SAMSA_LOG(kWarning, "group {}: cannot parse member {}'s subscription: {}", group_id_, id,
                std::string(sub.status().message()));
      return std::nullopt;
    }
    topics.insert(sub->topics.begin(), sub->topics.end());
  }
  return topics;
}

int32_t GroupMetadata::RebalanceTimeoutMs() const {
  int32_t t = 0;
  for (const auto& [id, m] : members_) t = std::max(t, m.rebalance_timeout_ms);
  return t;
}

std::vector<JoinGroupResponseMember> GroupMetadata::CurrentMemberMetadata() const {
  std::vector<JoinGroupResponseMember> out;
  const std::string protocol = protocol_name_.value_or("");
  for (const auto& [id, m] : members_) {
    out.push_back(JoinGroupResponseMember{id, m.group_instance_id, m.Metadata(protocol)});
  }
  return out;
}

// Kafka's GroupMetadata.removeExpiredOffsets (2.1+, KIP-211):
// - a group with a protocol type (it used group management), when Empty:
//   offsets expire retention after the group became empty (its state
//   timestamp), or after their commit when that is unknown;
// - a group without one (only simple commits): each offset expires
//   retention after its own commit;
// - an offset committed with an explicit retention expires at its expire
//   timestamp.
// Groups in other states keep their offsets (Kafka also expires a Stable
// consumer group's offsets for topics it no longer subscribes to; we do not
// parse subscriptions, so we keep those).
std::vector<TopicPartition> GroupMetadata::RemoveExpiredOffsets(int64_t now_ms,
                                                                int64_t retention_ms) {
  // Kafka's GroupMetadata.removeExpiredOffsets:
  // - a group with a protocol type, Empty: every offset expires retention
  //   after the group became Empty (or after its commit, for old records
  //   without a state timestamp);
  // - a Stable "consumer" group that knows its members' subscriptions:
  //   offsets of topics no member subscribes to expire retention after
  //   their commit;
  // - no protocol type (a simple consumer storing offsets only): each
  //   offset expires retention after its commit;
  // - otherwise (rebalancing, or unknown subscriptions) nothing expires.
  // Offsets committed with an explicit expire timestamp (OffsetCommit v1-v4
  // retention) expire at it. Commits never pend here: they append under
  // the commit lock, which the cleanup holds.
  std::optional<int64_t> base;
  const std::set<std::string>* subscribed = nullptr;
  if (protocol_type_ && !protocol_type_->empty()) {
    if (Is(GroupState::kEmpty)) {
      base = current_state_timestamp_;
    } else if (*protocol_type_ == kConsumerProtocolType && subscribed_topics_ && Is(GroupState::kStable)) {
      subscribed = &*subscribed_topics_;
    } else {
      return {};
    }
  }
  std::vector<TopicPartition> expired;
  for (auto it = offsets_.begin(); it != offsets_.end();) {
    const OffsetCommitValue& v = it->second;
    if (subscribed != nullptr && subscribed->contains(it->first.topic)) {
      ++it;
      continue;
    }
    bool expire;
    if (v.expire_timestamp != -1) {
      expire = now_ms >= v.expire_timestamp;
    } else {
      expire = now_ms - base.value_or(v.commit_timestamp) >= retention_ms;
    }
    if (expire) {
      expired.push_back(it->first);
      it = offsets_.erase(it);
    } else {
      ++it;
    }
  }
  return expired;
}

GroupMetadataValue GroupMetadata::ToRecord(const std::map<std::string, std::string>& assignment) const {
  GroupMetadataValue v;
  v.protocol_type = protocol_type_.value_or("");
  v.generation = generation_id_;
  v.protocol = protocol_name_;
  v.leader = leader_id_;
  v.current_state_timestamp = current_state_timestamp_.value_or(-1);
  const std::string protocol = protocol_name_.value_or("");
  for (const auto& [id, m] : members_) {
    MemberMetadataRecord r;
    r.member_id = id;
    r.group_instance_id = m.group_instance_id;
    r.client_id = m.client_id;
    r.client_host = m.client_host;
    r.rebalance_timeout_ms = m.rebalance_timeout_ms;
    r.session_timeout_ms = m.session_timeout_ms;
    r.subscription = m.Metadata(protocol);
    auto a = assignment.find(id);
    r.assignment = a == assignment.end() ? "" : a->second;
    v.members.push_back(std::move(r));
  }
  return v;
}

GroupMetadata GroupMetadata::FromRecord(const std::string& group_id, const GroupMetadataValue& value,
                                        int64_t now_ms) {
  GroupMetadata g(group_id, value.members.empty() ? GroupState::kEmpty : GroupState::kStable, now_ms);
  g.current_state_timestamp_ = value.current_state_timestamp == -1
                                   ? std::nullopt
                                   : std::optional<int64_t>(value.current_state_timestamp);
  g.generation_id_ = value.generation;
  g.protocol_type_ = value.protocol_type;
  g.protocol_name_ = value.protocol;
  g.leader_id_ = value.leader;
  for (const MemberMetadataRecord& r : value.members) {
    MemberMetadata m;
    m.member_id = r.member_id;
    m.group_instance_id = r.group_instance_id;
    m.client_id = r.client_id;
    m.client_host = r.client_host;
    m.rebalance_timeout_ms = r.rebalance_timeout_ms;
    m.session_timeout_ms = r.session_timeout_ms;
    m.protocol_type = value.protocol_type;
    m.supported_protocols = {JoinGroupProtocol{value.protocol.value_or(""), r.subscription}};
    m.assignment = r.assignment;
    if (m.group_instance_id) g.static_members_[*m.group_instance_id] = m.member_id;
    for (const JoinGroupProtocol& p : m.supported_protocols) g.supported_protocols_[p.name]++;
    g.members_.insert_or_assign(m.member_id, std::move(m));
  }
  g.subscribed_topics_ = g.ComputeSubscribedTopics();
  return g;
}

}  // namespace samsa::group
