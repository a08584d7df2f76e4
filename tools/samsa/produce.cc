#include "produce.h"

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "absl/status/statusor.h"
#include "args.h"
#include "samsa/broker.h"
#include "samsa/errors.h"
#include "samsa/producer.h"

namespace samsa::tools {
namespace {

// A record sent and not yet reported, in input order.
struct Pending {
  RecordFuture future;
  std::optional<size_t> key_size;
  std::optional<size_t> value_size;
};

std::string SizeOrNull(const std::optional<size_t>& size) {
  return size ? fmt::format("{} bytes", *size) : std::string("null");
}

// Makes sure the topic exists (creating it as asked) and returns its
// partition count; prints why not and returns nullopt.
std::optional<int32_t> EnsureTopic(Broker* broker, const ProduceOptions& options,
                                   std::ostream& err) {
  absl::StatusOr<TopicDescription> d = broker->DescribeTopic(options.topic);
  if (d.ok()) return static_cast<int32_t>(d->partitions.size());
  if (ErrorCodeOf(d.status()) != ErrorCode::kUnknownTopicOrPartition) {
    err << Message(d.status()) << "\n";
    return std::nullopt;
  }
  NewTopic topic;
  topic.name = options.topic;
  topic.num_partitions = options.partitions.value_or(-1);
  topic.configs = options.topic_configs;
  if (absl::Status s = broker->CreateTopic(topic); !s.ok()) {
    err << "Cannot create topic " << options.topic << ": " << Message(s) << "\n";
    return std::nullopt;
  }
  d = broker->DescribeTopic(options.topic);
  if (!d.ok()) {
    err << Message(d.status()) << "\n";
    return std::nullopt;
  }
  return static_cast<int32_t>(d->partitions.size());
}

int ProduceTo(Broker* broker, const ProduceOptions& options, std::istream& in, std::ostream& out,
              std::ostream& err) {
  const std::optional<int32_t> partitions = EnsureTopic(broker, options, err);
  if (!partitions) return 1;
  if (options.partition && *options.partition >= *partitions) {
    err << fmt::format("Partition {} does not exist: topic {} has {} partition(s)\n",
                       *options.partition, options.topic, *partitions);
    return 1;
  }
  absl::StatusOr<ProducerConfig> config = ProducerConfig::FromProperties(options.producer_properties);
  if (!config.ok()) {
    err << Message(config.status()) << "\n";
    return 1;
  }
  absl::StatusOr<std::unique_ptr<Producer>> producer = Producer::Create(broker, *config);
  if (!producer.ok()) {
    err << Message(producer.status()) << "\n";
    return 1;
  }

  std::deque<Pending> pending;
  int failed = 0;
  // Reports acknowledged records from the front, in input order: those already
  // done, or (wait_all) every one.
  const auto report = [&](bool wait_all) {
    while (!pending.empty() && (wait_all || pending.front().future.ready())) {
      const Pending& p = pending.front();
      absl::StatusOr<RecordMetadata> md = p.future.Get();
      if (md.ok()) {
        if (options.print_offsets) {
          out << fmt::format("{}-{}@{}\n", md->topic, md->partition, md->offset);
        }
      } else {
        ++failed;
        err << fmt::format("Error when sending message to topic {} with key: {}, value: {} with "
                           "error: {}\n",
                           options.topic, SizeOrNull(p.key_size), SizeOrNull(p.value_size),
                           Message(md.status()));
      }
      pending.pop_front();
    }
    if (wait_all) out.flush();
  };
  constexpr size_t kMaxPending = 4096;

  int rc = 0;
  std::string line;
  for (int64_t line_number = 1; std::getline(in, line); ++line_number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    ProducerRecord record;
    record.topic = options.topic;
    record.partition = options.partition;
    if (options.parse_key) {
      const size_t at = options.key_separator.empty() ? std::string::npos
                                                      : line.find(options.key_separator);
      if (at != std::string::npos) {
        record.key = line.substr(0, at);
        record.value = line.substr(at + options.key_separator.size());
      } else if (options.ignore_error) {
        record.value = line;
      } else {
        report(/*wait_all=*/true);
        err << fmt::format("No key separator found on line number {}: '{}'\n", line_number, line);
        rc = 1;
        break;
      }
    } else {
      record.value = std::move(line);
    }
    if (options.null_marker) {
      if (record.key == options.null_marker) record.key.reset();
      if (record.value == options.null_marker) record.value.reset();
    }
    Pending p;
    if (record.key) p.key_size = record.key->size();
    if (record.value) p.value_size = record.value->size();
    p.future = (*producer)->Send(std::move(record));
    pending.push_back(std::move(p));
    report(/*wait_all=*/false);
    // Wait for what was sent before blocking on more input (so a person typing
    // sees each offset), and keep the backlog bounded.
    std::streambuf* buf = in.rdbuf();
    if (pending.size() >= kMaxPending || buf == nullptr || buf->in_avail() <= 0) {
      report(/*wait_all=*/true);
    }
  }
  report(/*wait_all=*/true);
  if (absl::Status s = (*producer)->Close(); !s.ok()) {
    err << Message(s) << "\n";
    rc = 1;
  }
  if (failed > 0) {
    err << fmt::format("{} record(s) could not be sent to topic {}\n", failed, options.topic);
    rc = 1;
  }
  return rc;
}

}  // namespace

int Produce(Env* env, const ProduceOptions& options, std::istream& in, std::ostream& out,
            std::ostream& err) {
  return WithLogDir(env, options.log_dir, /*must_exist=*/false, err,
                    [&](Broker* broker) { return ProduceTo(broker, options, in, out, err); });
}

bool ParseProduceArgs(const std::vector<std::string>& args, ProduceOptions* options,
                      std::ostream& err) {
  ArgCursor a("produce", args, err);
  std::map<std::string, std::string> properties;
  while (a.Next()) {
    bool ok = true;
    if (a.Is("--log-dir")) {
      ok = a.Value(&options->log_dir);
    } else if (a.Is("--topic")) {
      ok = a.Value(&options->topic);
    } else if (a.Is("--partitions")) {
      ok = a.Int(1, kIntMax, &options->partitions);
    } else if (a.Is("--partition")) {
      ok = a.Int(0, kIntMax, &options->partition);
    } else if (a.Is("--config")) {
      ok = a.KeyValue(&options->topic_configs);
    } else if (a.Is("--property")) {
      ok = a.KeyValue(&properties);
    } else if (a.Is("--producer-property")) {
      ok = a.KeyValue(&options->producer_properties);
    } else if (a.Is("--acks") || a.Is("--request-required-acks")) {
      ok = a.Value(&options->producer_properties["acks"]);
    } else if (a.Is("--compression-type") || a.Is("--compression-codec")) {
      ok = a.Value(&options->producer_properties["compression.type"]);
    } else if (a.Is("--print-offsets")) {
      ok = a.NoValue();
      options->print_offsets = true;
    } else {
      return a.Unknown();
    }
    if (!ok) return false;
  }
  for (const auto& [key, value] : properties) {
    if (key == "parse.key") {
      options->parse_key = PropertyIsTrue(value);
    } else if (key == "key.separator") {
      options->key_separator = value;
    } else if (key == "ignore.error") {
      options->ignore_error = PropertyIsTrue(value);
    } else if (key == "null.marker") {
      options->null_marker = value;
    } else {
      return a.Error(fmt::format(
          "unknown --property {} (known: parse.key, key.separator, ignore.error, null.marker)",
          key));
    }
  }
  if (options->log_dir.empty()) return a.Error("missing required option --log-dir");
  if (options->topic.empty()) return a.Error("missing required option --topic");
  if (absl::StatusOr<ProducerConfig> c = ProducerConfig::FromProperties(options->producer_properties);
      !c.ok()) {
    return a.Error(Message(c.status()));
  }
  return true;
}

}  // namespace samsa::tools
