// ServerContext for one broker on its own (not part of a Cluster): it is
// the only live broker and its own controller; its endpoint is what the
// server bound (or advertised) per listener.
//
// Thread-safety: thread-safe; SetEndpoint may run while requests are served.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/server/fetch_session_cache.h"
#include "kafka/server/handler.h"
#include "util/mutex.h"

namespace samsa::kafka {

class SingleBrokerContext : public ServerContext {
 public:
  // "*broker" must outlive the context.
  SingleBrokerContext(Broker::Impl* broker, std::string cluster_id);

  // The advertised host:port of `listener_name` (KafkaServer sets it once bound).
  void SetEndpoint(std::string_view listener_name, std::string host, int32_t port);

  Broker::Impl* broker() override { return broker_; }
  Clock* clock() override { return broker_->clock(); }
  std::string cluster_id() override { return cluster_id_; }
  int32_t controller_id() override { return broker_->broker_id(); }
  // This broker, with the endpoint of `listener_name` (or of the first
  // listener when that name is unknown).
  std::vector<BrokerEndpoint> LiveBrokers(std::string_view listener_name) override;
  FetchSessionCache* fetch_sessions() override { return &fetch_sessions_; }

 private:
  Broker::Impl* const broker_;
  const std::string cluster_id_;
  FetchSessionCache fetch_sessions_;  // max.incremental.fetch.session.cache.slots
  Mutex mu_;
  std::map<std::string, BrokerEndpoint, std::less<>> endpoints_ ABSL_GUARDED_BY(mu_);
};

}  // namespace samsa::kafka
