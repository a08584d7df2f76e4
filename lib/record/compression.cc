#include "record/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "samsa/errors.h"
#include "util/endian.h"

namespace samsa::record {
namespace {

constexpr char kXerialMagic[8] = {'\x82', 'S', 'N', 'A', 'P', 'P', 'Y', '\0'};
constexpr size_t kXerialHeaderSize = 16;  // magic + version + min compatible version
constexpr size_t kXerialBlockSize = 32 * 1024;

absl::Status Corrupt(CompressionType type, std::string_view why) {
  return KafkaError(ErrorCode::kCorruptMessage,
                    fmt::format("{} decompression failed: {}", CompressionName(type), why));
}

absl::Status TooBig(CompressionType type, size_t max_output) {
  return Corrupt(type, fmt::format("output exceeds {} bytes", max_output));
}

// --- gzip --------------------------------------------------------------------------

absl::Status GzipCompress(std::string_view in, std::string* out, int level) {
  z_stream z{};
  if (deflateInit2(&z, level == 0 ? Z_DEFAULT_COMPRESSION : level, Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("gzip: deflateInit2 failed");
  }
  const size_t start = out->size();
  out->resize(start + deflateBound(&z, in.size()) + 32);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out->data() + start);
  z.avail_out = static_cast<uInt>(out->size() - start);
  const int rc = deflate(&z, Z_FINISH);
  out->resize(start + z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return absl::InternalError("gzip: deflate did not finish");
  return absl::OkStatus();
}

absl::Status GzipDecompress(std::string_view in, std::string* out, size_t max_output) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) return absl::InternalError("gzip: inflateInit2 failed");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, inflateEnd);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  const size_t start = out->size();
  char buf[64 * 1024];
  while (true) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    const int rc = inflate(&z, Z_NO_FLUSH);
    const size_t produced = sizeof(buf) - z.avail_out;
    if (out->size() - start + produced > max_output) return TooBig(CompressionType::kGzip, max_output);
    out->append(buf, produced);
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) return absl::OkStatus();
      // Another gzip member follows (concatenated members are one stream).
      if (inflateReset(&z) != Z_OK) return Corrupt(CompressionType::kGzip, "reset failed");
      continue;
    }
    if (rc != Z_OK) {
      return Corrupt(CompressionType::kGzip, z.msg != nullptr ? z.msg : "inflate error");
    }
    if (z.avail_in == 0 && produced == 0) return Corrupt(CompressionType::kGzip, "truncated stream");
  }
}

// --- snappy ------------------------------------------------------------------------

absl::Status SnappyCompress(std::string_view in, std::string* out) {
  out->append(kXerialMagic, sizeof(kXerialMagic));
  char header[8];
  StoreBE32(header, 1);      // version
  StoreBE32(header + 4, 1);  // minimum compatible version
  out->append(header, sizeof(header));
  for (size_t pos = 0; pos < in.size(); pos += kXerialBlockSize) {
    const size_t n = std::min(kXerialBlockSize, in.size() - pos);
    const size_t length_at = out->size();
    out->resize(length_at + 4 + snappy::MaxCompressedLength(n));
    size_t compressed = 0;
    snappy::RawCompress(in.data() + pos, n, out->data() + length_at + 4, &compressed);
    StoreBE32(out->data() + length_at, static_cast<uint32_t>(compressed));
    out->resize(length_at + 4 + compressed);
  }
  return absl::OkStatus();
}

absl::Status SnappyRawBlock(std::string_view block, std::string* out, size_t start,
                            size_t max_output) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(block.data(), block.size(), &length)) {
    return Corrupt(CompressionType::kSnappy, "bad block header");
  }
  if (out->size() - start + length > max_output) return TooBig(CompressionType::kSnappy, max_output);
  const size_t at = out->size();
  out->resize(at + length);
  if (!snappy::RawUncompress(block.data(), block.size(), out->data() + at)) {
    out->resize(at);
    return Corrupt(CompressionType::kSnappy, "bad block");
  }
  return absl::OkStatus();
}

absl::Status SnappyDecompress(std::string_view in, std::string* out, size_t max_output) {
  const size_t start = out->size();
  if (in.size() < kXerialHeaderSize || std::memcmp(in.data(), kXerialMagic, 8) != 0) {
    return SnappyRawBlock(in, out, start, max_output);
  }
  size_t pos = kXerialHeaderSize;
  while (pos < in.size()) {
    if (in.size() - pos < 4) return Corrupt(CompressionType::kSnappy, "truncated block length");
    const uint32_t length = LoadBE32(in.data() + pos);
    pos += 4;
    if (length > in.size() - pos) return Corrupt(CompressionType::kSnappy, "truncated block");
    absl::Status s = SnappyRawBlock(in.substr(pos, length), out, start, max_output);
    if (!s.ok()) return s;
    pos += length;
  }
  return absl::OkStatus();
}

// --- lz4 ---------------------------------------------------------------------------

absl::Status Lz4Compress(std::string_view in, std::string* out, int level) {
  LZ4F_preferences_t prefs;
  std::memset(&prefs, 0, sizeof(prefs));
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
  prefs.compressionLevel = level;
  const size_t start = out->size();
  out->resize(start + LZ4F_compressFrameBound(in.size(), &prefs));
  const size_t n =
      LZ4F_compressFrame(out->data() + start, out->size() - start, in.data(), in.size(), &prefs);
  if (LZ4F_isError(n)) {
    out->resize(start);
    return absl::InternalError(fmt::format("lz4: {}", LZ4F_getErrorName(n)));
  }
  out->resize(start + n);
  return absl::OkStatus();
}

absl::Status Lz4Decompress(std::string_view in, std::string* out, size_t max_output) {
  LZ4F_dctx* ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) {
    return absl::InternalError("lz4: no decompression context");
  }
  std::unique_ptr<LZ4F_dctx, size_t (*)(LZ4F_dctx*)> guard(ctx, LZ4F_freeDecompressionContext);
  const size_t start = out->size();
  const char* src = in.data();
  size_t remaining = in.size();
  char buf[64 * 1024];
  size_t hint = 1;
  while (remaining > 0) {
    size_t dst_size = sizeof(buf);
    size_t src_size = remaining;
    hint = LZ4F_decompress(ctx, buf, &dst_size, src, &src_size, nullptr);
    if (LZ4F_isError(hint)) return Corrupt(CompressionType::kLz4, LZ4F_getErrorName(hint));
    if (out->size() - start + dst_size > max_output) return TooBig(CompressionType::kLz4, max_output);
    out->append(buf, dst_size);
    src += src_size;
    remaining -= src_size;
    if (hint == 0 && remaining > 0) {
      // Another frame follows.
      LZ4F_resetDecompressionContext(ctx);
      hint = 1;
    }
    if (src_size == 0 && dst_size == 0) break;
  }
  // Flush what the decoder still holds.
  while (hint != 0) {
    size_t dst_size = sizeof(buf);
    size_t src_size = 0;
    hint = LZ4F_decompress(ctx, buf, &dst_size, src, &src_size, nullptr);
    if (LZ4F_isError(hint)) return Corrupt(CompressionType::kLz4, LZ4F_getErrorName(hint));
    if (dst_size == 0) break;
    if (out->size() - start + dst_size > max_output) return TooBig(CompressionType::kLz4, max_output);
    out->append(buf, dst_size);
  }
  if (hint != 0) return Corrupt(CompressionType::kLz4, "truncated frame");
  return absl::OkStatus();
}

// --- zstd --------------------------------------------------------------------------

absl::Status ZstdCompress(std::string_view in, std::string* out, int level) {
  const size_t start = out->size();
  out->resize(start + ZSTD_compressBound(in.size()));
  const size_t n = ZSTD_compress(out->data() + start, out->size() - start, in.data(), in.size(),
                                 level == 0 ? ZSTD_CLEVEL_DEFAULT : level);
  if (ZSTD_isError(n)) {
    out->resize(start);
    return absl::InternalError(fmt::format("zstd: {}", ZSTD_getErrorName(n)));
  }
  out->resize(start + n);
  return absl::OkStatus();
}

absl::Status ZstdDecompress(std::string_view in, std::string* out, size_t max_output) {
  ZSTD_DStream* ds = ZSTD_createDStream();
  if (ds == nullptr) return absl::InternalError("zstd: no stream");
  std::unique_ptr<ZSTD_DStream, size_t (*)(ZSTD_DStream*)> guard(ds, ZSTD_freeDStream);
  ZSTD_initDStream(ds);
  const size_t start = out->size();
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  char buf[64 * 1024];
  size_t last = 1;
  while (input.pos < input.size || last != 0) {
    ZSTD_outBuffer output{buf, sizeof(buf), 0};
    last = ZSTD_decompressStream(ds, &output, &input);
    if (ZSTD_isError(last)) return Corrupt(CompressionType::kZstd, ZSTD_getErrorName(last));
    if (out->size() - start + output.pos > max_output) return TooBig(CompressionType::kZstd, max_output);
    out->append(buf, output.pos);
    if (output.pos == 0 && input.pos == input.size) break;
  }
  if (last != 0) return Corrupt(CompressionType::kZstd, "truncated frame");
  return absl::OkStatus();
}

}  // namespace

std::string_view CompressionName(CompressionType type) {
  switch (type) {
    case CompressionType::kNone: return "none";
    case CompressionType::kGzip: return "gzip";
    case CompressionType::kSnappy: return "snappy";
    case CompressionType::kLz4: return "lz4";
    case CompressionType::kZstd: return "zstd";
  }
  return "unknown";
}

absl::Status Compress(CompressionType type, std::string_view in, std::string* out, int level) {
  switch (type) {
    case CompressionType::kNone: out->append(in); return absl::OkStatus();
    case CompressionType::kGzip: return GzipCompress(in, out, level);
    case CompressionType::kSnappy: return SnappyCompress(in, out);
    case CompressionType::kLz4: return Lz4Compress(in, out, level);
    case CompressionType::kZstd: return ZstdCompress(in, out, level);
  }
  return KafkaError(ErrorCode::kUnsupportedCompressionType,
                    fmt::format("compression type {}", static_cast<int>(type)));
}

absl::Status Decompress(CompressionType type, std::string_view in, std::string* out,
                        size_t max_output) {
  switch (type) {
    case CompressionType::kNone:
      if (in.size() > max_output) return TooBig(type, max_output);
      out->append(in);
      return absl::OkStatus();
    case CompressionType::kGzip: return GzipDecompress(in, out, max_output);
    case CompressionType::kSnappy: return SnappyDecompress(in, out, max_output);
    case CompressionType::kLz4: return Lz4Decompress(in, out, max_output);
    case CompressionType::kZstd: return ZstdDecompress(in, out, max_output);
  }
  return KafkaError(ErrorCode::kUnsupportedCompressionType,
                    fmt::format("compression type {}", static_cast<int>(type)));
}

}  // namespace samsa::record
