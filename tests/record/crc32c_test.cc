#include "record/crc32c.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace samsa::record {
namespace {

// Bit-at-a-time CRC-32C straight from the definition: independent of the
// library's tables and of the crc32 instruction.
uint32_t ReferenceCrc32c(std::string_view data) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return ~c;
}

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// RFC 3720, appendix B.4 (iSCSI CRC examples), plus the check value of the
// CRC catalogue.
TEST_CASE("CRC-32C matches the RFC 3720 B.4 vectors", "[record][crc32c]") {
  std::string zeros(32, '\x00');
  std::string ones(32, '\xFF');
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  CHECK(Crc32c(zeros) == 0x8A9136AAu);
  CHECK(Crc32c(ones) == 0x62A8AB43u);
  CHECK(Crc32c(ascending) == 0x46DD794Eu);
  CHECK(Crc32c(descending) == 0x113FDB5Cu);
  CHECK(Crc32c("123456789") == 0xE3069283u);
  CHECK(Crc32c("") == 0u);

  for (const std::string* s : {&zeros, &ones, &ascending, &descending}) {
    CHECK(Crc32cPortable(0, s->data(), s->size()) == Crc32c(*s));
    CHECK(ReferenceCrc32c(*s) == Crc32c(*s));
    if (Crc32cHardwareAvailable()) CHECK(Crc32cHardware(0, s->data(), s->size()) == Crc32c(*s));
  }
  CHECK(Crc32cPortable(0, "123456789", 9) == 0xE3069283u);
  CHECK(ReferenceCrc32c("123456789") == 0xE3069283u);
}

TEST_CASE("portable, hardware and dispatching CRC agree on every length and alignment",
          "[record][crc32c]") {
  const uint64_t seed = 3720;
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  const std::string buf = RandomBytes(rng, 1100 + 16);
  const bool hw = Crc32cHardwareAvailable();
  if (!hw) WARN("no SSE4.2: only the portable CRC-32C path is tested");
  for (size_t len = 0; len <= 1100; ++len) {
    for (size_t align = 0; align < 8; ++align) {
      INFO("len " << len << " align " << align);
      const char* p = buf.data() + align;
      const uint32_t want = ReferenceCrc32c(std::string_view(p, len));
      REQUIRE(Crc32cPortable(0, p, len) == want);
      REQUIRE(Crc32cExtend(0, p, len) == want);
      if (hw) REQUIRE(Crc32cHardware(0, p, len) == want);
    }
  }
}

TEST_CASE("CRC of large buffers, around the three-stream block sizes", "[record][crc32c]") {
  const uint64_t seed = 20240601;
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  const std::string big = RandomBytes(rng, (1 << 20) + 64);
  const bool hw = Crc32cHardwareAvailable();
  // The hardware path interleaves 3 x 8192 and 3 x 256 byte blocks.
  const std::vector<size_t> lengths = {3 * 256 - 1,  3 * 256,      3 * 256 + 1,   3 * 256 + 9,
                                       3 * 8192 - 1, 3 * 8192,     3 * 8192 + 1,  3 * 8192 + 777,
                                       6 * 8192 + 3 * 256 + 5,     100000,        1 << 20,
                                       (1 << 20) + 63};
  for (size_t len : lengths) {
    for (size_t align : {0, 1, 3, 7}) {
      if (align + len > big.size()) continue;
      INFO("len " << len << " align " << align);
      const char* p = big.data() + align;
      const uint32_t want = ReferenceCrc32c(std::string_view(p, len));
      CHECK(Crc32cPortable(0, p, len) == want);
      CHECK(Crc32cExtend(0, p, len) == want);
      if (hw) CHECK(Crc32cHardware(0, p, len) == want);
    }
  }
}

TEST_CASE("extending a CRC over split buffers equals the CRC of the whole", "[record][crc32c]") {
  const uint64_t seed = 42;
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  const std::string data = RandomBytes(rng, 70000);
  const uint32_t whole = Crc32c(data);
  CHECK(whole == ReferenceCrc32c(data));
  for (int trial = 0; trial < 200; ++trial) {
    // Up to five random cut points.
    std::vector<size_t> cuts = {0, data.size()};
    const int n = static_cast<int>(rng() % 5);
    for (int i = 0; i < n; ++i) cuts.push_back(rng() % (data.size() + 1));
    std::sort(cuts.begin(), cuts.end());
    uint32_t crc = 0, portable = 0, hardware = 0;
    for (size_t i = 0; i + 1 < cuts.size(); ++i) {
      const char* p = data.data() + cuts[i];
      const size_t len = cuts[i + 1] - cuts[i];
      crc = Crc32cExtend(crc, p, len);
      portable = Crc32cPortable(portable, p, len);
      if (Crc32cHardwareAvailable()) hardware = Crc32cHardware(hardware, p, len);
    }
    INFO("trial " << trial);
    REQUIRE(crc == whole);
    REQUIRE(portable == whole);
    if (Crc32cHardwareAvailable()) REQUIRE(hardware == whole);
  }
  // Extending by nothing changes nothing.
  CHECK(Crc32cExtend(whole, data.data(), 0) == whole);
}

}  // namespace
}  // namespace samsa::record
