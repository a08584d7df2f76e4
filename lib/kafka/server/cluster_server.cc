#include "kafka/server/cluster_server.h"

#include <fmt/format.h>

#include "broker/topic_registry.h"
#include "samsa/errors.h"

namespace samsa::kafka {

void ClusterEndpoints::Set(int32_t broker_id, const std::vector<KafkaListener>& listeners) {
  std::vector<std::pair<std::string, BrokerEndpoint>> entries;
  for (const KafkaListener& l : listeners) {
    entries.emplace_back(l.name, BrokerEndpoint{broker_id, l.advertised_host, l.advertised_port, std::nullopt});
  }
  MutexLock lock(&mu_);
  endpoints_[broker_id] = std::move(entries);
}

void ClusterEndpoints::Remove(int32_t broker_id) {
  MutexLock lock(&mu_);
  endpoints_.erase(broker_id);
}

std::optional<BrokerEndpoint> ClusterEndpoints::Find(int32_t broker_id, std::string_view listener_name) const {
  MutexLock lock(&mu_);
  auto it = endpoints_.find(broker_id);
  if (it == endpoints_.end() || it->second.empty()) return std::nullopt;
  for (const auto& [name, endpoint] : it->second) {
    if (name == listener_name) return endpoint;
  }
  return it->second.front().second;
}

ClusterServerContext::ClusterServerContext(Cluster::Impl* cluster, std::shared_ptr<Broker> broker,
                                           std::shared_ptr<ClusterEndpoints> endpoints, std::string cluster_id)
    : cluster_(cluster),
      broker_(std::move(broker)),
      endpoints_(std::move(endpoints)),
      cluster_id_(std::move(cluster_id)),
      fetch_sessions_(broker_->impl()->clock(),
                      broker_->impl()->config().max_incremental_fetch_session_cache_slots) {}

std::vector<BrokerEndpoint> ClusterServerContext::LiveBrokers(std::string_view listener_name) {
  std::vector<BrokerEndpoint> out;
  for (int32_t id : cluster_->live_broker_ids()) {
    if (std::optional<BrokerEndpoint> e = endpoints_->Find(id, listener_name)) out.push_back(*std::move(e));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<ClusterServers>> ClusterServers::Start(Cluster* cluster, ServerOptions options) {
  std::unique_ptr<ClusterServers> servers(new ClusterServers());
  const std::string cluster_id = options.cluster_id.empty() ? NewTopicId() : options.cluster_id;
  for (int32_t id : cluster->live_broker_ids()) {
    std::shared_ptr<Broker> broker = cluster->impl()->GetBroker(id);
    if (broker == nullptr) continue;  // stopped meanwhile
    servers->contexts_.push_back(
        std::make_unique<ClusterServerContext>(cluster->impl(), broker, servers->endpoints_, cluster_id));
    ServerOptions broker_options = options;
    broker_options.context = servers->contexts_.back().get();
    broker_options.port_offset = id;
    absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(broker->impl(), broker_options);
    if (!server.ok()) {
      return absl::Status(server.status().code(),
                          fmt::format("broker {}: {}", id, std::string(server.status().message())));
    }
    servers->endpoints_->Set(id, (*server)->listeners());
    servers->servers_[id] = *std::move(server);
  }
  return servers;
}

ClusterServers::~ClusterServers() { Stop(); }

void ClusterServers::Stop() {
  for (auto& [id, server] : servers_) {
    endpoints_->Remove(id);
    server->Stop();
  }
}

std::string ClusterServers::BootstrapServers() const {
  std::vector<std::string> parts;
  for (const auto& [id, server] : servers_) parts.push_back(server->BootstrapServers());
  return fmt::format("{}", fmt::join(parts, ","));
}

}  // namespace samsa::kafka
