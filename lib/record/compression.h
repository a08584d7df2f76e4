// Compression of a batch's records section, as Kafka's codecs frame it:
//   gzip   — a gzip member (RFC 1952), zlib's deflate.
//   snappy — xerial snappy-java framing, which Kafka's Java client writes:
//            magic "\x82SNAPPY\0", int32 version 1, int32 min-compatible 1,
//            then blocks of [int32 big-endian compressed length][raw snappy
//            block] of at most 32 KiB of input each. Decoding also accepts a
//            plain raw snappy block (some clients write one; librdkafka and
//            kafka-python read both).
//   lz4    — the LZ4 frame format: 64 KiB independent blocks, no content size
//            or checksum (what KafkaLZ4BlockOutputStream writes); decoding
//            accepts any valid frame.
//   zstd   — a standard zstd frame; decoding streams, since the frame may not
//            carry its content size.
// Decompress refuses output past `max_output` bytes (a decompression bomb) and
// any malformed input with kCorruptMessage; an unknown codec is
// kUnsupportedCompressionType.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "record/record_batch_format.h"

namespace samsa::record {

// Kafka's name: "none", "gzip", "snappy", "lz4", "zstd".
std::string_view CompressionName(CompressionType type);

// Appends the compressed form of `in` to `*out`. `level` 0: the codec default.
absl::Status Compress(CompressionType type, std::string_view in, std::string* out, int level = 0);
// Appends the decompressed form of `in` to `*out`, at most `max_output` bytes.
absl::Status Decompress(CompressionType type, std::string_view in, std::string* out,
                        size_t max_output);

}  // namespace samsa::record
