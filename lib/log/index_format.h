// The two sparse indexes of a log segment, byte for byte as Kafka writes them
// (kafka.log.OffsetIndex / kafka.log.TimeIndex). Big-endian, no header, no
// checksum: an index is rebuilt from its .log after an unclean shutdown.
//
// <base>.index — offset index, 8-byte entries:
//
//   +----------------------+----------------------+
//   | relativeOffset int32 | position int32       |   x entries
//   +----------------------+----------------------+
//   relativeOffset = offset - base offset of the segment; position = byte
//   position in the .log of the batch holding that offset. Entries strictly
//   increase in offset and in position. An entry is added when more than
//   index.interval.bytes were appended since the last one; its offset is the
//   last offset of that append and its position where the append began.
//
// <base>.timeindex — time index, 12-byte entries:
//
//   +-----------------+----------------------+
//   | timestamp int64 | relativeOffset int32 |   x entries
//   +-----------------+----------------------+
//   timestamp = the largest timestamp seen so far in the segment, offset = the
//   offset of the record (batch) that carried it; an entry is added beside each
//   offset-index entry when the timestamp grew, and once more when the segment
//   stops being active. Timestamps strictly increase.
//
// Kafka preallocates both files to segment.index.bytes and trims them when the
// segment rolls or closes; samsa appends entries and never preallocates, so a
// file is always exactly entries x entry size. A segment rolls when either
// index reaches segment.index.bytes / entry size entries.
#pragma once

#include <cstddef>

namespace samsa {

inline constexpr size_t kOffsetIndexEntrySize = 8;
inline constexpr size_t kTimeIndexEntrySize = 12;

}  // namespace samsa
