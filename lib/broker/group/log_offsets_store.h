// LogOffsetsStore: an OffsetsTopicStore over Log objects, one per partition
// of __consumer_offsets, each with a single replica (an append is committed
// as soon as it is in the log: the high watermark moves to the log end).
//
// Appends are not fsynced here: as in Kafka, durability comes from the log's
// flush policy and, with replicas, from acks=all.
//
// Thread-safety: thread-safe. The Logs are borrowed: each must outlive the
// store (or be removed from it first).
#pragma once

#include <map>

#include "broker/group/offsets_topic_store.h"
#include "log/log.h"
#include "util/mutex.h"

namespace samsa::group {

class LogOffsetsStore : public OffsetsTopicStore {
 public:
  LogOffsetsStore() = default;

  // Serves `partition` from `*log` (replacing any earlier log for it).
  void AddPartition(int32_t partition, Log* log);
  void RemovePartition(int32_t partition);

  absl::StatusOr<int64_t> Append(int32_t partition, std::string record_batch) override;
  absl::Status Scan(int32_t partition, const ScanFn& fn) override;

 private:
  absl::StatusOr<Log*> Find(int32_t partition) const;

  mutable Mutex mu_;
  std::map<int32_t, Log*> logs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace samsa::group
