// Vector index query latency and recall at 1k..1M vectors of 512-d.
//
// Per benchmark: p50_us / p99_us (single-query latency), recall@10 against
// exact fp32 search (counter "recall"), and for HNSW the build rate.
// Baselines in the same run: Debian's FAISS IndexFlatIP (generic x86-64
// build) and a plain AVX2 loop (one FMA accumulator per row + a heap), which
// is bound by memory bandwidth at 100k+.
//
// Data: a gaussian mixture on the unit sphere (n/100 clusters), queries from
// the same mixture, so neighbours are close together as with real
// embeddings. 1M cases are opt-in: ENGRAM_BENCH_LARGE=1 (fp32 1M = 2 GB per
// copy; the run needs ~10 GB). ENGRAM_BENCH_HNSW overrides the HNSW
// description (default "HNSW32,efConstruction=64,efSearch=128");
// ENGRAM_BENCH_EF_SWEEP=a,b,c re-measures the built HNSW graph with each
// efSearch; ENGRAM_BENCH_DATA=lowdim switches to low-intrinsic-dimension data.
// ENGRAM_BENCH_SIZES=5000,10000,... replaces the sizes (1k, 10k, 100k), e.g.
// to find where HNSW overtakes Flat (the "Auto" threshold); "VectorIndex/Auto"
// runs Auto with its default threshold (below it: Flat; at it the reported
// build time includes the switch). Each built index also reports its memory
// (memory_MB, from MemoryBytes), the time to persist it without vectors and
// restore it (restore_s: SerializeStructure + Restore, no graph rebuild), and
// per-query CPU percentiles (p50_cpu_us / p99_cpu_us), which stay meaningful
// when other work shares the machine.
#include <benchmark/benchmark.h>
#include <faiss/IndexFlat.h>
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "index/distance_kernels.h"
#include "index/vector_index.h"

namespace engram {
namespace {

constexpr size_t kDim = 512;
constexpr size_t kQueries = 200;
constexpr size_t kK = 10;

// xorshift64* + Box-Muller: fast enough to draw 512M gaussians for 1M x 512.
class Gaussian {
 public:
  explicit Gaussian(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  float operator()() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = (Next() >> 11) * 0x1.0p-53 + 1e-300;
    const double u2 = (Next() >> 11) * 0x1.0p-53;
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = static_cast<float>(r * std::sin(2 * M_PI * u2));
    has_spare_ = true;
    return static_cast<float>(r * std::cos(2 * M_PI * u2));
  }

 private:
  uint64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 2685821657736338717ull;
  }
  uint64_t state_;
  bool has_spare_ = false;
  float spare_ = 0;
};

void Normalize(float* v) {
  double s = 0;
  for (size_t j = 0; j < kDim; ++j) s += double{v[j]} * v[j];
  const float inv = static_cast<float>(1 / std::sqrt(s));
  for (size_t j = 0; j < kDim; ++j) v[j] *= inv;
}

// ---- The plain AVX2 baseline: what a straightforward loop compiled with
// -mavx2 -mfma does (one accumulator, one row at a time) + a min-heap.
__attribute__((target("avx2,fma"))) float PlainDot(const float* a, const float* b) {
  __m256 acc = _mm256_setzero_ps();
  for (size_t j = 0; j < kDim; j += 8) {
    acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), acc);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

std::vector<uint64_t> PlainSearch(const float* data, size_t n, const float* q, size_t k) {
  using Entry = std::pair<float, uint64_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;  // worst on top
  for (size_t i = 0; i < n; ++i) {
    const float s = PlainDot(q, data + i * kDim);
    if (heap.size() < k) {
      heap.emplace(s, i);
    } else if (s > heap.top().first) {
      heap.pop();
      heap.emplace(s, i);
    }
  }
  std::vector<uint64_t> out(heap.size());
  for (size_t i = out.size(); i-- > 0; heap.pop()) out[i] = heap.top().second;
  return out;
}

// ---- Data set for one size: vectors, queries, exact top-10 --------------

struct DataSet {
  size_t n = 0;
  std::vector<float> vectors;   // n * kDim
  std::vector<uint64_t> ids;    // 0..n-1
  std::vector<float> queries;   // kQueries * kDim
  std::vector<std::vector<uint64_t>> truth;  // exact top-kK per query
};

// ENGRAM_BENCH_DATA=lowdim: vectors of low intrinsic dimension (closer to
// real sentence embeddings than the default full-rank noise).
constexpr size_t kLatentDim = 48;
bool LowDimData() {
  const char* env = std::getenv("ENGRAM_BENCH_DATA");
  return env != nullptr && std::string(env) == "lowdim";
}

double ThreadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

std::unique_ptr<DataSet> g_data;
// The index under test is built once per (kind, size) and kept until the
// next kind, so at most one index copy lives beside the data.
std::string g_index_key;
std::unique_ptr<VectorIndex> g_index;
std::unique_ptr<faiss::IndexFlatIP> g_faiss;
double g_build_seconds = 0;
double g_build_cpu_seconds = 0;
double g_restore_seconds = 0;
double g_structure_bytes = 0;

const DataSet& Data(size_t n) {
  if (g_data && g_data->n == n) return *g_data;
  g_index.reset();
  g_faiss.reset();
  g_index_key.clear();
  g_data.reset();
  auto d = std::make_unique<DataSet>();
  d->n = n;
  const size_t clusters = std::max<size_t>(10, n / 100);
  Gaussian g(n);
  std::function<void(float*, uint64_t)> draw;
  std::vector<float> centres;
  std::vector<float> projection;
  if (!LowDimData()) {
    centres.resize(clusters * kDim);
    for (float& c : centres) c = g();
    for (size_t c = 0; c < clusters; ++c) Normalize(centres.data() + c * kDim);
    // sigma 0.03 per component: within-cluster noise of norm ~0.7, so
    // neighbours in a cluster score 0.6-0.8 against each other.
    constexpr float kSigma = 0.03f;  // constexpr: not captured (the lambda outlives this block)
    draw = [&](float* v, uint64_t r) {
      const float* c = centres.data() + (r % clusters) * kDim;
      for (size_t j = 0; j < kDim; ++j) v[j] = c[j] + kSigma * g();
      Normalize(v);
    };
  } else {
    // Clustered points in a kLatentDim-d latent space (unit-norm centres,
    // within-cluster spread 0.5), mapped to 512-d by a fixed random
    // projection, plus small isotropic noise (norm ~0.1) in all 512 dims.
    centres.resize(clusters * kLatentDim);
    for (float& c : centres) c = g() / std::sqrt(float{kLatentDim});
    projection.resize(kDim * kLatentDim);
    for (float& p : projection) p = g() / std::sqrt(float{kLatentDim});
    draw = [&](float* v, uint64_t r) {
      const float* c = centres.data() + (r % clusters) * kLatentDim;
      float z[kLatentDim];
      for (size_t t = 0; t < kLatentDim; ++t) z[t] = c[t] + 0.5f / std::sqrt(float{kLatentDim}) * g();
      for (size_t j = 0; j < kDim; ++j) {
        float x = 0;
        for (size_t t = 0; t < kLatentDim; ++t) x += projection[j * kLatentDim + t] * z[t];
        v[j] = x + 0.1f / std::sqrt(float{kDim}) * g();
      }
      Normalize(v);
    };
  }
  d->vectors.resize(n * kDim);
  d->ids.resize(n);
  for (size_t i = 0; i < n; ++i) {
    d->ids[i] = i;
    draw(d->vectors.data() + i * kDim, i * 2654435761u);
  }
  d->queries.resize(kQueries * kDim);
  for (size_t q = 0; q < kQueries; ++q) draw(d->queries.data() + q * kDim, q * 40503u + 17);
  d->truth.resize(kQueries);
  for (size_t q = 0; q < kQueries; ++q) {
    d->truth[q] = PlainSearch(d->vectors.data(), n, d->queries.data() + q * kDim, kK);
  }
  g_data = std::move(d);
  return *g_data;
}

double Recall(const std::vector<uint64_t>& got, const std::vector<uint64_t>& truth) {
  std::set<uint64_t> t(truth.begin(), truth.end());
  size_t hit = 0;
  for (uint64_t id : got) hit += t.count(id);
  return static_cast<double>(hit) / truth.size();
}

// Runs `search(query_index)` once per iteration; reports latency percentiles
// and the mean recall over the query set.
template <typename SearchFn>
void RunQueries(benchmark::State& state, const DataSet& d, SearchFn search) {
  std::vector<double> micros;
  std::vector<double> cpu_micros;  // the query's own CPU time: robust on a loaded machine
  double recall_sum = 0;
  size_t recall_count = 0;
  size_t q = 0;
  for (auto _ : state) {
    const double cpu_start = ThreadCpuMicros();
    const auto start = std::chrono::steady_clock::now();
    std::vector<uint64_t> got = search(q);
    const auto end = std::chrono::steady_clock::now();
    cpu_micros.push_back(ThreadCpuMicros() - cpu_start);
    micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
    if (micros.size() <= kQueries) {
      recall_sum += Recall(got, d.truth[q]);
      ++recall_count;
    }
    benchmark::DoNotOptimize(got);
    q = (q + 1) % kQueries;
  }
  std::sort(micros.begin(), micros.end());
  std::sort(cpu_micros.begin(), cpu_micros.end());
  auto pct = [](const std::vector<double>& v, double p) {
    return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
  };
  state.counters["p50_us"] = pct(micros, 0.50);
  state.counters["p99_us"] = pct(micros, 0.99);
  state.counters["p50_cpu_us"] = pct(cpu_micros, 0.50);
  state.counters["p99_cpu_us"] = pct(cpu_micros, 0.99);
  state.counters["recall"] = recall_count ? recall_sum / recall_count : 0;
  state.counters["n"] = static_cast<double>(d.n);
  state.SetItemsProcessed(state.iterations());
}

int64_t Iterations(size_t n) { return n >= 1000000 ? 60 : n >= 100000 ? 200 : 1000; }

void BM_FaissFlatIP(benchmark::State& state) {
  const DataSet& d = Data(state.range(0));
  if (g_index_key != "faiss") {
    g_index.reset();
    g_faiss = std::make_unique<faiss::IndexFlatIP>(kDim);
    g_faiss->add(d.n, d.vectors.data());
    g_index_key = "faiss";
  }
  omp_set_num_threads(1);  // one query, one thread, as engram runs it
  std::vector<float> dist(kK);
  std::vector<faiss::Index::idx_t> labels(kK);
  RunQueries(state, d, [&](size_t q) {
    g_faiss->search(1, d.queries.data() + q * kDim, kK, dist.data(), labels.data());
    return std::vector<uint64_t>(labels.begin(), labels.end());
  });
}

void BM_PlainAvx2Loop(benchmark::State& state) {
  const DataSet& d = Data(state.range(0));
  RunQueries(state, d, [&](size_t q) { return PlainSearch(d.vectors.data(), d.n, d.queries.data() + q * kDim, kK); });
}

std::string HnswDescription() {
  const char* env = std::getenv("ENGRAM_BENCH_HNSW");
  return env ? env : "HNSW32,efConstruction=64,efSearch=128";
}

// The description without its efSearch option.
std::string WithoutEfSearch(const std::string& description) {
  std::string out;
  size_t start = 0;
  while (start <= description.size()) {
    size_t comma = description.find(',', start);
    if (comma == std::string::npos) comma = description.size();
    const std::string token = description.substr(start, comma - start);
    if (!token.starts_with("efSearch=")) out += (out.empty() ? "" : ",") + token;
    start = comma + 1;
  }
  return out;
}

// The built index re-opened under another description (same graph, other
// efSearch) by rewriting the description in its snapshot: an efSearch sweep
// then costs one build instead of one per value.
std::unique_ptr<VectorIndex> Reopen(const VectorIndex& index, const std::string& description) {
  std::string bytes = index.Serialize().value();
  constexpr size_t kHeader = 8 + 4;  // magic + format version
  uint64_t old_len = 0;
  std::memcpy(&old_len, bytes.data() + kHeader, sizeof(old_len));
  const uint64_t new_len = description.size();
  std::string header = bytes.substr(0, kHeader);
  header.append(reinterpret_cast<const char*>(&new_len), sizeof(new_len));
  header += description;
  bytes.replace(0, kHeader + sizeof(old_len) + old_len, header);
  return VectorIndex::Deserialize(bytes).value();
}

// Persists the index's structure and restores it with the vectors looked up
// by id (ids are row numbers here), as a store keeping each vector under its
// own key would.
void MeasureRestore(const VectorIndex& index, const DataSet& d) {
  const auto start = std::chrono::steady_clock::now();
  auto structure = index.SerializeStructure();
  if (!structure.ok()) return;
  const VectorLookup lookup = [&](std::span<const uint64_t> ids, std::span<float> out) {
    for (size_t i = 0; i < ids.size(); ++i) {
      std::memcpy(out.data() + i * kDim, d.vectors.data() + ids[i] * kDim, kDim * sizeof(float));
    }
    return Status::OK();
  };
  auto restored = VectorIndex::Restore(*structure, lookup);
  g_restore_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  g_structure_bytes = static_cast<double>(structure->size());
  if (!restored.ok()) g_restore_seconds = -1;
}

void BM_Index(benchmark::State& state, const std::string& description) {
  const DataSet& d = Data(state.range(0));
  if (g_index_key != description && g_index && description.starts_with("HNSW") &&
      WithoutEfSearch(g_index_key) == WithoutEfSearch(description)) {
    auto reopened = Reopen(*g_index, description);
    g_index = std::move(reopened);
    g_index_key = description;
  }
  if (g_index_key != description) {
    g_faiss.reset();
    g_index.reset();
    auto created = VectorIndex::Create(description, kDim);
    if (!created.ok()) {
      state.SkipWithError(created.status().ToString().c_str());
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = ProcessCpuSeconds();
    // Batches of 10k, as a bulk load from the log would add them.
    for (size_t i = 0; i < d.n; i += 10000) {
      const size_t m = std::min<size_t>(10000, d.n - i);
      Status s = (*created)->Add(std::span(d.ids).subspan(i, m), std::span(d.vectors).subspan(i * kDim, m * kDim));
      if (!s.ok()) {
        state.SkipWithError(s.ToString().c_str());
        return;
      }
    }
    g_build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    g_build_cpu_seconds = ProcessCpuSeconds() - cpu_start;
    g_index = std::move(created).value();
    g_index_key = description;
    MeasureRestore(*g_index, d);
  }
  RunQueries(state, d, [&](size_t q) {
    auto hits = g_index->Search({d.queries.data() + q * kDim, kDim}, kK);
    std::vector<uint64_t> ids;
    for (const auto& h : hits.value()) ids.push_back(h.id);
    return ids;
  });
  state.counters["build_s"] = g_build_seconds;
  state.counters["build_cpu_s"] = g_build_cpu_seconds;
  state.counters["adds_per_s"] = d.n / g_build_seconds;
  state.counters["memory_MB"] = g_index->MemoryBytes() / 1e6;
  state.counters["restore_s"] = g_restore_seconds;
  state.counters["structure_MB"] = g_structure_bytes / 1e6;
  state.SetLabel(std::string(kernels::BestKernels().name) + " kernels");
}

void RegisterAll() {
  std::vector<size_t> sizes = {1000, 10000, 100000};
  if (const char* list = std::getenv("ENGRAM_BENCH_SIZES")) {
    sizes.clear();
    for (const char* p = list; *p != '\0';) {
      char* end = nullptr;
      const size_t n = std::strtoull(p, &end, 10);
      if (end == p) break;
      if (n > 0) sizes.push_back(n);
      p = *end == ',' ? end + 1 : end;
    }
  }
  // ENGRAM_BENCH_LARGE=1 adds 1M; any other number adds that size instead.
  const char* large = std::getenv("ENGRAM_BENCH_LARGE");
  if (large != nullptr && *large != '\0' && std::string(large) != "0") {
    const size_t n = std::strtoull(large, nullptr, 10);
    sizes.push_back(n <= 1 ? 1000000 : n);
  }
  const std::string hnsw = HnswDescription();
  for (size_t n : sizes) {
    const auto it = Iterations(n);
    benchmark::RegisterBenchmark("FaissFlatIP", BM_FaissFlatIP)->Arg(n)->Iterations(it)->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("PlainAvx2Loop", BM_PlainAvx2Loop)->Arg(n)->Iterations(it)->Unit(benchmark::kMicrosecond);
    std::vector<std::string> descriptions = {"Flat", "Int8", hnsw, "Auto"};
    // ENGRAM_BENCH_EF_SWEEP=64,128,256: the HNSW index again with each
    // efSearch (built once, see Reopen).
    if (const char* sweep = std::getenv("ENGRAM_BENCH_EF_SWEEP")) {
      std::string list = sweep;
      for (size_t pos = 0; pos < list.size();) {
        size_t comma = list.find(',', pos);
        if (comma == std::string::npos) comma = list.size();
        descriptions.push_back(WithoutEfSearch(hnsw) + ",efSearch=" + list.substr(pos, comma - pos));
        pos = comma + 1;
      }
    }
    for (const std::string& desc : descriptions) {
      benchmark::RegisterBenchmark(("VectorIndex/" + desc).c_str(), BM_Index, desc)
          ->Arg(n)
          ->Iterations(desc.starts_with("HNSW") || desc.starts_with("Auto") ? 2000 : it)
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace
}  // namespace engram

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  engram::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
