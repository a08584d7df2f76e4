// Helpers shared by the producer and consumer tests.
#pragma once

#include <vector>

#include <catch2/catch.hpp>

#include "samsa/consumer.h"

namespace samsa::testing {

// Polls (without waiting) until a poll comes back empty; every record read.
inline std::vector<ConsumerRecord> PollAll(Consumer& consumer) {
  std::vector<ConsumerRecord> all;
  while (true) {
    absl::StatusOr<std::vector<ConsumerRecord>> polled = consumer.Poll(absl::ZeroDuration());
    REQUIRE(polled.ok());
    if (polled->empty()) return all;
    all.insert(all.end(), polled->begin(), polled->end());
  }
}

}  // namespace samsa::testing
