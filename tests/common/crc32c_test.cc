// CRC-32C (Castagnoli), the checksum of engram's own record formats and the
// one RocksDB's log files carry: known values, and the same result however
// the bytes are split or aligned.
#include "common/crc32c.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace engram {
namespace {

// Bit at a time, straight from the definition (reflected 0x1EDC6F41).
uint32_t Reference(const std::string& s) {
  uint32_t c = 0xffffffffu;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
  }
  return ~c;
}

TEST(Crc32cTest, KnownValues) {
  EXPECT_EQ(Crc32c(std::string_view("123456789")), 0xe3069283u);  // the standard check value
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8a9136aau);          // RFC 3720 B.4
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62a8ab43u);
  EXPECT_EQ(Crc32c(std::string_view()), 0u);
}

TEST(Crc32cTest, MatchesTheDefinitionForEveryLengthAndAlignment) {
  std::mt19937 rng(42);
  std::string bytes(4096 + 16, '\0');
  for (auto& b : bytes) b = static_cast<char>(rng());
  for (size_t offset = 0; offset < 9; ++offset) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{63}, size_t{64}, size_t{1000},
                     size_t{4096}}) {
      std::string s = bytes.substr(offset, n);
      EXPECT_EQ(Crc32c(s), Reference(s)) << "offset " << offset << " length " << n;
    }
  }
}

TEST(Crc32cTest, ExtendingPiecesEqualsTheWhole) {
  const std::string s = "engram keeps a checksum over every snapshot chunk it writes";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    uint32_t c = Crc32cExtend(0, s.data(), cut);
    c = Crc32cExtend(c, s.data() + cut, s.size() - cut);
    EXPECT_EQ(c, Crc32c(s)) << cut;
  }
}

}  // namespace
}  // namespace engram
