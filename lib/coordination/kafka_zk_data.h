// The data Kafka stores at its coordinator paths (kafka_zk_paths.h), encoded
// as kafka.zk.ZkData encodes it, so a dump of our tree reads like a
// ZooKeeper-mode Kafka cluster's:
//
//   /brokers/ids/<id>  (BrokerIdZNode, version 5)
//     {"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},
//      "endpoints":["PLAINTEXT://host:9092"],"jmx_port":-1,"port":9092,"host":"host",
//      "version":5,"timestamp":"1700000000000"}            (+ "rack":"r1" when set)
//   /brokers/topics/<topic>  (TopicZNode, version 3)
//     {"partitions":{"0":[1,2]},"topic_id":"<base64 uuid>","adding_replicas":{},
//      "removing_replicas":{},"version":3}
//   /brokers/topics/<topic>/partitions/<p>/state  (TopicPartitionStateZNode)
//     {"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2]}
//   /controller  (ControllerZNode)  {"version":1,"brokerid":1,"timestamp":"1700000000000"}
//   /controller_epoch  (ControllerEpochZNode)  1           (decimal text)
//   /config/topics/<topic>  (ConfigEntityZNode)  {"version":1,"config":{"retention.ms":"1000"}}
//   /config/changes/config_change_<seq>  {"version":2,"entity_path":"topics/<topic>"}
//
// Key order: Kafka builds these objects as Scala maps and Jackson writes them
// in the maps' iteration order, which is a hash order, not insertion order.
// The encoders reproduce it (Scala 2.13's mutable.HashMap for BrokerIdZNode,
// TopicZNode and its partition maps; the immutable maps' order for the
// others; java.util.Properties' ConcurrentHashMap for topic configs), so our
// bytes match Kafka's; decoders accept any key order, as Kafka's do.
//
// Decoders return InvalidArgument naming the node kind on malformed JSON,
// missing or mistyped fields; no exception escapes.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace samsa::kafka_zk {

// One listener of a broker: "PLAINTEXT://host:9092".
struct BrokerEndpoint {
  std::string listener_name;      // "PLAINTEXT", "INTERNAL", ...
  std::string host;               // may be empty (bind-all)
  int32_t port = -1;
  std::string security_protocol;  // PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL

  // Kafka's EndPoint.connectionString: "<listener>://<host>:<port>", an IPv6
  // host in brackets.
  std::string ConnectionString() const;
  friend bool operator==(const BrokerEndpoint&, const BrokerEndpoint&) = default;
};

// Parses "<listener>://<host>:<port>" (EndPoint.createEndPoint); the security
// protocol is `security_protocol_map[listener]`, else the listener's name.
absl::StatusOr<BrokerEndpoint> ParseBrokerEndpoint(
    std::string_view connection_string,
    const std::map<std::string, std::string>& security_protocol_map = {});

struct FeatureRange {
  int16_t min_version = 0;
  int16_t max_version = 0;
  friend bool operator==(const FeatureRange&, const FeatureRange&) = default;
};

// /brokers/ids/<id>: a live broker's registration (BrokerIdZNode).
struct BrokerRegistration {
  int32_t version = 5;  // decoded: the writer's version; encoded: always 5
  std::vector<BrokerEndpoint> endpoints;
  std::optional<std::string> rack;
  int32_t jmx_port = -1;
  int64_t timestamp_ms = 0;
  std::map<std::string, FeatureRange> features;
  // "host"/"port": the first PLAINTEXT endpoint's (null/-1 without one). The
  // encoder derives them from `endpoints`; the decoder reads them.
  std::optional<std::string> host;
  int32_t port = -1;

  friend bool operator==(const BrokerRegistration&, const BrokerRegistration&) = default;
};
std::string EncodeBrokerRegistration(const BrokerRegistration& broker);
// Accepts versions 1..5 (v1: host/port only, read as one PLAINTEXT endpoint).
absl::StatusOr<BrokerRegistration> DecodeBrokerRegistration(std::string_view json);

// /brokers/topics/<topic>: the replica assignment (TopicZNode).
struct TopicAssignment {
  int32_t version = 3;  // decoded: the writer's; encoded: always 3
  std::optional<std::string> topic_id;  // base64 (URL-safe, unpadded) of a UUID
  std::map<int32_t, std::vector<int32_t>> partitions;         // partition -> replicas
  std::map<int32_t, std::vector<int32_t>> adding_replicas;    // only non-empty lists
  std::map<int32_t, std::vector<int32_t>> removing_replicas;  // only non-empty lists

  friend bool operator==(const TopicAssignment&, const TopicAssignment&) = default;
};
std::string EncodeTopicAssignment(const TopicAssignment& topic);
// Accepts versions 1 and 2 (no topic id; v1 also no adding/removing).
absl::StatusOr<TopicAssignment> DecodeTopicAssignment(std::string_view json);

// /brokers/topics/<topic>/partitions/<p>/state: leader and ISR as the
// controller last wrote them (TopicPartitionStateZNode).
struct PartitionState {
  int32_t leader = -1;
  int32_t leader_epoch = 0;
  std::vector<int32_t> isr;
  int32_t controller_epoch = 0;
  int32_t leader_recovery_state = 0;  // 0 RECOVERED (not written), 1 RECOVERING

  friend bool operator==(const PartitionState&, const PartitionState&) = default;
};
std::string EncodePartitionState(const PartitionState& state);
absl::StatusOr<PartitionState> DecodePartitionState(std::string_view json);

// /controller: the active controller (ControllerZNode).
struct ControllerRegistration {
  int32_t broker_id = -1;
  int64_t timestamp_ms = 0;
  friend bool operator==(const ControllerRegistration&, const ControllerRegistration&) = default;
};
std::string EncodeController(const ControllerRegistration& controller);
absl::StatusOr<ControllerRegistration> DecodeController(std::string_view json);

// /controller_epoch: a plain decimal ("1").
std::string EncodeControllerEpoch(int32_t epoch);
absl::StatusOr<int32_t> DecodeControllerEpoch(std::string_view data);

// /config/<type>/<entity>: dynamic config overrides (ConfigEntityZNode).
struct EntityConfig {
  std::map<std::string, std::string> config;
  friend bool operator==(const EntityConfig&, const EntityConfig&) = default;
};
std::string EncodeEntityConfig(const EntityConfig& config);
absl::StatusOr<EntityConfig> DecodeEntityConfig(std::string_view json);

// /config/changes/config_change_<seq>: "entity <type>/<name> changed"
// (ConfigEntityChangeNotificationSequenceZNode, version 2).
std::string EncodeConfigChangeNotification(std::string_view entity_path);  // "topics/orders"
absl::StatusOr<std::string> DecodeConfigChangeNotification(std::string_view json);

// The iteration order of Scala 2.13's mutable.HashMap holding `keys` (String
// keys, inserted in this order), built with a size hint of `known_size` (0:
// none), as Kafka's encoders build their maps. Exposed for tests.
std::vector<std::string> ScalaMutableHashMapOrder(const std::vector<std::string>& keys,
                                                  int known_size = 0);

}  // namespace samsa::kafka_zk
