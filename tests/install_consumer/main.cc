// Uses samsa through its installed public headers only.
#include <cstdio>

#include "samsa/errors.h"
#include "samsa/env.h"

int main() {
  absl::Status s = samsa::KafkaError(samsa::ErrorCode::kNotLeaderOrFollower, "demo");
  if (samsa::ErrorCodeOf(s) != samsa::ErrorCode::kNotLeaderOrFollower) return 1;
  std::printf("installed samsa works: %s\n", std::string(s.message()).c_str());
  return 0;
}
