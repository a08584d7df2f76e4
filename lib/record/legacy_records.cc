#include "record/legacy_records.h"

#include <zlib.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "absl/strings/str_cat.h"

#include "record/compression.h"
#include "record/record_batch.h"
#include "samsa/errors.h"
#include "util/endian.h"
#include "util/status_macros.h"

namespace samsa::record {
namespace legacy_records_internal {

// XXH32 from Debian's libxxhash-dev, header-only: only the lz4 frame
// header byte of magic-0 wrappers needs it.
uint32_t Xxh32(std::string_view data, uint32_t seed) {
  return XXH32(data.data(), data.size(), seed);
}

namespace {

// --- one entry ----------------------------------------------------------------------

// Positions in an entry (LegacyRecord.java), from the entry's start.
constexpr size_t kEntryOffsetPos = 0;
constexpr size_t kEntrySizePos = 8;
constexpr size_t kEntryCrcPos = 12;
constexpr size_t kEntryMagicPos = 16;
constexpr size_t kEntryAttributesPos = 17;
constexpr size_t kEntryTimestampPos = 18;  // magic 1
constexpr int8_t kEntryCodecMask = 0x07;
constexpr int8_t kEntryTimestampTypeBit = 0x08;
constexpr int8_t kEntryMaxCodec = 3;  // lz4; zstd (4) came with magic 2

size_t LegacyOverhead(int8_t magic) {
  return magic == kLegacyMagicV0 ? kLegacyRecordOverheadV0 : kLegacyRecordOverheadV1;
}

// One entry as read: views into the message set it was read from.
struct LegacyEntry {
  size_t pos = 0;   // where it starts in its set
  size_t size = 0;  // kLegacyLogOverhead + its size field
  int64_t offset = 0;
  int8_t magic = 0;
  int8_t attributes = 0;
  int64_t timestamp = kNoTimestamp;  // kNoTimestamp for magic 0
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;

  int8_t codec() const { return static_cast<int8_t>(attributes & kEntryCodecMask); }
  bool log_append_time() const {
    return magic == kLegacyMagicV1 && (attributes & kEntryTimestampTypeBit) != 0;
  }
};

// "entry 2 at byte 57 (offset 2)" or "inner entry ...": names an entry in errors.
std::string LegacyEntryName(bool inner, size_t index, size_t pos, int64_t offset) {
  return fmt::format("{}message set entry {} at byte {} (offset {})", inner ? "inner " : "", index,
                     pos, offset);
}

// Reads a length-prefixed key or value at `*p` of the entry ending at `end`.
bool LegacyReadBytes(const char** p, const char* end, std::optional<std::string_view>* out) {
  if (end - *p < 4) return false;
  const int32_t length = static_cast<int32_t>(LoadBE32(*p));
  *p += 4;
  if (length == -1) {
    out->reset();
    return true;
  }
  if (length < 0 || length > end - *p) return false;
  *out = std::string_view(*p, static_cast<size_t>(length));
  *p += length;
  return true;
}

// Reads the entry at `pos` of `set` into `*out`. Returns false at the end of
// the set: fewer than kLegacyLogOverhead bytes left, or (`inner` false) an
// entry that runs past the end, which Kafka's log input stream leaves
// unread. Inside a compressed set (`inner`) any bytes left over are corrupt.
// A whole entry larger than `max_entry_bytes` is MESSAGE_TOO_LARGE, before
// its CRC is looked at (UnifiedLog.analyzeAndValidateRecords' order).
absl::StatusOr<bool> ReadLegacyEntry(std::string_view set, size_t pos, bool inner, size_t index,
                                     int64_t max_entry_bytes, LegacyEntry* out) {
  const size_t left = set.size() - pos;
  if (left == 0) return false;
  if (left < kLegacyLogOverhead) {
    if (!inner) return false;
    return KafkaError(ErrorCode::kCorruptMessage,
                      fmt::format("inner message set entry {} at byte {}: {} bytes are left, less "
                                  "than an entry's offset and size",
                                  index, pos, left));
  }
  const char* const p = set.data() + pos;
  const int64_t offset = static_cast<int64_t>(LoadBE64(p + kEntryOffsetPos));
  const int32_t size = static_cast<int32_t>(LoadBE32(p + kEntrySizePos));
  const std::string name = LegacyEntryName(inner, index, pos, offset);
  if (size < static_cast<int32_t>(kLegacyRecordOverheadV0)) {
    return KafkaError(
        ErrorCode::kCorruptMessage,
        fmt::format("{}: record size {} is less than the minimum record overhead ({})", name, size,
                    kLegacyRecordOverheadV0));
  }
  if (static_cast<size_t>(size) > left - kLegacyLogOverhead) {
    if (!inner) return false;
    return KafkaError(ErrorCode::kCorruptMessage,
                      fmt::format("{}: record size {} runs past the {} bytes of the compressed set",
                                  name, size, left - kLegacyLogOverhead));
  }
  const size_t entry_size = kLegacyLogOverhead + static_cast<size_t>(size);
  if (static_cast<int64_t>(entry_size) > max_entry_bytes) {
    return KafkaError(ErrorCode::kMessageTooLarge,
                      fmt::format("{}: the record batch size {} bytes exceeds the maximum "
                                  "configured value of {}",
                                  name, entry_size, max_entry_bytes));
  }
  const char* const end = p + entry_size;
  const uint32_t stored_crc = LoadBE32(p + kEntryCrcPos);
  const uint32_t crc =
      static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(p + kEntryMagicPos),
                                  static_cast<uInt>(entry_size - kEntryMagicPos)));
  if (crc != stored_crc) {
    return KafkaError(ErrorCode::kCorruptMessage,
                      fmt::format("{}: record is corrupt (stored crc = {}, computed crc = {})",
                                  name, stored_crc, crc));
  }
  const int8_t magic = static_cast<int8_t>(p[kEntryMagicPos]);
  if (magic != kLegacyMagicV0 && magic != kLegacyMagicV1) {
    return KafkaError(ErrorCode::kInvalidRecord,
                      fmt::format("{}: magic {} in a message set of magic 0 or 1", name,
                                  static_cast<int>(magic)));
  }
  if (static_cast<size_t>(size) < LegacyOverhead(magic)) {
    return KafkaError(ErrorCode::kCorruptMessage,
                      fmt::format("{}: record size {} is less than the minimum record overhead "
                                  "({}) of magic {}",
                                  name, size, LegacyOverhead(magic), static_cast<int>(magic)));
  }
  out->pos = pos;
  out->size = entry_size;
  out->offset = offset;
  out->magic = magic;
  out->attributes = static_cast<int8_t>(p[kEntryAttributesPos]);
  const char* q = p + kEntryTimestampPos;
  if (magic == kLegacyMagicV1) {
    out->timestamp = static_cast<int64_t>(LoadBE64(q));
    q += 8;
  } else {
    out->timestamp = kNoTimestamp;
  }
  if (!LegacyReadBytes(&q, end, &out->key)) {
    return KafkaError(ErrorCode::kCorruptMessage, fmt::format("{}: bad key length", name));
  }
  if (!LegacyReadBytes(&q, end, &out->value)) {
    return KafkaError(ErrorCode::kCorruptMessage, fmt::format("{}: bad value length", name));
  }
  if (q != end) {
    return KafkaError(ErrorCode::kCorruptMessage,
                      fmt::format("{}: {} bytes after the value", name, end - q));
  }
  return true;
}

// Appends one entry to `*out`.
absl::Status AppendLegacyEntry(std::string* out, int8_t magic, int8_t attributes, int64_t offset,
                               int64_t timestamp, std::optional<std::string_view> key,
                               std::optional<std::string_view> value) {
  const size_t size = LegacyOverhead(magic) + (key ? key->size() : 0) + (value ? value->size() : 0);
  if (size > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return KafkaError(
        ErrorCode::kMessageTooLarge,
        fmt::format("message at offset {} would be {} bytes, past an int32", offset, size));
  }
  const size_t start = out->size();
  out->resize(start + kLegacyLogOverhead + size);
  char* const p = out->data() + start;
  StoreBE64(p + kEntryOffsetPos, static_cast<uint64_t>(offset));
  StoreBE32(p + kEntrySizePos, static_cast<uint32_t>(size));
  p[kEntryMagicPos] = static_cast<char>(magic);
  p[kEntryAttributesPos] = static_cast<char>(attributes);
  char* q = p + kEntryTimestampPos;
  if (magic == kLegacyMagicV1) {
    StoreBE64(q, static_cast<uint64_t>(timestamp));
    q += 8;
  }
  for (const std::optional<std::string_view>& bytes : {key, value}) {
    StoreBE32(q, bytes ? static_cast<uint32_t>(bytes->size()) : static_cast<uint32_t>(-1));
    q += 4;
    if (bytes && !bytes->empty()) {
      std::memcpy(q, bytes->data(), bytes->size());
      q += bytes->size();
    }
  }
  StoreBE32(p + kEntryCrcPos, static_cast<uint32_t>(crc32(
                                  0, reinterpret_cast<const Bytef*>(p + kEntryMagicPos),
                                  static_cast<uInt>(kLegacyLogOverhead + size - kEntryMagicPos))));
  return absl::OkStatus();
}

// --- lz4 under magic 0 (KAFKA-3160) -----------------------------------------------------

constexpr char kLz4FrameMagic[4] = {'\x04', '\x22', '\x4d', '\x18'};
constexpr size_t kLz4FlgPos = 4;

// Where the header checksum byte of the LZ4 frame at the start of `frame`
// is, after FLG, BD and the optional content size and dictionary id; nullopt
// when `frame` does not start with a whole frame descriptor.
std::optional<size_t> Lz4HeaderChecksumPos(std::string_view frame) {
  if (frame.size() < 7 || std::memcmp(frame.data(), kLz4FrameMagic, 4) != 0) return std::nullopt;
  const uint8_t flg = static_cast<uint8_t>(frame[kLz4FlgPos]);
  size_t pos = kLz4FlgPos + 2;
  if (flg & 0x08) pos += 8;  // content size
  if (flg & 0x01) pos += 4;  // dictionary id
  if (pos >= frame.size()) return std::nullopt;
  return pos;
}

// The checksum byte as the LZ4 frame format defines it: over the descriptor.
char Lz4CorrectHeaderChecksum(std::string_view frame, size_t hc_pos) {
  return static_cast<char>((Xxh32(frame.substr(kLz4FlgPos, hc_pos - kLz4FlgPos)) >> 8) & 0xFF);
}
// Kafka's magic-0 checksum byte: from the frame's magic number on.
char Lz4BrokenHeaderChecksum(std::string_view frame, size_t hc_pos) {
  return static_cast<char>((Xxh32(frame.substr(0, hc_pos)) >> 8) & 0xFF);
}

// Decompresses a wrapper's value. lz4 under magic 0 gets its header
// checksum recomputed first, so Kafka's broken one and a correct one both
// pass liblz4's check.
absl::Status DecompressLegacy(CompressionType codec, int8_t magic, std::string_view value,
                              std::string* out, size_t max_output) {
  if (codec == CompressionType::kLz4 && magic == kLegacyMagicV0) {
    if (const std::optional<size_t> hc = Lz4HeaderChecksumPos(value)) {
      // A copy: the request's bytes are not ours to patch.
      std::string patched(value);
      patched[*hc] = Lz4CorrectHeaderChecksum(patched, *hc);
      return Decompress(codec, patched, out, max_output);
    }
  }
  return Decompress(codec, value, out, max_output);
}

absl::Status CompressLegacy(CompressionType codec, int8_t magic, std::string_view in,
                            std::string* out) {
  const size_t start = out->size();
  SAMSA_RETURN_IF_ERROR(Compress(codec, in, out));
  if (codec == CompressionType::kLz4 && magic == kLegacyMagicV0) {
    const std::string_view frame = std::string_view(*out).substr(start);
    const std::optional<size_t> hc = Lz4HeaderChecksumPos(frame);
    if (!hc) return absl::InternalError("lz4: compressed output has no frame header");
    (*out)[start + *hc] = Lz4BrokenHeaderChecksum(frame, *hc);
  }
  return absl::OkStatus();
}

// --- up-conversion ----------------------------------------------------------------------

absl::Status CheckLegacyTimestampType(const LegacyEntry& e, const std::string& name) {
  if (e.log_append_time()) {
    return KafkaError(
        ErrorCode::kInvalidTimestamp,
        fmt::format("{}: Producer should not set timestamp type to LogAppendTime", name));
  }
  return absl::OkStatus();
}

// The records of a compressed wrapper: its value decompressed into
// `*inner_set`, the entries in `*records` viewing into it.
absl::Status ReadLegacyWrapper(const LegacyEntry& wrapper, size_t max_decompressed_bytes,
                               std::string* inner_set, std::vector<LegacyEntry>* records) {
  const std::string name = LegacyEntryName(false, 0, wrapper.pos, wrapper.offset);
  const auto codec = static_cast<CompressionType>(wrapper.codec());
  if (!wrapper.value) {
    return KafkaError(ErrorCode::kInvalidRecord,
                      fmt::format("{}: found invalid compressed record set with null value", name));
  }
  if (absl::Status s =
          DecompressLegacy(codec, wrapper.magic, *wrapper.value, inner_set, max_decompressed_bytes);
      !s.ok()) {
    const ErrorCode code = ErrorCodeOf(s);
    return KafkaError(code == ErrorCode::kNone ? ErrorCode::kCorruptMessage : code,
                      absl::StrCat(name, ": ", s.message()));
  }
  size_t pos = 0;
  for (size_t index = 0;; ++index) {
    LegacyEntry e;
    SAMSA_ASSIGN_OR_RETURN(const bool more,
                           ReadLegacyEntry(*inner_set, pos, /*inner=*/true, index,
                                           std::numeric_limits<int64_t>::max(), &e));
    if (!more) break;
    const std::string inner_name = LegacyEntryName(true, index, pos, e.offset);
    if (e.magic != wrapper.magic) {
      return KafkaError(
          ErrorCode::kInvalidRecord,
          fmt::format("{}: compressed message magic {} does not match wrapper magic {}", inner_name,
                      static_cast<int>(e.magic), static_cast<int>(wrapper.magic)));
    }
    if (e.codec() != 0) {
      return KafkaError(ErrorCode::kInvalidRecord,
                        fmt::format("{}: Compressed outer record should not have an inner record "
                                    "with a compression attribute set",
                                    inner_name));
    }
    SAMSA_RETURN_IF_ERROR(CheckLegacyTimestampType(e, inner_name));
    records->push_back(e);
    pos += e.size;
  }
  if (records->empty()) {
    return KafkaError(
        ErrorCode::kInvalidRecord,
        fmt::format("{}: found invalid compressed record set with no inner records", name));
  }
  return absl::OkStatus();
}

// --- down-conversion ----------------------------------------------------------------------

// The entries one v2 batch converts to, appended to `*out`; `*entry_ends`
// gets where each ends in `*out`.
absl::Status DownConvertBatch(const RecordBatchView& batch, int8_t to_magic, int64_t first_offset,
                              std::string* out, std::vector<size_t>* entry_ends) {
  SAMSA_ASSIGN_OR_RETURN(RecordReader reader, RecordReader::Open(batch));
  const CompressionType codec = batch.compression();
  const bool log_append_time = batch.timestamp_type() == TimestampType::kLogAppendTime;
  const int8_t timestamp_bit =
      to_magic == kLegacyMagicV1 && log_append_time ? kEntryTimestampTypeBit : 0;
  std::string inner_set;  // the wrapper's records, uncompressed
  int64_t first_record_offset = 0;
  int64_t last_record_offset = 0;
  int64_t max_timestamp = kNoTimestamp;
  int32_t n = 0;
  RecordView r;
  while (true) {
    SAMSA_ASSIGN_OR_RETURN(const bool more, reader.Next(&r));
    if (!more) break;
    if (codec == CompressionType::kNone) {
      if (r.offset < first_offset) continue;
      SAMSA_RETURN_IF_ERROR(
          AppendLegacyEntry(out, to_magic, timestamp_bit, r.offset, r.timestamp, r.key, r.value));
      entry_ends->push_back(out->size());
      continue;
    }
    if (n == 0) first_record_offset = r.offset;
    last_record_offset = r.offset;
    max_timestamp = std::max(max_timestamp, r.timestamp);
    // MemoryRecordsBuilder.toInnerOffset: relative to the first record for
    // magic 1 (wrapping: the offsets are untrusted), absolute for magic 0.
    const int64_t inner_offset =
        to_magic == kLegacyMagicV0 ? r.offset : WrappingSub(r.offset, first_record_offset);
    SAMSA_RETURN_IF_ERROR(AppendLegacyEntry(&inner_set, to_magic, timestamp_bit, inner_offset,
                                            r.timestamp, r.key, r.value));
    ++n;
  }
  if (codec == CompressionType::kNone || n == 0) return absl::OkStatus();
  std::string compressed;
  SAMSA_RETURN_IF_ERROR(CompressLegacy(codec, to_magic, inner_set, &compressed));
  const int64_t wrapper_timestamp = log_append_time ? batch.max_timestamp() : max_timestamp;
  SAMSA_RETURN_IF_ERROR(AppendLegacyEntry(
      out, to_magic, static_cast<int8_t>(static_cast<int8_t>(codec) | timestamp_bit),
      last_record_offset, wrapper_timestamp, std::nullopt, compressed));
  entry_ends->push_back(out->size());
  return absl::OkStatus();
}

}  // namespace
}  // namespace legacy_records_internal

std::optional<int8_t> PeekMagic(std::string_view records) {
  if (records.size() <= kMagicPos) return std::nullopt;
  return static_cast<int8_t>(records[kMagicPos]);
}

absl::StatusOr<LegacyConversion> ConvertLegacyToV2(std::string_view message_set,
                                                   const LegacyLimits& limits) {
  using namespace legacy_records_internal;
  std::vector<LegacyEntry> entries;
  size_t pos = 0;
  for (size_t index = 0;; ++index) {
    LegacyEntry e;
    SAMSA_ASSIGN_OR_RETURN(const bool more, ReadLegacyEntry(message_set, pos, /*inner=*/false,
                                                            index, limits.max_entry_bytes, &e));
    if (!more) break;
    const std::string name = LegacyEntryName(false, index, pos, e.offset);
    if (!entries.empty() && e.magic != entries.front().magic) {
      return KafkaError(
          ErrorCode::kInvalidRecord,
          fmt::format("{}: Batch magic {} is not the same as the first batch's magic byte {}", name,
                      static_cast<int>(e.magic), static_cast<int>(entries.front().magic)));
    }
    if (e.codec() > kEntryMaxCodec) {
      return KafkaError(ErrorCode::kUnsupportedCompressionType,
                        fmt::format("{}: compression codec {} does not exist for magic {}", name,
                                    static_cast<int>(e.codec()), static_cast<int>(e.magic)));
    }
    SAMSA_RETURN_IF_ERROR(CheckLegacyTimestampType(e, name));
    if (!entries.empty() && (e.codec() != 0 || entries.front().codec() != 0)) {
      return KafkaError(ErrorCode::kInvalidRecord,
                        fmt::format("{}: Compressed outer record has more than one batch", name));
    }
    entries.push_back(e);
    pos += e.size;
  }
  if (entries.empty()) {
    return KafkaError(
        ErrorCode::kInvalidRecord,
        fmt::format("message set of {} bytes holds no complete entry", message_set.size()));
  }

  LegacyConversion result;
  result.magic = entries.front().magic;
  result.compression = static_cast<CompressionType>(entries.front().codec());
  std::string inner_set;  // the decompressed records, which `records` view
  std::vector<LegacyEntry> inner;
  if (result.compression != CompressionType::kNone) {
    SAMSA_RETURN_IF_ERROR(
        ReadLegacyWrapper(entries.front(), limits.max_decompressed_bytes, &inner_set, &inner));
  }
  const std::vector<LegacyEntry>& records =
      result.compression != CompressionType::kNone ? inner : entries;
  if (records.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return KafkaError(ErrorCode::kInvalidRecord, "message set holds more than 2^31-1 records");
  }

  RecordBatchOptions options;
  options.compression = result.compression;
  RecordBatchBuilder builder(options);
  for (const LegacyEntry& r : records) {
    builder.Append(r.timestamp, r.key, r.value);
  }
  result.records = builder.num_records();
  SAMSA_ASSIGN_OR_RETURN(result.batch, builder.Build());
  return result;
}

absl::StatusOr<std::string> DownConvertToLegacy(std::string_view batches, int8_t to_magic,
                                                int64_t first_offset, size_t max_bytes) {
  using namespace legacy_records_internal;
  if (to_magic != kLegacyMagicV0 && to_magic != kLegacyMagicV1) {
    return absl::InvalidArgumentError(
        fmt::format("down-conversion to magic {}: only 0 and 1", static_cast<int>(to_magic)));
  }
  std::string out;
  size_t limit = max_bytes;
  std::string converted;
  std::vector<size_t> entry_ends;
  size_t pos = 0;
  while (out.empty() || out.size() < limit) {
    const std::string_view rest = batches.substr(pos);
    const std::optional<int64_t> size = RecordBatchView::PeekSize(rest);
    if (!size || *size > static_cast<int64_t>(rest.size())) break;  // a partial batch
    SAMSA_ASSIGN_OR_RETURN(const RecordBatchView batch, RecordBatchView::Parse(rest));
    pos += batch.size_in_bytes();
    if (batch.is_control()) continue;
    if (batch.compression() == CompressionType::kZstd) {
      return KafkaError(ErrorCode::kUnsupportedCompressionType,
                        fmt::format("batch at offset {}: Down-conversion of zstandard-compressed "
                                    "batches is not supported",
                                    batch.base_offset()));
    }
    converted.clear();
    entry_ends.clear();
    SAMSA_RETURN_IF_ERROR(DownConvertBatch(batch, to_magic, first_offset, &converted, &entry_ends));
    if (converted.empty()) continue;
    if (out.empty()) {
      // The first batch goes whole, whatever max_bytes says.
      out = std::move(converted);
      limit = std::max(limit, out.size());
      converted = std::string();
      continue;
    }
    // Whole entries up to the limit; the first that does not fit ends the output.
    size_t fits = 0;
    for (const size_t end : entry_ends) {
      if (out.size() + end > limit) break;
      fits = end;
    }
    out.append(converted, 0, fits);
    if (fits < converted.size()) break;
  }
  return out;
}

}  // namespace samsa::record
