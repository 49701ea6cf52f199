// VectorIndex: nearest-neighbour search by inner product over the embeddings
// of turns and event units, keyed by engram's 64-bit record ids.
//
// Index types (chosen by a FAISS-style description string):
//   "Flat"  (default) exact fp32 scan with engram's own runtime-dispatched
//           AVX2/FMA kernel (Debian's libfaiss is built without AVX2).
//   "Int8"  exact scan over int8 codes (one scale per vector), the best
//           candidates re-scored in fp32; ~4x less memory traffic per query.
//   "HNSW<M>[,efSearch=<n>][,efConstruction=<n>]"  a FAISS HNSW graph over
//           inner product, built and searched over int8 codes of the vectors
//           (engram's kernels; 4x less memory traffic per visited node), the
//           best candidates re-scored in fp32, so scores are exact.
//   anything else index_factory accepts ("IVF1024,Flat", "IVF256,SQ8", ...),
//           optionally with ",nprobe=<n>"; vectors are searched exactly until
//           enough have arrived to train the index.
// Ids, removals, re-adds and filters work the same for every type: the FAISS
// wrappers keep their own id <-> label map and a tombstone bitmap and
// over-fetch until k results survive.
//
// Vectors are expected to be L2-normalised by the caller, so scores are
// cosine similarities; the index itself does not normalise.
//
// Thread safety: Search and Serialize are const and safe from many threads
// at once; Add/Remove need exclusive access (callers hold a shared_mutex:
// shared for Search/Serialize, exclusive for Add/Remove).
// A single Search never starts an OpenMP team (FAISS calls are pinned to the
// calling thread), so many concurrent searches do not oversubscribe cores;
// Add on HNSW uses FAISS's OpenMP threads for a batch. HNSW searches keep
// per-thread scratch buffers (2 bytes per indexed vector for visited marks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engram/status.h"

namespace engram {

struct VectorHit {
  uint64_t id;
  float score;  // inner product (cosine for L2-normalised vectors)
};

// true = keep the id; an empty filter keeps all.
using VectorFilter = std::function<bool(uint64_t id)>;

class VectorIndex {
 public:
  // Unknown or invalid description, or dim == 0 -> InvalidArgument naming it.
  static Result<std::unique_ptr<VectorIndex>> Create(std::string_view description, size_t dim);
  virtual ~VectorIndex();

  // vectors: ids.size() * dim floats, row-major. NaN/inf or a wrong size ->
  // InvalidArgument and nothing is added. Re-adding an id replaces its vector.
  [[nodiscard]] virtual Status Add(std::span<const uint64_t> ids, std::span<const float> vectors) = 0;
  // Removed ids never come back from Search. Unknown ids are ignored.
  [[nodiscard]] virtual Status Remove(std::span<const uint64_t> ids) = 0;
  // Live (added and not removed) vectors.
  virtual size_t size() const = 0;
  virtual size_t dim() const = 0;
  virtual const std::string& description() const = 0;
  // Up to k hits that pass `filter`, best (highest score) first.
  // query: dim floats; NaN/inf or a wrong size -> InvalidArgument.
  virtual Result<std::vector<VectorHit>> Search(std::span<const float> query, size_t k,
                                                const VectorFilter& filter = {}) const = 0;
  // Snapshot bytes (include description and dim); Deserialize restores an
  // index that answers every search identically.
  virtual Result<std::string> Serialize() const = 0;
  // Truncated or damaged bytes -> Corruption.
  static Result<std::unique_ptr<VectorIndex>> Deserialize(std::string_view bytes);
};

}  // namespace engram
