#include "record/record_batch.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "record/compression.h"
#include "record/crc32c.h"
#include "record/varint.h"
#include "samsa/errors.h"
#include "util/endian.h"

namespace samsa::record {
namespace {

// The smallest batchLength: the header after the batchLength field.
constexpr int32_t kMinBatchLength = static_cast<int32_t>(kBatchHeaderSize - kLogOverhead);
// The smallest encoding of a record: length, attributes, timestampDelta,
// offsetDelta, keyLength, valueLength, headerCount — 7 bytes.
constexpr int kMinRecordSize = 7;

absl::Status Corrupt(std::string_view what) {
  return KafkaError(ErrorCode::kCorruptMessage, std::string(what));
}

}  // namespace

// --- RecordBatchView -----------------------------------------------------------------

absl::StatusOr<RecordBatchView> RecordBatchView::Parse(std::string_view bytes, bool verify_crc) {
  if (bytes.size() < kBatchHeaderSize) {
    return Corrupt(fmt::format("batch header needs {} bytes, have {}", kBatchHeaderSize, bytes.size()));
  }
  const int32_t length = static_cast<int32_t>(LoadBE32(bytes.data() + kBatchLengthPos));
  const int64_t base_offset = static_cast<int64_t>(LoadBE64(bytes.data() + kBaseOffsetPos));
  if (length < kMinBatchLength) {
    return Corrupt(fmt::format("batch at offset {}: batchLength {} is below the minimum {}",
                               base_offset, length, kMinBatchLength));
  }
  if (static_cast<uint64_t>(length) + kLogOverhead > bytes.size()) {
    return Corrupt(fmt::format("batch at offset {}: batchLength {} runs past the {} bytes available",
                               base_offset, length, bytes.size() - kLogOverhead));
  }
  const int8_t magic = static_cast<int8_t>(bytes[kMagicPos]);
  if (magic != kMagic) {
    return Corrupt(fmt::format("batch at offset {}: magic {} (only v2 batches are supported)",
                               base_offset, static_cast<int>(magic)));
  }
  RecordBatchView view(bytes.substr(0, static_cast<size_t>(length) + kLogOverhead));
  if (verify_crc && !view.IsCrcValid()) {
    return Corrupt(fmt::format("batch at offset {}: CRC mismatch (stored {:#010x}, computed {:#010x})",
                               base_offset, view.crc(), view.ComputeCrc()));
  }
  if (view.records_count() < 0) {
    return Corrupt(fmt::format("batch at offset {}: negative record count {}", base_offset,
                               view.records_count()));
  }
  return view;
}

std::optional<int64_t> RecordBatchView::PeekSize(std::string_view bytes) {
  if (bytes.size() < kLogOverhead) return std::nullopt;
  return kLogOverhead + static_cast<int64_t>(static_cast<int32_t>(LoadBE32(bytes.data() + kBatchLengthPos)));
}

int64_t RecordBatchView::base_offset() const { return static_cast<int64_t>(LoadBE64(bytes_.data())); }
int32_t RecordBatchView::batch_length() const { return static_cast<int32_t>(LoadBE32(bytes_.data() + kBatchLengthPos)); }
int32_t RecordBatchView::partition_leader_epoch() const {
  return static_cast<int32_t>(LoadBE32(bytes_.data() + kPartitionLeaderEpochPos));
}
int8_t RecordBatchView::magic() const { return static_cast<int8_t>(bytes_[kMagicPos]); }
uint32_t RecordBatchView::crc() const { return LoadBE32(bytes_.data() + kCrcPos); }
int16_t RecordBatchView::attributes() const { return static_cast<int16_t>(LoadBE16(bytes_.data() + kAttributesPos)); }
int32_t RecordBatchView::last_offset_delta() const {
  return static_cast<int32_t>(LoadBE32(bytes_.data() + kLastOffsetDeltaPos));
}
int64_t RecordBatchView::base_timestamp() const { return static_cast<int64_t>(LoadBE64(bytes_.data() + kBaseTimestampPos)); }
int64_t RecordBatchView::max_timestamp() const { return static_cast<int64_t>(LoadBE64(bytes_.data() + kMaxTimestampPos)); }
int64_t RecordBatchView::producer_id() const { return static_cast<int64_t>(LoadBE64(bytes_.data() + kProducerIdPos)); }
int16_t RecordBatchView::producer_epoch() const { return static_cast<int16_t>(LoadBE16(bytes_.data() + kProducerEpochPos)); }
int32_t RecordBatchView::base_sequence() const { return static_cast<int32_t>(LoadBE32(bytes_.data() + kBaseSequencePos)); }
int32_t RecordBatchView::records_count() const { return static_cast<int32_t>(LoadBE32(bytes_.data() + kRecordsCountPos)); }

CompressionType RecordBatchView::compression() const {
  return static_cast<CompressionType>(attributes() & kAttrCompressionMask);
}
TimestampType RecordBatchView::timestamp_type() const {
  return (attributes() & kAttrTimestampTypeBit) ? TimestampType::kLogAppendTime : TimestampType::kCreateTime;
}
bool RecordBatchView::is_transactional() const { return attributes() & kAttrTransactionalBit; }
bool RecordBatchView::is_control() const { return attributes() & kAttrControlBit; }

uint32_t RecordBatchView::ComputeCrc() const {
  return Crc32cExtend(0, bytes_.data() + kAttributesPos, bytes_.size() - kAttributesPos);
}

// --- RecordReader ----------------------------------------------------------------------

RecordReader::RecordReader(RecordBatchView batch, std::string owned)
    : batch_(batch),
      owned_(std::move(owned)),
      count_(batch_.records_count()),
      base_offset_(batch_.base_offset()),
      base_timestamp_(batch_.base_timestamp()) {
  data_ = batch_.compression() == CompressionType::kNone ? batch_.bytes().substr(kRecordsPos)
                                                         : std::string_view(owned_);
  if (batch_.timestamp_type() == TimestampType::kLogAppendTime) {
    log_append_time_ = batch_.max_timestamp();
  }
}

RecordReader::RecordReader(RecordReader&& other) noexcept : batch_(other.batch_) {
  *this = std::move(other);
}

RecordReader& RecordReader::operator=(RecordReader&& other) noexcept {
  const bool points_into_owned = other.data_.data() == other.owned_.data() && !other.owned_.empty();
  batch_ = other.batch_;
  owned_ = std::move(other.owned_);
  data_ = points_into_owned ? std::string_view(owned_) : other.data_;
  pos_ = other.pos_;
  read_ = other.read_;
  count_ = other.count_;
  base_offset_ = other.base_offset_;
  base_timestamp_ = other.base_timestamp_;
  log_append_time_ = other.log_append_time_;
  return *this;
}

absl::StatusOr<RecordReader> RecordReader::Open(const RecordBatchView& batch,
                                                size_t max_decompressed_bytes) {
  const CompressionType compression = batch.compression();
  if (compression == CompressionType::kNone) return RecordReader(batch, std::string());
  if (static_cast<uint8_t>(compression) > static_cast<uint8_t>(CompressionType::kZstd)) {
    return KafkaError(ErrorCode::kUnsupportedCompressionType,
                      fmt::format("batch at offset {}: compression codec {}", batch.base_offset(),
                                  static_cast<int>(compression)));
  }
  std::string decompressed;
  absl::Status s = Decompress(compression, batch.bytes().substr(kRecordsPos), &decompressed,
                              max_decompressed_bytes);
  if (!s.ok()) {
    return KafkaError(ErrorCode::kCorruptMessage,
                      fmt::format("batch at offset {}: {}", batch.base_offset(), std::string(s.message())));
  }
  return RecordReader(batch, std::move(decompressed));
}

absl::StatusOr<bool> RecordReader::Next(RecordView* out) {
  const int32_t count = count_;
  const auto corrupt = [&](std::string_view what) {
    return Corrupt(fmt::format("batch at offset {}, record {}: {}", batch_.base_offset(), read_, what));
  };
  if (read_ >= count) {
    if (pos_ != data_.size()) {
      return Corrupt(fmt::format("batch at offset {}: {} bytes after its {} records",
                                 batch_.base_offset(), data_.size() - pos_, count));
    }
    return false;
  }
  const char* p = data_.data() + pos_;
  const char* const end = data_.data() + data_.size();
  if (p == end) {
    return Corrupt(fmt::format("batch at offset {}: records end after {} of {}", batch_.base_offset(),
                               read_, count));
  }
  int32_t length = 0;
  p = GetVarint(p, end, &length);
  if (p == nullptr) return corrupt("bad record length varint");
  if (length < kMinRecordSize - 1 || length > end - p) {
    return corrupt(fmt::format("record length {} does not fit the {} bytes left", length, end - p));
  }
  const char* const record_end = p + length;
  out->attributes = static_cast<int8_t>(*p++);
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  if ((p = GetVarlong(p, record_end, &timestamp_delta)) == nullptr) return corrupt("bad timestamp delta");
  if ((p = GetVarint(p, record_end, &offset_delta)) == nullptr) return corrupt("bad offset delta");
  const auto read_bytes = [&](std::optional<std::string_view>* field, const char* what) -> bool {
    int32_t n = 0;
    p = GetVarint(p, record_end, &n);
    if (p == nullptr || n < -1 || n > record_end - p) return false;
    if (n == -1) {
      *field = std::nullopt;
    } else {
      *field = std::string_view(p, static_cast<size_t>(n));
      p += n;
    }
    return true;
  };
  if (!read_bytes(&out->key, "key")) return corrupt("bad key length");
  if (!read_bytes(&out->value, "value")) return corrupt("bad value length");
  int32_t header_count = 0;
  if ((p = GetVarint(p, record_end, &header_count)) == nullptr) return corrupt("bad header count");
  // Each header takes two bytes at least: never trust the count for allocation.
  if (header_count < 0 || header_count > (record_end - p) / 2) {
    return corrupt(fmt::format("header count {} does not fit the record", header_count));
  }
  out->headers.clear();
  for (int32_t i = 0; i < header_count; ++i) {
    std::optional<std::string_view> key, value;
    if (!read_bytes(&key, "header key") || !key.has_value()) return corrupt("bad header key");
    if (!read_bytes(&value, "header value")) return corrupt("bad header value");
    out->headers.push_back({*key, value});
  }
  if (p != record_end) {
    return corrupt(fmt::format("{} unread bytes inside the record", record_end - p));
  }
  // As Kafka's DefaultRecord.readFrom: Java long additions, which wrap.
  out->offset = WrappingAdd(base_offset_, offset_delta);
  out->timestamp =
      log_append_time_ ? *log_append_time_ : WrappingAdd(base_timestamp_, timestamp_delta);
  pos_ = static_cast<size_t>(record_end - data_.data());
  ++read_;
  return true;
}

namespace {

// ValidateRecords' fast path: whether the uncompressed records in `data`
// pass every check of the full path below — each record's framing (length,
// varints, key, value and headers within it, nothing left over), `count`
// records and no bytes after them, offset deltas 0, 1, ... (dense) or
// increasing, none past `last_delta` — without decoding the records into
// RecordViews. False for any failure: the full path then finds it and words
// the error. On the broker's append path (every produced batch): RecordReader
// per record was ~240 instructions of pubsub_bench's ~480 per 100-byte record
// on the producer's sender (callgrind, BM_ProduceOnly/100).
// When true, also sets `*timestamps` from the records' timestamps
// (base_timestamp + delta).
bool RecordsWellFormed(std::string_view data, int32_t count, int32_t last_delta, bool dense,
                       int64_t base_timestamp, RecordTimestamps* timestamps) {
  const char* p = data.data();
  const char* const end = p + data.size();
  int32_t previous = -1;
  int64_t max = kNoTimestamp;
  int64_t min = std::numeric_limits<int64_t>::max();
  for (int32_t i = 0; i < count; ++i) {
    int32_t length = 0;
    if ((p = GetVarint(p, end, &length)) == nullptr) return false;
    if (length < kMinRecordSize - 1 || length > end - p) return false;
    const char* const record_end = p + length;
    ++p;  // attributes
    int64_t timestamp_delta = 0;
    int32_t offset_delta = 0;
    if ((p = GetVarlong(p, record_end, &timestamp_delta)) == nullptr) return false;
    if ((p = GetVarint(p, record_end, &offset_delta)) == nullptr) return false;
    if (dense ? offset_delta != i : offset_delta <= previous) return false;
    if (offset_delta > last_delta) return false;
    previous = offset_delta;
    const int64_t timestamp = WrappingAdd(base_timestamp, timestamp_delta);
    max = std::max(max, timestamp);
    if (timestamp != kNoTimestamp) min = std::min(min, timestamp);
    // A length, then that many bytes; -1 (null) only where `nullable`.
    const auto skip_bytes = [&](bool nullable) {
      int32_t n = 0;
      p = GetVarint(p, record_end, &n);
      if (p == nullptr || n < (nullable ? -1 : 0) || n > record_end - p) return false;
      if (n > 0) p += n;
      return true;
    };
    if (!skip_bytes(true) || !skip_bytes(true)) return false;  // key, value
    int32_t header_count = 0;
    if ((p = GetVarint(p, record_end, &header_count)) == nullptr) return false;
    if (header_count < 0 || header_count > (record_end - p) / 2) return false;
    for (int32_t h = 0; h < header_count; ++h) {
      if (!skip_bytes(false) || !skip_bytes(true)) return false;
    }
    if (p != record_end) return false;
  }
  if (p != end) return false;
  timestamps->max = max;
  timestamps->min = min == std::numeric_limits<int64_t>::max() ? kNoTimestamp : min;
  return true;
}

}  // namespace

absl::Status ValidateRecords(const RecordBatchView& batch, bool require_dense_offsets,
                             RecordTimestamps* timestamps) {
  RecordTimestamps found;
  const bool log_append_time = batch.timestamp_type() == TimestampType::kLogAppendTime;
  // Every record reads as the batch's maxTimestamp (RecordReader, Kafka's
  // DefaultRecordBatch).
  const auto finish = [&] {
    if (log_append_time) {
      found.max = batch.max_timestamp();
      found.min = found.max == kNoTimestamp ? kNoTimestamp : found.max;
    }
    if (timestamps != nullptr) *timestamps = found;
    return absl::OkStatus();
  };
  // Offsets base + delta that cannot wrap: the fast path compares deltas.
  const int64_t base = batch.base_offset();
  if (batch.compression() == CompressionType::kNone && base >= 0 &&
      base <= std::numeric_limits<int64_t>::max() - std::numeric_limits<int32_t>::max() &&
      batch.records_count() > 0 &&
      (!require_dense_offsets || batch.last_offset_delta() == batch.records_count() - 1) &&
      RecordsWellFormed(batch.bytes().substr(kRecordsPos), batch.records_count(),
                        batch.last_offset_delta(), require_dense_offsets, batch.base_timestamp(),
                        &found)) {
    return finish();
  }
  if (batch.records_count() <= 0 && require_dense_offsets) {
    return Corrupt(fmt::format("batch at offset {}: no records", batch.base_offset()));
  }
  if (require_dense_offsets && batch.last_offset_delta() != batch.records_count() - 1) {
    return Corrupt(fmt::format("batch at offset {}: lastOffsetDelta {} with {} records",
                               batch.base_offset(), batch.last_offset_delta(), batch.records_count()));
  }
  absl::StatusOr<RecordReader> reader = RecordReader::Open(batch);
  if (!reader.ok()) return reader.status();
  RecordView record;
  int64_t expected = batch.base_offset();
  int64_t previous = WrappingAdd(batch.base_offset(), -1);
  while (true) {
    absl::StatusOr<bool> more = reader->Next(&record);
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (require_dense_offsets ? record.offset != expected : record.offset <= previous) {
      return Corrupt(fmt::format("batch at offset {}: record offset {} out of order",
                                 batch.base_offset(), record.offset));
    }
    if (record.offset > batch.last_offset()) {
      return Corrupt(fmt::format("batch at offset {}: record offset {} past lastOffsetDelta",
                                 batch.base_offset(), record.offset));
    }
    previous = record.offset;
    expected = WrappingAdd(expected, 1);
    found.max = std::max(found.max, record.timestamp);
    if (record.timestamp != kNoTimestamp &&
        (found.min == kNoTimestamp || record.timestamp < found.min)) {
      found.min = record.timestamp;
    }
  }
  return finish();
}

// --- RecordBatchBuilder ----------------------------------------------------------------


RecordBatchBuilder::RecordBatchBuilder(RecordBatchOptions options)
    : options_(options), records_(kBatchHeaderSize, '\0') {}

// records_ is zero-filled ahead of size_ in steps (std::string has no
// uninitialized resize before C++23): a resize per record cost ~70
// instructions of the producer's ~900 per 100-byte record (callgrind,
// pubsub_bench BM_ProduceOnly/100); a step inside the reserved capacity
// costs one memset per ~kFillStep bytes.
char* RecordBatchBuilder::GrowSlow(size_t total) {
  const size_t need = size_ + total;
  size_t to = need;
  if (need <= records_.capacity()) {
    to = std::min(records_.capacity(), std::max(need, records_.size() + kFillStep));
  }
  records_.resize(to);
  char* p = records_.data() + size_;
  size_ = need;
  return p;
}

void RecordBatchBuilder::Append(int64_t timestamp, std::optional<std::string_view> key,
                                std::optional<std::string_view> value,
                                absl::Span<const RecordHeader> headers) {
  AppendWithOffset(last_offset_ < 0 ? options_.base_offset : last_offset_ + 1, timestamp, key,
                   value, headers);
}

// Encodes straight into records_ (the body's size is computed first for its
// length prefix): no per-record buffer. On the producer's hot path.
void RecordBatchBuilder::AppendWithOffset(int64_t offset, int64_t timestamp,
                                          std::optional<std::string_view> key,
                                          std::optional<std::string_view> value,
                                          absl::Span<const RecordHeader> headers) {
  if (num_records_ == 0) base_timestamp_ = timestamp;
  max_timestamp_ = std::max(max_timestamp_, timestamp);
  last_offset_ = offset;
  // Wrapping, as Java's long arithmetic: the reader adds it back the same way.
  const int64_t timestamp_delta = WrappingSub(timestamp, base_timestamp_);
  const int32_t offset_delta = static_cast<int32_t>(offset - options_.base_offset);
  const size_t body = RecordBodySize(timestamp_delta, offset_delta, key, value, headers);
  const size_t total = VarintSize(static_cast<int32_t>(body)) + body;
  // Room once, then plain stores: appending field by field checked the
  // capacity and wrote a terminator per field.
  char* const start = Grow(total);
  char* p = start;
  p = EncodeVarint(p, static_cast<int32_t>(body));
  *p++ = 0;  // attributes
  p = EncodeVarlong(p, timestamp_delta);
  p = EncodeVarint(p, offset_delta);
  const auto put_bytes = [&p](std::optional<std::string_view> bytes) {
    if (!bytes) {
      p = EncodeVarint(p, -1);
      return;
    }
    p = EncodeVarint(p, static_cast<int32_t>(bytes->size()));
    if (!bytes->empty()) std::memcpy(p, bytes->data(), bytes->size());
    p += bytes->size();
  };
  put_bytes(key);
  put_bytes(value);
  p = EncodeVarint(p, static_cast<int32_t>(headers.size()));
  for (const RecordHeader& h : headers) {
    put_bytes(h.key);
    put_bytes(h.value);
  }
  assert(p == start + total);
  ++num_records_;
}

absl::StatusOr<std::string> RecordBatchBuilder::Build() {
  if (num_records_ == 0) return absl::FailedPreconditionError("a record batch needs a record");
  // records_ starts with room for the header: uncompressed, the batch is
  // records_ itself (no copy).
  std::string batch;
  if (options_.compression == CompressionType::kNone) {
    records_.resize(size_);  // drops the zero-filled slack
    batch = std::move(records_);
  } else {
    batch.assign(kBatchHeaderSize, '\0');
    absl::Status s = Compress(
        options_.compression,
        std::string_view(records_.data() + kBatchHeaderSize, size_ - kBatchHeaderSize), &batch,
        options_.compression_level);
    if (!s.ok()) return s;
  }
  records_.assign(kBatchHeaderSize, '\0');
  size_ = kBatchHeaderSize;
  char* h = batch.data();
  int16_t attributes = static_cast<int16_t>(options_.compression);
  if (options_.timestamp_type == TimestampType::kLogAppendTime) attributes |= kAttrTimestampTypeBit;
  if (options_.transactional) attributes |= kAttrTransactionalBit;
  if (options_.control) attributes |= kAttrControlBit;
  StoreBE64(h + kBaseOffsetPos, static_cast<uint64_t>(options_.base_offset));
  StoreBE32(h + kBatchLengthPos, static_cast<uint32_t>(batch.size() - kLogOverhead));
  StoreBE32(h + kPartitionLeaderEpochPos, static_cast<uint32_t>(options_.partition_leader_epoch));
  h[kMagicPos] = kMagic;
  StoreBE16(h + kAttributesPos, static_cast<uint16_t>(attributes));
  StoreBE32(h + kLastOffsetDeltaPos, static_cast<uint32_t>(last_offset_ - options_.base_offset));
  StoreBE64(h + kBaseTimestampPos, static_cast<uint64_t>(base_timestamp_));
  StoreBE64(h + kMaxTimestampPos, static_cast<uint64_t>(max_timestamp_));
  StoreBE64(h + kProducerIdPos, static_cast<uint64_t>(options_.producer_id));
  StoreBE16(h + kProducerEpochPos, static_cast<uint16_t>(options_.producer_epoch));
  StoreBE32(h + kBaseSequencePos, static_cast<uint32_t>(options_.base_sequence));
  StoreBE32(h + kRecordsCountPos, static_cast<uint32_t>(num_records_));
  StoreBE32(h + kCrcPos, Crc32cExtend(0, h + kAttributesPos, batch.size() - kAttributesPos));
  num_records_ = 0;
  return batch;
}

// --- In-place edits ----------------------------------------------------------------------

void SetBaseOffset(char* batch, int64_t base_offset) {
  StoreBE64(batch + kBaseOffsetPos, static_cast<uint64_t>(base_offset));
}

void SetPartitionLeaderEpoch(char* batch, int32_t epoch) {
  StoreBE32(batch + kPartitionLeaderEpochPos, static_cast<uint32_t>(epoch));
}

namespace {

// The CRC after an edit of a field it covers (attributes onwards).
void RewriteCrc(char* batch) {
  const size_t size = kLogOverhead + static_cast<int32_t>(LoadBE32(batch + kBatchLengthPos));
  StoreBE32(batch + kCrcPos, Crc32cExtend(0, batch + kAttributesPos, size - kAttributesPos));
}

}  // namespace

bool SetCreateTimeMaxTimestamp(char* batch, int64_t timestamp) {
  if (static_cast<int64_t>(LoadBE64(batch + kMaxTimestampPos)) == timestamp) return false;
  StoreBE64(batch + kMaxTimestampPos, static_cast<uint64_t>(timestamp));
  RewriteCrc(batch);
  return true;
}

void SetLogAppendTime(char* batch, int64_t timestamp) {
  const uint16_t attributes = LoadBE16(batch + kAttributesPos) | kAttrTimestampTypeBit;
  StoreBE16(batch + kAttributesPos, attributes);
  StoreBE64(batch + kMaxTimestampPos, static_cast<uint64_t>(timestamp));
  RewriteCrc(batch);
}

}  // namespace samsa::record
