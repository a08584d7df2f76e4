// Where Kafka keeps its cluster metadata in the coordinator: the ZooKeeper
// paths of kafka.zk.ZkData, byte for byte, so the tree reads as a ZooKeeper-
// mode Kafka cluster's does (zookeeper-shell's "ls /brokers/ids").
//
//   /brokers/ids/<id>                        ephemeral, BrokerIdZNode JSON (a live broker)
//   /brokers/topics/<topic>                  persistent, TopicZNode JSON (replica assignment)
//   /brokers/topics/<topic>/partitions/<p>/state
//                                            persistent, TopicPartitionStateZNode JSON
//   /brokers/seqid                           persistent (broker id generation)
//   /controller                              ephemeral, ControllerZNode JSON (the active controller)
//   /controller_epoch                        persistent, decimal text ("1"); its data version
//                                            (zkVersion) fences every controller write
//   /admin/delete_topics/<topic>             persistent, empty: deletion requested
//   /config/topics/<topic>                   persistent, ConfigEntityZNode JSON (overrides)
//   /config/changes/config_change_<seq>      persistent sequential, change notification JSON
//   /isr_change_notification, /log_dir_event_notification, /latest_producer_id_block,
//   /consumers, /config/{clients,users,brokers,ips}: created empty by EnsureKafkaPaths.
//
// The JSON stored at these paths is encoded and decoded by kafka_zk_data.h.
//
// Thread-safety: the path functions are pure; EnsureKafkaPaths and
// CreateRecursive are as thread-safe as the Coordinator they are given.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "samsa/coordinator.h"

namespace samsa::kafka_zk {

inline constexpr std::string_view kBrokersPath = "/brokers";
inline constexpr std::string_view kBrokerIdsPath = "/brokers/ids";                // BrokerIdsZNode
inline constexpr std::string_view kTopicsPath = "/brokers/topics";                // TopicsZNode
inline constexpr std::string_view kBrokerSequenceIdPath = "/brokers/seqid";       // BrokerSequenceIdZNode
inline constexpr std::string_view kControllerPath = "/controller";                // ControllerZNode
inline constexpr std::string_view kControllerEpochPath = "/controller_epoch";     // ControllerEpochZNode
inline constexpr std::string_view kAdminPath = "/admin";
inline constexpr std::string_view kDeleteTopicsPath = "/admin/delete_topics";     // DeleteTopicsZNode
inline constexpr std::string_view kConfigPath = "/config";                        // ConfigZNode
inline constexpr std::string_view kConfigTopicsPath = "/config/topics";
inline constexpr std::string_view kConfigChangesPath = "/config/changes";  // ConfigEntityChangeNotificationZNode
inline constexpr std::string_view kConfigChangePrefix = "config_change_";  // ...SequenceZNode.SequenceNumberPrefix
inline constexpr std::string_view kIsrChangeNotificationPath = "/isr_change_notification";
inline constexpr std::string_view kLogDirEventNotificationPath = "/log_dir_event_notification";
inline constexpr std::string_view kLatestProducerIdBlockPath = "/latest_producer_id_block";
inline constexpr std::string_view kConsumersPath = "/consumers";

std::string BrokerIdPath(int32_t broker_id);                    // /brokers/ids/<id>
std::string TopicPath(std::string_view topic);                  // /brokers/topics/<topic>
std::string TopicPartitionsPath(std::string_view topic);        // .../<topic>/partitions
std::string TopicPartitionPath(std::string_view topic, int32_t partition);       // .../partitions/<p>
std::string TopicPartitionStatePath(std::string_view topic, int32_t partition);  // .../<p>/state
std::string DeleteTopicPath(std::string_view topic);            // /admin/delete_topics/<topic>
// /config/<entity_type>/<entity>, e.g. ConfigEntityPath("topics", "orders").
std::string ConfigEntityPath(std::string_view entity_type, std::string_view entity);
std::string ConfigTopicPath(std::string_view topic);            // /config/topics/<topic>
// The prefix to create a change notification with kPersistentSequential.
std::string ConfigChangeSequencePrefix();                       // /config/changes/config_change_

// Creates `path` with `data` and `mode`, first creating its missing
// ancestors as empty persistent nodes (KafkaZkClient.createRecursive). The
// status is the final Create's: NodeExists if `path` already exists.
[[nodiscard]] absl::StatusOr<std::string> CreateRecursive(Coordinator& coordinator,
                                                          SessionId session,
                                                          std::string_view path,
                                                          std::string_view data = {},
                                                          CreateMode mode = CreateMode::kPersistent);

// Creates the persistent skeleton a Kafka cluster expects
// (KafkaZkClient.createTopLevelPaths: ZkData.PersistentZkPaths): /consumers,
// /brokers/ids, /brokers/topics, /config/changes, /admin/delete_topics,
// /brokers/seqid, /isr_change_notification, /latest_producer_id_block,
// /log_dir_event_notification, /config/{topics,clients,users,brokers,ips}.
// Idempotent: existing nodes are left alone. /controller and
// /controller_epoch are created by the first controller election.
[[nodiscard]] absl::Status EnsureKafkaPaths(Coordinator& coordinator);

}  // namespace samsa::kafka_zk
