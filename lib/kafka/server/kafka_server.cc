#include "kafka/server/kafka_server.h"

#include <pthread.h>

#include <algorithm>
#include <cctype>
#include <future>
#include <map>
#include <utility>

#include <asio.hpp>
#include <fmt/format.h>

#include "absl/strings/numbers.h"
#include "broker/topic_registry.h"
#include "kafka/server/connection.h"
#include "samsa/broker.h"
#include "samsa/errors.h"
#include "util/logging.h"

namespace samsa::kafka {
namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> SplitList(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == ',') {
      std::string item = Trim(s.substr(start, i - start));
      if (!item.empty()) out.push_back(std::move(item));
      start = i + 1;
    }
  }
  return out;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// listener.name.<listener>.<suffix>, the listener name lower-cased as Kafka
// spells these keys (the key's case is ignored).
const std::string* ListenerOverride(const BrokerConfig& config, const std::string& listener,
                                    std::string_view suffix) {
  const std::string want = Lower(fmt::format("listener.name.{}.{}", listener, suffix));
  for (const auto& [key, value] : config.listener_overrides) {
    if (Lower(key) == want) return &value;
  }
  return nullptr;
}

bool IsWildcard(const std::string& host) { return host.empty() || host == "0.0.0.0" || host == "::"; }

}  // namespace

absl::StatusOr<std::vector<ListenerAddress>> ParseListeners(std::string_view value, std::string_view key) {
  std::vector<ListenerAddress> out;
  for (const std::string& item : SplitList(value)) {
    auto bad = [&](std::string_view why) {
      return KafkaError(ErrorCode::kInvalidConfig,
                        fmt::format("Invalid value {} for configuration {}: {}", value, key, why));
    };
    const size_t sep = item.find("://");
    if (sep == std::string::npos || sep == 0) {
      return bad(fmt::format("unable to parse {} to a broker endpoint (expected NAME://host:port)", item));
    }
    ListenerAddress a;
    a.name = Upper(item.substr(0, sep));
    std::string_view rest = std::string_view(item).substr(sep + 3);
    if (!rest.empty() && rest.front() == '[') {
      const size_t close = rest.find(']');
      if (close == std::string_view::npos) return bad(fmt::format("unterminated IPv6 address in {}", item));
      a.host = std::string(rest.substr(1, close - 1));
      rest.remove_prefix(close + 1);
      if (rest.empty() || rest.front() != ':') return bad(fmt::format("no port in {}", item));
      rest.remove_prefix(1);
    } else {
      const size_t colon = rest.rfind(':');
      if (colon == std::string_view::npos) return bad(fmt::format("no port in {}", item));
      a.host = std::string(rest.substr(0, colon));
      rest.remove_prefix(colon + 1);
    }
    int port = -1;
    if (!absl::SimpleAtoi(std::string(rest), &port) || port < 0 || port > 65535) {
      return bad(fmt::format("bad port in {}", item));
    }
    a.port = port;
    for (const ListenerAddress& other : out) {
      if (other.name == a.name) return bad("each listener must have a different name");
    }
    out.push_back(std::move(a));
  }
  if (out.empty()) {
    return KafkaError(ErrorCode::kInvalidConfig, fmt::format("Invalid value {} for configuration {}: no listener", value, key));
  }
  return out;
}

absl::StatusOr<std::vector<ListenerSecurity>> ListenerSecurities(const BrokerConfig& config,
                                                                 const std::vector<ListenerAddress>& listeners) {
  std::map<std::string, std::string> protocols;
  if (config.listener_security_protocol_map.empty()) {
    for (const char* p : {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}) protocols[p] = p;
  } else {
    for (const std::string& item : SplitList(config.listener_security_protocol_map)) {
      const size_t colon = item.find(':');
      if (colon == std::string::npos) {
        return KafkaError(ErrorCode::kInvalidConfig,
                          fmt::format("Invalid value {} for configuration listener.security.protocol.map: {} is "
                                      "not NAME:PROTOCOL",
                                      config.listener_security_protocol_map, item));
      }
      protocols[Upper(Trim(item.substr(0, colon)))] = Upper(Trim(item.substr(colon + 1)));
    }
  }
  std::vector<ListenerSecurity> out;
  for (const ListenerAddress& a : listeners) {
    auto it = protocols.find(a.name);
    if (it == protocols.end()) {
      return KafkaError(ErrorCode::kInvalidConfig,
                        fmt::format("No security protocol defined for listener {} (listener.security.protocol.map)",
                                    a.name));
    }
    ListenerSecurity s;
    s.name = a.name;
    s.protocol = it->second;
    if (s.protocol != "PLAINTEXT" && s.protocol != "SASL_PLAINTEXT") {
      return KafkaError(ErrorCode::kInvalidConfig,
                        fmt::format("listener {} uses {}: samsa serves PLAINTEXT and SASL_PLAINTEXT listeners",
                                    a.name, s.protocol));
    }
    if (s.sasl()) {
      const std::string* listener_mechanisms = ListenerOverride(config, a.name, "sasl.enabled.mechanisms");
      const std::vector<std::string> enabled =
          SplitList(listener_mechanisms != nullptr ? *listener_mechanisms : config.sasl_enabled_mechanisms);
      if (std::find(enabled.begin(), enabled.end(), "PLAIN") == enabled.end()) {
        return KafkaError(ErrorCode::kInvalidConfig,
                          fmt::format("listener {} is SASL_PLAINTEXT but sasl.enabled.mechanisms ({}) does not "
                                      "include PLAIN, the mechanism samsa serves",
                                      a.name, fmt::join(enabled, ",")));
      }
      if (enabled.size() > 1) {
        SAMSA_LOG(kWarning, "listener {}: only PLAIN of sasl.enabled.mechanisms {} is served", a.name,
                  fmt::join(enabled, ","));
      }
      s.mechanisms = {"PLAIN"};
      const std::string* jaas = ListenerOverride(config, a.name, "plain.sasl.jaas.config");
      if (jaas == nullptr) {
        return KafkaError(ErrorCode::kInvalidConfig,
                          fmt::format("listener {}: no JAAS configuration for PLAIN (listener.name.{}.plain.sasl."
                                      "jaas.config)",
                                      a.name, Lower(a.name)));
      }
      SAMSA_ASSIGN_OR_RETURN(s.users, ParsePlainJaasConfig(*jaas));
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<ApiVersionsResponse::ApiVersion> AdvertisedApis(const std::vector<ApiHandler>& handlers) {
  std::map<int16_t, ApiVersionsResponse::ApiVersion> apis;
  auto add = [&](ApiKey key, int16_t min, int16_t max) {
    ApiVersionsResponse::ApiVersion v;
    v.api_key = static_cast<int16_t>(key);
    v.min_version = min;
    v.max_version = max;
    apis[v.api_key] = v;
  };
  for (const ApiHandler& h : handlers) add(h.key, h.min_version, h.max_version);
  add(ApiKey::kApiVersions, kApiVersionsMinVersion, kApiVersionsMaxVersion);
  add(ApiKey::kSaslHandshake, 0, kSaslHandshakeMaxVersion);
  add(ApiKey::kSaslAuthenticate, 0, kSaslAuthenticateMaxVersion);
  std::vector<ApiVersionsResponse::ApiVersion> out;
  for (auto& [key, v] : apis) out.push_back(v);
  return out;
}

struct Server::Acceptor {
  Acceptor(asio::io_context& io, ListenerSecurity s) : acceptor(io), security(std::move(s)) {}
  asio::ip::tcp::acceptor acceptor;
  ListenerSecurity security;
};

struct Server::Runtime {
  explicit Runtime(asio::io_context& io) : work(io.get_executor()), strand(asio::make_strand(io)) {}
  asio::executor_work_guard<asio::io_context::executor_type> work;
  asio::strand<asio::io_context::executor_type> strand;  // the acceptors'
  std::vector<std::unique_ptr<Acceptor>> acceptors;
};

Server::Server(Broker::Impl* broker, ServerOptions options)
    : options_(std::move(options)),
      pool_(std::max(1, broker->config().num_io_threads), options_.max_io_threads),
      io_(std::make_shared<asio::io_context>()),
      runtime_(std::make_unique<Runtime>(*io_)) {
  handlers_ = options_.handlers != nullptr ? options_.handlers : &AllHandlers();
  max_request_bytes_ = broker->config().socket_request_max_bytes;
  max_idle_ms_ = broker->config().connections_max_idle_ms;
  if (options_.context != nullptr) {
    context_ = options_.context;
  } else {
    own_context_ = std::make_unique<SingleBrokerContext>(
        broker, options_.cluster_id.empty() ? NewTopicId() : options_.cluster_id);
    context_ = own_context_.get();
  }
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(Broker::Impl* broker, ServerOptions options) {
  const BrokerConfig& config = broker->config();
  SAMSA_ASSIGN_OR_RETURN(
      std::vector<ListenerAddress> addresses,
      ParseListeners(options.listeners.empty() ? config.listeners : options.listeners, "listeners"));
  std::vector<ListenerAddress> advertised;
  if (!config.advertised_listeners.empty()) {
    SAMSA_ASSIGN_OR_RETURN(advertised, ParseListeners(config.advertised_listeners, "advertised.listeners"));
  }
  SAMSA_ASSIGN_OR_RETURN(std::vector<ListenerSecurity> securities, ListenerSecurities(config, addresses));
  std::unique_ptr<Server> server(new Server(broker, std::move(options)));
  SAMSA_RETURN_IF_ERROR(server->Bind(addresses, advertised, std::move(securities)));
  for (auto& a : server->runtime_->acceptors) server->Accept(a.get());
  const int threads = std::max(1, config.num_network_threads);
  for (int i = 0; i < threads; ++i) {
    server->network_threads_.emplace_back([io = server->io_] {
      ::pthread_setname_np(::pthread_self(), "samsa-network");  // Kafka's network threads
      io->run();
    });
  }
  for (const KafkaListener& l : server->listeners_) {
    SAMSA_LOG(kInfo, "listening on {}://{}:{} (advertised as {}:{})", l.name, l.host.empty() ? "0.0.0.0" : l.host,
              l.port, l.advertised_host, l.advertised_port);
  }
  return server;
}

absl::Status Server::Bind(const std::vector<ListenerAddress>& addresses,
                          const std::vector<ListenerAddress>& advertised, std::vector<ListenerSecurity> securities) {
  for (size_t i = 0; i < addresses.size(); ++i) {
    const ListenerAddress& a = addresses[i];
    auto failed = [&](const asio::error_code& ec) {
      return KafkaError(ErrorCode::kUnknownServerError,
                        fmt::format("Socket server failed to bind to {}:{}: {}", a.host,
                                    a.port == 0 ? 0 : a.port + options_.port_offset, ec.message()));
    };
    asio::error_code ec;
    asio::ip::address address;
    if (IsWildcard(a.host)) {
      address = a.host == "::" ? asio::ip::address(asio::ip::address_v6::any())
                               : asio::ip::address(asio::ip::address_v4::any());
    } else {
      address = asio::ip::make_address(a.host, ec);
      if (ec) {
        asio::ip::tcp::resolver resolver(*io_);
        auto results = resolver.resolve(a.host, std::to_string(a.port), ec);
        if (ec || results.empty()) return failed(ec ? ec : asio::error::host_not_found);
        address = results.begin()->endpoint().address();
        for (const auto& r : results) {
          if (r.endpoint().address().is_v4()) {
            address = r.endpoint().address();
            break;
          }
        }
      }
    }
    const int32_t port = a.port == 0 ? 0 : a.port + options_.port_offset;
    const asio::ip::tcp::endpoint endpoint(address, static_cast<uint16_t>(port));
    auto acceptor = std::make_unique<Acceptor>(*io_, std::move(securities[i]));
    acceptor->acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->acceptor.bind(endpoint, ec);
    if (!ec) acceptor->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return failed(ec);
    KafkaListener l;
    l.name = a.name;
    l.security_protocol = acceptor->security.protocol;
    l.host = a.host;
    l.port = acceptor->acceptor.local_endpoint().port();
    l.advertised_host = IsWildcard(a.host) ? "127.0.0.1" : a.host;
    l.advertised_port = l.port;
    for (const ListenerAddress& adv : advertised) {
      if (adv.name != a.name) continue;
      if (!IsWildcard(adv.host)) l.advertised_host = adv.host;
      if (adv.port != 0) l.advertised_port = adv.port + options_.port_offset;
    }
    if (own_context_ != nullptr) own_context_->SetEndpoint(l.name, l.advertised_host, l.advertised_port);
    listeners_.push_back(std::move(l));
    runtime_->acceptors.push_back(std::move(acceptor));
  }
  return absl::OkStatus();
}

void Server::Accept(Acceptor* acceptor) {
  acceptor->acceptor.async_accept(
      *io_, asio::bind_executor(runtime_->strand, [this, acceptor](const asio::error_code& ec,
                                                                   asio::ip::tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        MutexLock lock(&mu_);
        if (stopped_) return;
        if (!ec) {
          // Kafka's SocketServer sets TCP_NODELAY on every accepted socket:
          // without it small responses wait for the peer's delayed ACK
          // (wire_bench consume rows: 1 KiB 133-319k -> 675-714k rec/s).
          asio::error_code ignored;
          socket.set_option(asio::ip::tcp::no_delay(true), ignored);
          auto connection = std::make_shared<Connection>(io_, std::move(socket), &acceptor->security, this);
          connections_[connection.get()] = connection;
          connection->Start();
        } else {
          SAMSA_LOG(kWarning, "accepting a connection on {} failed: {}", acceptor->security.name, ec.message());
        }
        Accept(acceptor);
      }));
}

void Server::Forget(Connection* connection) {
  std::shared_ptr<Connection> last;  // released outside the lock
  MutexLock lock(&mu_);
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  last = std::move(it->second);
  connections_.erase(it);
}

int Server::open_connections() const {
  MutexLock lock(&mu_);
  return static_cast<int>(connections_.size());
}

std::string Server::BootstrapServers(std::string_view listener_name) const {
  for (const KafkaListener& l : listeners_) {
    if (listener_name.empty() || l.name == listener_name) {
      const bool v6 = l.advertised_host.find(':') != std::string::npos;
      return v6 ? fmt::format("[{}]:{}", l.advertised_host, l.advertised_port)
                : fmt::format("{}:{}", l.advertised_host, l.advertised_port);
    }
  }
  return "";
}

void Server::Stop() {
  {
    MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  // The acceptors live on their strand; close them there (or here when no
  // network thread ever ran).
  auto close_acceptors = [this] {
    for (auto& a : runtime_->acceptors) {
      asio::error_code ec;
      a->acceptor.close(ec);
    }
  };
  if (network_threads_.empty()) {
    close_acceptors();
  } else {
    std::promise<void> closed;
    asio::post(runtime_->strand, [&] {
      close_acceptors();
      closed.set_value();
    });
    closed.get_future().wait();
  }
  std::map<Connection*, std::shared_ptr<Connection>> connections;
  {
    MutexLock lock(&mu_);
    connections = connections_;
  }
  for (auto& [ptr, connection] : connections) connection->Close();
  connections.clear();
  pool_.Shutdown();  // waits for the handlers running
  context_->fetch_sessions()->Clear();  // a Kafka broker's sessions end with it
  runtime_->work.reset();
  for (std::thread& t : network_threads_) t.join();  // run() returns once every socket is closed
  network_threads_.clear();
  std::map<Connection*, std::shared_ptr<Connection>> rest;
  {
    MutexLock lock(&mu_);
    rest.swap(connections_);
  }
}

Server::~Server() { Stop(); }

}  // namespace samsa::kafka

namespace samsa {

KafkaServer::KafkaServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KafkaServer::~KafkaServer() { Stop(); }

absl::StatusOr<std::unique_ptr<KafkaServer>> KafkaServer::Start(Broker* broker, KafkaServerOptions options) {
  kafka::ServerOptions internal;
  internal.cluster_id = std::move(options.cluster_id);
  SAMSA_ASSIGN_OR_RETURN(std::unique_ptr<kafka::Server> server, kafka::Server::Start(broker->impl(), internal));
  return std::unique_ptr<KafkaServer>(new KafkaServer(std::make_unique<Impl>(std::move(server))));
}

const std::vector<KafkaListener>& KafkaServer::listeners() const { return impl_->server()->listeners(); }
std::string KafkaServer::BootstrapServers() const { return impl_->server()->BootstrapServers(); }
std::string KafkaServer::BootstrapServers(std::string_view listener_name) const {
  if (listener_name.empty()) return "";
  return impl_->server()->BootstrapServers(listener_name);
}
void KafkaServer::Stop() { impl_->server()->Stop(); }

}  // namespace samsa
