// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78): the
// checksum of Kafka's v2 record batches (and of iSCSI, RFC 3720).
//
// Crc32c() uses the SSE4.2 crc32 instruction when the CPU has it (checked once
// at run time), running three interleaved streams over large inputs and
// combining them, and a slicing-by-8 table otherwise. Both give identical
// results; the portable and hardware paths are exposed for tests and
// benchmarks.
//
// Thread-safety: pure functions (tables are built once, thread-safely).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace samsa::record {

// The CRC of `data` appended to data whose CRC was `crc` (0 for none).
uint32_t Crc32cExtend(uint32_t crc, const char* data, size_t n);
inline uint32_t Crc32c(std::string_view data) { return Crc32cExtend(0, data.data(), data.size()); }

uint32_t Crc32cPortable(uint32_t crc, const char* data, size_t n);
// REQUIRES: Crc32cHardwareAvailable().
uint32_t Crc32cHardware(uint32_t crc, const char* data, size_t n);
bool Crc32cHardwareAvailable();

}  // namespace samsa::record
