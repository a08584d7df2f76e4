#include "broker/group/offsets_records.h"

#include <fmt/format.h>

#include "samsa/errors.h"
#include "util/endian.h"

namespace samsa::group {
namespace {

// --- Writing ----------------------------------------------------------------

class Writer {
 public:
  explicit Writer(bool flexible) : flexible_(flexible) {}

  void Int16(int16_t v) { Fixed<2>(static_cast<uint16_t>(v)); }
  void Int32(int32_t v) { Fixed<4>(static_cast<uint32_t>(v)); }
  void Int64(int64_t v) { Fixed<8>(static_cast<uint64_t>(v)); }
  void UnsignedVarint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void String(std::string_view s) {
    if (flexible_) {
      UnsignedVarint(s.size() + 1);
    } else {
      Int16(static_cast<int16_t>(s.size()));
    }
    out_.append(s);
  }
  void NullableString(const std::optional<std::string>& s) {
    if (s) return String(*s);
    if (flexible_) {
      UnsignedVarint(0);
    } else {
      Int16(-1);
    }
  }
  void Bytes(std::string_view b) {
    if (flexible_) {
      UnsignedVarint(b.size() + 1);
    } else {
      Int32(static_cast<int32_t>(b.size()));
    }
    out_.append(b);
  }
  void ArrayLength(size_t n) {
    if (flexible_) {
      UnsignedVarint(n + 1);
    } else {
      Int32(static_cast<int32_t>(n));
    }
  }
  // The end of a struct: no tagged fields.
  void EndStruct() {
    if (flexible_) UnsignedVarint(0);
  }
  std::string Take() { return std::move(out_); }

 private:
  template <int N, typename U>
  void Fixed(U v) {
    char buf[8];
    if constexpr (N == 2) StoreBE16(buf, v);
    if constexpr (N == 4) StoreBE32(buf, v);
    if constexpr (N == 8) StoreBE64(buf, v);
    out_.append(buf, N);
  }

  const bool flexible_;
  std::string out_;
};

// --- Reading ----------------------------------------------------------------

class Reader {
 public:
  Reader(std::string_view in, std::string_view what) : in_(in), what_(what) {}

  void SetFlexible(bool flexible) { flexible_ = flexible; }
  bool ok() const { return error_.empty(); }
  absl::Status status() const {
    return KafkaError(ErrorCode::kCorruptMessage, fmt::format("{}: {}", what_, error_));
  }

  int16_t Int16() { return static_cast<int16_t>(Fixed<2>()); }
  int32_t Int32() { return static_cast<int32_t>(Fixed<4>()); }
  int64_t Int64() { return static_cast<int64_t>(Fixed<8>()); }
  uint64_t UnsignedVarint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!Need(1)) return 0;
      const uint8_t b = static_cast<uint8_t>(in_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    Fail("varint longer than 10 bytes");
    return 0;
  }
  std::string String(std::string_view field) {
    auto s = NullableString(field);
    if (ok() && !s) Fail(fmt::format("{} is null", field));
    return s.value_or("");
  }
  std::optional<std::string> NullableString(std::string_view field) {
    int64_t n;
    if (flexible_) {
      n = static_cast<int64_t>(UnsignedVarint()) - 1;
    } else {
      n = Int16();
    }
    if (!ok()) return std::nullopt;
    if (n < -1) {
      Fail(fmt::format("{} has length {}", field, n));
      return std::nullopt;
    }
    if (n == -1) return std::nullopt;
    return Take(static_cast<size_t>(n), field);
  }
  std::string Bytes(std::string_view field) {
    int64_t n;
    if (flexible_) {
      n = static_cast<int64_t>(UnsignedVarint()) - 1;
    } else {
      n = Int32();
    }
    if (!ok()) return "";
    if (n < 0) {
      Fail(fmt::format("{} has length {}", field, n));
      return "";
    }
    return Take(static_cast<size_t>(n), field).value_or("");
  }
  // Element count; fails on a negative or impossible count.
  size_t ArrayLength(std::string_view field) {
    int64_t n;
    if (flexible_) {
      n = static_cast<int64_t>(UnsignedVarint()) - 1;
    } else {
      n = Int32();
    }
    if (!ok()) return 0;
    if (n < 0 || static_cast<size_t>(n) > in_.size() - pos_) {
      Fail(fmt::format("{} has {} elements", field, n));
      return 0;
    }
    return static_cast<size_t>(n);
  }
  // Skips the tagged fields that end a struct (all unknown to us).
  void EndStruct() {
    if (!flexible_) return;
    const uint64_t count = UnsignedVarint();
    for (uint64_t i = 0; ok() && i < count; ++i) {
      UnsignedVarint();  // tag
      const uint64_t size = UnsignedVarint();
      if (!ok()) return;
      if (size > in_.size() - pos_) {
        Fail("tagged field past the end");
        return;
      }
      pos_ += size;
    }
  }
  absl::Status Finish() {
    if (ok() && pos_ != in_.size()) Fail(fmt::format("{} trailing bytes", in_.size() - pos_));
    return ok() ? absl::OkStatus() : status();
  }
  void Fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
  }

 private:
  bool Need(size_t n) {
    if (!ok()) return false;
    if (in_.size() - pos_ < n) {
      Fail(fmt::format("truncated at byte {} (need {} more)", pos_, n));
      return false;
    }
    return true;
  }
  template <int N>
  uint64_t Fixed() {
    if (!Need(N)) return 0;
    const char* p = in_.data() + pos_;
    pos_ += N;
    if constexpr (N == 2) return LoadBE16(p);
    if constexpr (N == 4) return LoadBE32(p);
    return LoadBE64(p);
  }
  std::optional<std::string> Take(size_t n, std::string_view field) {
    if (!Need(n)) {
      Fail(fmt::format("{} truncated", field));
      return std::nullopt;
    }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }

  std::string_view in_;
  std::string_view what_;
  size_t pos_ = 0;
  bool flexible_ = false;
  std::string error_;
};

}  // namespace

std::string EncodeOffsetCommitKey(const OffsetCommitKey& key) {
  Writer w(false);
  w.Int16(kOffsetCommitKeyVersion);
  w.String(key.group);
  w.String(key.topic);
  w.Int32(key.partition);
  return w.Take();
}

std::string EncodeGroupMetadataKey(const GroupMetadataKey& key) {
  Writer w(false);
  w.Int16(kGroupMetadataKeyVersion);
  w.String(key.group);
  return w.Take();
}

std::string EncodeOffsetCommitValue(const OffsetCommitValue& value, std::optional<int16_t> version) {
  const int16_t v = version.value_or(value.expire_timestamp != -1 ? 1 : kOffsetCommitValueVersion);
  Writer w(v >= 4);
  w.Int16(v);
  w.Int64(value.offset);
  if (v >= 3) w.Int32(value.leader_epoch);
  w.String(value.metadata);
  w.Int64(value.commit_timestamp);
  if (v == 1) w.Int64(value.expire_timestamp);
  w.EndStruct();
  return w.Take();
}

std::string EncodeGroupMetadataValue(const GroupMetadataValue& value, int16_t version) {
  const int16_t v = version;
  Writer w(v >= 4);
  w.Int16(v);
  w.String(value.protocol_type);
  w.Int32(value.generation);
  w.NullableString(value.protocol);
  w.NullableString(value.leader);
  if (v >= 2) w.Int64(value.current_state_timestamp);
  w.ArrayLength(value.members.size());
  for (const MemberMetadataRecord& m : value.members) {
    w.String(m.member_id);
    if (v >= 3) w.NullableString(m.group_instance_id);
    w.String(m.client_id);
    w.String(m.client_host);
    if (v >= 1) w.Int32(m.rebalance_timeout_ms);
    w.Int32(m.session_timeout_ms);
    w.Bytes(m.subscription);
    w.Bytes(m.assignment);
    w.EndStruct();
  }
  w.EndStruct();
  return w.Take();
}

absl::StatusOr<CoordinatorKey> DecodeCoordinatorKey(std::string_view bytes) {
  Reader r(bytes, "__consumer_offsets key");
  const int16_t version = r.Int16();
  if (!r.ok()) return r.status();
  if (version == 0 || version == 1) {
    OffsetCommitKey key;
    key.group = r.String("group");
    key.topic = r.String("topic");
    key.partition = r.Int32();
    if (absl::Status s = r.Finish(); !s.ok()) return s;
    return CoordinatorKey(std::move(key));
  }
  if (version == 2) {
    GroupMetadataKey key;
    key.group = r.String("group");
    if (absl::Status s = r.Finish(); !s.ok()) return s;
    return CoordinatorKey(std::move(key));
  }
  return KafkaError(ErrorCode::kCorruptMessage,
                    fmt::format("__consumer_offsets key: unknown key version {}", version));
}

absl::StatusOr<OffsetCommitValue> DecodeOffsetCommitValue(std::string_view bytes) {
  Reader r(bytes, "OffsetCommitValue");
  const int16_t v = r.Int16();
  if (!r.ok()) return r.status();
  if (v < 0 || v > 4) {
    return KafkaError(ErrorCode::kCorruptMessage,
                      fmt::format("OffsetCommitValue: unknown version {}", v));
  }
  r.SetFlexible(v >= 4);
  OffsetCommitValue value;
  value.offset = r.Int64();
  if (v >= 3) value.leader_epoch = r.Int32();
  value.metadata = r.String("metadata");
  value.commit_timestamp = r.Int64();
  if (v == 1) value.expire_timestamp = r.Int64();
  r.EndStruct();
  if (absl::Status s = r.Finish(); !s.ok()) return s;
  return value;
}

absl::StatusOr<GroupMetadataValue> DecodeGroupMetadataValue(std::string_view bytes) {
  Reader r(bytes, "GroupMetadataValue");
  const int16_t v = r.Int16();
  if (!r.ok()) return r.status();
  if (v < 0 || v > 4) {
    return KafkaError(ErrorCode::kCorruptMessage,
                      fmt::format("GroupMetadataValue: unknown version {}", v));
  }
  r.SetFlexible(v >= 4);
  GroupMetadataValue value;
  value.protocol_type = r.String("protocolType");
  value.generation = r.Int32();
  value.protocol = r.NullableString("protocol");
  value.leader = r.NullableString("leader");
  if (v >= 2) value.current_state_timestamp = r.Int64();
  const size_t n = r.ArrayLength("members");
  for (size_t i = 0; r.ok() && i < n; ++i) {
    MemberMetadataRecord m;
    m.member_id = r.String("memberId");
    if (v >= 3) m.group_instance_id = r.NullableString("groupInstanceId");
    m.client_id = r.String("clientId");
    m.client_host = r.String("clientHost");
    if (v >= 1) m.rebalance_timeout_ms = r.Int32();
    m.session_timeout_ms = r.Int32();
    m.subscription = r.Bytes("subscription");
    m.assignment = r.Bytes("assignment");
    r.EndStruct();
    value.members.push_back(std::move(m));
  }
  r.EndStruct();
  if (absl::Status s = r.Finish(); !s.ok()) return s;
  return value;
}

int32_t JavaStringHashCode(std::string_view utf8) {
  uint32_t h = 0;  // unsigned: wrap-around without UB, as Java's int does
  const auto add = [&h](uint32_t unit) { h = h * 31u + unit; };
  const auto* p = reinterpret_cast<const uint8_t*>(utf8.data());
  const size_t n = utf8.size();
  size_t i = 0;
  while (i < n) {
    const uint8_t b = p[i];
    if (b < 0x80) {
      add(b);
      ++i;
      continue;
    }
    // Sequence length and the range of its second byte (RFC 3629, which
    // rules out overlongs, surrogates and code points past U+10FFFF).
    int len = 0;
    uint8_t lo = 0x80, hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      len = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      if (b == 0xe0) lo = 0xa0;
      if (b == 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      if (b == 0xf0) lo = 0x90;
      if (b == 0xf4) hi = 0x8f;
    }
    if (len == 0) {  // a stray continuation byte or an invalid lead byte
      add(0xfffd);
      ++i;
      continue;
    }
    uint32_t cp = b & (0xff >> (len + 1));
    int k = 1;
    for (; k < len && i + k < n; ++k) {
      const uint8_t c = p[i + k];
      const uint8_t min = k == 1 ? lo : 0x80;
      const uint8_t max = k == 1 ? hi : 0xbf;
      if (c < min || c > max) break;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (k < len) {  // malformed: the maximal valid prefix becomes one U+FFFD
      add(0xfffd);
      i += k;
      continue;
    }
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      add(0xd800 + (cp >> 10));
      add(0xdc00 + (cp & 0x3ff));
    } else {
      add(cp);
    }
  }
  return static_cast<int32_t>(h);
}

int32_t PartitionForGroup(std::string_view group_id, int32_t num_partitions) {
  const int32_t abs = JavaStringHashCode(group_id) & 0x7fffffff;
  return abs % num_partitions;
}

}  // namespace samsa::group
