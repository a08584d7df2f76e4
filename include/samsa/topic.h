// samsa/topic.h — topics and partitions as an administrator sees them.
//
// NewTopic is what CreateTopic takes (Kafka's NewTopic / CreateTopics): a name,
// a partition count and replication factor (-1: the broker's num.partitions /
// default.replication.factor), and topic-level configs by Kafka's names
// (retention.ms, retention.bytes, segment.bytes, segment.ms, cleanup.policy,
// message.timestamp.type, max.message.bytes, min.insync.replicas, ...).
// `memory` makes a memory-backed topic: the same API over an in-memory
// filesystem, for in-process pub/sub; nothing reaches the disk and the topic
// does not survive the broker.
//
// TopicDescription is what DescribeTopic returns: per partition, the leader,
// replicas, in-sync replicas and the offsets Kafka tracks — log start offset,
// log end offset (LEO) and high watermark (HW).
//
// Topic names follow Kafka's rules: 1 to 249 characters of [a-zA-Z0-9._-],
// not "." or "..". Names differing only in '.' versus '_' collide (Kafka's
// metric names cannot tell them apart) and the second is refused.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace samsa {

struct NewTopic {
  std::string name;
  int32_t num_partitions = -1;      // -1: num.partitions
  int16_t replication_factor = -1;  // -1: default.replication.factor
  std::map<std::string, std::string> configs;
  bool memory = false;
};

struct PartitionDescription {
  int32_t partition = 0;
  int32_t leader = -1;  // broker id; -1: offline
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  int64_t log_start_offset = 0;
  int64_t log_end_offset = 0;
  int64_t high_watermark = 0;
  int64_t size_bytes = 0;
};

struct TopicDescription {
  std::string name;
  std::string topic_id;  // Kafka's topic id (base64 of a UUID)
  bool internal = false;
  bool memory = false;
  std::map<std::string, std::string> configs;  // the topic's overrides
  std::vector<PartitionDescription> partitions;
};

}  // namespace samsa
