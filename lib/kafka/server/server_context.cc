#include "kafka/server/server_context.h"

#include <utility>

namespace samsa::kafka {

SingleBrokerContext::SingleBrokerContext(Broker::Impl* broker, std::string cluster_id)
    : broker_(broker),
      cluster_id_(std::move(cluster_id)),
      fetch_sessions_(broker->clock(), broker->config().max_incremental_fetch_session_cache_slots) {}

void SingleBrokerContext::SetEndpoint(std::string_view listener_name, std::string host, int32_t port) {
  MutexLock lock(&mu_);
  BrokerEndpoint& e = endpoints_[std::string(listener_name)];
  e.node_id = broker_->broker_id();
  e.host = std::move(host);
  e.port = port;
}

std::vector<BrokerEndpoint> SingleBrokerContext::LiveBrokers(std::string_view listener_name) {
  MutexLock lock(&mu_);
  auto it = endpoints_.find(listener_name);
  if (it == endpoints_.end()) it = endpoints_.begin();
  if (it == endpoints_.end()) return {BrokerEndpoint{broker_->broker_id(), "localhost", 9092, {}}};
  return {it->second};
}

}  // namespace samsa::kafka
