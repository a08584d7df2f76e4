#include "log/offset_index.h"

#include <fmt/format.h>

#include "log/index_format.h"
#include "util/endian.h"

namespace samsa {
namespace {

int64_t RelativeOffsetKey(const char* entry) { return static_cast<int32_t>(LoadBE32(entry)); }
int64_t TimestampKey(const char* entry) { return static_cast<int64_t>(LoadBE64(entry)); }

}  // namespace

// --- OffsetIndex ---------------------------------------------------------------

OffsetIndex::OffsetIndex(Env* env, std::string path, Offset base_offset, int64_t max_index_bytes)
    : base_(base_offset), file_(env, std::move(path), kOffsetIndexEntrySize, max_index_bytes) {}

OffsetPosition OffsetIndex::EntryAt(size_t i) const {
  char e[kOffsetIndexEntrySize];
  file_.ReadEntry(i, e);
  return {base_ + static_cast<int32_t>(LoadBE32(e)), static_cast<int32_t>(LoadBE32(e + 4))};
}

absl::Status OffsetIndex::SanityCheck(int64_t log_size) const {
  const size_t n = file_.entries();
  for (size_t i = 0; i < n; ++i) {
    const OffsetPosition e = EntryAt(i);
    const bool bad_offset = e.offset < base_ || (i > 0 && e.offset <= EntryAt(i - 1).offset);
    const bool bad_position = e.position < 0 || e.position >= std::max<int64_t>(log_size, 1) ||
                              (i > 0 && e.position <= EntryAt(i - 1).position);
    if (bad_offset || bad_position) {
      return absl::DataLossError(fmt::format(
          "offset index {}: entry {} (offset {}, position {}) is out of order or past the log "
          "({} bytes)",
          file_.path(), i, e.offset.value(), e.position, log_size));
    }
  }
  return absl::OkStatus();
}

OffsetPosition OffsetIndex::Lookup(Offset target) const {
  const int64_t i = file_.FloorSearch(target - base_, RelativeOffsetKey);
  if (i < 0) return {base_, 0};
  return EntryAt(static_cast<size_t>(i));
}

void OffsetIndex::Append(Offset offset, int64_t position) {
  char e[kOffsetIndexEntrySize];
  StoreBE32(e, static_cast<uint32_t>(offset - base_));
  StoreBE32(e + 4, static_cast<uint32_t>(position));
  file_.Append(e);
}

void OffsetIndex::TruncateTo(Offset offset) {
  // Keep entries with offset < `offset`: floor(offset - 1) + 1 of them.
  const int64_t i = file_.FloorSearch(offset - base_ - 1, RelativeOffsetKey);
  file_.TruncateToEntries(static_cast<size_t>(i + 1));
}

std::optional<OffsetPosition> OffsetIndex::LastEntry() const {
  const size_t n = file_.entries();
  if (n == 0) return std::nullopt;
  return EntryAt(n - 1);
}

// --- TimeIndex -----------------------------------------------------------------

TimeIndex::TimeIndex(Env* env, std::string path, Offset base_offset, int64_t max_index_bytes)
    : base_(base_offset), file_(env, std::move(path), kTimeIndexEntrySize, max_index_bytes) {}

TimestampOffset TimeIndex::EntryAt(size_t i) const {
  char e[kTimeIndexEntrySize];
  file_.ReadEntry(i, e);
  return {static_cast<int64_t>(LoadBE64(e)), base_ + static_cast<int32_t>(LoadBE32(e + 8))};
}

absl::Status TimeIndex::SanityCheck() const {
  const size_t n = file_.entries();
  for (size_t i = 0; i < n; ++i) {
    const TimestampOffset e = EntryAt(i);
    bool bad = e.offset < base_;
    if (i > 0) {
      const TimestampOffset prev = EntryAt(i - 1);
      bad = bad || e.timestamp <= prev.timestamp || e.offset < prev.offset;
    }
    if (bad) {
      return absl::DataLossError(fmt::format(
          "time index {}: entry {} (timestamp {}, offset {}) is out of order", file_.path(), i,
          e.timestamp, e.offset.value()));
    }
  }
  return absl::OkStatus();
}

TimestampOffset TimeIndex::Lookup(int64_t target_timestamp) const {
  const int64_t i = file_.FloorSearch(target_timestamp, TimestampKey);
  if (i < 0) return {-1, base_};
  return EntryAt(static_cast<size_t>(i));
}

void TimeIndex::MaybeAppend(int64_t timestamp, Offset offset, bool skip_full_check) {
  if (!skip_full_check && file_.IsFull()) return;
  if (auto last = LastEntry(); last && timestamp <= last->timestamp) return;
  char e[kTimeIndexEntrySize];
  StoreBE64(e, static_cast<uint64_t>(timestamp));
  StoreBE32(e + 8, static_cast<uint32_t>(offset - base_));
  file_.Append(e);
}

void TimeIndex::TruncateTo(Offset offset) {
  // Entries are sorted by offset too; keep those with offset < `offset`.
  size_t keep = file_.entries();
  while (keep > 0 && EntryAt(keep - 1).offset >= offset) --keep;
  file_.TruncateToEntries(keep);
}

std::optional<TimestampOffset> TimeIndex::LastEntry() const {
  const size_t n = file_.entries();
  if (n == 0) return std::nullopt;
  return EntryAt(n - 1);
}

}  // namespace samsa
