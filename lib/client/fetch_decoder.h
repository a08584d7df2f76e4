// DecodeFetchedRecords: turns the whole batches a fetch returned for one
// partition into ConsumerRecords, as Kafka's consumer (CompletedFetch) does:
// validates each batch (CRC-32C when `check_crcs`, record framing), skips
// control batches and records below `fetch_offset` (a fetch starts at the
// batch holding it), and reports the offset to fetch next (past the last
// batch, even when compaction left it without records past the position).
//
// Keys and values share the fetched buffer (no copy) for uncompressed
// batches; a compressed batch is decompressed once into a buffer its records
// share.
//
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "samsa/bytes.h"
#include "samsa/record.h"
#include "samsa/types.h"

namespace samsa::client {

struct DecodedFetch {
  std::vector<ConsumerRecord> records;
  int64_t next_fetch_offset = 0;
};

// CORRUPT_MESSAGE naming the partition and offset for a bad batch; records
// before it are kept in `*out`.
absl::Status DecodeFetchedRecords(const TopicPartition& tp, const SharedBytes& batches,
                                  int64_t fetch_offset, bool check_crcs, DecodedFetch* out);

}  // namespace samsa::client
