// SHA-256 (FIPS 180-4), used to check downloaded model files against pinned
// digests.
//
// Written by hand because engram links no crypto library and the digest is
// only an integrity check of files we already trust the source of; it is not
// meant for anything security-sensitive beyond that.
//
// Thread safety: a Sha256 object is not safe for concurrent use; distinct
// objects and the free functions are.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engram/status.h"

namespace engram {

class Sha256 {
 public:
  Sha256();

  // Feeds more bytes.
  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }

  // The digest of everything fed so far. Call once; the object is spent.
  std::array<uint8_t, 32> Finish();

 private:
  void Compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_;
  size_t buffered_ = 0;   // bytes waiting in buffer_
  uint64_t total_ = 0;    // bytes fed
};

// Lower-case hex of a digest.
std::string DigestHex(const std::array<uint8_t, 32>& digest);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// Lower-case hex SHA-256 of the file at `path`; NotFound / IOError naming the
// file when it cannot be read.
Result<std::string> Sha256FileHex(const std::string& path);

}  // namespace engram
