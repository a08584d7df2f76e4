// FetchedRecords: the whole batches a fetch returned for one partition,
// turned into ConsumerRecords as they are taken — Kafka's consumer
// (CompletedFetch) decodes lazily the same way, so a Poll that returns
// max.poll.records records decodes only those, into the caller's vector,
// rather than materialising a whole 1 MiB fetch up front (that intermediate
// vector, fresh memory each fetch, cost the consumer more than the decoding).
//
// It validates each batch as it reaches it (CRC-32C when `check_crcs`, record
// framing), skips control batches and records below `fetch_offset` (a fetch
// starts at the batch holding it), ignores a partial batch at the end (a size
// limit cut it), and reports the offset to fetch next: past the last batch,
// even when compaction left it without records past the position.
//
// Keys and values share the fetched buffer (no copy) for uncompressed
// batches; a compressed batch is decompressed once into a buffer its records
// share.
//
// Thread-safety: one thread at a time. DecodeFetchedRecords is a pure function.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "record/record_batch.h"
#include "samsa/bytes.h"
#include "samsa/record.h"
#include "samsa/types.h"

namespace samsa::client {

class FetchedRecords {
 public:
  FetchedRecords(TopicPartition tp, SharedBytes batches, int64_t fetch_offset, bool check_crcs);
  FetchedRecords(FetchedRecords&&) = delete;  // the reader points into members

  // Appends up to `max` records to `*out`. Returns fewer only when the
  // batches are exhausted. CORRUPT_MESSAGE (naming the partition and offset)
  // on a bad batch or record; the records before it were appended.
  absl::Status Take(size_t max, std::vector<ConsumerRecord>* out);

  // Reads up to the first batch with records to return (validating the
  // batches before it), so that exhausted() is known before any Take.
  absl::Status Prepare();

  // No record is left to take (once Prepare() or Take() ran).
  bool exhausted() const { return exhausted_; }
  // Where the next fetch starts once exhausted.
  int64_t next_fetch_offset() const { return next_fetch_offset_; }

 private:
  // Moves to the next batch with records to return; false at the end.
  absl::Status NextBatch(bool* found);

  const TopicPartition tp_;
  const SharedBytes batches_;
  const int64_t fetch_offset_;
  const bool check_crcs_;
  size_t pos_ = 0;  // in batches_, past the current batch
  bool exhausted_ = false;
  int64_t next_fetch_offset_;
  // The batch being read.
  std::optional<record::RecordBatchView> batch_;
  std::optional<record::RecordReader> reader_;
  std::shared_ptr<const std::string> decompressed_;  // its records, when compressed
  TimestampType timestamp_type_ = TimestampType::kCreateTime;
};

struct DecodedFetch {
  std::vector<ConsumerRecord> records;
  int64_t next_fetch_offset = 0;
};

// Every record at once (FetchedRecords::Take of all of them).
absl::Status DecodeFetchedRecords(const TopicPartition& tp, const SharedBytes& batches,
                                  int64_t fetch_offset, bool check_crcs, DecodedFetch* out);

}  // namespace samsa::client
