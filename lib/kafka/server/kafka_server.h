// kafka::Server: the Kafka wire-protocol listener behind samsa::KafkaServer
// (include/samsa/kafka_server.h states the configuration and behaviour).
//
// Inside:
// - num.network.threads threads run one asio::io_context: the acceptors
//   (one per listener) and every Connection's socket I/O, each connection on
//   its own strand.
// - An IoPool runs the API handlers (AllHandlers(), or a table a test
//   injects); ApiVersions, SaslHandshake and SaslAuthenticate are the
//   connection's own and answered on its strand.
// - Connections are shared: a handler's respond() keeps its connection (and
//   the io_context it was created on) alive, and after the connection closed
//   (or the server stopped) a response is dropped.
//
// Thread-safety: thread-safe.
#pragma once

#include <memory>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "kafka/server/handler.h"
#include "kafka/server/io_pool.h"
#include "kafka/server/request_interceptor.h"
#include "kafka/server/sasl_plain.h"
#include "kafka/server/server_context.h"
#include "samsa/config.h"
#include "samsa/kafka_server.h"
#include "util/mutex.h"

namespace asio {
class io_context;
}  // namespace asio

namespace samsa::kafka {

// The ApiVersions versions the server answers (v3 is the first flexible one;
// the response header stays v0).
inline constexpr int16_t kApiVersionsMinVersion = 0;
inline constexpr int16_t kApiVersionsMaxVersion = 3;
inline constexpr int16_t kSaslHandshakeMaxVersion = 1;
inline constexpr int16_t kSaslAuthenticateMaxVersion = 2;
// The io pool's thread cap.
inline constexpr int kMaxIoThreads = 64;

// One listener's name, protocol and SASL set-up.
struct ListenerSecurity {
  std::string name;
  std::string protocol;                 // PLAINTEXT | SASL_PLAINTEXT
  std::vector<std::string> mechanisms;  // enabled SASL mechanisms (SASL_PLAINTEXT)
  PlainUsers users;                     // from the PLAIN JAAS line
  bool sasl() const { return protocol == "SASL_PLAINTEXT"; }
};

// One entry of `listeners` / `advertised.listeners`.
struct ListenerAddress {
  std::string name;
  std::string host;
  int32_t port = 0;
};

// Parses "NAME://host:port,..." (IPv6 hosts in brackets). INVALID_CONFIG
// naming `key` for a malformed entry or a repeated name.
absl::StatusOr<std::vector<ListenerAddress>> ParseListeners(std::string_view value, std::string_view key);

// The security set-up of every listener of `config` (protocol map, enabled
// mechanisms, PLAIN users). INVALID_CONFIG for what cannot be served.
absl::StatusOr<std::vector<ListenerSecurity>> ListenerSecurities(const BrokerConfig& config,
                                                                 const std::vector<ListenerAddress>& listeners);

// What ApiVersions advertises: every handler's [min, max] and the
// connection's own ApiVersions, SaslHandshake and SaslAuthenticate (always,
// as Kafka does, whatever the listener), by ascending key.
std::vector<ApiVersionsResponse::ApiVersion> AdvertisedApis(const std::vector<ApiHandler>& handlers);

struct ServerOptions {
  std::string cluster_id;  // for the server's own SingleBrokerContext; "" = random
  // The cluster view to serve; nullptr: a SingleBrokerContext of the
  // server's own (given: the server only reads it; it must outlive the server,
  // and the caller sets its endpoints from listeners()).
  ServerContext* context = nullptr;
  // The handler table; nullptr: AllHandlers(). Must outlive the server.
  const std::vector<ApiHandler>* handlers = nullptr;
  int max_io_threads = kMaxIoThreads;
  // Added to every non-zero listener and advertised port (brokers of one
  // Cluster share a config: broker i listens on port + i).
  int32_t port_offset = 0;
  // Replaces the broker config's `listeners` when non-empty (same syntax);
  // advertised.listeners still applies. FakeKafka rebinds a restarted
  // broker's server on its old port with it.
  std::string listeners;
  // A test hook shown every request first (request_interceptor.h); must
  // outlive the server.
  RequestInterceptor* interceptor = nullptr;
};

class Connection;

class Server {
 public:
  // "*broker" must outlive the server; its config() gives the listeners.
  static absl::StatusOr<std::unique_ptr<Server>> Start(Broker::Impl* broker, ServerOptions options = {});
  ~Server();

  const std::vector<KafkaListener>& listeners() const { return listeners_; }
  std::string BootstrapServers(std::string_view listener_name = {}) const;
  ServerContext* context() const { return context_; }
  void Stop();

  // For tests.
  int io_threads() const { return pool_.threads(); }
  int open_connections() const;

  // --- For Connection ---------------------------------------------------------
  const std::vector<ApiHandler>& handlers() const { return *handlers_; }
  int32_t max_request_bytes() const { return max_request_bytes_; }
  // connections.max.idle.ms; negative: connections never expire.
  int64_t max_idle_ms() const { return max_idle_ms_; }
  RequestInterceptor* interceptor() const { return options_.interceptor; }
  void RunHandler(std::function<void()> job) { pool_.Submit(std::move(job)); }
  void Forget(Connection* connection);

 private:
  struct Acceptor;
  Server(Broker::Impl* broker, ServerOptions options);
  absl::Status Bind(const std::vector<ListenerAddress>& addresses, const std::vector<ListenerAddress>& advertised,
                    std::vector<ListenerSecurity> securities);
  void Accept(Acceptor* acceptor);

  ServerOptions options_;
  std::unique_ptr<SingleBrokerContext> own_context_;
  ServerContext* context_ = nullptr;
  const std::vector<ApiHandler>* handlers_ = nullptr;
  int32_t max_request_bytes_ = 0;
  int64_t max_idle_ms_ = -1;
  std::vector<KafkaListener> listeners_;

  IoPool pool_;
  // Shared with the connections: a late response may hold one past Stop.
  std::shared_ptr<asio::io_context> io_;
  struct Runtime;
  std::unique_ptr<Runtime> runtime_;  // acceptors, work guard, strand
  std::vector<std::thread> network_threads_;

  mutable Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::map<Connection*, std::shared_ptr<Connection>> connections_ ABSL_GUARDED_BY(mu_);
};

}  // namespace samsa::kafka

namespace samsa {
class KafkaServer::Impl {
 public:
  explicit Impl(std::unique_ptr<kafka::Server> server) : server_(std::move(server)) {}
  kafka::Server* server() const { return server_.get(); }

 private:
  std::unique_ptr<kafka::Server> server_;
};
}  // namespace samsa
