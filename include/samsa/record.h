// samsa/record.h — what producers send and consumers receive.
//
//   ProducerRecord: a record to send — topic, optional partition, optional key
//     (nullopt: a null key), value (nullopt: a tombstone), headers, optional
//     timestamp (nullopt: the producer's clock, Kafka's CreateTime).
//   RecordMetadata: where a sent record landed — topic, partition, offset and
//     the timestamp the broker kept (the LogAppendTime when the topic uses it).
//   ConsumerRecord: a record read back. Its key and value are SharedBytes that
//     point into the stored batch without copying where it is in memory, and
//     keep that storage alive for as long as the record is kept.
//
// Offsets and timestamps are int64_t as in Kafka's client API (ms since the
// Unix epoch for timestamps).
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "samsa/bytes.h"
#include "samsa/types.h"

namespace samsa {

enum class TimestampType { kNoTimestamp = -1, kCreateTime = 0, kLogAppendTime = 1 };

struct Header {
  std::string key;
  std::optional<std::string> value;  // nullopt: a null header value
  friend bool operator==(const Header&, const Header&) = default;
};

struct ProducerRecord {
  std::string topic;
  std::optional<int32_t> partition;  // nullopt: the partitioner picks
  std::optional<std::string> key;
  std::optional<std::string> value;  // nullopt: a tombstone
  std::vector<Header> headers;
  std::optional<int64_t> timestamp;  // ms; nullopt: now
};

struct RecordMetadata {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  int64_t timestamp = -1;  // CreateTime as sent, or the broker's LogAppendTime
  int32_t serialized_key_size = -1;
  int32_t serialized_value_size = -1;
  TopicPartition topic_partition() const { return {topic, partition}; }
};

struct ConsumerRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp = -1;
  TimestampType timestamp_type = TimestampType::kCreateTime;
  std::optional<SharedBytes> key;    // nullopt: a null key
  std::optional<SharedBytes> value;  // nullopt: a tombstone
  std::vector<Header> headers;
  std::optional<int32_t> leader_epoch;

  std::optional<std::string_view> key_view() const {
    return key ? std::optional<std::string_view>(key->view()) : std::nullopt;
  }
  std::optional<std::string_view> value_view() const {
    return value ? std::optional<std::string_view>(value->view()) : std::nullopt;
  }
  // The value as a string ("" for a tombstone).
  std::string value_string() const { return value ? std::string(value->view()) : std::string(); }
  std::string key_string() const { return key ? std::string(key->view()) : std::string(); }
  TopicPartition topic_partition() const { return {topic, partition}; }
};

}  // namespace samsa
