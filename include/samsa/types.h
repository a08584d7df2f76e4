// samsa/types.h — small strong integer types for Kafka's numbers.
//
// An Offset is not a file position nor a count, a PartitionId is not a broker
// id: each gets its own type (as Redpanda's named_type does), so mixing them is
// a compile error. Construction is explicit, value() unwraps; an Offset moves by
// an int64_t delta, and two Offsets subtract to a distance.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace samsa {

template <typename Tag, typename Rep>
class StrongInt {
 public:
  using rep_type = Rep;
  constexpr StrongInt() = default;
  constexpr explicit StrongInt(Rep v) : v_(v) {}
  constexpr Rep value() const { return v_; }

  friend constexpr auto operator<=>(StrongInt, StrongInt) = default;
  friend constexpr StrongInt operator+(StrongInt a, Rep delta) { return StrongInt(a.v_ + delta); }
  friend constexpr StrongInt operator-(StrongInt a, Rep delta) { return StrongInt(a.v_ - delta); }
  friend constexpr Rep operator-(StrongInt a, StrongInt b) { return a.v_ - b.v_; }
  constexpr StrongInt& operator+=(Rep delta) { v_ += delta; return *this; }
  constexpr StrongInt& operator++() { ++v_; return *this; }

  friend std::ostream& operator<<(std::ostream& os, StrongInt v) { return os << +v.v_; }
  template <typename Sink>
  friend void AbslStringify(Sink& sink, StrongInt v) { sink.Append(absl::StrCat(v.v_)); }

 private:
  Rep v_{};
};

// A position in a partition's log: the offset of a record.
using Offset = StrongInt<struct OffsetTag, int64_t>;
using PartitionId = StrongInt<struct PartitionIdTag, int32_t>;
using BrokerId = StrongInt<struct BrokerIdTag, int32_t>;
using LeaderEpoch = StrongInt<struct LeaderEpochTag, int32_t>;

// A partition of a topic, printed as Kafka prints it: "topic-3".
struct TopicPartition {
  std::string topic;
  int32_t partition = 0;

  friend bool operator==(const TopicPartition&, const TopicPartition&) = default;
  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
  std::string ToString() const { return topic + "-" + std::to_string(partition); }
  friend std::ostream& operator<<(std::ostream& os, const TopicPartition& tp) {
    return os << tp.ToString();
  }
  template <typename H>
  friend H AbslHashValue(H h, const TopicPartition& tp) {
    return H::combine(std::move(h), tp.topic, tp.partition);
  }
};

}  // namespace samsa

template <>
struct std::hash<samsa::TopicPartition> {
  size_t operator()(const samsa::TopicPartition& tp) const noexcept {
    return std::hash<std::string>()(tp.topic) * 31 + std::hash<int32_t>()(tp.partition);
  }
};

template <typename Tag, typename Rep>
struct std::hash<samsa::StrongInt<Tag, Rep>> {
  size_t operator()(samsa::StrongInt<Tag, Rep> v) const noexcept { return std::hash<Rep>()(v.value()); }
};
