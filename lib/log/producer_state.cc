#include "log/producer_state.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "log/log_segment.h"
#include "record/crc32c.h"
#include "samsa/errors.h"
#include "util/endian.h"

namespace samsa {
namespace {

constexpr int16_t kSnapshotVersion = 1;
constexpr size_t kCrcPos = 2;
constexpr size_t kEntriesPos = 6;  // the count, then the entries: what the CRC covers
constexpr size_t kEntrySize = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;

// DefaultRecordBatch.incrementSequence: sequences wrap from INT32_MAX to 0.
int32_t IncrementSequence(int32_t sequence, int32_t increment) {
  if (sequence > std::numeric_limits<int32_t>::max() - increment) {
    return increment - (std::numeric_limits<int32_t>::max() - sequence) - 1;
  }
  return sequence + increment;
}

// DefaultRecordBatch.decrementSequence.
int32_t DecrementSequence(int32_t sequence, int32_t decrement) {
  if (sequence < decrement) return std::numeric_limits<int32_t>::max() - (decrement - sequence) + 1;
  return sequence - decrement;
}

// ProducerAppendInfo.inSequence.
bool InSequence(int32_t last_seq, int32_t next_seq) {
  return static_cast<int64_t>(next_seq) == static_cast<int64_t>(last_seq) + 1 ||
         (next_seq == 0 && last_seq == std::numeric_limits<int32_t>::max());
}

}  // namespace

int32_t ProducerStateManager::BatchInfo::last_seq() const {
  return IncrementSequence(first_seq, std::max(record_count - 1, 0));
}

const ProducerStateManager::Entry* ProducerStateManager::Find(int64_t producer_id) const {
  auto it = producers_.find(producer_id);
  return it == producers_.end() ? nullptr : &it->second;
}

absl::StatusOr<std::optional<ProducerBatchMetadata>> ProducerStateManager::Check(
    const BatchInfo& batch, std::string_view log_name) const {
  const Entry* entry = Find(batch.producer_id);
  if (entry == nullptr) return std::nullopt;  // nothing known: any sequence
  const int32_t last_seq = batch.last_seq();
  // ProducerStateEntry.findDuplicateBatch.
  if (batch.epoch == entry->epoch) {
    for (const ProducerBatchMetadata& b : entry->batches) {
      if (b.first_seq == batch.first_seq && b.last_seq == last_seq) return b;
    }
  }
  if (batch.epoch < entry->epoch) {
    return KafkaError(ErrorCode::kInvalidProducerEpoch,
                      fmt::format("{}: epoch of producer {} is {}, which is smaller than the last "
                                  "seen epoch {}",
                                  log_name, batch.producer_id, batch.epoch, entry->epoch));
  }
  if (batch.epoch != entry->epoch) {
    if (batch.first_seq != 0 && entry->epoch >= 0) {
      return KafkaError(ErrorCode::kOutOfOrderSequenceNumber,
                        fmt::format("{}: invalid sequence number for new epoch of producer {}: "
                                    "{} (request epoch), {} (seq. number), {} (current producer "
                                    "epoch)",
                                    log_name, batch.producer_id, batch.epoch, batch.first_seq,
                                    entry->epoch));
    }
    return std::nullopt;
  }
  const int32_t current_last_seq = entry->batches.empty() ? -1 : entry->batches.back().last_seq;
  if (!InSequence(current_last_seq, batch.first_seq)) {
    return KafkaError(ErrorCode::kOutOfOrderSequenceNumber,
                      fmt::format("{}: out of order sequence number for producer {}: {} "
                                  "(incoming seq. number), {} (current end sequence number)",
                                  log_name, batch.producer_id, batch.first_seq, current_last_seq));
  }
  return std::nullopt;
}

void ProducerStateManager::Update(const BatchInfo& batch, int64_t first_offset,
                                  int64_t last_offset, int64_t max_timestamp) {
  Entry& entry = producers_[batch.producer_id];
  if (batch.epoch != entry.epoch) {
    entry.batches.clear();
    entry.epoch = batch.epoch;
  }
  entry.batches.push_back({batch.first_seq, batch.last_seq(), first_offset, last_offset, max_timestamp});
  while (entry.batches.size() > static_cast<size_t>(kNumBatchesToRetain)) entry.batches.pop_front();
  entry.last_timestamp = max_timestamp;
}

void ProducerStateManager::Merge(const ProducerStateManager& other) {
  for (const auto& [id, entry] : other.producers_) producers_[id] = entry;
}

ProducerStateManager ProducerStateManager::Subset(const std::vector<int64_t>& producer_ids) const {
  ProducerStateManager subset;
  for (int64_t id : producer_ids) {
    if (const Entry* entry = Find(id)) subset.producers_[id] = *entry;
  }
  return subset;
}

void ProducerStateManager::TruncateHead(int64_t log_start_offset) {
  absl::erase_if(producers_, [&](const auto& p) {
    return p.second.batches.empty() || p.second.batches.back().last_offset < log_start_offset;
  });
}

void ProducerStateManager::TruncateTail(int64_t log_end_offset) {
  for (auto& [id, entry] : producers_) {
    while (!entry.batches.empty() && entry.batches.back().last_offset >= log_end_offset) {
      entry.batches.pop_back();
    }
  }
  absl::erase_if(producers_, [](const auto& p) { return p.second.batches.empty(); });
}

void ProducerStateManager::Expire(int64_t now_ms, int64_t expiration_ms) {
  absl::erase_if(producers_, [&](const auto& p) {
    return static_cast<__int128>(now_ms) - p.second.last_timestamp >= expiration_ms;
  });
}

std::string ProducerStateManager::EncodeSnapshot() const {
  std::vector<std::pair<int64_t, const Entry*>> sorted;
  for (const auto& [id, entry] : producers_) {
    if (!entry.batches.empty()) sorted.emplace_back(id, &entry);
  }
  std::sort(sorted.begin(), sorted.end());
  std::string out(kEntriesPos + 4 + sorted.size() * kEntrySize, '\0');
  char* p = out.data();
  StoreBE16(p, static_cast<uint16_t>(kSnapshotVersion));
  StoreBE32(p + kEntriesPos, static_cast<uint32_t>(sorted.size()));
  p += kEntriesPos + 4;
  for (const auto& [id, entry] : sorted) {
    const ProducerBatchMetadata& last = entry->batches.back();
    StoreBE64(p, static_cast<uint64_t>(id));
    StoreBE16(p + 8, static_cast<uint16_t>(entry->epoch));
    StoreBE32(p + 10, static_cast<uint32_t>(last.last_seq));
    StoreBE64(p + 14, static_cast<uint64_t>(last.last_offset));
    StoreBE32(p + 22, static_cast<uint32_t>(last.last_offset - last.first_offset));
    StoreBE64(p + 26, static_cast<uint64_t>(entry->last_timestamp));
    StoreBE32(p + 34, static_cast<uint32_t>(-1));  // coordinator epoch
    StoreBE64(p + 38, static_cast<uint64_t>(-1));  // no ongoing transaction
    p += kEntrySize;
  }
  StoreBE32(out.data() + kCrcPos,
            record::Crc32cExtend(0, out.data() + kEntriesPos, out.size() - kEntriesPos));
  return out;
}

int32_t ProducerSnapshotEntry::first_seq() const { return DecrementSequence(last_seq, offset_delta); }

absl::StatusOr<std::vector<ProducerSnapshotEntry>> ProducerStateManager::DecodeSnapshot(
    std::string_view bytes) {
  if (bytes.size() < kEntriesPos + 4) {
    return absl::DataLossError(fmt::format("producer snapshot of {} bytes is truncated", bytes.size()));
  }
  const auto version = static_cast<int16_t>(LoadBE16(bytes.data()));
  if (version != kSnapshotVersion) {
    return absl::DataLossError(fmt::format("producer snapshot has unknown version {}", version));
  }
  const uint32_t crc = LoadBE32(bytes.data() + kCrcPos);
  const uint32_t computed =
      record::Crc32cExtend(0, bytes.data() + kEntriesPos, bytes.size() - kEntriesPos);
  if (crc != computed) {
    return absl::DataLossError(
        fmt::format("producer snapshot is corrupt: stored CRC {}, computed {}", crc, computed));
  }
  const auto count = static_cast<int32_t>(LoadBE32(bytes.data() + kEntriesPos));
  if (count < 0 || bytes.size() != kEntriesPos + 4 + static_cast<size_t>(count) * kEntrySize) {
    return absl::DataLossError(fmt::format("producer snapshot of {} bytes cannot hold {} entries",
                                           bytes.size(), count));
  }
  std::vector<ProducerSnapshotEntry> entries(static_cast<size_t>(count));
  const char* p = bytes.data() + kEntriesPos + 4;
  for (ProducerSnapshotEntry& e : entries) {
    e.producer_id = static_cast<int64_t>(LoadBE64(p));
    e.epoch = static_cast<int16_t>(LoadBE16(p + 8));
    e.last_seq = static_cast<int32_t>(LoadBE32(p + 10));
    e.last_offset = static_cast<int64_t>(LoadBE64(p + 14));
    e.offset_delta = static_cast<int32_t>(LoadBE32(p + 22));
    e.timestamp = static_cast<int64_t>(LoadBE64(p + 26));
    e.coordinator_epoch = static_cast<int32_t>(LoadBE32(p + 34));
    e.current_txn_first_offset = static_cast<int64_t>(LoadBE64(p + 38));
    p += kEntrySize;
  }
  return entries;
}

absl::Status ProducerStateManager::LoadSnapshot(std::string_view bytes) {
  absl::StatusOr<std::vector<ProducerSnapshotEntry>> entries = DecodeSnapshot(bytes);
  if (!entries.ok()) return entries.status();
  absl::flat_hash_map<int64_t, Entry> loaded;
  for (const ProducerSnapshotEntry& e : *entries) {
    Entry entry;
    entry.epoch = e.epoch;
    entry.last_timestamp = e.timestamp;
    // ProducerStateManager.readSnapshot: a batch only when its offset is known.
    if (e.last_offset >= 0 && e.offset_delta >= 0 && e.offset_delta <= e.last_offset) {
      entry.batches.push_back(
          {e.first_seq(), e.last_seq, e.last_offset - e.offset_delta, e.last_offset, e.timestamp});
    }
    loaded[e.producer_id] = std::move(entry);
  }
  producers_ = std::move(loaded);
  return absl::OkStatus();
}

std::string ProducerStateManager::SnapshotFileName(int64_t offset) {
  return SegmentFileStem(Offset(offset)) + ".snapshot";
}

std::optional<int64_t> ProducerStateManager::ParseSnapshotFileName(std::string_view name) {
  std::optional<Offset> offset = ParseSegmentName(name, ".snapshot");
  if (!offset) return std::nullopt;
  return offset->value();
}

}  // namespace samsa
