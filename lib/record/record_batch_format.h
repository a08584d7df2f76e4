// Kafka's record batch, magic 2 ("v2"): the unit samsa stores on disk and
// sends on the wire, byte for byte as Apache Kafka does.
//
//  offset  size  field                   note
//  ------  ----  ----------------------  -----------------------------------------
//       0     8  baseOffset              offset of the first record
//       8     4  batchLength             bytes after this field (size - 12)
//      12     4  partitionLeaderEpoch    stamped by the broker; not under the CRC
//      16     1  magic                   2
//      17     4  crc                     CRC-32C of bytes [21, end)
//      21     2  attributes              see kAttr* below
//      23     4  lastOffsetDelta         last record's offset - baseOffset
//      27     8  baseTimestamp           ms
//      35     8  maxTimestamp            ms (the LogAppendTime when that type)
//      43     8  producerId              -1 when not idempotent
//      51     2  producerEpoch           -1 when not idempotent
//      53     4  baseSequence            -1 when not idempotent
//      57     4  recordsCount
//      61     -  records                 compressed as a whole per attributes
//
// Each record (varint = zig-zag LEB128 as protobuf's sint32, varlong sint64):
//   length varint | attributes int8 | timestampDelta varlong |
//   offsetDelta varint | keyLength varint (-1 null) | key |
//   valueLength varint (-1 null = tombstone) | value |
//   headerCount varint | headers: keyLength varint, key, valueLength varint
//   (-1 null), value
//
// All integers big-endian.
#pragma once

#include <cstddef>
#include <cstdint>

namespace samsa::record {

inline constexpr size_t kBaseOffsetPos = 0;
inline constexpr size_t kBatchLengthPos = 8;
inline constexpr size_t kPartitionLeaderEpochPos = 12;
inline constexpr size_t kMagicPos = 16;
inline constexpr size_t kCrcPos = 17;
inline constexpr size_t kAttributesPos = 21;
inline constexpr size_t kLastOffsetDeltaPos = 23;
inline constexpr size_t kBaseTimestampPos = 27;
inline constexpr size_t kMaxTimestampPos = 35;
inline constexpr size_t kProducerIdPos = 43;
inline constexpr size_t kProducerEpochPos = 51;
inline constexpr size_t kBaseSequencePos = 53;
inline constexpr size_t kRecordsCountPos = 57;
inline constexpr size_t kRecordsPos = 61;

// The fixed header.
inline constexpr size_t kBatchHeaderSize = 61;
// baseOffset + batchLength: the part of the header before batchLength counts.
inline constexpr size_t kLogOverhead = 12;
inline constexpr int8_t kMagic = 2;
inline constexpr int64_t kNoTimestamp = -1;
inline constexpr int64_t kNoProducerId = -1;
inline constexpr int16_t kNoProducerEpoch = -1;
inline constexpr int32_t kNoSequence = -1;
inline constexpr int32_t kNoPartitionLeaderEpoch = -1;

// attributes
inline constexpr int16_t kAttrCompressionMask = 0x07;
inline constexpr int16_t kAttrTimestampTypeBit = 0x08;  // 1 = LogAppendTime
inline constexpr int16_t kAttrTransactionalBit = 0x10;
inline constexpr int16_t kAttrControlBit = 0x20;
inline constexpr int16_t kAttrDeleteHorizonBit = 0x40;

enum class CompressionType : uint8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };
enum class TimestampType : uint8_t { kCreateTime = 0, kLogAppendTime = 1 };

}  // namespace samsa::record
