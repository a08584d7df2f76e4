// Value types shared by every generated Kafka message (kafka/messages/*.h):
// Uuid (Kafka's 16-byte topic/directory id), RawTaggedField (a tagged field
// this codec does not know, kept as raw bytes so it can be written back) and
// BytesRef (a bytes field decoded without a copy).
//
// Thread-safety: plain values.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
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

// The bytes of a field the codec decodes as a view into the message's buffer
// instead of a copy (kafka_codegen.py's ZERO_COPY list: a ProduceRequest's
// records, the bulk of a produce frame). A decoded BytesRef is valid only as
// long as the buffer it was read from; one built by a writer (from a
// std::string) owns its bytes, and copies and moves of it stay valid.
class BytesRef {
 public:
  BytesRef() = default;
  BytesRef(std::string owned) : owned_(std::move(owned)) {}  // NOLINT: as a std::string field
  BytesRef(const char* owned) : owned_(owned) {}             // NOLINT
  // A view of bytes someone else keeps alive.
  static BytesRef View(std::string_view bytes) {
    BytesRef r;
    r.view_ = bytes;
    r.is_view_ = true;
    return r;
  }

  std::string_view view() const { return is_view_ ? view_ : std::string_view(owned_); }
  operator std::string_view() const { return view(); }  // NOLINT
  const char* data() const { return view().data(); }
  size_t size() const { return view().size(); }
  bool empty() const { return view().empty(); }
  bool is_view() const { return is_view_; }

  friend bool operator==(const BytesRef& a, const BytesRef& b) { return a.view() == b.view(); }
  friend bool operator==(const BytesRef& a, std::string_view b) { return a.view() == b; }

 private:
  std::string owned_;
  std::string_view view_;
  bool is_view_ = false;
};

}  // namespace samsa::kafka
