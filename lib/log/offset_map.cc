#include "log/offset_map.h"

#include <algorithm>
#include <cstring>

namespace samsa {
namespace {

constexpr size_t kInitialSlots = 1024;

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// A seeded 64-bit hash (8 bytes at a time, each mixed in with a murmur3
// finalizer); two seeds give the 128 bits an entry keeps.
uint64_t Hash64(std::string_view s, uint64_t seed) {
  uint64_t h = Mix(seed ^ (static_cast<uint64_t>(s.size()) * 0x9E3779B97F4A7C15ULL));
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t k;
    std::memcpy(&k, s.data() + i, 8);
    h = (h ^ Mix(k + seed)) * 0x9E3779B97F4A7C15ULL;
    h = (h << 31) | (h >> 33);
  }
  uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  h = (h ^ Mix(tail ^ (seed * 0xc2b2ae3d27d4eb4fULL) ^ (s.size() - i))) * 0x9E3779B97F4A7C15ULL;
  return Mix(h);
}

}  // namespace

OffsetMap::OffsetMap(int64_t memory_bytes, double load_factor)
    : max_slots_(std::max<int64_t>(memory_bytes / kBytesPerEntry, 2)),
      // At least one slot stays empty, so that a probe always ends.
      max_entries_(std::clamp<int64_t>(
          static_cast<int64_t>(static_cast<double>(max_slots_) * load_factor), 1,
          max_slots_ - 1)) {}

void OffsetMap::Clear() {
  std::fill(slots_.begin(), slots_.end(), Slot{});
  size_ = 0;
  latest_offset_ = -1;
}

size_t OffsetMap::Find(uint64_t hi, uint64_t lo) const {
  const size_t n = slots_.size();
  size_t i = static_cast<size_t>(hi % n);
  while (true) {
    const Slot& slot = slots_[i];
    if (slot.offset < 0 || (slot.hash_hi == hi && slot.hash_lo == lo)) return i;
    if (++i == n) i = 0;
  }
}

void OffsetMap::Grow() {
  const size_t target =
      slots_.empty() ? std::min<size_t>(kInitialSlots, static_cast<size_t>(max_slots_))
                     : std::min<size_t>(slots_.size() * 2, static_cast<size_t>(max_slots_));
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(target, Slot{});
  for (const Slot& slot : old) {
    if (slot.offset >= 0) slots_[Find(slot.hash_hi, slot.hash_lo)] = slot;
  }
}

bool OffsetMap::Put(std::string_view key, int64_t offset) {
  if (slots_.empty()) Grow();
  const uint64_t hi = Hash64(key, 0x5a17c0ffee), lo = Hash64(key, 0x0ddba11);
  size_t i = Find(hi, lo);
  if (slots_[i].offset < 0) {
    if (size_ >= max_entries_) return false;
    // Keep the load under one half while the table may still grow.
    if (static_cast<int64_t>(slots_.size()) < max_slots_ &&
        static_cast<size_t>(size_ + 1) * 2 > slots_.size()) {
      Grow();
      i = Find(hi, lo);
    }
    ++size_;
  }
  slots_[i] = Slot{hi, lo, offset};
  return true;
}

int64_t OffsetMap::Get(std::string_view key) const {
  if (slots_.empty()) return -1;
  const uint64_t hi = Hash64(key, 0x5a17c0ffee), lo = Hash64(key, 0x0ddba11);
  return slots_[Find(hi, lo)].offset;
}

double OffsetMap::Utilization() const {
  return static_cast<double>(size_) / static_cast<double>(max_slots_);
}

}  // namespace samsa
