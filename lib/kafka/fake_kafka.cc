// samsa::testing::FakeKafka (include/samsa/testing/fake_kafka.h): a Cluster,
// one kafka::Server per broker sharing one ClusterEndpoints (as
// ClusterServers does, but per broker so that one can go down and come back
// on its port), and a RequestInterceptor holding the fault state.
#include "samsa/testing/fake_kafka.h"

#include <algorithm>
#include <deque>
#include <map>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "broker/cluster_impl.h"
#include "broker/group/offsets_records.h"
#include "broker/topic_registry.h"
#include "kafka/fake_kafka_errors.h"
#include "kafka/fake_kafka_partition_errors.h"
#include "kafka/messages/messages.h"
#include "kafka/server/cluster_server.h"
#include "kafka/server/handler.h"
#include "kafka/server/kafka_server.h"
#include "kafka/server/request_interceptor.h"
#include "samsa/cluster.h"
#include "samsa/consumer.h"
#include "samsa/env.h"
#include "samsa/errors.h"
#include "samsa/producer.h"
#include "util/mutex.h"
#include "util/status_macros.h"

namespace samsa::testing {
namespace {

using kafka::AnswerWithError;
using kafka::ApiKey;
using kafka::ErrorAnswer;
using kafka::HasErrorResponder;
using kafka::RawResponseFrame;
using kafka::RequestHeader;

// Whether a partition a request names (`topic` as it names it: a name, or
// "id:<id>") is the scope's. `topic_id`: "id:<id>" of the scope's topic ("" if
// unknown).
bool PartitionInScope(const RequestScope& scope, const std::string& topic_id, const std::string& topic,
                      int32_t partition) {
  return scope.topic.has_value() && (topic == *scope.topic || (!topic_id.empty() && topic == topic_id)) &&
         (scope.partition < 0 || partition == scope.partition);
}

bool InScope(const RequestScope& scope, const std::string& topic_id, int32_t broker_id,
             const std::vector<std::pair<std::string, int32_t>>& partitions) {
  if (scope.broker_id.has_value() && *scope.broker_id != broker_id) return false;
  if (!scope.topic.has_value()) return true;
  return std::any_of(partitions.begin(), partitions.end(), [&](const auto& tp) {
    return PartitionInScope(scope, topic_id, tp.first, tp.second);
  });
}

}  // namespace

class FakeKafka::Impl : public kafka::RequestInterceptor {
 public:
  explicit Impl(FakeKafkaOptions options) : options_(std::move(options)) {}

  ~Impl() override {
    {
      MutexLock lock(&admin_mu_);
      for (auto& [id, slot] : brokers_) StopServer(slot);
    }
    producer_.reset();
    cluster_.reset();
  }

  absl::Status Start() {
    Properties props = {
        {"group.initial.rebalance.delay.ms", std::to_string(options_.group_initial_rebalance_delay_ms)},
        {"offsets.topic.num.partitions", std::to_string(options_.offsets_topic_num_partitions)},
        {"offsets.topic.replication.factor", "1"},
        {"num.network.threads", "1"},
    };
    for (const auto& [k, v] : options_.broker_properties) props[k] = v;
    SAMSA_ASSIGN_OR_RETURN(BrokerConfig base, BrokerConfig::FromProperties(props));
    base.listeners = "PLAINTEXT://127.0.0.1:0";
    base.advertised_listeners.clear();
    ClusterOptions cluster_options;
    cluster_options.num_brokers = std::max(1, options_.num_brokers);
    if (options_.log_dir.empty()) {
      env_ = NewMemEnv();
      base.log_dirs = "/fake-kafka";
      cluster_options.env = env_.get();
    } else {
      base.log_dirs = options_.log_dir;
    }
    cluster_options.base = base;
    SAMSA_ASSIGN_OR_RETURN(cluster_, Cluster::Start(cluster_options));
    cluster_id_ = NewTopicId();
    {
      MutexLock lock(&admin_mu_);
      for (int32_t id : cluster_->broker_ids()) {
        BrokerSlot& slot = brokers_[id];
        SAMSA_RETURN_IF_ERROR(StartServer(id, slot));
      }
    }
    ProducerConfig producer_config;
    producer_config.acks = -1;
    producer_config.linger_ms = 0;
    producer_config.client_id = "fake-kafka";
    SAMSA_ASSIGN_OR_RETURN(producer_, Producer::Create(cluster_.get(), producer_config));
    return absl::OkStatus();
  }

  // --- Brokers ------------------------------------------------------------------

  std::string BootstrapServers() const {
    MutexLock lock(&admin_mu_);
    std::vector<std::string> parts;
    for (const auto& [id, slot] : brokers_) parts.push_back(fmt::format("127.0.0.1:{}", slot.port));
    return fmt::format("{}", fmt::join(parts, ","));
  }

  int32_t Port(int32_t id) const {
    MutexLock lock(&admin_mu_);
    auto it = brokers_.find(id);
    return it == brokers_.end() ? -1 : it->second.port;
  }

  absl::Status BrokerDown(int32_t id) {
    MutexLock lock(&admin_mu_);
    auto it = brokers_.find(id);
    if (it == brokers_.end()) return absl::NotFoundError(fmt::format("no broker {}", id));
    if (it->second.server == nullptr) return absl::FailedPreconditionError(fmt::format("broker {} is down", id));
    StopServer(it->second);
    SAMSA_RETURN_IF_ERROR(cluster_->StopBroker(id));
    cluster_->AwaitSettled();
    return absl::OkStatus();
  }

  absl::Status BrokerUp(int32_t id) {
    MutexLock lock(&admin_mu_);
    auto it = brokers_.find(id);
    if (it == brokers_.end()) return absl::NotFoundError(fmt::format("no broker {}", id));
    if (it->second.server != nullptr) return absl::FailedPreconditionError(fmt::format("broker {} is up", id));
    // (Running already when an earlier BrokerUp could not rebind the port.)
    if (cluster_->broker(id) == nullptr) {
      SAMSA_RETURN_IF_ERROR(cluster_->RestartBroker(id));
      cluster_->AwaitSettled();
    }
    return StartServer(id, it->second);
  }

  absl::Status MovePartitionLeader(std::string_view topic, int32_t partition, int32_t id) {
    MutexLock lock(&admin_mu_);
    return cluster_->ReassignPartition(topic, partition, id);
  }

  absl::Status SetGroupCoordinator(std::string_view group_id, int32_t id) {
    MutexLock lock(&admin_mu_);
    const std::string topic(group::kOffsetsTopic);
    if (!cluster_->DescribeTopic(topic).ok()) {
      // Created as a client's FindCoordinator would have it created.
      for (int32_t live : cluster_->live_broker_ids()) {
        if (Broker* b = cluster_->broker(live)) {
          SAMSA_RETURN_IF_ERROR(b->impl()->Groups().status());
          break;
        }
      }
    }
    SAMSA_ASSIGN_OR_RETURN(TopicDescription offsets, cluster_->DescribeTopic(topic));
    const int32_t partition =
        group::PartitionForGroup(group_id, static_cast<int32_t>(offsets.partitions.size()));
    return cluster_->ReassignPartition(topic, partition, id);
  }

  // --- Faults -------------------------------------------------------------------

  absl::Status PushRequestErrors(int16_t api_key, std::vector<InjectedError> errors, RequestScope scope) {
    if (!HasErrorResponder(api_key)) {
      return KafkaError(ErrorCode::kInvalidRequest,
                        fmt::format("FakeKafka cannot answer api key {} with an error", api_key));
    }
    MutexLock lock(&mu_);
    for (const InjectedError& e : errors) pending_[api_key].push_back(Pending{e, scope});
    return absl::OkStatus();
  }

  int PendingRequestErrors() const {
    MutexLock lock(&mu_);
    int n = 0;
    for (const auto& [key, queue] : pending_) n += static_cast<int>(queue.size());
    return n;
  }

  void ClearRequestErrors() {
    MutexLock lock(&mu_);
    pending_.clear();
  }

  int Intercept(int16_t api_key, Interceptor callback) {
    MutexLock lock(&mu_);
    const int handle = ++last_handle_;
    intercepts_.push_back({handle, api_key, std::make_shared<Interceptor>(std::move(callback))});
    return handle;
  }

  void RemoveIntercept(int handle) {
    MutexLock lock(&mu_);
    intercepts_.erase(std::remove_if(intercepts_.begin(), intercepts_.end(),
                                     [&](const InterceptEntry& e) { return e.handle == handle; }),
                      intercepts_.end());
  }

  std::vector<ObservedRequest> RecordedRequests() const {
    MutexLock lock(&mu_);
    return recorded_;
  }

  void ClearRecorded() {
    MutexLock lock(&mu_);
    recorded_.clear();
  }

  void CapApiVersions(int16_t api_key, int16_t max_version) {
    MutexLock lock(&mu_);
    caps_[api_key] = max_version;
  }

  void ClearApiCaps() {
    MutexLock lock(&mu_);
    caps_.clear();
  }

  void SetRoundTripDelay(int32_t id, absl::Duration delay) {
    MutexLock lock(&mu_);
    if (delay <= absl::ZeroDuration()) {
      round_trip_delays_.erase(id);
    } else {
      round_trip_delays_[id] = delay;
    }
  }

  // --- kafka::RequestInterceptor ----------------------------------------------

  Verdict OnRequest(int32_t broker_id, const RequestHeader& header, absl::Span<const uint8_t> body) override {
    Verdict verdict;
    std::vector<std::shared_ptr<Interceptor>> callbacks;
    {
      MutexLock lock(&mu_);
      ObservedRequest r;
      r.broker_id = broker_id;
      r.api_key = header.request_api_key;
      r.api_version = header.request_api_version;
      r.correlation_id = header.correlation_id;
      r.client_id = header.client_id.value_or("");
      r.received = absl::Now();
      recorded_.push_back(std::move(r));
      if (auto it = round_trip_delays_.find(broker_id); it != round_trip_delays_.end()) verdict.delay = it->second;
      if (auto it = caps_.find(header.request_api_key);
          it != caps_.end() && header.request_api_key != static_cast<int16_t>(ApiKey::kApiVersions) &&
          header.request_api_version > it->second) {
        verdict.kind = Verdict::Kind::kClose;
        return verdict;
      }
      for (const InterceptEntry& e : intercepts_) {
        if (e.api_key == header.request_api_key) callbacks.push_back(e.callback);
      }
    }
    if (!callbacks.empty()) {
      ObservedRequest r;
      r.broker_id = broker_id;
      r.api_key = header.request_api_key;
      r.api_version = header.request_api_version;
      r.correlation_id = header.correlation_id;
      r.client_id = header.client_id.value_or("");
      r.body.assign(reinterpret_cast<const char*>(body.data()), body.size());
      r.received = absl::Now();
      for (const auto& callback : callbacks) {
        InterceptAction action = (*callback)(r);
        verdict.delay += action.delay;
        switch (action.kind) {
          case InterceptAction::Kind::kPass:
            continue;
          case InterceptAction::Kind::kRespond:
            verdict.kind = Verdict::Kind::kRespond;
            verdict.frame = RawResponseFrame(header, action.response_body);
            return verdict;
          case InterceptAction::Kind::kDropConnection:
            verdict.kind = Verdict::Kind::kClose;
            return verdict;
        }
      }
    }
    {
      MutexLock lock(&mu_);
      auto it = pending_.find(header.request_api_key);
      if (it == pending_.end() || it->second.empty()) return verdict;
    }
    kafka::MetadataFacts facts;
    if (header.request_api_key == static_cast<int16_t>(ApiKey::kMetadata)) {
      for (int32_t id : cluster_->live_broker_ids()) {
        std::optional<kafka::BrokerEndpoint> e = endpoints_->Find(id, "PLAINTEXT");
        if (e.has_value()) facts.brokers.push_back({e->node_id, e->host, e->port});
      }
      facts.cluster_id = cluster_id_;
      facts.controller_id = cluster_->controller_id();
      facts.all_topics = cluster_->ListTopics();
    }
    // The partitions the request names (the answer's code is set below).
    std::optional<ErrorAnswer> probe = AnswerWithError(header, body, 0, &facts);
    if (!probe.has_value()) return verdict;  // undecodable (or acks=0): served as usual
    if (header.request_api_key == static_cast<int16_t>(ApiKey::kOffsetFetch)) {
      AddCommittedPartitions(broker_id, header, body, &probe->partitions);
    }
    // The ids of the topics scopes name, for requests naming topics by id.
    std::map<std::string, std::string> topic_ids;
    if (std::any_of(probe->partitions.begin(), probe->partitions.end(),
                    [](const auto& tp) { return tp.first.rfind("id:", 0) == 0; })) {
      std::vector<std::string> names;
      {
        MutexLock lock(&mu_);
        for (const Pending& p : pending_[header.request_api_key]) {
          if (p.scope.topic.has_value()) names.push_back(*p.scope.topic);
        }
      }
      for (const std::string& name : names) {
        absl::StatusOr<TopicDescription> d = cluster_->DescribeTopic(name);
        if (d.ok()) topic_ids[name] = "id:" + d->topic_id;
      }
    }
    std::optional<Pending> matched;
    std::string topic_id;  // of the matched scope's topic, "id:<id>", if resolved
    {
      MutexLock lock(&mu_);
      std::deque<Pending>& queue = pending_[header.request_api_key];
      for (auto p = queue.begin(); p != queue.end(); ++p) {
        topic_id = p->scope.topic.has_value() ? topic_ids[*p->scope.topic] : std::string();
        if (!InScope(p->scope, topic_id, broker_id, probe->partitions)) continue;
        matched = *p;
        queue.erase(p);
        break;
      }
    }
    if (!matched.has_value()) return verdict;
    const InjectedError& error = matched->error;
    verdict.delay += error.delay;
    // A topic scope on a partition-keyed API: only the scoped partitions fail,
    // the rest of the request is served.
    if (matched->scope.topic.has_value() && kafka::HasPartitionErrorResponder(header.request_api_key)) {
      std::optional<kafka::PartitionErrorPlan> plan = kafka::PlanPartitionError(
          header, body, error.error_code,
          [scope = matched->scope, topic_id](const std::string& topic, int32_t partition) {
            return PartitionInScope(scope, topic_id, topic, partition);
          });
      if (plan.has_value()) {
        if (!plan->rest_body.has_value()) {  // every partition named is scoped
          verdict.kind = Verdict::Kind::kRespond;
          verdict.frame = plan->merge(std::nullopt);
          return verdict;
        }
        verdict.body = std::move(plan->rest_body);
        verdict.rewrite_response = [merge = std::move(plan->merge)](std::string frame) {
          return merge(std::move(frame));
        };
        return verdict;
      }
    }
    std::optional<ErrorAnswer> answer = AnswerWithError(header, body, error.error_code, &facts);
    verdict.kind = Verdict::Kind::kRespond;
    verdict.frame = std::move(answer->frame);
    return verdict;
  }

  // An OffsetFetch group with topics null asks for every partition it has
  // committed: those (on `broker_id`'s coordinator, as the handler will
  // read them) are the partitions it names, for matching a scope.
  void AddCommittedPartitions(int32_t broker_id, const RequestHeader& header, absl::Span<const uint8_t> body,
                              std::vector<std::pair<std::string, int32_t>>* partitions) {
    kafka::OffsetFetchRequest request;
    if (!kafka::DecodeBody(body, header.request_api_version, &request).ok()) return;
    std::vector<std::string> groups;
    if (header.request_api_version < 8) {
      if (!request.topics.has_value()) groups.push_back(request.group_id);
    } else {
      for (const auto& g : request.groups) {
        if (!g.topics.has_value()) groups.push_back(g.group_id);
      }
    }
    if (groups.empty()) return;
    Broker* broker = cluster_->broker(broker_id);
    if (broker == nullptr) return;
    absl::StatusOr<group::GroupCoordinator*> coordinator = broker->impl()->Groups();
    if (!coordinator.ok()) return;
    for (const std::string& group : groups) {
      group::OffsetFetchRequest all;
      all.group_id = group;
      for (const auto& t : (*coordinator)->OffsetFetch(all).topics) {
        for (const auto& p : t.partitions) partitions->emplace_back(t.name, p.partition_index);
      }
    }
  }

  void AdjustApiVersions(int32_t, std::vector<kafka::ApiVersionsResponse::ApiVersion>* apis) override {
    MutexLock lock(&mu_);
    if (caps_.empty()) return;
    std::vector<kafka::ApiVersionsResponse::ApiVersion> out;
    for (auto& api : *apis) {
      auto it = caps_.find(api.api_key);
      if (it != caps_.end() && api.api_key != static_cast<int16_t>(ApiKey::kApiVersions)) {
        if (it->second < api.min_version) continue;  // disabled (or capped below what is served)
        api.max_version = std::min(api.max_version, it->second);
      }
      out.push_back(api);
    }
    *apis = std::move(out);
  }

  FakeKafkaOptions options_;
  std::unique_ptr<Env> env_;
  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<Producer> producer_;

 private:
  struct BrokerSlot {
    int32_t port = 0;  // 0 until first bound
    std::unique_ptr<kafka::ClusterServerContext> context;
    std::unique_ptr<kafka::Server> server;
  };
  struct Pending {
    InjectedError error;
    RequestScope scope;
  };
  struct InterceptEntry {
    int handle;
    int16_t api_key;
    std::shared_ptr<Interceptor> callback;
  };

  // REQUIRES: admin_mu_ held.
  absl::Status StartServer(int32_t id, BrokerSlot& slot) {
    std::shared_ptr<Broker> broker = cluster_->impl()->GetBroker(id);
    if (broker == nullptr) return absl::FailedPreconditionError(fmt::format("broker {} is not running", id));
    slot.context = std::make_unique<kafka::ClusterServerContext>(cluster_->impl(), broker, endpoints_, cluster_id_);
    kafka::ServerOptions server_options;
    server_options.cluster_id = cluster_id_;
    server_options.context = slot.context.get();
    server_options.listeners = fmt::format("PLAINTEXT://127.0.0.1:{}", slot.port);
    server_options.interceptor = this;
    absl::StatusOr<std::unique_ptr<kafka::Server>> server = kafka::Server::Start(broker->impl(), server_options);
    if (!server.ok()) {
      slot.context.reset();
      return absl::Status(server.status().code(),
                          fmt::format("broker {}: {}", id, std::string(server.status().message())));
    }
    slot.server = *std::move(server);
    slot.port = slot.server->listeners().front().port;
    endpoints_->Set(id, slot.server->listeners());
    return absl::OkStatus();
  }

  // REQUIRES: admin_mu_ held.
  void StopServer(BrokerSlot& slot) {
    if (slot.server == nullptr) return;
    for (const auto& [id, s] : brokers_) {
      if (&s == &slot) endpoints_->Remove(id);
    }
    slot.server->Stop();
    slot.server.reset();
    slot.context.reset();
  }

  std::string cluster_id_;
  const std::shared_ptr<kafka::ClusterEndpoints> endpoints_ = std::make_shared<kafka::ClusterEndpoints>();

  // Brokers and their servers; held across a broker's stop/start.
  mutable Mutex admin_mu_;
  std::map<int32_t, BrokerSlot> brokers_ ABSL_GUARDED_BY(admin_mu_);

  // Fault state; never held while calling out (callbacks, servers).
  mutable Mutex mu_;
  std::map<int16_t, std::deque<Pending>> pending_ ABSL_GUARDED_BY(mu_);
  std::vector<InterceptEntry> intercepts_ ABSL_GUARDED_BY(mu_);
  int last_handle_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<ObservedRequest> recorded_ ABSL_GUARDED_BY(mu_);
  std::map<int16_t, int16_t> caps_ ABSL_GUARDED_BY(mu_);  // api key -> max version; -1: disabled
  std::map<int32_t, absl::Duration> round_trip_delays_ ABSL_GUARDED_BY(mu_);
};

// --- FakeKafka ----------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<FakeKafka>> FakeKafka::Start(FakeKafkaOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  SAMSA_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<FakeKafka>(new FakeKafka(std::move(impl)));
}

FakeKafka::FakeKafka(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FakeKafka::~FakeKafka() = default;

std::string FakeKafka::BootstrapServers() const { return impl_->BootstrapServers(); }
int32_t FakeKafka::Port(int32_t broker_id) const { return impl_->Port(broker_id); }
int32_t FakeKafka::num_brokers() const { return static_cast<int32_t>(impl_->cluster_->broker_ids().size()); }
Cluster* FakeKafka::cluster() const { return impl_->cluster_.get(); }

absl::Status FakeKafka::CreateTopic(std::string_view name, int32_t partitions) {
  NewTopic topic;
  topic.name = std::string(name);
  topic.num_partitions = partitions;
  topic.replication_factor = 1;
  SAMSA_RETURN_IF_ERROR(impl_->cluster_->CreateTopic(topic));
  impl_->cluster_->AwaitSettled();
  return absl::OkStatus();
}

absl::StatusOr<int64_t> FakeKafka::Produce(std::string_view topic, int32_t partition, std::optional<std::string> key,
                                           std::optional<std::string> value) {
  ProducerRecord record;
  record.topic = std::string(topic);
  record.partition = partition;
  record.key = std::move(key);
  record.value = std::move(value);
  SAMSA_ASSIGN_OR_RETURN(RecordMetadata metadata, impl_->producer_->Send(std::move(record)).Get(absl::Seconds(30)));
  return metadata.offset;
}

absl::StatusOr<std::vector<FakeRecord>> FakeKafka::ReadAll(std::string_view topic, int32_t partition) {
  SAMSA_ASSIGN_OR_RETURN(TopicDescription description, impl_->cluster_->DescribeTopic(topic));
  if (partition < 0 || partition >= static_cast<int32_t>(description.partitions.size())) {
    return KafkaError(ErrorCode::kUnknownTopicOrPartition, fmt::format("{}-{}", topic, partition));
  }
  const int64_t end = description.partitions[partition].high_watermark;
  ConsumerConfig config;
  config.client_id = "fake-kafka";
  config.enable_auto_commit = false;
  SAMSA_ASSIGN_OR_RETURN(std::unique_ptr<Consumer> consumer, Consumer::Create(impl_->cluster_.get(), config));
  const TopicPartition tp{std::string(topic), partition};
  SAMSA_RETURN_IF_ERROR(consumer->Assign({tp}));
  SAMSA_RETURN_IF_ERROR(consumer->SeekToBeginning({tp}));
  std::vector<FakeRecord> out;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (true) {
    SAMSA_ASSIGN_OR_RETURN(int64_t position, consumer->Position(tp));
    if (position >= end) break;
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(fmt::format("{}-{}: read up to {} of {}", topic, partition, position, end));
    }
    SAMSA_ASSIGN_OR_RETURN(std::vector<ConsumerRecord> records, consumer->Poll(absl::Milliseconds(100)));
    for (const ConsumerRecord& r : records) {
      if (r.offset >= end) continue;
      FakeRecord f;
      f.offset = r.offset;
      f.timestamp = r.timestamp;
      if (r.key.has_value()) f.key = std::string(r.key->view());
      if (r.value.has_value()) f.value = std::string(r.value->view());
      out.push_back(std::move(f));
    }
  }
  return out;
}

absl::StatusOr<std::optional<int64_t>> FakeKafka::CommittedOffset(std::string_view group, std::string_view topic,
                                                                  int32_t partition) {
  ConsumerConfig config;
  config.client_id = "fake-kafka";
  config.group_id = std::string(group);
  config.enable_auto_commit = false;
  SAMSA_ASSIGN_OR_RETURN(std::unique_ptr<Consumer> consumer, Consumer::Create(impl_->cluster_.get(), config));
  const TopicPartition tp{std::string(topic), partition};
  SAMSA_ASSIGN_OR_RETURN(auto committed, consumer->Committed({tp}));
  for (const auto& [p, offset] : committed) {
    if (p == tp && offset.has_value()) return std::optional<int64_t>(offset->offset);
  }
  return std::optional<int64_t>();
}

bool FakeKafka::WaitFor(const std::function<bool()>& predicate, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (predicate()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
}

absl::Status FakeKafka::WaitForCommittedOffset(std::string_view group, std::string_view topic, int32_t partition,
                                               int64_t offset, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::optional<int64_t> last;
  while (true) {
    absl::StatusOr<std::optional<int64_t>> committed = CommittedOffset(group, topic, partition);
    if (committed.ok()) {
      last = *committed;
      if (last.has_value() && *last >= offset) return absl::OkStatus();
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(fmt::format("group {} on {}-{}: committed {} after {}, waiting for {}", group,
                                                     topic, partition, last.has_value() ? std::to_string(*last) : "none",
                                                     absl::FormatDuration(timeout), offset));
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
}

absl::Status FakeKafka::PushRequestErrors(int16_t api_key, std::vector<InjectedError> errors, RequestScope scope) {
  return impl_->PushRequestErrors(api_key, std::move(errors), std::move(scope));
}

absl::Status FakeKafka::PushRequestErrors(int16_t api_key, const std::vector<int16_t>& error_codes,
                                          RequestScope scope) {
  std::vector<InjectedError> errors;
  for (int16_t code : error_codes) errors.push_back({code, absl::ZeroDuration()});
  return impl_->PushRequestErrors(api_key, std::move(errors), std::move(scope));
}

int FakeKafka::PendingRequestErrors() const { return impl_->PendingRequestErrors(); }
void FakeKafka::ClearRequestErrors() { impl_->ClearRequestErrors(); }
int FakeKafka::Intercept(int16_t api_key, Interceptor callback) {
  return impl_->Intercept(api_key, std::move(callback));
}
void FakeKafka::RemoveIntercept(int handle) { impl_->RemoveIntercept(handle); }
std::vector<ObservedRequest> FakeKafka::RecordedRequests() const { return impl_->RecordedRequests(); }
void FakeKafka::ClearRecorded() { impl_->ClearRecorded(); }
void FakeKafka::CapApiVersions(int16_t api_key, int16_t max_version) { impl_->CapApiVersions(api_key, max_version); }
void FakeKafka::DisableApi(int16_t api_key) { impl_->CapApiVersions(api_key, -1); }
void FakeKafka::ClearApiCaps() { impl_->ClearApiCaps(); }
absl::Status FakeKafka::BrokerDown(int32_t broker_id) { return impl_->BrokerDown(broker_id); }
absl::Status FakeKafka::BrokerUp(int32_t broker_id) { return impl_->BrokerUp(broker_id); }
void FakeKafka::SetRoundTripDelay(int32_t broker_id, absl::Duration delay) {
  impl_->SetRoundTripDelay(broker_id, delay);
}
absl::Status FakeKafka::MovePartitionLeader(std::string_view topic, int32_t partition, int32_t broker_id) {
  return impl_->MovePartitionLeader(topic, partition, broker_id);
}
absl::Status FakeKafka::SetGroupCoordinator(std::string_view group, int32_t broker_id) {
  return impl_->SetGroupCoordinator(group, broker_id);
}

}  // namespace samsa::testing
