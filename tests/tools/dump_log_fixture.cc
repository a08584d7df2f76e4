// dump_log_fixture DIR: writes the dump-log fixture partition into DIR (PosixEnv).
#include <iostream>

#include "dump_log_fixture.h"
#include "samsa/clock.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: dump_log_fixture DIR\n";
    return 2;
  }
  std::unique_ptr<samsa::Env> env = samsa::NewPosixEnv(samsa::Clock::System());
  absl::Status s = samsa::testing::WriteDumpLogFixture(env.get(), argv[1]);
  if (!s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  return 0;
}
