#include "groups.h"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "absl/status/statusor.h"
#include "args.h"
#include "samsa/broker.h"
#include "samsa/errors.h"

namespace samsa::tools {
namespace {

using GroupsAction = GroupsOptions::Action;

// Kafka's tool left-pads nothing: each cell is "%-<width>s", cells joined by
// one space, the last column unpadded.
std::string Row(const std::vector<std::string>& cells, const std::vector<size_t>& widths) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) line += ' ';
    if (i + 1 < cells.size()) {
      line += fmt::format("{:<{}}", cells[i], widths[i]);
    } else {
      line += cells[i];
    }
  }
  return line;
}

std::vector<size_t> Widths(const std::vector<std::vector<std::string>>& rows,
                           const std::vector<size_t>& minimum) {
  std::vector<size_t> widths = minimum;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  return widths;
}

void PrintTable(const std::vector<std::string>& heading, std::vector<std::vector<std::string>> rows,
                const std::vector<size_t>& fixed, std::ostream& out) {
  std::vector<size_t> minimum = fixed;
  for (size_t i = 0; i < heading.size(); ++i) minimum[i] = std::max(minimum[i], heading[i].size());
  const std::vector<size_t> widths = Widths(rows, minimum);
  out << "\n" << Row(heading, widths) << "\n";
  for (const auto& row : rows) out << Row(row, widths) << "\n";
}

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

int Describe(Broker* broker, const GroupsOptions& o, std::ostream& out, std::ostream& err) {
  absl::StatusOr<ConsumerGroupDescription> d = broker->DescribeGroup(o.group);
  if (!d.ok()) {
    if (ErrorCodeOf(d.status()) == ErrorCode::kGroupIdNotFound) {
      err << fmt::format("Error: Consumer group '{}' does not exist.\n", o.group);
    } else {
      err << "Error: " << Message(d.status()) << "\n";
    }
    return 1;
  }
  if (d->members.empty()) out << fmt::format("\nConsumer group '{}' has no active members.\n", o.group);
  if (o.state) {
    PrintTable({"GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"},
               {{d->group_id, fmt::format("localhost:9092 ({})", d->coordinator),
                 OrDash(d->assignor), d->state, std::to_string(d->members.size())}},
               {15, 25, 20, 15, 0}, out);
    return 0;
  }
  if (o.members) {
    std::vector<std::vector<std::string>> rows;
    for (const ConsumerGroupMember& m : d->members) {
      rows.push_back({d->group_id, m.member_id, OrDash(m.host), OrDash(m.client_id),
                      std::to_string(m.assignment.size())});
    }
    if (!rows.empty()) {
      PrintTable({"GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"}, std::move(rows),
                 {15, 15, 15, 15, 0}, out);
    }
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const ConsumerGroupPartition& p : d->partitions) {
    rows.push_back({d->group_id, p.tp.topic, std::to_string(p.tp.partition),
                    p.committed_offset ? std::to_string(*p.committed_offset) : "-",
                    p.high_watermark >= 0 ? std::to_string(p.high_watermark) : "-",
                    p.lag ? std::to_string(*p.lag) : "-", OrDash(p.member_id), OrDash(p.host),
                    OrDash(p.client_id)});
  }
  PrintTable({"GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
              "CONSUMER-ID", "HOST", "CLIENT-ID"},
             std::move(rows), {15, 15, 10, 15, 15, 15, 15, 15, 0}, out);
  return 0;
}

}  // namespace

int Groups(Env* env, const GroupsOptions& o, std::ostream& out, std::ostream& err) {
  return WithLogDir(env, o.log_dir, /*must_exist=*/true, err, [&](Broker* broker) -> int {
    switch (o.action) {
      case GroupsAction::kList: {
        absl::StatusOr<std::vector<ConsumerGroupListing>> groups = broker->ListGroups();
        if (!groups.ok()) {
          err << "Error: " << Message(groups.status()) << "\n";
          return 1;
        }
        for (const ConsumerGroupListing& g : *groups) out << g.group_id << "\n";
        return 0;
      }
      case GroupsAction::kDescribe:
        return Describe(broker, o, out, err);
      case GroupsAction::kDelete: {
        absl::Status s = broker->DeleteGroup(o.group);
        if (!s.ok()) {
          err << fmt::format("Error: Deletion of group '{}' failed: {}\n", o.group, Message(s));
          return 1;
        }
        out << fmt::format("Deletion of requested consumer groups ('{}') was successful.\n", o.group);
        return 0;
      }
      case GroupsAction::kNone:
        break;
    }
    return 1;
  });
}

bool ParseGroupsArgs(const std::vector<std::string>& args, GroupsOptions* options,
                     std::ostream& err) {
  ArgCursor a("groups", args, err);
  int actions = 0;
  const auto action = [&](GroupsAction which) {
    ++actions;
    options->action = which;
    return a.NoValue();
  };
  while (a.Next()) {
    bool ok = true;
    if (a.Is("--log-dir")) {
      ok = a.Value(&options->log_dir);
    } else if (a.Is("--list")) {
      ok = action(GroupsAction::kList);
    } else if (a.Is("--describe")) {
      ok = action(GroupsAction::kDescribe);
    } else if (a.Is("--delete")) {
      ok = action(GroupsAction::kDelete);
    } else if (a.Is("--group")) {
      ok = a.Value(&options->group);
    } else if (a.Is("--members")) {
      ok = a.NoValue();
      options->members = true;
    } else if (a.Is("--state")) {
      ok = a.NoValue();
      options->state = true;
    } else {
      return a.Unknown();
    }
    if (!ok) return false;
  }
  if (actions != 1) {
    return a.Error("Command must include exactly one action: --list, --describe or --delete");
  }
  if (options->log_dir.empty()) return a.Error("missing required option --log-dir");
  if (options->action != GroupsAction::kList && options->group.empty()) {
    return a.Error("missing required option --group");
  }
  if ((options->members || options->state) && options->action != GroupsAction::kDescribe) {
    return a.Error("options --members and --state can only be used with --describe");
  }
  if (options->members && options->state) {
    return a.Error("options --members and --state cannot be used together");
  }
  return true;
}

}  // namespace samsa::tools
