// Writes a small partition log with varied batches (every codec, null keys,
// tombstones, headers, producer ids, LogAppendTime, several segments) for the
// dump-log tests. Used in-process (MemEnv) and by dump_log_fixture (PosixEnv)
// for the kafka-python cross-check.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "log/log.h"
#include "record/record_batch.h"
#include "samsa/env.h"
#include "util/status_macros.h"

namespace samsa::testing {

inline absl::Status WriteDumpLogFixture(Env* env, const std::string& dir) {
  using record::CompressionType;
  Log::Options options;
  options.env = env;
  options.dir = dir;
  options.topic = "dump";
  options.partition = 0;
  options.config.segment_bytes = 3000;     // a few segments
  options.config.index_interval_bytes = 300;  // several index entries each
  SAMSA_ASSIGN_OR_RETURN(std::unique_ptr<Log> log, Log::Open(std::move(options)));
  const CompressionType codecs[] = {CompressionType::kNone, CompressionType::kGzip,
                                    CompressionType::kSnappy, CompressionType::kLz4,
                                    CompressionType::kZstd};
  int64_t ts = 1700000000000;
  int32_t sequence = 0;  // the idempotent producer's next sequence (the broker checks it)
  for (int round = 0; round < 8; ++round) {
    for (CompressionType codec : codecs) {
      const int records = 1 + (round % 4) * 3;
      record::RecordBatchOptions o;
      o.compression = codec;
      if (round % 3 == 1) {
        o.producer_id = 4242;
        o.producer_epoch = 7;
        o.base_sequence = sequence;
        sequence += records;
      }
      record::RecordBatchBuilder b(o);
      for (int i = 0; i < records; ++i) {
        const std::string key = "key-" + std::to_string(round * 100 + i);
        const std::string value = std::string(20 + i * 13, static_cast<char>('a' + i % 26));
        // RecordHeader holds views: the value must outlive the Append.
        const std::string trace = "t" + std::to_string(i);
        const record::RecordHeader headers[] = {{"trace", trace}, {"nullh", std::nullopt}};
        const bool null_key = i % 5 == 2;
        const bool tombstone = i % 7 == 3;
        b.Append(ts + i, null_key ? std::nullopt : std::optional<std::string_view>(key),
                 tombstone ? std::nullopt : std::optional<std::string_view>(value),
                 i % 2 == 0 ? absl::Span<const record::RecordHeader>(headers)
                            : absl::Span<const record::RecordHeader>());
      }
      ts += 1000;
      SAMSA_ASSIGN_OR_RETURN(std::string batch, b.Build());
      SAMSA_RETURN_IF_ERROR(log->AppendAsLeader(std::move(batch), /*leader_epoch=*/3).status());
    }
  }
  return log->Close();
}

}  // namespace samsa::testing
