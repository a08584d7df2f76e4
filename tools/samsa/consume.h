// `samsa consume`: kafka-console-consumer.sh over a log dir opened as an
// embedded broker. Prints records as Kafka's DefaultMessageFormatter does:
//
//   [CreateTime:<ts>|LogAppendTime:<ts>|NO_TIMESTAMP] [Partition:<p>] [Offset:<o>]
//   [<headers k:v joined by headers.separator, or NO_HEADERS>] [<key>] <value>
//
// each column present only when its print.* property is true (print.value is
// on by default), columns separated by key.separator ("\t"), each record ended
// by line.separator ("\n"); a null key, value or header value prints as
// null.literal ("null").
//
// With --group G the consumer joins group G, subscribes to the topic, starts
// from the group's committed offsets (where there are none: the end, or the
// beginning with --from-beginning) and, when it stops, commits the offset
// after the last record it printed (Kafka's console consumer auto-commits
// the position, which may be past records --max-messages left unprinted);
// --partition and --offset are refused with it, as Kafka refuses them.
//
// Without --partition every partition of the topic is read. The start is the
// end of each partition (Kafka's default), the beginning with
// --from-beginning, or --offset N|earliest|latest of the one --partition
// (an offset past the log is reset to the end, as Kafka's consumer does).
// It stops after --max-messages records, or when a poll finds nothing new for
// --timeout-ms (default 1000: a one-shot reader of an offline dir; 0 stops at
// the first empty poll without waiting), then prints Kafka's
// "Processed a total of N messages" to `err`.
//
// Thread-safety: a function of its arguments; uses only `env` and its clock.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "samsa/config.h"
#include "samsa/env.h"

namespace samsa::tools {

struct ConsumeOptions {
  std::string log_dir;                  // --log-dir (required)
  std::string topic;                    // --topic (required)
  std::string group;                    // --group
  std::optional<int32_t> partition;     // --partition
  enum class Start { kLatest, kEarliest, kOffset };
  Start start = Start::kLatest;         // --from-beginning, --offset
  int64_t offset = 0;                   // --offset N (Start::kOffset)
  std::optional<int64_t> max_messages;  // --max-messages
  int64_t timeout_ms = 1000;            // --timeout-ms
  // --property (DefaultMessageFormatter's names)
  bool print_timestamp = false;         // print.timestamp
  bool print_partition = false;         // print.partition
  bool print_offset = false;            // print.offset
  bool print_headers = false;           // print.headers
  bool print_key = false;               // print.key
  bool print_value = true;              // print.value
  std::string key_separator = "\t";     // key.separator
  std::string line_separator = "\n";    // line.separator
  std::string headers_separator = ",";  // headers.separator
  std::string null_literal = "null";    // null.literal
  Properties consumer_properties;       // --consumer-property k=v
};

// Returns the process exit code: 0 unless the dir, topic or a poll failed.
int Consume(Env* env, const ConsumeOptions& options, std::ostream& out, std::ostream& err);

// Parses `samsa consume` arguments; false after printing a usage error.
bool ParseConsumeArgs(const std::vector<std::string>& args, ConsumeOptions* options,
                      std::ostream& err);

}  // namespace samsa::tools
