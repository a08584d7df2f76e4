#include "record/varint.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <catch2/catch.hpp>

#include "record_test_util.h"

namespace samsa::record {
namespace {

using testing::Bytes;

std::string EncodeVarint(int32_t v) {
  std::string s;
  PutVarint(&s, v);
  return s;
}
std::string EncodeVarlong(int64_t v) {
  std::string s;
  PutVarlong(&s, v);
  return s;
}

TEST_CASE("zig-zag maps small magnitudes to small unsigned values", "[record][varint]") {
  CHECK(ZigZagEncode32(0) == 0u);
  CHECK(ZigZagEncode32(-1) == 1u);
  CHECK(ZigZagEncode32(1) == 2u);
  CHECK(ZigZagEncode32(-2) == 3u);
  CHECK(ZigZagEncode32(2147483647) == 4294967294u);
  CHECK(ZigZagEncode32(std::numeric_limits<int32_t>::min()) == 4294967295u);
  CHECK(ZigZagDecode32(0) == 0);
  CHECK(ZigZagDecode32(1) == -1);
  CHECK(ZigZagDecode32(2) == 1);
  CHECK(ZigZagDecode32(3) == -2);
  CHECK(ZigZagDecode32(4294967294u) == 2147483647);
  CHECK(ZigZagDecode32(4294967295u) == std::numeric_limits<int32_t>::min());

  CHECK(ZigZagEncode64(0) == 0u);
  CHECK(ZigZagEncode64(-1) == 1u);
  CHECK(ZigZagEncode64(1) == 2u);
  CHECK(ZigZagEncode64(-2) == 3u);
  CHECK(ZigZagEncode64(std::numeric_limits<int64_t>::max()) == 0xFFFFFFFFFFFFFFFEull);
  CHECK(ZigZagEncode64(std::numeric_limits<int64_t>::min()) == 0xFFFFFFFFFFFFFFFFull);
  CHECK(ZigZagDecode64(0xFFFFFFFFFFFFFFFEull) == std::numeric_limits<int64_t>::max());
  CHECK(ZigZagDecode64(0xFFFFFFFFFFFFFFFFull) == std::numeric_limits<int64_t>::min());
}

// The expectations of Kafka's ByteUtilsTest (testVarintSerde / testVarlongSerde).
TEST_CASE("varint encodings match Kafka's ByteUtilsTest", "[record][varint]") {
  CHECK(EncodeVarint(0) == Bytes({0x00}));
  CHECK(EncodeVarint(-1) == Bytes({0x01}));
  CHECK(EncodeVarint(1) == Bytes({0x02}));
  CHECK(EncodeVarint(63) == Bytes({0x7E}));
  CHECK(EncodeVarint(-64) == Bytes({0x7F}));
  CHECK(EncodeVarint(64) == Bytes({0x80, 0x01}));
  CHECK(EncodeVarint(-65) == Bytes({0x81, 0x01}));
  CHECK(EncodeVarint(8191) == Bytes({0xFE, 0x7F}));
  CHECK(EncodeVarint(-8192) == Bytes({0xFF, 0x7F}));
  CHECK(EncodeVarint(8192) == Bytes({0x80, 0x80, 0x01}));
  CHECK(EncodeVarint(-8193) == Bytes({0x81, 0x80, 0x01}));
  CHECK(EncodeVarint(1048575) == Bytes({0xFE, 0xFF, 0x7F}));
  CHECK(EncodeVarint(-1048576) == Bytes({0xFF, 0xFF, 0x7F}));
  CHECK(EncodeVarint(1048576) == Bytes({0x80, 0x80, 0x80, 0x01}));
  CHECK(EncodeVarint(std::numeric_limits<int32_t>::max()) == Bytes({0xFE, 0xFF, 0xFF, 0xFF, 0x0F}));
  CHECK(EncodeVarint(std::numeric_limits<int32_t>::min()) == Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0x0F}));
}

TEST_CASE("varlong encodings match Kafka's ByteUtilsTest", "[record][varint]") {
  CHECK(EncodeVarlong(0) == Bytes({0x00}));
  CHECK(EncodeVarlong(-1) == Bytes({0x01}));
  CHECK(EncodeVarlong(1) == Bytes({0x02}));
  CHECK(EncodeVarlong(63) == Bytes({0x7E}));
  CHECK(EncodeVarlong(-64) == Bytes({0x7F}));
  CHECK(EncodeVarlong(64) == Bytes({0x80, 0x01}));
  CHECK(EncodeVarlong(-65) == Bytes({0x81, 0x01}));
  CHECK(EncodeVarlong(8191) == Bytes({0xFE, 0x7F}));
  CHECK(EncodeVarlong(-8192) == Bytes({0xFF, 0x7F}));
  CHECK(EncodeVarlong(8192) == Bytes({0x80, 0x80, 0x01}));
  CHECK(EncodeVarlong(std::numeric_limits<int32_t>::max()) == Bytes({0xFE, 0xFF, 0xFF, 0xFF, 0x0F}));
  CHECK(EncodeVarlong(std::numeric_limits<int32_t>::min()) == Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0x0F}));
  CHECK(EncodeVarlong(std::numeric_limits<int64_t>::max()) ==
        Bytes({0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}));
  CHECK(EncodeVarlong(std::numeric_limits<int64_t>::min()) ==
        Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}));
}

TEST_CASE("decoders read Kafka's encodings back", "[record][varint]") {
  const std::string max32 = Bytes({0xFE, 0xFF, 0xFF, 0xFF, 0x0F});
  int32_t v = 0;
  const char* end = max32.data() + max32.size();
  REQUIRE(GetVarint(max32.data(), end, &v) == end);
  CHECK(v == std::numeric_limits<int32_t>::max());

  const std::string min64 = Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01});
  int64_t l = 0;
  end = min64.data() + min64.size();
  REQUIRE(GetVarlong(min64.data(), end, &l) == end);
  CHECK(l == std::numeric_limits<int64_t>::min());

  // A decoder stops at the first byte without the continuation bit and leaves
  // what follows alone.
  const std::string two = Bytes({0x80, 0x01, 0x7E});
  REQUIRE(GetVarint(two.data(), two.data() + two.size(), &v) == two.data() + 2);
  CHECK(v == 64);

  // As Kafka's readVarint, the 5th byte's bits above 32 are dropped.
  const std::string wide = Bytes({0xFE, 0xFF, 0xFF, 0xFF, 0x7F});
  REQUIRE(GetVarint(wide.data(), wide.data() + wide.size(), &v) == wide.data() + 5);
  CHECK(v == std::numeric_limits<int32_t>::max());
}

// Values spread over every encoded length: random bits shifted by a random
// amount, both signs.
template <typename T>
T SpreadValue(std::mt19937_64& rng) {
  using U = std::make_unsigned_t<T>;
  constexpr int kBits = sizeof(T) * 8;
  const U raw = static_cast<U>(rng());
  const int shift = static_cast<int>(rng() % kBits);
  const U magnitude = raw >> shift;
  // ~x is -x-1: negatives of every magnitude, without overflow.
  return static_cast<T>((rng() & 1) ? ~magnitude : magnitude);
}

TEST_CASE("random varints and varlongs round trip with the predicted size", "[record][varint]") {
  const uint64_t seed = 0x5A5A2024;
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  std::array<int, 6> lengths32{};
  std::array<int, 11> lengths64{};
  for (int i = 0; i < 100000; ++i) {
    const int32_t v = SpreadValue<int32_t>(rng);
    const std::string enc = EncodeVarint(v);
    INFO("varint " << v);
    REQUIRE(static_cast<int>(enc.size()) == VarintSize(v));
    REQUIRE(enc.size() <= 5);
    ++lengths32[enc.size()];
    int32_t back = 0;
    const char* end = enc.data() + enc.size();
    REQUIRE(GetVarint(enc.data(), end, &back) == end);
    REQUIRE(back == v);
    // One byte short is truncated.
    REQUIRE(GetVarint(enc.data(), end - 1, &back) == nullptr);
    // With bytes after it (the decoder's unchecked path): the same value and end.
    const std::string padded = enc + std::string(10, '\xFF');
    int32_t back_padded = 0;
    REQUIRE(GetVarint(padded.data(), padded.data() + padded.size(), &back_padded) ==
            padded.data() + enc.size());
    REQUIRE(back_padded == v);

    const int64_t w = SpreadValue<int64_t>(rng);
    const std::string enc64 = EncodeVarlong(w);
    INFO("varlong " << w);
    REQUIRE(static_cast<int>(enc64.size()) == VarlongSize(w));
    REQUIRE(enc64.size() <= 10);
    ++lengths64[enc64.size()];
    int64_t back64 = 0;
    const char* end64 = enc64.data() + enc64.size();
    REQUIRE(GetVarlong(enc64.data(), end64, &back64) == end64);
    REQUIRE(back64 == w);
    REQUIRE(GetVarlong(enc64.data(), end64 - 1, &back64) == nullptr);
    const std::string padded64 = enc64 + std::string(10, '\xFF');
    int64_t back64_padded = 0;
    REQUIRE(GetVarlong(padded64.data(), padded64.data() + padded64.size(), &back64_padded) ==
            padded64.data() + enc64.size());
    REQUIRE(back64_padded == w);
  }
  // Every length was exercised.
  for (int n = 1; n <= 5; ++n) CHECK(lengths32[n] > 0);
  for (int n = 1; n <= 10; ++n) CHECK(lengths64[n] > 0);
}

TEST_CASE("sizes and in-place encodings agree at every width boundary", "[record][varint]") {
  // UnsignedVarintSize has no loop: check it against the definition (7 bits
  // a byte) on both sides of every bit width, and the pointer encoder
  // against the string one.
  std::vector<uint64_t> values = {0, ~uint64_t{0}};
  for (int bits = 1; bits < 64; ++bits) {
    values.push_back((uint64_t{1} << bits) - 1);
    values.push_back(uint64_t{1} << bits);
  }
  for (const uint64_t v : values) {
    INFO("value " << v);
    int expected = 1;
    for (uint64_t rest = v; rest >= 0x80; rest >>= 7) ++expected;
    CHECK(UnsignedVarintSize(v) == expected);
    std::string via_string;
    PutUnsignedVarint(&via_string, v);
    char buf[10];
    char* end = EncodeUnsignedVarint(buf, v);
    CHECK(end - buf == expected);
    CHECK(std::string(buf, end) == via_string);
  }
}

TEST_CASE("decoders refuse empty, truncated and too-long encodings", "[record][varint]") {
  int32_t v = 0;
  int64_t l = 0;
  uint32_t u = 0;
  uint64_t u64 = 0;
  const std::string empty;
  CHECK(GetVarint(empty.data(), empty.data(), &v) == nullptr);
  CHECK(GetVarlong(empty.data(), empty.data(), &l) == nullptr);

  // Continuation bits to the end of the input.
  const std::string cont = Bytes({0x80, 0x80});
  CHECK(GetVarint(cont.data(), cont.data() + cont.size(), &v) == nullptr);
  CHECK(GetVarlong(cont.data(), cont.data() + cont.size(), &l) == nullptr);

  // 32 bits: a 6th byte is never allowed, even when present.
  const std::string six(6, '\xFF');
  CHECK(GetVarint(six.data(), six.data() + six.size(), &v) == nullptr);
  CHECK(GetUnsignedVarint32(six.data(), six.data() + six.size(), &u) == nullptr);
  const std::string six_terminated = Bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x01});
  CHECK(GetVarint(six_terminated.data(), six_terminated.data() + six_terminated.size(), &v) == nullptr);

  // The same with more bytes after them: still too long.
  const std::string six_more = six_terminated + std::string(10, '\x01');
  CHECK(GetVarint(six_more.data(), six_more.data() + six_more.size(), &v) == nullptr);
  CHECK(GetUnsignedVarint32(six_more.data(), six_more.data() + six_more.size(), &u) == nullptr);

  // 64 bits: an 11th byte is never allowed.
  const std::string eleven(11, '\xFF');
  CHECK(GetVarlong(eleven.data(), eleven.data() + eleven.size(), &l) == nullptr);
  CHECK(GetUnsignedVarint64(eleven.data(), eleven.data() + eleven.size(), &u64) == nullptr);
  std::string eleven_terminated(10, '\x80');
  eleven_terminated.push_back('\x01');
  CHECK(GetVarlong(eleven_terminated.data(), eleven_terminated.data() + eleven_terminated.size(),
                   &l) == nullptr);
  const std::string eleven_more = eleven_terminated + std::string(10, '\x01');
  CHECK(GetVarlong(eleven_more.data(), eleven_more.data() + eleven_more.size(), &l) == nullptr);
  CHECK(GetUnsignedVarint64(eleven_more.data(), eleven_more.data() + eleven_more.size(), &u64) ==
        nullptr);

  // A 10-byte varlong is fine; the same bytes as a varint are too long.
  std::string ten(9, '\xFF');
  ten.push_back('\x01');
  CHECK(GetVarlong(ten.data(), ten.data() + ten.size(), &l) == ten.data() + ten.size());
  CHECK(GetVarint(ten.data(), ten.data() + ten.size(), &v) == nullptr);
}

}  // namespace
}  // namespace samsa::record
