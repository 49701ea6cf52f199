#include "common/sha256.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace engram {
namespace {

TEST(Sha256Test, KnownVectors) {
  // FIPS 180-4 / NIST examples.
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, PiecewiseUpdatesEqualOneUpdate) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 31 + 7));
  const std::string whole = Sha256Hex(data);
  for (size_t step : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 200u}) {
    Sha256 sha;
    for (size_t pos = 0; pos < data.size(); pos += step) {
      sha.Update(std::string_view(data).substr(pos, step));
    }
    EXPECT_EQ(DigestHex(sha.Finish()), whole) << "step " << step;
  }
}

TEST(Sha256Test, FileDigestAndMissingFile) {
  const auto path = std::filesystem::temp_directory_path() / "engram-sha256-test.txt";
  std::ofstream(path, std::ios::binary) << "abc";
  Result<std::string> digest = Sha256FileHex(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(digest.ok()) << digest.status().ToString();
  EXPECT_EQ(*digest, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

  Result<std::string> missing = Sha256FileHex("/nonexistent/engram-file");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_NE(missing.status().message().find("/nonexistent/engram-file"), std::string::npos);
}

}  // namespace
}  // namespace engram
