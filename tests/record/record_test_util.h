// Helpers for the record layer's tests: codecs to loop over, owned copies of
// records, CRC fix-ups and hand-made batches for corruption cases.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "record/compression.h"
#include "record/crc32c.h"
#include "record/record_batch.h"
#include "record/record_batch_format.h"
#include "util/endian.h"

namespace samsa::record::testing {

inline constexpr std::array<CompressionType, 5> kAllCodecs = {
    CompressionType::kNone, CompressionType::kGzip, CompressionType::kSnappy,
    CompressionType::kLz4, CompressionType::kZstd};

struct OwnedHeader {
  std::string key;
  std::optional<std::string> value;
  friend bool operator==(const OwnedHeader&, const OwnedHeader&) = default;
};

struct OwnedRecord {
  int64_t offset = 0;
  int64_t timestamp = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<OwnedHeader> headers;
  friend bool operator==(const OwnedRecord&, const OwnedRecord&) = default;
};

inline OwnedRecord ToOwned(const RecordView& r) {
  OwnedRecord o;
  o.offset = r.offset;
  o.timestamp = r.timestamp;
  if (r.key) o.key = std::string(*r.key);
  if (r.value) o.value = std::string(*r.value);
  for (const RecordHeaderView& h : r.headers) {
    OwnedHeader oh;
    oh.key = std::string(h.key);
    if (h.value) oh.value = std::string(*h.value);
    o.headers.push_back(std::move(oh));
  }
  return o;
}

// Parses `bytes` as one batch and reads all its records; REQUIREs success.
inline std::vector<OwnedRecord> ReadAllRecords(std::string_view bytes) {
  absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(bytes);
  REQUIRE(view.ok());
  absl::StatusOr<RecordReader> reader = RecordReader::Open(*view);
  REQUIRE(reader.ok());
  std::vector<OwnedRecord> out;
  RecordView r;
  while (true) {
    absl::StatusOr<bool> more = reader->Next(&r);
    INFO(std::string(more.status().message()));
    REQUIRE(more.ok());
    if (!*more) break;
    out.push_back(ToOwned(r));
  }
  return out;
}

// Builds `builder` and REQUIREs success.
inline std::string BuildOrDie(RecordBatchBuilder& builder) {
  absl::StatusOr<std::string> batch = builder.Build();
  INFO(std::string(batch.status().message()));
  REQUIRE(batch.ok());
  return *std::move(batch);
}

// Recomputes the CRC-32C over [21, end) and stores it big-endian at 17, so a
// deliberate corruption gets past the CRC check to the code behind it.
inline void FixCrc(std::string* batch) {
  REQUIRE(batch->size() >= kBatchHeaderSize);
  StoreBE32(batch->data() + kCrcPos,
            Crc32c(std::string_view(*batch).substr(kAttributesPos)));
}

// A batch whose records section is exactly `records` (uncompressed unless
// `attributes` says otherwise), with `count` as recordsCount and a valid CRC:
// for records written by hand.
inline std::string MakeRawBatch(std::string_view records, int32_t count, int16_t attributes = 0,
                                int64_t base_offset = 0, int64_t base_timestamp = 1000,
                                int32_t last_offset_delta = 0) {
  std::string b(kBatchHeaderSize, '\0');
  b.append(records);
  char* h = b.data();
  StoreBE64(h + kBaseOffsetPos, static_cast<uint64_t>(base_offset));
  StoreBE32(h + kBatchLengthPos, static_cast<uint32_t>(b.size() - kLogOverhead));
  StoreBE32(h + kPartitionLeaderEpochPos, static_cast<uint32_t>(-1));
  h[kMagicPos] = 2;
  StoreBE16(h + kAttributesPos, static_cast<uint16_t>(attributes));
  StoreBE32(h + kLastOffsetDeltaPos, static_cast<uint32_t>(last_offset_delta));
  StoreBE64(h + kBaseTimestampPos, static_cast<uint64_t>(base_timestamp));
  StoreBE64(h + kMaxTimestampPos, static_cast<uint64_t>(base_timestamp));
  StoreBE64(h + kProducerIdPos, static_cast<uint64_t>(-1));
  StoreBE16(h + kProducerEpochPos, static_cast<uint16_t>(-1));
  StoreBE32(h + kBaseSequencePos, static_cast<uint32_t>(-1));
  StoreBE32(h + kRecordsCountPos, static_cast<uint32_t>(count));
  FixCrc(&b);
  return b;
}

// Bytes from a list of values 0..255.
inline std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

}  // namespace samsa::record::testing
