// samsa produce / consume / topics, run in-process on a MemEnv and a
// ManualClock exactly as the binary runs them (parse, then run).
#include <atomic>
#include <chrono>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "args.h"
#include "broker/broker_test_util.h"
#include "consume.h"
#include "dump_log.h"
#include "groups.h"
#include "produce.h"
#include "samsa/broker.h"
#include "samsa/clock.h"
#include "samsa/consumer.h"
#include "samsa/env.h"
#include "samsa/logging.h"
#include "samsa/producer.h"
#include "topics.h"

namespace samsa::tools {
namespace {

constexpr char kLogDir[] = "/data/kafka-logs";

struct Result {
  int rc = -1;
  std::string out, err;
  std::vector<std::string> lines;  // out, split at '\n'
};

struct Cli {
  ManualClock clock;
  std::unique_ptr<Env> env = NewMemEnv(&clock);

  Cli() { SetMinLogLevel(LogLevel::kWarning); }
  ~Cli() { SetMinLogLevel(LogLevel::kInfo); }

  // `samsa <command> --log-dir kLogDir <args...>` with `input` on stdin.
  Result Run(const std::string& command, std::vector<std::string> args,
             const std::string& input = "") {
    args.insert(args.begin(), {"--log-dir", kLogDir});
    return RunRaw(command, args, input);
  }
  Result RunRaw(const std::string& command, const std::vector<std::string>& args,
                const std::string& input = "") {
    std::istringstream in(input);
    std::ostringstream out, err;
    Result r;
    if (command == "produce") {
      ProduceOptions o;
      r.rc = ParseProduceArgs(args, &o, err) ? tools::Produce(env.get(), o, in, out, err) : kUsageExit;
    } else if (command == "consume") {
      ConsumeOptions o;
      r.rc = ParseConsumeArgs(args, &o, err) ? tools::Consume(env.get(), o, out, err) : kUsageExit;
    } else if (command == "topics") {
      TopicsOptions o;
      r.rc = ParseTopicsArgs(args, &o, err) ? Topics(env.get(), o, out, err) : kUsageExit;
    } else if (command == "groups") {
      GroupsOptions o;
      r.rc = ParseGroupsArgs(args, &o, err) ? Groups(env.get(), o, out, err) : kUsageExit;
    } else if (command == "dump-log") {
      DumpLogOptions o;
      r.rc = ParseDumpLogArgs(args, &o, err) ? DumpLog(env.get(), o, out, err) : kUsageExit;
    }
    r.out = out.str();
    r.err = err.str();
    std::istringstream split(r.out);
    for (std::string line; std::getline(split, line);) r.lines.push_back(line);
    return r;
  }
  // consume, reading what is there now without waiting.
  Result Consume(std::vector<std::string> args) {
    args.insert(args.end(), {"--timeout-ms", "0"});
    return Run("consume", args);
  }
  Result Produce(const std::string& topic, const std::string& input,
                 std::vector<std::string> args = {}) {
    args.insert(args.begin(), {"--topic", topic, "--print-offsets"});
    Result r = Run("produce", args, input);
    INFO(r.err);
    REQUIRE(r.rc == 0);
    return r;
  }
};

using Lines = std::vector<std::string>;

TEST_CASE("produce then consume from the beginning: the lines come back", "[cli]") {
  Cli cli;
  Result p = cli.Run("produce", {"--topic", "t", "--print-offsets"}, "a\nb\n\nc");
  INFO(p.err);
  REQUIRE(p.rc == 0);
  CHECK(p.lines == Lines{"t-0@0", "t-0@1", "t-0@2", "t-0@3"});
  CHECK(p.err.empty());
  Result c = cli.Consume({"--topic", "t", "--from-beginning"});
  CHECK(c.rc == 0);
  CHECK(c.out == "a\nb\n\nc\n");
  CHECK(c.err == "Processed a total of 4 messages\n");
  // Windows line ends are cut as Java's readLine cuts them.
  cli.Produce("t", "d\r\ne\r\n");
  CHECK(cli.Consume({"--topic", "t", "--offset", "4", "--partition", "0"}).lines ==
        Lines{"d", "e"});
  // Without --print-offsets produce prints nothing.
  Result quiet = cli.Run("produce", {"--topic", "t"}, "f\n");
  CHECK(quiet.rc == 0);
  CHECK(quiet.out.empty());
}

TEST_CASE("produce creates a missing topic with --partitions and --config", "[cli]") {
  Cli cli;
  cli.Produce("t", "x\n", {"--partitions", "3", "--config", "retention.ms=60000"});
  Result d = cli.Run("topics", {"--describe", "--topic", "t"});
  REQUIRE(d.rc == 0);
  REQUIRE(d.lines.size() == 4);
  CHECK_THAT(d.lines[0], Catch::Contains("PartitionCount: 3\tReplicationFactor: 1\t"
                                         "Configs: retention.ms=60000"));
  // Without --partitions: the broker's num.partitions (1). A bad config fails
  // before anything is sent.
  cli.Produce("u", "x\n");
  CHECK(cli.Run("topics", {"--describe", "--topic", "u"}).lines.size() == 2);
  Result bad = cli.Run("produce", {"--topic", "v", "--config", "retention.ms=soon"}, "x\n");
  CHECK(bad.rc == 1);
  CHECK_THAT(bad.err, Catch::Contains("retention.ms"));
  CHECK(cli.Run("topics", {"--list"}).lines == Lines{"t", "u"});
}

TEST_CASE("parse.key splits at key.separator, a line without it fails naming the line",
          "[cli]") {
  Cli cli;
  SECTION("default separator is a tab") {
    cli.Produce("t", "k1\tv1\nk2\tv\t2\n", {"--property", "parse.key=true"});
    CHECK(cli.Consume({"--topic", "t", "--from-beginning", "--property", "print.key=true"})
              .lines == Lines{"k1\tv1", "k2\tv\t2"});
  }
  SECTION("a custom separator, several characters long") {
    cli.Produce("t", "k1::v1\n::v2\n",
                {"--property", "parse.key=TRUE", "--property", "key.separator=::"});
    CHECK(cli.Consume({"--topic", "t", "--from-beginning", "--property", "print.key=true",
                       "--property", "key.separator=|"})
              .lines == Lines{"k1|v1", "|v2"});
  }
  SECTION("missing separator: the lines before it are sent, the rest are not") {
    Result r = cli.Run("produce",
                       {"--topic", "t", "--print-offsets", "--property", "parse.key=true",
                        "--property", "key.separator=:"},
                       "a:1\nnokey\nb:2\n");
    CHECK(r.rc == 1);
    CHECK(r.lines == Lines{"t-0@0"});
    CHECK(r.err == "No key separator found on line number 2: 'nokey'\n");
    CHECK(cli.Consume({"--topic", "t", "--from-beginning"}).lines == Lines{"1"});
  }
  SECTION("ignore.error sends such a line whole, without a key") {
    cli.Produce("t", "a:1\nnokey\n",
                {"--property", "parse.key=true", "--property", "key.separator=:",
                 "--property", "ignore.error=true"});
    CHECK(cli.Consume({"--topic", "t", "--from-beginning", "--property", "print.key=true"})
              .lines == Lines{"a\t1", "null\tnokey"});
  }
  SECTION("null.marker makes null keys and tombstones") {
    cli.Produce("t", "NULL:v\nk:NULL\n",
                {"--property", "parse.key=true", "--property", "key.separator=:",
                 "--property", "null.marker=NULL"});
    CHECK(cli.Consume({"--topic", "t", "--from-beginning", "--property", "print.key=true",
                       "--property", "null.literal=<nil>"})
              .lines == Lines{"<nil>\tv", "k\t<nil>"});
  }
  SECTION("without parse.key a separator is just part of the value") {
    cli.Produce("t", "a\tb\n");
    CHECK(cli.Consume({"--topic", "t", "--from-beginning", "--property", "print.key=true"})
              .lines == Lines{"null\ta\tb"});
  }
}

TEST_CASE("produce --partition routes every record, keys follow the default partitioner", "[cli]") {
  Cli cli;
  REQUIRE(cli.Run("topics", {"--create", "--topic", "t", "--partitions", "3"}).rc == 0);
  CHECK(cli.Produce("t", "a\nb\n", {"--partition", "2"}).lines == Lines{"t-2@0", "t-2@1"});
  CHECK(cli.Consume({"--topic", "t", "--partition", "2", "--from-beginning"}).lines ==
        Lines{"a", "b"});
  CHECK(cli.Consume({"--topic", "t", "--partition", "0", "--from-beginning"}).lines.empty());

  const std::vector<std::string> keys = {"alice", "bob", "carol", "dave", "erin", "frank"};
  std::string input;
  for (const std::string& k : keys) input += k + ":v\n";
  Result r = cli.Produce("t", input, {"--property", "parse.key=true", "--property",
                                      "key.separator=:"});
  REQUIRE(r.lines.size() == keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    INFO(keys[i]);
    CHECK_THAT(r.lines[i], Catch::StartsWith(fmt::format("t-{}@", KeyPartition(keys[i], 3))));
  }
  // All partitions are read without --partition.
  Result all = cli.Consume({"--topic", "t", "--from-beginning", "--property", "print.key=true"});
  CHECK(all.lines.size() == 2 + keys.size());
  CHECK(all.err == fmt::format("Processed a total of {} messages\n", 2 + keys.size()));

  Result bad = cli.Run("produce", {"--topic", "t", "--partition", "3"}, "x\n");
  CHECK(bad.rc == 1);
  CHECK(bad.err == "Partition 3 does not exist: topic t has 3 partition(s)\n");
  Result bad_consume = cli.Consume({"--topic", "t", "--partition", "7"});
  CHECK(bad_consume.rc == 1);
  CHECK_THAT(bad_consume.err, Catch::Contains("Partition 7 does not exist: topic t has 3 partition(s)"));
}

TEST_CASE("consume starts at the end by default, at the beginning or at --offset", "[cli]") {
  Cli cli;
  cli.Produce("t", "a\nb\nc\nd\n");
  const Result latest = cli.Consume({"--topic", "t"});
  CHECK(latest.rc == 0);
  CHECK(latest.out.empty());
  CHECK(latest.err == "Processed a total of 0 messages\n");
  CHECK(cli.Consume({"--topic", "t", "--from-beginning"}).lines == Lines{"a", "b", "c", "d"});
  CHECK(cli.Consume({"--topic", "t", "--partition", "0", "--offset", "2"}).lines ==
        Lines{"c", "d"});
  CHECK(cli.Consume({"--topic", "t", "--partition", "0", "--offset=earliest"}).lines.size() == 4);
  CHECK(cli.Consume({"--topic", "t", "--partition", "0", "--offset", "latest"}).lines.empty());
  // Past the end: reset to the end, as Kafka's consumer resets it.
  CHECK(cli.Consume({"--topic", "t", "--partition", "0", "--offset", "99"}).lines.empty());

  Result no_partition = cli.Consume({"--topic", "t", "--offset", "2"});
  CHECK(no_partition.rc == kUsageExit);
  CHECK(no_partition.err == "samsa consume: The partition is required when offset is specified.\n");
  Result both = cli.Consume({"--topic", "t", "--partition", "0", "--offset", "1",
                             "--from-beginning"});
  CHECK(both.rc == kUsageExit);
  CHECK_THAT(both.err, Catch::Contains("from-beginning and offset cannot be specified together"));
  Result negative = cli.Consume({"--topic", "t", "--partition", "0", "--offset", "-1"});
  CHECK(negative.rc == kUsageExit);
  CHECK_THAT(negative.err, Catch::Contains("'-1' is incorrect"));
}

TEST_CASE("consume --max-messages stops after that many records", "[cli]") {
  Cli cli;
  std::string input;
  for (int i = 0; i < 1200; ++i) input += fmt::format("v{}\n", i);
  cli.Produce("t", input);
  Result two = cli.Consume({"--topic", "t", "--from-beginning", "--max-messages", "2"});
  CHECK(two.rc == 0);
  CHECK(two.lines == Lines{"v0", "v1"});
  CHECK(two.err == "Processed a total of 2 messages\n");
  // Across several polls (max.poll.records is 500).
  Result many = cli.Consume({"--topic", "t", "--from-beginning", "--max-messages", "1001"});
  REQUIRE(many.lines.size() == 1001);
  CHECK(many.lines.back() == "v1000");
  CHECK(cli.Consume({"--topic", "t", "--from-beginning"}).lines.size() == 1200);
  CHECK(cli.Consume({"--topic", "t", "--max-messages", "0"}).rc == kUsageExit);
}

TEST_CASE("print.* properties format records as Kafka's DefaultMessageFormatter", "[cli]") {
  Cli cli;
  const int64_t ts = cli.clock.NowMs();
  cli.Produce("t", "k:v\nnull:\n",
              {"--property", "parse.key=true", "--property", "key.separator=:", "--property",
               "null.marker=null"});
  CHECK(cli.Consume({"--topic", "t", "--from-beginning", "--property", "print.timestamp=true",
                     "--property", "print.partition=true", "--property", "print.offset=true",
                     "--property", "print.key=true"})
            .lines == Lines{fmt::format("CreateTime:{}\tPartition:0\tOffset:0\tk\tv", ts),
                            fmt::format("CreateTime:{}\tPartition:0\tOffset:1\tnull\t", ts)});
  CHECK(cli.Consume({"--topic", "t", "--from-beginning", "--property", "print.offset=true",
                     "--property", "key.separator= | ", "--property", "print.headers=true"})
            .lines == Lines{"Offset:0 | NO_HEADERS | v", "Offset:1 | NO_HEADERS | "});
  // print.value=false ends each line after the last column printed.
  CHECK(cli.Consume({"--topic", "t", "--from-beginning", "--property", "print.key=true",
                     "--property", "print.value=false"})
            .lines == Lines{"k", "null"});
  CHECK(cli.Consume({"--topic", "t", "--from-beginning", "--property", "line.separator=;"})
            .out == "v;;");
  // A LogAppendTime topic shows the broker's time, under that name.
  cli.clock.Advance(absl::Seconds(5));
  cli.Produce("lat", "x\n", {"--config", "message.timestamp.type=LogAppendTime"});
  CHECK(cli.Consume({"--topic", "lat", "--from-beginning", "--property", "print.timestamp=true"})
            .lines == Lines{fmt::format("LogAppendTime:{}\tx", ts + 5000)});
  Result unknown = cli.Consume({"--topic", "t", "--property", "print.keys=true"});
  CHECK(unknown.rc == kUsageExit);
  CHECK_THAT(unknown.err, Catch::StartsWith("samsa consume: unknown --property print.keys"));
}

TEST_CASE("consume waits --timeout-ms on the clock for records that do not come", "[cli]") {
  Cli cli;
  cli.Produce("t", "a\n");
  const absl::Time start = cli.clock.Now();
  std::atomic<bool> done{false};
  Result r;
  std::thread consumer([&] {
    r = cli.Run("consume", {"--topic", "t", "--from-beginning", "--timeout-ms", "1500"});
    done = true;
  });
  // Nothing ends the idle wait but the clock: the consume is still running
  // after real time passes, and ends once the clock has moved 1500 ms.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(done);
  while (!done) {
    cli.clock.Advance(absl::Milliseconds(100));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  consumer.join();
  CHECK(cli.clock.Now() - start >= absl::Milliseconds(1500));
  CHECK(r.rc == 0);
  CHECK(r.out == "a\n");
  CHECK(r.err == "Processed a total of 1 messages\n");
}

TEST_CASE("topics --create, --list, --describe, --alter, --delete", "[cli][topics]") {
  Cli cli;
  Result created = cli.Run("topics", {"--create", "--topic", "orders", "--partitions", "2",
                                      "--config", "retention.ms=1000", "--config",
                                      "cleanup.policy=compact"});
  INFO(created.err);
  REQUIRE(created.rc == 0);
  CHECK(created.out == "Created topic orders.\n");
  REQUIRE(cli.Run("topics", {"--create", "--topic", "audit"}).rc == 0);
  CHECK(cli.Run("topics", {"--list"}).out == "audit\norders\n");
  CHECK(cli.Run("topics", {"--list", "--topic", "ord.*"}).out == "orders\n");
  CHECK(cli.Run("topics", {"--list", "--topic", "nothing"}).out.empty());

  // A compacted topic takes keyed records only (Kafka refuses null keys there).
  cli.Produce("orders", "ka\ta\nkb\tb\nkc\tc\n",
              {"--partition", "1", "--property", "parse.key=true"});
  Result d = cli.Run("topics", {"--describe", "--topic", "orders"});
  REQUIRE(d.rc == 0);
  REQUIRE(d.lines.size() == 3);
  std::smatch m;
  REQUIRE(std::regex_match(
      d.lines[0], m,
      std::regex("Topic: orders\tTopicId: ([A-Za-z0-9_-]{22})\tPartitionCount: 2\t"
                 "ReplicationFactor: 1\tConfigs: cleanup.policy=compact,retention.ms=1000")));
  CHECK(d.lines[1] == "\tTopic: orders\tPartition: 0\tLeader: 0\tReplicas: 0\tIsr: 0"
                      "\tLogStartOffset: 0\tLogEndOffset: 0\tHighWatermark: 0");
  CHECK(d.lines[2] == "\tTopic: orders\tPartition: 1\tLeader: 0\tReplicas: 0\tIsr: 0"
                      "\tLogStartOffset: 0\tLogEndOffset: 3\tHighWatermark: 3");
  // Every topic, sorted; a topic without overrides has empty Configs.
  Result all = cli.Run("topics", {"--describe"});
  REQUIRE(all.lines.size() == 5);
  CHECK_THAT(all.lines[0], Catch::StartsWith("Topic: audit\tTopicId: "));
  CHECK_THAT(all.lines[0], Catch::EndsWith("\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: "));
  CHECK(all.lines[2] == d.lines[0]);

  Result alter = cli.Run("topics", {"--alter", "--topic", "orders", "--partitions", "4"});
  CHECK(alter.rc == 0);
  CHECK(cli.Run("topics", {"--describe", "--topic", "orders"}).lines.size() == 5);
  Result shrink = cli.Run("topics", {"--alter", "--topic", "orders", "--partitions", "2"});
  CHECK(shrink.rc == 1);
  CHECK_THAT(shrink.err, Catch::StartsWith("Error while executing topic command : INVALID_PARTITIONS"));

  Result deleted = cli.Run("topics", {"--delete", "--topic", "orders"});
  CHECK(deleted.rc == 0);
  CHECK(deleted.out.empty());
  CHECK(cli.Run("topics", {"--list"}).out == "audit\n");
  CHECK_FALSE(cli.env->FileExists(std::string(kLogDir) + "/orders-1"));
}

TEST_CASE("topics errors: unknown topics, duplicates, bad configs, usage", "[cli][topics]") {
  Cli cli;
  REQUIRE(cli.Run("topics", {"--create", "--topic", "t"}).rc == 0);
  for (const char* action : {"--describe", "--delete"}) {
    INFO(action);
    Result r = cli.Run("topics", {action, "--topic", "missing"});
    CHECK(r.rc == 1);
    CHECK(r.err == "Error while executing topic command : Topic 'missing' does not exist as expected\n");
    CHECK(cli.Run("topics", {action, "--topic", "missing", "--if-exists"}).rc == 0);
  }
  Result dup = cli.Run("topics", {"--create", "--topic", "t"});
  CHECK(dup.rc == 1);
  CHECK(dup.err == "Error while executing topic command : TOPIC_ALREADY_EXISTS: Topic 't' already exists.\n");
  CHECK(cli.Run("topics", {"--create", "--topic", "t", "--if-not-exists"}).rc == 0);

  Result bad_value = cli.Run("topics", {"--create", "--topic", "u", "--config", "retention.ms=abc"});
  CHECK(bad_value.rc == 1);
  CHECK_THAT(bad_value.err, Catch::Contains("INVALID_CONFIG"));
  CHECK_THAT(bad_value.err, Catch::Contains("Invalid value abc for configuration retention.ms"));
  Result bad_key = cli.Run("topics", {"--create", "--topic", "u", "--config", "retention.msec=1"});
  CHECK(bad_key.rc == 1);
  CHECK_THAT(bad_key.err, Catch::Contains("retention.msec"));
  Result bad_name = cli.Run("topics", {"--create", "--topic", "a/b"});
  CHECK(bad_name.rc == 1);
  CHECK_THAT(bad_name.err, Catch::Contains("INVALID_TOPIC_EXCEPTION"));
  Result rf = cli.Run("topics", {"--create", "--topic", "u", "--replication-factor", "3"});
  CHECK(rf.rc == 1);
  CHECK_THAT(rf.err, Catch::Contains("INVALID_REPLICATION_FACTOR"));
  CHECK(cli.Run("topics", {"--list"}).out == "t\n");

  struct Usage {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Usage> usages = {
      {{}, "exactly one action"},
      {{"--list", "--describe"}, "exactly one action"},
      {{"--create"}, "missing required option --topic"},
      {{"--delete"}, "missing required option --topic"},
      {{"--list", "--bogus"}, "unknown option '--bogus'"},
      {{"--list", "--topic"}, "option --topic requires a value"},
      {{"--describe", "--partitions", "3"}, "--partitions can only be used with"},
      {{"--describe", "--config", "a=b"}, "--config can only be used with --create"},
      {{"--create", "--topic", "x", "--partitions", "zero"}, "option --partitions: 'zero'"},
      {{"--create", "--topic", "x", "--config", "novalue"}, "expects key=value"},
      {{"--alter", "--topic", "t"}, "--alter needs --partitions"},
      {{"--list", "--if-exists"}, "--if-exists can only be used"},
  };
  for (const Usage& u : usages) {
    INFO(fmt::format("{}", fmt::join(u.args, " ")));
    Result r = cli.Run("topics", u.args);
    CHECK(r.rc == kUsageExit);
    CHECK_THAT(r.err, Catch::StartsWith("samsa topics: ") && Catch::Contains(u.message));
  }
  Result no_dir = cli.RunRaw("topics", {"--list"});
  CHECK(no_dir.rc == kUsageExit);
  CHECK_THAT(no_dir.err, Catch::Contains("--log-dir"));
  // Readers do not create a log dir out of a typo.
  Result typo = cli.RunRaw("topics", {"--log-dir", "/data/kafak-logs", "--list"});
  CHECK(typo.rc == 1);
  CHECK(typo.err ==
        "Error while executing topic command : log dir /data/kafak-logs does not exist\n");
  CHECK_FALSE(cli.env->FileExists("/data/kafak-logs"));
  Result typo_consume = cli.RunRaw("consume", {"--log-dir", "/data/kafak-logs", "--topic", "t"});
  CHECK(typo_consume.rc == 1);
  Result unknown_topic = cli.Consume({"--topic", "nope"});
  CHECK(unknown_topic.rc == 1);
  CHECK_THAT(unknown_topic.err, Catch::Contains("UNKNOWN_TOPIC_OR_PARTITION"));
  Result unknown_partition = cli.Consume({"--topic", "nope", "--partition", "0"});
  CHECK(unknown_partition.rc == 1);
  CHECK_THAT(unknown_partition.err, Catch::Contains("UNKNOWN_TOPIC_OR_PARTITION"));
  CHECK(cli.Run("topics", {"--list"}).out == "t\n");  // not auto-created by the reader
}

TEST_CASE("produce and consume usage errors name the flag", "[cli]") {
  Cli cli;
  const std::vector<std::pair<std::vector<std::string>, std::string>> produce = {
      {{}, "missing required option --topic"},
      {{"--topic", "t", "--bogus"}, "unknown option '--bogus'"},
      {{"--topic", "t", "--property", "parse.keys=true"}, "unknown --property parse.keys"},
      {{"--topic", "t", "--acks", "2"}, "acks"},
      {{"--topic", "t", "--compression-type", "brotli"}, "compression.type"},
      {{"--topic", "t", "--partition", "-1"}, "option --partition: '-1'"},
      {{"--topic", "t", "--print-offsets=yes"}, "--print-offsets takes no value"},
  };
  for (const auto& [args, message] : produce) {
    INFO(fmt::format("{}", fmt::join(args, " ")));
    Result r = cli.Run("produce", args, "x\n");
    CHECK(r.rc == kUsageExit);
    CHECK_THAT(r.err, Catch::StartsWith("samsa produce: ") && Catch::Contains(message));
  }
  CHECK_FALSE(cli.env->FileExists(kLogDir));  // nothing opened
  Result no_topic = cli.Run("consume", {});
  CHECK(no_topic.rc == kUsageExit);
  CHECK(no_topic.err == "samsa consume: missing required option --topic\n");
  Result dump = cli.RunRaw("dump-log", {"--print-data-log"});
  CHECK(dump.rc == kUsageExit);
  CHECK_THAT(dump.err, Catch::Contains("--files"));
}

TEST_CASE("produce --acks and --compression-type reach the stored batches", "[cli]") {
  Cli cli;
  cli.Produce("t", "a\nb\n", {"--compression-type", "gzip", "--acks", "1"});
  Result dump = cli.RunRaw("dump-log", {"--files", std::string(kLogDir) + "/t-0/00000000000000000000.log"});
  INFO(dump.err);
  REQUIRE(dump.rc == 0);
  CHECK_THAT(dump.out, Catch::Contains("compresscodec: gzip"));
  CHECK(cli.Consume({"--topic", "t", "--from-beginning"}).lines == Lines{"a", "b"});
  // acks=0: the broker's answer is not awaited, so no offset is known.
  CHECK(cli.Produce("t", "c\n", {"--acks", "0"}).lines == Lines{"t-0@-1"});
}

TEST_CASE("each command closes its broker: a reopened dir is clean and keeps the records",
          "[cli]") {
  Cli cli;
  cli.Produce("t", "a\nb\n", {"--partitions", "2", "--partition", "1"});
  CHECK(cli.Produce("t", "c\n", {"--partition", "1"}).lines == Lines{"t-1@2"});
  CHECK(cli.env->FileExists(std::string(kLogDir) + "/.kafka_cleanshutdown"));
  {
    BrokerConfig config;
    config.log_dirs = kLogDir;
    auto broker = Broker::Open(config, BrokerOptions{cli.env.get(), &cli.clock});
    REQUIRE(broker.ok());
    CHECK((*broker)->recovery_info().clean_shutdown);
    CHECK((*broker)->recovery_info().truncated_bytes == 0);
    auto d = (*broker)->DescribeTopic("t");
    REQUIRE(d.ok());
    CHECK(d->partitions[1].log_end_offset == 3);
    // While a broker holds the dir the commands are refused, not run beside it.
    Result locked = cli.Run("produce", {"--topic", "t"}, "x\n");
    CHECK(locked.rc == 1);
    CHECK_THAT(locked.err, Catch::Contains("KAFKA_STORAGE_ERROR"));
    REQUIRE((*broker)->Close().ok());
  }
  CHECK(cli.Consume({"--topic", "t", "--from-beginning"}).lines == Lines{"a", "b", "c"});
  CHECK(cli.Run("topics", {"--describe"}).lines[2] ==
        "\tTopic: t\tPartition: 1\tLeader: 0\tReplicas: 0\tIsr: 0"
        "\tLogStartOffset: 0\tLogEndOffset: 3\tHighWatermark: 3");
}

TEST_CASE("groups lists groups and describes committed offsets and lag from __consumer_offsets",
          "[cli][groups]") {
  Cli cli;
  {
    // A group commits 3 of orders-0's 10 records; the broker closes.
    BrokerConfig config;
    config.log_dirs = kLogDir;
    auto broker = Broker::Open(config, BrokerOptions{cli.env.get(), &cli.clock});
    REQUIRE(broker.ok());
    REQUIRE((*broker)->CreateTopic({.name = "orders", .num_partitions = 2}).ok());
    for (int i = 0; i < 10; ++i) {
      REQUIRE((*broker)->impl()->Produce({"orders", 0}, testing::MakeBatch(1, "r", 0), 1).ok());
    }
    ConsumerConfig cc;
    cc.group_id = "billing";
    auto consumer = Consumer::Create(broker->get(), cc);
    REQUIRE(consumer.ok());
    REQUIRE((*consumer)->CommitSync({{{"orders", 0}, OffsetAndMetadata{3, "", std::nullopt}}}).ok());
    REQUIRE((*consumer)->Close().ok());
    REQUIRE((*broker)->Close().ok());
  }
  Result list = cli.Run("groups", {"--list"});
  INFO(list.err);
  REQUIRE(list.rc == 0);
  CHECK(list.lines == Lines{"billing"});

  Result d = cli.Run("groups", {"--describe", "--group", "billing"});
  INFO(d.err);
  REQUIRE(d.rc == 0);
  // Kafka's layout: a notice for a group without members, a blank line, the
  // heading, one row per partition.
  REQUIRE(d.lines.size() == 5);
  CHECK(d.lines[1] == "Consumer group 'billing' has no active members.");
  std::istringstream heading(d.lines[3]), row(d.lines[4]);
  std::vector<std::string> columns, cells;
  for (std::string w; heading >> w;) columns.push_back(w);
  for (std::string w; row >> w;) cells.push_back(w);
  CHECK(columns == Lines{"GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                         "CONSUMER-ID", "HOST", "CLIENT-ID"});
  CHECK(cells == Lines{"billing", "orders", "0", "3", "10", "7", "-", "-", "-"});
  // Cells line up under their headings.
  CHECK(d.lines[4].find(" 3 ") == d.lines[3].find("CURRENT-OFFSET") - 1);

  Result state = cli.Run("groups", {"--describe", "--group", "billing", "--state"});
  REQUIRE(state.rc == 0);
  CHECK(state.out.find("Empty") != std::string::npos);

  Result missing = cli.Run("groups", {"--describe", "--group", "nobody"});
  CHECK(missing.rc == 1);
  CHECK(missing.err == "Error: Consumer group 'nobody' does not exist.\n");

  Result usage = cli.Run("groups", {"--describe"});
  CHECK(usage.rc == kUsageExit);
  CHECK(usage.err.find("--group") != std::string::npos);

  Result deleted = cli.Run("groups", {"--delete", "--group", "billing"});
  INFO(deleted.err);
  CHECK(deleted.rc == 0);
  CHECK(cli.Run("groups", {"--list"}).lines.empty());
}

TEST_CASE("consume --group reads from the group's committed offsets and commits where it stopped",
          "[cli][groups]") {
  Cli cli;
  cli.Produce("orders", "a\nb\nc\nd\n");
  Result first = cli.Consume({"--topic", "orders", "--group", "g", "--from-beginning",
                              "--max-messages", "2"});
  INFO(first.err);
  REQUIRE(first.rc == 0);
  CHECK(first.lines == Lines{"a", "b"});
  // The same group resumes after what it committed; --from-beginning only
  // applies where nothing is committed.
  Result second = cli.Consume({"--topic", "orders", "--group", "g", "--from-beginning"});
  INFO(second.err);
  REQUIRE(second.rc == 0);
  CHECK(second.lines == Lines{"c", "d"});
  Result d = cli.Run("groups", {"--describe", "--group", "g"});
  REQUIRE(d.rc == 0);
  CHECK(d.out.find("orders") != std::string::npos);
  // Another group starts on its own.
  Result other = cli.Consume({"--topic", "orders", "--group", "h", "--from-beginning"});
  CHECK(other.lines == Lines{"a", "b", "c", "d"});
  Result refused = cli.Consume({"--topic", "orders", "--group", "g", "--partition", "0"});
  CHECK(refused.rc == kUsageExit);
}

}  // namespace
}  // namespace samsa::tools
