#include "index/vector_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVF.h>
#include <faiss/impl/DistanceComputer.h>
#include <faiss/invlists/InvertedLists.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <omp.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <unordered_set>
#include <exception>
#include <limits>
#include <map>
#include <new>
#include <queue>
#include <sstream>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "index/distance_kernels.h"

namespace engram {
namespace {

constexpr size_t kMaxDim = 1 << 16;
constexpr char kMagic[8] = {'E', 'N', 'G', 'R', 'V', 'E', 'C', '1'};
constexpr uint32_t kFormatVersion = 1;
// SerializeStructure / Restore: the index without its vectors.
constexpr char kStructureMagic[8] = {'E', 'N', 'G', 'R', 'V', 'S', 'T', '1'};
constexpr uint32_t kStructureVersion = 1;
// SerializeStructureDelta: the changes to a graph since a digest.
constexpr char kDeltaMagic[8] = {'E', 'N', 'G', 'R', 'V', 'S', 'D', '1'};
constexpr uint32_t kDeltaVersion = 1;
// Ids per VectorLookup call during Restore (2 MiB of 512-d fp32 rows).
constexpr size_t kRestoreBatch = 1024;
// Rows scored per kernel call: small enough that the scores stay in L1.
constexpr size_t kScanBlock = 256;
// Int8 keeps this many times k candidates (at least kRerankMin) for the fp32
// re-scoring; per-vector int8 codes of normalised vectors rarely move a true
// top-k neighbour further than that.
constexpr size_t kRerankFactor = 4;
constexpr size_t kRerankMin = 32;
// HNSW is rebuilt from its live vectors once tombstones outnumber them.
constexpr size_t kCompactMinDead = 1024;
// FAISS's rule of thumb: k-means wants ~39 training points per centroid.
constexpr size_t kTrainPointsPerCentroid = 39;
constexpr size_t kDefaultTrainThreshold = 39 * 256;
// "Auto": live vectors from which HNSW answers instead of the exact scan
// (measured at 512-d, docs/results.md "Vector index by size"), and its
// graph's settings: the wider construction and search keep recall@10 at
// 0.96 against the exact scan on 100k turns of conversation (docs/results.md,
// "Scale"), where 64 / 96 gave 0.64.
constexpr int kAutoDefaultThreshold = 2000;
constexpr int kAutoDefaultM = 32;
constexpr int kAutoDefaultEfSearch = 256;
constexpr int kAutoDefaultEfConstruction = 200;

// ---------------------------------------------------------------------------
// Memory and small helpers

// 64-byte aligned storage so SIMD rows start on cache-line boundaries.
template <typename T>
struct AlignedAllocator {
  using value_type = T;
  AlignedAllocator() = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U>&) {}  // NOLINT(google-explicit-constructor)
  T* allocate(size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64}));
  }
  void deallocate(T* p, size_t) { ::operator delete(p, std::align_val_t{64}); }
  friend bool operator==(const AlignedAllocator&, const AlignedAllocator&) { return true; }
};
template <typename T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

Status ValidateVectors(std::span<const float> vectors, size_t count, size_t dim,
                       std::string_view what) {
  if (count != 0 && vectors.size() / count != dim) {
    return Status::InvalidArgument(std::string(what) + ": got " + std::to_string(vectors.size()) +
                                   " floats for " + std::to_string(count) +
                                   " vectors, expected dimension " + std::to_string(dim));
  }
  if (vectors.size() != count * dim) {
    return Status::InvalidArgument(std::string(what) + ": got " + std::to_string(vectors.size()) +
                                   " floats, expected " + std::to_string(count) + " x " +
                                   std::to_string(dim));
  }
  for (size_t i = 0; i < vectors.size(); ++i) {
    if (!std::isfinite(vectors[i])) {
      return Status::InvalidArgument(std::string(what) + ": vector " + std::to_string(i / dim) +
                                     " component " + std::to_string(i % dim) + " is " +
                                     (std::isnan(vectors[i]) ? "NaN" : "infinite"));
    }
  }
  return Status::OK();
}

// Keeps the k best hits seen so far; the worst sits at the heap's front.
// Ties in score go to the lower id so results are deterministic.
class TopK {
 public:
  explicit TopK(size_t k) : k_(k) { heap_.reserve(k); }

  // Scores below this cannot enter; cheap pre-check for the scan loops.
  float threshold() const {
    if (k_ == 0) return std::numeric_limits<float>::infinity();
    return heap_.size() < k_ ? -std::numeric_limits<float>::infinity() : heap_.front().score;
  }

  void Push(uint64_t id, float score) {
    if (k_ == 0) return;
    const VectorHit hit{id, score};
    if (heap_.size() < k_) {
      heap_.push_back(hit);
      std::push_heap(heap_.begin(), heap_.end(), Better);
    } else if (Better(hit, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), Better);
      heap_.back() = hit;
      std::push_heap(heap_.begin(), heap_.end(), Better);
    }
  }

  // Best first.
  std::vector<VectorHit> TakeSorted() {
    std::sort_heap(heap_.begin(), heap_.end(), Better);
    return std::move(heap_);
  }

 private:
  static bool Better(const VectorHit& a, const VectorHit& b) {
    return a.score > b.score || (a.score == b.score && a.id < b.id);
  }
  size_t k_;
  std::vector<VectorHit> heap_;
};

// Pins OpenMP regions started by this thread to one thread while alive.
// omp_set_num_threads changes only the calling thread's setting, so
// concurrent searches each run FAISS single-threaded instead of each
// spawning a team as large as the machine.
class OmpSingleThreadScope {
 public:
  OmpSingleThreadScope() : saved_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~OmpSingleThreadScope() { omp_set_num_threads(saved_); }
  OmpSingleThreadScope(const OmpSingleThreadScope&) = delete;
  OmpSingleThreadScope& operator=(const OmpSingleThreadScope&) = delete;

 private:
  int saved_;
};

// ---------------------------------------------------------------------------
// Snapshot encoding: little-endian PODs, length-prefixed strings.

class ByteWriter {
 public:
  template <typename T>
  void Put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  void PutBytes(const void* data, size_t n) {
    if (n != 0) out_.append(static_cast<const char*>(data), n);  // data may be null when n == 0
  }
  void PutString(std::string_view s) {
    Put<uint64_t>(s.size());
    out_.append(s);
  }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  template <typename T>
  bool Get(T* v) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (in_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(v, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool GetBytes(void* data, size_t n) {
    if (in_.size() - pos_ < n) return false;
    if (n == 0) return true;  // data may be null (an empty vector's data())
    std::memcpy(data, in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool GetString(std::string_view* s) {
    uint64_t n = 0;
    if (!Get(&n) || in_.size() - pos_ < n) return false;
    *s = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  size_t remaining() const { return in_.size() - pos_; }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

Status Truncated(std::string_view what) {
  return Status::Corruption("vector index snapshot truncated in " + std::string(what));
}

Status StructureTruncated(std::string_view what) {
  return Status::Corruption("vector index structure truncated in " + std::string(what));
}

// ---------------------------------------------------------------------------
// Heap accounting for MemoryBytes.

// What glibc's malloc takes for a small request: 8 bytes of header, rounded
// up to 16, at least 32.
constexpr size_t MallocChunkBytes(size_t request) {
  return std::max<size_t>(32, (request + 8 + 15) / 16 * 16);
}

template <typename Vector>
size_t CapacityBytes(const Vector& v) {
  return v.capacity() * sizeof(typename Vector::value_type);
}

// libstdc++'s unordered_map: a bucket array plus one node per entry (next
// pointer + value; std::hash of an integer is not cached in the node).
template <typename Map>
size_t HashMapBytes(const Map& m) {
  return m.bucket_count() * sizeof(void*) +
         m.size() * MallocChunkBytes(sizeof(void*) + sizeof(typename Map::value_type));
}

// Counts what faiss::write_index would write: for FAISS types whose memory
// engram does not lay out itself, the serialised size is the heap size
// within the few percent of per-list overheads.
struct CountingWriter final : faiss::IOWriter {
  size_t bytes = 0;
  size_t operator()(const void*, size_t size, size_t nitems) override {
    bytes += size * nitems;
    return nitems;
  }
};

// Heap bytes of a FAISS index engram does not lay out itself: IVF lists by
// their capacity (they grow by doubling), anything else by its serialised
// size.
size_t FaissHeapBytes(const faiss::Index& index) {
  try {
    CountingWriter counter;
    const auto* ivf = dynamic_cast<const faiss::IndexIVF*>(&index);
    const auto* lists = ivf ? dynamic_cast<const faiss::ArrayInvertedLists*>(ivf->invlists) : nullptr;
    if (lists == nullptr) {
      faiss::write_index(&index, &counter);
      return counter.bytes;
    }
    size_t bytes = 0;
    for (size_t i = 0; i < lists->nlist; ++i) bytes += CapacityBytes(lists->codes[i]) + CapacityBytes(lists->ids[i]);
    faiss::write_index(ivf->quantizer, &counter);
    return bytes + counter.bytes;
  } catch (const std::exception&) {
    return 0;  // an index FAISS cannot write: count what engram holds
  }
}

// ---------------------------------------------------------------------------
// Restore: vectors from the caller's VectorLookup.

// Fills out[ids.size() * dim] with the vectors of `ids`, kRestoreBatch ids
// per lookup call. A missing id is Corruption (the structure names an id the
// caller's store no longer has); a vector with NaN/inf is Corruption too.
Status FillFromLookup(const VectorLookup& lookup, std::span<const uint64_t> ids, float* out,
                      size_t dim) {
  for (size_t start = 0; start < ids.size(); start += kRestoreBatch) {
    const size_t m = std::min(kRestoreBatch, ids.size() - start);
    const std::span<const uint64_t> batch = ids.subspan(start, m);
    float* rows = out + start * dim;
    Status s = lookup(batch, std::span<float>(rows, m * dim));
    if (s.IsNotFound()) {
      return Status::Corruption("vector index structure names a vector the lookup does not have: " +
                                s.message());
    }
    if (!s.ok()) {
      return s.WithContext("vector index restore: looking up " + std::to_string(m) +
                           " vectors from id " + std::to_string(batch.front()));
    }
    for (size_t i = 0; i < m * dim; ++i) {
      if (!std::isfinite(rows[i])) {
        return Status::Corruption("vector index restore: the vector of id " +
                                  std::to_string(batch[i / dim]) + " has a non-finite component " +
                                  std::to_string(i % dim));
      }
    }
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Description parsing

struct IndexSpec {
  enum class Kind { kFlat, kInt8, kFaiss, kAuto };
  Kind kind = Kind::kFlat;
  std::string factory;  // FAISS index_factory string (kFaiss)
  int hnsw_m = 0;       // > 0: "HNSW<M>" served by engram's HNSW flat storage
  int ef_search = 0;    // 0 = FAISS default (engram's HNSW<M> defaults to 96)
  int ef_construction = 0;  // 0 = FAISS default (engram's HNSW<M> defaults to 64)
  int nprobe = 0;
  int auto_threshold = 0;  // kAuto: live vectors at which the graph is built
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool ParsePositiveInt(std::string_view s, int max, int* out) {
  int v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v <= 0 || v > max) return false;
  *out = v;
  return true;
}

// "Auto[,threshold=<n>][,hnsw=<M>][,efSearch=<n>][,efConstruction=<n>]".
Result<IndexSpec> ParseAutoDescription(std::string_view description, const std::string& quoted) {
  IndexSpec spec;
  spec.kind = IndexSpec::Kind::kAuto;
  spec.auto_threshold = kAutoDefaultThreshold;
  spec.hnsw_m = kAutoDefaultM;
  spec.ef_search = kAutoDefaultEfSearch;
  spec.ef_construction = kAutoDefaultEfConstruction;
  size_t start = description.find(',');
  while (start != std::string_view::npos && start < description.size()) {
    ++start;
    size_t comma = description.find(',', start);
    if (comma == std::string_view::npos) comma = description.size();
    const std::string_view token = Trim(description.substr(start, comma - start));
    start = comma;
    const size_t eq = token.find('=');
    const std::string_view key = Trim(token.substr(0, eq));
    const std::string_view value = eq == std::string_view::npos ? "" : Trim(token.substr(eq + 1));
    struct Option {
      std::string_view name;
      int* target;
      int min, max;
    };
    const Option options[] = {{"threshold", &spec.auto_threshold, 1, 1 << 30},
                              {"hnsw", &spec.hnsw_m, 2, 512},
                              {"efSearch", &spec.ef_search, 1, 1 << 20},
                              {"efConstruction", &spec.ef_construction, 1, 1 << 20}};
    const Option* option = nullptr;
    for (const Option& o : options) {
      if (o.name == key) option = &o;
    }
    if (option == nullptr || eq == std::string_view::npos) {
      return Status::InvalidArgument("unknown option '" + std::string(token) + "' in " + quoted +
                                     " (Auto takes threshold=, hnsw=, efSearch=, efConstruction=)");
    }
    if (!ParsePositiveInt(value, option->max, option->target) || *option->target < option->min) {
      return Status::InvalidArgument("option " + std::string(key) + " needs an integer in [" +
                                     std::to_string(option->min) + ", " + std::to_string(option->max) +
                                     "], got '" + std::string(value) + "' in " + quoted);
    }
  }
  return spec;
}

Result<IndexSpec> ParseDescription(std::string_view description) {
  const std::string quoted = "vector index description '" + std::string(description) + "'";
  description = Trim(description);
  IndexSpec spec;
  if (description.empty() || description == "Flat") return spec;
  if (description == "Auto" || Trim(description.substr(0, description.find(','))) == "Auto") {
    return ParseAutoDescription(description, quoted);
  }
  if (description == "Int8") {
    spec.kind = IndexSpec::Kind::kInt8;
    return spec;
  }
  spec.kind = IndexSpec::Kind::kFaiss;
  std::string factory;
  size_t start = 0;
  while (start <= description.size()) {
    size_t comma = description.find(',', start);
    if (comma == std::string_view::npos) comma = description.size();
    const std::string_view token = Trim(description.substr(start, comma - start));
    start = comma + 1;
    const size_t eq = token.find('=');
    if (eq == std::string_view::npos) {
      if (token.empty()) return Status::InvalidArgument("empty component in " + quoted);
      if (!factory.empty()) factory += ',';
      factory += token;
      continue;
    }
    const std::string_view key = Trim(token.substr(0, eq));
    const std::string_view value = Trim(token.substr(eq + 1));
    int* target = key == "efSearch"         ? &spec.ef_search
                  : key == "efConstruction" ? &spec.ef_construction
                  : key == "nprobe"         ? &spec.nprobe
                                            : nullptr;
    if (target == nullptr) {
      return Status::InvalidArgument("unknown option '" + std::string(key) + "' in " + quoted);
    }
    if (!ParsePositiveInt(value, 1 << 20, target)) {
      return Status::InvalidArgument("option " + std::string(key) + " needs a positive integer, got '" +
                                     std::string(value) + "' in " + quoted);
    }
  }
  if (factory.empty()) return Status::InvalidArgument("no index type in " + quoted);
  if (factory.find("IDMap") != std::string::npos) {
    return Status::InvalidArgument(quoted + ": ids are managed by engram, drop IDMap");
  }
  const bool is_hnsw = factory.find("HNSW") != std::string::npos;
  if ((spec.ef_search != 0 || spec.ef_construction != 0) && !is_hnsw) {
    return Status::InvalidArgument("efSearch/efConstruction apply only to HNSW, in " + quoted);
  }
  if (spec.nprobe != 0 && factory.find("IVF") == std::string::npos) {
    return Status::InvalidArgument("nprobe applies only to IVF, in " + quoted);
  }
  // "HNSW<M>" or "HNSW<M>,Flat": engram's own storage (AVX2 distances).
  std::string_view f = factory;
  if (f.ends_with(",Flat")) f.remove_suffix(5);
  if (f.starts_with("HNSW") && f.size() > 4 &&
      f.find_first_not_of("0123456789", 4) == std::string_view::npos) {
    if (!ParsePositiveInt(f.substr(4), 512, &spec.hnsw_m) || spec.hnsw_m < 2) {
      return Status::InvalidArgument("HNSW M must be in [2, 512] in " + quoted);
    }
    // engram's defaults, not FAISS's (40 / 16): measured at 1M x 512-d,
    // efConstruction 40 caps recall@10 near 0.92 however wide the search, and
    // efConstruction 64 with efSearch 96 gives 0.97-0.98 at p99 < 0.5 ms
    // (docs/vector-index.md).
    if (spec.ef_construction == 0) spec.ef_construction = 64;
    if (spec.ef_search == 0) spec.ef_search = 96;
  }
  spec.factory = std::move(factory);
  return spec;
}

// ---------------------------------------------------------------------------
// Shared base: description, dimension and the snapshot envelope.

class IndexBase : public VectorIndex {
 public:
  IndexBase(std::string description, size_t dim) : description_(std::move(description)), dim_(dim) {}

  size_t dim() const override { return dim_; }
  const std::string& description() const override { return description_; }

  Result<std::string> Serialize() const override {
    try {
      ByteWriter w;
      w.PutBytes(kMagic, sizeof(kMagic));
      w.Put<uint32_t>(kFormatVersion);
      w.PutString(description_);
      w.Put<uint64_t>(dim_);
      ENGRAM_RETURN_IF_ERROR(SavePayload(w));
      return std::move(w.str());
    } catch (const std::exception& e) {
      return Status::Internal(std::string("serializing vector index failed: ") + e.what());
    }
  }

  Result<std::string> SerializeStructure() const override {
    try {
      ByteWriter w;
      w.PutBytes(kStructureMagic, sizeof(kStructureMagic));
      w.Put<uint32_t>(kStructureVersion);
      w.PutString(description_);
      w.Put<uint64_t>(dim_);
      ENGRAM_RETURN_IF_ERROR(SaveStructure(w));
      return std::move(w.str());
    } catch (const std::exception& e) {
      return Status::Internal(std::string("serializing vector index structure failed: ") + e.what());
    }
  }

  // Serialize's body after the envelope, and its inverse on a fresh index.
  virtual Status SavePayload(ByteWriter& w) const = 0;
  virtual Status LoadPayload(ByteReader& r) = 0;
  // SerializeStructure's body after the envelope, and its inverse on a fresh
  // index (vectors from `lookup`).
  virtual Status SaveStructure(ByteWriter& w) const = 0;
  // `deltas`: the bodies of SerializeStructureDelta's bytes, oldest first.
  virtual Status RestoreStructure(ByteReader& r, std::span<const std::string_view> deltas,
                                  const VectorLookup& lookup) = 0;

  Result<std::string> SerializeStructureDelta(const StructureDigest& since,
                                              std::shared_ptr<const StructureDigest>* now) const override {
    try {
      ByteWriter w;
      w.PutBytes(kDeltaMagic, sizeof(kDeltaMagic));
      w.Put<uint32_t>(kDeltaVersion);
      w.PutString(description_);
      w.Put<uint64_t>(dim_);
      ENGRAM_RETURN_IF_ERROR(SaveStructureDelta(w, since, now));
      return std::move(w.str());
    } catch (const std::exception& e) {
      return Status::Internal(std::string("serializing vector index structure delta failed: ") + e.what());
    }
  }
  // SerializeStructureDelta's body after the envelope; indexes without a
  // graph have none.
  virtual Status SaveStructureDelta(ByteWriter&, const StructureDigest&,
                                    std::shared_ptr<const StructureDigest>*) const {
    return Status::FailedPrecondition("vector index '" + description_ + "' holds no graph");
  }
  std::shared_ptr<const StructureDigest> DigestStructure() const override { return nullptr; }

 protected:
  Status CheckQuery(std::span<const float> query) const {
    return ValidateVectors(query, 1, dim_, "vector index query");
  }

  const std::string description_;
  const size_t dim_;
};

// ---------------------------------------------------------------------------
// Flat and Int8: a dense array scanned by the dispatched kernels.
//
// Rows are kept dense (removal moves the last row into the hole), so a scan
// never meets a tombstone and the filter is the only per-row branch.

class ScanIndex final : public IndexBase {
 public:
  ScanIndex(std::string description, size_t dim, bool int8)
      : IndexBase(std::move(description), dim),
        int8_(int8),
        stride_(kernels::Int8Stride(dim)),
        kernels_(&kernels::BestKernels()) {}

  Status Add(std::span<const uint64_t> ids, std::span<const float> vectors) override {
    ENGRAM_RETURN_IF_ERROR(ValidateVectors(vectors, ids.size(), dim_, "vector index Add"));
    try {
      for (size_t i = 0; i < ids.size(); ++i) {
        const float* v = vectors.data() + i * dim_;
        auto [it, inserted] = slot_of_.try_emplace(ids[i], ids_.size());
        const size_t slot = it->second;
        if (inserted) {
          ids_.push_back(ids[i]);
          rows_.resize(rows_.size() + dim_);
          if (int8_) {
            codes_.resize(codes_.size() + stride_);
            scales_.push_back(0);
          }
        }
        std::copy(v, v + dim_, rows_.begin() + slot * dim_);
        if (int8_) scales_[slot] = kernels::QuantizeInt8(v, dim_, codes_.data() + slot * stride_);
      }
    } catch (const std::bad_alloc&) {
      return Status::Internal("out of memory adding " + std::to_string(ids.size()) + " vectors");
    }
    return Status::OK();
  }

  Status Remove(std::span<const uint64_t> ids) override {
    for (uint64_t id : ids) {
      auto it = slot_of_.find(id);
      if (it == slot_of_.end()) continue;
      const size_t slot = it->second;
      const size_t last = ids_.size() - 1;
      slot_of_.erase(it);
      if (slot != last) {
        ids_[slot] = ids_[last];
        slot_of_[ids_[slot]] = slot;
        std::copy_n(rows_.begin() + last * dim_, dim_, rows_.begin() + slot * dim_);
        if (int8_) {
          std::copy_n(codes_.begin() + last * stride_, stride_, codes_.begin() + slot * stride_);
          scales_[slot] = scales_[last];
        }
      }
      ids_.pop_back();
      rows_.resize(rows_.size() - dim_);
      if (int8_) {
        codes_.resize(codes_.size() - stride_);
        scales_.pop_back();
      }
    }
    return Status::OK();
  }

  size_t size() const override { return ids_.size(); }

  Result<std::vector<VectorHit>> Search(std::span<const float> query, size_t k,
                                        const VectorFilter& filter) const override {
    ENGRAM_RETURN_IF_ERROR(CheckQuery(query));
    try {
      return int8_ ? SearchInt8(query.data(), k, filter) : SearchFlat(query.data(), k, filter);
    } catch (const std::exception& e) {
      return Status::Internal(std::string("vector search failed: ") + e.what());
    }
  }

  Status SavePayload(ByteWriter& w) const override {
    w.Put<uint64_t>(ids_.size());
    w.PutBytes(ids_.data(), ids_.size() * sizeof(uint64_t));
    w.PutBytes(rows_.data(), rows_.size() * sizeof(float));
    return Status::OK();
  }

  Status LoadPayload(ByteReader& r) override {
    uint64_t n = 0;
    if (!r.Get(&n)) return Truncated("row count");
    if (n > r.remaining() / (sizeof(uint64_t) + dim_ * sizeof(float))) return Truncated("rows");
    std::vector<uint64_t> ids(n);
    std::vector<float> rows(n * dim_);
    if (!r.GetBytes(ids.data(), n * sizeof(uint64_t))) return Truncated("ids");
    if (!r.GetBytes(rows.data(), rows.size() * sizeof(float))) return Truncated("rows");
    Status s = Add(ids, rows);
    if (!s.ok()) return Status::Corruption("vector index snapshot: " + s.message());
    if (size() != n) return Status::Corruption("vector index snapshot has duplicate ids");
    return Status::OK();
  }

  size_t MemoryBytes() const override {
    return CapacityBytes(ids_) + HashMapBytes(slot_of_) + CapacityBytes(rows_) +
           CapacityBytes(codes_) + CapacityBytes(scales_);
  }

  Status SaveStructure(ByteWriter& w) const override {
    w.Put<uint64_t>(ids_.size());
    w.PutBytes(ids_.data(), ids_.size() * sizeof(uint64_t));
    return Status::OK();
  }

  Status RestoreStructure(ByteReader& r, std::span<const std::string_view> deltas,
                          const VectorLookup& lookup) override {
    if (!deltas.empty()) return Status::Corruption("vector index structure: deltas for an index without a graph");
    uint64_t n = 0;
    if (!r.Get(&n)) return StructureTruncated("row count");
    if (n > r.remaining() / sizeof(uint64_t)) return StructureTruncated("ids");
    ids_.resize(n);
    if (!r.GetBytes(ids_.data(), n * sizeof(uint64_t))) return StructureTruncated("ids");
    slot_of_.reserve(n);
    for (size_t slot = 0; slot < n; ++slot) {
      if (!slot_of_.emplace(ids_[slot], slot).second) {
        return Status::Corruption("vector index structure lists id " + std::to_string(ids_[slot]) +
                                  " twice");
      }
    }
    rows_.resize(n * dim_);
    ENGRAM_RETURN_IF_ERROR(FillFromLookup(lookup, ids_, rows_.data(), dim_));
    if (int8_) {
      codes_.resize(n * stride_);
      scales_.resize(n);
      for (size_t slot = 0; slot < n; ++slot) {
        scales_[slot] = kernels::QuantizeInt8(rows_.data() + slot * dim_, dim_, codes_.data() + slot * stride_);
      }
    }
    return Status::OK();
  }

  // For the FAISS wrapper's training buffer.
  std::span<const uint64_t> ids() const { return ids_; }
  std::span<const float> rows() const { return {rows_.data(), rows_.size()}; }

 private:
  std::vector<VectorHit> SearchFlat(const float* q, size_t k, const VectorFilter& filter) const {
    TopK top(std::min(k, ids_.size()));
    float scores[kScanBlock];
    const size_t n = ids_.size();
    for (size_t start = 0; start < n; start += kScanBlock) {
      const size_t m = std::min(kScanBlock, n - start);
      kernels_->dot_f32_rows(q, rows_.data() + start * dim_, m, dim_, scores);
      for (size_t i = 0; i < m; ++i) {
        if (scores[i] < top.threshold()) continue;
        const uint64_t id = ids_[start + i];
        if (filter && !filter(id)) continue;
        top.Push(id, scores[i]);
      }
    }
    return top.TakeSorted();
  }

  std::vector<VectorHit> SearchInt8(const float* q, size_t k, const VectorFilter& filter) const {
    const size_t n = ids_.size();
    k = std::min(k, n);
    if (k == 0) return {};
    AlignedVector<int8_t> qcode(stride_);
    const float qscale = kernels::QuantizeInt8(q, dim_, qcode.data());
    // Candidate pass over the int8 codes; TopK's id field holds the slot.
    TopK candidates(std::max(k * kRerankFactor, kRerankMin));
    int32_t dots[kScanBlock];
    for (size_t start = 0; start < n; start += kScanBlock) {
      const size_t m = std::min(kScanBlock, n - start);
      kernels_->dot_i8_rows(qcode.data(), codes_.data() + start * stride_, m, stride_, dots);
      for (size_t i = 0; i < m; ++i) {
        const float approx = static_cast<float>(dots[i]) * scales_[start + i] * qscale;
        if (approx < candidates.threshold()) continue;
        if (filter && !filter(ids_[start + i])) continue;
        candidates.Push(start + i, approx);
      }
    }
    // Re-score the survivors exactly, so returned scores are fp32 scores.
    TopK top(k);
    for (const VectorHit& c : candidates.TakeSorted()) {
      top.Push(ids_[c.id], kernels_->dot_f32(q, rows_.data() + c.id * dim_, dim_));
    }
    return top.TakeSorted();
  }

  const bool int8_;
  const size_t stride_;  // bytes per int8 code
  const kernels::DistanceKernels* kernels_;
  std::vector<uint64_t> ids_;                    // slot -> id
  std::unordered_map<uint64_t, size_t> slot_of_;  // id -> slot
  AlignedVector<float> rows_;                    // slot-major, dim_ floats each
  AlignedVector<int8_t> codes_;                  // Int8 only: stride_ bytes each
  std::vector<float> scales_;                    // Int8 only: code scale per slot
};

// ---------------------------------------------------------------------------
// HNSW storage: FAISS flat fp32 rows plus an int8 code per row.
//
// HNSW spends nearly all of its time fetching the vectors of the nodes it
// visits -- one random DRAM access per node. A 512-d fp32 row is 2 KiB, its
// int8 code 512 B, so both building and searching walk the graph over the
// int8 codes; only the final candidates are re-scored in fp32 (see
// FaissIndex::SearchGraph). The class stays an IndexFlatIP, so
// write_index/read_index handle it unchanged; the codes are derived data,
// recomputed deterministically after reading.

class Int8FlatIP final : public faiss::IndexFlatIP {
 public:
  explicit Int8FlatIP(idx_t d)
      : faiss::IndexFlatIP(d), stride_(kernels::Int8Stride(d)), kernels_(&kernels::BestKernels()) {}

  void add(idx_t n, const float* x) override {
    const size_t first = ntotal;
    faiss::IndexFlatIP::add(n, x);
    QuantizeFrom(first);
  }

  void reset() override {
    faiss::IndexFlatIP::reset();
    int8_codes_.clear();
    scales_.clear();
  }

  // Quantises rows [first, ntotal).
  void QuantizeFrom(size_t first) {
    const size_t n = static_cast<size_t>(ntotal);
    int8_codes_.resize(n * stride_);
    scales_.resize(n);
    const float* xb = get_xb();
    for (size_t i = first; i < n; ++i) {
      scales_[i] = kernels::QuantizeInt8(xb + i * d, d, int8_codes_.data() + i * stride_);
    }
  }

  // Approximate inner products of a quantised query with rows.
  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override;

  // Installs a saved code for row i (a tombstoned row, whose vector is gone).
  void SetCode(size_t i, const int8_t* code, float scale) {
    std::memcpy(int8_codes_.data() + i * stride_, code, stride_);
    scales_[i] = scale;
  }

  // fp32 rows, int8 codes and scales.
  size_t MemoryBytes() const {
    return CapacityBytes(codes) + CapacityBytes(int8_codes_) + CapacityBytes(scales_);
  }

  size_t stride() const { return stride_; }
  const int8_t* int8_codes() const { return int8_codes_.data(); }
  const float* scales() const { return scales_.data(); }
  const kernels::DistanceKernels& kernels() const { return *kernels_; }

 private:
  const size_t stride_;
  const kernels::DistanceKernels* kernels_;
  AlignedVector<int8_t> int8_codes_;  // stride_ bytes per row
  std::vector<float> scales_;         // row ≈ scale * code
};

// FAISS's HNSW construction calls this for every distance it needs. (FAISS's
// own IndexHNSW::search would use it too, giving int8-approximate scores;
// engram never calls that -- SearchGraph re-scores in fp32.)
class Int8DistanceComputer final : public faiss::FlatCodesDistanceComputer {
 public:
  explicit Int8DistanceComputer(const Int8FlatIP& storage)
      : faiss::FlatCodesDistanceComputer(storage.codes.data(), storage.code_size),
        storage_(storage),
        query_code_(storage.stride()) {}

  void set_query(const float* x) override {
    query_scale_ = kernels::QuantizeInt8(x, storage_.d, query_code_.data());
  }
  float distance_to_code(const uint8_t* code) override {
    const size_t i = static_cast<size_t>(code - codes) / code_size;
    return Dot(query_code_.data(), i) * query_scale_;
  }
  float symmetric_dis(idx_t i, idx_t j) override {
    return Dot(storage_.int8_codes() + i * storage_.stride(), j) * storage_.scales()[i];
  }

 private:
  float Dot(const int8_t* code, size_t row) const {
    int32_t dot = 0;
    storage_.kernels().dot_i8_rows(code, storage_.int8_codes() + row * storage_.stride(), 1,
                                   storage_.stride(), &dot);
    return static_cast<float>(dot) * storage_.scales()[row];
  }

  const Int8FlatIP& storage_;
  AlignedVector<int8_t> query_code_;
  float query_scale_ = 0;
};

faiss::FlatCodesDistanceComputer* Int8FlatIP::get_FlatCodesDistanceComputer() const {
  return new Int8DistanceComputer(*this);
}

// Swaps an IndexHNSWFlat's storage for an Int8FlatIP holding the same
// vectors (after read_index, or for a fresh index).
void UseInt8Storage(faiss::IndexHNSWFlat& hnsw) {
  auto storage = std::make_unique<Int8FlatIP>(hnsw.d);
  if (auto* old = dynamic_cast<faiss::IndexFlat*>(hnsw.storage)) {
    storage->codes.swap(old->codes);
    storage->ntotal = old->ntotal;
  }
  storage->QuantizeFrom(0);
  if (hnsw.own_fields) delete hnsw.storage;
  hnsw.storage = storage.release();
  hnsw.own_fields = true;
}

// Per-thread "visited" marks for graph searches: a mark equals the current
// epoch iff the node was visited by this search, so a new search only bumps
// the epoch instead of clearing ntotal bytes.
class VisitedMarks {
 public:
  static VisitedMarks& ForThisThread(size_t n) {
    thread_local VisitedMarks marks;
    marks.Begin(n);
    return marks;
  }
  // True the first time `i` is seen in this search.
  bool Visit(size_t i) {
    if (marks_[i] == epoch_) return false;
    marks_[i] = epoch_;
    return true;
  }

 private:
  void Begin(size_t n) {
    if (marks_.size() < n) marks_.resize(n, 0);
    if (++epoch_ == 0) {  // wrapped: old marks could collide
      std::fill(marks_.begin(), marks_.end(), 0);
      epoch_ = 1;
    }
  }
  std::vector<uint16_t> marks_;
  uint16_t epoch_ = 0;
};

// ---------------------------------------------------------------------------
// Any FAISS index, with engram ids, tombstones and filters.
//
// FAISS labels are positions 0..ntotal-1 in insertion order; label_to_id_
// maps them back. Removal and replacement only set a tombstone (FAISS graph
// indexes cannot delete), and Search over-fetches until k live hits that pass
// the filter are found or the index is exhausted. HNSW is rebuilt from its
// live vectors when tombstones outnumber them. Indexes that need training
// (IVF, PQ, SQ) are served by an exact scan until enough vectors have arrived
// to train them.
//
// In engram's HNSW a vector equal to a live one (the same text said again:
// "ok", "thanks!", a repeated template) joins that node instead of becoming
// a node of its own: a graph full of identical nodes loses its navigability
// (their neighbour lists fill with each other), and recall collapses. Such
// ids are listed per label in shared_ids_; a search returns every id of a
// node it finds, with the node's score.

class FaissIndex final : public IndexBase {
 public:
  FaissIndex(std::string description, size_t dim, IndexSpec spec)
      : IndexBase(std::move(description), dim), spec_(std::move(spec)) {}

  // Builds an empty FAISS index for spec_.
  Result<std::unique_ptr<faiss::Index>> MakeIndex() const {
    std::unique_ptr<faiss::Index> index;
    try {
      if (spec_.hnsw_m > 0) {
        auto hnsw = std::make_unique<faiss::IndexHNSWFlat>(static_cast<int>(dim_), spec_.hnsw_m,
                                                           faiss::METRIC_INNER_PRODUCT);
        UseInt8Storage(*hnsw);
        index = std::move(hnsw);
      } else {
        index.reset(faiss::index_factory(static_cast<int>(dim_), spec_.factory.c_str(),
                                         faiss::METRIC_INNER_PRODUCT));
      }
    } catch (const std::exception& e) {
      return Status::InvalidArgument("unknown vector index description '" + description_ +
                                     "': " + e.what());
    }
    ApplyParameters(*index);
    return index;
  }

  void Init(std::unique_ptr<faiss::Index> index) {
    index_ = std::move(index);
    hnsw_ = dynamic_cast<faiss::IndexHNSW*>(index_.get());
    hnsw_storage_ = hnsw_ ? dynamic_cast<const Int8FlatIP*>(hnsw_->storage) : nullptr;
    if (!index_->is_trained) {
      pending_ = std::make_unique<ScanIndex>("Flat", dim_, false);
      train_threshold_ = kDefaultTrainThreshold;
      if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(index_.get())) {
        train_threshold_ = std::max<size_t>(1024, ivf->nlist * kTrainPointsPerCentroid);
      }
    }
  }

  Status Add(std::span<const uint64_t> ids, std::span<const float> vectors) override {
    ENGRAM_RETURN_IF_ERROR(ValidateVectors(vectors, ids.size(), dim_, "vector index Add"));
    if (pending_) {
      ENGRAM_RETURN_IF_ERROR(pending_->Add(ids, vectors));
      if (pending_->size() >= train_threshold_) return TrainFromPending();
      return Status::OK();
    }
    ENGRAM_RETURN_IF_ERROR(AddToFaiss(ids, vectors.data()));
    return MaybeCompact();
  }

  Status Remove(std::span<const uint64_t> ids) override {
    if (pending_) return pending_->Remove(ids);
    for (uint64_t id : ids) RemoveId(id);
    return MaybeCompact();
  }

  size_t size() const override { return pending_ ? pending_->size() : id_to_label_.size(); }

  Result<std::vector<VectorHit>> Search(std::span<const float> query, size_t k,
                                        const VectorFilter& filter) const override {
    ENGRAM_RETURN_IF_ERROR(CheckQuery(query));
    if (pending_) return pending_->Search(query, k, filter);
    const size_t want = std::min(k, id_to_label_.size());
    if (want == 0) return std::vector<VectorHit>{};
    const size_t ntotal = label_to_id_.size();
    // Without tombstones or a filter every FAISS hit survives.
    size_t fetch = (dead_count_ == 0 && !filter) ? want : std::min(ntotal, 2 * want + 16);
    try {
      OmpSingleThreadScope single_thread;
      std::vector<float> distances;
      std::vector<faiss::Index::idx_t> labels;
      std::vector<VectorHit> hits;
      while (true) {
        distances.resize(fetch);
        labels.resize(fetch);
        if (hnsw_storage_ != nullptr) {
          const size_t ef = std::max<size_t>(hnsw_->hnsw.efSearch, fetch);
          SearchGraph(query.data(), fetch, ef, distances.data(), labels.data());
        } else {
          index_->search(1, query.data(), static_cast<faiss::Index::idx_t>(fetch),
                         distances.data(), labels.data());
        }
        hits.clear();
        bool exhausted = false;
        for (size_t j = 0; j < fetch && hits.size() < want; ++j) {
          const faiss::Index::idx_t label = labels[j];
          if (label < 0) {
            // A graph search pads with -1 when its beam held fewer live
            // nodes than asked; only a wider search can tell it is done.
            exhausted = hnsw_storage_ == nullptr;
            break;
          }
          if (dead_[label]) continue;
          const uint64_t id = label_to_id_[label];
          if (!filter || filter(id)) hits.push_back({id, distances[j]});
          if (auto shared = shared_ids_.find(static_cast<size_t>(label)); shared != shared_ids_.end()) {
            for (uint64_t other : shared->second) {
              if (hits.size() >= want) break;
              if (!filter || filter(other)) hits.push_back({other, distances[j]});
            }
          }
        }
        if (hits.size() >= want || exhausted || fetch >= ntotal) return hits;
        fetch = std::min(ntotal, fetch * 4);
      }
    } catch (const std::exception& e) {
      return Status::Internal("FAISS search on '" + description_ + "' failed: " + e.what());
    }
  }

  // Index states: untrained (the exact scan), trained, and trained with ids
  // that share a node (their pairs follow).
  enum PayloadState : uint8_t { kUntrained = 0, kTrained = 1, kTrainedShared = 2 };

  Status SavePayload(ByteWriter& w) const override {
    if (pending_) {
      w.Put<uint8_t>(kUntrained);
      w.Put<uint64_t>(train_threshold_);
      return pending_->SavePayload(w);
    }
    w.Put<uint8_t>(shared_ids_.empty() ? kTrained : kTrainedShared);
    ENGRAM_RETURN_IF_ERROR(SaveTrained(w));
    if (!shared_ids_.empty()) PutSharedPairs(w, SharedPairs());
    return Status::OK();
  }

  Status LoadPayload(ByteReader& r) override {
    uint8_t trained = 0;
    if (!r.Get(&trained)) return Truncated("index state");
    if (trained == kUntrained) {
      if (!pending_) return Status::Corruption("vector index snapshot: untrained state for a trained index type");
      if (!r.Get(&train_threshold_)) return Truncated("training threshold");
      return pending_->LoadPayload(r);
    }
    if (trained != kTrained && trained != kTrainedShared) {
      return Status::Corruption("vector index snapshot: bad index state " + std::to_string(trained));
    }
    ENGRAM_RETURN_IF_ERROR(LoadTrained(r));
    std::vector<std::pair<uint64_t, uint64_t>> shared;
    if (trained == kTrainedShared) ENGRAM_RETURN_IF_ERROR(GetSharedPairs(r, &shared, Truncated));
    return IndexLiveRows(shared, "vector index snapshot");
  }

  size_t MemoryBytes() const override {
    size_t bytes = CapacityBytes(label_to_id_) + CapacityBytes(dead_) + HashMapBytes(id_to_label_) +
                   HashMapBytes(shared_ids_) + HashMapBytes(live_by_content_);
    for (const auto& [label, ids] : shared_ids_) bytes += CapacityBytes(ids);
    if (pending_) bytes += pending_->MemoryBytes();
    if (hnsw_storage_ != nullptr) {
      const faiss::HNSW& graph = hnsw_->hnsw;
      bytes += hnsw_storage_->MemoryBytes() + CapacityBytes(graph.levels) + CapacityBytes(graph.offsets) +
               CapacityBytes(graph.neighbors) + CapacityBytes(graph.assign_probas) +
               CapacityBytes(graph.cum_nneighbor_per_level);
    } else if (index_) {
      bytes += FaissHeapBytes(*index_);
    }
    return bytes;
  }

  // Structure kinds: the exact-scan buffer before training, a FAISS index
  // with its codes (types whose codes cannot be recomputed from vectors),
  // or engram's HNSW<M> graph without vectors.
  // A graph with ids that share a node has their pairs after it.
  enum StructureKind : uint8_t {
    kPendingStructure = 0,
    kFaissStructure = 1,
    kGraphStructure = 2,
    kGraphSharedStructure = 3
  };

  Status SaveStructure(ByteWriter& w) const override {
    if (pending_) {
      w.Put<uint8_t>(kPendingStructure);
      w.Put<uint64_t>(train_threshold_);
      return pending_->SaveStructure(w);
    }
    if (hnsw_storage_ == nullptr) {
      w.Put<uint8_t>(kFaissStructure);
      return SaveTrained(w);
    }
    w.Put<uint8_t>(shared_ids_.empty() ? kGraphStructure : kGraphSharedStructure);
    ENGRAM_RETURN_IF_ERROR(SaveGraph(w));
    if (!shared_ids_.empty()) PutSharedPairs(w, SharedPairs());
    return Status::OK();
  }

  Status RestoreStructure(ByteReader& r, std::span<const std::string_view> deltas,
                          const VectorLookup& lookup) override {
    uint8_t kind = 0;
    if (!r.Get(&kind)) return StructureTruncated("index state");
    if (!deltas.empty() && kind != kGraphStructure && kind != kGraphSharedStructure) {
      return Status::Corruption("vector index structure: deltas for an index without a graph");
    }
    switch (kind) {
      case kPendingStructure:
        if (!pending_) return Status::Corruption("vector index structure: untrained state for a trained index type");
        if (!r.Get(&train_threshold_)) return StructureTruncated("training threshold");
        return pending_->RestoreStructure(r, {}, lookup);
      case kFaissStructure:
        if (spec_.hnsw_m > 0) return Status::Corruption("vector index structure: HNSW without its graph");
        return LoadTrained(r);
      case kGraphStructure:
      case kGraphSharedStructure: {
        if (spec_.hnsw_m == 0) return Status::Corruption("vector index structure: a graph for a non-HNSW type");
        return RestoreGraph(r, kind == kGraphSharedStructure, deltas, lookup);
      }
      default:
        return Status::Corruption("vector index structure: unknown index state " + std::to_string(kind));
    }
  }

 private:
  Status SaveTrained(ByteWriter& w) const {
    w.Put<uint64_t>(label_to_id_.size());
    w.PutBytes(label_to_id_.data(), label_to_id_.size() * sizeof(uint64_t));
    w.PutBytes(dead_.data(), dead_.size());
    faiss::VectorIOWriter faiss_bytes;
    faiss::write_index(index_.get(), &faiss_bytes);
    w.Put<uint64_t>(faiss_bytes.data.size());
    w.PutBytes(faiss_bytes.data.data(), faiss_bytes.data.size());
    return Status::OK();
  }

  Status LoadTrained(ByteReader& r) {
    uint64_t n = 0;
    if (!r.Get(&n)) return Truncated("label count");
    if (n > r.remaining() / (sizeof(uint64_t) + 1)) return Truncated("labels");
    label_to_id_.resize(n);
    dead_.resize(n);
    if (!r.GetBytes(label_to_id_.data(), n * sizeof(uint64_t))) return Truncated("labels");
    if (!r.GetBytes(dead_.data(), n)) return Truncated("tombstones");
    uint64_t faiss_size = 0;
    if (!r.Get(&faiss_size) || faiss_size > r.remaining()) return Truncated("FAISS index");
    faiss::VectorIOReader faiss_bytes;
    faiss_bytes.data.resize(faiss_size);
    if (!r.GetBytes(faiss_bytes.data.data(), faiss_size)) return Truncated("FAISS index");
    std::unique_ptr<faiss::Index> index;
    try {
      index.reset(faiss::read_index(&faiss_bytes));
    } catch (const std::exception& e) {
      return Status::Corruption(std::string("vector index snapshot: FAISS index unreadable: ") + e.what());
    }
    if (static_cast<uint64_t>(index->ntotal) != n || index->d != static_cast<int>(dim_)) {
      return Status::Corruption("vector index snapshot: FAISS index has " +
                                std::to_string(index->ntotal) + " vectors of dimension " +
                                std::to_string(index->d) + ", labels say " + std::to_string(n) +
                                " of " + std::to_string(dim_));
    }
    if (spec_.hnsw_m > 0) {
      auto* hnsw = dynamic_cast<faiss::IndexHNSWFlat*>(index.get());
      if (hnsw == nullptr) return Status::Corruption("vector index snapshot: expected an HNSW index");
      UseInt8Storage(*hnsw);
    }
    ApplyParameters(*index);
    Init(std::move(index));
    pending_.reset();
    id_to_label_.clear();
    dead_count_ = 0;
    for (size_t label = 0; label < n; ++label) {
      if (dead_[label] > 1) return Status::Corruption("vector index snapshot: bad tombstone byte");
      if (dead_[label]) {
        ++dead_count_;
      } else if (!id_to_label_.emplace(label_to_id_[label], label).second) {
        return Status::Corruption("vector index snapshot: id " + std::to_string(label_to_id_[label]) +
                                  " is live twice");
      }
    }
    return Status::OK();
  }

  // Labels, tombstones, the int8 codes of tombstoned nodes (the caller no
  // longer holds their vectors, and the graph still walks through them) and
  // FAISS's graph arrays.
  Status SaveGraph(ByteWriter& w) const {
    const faiss::HNSW& graph = hnsw_->hnsw;
    const Int8FlatIP& store = *hnsw_storage_;
    const size_t n = label_to_id_.size();
    if (graph.levels.size() != n || graph.offsets.size() != n + 1 || static_cast<size_t>(store.ntotal) != n) {
      return Status::Internal("HNSW graph of " + std::to_string(graph.levels.size()) + " nodes for " +
                              std::to_string(n) + " labels");
    }
    w.Put<uint64_t>(n);
    w.PutBytes(label_to_id_.data(), n * sizeof(uint64_t));
    w.PutBytes(dead_.data(), n);
    for (size_t label = 0; label < n; ++label) {
      if (!dead_[label]) continue;
      w.Put<float>(store.scales()[label]);
      w.PutBytes(store.int8_codes() + label * store.stride(), store.stride());
    }
    w.PutBytes(graph.levels.data(), n * sizeof(int32_t));
    w.PutBytes(graph.offsets.data(), (n + 1) * sizeof(uint64_t));
    w.Put<uint64_t>(graph.neighbors.size());
    w.PutBytes(graph.neighbors.data(), graph.neighbors.size() * sizeof(int32_t));
    PutGraphTail(w, graph);
    return Status::OK();
  }

  // A graph's parts as read from a structure and its deltas, before they
  // become the index (FAISS's arrays are read into `graph` directly).
  struct GraphParts {
    std::vector<uint64_t> label_to_id;
    std::vector<uint8_t> dead;
    struct DeadCode {
      float scale = 0;
      std::vector<int8_t> code;
    };
    std::map<size_t, DeadCode> dead_codes;  // by label, tombstoned nodes only
    std::map<size_t, std::vector<uint64_t>> shared;  // by label: the other ids sharing it
  };

  Status RestoreGraph(ByteReader& r, bool with_shared, std::span<const std::string_view> deltas,
                      const VectorLookup& lookup) {
    static_assert(sizeof(faiss::HNSW::storage_idx_t) == sizeof(int32_t));
    static_assert(sizeof(size_t) == sizeof(uint64_t));
    const size_t stride = kernels::Int8Stride(dim_);
    uint64_t n = 0;
    if (!r.Get(&n)) return StructureTruncated("label count");
    if (n >= static_cast<uint64_t>(std::numeric_limits<int32_t>::max()) ||
        n > r.remaining() / (sizeof(uint64_t) + 1 + sizeof(int32_t) + sizeof(uint64_t))) {
      return StructureTruncated("labels");
    }
    GraphParts parts;
    parts.label_to_id.resize(n);
    parts.dead.resize(n);
    if (!r.GetBytes(parts.label_to_id.data(), n * sizeof(uint64_t))) return StructureTruncated("labels");
    if (!r.GetBytes(parts.dead.data(), n)) return StructureTruncated("tombstones");
    size_t dead_count = 0;
    for (size_t label = 0; label < n; ++label) {
      if (parts.dead[label] > 1) return Status::Corruption("vector index structure: bad tombstone byte");
      dead_count += parts.dead[label];
    }
    if (dead_count > r.remaining() / (sizeof(float) + stride)) return StructureTruncated("tombstoned codes");
    for (size_t label = 0; label < n; ++label) {
      if (!parts.dead[label]) continue;
      GraphParts::DeadCode& dead = parts.dead_codes[label];
      dead.code.resize(stride);
      if (!r.Get(&dead.scale) || !r.GetBytes(dead.code.data(), stride)) return StructureTruncated("tombstoned codes");
      if (!std::isfinite(dead.scale)) return Status::Corruption("vector index structure: bad code scale");
    }

    auto fresh = MakeIndex();
    if (!fresh.ok()) return fresh.status();
    auto* hnsw = dynamic_cast<faiss::IndexHNSWFlat*>(fresh->get());
    auto* storage = hnsw ? dynamic_cast<Int8FlatIP*>(hnsw->storage) : nullptr;
    if (storage == nullptr) return Status::Internal("HNSW index without int8 storage");
    faiss::HNSW& graph = hnsw->hnsw;
    graph.levels.resize(n);
    graph.offsets.resize(n + 1);
    if (!r.GetBytes(graph.levels.data(), n * sizeof(int32_t))) return StructureTruncated("graph levels");
    if (!r.GetBytes(graph.offsets.data(), (n + 1) * sizeof(uint64_t))) return StructureTruncated("graph offsets");
    uint64_t neighbor_count = 0;
    if (!r.Get(&neighbor_count) || neighbor_count > r.remaining() / sizeof(int32_t)) {
      return StructureTruncated("graph neighbours");
    }
    graph.neighbors.resize(neighbor_count);
    if (!r.GetBytes(graph.neighbors.data(), neighbor_count * sizeof(int32_t))) {
      return StructureTruncated("graph neighbours");
    }
    ENGRAM_RETURN_IF_ERROR(GetGraphTail(r, graph, StructureTruncated));
    if (with_shared) {
      std::vector<std::pair<uint64_t, uint64_t>> pairs;
      ENGRAM_RETURN_IF_ERROR(GetSharedPairs(r, &pairs, StructureTruncated));
      for (const auto& [label, id] : pairs) parts.shared[static_cast<size_t>(label)].push_back(id);
    }
    // Offsets must follow the levels before a delta extends them.
    if (!deltas.empty()) ENGRAM_RETURN_IF_ERROR(ValidateGraph(graph, n));
    for (size_t d = 0; d < deltas.size(); ++d) {
      Status applied = ApplyGraphDelta(deltas[d], graph, parts);
      if (!applied.ok()) return applied.WithContext("vector index structure delta " + std::to_string(d + 1));
    }
    n = parts.label_to_id.size();
    ENGRAM_RETURN_IF_ERROR(ValidateGraph(graph, n));

    std::unordered_map<uint64_t, size_t> id_to_label;
    id_to_label.reserve(n);
    dead_count = 0;
    for (size_t label = 0; label < n; ++label) {
      if (parts.dead[label]) {
        ++dead_count;
      } else if (!id_to_label.emplace(parts.label_to_id[label], label).second) {
        return Status::Corruption("vector index structure: id " + std::to_string(parts.label_to_id[label]) +
                                  " is live twice");
      }
    }

    // fp32 rows: live ones from the caller, runs of consecutive labels per
    // lookup batch; tombstoned ones from their saved codes (never re-scored,
    // kept only so the rows stay defined).
    const std::vector<uint8_t>& dead = parts.dead;
    storage->codes.resize(n * dim_ * sizeof(float));
    float* xb = storage->get_xb();
    for (size_t start = 0; start < n;) {
      size_t end = start;
      while (end < n && dead[end] == dead[start]) ++end;
      if (!dead[start]) {
        ENGRAM_RETURN_IF_ERROR(FillFromLookup(lookup, std::span(parts.label_to_id).subspan(start, end - start),
                                              xb + start * dim_, dim_));
      }
      start = end;
    }
    for (const auto& [label, code] : parts.dead_codes) {
      for (size_t j = 0; j < dim_; ++j) xb[label * dim_ + j] = code.code[j] * code.scale;
    }
    storage->ntotal = static_cast<faiss::Index::idx_t>(n);
    storage->QuantizeFrom(0);
    for (const auto& [label, code] : parts.dead_codes) storage->SetCode(label, code.code.data(), code.scale);
    hnsw->ntotal = static_cast<faiss::Index::idx_t>(n);

    Init(std::move(fresh).value());
    label_to_id_ = std::move(parts.label_to_id);
    dead_ = std::move(parts.dead);
    id_to_label_ = std::move(id_to_label);
    dead_count_ = dead_count;
    std::vector<std::pair<uint64_t, uint64_t>> shared;
    for (const auto& [label, ids] : parts.shared) {
      for (uint64_t id : ids) shared.emplace_back(label, id);
    }
    return IndexLiveRows(shared, "vector index structure");
  }

  // The entry point and the level generator, after the neighbour lists.
  static void PutGraphTail(ByteWriter& w, const faiss::HNSW& graph) {
    w.Put<int32_t>(graph.entry_point);
    w.Put<int32_t>(graph.max_level);
    // The level generator, so nodes added after Restore get the levels they
    // would have had in the saved index.
    std::ostringstream rng;
    rng << graph.rng.mt;
    w.PutString(rng.str());
  }

  static Status GetGraphTail(ByteReader& r, faiss::HNSW& graph, Status (*truncated)(std::string_view)) {
    if (!r.Get(&graph.entry_point) || !r.Get(&graph.max_level)) return truncated("graph entry point");
    std::string_view rng_state;
    if (!r.GetString(&rng_state)) return truncated("graph level generator");
    std::istringstream rng{std::string(rng_state)};
    rng >> graph.rng.mt;
    if (rng.fail()) return Status::Corruption("vector index structure: graph level generator unreadable");
    return Status::OK();
  }

  // A node's hash for the digest: its id, tombstone, level, neighbour lists
  // and the ids sharing it.
  uint64_t NodeHash(size_t label) const {
    const faiss::HNSW& graph = hnsw_->hnsw;
    uint64_t h = 0x9E3779B97F4A7C15ull;
    auto mix = [&h](uint64_t v) {
      h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
      h *= 0xFF51AFD7ED558CCDull;
    };
    mix(label_to_id_[label]);
    mix(uint64_t{dead_[label]} << 32 | static_cast<uint32_t>(graph.levels[label]));
    const int32_t* nb = graph.neighbors.data() + graph.offsets[label];
    const size_t count = graph.offsets[label + 1] - graph.offsets[label];
    size_t j = 0;
    for (; j + 1 < count; j += 2) {
      mix(static_cast<uint64_t>(static_cast<uint32_t>(nb[j])) << 32 | static_cast<uint32_t>(nb[j + 1]));
    }
    if (j < count) mix(static_cast<uint32_t>(nb[j]));
    if (auto shared = shared_ids_.find(label); shared != shared_ids_.end()) {
      for (uint64_t id : shared->second) mix(id);
    }
    return h;
  }

  std::shared_ptr<const StructureDigest> DigestStructure() const override {
    if (pending_ || hnsw_storage_ == nullptr) return nullptr;
    auto digest = std::make_shared<StructureDigest>();
    digest->nodes.resize(label_to_id_.size());
    for (size_t label = 0; label < digest->nodes.size(); ++label) digest->nodes[label] = NodeHash(label);
    return digest;
  }

  // Delta body: the node count it follows and the one it makes, then each
  // added or changed node (label, id, tombstone, level, the int8 code of a
  // tombstoned one, its neighbour lists, the ids sharing it), labels
  // ascending, then the graph's entry point and level generator.
  Status SaveStructureDelta(ByteWriter& w, const StructureDigest& since,
                            std::shared_ptr<const StructureDigest>* now) const override {
    if (pending_ || hnsw_storage_ == nullptr) {
      return Status::FailedPrecondition("vector index '" + description_ + "' holds no graph");
    }
    const faiss::HNSW& graph = hnsw_->hnsw;
    const Int8FlatIP& store = *hnsw_storage_;
    const size_t n = label_to_id_.size(), n_old = since.nodes.size();
    if (n_old > n) {
      return Status::FailedPrecondition("the graph holds " + std::to_string(n) + " nodes, fewer than the " +
                                        std::to_string(n_old) + " it is compared with (it was rebuilt)");
    }
    auto digest = std::make_shared<StructureDigest>();
    digest->nodes.resize(n);
    std::vector<size_t> changed;
    for (size_t label = 0; label < n; ++label) {
      digest->nodes[label] = NodeHash(label);
      if (label >= n_old || digest->nodes[label] != since.nodes[label]) changed.push_back(label);
    }
    w.Put<uint64_t>(n_old);
    w.Put<uint64_t>(n);
    w.Put<uint64_t>(changed.size());
    for (size_t label : changed) {
      w.Put<uint64_t>(label);
      w.Put<uint64_t>(label_to_id_[label]);
      w.Put<uint8_t>(dead_[label]);
      w.Put<int32_t>(graph.levels[label]);
      if (dead_[label]) {
        w.Put<float>(store.scales()[label]);
        w.PutBytes(store.int8_codes() + label * store.stride(), store.stride());
      }
      w.PutBytes(graph.neighbors.data() + graph.offsets[label],
                 (graph.offsets[label + 1] - graph.offsets[label]) * sizeof(int32_t));
      auto shared = shared_ids_.find(label);
      const size_t sharing = shared == shared_ids_.end() ? 0 : shared->second.size();
      w.Put<uint64_t>(sharing);
      if (sharing > 0) w.PutBytes(shared->second.data(), sharing * sizeof(uint64_t));
    }
    PutGraphTail(w, graph);
    *now = std::move(digest);
    return Status::OK();
  }

  // Applies one delta body to parts read so far (their offsets consistent
  // with their levels).
  Status ApplyGraphDelta(std::string_view body, faiss::HNSW& graph, GraphParts& parts) const {
    auto truncated = [](std::string_view what) {
      return Status::Corruption("vector index structure delta truncated in " + std::string(what));
    };
    auto bad = [](const std::string& what) { return Status::Corruption("vector index structure delta: " + what); };
    const size_t stride = kernels::Int8Stride(dim_);
    const int max_levels = static_cast<int>(graph.cum_nneighbor_per_level.size()) - 1;
    ByteReader r(body);
    uint64_t n_old = 0, n_new = 0, records = 0;
    if (!r.Get(&n_old) || !r.Get(&n_new) || !r.Get(&records)) return truncated("node counts");
    if (n_old != parts.label_to_id.size()) {
      return bad("it follows a graph of " + std::to_string(n_old) + " nodes, not " +
                 std::to_string(parts.label_to_id.size()));
    }
    if (n_new < n_old || n_new >= static_cast<uint64_t>(std::numeric_limits<int32_t>::max()) ||
        records > n_new || n_new - n_old > records) {
      return bad("bad node counts");
    }
    parts.label_to_id.resize(n_new);
    parts.dead.resize(n_new);
    graph.levels.resize(n_new);
    graph.offsets.resize(n_new + 1);
    uint64_t previous = 0;
    for (uint64_t k = 0; k < records; ++k) {
      uint64_t label = 0, id = 0;
      uint8_t dead = 0;
      int32_t level = 0;
      if (!r.Get(&label) || !r.Get(&id) || !r.Get(&dead) || !r.Get(&level)) return truncated("nodes");
      if (label >= n_new || (k > 0 && label <= previous) || dead > 1 || level < 1 || level > max_levels) {
        return bad("bad node record " + std::to_string(k));
      }
      // Every added node is in the delta, in order.
      if (label >= n_old && label != n_old + (k - (records - (n_new - n_old)))) {
        return bad("added node " + std::to_string(label) + " out of order");
      }
      previous = label;
      if (label < n_old && graph.levels[label] != level) {
        return bad("node " + std::to_string(label) + " changed level");
      }
      parts.label_to_id[label] = id;
      parts.dead[label] = dead;
      parts.dead_codes.erase(label);
      if (dead) {
        GraphParts::DeadCode& code = parts.dead_codes[label];
        code.code.resize(stride);
        if (!r.Get(&code.scale) || !r.GetBytes(code.code.data(), stride)) return truncated("tombstoned codes");
        if (!std::isfinite(code.scale)) return bad("bad code scale");
      }
      const size_t slots = static_cast<size_t>(graph.cum_nb_neighbors(level));
      if (label >= n_old) {
        graph.levels[label] = level;
        graph.offsets[label + 1] = graph.offsets[label] + slots;
        graph.neighbors.resize(graph.offsets[label + 1]);
      }
      if (!r.GetBytes(graph.neighbors.data() + graph.offsets[label], slots * sizeof(int32_t))) {
        return truncated("neighbour lists");
      }
      uint64_t sharing = 0;
      if (!r.Get(&sharing) || sharing > r.remaining() / sizeof(uint64_t)) return truncated("shared ids");
      if (sharing == 0) {
        parts.shared.erase(label);
      } else {
        std::vector<uint64_t>& ids = parts.shared[label];
        ids.resize(sharing);
        if (!r.GetBytes(ids.data(), sharing * sizeof(uint64_t))) return truncated("shared ids");
      }
    }
    ENGRAM_RETURN_IF_ERROR(GetGraphTail(r, graph, truncated));
    if (r.remaining() != 0) return bad(std::to_string(r.remaining()) + " trailing bytes");
    return Status::OK();
  }

  // A saved graph must be one SearchGraph and FAISS's insertion can walk
  // without reading out of bounds: levels in range, each node's neighbour
  // block where its level says, neighbours that exist on the layer they are
  // listed on, and the entry point on the top layer.
  static Status ValidateGraph(const faiss::HNSW& graph, size_t n) {
    auto bad = [](const std::string& what) { return Status::Corruption("vector index structure: " + what); };
    const int max_levels = static_cast<int>(graph.cum_nneighbor_per_level.size()) - 1;
    if (graph.offsets[0] != 0) return bad("graph offsets do not start at 0");
    int top = 0;
    for (size_t i = 0; i < n; ++i) {
      const int level = graph.levels[i];
      if (level < 1 || level > max_levels) {
        return bad("node " + std::to_string(i) + " has level " + std::to_string(level) + ", not in [1, " +
                   std::to_string(max_levels) + "]");
      }
      top = std::max(top, level);
      if (graph.offsets[i + 1] != graph.offsets[i] + static_cast<size_t>(graph.cum_nb_neighbors(level))) {
        return bad("graph offsets of node " + std::to_string(i) + " do not match its level");
      }
    }
    if (graph.offsets[n] != graph.neighbors.size()) {
      return bad("graph offsets end at " + std::to_string(graph.offsets[n]) + ", neighbour lists hold " +
                 std::to_string(graph.neighbors.size()));
    }
    for (size_t i = 0; i < n; ++i) {
      for (int level = 0; level < graph.levels[i]; ++level) {
        size_t begin = 0, end = 0;
        graph.neighbor_range(static_cast<faiss::HNSW::storage_idx_t>(i), level, &begin, &end);
        for (size_t j = begin; j < end; ++j) {
          const int32_t v = graph.neighbors[j];
          if (v == -1) continue;
          if (v < 0 || static_cast<size_t>(v) >= n || graph.levels[v] <= level) {
            return bad("node " + std::to_string(i) + " lists neighbour " + std::to_string(v) + " on layer " +
                       std::to_string(level));
          }
        }
      }
    }
    if (n == 0) {
      if (graph.entry_point != -1 || graph.max_level != -1) return bad("entry point in an empty graph");
    } else if (graph.entry_point < 0 || static_cast<size_t>(graph.entry_point) >= n ||
               graph.max_level != top - 1 || graph.levels[graph.entry_point] != top) {
      return bad("graph entry point " + std::to_string(graph.entry_point) + " at level " +
                 std::to_string(graph.max_level) + " is not on the top layer");
    }
    return Status::OK();
  }

  // Search-time and build-time settings from the description.
  void ApplyParameters(faiss::Index& index) const {
    if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(&index)) {
      if (spec_.ef_search > 0) hnsw->hnsw.efSearch = spec_.ef_search;
      if (spec_.ef_construction > 0) hnsw->hnsw.efConstruction = spec_.ef_construction;
    }
    if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(&index)) {
      if (spec_.nprobe > 0) ivf->nprobe = spec_.nprobe;
    }
  }

  // HNSW search over FAISS's graph with int8 distances: greedy descent
  // through the upper layers, a beam of width `ef` on layer 0, then the best
  // candidates re-scored in fp32. Writes the best `fetch` labels with their
  // fp32 scores, best first, padding with label -1.
  void SearchGraph(const float* query, size_t fetch, size_t ef, float* scores,
                   faiss::Index::idx_t* labels) const {
    const faiss::HNSW& graph = hnsw_->hnsw;
    const Int8FlatIP& store = *hnsw_storage_;
    const kernels::DistanceKernels& kern = store.kernels();
    const size_t stride = store.stride();
    const int8_t* codes = store.int8_codes();
    const float* code_scales = store.scales();
    const size_t ntotal = static_cast<size_t>(store.ntotal);
    std::fill(labels, labels + fetch, -1);
    std::fill(scores, scores + fetch, -std::numeric_limits<float>::infinity());
    if (ntotal == 0 || graph.entry_point < 0) return;

    thread_local AlignedVector<int8_t> qcode;
    qcode.resize(stride);
    const float qscale = kernels::QuantizeInt8(query, dim_, qcode.data());
    thread_local std::vector<int32_t> batch;
    thread_local std::vector<int32_t> dots;
    auto score_batch = [&]() {
      dots.resize(batch.size());
      kern.dot_i8_gather(qcode.data(), codes, stride, batch.data(), batch.size(), dots.data());
    };
    auto approx = [&](size_t i) { return static_cast<float>(dots[i]) * code_scales[batch[i]] * qscale; };

    // Upper layers: move to the best neighbour until none is better.
    int32_t current = graph.entry_point;
    batch.assign(1, current);
    score_batch();
    float current_score = approx(0);
    for (int level = graph.max_level; level >= 1; --level) {
      for (bool moved = true; moved;) {
        moved = false;
        size_t begin = 0, end = 0;
        graph.neighbor_range(current, level, &begin, &end);
        batch.clear();
        for (size_t j = begin; j < end && graph.neighbors[j] >= 0; ++j) batch.push_back(graph.neighbors[j]);
        score_batch();
        for (size_t i = 0; i < batch.size(); ++i) {
          const float s = approx(i);
          if (s > current_score) {
            current_score = s;
            current = batch[i];
            moved = true;
          }
        }
      }
    }

    // Layer 0: best-first beam search. `frontier` pops the best unexpanded
    // node; `beam` keeps the ef best seen with the worst on top.
    using Scored = std::pair<float, int32_t>;
    struct Worse {
      bool operator()(const Scored& a, const Scored& b) const { return a.first > b.first; }
    };
    std::priority_queue<Scored> frontier;
    std::priority_queue<Scored, std::vector<Scored>, Worse> beam;
    VisitedMarks& visited = VisitedMarks::ForThisThread(ntotal);
    visited.Visit(current);
    frontier.emplace(current_score, current);
    beam.emplace(current_score, current);
    while (!frontier.empty()) {
      const auto [score, node] = frontier.top();
      if (beam.size() >= ef && score < beam.top().first) break;
      frontier.pop();
      size_t begin = 0, end = 0;
      graph.neighbor_range(node, 0, &begin, &end);
      batch.clear();
      for (size_t j = begin; j < end; ++j) {
        const int32_t v = graph.neighbors[j];
        if (v < 0) break;
        if (visited.Visit(v)) batch.push_back(v);
      }
      if (batch.empty()) continue;
      score_batch();
      for (size_t i = 0; i < batch.size(); ++i) {
        const float s = approx(i);
        if (beam.size() < ef || s > beam.top().first) {
          frontier.emplace(s, batch[i]);
          beam.emplace(s, batch[i]);
          if (beam.size() > ef) beam.pop();
        }
      }
    }

    // Re-score the best live candidates in fp32. int8 scores are close but
    // can swap near-ties, so keep several times more than will be returned.
    // Tombstoned nodes are walked through but never re-scored: their fp32
    // rows are not kept by a restored index (SerializeStructure).
    std::vector<Scored> candidates;
    candidates.reserve(beam.size());
    while (!beam.empty()) {
      if (!dead_[beam.top().second]) candidates.push_back(beam.top());
      beam.pop();
    }
    std::reverse(candidates.begin(), candidates.end());  // best first
    const size_t rerank = std::min(candidates.size(), std::max(fetch * kRerankFactor, kRerankMin));
    candidates.resize(rerank);
    const float* xb = store.get_xb();
    for (const Scored& c : candidates) {
      __builtin_prefetch(xb + static_cast<size_t>(c.second) * dim_);
    }
    for (Scored& c : candidates) c.first = kern.dot_f32(query, xb + static_cast<size_t>(c.second) * dim_, dim_);
    std::sort(candidates.begin(), candidates.end(), [](const Scored& a, const Scored& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    for (size_t i = 0; i < std::min(fetch, candidates.size()); ++i) {
      scores[i] = candidates[i].first;
      labels[i] = candidates[i].second;
    }
  }

  void MarkDead(size_t label) {
    if (!dead_[label]) {
      dead_[label] = 1;
      ++dead_count_;
    }
  }

  // Adds to FAISS (in engram's HNSW, only vectors equal to no live one; the
  // others join its node), then records labels. An id already live is
  // replaced.
  Status AddToFaiss(std::span<const uint64_t> ids, const float* vectors) {
    if (ids.empty()) return Status::OK();
    if (hnsw_storage_ == nullptr) return AddRows(ids, vectors);
    for (uint64_t id : ids) RemoveId(id);
    if (std::unordered_set<uint64_t>(ids.begin(), ids.end()).size() != ids.size()) {
      // The same id twice in one batch: the last vector wins, as it would
      // added one at a time.
      for (size_t i = 0; i < ids.size(); ++i) ENGRAM_RETURN_IF_ERROR(AddToFaiss(ids.subspan(i, 1), vectors + i * dim_));
      return Status::OK();
    }
    const size_t base = label_to_id_.size();
    std::vector<uint64_t> fresh_ids;
    std::vector<float> fresh_rows;
    std::vector<std::pair<uint64_t, size_t>> joining;  // (id, label of its equal vector)
    for (size_t i = 0; i < ids.size(); ++i) {
      const float* v = vectors + i * dim_;
      const uint64_t hash = RowHash(v);
      size_t equal = kNoLabel;
      for (auto [it, end] = live_by_content_.equal_range(hash); it != end && equal == kNoLabel; ++it) {
        const float* row = it->second < base ? hnsw_storage_->get_xb() + it->second * dim_
                                             : fresh_rows.data() + (it->second - base) * dim_;
        if (std::memcmp(row, v, dim_ * sizeof(float)) == 0) equal = it->second;
      }
      if (equal != kNoLabel) {
        joining.emplace_back(ids[i], equal);
        continue;
      }
      live_by_content_.emplace(hash, base + fresh_ids.size());
      fresh_ids.push_back(ids[i]);
      fresh_rows.insert(fresh_rows.end(), v, v + dim_);
    }
    Status added = AddRows(fresh_ids, fresh_rows.data());
    if (!added.ok()) {
      std::erase_if(live_by_content_, [&](const auto& entry) { return entry.second >= base; });
      return added;
    }
    for (const auto& [id, label] : joining) {
      id_to_label_[id] = label;
      shared_ids_[label].push_back(id);
    }
    return Status::OK();
  }

  // The hash of a row's bytes (equal rows, equal hashes).
  uint64_t RowHash(const float* row) const {
    return std::hash<std::string_view>{}(
        std::string_view(reinterpret_cast<const char*>(row), dim_ * sizeof(float)));
  }

  // Removes a live id: its node stays while other ids share it.
  void RemoveId(uint64_t id) {
    auto it = id_to_label_.find(id);
    if (it == id_to_label_.end()) return;
    const size_t label = it->second;
    id_to_label_.erase(it);
    if (auto shared = shared_ids_.find(label); shared != shared_ids_.end()) {
      std::vector<uint64_t>& others = shared->second;
      if (label_to_id_[label] == id) {
        label_to_id_[label] = others.back();
        others.pop_back();
      } else {
        others.erase(std::find(others.begin(), others.end(), id));
      }
      if (others.empty()) shared_ids_.erase(shared);
      return;
    }
    MarkDead(label);
    if (hnsw_storage_ != nullptr) {
      const uint64_t hash = RowHash(hnsw_storage_->get_xb() + label * dim_);
      for (auto [at, end] = live_by_content_.equal_range(hash); at != end; ++at) {
        if (at->second == label) {
          live_by_content_.erase(at);
          break;
        }
      }
    }
  }

  // Indexes the live rows by content (after a load) and checks the ids that
  // share a node.
  Status IndexLiveRows(const std::vector<std::pair<uint64_t, uint64_t>>& shared, const char* what) {
    live_by_content_.clear();
    shared_ids_.clear();
    if (hnsw_storage_ == nullptr) return Status::OK();
    const float* xb = hnsw_storage_->get_xb();
    for (size_t label = 0; label < label_to_id_.size(); ++label) {
      if (!dead_[label]) live_by_content_.emplace(RowHash(xb + label * dim_), label);
    }
    for (const auto& [label, id] : shared) {
      if (label >= label_to_id_.size() || dead_[label]) {
        return Status::Corruption(std::string(what) + ": an id shares node " + std::to_string(label) +
                                  ", which is not live");
      }
      if (!id_to_label_.emplace(id, static_cast<size_t>(label)).second) {
        return Status::Corruption(std::string(what) + ": id " + std::to_string(id) + " is live twice");
      }
      shared_ids_[static_cast<size_t>(label)].push_back(id);
    }
    return Status::OK();
  }

  // (label, id) for every id sharing a node, labels ascending.
  std::vector<std::pair<uint64_t, uint64_t>> SharedPairs() const {
    std::vector<std::pair<uint64_t, uint64_t>> pairs;
    for (const auto& [label, ids] : shared_ids_) {
      for (uint64_t id : ids) pairs.emplace_back(label, id);
    }
    std::sort(pairs.begin(), pairs.end());
    return pairs;
  }

  static void PutSharedPairs(ByteWriter& w, const std::vector<std::pair<uint64_t, uint64_t>>& pairs) {
    w.Put<uint64_t>(pairs.size());
    for (const auto& [label, id] : pairs) {
      w.Put<uint64_t>(label);
      w.Put<uint64_t>(id);
    }
  }

  // `truncated`: Truncated or StructureTruncated, for the caller's format.
  static Status GetSharedPairs(ByteReader& r, std::vector<std::pair<uint64_t, uint64_t>>* pairs,
                               Status (*truncated)(std::string_view)) {
    uint64_t n = 0;
    if (!r.Get(&n) || n > r.remaining() / (2 * sizeof(uint64_t))) return truncated("shared ids");
    pairs->resize(n);
    for (auto& [label, id] : *pairs) {
      if (!r.Get(&label) || !r.Get(&id)) return truncated("shared ids");
    }
    return Status::OK();
  }

  // Adds rows to FAISS in one call (HNSW inserts a batch with its OpenMP
  // threads), then records their labels.
  Status AddRows(std::span<const uint64_t> ids, const float* vectors) {
    if (ids.empty()) return Status::OK();
    const size_t base = label_to_id_.size();
    try {
      index_->add(static_cast<faiss::Index::idx_t>(ids.size()), vectors);
    } catch (const std::exception& e) {
      // Whatever FAISS managed to add is unreachable: tombstone it.
      while (label_to_id_.size() < static_cast<size_t>(index_->ntotal)) {
        label_to_id_.push_back(0);
        dead_.push_back(1);
        ++dead_count_;
      }
      return Status::Internal("FAISS add on '" + description_ + "' failed: " + e.what());
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      auto [it, inserted] = id_to_label_.try_emplace(ids[i], base + i);
      if (!inserted) {
        MarkDead(it->second);
        it->second = base + i;
      }
      label_to_id_.push_back(ids[i]);
      dead_.push_back(0);
    }
    return Status::OK();
  }

  Status TrainFromPending() {
    const std::span<const float> rows = pending_->rows();
    try {
      index_->train(static_cast<faiss::Index::idx_t>(pending_->size()), rows.data());
    } catch (const std::exception& e) {
      // Too few points for this index (e.g. PQ codebooks): keep scanning
      // exactly and try again with twice as many.
      train_threshold_ *= 2;
      return Status::OK();
    }
    std::unique_ptr<ScanIndex> pending = std::move(pending_);
    Status s = AddToFaiss(pending->ids(), pending->rows().data());
    if (!s.ok()) {
      pending_ = std::move(pending);  // still searchable exactly
      return s;
    }
    return Status::OK();
  }

  // Rebuilds HNSW from its live vectors once tombstones outnumber them;
  // other FAISS types cannot reconstruct their vectors exactly, so they keep
  // their tombstones.
  Status MaybeCompact() {
    if (spec_.hnsw_m == 0 || dead_count_ < kCompactMinDead || dead_count_ <= id_to_label_.size()) {
      return Status::OK();
    }
    auto* hnsw = dynamic_cast<faiss::IndexHNSWFlat*>(index_.get());
    const auto* storage = hnsw ? dynamic_cast<const faiss::IndexFlat*>(hnsw->storage) : nullptr;
    if (storage == nullptr) return Status::OK();
    std::vector<uint64_t> ids;
    std::vector<float> vectors;
    ids.reserve(id_to_label_.size());
    vectors.reserve(id_to_label_.size() * dim_);
    const float* xb = storage->get_xb();
    for (size_t label = 0; label < label_to_id_.size(); ++label) {
      if (dead_[label]) continue;
      ids.push_back(label_to_id_[label]);
      vectors.insert(vectors.end(), xb + label * dim_, xb + (label + 1) * dim_);
      if (auto shared = shared_ids_.find(label); shared != shared_ids_.end()) {
        for (uint64_t other : shared->second) {
          ids.push_back(other);
          vectors.insert(vectors.end(), xb + label * dim_, xb + (label + 1) * dim_);
        }
      }
    }
    auto fresh = MakeIndex();
    if (!fresh.ok()) return fresh.status();
    Init(std::move(fresh).value());
    label_to_id_.clear();
    dead_.clear();
    id_to_label_.clear();
    shared_ids_.clear();
    live_by_content_.clear();
    dead_count_ = 0;
    return AddToFaiss(ids, vectors.data());
  }

  const IndexSpec spec_;
  std::unique_ptr<faiss::Index> index_;
  faiss::IndexHNSW* hnsw_ = nullptr;  // index_ when it is an HNSW, else null
  const Int8FlatIP* hnsw_storage_ = nullptr;  // hnsw_'s storage when engram's HNSW<M>
  std::vector<uint64_t> label_to_id_;
  std::vector<uint8_t> dead_;  // per label: 1 = removed or replaced
  size_t dead_count_ = 0;
  std::unordered_map<uint64_t, size_t> id_to_label_;  // live ids only (shared ones too)
  // engram's HNSW only: per label, the ids beyond label_to_id_'s that share
  // its vector; and every live label by the hash of its row.
  std::unordered_map<size_t, std::vector<uint64_t>> shared_ids_;
  std::unordered_multimap<uint64_t, size_t> live_by_content_;
  static constexpr size_t kNoLabel = std::numeric_limits<size_t>::max();
  std::unique_ptr<ScanIndex> pending_;  // exact scan until index_ is trained
  uint64_t train_threshold_ = 0;
};

// ---------------------------------------------------------------------------
// "Auto": the exact scan while small, engram's HNSW from `threshold` on.
//
// Below the threshold a Flat scan is both exact and faster than a graph
// walk. When an Add brings the live count to the threshold, the HNSW graph
// is built once from the vectors held (one batch, on FAISS's OpenMP
// threads, inside that Add) and the scan is dropped; from then on vectors
// are inserted into the graph as they come. The graph persists with the
// index (Serialize and SerializeStructure), so loading never rebuilds it.
// Removals below the threshold do not switch back.

Result<std::unique_ptr<IndexBase>> CreateBase(std::string_view description, size_t dim);

class AutoIndex final : public IndexBase {
 public:
  AutoIndex(std::string description, size_t dim, const IndexSpec& spec)
      : IndexBase(std::move(description), dim),
        threshold_(static_cast<size_t>(spec.auto_threshold)),
        graph_description_("HNSW" + std::to_string(spec.hnsw_m) + ",efSearch=" + std::to_string(spec.ef_search) +
                           ",efConstruction=" + std::to_string(spec.ef_construction)),
        flat_(std::make_unique<ScanIndex>("Flat", dim, false)) {}

  Status Add(std::span<const uint64_t> ids, std::span<const float> vectors) override {
    ENGRAM_RETURN_IF_ERROR(active().Add(ids, vectors));
    if (graph_ == nullptr && flat_->size() >= threshold_) return SwitchToGraph();
    return Status::OK();
  }
  Status Remove(std::span<const uint64_t> ids) override { return active().Remove(ids); }
  size_t size() const override { return active().size(); }
  Result<std::vector<VectorHit>> Search(std::span<const float> query, size_t k,
                                        const VectorFilter& filter) const override {
    return active().Search(query, k, filter);
  }
  size_t MemoryBytes() const override { return active().MemoryBytes(); }

  // Both forms: one byte for the mode, then the active index's own form.
  Status SavePayload(ByteWriter& w) const override {
    w.Put<uint8_t>(graph_ ? kGraphMode : kScanMode);
    return active().SavePayload(w);
  }
  Status LoadPayload(ByteReader& r) override {
    ENGRAM_RETURN_IF_ERROR(LoadMode(r, "vector index snapshot"));
    return active().LoadPayload(r);
  }
  Status SaveStructure(ByteWriter& w) const override {
    w.Put<uint8_t>(graph_ ? kGraphMode : kScanMode);
    return active().SaveStructure(w);
  }
  Status RestoreStructure(ByteReader& r, std::span<const std::string_view> deltas,
                          const VectorLookup& lookup) override {
    ENGRAM_RETURN_IF_ERROR(LoadMode(r, "vector index structure"));
    return active().RestoreStructure(r, deltas, lookup);
  }
  std::shared_ptr<const StructureDigest> DigestStructure() const override {
    return graph_ ? graph_->DigestStructure() : nullptr;
  }
  Status SaveStructureDelta(ByteWriter& w, const StructureDigest& since,
                            std::shared_ptr<const StructureDigest>* now) const override {
    if (!graph_) return IndexBase::SaveStructureDelta(w, since, now);
    return graph_->SaveStructureDelta(w, since, now);
  }

 private:
  static constexpr uint8_t kScanMode = 0;
  static constexpr uint8_t kGraphMode = 1;

  IndexBase& active() const { return graph_ ? *graph_ : static_cast<IndexBase&>(*flat_); }

  Status LoadMode(ByteReader& r, std::string_view what) {
    uint8_t mode = 0;
    if (!r.Get(&mode)) return Status::Corruption(std::string(what) + " truncated in Auto mode");
    if (mode == kScanMode) return Status::OK();
    if (mode != kGraphMode) {
      return Status::Corruption(std::string(what) + ": unknown Auto mode " + std::to_string(mode));
    }
    auto graph = CreateBase(graph_description_, dim_);
    if (!graph.ok()) return graph.status();
    graph_ = std::move(graph).value();
    flat_.reset();
    return Status::OK();
  }

  // Builds the graph from every vector the scan holds; on failure the scan
  // stays (nothing is lost) and the switch is tried again on the next Add.
  Status SwitchToGraph() {
    auto graph = CreateBase(graph_description_, dim_);
    if (!graph.ok()) return graph.status();
    Status s = (*graph)->Add(flat_->ids(), flat_->rows());
    if (!s.ok()) {
      return s.WithContext("vector index '" + description_ + "' holds the vectors in its exact scan; building " +
                           graph_description_ + " from " + std::to_string(flat_->size()) + " vectors failed");
    }
    graph_ = std::move(graph).value();
    flat_.reset();
    return Status::OK();
  }

  const size_t threshold_;
  const std::string graph_description_;
  std::unique_ptr<ScanIndex> flat_;   // until the switch
  std::unique_ptr<IndexBase> graph_;  // after it: engram's HNSW<M>
};

Result<std::unique_ptr<IndexBase>> CreateBase(std::string_view description, size_t dim) {
  if (dim == 0 || dim > kMaxDim) {
    return Status::InvalidArgument("vector dimension " + std::to_string(dim) + " is not in [1, " +
                                   std::to_string(kMaxDim) + "]");
  }
  auto spec = ParseDescription(description);
  if (!spec.ok()) return spec.status();
  std::string name(Trim(description));
  if (name.empty()) name = "Flat";
  switch (spec->kind) {
    case IndexSpec::Kind::kFlat:
      return std::unique_ptr<IndexBase>(std::make_unique<ScanIndex>(name, dim, false));
    case IndexSpec::Kind::kInt8:
      return std::unique_ptr<IndexBase>(std::make_unique<ScanIndex>(name, dim, true));
    case IndexSpec::Kind::kAuto:
      return std::unique_ptr<IndexBase>(std::make_unique<AutoIndex>(name, dim, *spec));
    case IndexSpec::Kind::kFaiss:
      break;
  }
  auto index = std::make_unique<FaissIndex>(name, dim, std::move(spec).value());
  auto faiss_index = index->MakeIndex();
  if (!faiss_index.ok()) return faiss_index.status();
  index->Init(std::move(faiss_index).value());
  return std::unique_ptr<IndexBase>(std::move(index));
}

}  // namespace

VectorIndex::~VectorIndex() = default;

Result<std::unique_ptr<VectorIndex>> VectorIndex::Create(std::string_view description, size_t dim) {
  auto base = CreateBase(description, dim);
  if (!base.ok()) return base.status();
  return std::unique_ptr<VectorIndex>(std::move(base).value());
}

Result<std::unique_ptr<VectorIndex>> VectorIndex::Deserialize(std::string_view bytes) {
  ByteReader r(bytes);
  char magic[sizeof(kMagic)];
  if (!r.GetBytes(magic, sizeof(magic)) || std::memcmp(magic, kMagic, sizeof(kMagic)) != 0) {
    return Status::Corruption("not a vector index snapshot (bad magic)");
  }
  uint32_t version = 0;
  if (!r.Get(&version)) return Truncated("version");
  if (version != kFormatVersion) {
    return Status::NotSupported("vector index snapshot format version " + std::to_string(version) +
                                " (this build reads " + std::to_string(kFormatVersion) + ")");
  }
  std::string_view description;
  uint64_t dim = 0;
  if (!r.GetString(&description)) return Truncated("description");
  if (!r.Get(&dim)) return Truncated("dimension");
  auto base = CreateBase(description, dim);
  if (!base.ok()) return Status::Corruption("vector index snapshot: " + base.status().message());
  try {
    ENGRAM_RETURN_IF_ERROR((*base)->LoadPayload(r));
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("vector index snapshot unreadable: ") + e.what());
  }
  if (r.remaining() != 0) {
    return Status::Corruption("vector index snapshot has " + std::to_string(r.remaining()) +
                              " trailing bytes");
  }
  return std::unique_ptr<VectorIndex>(std::move(base).value());
}

Result<std::unique_ptr<VectorIndex>> VectorIndex::Restore(std::string_view structure,
                                                          const VectorLookup& lookup) {
  return Restore(structure, {}, lookup);
}

Result<std::unique_ptr<VectorIndex>> VectorIndex::Restore(std::string_view structure,
                                                          std::span<const std::string_view> deltas,
                                                          const VectorLookup& lookup) {
  if (!lookup) return Status::InvalidArgument("vector index restore needs a vector lookup");
  ByteReader r(structure);
  char magic[sizeof(kStructureMagic)];
  if (!r.GetBytes(magic, sizeof(magic)) || std::memcmp(magic, kStructureMagic, sizeof(kStructureMagic)) != 0) {
    return Status::Corruption("not a vector index structure (bad magic)");
  }
  uint32_t version = 0;
  if (!r.Get(&version)) return StructureTruncated("version");
  if (version != kStructureVersion) {
    return Status::NotSupported("vector index structure format version " + std::to_string(version) +
                                " (this build reads " + std::to_string(kStructureVersion) + ")");
  }
  std::string_view description;
  uint64_t dim = 0;
  if (!r.GetString(&description)) return StructureTruncated("description");
  if (!r.Get(&dim)) return StructureTruncated("dimension");
  auto base = CreateBase(description, dim);
  if (!base.ok()) return Status::Corruption("vector index structure: " + base.status().message());
  // Each delta's envelope names the same index; its body follows.
  std::vector<std::string_view> bodies;
  for (size_t d = 0; d < deltas.size(); ++d) {
    ByteReader dr(deltas[d]);
    const std::string which = "vector index structure delta " + std::to_string(d + 1);
    char delta_magic[sizeof(kDeltaMagic)];
    uint32_t delta_version = 0;
    std::string_view delta_description;
    uint64_t delta_dim = 0;
    if (!dr.GetBytes(delta_magic, sizeof(delta_magic)) ||
        std::memcmp(delta_magic, kDeltaMagic, sizeof(kDeltaMagic)) != 0 || !dr.Get(&delta_version) ||
        !dr.GetString(&delta_description) || !dr.Get(&delta_dim)) {
      return Status::Corruption(which + " has no envelope (bad magic or truncated)");
    }
    if (delta_version != kDeltaVersion) {
      return Status::NotSupported(which + ": format version " + std::to_string(delta_version) +
                                  " (this build reads " + std::to_string(kDeltaVersion) + ")");
    }
    if (delta_description != description || delta_dim != dim) {
      return Status::Corruption(which + " is of '" + std::string(delta_description) + "' at " +
                                std::to_string(delta_dim) + " dimensions, the structure of '" +
                                std::string(description) + "' at " + std::to_string(dim));
    }
    bodies.push_back(deltas[d].substr(deltas[d].size() - dr.remaining()));
  }
  try {
    ENGRAM_RETURN_IF_ERROR((*base)->RestoreStructure(r, bodies, lookup));
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("vector index structure unreadable: ") + e.what());
  }
  if (r.remaining() != 0) {
    return Status::Corruption("vector index structure has " + std::to_string(r.remaining()) +
                              " trailing bytes");
  }
  return std::unique_ptr<VectorIndex>(std::move(base).value());
}

}  // namespace engram
