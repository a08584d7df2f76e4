// samsa-server: a Kafka broker you can point any Kafka client at — Kafka's
// kafka-server-start.sh for samsa.
//
//   samsa-server [server.properties] [--override key=value]... [--port-file F]
//                [--brokers N]
//
// Loads the properties (Kafka's shipped config/server.properties loads as
// is; unknown keys are warnings), applies the overrides, opens the broker
// (samsa.storage=memory keeps everything in memory), starts the wire-protocol
// server on its listeners and logs "listening on NAME://host:port" per
// listener. --port-file F gets "host:port" of the first listener (its
// bootstrap address), written atomically once the server accepts
// connections. --brokers N runs a Cluster of N brokers (ids 0..N-1) in the
// process, each with its own server (a non-zero listener port p becomes
// p + id) and Metadata listing all of them; the port file then gets every
// broker's "host:port", comma-separated. SIGINT or SIGTERM stops the server, closes the broker
// cleanly and exits 0.
//
// Exit codes: 0 after a clean shutdown, 1 a failure (logged), 2 usage.
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <pthread.h>
#include <string>
#include <vector>

#include "kafka/server/cluster_server.h"
#include "samsa/broker.h"
#include "samsa/cluster.h"
#include "samsa/config.h"
#include "samsa/env.h"
#include "samsa/kafka_server.h"

namespace {

int Usage(std::ostream& os, int rc) {
  os << "usage: samsa-server [server.properties] [--override key=value]... [--port-file F]\n"
        "                    [--brokers N]\n"
        "  serves Kafka's wire protocol on the listeners of the properties\n"
        "  (default listeners=PLAINTEXT://:9092); SIGINT/SIGTERM shut down cleanly\n";
  return rc;
}

bool WritePortFile(const std::string& path, const std::string& bootstrap) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << bootstrap << "\n";
    if (!out.flush()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

int WaitForSignal(const sigset_t& signals) {
  int signal = 0;
  sigwait(&signals, &signal);
  std::cerr << "samsa-server: " << (signal == SIGINT ? "SIGINT" : "SIGTERM") << ", shutting down\n";
  return signal;
}

int RunCluster(const samsa::BrokerConfig& config, int brokers, const std::string& port_file,
               const sigset_t& signals) {
  samsa::ClusterOptions options;
  options.num_brokers = brokers;
  options.base = config;
  absl::StatusOr<std::unique_ptr<samsa::Cluster>> cluster = samsa::Cluster::Start(options);
  if (!cluster.ok()) {
    std::cerr << "samsa-server: " << cluster.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<std::unique_ptr<samsa::kafka::ClusterServers>> servers =
      samsa::kafka::ClusterServers::Start(cluster->get());
  if (!servers.ok()) {
    std::cerr << "samsa-server: " << servers.status().message() << "\n";
    return 1;
  }
  if (!port_file.empty() && !WritePortFile(port_file, (*servers)->BootstrapServers())) {
    std::cerr << "samsa-server: cannot write " << port_file << "\n";
    return 1;
  }
  WaitForSignal(signals);
  (*servers)->Stop();
  servers->reset();
  cluster->reset();  // stops every broker cleanly
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string properties_path;
  std::string port_file;
  std::vector<std::pair<std::string, std::string>> overrides;
  int brokers = 0;  // 0: one Broker on its own; N: a Cluster of N
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") return Usage(std::cout, 0);
    if (arg == "--override" || arg == "--port-file" || arg == "--brokers") {
      if (i + 1 >= argc) return Usage(std::cerr, 2);
      const std::string value = argv[++i];
      if (arg == "--brokers") {
        brokers = std::atoi(value.c_str());
        if (brokers < 1) {
          std::cerr << "samsa-server: --brokers needs a positive count, got '" << value << "'\n";
          return 2;
        }
        continue;
      }
      if (arg == "--port-file") {
        port_file = value;
        continue;
      }
      const size_t eq = value.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::cerr << "samsa-server: --override needs key=value, got '" << value << "'\n";
        return 2;
      }
      overrides.emplace_back(value.substr(0, eq), value.substr(eq + 1));
    } else if (!arg.empty() && arg[0] == '-') {
      std::cerr << "samsa-server: unknown option " << arg << "\n";
      return Usage(std::cerr, 2);
    } else if (properties_path.empty()) {
      properties_path = arg;
    } else {
      return Usage(std::cerr, 2);
    }
  }

  // Blocked before any thread starts, so that every thread inherits the
  // mask and sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  samsa::Properties props;
  if (!properties_path.empty()) {
    absl::StatusOr<samsa::Properties> loaded = samsa::LoadPropertiesFile(samsa::Env::Default(), properties_path);
    if (!loaded.ok()) {
      std::cerr << "samsa-server: " << loaded.status().message() << "\n";
      return 1;
    }
    props = *std::move(loaded);
  }
  for (const auto& [key, value] : overrides) props[key] = value;
  std::vector<std::string> warnings;  // FromProperties logs them too
  absl::StatusOr<samsa::BrokerConfig> config = samsa::BrokerConfig::FromProperties(props, &warnings);
  if (!config.ok()) {
    std::cerr << "samsa-server: " << config.status().message() << "\n";
    return 1;
  }
  if (brokers > 0) return RunCluster(*config, brokers, port_file, signals);
  absl::StatusOr<std::unique_ptr<samsa::Broker>> broker = samsa::Broker::Open(*config);
  if (!broker.ok()) {
    std::cerr << "samsa-server: " << broker.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<std::unique_ptr<samsa::KafkaServer>> server = samsa::KafkaServer::Start(broker->get());
  if (!server.ok()) {
    std::cerr << "samsa-server: " << server.status().message() << "\n";
    (void)(*broker)->Close();
    return 1;
  }
  if (!port_file.empty() && !WritePortFile(port_file, (*server)->BootstrapServers())) {
    std::cerr << "samsa-server: cannot write " << port_file << "\n";
    (*server)->Stop();
    (void)(*broker)->Close();
    return 1;
  }

  WaitForSignal(signals);
  (*server)->Stop();
  server->reset();
  absl::Status closed = (*broker)->Close();
  if (!closed.ok()) {
    std::cerr << "samsa-server: closing the broker: " << closed.message() << "\n";
    return 1;
  }
  return 0;
}
