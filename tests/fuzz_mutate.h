// Mutate: one random edit of a byte string, for the seeded mutation fuzz
// tests (record batches, wire frames): a flipped bit, a random or boundary
// byte, a cut or an extension, a planted big-endian boundary int32, an
// inserted or erased byte, and (for varint formats) a maximal unsigned varint.
// A failing seed replays exactly: the edits depend only on `rng`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <random>
#include <string>

#include "util/endian.h"

namespace samsa::testing {

// A seeded fuzz test's seed and iteration count: SAMSA_FUZZ_SEED and
// SAMSA_FUZZ_ITERATIONS when set (to replay a failure, or to run longer),
// else the test's own defaults.
inline uint64_t FuzzSeed(uint64_t fallback) {
  const char* env = std::getenv("SAMSA_FUZZ_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 0) : fallback;
}
inline int FuzzIterations(int fallback) {
  const char* env = std::getenv("SAMSA_FUZZ_ITERATIONS");
  return env != nullptr ? std::atoi(env) : fallback;
}

struct MutationOptions {
  // Half of the edited positions fall in the first `hot_prefix` bytes (a
  // header where every byte matters); 0: anywhere.
  size_t hot_prefix = 0;
  // Also plant 0xFFFFFFFF07, the largest 5-byte unsigned varint (compact
  // lengths, tag counts).
  bool big_varints = false;
};

inline void Mutate(std::mt19937_64& rng, std::string* b, const MutationOptions& options = {}) {
  static constexpr uint8_t kBytes[] = {0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE, 0x02, 0x03};
  static constexpr int32_t kInts[] = {0,          1,      -1,     -2, 2, 48, 49, 0x7FFFFFFF,
                                      std::numeric_limits<int32_t>::min(), 0x10000, 0x7FFF,
                                      0x40000000};
  const auto pos = [&]() -> size_t {
    if (b->empty()) return 0;
    if (options.hot_prefix > 0 && rng() % 2 == 0) {
      return rng() % std::min(b->size(), options.hot_prefix);
    }
    return rng() % b->size();
  };
  switch (rng() % (options.big_varints ? 9 : 8)) {
    case 0:
      if (!b->empty()) (*b)[pos()] ^= static_cast<char>(1 << (rng() % 8));
      break;
    case 1:
      if (!b->empty()) (*b)[pos()] = static_cast<char>(rng());
      break;
    case 2:
      if (!b->empty()) (*b)[pos()] = static_cast<char>(kBytes[rng() % std::size(kBytes)]);
      break;
    case 3:
      b->resize(rng() % (b->size() + 1));
      break;
    case 4:
      for (int n = 1 + static_cast<int>(rng() % 32); n > 0; --n) b->push_back(static_cast<char>(rng()));
      break;
    case 5:
      if (b->size() >= 4) {
        const size_t p = pos();
        if (p + 4 <= b->size()) {
          StoreBE32(b->data() + p, static_cast<uint32_t>(kInts[rng() % std::size(kInts)]));
        }
      }
      break;
    case 6:
      b->insert(b->begin() + static_cast<std::ptrdiff_t>(b->empty() ? 0 : rng() % (b->size() + 1)),
                static_cast<char>(rng()));
      break;
    case 7:
      if (!b->empty()) b->erase(b->begin() + static_cast<std::ptrdiff_t>(rng() % b->size()));
      break;
    case 8:
      if (b->size() >= 5) {
        const size_t p = pos();
        if (p + 5 <= b->size()) b->replace(p, 5, std::string("\xff\xff\xff\xff\x07", 5));
      }
      break;
  }
}

}  // namespace samsa::testing
