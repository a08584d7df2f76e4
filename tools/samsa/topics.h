// `samsa topics`: kafka-topics.sh over a log dir opened as an embedded broker.
//
//   --list                 topic names, one per line, sorted.
//   --describe             per topic Kafka's line
//                            Topic: T<TAB>TopicId: I<TAB>PartitionCount: N<TAB>ReplicationFactor: R<TAB>Configs: k=v,...
//                          (Configs: the non-default ones), and per partition
//                            <TAB>Topic: T<TAB>Partition: p<TAB>Leader: L<TAB>Replicas: r,..<TAB>Isr: i,..
//                          followed by samsa's own
//                            <TAB>LogStartOffset: x<TAB>LogEndOffset: y<TAB>HighWatermark: z
//   --create --topic T [--partitions N] [--replication-factor R] [--config k=v]...
//                          prints "Created topic T."
//   --alter --topic T --partitions N
//                          grows the topic to N partitions.
//   --delete --topic T     deletes the topic and its files; prints nothing.
//
// As Kafka's, --topic of --list/--describe/--alter/--delete is a regular
// expression matched against whole names (',' separates alternatives); a
// --describe/--alter/--delete that matches nothing fails with
// "Topic 'T' does not exist as expected" unless --if-exists. --create
// --if-not-exists accepts an existing topic. Failures print Kafka's
// "Error while executing topic command : <why>" and exit 1.
//
// Thread-safety: a function of its arguments; uses only `env` and its clock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "samsa/env.h"

namespace samsa::tools {

struct TopicsOptions {
  std::string log_dir;  // --log-dir (required)
  enum class Action { kNone, kList, kDescribe, kCreate, kAlter, kDelete };
  Action action = Action::kNone;
  std::optional<std::string> topic;              // --topic
  std::optional<int32_t> partitions;             // --partitions
  std::optional<int16_t> replication_factor;     // --replication-factor
  std::map<std::string, std::string> configs;    // --config k=v
  bool if_exists = false;                        // --if-exists
  bool if_not_exists = false;                    // --if-not-exists
  bool exclude_internal = false;                 // --exclude-internal
};

// Returns the process exit code.
int Topics(Env* env, const TopicsOptions& options, std::ostream& out, std::ostream& err);

// Parses `samsa topics` arguments; false after printing a usage error.
bool ParseTopicsArgs(const std::vector<std::string>& args, TopicsOptions* options,
                     std::ostream& err);

}  // namespace samsa::tools
