// compaction_interop_tool: samsa's half of the compaction interoperability
// test (compaction_interop.py drives it and checks the result with
// kafka-python's DefaultRecordBatch).
//
//   compaction_interop_tool DIR
//       For each codec (none gzip snappy lz4 zstd): appends the records of
//       the shared rule to a compacted log (in memory), rolls, runs one
//       cleaning pass, and writes every batch the log then holds, as a
//       consumer would fetch them, to DIR/<codec>.bin.
//
// The shared rule (mirrored in compaction_interop.py, record_rule()):
// kNumRecords records, appended kPerBatch to a batch, record i with
//   key        "u<i>" if i % 9 == 4, else "k<i % 7>"
//   value      null (a tombstone) if i % 13 == 6, else "value-<i>-" + "x" * (i % 17)
//   timestamp  kBaseTs + i
// Nothing of the cleaner's own output is described here: the script derives
// what must survive (the last record of each key) from the rule alone.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "log/log.h"
#include "log/log_cleaner.h"
#include "record/compression.h"
#include "record/record_batch.h"
#include "samsa/clock.h"
#include "samsa/env.h"

namespace samsa {
namespace {

constexpr int64_t kBaseTs = 1700000000000;
constexpr int kNumRecords = 120;
constexpr int kPerBatch = 6;

int Fail(const std::string& what) {
  std::cerr << "compaction_interop_tool: " << what << "\n";
  return 1;
}

int Run(const std::string& out_dir) {
  for (record::CompressionType codec :
       {record::CompressionType::kNone, record::CompressionType::kGzip,
        record::CompressionType::kSnappy, record::CompressionType::kLz4,
        record::CompressionType::kZstd}) {
    ManualClock clock;
    std::unique_ptr<Env> env = NewMemEnv(&clock);
    Log::Options options;
    options.env = env.get();
    options.dir = "/logs/interop-0";
    options.topic = "interop";
    options.config.cleanup_policy = CleanupPolicy::kCompact;
    options.config.segment_bytes = 700;
    options.config.min_cleanable_dirty_ratio = 0.0;
    absl::StatusOr<std::unique_ptr<Log>> log = Log::Open(options);
    if (!log.ok()) return Fail(std::string(log.status().message()));
    for (int first = 0; first < kNumRecords; first += kPerBatch) {
      record::RecordBatchOptions batch_options;
      batch_options.compression = codec;
      record::RecordBatchBuilder builder(batch_options);
      std::vector<std::string> keys, values;
      for (int i = first; i < first + kPerBatch && i < kNumRecords; ++i) {
        const std::string key = i % 9 == 4 ? fmt::format("u{}", i) : fmt::format("k{}", i % 7);
        std::optional<std::string> value;
        if (i % 13 != 6) value = fmt::format("value-{}-{}", i, std::string(i % 17, 'x'));
        builder.Append(kBaseTs + i, key,
                       value ? std::optional<std::string_view>(*value) : std::nullopt);
      }
      absl::StatusOr<std::string> batch = builder.Build();
      if (!batch.ok()) return Fail(std::string(batch.status().message()));
      absl::StatusOr<LogAppendInfo> info = (*log)->AppendAsLeader(*std::move(batch), 0);
      if (!info.ok()) return Fail(std::string(info.status().message()));
    }
    (*log)->UpdateHighWatermark((*log)->log_end_offset());
    if (absl::Status s = (*log)->Roll(); !s.ok()) return Fail(std::string(s.message()));
    LogCleaner::Options cleaner_options;
    cleaner_options.env = env.get();
    cleaner_options.config.enable = false;
    cleaner_options.logs = [] {
      return std::vector<std::pair<TopicPartition, std::shared_ptr<Log>>>{};
    };
    LogCleaner cleaner(std::move(cleaner_options));
    absl::StatusOr<CleanerStats> stats = cleaner.CleanOnce(**log, /*force=*/true);
    if (!stats.ok()) return Fail(std::string(stats.status().message()));
    if (!stats->cleaned || stats->records_removed == 0) return Fail("the pass removed nothing");
    // Fetch everything as a consumer does: from each batch's last offset + 1.
    std::string all;
    Offset next(0);
    while (next < (*log)->log_end_offset()) {
      absl::StatusOr<LogReadInfo> read = (*log)->Read(next, 1 << 20, (*log)->log_end_offset());
      if (!read.ok()) return Fail(std::string(read.status().message()));
      std::string_view bytes = read->records.view();
      if (bytes.empty()) return Fail(fmt::format("nothing read at offset {}", next.value()));
      while (!bytes.empty()) {
        absl::StatusOr<record::RecordBatchView> batch = record::RecordBatchView::Parse(bytes);
        if (!batch.ok()) return Fail(std::string(batch.status().message()));
        all.append(batch->bytes());
        next = Offset(batch->last_offset() + 1);
        bytes.remove_prefix(batch->size_in_bytes());
      }
    }
    const std::string path =
        fmt::format("{}/{}.bin", out_dir, record::CompressionName(codec));
    std::ofstream out(path, std::ios::binary);
    out.write(all.data(), static_cast<std::streamsize>(all.size()));
    if (!out) return Fail("cannot write " + path);
  }
  return 0;
}

}  // namespace
}  // namespace samsa

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: compaction_interop_tool DIR\n";
    return 2;
  }
  return samsa::Run(argv[1]);
}
