// Readers racing an appender: reads take no append lock, so this is where a
// data race would show (the TSan build runs it).
#include <atomic>
#include <random>
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "log/log.h"
#include "log/log_test_util.h"
#include "samsa/errors.h"

namespace samsa {
namespace {

using testing::MakeBatch;

// Checks every record of `bytes` carries the offset its value names, without
// Catch2 macros (they are not thread-safe).
bool RecordsNameTheirOffsets(std::string_view bytes) {
  while (!bytes.empty()) {
    auto batch = record::RecordBatchView::Parse(bytes);
    if (!batch.ok()) return false;
    auto reader = record::RecordReader::Open(*batch);
    if (!reader.ok()) return false;
    record::RecordView rec;
    while (true) {
      auto more = reader->Next(&rec);
      if (!more.ok()) return false;
      if (!*more) break;
      const std::string_view value = *rec.value;
      if (value.substr(0, value.find('-')) != "o" + std::to_string(rec.offset)) return false;
    }
    bytes.remove_prefix(batch->size_in_bytes());
  }
  return true;
}

TEST_CASE("readers see consistent whole batches while an appender rolls and retention deletes",
          "[log][concurrency]") {
  ManualClock clock;
  std::unique_ptr<Env> env = NewMemEnv(&clock);
  Log::Options options;
  options.env = env.get();
  options.dir = "/data/busy-0";
  options.topic = "busy";
  options.config.segment_bytes = 8 << 10;
  options.config.index_interval_bytes = 512;
  options.config.retention_bytes = 64 << 10;
  options.had_clean_shutdown = true;
  auto opened = Log::Open(std::move(options));
  REQUIRE(opened.ok());
  Log& log = **opened;

  constexpr int kBatches = 1500;
  std::atomic<bool> done{false};
  std::atomic<int64_t> reads{0};
  std::atomic<int> failures{0};

  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      std::mt19937 rng(r);
      while (!done.load()) {
        const Offset hw = log.high_watermark();
        const Offset start = log.log_start_offset();
        if (hw <= start) continue;
        const int64_t from =
            std::uniform_int_distribution<int64_t>(start.value(), hw.value() - 1)(rng);
        absl::StatusOr<LogReadInfo> read = log.Read(Offset(from), 4096, hw);
        if (!read.ok()) {
          // Retention may delete the segment between the two reads above.
          if (ErrorCodeOf(read.status()) != ErrorCode::kOffsetOutOfRange) failures++;
          continue;
        }
        // Every record decodes and carries the offset its value names.
        if (read->records.empty() || !RecordsNameTheirOffsets(read->records.view())) failures++;
        reads++;
      }
    });
  }
  for (int i = 0; i < kBatches; ++i) {
    // One record per batch whose value names its own offset: "o<offset>-...".
    REQUIRE(log.AppendAsLeader(MakeBatch(1, "o" + std::to_string(i), i, record::CompressionType::kNone, 200), 0).ok());
    log.UpdateHighWatermark(log.log_end_offset());
    if (i % 100 == 99) REQUIRE(log.DeleteOldSegments().ok());
    if (i == kBatches / 2) {
      // On a busy machine the readers may not have run yet: let them, so the
      // second half races real reads (bounded, in case they never can).
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (reads.load() == 0 && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::yield();
      }
    }
  }
  done = true;
  for (auto& t : readers) t.join();
  CHECK(failures.load() == 0);
  CHECK(reads.load() > 0);
  CHECK(log.log_start_offset() > Offset(0));
}

}  // namespace
}  // namespace samsa
