// CRC-32C (Castagnoli), the checksum RocksDB's log files and engram's own
// snapshot values use. Uses the SSE4.2 crc32 instruction when the CPU has it
// (several GB/s), else a byte-at-a-time table.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace engram {

// CRC-32C of `data`, continuing from `crc` (0 to start).
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n);
inline uint32_t Crc32c(std::string_view data) { return Crc32cExtend(0, data.data(), data.size()); }

// RocksDB stores masked CRCs (a CRC of data that embeds CRCs is weak).
inline uint32_t Crc32cMask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
inline uint32_t Crc32cUnmask(uint32_t masked) {
  uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

}  // namespace engram
