// The one main() of every Catch2 test program. samsa's own log lines are
// quiet below kWarning unless SAMSA_TEST_LOG=debug|info is set.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string_view>

#include "samsa/logging.h"

int main(int argc, char** argv) {
  samsa::LogLevel level = samsa::LogLevel::kWarning;
  if (const char* env = std::getenv("SAMSA_TEST_LOG")) {
    std::string_view v(env);
    if (v == "debug") level = samsa::LogLevel::kDebug;
    if (v == "info") level = samsa::LogLevel::kInfo;
    if (v == "error") level = samsa::LogLevel::kError;
  }
  samsa::SetMinLogLevel(level);
  return Catch::Session().run(argc, argv);
}
