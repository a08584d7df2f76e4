// Mutation fuzzing of the batch parser and record reader: valid batches of
// every codec get random damage (bit flips, byte stores, interesting int32s,
// truncation, extension, insertion, deletion), sometimes with the CRC and
// batchLength fixed up so the damage reaches the decoders behind them. Nothing
// may crash (ASan/UBSan run this suite), and whatever is reported valid must
// be self-consistent.
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "fuzz_mutate.h"

#include "record/crc32c.h"
#include "record/record_batch.h"
#include "record_test_util.h"
#include "util/endian.h"

namespace samsa::record {
namespace {

using testing::BuildOrDie;
using testing::kAllCodecs;

std::vector<std::string> SeedBatches() {
  std::vector<std::string> out;
  for (CompressionType codec : kAllCodecs) {
    {
      RecordBatchOptions options;
      options.compression = codec;
      RecordBatchBuilder b(options);
      b.Append(1000, "k", "v");
      out.push_back(BuildOrDie(b));
    }
    {
      RecordBatchOptions options;
      options.compression = codec;
      options.base_offset = 40;
      options.producer_id = 9;
      options.producer_epoch = 1;
      options.base_sequence = 0;
      RecordBatchBuilder b(options);
      for (int i = 0; i < 8; ++i) {
        const RecordHeader headers[] = {{"trace", "abc"}, {"null", std::nullopt}};
        b.Append(5000 + i * 3 - (i % 3), i % 3 == 0 ? std::nullopt : std::optional<std::string_view>("key"),
                 i % 4 == 1 ? std::nullopt : std::optional<std::string_view>("value value value"),
                 absl::MakeConstSpan(headers, static_cast<size_t>(i % 3)));
      }
      out.push_back(BuildOrDie(b));
    }
    {
      RecordBatchOptions options;
      options.compression = codec;
      options.base_offset = 1000;
      RecordBatchBuilder b(options);
      for (int i = 0; i < 30; ++i) {
        b.AppendWithOffset(1000 + i * 2 + (i % 5), 70000 + i, "k" + std::to_string(i),
                           std::string(static_cast<size_t>(i * 5), 'x'));
      }
      out.push_back(BuildOrDie(b));
    }
  }
  return out;
}

struct Stats {
  int parse_failed = 0;
  int open_failed = 0;
  int next_failed = 0;
  int validate_failed = 0;
  int valid = 0;
};

bool Within(std::string_view inner, std::string_view outer) {
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

// Runs the reader over `bytes`; checks what it reports as valid.
void Exercise(const std::string& bytes, bool verify_crc, Stats* stats) {
  absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(bytes, verify_crc);
  if (!view.ok()) {
    ++stats->parse_failed;
    return;
  }
  REQUIRE(view->bytes().data() == bytes.data());
  REQUIRE(view->size_in_bytes() <= bytes.size());
  REQUIRE(view->size_in_bytes() >= kBatchHeaderSize);
  REQUIRE(view->records_count() >= 0);
  // A small limit keeps a mutated size field from costing a big allocation.
  absl::StatusOr<RecordReader> reader = RecordReader::Open(*view, 4 << 20);
  if (!reader.ok()) {
    ++stats->open_failed;
    return;
  }
  RecordView r;
  int32_t read = 0;
  while (true) {
    absl::StatusOr<bool> more = reader->Next(&r);
    if (!more.ok()) {
      ++stats->next_failed;
      return;
    }
    if (!*more) break;
    ++read;
    REQUIRE(read <= view->records_count());
    const std::string_view data = reader->records_data();
    if (r.key) REQUIRE(Within(*r.key, data));
    if (r.value) REQUIRE(Within(*r.value, data));
    for (const RecordHeaderView& h : r.headers) {
      REQUIRE(Within(h.key, data));
      if (h.value) REQUIRE(Within(*h.value, data));
    }
  }
  REQUIRE(read == view->records_count());
  // Decompression already fit in 4 MiB above, so this costs no more.
  if (!ValidateRecords(*view, /*require_dense_offsets=*/false).ok()) {
    ++stats->validate_failed;
    return;
  }
  ++stats->valid;
  // Valid: offsets strictly increase and stay within [base, last].
  absl::StatusOr<RecordReader> again = RecordReader::Open(*view, 4 << 20);
  REQUIRE(again.ok());
  int64_t previous = std::numeric_limits<int64_t>::min();
  int32_t i = 0;
  while (*again->Next(&r)) {
    REQUIRE(r.offset > previous);
    REQUIRE(r.offset >= view->base_offset());
    REQUIRE(r.offset <= view->last_offset());
    if (view->timestamp_type() == TimestampType::kLogAppendTime) REQUIRE(r.timestamp == view->max_timestamp());
    previous = r.offset;
    ++i;
  }
  REQUIRE(i == view->records_count());
  if (ValidateRecords(*view, /*require_dense_offsets=*/true).ok()) {
    REQUIRE(view->records_count() > 0);
    REQUIRE(view->last_offset_delta() == view->records_count() - 1);
  }
}

void Mutate(std::mt19937_64& rng, std::string* b) {
  samsa::testing::Mutate(rng, b, {.hot_prefix = kBatchHeaderSize});
}

TEST_CASE("mutation fuzz: Parse and RecordReader never crash, and valid means consistent",
          "[record][fuzz]") {
  const uint64_t seed = samsa::testing::FuzzSeed(0x5A115A);
  const int iterations = samsa::testing::FuzzIterations(20000);
  const std::vector<std::string> seeds = SeedBatches();
  std::mt19937_64 rng(seed);
  Stats stats;
  for (int it = 0; it < iterations; ++it) {
    const std::string& original = seeds[rng() % seeds.size()];
    std::string b = original;
    const int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations; ++m) Mutate(rng, &b);
    const unsigned fixups = rng() % 4;
    if (b.size() >= kBatchHeaderSize && fixups >= 1) {
      // Make batchLength cover the buffer (sometimes), then the CRC match.
      if (fixups == 3) StoreBE32(b.data() + kBatchLengthPos, static_cast<uint32_t>(b.size() - kLogOverhead));
      absl::StatusOr<RecordBatchView> loose = RecordBatchView::Parse(b, /*verify_crc=*/false);
      if (loose.ok()) {
        StoreBE32(b.data() + kCrcPos, Crc32c(loose->bytes().substr(kAttributesPos)));
      }
    }
    INFO("seed " << seed << " (SAMSA_FUZZ_SEED), iteration " << it << ", " << mutations
                 << " mutations, size " << b.size() << " of " << original.size());
    Exercise(b, /*verify_crc=*/true, &stats);
    Exercise(b, /*verify_crc=*/false, &stats);
  }
  INFO("parse failed " << stats.parse_failed << ", open failed " << stats.open_failed
                       << ", next failed " << stats.next_failed << ", validate failed "
                       << stats.validate_failed << ", valid " << stats.valid);
  // The fuzzer reaches every stage, or it is not testing the decoders.
  if (iterations >= 20000) {
    CHECK(stats.parse_failed > 1000);
    CHECK(stats.open_failed > 100);
    CHECK(stats.next_failed > 1000);
    CHECK(stats.validate_failed > 10);
    CHECK(stats.valid > 1000);
  }
}

}  // namespace
}  // namespace samsa::record
