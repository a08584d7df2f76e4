// CRC-32C throughput: samsa's SSE4.2 path and its portable slicing-by-8 path,
// against zlib's crc32() (plain CRC-32, IEEE polynomial) as a well-known
// reference speed. Every v2 record batch is checksummed on produce (the log
// verifies it on append) and may be again on fetch, so this bounds both.
//
// Run:
//   cmake --preset release && cmake --build build/release --target crc32c_bench
//   build/release/bench/crc32c_bench --benchmark_min_time=0.2
// Read the bytes_per_second column; the argument is the input size in bytes.

#include <zlib.h>

#include <cstdint>
#include <random>
#include <string>

#include <benchmark/benchmark.h>

#include "bench_util.h"
#include "record/crc32c.h"

namespace samsa::bench {
namespace {

// 1 MiB of random bytes, built on first use (not when listing benchmarks).
const char* Input() {
  static const std::string data = [] {
    std::string bytes(1 << 20, '\0');
    std::mt19937_64 rng(42);
    for (char& c : bytes) c = static_cast<char>(rng());
    return bytes;
  }();
  return data.data();
}

void BM_Crc32cHardware(benchmark::State& state) {
  if (!record::Crc32cHardwareAvailable()) {
    state.SkipWithError("this CPU has no SSE4.2 crc32 instruction");
    return;
  }
  const size_t n = static_cast<size_t>(state.range(0));
  const char* data = Input();
  for (auto _ : state) {
    benchmark::DoNotOptimize(record::Crc32cHardware(0, data, n));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(n));
}

void BM_Crc32cPortable(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const char* data = Input();
  for (auto _ : state) {
    benchmark::DoNotOptimize(record::Crc32cPortable(0, data, n));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(n));
}

// Baseline: zlib's CRC-32 (not CRC-32C: a different polynomial, same work).
void BM_ZlibCrc32(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto* data = reinterpret_cast<const Bytef*>(Input());
  for (auto _ : state) {
    benchmark::DoNotOptimize(::crc32(0L, data, static_cast<uInt>(n)));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(n));
}

#define SAMSA_CRC_SIZES ->Arg(64)->Arg(1 << 10)->Arg(16 << 10)->Arg(1 << 20)
BENCHMARK(BM_Crc32cHardware) SAMSA_CRC_SIZES;
BENCHMARK(BM_Crc32cPortable) SAMSA_CRC_SIZES;
BENCHMARK(BM_ZlibCrc32) SAMSA_CRC_SIZES;
#undef SAMSA_CRC_SIZES

}  // namespace
}  // namespace samsa::bench

int main(int argc, char** argv) { return samsa::bench::RunBenchmarks(argc, argv); }
