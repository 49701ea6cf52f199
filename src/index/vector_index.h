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
//   "Auto[,threshold=<n>][,hnsw=<M>][,efSearch=<n>][,efConstruction=<n>]"
//           the right one by size: the exact Flat scan while it holds fewer
//           than `threshold` live vectors (default 2000), then engram's
//           HNSW<M> over int8 codes (defaults M 32, efSearch 96,
//           efConstruction 64). The graph is built once, from the vectors
//           held, inside the Add that reaches the threshold (~0.1 CPU-s at
//           2000 x 512-d, ~1 CPU-s at 10k); later vectors are inserted
//           incrementally, and the graph persists with the index, so loading
//           never rebuilds it. Shrinking below the threshold keeps the graph.
//           The default is where HNSW overtakes the exact scan at 512-d
//           (docs/results.md "Vector index by size", two data sets, 1k..100k):
//           below 2k the scan is as fast or faster and exact; from 2k on
//           HNSW is faster at p50 and p99 with recall@10 >= 0.998 (3x at 5k,
//           ~60x at 100k).
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
// Two ways to persist an index:
//   Serialize / Deserialize        the whole index, vectors included.
//   SerializeStructure / Restore   only what cannot be recomputed from the
//           vectors (ids in internal order, tombstones, the HNSW graph); the
//           caller keeps each fp32 vector once, under its own key, and hands
//           them back through a VectorLookup. Restore never rebuilds a graph:
//           it refills the storage and installs the saved graph, so a restored
//           index answers every search exactly as the saved one did.
//
// Incremental structure checkpoints (indexes holding an HNSW graph):
//   DigestStructure / SerializeStructureDelta / Restore with deltas
//           a digest remembers each graph node as saved (8 bytes per node);
//           a delta holds only what changed since a digest (the nodes added,
//           the nodes whose neighbour lists, tombstone or shared ids changed,
//           the entry point and the level generator), so saving after a few
//           thousand inserts costs what changed, not the whole graph.
//           Restore applies the deltas, in order, to the structure they
//           follow; the result searches exactly as the index did when the
//           last delta was taken.
//
// Thread safety: Search, Serialize, SerializeStructure and MemoryBytes are
// const and safe from many threads at once; Add/Remove need exclusive access
// (callers hold a shared_mutex: shared for the const calls, exclusive for
// Add/Remove).
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

// One 64-bit hash per graph node (its id, tombstone, level, neighbour lists
// and the ids sharing it) as the structure was when the digest was taken.
struct StructureDigest {
  std::vector<uint64_t> nodes;
};

// true = keep the id; an empty filter keeps all.
using VectorFilter = std::function<bool(uint64_t id)>;

// Writes the stored vectors of `ids` to `out` (ids.size() * dim floats,
// row-major, in the order of `ids`). Restore calls it with batches of ids in
// the index's internal order, each id at most once over all calls. An id it
// does not hold -> NotFound naming the id (Restore reports Corruption).
using VectorLookup = std::function<Status(std::span<const uint64_t> ids, std::span<float> out)>;

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

  // Heap bytes the index holds: vectors, int8 codes, graph, id maps and
  // tombstones (allocated capacity, within a few percent of what malloc
  // reports). Excludes per-thread search scratch (2 bytes per indexed vector
  // in each thread that searched an HNSW index).
  virtual size_t MemoryBytes() const = 0;

  // The index without its fp32 vectors and int8 codes: description, dim,
  // ids in internal order and tombstones; for HNSW also the graph (levels,
  // neighbour lists, entry point, the level generator's state) and the int8
  // codes of tombstoned nodes (still walked through, and their vectors are
  // no longer the caller's). FAISS types other than HNSW<M> and Auto carry
  // their FAISS index inside (their codes cannot be recomputed from vectors).
  virtual Result<std::string> SerializeStructure() const = 0;
  // Rebuilds the index from SerializeStructure bytes and the vectors that
  // `lookup` gives for its live ids. Bytes that do not decode -> Corruption;
  // an id the lookup lacks -> Corruption naming it; another lookup failure
  // keeps its code, with context. Searching the result is identical to
  // searching the saved index; Add and Remove work as before.
  static Result<std::unique_ptr<VectorIndex>> Restore(std::string_view structure,
                                                      const VectorLookup& lookup);

  // The digest of the graph as it is now; null when the index holds no
  // graph (Flat, Int8, FAISS types, Auto below its threshold).
  virtual std::shared_ptr<const StructureDigest> DigestStructure() const = 0;
  // The bytes that turn the structure `since` was taken of into the current
  // one; `*now` gets the current digest. FailedPrecondition when the index
  // holds no graph or fewer nodes than `since` (the graph was rebuilt): the
  // caller saves the whole structure instead.
  virtual Result<std::string> SerializeStructureDelta(const StructureDigest& since,
                                                      std::shared_ptr<const StructureDigest>* now) const = 0;
  // Restore from a structure and the deltas taken after it, oldest first.
  // A delta of another index, one that does not follow the structure (or
  // the delta before it), or damaged bytes -> Corruption.
  static Result<std::unique_ptr<VectorIndex>> Restore(std::string_view structure,
                                                      std::span<const std::string_view> deltas,
                                                      const VectorLookup& lookup);
};

}  // namespace engram
