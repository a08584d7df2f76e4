#include "coordination/kafka_zk_paths.h"

#include <fmt/format.h>

namespace samsa::kafka_zk {

std::string BrokerIdPath(int32_t broker_id) { return fmt::format("{}/{}", kBrokerIdsPath, broker_id); }

std::string TopicPath(std::string_view topic) { return fmt::format("{}/{}", kTopicsPath, topic); }

std::string TopicPartitionsPath(std::string_view topic) {
  return fmt::format("{}/partitions", TopicPath(topic));
}

std::string TopicPartitionPath(std::string_view topic, int32_t partition) {
  return fmt::format("{}/{}", TopicPartitionsPath(topic), partition);
}

std::string TopicPartitionStatePath(std::string_view topic, int32_t partition) {
  return fmt::format("{}/state", TopicPartitionPath(topic, partition));
}

std::string DeleteTopicPath(std::string_view topic) {
  return fmt::format("{}/{}", kDeleteTopicsPath, topic);
}

std::string ConfigEntityPath(std::string_view entity_type, std::string_view entity) {
  return fmt::format("{}/{}/{}", kConfigPath, entity_type, entity);
}

std::string ConfigTopicPath(std::string_view topic) { return ConfigEntityPath("topics", topic); }

std::string ConfigChangeSequencePrefix() {
  return fmt::format("{}/{}", kConfigChangesPath, kConfigChangePrefix);
}

absl::StatusOr<std::string> CreateRecursive(Coordinator& coordinator, SessionId session,
                                            std::string_view path, std::string_view data,
                                            CreateMode mode) {
  if (auto s = ValidatePath(path, mode == CreateMode::kPersistentSequential ||
                                      mode == CreateMode::kEphemeralSequential);
      !s.ok()) {
    return s;
  }
  // Ancestors, shallowest first; one that exists already (perhaps created
  // concurrently) is fine.
  for (size_t slash = path.find('/', 1); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    const std::string_view ancestor = path.substr(0, slash);
    if (ancestor.size() + 1 == path.size()) break;  // a sequential prefix ending with '/'
    auto created = coordinator.Create(kNoSession, ancestor, "", CreateMode::kPersistent);
    if (!created.ok() && !IsNodeExists(created.status())) return created.status();
  }
  return coordinator.Create(session, path, data, mode);
}

absl::Status EnsureKafkaPaths(Coordinator& coordinator) {
  const std::string_view paths[] = {
      kConsumersPath,           kBrokerIdsPath,
      kTopicsPath,              kConfigChangesPath,
      kDeleteTopicsPath,        kBrokerSequenceIdPath,
      kIsrChangeNotificationPath, kLatestProducerIdBlockPath,
      kLogDirEventNotificationPath,
      // ConfigType.all: topics, clients, users, brokers, ips.
      "/config/topics",         "/config/clients",
      "/config/users",          "/config/brokers",
      "/config/ips",
  };
  for (std::string_view path : paths) {
    auto created = CreateRecursive(coordinator, kNoSession, path);
    if (!created.ok() && !IsNodeExists(created.status())) return created.status();
  }
  return absl::OkStatus();
}

}  // namespace samsa::kafka_zk
