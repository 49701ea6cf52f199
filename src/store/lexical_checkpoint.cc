#include "store/lexical_checkpoint.h"

#include <algorithm>

#include "log/key_codec.h"

namespace engram {
namespace {

constexpr std::string_view kMagic = "ENGLXCK1";

}  // namespace

std::string LexicalCheckpointHeadKey(std::string_view tenant) { return log::TenantPrefix(tenant) + "lidx"; }

std::string LexicalCheckpointChunkKey(std::string_view tenant, uint32_t chunk) {
  std::string key = log::TenantPrefix(tenant) + "lidx/";
  log::PutFixed32BE(&key, chunk);
  return key;
}

std::string LexicalCheckpointChunksEnd(std::string_view tenant) { return log::TenantPrefix(tenant) + "lidx0"; }

// Layout: magic, u64 lexical digest, u64 keys digest, u64 length of the
// lexical image, the lexical image, the keys image (to the end). Integers
// big-endian. The chunks' CRC (in the head) covers it all; each image has
// its own checksum too.
std::string EncodeLexicalCheckpoint(uint64_t lexical_digest, uint64_t keys_digest, std::string_view lexical,
                                    std::string_view keys) {
  std::string out(kMagic);
  out.reserve(kMagic.size() + 24 + lexical.size() + keys.size());
  log::PutFixed64BE(&out, lexical_digest);
  log::PutFixed64BE(&out, keys_digest);
  log::PutFixed64BE(&out, lexical.size());
  out.append(lexical);
  out.append(keys);
  return out;
}

Result<LexicalCheckpointImage> DecodeLexicalCheckpoint(std::string_view bytes) {
  const size_t fixed = kMagic.size() + 24;
  if (bytes.size() < fixed || bytes.substr(0, kMagic.size()) != kMagic) {
    return Status::Corruption("lexical checkpoint: bad magic or too short (" + std::to_string(bytes.size()) +
                              " bytes)");
  }
  LexicalCheckpointImage image;
  const char* p = bytes.data() + kMagic.size();
  image.lexical_digest = log::DecodeFixed64BE(p);
  image.keys_digest = log::DecodeFixed64BE(p + 8);
  const uint64_t lexical_size = log::DecodeFixed64BE(p + 16);
  if (lexical_size > bytes.size() - fixed) {
    return Status::Corruption("lexical checkpoint: its BM25 image runs past the end");
  }
  image.lexical = bytes.substr(fixed, lexical_size);
  image.keys = bytes.substr(fixed + lexical_size);
  return image;
}

bool LexicalCheckpointDue(uint64_t docs, uint64_t checkpointed) {
  if (docs < kLexicalCheckpointMinDocs) return false;
  if (checkpointed == 0 || checkpointed > docs) return true;
  return docs - checkpointed > std::max<uint64_t>(kLexicalCheckpointMinDocs, checkpointed / 8);
}

}  // namespace engram
