// samsa/kafka_server.h — Kafka's wire protocol in front of a Broker, so that
// any Kafka client (librdkafka, the Java client, kafka-python, kcat) can talk
// to it over TCP.
//
//   auto broker = samsa::Broker::Open(config);          // config.listeners =
//   auto server = samsa::KafkaServer::Start(broker->get());  //   "PLAINTEXT://127.0.0.1:0"
//   std::string bootstrap = (*server)->BootstrapServers();   // "127.0.0.1:40127"
//   ... point a Kafka client at `bootstrap` ...
//   (*server)->Stop();                                   // before broker->Close()
//
// Configuration comes from the broker's BrokerConfig, with Kafka's names:
//   listeners                        NAME://host:port,... ; port 0 picks a free
//                                    port, an empty host (or 0.0.0.0) binds
//                                    every IPv4 interface.
//   advertised.listeners             what Metadata tells clients; "" = the
//                                    bound address. An empty/0.0.0.0 listener
//                                    host is advertised as 127.0.0.1 (Kafka
//                                    advertises the canonical host name;
//                                    samsa's server is mostly reached locally —
//                                    set advertised.listeners for remote use).
//                                    An advertised port 0 means the bound one.
//   listener.security.protocol.map   NAME:PROTOCOL; the default maps PLAINTEXT
//                                    and SASL_PLAINTEXT to themselves.
//                                    PLAINTEXT and SASL_PLAINTEXT are served;
//                                    SSL and SASL_SSL are refused at Start.
//   sasl.enabled.mechanisms          (or listener.name.<l>.sasl.enabled.mechanisms)
//                                    must include PLAIN on a SASL_PLAINTEXT
//                                    listener; PLAIN is the mechanism served.
//   listener.name.<l>.plain.sasl.jaas.config
//                                    the PlainLoginModule line whose
//                                    user_<name>="<password>" entries are the
//                                    users; principals are "User:<name>".
//   num.network.threads              socket I/O threads.
//   num.io.threads                   request handler threads to start with; the
//                                    pool grows (up to 64) when every thread is
//                                    busy, so a Fetch long-poll never holds up
//                                    another connection's requests.
//   socket.request.max.bytes         a larger request closes the connection.
//   connections.max.idle.ms          a connection that sends nothing this long
//                                    while no request of it is being served is
//                                    closed (default 600000; negative: never).
//   max.incremental.fetch.session.cache.slots
//                                    how many incremental fetch sessions
//                                    (KIP-227) the server keeps (default 1000;
//                                    0: none, every Fetch is answered in
//                                    full). When full, one unused for over two
//                                    minutes, or an older smaller one, makes
//                                    room. Sessions end when the server stops.
//
// Per connection, requests are handled one at a time in arrival order, as
// Kafka does (it mutes the channel while a request is in flight); pipelined
// requests are answered strictly in order. A malformed frame, an unknown API
// or version, or a non-SASL request before authentication closes that one
// connection with one log line.
//
// Errors from Start: INVALID_CONFIG for a listener string, protocol, or SASL
// set-up it cannot serve; UNKNOWN_SERVER_ERROR naming the address when a
// socket cannot be bound.
//
// Thread-safety: thread-safe. Stop() closes the listeners and every
// connection and waits for running handlers; the destructor stops. The
// Broker must outlive the KafkaServer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace samsa {

class Broker;

// One listener, once bound.
struct KafkaListener {
  std::string name;               // "PLAINTEXT", "SASL_PLAINTEXT", or a custom name
  std::string security_protocol;  // "PLAINTEXT" or "SASL_PLAINTEXT"
  std::string host;               // as configured ("" = every interface)
  int32_t port = 0;               // the bound port (never 0 once started)
  std::string advertised_host;    // what Metadata reports
  int32_t advertised_port = 0;
};

struct KafkaServerOptions {
  // The cluster id Metadata and DescribeCluster report; "" = a random one
  // (Kafka's 22-character base64 form).
  std::string cluster_id;
};

class KafkaServer {
 public:
  // Binds every listener of broker->config() and starts serving. "*broker"
  // must outlive the server.
  static absl::StatusOr<std::unique_ptr<KafkaServer>> Start(Broker* broker, KafkaServerOptions options = {});
  ~KafkaServer();
  KafkaServer(const KafkaServer&) = delete;
  KafkaServer& operator=(const KafkaServer&) = delete;

  // In listeners order.
  const std::vector<KafkaListener>& listeners() const;
  // "advertised_host:advertised_port" of the first listener, or of the named
  // one ("" if there is no such listener): what a client's
  // bootstrap.servers needs.
  std::string BootstrapServers() const;
  std::string BootstrapServers(std::string_view listener_name) const;

  // Closes the listeners and every connection, waits for the handlers
  // running. Idempotent.
  void Stop();

  class Impl;
  Impl* impl() const { return impl_.get(); }

 private:
  explicit KafkaServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace samsa
