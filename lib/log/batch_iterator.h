// BatchIterator: walks the record batches of a .log file in order, reading a
// chunk at a time (one read per chunk, not per batch).
//
// Each step yields the batch at the current position, or says why it stops:
// the end was reached exactly, or the bytes left do not hold a whole, sane
// batch (a torn write at the tail, a bad length, a bad CRC when checked). The
// caller decides whether that is a tail to truncate (recovery) or corruption
// to report.
//
// Thread-safety: one thread at a time; the file may be appended to meanwhile
// (bytes past `end_position` are never read).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "record/record_batch.h"
#include "samsa/env.h"

namespace samsa {

// A batch found in a .log file: its header fields, and in the whole-batch
// modes a view of all of it (valid until the next call to Next()).
struct LocatedBatch {
  int64_t position = 0;  // byte position in the file
  int64_t size = 0;      // 12 + batchLength
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t max_timestamp = 0;
  // Producer fields (idempotent producers; -1 when none).
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  bool control = false;
  std::optional<record::RecordBatchView> batch;
};

class BatchIterator {
 public:
  enum class Mode {
    kHeaders,      // sanity of the header only; batch bytes may be partial
    kWholeBatch,   // whole batch read; header checked
    kVerifiedCrc,  // whole batch read; header and CRC checked
  };

  // "file" must outlive the iterator.
  BatchIterator(const File* file, int64_t start_position, int64_t end_position, Mode mode,
                size_t chunk_bytes = 1 << 20);

  struct Step {
    enum Kind { kBatch, kEnd, kInvalid } kind = kEnd;
    LocatedBatch located;  // when kBatch
    std::string reason;    // when kInvalid: what is wrong at `position()`
  };
  // I/O errors are returned as a status; data problems as a kInvalid step.
  absl::StatusOr<Step> Next();

  // Where the next batch would start: after kInvalid, the first bad byte.
  int64_t position() const { return position_; }

 private:
  absl::Status Fill(int64_t position, size_t min_bytes);

  const File* file_;
  int64_t position_;
  const int64_t end_;
  const Mode mode_;
  const size_t chunk_bytes_;
  std::string buffer_;
  int64_t buffer_start_ = 0;
  std::string_view buffered_;
};

}  // namespace samsa
