// ClusterMember: broker registration, controller election, and the
// controller's reactions to brokers and topics coming and going.
#include "coordination/controller.h"

#include <algorithm>

#include <fmt/format.h>

#include "absl/strings/numbers.h"
#include "coordination/kafka_zk_paths.h"
#include "samsa/errors.h"
#include "util/logging.h"
#include "util/status_macros.h"

namespace samsa::coordination {

namespace zk = kafka_zk;

const PartitionLeadership* ClusterMetadata::Find(std::string_view topic, int32_t partition) const {
  auto it = topics.find(topic);
  if (it == topics.end() || partition < 0 ||
      partition >= static_cast<int32_t>(it->second.partitions.size())) {
    return nullptr;
  }
  return &it->second.partitions[static_cast<size_t>(partition)];
}

// --- Replica placement ----------------------------------------------------------------

absl::StatusOr<std::map<int32_t, std::vector<int32_t>>> AssignReplicasToBrokers(
    std::vector<int32_t> brokers, int32_t num_partitions, int32_t replication_factor,
    int32_t fixed_start_index, int32_t start_partition_id, std::mt19937_64* rng) {
  if (num_partitions <= 0) {
    return KafkaError(ErrorCode::kInvalidPartitions, "Number of partitions must be larger than 0.");
  }
  if (replication_factor <= 0) {
    return KafkaError(ErrorCode::kInvalidReplicationFactor,
                      "Replication factor must be larger than 0.");
  }
  if (replication_factor > static_cast<int32_t>(brokers.size())) {
    return KafkaError(ErrorCode::kInvalidReplicationFactor,
                      fmt::format("Replication factor: {} larger than available brokers: {}.",
                                  replication_factor, brokers.size()));
  }
  std::sort(brokers.begin(), brokers.end());
  const int32_t n = static_cast<int32_t>(brokers.size());
  auto next_int = [&](int32_t bound) {
    return static_cast<int32_t>(std::uniform_int_distribution<int32_t>(0, bound - 1)(*rng));
  };
  const int32_t start_index = fixed_start_index >= 0 ? fixed_start_index : next_int(n);
  int32_t next_replica_shift = fixed_start_index >= 0 ? fixed_start_index : next_int(n);
  int32_t current = std::max(0, start_partition_id);
  std::map<int32_t, std::vector<int32_t>> result;
  for (int32_t i = 0; i < num_partitions; ++i) {
    if (current > 0 && current % n == 0) ++next_replica_shift;
    const int32_t first = (current + start_index) % n;
    std::vector<int32_t> replicas = {brokers[static_cast<size_t>(first)]};
    for (int32_t j = 0; j < replication_factor - 1; ++j) {
      // AdminUtils.replicaIndex
      const int32_t shift = 1 + (next_replica_shift + j) % (n - 1);
      replicas.push_back(brokers[static_cast<size_t>((first + shift) % n)]);
    }
    result[current] = std::move(replicas);
    ++current;
  }
  return result;
}

absl::StatusOr<std::map<int32_t, std::vector<int32_t>>> AssignNewPartitions(
    std::vector<int32_t> brokers, const std::map<int32_t, std::vector<int32_t>>& existing,
    int32_t total_partitions) {
  const int32_t have = static_cast<int32_t>(existing.size());
  if (existing.empty() || existing.begin()->second.empty()) {
    return KafkaError(ErrorCode::kInvalidPartitions, "the topic has no assignment to extend");
  }
  if (total_partitions <= have) {
    return KafkaError(ErrorCode::kInvalidPartitions,
                      fmt::format("Topic currently has {} partitions, {} would not be an increase.",
                                  have, total_partitions));
  }
  std::sort(brokers.begin(), brokers.end());
  const int32_t first_of_0 = existing.begin()->second.front();
  const auto it = std::find_if(brokers.begin(), brokers.end(), [&](int32_t b) { return b >= first_of_0; });
  const int32_t start_index = std::max<int32_t>(0, it == brokers.end() ? -1 : static_cast<int32_t>(it - brokers.begin()));
  return AssignReplicasToBrokers(std::move(brokers), total_partitions - have,
                                 static_cast<int32_t>(existing.begin()->second.size()), start_index,
                                 have, nullptr);
}

// --- Membership and election ---------------------------------------------------------------

ClusterMember::ClusterMember(Options options) : options_(std::move(options)) {}

ClusterMember::~ClusterMember() { Stop(); }

int64_t ClusterMember::NowMs() const {
  return options_.clock != nullptr ? options_.clock->NowMs() : Clock::System()->NowMs();
}

absl::StatusOr<std::shared_ptr<ClusterMember>> ClusterMember::Start(Options options) {
  if (options.coordinator == nullptr || options.channel == nullptr) {
    return absl::InvalidArgumentError("ClusterMember needs a coordinator and a channel");
  }
  SAMSA_RETURN_IF_ERROR(zk::EnsureKafkaPaths(*options.coordinator));
  std::shared_ptr<ClusterMember> member(new ClusterMember(std::move(options)));
  MutexLock lock(&member->mu_);
  SAMSA_RETURN_IF_ERROR(member->RegisterLocked());
  member->TryElectLocked();
  return member;
}

Watcher ClusterMember::Bind(void (ClusterMember::*handler)(const WatchEvent&)) {
  return [weak = weak_from_this(), handler](const WatchEvent& event) {
    if (std::shared_ptr<ClusterMember> self = weak.lock()) ((*self).*handler)(event);
  };
}

absl::Status ClusterMember::RegisterLocked() {
  Coordinator& zkc = *options_.coordinator;
  std::weak_ptr<ClusterMember> weak = weak_from_this();
  SAMSA_ASSIGN_OR_RETURN(session_, zkc.OpenSession(options_.session_timeout,
                                                   [weak](SessionId id, SessionState state) {
                                                     if (auto self = weak.lock()) self->OnSessionEvent(id, state);
                                                   }));
  zk::BrokerRegistration registration = options_.registration;
  registration.timestamp_ms = NowMs();
  absl::StatusOr<std::string> created =
      zkc.Create(session_, zk::BrokerIdPath(options_.broker_id),
                 zk::EncodeBrokerRegistration(registration), CreateMode::kEphemeral);
  if (!created.ok()) {
    zkc.CloseSession(session_).IgnoreError();
    session_ = kNoSession;
    if (IsNodeExists(created.status())) {
      return KafkaError(ErrorCode::kInvalidConfig,
                        fmt::format("broker.id {} is already registered at {}", options_.broker_id,
                                    zk::BrokerIdPath(options_.broker_id)));
    }
    return created.status();
  }
  SAMSA_LOG(kInfo, "broker {}: registered (session {})", options_.broker_id, session_);
  return absl::OkStatus();
}

void ClusterMember::Stop() {
  MutexLock lock(&mu_);
  stopped_ = true;
  controller_ = false;
}

absl::Status ClusterMember::CloseSession() {
  SessionId session;
  {
    MutexLock lock(&mu_);
    session = std::exchange(session_, kNoSession);
  }
  if (session == kNoSession) return absl::OkStatus();
  return options_.coordinator->CloseSession(session);
}

absl::Status ClusterMember::Heartbeat() {
  SessionId session;
  {
    MutexLock lock(&mu_);
    if (stopped_) return absl::OkStatus();
    session = session_;
  }
  if (session == kNoSession) return absl::OkStatus();
  return options_.coordinator->Heartbeat(session);
}

SessionId ClusterMember::session() const {
  MutexLock lock(&mu_);
  return session_;
}

bool ClusterMember::is_controller() const {
  MutexLock lock(&mu_);
  return controller_;
}

void ClusterMember::OnSessionEvent(SessionId session, SessionState state) {
  MutexLock lock(&mu_);
  if (stopped_ || session != session_ || state != SessionState::kExpired) return;
  // Kafka's broker re-creates its session and registers again; the
  // controller saw it leave (its registration was deleted) and will see it
  // come back.
  SAMSA_LOG(kWarning, "broker {}: coordinator session {} expired; registering again",
            options_.broker_id, session);
  controller_ = false;
  session_ = kNoSession;
  absl::Status s = RegisterLocked();
  if (!s.ok()) {
    SAMSA_LOG(kError, "broker {}: cannot register again: {}", options_.broker_id,
              std::string(s.message()));
    return;
  }
  TryElectLocked();
}

void ClusterMember::TryElectLocked() {
  Coordinator& zkc = *options_.coordinator;
  for (int attempt = 0; attempt < 16 && !stopped_ && session_ != kNoSession; ++attempt) {
    absl::StatusOr<std::string> seeded =
        zkc.Create(kNoSession, zk::kControllerEpochPath, zk::EncodeControllerEpoch(0),
                   CreateMode::kPersistent);
    if (!seeded.ok() && !IsNodeExists(seeded.status())) {
      SAMSA_LOG(kWarning, "broker {}: election: {}", options_.broker_id,
                std::string(seeded.status().message()));
      return;
    }
    absl::StatusOr<NodeData> epoch_node = zkc.Get(zk::kControllerEpochPath);
    if (!epoch_node.ok()) return;
    absl::StatusOr<int32_t> epoch = zk::DecodeControllerEpoch(epoch_node->data);
    if (!epoch.ok()) return;
    zk::ControllerRegistration me{options_.broker_id, NowMs()};
    absl::StatusOr<std::vector<OpResult>> won = zkc.Multi(
        session_, {Op::Create(std::string(zk::kControllerPath), zk::EncodeController(me),
                              CreateMode::kEphemeral),
                   Op::Set(std::string(zk::kControllerEpochPath), zk::EncodeControllerEpoch(*epoch + 1),
                           epoch_node->stat.version)});
    if (won.ok()) {
      controller_ = true;
      epoch_zk_version_ = (*won)[1].stat.version;
      metadata_ = ClusterMetadata();
      metadata_.controller_id = options_.broker_id;
      metadata_.controller_epoch = *epoch + 1;
      SAMSA_LOG(kInfo, "broker {}: became the controller (epoch {})", options_.broker_id, *epoch + 1);
      absl::Status s = BecomeControllerLocked();
      if (!s.ok()) ResignLocked(s);
      return;
    }
    if (IsNodeExists(won.status())) {
      absl::StatusOr<std::optional<Stat>> exists =
          zkc.Exists(zk::kControllerPath, Bind(&ClusterMember::OnControllerChange));
      if (!exists.ok() || exists->has_value()) return;  // watching the winner
      continue;                                         // gone already: run again
    }
    if (!IsBadVersion(won.status())) {
      SAMSA_LOG(kWarning, "broker {}: election: {}", options_.broker_id,
                std::string(won.status().message()));
      return;
    }
  }
}

void ClusterMember::OnControllerChange(const WatchEvent&) {
  MutexLock lock(&mu_);
  if (stopped_ || controller_) return;
  TryElectLocked();
}

// --- The controller ------------------------------------------------------------------------

void ClusterMember::ResignLocked(const absl::Status& why) {
  SAMSA_LOG(kWarning, "broker {}: resigning as controller: {}", options_.broker_id,
            std::string(why.message()));
  controller_ = false;
  Coordinator& zkc = *options_.coordinator;
  absl::StatusOr<std::optional<Stat>> exists =
      zkc.Exists(zk::kControllerPath, Bind(&ClusterMember::OnControllerChange));
  if (exists.ok() && exists->has_value() && (*exists)->ephemeral_owner == session_) {
    zkc.Delete(zk::kControllerPath).IgnoreError();  // lets another broker win
  }
}

absl::Status ClusterMember::WriteFencedLocked(std::vector<Op> ops) {
  if (ops.empty()) return absl::OkStatus();
  ops.insert(ops.begin(), Op::Check(std::string(zk::kControllerEpochPath), epoch_zk_version_));
  absl::StatusOr<std::vector<OpResult>> done = options_.coordinator->Multi(session_, std::move(ops));
  if (!done.ok()) {
    return KafkaError(ErrorCode::kNotController,
                      fmt::format("controller write failed (epoch {}): {}", metadata_.controller_epoch,
                                  std::string(done.status().message())));
  }
  return absl::OkStatus();
}

void ClusterMember::PublishLocked() {
  ++metadata_.version;
  auto snapshot = std::make_shared<const ClusterMetadata>(metadata_);
  for (int32_t broker : metadata_.live_brokers) {
    options_.channel->SendClusterMetadata(broker, snapshot);
  }
}

absl::Status ClusterMember::BecomeControllerLocked() {
  SAMSA_RETURN_IF_ERROR(ReadBrokersLocked(&broker_czxid_));
  metadata_.live_brokers.clear();
  for (const auto& [id, czxid] : broker_czxid_) metadata_.live_brokers.insert(id);
  SAMSA_RETURN_IF_ERROR(HandleTopicsLocked());
  SAMSA_RETURN_IF_ERROR(ElectLeadersLocked({}));
  SAMSA_RETURN_IF_ERROR(HandleDeletionsLocked());
  PublishLocked();
  return absl::OkStatus();
}

absl::Status ClusterMember::ReadBrokersLocked(std::map<int32_t, int64_t>* brokers) {
  Coordinator& zkc = *options_.coordinator;
  SAMSA_ASSIGN_OR_RETURN(Children children,
                         zkc.GetChildren(zk::kBrokerIdsPath, Bind(&ClusterMember::OnBrokersChange)));
  brokers->clear();
  for (const std::string& name : children.names) {
    int32_t id;
    if (!absl::SimpleAtoi(name, &id)) continue;
    absl::StatusOr<NodeData> node = zkc.Get(zk::BrokerIdPath(id));
    if (!node.ok()) continue;  // gone since the listing
    (*brokers)[id] = node->stat.czxid;
  }
  return absl::OkStatus();
}

void ClusterMember::OnBrokersChange(const WatchEvent&) {
  MutexLock lock(&mu_);
  if (stopped_ || !controller_) return;
  absl::Status s = HandleBrokersLocked();
  if (!s.ok()) ResignLocked(s);
}

absl::Status ClusterMember::HandleBrokersLocked() {
  std::map<int32_t, int64_t> now;
  SAMSA_RETURN_IF_ERROR(ReadBrokersLocked(&now));
  std::set<int32_t> bounced;
  for (const auto& [id, czxid] : now) {
    auto it = broker_czxid_.find(id);
    if (it != broker_czxid_.end() && it->second != czxid) bounced.insert(id);
  }
  broker_czxid_ = now;
  metadata_.live_brokers.clear();
  for (const auto& [id, czxid] : now) metadata_.live_brokers.insert(id);
  SAMSA_LOG(kInfo, "controller {}: live brokers [{}]", options_.broker_id,
            fmt::join(metadata_.live_brokers, ","));
  SAMSA_RETURN_IF_ERROR(ElectLeadersLocked(bounced));
  PublishLocked();
  return absl::OkStatus();
}

absl::Status ClusterMember::ElectLeadersLocked(const std::set<int32_t>& bounced) {
  const auto live = [&](int32_t b) { return metadata_.live_brokers.contains(b); };
  std::vector<Op> ops;
  std::vector<std::pair<PartitionLeadership*, PartitionLeadership>> changes;
  for (auto& [topic, t] : metadata_.topics) {
    for (size_t p = 0; p < t.partitions.size(); ++p) {
      PartitionLeadership& current = t.partitions[p];
      if (current.leader >= 0 && live(current.leader) && !bounced.contains(current.leader)) continue;
      PartitionLeadership next = current;
      // OfflinePartitionLeaderElection: the first live replica of the
      // assignment that is in the ISR.
      int32_t leader = -1;
      for (int32_t r : current.replicas) {
        if (live(r) && std::find(current.isr.begin(), current.isr.end(), r) != current.isr.end()) {
          leader = r;
          break;
        }
      }
      if (leader >= 0) {
        next.leader = leader;
        std::vector<int32_t> isr;
        for (int32_t r : current.isr) {
          if (live(r)) isr.push_back(r);
        }
        next.isr = isr;
      } else if (current.leader >= 0) {
        next.leader = -1;  // offline; the ISR keeps its last member
      } else {
        continue;
      }
      ++next.leader_epoch;
      zk::PartitionState state;
      state.leader = next.leader;
      state.leader_epoch = next.leader_epoch;
      state.isr = next.isr;
      state.controller_epoch = metadata_.controller_epoch;
      ops.push_back(Op::Set(zk::TopicPartitionStatePath(topic, static_cast<int32_t>(p)),
                            zk::EncodePartitionState(state)));
      changes.emplace_back(&current, std::move(next));
      SAMSA_LOG(kInfo, "controller {}: {}-{} leader {} -> {} (epoch {})", options_.broker_id, topic,
                p, current.leader, changes.back().second.leader, changes.back().second.leader_epoch);
    }
  }
  SAMSA_RETURN_IF_ERROR(WriteFencedLocked(std::move(ops)));
  for (auto& [where, next] : changes) *where = std::move(next);
  return absl::OkStatus();
}

void ClusterMember::OnTopicsChange(const WatchEvent&) {
  MutexLock lock(&mu_);
  if (stopped_ || !controller_) return;
  absl::Status s = HandleTopicsLocked();
  if (s.ok()) {
    PublishLocked();
  } else {
    ResignLocked(s);
  }
}

absl::Status ClusterMember::HandleTopicsLocked() {
  SAMSA_ASSIGN_OR_RETURN(Children children, options_.coordinator->GetChildren(
                                                zk::kTopicsPath, Bind(&ClusterMember::OnTopicsChange)));
  const std::set<std::string> names(children.names.begin(), children.names.end());
  for (auto it = metadata_.topics.begin(); it != metadata_.topics.end();) {
    it = names.contains(it->first) ? std::next(it) : metadata_.topics.erase(it);
  }
  for (const std::string& name : names) {
    if (!metadata_.topics.contains(name)) SAMSA_RETURN_IF_ERROR(LoadTopicLocked(name));
  }
  return absl::OkStatus();
}

void ClusterMember::OnTopicChange(const WatchEvent& event) {
  MutexLock lock(&mu_);
  if (stopped_ || !controller_ || event.type == WatchEventType::kNodeDeleted) return;
  const std::string prefix = std::string(zk::kTopicsPath) + "/";
  if (event.path.rfind(prefix, 0) != 0) return;
  absl::Status s = LoadTopicLocked(event.path.substr(prefix.size()));
  if (s.ok()) {
    PublishLocked();
  } else {
    ResignLocked(s);
  }
}

absl::Status ClusterMember::LoadTopicLocked(const std::string& topic) {
  Coordinator& zkc = *options_.coordinator;
  absl::StatusOr<NodeData> node = zkc.Get(zk::TopicPath(topic), Bind(&ClusterMember::OnTopicChange));
  if (IsNoNode(node.status())) {
    metadata_.topics.erase(topic);
    return absl::OkStatus();
  }
  SAMSA_RETURN_IF_ERROR(node.status());
  absl::StatusOr<zk::TopicAssignment> assignment = zk::DecodeTopicAssignment(node->data);
  if (!assignment.ok()) {
    SAMSA_LOG(kWarning, "controller {}: ignoring topic {}: {}", options_.broker_id, topic,
              std::string(assignment.status().message()));
    return absl::OkStatus();
  }
  TopicLeadership& t = metadata_.topics[topic];
  t.topic_id = assignment->topic_id.value_or("");
  // Watched: AlterTopicConfigs rewrites the node, and the controller sends
  // the new configs to the brokers (Kafka's brokers learn it from
  // /config/changes; here the controller's metadata carries it).
  absl::StatusOr<NodeData> config = zkc.Get(zk::ConfigTopicPath(topic), Bind(&ClusterMember::OnTopicConfigChange));
  if (config.ok()) {
    absl::StatusOr<zk::EntityConfig> decoded = zk::DecodeEntityConfig(config->data);
    if (decoded.ok()) t.configs = decoded->config;
  }
  std::vector<Op> creates;
  if (!zkc.Exists(zk::TopicPartitionsPath(topic)).value_or(std::nullopt)) {
    creates.push_back(Op::Create(zk::TopicPartitionsPath(topic), ""));
  }
  std::vector<PartitionLeadership> partitions;
  for (const auto& [p, replicas] : assignment->partitions) {
    if (p != static_cast<int32_t>(partitions.size())) break;  // a gap: stop at it
    PartitionLeadership pl;
    pl.replicas = replicas;
    absl::StatusOr<NodeData> state_node = zkc.Get(zk::TopicPartitionStatePath(topic, p));
    absl::StatusOr<zk::PartitionState> state =
        state_node.ok() ? zk::DecodePartitionState(state_node->data)
                        : absl::StatusOr<zk::PartitionState>(state_node.status());
    if (state.ok()) {
      pl.leader = state->leader;
      pl.leader_epoch = state->leader_epoch;
      pl.isr = state->isr;
    } else {
      // A new partition: leader = the first live replica, isr = the live ones.
      for (int32_t r : replicas) {
        if (metadata_.live_brokers.contains(r)) pl.isr.push_back(r);
      }
      pl.leader = pl.isr.empty() ? -1 : pl.isr.front();
      zk::PartitionState initial;
      initial.leader = pl.leader;
      initial.leader_epoch = 0;
      initial.isr = pl.isr;
      initial.controller_epoch = metadata_.controller_epoch;
      if (!state_node.ok() && IsNoNode(state_node.status()) &&
          !zkc.Exists(zk::TopicPartitionPath(topic, p)).value_or(std::nullopt)) {
        creates.push_back(Op::Create(zk::TopicPartitionPath(topic, p), ""));
      }
      if (!state_node.ok()) {
        creates.push_back(Op::Create(zk::TopicPartitionStatePath(topic, p),
                                     zk::EncodePartitionState(initial)));
      } else {
        creates.push_back(Op::Set(zk::TopicPartitionStatePath(topic, p),
                                  zk::EncodePartitionState(initial)));
      }
      SAMSA_LOG(kInfo, "controller {}: new partition {}-{} replicas [{}] leader {}",
                options_.broker_id, topic, p, fmt::join(replicas, ","), pl.leader);
    }
    partitions.push_back(std::move(pl));
  }
  SAMSA_RETURN_IF_ERROR(WriteFencedLocked(std::move(creates)));
  t.partitions = std::move(partitions);
  return absl::OkStatus();
}

void ClusterMember::OnTopicConfigChange(const WatchEvent& event) {
  MutexLock lock(&mu_);
  if (stopped_ || !controller_ || event.type == WatchEventType::kNodeDeleted) return;
  const std::string prefix = std::string(zk::kConfigTopicsPath) + "/";
  if (event.path.rfind(prefix, 0) != 0) return;
  const std::string topic = event.path.substr(prefix.size());
  if (!metadata_.topics.contains(topic)) return;  // deleted meanwhile
  absl::Status s = LoadTopicLocked(topic);
  if (s.ok()) {
    PublishLocked();
  } else {
    ResignLocked(s);
  }
}

void ClusterMember::OnDeleteTopicsChange(const WatchEvent&) {
  MutexLock lock(&mu_);
  if (stopped_ || !controller_) return;
  absl::Status s = HandleDeletionsLocked();
  if (s.ok()) {
    PublishLocked();
  } else {
    ResignLocked(s);
  }
}

absl::Status ClusterMember::HandleDeletionsLocked() {
  Coordinator& zkc = *options_.coordinator;
  SAMSA_ASSIGN_OR_RETURN(Children children,
                         zkc.GetChildren(zk::kDeleteTopicsPath, Bind(&ClusterMember::OnDeleteTopicsChange)));
  for (const std::string& topic : children.names) {
    std::vector<Op> ops;
    absl::StatusOr<Children> partitions = zkc.GetChildren(zk::TopicPartitionsPath(topic));
    if (partitions.ok()) {
      for (const std::string& p : partitions->names) {
        const std::string path = zk::TopicPartitionsPath(topic) + "/" + p;
        if (zkc.Exists(path + "/state").value_or(std::nullopt)) ops.push_back(Op::Delete(path + "/state"));
        ops.push_back(Op::Delete(path));
      }
      ops.push_back(Op::Delete(zk::TopicPartitionsPath(topic)));
    }
    if (zkc.Exists(zk::TopicPath(topic)).value_or(std::nullopt)) ops.push_back(Op::Delete(zk::TopicPath(topic)));
    if (zkc.Exists(zk::ConfigTopicPath(topic)).value_or(std::nullopt)) {
      ops.push_back(Op::Delete(zk::ConfigTopicPath(topic)));
    }
    ops.push_back(Op::Delete(zk::DeleteTopicPath(topic)));
    SAMSA_RETURN_IF_ERROR(WriteFencedLocked(std::move(ops)));
    metadata_.topics.erase(topic);
    SAMSA_LOG(kInfo, "controller {}: deleted topic {}", options_.broker_id, topic);
  }
  return absl::OkStatus();
}

}  // namespace samsa::coordination
