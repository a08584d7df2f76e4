// Zig-zag varints as Kafka writes them in records (org.apache.kafka.common.
// utils.ByteUtils): a signed value is zig-zag mapped ((n << 1) ^ (n >> 31/63))
// then written as unsigned LEB128, 7 bits a byte, low bits first, the high bit
// of each byte set when more follow. At most 5 bytes for a varint, 10 for a
// varlong; a longer encoding is invalid (Kafka's "Varint is too long").
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace samsa::record {

inline uint32_t ZigZagEncode32(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
inline uint64_t ZigZagEncode64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int32_t ZigZagDecode32(uint32_t v) {
  return static_cast<int32_t>((v >> 1) ^ (~(v & 1) + 1));
}
inline int64_t ZigZagDecode64(uint64_t v) {
  return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

// 1 + floor(log2(v) / 7) without a loop: 9/64 rounds 1/7 so that every
// bit width from 1 to 64 maps to its byte count (as protobuf's VarintSize).
inline int UnsignedVarintSize(uint64_t v) {
  const int log2 = 63 - __builtin_clzll(v | 1);
  return (log2 * 9 + 73) / 64;
}
inline int VarintSize(int32_t v) { return UnsignedVarintSize(ZigZagEncode32(v)); }
inline int VarlongSize(int64_t v) { return UnsignedVarintSize(ZigZagEncode64(v)); }

inline void PutUnsignedVarint(std::string* out, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}
// Writes at `p`, which has room for the value (UnsignedVarintSize bytes);
// returns the position after it.
inline char* EncodeUnsignedVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}
inline char* EncodeVarint(char* p, int32_t v) { return EncodeUnsignedVarint(p, ZigZagEncode32(v)); }
inline char* EncodeVarlong(char* p, int64_t v) { return EncodeUnsignedVarint(p, ZigZagEncode64(v)); }
inline void PutVarint(std::string* out, int32_t v) { PutUnsignedVarint(out, ZigZagEncode32(v)); }
inline void PutVarlong(std::string* out, int64_t v) { PutUnsignedVarint(out, ZigZagEncode64(v)); }

// Decoders: read one value starting at `p` (not past `limit`) and return the
// position after it, or nullptr if the bytes end first or the encoding is too
// long. As Kafka's readVarint: the 5th byte of a varint (10th of a varlong)
// must not have its continuation bit set; its bits above the width are dropped.
// One- and two-byte encodings (values below 16384: most lengths and deltas
// inside a record batch) take a short path with one bounds check.
template <typename T, int kMaxBytes>
inline const char* GetUnsignedVarintImpl(const char* p, const char* limit, T* out) {
  const auto* u = reinterpret_cast<const uint8_t*>(p);
  if (limit - p >= 2) {
    const T b0 = u[0];
    if (b0 < 0x80) {
      *out = b0;
      return p + 1;
    }
    const T b1 = u[1];
    if (b1 < 0x80) {
      *out = (b0 & 0x7f) | (b1 << 7);
      return p + 2;
    }
  }
  T value = 0;
  for (int shift = 0; shift <= 7 * (kMaxBytes - 1); shift += 7) {
    if (p >= limit) return nullptr;
    const T b = static_cast<uint8_t>(*p++);
    value |= (b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = value;
      return p;
    }
  }
  return nullptr;
}
inline const char* GetUnsignedVarint32(const char* p, const char* limit, uint32_t* out) {
  return GetUnsignedVarintImpl<uint32_t, 5>(p, limit, out);
}
inline const char* GetUnsignedVarint64(const char* p, const char* limit, uint64_t* out) {
  return GetUnsignedVarintImpl<uint64_t, 10>(p, limit, out);
}
inline const char* GetVarint(const char* p, const char* limit, int32_t* out) {
  uint32_t u;
  p = GetUnsignedVarint32(p, limit, &u);
  if (p != nullptr) *out = ZigZagDecode32(u);
  return p;
}
inline const char* GetVarlong(const char* p, const char* limit, int64_t* out) {
  uint64_t u;
  p = GetUnsignedVarint64(p, limit, &u);
  if (p != nullptr) *out = ZigZagDecode64(u);
  return p;
}

}  // namespace samsa::record
