// LexicalIndex::Deserialize, the reader of the images a lexical checkpoint
// stores. The input is an image without its trailing checksum, which the
// fuzzer appends, so that the decoder's checks past the checksum are what
// is exercised. Properties: any bytes give an index or an error, never a
// crash, UB or an escaping exception; a decoded index searches without
// failing, and its own image decodes to an index that serialises to the
// same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "index/lexical_index.h"

namespace {

using namespace engram;

// The image's checksum: 64-bit FNV-1a.
uint64_t Fnv1a64(std::string_view data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string image(reinterpret_cast<const char*>(data), size);
  const uint64_t checksum = Fnv1a64(image);
  for (int i = 0; i < 8; ++i) image.push_back(static_cast<char>((checksum >> (8 * i)) & 0xff));
  auto index = LexicalIndex::Deserialize(image);
  if (!index.ok()) return 0;
  for (const char* query : {"cello", "hour practise", "w1 w2 w3"}) (void)(*index)->Search(query, 10);
  const std::string again = (*index)->Serialize();
  auto reread = LexicalIndex::Deserialize(again);
  FUZZ_CHECK(reread.ok(), reread.status().ToString());
  FUZZ_CHECK((*reread)->size() == (*index)->size(), "document count after a round trip");
  FUZZ_CHECK((*reread)->Serialize() == again, "image after a round trip");
  return 0;
}
