#include "log/log.h"

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "log/log_test_util.h"
#include "record/crc32c.h"
#include "record/record_test_util.h"
#include "samsa/errors.h"
#include "util/endian.h"

namespace samsa {
namespace {

using testing::DecodeAll;
using testing::MakeBatch;
using testing::ReadAll;

struct LogFixture {
  ManualClock clock;
  std::unique_ptr<Env> env = NewMemEnv(&clock);
  LogConfig config;

  LogFixture() {
    config.segment_bytes = 1 << 20;
  }

  std::unique_ptr<Log> Open(bool clean = true, Offset recovery_point = Offset(0)) {
    return testing::OpenLog(
        testing::LogOptions(env.get(), "/data/orders-0", "orders", config, clean, recovery_point));
  }

  LogAppendInfo Append(Log& log, int n, const std::string& prefix, size_t value_size = 0) {
    absl::StatusOr<LogAppendInfo> info =
        log.AppendAsLeader(MakeBatch(n, prefix, clock.NowMs(), record::CompressionType::kNone,
                                     value_size),
                           /*leader_epoch=*/0);
    REQUIRE(info.ok());
    return *info;
  }

  std::vector<std::string> Files() {
    absl::StatusOr<std::vector<std::string>> files = env->GetChildren("/data/orders-0");
    REQUIRE(files.ok());
    return *files;
  }
};

TEST_CASE("appends get consecutive offsets and the LEO advances", "[log]") {
  LogFixture f;
  auto log = f.Open();
  LogAppendInfo a = f.Append(*log, 3, "a");
  CHECK(a.first_offset == Offset(0));
  CHECK(a.last_offset == Offset(2));
  CHECK(a.num_records == 3);
  LogAppendInfo b = f.Append(*log, 2, "b");
  CHECK(b.first_offset == Offset(3));
  CHECK(b.last_offset == Offset(4));
  CHECK(log->log_end_offset() == Offset(5));
  CHECK(log->high_watermark() == Offset(0));  // the owner moves it
  log->UpdateHighWatermark(Offset(5));
  auto records = ReadAll(*log);
  REQUIRE(records.size() == 5);
  CHECK(records[0].value == "a-0");
  CHECK(records[4].value == "b-1");
  CHECK(records[4].offset == 4);
  CHECK(records[3].key == "k0");
}

TEST_CASE("a segment's files are named by its 20-digit base offset", "[log]") {
  LogFixture f;
  auto log = f.Open();
  f.Append(*log, 1, "x");
  std::vector<std::string> files = f.Files();
  CHECK(std::count(files.begin(), files.end(), "00000000000000000000.log") == 1);
  REQUIRE(log->Roll().ok());
  f.Append(*log, 1, "y");
  files = f.Files();
  CHECK(std::count(files.begin(), files.end(), "00000000000000000001.log") == 1);
  REQUIRE(log->Close().ok());
  files = f.Files();
  for (const char* name : {"00000000000000000000.index", "00000000000000000000.timeindex",
                           "00000000000000000001.index", "00000000000000000001.timeindex"}) {
    CHECK(std::count(files.begin(), files.end(), name) == 1);
  }
}

TEST_CASE("the batch is stored with the assigned base offset, the leader epoch and a valid CRC",
          "[log]") {
  LogFixture f;
  auto log = f.Open();
  f.Append(*log, 2, "a");
  REQUIRE(log->AppendAsLeader(MakeBatch(2, "b", f.clock.NowMs()), /*leader_epoch=*/7).ok());
  log->UpdateHighWatermark(log->log_end_offset());
  absl::StatusOr<LogReadInfo> read = log->Read(Offset(2), 1 << 20, Offset(4));
  REQUIRE(read.ok());
  auto batch = record::RecordBatchView::Parse(read->records.view());
  REQUIRE(batch.ok());
  CHECK(batch->base_offset() == 2);
  CHECK(batch->partition_leader_epoch() == 7);
  CHECK(batch->IsCrcValid());
}

TEST_CASE("a read returns whole batches from the one holding the offset", "[log][read]") {
  LogFixture f;
  auto log = f.Open();
  f.Append(*log, 5, "a");  // 0..4
  f.Append(*log, 5, "b");  // 5..9
  log->UpdateHighWatermark(log->log_end_offset());
  absl::StatusOr<LogReadInfo> read = log->Read(Offset(7), 1 << 20, Offset(10));
  REQUIRE(read.ok());
  auto records = DecodeAll(read->records.view());
  REQUIRE(records.size() == 5);  // the whole second batch, from offset 5
  CHECK(records.front().offset == 5);
  CHECK(read->log_end_offset == Offset(10));
}

TEST_CASE("a read stops at max_bytes on a batch boundary but returns one batch at least",
          "[log][read]") {
  LogFixture f;
  auto log = f.Open();
  for (int i = 0; i < 4; ++i) f.Append(*log, 1, "v", /*value_size=*/1000);
  log->UpdateHighWatermark(log->log_end_offset());
  absl::StatusOr<LogReadInfo> one = log->Read(Offset(0), 10, Offset(4), /*min_one_batch=*/true);
  REQUIRE(one.ok());
  CHECK(DecodeAll(one->records.view()).size() == 1);
  absl::StatusOr<LogReadInfo> none = log->Read(Offset(0), 10, Offset(4), /*min_one_batch=*/false);
  REQUIRE(none.ok());
  CHECK(none->records.empty());
  absl::StatusOr<LogReadInfo> two = log->Read(Offset(0), 2500, Offset(4));
  REQUIRE(two.ok());
  CHECK(DecodeAll(two->records.view()).size() == 2);
}

TEST_CASE("a read never returns a batch at or past the high watermark", "[log][read]") {
  LogFixture f;
  auto log = f.Open();
  f.Append(*log, 2, "a");
  f.Append(*log, 2, "b");
  log->UpdateHighWatermark(Offset(2));
  absl::StatusOr<LogReadInfo> read = log->Read(Offset(0), 1 << 20, log->high_watermark());
  REQUIRE(read.ok());
  CHECK(DecodeAll(read->records.view()).size() == 2);
  absl::StatusOr<LogReadInfo> at_hw = log->Read(Offset(2), 1 << 20, log->high_watermark());
  REQUIRE(at_hw.ok());
  CHECK(at_hw->records.empty());
}

TEST_CASE("reading outside the log is OFFSET_OUT_OF_RANGE, at the LEO it is empty", "[log][read]") {
  LogFixture f;
  auto log = f.Open();
  f.Append(*log, 3, "a");
  log->UpdateHighWatermark(log->log_end_offset());
  absl::StatusOr<LogReadInfo> past = log->Read(Offset(4), 1 << 20, Offset(3));
  CHECK(ErrorCodeOf(past.status()) == ErrorCode::kOffsetOutOfRange);
  absl::StatusOr<LogReadInfo> at_end = log->Read(Offset(3), 1 << 20, Offset(3));
  REQUIRE(at_end.ok());
  CHECK(at_end->records.empty());
  REQUIRE(log->DeleteRecordsBefore(Offset(2)).ok());
  absl::StatusOr<LogReadInfo> below = log->Read(Offset(1), 1 << 20, Offset(3));
  CHECK(ErrorCodeOf(below.status()) == ErrorCode::kOffsetOutOfRange);
}

TEST_CASE("the offset index is sparse: an entry after each index.interval.bytes", "[log][index]") {
  LogFixture f;
  f.config.index_interval_bytes = 4096;
  auto log = f.Open();
  // 20 one-record batches of equal size B (~1.1 KB). Kafka's LogSegment.append
  // adds an entry (last offset, position of the append) when more than 4096
  // bytes were appended since the last entry, checked before counting the
  // append: so at appends 5, 9, 13 and 17 — offsets 4, 8, 12, 16.
  const int64_t batch_size =
      static_cast<int64_t>(MakeBatch(1, "v", f.clock.NowMs(), record::CompressionType::kNone, 1000).size());
  for (int i = 0; i < 20; ++i) f.Append(*log, 1, "v", 1000);
  REQUIRE(log->size_in_bytes() == 20 * batch_size);
  REQUIRE(log->Close().ok());
  absl::StatusOr<std::string> index =
      ReadFileToString(f.env.get(), "/data/orders-0/00000000000000000000.index");
  REQUIRE(index.ok());
  REQUIRE(index->size() == 4 * 8);
  for (int i = 0; i < 4; ++i) {
    const int32_t relative_offset = static_cast<int32_t>(LoadBE32(index->data() + 8 * i));
    const int32_t position = static_cast<int32_t>(LoadBE32(index->data() + 8 * i + 4));
    CHECK(relative_offset == 4 * (i + 1));
    CHECK(position == 4 * (i + 1) * batch_size);
  }
  // Every batch carries the same timestamp T (the clock did not move), so the
  // largest timestamp is T, first seen at offset 0; the time index appends
  // only a strictly greater timestamp: one entry, (T, relative offset 0).
  absl::StatusOr<std::string> time_index =
      ReadFileToString(f.env.get(), "/data/orders-0/00000000000000000000.timeindex");
  REQUIRE(time_index.ok());
  REQUIRE(time_index->size() == 12);
  CHECK(static_cast<int64_t>(LoadBE64(time_index->data())) == f.clock.NowMs());
  CHECK(LoadBE32(time_index->data() + 8) == 0);
}

TEST_CASE("every offset is found through the index after many appends", "[log][index]") {
  LogFixture f;
  f.config.index_interval_bytes = 256;
  f.config.segment_bytes = 4 << 10;
  auto log = f.Open();
  for (int i = 0; i < 200; ++i) f.Append(*log, 1 + i % 4, "r" + std::to_string(i), 50);
  log->UpdateHighWatermark(log->log_end_offset());
  CHECK(log->num_segments() > 3);
  for (int64_t o = 0; o < log->log_end_offset().value(); ++o) {
    absl::StatusOr<LogReadInfo> read = log->Read(Offset(o), 1, log->high_watermark());
    REQUIRE(read.ok());
    auto records = DecodeAll(read->records.view());
    REQUIRE_FALSE(records.empty());
    CHECK(records.front().offset <= o);
    CHECK(records.back().offset >= o);
  }
}

TEST_CASE("a segment rolls when the next batch would pass segment.bytes", "[log][roll]") {
  LogFixture f;
  f.config.segment_bytes = 4000;
  auto log = f.Open();
  for (int i = 0; i < 10; ++i) f.Append(*log, 1, "v", 1000);  // ~1.1 KB each: 3 per segment
  CHECK(log->num_segments() == 4);
  std::vector<Offset> bases = log->segment_base_offsets();
  CHECK(bases == std::vector<Offset>{Offset(0), Offset(3), Offset(6), Offset(9)});
}

TEST_CASE("a segment rolls when it is older than segment.ms", "[log][roll]") {
  LogFixture f;
  f.config.segment_ms = 60'000;
  auto log = f.Open();
  f.Append(*log, 1, "a");
  f.clock.Advance(absl::Seconds(59));
  f.Append(*log, 1, "b");
  CHECK(log->num_segments() == 1);
  f.clock.Advance(absl::Seconds(2));
  f.Append(*log, 1, "c");
  CHECK(log->num_segments() == 2);
  CHECK(log->segment_base_offsets().back() == Offset(2));
}

TEST_CASE("a segment rolls when its index is full", "[log][roll]") {
  LogFixture f;
  f.config.index_interval_bytes = 1;    // an entry on (nearly) every append
  f.config.segment_index_bytes = 8 * 4;  // room for 4 entries
  auto log = f.Open();
  for (int i = 0; i < 12; ++i) f.Append(*log, 1, "v");
  CHECK(log->num_segments() >= 2);
  log->UpdateHighWatermark(log->log_end_offset());
  CHECK(ReadAll(*log).size() == 12);
}

TEST_CASE("a batch larger than max.message.bytes is refused and nothing is written", "[log][errors]") {
  LogFixture f;
  f.config.max_message_bytes = 500;
  auto log = f.Open();
  absl::StatusOr<LogAppendInfo> info =
      log->AppendAsLeader(MakeBatch(1, "big", 0, record::CompressionType::kNone, 1000), 0);
  CHECK(ErrorCodeOf(info.status()) == ErrorCode::kMessageTooLarge);
  CHECK(log->log_end_offset() == Offset(0));
  CHECK(log->size_in_bytes() == 0);
}

TEST_CASE("an append with a bad CRC is CORRUPT_MESSAGE and writes nothing", "[log][errors]") {
  LogFixture f;
  auto log = f.Open();
  f.Append(*log, 1, "ok");
  const int64_t size = log->size_in_bytes();
  std::string good = MakeBatch(2, "a", 0);
  std::string bad = MakeBatch(2, "b", 0);
  bad[bad.size() - 1] ^= 0x01;
  absl::StatusOr<LogAppendInfo> info = log->AppendAsLeader(good + bad, 0);
  CHECK(ErrorCodeOf(info.status()) == ErrorCode::kCorruptMessage);
  CHECK(log->log_end_offset() == Offset(1));
  CHECK(log->size_in_bytes() == size);
  absl::StatusOr<LogAppendInfo> garbage = log->AppendAsLeader("not a batch at all", 0);
  CHECK(ErrorCodeOf(garbage.status()) == ErrorCode::kCorruptMessage);
}

TEST_CASE("a local producer's append skips the CRC check, not the record checks",
          "[log][errors]") {
  LogFixture f;
  auto log = f.Open();
  // A record count that disagrees with the records, under a valid CRC: a
  // framing error every origin that produces must refuse.
  std::string miscounted = MakeBatch(2, "m", 0);
  StoreBE32(miscounted.data() + record::kRecordsCountPos, 3);
  record::testing::FixCrc(&miscounted);
  for (AppendOrigin origin : {AppendOrigin::kClient, AppendOrigin::kLocalProducer}) {
    absl::StatusOr<LogAppendInfo> info = log->AppendAsLeader(miscounted, 0, origin);
    CHECK(ErrorCodeOf(info.status()) == ErrorCode::kCorruptMessage);
  }
  // Bytes that are not a batch: refused by the header checks either way.
  CHECK(ErrorCodeOf(log->AppendAsLeader("not a batch at all", 0, AppendOrigin::kLocalProducer)
                        .status()) == ErrorCode::kCorruptMessage);
  CHECK(log->log_end_offset() == Offset(0));
  // A CRC the batch's builder did not write is the one thing not recomputed
  // for kLocalProducer (its RecordBatchBuilder just computed it); a produce
  // request (kClient) still gets CORRUPT_MESSAGE for it.
  std::string bad_crc = MakeBatch(1, "c", 0);
  bad_crc[record::kCrcPos] ^= 0x01;
  CHECK(ErrorCodeOf(log->AppendAsLeader(bad_crc, 0, AppendOrigin::kClient).status()) ==
        ErrorCode::kCorruptMessage);
  CHECK(log->AppendAsLeader(bad_crc, 0, AppendOrigin::kLocalProducer).ok());
}

TEST_CASE("an append bigger than segment.bytes is RECORD_LIST_TOO_LARGE", "[log][errors]") {
  LogFixture f;
  f.config.segment_bytes = 1000;
  auto log = f.Open();
  absl::StatusOr<LogAppendInfo> info =
      log->AppendAsLeader(MakeBatch(1, "v", 0, record::CompressionType::kNone, 2000), 0);
  CHECK(ErrorCodeOf(info.status()) == ErrorCode::kRecordListTooLarge);
}

TEST_CASE("LogAppendTime stamps the broker's time and keeps the CRC valid", "[log]") {
  LogFixture f;
  f.config.message_timestamp_type = record::TimestampType::kLogAppendTime;
  auto log = f.Open();
  absl::StatusOr<LogAppendInfo> info = log->AppendAsLeader(MakeBatch(3, "a", 1000), 0);
  REQUIRE(info.ok());
  CHECK(info->log_append_time == f.clock.NowMs());
  log->UpdateHighWatermark(log->log_end_offset());
  absl::StatusOr<LogReadInfo> read = log->Read(Offset(0), 1 << 20, Offset(3));
  REQUIRE(read.ok());
  auto batch = record::RecordBatchView::Parse(read->records.view(), /*verify_crc=*/true);
  REQUIRE(batch.ok());
  CHECK(batch->timestamp_type() == record::TimestampType::kLogAppendTime);
  for (const auto& r : DecodeAll(read->records.view())) CHECK(r.timestamp == f.clock.NowMs());
}

TEST_CASE("ListOffsets semantics: earliest, latest, by timestamp, max timestamp", "[log][timestamp]") {
  LogFixture f;
  f.config.segment_bytes = 3000;
  auto log = f.Open();
  // Offsets 0..29, timestamps 1000, 1010, ..., 1290; several segments.
  for (int i = 0; i < 30; ++i) {
    REQUIRE(log->AppendAsLeader(MakeBatch(1, "v", 1000 + 10 * i, record::CompressionType::kNone, 200), 0).ok());
  }
  log->UpdateHighWatermark(log->log_end_offset());
  REQUIRE(log->num_segments() > 2);
  auto at = [&](int64_t ts) { return log->FetchOffsetByTimestamp(ts); };
  CHECK(at(kEarliestTimestamp)->value().offset == Offset(0));
  CHECK(at(kLatestTimestamp)->value().offset == Offset(30));
  CHECK(at(1000)->value().offset == Offset(0));
  CHECK(at(1005)->value().offset == Offset(1));   // first timestamp >= 1005 is 1010
  CHECK(at(1150)->value().offset == Offset(15));
  CHECK(at(1150)->value().timestamp == 1150);
  CHECK(at(0)->value().offset == Offset(0));
  CHECK_FALSE(at(5000)->has_value());              // nothing that late
  auto max = at(kMaxTimestamp);
  REQUIRE(max->has_value());
  CHECK(max->value().timestamp == 1290);
  CHECK(max->value().offset == Offset(29));
  CHECK(ErrorCodeOf(at(-7).status()) == ErrorCode::kInvalidRequest);
}

TEST_CASE("a timestamp lookup finds the record inside a batch", "[log][timestamp]") {
  LogFixture f;
  auto log = f.Open();
  REQUIRE(log->AppendAsLeader(MakeBatch(10, "v", 5000), 0).ok());  // ts 5000..5009
  auto found = log->FetchOffsetByTimestamp(5004);
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->offset == Offset(4));
  CHECK((*found)->timestamp == 5004);
}

// Kafka's LogValidator sets a producer's batch's maxTimestamp from its
// records (DefaultRecordBatch.setMaxTimestamp), whatever the header said:
// sarama 1.22 sends -1 there, and ListOffsets by time must still find its
// records.
TEST_CASE("a producer's batch gets its maxTimestamp from its records", "[log][timestamp]") {
  const auto with_header_max = [](std::string batch, int64_t max) {
    StoreBE64(batch.data() + record::kMaxTimestampPos, static_cast<uint64_t>(max));
    StoreBE32(batch.data() + record::kCrcPos,
              record::Crc32cExtend(0, batch.data() + record::kAttributesPos,
                                   batch.size() - record::kAttributesPos));
    REQUIRE(record::RecordBatchView::Parse(batch, /*verify_crc=*/true).ok());
    return batch;
  };
  LogFixture f;
  auto log = f.Open();
  // Timestamps 5000..5002 with maxTimestamp -1; 6000..6002 (gzip) with 0;
  // 7000..7002 with a maxTimestamp far past its records.
  REQUIRE(log->AppendAsLeader(with_header_max(MakeBatch(3, "a", 5000), -1), 0).ok());
  REQUIRE(log->AppendAsLeader(
                 with_header_max(MakeBatch(3, "b", 6000, record::CompressionType::kGzip), 0), 0)
              .ok());
  REQUIRE(log->AppendAsLeader(with_header_max(MakeBatch(3, "c", 7000), 99999), 0).ok());
  log->UpdateHighWatermark(log->log_end_offset());

  const auto at = [&](int64_t ts) {
    auto found = log->FetchOffsetByTimestamp(ts);
    REQUIRE(found.ok());
    return *found;
  };
  REQUIRE(at(5001).has_value());
  CHECK(at(5001)->offset == Offset(1));
  REQUIRE(at(5500).has_value());
  CHECK(at(5500)->offset == Offset(3));  // the gzip batch's first record
  REQUIRE(at(6002).has_value());
  CHECK(at(6002)->offset == Offset(5));
  CHECK_FALSE(at(7003).has_value());     // the header's 99999 is gone
  REQUIRE(at(kMaxTimestamp).has_value());
  CHECK(at(kMaxTimestamp)->timestamp == 7002);

  // What is stored says so too, under a valid CRC.
  absl::StatusOr<LogReadInfo> read = log->Read(Offset(0), 1 << 20, Offset(9));
  REQUIRE(read.ok());
  std::string_view rest = read->records.view();
  std::vector<int64_t> maxima;
  while (!rest.empty()) {
    auto batch = record::RecordBatchView::Parse(rest, /*verify_crc=*/true);
    REQUIRE(batch.ok());
    maxima.push_back(batch->max_timestamp());
    rest.remove_prefix(batch->size_in_bytes());
  }
  CHECK(maxima == std::vector<int64_t>{5002, 6002, 7002});

  // The time index is rebuilt from the stored batches after a crash.
  log.reset();
  log = f.Open(/*clean=*/false);
  REQUIRE(log->FetchOffsetByTimestamp(6001).ok());
  CHECK(log->FetchOffsetByTimestamp(6001)->value().offset == Offset(4));
}

// Kafka's LogValidator.validateTimestamp, with LogConfig's KIP-937
// fallbacks: before/after.max.ms when set, else difference.max.ms.
TEST_CASE("record timestamps outside message.timestamp.*.max.ms are INVALID_TIMESTAMP",
          "[log][timestamp]") {
  LogFixture f;
  const int64_t now = f.clock.NowMs();
  const auto has = [](const absl::Status& s, const std::string& text) {
    INFO(s.message());
    return s.message().find(text) != std::string::npos;
  };
  const auto append = [&](Log& log, int64_t ts) {
    return log.AppendAsLeader(MakeBatch(2, "v", ts), 0);  // records at ts and ts + 1
  };

  SECTION("difference.max.ms bounds both sides") {
    f.config.timestamp_difference_max_ms = 1000;
    auto log = f.Open();
    CHECK(append(*log, now - 1000).ok());
    CHECK(append(*log, now + 999).ok());  // its second record is at now + 1000
    absl::StatusOr<LogAppendInfo> old = append(*log, now - 1001);
    CHECK(ErrorCodeOf(old.status()) == ErrorCode::kInvalidTimestamp);
    CHECK(has(old.status(), fmt::format("timestamp {} of message with offset 0", now - 1001)));
    absl::StatusOr<LogAppendInfo> future = append(*log, now + 1000);
    CHECK(ErrorCodeOf(future.status()) == ErrorCode::kInvalidTimestamp);
    // The second record is the one out of range; the range is named.
    CHECK(has(future.status(), fmt::format("timestamp {} of message with offset 1", now + 1001)));
    CHECK(has(future.status(), fmt::format("[{}, {}]", now - 1000, now + 1000)));
    CHECK(log->log_end_offset() == Offset(4));  // nothing of the refused batches
  }
  SECTION("before.max.ms and after.max.ms override difference.max.ms") {
    f.config.timestamp_difference_max_ms = 10;
    f.config.timestamp_before_max_ms = 5000;
    auto log = f.Open();
    CHECK(append(*log, now - 5000).ok());          // before: 5000
    CHECK(append(*log, now + 9).ok());             // after: falls back to 10
    CHECK(ErrorCodeOf(append(*log, now + 10).status()) == ErrorCode::kInvalidTimestamp);
  }
  SECTION("records without a timestamp (-1) are not checked") {
    f.config.timestamp_difference_max_ms = 0;
    auto log = f.Open();
    record::RecordBatchBuilder builder;
    builder.Append(record::kNoTimestamp, "k", "v");
    builder.Append(now, "k", "v");
    absl::StatusOr<std::string> batch = builder.Build();
    REQUIRE(batch.ok());
    CHECK(log->AppendAsLeader(*batch, 0).ok());
  }
  SECTION("a LogAppendTime topic does not check producers' timestamps") {
    f.config.timestamp_difference_max_ms = 0;
    f.config.message_timestamp_type = record::TimestampType::kLogAppendTime;
    auto log = f.Open();
    CHECK(append(*log, 5).ok());
  }
  SECTION("the default (Long.MAX_VALUE) accepts any timestamp") {
    auto log = f.Open();
    CHECK(append(*log, 0).ok());
    CHECK(append(*log, std::numeric_limits<int64_t>::max() - 1).ok());
  }
  SECTION("a producer may not send a LogAppendTime batch") {
    auto log = f.Open();
    std::string batch = MakeBatch(1, "v", now);
    record::SetLogAppendTime(batch.data(), now);
    absl::StatusOr<LogAppendInfo> refused = log->AppendAsLeader(batch, 0);
    CHECK(ErrorCodeOf(refused.status()) == ErrorCode::kInvalidTimestamp);
    CHECK(has(refused.status(), "LogAppendTime"));
  }
}

// LogValidator.validateMessagesAndAssignOffsetsCompressed: a batch whose
// codec is not the topic's compression.type is rebuilt with it, records,
// timestamps, headers and producer fields kept; "producer" keeps the batch's.
TEST_CASE("compression.type recompresses a producer's batch", "[log][compression]") {
  LogFixture f;
  record::RecordBatchOptions options;
  options.compression = record::CompressionType::kLz4;
  options.producer_id = 77;
  options.producer_epoch = 3;
  options.base_sequence = 10;
  record::RecordBatchBuilder builder(options);
  const record::RecordHeader headers[] = {{"h", "v"}, {"n", std::nullopt}};
  builder.Append(f.clock.NowMs(), "k0", "v0", headers);
  builder.Append(f.clock.NowMs() + 5, std::nullopt, std::nullopt);
  builder.Append(f.clock.NowMs() + 2, "k2", std::string(3000, 'z'));
  absl::StatusOr<std::string> sent = builder.Build();
  REQUIRE(sent.ok());
  const std::vector<testing::TestRecord> want = DecodeAll(*sent);

  for (const auto& [type, codec] :
       std::vector<std::pair<std::string, record::CompressionType>>{
           {"producer", record::CompressionType::kLz4},
           {"uncompressed", record::CompressionType::kNone},
           {"gzip", record::CompressionType::kGzip},
           {"snappy", record::CompressionType::kSnappy},
           {"zstd", record::CompressionType::kZstd}}) {
    INFO("compression.type " << type);
    LogFixture g;
    g.config.compression_type = type;
    auto log = g.Open();
    REQUIRE(log->AppendAsLeader(MakeBatch(2, "first", g.clock.NowMs()), 0).ok());
    std::string copy = *sent;
    absl::StatusOr<LogAppendInfo> info = log->AppendAsLeader(copy, 0);
    REQUIRE(info.ok());
    CHECK(info->first_offset == Offset(2));
    CHECK(info->last_offset == Offset(4));
    log->UpdateHighWatermark(log->log_end_offset());
    absl::StatusOr<LogReadInfo> read = log->Read(Offset(2), 1 << 20, Offset(5));
    REQUIRE(read.ok());
    auto batch = record::RecordBatchView::Parse(read->records.view(), /*verify_crc=*/true);
    REQUIRE(batch.ok());
    CHECK(batch->size_in_bytes() == read->records.view().size());  // one batch
    CHECK(batch->compression() == codec);
    CHECK(batch->base_offset() == 2);
    CHECK(batch->producer_id() == 77);
    CHECK(batch->producer_epoch() == 3);
    CHECK(batch->base_sequence() == 10);
    CHECK(batch->max_timestamp() == g.clock.NowMs() + 5);
    std::vector<testing::TestRecord> got = DecodeAll(read->records.view());
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      got[i].offset -= 2;
      CHECK(got[i] == want[i]);
    }
  }
}

TEST_CASE("a batch too large once recompressed is MESSAGE_TOO_LARGE", "[log][compression]") {
  LogFixture f;
  // Compressible values sent gzip (under max.message.bytes), to be stored
  // uncompressed (over it): Kafka checks the size again after the rebuild.
  f.config.compression_type = "uncompressed";
  f.config.max_message_bytes = 4000;
  auto log = f.Open();
  const std::string small = MakeBatch(5, "v", f.clock.NowMs(), record::CompressionType::kGzip, 2000);
  REQUIRE(static_cast<int64_t>(small.size()) < f.config.max_message_bytes);
  absl::StatusOr<LogAppendInfo> info = log->AppendAsLeader(small, 0);
  CHECK(ErrorCodeOf(info.status()) == ErrorCode::kMessageTooLarge);
  CHECK(log->log_end_offset() == Offset(0));
}

TEST_CASE("truncate removes whole batches from the offset and appends continue from there",
          "[log][truncate]") {
  LogFixture f;
  f.config.segment_bytes = 3000;
  auto log = f.Open();
  for (int i = 0; i < 20; ++i) f.Append(*log, 2, "r" + std::to_string(i), 200);  // 40 records
  const int segments_before = log->num_segments();
  absl::StatusOr<Offset> leo = log->Truncate(Offset(11));  // batch [10, 11] goes entirely
  REQUIRE(leo.ok());
  CHECK(*leo == Offset(10));
  CHECK(log->num_segments() < segments_before);
  LogAppendInfo next = f.Append(*log, 1, "after");
  CHECK(next.first_offset == Offset(10));
  log->UpdateHighWatermark(log->log_end_offset());
  auto records = ReadAll(*log);
  REQUIRE(records.size() == 11);
  CHECK(records.back().value == "after-0");
  // Reopen: the truncated state is what is on disk.
  REQUIRE(log->Close().ok());
  log = f.Open(/*clean=*/true);
  CHECK(log->log_end_offset() == Offset(11));
}

TEST_CASE("truncating below the first segment starts the log again at that offset", "[log][truncate]") {
  LogFixture f;
  auto log = f.Open();
  f.Append(*log, 5, "a");
  REQUIRE(log->TruncateFullyAndStartAt(Offset(100)).ok());
  CHECK(log->log_start_offset() == Offset(100));
  CHECK(log->log_end_offset() == Offset(100));
  CHECK(f.Append(*log, 1, "b").first_offset == Offset(100));
}

TEST_CASE("delete-records moves the log start offset and drops segments below it", "[log][retention]") {
  LogFixture f;
  f.config.segment_bytes = 3000;
  auto log = f.Open();
  for (int i = 0; i < 20; ++i) f.Append(*log, 1, "v", 1000);
  log->UpdateHighWatermark(Offset(15));
  CHECK(ErrorCodeOf(log->DeleteRecordsBefore(Offset(16)).status()) == ErrorCode::kOffsetOutOfRange);
  const int before = log->num_segments();
  absl::StatusOr<Offset> start = log->DeleteRecordsBefore(Offset(7));
  REQUIRE(start.ok());
  CHECK(*start == Offset(7));
  CHECK(log->log_start_offset() == Offset(7));
  CHECK(log->num_segments() < before);
  CHECK(log->segment_base_offsets().front() <= Offset(7));
  auto records = ReadAll(*log);
  CHECK(records.front().offset == 7);
  // -1 means "up to the high watermark".
  CHECK(*log->DeleteRecordsBefore(Offset(-1)) == Offset(15));
}

TEST_CASE("retention.bytes deletes the oldest segments, never the data above the limit",
          "[log][retention]") {
  LogFixture f;
  f.config.segment_bytes = 3500;    // 3 batches of ~1.1 KB per segment
  f.config.retention_bytes = 5000;
  auto log = f.Open();
  for (int i = 0; i < 12; ++i) f.Append(*log, 1, "v", 1000);
  log->UpdateHighWatermark(log->log_end_offset());
  REQUIRE(log->num_segments() == 4);
  absl::StatusOr<int32_t> deleted = log->DeleteOldSegments();
  REQUIRE(deleted.ok());
  CHECK(*deleted == 2);
  CHECK(log->size_in_bytes() <= 5000 + 3500);
  CHECK(log->size_in_bytes() > 5000 - 3500);
  CHECK(log->log_start_offset() == Offset(6));
  CHECK(ReadAll(*log).front().offset == 6);
  for (const std::string& file : f.Files()) CHECK(file.find(".deleted") == std::string::npos);
}

TEST_CASE("retention.ms deletes segments whose newest record is too old", "[log][retention]") {
  LogFixture f;
  f.config.segment_bytes = 3500;
  f.config.retention_ms = 3600'000;
  auto log = f.Open();
  for (int i = 0; i < 6; ++i) f.Append(*log, 1, "old", 1000);  // 2 segments at t0
  f.clock.Advance(absl::Minutes(30));
  for (int i = 0; i < 6; ++i) f.Append(*log, 1, "new", 1000);  // 2 more at t0+30m
  log->UpdateHighWatermark(log->log_end_offset());
  REQUIRE(log->num_segments() == 4);
  f.clock.Advance(absl::Minutes(31));  // the old ones are 61 minutes old
  CHECK(*log->DeleteOldSegments() == 2);
  CHECK(log->log_start_offset() == Offset(6));
  f.clock.Advance(absl::Minutes(60));  // everything is old: roll, keep an empty active segment
  CHECK(*log->DeleteOldSegments() == 2);
  CHECK(log->num_segments() == 1);
  CHECK(log->log_start_offset() == Offset(12));
  CHECK(log->log_end_offset() == Offset(12));
  CHECK(f.Append(*log, 1, "later").first_offset == Offset(12));
}

TEST_CASE("retention never deletes data above the high watermark", "[log][retention]") {
  LogFixture f;
  f.config.segment_bytes = 3500;
  f.config.retention_bytes = 0;
  auto log = f.Open();
  for (int i = 0; i < 9; ++i) f.Append(*log, 1, "v", 1000);
  log->UpdateHighWatermark(Offset(4));  // segments [0,3) below, [3,6) not wholly below
  CHECK(*log->DeleteOldSegments() == 1);
  CHECK(log->log_start_offset() == Offset(3));
}

TEST_CASE("a closed log refuses every call with a clear error", "[log][errors]") {
  LogFixture f;
  auto log = f.Open();
  f.Append(*log, 1, "a");
  REQUIRE(log->Close().ok());
  CHECK(ErrorCodeOf(log->AppendAsLeader(MakeBatch(1, "b", 0), 0).status()) ==
        ErrorCode::kKafkaStorageError);
  CHECK(ErrorCodeOf(log->Read(Offset(0), 100, Offset(1)).status()) == ErrorCode::kKafkaStorageError);
  CHECK(ErrorCodeOf(log->Flush()) == ErrorCode::kKafkaStorageError);
  CHECK(ErrorCodeOf(log->Close()) == ErrorCode::kKafkaStorageError);
}

TEST_CASE("a log reopened after Close has every record and needs no recovery", "[log][recovery]") {
  LogFixture f;
  f.config.segment_bytes = 3000;
  auto log = f.Open();
  for (int i = 0; i < 30; ++i) f.Append(*log, 2, "r" + std::to_string(i), 100);
  REQUIRE(log->Close().ok());
  log = f.Open(/*clean=*/true);
  CHECK(log->recovery_info().segments_recovered == 0);
  CHECK(log->recovery_info().indexes_rebuilt == 0);
  CHECK(log->log_end_offset() == Offset(60));
  auto records = ReadAll(*log);
  REQUIRE(records.size() == 60);
  CHECK(records[59].value->substr(0, 5) == "r29-1");
  CHECK(f.Append(*log, 1, "next").first_offset == Offset(60));
}

TEST_CASE("flush.messages=1 makes every append durable at once", "[log][flush]") {
  LogFixture f;
  f.config.flush_messages = 1;
  auto log = f.Open();
  f.Append(*log, 2, "a");
  CHECK(log->recovery_point() == Offset(2));
  f.Append(*log, 3, "b");
  CHECK(log->recovery_point() == Offset(5));
}

TEST_CASE("by default appends are not flushed until Flush()", "[log][flush]") {
  LogFixture f;
  auto log = f.Open();
  f.Append(*log, 2, "a");
  CHECK(log->recovery_point() == Offset(0));
  REQUIRE(log->Flush().ok());
  CHECK(log->recovery_point() == Offset(2));
}

}  // namespace
}  // namespace samsa
