// OffsetsTopicStore: the narrow view of the __consumer_offsets topic that the
// GroupCoordinator needs — append a batch to one of its partitions, and read
// a partition back from its start.
//
// The broker implements it over its own partitions (leader appends with
// acks=all); LogOffsetsStore implements it over plain Log objects for tests
// and single-broker use.
//
// Thread-safety: implementations are thread-safe; the coordinator calls them
// from many threads, never holding its own lock during Scan.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace samsa::group {

class OffsetsTopicStore {
 public:
  virtual ~OffsetsTopicStore() = default;

  // Appends `record_batch` (one magic-2 batch, offsets not yet assigned) to
  // `partition` and returns once it is committed (acks=all: on every in-sync
  // replica, below the high watermark), with the offset of its last record.
  // Errors carry Kafka codes: kNotLeaderOrFollower when this broker no longer
  // leads the partition, kKafkaStorageError, kMessageTooLarge, ...
  virtual absl::StatusOr<int64_t> Append(int32_t partition, std::string record_batch) = 0;

  // Calls `fn` for every record of `partition`, in offset order, from the
  // log start to the log end. Control records are skipped.
  using ScanFn = std::function<void(std::optional<std::string_view> key,
                                    std::optional<std::string_view> value, int64_t offset)>;
  virtual absl::Status Scan(int32_t partition, const ScanFn& fn) = 0;
};

}  // namespace samsa::group
