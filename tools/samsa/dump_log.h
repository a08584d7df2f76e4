// `samsa dump-log`: what Kafka's kafka-dump-log.sh (kafka.tools.DumpLogSegments)
// prints for segment files, in the same line format, so output can be compared
// with Kafka's and read by the same scripts.
//
//   .log        "Log starting offset: N", then one line per batch (baseOffset,
//               lastOffset, count, sequences, producer, epoch, flags, position,
//               timestamp, size, magic, compresscodec, crc, isvalid); with
//               --deep-iteration or --print-data-log one "| offset: ..." line per
//               record (with --print-data-log its key, payload and headers).
//   .index      "offset: O position: P" per entry.
//   .timeindex  "timestamp: T offset: O" per entry.
//   .snapshot   an idempotent producers' snapshot: "producerId: ... firstSequence:
//               ... lastSequence: ... lastOffset: ..." per producer.
//   --index-sanity-check: checks an index's structure only and says whether it
//               passed.
// A file that cannot be read, has an unknown suffix, or holds a corrupt batch
// gets a clear message on `err` and a non-zero exit code; the dump stops at the
// first batch that does not parse (reporting its position) as Kafka's does.
//
// Thread-safety: a function of its arguments; uses only `env` for files.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "samsa/env.h"

namespace samsa::tools {

struct DumpLogOptions {
  std::vector<std::string> files;  // --files a,b,c
  bool print_data_log = false;     // --print-data-log
  bool deep_iteration = false;     // --deep-iteration
  bool index_sanity_check = false; // --index-sanity-check
  bool verify_index_only = false;  // --verify-index-only
  int max_message_size = 5 * 1024 * 1024;  // --max-message-size
};

// Dumps every file; returns the process exit code (0 when all were read whole).
int DumpLog(Env* env, const DumpLogOptions& options, std::ostream& out, std::ostream& err);

// Parses `samsa dump-log` arguments (after the subcommand name).
bool ParseDumpLogArgs(const std::vector<std::string>& args, DumpLogOptions* options,
                      std::ostream& err);

}  // namespace samsa::tools
