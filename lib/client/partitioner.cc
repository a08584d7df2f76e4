#include "client/partitioner.h"

#include <fmt/format.h>

#include "samsa/errors.h"

namespace samsa {

// org.apache.kafka.common.utils.Utils.murmur2, byte for byte: MurmurHash2 with
// seed 0x9747b28c, little-endian 4-byte blocks, Java's int arithmetic
// (wrapping; >>> is a logical shift, hence the uint32_t).
int32_t Murmur2(std::string_view key) {
  const auto* data = reinterpret_cast<const uint8_t*>(key.data());
  const uint32_t length = static_cast<uint32_t>(key.size());
  const uint32_t m = 0x5bd1e995;
  const int r = 24;
  uint32_t h = 0x9747b28c ^ length;
  const uint32_t length4 = length / 4;
  for (uint32_t i = 0; i < length4; ++i) {
    const uint32_t i4 = i * 4;
    uint32_t k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) |
                 (static_cast<uint32_t>(data[i4 + 3]) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const uint32_t tail = length & ~3u;
  switch (length % 4) {
    case 3:
      h ^= static_cast<uint32_t>(data[tail + 2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint32_t>(data[tail + 1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= data[tail];
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

int32_t KeyPartition(std::string_view key, int32_t num_partitions) {
  return static_cast<int32_t>(static_cast<uint32_t>(Murmur2(key)) & 0x7fffffff) % num_partitions;
}

namespace client {

Partitioner::Partitioner(PartitionerType type, bool ignore_keys, int32_t batch_size,
                         PartitionerFn custom)
    : type_(type),
      ignore_keys_(ignore_keys),
      batch_size_(batch_size),
      custom_(std::move(custom)),
      rng_(std::random_device{}()) {}

int32_t Partitioner::NextSticky(Sticky* s, int32_t num_partitions) {
  if (num_partitions == 1) return 0;
  int32_t next;
  do {
    next = static_cast<int32_t>(rng_() % static_cast<uint32_t>(num_partitions));
  } while (next == s->partition);
  return next;
}

absl::StatusOr<int32_t> Partitioner::Partition(const ProducerRecord& record, int32_t num_partitions,
                                               int64_t record_bytes) {
  switch (type_) {
    case PartitionerType::kCustom: {
      if (!custom_) {
        return KafkaError(ErrorCode::kInvalidConfig,
                          "partitioner.class=custom but no partitioner function was given");
      }
      const int32_t p = custom_(record, num_partitions);
      if (p < 0 || p >= num_partitions) {
        return KafkaError(ErrorCode::kUnknownTopicOrPartition,
                          fmt::format("custom partitioner returned partition {} for topic {} "
                                      "which has {} partitions",
                                      p, record.topic, num_partitions));
      }
      return p;
    }
    case PartitionerType::kRoundRobin: {
      MutexLock lock(&mu_);
      return static_cast<int32_t>((round_robin_[record.topic]++ & 0x7fffffff) %
                                  static_cast<uint32_t>(num_partitions));
    }
    case PartitionerType::kDefault:
      if (record.key && !ignore_keys_) return KeyPartition(*record.key, num_partitions);
      break;
    case PartitionerType::kSticky:
      break;
  }
  MutexLock lock(&mu_);
  Sticky& s = sticky_[record.topic];
  if (s.partition < 0 || s.partition >= num_partitions || s.bytes >= batch_size_) {
    s.partition = NextSticky(&s, num_partitions);
    s.bytes = 0;
  }
  s.bytes += record_bytes;
  return s.partition;
}

}  // namespace client
}  // namespace samsa
