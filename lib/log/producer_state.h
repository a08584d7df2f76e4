// ProducerStateManager: what a partition knows of its idempotent producers
// (KIP-98; Kafka's ProducerStateManager / ProducerAppendInfo), so that a
// producer's retry of a batch the broker already stored is answered with
// the stored offsets instead of being stored twice, and a batch that skips
// or reorders sequence numbers, or comes from a fenced (older) epoch, is
// refused.
//
// Per producer id: its epoch and its last kNumBatchesToRetain (5) batches'
// sequence ranges and offsets — Kafka's producers keep at most 5 requests in
// flight per partition, so a retry is always one of those. The rules are
// Kafka's (ProducerAppendInfo.checkProducerEpoch / checkSequence and
// ProducerStateEntry.findDuplicateBatch):
//   - same epoch and the same first and last sequence as a retained batch:
//     a duplicate, answered with that batch's offsets;
//   - an epoch below the producer's: INVALID_PRODUCER_EPOCH;
//   - a new epoch must start at sequence 0 (unless no epoch is known);
//   - the same epoch must continue at last sequence + 1 (wrapping after
//     INT32_MAX to 0), unless nothing is known of the producer (its batches
//     went with retention, or it is new): OUT_OF_ORDER_SEQUENCE_NUMBER.
// Producers are forgotten when their last batch falls below the log start
// offset, or after producer.id.expiration.ms without a write.
//
// Snapshots use Kafka's .snapshot file format (version 1, named by the
// 20-digit offset they were taken at): the last batch of each producer.
//
// Thread-safety: not thread-safe; the owning Log serialises access under its
// append lock.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "samsa/types.h"

namespace samsa {

struct ProducerBatchMetadata {
  int32_t first_seq = 0;
  int32_t last_seq = 0;
  int64_t first_offset = 0;
  int64_t last_offset = 0;
  int64_t timestamp = -1;  // the batch's maxTimestamp
};

// One producer of a snapshot file, field for field.
struct ProducerSnapshotEntry {
  int64_t producer_id = -1;
  int16_t epoch = -1;
  int32_t last_seq = -1;
  int64_t last_offset = -1;
  int32_t offset_delta = 0;  // last offset - first offset of the last batch
  int64_t timestamp = -1;
  int32_t coordinator_epoch = -1;
  int64_t current_txn_first_offset = -1;
  int32_t first_seq() const;  // of the last batch
};

class ProducerStateManager {
 public:
  static constexpr int kNumBatchesToRetain = 5;

  struct Entry {
    int16_t epoch = -1;  // -1: none known
    std::deque<ProducerBatchMetadata> batches;  // oldest first, at most 5
    int64_t last_timestamp = -1;  // expiration counts from it
  };

  // A batch's producer fields, as its header carries them.
  struct BatchInfo {
    int64_t producer_id = -1;
    int16_t epoch = -1;
    int32_t first_seq = -1;
    int32_t record_count = 0;  // lastOffsetDelta + 1
    int32_t last_seq() const;
  };

  // Checks `batch` (producer_id >= 0) against what is known: the retained
  // batch it duplicates, nullopt when it may be appended, or
  // kInvalidProducerEpoch / kOutOfOrderSequenceNumber naming `log_name`.
  absl::StatusOr<std::optional<ProducerBatchMetadata>> Check(const BatchInfo& batch,
                                                             std::string_view log_name) const;
  // Records a batch stored at [first_offset, last_offset].
  void Update(const BatchInfo& batch, int64_t first_offset, int64_t last_offset,
              int64_t max_timestamp);

  // Adds (or replaces) every producer of `other`: the outcome of an append
  // that was checked against a copy.
  void Merge(const ProducerStateManager& other);
  // A copy holding only these producers.
  ProducerStateManager Subset(const std::vector<int64_t>& producer_ids) const;

  // Forgets producers whose last batch lies below `log_start_offset`.
  void TruncateHead(int64_t log_start_offset);
  // Forgets batches at or past `log_end_offset` (a truncated log), and
  // producers left with none.
  void TruncateTail(int64_t log_end_offset);
  // Forgets producers whose last write is `expiration_ms` or more before `now_ms`.
  void Expire(int64_t now_ms, int64_t expiration_ms);
  void Clear() { producers_.clear(); }

  bool empty() const { return producers_.empty(); }
  size_t size() const { return producers_.size(); }
  const Entry* Find(int64_t producer_id) const;

  // Kafka's snapshot file: int16 version (1), uint32 CRC-32C of what
  // follows, int32 count, then per producer: int64 producer id, int16 epoch,
  // int32 last sequence, int64 last offset, int32 offset delta (last offset
  // - first offset of the last batch), int64 timestamp, int32 coordinator
  // epoch (-1), int64 current transaction first offset (-1). Big-endian.
  std::string EncodeSnapshot() const;
  // The entries of a snapshot file, in file order; a damaged file (version,
  // CRC, size) is a DataLoss status naming what is wrong.
  static absl::StatusOr<std::vector<ProducerSnapshotEntry>> DecodeSnapshot(std::string_view bytes);
  // Replaces the state with a snapshot's; on error changes nothing.
  absl::Status LoadSnapshot(std::string_view bytes);

  // "00000000000000000123.snapshot"
  static std::string SnapshotFileName(int64_t offset);
  // The offset of a snapshot file's name, or nullopt.
  static std::optional<int64_t> ParseSnapshotFileName(std::string_view name);

 private:
  absl::flat_hash_map<int64_t, Entry> producers_;
};

}  // namespace samsa
