// samsa: the command line. Subcommands mirror Kafka's shell tools; produce,
// consume and topics open a log dir directly as an embedded broker (so the
// dir must not be held by a running broker).
//   samsa dump-log   (kafka-dump-log.sh)
//   samsa produce    (kafka-console-producer.sh)
//   samsa consume    (kafka-console-consumer.sh)
//   samsa topics     (kafka-topics.sh)
// Exit codes: 0 success, 1 a failure (the broker's message printed), 2 usage.
#include <iostream>
#include <string>
#include <vector>

#include "args.h"
#include "consume.h"
#include "dump_log.h"
#include "produce.h"
#include "samsa/clock.h"
#include "samsa/env.h"
#include "samsa/logging.h"
#include "groups.h"
#include "topics.h"

namespace {

int Usage(std::ostream& os, int rc) {
  os << "usage: samsa <command> [options]\n"
        "commands:\n"
        "  dump-log --files F[,F...] [--print-data-log] [--deep-iteration]\n"
        "           [--index-sanity-check] [--verify-index-only]\n"
        "      print segment files (.log, .index, .timeindex) as kafka-dump-log.sh does\n"
        "  produce --log-dir D --topic T [--partition P] [--print-offsets]\n"
        "          [--property parse.key=true] [--property key.separator=S]\n"
        "          [--property ignore.error=true] [--property null.marker=M]\n"
        "          [--acks all|-1|0|1] [--compression-type none|gzip|snappy|lz4|zstd]\n"
        "          [--producer-property k=v]...\n"
        "          [--partitions N] [--config k=v]...   (used when T is created)\n"
        "      send stdin's lines as records, as kafka-console-producer.sh does;\n"
        "      --print-offsets prints T-P@offset per acknowledged record\n"
        "  consume --log-dir D --topic T [--partition P] [--from-beginning | --offset N]\n"
        "          [--max-messages N] [--timeout-ms MS (default 1000)]\n"
        "          [--property print.key|print.offset|print.partition|print.timestamp|\n"
        "                      print.headers|print.value=true|false]\n"
        "          [--property key.separator=S|line.separator=S|headers.separator=S|\n"
        "                      null.literal=S] [--consumer-property k=v]...\n"
        "      print records as kafka-console-consumer.sh does (from the end by default)\n"
        "  topics --log-dir D --list [--topic REGEX]\n"
        "  topics --log-dir D --describe [--topic REGEX] [--if-exists]\n"
        "  topics --log-dir D --create --topic T [--partitions N] [--replication-factor 1]\n"
        "         [--config k=v]... [--if-not-exists]\n"
        "  topics --log-dir D --alter --topic REGEX --partitions N [--if-exists]\n"
        "  topics --log-dir D --delete --topic REGEX [--if-exists]\n"
        "      administer topics as kafka-topics.sh does\n"
        "  groups --log-dir D --list\n"
        "  groups --log-dir D --describe --group G [--members | --state]\n"
        "  groups --log-dir D --delete --group G\n"
        "      consumer groups and their committed offsets and lag, as\n"
        "      kafka-consumer-groups.sh shows them\n";
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage(std::cerr, samsa::tools::kUsageExit);
  const std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "-h" || command == "--help" || command == "help") return Usage(std::cout, 0);
  // Kafka's tools log at WARN (tools-log4j.properties); stdout is for data.
  samsa::SetMinLogLevel(samsa::LogLevel::kWarning);
  // Buffered stdin, so produce can tell when no more input is waiting.
  std::ios::sync_with_stdio(false);
  std::unique_ptr<samsa::Env> env = samsa::NewPosixEnv(samsa::Clock::System());
  namespace tools = samsa::tools;
  if (command == "dump-log") {
    tools::DumpLogOptions options;
    if (!tools::ParseDumpLogArgs(args, &options, std::cerr)) return tools::kUsageExit;
    return tools::DumpLog(env.get(), options, std::cout, std::cerr);
  }
  if (command == "produce") {
    tools::ProduceOptions options;
    if (!tools::ParseProduceArgs(args, &options, std::cerr)) return tools::kUsageExit;
    return tools::Produce(env.get(), options, std::cin, std::cout, std::cerr);
  }
  if (command == "consume") {
    tools::ConsumeOptions options;
    if (!tools::ParseConsumeArgs(args, &options, std::cerr)) return tools::kUsageExit;
    return tools::Consume(env.get(), options, std::cout, std::cerr);
  }
  if (command == "topics") {
    tools::TopicsOptions options;
    if (!tools::ParseTopicsArgs(args, &options, std::cerr)) return tools::kUsageExit;
    return tools::Topics(env.get(), options, std::cout, std::cerr);
  }
  if (command == "groups") {
    tools::GroupsOptions options;
    if (!tools::ParseGroupsArgs(args, &options, std::cerr)) return tools::kUsageExit;
    return tools::Groups(env.get(), options, std::cout, std::cerr);
  }
  std::cerr << "samsa: unknown command '" << command << "'\n";
  return Usage(std::cerr, tools::kUsageExit);
}
