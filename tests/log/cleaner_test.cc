// Log compaction (log_cleaner.h): what a cleaning pass keeps and drops, how
// reads, indexes and the checkpoint see the result, and what a crash at any
// step of the segment swap leaves behind.
#include "log/log_cleaner.h"

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "io/fault_injection_env.h"
#include "log/checkpoint_file.h"
#include "log/log_manager.h"
#include "log/log_test_util.h"
#include "record/record_batch.h"
#include "samsa/errors.h"
#include "samsa/logging.h"

namespace samsa {
namespace {

using record::CompressionType;
using testing::DecodeAll;
using testing::TestRecord;

// Every record of the log up to the high watermark. Like a Kafka consumer,
// the position moves past each batch's last offset (lastOffsetDelta), which a
// cleaned batch keeps even when its last record is gone.
std::vector<TestRecord> ConsumeAll(const Log& log) {
  std::vector<TestRecord> out;
  Offset next = log.log_start_offset();
  while (next < log.high_watermark()) {
    absl::StatusOr<LogReadInfo> read = log.Read(next, 1 << 16, log.high_watermark());
    REQUIRE(read.ok());
    REQUIRE_FALSE(read->records.empty());
    std::string_view bytes = read->records.view();
    while (!bytes.empty()) {
      absl::StatusOr<record::RecordBatchView> batch = record::RecordBatchView::Parse(bytes);
      REQUIRE(batch.ok());
      for (TestRecord& r : DecodeAll(batch->bytes())) {
        if (r.offset >= next.value()) out.push_back(std::move(r));
      }
      next = Offset(batch->last_offset() + 1);
      bytes.remove_prefix(batch->size_in_bytes());
    }
  }
  return out;
}

// A record to append: key (nullopt: none) and value (nullopt: tombstone).
struct KV {
  std::optional<std::string> key;
  std::optional<std::string> value;
};

// No Catch assertion inside: safe on a test's own threads.
absl::StatusOr<std::string> TryBuildBatch(const std::vector<KV>& records, int64_t timestamp,
                                          CompressionType compression = CompressionType::kNone,
                                          record::RecordBatchOptions options = {}) {
  options.compression = compression;
  record::RecordBatchBuilder builder(options);
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    std::optional<std::string_view> key, value;
    if (r.key) key = *r.key;
    if (r.value) value = *r.value;
    builder.Append(timestamp + static_cast<int64_t>(i), key, value);
  }
  return builder.Build();
}

std::string BuildBatch(const std::vector<KV>& records, int64_t timestamp,
                       CompressionType compression = CompressionType::kNone,
                       record::RecordBatchOptions options = {}) {
  absl::StatusOr<std::string> batch = TryBuildBatch(records, timestamp, compression, options);
  REQUIRE(batch.ok());
  return *std::move(batch);
}

using Latest = std::map<std::string, std::optional<std::string>>;

// key -> value of its last record (nullopt: deleted by a tombstone).
Latest LatestByKey(const std::vector<TestRecord>& records) {
  Latest latest;
  for (const auto& r : records) {
    if (r.key) latest[*r.key] = r.value;
  }
  return latest;
}

// The keys a reader ends up with: tombstoned keys are absent.
std::map<std::string, std::string> LiveKeys(const std::vector<TestRecord>& records) {
  std::map<std::string, std::string> live;
  for (const auto& [k, v] : LatestByKey(records)) {
    if (v) live[k] = *v;
  }
  return live;
}

LogCleaner::Options CleanerOptions(Env* env, int64_t dedupe_bytes = 1 << 20) {
  LogCleaner::Options options;
  options.env = env;
  options.config.enable = false;  // passes run when a test asks
  options.config.dedupe_buffer_size = dedupe_bytes;
  options.logs = [] { return std::vector<std::pair<TopicPartition, std::shared_ptr<Log>>>{}; };
  return options;
}

struct CleanerFixture {
  ManualClock clock;
  std::unique_ptr<Env> env = NewMemEnv(&clock);
  LogConfig config;
  std::unique_ptr<Log> log;
  std::unique_ptr<LogCleaner> cleaner;
  // Every record appended, by offset.
  std::map<int64_t, TestRecord> appended;

  explicit CleanerFixture(int64_t dedupe_bytes = 1 << 20) {
    config.cleanup_policy = CleanupPolicy::kCompact;
    config.segment_bytes = 1024;
    config.index_interval_bytes = 100;
    config.min_cleanable_dirty_ratio = 0.01;
    config.delete_retention_ms = 1000;
    cleaner = std::make_unique<LogCleaner>(CleanerOptions(env.get(), dedupe_bytes));
    log = Open();
  }

  std::unique_ptr<Log> Open(bool clean = true) {
    return testing::OpenLog(testing::LogOptions(env.get(), "/data/t-0", "t", config, clean));
  }

  LogAppendInfo Append(const std::vector<KV>& records,
                       CompressionType compression = CompressionType::kNone) {
    const int64_t ts = clock.NowMs();
    absl::StatusOr<LogAppendInfo> info = log->AppendAsLeader(BuildBatch(records, ts, compression), 0);
    REQUIRE(info.ok());
    log->UpdateHighWatermark(log->log_end_offset());  // one replica: committed at once
    for (size_t i = 0; i < records.size(); ++i) {
      TestRecord r;
      r.offset = info->first_offset.value() + static_cast<int64_t>(i);
      r.timestamp = ts + static_cast<int64_t>(i);
      r.key = records[i].key;
      r.value = records[i].value;
      appended[r.offset] = r;
    }
    clock.Advance(absl::Milliseconds(10));
    return *info;
  }

  // `rounds` rounds over keys k0..k<keys-1>, one batch of `per_batch` records at a time.
  void AppendRounds(int rounds, int keys, int per_batch = 5,
                    CompressionType compression = CompressionType::kNone) {
    std::vector<KV> batch;
    for (int r = 0; r < rounds; ++r) {
      for (int k = 0; k < keys; ++k) {
        batch.push_back({fmt::format("k{}", k), fmt::format("v{}-{}-{}", k, r, std::string(20, 'x'))});
        if (static_cast<int>(batch.size()) == per_batch) {
          Append(batch, compression);
          batch.clear();
        }
      }
    }
    if (!batch.empty()) Append(batch, compression);
  }

  CleanerStats Clean(bool force = false) {
    absl::StatusOr<CleanerStats> stats = cleaner->CleanOnce(*log, force);
    REQUIRE(stats.ok());
    return *stats;
  }

  std::vector<TestRecord> All() { return ConsumeAll(*log); }

  // Every record read is one that was appended, at its offset.
  void CheckRecordsAreOriginals(const std::vector<TestRecord>& records) {
    int64_t previous = -1;
    for (const auto& r : records) {
      INFO("offset " << r.offset);
      REQUIRE(r.offset > previous);
      previous = r.offset;
      REQUIRE(appended.count(r.offset) == 1);
      REQUIRE(appended[r.offset] == r);
    }
  }

  std::vector<TestRecord> AppendedRecords() {
    std::vector<TestRecord> out;
    for (const auto& [o, r] : appended) out.push_back(r);
    return out;
  }
};

TEST_CASE("compaction keeps the latest value of each key at its original offset",
          "[log][cleaner]") {
  CleanerFixture f;
  f.Append({{"first", "only once"}});  // offset 0, kept
  f.AppendRounds(10, 8);
  REQUIRE(f.log->num_segments() > 3);
  const Offset leo = f.log->log_end_offset();
  const Offset active_base = f.log->segment_base_offsets().back();
  const auto before = f.All();
  // A reader in the middle of the first segment when the swap happens.
  const std::shared_ptr<LogSegment> held = f.log->Snapshot().segments.front();

  const CleanerStats stats = f.Clean();
  REQUIRE(f.log->Snapshot().segments.front() != held);
  absl::StatusOr<std::optional<SegmentReadResult>> old_read =
      held->Read(Offset(0), 1 << 20, held->size(), true);
  REQUIRE(old_read.ok());
  REQUIRE(old_read->has_value());
  const auto old_records = DecodeAll((*old_read)->records.view());
  REQUIRE_FALSE(old_records.empty());
  for (const auto& r : old_records) REQUIRE(f.appended[r.offset] == r);
  REQUIRE(stats.cleaned);
  REQUIRE(stats.first_dirty_offset == Offset(0));
  REQUIRE(stats.end_offset == active_base);
  REQUIRE(stats.records_removed > 0);
  REQUIRE(stats.bytes_written < stats.bytes_read);
  REQUIRE(stats.dirty_ratio == Approx(1.0));

  const auto after = f.All();
  REQUIRE(f.log->log_end_offset() == leo);
  REQUIRE(after.size() == before.size() - static_cast<size_t>(stats.records_removed));
  f.CheckRecordsAreOriginals(after);
  REQUIRE(LatestByKey(after) == LatestByKey(before));
  // Below the active segment each key appears once, at its last offset.
  std::map<std::string, int> seen;
  for (const auto& r : after) {
    if (r.offset < active_base.value()) ++seen[*r.key];
  }
  for (const auto& [key, n] : seen) REQUIRE(n == 1);
  // Offsets were kept, so there are gaps.
  REQUIRE(after[0].offset == 0);
  REQUIRE(after[1].offset > 1);
  // Appends continue at the LEO.
  REQUIRE(f.Append({{"k0", "new"}}).first_offset == leo);
}

TEST_CASE("reads and timestamp lookups from a removed offset find the next batch kept",
          "[log][cleaner]") {
  CleanerFixture f;
  f.AppendRounds(6, 5);
  f.Clean();
  const auto kept = f.All();
  std::vector<int64_t> kept_offsets;
  for (const auto& r : kept) kept_offsets.push_back(r.offset);
  const Offset leo = f.log->log_end_offset();
  for (int64_t o = 0; o < leo.value(); ++o) {
    INFO("offset " << o);
    auto next = std::lower_bound(kept_offsets.begin(), kept_offsets.end(), o);
    REQUIRE(next != kept_offsets.end());
    absl::StatusOr<LogReadInfo> read = f.log->Read(Offset(o), 1, leo);  // one batch
    REQUIRE(read.ok());
    const auto records = DecodeAll(read->records.view());
    REQUIRE_FALSE(records.empty());
    // The first batch returned holds the first kept offset >= o.
    bool found = false;
    for (const auto& r : records) found = found || r.offset == *next;
    REQUIRE(found);
    REQUIRE(records.front().offset <= *next);

    // By timestamp: the appended record at o had timestamp ts; the first kept
    // record with a timestamp >= ts is the first kept offset >= o (timestamps
    // grow with offsets here).
    absl::StatusOr<std::optional<TimestampOffset>> by_time =
        f.log->FetchOffsetByTimestamp(f.appended[o].timestamp);
    REQUIRE(by_time.ok());
    REQUIRE(by_time->has_value());
    REQUIRE((*by_time)->offset == Offset(*next));
  }
}

TEST_CASE("cleaned segments get sparse indexes that survive a reopen", "[log][cleaner]") {
  CleanerFixture f;
  f.config.segment_bytes = 8192;
  f.config.index_interval_bytes = 200;
  f.log = f.Open();
  f.AppendRounds(1, 300, 4);
  f.AppendRounds(1, 20, 4);  // supersedes the first 5 batches
  REQUIRE(f.log->Roll().ok());
  REQUIRE(f.Clean().records_removed == 20);
  const auto kept = f.All();
  const Log::SegmentsSnapshot snapshot = f.log->Snapshot();
  size_t entries = 0;
  for (size_t s = 0; s + 1 < snapshot.segments.size(); ++s) {
    const LogSegment& segment = *snapshot.segments[s];
    // Sparse: at most one entry per index.interval.bytes, not one per batch.
    entries += segment.offset_index().entries();
    REQUIRE(static_cast<int64_t>(segment.offset_index().entries()) <= segment.size() / 200);
    for (size_t i = 0; i < segment.offset_index().entries(); ++i) {
      const OffsetPosition e = segment.offset_index().EntryAt(i);
      // Each entry points at the batch whose last offset it names.
      absl::StatusOr<std::optional<BatchLocation>> at =
          segment.TranslateOffset(e.offset, e.position, segment.size());
      REQUIRE(at.ok());
      REQUIRE(at->has_value());
      REQUIRE((*at)->position == e.position);
      REQUIRE((*at)->last_offset == e.offset);
    }
  }
  REQUIRE(entries > 10);
  REQUIRE(f.log->Close().ok());
  f.log = f.Open(/*clean=*/true);
  REQUIRE(f.log->recovery_info().indexes_rebuilt == 0);
  REQUIRE(f.All() == kept);
  for (const auto& r : kept) {
    absl::StatusOr<LogReadInfo> read = f.log->Read(Offset(r.offset), 1, f.log->log_end_offset());
    REQUIRE(read.ok());
    REQUIRE(DecodeAll(read->records.view()).front().offset <= r.offset);
  }
}

TEST_CASE("a tombstone stays until its segment is older than delete.retention.ms",
          "[log][cleaner]") {
  CleanerFixture f;
  f.config.delete_retention_ms = 60'000;
  f.log = f.Open();
  f.AppendRounds(3, 5);
  f.Append({{"k1", std::nullopt}});  // delete k1
  REQUIRE(f.log->Roll().ok());
  const auto has_k1_tombstone = [&] {
    for (const auto& r : f.All()) {
      if (r.key == "k1" && !r.value) return true;
    }
    return false;
  };
  // Newer data under keys of its own, in segments too big to merge with the
  // tombstone's: the clean section's last segment moves on in time.
  int unique = 0;
  const auto append_newer = [&](absl::Duration later) {
    f.clock.Advance(later);
    for (int i = 0; i < 6; ++i) f.Append({{fmt::format("u{}", unique++), std::string(300, 'u')}});
    REQUIRE(f.log->Roll().ok());
  };

  // First pass: no clean section yet, every tombstone stays.
  CleanerStats stats = f.Clean();
  REQUIRE(stats.cleaned);
  REQUIRE(has_k1_tombstone());
  REQUIRE(LiveKeys(f.All()).count("k1") == 0);
  REQUIRE(LiveKeys(f.All()).size() == 4);

  // The clean section ends with the tombstone's segment: horizon = its time - 60 s.
  append_newer(absl::Seconds(30));
  REQUIRE(f.Clean(/*force=*/true).tombstones_removed == 0);
  REQUIRE(has_k1_tombstone());
  // It ends 30 s after the tombstone: horizon = tombstone - 30 s.
  append_newer(absl::Seconds(100));
  REQUIRE(f.Clean(/*force=*/true).tombstones_removed == 0);
  REQUIRE(has_k1_tombstone());
  // It ends 130 s after the tombstone: horizon = tombstone + 70 s, past it.
  append_newer(absl::Seconds(100));
  stats = f.Clean(/*force=*/true);
  REQUIRE(stats.tombstones_removed == 1);
  REQUIRE_FALSE(has_k1_tombstone());
  const auto live = LiveKeys(f.All());
  REQUIRE(live.count("k1") == 0);
  REQUIRE(live.size() == 4 + static_cast<size_t>(unique));
  for (const auto& r : f.All()) REQUIRE(r.key != "k1");
}

TEST_CASE("min.cleanable.dirty.ratio decides whether a log is cleaned", "[log][cleaner]") {
  CleanerFixture f;
  f.config.min_cleanable_dirty_ratio = 0.5;
  f.log = f.Open();
  f.AppendRounds(6, 5);
  REQUIRE(f.log->Roll().ok());
  CleanerStats stats = f.Clean();
  REQUIRE(stats.cleaned);  // all dirty: ratio 1
  const Offset first_dirty = stats.end_offset;

  // A little dirty data over a bigger clean section: below the ratio.
  f.Append({{"k0", "x"}});
  REQUIRE(f.log->Roll().ok());
  CleanableLog c = f.cleaner->Cleanable(*f.log);
  REQUIRE(c.first_dirty_offset == first_dirty);
  REQUIRE(c.dirty_bytes > 0);
  REQUIRE(c.dirty_ratio < 0.5);
  REQUIRE_FALSE(c.needs_cleaning);
  stats = f.Clean();
  REQUIRE_FALSE(stats.cleaned);

  // More dirty data: past the ratio.
  f.AppendRounds(6, 5);
  REQUIRE(f.log->Roll().ok());
  c = f.cleaner->Cleanable(*f.log);
  REQUIRE(c.dirty_ratio > 0.5);
  REQUIRE(c.needs_cleaning);
  REQUIRE(f.Clean().cleaned);
}

TEST_CASE("min.compaction.lag.ms keeps recent segments out of the pass", "[log][cleaner]") {
  CleanerFixture f;
  f.config.min_compaction_lag_ms = 60'000;
  f.log = f.Open();
  f.AppendRounds(4, 5);
  REQUIRE(f.log->Roll().ok());
  const Offset old_end = f.log->log_end_offset();
  f.clock.Advance(absl::Seconds(61));
  f.AppendRounds(4, 5);  // recent duplicates
  REQUIRE(f.log->Roll().ok());

  const CleanableLog c = f.cleaner->Cleanable(*f.log);
  // The first segment of the recent data is where cleaning must stop.
  const auto bases = f.log->segment_base_offsets();
  REQUIRE(c.first_uncleanable_offset == old_end);
  REQUIRE(std::find(bases.begin(), bases.end(), old_end) != bases.end());
  const CleanerStats stats = f.Clean();
  REQUIRE(stats.cleaned);
  REQUIRE(stats.end_offset <= old_end);
  // Every recent record is still there.
  for (const auto& [o, r] : f.appended) {
    if (o >= old_end.value()) {
      absl::StatusOr<LogReadInfo> read = f.log->Read(Offset(o), 1, f.log->log_end_offset());
      REQUIRE(read.ok());
      bool found = false;
      for (const auto& got : DecodeAll(read->records.view())) found = found || got == r;
      REQUIRE(found);
    }
  }
}

TEST_CASE("max.compaction.lag.ms forces a pass below the dirty ratio", "[log][cleaner]") {
  CleanerFixture f;
  f.config.min_cleanable_dirty_ratio = 0.99;
  f.config.max_compaction_lag_ms = 60'000;
  f.log = f.Open();
  f.AppendRounds(6, 5);
  REQUIRE(f.log->Roll().ok());
  REQUIRE(f.Clean().cleaned);  // ratio 1 > 0.99
  f.Append({{"k0", "x"}});
  REQUIRE(f.log->Roll().ok());
  REQUIRE_FALSE(f.cleaner->Cleanable(*f.log).needs_cleaning);
  f.clock.Advance(absl::Seconds(61));
  const CleanableLog c = f.cleaner->Cleanable(*f.log);
  REQUIRE(c.compaction_delay_ms > 0);
  REQUIRE(c.needs_cleaning);
  REQUIRE(f.Clean().cleaned);
}

TEST_CASE("the active segment is never cleaned", "[log][cleaner]") {
  CleanerFixture f;
  f.config.segment_bytes = 1 << 20;  // everything in the active segment
  f.log = f.Open();
  f.AppendRounds(5, 3);
  REQUIRE(f.log->num_segments() == 1);
  const CleanableLog c = f.cleaner->Cleanable(*f.log);
  REQUIRE(c.dirty_bytes == 0);
  REQUIRE_FALSE(f.Clean(/*force=*/true).cleaned);
  REQUIRE(f.All() == f.AppendedRecords());
}

TEST_CASE("compressed batches are filtered and recompressed with their codec", "[log][cleaner]") {
  for (CompressionType codec : {CompressionType::kGzip, CompressionType::kSnappy,
                                CompressionType::kLz4, CompressionType::kZstd}) {
    CAPTURE(static_cast<int>(codec));
    CleanerFixture f;
    // Every batch rewrites two hot keys and adds a key of its own: cleaning
    // keeps part of each.
    for (int i = 0; i < 30; ++i) {
      f.Append({{"hot", fmt::format("h{}", i)},
                {fmt::format("u{}", i), std::string(40, 'u')},
                {"hot2", fmt::format("h{}", i)}},
               codec);
    }
    REQUIRE(f.log->Roll().ok());
    const auto before = f.All();
    const CleanerStats stats = f.Clean();
    REQUIRE(stats.records_removed > 0);
    const auto after = f.All();
    f.CheckRecordsAreOriginals(after);
    REQUIRE(LatestByKey(after) == LatestByKey(before));
    // Every batch left is still compressed with the same codec and valid.
    absl::StatusOr<LogReadInfo> read =
        f.log->Read(Offset(0), 1 << 20, f.log->log_end_offset());
    REQUIRE(read.ok());
    std::string_view bytes = read->records.view();
    int partial = 0;
    while (!bytes.empty()) {
      absl::StatusOr<record::RecordBatchView> batch = record::RecordBatchView::Parse(bytes, true);
      REQUIRE(batch.ok());
      REQUIRE(batch->compression() == codec);
      REQUIRE(record::ValidateRecords(*batch, /*require_dense_offsets=*/false).ok());
      if (batch->records_count() < batch->last_offset_delta() + 1) ++partial;
      bytes.remove_prefix(batch->size_in_bytes());
    }
    REQUIRE(partial > 0);
  }
}

TEST_CASE("a filtered batch keeps its base offset, last offset, producer fields and deltas",
          "[log][cleaner]") {
  record::RecordBatchOptions options;
  options.base_offset = 1000;
  options.producer_id = 77;
  options.producer_epoch = 3;
  options.base_sequence = 40;
  options.partition_leader_epoch = 9;
  const std::string bytes = BuildBatch(
      {{"a", "1"}, {"b", "2"}, {"a", "3"}, {"c", std::nullopt}, {"b", "5"}}, 5000,
      CompressionType::kNone, options);
  absl::StatusOr<record::RecordBatchView> batch = record::RecordBatchView::Parse(bytes);
  REQUIRE(batch.ok());
  // Keep offsets 1002 and 1003 only.
  absl::StatusOr<FilteredBatch> filtered = FilterBatch(
      *batch, [](const record::RecordView& r) { return r.offset == 1002 || r.offset == 1003; });
  REQUIRE(filtered.ok());
  REQUIRE(filtered->kind == FilteredBatch::kSome);
  REQUIRE(filtered->retained == 2);
  REQUIRE(filtered->removed == 3);
  absl::StatusOr<record::RecordBatchView> out = record::RecordBatchView::Parse(filtered->bytes, true);
  REQUIRE(out.ok());
  REQUIRE(out->size_in_bytes() == filtered->bytes.size());
  REQUIRE(out->base_offset() == 1000);
  REQUIRE(out->last_offset_delta() == 4);
  REQUIRE(out->records_count() == 2);
  REQUIRE(out->base_timestamp() == 5000);
  REQUIRE(out->max_timestamp() == 5003);
  REQUIRE(out->producer_id() == 77);
  REQUIRE(out->producer_epoch() == 3);
  REQUIRE(out->base_sequence() == 40);
  REQUIRE(out->partition_leader_epoch() == 9);
  REQUIRE(out->attributes() == batch->attributes());
  const auto records = DecodeAll(filtered->bytes);
  REQUIRE(records.size() == 2);
  REQUIRE(records[0] == TestRecord{1002, 5002, "a", "3"});
  REQUIRE(records[1] == TestRecord{1003, 5003, "c", std::nullopt});

  absl::StatusOr<FilteredBatch> all = FilterBatch(*batch, [](const auto&) { return true; });
  REQUIRE(all.ok());
  REQUIRE(all->kind == FilteredBatch::kAll);
  absl::StatusOr<FilteredBatch> none = FilterBatch(*batch, [](const auto&) { return false; });
  REQUIRE(none.ok());
  REQUIRE(none->kind == FilteredBatch::kNone);
}

TEST_CASE("a compacted topic refuses a record without a key and writes nothing",
          "[log][cleaner]") {
  for (CleanupPolicy policy : {CleanupPolicy::kCompact, CleanupPolicy::kCompactDelete}) {
    CleanerFixture f;
    f.config.cleanup_policy = policy;
    f.log = f.Open();
    f.Append({{"k", "v"}});
    const Offset leo = f.log->log_end_offset();
    const int64_t size = f.log->size_in_bytes();
    absl::StatusOr<LogAppendInfo> info = f.log->AppendAsLeader(
        BuildBatch({{"k2", "v"}, {std::nullopt, "keyless"}}, f.clock.NowMs()), 0);
    REQUIRE(ErrorCodeOf(info.status()) == ErrorCode::kInvalidRecord);
    const std::string message(info.status().message());
    const std::string kafka_message =
        "Compacted topic cannot accept message without key in topic partition t-0.";
    REQUIRE(message.size() >= kafka_message.size());
    REQUIRE(message.substr(message.size() - kafka_message.size()) == kafka_message);
    REQUIRE(f.log->log_end_offset() == leo);
    REQUIRE(f.log->size_in_bytes() == size);
    // Compressed too.
    info = f.log->AppendAsLeader(
        BuildBatch({{std::nullopt, "keyless"}}, f.clock.NowMs(), CompressionType::kLz4), 0);
    REQUIRE(ErrorCodeOf(info.status()) == ErrorCode::kInvalidRecord);
    REQUIRE(f.log->log_end_offset() == leo);
  }
  // A delete-only topic takes it.
  CleanerFixture f;
  f.config.cleanup_policy = CleanupPolicy::kDelete;
  f.log = f.Open();
  REQUIRE(f.log->AppendAsLeader(BuildBatch({{std::nullopt, "x"}}, 0), 0).ok());
}

TEST_CASE("records without a key already in a compacted log are dropped by the cleaner",
          "[log][cleaner]") {
  CleanerFixture f;
  f.config.cleanup_policy = CleanupPolicy::kDelete;
  f.log = f.Open();
  f.Append({{std::nullopt, "keyless"}, {"k", "1"}});
  f.Append({{"k", "2"}});
  REQUIRE(f.log->Roll().ok());
  f.config.cleanup_policy = CleanupPolicy::kCompact;
  f.log->UpdateConfig(f.config);
  const CleanerStats stats = f.Clean(/*force=*/true);
  REQUIRE(stats.invalid_records == 1);
  const auto after = f.All();
  REQUIRE(after.size() == 1);
  REQUIRE(after[0] == f.appended[2]);
}

TEST_CASE("the offset map bounds a pass, the next pass continues from where it stopped",
          "[log][cleaner]") {
  // 24 bytes per entry: room for 90 keys.
  CleanerFixture f(/*dedupe_bytes=*/100 * OffsetMap::kBytesPerEntry);
  f.AppendRounds(3, 200, 10);
  REQUIRE(f.log->Roll().ok());
  const auto before = f.All();
  const Offset leo = f.log->log_end_offset();
  CleanerStats stats = f.Clean();
  REQUIRE(stats.cleaned);
  REQUIRE(stats.map_full);
  REQUIRE(stats.map_entries <= 90);
  REQUIRE(stats.end_offset < leo);
  REQUIRE(f.cleaner->checkpoint().at(TopicPartition{"t", 0}) == stats.end_offset);
  REQUIRE(LatestByKey(f.All()) == LatestByKey(before));
  int passes = 1;
  while (f.cleaner->Cleanable(*f.log).dirty_bytes > 0 && passes < 50) {
    stats = f.Clean(/*force=*/true);
    REQUIRE(stats.cleaned);
    ++passes;
  }
  REQUIRE(passes > 1);
  const auto after = f.All();
  f.CheckRecordsAreOriginals(after);
  REQUIRE(LatestByKey(after) == LatestByKey(before));
  REQUIRE(after.size() == 200);
}

TEST_CASE("with compact,delete retention still deletes old segments", "[log][cleaner]") {
  ManualClock clock;
  std::unique_ptr<Env> env = NewMemEnv(&clock);
  LogManager::Options options;
  options.env = env.get();
  options.log_dirs = {"/kafka-logs"};
  options.cleaner.enable = false;
  absl::StatusOr<std::unique_ptr<LogManager>> manager = LogManager::Open(options);
  REQUIRE(manager.ok());
  LogConfig config;
  config.cleanup_policy = CleanupPolicy::kCompactDelete;
  config.segment_bytes = 1024;
  config.retention_ms = 3'600'000;
  config.min_cleanable_dirty_ratio = 0.01;
  absl::StatusOr<std::shared_ptr<Log>> log = (*manager)->GetOrCreateLog({"cd", 0}, config);
  REQUIRE(log.ok());
  const auto append = [&](int round) {
    for (int k = 0; k < 5; ++k) {
      REQUIRE((*log)->AppendAsLeader(BuildBatch({{fmt::format("k{}", k),
                                                  fmt::format("v{}-{}", round, std::string(40, 'x'))}},
                                                clock.NowMs()),
                                     0)
                  .ok());
      (*log)->UpdateHighWatermark((*log)->log_end_offset());
    }
  };
  for (int round = 0; round < 6; ++round) append(round);
  const std::vector<CleanerStats> cleaned = (*manager)->RunCleaner();
  REQUIRE(cleaned.size() == 1);
  REQUIRE(cleaned[0].log == "cd-0");
  REQUIRE((*manager)->CleanupLogs().value() == 0);  // nothing old yet
  clock.Advance(absl::Hours(2));
  for (int round = 6; round < 12; ++round) append(round);
  const int32_t before = (*log)->num_segments();
  absl::StatusOr<int32_t> deleted = (*manager)->CleanupLogs();
  REQUIRE(deleted.ok());
  REQUIRE(*deleted > 0);
  REQUIRE((*log)->num_segments() < before);
  REQUIRE((*log)->log_start_offset() > Offset(0));
  for (const auto& r : ConsumeAll(**log)) REQUIRE(r.offset >= (*log)->log_start_offset().value());
  for (const auto& [k, v] : LiveKeys(ConsumeAll(**log))) REQUIRE(v.substr(0, 4) == "v11-");
}

TEST_CASE("the cleaner checkpoint is written in Kafka's format and read back", "[log][cleaner]") {
  ManualClock clock;
  std::unique_ptr<Env> env = NewMemEnv(&clock);
  LogManager::Options options;
  options.env = env.get();
  options.log_dirs = {"/kafka-logs"};
  options.cleaner.enable = false;
  LogConfig config;
  config.cleanup_policy = CleanupPolicy::kCompact;
  config.segment_bytes = 1024;
  config.min_cleanable_dirty_ratio = 0.01;
  options.default_config = config;
  Offset end;
  {
    absl::StatusOr<std::unique_ptr<LogManager>> manager = LogManager::Open(options);
    REQUIRE(manager.ok());
    absl::StatusOr<std::shared_ptr<Log>> log = (*manager)->GetOrCreateLog({"orders", 3}, config);
    REQUIRE(log.ok());
    // A delete-policy log is never in the checkpoint.
    REQUIRE((*manager)->GetOrCreateLog({"plain", 0}, LogConfig{}).ok());
    for (int i = 0; i < 60; ++i) {
      REQUIRE((*log)->AppendAsLeader(BuildBatch({{fmt::format("k{}", i % 4), std::string(30, 'v')}},
                                                clock.NowMs()),
                                     0)
                  .ok());
    }
    (*log)->UpdateHighWatermark((*log)->log_end_offset());
    const auto cleaned = (*manager)->RunCleaner();
    REQUIRE(cleaned.size() == 1);
    end = cleaned[0].end_offset;
    REQUIRE(end > Offset(0));
    absl::StatusOr<std::string> text =
        ReadFileToString(env.get(), "/kafka-logs/cleaner-offset-checkpoint");
    REQUIRE(text.ok());
    REQUIRE(*text == fmt::format("0\n1\norders 3 {}\n", end.value()));
    REQUIRE((*manager)->Close().ok());
  }
  absl::StatusOr<std::unique_ptr<LogManager>> manager = LogManager::Open(options);
  REQUIRE(manager.ok());
  REQUIRE((*manager)->cleaner().checkpoint().at(TopicPartition{"orders", 3}) == end);
  std::shared_ptr<Log> log = (*manager)->GetLog({"orders", 3});
  REQUIRE(log != nullptr);
  const CleanableLog c = (*manager)->cleaner().Cleanable(*log);
  REQUIRE(c.first_dirty_offset == end);
  REQUIRE(c.dirty_bytes == 0);
  REQUIRE((*manager)->RunCleaner().empty());
  // Deleting the partition drops it from the checkpoint.
  REQUIRE((*manager)->DeleteLog({"orders", 3}).ok());
  REQUIRE((*manager)->cleaner().checkpoint().empty());
}

TEST_CASE("the background cleaner runs every log.cleaner.backoff.ms on the clock",
          "[log][cleaner]") {
  ManualClock clock;
  std::unique_ptr<Env> env = NewMemEnv(&clock);
  LogManager::Options options;
  options.env = env.get();
  options.log_dirs = {"/kafka-logs"};
  options.cleaner.backoff_ms = 15000;
  absl::StatusOr<std::unique_ptr<LogManager>> manager = LogManager::Open(options);
  REQUIRE(manager.ok());
  LogConfig config;
  config.cleanup_policy = CleanupPolicy::kCompact;
  config.segment_bytes = 1024;
  absl::StatusOr<std::shared_ptr<Log>> log = (*manager)->GetOrCreateLog({"bg", 0}, config);
  REQUIRE(log.ok());
  for (int i = 0; i < 80; ++i) {
    REQUIRE((*log)->AppendAsLeader(BuildBatch({{fmt::format("k{}", i % 3), std::string(30, 'v')}},
                                              clock.NowMs()),
                                   0)
                .ok());
  }
  (*log)->UpdateHighWatermark((*log)->log_end_offset());
  const int64_t size = (*log)->size_in_bytes();
  clock.Advance(absl::Milliseconds(14999));
  (*manager)->cleaner().AwaitIdle();
  REQUIRE((*log)->size_in_bytes() == size);
  clock.Advance(absl::Milliseconds(1));
  (*manager)->cleaner().AwaitIdle();
  REQUIRE((*log)->size_in_bytes() < size);
  REQUIRE((*manager)->cleaner().checkpoint().count(TopicPartition{"bg", 0}) == 1);
}

TEST_CASE("appends continue while a cleaning pass runs", "[log][cleaner]") {
  CleanerFixture f;
  f.AppendRounds(20, 10);
  std::atomic<bool> stop{false};
  std::atomic<int> appended{0};
  std::vector<std::pair<int64_t, std::string>> written;  // offset, value of key "hot"
  std::atomic<bool> failed{false};
  std::thread writer([&] {
    int i = 0;
    while (!stop.load() || i < 200) {
      const std::string value = fmt::format("hot-{}", i);
      absl::StatusOr<std::string> batch =
          TryBuildBatch({{"hot", value}, {fmt::format("w{}", i % 7), value}}, 1'700'000'000'000 + i);
      if (!batch.ok()) {
        failed = true;
        return;
      }
      absl::StatusOr<LogAppendInfo> info = f.log->AppendAsLeader(*std::move(batch), 0);
      if (!info.ok()) {
        failed = true;
        return;
      }
      f.log->MaybeIncrementHighWatermark(f.log->log_end_offset());
      written.emplace_back(info->first_offset.value(), value);
      ++appended;
      ++i;
    }
  });
  int passes = 0;
  while ((appended.load() < 200 || passes < 5) && !failed.load()) {
    absl::StatusOr<CleanerStats> stats = f.cleaner->CleanOnce(*f.log, /*force=*/true);
    REQUIRE(stats.ok());
    ++passes;
  }
  stop = true;
  writer.join();
  REQUIRE_FALSE(failed.load());
  f.Clean(/*force=*/true);
  const auto all = f.All();
  REQUIRE(LiveKeys(all).at("hot") == written.back().second);
  // The hot key's last record is at the offset its append got.
  int64_t hot_offset = -1;
  for (const auto& r : all) {
    if (r.key == "hot") hot_offset = r.offset;
  }
  REQUIRE(hot_offset == written.back().first);
  REQUIRE(f.log->log_end_offset().value() == written.back().first + 2);
}

// --- Crashes during the swap ------------------------------------------------------------

const TopicPartition kCrashTp{"crash", 0};

// One run: a compacted log through a FaultInjectionEnv, flushed, then a
// cleaning pass whose `n`-th call of `op` fails, then a power cut and a
// reopen. Returns whether the fault fired.
bool CrashDuringCleaning(uint32_t seed, FaultOp op, int n) {
  INFO("seed " << seed << ", failing " << FaultOpName(op) << " call " << n);
  std::mt19937 rng(seed);
  ManualClock clock;
  std::unique_ptr<Env> base = NewMemEnv(&clock);
  FaultInjectionEnv env(base.get());
  LogConfig config;
  config.cleanup_policy = CleanupPolicy::kCompact;
  config.segment_bytes = 600 + static_cast<int64_t>(rng() % 1200);
  config.index_interval_bytes = static_cast<int32_t>(rng() % 300);
  config.min_cleanable_dirty_ratio = 0.01;
  LogManager::Options options;
  options.env = &env;
  options.log_dirs = {"/kafka-logs"};
  options.default_config = config;
  options.cleaner.enable = false;
  const auto open = [&] {
    absl::StatusOr<std::unique_ptr<LogManager>> manager = LogManager::Open(options);
    REQUIRE(manager.ok());
    return *std::move(manager);
  };
  std::unique_ptr<LogManager> manager = open();
  std::shared_ptr<Log> log = *manager->GetOrCreateLog(kCrashTp, config);
  const int keys = 3 + static_cast<int>(rng() % 10);
  const int batches = 30 + static_cast<int>(rng() % 40);
  for (int b = 0; b < batches; ++b) {
    std::vector<KV> batch;
    const int size = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < size; ++i) {
      const int k = static_cast<int>(rng() % keys);
      if (rng() % 10 == 0) {
        batch.push_back({fmt::format("k{}", k), std::nullopt});
      } else {
        batch.push_back({fmt::format("k{}", k), fmt::format("s{}-b{}-{}", seed, b, i)});
      }
    }
    REQUIRE(log->AppendAsLeader(BuildBatch(batch, clock.NowMs(),
                                           rng() % 3 == 0 ? CompressionType::kZstd
                                                          : CompressionType::kNone),
                                0)
                .ok());
    clock.Advance(absl::Milliseconds(5));
  }
  log->UpdateHighWatermark(log->log_end_offset());
  REQUIRE(log->Flush().ok());
  const auto before = ConsumeAll(*log);
  std::map<int64_t, TestRecord> original;
  for (const auto& r : before) original[r.offset] = r;
  const Offset leo = log->log_end_offset();

  env.FailNth(op, n);
  const auto cleaned = manager->RunCleaner();
  const bool fired = env.FaultsInjected() > 0;
  env.ClearFaults();
  env.Halt();
  log.reset();
  manager.reset();
  REQUIRE(env.SimulateCrash().ok());

  manager = open();
  log = manager->GetLog(kCrashTp);
  REQUIRE(log != nullptr);
  log->UpdateHighWatermark(log->log_end_offset());
  REQUIRE(log->log_end_offset() == leo);
  const auto after = ConsumeAll(*log);
  // Nothing invented, nothing moved, the latest value of every key kept.
  for (const auto& r : after) {
    REQUIRE(original.count(r.offset) == 1);
    REQUIRE(original[r.offset] == r);
  }
  REQUIRE(LatestByKey(after) == LatestByKey(before));
  // No leftovers once reopened.
  absl::StatusOr<std::vector<std::string>> files = env.GetChildren("/kafka-logs/crash-0");
  REQUIRE(files.ok());
  for (const std::string& file : *files) {
    REQUIRE(file.find(".cleaned") == std::string::npos);
    REQUIRE(file.find(".swap") == std::string::npos);
    REQUIRE(file.find(".deleted") == std::string::npos);
  }
  // The log still cleans and takes appends.
  manager->RunCleaner();
  REQUIRE(LatestByKey(ConsumeAll(*log)) == LatestByKey(before));
  REQUIRE(log->AppendAsLeader(BuildBatch({{"k0", "after"}}, clock.NowMs()), 0)->first_offset == leo);
  return fired;
}

TEST_CASE("a crash at any step of a cleaning pass loses no key's latest value",
          "[log][cleaner][crash]") {
  // Injected faults take the log offline, each with an error line: keep
  // them out of the output unless asked for.
  struct QuietLog {
    QuietLog() {
      if (std::getenv("SAMSA_TEST_LOG") == nullptr) SetLogSink([](LogLevel, std::string_view) {});
    }
    ~QuietLog() { SetLogSink({}); }
  } quiet;
  int runs = 0;
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    for (FaultOp op : {FaultOp::kOpen, FaultOp::kAppend, FaultOp::kSync, FaultOp::kRename,
                       FaultOp::kDelete, FaultOp::kSyncDir}) {
      // Fail the 1st, 2nd, ... call of the op until the pass makes no more.
      for (int n = 1; n < 400; ++n) {
        ++runs;
        if (!CrashDuringCleaning(seed, op, n)) break;
      }
    }
    // And a crash after a pass that went through.
    CrashDuringCleaning(seed, FaultOp::kOpen, 1 << 20);
  }
  REQUIRE(runs > 50);
}

TEST_CASE("an interrupted swap is completed when the log is opened", "[log][cleaner][crash]") {
  // Stop the swap after its .swap files are durable: the reopened log must
  // show the cleaned data, not the old segments.
  CleanerFixture f;
  f.AppendRounds(30, 4);
  REQUIRE(f.log->Flush().ok());
  REQUIRE(f.log->num_segments() > 5);
  const auto before = f.All();
  const auto segments_before = f.log->num_segments();
  // Make a cleaned segment by hand, as the cleaner would, and leave it as .swap.
  const Log::SegmentsSnapshot snapshot = f.log->Snapshot();
  std::vector<std::shared_ptr<LogSegment>> group(snapshot.segments.begin(),
                                                 snapshot.segments.begin() + 3);
  absl::StatusOr<std::shared_ptr<LogSegment>> swap =
      LogSegment::Create(f.env.get(), "/data/t-0", group.front()->base_offset(), f.config, ".swap");
  REQUIRE(swap.ok());
  // Keep only the last batch of the group (a valid, if drastic, compaction of
  // keys that the later segments rewrite anyway).
  absl::StatusOr<LogReadInfo> read = f.log->Read(
      Offset(snapshot.segments[3]->base_offset().value() - 1), 1, f.log->log_end_offset());
  REQUIRE(read.ok());
  const auto last_batch = DecodeAll(read->records.view());
  REQUIRE((*swap)->Append(Offset(last_batch.back().offset), last_batch.back().timestamp,
                          Offset(last_batch.back().offset), read->records.view())
              .ok());
  REQUIRE((*swap)->Flush().ok());
  (*swap)->Close();
  f.log.reset();
  f.log = f.Open(/*clean=*/false);
  REQUIRE(f.log->num_segments() == segments_before - 2);
  const auto after = f.All();
  f.CheckRecordsAreOriginals(after);
  REQUIRE(LatestByKey(after) == LatestByKey(before));
  REQUIRE(after.front().offset == last_batch.front().offset);
}

}  // namespace
}  // namespace samsa
