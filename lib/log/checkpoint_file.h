// Kafka's offset checkpoint files — recovery-point-offset-checkpoint,
// log-start-offset-checkpoint, replication-offset-checkpoint,
// cleaner-offset-checkpoint — one per log
// dir, in Kafka's text format (kafka.server.checkpoints.OffsetCheckpointFile):
//
//   0                  <- version
//   2                  <- number of entries
//   orders 0 1234      <- topic, partition, offset; one line each
//   orders 1 987
//
// Written atomically (temporary file, fsync, rename, directory fsync), so a
// crash leaves the old or the new contents.
//
// Thread-safety: stateless functions; callers serialise writes to one path.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "samsa/env.h"
#include "samsa/types.h"

namespace samsa {

inline constexpr char kRecoveryPointCheckpointFile[] = "recovery-point-offset-checkpoint";
inline constexpr char kLogStartOffsetCheckpointFile[] = "log-start-offset-checkpoint";
inline constexpr char kReplicationOffsetCheckpointFile[] = "replication-offset-checkpoint";
// The log cleaner's first dirty offset of each compacted partition.
inline constexpr char kCleanerOffsetCheckpointFile[] = "cleaner-offset-checkpoint";
inline constexpr char kCleanShutdownFile[] = ".kafka_cleanshutdown";
inline constexpr char kLockFile[] = ".lock";

using OffsetCheckpoint = std::map<TopicPartition, Offset>;

std::string FormatOffsetCheckpoint(const OffsetCheckpoint& offsets);
// DataLoss naming `source` and the line when the text is malformed.
absl::StatusOr<OffsetCheckpoint> ParseOffsetCheckpoint(std::string_view text,
                                                       std::string_view source);

absl::Status WriteOffsetCheckpoint(Env* env, const std::string& path,
                                   const OffsetCheckpoint& offsets);
// An empty map when the file does not exist.
absl::StatusOr<OffsetCheckpoint> ReadOffsetCheckpoint(Env* env, const std::string& path);

}  // namespace samsa
