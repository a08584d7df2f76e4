#include "topics.h"

#include <algorithm>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "absl/status/statusor.h"
#include "args.h"
#include "samsa/broker.h"
#include "samsa/errors.h"

namespace samsa::tools {
namespace {

using TopicsAction = TopicsOptions::Action;

constexpr std::string_view kErrorHeading = "Error while executing topic command : ";

int Fail(std::ostream& err, std::string_view why) {
  err << kErrorHeading << why << "\n";
  return 1;
}

std::string JoinInts(const std::vector<int32_t>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i > 0 ? "," : "") + std::to_string(v[i]);
  return out;
}

// The topics --topic selects, sorted: Kafka's IncludeList, a regular
// expression over whole names with ',' for '|'; every topic without --topic.
absl::StatusOr<std::vector<std::string>> SelectTopics(Broker* broker, const TopicsOptions& o) {
  std::vector<std::string> all = broker->ListTopics(/*include_internal=*/!o.exclude_internal);
  std::sort(all.begin(), all.end());
  if (!o.topic) return all;
  std::string pattern = *o.topic;
  std::replace(pattern.begin(), pattern.end(), ',', '|');
  std::regex re;
  try {
    re = std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return absl::InvalidArgumentError(
        fmt::format("Invalid topic regular expression '{}': {}", *o.topic, e.what()));
  }
  std::vector<std::string> selected;
  for (std::string& name : all) {
    if (std::regex_match(name, re)) selected.push_back(std::move(name));
  }
  return selected;
}

int Describe(Broker* broker, const std::string& name, std::ostream& out, std::ostream& err) {
  absl::StatusOr<TopicDescription> d = broker->DescribeTopic(name);
  if (!d.ok()) return Fail(err, Message(d.status()));
  absl::StatusOr<std::vector<ConfigEntry>> configs = broker->DescribeTopicConfigs(name);
  if (!configs.ok()) return Fail(err, Message(configs.status()));
  std::string non_default;
  for (const ConfigEntry& e : *configs) {
    if (e.is_default) continue;
    if (!non_default.empty()) non_default += ",";
    non_default += fmt::format("{}={}", e.name, e.sensitive ? "null" : e.value);
  }
  const size_t replication = d->partitions.empty() ? 0 : d->partitions[0].replicas.size();
  out << fmt::format("Topic: {}\tTopicId: {}\tPartitionCount: {}\tReplicationFactor: {}\tConfigs: {}\n",
                     d->name, d->topic_id, d->partitions.size(), replication, non_default);
  for (const PartitionDescription& p : d->partitions) {
    out << fmt::format(
        "\tTopic: {}\tPartition: {}\tLeader: {}\tReplicas: {}\tIsr: {}"
        "\tLogStartOffset: {}\tLogEndOffset: {}\tHighWatermark: {}\n",
        d->name, p.partition, p.leader >= 0 ? std::to_string(p.leader) : std::string("none"),
        JoinInts(p.replicas), JoinInts(p.isr), p.log_start_offset, p.log_end_offset,
        p.high_watermark);
  }
  return 0;
}

int Run(Broker* broker, const TopicsOptions& o, std::ostream& out, std::ostream& err) {
  if (o.action == TopicsAction::kCreate) {
    NewTopic topic;
    topic.name = *o.topic;
    topic.num_partitions = o.partitions.value_or(-1);
    topic.replication_factor = o.replication_factor.value_or(-1);
    topic.configs = o.configs;
    absl::Status s = broker->CreateTopic(topic);
    if (s.ok()) {
      out << "Created topic " << topic.name << ".\n";
      return 0;
    }
    if (o.if_not_exists && ErrorCodeOf(s) == ErrorCode::kTopicAlreadyExists) return 0;
    return Fail(err, Message(s));
  }
  absl::StatusOr<std::vector<std::string>> topics = SelectTopics(broker, o);
  if (!topics.ok()) return Fail(err, Message(topics.status()));
  if (topics->empty() && o.topic && !o.if_exists && o.action != TopicsAction::kList) {
    return Fail(err, fmt::format("Topic '{}' does not exist as expected", *o.topic));
  }
  int rc = 0;
  for (const std::string& name : *topics) {
    int one = 0;
    switch (o.action) {
      case TopicsAction::kList:
        out << name << "\n";
        break;
      case TopicsAction::kDescribe:
        one = Describe(broker, name, out, err);
        break;
      case TopicsAction::kAlter:
        if (absl::Status s = broker->CreatePartitions(name, *o.partitions); !s.ok()) {
          one = Fail(err, Message(s));
        }
        break;
      case TopicsAction::kDelete:
        if (absl::Status s = broker->DeleteTopic(name); !s.ok()) one = Fail(err, Message(s));
        break;
      case TopicsAction::kNone:
      case TopicsAction::kCreate:
        break;
    }
    if (one != 0) rc = one;
  }
  return rc;
}

}  // namespace

int Topics(Env* env, const TopicsOptions& options, std::ostream& out, std::ostream& err) {
  return WithLogDir(env, options.log_dir, /*must_exist=*/options.action != TopicsAction::kCreate, err,
                    [&](Broker* broker) { return Run(broker, options, out, err); }, kErrorHeading);
}

bool ParseTopicsArgs(const std::vector<std::string>& args, TopicsOptions* options,
                     std::ostream& err) {
  ArgCursor a("topics", args, err);
  int actions = 0;
  const auto action = [&](TopicsAction which) {
    ++actions;
    options->action = which;
    return a.NoValue();
  };
  bool if_exists_given = false, if_not_exists_given = false;
  while (a.Next()) {
    bool ok = true;
    if (a.Is("--log-dir")) {
      ok = a.Value(&options->log_dir);
    } else if (a.Is("--list")) {
      ok = action(TopicsAction::kList);
    } else if (a.Is("--describe")) {
      ok = action(TopicsAction::kDescribe);
    } else if (a.Is("--create")) {
      ok = action(TopicsAction::kCreate);
    } else if (a.Is("--alter")) {
      ok = action(TopicsAction::kAlter);
    } else if (a.Is("--delete")) {
      ok = action(TopicsAction::kDelete);
    } else if (a.Is("--topic")) {
      ok = a.Value(&options->topic.emplace());
    } else if (a.Is("--partitions")) {
      ok = a.Int(1, kIntMax, &options->partitions);
    } else if (a.Is("--replication-factor")) {
      ok = a.Int(1, INT16_MAX, &options->replication_factor);
    } else if (a.Is("--config")) {
      ok = a.KeyValue(&options->configs);
    } else if (a.Is("--if-exists")) {
      ok = a.NoValue();
      options->if_exists = if_exists_given = true;
    } else if (a.Is("--if-not-exists")) {
      ok = a.NoValue();
      options->if_not_exists = if_not_exists_given = true;
    } else if (a.Is("--exclude-internal")) {
      ok = a.NoValue();
      options->exclude_internal = true;
    } else {
      return a.Unknown();
    }
    if (!ok) return false;
  }
  if (actions != 1) {
    return a.Error(
        "Command must include exactly one action: --list, --describe, --create, --alter or "
        "--delete");
  }
  if (options->log_dir.empty()) return a.Error("missing required option --log-dir");
  const TopicsAction act = options->action;
  const bool creating = act == TopicsAction::kCreate;
  if ((creating || act == TopicsAction::kAlter || act == TopicsAction::kDelete) && !options->topic) {
    return a.Error("missing required option --topic");
  }
  if (options->partitions && !creating && act != TopicsAction::kAlter) {
    return a.Error("option --partitions can only be used with --create or --alter");
  }
  if (act == TopicsAction::kAlter && !options->partitions) {
    return a.Error("--alter needs --partitions (the new partition count)");
  }
  if (options->replication_factor && !creating) {
    return a.Error("option --replication-factor can only be used with --create");
  }
  if (!options->configs.empty() && !creating) {
    return a.Error("option --config can only be used with --create");
  }
  if (if_not_exists_given && !creating) {
    return a.Error("option --if-not-exists can only be used with --create");
  }
  if (if_exists_given && act != TopicsAction::kDescribe && act != TopicsAction::kAlter &&
      act != TopicsAction::kDelete) {
    return a.Error("option --if-exists can only be used with --describe, --alter or --delete");
  }
  return true;
}

}  // namespace samsa::tools
