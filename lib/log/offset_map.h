// OffsetMap: the log cleaner's map from a record key to the last offset that
// carried it, in bounded memory (Kafka's SkimpyOffsetMap).
//
// Like Kafka's, an entry holds a 16-byte hash of the key rather than the key,
// plus the offset: 24 bytes, whatever the key's size. `memory_bytes` bounds
// the slots (memory_bytes / 24); the map takes at most slots * load_factor
// entries and Put() says when it is full. The table grows by doubling up to
// that bound, so a small log costs little. Two keys colliding in 128 bits
// would be treated as one key — Kafka accepts the same (negligible) risk.
//
// latest_offset() is the last offset the caller finished mapping: the
// cleaner cleans up to it.
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace samsa {

class OffsetMap {
 public:
  static constexpr int64_t kBytesPerEntry = 24;

  explicit OffsetMap(int64_t memory_bytes, double load_factor = 0.9);

  // Empties the map (keeps its memory) and resets latest_offset() to -1.
  void Clear();
  // Maps `key` to `offset` (replacing an earlier offset). Returns false,
  // storing nothing, when the map holds max_entries() keys already.
  bool Put(std::string_view key, int64_t offset);
  // The offset mapped for `key`, or -1.
  int64_t Get(std::string_view key) const;

  void UpdateLatestOffset(int64_t offset) { latest_offset_ = offset; }
  int64_t latest_offset() const { return latest_offset_; }

  int64_t size() const { return size_; }
  int64_t max_entries() const { return max_entries_; }
  bool full() const { return size_ >= max_entries_; }
  // size() / slots, as Kafka's utilization.
  double Utilization() const;

 private:
  struct Slot {
    uint64_t hash_hi = 0;
    uint64_t hash_lo = 0;
    int64_t offset = -1;  // -1: empty
  };

  size_t Find(uint64_t hi, uint64_t lo) const;  // the slot holding the hash, or the empty one to use
  void Grow();

  const int64_t max_slots_;
  const int64_t max_entries_;
  std::vector<Slot> slots_;
  int64_t size_ = 0;
  int64_t latest_offset_ = -1;
};

}  // namespace samsa
