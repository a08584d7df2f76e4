#include "client/fetch_decoder.h"

#include <algorithm>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "samsa/errors.h"

namespace samsa::client {
namespace {

// A view into `base` re-expressed as the same range of `owner`'s copy.
SharedBytes Rebase(const std::shared_ptr<const std::string>& owner, std::string_view base,
                   std::string_view part) {
  const size_t pos = static_cast<size_t>(part.data() - base.data());
  return SharedBytes(owner, std::string_view(*owner).substr(pos, part.size()));
}

}  // namespace

FetchedRecords::FetchedRecords(TopicPartition tp, SharedBytes batches, int64_t fetch_offset,
                               bool check_crcs)
    : tp_(std::move(tp)),
      batches_(std::move(batches)),
      fetch_offset_(fetch_offset),
      check_crcs_(check_crcs),
      next_fetch_offset_(fetch_offset) {}

absl::Status FetchedRecords::NextBatch(bool* found) {
  *found = false;
  reader_.reset();
  batch_.reset();
  decompressed_.reset();
  const std::string_view all = batches_.view();
  while (pos_ < all.size()) {
    absl::StatusOr<record::RecordBatchView> batch =
        record::RecordBatchView::Parse(all.substr(pos_), check_crcs_);
    if (!batch.ok()) {
      // A fetch may end in a partial batch when a size limit cut it (Kafka's
      // consumer ignores it); anything else is corruption.
      const std::optional<int64_t> size = record::RecordBatchView::PeekSize(all.substr(pos_));
      if (!size || *size > static_cast<int64_t>(all.size() - pos_)) {
        pos_ = all.size();
        break;
      }
      return KafkaError(ErrorCode::kCorruptMessage,
                        fmt::format("Record batch for partition {} at offset {} is invalid: {}",
                                    tp_.ToString(), next_fetch_offset_,
                                    std::string(batch.status().message())));
    }
    pos_ += batch->size_in_bytes();
    if (batch->next_offset() <= fetch_offset_) continue;
    if (batch->is_control()) {
      next_fetch_offset_ = batch->next_offset();
      continue;
    }
    absl::StatusOr<record::RecordReader> reader = record::RecordReader::Open(*batch);
    if (!reader.ok()) {
      return KafkaError(ErrorCode::kCorruptMessage,
                        fmt::format("Record batch for partition {} at offset {} is invalid: {}",
                                    tp_.ToString(), batch->base_offset(),
                                    std::string(reader.status().message())));
    }
    batch_.emplace(*batch);
    reader_.emplace(std::move(*reader));
    // Where keys and values live: the fetched buffer itself, or one shared
    // copy of the decompressed records (the reader's buffer dies with it).
    if (reader_->decompressed()) {
      decompressed_ = std::make_shared<const std::string>(reader_->records_data());
    }
    timestamp_type_ = batch_->timestamp_type() == record::TimestampType::kLogAppendTime
                          ? TimestampType::kLogAppendTime
                          : TimestampType::kCreateTime;
    *found = true;
    return absl::OkStatus();
  }
  exhausted_ = true;
  return absl::OkStatus();
}

absl::Status FetchedRecords::Prepare() {
  if (reader_ || exhausted_) return absl::OkStatus();
  bool found = false;
  return NextBatch(&found);
}

absl::Status FetchedRecords::Take(size_t max, std::vector<ConsumerRecord>* out) {
  size_t taken = 0;
  while (taken < max && !exhausted_) {
    if (!reader_) {
      bool found = false;
      if (absl::Status s = NextBatch(&found); !s.ok()) return s;
      if (!found) break;
      // Room at once for the records of this batch and, estimated from its
      // records per byte, of the batches after it in the fetch, up to `max`:
      // regrowing batch by batch moved every record taken so far (a 500-record
      // poll of 136-record batches moved ~400). The count is capped by what
      // the batch's bytes can hold (a record takes >= 7 bytes), so a corrupt
      // count cannot reserve much.
      const size_t batch_bytes = batch_->size_in_bytes();
      const size_t count = std::min(
          static_cast<size_t>(std::max<int32_t>(batch_->records_count(), 0)), batch_bytes / 7);
      const size_t bytes_left = batches_.view().size() - (pos_ - batch_bytes);
      const size_t estimate = std::max(count, count * (bytes_left / batch_bytes));
      const size_t needed = out->size() + std::min(estimate, max - taken);
      if (needed > out->capacity()) out->reserve(std::max(needed, 2 * out->capacity()));
    }
    const std::string_view data = reader_->records_data();
    const int32_t epoch = batch_->partition_leader_epoch();
    record::RecordView r;
    while (taken < max) {
      absl::StatusOr<bool> more = reader_->Next(&r);
      if (!more.ok()) {
        return KafkaError(ErrorCode::kCorruptMessage,
                          fmt::format("Record in batch for partition {} at offset {} is "
                                      "invalid: {}",
                                      tp_.ToString(), batch_->base_offset(),
                                      std::string(more.status().message())));
      }
      if (!*more) {
        next_fetch_offset_ = batch_->next_offset();
        reader_.reset();
        break;
      }
      if (r.offset < fetch_offset_) continue;
      ConsumerRecord& rec = out->emplace_back();
      rec.topic = tp_.topic;
      rec.partition = tp_.partition;
      rec.offset = r.offset;
      rec.timestamp = r.timestamp;
      rec.timestamp_type = timestamp_type_;
      auto share = [&](std::string_view part) {
        return decompressed_ ? Rebase(decompressed_, data, part)
                             : SharedBytes(batches_.owner(), part);
      };
      if (r.key) rec.key = share(*r.key);
      if (r.value) rec.value = share(*r.value);
      if (!r.headers.empty()) {
        rec.headers.reserve(r.headers.size());
        for (const record::RecordHeaderView& h : r.headers) {
          rec.headers.push_back(
              {std::string(h.key), h.value ? std::optional<std::string>(std::string(*h.value))
                                           : std::nullopt});
        }
      }
      if (epoch >= 0) rec.leader_epoch = epoch;
      ++taken;
    }
  }
  // Exhausted as soon as nothing is left, so a caller knows without another
  // Take: the reader at its end and no further batch.
  if (!exhausted_ && !reader_ && pos_ >= batches_.view().size()) exhausted_ = true;
  return absl::OkStatus();
}

absl::Status DecodeFetchedRecords(const TopicPartition& tp, const SharedBytes& batches,
                                  int64_t fetch_offset, bool check_crcs, DecodedFetch* out) {
  FetchedRecords fetched(tp, batches, fetch_offset, check_crcs);
  absl::Status s = fetched.Take(std::numeric_limits<size_t>::max(), &out->records);
  out->next_fetch_offset = fetched.next_fetch_offset();
  return s;
}

}  // namespace samsa::client
