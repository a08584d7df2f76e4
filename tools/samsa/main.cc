// samsa: the command line. Subcommands mirror Kafka's shell tools:
//   samsa dump-log --files F[,F...] [--print-data-log] [--deep-iteration]
//                  [--index-sanity-check] [--verify-index-only]
//                                              (kafka-dump-log.sh)
#include <iostream>
#include <string>
#include <vector>

#include "dump_log.h"
#include "samsa/clock.h"
#include "samsa/env.h"

namespace {

int Usage(std::ostream& os, int rc) {
  os << "usage: samsa <command> [options]\n"
        "commands:\n"
        "  dump-log --files F[,F...] [--print-data-log] [--deep-iteration]\n"
        "           [--index-sanity-check] [--verify-index-only]\n"
        "      print segment files (.log, .index, .timeindex) as kafka-dump-log.sh does\n";
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage(std::cerr, 2);
  const std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "-h" || command == "--help" || command == "help") return Usage(std::cout, 0);
  std::unique_ptr<samsa::Env> env = samsa::NewPosixEnv(samsa::Clock::System());
  if (command == "dump-log") {
    samsa::tools::DumpLogOptions options;
    if (!samsa::tools::ParseDumpLogArgs(args, &options, std::cerr)) return 2;
    return samsa::tools::DumpLog(env.get(), options, std::cout, std::cerr);
  }
  std::cerr << "samsa: unknown command '" << command << "'\n";
  return Usage(std::cerr, 2);
}
