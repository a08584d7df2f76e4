// Log read throughput against pread() of the same segment file(s).
//
// Run (release build; --benchmark_min_time is in seconds in benchmark 1.7):
//   cmake --preset release && cmake --build build/release --target log_read_bench
//   build/release/bench/log_read_bench --benchmark_min_time=0.3
// The first benchmark to run fills a log of 256 MiB of 16 KiB batches (16
// records of ~1 KiB) on PosixEnv in a fresh mkdtemp directory under $TMPDIR (or
// /tmp) and fsyncs it (one line on stderr says so); the directory is removed
// when the program ends. Every read is then served from the page cache.
//
// How to read it: compare bytes_per_second of
//   BM_LogReadSequential   Log::Read(offset, max_bytes = 1 MiB, max_offset = LEO)
//                          from offset 0 to the LEO, again and again, each read
//                          starting at the offset after the last batch returned
//   BM_PreadSequential     ::pread() of 1 MiB chunks of the .log file(s) into
//                          one reused buffer, start to end, again and again
//   BM_PreadSequentialAlloc  the same into a new zero-filled 1 MiB std::string
//                          per read: what a read that hands out owned bytes
//                          pays before any Log work (PosixEnv's ReadShared)
// and, for the offset-index lookup path,
//   BM_LogReadRandom       Log::Read of one 16 KiB batch at a random offset
//   BM_PreadRandom         ::pread() of that batch, its position known
// Ratio of interest: LogRead* / Pread* (items_per_second counts batches).
// Times are wall-clock (UseRealTime). Copies out of the page cache vary from
// run to run on a shared machine (+-20% here), so for a ratio compare medians
// of interleaved repetitions:
//   build/release/bench/log_read_bench --benchmark_min_time=0.3
//     --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
//     --benchmark_report_aggregates_only=true        (one command line)

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_util.h"
#include "log/log.h"
#include "record/record_batch.h"
#include "samsa/clock.h"
#include "samsa/env.h"

namespace samsa::bench {
namespace {

constexpr int64_t kLogBytes = 256 << 20;
constexpr int64_t kSequentialReadBytes = 1 << 20;
constexpr int64_t kRandomReadBytes = 16 << 10;
constexpr int kRecordsPerBatch = 16;

// The filled log, shared by every benchmark; made by the first that runs.
class FilledLog {
 public:
  static FilledLog& Get() {
    if (instance_ == nullptr) instance_ = new FilledLog();
    return *instance_;
  }
  // Closes the log and removes its directory (from main, after the runs).
  static void Destroy() {
    delete instance_;
    instance_ = nullptr;
  }

  Log& log() { return *log_; }
  Offset log_end_offset() const { return leo_; }
  // Where each batch starts in the (single) segment file.
  const std::vector<int64_t>& batch_positions() const { return positions_; }
  const std::vector<int64_t>& batch_sizes() const { return sizes_; }
  // The segment files, in offset order, with their sizes.
  struct Segment {
    std::string path;
    int64_t size;
  };
  const std::vector<Segment>& segments() const { return segments_; }

 private:
  FilledLog() {
    const auto start = std::chrono::steady_clock::now();
    const std::string batch = MakeBatchOfSize(kRecordsPerBatch, 16 << 10, Clock::System()->NowMs());
    const int64_t size = static_cast<int64_t>(batch.size());
    const int64_t batches = (kLogBytes + size - 1) / size;
    std::fprintf(stderr, "log_read_bench: filling %s with %lld batches of %zu B (%lld MiB)...",
                 dir_.path().c_str(), static_cast<long long>(batches), batch.size(),
                 static_cast<long long>(batches * size >> 20));
    std::fflush(stderr);

    Log::Options options;
    options.env = Env::Default();
    options.dir = JoinPath(dir_.path(), "bench-0");
    options.topic = "bench";
    options.partition = 0;
    log_ = CheckOk(Log::Open(std::move(options)), "Log::Open");
    int64_t position = 0;
    for (int64_t i = 0; i < batches; ++i) {
      CheckOk(log_->AppendAsLeader(batch, 0), "AppendAsLeader");
      positions_.push_back(position);
      sizes_.push_back(size);
      position += size;
    }
    // Written back now, so that writeback does not run under the benchmarks.
    Check(log_->Flush(), "Log::Flush");
    leo_ = log_->log_end_offset();
    log_->UpdateHighWatermark(leo_);

    const std::vector<std::string> names =
        CheckOk(Env::Default()->GetChildren(log_->dir()), "GetChildren");  // sorted
    for (const std::string& name : names) {
      if (!name.ends_with(".log")) continue;
      const std::string path = JoinPath(log_->dir(), name);
      segments_.push_back(
          {path, static_cast<int64_t>(CheckOk(Env::Default()->GetFileSize(path), "GetFileSize"))});
    }
    if (log_->num_segments() != 1) {
      std::fprintf(stderr, " (%d segments: random pread positions assume one)", log_->num_segments());
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, " done in %.1f s\n", seconds);
  }
  ~FilledLog() { Check(log_->Delete(), "Log::Delete"); }

  static inline FilledLog* instance_ = nullptr;
  TempDir dir_;
  std::unique_ptr<Log> log_;
  Offset leo_;
  std::vector<int64_t> positions_;
  std::vector<int64_t> sizes_;
  std::vector<Segment> segments_;
};

// The offset after the last whole batch in `records`.
Offset NextOffset(std::string_view records) {
  size_t pos = 0;
  size_t last = 0;
  while (pos < records.size()) {
    last = pos;
    pos += static_cast<size_t>(*record::RecordBatchView::PeekSize(records.substr(pos)));
  }
  return Offset(
      CheckOk(record::RecordBatchView::Parse(records.substr(last), /*verify_crc=*/false), "Parse")
          .next_offset());
}

int64_t CountBatches(std::string_view records) {
  int64_t n = 0;
  for (size_t pos = 0; pos < records.size(); ++n) {
    pos += static_cast<size_t>(*record::RecordBatchView::PeekSize(records.substr(pos)));
  }
  return n;
}

void BM_LogReadSequential(benchmark::State& state) {
  FilledLog& filled = FilledLog::Get();
  const Offset leo = filled.log_end_offset();
  Offset next(0);
  int64_t bytes = 0;
  int64_t batches = 0;
  for (auto _ : state) {
    absl::StatusOr<LogReadInfo> read = filled.log().Read(next, kSequentialReadBytes, leo);
    if (!read.ok() || read->records.empty()) {
      state.SkipWithError(read.ok() ? "empty read" : std::string(read.status().message()).c_str());
      break;
    }
    const std::string_view records = read->records.view();
    bytes += static_cast<int64_t>(records.size());
    batches += CountBatches(records);
    next = NextOffset(records);
    if (next >= leo) next = Offset(0);
  }
  state.SetBytesProcessed(bytes);
  state.SetItemsProcessed(batches);
}

class SegmentFds {
 public:
  explicit SegmentFds(const std::vector<FilledLog::Segment>& segments) {
    for (const auto& segment : segments) {
      const int fd = ::open(segment.path.c_str(), O_RDONLY | O_CLOEXEC);
      CheckErrno(fd >= 0, "open " + segment.path);
      fds_.push_back({fd, segment.size});
    }
  }
  ~SegmentFds() {
    for (const auto& f : fds_) ::close(f.fd);
  }
  struct Fd {
    int fd;
    int64_t size;
  };
  const std::vector<Fd>& fds() const { return fds_; }

 private:
  std::vector<Fd> fds_;
};

// Reads 1 MiB at a time through every segment file, wrapping at the end.
template <bool kAllocate>
void PreadSequential(benchmark::State& state) {
  FilledLog& filled = FilledLog::Get();
  SegmentFds files(filled.segments());
  std::string reused(kSequentialReadBytes, '\0');
  size_t file = 0;
  int64_t position = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    const SegmentFds::Fd& f = files.fds()[file];
    const size_t want = static_cast<size_t>(std::min(kSequentialReadBytes, f.size - position));
    std::string fresh;
    char* buffer = reused.data();
    if constexpr (kAllocate) {
      fresh.assign(want, '\0');
      buffer = fresh.data();
    }
    const ssize_t got = ::pread(f.fd, buffer, want, position);
    if (got <= 0) {
      state.SkipWithError("pread failed");
      break;
    }
    benchmark::DoNotOptimize(buffer);
    bytes += got;
    position += got;
    if (position >= f.size) {
      position = 0;
      file = (file + 1) % files.fds().size();
    }
  }
  state.SetBytesProcessed(bytes);
  // As many batches as those bytes hold (for items_per_second next to the Log's).
  state.SetItemsProcessed(bytes / filled.batch_sizes().front());
}
void BM_PreadSequential(benchmark::State& state) { PreadSequential<false>(state); }
void BM_PreadSequentialAlloc(benchmark::State& state) { PreadSequential<true>(state); }

void BM_LogReadRandom(benchmark::State& state) {
  FilledLog& filled = FilledLog::Get();
  const Offset leo = filled.log_end_offset();
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> offsets(0, leo.value() - 1);
  int64_t bytes = 0;
  for (auto _ : state) {
    absl::StatusOr<LogReadInfo> read = filled.log().Read(Offset(offsets(rng)), kRandomReadBytes, leo);
    if (!read.ok() || read->records.empty()) {
      state.SkipWithError(read.ok() ? "empty read" : std::string(read.status().message()).c_str());
      break;
    }
    bytes += static_cast<int64_t>(read->records.size());
  }
  state.SetBytesProcessed(bytes);
  state.SetItemsProcessed(state.iterations());
}

// The same batches (same random sequence of offsets), read where the batch
// is known to start: no index, no header scan.
void BM_PreadRandom(benchmark::State& state) {
  FilledLog& filled = FilledLog::Get();
  SegmentFds files(filled.segments());
  const int fd = files.fds().front().fd;
  const Offset leo = filled.log_end_offset();
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> offsets(0, leo.value() - 1);
  std::string buffer(kRandomReadBytes, '\0');
  int64_t bytes = 0;
  for (auto _ : state) {
    const size_t batch = static_cast<size_t>(offsets(rng) / kRecordsPerBatch);
    const ssize_t got = ::pread(fd, buffer.data(),
                                static_cast<size_t>(filled.batch_sizes()[batch]),
                                filled.batch_positions()[batch]);
    if (got <= 0) {
      state.SkipWithError("pread failed");
      break;
    }
    benchmark::DoNotOptimize(buffer.data());
    bytes += got;
  }
  state.SetBytesProcessed(bytes);
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_LogReadSequential)->UseRealTime();
BENCHMARK(BM_PreadSequential)->UseRealTime();
BENCHMARK(BM_PreadSequentialAlloc)->UseRealTime();
BENCHMARK(BM_LogReadRandom)->UseRealTime();
BENCHMARK(BM_PreadRandom)->UseRealTime();

}  // namespace
}  // namespace samsa::bench

int main(int argc, char** argv) {
  samsa::SetMinLogLevel(samsa::LogLevel::kWarning);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  samsa::bench::FilledLog::Destroy();
  benchmark::Shutdown();
  return 0;
}
