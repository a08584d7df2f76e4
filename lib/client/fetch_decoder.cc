#include "client/fetch_decoder.h"

#include <algorithm>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "record/record_batch.h"
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

absl::Status DecodeFetchedRecords(const TopicPartition& tp, const SharedBytes& batches,
                                  int64_t fetch_offset, bool check_crcs, DecodedFetch* out) {
  out->next_fetch_offset = fetch_offset;
  const std::string_view all = batches.view();
  size_t pos = 0;
  while (pos < all.size()) {
    absl::StatusOr<record::RecordBatchView> batch =
        record::RecordBatchView::Parse(all.substr(pos), check_crcs);
    if (!batch.ok()) {
      // A fetch may end in a partial batch when a size limit cut it (Kafka's
      // consumer ignores it); anything else is corruption.
      const std::optional<int64_t> size = record::RecordBatchView::PeekSize(all.substr(pos));
      if (!size || *size > static_cast<int64_t>(all.size() - pos)) break;
      return KafkaError(ErrorCode::kCorruptMessage,
                        fmt::format("Record batch for partition {} at offset {} is invalid: {}",
                                    tp.ToString(), out->next_fetch_offset,
                                    std::string(batch.status().message())));
    }
    pos += batch->size_in_bytes();
    if (batch->next_offset() <= fetch_offset) continue;
    if (batch->is_control()) {
      out->next_fetch_offset = batch->next_offset();
      continue;
    }
    absl::StatusOr<record::RecordReader> reader = record::RecordReader::Open(*batch);
    if (!reader.ok()) {
      return KafkaError(ErrorCode::kCorruptMessage,
                        fmt::format("Record batch for partition {} at offset {} is invalid: {}",
                                    tp.ToString(), batch->base_offset(),
                                    std::string(reader.status().message())));
    }
    // Where keys and values live: the fetched buffer itself, or one shared
    // copy of the decompressed records (the reader's buffer dies with it).
    std::shared_ptr<const std::string> decompressed;
    const std::string_view data = reader->records_data();
    if (reader->decompressed()) decompressed = std::make_shared<const std::string>(data);
    auto share = [&](std::string_view part) {
      return decompressed ? Rebase(decompressed, data, part) : SharedBytes(batches.owner(), part);
    };
    const TimestampType ts_type = batch->timestamp_type() == record::TimestampType::kLogAppendTime
                                      ? TimestampType::kLogAppendTime
                                      : TimestampType::kCreateTime;
    const int32_t epoch = batch->partition_leader_epoch();
    // Room for the batch's records at once rather than regrowing record by
    // record, still growing geometrically across batches (an exact reserve
    // per batch would reallocate, moving every record, once per batch). The
    // count is capped by what the batch's bytes can hold (a record takes >= 7
    // bytes), so a corrupt count cannot reserve much.
    const size_t needed =
        out->records.size() +
        std::min(static_cast<size_t>(std::max<int32_t>(batch->records_count(), 0)),
                 batch->size_in_bytes() / 7);
    if (needed > out->records.capacity()) {
      out->records.reserve(std::max(needed, 2 * out->records.capacity()));
    }
    record::RecordView r;
    while (true) {
      absl::StatusOr<bool> more = reader->Next(&r);
      if (!more.ok()) {
        return KafkaError(ErrorCode::kCorruptMessage,
                          fmt::format("Record in batch for partition {} at offset {} is "
                                      "invalid: {}",
                                      tp.ToString(), batch->base_offset(),
                                      std::string(more.status().message())));
      }
      if (!*more) break;
      if (r.offset < fetch_offset) continue;
      ConsumerRecord rec;
      rec.topic = tp.topic;
      rec.partition = tp.partition;
      rec.offset = r.offset;
      rec.timestamp = r.timestamp;
      rec.timestamp_type = ts_type;
      if (r.key) rec.key = share(*r.key);
      if (r.value) rec.value = share(*r.value);
      rec.headers.reserve(r.headers.size());
      for (const record::RecordHeaderView& h : r.headers) {
        rec.headers.push_back(
            {std::string(h.key), h.value ? std::optional<std::string>(std::string(*h.value))
                                         : std::nullopt});
      }
      if (epoch >= 0) rec.leader_epoch = epoch;
      out->records.push_back(std::move(rec));
    }
    out->next_fetch_offset = batch->next_offset();
  }
  return absl::OkStatus();
}

}  // namespace samsa::client
