// `samsa groups`: kafka-consumer-groups.sh over a log dir opened as an
// embedded broker (the group coordinator loads __consumer_offsets).
//
//   --list                      group ids, one per line, sorted.
//   --describe --group G        Kafka's offsets table:
//       GROUP  TOPIC  PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  CONSUMER-ID  HOST  CLIENT-ID
//     one row per partition with a committed offset or an owner; "-" where
//     there is none. LOG-END-OFFSET is the high watermark (what Kafka's tool
//     shows: the end offset a consumer can reach). A group without members
//     is first announced with "Consumer group 'G' has no active members.";
//     an unknown group fails with "Error: Consumer group 'G' does not exist."
//   --describe --group G --members
//       GROUP  CONSUMER-ID  HOST  CLIENT-ID  #PARTITIONS
//   --describe --group G --state
//       GROUP  COORDINATOR (ID)  ASSIGNMENT-STRATEGY  STATE  #MEMBERS
//   --delete --group G          deletes an Empty group and its offsets.
//
// Columns are padded as Kafka 3.x's ConsumerGroupCommand pads them: each as
// wide as its longest cell, at least 15 (PARTITION 10), cells left-aligned
// and separated by one space, the last column unpadded.
//
// Thread-safety: a function of its arguments; uses only `env` and its clock.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "samsa/env.h"

namespace samsa::tools {

struct GroupsOptions {
  std::string log_dir;  // --log-dir (required)
  enum class Action { kNone, kList, kDescribe, kDelete };
  Action action = Action::kNone;
  std::string group;     // --group
  bool members = false;  // --members
  bool state = false;    // --state
};

// Returns the process exit code.
int Groups(Env* env, const GroupsOptions& options, std::ostream& out, std::ostream& err);

// Parses `samsa groups` arguments; false after printing a usage error.
bool ParseGroupsArgs(const std::vector<std::string>& args, GroupsOptions* options,
                     std::ostream& err);

}  // namespace samsa::tools
