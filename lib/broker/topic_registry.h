// TopicRegistry: the broker's topic metadata — name, topic id, partition
// count, config overrides, storage — which Kafka keeps in ZooKeeper
// (/brokers/topics, /config/topics) or KRaft. samsa keeps it in a small text
// file, `samsa-topics`, written atomically to every log dir (the newest epoch
// wins when they differ). Memory-backed topics are not written: they do not
// survive the broker.
//
// File format (java.util.Properties syntax; '/' cannot appear in a topic name):
//   epoch=<n>
//   <topic>/id=<base64 topic id>
//   <topic>/partitions=<n>
//   <topic>/config/<key>=<value>
//
// Thread-safety: not thread-safe; the broker guards it with its topic lock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "samsa/config.h"
#include "samsa/env.h"

namespace samsa {

inline constexpr char kTopicRegistryFile[] = "samsa-topics";

struct TopicInfo {
  std::string name;
  std::string topic_id;  // base64 (URL-safe, no padding) of 16 random bytes, as Kafka prints it
  int32_t num_partitions = 0;
  Properties configs;  // overrides of the broker defaults
  bool memory = false;
};

// Kafka's topic name rules (org.apache.kafka.common.internals.Topic.validate).
absl::Status ValidateTopicName(std::string_view name);
// Whether two names collide in Kafka's metric names ('.' and '_' equal).
bool TopicNamesCollide(std::string_view a, std::string_view b);

// Kafka's internal topics (__consumer_offsets, __transaction_state).
bool IsInternalTopic(std::string_view name);

// The topic config under which samsa records a memory-backed topic.
inline constexpr char kStorageConfig[] = "samsa.storage";
// A new random topic id.
std::string NewTopicId();

class TopicRegistry {
 public:
  // Reads the newest registry among `log_dirs` (none: empty).
  absl::Status Load(Env* env, const std::vector<std::string>& log_dirs);
  // Writes the registry (disk topics only) to every log dir, atomically.
  absl::Status Store(Env* env, const std::vector<std::string>& log_dirs);

  const TopicInfo* Find(std::string_view name) const;
  TopicInfo* FindMutable(std::string_view name);
  void Put(TopicInfo info);
  void Erase(std::string_view name);
  const std::map<std::string, TopicInfo, std::less<>>& topics() const { return topics_; }

 private:
  int64_t epoch_ = 0;
  std::map<std::string, TopicInfo, std::less<>> topics_;
};

}  // namespace samsa
