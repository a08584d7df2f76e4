// Helpers for log tests: build batches, read a log back record by record.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "log/log.h"
#include "record/record_batch.h"

namespace samsa::testing {

// Options for partition 0 of `topic` in `dir`.
inline Log::Options LogOptions(Env* env, const std::string& dir, const std::string& topic,
                               const LogConfig& config, bool clean,
                               Offset recovery_point = Offset(0)) {
  Log::Options options;
  options.env = env;
  options.dir = dir;
  options.topic = topic;
  options.partition = 0;
  options.config = config;
  options.had_clean_shutdown = clean;
  options.recovery_point = recovery_point;
  return options;
}

// Log::Open, which must succeed.
inline std::unique_ptr<Log> OpenLog(Log::Options options) {
  absl::StatusOr<std::unique_ptr<Log>> log = Log::Open(std::move(options));
  REQUIRE(log.ok());
  return *std::move(log);
}

struct TestRecord {
  int64_t offset = -1;
  int64_t timestamp = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  friend bool operator==(const TestRecord&, const TestRecord&) = default;
};

// A batch of `n` records "<prefix>-<i>" with timestamps ts, ts+1, ...
inline std::string MakeBatch(int n, const std::string& prefix, int64_t timestamp,
                             record::CompressionType compression = record::CompressionType::kNone,
                             size_t value_size = 0) {
  record::RecordBatchOptions options;
  options.compression = compression;
  record::RecordBatchBuilder builder(options);
  for (int i = 0; i < n; ++i) {
    std::string value = prefix + "-" + std::to_string(i);
    if (value.size() < value_size) value.resize(value_size, 'x');
    const std::string key = "k" + std::to_string(i);
    builder.Append(timestamp + i, key, value);
  }
  absl::StatusOr<std::string> batch = builder.Build();
  REQUIRE(batch.ok());
  return *std::move(batch);
}

// Decodes every record of the batches in `bytes`.
inline std::vector<TestRecord> DecodeAll(std::string_view bytes) {
  std::vector<TestRecord> out;
  while (!bytes.empty()) {
    absl::StatusOr<record::RecordBatchView> batch = record::RecordBatchView::Parse(bytes);
    REQUIRE(batch.ok());
    absl::StatusOr<record::RecordReader> reader = record::RecordReader::Open(*batch);
    REQUIRE(reader.ok());
    record::RecordView rec;
    while (true) {
      absl::StatusOr<bool> more = reader->Next(&rec);
      REQUIRE(more.ok());
      if (!*more) break;
      TestRecord r;
      r.offset = rec.offset;
      r.timestamp = rec.timestamp;
      if (rec.key) r.key = std::string(*rec.key);
      if (rec.value) r.value = std::string(*rec.value);
      out.push_back(std::move(r));
    }
    bytes.remove_prefix(batch->size_in_bytes());
  }
  return out;
}

// Every record of the log from `from` to the high watermark, read in fetches
// of `max_bytes`.
inline std::vector<TestRecord> ReadAll(const Log& log, Offset from = Offset(0),
                                       int64_t max_bytes = 1 << 20) {
  std::vector<TestRecord> out;
  Offset next = std::max(from, log.log_start_offset());
  while (next < log.high_watermark()) {
    absl::StatusOr<LogReadInfo> read = log.Read(next, max_bytes, log.high_watermark());
    REQUIRE(read.ok());
    REQUIRE_FALSE(read->records.empty());
    for (TestRecord& r : DecodeAll(read->records.view())) {
      if (r.offset >= next.value()) out.push_back(std::move(r));
    }
    next = Offset(out.back().offset + 1);
  }
  return out;
}

}  // namespace samsa::testing
