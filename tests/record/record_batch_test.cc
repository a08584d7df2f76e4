#include "record/record_batch.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "record/compression.h"
#include "record/crc32c.h"
#include "record/varint.h"
#include "record_test_util.h"
#include "samsa/errors.h"
#include "util/endian.h"

namespace samsa::record {
namespace {

using testing::BuildOrDie;
using testing::kAllCodecs;
using testing::OwnedHeader;
using testing::OwnedRecord;
using testing::ReadAllRecords;

// Readers of raw header fields, for checks that do not go through the view.
int64_t I64(const std::string& b, size_t pos) { return static_cast<int64_t>(LoadBE64(b.data() + pos)); }
int32_t I32(const std::string& b, size_t pos) { return static_cast<int32_t>(LoadBE32(b.data() + pos)); }
int16_t I16(const std::string& b, size_t pos) { return static_cast<int16_t>(LoadBE16(b.data() + pos)); }
uint8_t U8(const std::string& b, size_t pos) { return static_cast<uint8_t>(b[pos]); }

// A varied record set: null keys, tombstones, empty keys and values, headers
// with null values, a large value, timestamps going back and forth.
std::vector<OwnedRecord> SampleRecords(int64_t base_offset) {
  std::vector<OwnedRecord> out;
  for (int i = 0; i < 40; ++i) {
    OwnedRecord r;
    r.offset = base_offset + i;
    r.timestamp = 1'700'000'000'000 + (i % 5 == 3 ? -i : i * 7);
    if (i % 7 != 0) r.key = "key-" + std::to_string(i);
    if (i == 4) r.key = "";
    if (i % 11 != 5) r.value = std::string(static_cast<size_t>(i) * 3, static_cast<char>('a' + i % 26));
    if (i == 20) r.value = std::string(100 * 1024, 'z');
    for (int h = 0; h < i % 4; ++h) {
      OwnedHeader hd;
      hd.key = "h" + std::to_string(h);
      if (h != 1) hd.value = std::string(static_cast<size_t>(h), '\x01');
      r.headers.push_back(hd);
    }
    if (i == 9) r.headers.push_back({"caf\xC3\xA9", std::string("\0\xFF", 2)});
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<RecordHeader> HeadersOf(const OwnedRecord& r) {
  std::vector<RecordHeader> hs;
  for (const OwnedHeader& h : r.headers) {
    RecordHeader rh;
    rh.key = h.key;
    if (h.value) rh.value = std::string_view(*h.value);
    hs.push_back(rh);
  }
  return hs;
}

std::optional<std::string_view> ViewOf(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return std::string_view(*s);
}

std::string BuildFrom(const std::vector<OwnedRecord>& records, RecordBatchOptions options) {
  RecordBatchBuilder builder(options);
  for (const OwnedRecord& r : records) {
    const std::vector<RecordHeader> hs = HeadersOf(r);
    builder.AppendWithOffset(r.offset, r.timestamp, ViewOf(r.key), ViewOf(r.value), hs);
  }
  return BuildOrDie(builder);
}

TEST_CASE("records round trip through every codec", "[record][batch]") {
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    RecordBatchOptions options;
    options.compression = codec;
    options.base_offset = 5000;
    const std::vector<OwnedRecord> records = SampleRecords(5000);
    const std::string batch = BuildFrom(records, options);

    absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(batch);
    REQUIRE(view.ok());
    CHECK(view->compression() == codec);
    CHECK(view->size_in_bytes() == batch.size());
    CHECK(view->records_count() == 40);
    CHECK(view->base_offset() == 5000);
    CHECK(view->last_offset_delta() == 39);
    CHECK(view->last_offset() == 5039);
    CHECK(view->next_offset() == 5040);
    CHECK(view->base_timestamp() == records[0].timestamp);
    int64_t max_ts = records[0].timestamp;
    for (const OwnedRecord& r : records) max_ts = std::max(max_ts, r.timestamp);
    CHECK(view->max_timestamp() == max_ts);
    CHECK(view->IsCrcValid());
    if (codec != CompressionType::kNone) CHECK(batch.size() < 100 * 1024);

    const std::vector<OwnedRecord> back = ReadAllRecords(batch);
    REQUIRE(back.size() == records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      INFO("record " << i);
      CHECK(back[i] == records[i]);
    }
    CHECK(ValidateRecords(*view, /*require_dense_offsets=*/true).ok());

    absl::StatusOr<RecordReader> reader = RecordReader::Open(*view);
    REQUIRE(reader.ok());
    CHECK(reader->decompressed() == (codec != CompressionType::kNone));
  }
}

TEST_CASE("Append gives consecutive offsets from base_offset", "[record][batch]") {
  RecordBatchOptions options;
  options.base_offset = 77;
  RecordBatchBuilder builder(options);
  CHECK(builder.empty());
  builder.Append(10, "a", "1");
  builder.Append(12, std::nullopt, "2");
  builder.Append(11, "c", std::nullopt);
  CHECK(builder.num_records() == 3);
  const std::string batch = BuildOrDie(builder);
  const std::vector<OwnedRecord> back = ReadAllRecords(batch);
  REQUIRE(back.size() == 3);
  CHECK(back[0].offset == 77);
  CHECK(back[1].offset == 78);
  CHECK(back[2].offset == 79);
  CHECK(back[0].timestamp == 10);
  CHECK(back[1].timestamp == 12);
  CHECK(back[2].timestamp == 11);
  CHECK(back[1].key == std::nullopt);
  CHECK(back[2].value == std::nullopt);
  CHECK(I64(batch, kMaxTimestampPos) == 12);
  CHECK(I64(batch, kBaseTimestampPos) == 10);
}

TEST_CASE("AppendWithOffset leaves gaps, as compaction does", "[record][batch]") {
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    RecordBatchOptions options;
    options.base_offset = 100;
    options.compression = codec;
    RecordBatchBuilder builder(options);
    builder.AppendWithOffset(100, 1, "a", "x");
    builder.AppendWithOffset(103, 2, "b", "y");
    builder.AppendWithOffset(110, 3, "c", "z");
    // Append continues after the last explicit offset.
    builder.Append(4, "d", "w");
    const std::string batch = BuildOrDie(builder);
    absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(batch);
    REQUIRE(view.ok());
    CHECK(view->records_count() == 4);
    CHECK(view->last_offset_delta() == 11);
    CHECK(view->last_offset() == 111);
    const std::vector<OwnedRecord> back = ReadAllRecords(batch);
    REQUIRE(back.size() == 4);
    CHECK(back[0].offset == 100);
    CHECK(back[1].offset == 103);
    CHECK(back[2].offset == 110);
    CHECK(back[3].offset == 111);
    CHECK(ValidateRecords(*view, /*require_dense_offsets=*/false).ok());
    // A producer's batch must be dense: this one is refused.
    absl::Status dense = ValidateRecords(*view, /*require_dense_offsets=*/true);
    CHECK_FALSE(dense.ok());
    CHECK(ErrorCodeOf(dense) == ErrorCode::kCorruptMessage);
  }
}

TEST_CASE("a gap before the first record: base_offset below the first offset", "[record][batch]") {
  RecordBatchOptions options;
  options.base_offset = 10;
  RecordBatchBuilder builder(options);
  builder.AppendWithOffset(15, 1, "a", "x");
  const std::string batch = BuildOrDie(builder);
  const std::vector<OwnedRecord> back = ReadAllRecords(batch);
  REQUIRE(back.size() == 1);
  CHECK(back[0].offset == 15);
  CHECK(I64(batch, kBaseOffsetPos) == 10);
  CHECK(I32(batch, kLastOffsetDeltaPos) == 5);
}

TEST_CASE("batch options are reflected in the header fields", "[record][batch]") {
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    RecordBatchOptions options;
    options.compression = codec;
    options.base_offset = 1234567890123;
    options.partition_leader_epoch = 17;
    options.producer_id = 987654321;
    options.producer_epoch = 42;
    options.base_sequence = 31337;
    options.transactional = true;
    options.control = true;
    options.timestamp_type = TimestampType::kLogAppendTime;
    RecordBatchBuilder builder(options);
    builder.Append(500, "k", "v");
    builder.Append(900, "k", "v");
    builder.Append(700, "k", "v");
    const std::string batch = BuildOrDie(builder);
    absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(batch);
    REQUIRE(view.ok());
    CHECK(view->base_offset() == 1234567890123);
    CHECK(view->partition_leader_epoch() == 17);
    CHECK(view->producer_id() == 987654321);
    CHECK(view->producer_epoch() == 42);
    CHECK(view->base_sequence() == 31337);
    CHECK(view->is_transactional());
    CHECK(view->is_control());
    CHECK(view->timestamp_type() == TimestampType::kLogAppendTime);
    CHECK(view->compression() == codec);
    CHECK(view->magic() == 2);
    CHECK(view->batch_length() == static_cast<int32_t>(batch.size() - 12));
    // The same, straight from the bytes.
    CHECK(I16(batch, kAttributesPos) ==
          static_cast<int16_t>(static_cast<int>(codec) | 0x08 | 0x10 | 0x20));
    CHECK(I64(batch, kProducerIdPos) == 987654321);
    CHECK(I16(batch, kProducerEpochPos) == 42);
    CHECK(I32(batch, kBaseSequencePos) == 31337);
    CHECK(I32(batch, kPartitionLeaderEpochPos) == 17);
    // LogAppendTime: every record reads as the batch's maxTimestamp.
    for (const OwnedRecord& r : ReadAllRecords(batch)) CHECK(r.timestamp == 900);
  }
}

TEST_CASE("default options: no producer, CreateTime, not transactional", "[record][batch]") {
  RecordBatchBuilder builder;
  builder.Append(5, "k", "v");
  const std::string batch = BuildOrDie(builder);
  absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(batch);
  REQUIRE(view.ok());
  CHECK(view->producer_id() == -1);
  CHECK(view->producer_epoch() == -1);
  CHECK(view->base_sequence() == -1);
  CHECK(view->partition_leader_epoch() == -1);
  CHECK(view->attributes() == 0);
  CHECK_FALSE(view->is_transactional());
  CHECK_FALSE(view->is_control());
  CHECK(view->timestamp_type() == TimestampType::kCreateTime);
  CHECK(view->compression() == CompressionType::kNone);
}

TEST_CASE("an empty builder does not build", "[record][batch]") {
  RecordBatchBuilder builder;
  CHECK_FALSE(builder.Build().ok());
}

TEST_CASE("size estimates match the uncompressed batch", "[record][batch]") {
  RecordBatchOptions options;
  options.base_offset = 0;
  RecordBatchBuilder builder(options);
  size_t predicted = kBatchHeaderSize;
  const std::vector<OwnedRecord> records = SampleRecords(0);
  for (const OwnedRecord& r : records) {
    const std::vector<RecordHeader> hs = HeadersOf(r);
    predicted += RecordBatchBuilder::EstimateRecordSize(r.timestamp - records[0].timestamp, r.offset,
                                                        ViewOf(r.key), ViewOf(r.value), hs);
    builder.AppendWithOffset(r.offset, r.timestamp, ViewOf(r.key), ViewOf(r.value), hs);
    CHECK(builder.EstimatedSizeInBytes() == predicted);
  }
  const std::string batch = BuildOrDie(builder);
  CHECK(batch.size() == predicted);
}

TEST_CASE("Parse takes one batch from the front of a longer buffer", "[record][batch]") {
  RecordBatchOptions a_options;
  a_options.base_offset = 0;
  RecordBatchBuilder a(a_options);
  a.Append(1, "a", "first");
  RecordBatchOptions b_options;
  b_options.base_offset = 1;
  b_options.compression = CompressionType::kGzip;
  RecordBatchBuilder b(b_options);
  b.Append(2, "b", "second");
  b.Append(3, "c", "third");
  const std::string first = BuildOrDie(a), second = BuildOrDie(b);
  const std::string both = first + second;

  CHECK(RecordBatchView::PeekSize(both) == static_cast<int64_t>(first.size()));
  CHECK(RecordBatchView::PeekSize(both.substr(0, 11)) == std::nullopt);
  absl::StatusOr<RecordBatchView> v1 = RecordBatchView::Parse(both);
  REQUIRE(v1.ok());
  CHECK(v1->size_in_bytes() == first.size());
  CHECK(v1->bytes().data() == both.data());
  const std::string_view rest = std::string_view(both).substr(v1->size_in_bytes());
  absl::StatusOr<RecordBatchView> v2 = RecordBatchView::Parse(rest);
  REQUIRE(v2.ok());
  CHECK(v2->size_in_bytes() == second.size());
  CHECK(v2->base_offset() == 1);
  const std::vector<OwnedRecord> r1 = ReadAllRecords(both);
  REQUIRE(r1.size() == 1);
  CHECK(r1[0].value == "first");
  const std::vector<OwnedRecord> r2 = ReadAllRecords(rest);
  REQUIRE(r2.size() == 2);
  CHECK(r2[1].value == "third");
  CHECK(r2[1].offset == 2);
}

TEST_CASE("record views point into the batch, or into the reader's buffer", "[record][batch]") {
  RecordBatchBuilder plain;
  plain.Append(1, "key", "value");
  const std::string batch = BuildOrDie(plain);
  absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(batch);
  REQUIRE(view.ok());
  absl::StatusOr<RecordReader> reader = RecordReader::Open(*view);
  REQUIRE(reader.ok());
  CHECK_FALSE(reader->decompressed());
  CHECK(reader->records_data().data() == batch.data() + kRecordsPos);
  RecordView r;
  REQUIRE(*reader->Next(&r));
  CHECK(r.key->data() >= batch.data());
  CHECK(r.key->data() + r.key->size() <= batch.data() + batch.size());
}

// A tiny decompressed records section lives in std::string's inline buffer:
// moving the reader must re-point its view at the moved-to string.
TEST_CASE("a moved reader of a tiny compressed batch still reads its records", "[record][batch]") {
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    RecordBatchOptions options;
    options.compression = codec;
    RecordBatchBuilder builder(options);
    builder.Append(1, std::nullopt, std::nullopt);  // a 7-byte records section
    const std::string batch = BuildOrDie(builder);
    absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(batch);
    REQUIRE(view.ok());
    absl::StatusOr<RecordReader> opened = RecordReader::Open(*view);
    REQUIRE(opened.ok());
    CHECK(opened->records_data().size() == 7);
    RecordReader moved = *std::move(opened);
    RecordReader again(std::move(moved));
    RecordReader target = RecordReader::Open(*view).value();
    target = std::move(again);
    // Scribble over the old objects' storage by reusing them.
    moved = RecordReader::Open(*view).value();
    RecordView r;
    absl::StatusOr<bool> more = target.Next(&r);
    REQUIRE(more.ok());
    REQUIRE(*more);
    CHECK(r.key == std::nullopt);
    CHECK(r.value == std::nullopt);
    CHECK(r.timestamp == 1);
    CHECK(r.offset == 0);
    more = target.Next(&r);
    REQUIRE(more.ok());
    CHECK_FALSE(*more);
  }
}

TEST_CASE("SetBaseOffset and SetPartitionLeaderEpoch leave the CRC valid", "[record][batch]") {
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    RecordBatchOptions options;
    options.compression = codec;
    RecordBatchBuilder builder(options);
    builder.Append(10, "a", "1");
    builder.Append(11, "b", "2");
    std::string batch = BuildOrDie(builder);
    const uint32_t crc_before = LoadBE32(batch.data() + kCrcPos);
    SetBaseOffset(batch.data(), 9000);
    SetPartitionLeaderEpoch(batch.data(), 12);
    CHECK(LoadBE32(batch.data() + kCrcPos) == crc_before);
    absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(batch);
    REQUIRE(view.ok());
    CHECK(view->IsCrcValid());
    CHECK(view->base_offset() == 9000);
    CHECK(view->partition_leader_epoch() == 12);
    const std::vector<OwnedRecord> back = ReadAllRecords(batch);
    REQUIRE(back.size() == 2);
    CHECK(back[0].offset == 9000);
    CHECK(back[1].offset == 9001);
  }
}

TEST_CASE("SetLogAppendTime stamps every record and rewrites the CRC", "[record][batch]") {
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    RecordBatchOptions options;
    options.compression = codec;
    options.transactional = true;
    RecordBatchBuilder builder(options);
    builder.Append(10, "a", "1");
    builder.Append(30, "b", "2");
    builder.Append(20, "c", "3");
    std::string batch = BuildOrDie(builder);
    const uint32_t crc_before = LoadBE32(batch.data() + kCrcPos);
    SetLogAppendTime(batch.data(), 1'000'000);
    CHECK(LoadBE32(batch.data() + kCrcPos) != crc_before);
    CHECK(LoadBE32(batch.data() + kCrcPos) == Crc32c(std::string_view(batch).substr(kAttributesPos)));
    absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(batch);
    REQUIRE(view.ok());
    CHECK(view->timestamp_type() == TimestampType::kLogAppendTime);
    CHECK(view->max_timestamp() == 1'000'000);
    CHECK(view->base_timestamp() == 10);  // untouched, as in Kafka
    // Other attribute bits survive.
    CHECK(view->is_transactional());
    CHECK(view->compression() == codec);
    const std::vector<OwnedRecord> back = ReadAllRecords(batch);
    REQUIRE(back.size() == 3);
    for (const OwnedRecord& r : back) CHECK(r.timestamp == 1'000'000);
  }
}

// Kafka's v2 layout, checked field by field at the documented offsets; the
// expected bytes come from the format description, not from our encoder.
TEST_CASE("golden bytes: one record in Kafka's documented v2 layout", "[record][batch][golden]") {
  RecordBatchBuilder builder;  // base_offset 0, CreateTime, no compression, no producer
  builder.Append(1000, "k", "v");
  const std::string b = BuildOrDie(builder);
  REQUIRE(b.size() == 70);
  CHECK(I64(b, 0) == 0);          // baseOffset
  CHECK(I32(b, 8) == 70 - 12);    // batchLength
  CHECK(I32(b, 12) == -1);        // partitionLeaderEpoch
  CHECK(U8(b, 16) == 2);          // magic
  CHECK(LoadBE32(b.data() + 17) == Crc32c(std::string_view(b).substr(21)));  // crc
  CHECK(I16(b, 21) == 0);         // attributes
  CHECK(I32(b, 23) == 0);         // lastOffsetDelta
  CHECK(I64(b, 27) == 1000);      // baseTimestamp
  CHECK(I64(b, 35) == 1000);      // maxTimestamp
  CHECK(I64(b, 43) == -1);        // producerId
  CHECK(I16(b, 51) == -1);        // producerEpoch
  CHECK(I32(b, 53) == -1);        // baseSequence
  CHECK(I32(b, 57) == 1);         // recordCount
  // The record: length varint 8 (zig-zag 0x10), then its 8 bytes.
  CHECK(U8(b, 61) == 0x10);
  CHECK(b.substr(62) == testing::Bytes({0x00,        // attributes
                                        0x00,        // timestampDelta
                                        0x00,        // offsetDelta
                                        0x02, 'k',   // keyLength 1, key
                                        0x02, 'v',   // valueLength 1, value
                                        0x00}));     // headerCount
  // Big-endian: the high bytes of small fields are zero, the low byte last.
  CHECK(b.substr(8, 4) == testing::Bytes({0x00, 0x00, 0x00, 0x3A}));
  CHECK(b.substr(27, 8) == testing::Bytes({0, 0, 0, 0, 0, 0, 0x03, 0xE8}));
  CHECK(b.substr(57, 4) == testing::Bytes({0, 0, 0, 1}));
  // The CRC as kafka-python 2.0.2 computes it for these same bytes.
  CHECK(LoadBE32(b.data() + 17) == 0x716A6189u);
}

TEST_CASE("golden bytes: null key, null value, a header with a null value", "[record][batch][golden]") {
  RecordBatchBuilder builder;
  const RecordHeader header{"h", std::nullopt};
  builder.Append(1000, std::nullopt, std::nullopt, absl::MakeConstSpan(&header, 1));
  builder.Append(999, "", "");  // timestampDelta -1, offsetDelta 1, empty key and value
  const std::string b = BuildOrDie(builder);
  CHECK(I64(b, 27) == 1000);  // baseTimestamp: the first record's
  CHECK(I64(b, 35) == 1000);  // maxTimestamp
  CHECK(I32(b, 23) == 1);
  CHECK(I32(b, 57) == 2);
  const std::string first_body = testing::Bytes({0x00,             // attributes
                                                 0x00,             // timestampDelta 0
                                                 0x00,             // offsetDelta 0
                                                 0x01,             // keyLength -1: null
                                                 0x01,             // valueLength -1: null
                                                 0x02,             // headerCount 1
                                                 0x02, 'h',        // header key
                                                 0x01});           // header value null
  const std::string second_body = testing::Bytes({0x00,   // attributes
                                                  0x01,   // timestampDelta -1
                                                  0x02,   // offsetDelta 1
                                                  0x00,   // keyLength 0
                                                  0x00,   // valueLength 0
                                                  0x00}); // headerCount 0
  std::string expected;
  expected.push_back(static_cast<char>(ZigZagEncode32(static_cast<int32_t>(first_body.size()))));
  expected += first_body;
  expected.push_back(static_cast<char>(ZigZagEncode32(static_cast<int32_t>(second_body.size()))));
  expected += second_body;
  CHECK(b.substr(kRecordsPos) == expected);
  CHECK(U8(b, 61) == 0x12);  // 9 bytes
}

TEST_CASE("a moved-from builder starts over, with the same options", "[record][builder]") {
  RecordBatchOptions options;
  options.base_offset = 100;
  options.compression = CompressionType::kLz4;
  RecordBatchBuilder a(options);
  a.Append(1000, "k1", "v1");
  a.Append(1001, "k2", "v2");
  RecordBatchBuilder b(std::move(a));
  // The source holds nothing, and is usable: a one-record batch at the same
  // base offset, compressed the same way.
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the contract under test
  CHECK(a.EstimatedSizeInBytes() == kBatchHeaderSize);
  a.Append(2000, std::nullopt, std::string(3000, 'z'));
  const std::string again = BuildOrDie(a);
  std::vector<OwnedRecord> records = ReadAllRecords(again);
  REQUIRE(records.size() == 1);
  CHECK(records[0].offset == 100);
  CHECK(records[0].timestamp == 2000);
  CHECK(records[0].value == std::string(3000, 'z'));
  CHECK(RecordBatchView::Parse(again)->compression() == CompressionType::kLz4);
  // The destination has the two records.
  records = ReadAllRecords(BuildOrDie(b));
  REQUIRE(records.size() == 2);
  CHECK(records[1].offset == 101);
  CHECK(records[1].value == "v2");

  // Move assignment over a builder with records: they are dropped.
  RecordBatchBuilder c(options);
  c.Append(3000, "x", "y");
  RecordBatchBuilder d;
  d.Append(4000, "old", "old");
  d = std::move(c);
  CHECK(c.empty());  // NOLINT(bugprone-use-after-move)
  records = ReadAllRecords(BuildOrDie(d));
  REQUIRE(records.size() == 1);
  CHECK(records[0].key == "x");
  CHECK(records[0].offset == 100);
}

}  // namespace
}  // namespace samsa::record
