// Cluster: brokers sharing an in-memory coordinator, and topic admin written
// to it as Kafka's AdminZkClient writes it.
#include "broker/cluster_impl.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "config/topic_config.h"
#include "coordination/kafka_zk_data.h"
#include "coordination/kafka_zk_paths.h"
#include "util/endian.h"
#include "util/logging.h"
#include "util/status_macros.h"

namespace samsa {

namespace zk = kafka_zk;

// --- Cluster --------------------------------------------------------------------------

Cluster::Cluster(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Cluster::~Cluster() = default;

std::unique_ptr<Broker> Cluster::AdoptBroker(std::unique_ptr<Broker::Impl> impl) {
  return std::unique_ptr<Broker>(new Broker(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<Cluster>> Cluster::Start(ClusterOptions options) {
  SAMSA_ASSIGN_OR_RETURN(std::unique_ptr<Impl> impl, Impl::Start(std::move(options)));
  return std::unique_ptr<Cluster>(new Cluster(std::move(impl)));
}

Broker* Cluster::broker(int32_t id) const { return impl_->GetBroker(id).get(); }
std::vector<int32_t> Cluster::broker_ids() const { return impl_->broker_ids(); }
std::vector<int32_t> Cluster::live_broker_ids() const { return impl_->live_broker_ids(); }
absl::Status Cluster::StopBroker(int32_t id) { return impl_->StopBroker(id, /*clean=*/true); }
absl::Status Cluster::KillBroker(int32_t id) { return impl_->StopBroker(id, /*clean=*/false); }
absl::Status Cluster::RestartBroker(int32_t id) { return impl_->RestartBroker(id); }
int32_t Cluster::controller_id() const { return impl_->controller_id(); }
int32_t Cluster::controller_epoch() const { return impl_->controller_epoch(); }
Coordinator* Cluster::coordinator() const { return impl_->coordinator(); }
absl::Status Cluster::CreateTopic(const NewTopic& topic) { return impl_->CreateTopic(topic); }
absl::Status Cluster::DeleteTopic(std::string_view name) { return impl_->DeleteTopic(name); }
absl::Status Cluster::CreatePartitions(std::string_view topic, int32_t total_partitions) {
  return impl_->CreatePartitions(topic, total_partitions);
}
absl::Status Cluster::ReassignPartition(std::string_view topic, int32_t partition, int32_t broker_id) {
  return impl_->ReassignPartition(topic, partition, broker_id);
}
absl::StatusOr<TopicDescription> Cluster::DescribeTopic(std::string_view name) const {
  return impl_->DescribeTopic(name);
}
std::vector<std::string> Cluster::ListTopics(bool include_internal) const {
  return impl_->ListTopics(include_internal);
}
void Cluster::AwaitSettled() const { impl_->AwaitSettled(); }

// --- Cluster::Impl: brokers -----------------------------------------------------------------

Cluster::Impl::Impl(ClusterOptions options) : options_(std::move(options)), rng_(options_.placement_seed) {
  clock_ = options_.clock != nullptr ? options_.clock : Clock::System();
  if (options_.env != nullptr) {
    env_ = options_.env;
  } else if (options_.base.samsa_storage == "memory") {
    owned_env_ = NewMemEnv(clock_);
    env_ = owned_env_.get();
  } else if (options_.clock != nullptr) {
    owned_env_ = NewPosixEnv(clock_);
    env_ = owned_env_.get();
  } else {
    env_ = Env::Default();
  }
  coordinator_ = std::make_unique<InMemoryCoordinator>(clock_);
}

absl::StatusOr<std::unique_ptr<Cluster::Impl>> Cluster::Impl::Start(ClusterOptions options) {
  if (options.num_brokers < 1) {
    return KafkaError(ErrorCode::kInvalidConfig, "a cluster needs at least one broker");
  }
  if (options.base.LogDirs().empty()) return KafkaError(ErrorCode::kInvalidConfig, "log.dirs is empty");
  std::unique_ptr<Impl> impl(new Impl(std::move(options)));
  SAMSA_RETURN_IF_ERROR(zk::EnsureKafkaPaths(*impl->coordinator_));
  for (int32_t id = 0; id < impl->options_.num_brokers; ++id) {
    BrokerConfig config = impl->options_.base;
    config.broker_id = id;
    std::vector<std::string> dirs;
    for (const std::string& dir : impl->options_.base.LogDirs()) {
      dirs.push_back(JoinPath(dir, fmt::format("broker-{}", id)));
    }
    config.log_dirs = fmt::format("{}", fmt::join(dirs, ","));
    {
      MutexLock lock(&impl->mu_);
      impl->nodes_[id].config = config;
    }
    SAMSA_RETURN_IF_ERROR(impl->StartBroker(id));
  }
  impl->AwaitSettled();
  if (impl->controller_id() < 0) {
    return KafkaError(ErrorCode::kNotController, "no controller was elected");
  }
  return impl;
}

Cluster::Impl::~Impl() {
  std::vector<int32_t> ids = live_broker_ids();
  // The controller last, so that the others' exits are handled once.
  const int32_t controller = controller_id();
  std::stable_partition(ids.begin(), ids.end(), [&](int32_t id) { return id != controller; });
  for (int32_t id : ids) StopBroker(id, /*clean=*/true).IgnoreError();
  coordinator_->Close();
}

absl::Status Cluster::Impl::StartBroker(int32_t id) {
  BrokerConfig config;
  {
    MutexLock lock(&mu_);
    auto it = nodes_.find(id);
    if (it == nodes_.end()) {
      return KafkaError(ErrorCode::kBrokerNotAvailable, fmt::format("no broker {} in this cluster", id));
    }
    if (it->second.broker) return absl::FailedPreconditionError(fmt::format("broker {} is running", id));
    config = it->second.config;
  }
  auto env = std::make_unique<FaultInjectionEnv>(env_);
  Broker::Impl::ClusterHooks hooks;
  hooks.create_topic = [this](const NewTopic& t) { return CreateTopic(t); };
  hooks.delete_topic = [this](std::string_view t) { return DeleteTopic(t); };
  hooks.create_partitions = [this](std::string_view t, int32_t n) { return CreatePartitions(t, n); };
  hooks.alter_topic_configs = [this](std::string_view t,
                                     const std::map<std::string, std::optional<std::string>>& changes) {
    return AlterTopicConfigs(t, changes);
  };
  SAMSA_ASSIGN_OR_RETURN(std::unique_ptr<Broker::Impl> impl,
                         Broker::Impl::OpenInCluster(config, BrokerOptions{env.get(), clock_},
                                                     std::move(hooks)));
  // The broker owns its Env: a client still holding the broker (a fetch in
  // progress) keeps both alive after the broker is stopped.
  FaultInjectionEnv* broker_env = env.release();
  std::shared_ptr<Broker> broker(Cluster::AdoptBroker(std::move(impl)).release(),
                                 [broker_env](Broker* b) {
                                   delete b;
                                   delete broker_env;
                                 });
  {
    MutexLock lock(&mu_);
    Node& node = nodes_[id];
    node.env = broker_env;
    node.broker = broker;
  }
  coordination::ClusterMember::Options member_options;
  member_options.coordinator = coordinator_.get();
  member_options.channel = this;
  member_options.broker_id = id;
  member_options.clock = clock_;
  member_options.session_timeout = absl::Milliseconds(config.zookeeper_session_timeout_ms);
  const std::string& listeners =
      config.advertised_listeners.empty() ? config.listeners : config.advertised_listeners;
  for (const std::string& l : std::vector<std::string>(absl::StrSplit(listeners, ','))) {
    absl::StatusOr<zk::BrokerEndpoint> endpoint = zk::ParseBrokerEndpoint(std::string(l));
    if (endpoint.ok()) member_options.registration.endpoints.push_back(*endpoint);
  }
  absl::StatusOr<std::shared_ptr<coordination::ClusterMember>> member =
      coordination::ClusterMember::Start(std::move(member_options));
  if (!member.ok()) {
    StopBroker(id, /*clean=*/true).IgnoreError();
    return member.status();
  }
  {
    MutexLock lock(&mu_);
    nodes_[id].member = *member;
  }
  // ZooKeeper's client pings every third of the session time-out.
  const absl::Duration every = absl::Milliseconds(std::max(1, config.zookeeper_session_timeout_ms / 3));
  std::weak_ptr<coordination::ClusterMember> weak = *member;
  broker->impl()->scheduler()->SchedulePeriodic("coordinator-heartbeat", every, every, [weak] {
    if (auto m = weak.lock()) m->Heartbeat().IgnoreError();
  });
  return absl::OkStatus();
}

absl::Status Cluster::Impl::StopBroker(int32_t id, bool clean) {
  Node node;
  {
    MutexLock lock(&mu_);
    auto it = nodes_.find(id);
    if (it == nodes_.end() || !it->second.broker) {
      return KafkaError(ErrorCode::kBrokerNotAvailable, fmt::format("broker {} is not running", id));
    }
    node.env = std::exchange(it->second.env, nullptr);
    node.broker = std::move(it->second.broker);
    node.member = std::move(it->second.member);
  }
  if (node.member) node.member->Stop();
  absl::Status closed;
  if (clean) {
    closed = node.broker->Close();
  } else {
    node.env->Halt();  // nothing more reaches its files
    node.broker->Close().IgnoreError();  // fails to write: no clean-shutdown marker
  }
  if (node.member) node.member->CloseSession().IgnoreError();
  // The controller has handled the exit, and no send holds the broker.
  AwaitSettled();
  node.member.reset();
  node.broker.reset();
  SAMSA_LOG(kInfo, "cluster: broker {} {}", id, clean ? "stopped" : "killed");
  return closed;
}

absl::Status Cluster::Impl::RestartBroker(int32_t id) {
  SAMSA_RETURN_IF_ERROR(StartBroker(id));
  AwaitSettled();
  return absl::OkStatus();
}

std::shared_ptr<Broker> Cluster::Impl::GetBroker(int32_t id) const {
  MutexLock lock(&mu_);
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : it->second.broker;
}

std::vector<int32_t> Cluster::Impl::broker_ids() const {
  MutexLock lock(&mu_);
  std::vector<int32_t> ids;
  for (const auto& [id, node] : nodes_) ids.push_back(id);
  return ids;
}

std::vector<int32_t> Cluster::Impl::live_broker_ids() const {
  MutexLock lock(&mu_);
  std::vector<int32_t> ids;
  for (const auto& [id, node] : nodes_) {
    if (node.broker) ids.push_back(id);
  }
  return ids;
}

std::shared_ptr<const coordination::ClusterMetadata> Cluster::Impl::metadata() const {
  MutexLock lock(&mu_);
  return latest_;
}

void Cluster::Impl::SendClusterMetadata(int32_t broker_id,
                                        std::shared_ptr<const coordination::ClusterMetadata> md) {
  std::shared_ptr<Broker> broker;
  {
    MutexLock lock(&mu_);
    if (latest_ == nullptr || std::pair(md->controller_epoch, md->version) >
                                  std::pair(latest_->controller_epoch, latest_->version)) {
      latest_ = md;
    }
    auto it = nodes_.find(broker_id);
    if (it != nodes_.end()) broker = it->second.broker;
  }
  if (broker) broker->impl()->ApplyClusterMetadata(std::move(md));
}

int32_t Cluster::Impl::controller_id() const {
  absl::StatusOr<NodeData> node = coordinator_->Get(zk::kControllerPath);
  if (!node.ok()) return -1;
  absl::StatusOr<zk::ControllerRegistration> c = zk::DecodeController(node->data);
  return c.ok() ? c->broker_id : -1;
}

int32_t Cluster::Impl::controller_epoch() const {
  absl::StatusOr<NodeData> node = coordinator_->Get(zk::kControllerEpochPath);
  if (!node.ok()) return 0;
  return zk::DecodeControllerEpoch(node->data).value_or(0);
}

absl::StatusOr<std::vector<int32_t>> Cluster::Impl::RegisteredBrokers() const {
  SAMSA_ASSIGN_OR_RETURN(Children children, coordinator_->GetChildren(zk::kBrokerIdsPath));
  std::vector<int32_t> ids;
  for (const std::string& name : children.names) {
    int32_t id;
    if (absl::SimpleAtoi(name, &id)) ids.push_back(id);
  }
  return ids;
}

// --- Topic admin (AdminZkClient) --------------------------------------------------------------

absl::Status Cluster::Impl::CreateTopic(const NewTopic& spec) {
  {
    MutexLock lock(&admin_mu_);
    SAMSA_RETURN_IF_ERROR(ValidateTopicName(spec.name));
    const BrokerConfig& base = options_.base;
    const int32_t partitions = spec.num_partitions == -1 ? base.num_partitions : spec.num_partitions;
    if (partitions < 1) {
      return KafkaError(ErrorCode::kInvalidPartitions,
                        "Number of partitions was set to an invalid non-positive value.");
    }
    const int32_t replication =
        spec.replication_factor == -1 ? base.default_replication_factor : spec.replication_factor;
    if (replication < 1) {
      return KafkaError(ErrorCode::kInvalidReplicationFactor, "Replication factor must be larger than 0.");
    }
    if (replication > 1) {
      return KafkaError(ErrorCode::kInvalidReplicationFactor,
                        fmt::format("Replication factor: {} is not supported yet: a samsa cluster "
                                    "hosts each partition on one broker (replication factor 1).",
                                    replication));
    }
    SAMSA_ASSIGN_OR_RETURN(Children existing, coordinator_->GetChildren(zk::kTopicsPath));
    for (const std::string& name : existing.names) {
      if (name == spec.name) {
        return KafkaError(ErrorCode::kTopicAlreadyExists, fmt::format("Topic '{}' already exists.", spec.name));
      }
      if (TopicNamesCollide(name, spec.name)) {
        return KafkaError(ErrorCode::kInvalidTopicException,
                          fmt::format("Topic '{}' collides with existing topic: {}", spec.name, name));
      }
    }
    zk::EntityConfig config;
    Properties overrides;
    for (const auto& [key, value] : spec.configs) {
      if (key == kStorageConfig) {
        if (value != "memory" && value != "disk") {
          return KafkaError(ErrorCode::kInvalidConfig,
                            fmt::format("Invalid value {} for configuration {}: must be memory or disk",
                                        value, key));
        }
      } else {
        overrides[key] = value;
      }
      config.config[key] = value;
    }
    if (spec.memory) config.config[kStorageConfig] = "memory";
    SAMSA_RETURN_IF_ERROR(ApplyTopicConfigs(DefaultLogConfig(base), overrides).status());
    SAMSA_ASSIGN_OR_RETURN(std::vector<int32_t> brokers, RegisteredBrokers());
    SAMSA_ASSIGN_OR_RETURN(auto assignment,
                           coordination::AssignReplicasToBrokers(brokers, partitions, replication,
                                                                 /*fixed_start_index=*/-1,
                                                                 /*start_partition_id=*/0, &rng_));
    zk::TopicAssignment topic;
    topic.topic_id = NewTopicId();
    topic.partitions = std::move(assignment);
    absl::StatusOr<std::vector<OpResult>> written = coordinator_->Multi(
        kNoSession, {Op::Create(zk::ConfigTopicPath(spec.name), zk::EncodeEntityConfig(config)),
                     Op::Create(zk::TopicPath(spec.name), zk::EncodeTopicAssignment(topic))});
    if (!written.ok()) {
      if (IsNodeExists(written.status())) {
        return KafkaError(ErrorCode::kTopicAlreadyExists, fmt::format("Topic '{}' already exists.", spec.name));
      }
      return written.status();
    }
    SAMSA_LOG(kInfo, "cluster: created topic {} with {} partition(s)", spec.name, partitions);
  }
  AwaitSettled();  // the controller has elected leaders and told the brokers
  return absl::OkStatus();
}

absl::Status Cluster::Impl::DeleteTopic(std::string_view name) {
  {
    MutexLock lock(&admin_mu_);
    if (!options_.base.delete_topic_enable) {
      return KafkaError(ErrorCode::kTopicDeletionDisabled,
                        "Topic deletion is disabled (delete.topic.enable=false).");
    }
    if (IsInternalTopic(name)) {
      return KafkaError(ErrorCode::kInvalidTopicException,
                        fmt::format("Topic {} is a Kafka internal topic and cannot be deleted.", name));
    }
    SAMSA_ASSIGN_OR_RETURN(std::optional<Stat> exists, coordinator_->Exists(zk::TopicPath(name)));
    if (!exists) {
      return KafkaError(ErrorCode::kUnknownTopicOrPartition, fmt::format("topic {} does not exist", name));
    }
    absl::StatusOr<std::string> marked =
        coordinator_->Create(kNoSession, zk::DeleteTopicPath(name), "", CreateMode::kPersistent);
    if (!marked.ok() && !IsNodeExists(marked.status())) return marked.status();
  }
  AwaitSettled();  // the controller removed it; its brokers deleted the logs
  return absl::OkStatus();
}

absl::Status Cluster::Impl::CreatePartitions(std::string_view topic, int32_t total_partitions) {
  {
    MutexLock lock(&admin_mu_);
    absl::StatusOr<NodeData> node = coordinator_->Get(zk::TopicPath(topic));
    if (IsNoNode(node.status())) {
      return KafkaError(ErrorCode::kUnknownTopicOrPartition, fmt::format("topic {} does not exist", topic));
    }
    SAMSA_RETURN_IF_ERROR(node.status());
    SAMSA_ASSIGN_OR_RETURN(zk::TopicAssignment assignment, zk::DecodeTopicAssignment(node->data));
    SAMSA_ASSIGN_OR_RETURN(std::vector<int32_t> brokers, RegisteredBrokers());
    SAMSA_ASSIGN_OR_RETURN(auto added,
                           coordination::AssignNewPartitions(brokers, assignment.partitions, total_partitions));
    assignment.partitions.insert(added.begin(), added.end());
    absl::StatusOr<Stat> set =
        coordinator_->Set(zk::TopicPath(topic), zk::EncodeTopicAssignment(assignment), node->stat.version);
    if (!set.ok()) {
      return KafkaError(ErrorCode::kUnknownServerError,
                        fmt::format("topic {} changed meanwhile: {}", topic, std::string(set.status().message())));
    }
  }
  AwaitSettled();
  return absl::OkStatus();
}

absl::Status Cluster::Impl::AlterTopicConfigs(
    std::string_view topic, const std::map<std::string, std::optional<std::string>>& changes) {
  {
    MutexLock lock(&admin_mu_);
    if (!coordinator_->Exists(zk::TopicPath(topic)).value_or(std::nullopt)) {
      return KafkaError(ErrorCode::kUnknownTopicOrPartition, fmt::format("topic {} does not exist", topic));
    }
    // Kafka's AdminZkClient.changeTopicConfig: the whole override set is
    // rewritten (compare-and-set on the node's version).
    absl::StatusOr<NodeData> node = coordinator_->Get(zk::ConfigTopicPath(topic));
    zk::EntityConfig config;
    int32_t version = -1;
    if (node.ok()) {
      SAMSA_ASSIGN_OR_RETURN(config, zk::DecodeEntityConfig(node->data));
      version = node->stat.version;
    } else if (!IsNoNode(node.status())) {
      return node.status();
    }
    for (const auto& [key, value] : changes) {
      if (key == kStorageConfig) {
        return KafkaError(ErrorCode::kInvalidConfig,
                          fmt::format("{} is fixed when the topic is created", kStorageConfig));
      }
      if (value) {
        config.config[key] = *value;
      } else {
        config.config.erase(key);
      }
    }
    Properties overrides;
    for (const auto& [key, value] : config.config) {
      if (key != kStorageConfig) overrides[key] = value;
    }
    SAMSA_RETURN_IF_ERROR(ApplyTopicConfigs(DefaultLogConfig(options_.base), overrides).status());
    absl::Status written =
        version < 0 ? coordinator_->Create(kNoSession, zk::ConfigTopicPath(topic), zk::EncodeEntityConfig(config), CreateMode::kPersistent).status()
                    : coordinator_->Set(zk::ConfigTopicPath(topic), zk::EncodeEntityConfig(config), version).status();
    if (!written.ok()) {
      return KafkaError(ErrorCode::kUnknownServerError,
                        fmt::format("the configs of topic {} changed meanwhile: {}", topic,
                                    std::string(written.message())));
    }
  }
  AwaitSettled();
  return absl::OkStatus();
}

// Kafka moves a replica by adding the new one as a follower that fetches
// until it is in sync, then electing it and removing the old one. With one
// replica per partition the follower's fetch is a copy made while the old
// leader is fenced (so nothing is acknowledged there that the copy misses);
// the assignment and the new leader are then written at once, as the
// controller would after the reassignment completes.
absl::Status Cluster::Impl::ReassignPartition(std::string_view topic, int32_t partition, int32_t target) {
  {
    MutexLock lock(&admin_mu_);
    const TopicPartition tp{std::string(topic), partition};
    absl::StatusOr<NodeData> node = coordinator_->Get(zk::TopicPath(topic));
    if (IsNoNode(node.status())) {
      return KafkaError(ErrorCode::kUnknownTopicOrPartition, fmt::format("topic {} does not exist", topic));
    }
    SAMSA_RETURN_IF_ERROR(node.status());
    SAMSA_ASSIGN_OR_RETURN(zk::TopicAssignment assignment, zk::DecodeTopicAssignment(node->data));
    auto replicas = assignment.partitions.find(partition);
    if (replicas == assignment.partitions.end()) {
      return KafkaError(ErrorCode::kUnknownTopicOrPartition,
                        fmt::format("{} does not exist", tp.ToString()));
    }
    if (replicas->second == std::vector<int32_t>{target}) return absl::OkStatus();
    std::shared_ptr<Broker> to = GetBroker(target);
    if (!to) {
      return KafkaError(ErrorCode::kBrokerNotAvailable,
                        fmt::format("cannot move {} to broker {}: it is not running", tp.ToString(), target));
    }
    const std::string state_path = zk::TopicPartitionStatePath(topic, partition);
    SAMSA_ASSIGN_OR_RETURN(NodeData state_node, coordinator_->Get(state_path));
    SAMSA_ASSIGN_OR_RETURN(zk::PartitionState state, zk::DecodePartitionState(state_node.data));
    std::shared_ptr<Broker> from = state.leader >= 0 ? GetBroker(state.leader) : nullptr;
    std::shared_ptr<Partition> source = from ? from->impl()->GetPartition(tp) : nullptr;
    if (source == nullptr) {
      return KafkaError(ErrorCode::kLeaderNotAvailable,
                        fmt::format("cannot move {}: it is offline (no live leader to copy from)",
                                    tp.ToString()));
    }
    SAMSA_ASSIGN_OR_RETURN(std::shared_ptr<Partition> copy,
                           to->impl()->AddIncomingReplica(tp, source->log()->log_start_offset()));
    source->Fence();
    auto undo = [&](absl::Status why) {
      source->Unfence();
      to->impl()->DropIncomingReplica(tp);
      SAMSA_LOG(kWarning, "cluster: moving {} to broker {} failed: {}", tp.ToString(), target,
                std::string(why.message()));
      return why;
    };
    // The copy: whole batches, offsets and epochs as they are.
    Log* src = source->log();
    Log* dst = copy->log();
    const Offset end = src->log_end_offset();
    Offset next = src->log_start_offset();
    int64_t bytes = 0;
    while (next < end) {
      absl::StatusOr<LogReadInfo> read = src->Read(next, 1 << 20, end, /*min_one_batch=*/true);
      if (!read.ok()) return undo(read.status());
      if (read->records.empty()) {
        return undo(absl::InternalError(fmt::format("{}: nothing read at {}", tp.ToString(), next.value())));
      }
      if (bytes == 0) {
        // The first batch may begin below the log start (DeleteRecords moves
        // it inside a batch): the copy starts at that batch, as a follower's
        // log would.
        const Offset first(static_cast<int64_t>(LoadBE64(read->records.data())));
        if (first < dst->log_end_offset()) {
          if (absl::Status s = dst->TruncateFullyAndStartAt(first); !s.ok()) return undo(s);
        }
      }
      bytes += static_cast<int64_t>(read->records.size());
      absl::StatusOr<LogAppendInfo> appended = dst->AppendAsFollower(std::string(read->records.view()));
      if (!appended.ok()) return undo(appended.status());
      next = appended->last_offset + 1;
    }
    dst->UpdateHighWatermark(src->high_watermark());
    if (dst->log_start_offset() < src->log_start_offset()) {
      absl::Status moved = dst->DeleteRecordsBefore(src->log_start_offset()).status();
      if (!moved.ok()) return undo(moved);
    }
    // The new assignment and leader, in one write.
    replicas->second = {target};
    zk::PartitionState next_state = state;
    next_state.leader = target;
    next_state.leader_epoch = state.leader_epoch + 1;
    next_state.isr = {target};
    next_state.controller_epoch = controller_epoch();
    absl::StatusOr<std::vector<OpResult>> written = coordinator_->Multi(
        kNoSession, {Op::Set(state_path, zk::EncodePartitionState(next_state), state_node.stat.version),
                     Op::Set(zk::TopicPath(topic), zk::EncodeTopicAssignment(assignment), node->stat.version)});
    if (!written.ok()) return undo(written.status());
    SAMSA_LOG(kInfo, "cluster: moved {} from broker {} to broker {} ({} bytes, offsets {}..{}, leader epoch {})",
              tp.ToString(), state.leader, target, bytes, dst->log_start_offset().value(),
              end.value(), next_state.leader_epoch);
  }
  AwaitSettled();  // the controller published it; the old broker deleted its copy
  return absl::OkStatus();
}

absl::StatusOr<TopicDescription> Cluster::Impl::DescribeTopic(std::string_view name) const {
  std::shared_ptr<const coordination::ClusterMetadata> md = metadata();
  if (md == nullptr || !md->topics.contains(name)) {
    return KafkaError(ErrorCode::kUnknownTopicOrPartition, fmt::format("topic {} does not exist", name));
  }
  // Offsets from each partition's leader.
  return DescribeLeadership(name, md->topics.find(name)->second,
                            [&](int32_t partition, int32_t leader) -> std::shared_ptr<Partition> {
                              std::shared_ptr<Broker> broker = GetBroker(leader);
                              if (!broker) return nullptr;
                              return broker->impl()->GetPartition({std::string(name), partition});
                            });
}

std::vector<std::string> Cluster::Impl::ListTopics(bool include_internal) const {
  std::vector<std::string> names;
  if (std::shared_ptr<const coordination::ClusterMetadata> md = metadata()) {
    for (const auto& [name, t] : md->topics) {
      if (include_internal || !IsInternalTopic(name)) names.push_back(name);
    }
  }
  return names;
}

}  // namespace samsa
