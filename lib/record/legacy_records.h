// Kafka's legacy message format, magic 0 and 1 ("message sets"): what
// Produce v0-2 carry and Fetch v0-3 answer with. samsa stores magic-2
// batches only, as Kafka 3.x does (its message.format.version is 3.0 whatever
// a topic sets), so an old client's produce is converted up to one v2 batch
// (LogValidator.convertAndAssignOffsetsNonCompressed and
// validateMessagesAndAssignOffsetsCompressed) and an old client's fetch gets
// stored batches converted down (RecordsUtil.downConvert).
//
// One entry of a message set (Kafka's LegacyRecord.java; big-endian):
//   offset     int64
//   size       int32   bytes after this field
//   crc        uint32  CRC-32 (IEEE, zlib's crc32) of magic..end
//   magic      int8    0 or 1
//   attributes int8    bits 0-2 codec (0 none, 1 gzip, 2 snappy, 3 lz4);
//                      bit 3 (magic 1) timestamp type, 1 = LogAppendTime
//   timestamp  int64   magic 1 only
//   key        int32 length (-1 null) + bytes
//   value      int32 length (-1 null) + bytes
// A compressed entry (a "wrapper") has a null key and as its value the
// compressed message set of its records ("inner" entries, themselves
// uncompressed). Inner offsets are absolute for magic 0 and relative
// (0, 1, 2, ...) for magic 1; the wrapper's offset is the last inner
// record's absolute offset. lz4 under magic 0 has Kafka's broken frame header
// checksum (KAFKA-3160): written broken, read whether broken or not.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "record/record_batch_format.h"

namespace samsa::record {

inline constexpr int8_t kLegacyMagicV0 = 0;
inline constexpr int8_t kLegacyMagicV1 = 1;
// offset + size
inline constexpr size_t kLegacyLogOverhead = 12;
// crc + magic + attributes + key length + value length (+ timestamp for v1)
inline constexpr size_t kLegacyRecordOverheadV0 = 14;
inline constexpr size_t kLegacyRecordOverheadV1 = 22;

// The magic byte of the first entry of `records` (a message set or v2
// batches), if there are at least 17 bytes: byte 16, where both formats
// keep it.
std::optional<int8_t> PeekMagic(std::string_view records);

// A produce request's legacy message set as one v2 batch.
struct LegacyConversion {
  std::string batch;  // one magic-2 batch: base offset 0, no producer id,
                      // CreateTime, CRC set
  int8_t magic = 0;   // the entries' magic
  CompressionType compression = CompressionType::kNone;  // the set's codec
  int32_t records = 0;
};

// Bounds on a produced message set.
struct LegacyLimits {
  // The topic's max.message.bytes: an entry (a record, or a compressed
  // wrapper), offset and size fields included, larger than this is
  // MESSAGE_TOO_LARGE, checked before its CRC, as
  // UnifiedLog.analyzeAndValidateRecords checks each shallow batch.
  int64_t max_entry_bytes = std::numeric_limits<int32_t>::max();
  // Decompressed data past this is CORRUPT_MESSAGE (a decompression bomb).
  size_t max_decompressed_bytes = 256u << 20;
};

// Converts the message set of one partition of a Produce v0-2 request.
// Records keep key, value and (magic 1) timestamp; magic 0 records get
// timestamp -1 (NO_TIMESTAMP). The batch is compressed with the wrapper's
// codec when the set is compressed (Kafka's target codec when the topic's
// compression.type is "producer"), else uncompressed. Kafka's checks and
// error codes (messages name the entry):
// - an entry shorter than its magic's overhead, a size past the end of a
//   compressed set, a key or value length that does not fit its entry or
//   bytes after the value, or an inner set that does not decompress or
//   parse: CORRUPT_MESSAGE;
// - an entry whose CRC does not match: CORRUPT_MESSAGE (checked before the
//   magic, so a damaged magic byte is CORRUPT_MESSAGE too);
// - a magic other than 0/1, or different from the first entry's:
//   INVALID_RECORD ("Batch magic 1 is not the same as the first batch's
//   magic byte 0");
// - a compressed entry after another entry, or followed by one:
//   INVALID_RECORD ("Compressed outer record has more than one batch");
// - an inner entry with a codec set, or whose magic is not the wrapper's:
//   INVALID_RECORD; so is a wrapper with a null value or no inner entries
//   (AbstractLegacyRecordBatch: "Found invalid compressed record set ...");
// - a timestamp type of LogAppendTime on any entry: INVALID_TIMESTAMP
//   ("Producer should not set timestamp type to LogAppendTime");
// - an unknown codec (4 = zstd does not exist before magic 2, 5-7):
//   UNSUPPORTED_COMPRESSION_TYPE; decompressed data past
//   `limits.max_decompressed_bytes`: CORRUPT_MESSAGE;
// - an entry past `limits.max_entry_bytes`: MESSAGE_TOO_LARGE;
// - no complete entry at all: INVALID_RECORD.
// Timestamps are not checked against message.timestamp.* here: the caller
// does that on the batch, as for any v2 produce. A partial entry at the end
// of the set (after whole entries, or after the wrapper) is ignored, as
// Kafka's log input stream stops before it (and the log trims it). Bit 3 of
// a magic-0 entry's attributes means nothing and is ignored.
absl::StatusOr<LegacyConversion> ConvertLegacyToV2(std::string_view message_set,
                                                   const LegacyLimits& limits = {});

// Converts v2 batches as a log read returns them (whole batches, then
// possibly a partial one, which is ignored) to a message set of `to_magic`
// (0 or 1), as RecordsUtil.downConvert does for a Fetch v0-3:
// - control batches are left out;
// - an uncompressed batch becomes one entry per record, at its absolute
//   offset, leaving out records below `first_offset`;
// - a compressed batch becomes one wrapper of the same codec holding all of
//   its records (the client skips those below its fetch offset); inner
//   offsets are absolute for magic 0 and, for magic 1, the record's offset
//   minus the batch's first record's (0, 1, 2, ... unless compaction left
//   gaps), so that a consumer's wrapper offset - last inner + inner gives
//   the record's offset back (MemoryRecordsBuilder.toInnerOffset); the
//   wrapper's timestamp is the largest record timestamp, or the
//   LogAppendTime;
// - a batch left with no records (all below `first_offset`, or none at all)
//   converts to nothing;
// - magic 1 entries carry the record's timestamp and the batch's timestamp
//   type (a LogAppendTime batch's records all get its maxTimestamp, as
//   Kafka's builder writes them); magic 0 entries have none;
// - headers are dropped (the legacy format has none).
// A zstd batch is UNSUPPORTED_COMPRESSION_TYPE (Kafka: "Down-conversion of
// zstandard-compressed batches is not supported"); a corrupt batch
// CORRUPT_MESSAGE.
// `max_bytes` (the size of the stored bytes read): the output is the
// converted entries that fit in max(max_bytes, the first batch's converted
// size), whole entries only: Kafka's LazyDownConversionRecords sends at
// least the first batch converted and cuts the rest at that size (where the
// client drops the cut entry). "The first batch" is the first that converts
// to any entry; batches after the first entry that does not fit are not
// read (nor checked). `to_magic` other than 0 or 1: InvalidArgument.
absl::StatusOr<std::string> DownConvertToLegacy(std::string_view batches, int8_t to_magic,
                                                int64_t first_offset, size_t max_bytes);

namespace legacy_records_internal {

// XXH32 (xxHash's 32-bit hash, seed `seed`) of `data`: what an LZ4 frame's
// header checksum byte is taken from ((hash >> 8) & 0xFF). Exposed for tests.
uint32_t Xxh32(std::string_view data, uint32_t seed = 0);

}  // namespace legacy_records_internal

}  // namespace samsa::record
