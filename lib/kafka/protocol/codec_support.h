// Helpers for the generated message code (kafka/messages/*.cc): writing one
// tagged field (tag, size, value) and replaying an unknown one.
//
// Thread-safety: pure functions over the Writers passed in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "kafka/protocol/reader.h"
#include "kafka/protocol/wire_types.h"
#include "kafka/protocol/writer.h"

namespace samsa::kafka {

// Arrays reserve at most this many elements before reading them: a count read
// off the wire is checked against the bytes left, not trusted for memory.
inline constexpr size_t kMaxReserve = 1024;

// Writes tag, size and the bytes of `value` (a Writer the field was encoded
// into) to `writer`, carrying over an error recorded in `value`.
inline void WriteTaggedField(uint32_t tag, const Writer& value, Writer& writer) {
  writer.WriteUnsignedVarint(tag);
  writer.WriteUnsignedVarint(static_cast<uint32_t>(value.buffer().size()));
  writer.WriteRaw(value.buffer());
  if (!value.ok()) {
    const std::string message(value.status().message());
    writer.Fail("tagged field", message);
  }
}

inline void WriteRawTaggedField(const RawTaggedField& field, Writer& writer) {
  writer.WriteUnsignedVarint(field.tag);
  writer.WriteUnsignedVarint(static_cast<uint32_t>(field.data.size()));
  writer.WriteRaw(field.data);
}

}  // namespace samsa::kafka
