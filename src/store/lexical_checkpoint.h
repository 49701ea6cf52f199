// A tenant's lexical checkpoint: its BM25 index and its context keys as
// LexicalIndex images, with the digests (TenantMemory::lexical_digest and
// keys_digest) of the documents they hold, stored in chunks under the
// tenant's snapshot keys like the vector index checkpoint. A load installs
// it instead of analysing every text again, when the documents it covers
// are still those of the log; it is rewritten whole once enough was added.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engram/status.h"

namespace engram {

std::string LexicalCheckpointHeadKey(std::string_view tenant);
std::string LexicalCheckpointChunkKey(std::string_view tenant, uint32_t chunk);
// The first key after every chunk key of `tenant`.
std::string LexicalCheckpointChunksEnd(std::string_view tenant);

struct LexicalCheckpointImage {
  uint64_t lexical_digest = 0;
  uint64_t keys_digest = 0;
  std::string_view lexical;  // LexicalIndex::Serialize() of the BM25 index
  std::string_view keys;     // the same of the context keys
};

std::string EncodeLexicalCheckpoint(uint64_t lexical_digest, uint64_t keys_digest, std::string_view lexical,
                                    std::string_view keys);
// Views into `bytes`; Corruption when they do not hold a checkpoint.
Result<LexicalCheckpointImage> DecodeLexicalCheckpoint(std::string_view bytes);

// Whether a tenant's lexical index of `docs` documents, `checkpointed` of
// them in its stored checkpoint (0: none), is due a new one: never below
// kMinDocs (a small tenant is analysed again in milliseconds), then when
// there is none or more than max(kMinDocs, an eighth) were added since.
inline constexpr uint64_t kLexicalCheckpointMinDocs = 4096;
bool LexicalCheckpointDue(uint64_t docs, uint64_t checkpointed);

}  // namespace engram
