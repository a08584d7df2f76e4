// Partitioner: which partition a record without an explicit one goes to,
// exactly as Kafka's producer decides (partitioner.class):
//
//   default      keyed records: (murmur2(key) & 0x7fffffff) % partitions — the
//                same number the Java client and librdkafka's murmur2_random
//                give; records without a key (or partitioner.ignore.keys):
//                sticky, as below.
//   sticky       UniformStickyPartitioner: every record sticky, keys ignored.
//   round-robin  RoundRobinPartitioner: a per-topic counter, keys ignored.
//   custom       the application's function.
//
// Sticky (KIP-480, with KIP-794's uniform switching): a topic's keyless records
// all go to one partition until batch.size bytes have gone there, then to
// another partition chosen at random (never the same one twice in a row), so
// batches fill up instead of spreading one record per partition.
//
// Thread-safety: thread-safe.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "samsa/config.h"
#include "samsa/producer.h"
#include "util/mutex.h"

namespace samsa::client {

class Partitioner {
 public:
  Partitioner(PartitionerType type, bool ignore_keys, int32_t batch_size, PartitionerFn custom);

  // The partition for `record` (whose partition is unset) in a topic of
  // `num_partitions`; `record_bytes` counts toward the sticky switch.
  absl::StatusOr<int32_t> Partition(const ProducerRecord& record, int32_t num_partitions,
                                    int64_t record_bytes);

 private:
  struct Sticky {
    int32_t partition = -1;
    int64_t bytes = 0;
  };
  int32_t NextSticky(Sticky* s, int32_t num_partitions) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const PartitionerType type_;
  const bool ignore_keys_;
  const int32_t batch_size_;
  const PartitionerFn custom_;
  Mutex mu_;
  std::minstd_rand rng_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Sticky> sticky_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint32_t> round_robin_ ABSL_GUARDED_BY(mu_);
};

}  // namespace samsa::client
