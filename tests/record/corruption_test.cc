// Named corruption cases: each must end in a non-OK status at a known stage
// (Parse, RecordReader::Open, RecordReader::Next or ValidateRecords), never in
// a crash or an out-of-bounds read (this suite runs under ASan/UBSan).
#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "record/compression.h"
#include "record/record_batch.h"
#include "record/varint.h"
#include "record_test_util.h"
#include "samsa/errors.h"
#include "util/endian.h"

namespace samsa::record {
namespace {

using testing::BuildOrDie;
using testing::Bytes;
using testing::FixCrc;
using testing::kAllCodecs;
using testing::MakeRawBatch;

enum class Stage { kParse, kOpen, kNext, kValidate, kOk };

const char* StageName(Stage s) {
  switch (s) {
    case Stage::kParse: return "Parse";
    case Stage::kOpen: return "Open";
    case Stage::kNext: return "Next";
    case Stage::kValidate: return "ValidateRecords";
    case Stage::kOk: return "ok";
  }
  return "?";
}

struct Outcome {
  Stage stage = Stage::kOk;
  absl::Status status;
  int records_read = 0;
};

// Runs every check the record layer has over `bytes`; reports the first
// stage that fails.
Outcome Examine(std::string_view bytes, bool dense = false, size_t max_decompressed = 64 << 20) {
  Outcome o;
  absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(bytes);
  if (!view.ok()) return {Stage::kParse, view.status(), 0};
  absl::StatusOr<RecordReader> reader = RecordReader::Open(*view, max_decompressed);
  if (!reader.ok()) return {Stage::kOpen, reader.status(), 0};
  RecordView r;
  while (true) {
    absl::StatusOr<bool> more = reader->Next(&r);
    if (!more.ok()) return {Stage::kNext, more.status(), o.records_read};
    if (!*more) break;
    ++o.records_read;
  }
  absl::Status v = ValidateRecords(*view, dense);
  if (!v.ok()) return {Stage::kValidate, v, o.records_read};
  return o;
}

#define CHECK_CORRUPT_AT(bytes, expected_stage)                                   \
  do {                                                                            \
    const Outcome outcome_ = Examine(bytes);                                      \
    INFO("stage " << StageName(outcome_.stage) << ": "                           \
                  << std::string(outcome_.status.message()));                     \
    CHECK(outcome_.stage == (expected_stage));                                    \
    CHECK(ErrorCodeOf(outcome_.status) == ErrorCode::kCorruptMessage);            \
  } while (0)

// The 70-byte batch of the golden test: base_offset 0, one record at 1000,
// key "k", value "v". Record at 61: 10 00 00 00 02 'k' 02 'v' 00.
std::string Golden() {
  RecordBatchBuilder builder;
  builder.Append(1000, "k", "v");
  std::string b = BuildOrDie(builder);
  REQUIRE(b.size() == 70);
  REQUIRE(b.substr(61) == Bytes({0x10, 0x00, 0x00, 0x00, 0x02, 'k', 0x02, 'v', 0x00}));
  return b;
}

std::string TwoRecords() {
  RecordBatchBuilder builder;
  builder.Append(1000, "a", "1");
  builder.Append(1001, "b", "2");
  return BuildOrDie(builder);
}

void PutI32(std::string* b, size_t pos, int32_t v) { StoreBE32(b->data() + pos, static_cast<uint32_t>(v)); }

// One record from a hand-written body: the length varint is computed.
std::string Record(const std::string& body) {
  std::string r;
  PutVarint(&r, static_cast<int32_t>(body.size()));
  return r + body;
}

TEST_CASE("sanity: the untouched batches pass every stage", "[record][corruption]") {
  const Outcome golden = Examine(Golden(), /*dense=*/true);
  CHECK(golden.stage == Stage::kOk);
  CHECK(golden.records_read == 1);
  CHECK(Examine(TwoRecords(), true).stage == Stage::kOk);
  // A hand-made record equal to the golden one passes too.
  const std::string raw = MakeRawBatch(Record(Bytes({0, 0, 0, 2, 'k', 2, 'v', 0})), 1);
  CHECK(raw == Golden());
}

TEST_CASE("corrupt: fewer than 61 bytes", "[record][corruption]") {
  const std::string b = Golden();
  for (size_t n = 0; n < kBatchHeaderSize; ++n) {
    INFO("size " << n);
    CHECK_CORRUPT_AT(b.substr(0, n), Stage::kParse);
  }
}

TEST_CASE("corrupt: batchLength larger than the buffer", "[record][corruption]") {
  const std::string b = Golden();
  // The buffer ends a byte early.
  CHECK_CORRUPT_AT(b.substr(0, b.size() - 1), Stage::kParse);
  for (int32_t length : {59, 100, std::numeric_limits<int32_t>::max()}) {
    INFO("batchLength " << length);
    std::string c = b;
    PutI32(&c, kBatchLengthPos, length);
    CHECK_CORRUPT_AT(c, Stage::kParse);
  }
  CHECK(RecordBatchView::PeekSize(b) == 70);
}

TEST_CASE("corrupt: batchLength below 49", "[record][corruption]") {
  const std::string b = Golden();
  for (int32_t length : {48, 0, -1, -12, std::numeric_limits<int32_t>::min()}) {
    INFO("batchLength " << length);
    std::string c = b;
    PutI32(&c, kBatchLengthPos, length);
    CHECK_CORRUPT_AT(c, Stage::kParse);
  }
}

TEST_CASE("batchLength shorter than the buffer: the rest is the next batch", "[record][corruption]") {
  // Cutting batchLength to 57 leaves 8 record bytes: the CRC no longer matches.
  std::string c = Golden();
  PutI32(&c, kBatchLengthPos, 57);
  CHECK_CORRUPT_AT(c, Stage::kParse);
  // With the CRC fixed for the shorter batch, the record is cut off.
  std::string d = c.substr(0, 69);
  FixCrc(&d);
  d.push_back('\0');
  CHECK_CORRUPT_AT(d, Stage::kNext);
}

TEST_CASE("corrupt: magic other than 2", "[record][corruption]") {
  for (int magic : {0, 1, 3, 0x7F, 0xFF}) {
    INFO("magic " << magic);
    std::string c = Golden();
    c[kMagicPos] = static_cast<char>(magic);
    CHECK_CORRUPT_AT(c, Stage::kParse);
    FixCrc(&c);  // magic is outside the CRC anyway
    CHECK_CORRUPT_AT(c, Stage::kParse);
  }
}

TEST_CASE("corrupt: a flipped bit anywhere under the CRC", "[record][corruption]") {
  const std::string b = Golden();
  for (size_t pos = kAttributesPos; pos < b.size(); ++pos) {
    for (int bit : {0, 7}) {
      INFO("byte " << pos << " bit " << bit);
      std::string c = b;
      c[pos] = static_cast<char>(c[pos] ^ (1 << bit));
      CHECK_CORRUPT_AT(c, Stage::kParse);
      // Without the CRC check the header parses (the damage may or may not be
      // visible to later stages) unless the top bit of recordsCount went.
      if (!(pos == kRecordsCountPos && bit == 7)) CHECK(RecordBatchView::Parse(c, /*verify_crc=*/false).ok());
    }
  }
}

TEST_CASE("corrupt: a flipped CRC byte", "[record][corruption]") {
  const std::string b = Golden();
  for (size_t pos = kCrcPos; pos < kCrcPos + 4; ++pos) {
    INFO("byte " << pos);
    std::string c = b;
    c[pos] = static_cast<char>(c[pos] ^ 0x10);
    const Outcome o = Examine(c);
    CHECK(o.stage == Stage::kParse);
    CHECK(ErrorCodeOf(o.status) == ErrorCode::kCorruptMessage);
    CHECK(std::string(o.status.message()).find("CRC") != std::string::npos);
  }
}

TEST_CASE("bytes outside the CRC (baseOffset, partitionLeaderEpoch) may change", "[record][corruption]") {
  std::string c = Golden();
  c[3] = 0x55;   // baseOffset
  c[13] = 0x66;  // partitionLeaderEpoch
  CHECK(Examine(c).stage == Stage::kOk);
}

TEST_CASE("corrupt: records_count larger than the records present", "[record][corruption]") {
  for (int32_t count : {2, 3, 1000, std::numeric_limits<int32_t>::max()}) {
    INFO("count " << count);
    std::string c = Golden();
    PutI32(&c, kRecordsCountPos, count);
    FixCrc(&c);
    const Outcome o = Examine(c);
    CHECK(o.stage == Stage::kNext);
    CHECK(o.records_read == 1);
    CHECK(ErrorCodeOf(o.status) == ErrorCode::kCorruptMessage);
  }
  // Negative counts are refused by Parse.
  for (int32_t count : {-1, std::numeric_limits<int32_t>::min()}) {
    INFO("count " << count);
    std::string c = Golden();
    PutI32(&c, kRecordsCountPos, count);
    FixCrc(&c);
    CHECK_CORRUPT_AT(c, Stage::kParse);
  }
}

TEST_CASE("corrupt: records_count smaller than the records present", "[record][corruption]") {
  std::string c = TwoRecords();
  PutI32(&c, kRecordsCountPos, 1);
  FixCrc(&c);
  Outcome o = Examine(c);
  CHECK(o.stage == Stage::kNext);
  CHECK(o.records_read == 1);
  CHECK(std::string(o.status.message()).find("after its 1 records") != std::string::npos);

  std::string d = Golden();
  PutI32(&d, kRecordsCountPos, 0);
  FixCrc(&d);
  o = Examine(d);
  CHECK(o.stage == Stage::kNext);
  CHECK(o.records_read == 0);

  // Trailing bytes after the last record, inside batchLength.
  const std::string golden_records = Golden().substr(kRecordsPos);
  CHECK_CORRUPT_AT(MakeRawBatch(golden_records + std::string(1, '\0'), 1), Stage::kNext);
  CHECK_CORRUPT_AT(MakeRawBatch(golden_records + golden_records, 1), Stage::kNext);
}

TEST_CASE("corrupt: a record length varint past the end or too small", "[record][corruption]") {
  for (int length : {9, 63, 1000000, 5, 0, -1, std::numeric_limits<int32_t>::min()}) {
    INFO("record length " << length);
    std::string records;
    PutVarint(&records, length);
    records += Bytes({0x00, 0x00, 0x00, 0x02, 'k', 0x02, 'v', 0x00});
    CHECK_CORRUPT_AT(MakeRawBatch(records, 1), Stage::kNext);
  }
  // The length varint itself is cut off at the end of the records.
  CHECK_CORRUPT_AT(MakeRawBatch(Bytes({0x80}), 1), Stage::kNext);
  // No record at all where one is promised.
  CHECK_CORRUPT_AT(MakeRawBatch("", 1), Stage::kNext);
}

TEST_CASE("corrupt: a record shorter than its length says", "[record][corruption]") {
  // Length 9 for 8 bytes of fields plus one stray byte: unread bytes inside.
  CHECK_CORRUPT_AT(MakeRawBatch(Record(Bytes({0, 0, 0, 2, 'k', 2, 'v', 0, 0x55})), 1), Stage::kNext);
}

TEST_CASE("corrupt: a key or value length past the record", "[record][corruption]") {
  // Golden record body: 00 00 00 [02 'k'] [02 'v'] 00; key length at byte 65.
  for (int key_length : {2, 4, 7, 100, std::numeric_limits<int32_t>::max()}) {
    INFO("key length " << key_length);
    std::string body = Bytes({0, 0, 0});
    PutVarint(&body, key_length);
    body += Bytes({'k', 2, 'v', 0});
    CHECK_CORRUPT_AT(MakeRawBatch(Record(body), 1), Stage::kNext);
  }
  {
    // In place in the golden batch, with the CRC fixed.
    std::string c = Golden();
    c[65] = 0x0E;  // key length 7
    FixCrc(&c);
    CHECK_CORRUPT_AT(c, Stage::kNext);
  }
  for (int value_length : {2, 3, 1000}) {
    INFO("value length " << value_length);
    std::string body = Bytes({0, 0, 0, 2, 'k'});
    PutVarint(&body, value_length);
    body += Bytes({'v', 0});
    CHECK_CORRUPT_AT(MakeRawBatch(Record(body), 1), Stage::kNext);
  }
}

TEST_CASE("corrupt: varint overflow inside a record", "[record][corruption]") {
  SECTION("record length: 5 continuation bytes") {
    CHECK_CORRUPT_AT(MakeRawBatch(Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0, 0, 0, 1, 1, 0}), 1),
                     Stage::kNext);
  }
  SECTION("timestampDelta: 11-byte varlong") {
    std::string body = Bytes({0x00});
    body += std::string(10, '\x80');
    body += Bytes({0x00, 0x00, 0x01, 0x01, 0x00});
    CHECK_CORRUPT_AT(MakeRawBatch(Record(body), 1), Stage::kNext);
  }
  SECTION("offsetDelta: 6-byte varint") {
    std::string body = Bytes({0x00, 0x00});
    body += std::string(5, '\x80');
    body += Bytes({0x00, 0x01, 0x01, 0x00});
    CHECK_CORRUPT_AT(MakeRawBatch(Record(body), 1), Stage::kNext);
  }
  SECTION("keyLength: 5 continuation bytes") {
    std::string body = Bytes({0x00, 0x00, 0x00});
    body += std::string(5, '\xFF');
    body += Bytes({0x00, 0x01, 0x00});
    CHECK_CORRUPT_AT(MakeRawBatch(Record(body), 1), Stage::kNext);
  }
  SECTION("headerCount: 5 continuation bytes") {
    std::string body = Bytes({0x00, 0x00, 0x00, 0x01, 0x01});
    body += std::string(5, '\xFF');
    body += Bytes({0x00});
    CHECK_CORRUPT_AT(MakeRawBatch(Record(body), 1), Stage::kNext);
  }
  SECTION("a varint running past the record into the next one") {
    // The first record's headerCount has its continuation bit set and the
    // record ends there; the next record's bytes must not be read into it.
    std::string first = Record(Bytes({0x00, 0x00, 0x00, 0x01, 0x01, 0x80}));
    std::string second = Record(Bytes({0x00, 0x00, 0x02, 0x01, 0x01, 0x00}));
    CHECK_CORRUPT_AT(MakeRawBatch(first + second, 2, 0, 0, 1000, 1), Stage::kNext);
  }
}

TEST_CASE("corrupt: negative lengths other than -1", "[record][corruption]") {
  for (int n : {-2, -3, -100, std::numeric_limits<int32_t>::min()}) {
    INFO("length " << n);
    std::string key_body = Bytes({0, 0, 0});
    PutVarint(&key_body, n);
    key_body += Bytes({'k', 2, 'v', 0});
    CHECK_CORRUPT_AT(MakeRawBatch(Record(key_body), 1), Stage::kNext);

    std::string value_body = Bytes({0, 0, 0, 2, 'k'});
    PutVarint(&value_body, n);
    value_body += Bytes({'v', 0});
    CHECK_CORRUPT_AT(MakeRawBatch(Record(value_body), 1), Stage::kNext);

    std::string header_value = Bytes({0, 0, 0, 1, 1, 2, 2, 'h'});
    PutVarint(&header_value, n);
    header_value += Bytes({'x'});
    CHECK_CORRUPT_AT(MakeRawBatch(Record(header_value), 1), Stage::kNext);

    std::string header_key = Bytes({0, 0, 0, 1, 1, 2});
    PutVarint(&header_key, n);
    header_key += Bytes({'h', 2, 'x'});
    CHECK_CORRUPT_AT(MakeRawBatch(Record(header_key), 1), Stage::kNext);
  }
  // A null header key (-1) is not allowed either: header keys are strings.
  CHECK_CORRUPT_AT(MakeRawBatch(Record(Bytes({0, 0, 0, 1, 1, 2, 0x01, 2, 'x'})), 1), Stage::kNext);
  // -1 is fine for key, value and header value.
  CHECK(Examine(MakeRawBatch(Record(Bytes({0, 0, 0, 1, 1, 2, 2, 'h', 1})), 1)).stage == Stage::kOk);
}

TEST_CASE("corrupt: header count negative or huge", "[record][corruption]") {
  for (int count : {-1, -2, std::numeric_limits<int32_t>::min(), 2, 1000000,
                    std::numeric_limits<int32_t>::max()}) {
    INFO("header count " << count);
    std::string body = Bytes({0, 0, 0, 1, 1});
    PutVarint(&body, count);
    body += Bytes({2, 'h', 2, 'x'});  // room for exactly one header
    CHECK_CORRUPT_AT(MakeRawBatch(Record(body), 1), Stage::kNext);
  }
  // The one header that fits reads fine.
  CHECK(Examine(MakeRawBatch(Record(Bytes({0, 0, 0, 1, 1, 2, 2, 'h', 2, 'x'})), 1)).stage ==
        Stage::kOk);
}

TEST_CASE("corrupt: a compressed batch whose payload is garbage", "[record][corruption]") {
  std::mt19937_64 rng(1234);
  for (CompressionType codec : kAllCodecs) {
    if (codec == CompressionType::kNone) continue;
    INFO(CompressionName(codec));
    RecordBatchOptions options;
    options.compression = codec;
    RecordBatchBuilder builder(options);
    for (int i = 0; i < 50; ++i) builder.Append(1000 + i, "key", std::string(200, 'v'));
    const std::string batch = BuildOrDie(builder);
    REQUIRE(Examine(batch).stage == Stage::kOk);

    SECTION("random bytes") {
      std::string c = batch;
      for (size_t i = kRecordsPos; i < c.size(); ++i) c[i] = static_cast<char>(rng());
      CHECK_CORRUPT_AT(c, Stage::kParse);  // the CRC catches it first
      FixCrc(&c);
      CHECK_CORRUPT_AT(c, Stage::kOpen);
    }
    SECTION("the payload cut in half") {
      std::string c = batch.substr(0, kRecordsPos + (batch.size() - kRecordsPos) / 2);
      PutI32(&c, kBatchLengthPos, static_cast<int32_t>(c.size() - kLogOverhead));
      FixCrc(&c);
      CHECK_CORRUPT_AT(c, Stage::kOpen);
    }
    SECTION("no payload at all") {
      std::string c = batch.substr(0, kRecordsPos);
      PutI32(&c, kBatchLengthPos, static_cast<int32_t>(c.size() - kLogOverhead));
      FixCrc(&c);
      // (For snappy: an empty raw snappy block is not a block either.)
      CHECK_CORRUPT_AT(c, Stage::kOpen);
    }
    SECTION("valid compression of corrupt records") {
      std::string records = Record(Bytes({0, 0, 0, 0x0E, 'k', 2, 'v', 0}));  // key length 7
      std::string compressed;
      REQUIRE(Compress(codec, records, &compressed).ok());
      CHECK_CORRUPT_AT(MakeRawBatch(compressed, 1, static_cast<int16_t>(codec)), Stage::kNext);
    }
  }
}

TEST_CASE("an unknown compression codec is refused at Open", "[record][corruption]") {
  for (int codec : {5, 6, 7}) {
    INFO("codec " << codec);
    std::string c = Golden();
    StoreBE16(c.data() + kAttributesPos, static_cast<uint16_t>(codec));
    FixCrc(&c);
    const Outcome o = Examine(c);
    CHECK(o.stage == Stage::kOpen);
    CHECK(ErrorCodeOf(o.status) == ErrorCode::kUnsupportedCompressionType);
  }
}

TEST_CASE("a decompression bomb is refused at Open", "[record][corruption]") {
  for (CompressionType codec : kAllCodecs) {
    INFO(CompressionName(codec));
    RecordBatchOptions options;
    options.compression = codec;
    RecordBatchBuilder builder(options);
    builder.Append(1, "k", std::string(4 << 20, '\0'));
    const std::string batch = BuildOrDie(builder);
    const Outcome small = Examine(batch, false, 1 << 20);
    if (codec == CompressionType::kNone) {
      CHECK(small.stage == Stage::kOk);  // nothing to decompress
    } else {
      CHECK(batch.size() < (1 << 20));
      CHECK(small.stage == Stage::kOpen);
      CHECK(ErrorCodeOf(small.status) == ErrorCode::kCorruptMessage);
      CHECK(Examine(batch, false, 8 << 20).stage == Stage::kOk);
    }
  }
}

TEST_CASE("offsets out of order or past lastOffsetDelta fail ValidateRecords", "[record][corruption]") {
  const std::string r0 = Record(Bytes({0, 0, 0x00, 1, 1, 0}));  // offsetDelta 0
  const std::string r1 = Record(Bytes({0, 0, 0x02, 1, 1, 0}));  // offsetDelta 1
  const std::string r2 = Record(Bytes({0, 0, 0x04, 1, 1, 0}));  // offsetDelta 2
  // Sanity: in order, dense.
  CHECK(Examine(MakeRawBatch(r0 + r1, 2, 0, 0, 1000, 1), true).stage == Stage::kOk);
  // Reversed.
  CHECK_CORRUPT_AT(MakeRawBatch(r1 + r0, 2, 0, 0, 1000, 1), Stage::kValidate);
  // Repeated.
  CHECK_CORRUPT_AT(MakeRawBatch(r0 + r0, 2, 0, 0, 1000, 1), Stage::kValidate);
  // Past lastOffsetDelta (1).
  CHECK_CORRUPT_AT(MakeRawBatch(r0 + r2, 2, 0, 0, 1000, 1), Stage::kValidate);
  // Dense required: lastOffsetDelta disagrees with the count, or a gap.
  const Outcome lod = Examine(MakeRawBatch(r0 + r1, 2, 0, 0, 1000, 5), true);
  CHECK(lod.stage == Stage::kValidate);
  const Outcome gap = Examine(MakeRawBatch(r0 + r2, 2, 0, 0, 1000, 1), true);
  CHECK(gap.stage == Stage::kValidate);
  // An empty batch reads as nothing, but a producer's batch needs records.
  const Outcome empty = Examine(MakeRawBatch("", 0, 0, 0, 1000, -1));
  CHECK(empty.stage == Stage::kOk);
  CHECK(empty.records_read == 0);
  CHECK(Examine(MakeRawBatch("", 0, 0, 0, 1000, -1), true).stage == Stage::kValidate);
}

// ValidateRecords checks an uncompressed batch without decoding it into
// RecordViews, falling back to RecordReader only to word an error. Its
// verdict must be exactly what reading every record says: the reference
// below reads them with RecordReader and checks the offsets itself.
// Also gathers the records' timestamps into `*timestamps` when given.
bool ReadsAsValid(const RecordBatchView& view, bool dense, RecordTimestamps* timestamps = nullptr) {
  RecordTimestamps found;
  if (dense && (view.records_count() <= 0 || view.last_offset_delta() != view.records_count() - 1)) {
    return false;
  }
  absl::StatusOr<RecordReader> reader = RecordReader::Open(view);
  if (!reader.ok()) return false;
  RecordView r;
  // Kafka adds offsets as Java longs: wrapping (base INT64_MIN is tested).
  int64_t expected = view.base_offset();
  int64_t previous = WrappingAdd(view.base_offset(), -1);
  while (true) {
    absl::StatusOr<bool> more = reader->Next(&r);
    if (!more.ok()) return false;
    if (!*more) {
      if (timestamps != nullptr) *timestamps = found;
      return true;
    }
    if (dense ? r.offset != expected : r.offset <= previous) return false;
    if (r.offset > view.last_offset()) return false;
    previous = r.offset;
    expected = WrappingAdd(expected, 1);
    found.max = std::max(found.max, r.timestamp);
    if (r.timestamp != kNoTimestamp && (found.min == kNoTimestamp || r.timestamp < found.min)) {
      found.min = r.timestamp;
    }
  }
}

TEST_CASE("ValidateRecords reports the records' timestamps", "[record][timestamp]") {
  // Uncompressed (the fast path) and gzip (RecordReader).
  for (CompressionType c : {CompressionType::kNone, CompressionType::kGzip}) {
    RecordBatchBuilder builder({.compression = c});
    builder.Append(1000, "a", "1");
    builder.Append(kNoTimestamp, "b", "2");  // NO_TIMESTAMP: not the smallest
    builder.Append(900, "c", "3");
    builder.Append(1002, "d", "4");
    const std::string batch = BuildOrDie(builder);
    absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(batch);
    REQUIRE(view.ok());
    RecordTimestamps ts;
    REQUIRE(ValidateRecords(*view, true, &ts).ok());
    CHECK(ts.max == 1002);
    CHECK(ts.min == 900);
  }
  RecordBatchBuilder none;
  none.Append(kNoTimestamp, "a", "1");
  const std::string only_none = BuildOrDie(none);
  absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(only_none);
  REQUIRE(view.ok());
  RecordTimestamps ts{.max = 5, .min = 5};
  REQUIRE(ValidateRecords(*view, true, &ts).ok());
  CHECK(ts.max == kNoTimestamp);
  CHECK(ts.min == kNoTimestamp);
}

TEST_CASE("ValidateRecords agrees with reading every record, byte by byte", "[record][corruption]") {
  RecordBatchBuilder builder;
  builder.Append(1000, "key", "value");
  builder.Append(1001, std::nullopt, std::string(200, 'x'));  // two-byte length varint
  const RecordHeader headers[] = {{"h1", "v1"}, {"h2", std::nullopt}};
  builder.Append(900, "k", std::nullopt, headers);
  builder.Append(1002, "", "");
  const std::string good = BuildOrDie(builder);
  int checked = 0;
  int refused = 0;
  for (size_t pos = kRecordsPos; pos < good.size(); ++pos) {
    for (int v : {0x00, 0x01, 0x02, 0x03, 0x04, 0x06, 0x7f, 0x80, 0xff, -1}) {
      std::string bad = good;
      bad[pos] = static_cast<char>(v < 0 ? good[pos] ^ 0x01 : v);
      if (bad == good) continue;
      absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(bad, /*verify_crc=*/false);
      REQUIRE(view.ok());
      for (bool dense : {true, false}) {
        INFO("byte " << pos << " = " << v << ", dense " << dense);
        RecordTimestamps got, want;
        const absl::Status status = ValidateRecords(*view, dense, &got);
        CHECK(status.ok() == ReadsAsValid(*view, dense, &want));
        if (status.ok()) {
          CHECK(got.max == want.max);
          CHECK(got.min == want.min);
        }
        if (!status.ok()) {
          CHECK(ErrorCodeOf(status) == ErrorCode::kCorruptMessage);
          ++refused;
        }
        ++checked;
      }
    }
  }
  // Mutations of the framing are refused (490 of 2472 cases when written),
  // those inside keys and values are not.
  CHECK(refused > 300);
  CHECK(refused < checked);
  // Header fields the records are checked against: the count, lastOffsetDelta
  // and base offsets where base + delta would wrap.
  for (int32_t count : {0, 1, 3, 4, 5, -1}) {
    for (int32_t last_delta : {-1, 0, 2, 3, 4, 1 << 30}) {
      for (int64_t base : {int64_t{0}, int64_t{-5}, std::numeric_limits<int64_t>::max() - 2,
                           std::numeric_limits<int64_t>::max() - std::numeric_limits<int32_t>::max(),
                           std::numeric_limits<int64_t>::min()}) {
        std::string bad = good;
        StoreBE32(bad.data() + kRecordsCountPos, static_cast<uint32_t>(count));
        StoreBE32(bad.data() + kLastOffsetDeltaPos, static_cast<uint32_t>(last_delta));
        StoreBE64(bad.data() + kBaseOffsetPos, static_cast<uint64_t>(base));
        absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(bad, /*verify_crc=*/false);
        if (!view.ok()) continue;
        for (bool dense : {true, false}) {
          INFO("count " << count << ", lastOffsetDelta " << last_delta << ", base " << base
                        << ", dense " << dense);
          CHECK(ValidateRecords(*view, dense).ok() == ReadsAsValid(*view, dense));
        }
      }
    }
  }
}

// Fields that Kafka adds as Java longs (wrapping): extreme values must not be
// undefined behaviour here (UBSan runs this suite).
TEST_CASE("extreme timestamps and offsets do not overflow", "[record][corruption]") {
  std::string body = Bytes({0});
  PutVarlong(&body, std::numeric_limits<int64_t>::max());
  body += Bytes({0x02, 1, 1, 0});  // offsetDelta 1
  const std::string records = Record(body);
  for (int64_t base : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max() - 1,
                       std::numeric_limits<int64_t>::min()}) {
    INFO("base offset and timestamp " << base);
    const std::string c = MakeRawBatch(records, 1, 0, base, base, std::numeric_limits<int32_t>::max());
    const Outcome o = Examine(c);
    // Either refused or read; never a crash or UB.
    CHECK((o.stage == Stage::kOk || o.stage == Stage::kValidate || o.stage == Stage::kNext));
    absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(c);
    REQUIRE(view.ok());
    (void)view->last_offset();
    (void)view->next_offset();
    (void)ValidateRecords(*view, true);
  }
}

}  // namespace
}  // namespace samsa::record
