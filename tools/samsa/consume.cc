#include "consume.h"

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "args.h"
#include "samsa/broker.h"
#include "samsa/consumer.h"
#include "samsa/errors.h"

namespace samsa::tools {
namespace {

// Kafka's DefaultMessageFormatter.writeTo.
void Format(const ConsumerRecord& r, const ConsumeOptions& o, std::string* line) {
  const auto column_end = [&](bool more) {
    *line += more ? o.key_separator : o.line_separator;
  };
  const auto bytes = [&](const std::optional<std::string_view>& b) {
    *line += b ? *b : std::string_view(o.null_literal);
  };
  if (o.print_timestamp) {
    switch (r.timestamp_type) {
      case TimestampType::kCreateTime: *line += fmt::format("CreateTime:{}", r.timestamp); break;
      case TimestampType::kLogAppendTime: *line += fmt::format("LogAppendTime:{}", r.timestamp); break;
      case TimestampType::kNoTimestamp: *line += "NO_TIMESTAMP"; break;
    }
    column_end(o.print_partition || o.print_offset || o.print_headers || o.print_key ||
               o.print_value);
  }
  if (o.print_partition) {
    *line += fmt::format("Partition:{}", r.partition);
    column_end(o.print_offset || o.print_headers || o.print_key || o.print_value);
  }
  if (o.print_offset) {
    *line += fmt::format("Offset:{}", r.offset);
    column_end(o.print_headers || o.print_key || o.print_value);
  }
  if (o.print_headers) {
    if (r.headers.empty()) *line += "NO_HEADERS";
    for (size_t i = 0; i < r.headers.size(); ++i) {
      if (i > 0) *line += o.headers_separator;
      *line += r.headers[i].key;
      *line += ':';
      bytes(r.headers[i].value ? std::optional<std::string_view>(*r.headers[i].value)
                               : std::nullopt);
    }
    column_end(o.print_key || o.print_value);
  }
  if (o.print_key) {
    bytes(r.key_view());
    column_end(o.print_value);
  }
  if (o.print_value) {
    bytes(r.value_view());
    *line += o.line_separator;
  }
}

int ConsumeFrom(Broker* broker, const ConsumeOptions& options, std::ostream& out,
                std::ostream& err, int64_t* processed) {
  Properties properties = options.consumer_properties;
  if (!options.group.empty()) {
    properties["group.id"] = options.group;
    // Commits what it printed when it stops (below), not the last poll's end.
    if (!properties.contains("enable.auto.commit")) properties["enable.auto.commit"] = "false";
  }
  if (!properties.contains("auto.offset.reset")) {
    properties["auto.offset.reset"] =
        options.start == ConsumeOptions::Start::kEarliest ? "earliest" : "latest";
  }
  absl::StatusOr<ConsumerConfig> config = ConsumerConfig::FromProperties(properties);
  if (!config.ok()) {
    err << Message(config.status()) << "\n";
    return 1;
  }
  absl::StatusOr<std::unique_ptr<Consumer>> created = Consumer::Create(broker, *config);
  if (!created.ok()) {
    err << Message(created.status()) << "\n";
    return 1;
  }
  Consumer& consumer = **created;
  // The broker's own view first: the consumer's metadata lookup (in Assign
  // too) would auto-create a misspelt topic.
  absl::StatusOr<TopicDescription> d = broker->DescribeTopic(options.topic);
  if (!d.ok()) {
    err << Message(d.status()) << "\n";
    return 1;
  }
  std::vector<TopicPartition> assignment;
  if (options.partition) {
    if (*options.partition >= static_cast<int32_t>(d->partitions.size())) {
      err << fmt::format("Partition {} does not exist: topic {} has {} partition(s)\n",
                         *options.partition, options.topic, d->partitions.size());
      return 1;
    }
    assignment.push_back({options.topic, *options.partition});
  } else {
    for (const PartitionDescription& p : d->partitions) {
      assignment.push_back({options.topic, p.partition});
    }
  }
  absl::Status s;
  if (!options.group.empty()) {
    s = consumer.Subscribe({options.topic});
  } else {
    s = consumer.Assign(assignment);
  }
  if (s.ok() && options.group.empty()) {
    switch (options.start) {
      case ConsumeOptions::Start::kEarliest: s = consumer.SeekToBeginning(assignment); break;
      case ConsumeOptions::Start::kLatest: s = consumer.SeekToEnd(assignment); break;
      case ConsumeOptions::Start::kOffset: s = consumer.Seek(assignment[0], options.offset); break;
    }
  }
  if (!s.ok()) {
    err << Message(s) << "\n";
    return 1;
  }

  const absl::Duration idle = absl::Milliseconds(options.timeout_ms);
  std::map<TopicPartition, OffsetAndMetadata> printed;  // next offset per partition
  const auto join_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string line;
  while (!options.max_messages || *processed < *options.max_messages) {
    // Returns at once while there are records; waits `idle` only when there are none.
    absl::StatusOr<std::vector<ConsumerRecord>> records = consumer.Poll(idle);
    if (!records.ok()) {
      err << "Error processing message, terminating consumer process: "
          << Message(records.status()) << "\n";
      return 1;
    }
    if (records->empty()) {
      // A group member's first polls may end before the group is joined.
      // (The join completes on the broker's threads; give it up to 10 s of
      // real time, however --timeout-ms or the Env's clock measure time.)
      if (!options.group.empty() && consumer.Assignment().empty() &&
          std::chrono::steady_clock::now() < join_deadline) {
        std::this_thread::yield();
        continue;
      }
      break;
    }
    for (const ConsumerRecord& r : *records) {
      line.clear();
      Format(r, options, &line);
      out << line;
      printed[r.topic_partition()] = OffsetAndMetadata{r.offset + 1, "", std::nullopt};
      if (++*processed == options.max_messages) break;
    }
    out.flush();
  }
  if (!options.group.empty() && !printed.empty()) {
    // What was printed, not what the last poll fetched: --max-messages may
    // stop inside a poll's records.
    s = consumer.CommitSync(printed);
    if (!s.ok()) {
      err << Message(s) << "\n";
      return 1;
    }
  }
  s = consumer.Close();
  if (!s.ok()) {
    err << Message(s) << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int Consume(Env* env, const ConsumeOptions& options, std::ostream& out, std::ostream& err) {
  return WithLogDir(env, options.log_dir, /*must_exist=*/true, err, [&](Broker* broker) {
    int64_t processed = 0;
    const int rc = ConsumeFrom(broker, options, out, err, &processed);
    out.flush();
    err << "Processed a total of " << processed << " messages\n";
    return rc;
  });
}

bool ParseConsumeArgs(const std::vector<std::string>& args, ConsumeOptions* options,
                      std::ostream& err) {
  ArgCursor a("consume", args, err);
  std::map<std::string, std::string> properties;
  bool from_beginning = false;
  std::optional<std::string> offset;
  while (a.Next()) {
    bool ok = true;
    if (a.Is("--log-dir")) {
      ok = a.Value(&options->log_dir);
    } else if (a.Is("--topic")) {
      ok = a.Value(&options->topic);
    } else if (a.Is("--partition")) {
      ok = a.Int(0, kIntMax, &options->partition);
    } else if (a.Is("--group")) {
      ok = a.Value(&options->group);
    } else if (a.Is("--from-beginning")) {
      ok = a.NoValue();
      from_beginning = true;
    } else if (a.Is("--offset")) {
      ok = a.Value(&offset.emplace());
    } else if (a.Is("--max-messages")) {
      ok = a.Int(1, kLongMax, &options->max_messages);
    } else if (a.Is("--timeout-ms")) {
      ok = a.Int(0, kLongMax / 1000000, &options->timeout_ms);
    } else if (a.Is("--property")) {
      ok = a.KeyValue(&properties);
    } else if (a.Is("--consumer-property")) {
      ok = a.KeyValue(&options->consumer_properties);
    } else {
      return a.Unknown();
    }
    if (!ok) return false;
  }
  for (const auto& [key, value] : properties) {
    if (key == "print.timestamp") {
      options->print_timestamp = PropertyIsTrue(value);
    } else if (key == "print.partition") {
      options->print_partition = PropertyIsTrue(value);
    } else if (key == "print.offset") {
      options->print_offset = PropertyIsTrue(value);
    } else if (key == "print.headers") {
      options->print_headers = PropertyIsTrue(value);
    } else if (key == "print.key") {
      options->print_key = PropertyIsTrue(value);
    } else if (key == "print.value") {
      options->print_value = PropertyIsTrue(value);
    } else if (key == "key.separator") {
      options->key_separator = value;
    } else if (key == "line.separator") {
      options->line_separator = value;
    } else if (key == "headers.separator") {
      options->headers_separator = value;
    } else if (key == "null.literal") {
      options->null_literal = value;
    } else {
      return a.Error(fmt::format(
          "unknown --property {} (known: print.timestamp, print.partition, print.offset, "
          "print.headers, print.key, print.value, key.separator, line.separator, "
          "headers.separator, null.literal)",
          key));
    }
  }
  if (options->log_dir.empty()) return a.Error("missing required option --log-dir");
  if (options->topic.empty()) return a.Error("missing required option --topic");
  if (!options->group.empty() && (options->partition || offset)) {
    return a.Error("Options group and partition/offset cannot be specified together.");
  }
  if (offset) {
    // Kafka's ConsoleConsumer rules for --offset.
    if (!options->partition) return a.Error("The partition is required when offset is specified.");
    if (from_beginning) {
      return a.Error("Options from-beginning and offset cannot be specified together.");
    }
    if (*offset == "earliest") {
      options->start = ConsumeOptions::Start::kEarliest;
    } else if (*offset == "latest") {
      options->start = ConsumeOptions::Start::kLatest;
    } else if (std::optional<int64_t> n = ParseInt64(*offset); n && *n >= 0) {
      options->start = ConsumeOptions::Start::kOffset;
      options->offset = *n;
    } else {
      return a.Error(fmt::format(
          "The provided offset value '{}' is incorrect. Valid values are 'earliest', 'latest', or "
          "a non-negative long.",
          *offset));
    }
  } else if (from_beginning) {
    options->start = ConsumeOptions::Start::kEarliest;
  }
  if (absl::StatusOr<ConsumerConfig> c = ConsumerConfig::FromProperties(options->consumer_properties);
      !c.ok()) {
    return a.Error(Message(c.status()));
  }
  return true;
}

}  // namespace samsa::tools
