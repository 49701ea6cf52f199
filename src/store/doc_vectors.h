// How a tenant's vectors are kept on disk (docs/file-format.md):
//
//   vectors    tenant prefix + doc id (u64 BE) -> one stored vector per
//              document: "H", CRC-32C of the document's index text (u32 BE),
//              dim IEEE 754 half floats (little-endian). Keys of a tenant
//              are one contiguous range in document order.
//   snapshots  tenant prefix + "vidx" -> checkpoint head; tenant prefix +
//              "vidx/" + chunk number (u32 BE) -> up to 1 MiB of the
//              serialised index. Only indexes that are costly to rebuild
//              (graphs, trained indexes) are checkpointed; the head and its
//              chunks are written in one batch.
//              Deltas after it (graphs only): tenant prefix + "vidh/" +
//              delta number (u32 BE, from 1) -> the delta's head (the same
//              form); tenant prefix + "vidd/" + delta number + chunk number
//              (u32 BE each) -> up to 1 MiB of the delta. A delta and its
//              head are one batch; a whole checkpoint deletes every delta in
//              its own batch.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "engram/status.h"

namespace engram {

// Vectors are stored as IEEE 754 half floats: the in-memory index holds the
// same rounded values, so answers are identical before and after a reopen.
void RoundToStoredPrecision(std::span<float> values);

std::string DocVectorKey(std::string_view tenant, uint64_t doc_id);
// The document id of a DocVectorKey of `tenant` (whose prefix is
// `prefix_size` bytes); false when the key has another shape.
bool DocIdOfVectorKey(std::string_view key, size_t prefix_size, uint64_t* doc_id);
// The checksum tying a stored vector to the text it was embedded from.
uint32_t DocTextChecksum(std::string_view index_text);

std::string EncodeDocVector(std::span<const float> vector, uint32_t text_checksum);
// Fills `out` (dim floats) when `value` is a vector of `dim` values stored
// for a text with `text_checksum`; false otherwise (stale or damaged).
bool DecodeDocVector(std::string_view value, size_t dim, uint32_t text_checksum, float* out);
// Only the shape: a stored vector of `dim` values (for `engram check`).
bool IsDocVectorOfDim(std::string_view value, size_t* dim);

// The head of a vector index checkpoint.
struct VectorCheckpointHead {
  uint64_t covered_seq = 0;  // every document of turns <= covered_seq is in it
  uint64_t vectors = 0;      // the index's size when it was written
  uint32_t chunks = 0;
  uint64_t bytes = 0;        // total size of the chunks
  uint32_t crc = 0;          // CRC-32C over the chunks, in order
};

inline constexpr size_t kCheckpointChunkBytes = 1u << 20;

std::string CheckpointHeadKey(std::string_view tenant);
std::string CheckpointChunkKey(std::string_view tenant, uint32_t chunk);
// The first key after every chunk key of `tenant`.
std::string CheckpointChunksEnd(std::string_view tenant);
std::string CheckpointDeltaHeadKey(std::string_view tenant, uint32_t delta);
std::string CheckpointDeltaChunkKey(std::string_view tenant, uint32_t delta, uint32_t chunk);
// The ranges holding every delta head and every delta chunk of `tenant`.
std::string CheckpointDeltaHeadsBegin(std::string_view tenant);
std::string CheckpointDeltaHeadsEnd(std::string_view tenant);
std::string CheckpointDeltaChunksBegin(std::string_view tenant);
std::string CheckpointDeltaChunksEnd(std::string_view tenant);

std::string EncodeCheckpointHead(const VectorCheckpointHead& head);
// Corruption naming what is wrong when the head does not decode.
Result<VectorCheckpointHead> DecodeCheckpointHead(std::string_view value);

// Checks chunk `n` (`value`) against the head: its size, and the running
// CRC (`*crc`, 0 before chunk 0). Appends it to `*joined` when non-null.
// After the last chunk, FinishCheckpointCheck compares the totals.
Status CheckCheckpointChunk(const VectorCheckpointHead& head, uint32_t n, std::string_view value, uint32_t* crc,
                            uint64_t* bytes, std::string* joined);
Status FinishCheckpointCheck(const VectorCheckpointHead& head, uint32_t chunks_seen, uint32_t crc, uint64_t bytes);

// Whether an index of this description is checkpointed ("Flat" and "Int8"
// are filled from the stored vectors alone).
bool IndexNeedsCheckpoint(std::string_view description);

}  // namespace engram
