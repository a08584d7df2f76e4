// Log append throughput against the raw write() loop it is built on.
//
// Run (release build; --benchmark_min_time is in seconds in benchmark 1.7):
//   cmake --preset release && cmake --build build/release --target log_append_bench
//   build/release/bench/log_append_bench --benchmark_min_time=0.5
//   build/release/bench/log_append_bench --benchmark_filter=Matrix   (the matrix only)
//
// How to read it: compare bytes_per_second of
//   BM_LogAppendPosix/batch_16KiB   Log::AppendAsLeader on PosixEnv
//   BM_WriteLoop/batch_16KiB        ::write() of the same bytes to one O_APPEND file
// The project's goal is ratio = LogAppendPosix / WriteLoop >= 0.80 for 16 KiB
// batches. Both run in a fresh mkdtemp directory under $TMPDIR (or /tmp), copy
// the prebuilt batch into a new std::string per append (AppendAsLeader takes it
// by value, so a caller pays that copy), and never fsync; both start again on
// an empty file every 64 MiB (kResetBytes), outside the timed region, so
// neither rolls nor writes back more than the other. The Log keeps the default
// log.segment.bytes (1 GiB).
//
// The other rows put the ratio in context:
//   BM_LogAppendMem        the same appends to a MemEnv (no syscalls): the
//                          Log's own cost plus a memcpy into new MemEnv chunks
//                          (so also the cost of first-touch page faults).
//   BM_LogAppendDiscard    the Log on an Env whose .log files drop what is
//                          appended (everything else in a MemEnv): the Log's
//                          own CPU time per append, with no I/O at all.
//                          Expected ratio ~ WriteLoop time / (WriteLoop time +
//                          LogAppendDiscard time) (a slight underestimate: the
//                          caller's copy is in both).
//   BM_FirstTouchCopy      a copy of each batch into never-touched anonymous
//                          memory: what a page fault costs on this machine
//                          (MemEnv pays it for every new chunk).
//   BM_ValidateOnly        the CPU work an append does before any I/O (the
//                          copy, RecordBatchView::Parse with CRC-32C,
//                          ValidateRecords): what the Log adds per byte.
//   */batch_1x100B         one record of 100 B per batch: per-append overhead
//                          (locks, index bookkeeping, allocation) rather than
//                          per-byte cost. items_per_second counts records.
// Times are wall-clock (UseRealTime): write() cost is mostly kernel time.
//
// The matrix the project tracks (Args: record value size in bytes, records
// per batch; each record has a key "k<i>" of 2-4 bytes besides its value):
//   BM_WriteLoopMatrix/record_B:{100,1024}/records:{1,16,1000}
//   BM_LogAppendPosixMatrix/...     Log::AppendAsLeader on PosixEnv
//   BM_LogAppendMemMatrix/...       Log::AppendAsLeader on MemEnv
// items_per_second counts records, bytes_per_second batch bytes (record
// framing and the 61-byte batch header included, as written to the file).
// Same method as the 16 KiB rows (same copy per append, same 64 MiB reset).
// A 1000 x 1 KiB batch is ~1.04 MB, just under the default max.message.bytes
// (1 MiB + 12 B); the Log's limit is raised to the batch size if needed.
// Ratio of interest: LogAppendPosixMatrix / WriteLoopMatrix per column.
//
// Page-cache and page-fault costs vary with what else the machine does (on VMs
// that back guest memory lazily, the first use of a page can cost ~10 us, see
// BM_FirstTouchCopy), so for a ratio compare medians of interleaved repetitions:
//   build/release/bench/log_append_bench --benchmark_min_time=0.3
//     --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
//     --benchmark_report_aggregates_only=true        (one command line)

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_util.h"
#include "log/log.h"
#include "record/record_batch.h"
#include "samsa/clock.h"
#include "samsa/env.h"

namespace samsa::bench {
namespace {

// Start again on an empty file (outside the timed loop) before a file passes
// this. Far below the default segment.bytes (1 GiB, which the Log keeps), so
// the Log never rolls. Small on purpose: the pages of the deleted file are
// reused at once, which keeps page-cache growth out of the figures. With
// 1 GiB files the write() loop varied by +-25% between runs on a VM that backs
// guest memory lazily; with 64 MiB, by 2-3%.
constexpr int64_t kResetBytes = 64 << 20;

enum class Shape { k16KiB, kSmall };

struct Batch {
  std::string bytes;
  int records;
};

// Built on first use, so --benchmark_list_tests does no work.
const Batch& GetBatch(Shape shape) {
  static const Batch large{MakeBatchOfSize(16, 16 << 10, Clock::System()->NowMs()), 16};
  static const Batch small{MakeBatch(1, 100, Clock::System()->NowMs()), 1};
  return shape == Shape::k16KiB ? large : small;
}

// The matrix rows' batches, built on first use and kept for the run.
const Batch& GetMatrixBatch(int64_t value_size, int64_t records) {
  static std::map<std::pair<int64_t, int64_t>, Batch> batches;
  auto [it, inserted] = batches.try_emplace({value_size, records});
  if (inserted) {
    it->second = Batch{MakeBatch(static_cast<int>(records), static_cast<size_t>(value_size),
                                 Clock::System()->NowMs()),
                       static_cast<int>(records)};
  }
  return it->second;
}
const Batch& MatrixBatch(const benchmark::State& state) {
  return GetMatrixBatch(state.range(0), state.range(1));
}

void SetCounters(benchmark::State& state, const Batch& batch) {
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(batch.bytes.size()));
  state.SetItemsProcessed(state.iterations() * batch.records);
  state.SetLabel(std::to_string(batch.records) + " records, " + std::to_string(batch.bytes.size()) +
                 " B/batch");
}

// What PosixFile::Append does: write() until all of it is written.
bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t written = ::write(fd, p, n);
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += written;
    n -= static_cast<size_t>(written);
  }
  return true;
}

// Baseline: the same bytes appended to one O_APPEND file with write().
void RunWriteLoop(benchmark::State& state, const Batch& batch) {
  const int64_t size = static_cast<int64_t>(batch.bytes.size());
  TempDir dir;
  const std::string path = dir.path() + "/00000000000000000000.log";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  CheckErrno(fd >= 0, "open " + path);
  int64_t file_bytes = 0;
  for (auto _ : state) {
    if (file_bytes + size > kResetBytes) {
      state.PauseTiming();
      // Drops the dirty pages unwritten, as deleting a log segment does.
      CheckErrno(::ftruncate(fd, 0) == 0, "ftruncate " + path);
      file_bytes = 0;
      state.ResumeTiming();
    }
    std::string buffer(batch.bytes);  // the copy a Log caller makes
    if (!WriteAll(fd, buffer.data(), buffer.size())) {
      state.SkipWithError("write failed");
      break;
    }
    file_bytes += size;
  }
  ::close(fd);
  SetCounters(state, batch);
}
void BM_WriteLoop(benchmark::State& state, Shape shape) { RunWriteLoop(state, GetBatch(shape)); }
void BM_WriteLoopMatrix(benchmark::State& state) { RunWriteLoop(state, MatrixBatch(state)); }

void RunLogAppend(benchmark::State& state, Env* env, const std::string& dir, const Batch& batch) {
  const int64_t size = static_cast<int64_t>(batch.bytes.size());
  Log::Options options;
  options.env = env;
  options.dir = JoinPath(dir, "bench-0");
  options.topic = "bench";
  options.partition = 0;
  options.config.max_message_bytes =
      static_cast<int32_t>(std::max<int64_t>(options.config.max_message_bytes, size));
  std::unique_ptr<Log> log = CheckOk(Log::Open(std::move(options)), "Log::Open");
  int64_t log_bytes = 0;
  for (auto _ : state) {
    if (log_bytes + size > kResetBytes) {
      state.PauseTiming();
      Check(log->TruncateFullyAndStartAt(Offset(0)), "TruncateFullyAndStartAt");
      log_bytes = 0;
      state.ResumeTiming();
    }
    absl::StatusOr<LogAppendInfo> info = log->AppendAsLeader(std::string(batch.bytes), 0);
    if (!info.ok()) {
      state.SkipWithError(std::string(info.status().message()).c_str());
      break;
    }
    log_bytes += size;
  }
  // Drop what was written so that closing does not fsync up to 1 GiB.
  Check(log->TruncateFullyAndStartAt(Offset(0)), "TruncateFullyAndStartAt");
  Check(log->Delete(), "Log::Delete");
  SetCounters(state, batch);
}

void BM_LogAppendPosix(benchmark::State& state, Shape shape) {
  TempDir dir;
  RunLogAppend(state, Env::Default(), dir.path(), GetBatch(shape));
}
void BM_LogAppendPosixMatrix(benchmark::State& state) {
  TempDir dir;
  RunLogAppend(state, Env::Default(), dir.path(), MatrixBatch(state));
}

void BM_LogAppendMem(benchmark::State& state, Shape shape) {
  std::unique_ptr<Env> env = NewMemEnv(Clock::System());
  RunLogAppend(state, env.get(), "/bench", GetBatch(shape));
}
void BM_LogAppendMemMatrix(benchmark::State& state) {
  std::unique_ptr<Env> env = NewMemEnv(Clock::System());
  RunLogAppend(state, env.get(), "/bench", MatrixBatch(state));
}

// A .log file that keeps only its size: appends cost nothing.
class DiscardFile final : public File {
 public:
  explicit DiscardFile(std::string path) : path_(std::move(path)) {}
  const std::string& path() const override { return path_; }
  absl::Status Append(std::string_view data) override {
    size_.fetch_add(data.size(), std::memory_order_relaxed);
    return absl::OkStatus();
  }
  absl::StatusOr<std::string_view> ReadAt(uint64_t offset, size_t n, char* scratch) const override {
    const uint64_t size = size_.load();
    n = offset >= size ? 0 : static_cast<size_t>(std::min<uint64_t>(n, size - offset));
    std::memset(scratch, 0, n);
    return std::string_view(scratch, n);
  }
  absl::Status Truncate(uint64_t size) override {
    size_.store(std::min<uint64_t>(size, size_.load()));
    return absl::OkStatus();
  }
  absl::Status Sync() override { return absl::OkStatus(); }
  absl::StatusOr<uint64_t> Size() const override { return size_.load(); }
  absl::Status Close() override { return absl::OkStatus(); }

 private:
  const std::string path_;
  std::atomic<uint64_t> size_{0};
};

// A MemEnv whose segment (.log) files are DiscardFiles. The file is still
// created in the MemEnv so that renames and deletes of it work.
class DiscardLogEnv final : public Env {
 public:
  absl::StatusOr<std::unique_ptr<File>> OpenFile(const std::string& path, OpenMode mode) override {
    absl::StatusOr<std::unique_ptr<File>> file = mem_->OpenFile(path, mode);
    if (!file.ok() || !path.ends_with(".log")) return file;
    return std::make_unique<DiscardFile>(path);
  }
  absl::Status DeleteFile(const std::string& path) override { return mem_->DeleteFile(path); }
  absl::Status RenameFile(const std::string& from, const std::string& to) override {
    return mem_->RenameFile(from, to);
  }
  absl::Status CreateDir(const std::string& path) override { return mem_->CreateDir(path); }
  absl::Status DeleteDir(const std::string& path) override { return mem_->DeleteDir(path); }
  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    return mem_->GetChildren(dir);
  }
  bool FileExists(const std::string& path) override { return mem_->FileExists(path); }
  bool IsDirectory(const std::string& path) override { return mem_->IsDirectory(path); }
  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    return mem_->GetFileSize(path);
  }
  absl::Status SyncDir(const std::string& path) override { return mem_->SyncDir(path); }
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return mem_->LockFile(path);
  }
  Clock* clock() override { return mem_->clock(); }

 private:
  std::unique_ptr<Env> mem_ = NewMemEnv(Clock::System());
};

void BM_LogAppendDiscard(benchmark::State& state, Shape shape) {
  DiscardLogEnv env;
  RunLogAppend(state, &env, "/bench", GetBatch(shape));
}

// Reference: each batch copied into anonymous memory never touched before, so
// every 4 KiB page costs a fault (and the kernel zeroing it).
void BM_FirstTouchCopy(benchmark::State& state, Shape shape) {
  const Batch& batch = GetBatch(shape);
  const size_t size = batch.bytes.size();
  const size_t region = static_cast<size_t>(kResetBytes);
  auto map = [&] {
    void* p = ::mmap(nullptr, region, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CheckErrno(p != MAP_FAILED, "mmap");
    return static_cast<char*>(p);
  };
  char* memory = map();
  size_t used = 0;
  for (auto _ : state) {
    if (used + size > region) {
      state.PauseTiming();
      ::munmap(memory, region);
      memory = map();
      used = 0;
      state.ResumeTiming();
    }
    std::memcpy(memory + used, batch.bytes.data(), size);
    benchmark::DoNotOptimize(memory + used);
    used += size;
  }
  ::munmap(memory, region);
  SetCounters(state, batch);
}

// The append's CPU work before any I/O: the caller's copy, then what
// Log::Append checks for a client's batch.
void BM_ValidateOnly(benchmark::State& state, Shape shape) {
  const Batch& batch = GetBatch(shape);
  for (auto _ : state) {
    std::string copy(batch.bytes);
    absl::StatusOr<record::RecordBatchView> view =
        record::RecordBatchView::Parse(copy, /*verify_crc=*/true);
    if (!view.ok() || !record::ValidateRecords(*view, /*require_dense_offsets=*/true).ok()) {
      state.SkipWithError("invalid batch");
      break;
    }
    benchmark::DoNotOptimize(copy.data());
  }
  SetCounters(state, batch);
}

BENCHMARK_CAPTURE(BM_WriteLoop, batch_16KiB, Shape::k16KiB)->UseRealTime();
BENCHMARK_CAPTURE(BM_LogAppendPosix, batch_16KiB, Shape::k16KiB)->UseRealTime();
BENCHMARK_CAPTURE(BM_LogAppendMem, batch_16KiB, Shape::k16KiB)->UseRealTime();
BENCHMARK_CAPTURE(BM_LogAppendDiscard, batch_16KiB, Shape::k16KiB)->UseRealTime();
BENCHMARK_CAPTURE(BM_ValidateOnly, batch_16KiB, Shape::k16KiB)->UseRealTime();
BENCHMARK_CAPTURE(BM_FirstTouchCopy, batch_16KiB, Shape::k16KiB)->UseRealTime();
BENCHMARK_CAPTURE(BM_WriteLoop, batch_1x100B, Shape::kSmall)->UseRealTime();
BENCHMARK_CAPTURE(BM_LogAppendPosix, batch_1x100B, Shape::kSmall)->UseRealTime();
BENCHMARK_CAPTURE(BM_LogAppendMem, batch_1x100B, Shape::kSmall)->UseRealTime();
BENCHMARK_CAPTURE(BM_LogAppendDiscard, batch_1x100B, Shape::kSmall)->UseRealTime();
BENCHMARK_CAPTURE(BM_ValidateOnly, batch_1x100B, Shape::kSmall)->UseRealTime();

// The matrix: record value size x records per batch.
void MatrixArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"record_B", "records"});
  for (int64_t size : {100, 1024}) {
    for (int64_t records : {1, 16, 1000}) b->Args({size, records});
  }
  b->UseRealTime();
}
BENCHMARK(BM_WriteLoopMatrix)->Apply(MatrixArgs);
BENCHMARK(BM_LogAppendPosixMatrix)->Apply(MatrixArgs);
BENCHMARK(BM_LogAppendMemMatrix)->Apply(MatrixArgs);

}  // namespace
}  // namespace samsa::bench

int main(int argc, char** argv) { return samsa::bench::RunBenchmarks(argc, argv); }
