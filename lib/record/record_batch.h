// RecordBatchView: a validated, zero-copy view of one Kafka v2 record batch;
// RecordReader: iterates its records; RecordBatchBuilder: writes one.
// Layout in record_batch_format.h.
//
// Validation happens at the boundary: RecordBatchView::Parse checks the header
// of untrusted bytes (sizes, magic, CRC) and RecordReader checks every record
// (lengths, varint overflow, truncation, record count), returning
// kCorruptMessage statuses that name the offset and what was wrong. Nothing
// here crashes on any input.
//
// Thread-safety: views and readers are values for one thread at a time; the
// bytes they view must outlive them and not change meanwhile.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "record/record_batch_format.h"
#include "record/varint.h"

namespace samsa::record {

// a + b (a - b) wrapping around as a Java long does (no signed-overflow UB on
// untrusted fields).
inline int64_t WrappingAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int64_t WrappingSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

class RecordBatchView {
 public:
  // Parses the batch at the start of `bytes`, which may continue past it.
  // Checks: at least kBatchHeaderSize bytes, batchLength within [49, available
  // - 12], magic 2, and (when `verify_crc`) the CRC-32C. The records section is
  // not decoded here (see RecordReader).
  static absl::StatusOr<RecordBatchView> Parse(std::string_view bytes, bool verify_crc = true);

  // Size of the batch at the start of `bytes` from its batchLength, without
  // other checks: lets a scanner skip batches. nullopt if fewer than 12 bytes.
  static std::optional<int64_t> PeekSize(std::string_view bytes);

  std::string_view bytes() const { return bytes_; }    // the whole batch
  size_t size_in_bytes() const { return bytes_.size(); }  // 12 + batchLength

  int64_t base_offset() const;
  int32_t batch_length() const;
  int32_t partition_leader_epoch() const;
  int8_t magic() const;
  uint32_t crc() const;  // as stored
  int16_t attributes() const;
  int32_t last_offset_delta() const;
  // Added as Java longs (wrapping), as Kafka does: the fields are untrusted.
  int64_t last_offset() const { return WrappingAdd(base_offset(), last_offset_delta()); }
  int64_t next_offset() const { return WrappingAdd(last_offset(), 1); }
  int64_t base_timestamp() const;
  int64_t max_timestamp() const;
  int64_t producer_id() const;
  int16_t producer_epoch() const;
  int32_t base_sequence() const;
  int32_t records_count() const;

  CompressionType compression() const;
  TimestampType timestamp_type() const;
  bool is_transactional() const;
  bool is_control() const;

  // CRC-32C of bytes [21, end) as computed now.
  uint32_t ComputeCrc() const;
  bool IsCrcValid() const { return ComputeCrc() == crc(); }

 private:
  explicit RecordBatchView(std::string_view bytes) : bytes_(bytes) {}
  std::string_view bytes_;
};

// A header as read: views into the batch (or its decompressed records).
struct RecordHeaderView {
  std::string_view key;
  std::optional<std::string_view> value;  // nullopt: null header value
};

// One record as read: views into the batch (uncompressed) or into the
// reader's decompressed buffer.
struct RecordView {
  int64_t offset = 0;     // base_offset + offsetDelta
  int64_t timestamp = 0;  // baseTimestamp + timestampDelta, or maxTimestamp
                          // for LogAppendTime batches (as Kafka's consumer does)
  int8_t attributes = 0;
  std::optional<std::string_view> key;    // nullopt: null key
  std::optional<std::string_view> value;  // nullopt: tombstone
  std::vector<RecordHeaderView> headers;
};

// Iterates the records of one batch, validating each. For a compressed batch
// the records section is decompressed once, into a buffer the reader owns.
class RecordReader {
 public:
  // Fails (kCorruptMessage) if decompression fails or the decompressed size
  // passes `max_decompressed_bytes`.
  static absl::StatusOr<RecordReader> Open(const RecordBatchView& batch,
                                           size_t max_decompressed_bytes = 256u << 20);

  // Reads the next record into `*out`: true if read, false at the end (after
  // records_count records; trailing bytes or too few records are errors).
  absl::StatusOr<bool> Next(RecordView* out);

  // The bytes record views point into: the batch's own records section, or
  // the decompressed buffer. Owned by the reader when decompressed.
  std::string_view records_data() const { return data_; }
  bool decompressed() const { return !owned_.empty() || batch_.compression() != CompressionType::kNone; }

  RecordReader(RecordReader&&) noexcept;
  RecordReader& operator=(RecordReader&&) noexcept;

 private:
  RecordReader(RecordBatchView batch, std::string owned);
  RecordBatchView batch_;
  std::string owned_;      // decompressed records, when compressed
  std::string_view data_;  // what is parsed: into batch_ or owned_
  size_t pos_ = 0;
  int32_t read_ = 0;
  // From the batch header, read once rather than per record.
  int32_t count_ = 0;
  int64_t base_offset_ = 0;
  int64_t base_timestamp_ = 0;
  std::optional<int64_t> log_append_time_;  // set for LogAppendTime batches
};

// The span of a batch's record timestamps: base timestamp plus each record's
// delta, as written (for a LogAppendTime batch, its maxTimestamp). A broker
// checks them against message.timestamp.{before,after}.max.ms and sets the
// batch's maxTimestamp from them, as Kafka's LogValidator does: producers
// are not trusted with the header (sarama 1.22 sends maxTimestamp -1).
struct RecordTimestamps {
  int64_t max = kNoTimestamp;  // the largest; -1 (NO_TIMESTAMP) when every record has -1
  int64_t min = kNoTimestamp;  // the smallest other than -1; -1 when there is none
};

// Validates every record of `batch` (RecordReader over all of it) and checks
// that offset deltas run 0..records_count-1 with lastOffsetDelta matching
// when `require_dense_offsets` (what a broker requires of a producer's batch).
// On success, fills `*timestamps` when given.
absl::Status ValidateRecords(const RecordBatchView& batch, bool require_dense_offsets,
                             RecordTimestamps* timestamps = nullptr);

// A header to write.
struct RecordHeader {
  std::string_view key;
  std::optional<std::string_view> value;
};

struct RecordBatchOptions {
  CompressionType compression = CompressionType::kNone;
  TimestampType timestamp_type = TimestampType::kCreateTime;
  int64_t base_offset = 0;
  int32_t partition_leader_epoch = kNoPartitionLeaderEpoch;
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = kNoProducerEpoch;
  int32_t base_sequence = kNoSequence;
  bool transactional = false;
  bool control = false;
  // Codec level; 0 means the codec's default.
  int compression_level = 0;
};

// Builds one batch. Records get offset deltas 0, 1, 2, ... unless appended
// with an explicit offset (gaps allowed, increasing), as compaction needs.
class RecordBatchBuilder {
 public:
  explicit RecordBatchBuilder(RecordBatchOptions options = {});
  // A moved-from builder is empty again, with the same options: it may be
  // appended to and built like a new one.
  RecordBatchBuilder(RecordBatchBuilder&& other) noexcept
      : RecordBatchBuilder(other.options_) {
    Swap(other);
  }
  RecordBatchBuilder& operator=(RecordBatchBuilder&& other) noexcept {
    if (this != &other) {
      RecordBatchBuilder fresh(other.options_);
      Swap(other);
      other.Swap(fresh);
    }
    return *this;
  }
  RecordBatchBuilder(const RecordBatchBuilder&) = delete;
  RecordBatchBuilder& operator=(const RecordBatchBuilder&) = delete;

  void Append(int64_t timestamp, std::optional<std::string_view> key,
              std::optional<std::string_view> value, absl::Span<const RecordHeader> headers = {});
  // REQUIRES: offset > the previous record's offset and >= options.base_offset.
  void AppendWithOffset(int64_t offset, int64_t timestamp, std::optional<std::string_view> key,
                        std::optional<std::string_view> value,
                        absl::Span<const RecordHeader> headers = {});

  // Allocates room for a batch of `bytes` (header included) now.
  void Reserve(size_t bytes) { records_.reserve(bytes); }

  int32_t num_records() const { return num_records_; }
  bool empty() const { return num_records_ == 0; }
  // Size of the batch if built uncompressed now (header + records so far):
  // an upper bound to check batch.size / max.message.bytes against.
  size_t EstimatedSizeInBytes() const { return size_; }
  // Bytes one more record of this shape would add (uncompressed). Inline:
  // on the producer's path, twice per record.
  static size_t EstimateRecordSize(int64_t timestamp_delta, int64_t offset_delta,
                                   std::optional<std::string_view> key,
                                   std::optional<std::string_view> value,
                                   absl::Span<const RecordHeader> headers) {
    const size_t body = RecordBodySize(timestamp_delta, offset_delta, key, value, headers);
    return static_cast<size_t>(VarintSize(static_cast<int32_t>(body))) + body;
  }
  // The encoded size of a record's body (everything after its length varint).
  static size_t RecordBodySize(int64_t timestamp_delta, int64_t offset_delta,
                               std::optional<std::string_view> key,
                               std::optional<std::string_view> value,
                               absl::Span<const RecordHeader> headers) {
    const auto bytes = [](std::optional<std::string_view> b) -> size_t {
      return b ? static_cast<size_t>(VarintSize(static_cast<int32_t>(b->size()))) + b->size() : 1;
    };
    size_t body = 1 + static_cast<size_t>(VarlongSize(timestamp_delta)) +
                  static_cast<size_t>(VarintSize(static_cast<int32_t>(offset_delta)));
    body += bytes(key) + bytes(value);
    body += static_cast<size_t>(VarintSize(static_cast<int32_t>(headers.size())));
    for (const RecordHeader& h : headers) body += bytes(h.key) + bytes(h.value);
    return body;
  }

  // Compresses, writes the header and the CRC. An empty builder yields an
  // error. The builder is spent afterwards.
  absl::StatusOr<std::string> Build();

 private:
  RecordBatchOptions options_;
  // Returns where `total` more bytes go, after the size_ bytes written.
  // Inline fast path: once per record on the producer's path.
  char* Grow(size_t total) {
    // Not records_.size() - size_, which would wrap if size_ ever exceeded
    // the buffer.
    if (size_ + total <= records_.size()) {
      char* p = records_.data() + size_;
      size_ += total;
      return p;
    }
    return GrowSlow(total);
  }
  char* GrowSlow(size_t total);
  static constexpr size_t kFillStep = 2048;
  void Swap(RecordBatchBuilder& other) noexcept {
    std::swap(options_, other.options_);
    records_.swap(other.records_);
    std::swap(size_, other.size_);
    std::swap(num_records_, other.num_records_);
    std::swap(base_timestamp_, other.base_timestamp_);
    std::swap(max_timestamp_, other.max_timestamp_);
    std::swap(last_offset_, other.last_offset_);
  }

  // Room for the batch header, then the encoded records, uncompressed:
  // size_ bytes written, zeros after them.
  std::string records_;
  size_t size_ = kBatchHeaderSize;
  int32_t num_records_ = 0;
  int64_t base_timestamp_ = 0;
  int64_t max_timestamp_ = kNoTimestamp;
  int64_t last_offset_ = -1;
};

// In-place edits of a batch held in a mutable buffer (a broker's Append).
// REQUIRES: `batch` holds a batch that RecordBatchView::Parse accepted.
void SetBaseOffset(char* batch, int64_t base_offset);          // not under the CRC
void SetPartitionLeaderEpoch(char* batch, int32_t epoch);      // not under the CRC
// Sets the LogAppendTime attribute and maxTimestamp = `timestamp`, then
// rewrites the CRC (as Kafka's broker does for message.timestamp.type=LogAppendTime).
void SetLogAppendTime(char* batch, int64_t timestamp);
// Sets maxTimestamp of a CreateTime batch and rewrites the CRC, unless it
// already holds `timestamp` (Kafka's DefaultRecordBatch.setMaxTimestamp).
// Returns whether the batch changed.
bool SetCreateTimeMaxTimestamp(char* batch, int64_t timestamp);

}  // namespace samsa::record
