// `samsa produce`: kafka-console-producer.sh over a log dir opened as an
// embedded broker. Reads records from `in`, one per line (a trailing "\r" is
// dropped, as Java's readLine does; an empty line is an empty value).
//
//   --property parse.key=true   split each line at the first key.separator
//                               (default "\t") into key and value; a line
//                               without it fails the command with Kafka's
//                               "No key separator found on line number N: '...'"
//                               (with ignore.error=true it becomes a keyless
//                               record instead). Without parse.key keys are null.
//   --property null.marker=M    a key or value equal to M is sent as null.
//   --partition P               every record goes to P; else the producer's
//                               default partitioner (murmur2 of the key, sticky
//                               for null keys).
//   --print-offsets             "<topic>-<partition>@<offset>" per record, in
//                               input order, once it is acknowledged (samsa's
//                               own; Kafka's tool prints nothing).
//
// A missing topic is created with --partitions (default num.partitions) and
// the --config topic configs; for an existing topic those are ignored. A
// record the broker refuses is reported as Kafka's ErrorLoggingCallback does
// and the others still go; the exit code is then 1.
//
// Thread-safety: a function of its arguments; uses only `env` and its clock.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "samsa/config.h"
#include "samsa/env.h"

namespace samsa::tools {

struct ProduceOptions {
  std::string log_dir;                              // --log-dir (required)
  std::string topic;                                // --topic (required)
  std::optional<int32_t> partitions;                // --partitions, for a new topic
  std::map<std::string, std::string> topic_configs; // --config k=v, for a new topic
  std::optional<int32_t> partition;                 // --partition
  bool parse_key = false;                           // --property parse.key
  std::string key_separator = "\t";                 // --property key.separator
  bool ignore_error = false;                        // --property ignore.error
  std::optional<std::string> null_marker;           // --property null.marker
  bool print_offsets = false;                       // --print-offsets
  // --producer-property k=v, --acks, --compression-type: ProducerConfig keys.
  Properties producer_properties;
};

// Returns the process exit code: 0 when every line was sent and acknowledged.
int Produce(Env* env, const ProduceOptions& options, std::istream& in, std::ostream& out,
            std::ostream& err);

// Parses `samsa produce` arguments (after the subcommand name); false after
// printing a usage error naming the flag.
bool ParseProduceArgs(const std::vector<std::string>& args, ProduceOptions* options,
                      std::ostream& err);

}  // namespace samsa::tools
