#include "client/broker_client.h"

#include <cstdlib>

#include "samsa/errors.h"
#include "util/status_macros.h"

namespace samsa::client {
namespace {

class LocalBrokerClient final : public BrokerClient {
 public:
  LocalBrokerClient(Broker::Impl* broker, Clock* clock) : broker_(broker), clock_(clock) {}

  Clock* clock() const override { return clock_; }
  uint64_t metadata_version() const override { return broker_->metadata_version(); }

  absl::StatusOr<TopicMetadata> Topic(std::string_view topic) override {
    TopicMetadata md;
    SAMSA_ASSIGN_OR_RETURN(md.partitions, broker_->PartitionCount(topic, /*allow_auto_create=*/true));
    absl::StatusOr<std::vector<ConfigEntry>> configs = broker_->DescribeTopicConfigs(topic);
    if (configs.ok()) {
      for (const ConfigEntry& e : *configs) {
        if (e.name == "max.message.bytes") md.max_message_bytes = std::atoi(e.value.c_str());
      }
    }
    return md;
  }

  absl::StatusOr<Broker::Impl::ProduceResult> Produce(const TopicPartition& tp,
                                                      absl::Span<char> records,
                                                      int16_t acks) override {
    return broker_->Produce(tp, records, acks, AppendOrigin::kLocalProducer);
  }

  std::vector<Broker::Impl::FetchPartitionResponse> Fetch(
      const Broker::Impl::FetchRequest& request) override {
    return broker_->Fetch(request);
  }

  absl::StatusOr<int32_t> PartitionCount(std::string_view topic) override {
    return broker_->PartitionCount(topic, /*allow_auto_create=*/false);
  }

  std::vector<std::string> ListTopics() override {
    return broker_->ListTopics(/*include_internal=*/false);
  }

  // The broker outlives its clients (Broker's contract): no ownership to share.
  absl::StatusOr<GroupCoordinatorRef> GroupCoordinator() override {
    SAMSA_ASSIGN_OR_RETURN(group::GroupCoordinator * groups, broker_->Groups());
    return GroupCoordinatorRef(std::shared_ptr<void>(), groups);
  }

  absl::StatusOr<Broker::Impl::ListOffsetResult> ListOffset(const TopicPartition& tp,
                                                            int64_t timestamp,
                                                            FetchIsolation isolation) override {
    return broker_->ListOffset(tp, timestamp, isolation);
  }

 private:
  Broker::Impl* const broker_;
  Clock* const clock_;
};

}  // namespace

std::unique_ptr<BrokerClient> NewLocalBrokerClient(Broker::Impl* broker, Clock* clock) {
  return std::make_unique<LocalBrokerClient>(broker, clock);
}

}  // namespace samsa::client
