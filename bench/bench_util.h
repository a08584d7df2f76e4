// Helpers shared by the benchmark programs in bench/: a scratch directory on
// the real filesystem, batch building, fail-fast checks, and a main() that
// keeps samsa's INFO lines (segment rolls and deletions) out of the report.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include <benchmark/benchmark.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "record/record_batch.h"
#include "samsa/logging.h"

namespace samsa::bench {

// Benchmarks have no caller to hand an error to: print it and stop.
inline void Check(const absl::Status& status, std::string_view what) {
  if (!status.ok()) {
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(what.size()), what.data(),
                 std::string(status.message()).c_str());
    std::abort();
  }
}
template <typename T>
T CheckOk(absl::StatusOr<T> value, std::string_view what) {
  Check(value.status(), what);
  return *std::move(value);
}
inline void CheckErrno(bool ok, std::string_view what) {
  if (!ok) {
    std::perror(std::string(what).c_str());
    std::abort();
  }
}

// A fresh directory from mkdtemp under $TMPDIR (or /tmp), removed with
// everything in it when destroyed.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                          "/samsa-bench-XXXXXX";
    CheckErrno(::mkdtemp(pattern.data()) != nullptr, "mkdtemp " + pattern);
    path_ = std::move(pattern);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One uncompressed v2 batch of `records` records with keys "k<i>" and values of
// `value_size` bytes, timestamps from `timestamp_ms`. MakeBatchOfSize picks
// the largest value size that keeps the batch within `target_size` bytes.
inline std::string MakeBatch(int records, size_t value_size, int64_t timestamp_ms) {
  record::RecordBatchBuilder builder;
  std::string value(value_size, 'v');
  for (int i = 0; i < records; ++i) {
    // Vary the bytes a little so the CRC and copies see realistic data.
    if (!value.empty()) value[static_cast<size_t>(i) % value.size()] = static_cast<char>('a' + i % 26);
    builder.Append(timestamp_ms + i, "k" + std::to_string(i), value);
  }
  return CheckOk(builder.Build(), "building a batch");
}
inline std::string MakeBatchOfSize(int records, size_t target_size, int64_t timestamp_ms) {
  size_t value_size = target_size / static_cast<size_t>(records);
  std::string batch = MakeBatch(records, value_size, timestamp_ms);
  while (batch.size() > target_size && value_size > 0) {
    --value_size;
    batch = MakeBatch(records, value_size, timestamp_ms);
  }
  return batch;
}

// main(): like BENCHMARK_MAIN, with samsa's own log lines limited to warnings.
inline int RunBenchmarks(int argc, char** argv) {
  SetMinLogLevel(LogLevel::kWarning);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace samsa::bench
