#include "record/compression.h"

#include <snappy.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "record_test_util.h"
#include "samsa/errors.h"
#include "util/endian.h"

namespace samsa::record {
namespace {

using testing::kAllCodecs;

constexpr size_t kMiB = 1 << 20;
constexpr size_t kNoLimit = size_t{1} << 40;

std::string RandomBytes(uint64_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// Text-like, highly compressible: repeated words with a counter.
std::string Compressible(size_t n) {
  std::string s;
  for (int i = 0; s.size() < n; ++i) s += "record number " + std::to_string(i % 1000) + " of the log; ";
  s.resize(n);
  return s;
}

std::string CompressOrDie(CompressionType type, std::string_view in) {
  std::string out;
  absl::Status s = Compress(type, in, &out);
  INFO(std::string(s.message()));
  REQUIRE(s.ok());
  return out;
}

TEST_CASE("every codec round trips empty, small, random and compressible inputs",
          "[record][compression]") {
  const std::vector<std::pair<std::string, std::string>> inputs = {
      {"empty", ""},
      {"one byte", "x"},
      {"small", "hello, kafka"},
      {"32 KiB + 1 (two snappy blocks)", Compressible(32 * 1024 + 1)},
      {"1 MiB random", RandomBytes(7, kMiB)},
      {"1 MiB compressible", Compressible(kMiB)},
  };
  for (CompressionType type : kAllCodecs) {
    for (const auto& [name, in] : inputs) {
      INFO(CompressionName(type) << ", " << name);
      std::string out = "prefix";  // Compress and Decompress append
      REQUIRE(Compress(type, in, &out).ok());
      REQUIRE(out.substr(0, 6) == "prefix");
      const std::string compressed = out.substr(6);
      if (type != CompressionType::kNone && name == "1 MiB compressible") {
        CHECK(compressed.size() < in.size() / 4);
      }
      std::string back = "xy";
      absl::Status s = Decompress(type, compressed, &back, kNoLimit);
      INFO(std::string(s.message()));
      REQUIRE(s.ok());
      REQUIRE(back.size() == in.size() + 2);
      CHECK(back.substr(0, 2) == "xy");
      CHECK(back.substr(2) == in);
    }
  }
}

TEST_CASE("codec levels other than the default round trip", "[record][compression]") {
  const std::string in = Compressible(200000);
  for (CompressionType type : {CompressionType::kGzip, CompressionType::kLz4, CompressionType::kZstd}) {
    for (int level : {1, 9}) {
      INFO(CompressionName(type) << " level " << level);
      std::string out;
      REQUIRE(Compress(type, in, &out, level).ok());
      std::string back;
      REQUIRE(Decompress(type, out, &back, kNoLimit).ok());
      CHECK(back == in);
    }
  }
}

TEST_CASE("compressed output is framed as Kafka's codecs frame it", "[record][compression]") {
  const std::string in = Compressible(100000);

  SECTION("gzip: a gzip member") {
    const std::string out = CompressOrDie(CompressionType::kGzip, in);
    REQUIRE(out.size() > 10);
    CHECK(static_cast<uint8_t>(out[0]) == 0x1f);
    CHECK(static_cast<uint8_t>(out[1]) == 0x8b);
    CHECK(out[2] == 8);  // deflate
    // ISIZE: the input size mod 2^32, little-endian, in the last 4 bytes.
    const auto* tail = reinterpret_cast<const uint8_t*>(out.data() + out.size() - 4);
    CHECK((tail[0] | tail[1] << 8 | tail[2] << 16 | static_cast<uint32_t>(tail[3]) << 24) == in.size());
  }
  SECTION("snappy: xerial framing, 32 KiB blocks") {
    const std::string out = CompressOrDie(CompressionType::kSnappy, in);
    REQUIRE(out.size() > 16);
    CHECK(out.substr(0, 8) == std::string("\x82SNAPPY\0", 8));
    CHECK(LoadBE32(out.data() + 8) == 1u);   // version
    CHECK(LoadBE32(out.data() + 12) == 1u);  // minimum compatible version
    // Walk the blocks: each is [int32 BE length][raw snappy block of <= 32 KiB].
    size_t pos = 16, total = 0, blocks = 0;
    while (pos < out.size()) {
      REQUIRE(out.size() - pos >= 4);
      const uint32_t n = LoadBE32(out.data() + pos);
      pos += 4;
      REQUIRE(n <= out.size() - pos);
      size_t raw = 0;
      REQUIRE(snappy::GetUncompressedLength(out.data() + pos, n, &raw));
      CHECK(raw <= 32 * 1024);
      total += raw;
      pos += n;
      ++blocks;
    }
    CHECK(pos == out.size());
    CHECK(total == in.size());
    CHECK(blocks == (in.size() + 32 * 1024 - 1) / (32 * 1024));
  }
  SECTION("lz4: an LZ4 frame") {
    const std::string out = CompressOrDie(CompressionType::kLz4, in);
    REQUIRE(out.size() > 7);
    CHECK(out.substr(0, 4) == testing::Bytes({0x04, 0x22, 0x4D, 0x18}));
    const uint8_t flg = static_cast<uint8_t>(out[4]);
    CHECK((flg >> 6) == 1);     // version 01
    CHECK((flg & 0x20) != 0);   // independent blocks, as Kafka writes
    const uint8_t bd = static_cast<uint8_t>(out[5]);
    CHECK(((bd >> 4) & 7) == 4);  // 64 KiB blocks
    // The frame ends with the EndMark (a zero block size).
    CHECK(out.substr(out.size() - 4) == std::string(4, '\0'));
  }
  SECTION("zstd: a zstd frame") {
    const std::string out = CompressOrDie(CompressionType::kZstd, in);
    REQUIRE(out.size() > 4);
    CHECK(out.substr(0, 4) == testing::Bytes({0x28, 0xB5, 0x2F, 0xFD}));
  }
  SECTION("empty snappy input is just the xerial header") {
    const std::string out = CompressOrDie(CompressionType::kSnappy, "");
    CHECK(out.size() == 16);
  }
}

TEST_CASE("snappy decoding accepts a raw snappy block", "[record][compression]") {
  for (const std::string& in : {std::string("tiny"), std::string(), Compressible(100000),
                                RandomBytes(11, 5000)}) {
    INFO("input of " << in.size() << " bytes");
    std::string raw;
    snappy::Compress(in.data(), in.size(), &raw);
    REQUIRE(raw.substr(0, 8) != std::string("\x82SNAPPY\0", 8));
    std::string back;
    absl::Status s = Decompress(CompressionType::kSnappy, raw, &back, kNoLimit);
    INFO(std::string(s.message()));
    REQUIRE(s.ok());
    CHECK(back == in);
  }
}

TEST_CASE("concatenated gzip members, lz4 frames and zstd frames decode as one stream",
          "[record][compression]") {
  for (CompressionType type : {CompressionType::kGzip, CompressionType::kLz4, CompressionType::kZstd}) {
    INFO(CompressionName(type));
    const std::string a = Compressible(70000), b = RandomBytes(3, 1000);
    const std::string both = CompressOrDie(type, a) + CompressOrDie(type, b);
    std::string back;
    absl::Status s = Decompress(type, both, &back, kNoLimit);
    INFO(std::string(s.message()));
    REQUIRE(s.ok());
    CHECK(back == a + b);
  }
}

TEST_CASE("decompression refuses garbage and truncation with a status", "[record][compression]") {
  const std::string valid_input = Compressible(100000);
  const std::vector<std::string> garbage = {
      "",  // no frame at all
      "this is not compressed data, just some words",
      RandomBytes(99, 4096),
      std::string(64, '\xFF'),
      std::string(64, '\0'),
  };
  for (CompressionType type : kAllCodecs) {
    if (type == CompressionType::kNone) continue;
    INFO(CompressionName(type));
    for (const std::string& g : garbage) {
      INFO("garbage of " << g.size() << " bytes");
      // An empty xerial stream is valid; an empty raw snappy block is not.
      std::string out;
      absl::Status s = Decompress(type, g, &out, kNoLimit);
      CHECK_FALSE(s.ok());
      CHECK(ErrorCodeOf(s) == ErrorCode::kCorruptMessage);
    }
    const std::string compressed = CompressOrDie(type, valid_input);
    for (size_t keep : {compressed.size() / 2, compressed.size() - 1, size_t{5}, size_t{1}}) {
      INFO("truncated to " << keep << " of " << compressed.size());
      std::string out;
      absl::Status s = Decompress(type, compressed.substr(0, keep), &out, kNoLimit);
      CHECK_FALSE(s.ok());
      CHECK(ErrorCodeOf(s) == ErrorCode::kCorruptMessage);
    }
    // Trailing garbage after a complete frame.
    {
      std::string out;
      absl::Status s = Decompress(type, compressed + "garbage!", &out, kNoLimit);
      CHECK_FALSE(s.ok());
    }
  }
}

TEST_CASE("decompression refuses output past max_output (a bomb)", "[record][compression]") {
  const std::string zeros(8 * kMiB, '\0');
  for (CompressionType type : kAllCodecs) {
    INFO(CompressionName(type));
    const std::string compressed = CompressOrDie(type, zeros);
    if (type != CompressionType::kNone) CHECK(compressed.size() < zeros.size() / 20);
    {
      std::string out;
      absl::Status s = Decompress(type, compressed, &out, kMiB);
      CHECK_FALSE(s.ok());
      CHECK(ErrorCodeOf(s) == ErrorCode::kCorruptMessage);
      // Stopped early: not the whole 8 MiB (a chunk or block past the limit at most).
      CHECK(out.size() <= kMiB);
    }
    {
      // One byte below the size is too little; exactly the size is enough.
      std::string out;
      CHECK_FALSE(Decompress(type, compressed, &out, zeros.size() - 1).ok());
      out.clear();
      REQUIRE(Decompress(type, compressed, &out, zeros.size()).ok());
      CHECK(out == zeros);
    }
  }
}

TEST_CASE("a raw snappy block claiming a huge size is refused before allocating",
          "[record][compression]") {
  // Preamble: uncompressed length varint 0xFFFFFFFF, then a few literal bytes.
  const std::string block = testing::Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00, 'a'});
  std::string out;
  absl::Status s = Decompress(CompressionType::kSnappy, block, &out, 256 * kMiB);
  CHECK_FALSE(s.ok());
  CHECK(out.capacity() < kMiB);
}

TEST_CASE("an unknown codec is refused", "[record][compression]") {
  for (int codec : {5, 6, 7}) {
    std::string out;
    absl::Status s = Decompress(static_cast<CompressionType>(codec), "abc", &out, kNoLimit);
    CHECK(ErrorCodeOf(s) == ErrorCode::kUnsupportedCompressionType);
    s = Compress(static_cast<CompressionType>(codec), "abc", &out);
    CHECK(ErrorCodeOf(s) == ErrorCode::kUnsupportedCompressionType);
  }
  CHECK(CompressionName(CompressionType::kNone) == "none");
  CHECK(CompressionName(CompressionType::kGzip) == "gzip");
  CHECK(CompressionName(CompressionType::kSnappy) == "snappy");
  CHECK(CompressionName(CompressionType::kLz4) == "lz4");
  CHECK(CompressionName(CompressionType::kZstd) == "zstd");
}

}  // namespace
}  // namespace samsa::record
