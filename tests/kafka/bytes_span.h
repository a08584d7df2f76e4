// The bytes of a std::string as the span the Kafka codec reads (Reader,
// frame parsing). Test-only.
#pragma once

#include <cstdint>
#include <string>

#include "absl/types/span.h"

namespace samsa::kafka {

inline absl::Span<const uint8_t> Span(const std::string& s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

}  // namespace samsa::kafka
