// Kafka wire-protocol servers for the brokers of a Cluster: each running
// broker gets its own kafka::Server whose ServerContext (a
// ClusterServerContext) reports every broker with a running server in
// Metadata, the cluster's controller, and one cluster id — so a Kafka
// client bootstrapped at any of them finds the partition leaders.
//
// Thread-safety: ClusterEndpoints and ClusterServerContext are thread-safe;
// ClusterServers is thread-safe (Stop may race with nothing else it owns).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "broker/cluster_impl.h"
#include "kafka/server/fetch_session_cache.h"
#include "kafka/server/handler.h"
#include "kafka/server/kafka_server.h"
#include "util/mutex.h"

namespace samsa::kafka {

// The advertised endpoints of every broker's server, per listener.
class ClusterEndpoints {
 public:
  void Set(int32_t broker_id, const std::vector<KafkaListener>& listeners);
  void Remove(int32_t broker_id);
  // Broker `broker_id`'s endpoint on `listener_name` (or on its first
  // listener when it has no listener of that name); nullopt without a server.
  std::optional<BrokerEndpoint> Find(int32_t broker_id, std::string_view listener_name) const;

 private:
  mutable Mutex mu_;
  // broker id -> its listeners in order
  std::map<int32_t, std::vector<std::pair<std::string, BrokerEndpoint>>> endpoints_ ABSL_GUARDED_BY(mu_);
};

class ClusterServerContext : public ServerContext {
 public:
  // "*cluster" must outlive the context; `broker` is held.
  ClusterServerContext(Cluster::Impl* cluster, std::shared_ptr<Broker> broker,
                       std::shared_ptr<ClusterEndpoints> endpoints, std::string cluster_id);

  Broker::Impl* broker() override { return broker_->impl(); }
  Clock* clock() override { return broker_->impl()->clock(); }
  std::string cluster_id() override { return cluster_id_; }
  int32_t controller_id() override { return cluster_->controller_id(); }
  // The running brokers that have a server, ascending id.
  std::vector<BrokerEndpoint> LiveBrokers(std::string_view listener_name) override;
  FetchSessionCache* fetch_sessions() override { return &fetch_sessions_; }

 private:
  Cluster::Impl* const cluster_;
  const std::shared_ptr<Broker> broker_;
  const std::shared_ptr<ClusterEndpoints> endpoints_;
  const std::string cluster_id_;
  FetchSessionCache fetch_sessions_;  // this broker's
};

class ClusterServers {
 public:
  // A server for every running broker of `cluster`, on the listeners of its
  // config; a non-zero port p becomes p + broker id (port 0: a free port
  // each). "*cluster" must outlive the servers; stop them before stopping or
  // killing a broker. `options.context` is ignored (each gets its own).
  static absl::StatusOr<std::unique_ptr<ClusterServers>> Start(Cluster* cluster, ServerOptions options = {});
  ~ClusterServers();

  // Broker id -> its server.
  const std::map<int32_t, std::unique_ptr<Server>>& servers() const { return servers_; }
  // "host:port,host:port,..." of every server's first listener.
  std::string BootstrapServers() const;
  void Stop();

 private:
  ClusterServers() = default;
  std::shared_ptr<ClusterEndpoints> endpoints_ = std::make_shared<ClusterEndpoints>();
  std::vector<std::unique_ptr<ClusterServerContext>> contexts_;
  std::map<int32_t, std::unique_ptr<Server>> servers_;  // destroyed before the contexts
};

}  // namespace samsa::kafka
