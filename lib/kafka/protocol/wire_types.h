// Value types shared by every generated Kafka message (kafka/messages/*.h):
// Uuid (Kafka's 16-byte topic/directory id) and RawTaggedField (a tagged field
// this codec does not know, kept as raw bytes so it can be written back).
//
// Thread-safety: plain values.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace samsa::kafka {

// A Kafka Uuid: 16 bytes, most significant first on the wire. The all-zero
// Uuid is Kafka's ZERO_UUID, the default of every uuid field.
struct Uuid {
  std::array<uint8_t, 16> bytes{};
  bool IsZero() const {
    for (uint8_t b : bytes) {
      if (b != 0) return false;
    }
    return true;
  }
  friend bool operator==(const Uuid&, const Uuid&) = default;
};

// A tagged field whose tag the reader did not know (or that is not defined at
// the version read). Written back in tag order next to the known ones.
struct RawTaggedField {
  uint32_t tag = 0;
  std::string data;
  friend bool operator==(const RawTaggedField&, const RawTaggedField&) = default;
};

using UnknownTaggedFields = std::vector<RawTaggedField>;

}  // namespace samsa::kafka
