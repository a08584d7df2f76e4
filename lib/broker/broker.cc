// Broker: the public face of Broker::Impl.
#include "samsa/broker.h"

#include "broker/broker_impl.h"
#include "util/status_macros.h"

namespace samsa {

Broker::Broker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Broker::~Broker() = default;

absl::StatusOr<std::unique_ptr<Broker>> Broker::Open(const BrokerConfig& config, BrokerOptions options) {
  SAMSA_ASSIGN_OR_RETURN(std::unique_ptr<Impl> impl, Impl::Open(config, options));
  return std::unique_ptr<Broker>(new Broker(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<Broker>> Broker::OpenFromPropertiesFile(const std::string& path,
                                                                       BrokerOptions options) {
  Env* env = options.env != nullptr ? options.env : Env::Default();
  SAMSA_ASSIGN_OR_RETURN(Properties props, LoadPropertiesFile(env, path));
  SAMSA_ASSIGN_OR_RETURN(BrokerConfig config, BrokerConfig::FromProperties(props));
  return Open(config, options);
}

int32_t Broker::id() const { return impl_->broker_id(); }
const BrokerConfig& Broker::config() const { return impl_->config(); }
const BrokerRecoveryInfo& Broker::recovery_info() const { return impl_->recovery_info(); }
absl::Status Broker::CreateTopic(const NewTopic& topic) { return impl_->CreateTopic(topic); }
absl::Status Broker::DeleteTopic(std::string_view name) { return impl_->DeleteTopic(name); }
std::vector<std::string> Broker::ListTopics(bool include_internal) const {
  return impl_->ListTopics(include_internal);
}
absl::StatusOr<TopicDescription> Broker::DescribeTopic(std::string_view name) const {
  return impl_->DescribeTopic(name);
}
absl::Status Broker::CreatePartitions(std::string_view topic, int32_t total_partitions) {
  return impl_->CreatePartitions(topic, total_partitions);
}
absl::Status Broker::AlterTopicConfigs(
    std::string_view topic, const std::map<std::string, std::optional<std::string>>& changes) {
  return impl_->AlterTopicConfigs(topic, changes);
}
absl::StatusOr<std::vector<ConfigEntry>> Broker::DescribeTopicConfigs(std::string_view topic) const {
  return impl_->DescribeTopicConfigs(topic);
}
absl::StatusOr<int32_t> Broker::RunRetention() { return impl_->RunRetention(); }
absl::Status Broker::Flush() { return impl_->Flush(); }
absl::Status Broker::Close() { return impl_->Close(); }

absl::StatusOr<std::vector<ConsumerGroupListing>> Broker::ListGroups() {
  return impl_->ListGroups();
}
absl::StatusOr<ConsumerGroupDescription> Broker::DescribeGroup(std::string_view group_id) {
  return impl_->DescribeGroup(group_id);
}
absl::Status Broker::DeleteGroup(std::string_view group_id) { return impl_->DeleteGroup(group_id); }

}  // namespace samsa
