#include "index/vector_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "index/distance_kernels.h"

namespace engram {
namespace {

using ::testing::TestWithParam;
using ::testing::Values;

void Normalize(float* v, size_t dim) {
  double norm = 0;
  for (size_t j = 0; j < dim; ++j) norm += double{v[j]} * v[j];
  const float inv = norm > 0 ? static_cast<float>(1.0 / std::sqrt(norm)) : 0.0f;
  for (size_t j = 0; j < dim; ++j) v[j] *= inv;
}

// n normalised vectors: uniform on the sphere when clusters == 0, else a
// gaussian mixture (centres on the sphere, spread `sigma` per component).
std::vector<float> MakeVectors(size_t n, size_t dim, uint32_t seed, size_t clusters = 0,
                               float sigma = 0.05f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  std::vector<float> centres(clusters * dim);
  for (float& c : centres) c = gauss(rng);
  for (size_t c = 0; c < clusters; ++c) Normalize(centres.data() + c * dim, dim);
  std::uniform_int_distribution<size_t> pick(0, clusters == 0 ? 0 : clusters - 1);
  std::vector<float> out(n * dim);
  for (size_t i = 0; i < n; ++i) {
    float* v = out.data() + i * dim;
    if (clusters == 0) {
      for (size_t j = 0; j < dim; ++j) v[j] = gauss(rng);
    } else {
      const float* c = centres.data() + pick(rng) * dim;
      for (size_t j = 0; j < dim; ++j) v[j] = c[j] + sigma * gauss(rng);
    }
    Normalize(v, dim);
  }
  return out;
}

std::vector<uint64_t> MakeIds(size_t n, uint64_t first = 1000) {
  std::vector<uint64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = first + 7 * i;  // sparse, not 0..n-1
  return ids;
}

// The oracle: every score in double precision, full sort.
std::vector<VectorHit> BruteForce(const std::vector<float>& data, const std::vector<uint64_t>& ids,
                                  size_t dim, const float* q, size_t k,
                                  const VectorFilter& filter = {}) {
  std::vector<VectorHit> all;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (filter && !filter(ids[i])) continue;
    double s = 0;
    for (size_t j = 0; j < dim; ++j) s += double{q[j]} * data[i * dim + j];
    all.push_back({ids[i], static_cast<float>(s)});
  }
  std::sort(all.begin(), all.end(), [](const VectorHit& a, const VectorHit& b) {
    return a.score > b.score || (a.score == b.score && a.id < b.id);
  });
  all.resize(std::min(k, all.size()));
  return all;
}

double RecallAt(const std::vector<VectorHit>& got, const std::vector<VectorHit>& truth) {
  std::set<uint64_t> want;
  for (const auto& h : truth) want.insert(h.id);
  size_t found = 0;
  for (const auto& h : got) found += want.count(h.id);
  return truth.empty() ? 1.0 : static_cast<double>(found) / truth.size();
}

std::unique_ptr<VectorIndex> MustCreate(std::string_view description, size_t dim) {
  auto index = VectorIndex::Create(description, dim);
  EXPECT_TRUE(index.ok()) << index.status().ToString();
  return index.ok() ? std::move(index).value() : nullptr;
}

std::vector<VectorHit> MustSearch(const VectorIndex& index, const float* q, size_t k,
                                  const VectorFilter& filter = {}) {
  auto hits = index.Search({q, index.dim()}, k, filter);
  EXPECT_TRUE(hits.ok()) << hits.status().ToString();
  return hits.ok() ? std::move(hits).value() : std::vector<VectorHit>{};
}

// --- Kernels ----------------------------------------------------------------

TEST(DistanceKernelsTest, DispatchedAvx2MatchesPortable) {
  const kernels::DistanceKernels* avx2 = kernels::Avx2Kernels();
  if (avx2 == nullptr) GTEST_SKIP() << "CPU has no AVX2/FMA";
  const kernels::DistanceKernels& portable = kernels::PortableKernels();
  for (size_t dim : {1, 7, 8, 15, 16, 17, 31, 100, 384, 512, 1000}) {
    for (size_t n : {1, 3, 4, 5, 9}) {
      const std::vector<float> rows = MakeVectors(n, dim, static_cast<uint32_t>(dim * 31 + n));
      const std::vector<float> q = MakeVectors(1, dim, static_cast<uint32_t>(dim + 7));
      std::vector<float> a(n), b(n);
      portable.dot_f32_rows(q.data(), rows.data(), n, dim, a.data());
      avx2->dot_f32_rows(q.data(), rows.data(), n, dim, b.data());
      for (size_t i = 0; i < n; ++i) {
        EXPECT_NEAR(a[i], b[i], 1e-4) << "dim " << dim << " row " << i;
        EXPECT_NEAR(portable.dot_f32(q.data(), rows.data() + i * dim, dim),
                    avx2->dot_f32(q.data(), rows.data() + i * dim, dim), 1e-4);
      }
      const size_t stride = kernels::Int8Stride(dim);
      std::vector<int8_t> codes(n * stride), qcode(stride);
      for (size_t i = 0; i < n; ++i) kernels::QuantizeInt8(rows.data() + i * dim, dim, codes.data() + i * stride);
      kernels::QuantizeInt8(q.data(), dim, qcode.data());
      std::vector<int32_t> ia(n), ib(n);
      portable.dot_i8_rows(qcode.data(), codes.data(), n, stride, ia.data());
      avx2->dot_i8_rows(qcode.data(), codes.data(), n, stride, ib.data());
      EXPECT_EQ(ia, ib) << "dim " << dim;
      // Gathered rows (reversed, one repeated) score like the dense scan.
      std::vector<int32_t> idx;
      for (size_t i = n; i-- > 0;) idx.push_back(static_cast<int32_t>(i));
      idx.push_back(0);
      std::vector<int32_t> ga(idx.size()), gb(idx.size());
      portable.dot_i8_gather(qcode.data(), codes.data(), stride, idx.data(), idx.size(), ga.data());
      avx2->dot_i8_gather(qcode.data(), codes.data(), stride, idx.data(), idx.size(), gb.data());
      for (size_t i = 0; i < idx.size(); ++i) {
        EXPECT_EQ(ga[i], ia[idx[i]]) << "dim " << dim << " gathered row " << idx[i];
        EXPECT_EQ(gb[i], ia[idx[i]]) << "dim " << dim << " gathered row " << idx[i];
      }
    }
  }
  // Dispatch picks AVX2 on a CPU that has it (unless forced to portable).
  const char* force = std::getenv("ENGRAM_FORCE_PORTABLE_KERNELS");
  if (force == nullptr || std::string_view(force) != "1") {
    EXPECT_STREQ(kernels::BestKernels().name, "avx2");
  }
}

TEST(DistanceKernelsTest, Int8CodesReconstructWithinHalfAStep) {
  const size_t dim = 70;
  const std::vector<float> v = MakeVectors(1, dim, 3);
  std::vector<int8_t> code(kernels::Int8Stride(dim));
  const float scale = kernels::QuantizeInt8(v.data(), dim, code.data());
  ASSERT_GT(scale, 0.0f);
  for (size_t j = 0; j < dim; ++j) EXPECT_NEAR(code[j] * scale, v[j], scale * 0.5f + 1e-7f);
  for (size_t j = dim; j < code.size(); ++j) EXPECT_EQ(code[j], 0);
}

// --- Exactness and recall against the oracle --------------------------------

TEST(VectorIndexTest, FlatReturnsOracleOrdering) {
  const size_t dim = 96, n = 3000, k = 10;
  const auto data = MakeVectors(n, dim, 1);
  const auto ids = MakeIds(n);
  auto index = MustCreate("Flat", dim);
  ASSERT_TRUE(index->Add(ids, data).ok());
  EXPECT_EQ(index->size(), n);
  const auto queries = MakeVectors(30, dim, 2);
  for (size_t qi = 0; qi < 30; ++qi) {
    const float* q = queries.data() + qi * dim;
    const auto got = MustSearch(*index, q, k);
    const auto want = BruteForce(data, ids, dim, q, k);
    ASSERT_EQ(got.size(), k);
    for (size_t i = 0; i < k; ++i) {
      EXPECT_EQ(got[i].id, want[i].id) << "query " << qi << " rank " << i;
      EXPECT_NEAR(got[i].score, want[i].score, 1e-5);
    }
  }
}

TEST(VectorIndexTest, Int8RecallOnClusteredData) {
  const size_t dim = 128, n = 5000, k = 10, nq = 50;
  const auto data = MakeVectors(n, dim, 11, /*clusters=*/20, /*sigma=*/0.05f);
  const auto ids = MakeIds(n);
  auto index = MustCreate("Int8", dim);
  ASSERT_TRUE(index->Add(ids, data).ok());
  // Queries near the data (same mixture) make the neighbours hard to tell apart.
  const auto queries = MakeVectors(nq, dim, 11 + 1, 20, 0.05f);
  double recall = 0;
  for (size_t qi = 0; qi < nq; ++qi) {
    const float* q = queries.data() + qi * dim;
    const auto got = MustSearch(*index, q, k);
    ASSERT_EQ(got.size(), k);
    // Returned scores are exact fp32 re-scores, best first.
    for (size_t i = 1; i < k; ++i) EXPECT_GE(got[i - 1].score, got[i].score);
    recall += RecallAt(got, BruteForce(data, ids, dim, q, k));
  }
  RecordProperty("recall_at_10", std::to_string(recall / nq));
  EXPECT_GE(recall / nq, 0.95);
}

TEST(VectorIndexTest, HnswRecallOn5kClusteredVectors) {
  const size_t dim = 64, n = 5000, k = 10, nq = 100;
  const auto data = MakeVectors(n, dim, 21, 50, 0.1f);
  const auto ids = MakeIds(n);
  auto index = MustCreate("HNSW32,efSearch=128,efConstruction=80", dim);
  ASSERT_TRUE(index->Add(ids, data).ok());
  const auto queries = MakeVectors(nq, dim, 22, 50, 0.1f);
  double recall = 0;
  for (size_t qi = 0; qi < nq; ++qi) {
    const float* q = queries.data() + qi * dim;
    const auto got = MustSearch(*index, q, k);
    ASSERT_EQ(got.size(), k);
    const auto truth = BruteForce(data, ids, dim, q, k);
    EXPECT_NEAR(got[0].score, [&] {  // scores are inner products, not distances
      for (size_t i = 0; i < n; ++i) if (ids[i] == got[0].id) {
        double s = 0;
        for (size_t j = 0; j < dim; ++j) s += double{q[j]} * data[i * dim + j];
        return static_cast<float>(s);
      }
      return -2.0f;
    }(), 1e-4);
    recall += RecallAt(got, truth);
  }
  RecordProperty("recall_at_10", std::to_string(recall / nq));
  EXPECT_GE(recall / nq, 0.9);
}

// 512-d, the embedder's size: HNSW walks its graph over 512-byte int8 codes
// and re-scores the best candidates in fp32. Several graph layers, two add
// batches, near-tie neighbours (sigma 0.03 in every dimension).
TEST(VectorIndexTest, HnswInt8WalkAt512dMatchesOracle) {
  const size_t dim = 512, n = 10000, k = 10, nq = 40;
  // Queries come from the same mixture (same centres) as the data.
  auto data = MakeVectors(n + nq, dim, 31, /*clusters=*/100, /*sigma=*/0.03f);
  const std::vector<float> queries(data.end() - nq * dim, data.end());
  data.resize(n * dim);
  const auto ids = MakeIds(n);
  auto index = MustCreate("HNSW32,efSearch=64,efConstruction=40", dim);
  ASSERT_TRUE(index->Add(std::span(ids).first(n / 2), std::span(data).first(n / 2 * dim)).ok());
  ASSERT_TRUE(index->Add(std::span(ids).subspan(n / 2), std::span(data).subspan(n / 2 * dim)).ok());
  const VectorFilter quarter = [](uint64_t id) { return (id / 7) % 4 == 1; };
  double recall = 0, filtered_recall = 0;
  for (size_t qi = 0; qi < nq; ++qi) {
    const float* q = queries.data() + qi * dim;
    const auto got = MustSearch(*index, q, k);
    const auto truth = BruteForce(data, ids, dim, q, k);
    ASSERT_EQ(got.size(), k);
    recall += RecallAt(got, truth);
    // Scores are exact fp32 inner products (not int8 estimates), best first.
    for (size_t i = 0; i < k; ++i) {
      const size_t row = (got[i].id - 1000) / 7;
      double exact = 0;
      for (size_t j = 0; j < dim; ++j) exact += double{q[j]} * data[row * dim + j];
      EXPECT_NEAR(got[i].score, exact, 1e-5);
      if (i > 0) EXPECT_GE(got[i - 1].score, got[i].score);
    }
    const auto filtered = MustSearch(*index, q, k, quarter);
    ASSERT_EQ(filtered.size(), k);
    for (const auto& h : filtered) EXPECT_TRUE(quarter(h.id)) << h.id;
    filtered_recall += RecallAt(filtered, BruteForce(data, ids, dim, q, k, quarter));
  }
  RecordProperty("recall_at_10", std::to_string(recall / nq));
  EXPECT_GE(recall / nq, 0.95);
  EXPECT_GE(filtered_recall / nq, 0.9);

  // Removing each query's best hit: it never returns, the rest still do.
  std::vector<uint64_t> removed;
  for (size_t qi = 0; qi < nq; ++qi) removed.push_back(MustSearch(*index, queries.data() + qi * dim, 1)[0].id);
  ASSERT_TRUE(index->Remove(removed).ok());
  const std::set<uint64_t> removed_set(removed.begin(), removed.end());
  for (size_t qi = 0; qi < nq; ++qi) {
    const auto got = MustSearch(*index, queries.data() + qi * dim, k);
    ASSERT_EQ(got.size(), k);
    for (const auto& h : got) EXPECT_FALSE(removed_set.count(h.id)) << h.id;
  }

  // The snapshot restores the same graph and the same int8 codes.
  auto bytes = index->Serialize();
  ASSERT_TRUE(bytes.ok());
  auto copy = VectorIndex::Deserialize(*bytes);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  for (size_t qi = 0; qi < nq; ++qi) {
    const float* q = queries.data() + qi * dim;
    const auto a = MustSearch(*index, q, k, quarter);
    const auto b = MustSearch(**copy, q, k, quarter);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].id, b[i].id);
      EXPECT_EQ(a[i].score, b[i].score);
    }
  }
}

TEST(VectorIndexTest, IvfBecomesExactWithAllListsProbedAfterTraining) {
  const size_t dim = 32, n = 1500, k = 10;  // trains at 1024 vectors
  const auto data = MakeVectors(n, dim, 31, 10, 0.1f);
  const auto ids = MakeIds(n);
  auto index = MustCreate("IVF8,Flat,nprobe=8", dim);
  ASSERT_TRUE(index->Add(std::span(ids).first(1000), std::span(data).first(1000 * dim)).ok());
  ASSERT_TRUE(index->Add(std::span(ids).subspan(1000), std::span(data).subspan(1000 * dim)).ok());
  EXPECT_EQ(index->size(), n);
  const auto queries = MakeVectors(10, dim, 32);
  for (size_t qi = 0; qi < 10; ++qi) {
    const float* q = queries.data() + qi * dim;
    const auto got = MustSearch(*index, q, k);
    const auto want = BruteForce(data, ids, dim, q, k);
    ASSERT_EQ(got.size(), k);
    for (size_t i = 0; i < k; ++i) EXPECT_EQ(got[i].id, want[i].id);
  }
}

// --- Behaviour every index type shares --------------------------------------

class AnyIndexTest : public TestWithParam<const char*> {};

INSTANTIATE_TEST_SUITE_P(Types, AnyIndexTest,
                         Values("Flat", "Int8", "HNSW16,efSearch=64", "IVF4,Flat,nprobe=4"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace_if(name.begin(), name.end(),
                                           [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
                           return name;
                         });

TEST_P(AnyIndexTest, FilterIsAppliedAndStillReturnsK) {
  const size_t dim = 32, n = 2000, k = 10;
  const auto data = MakeVectors(n, dim, 41, 10, 0.1f);
  const auto ids = MakeIds(n);
  auto index = MustCreate(GetParam(), dim);
  ASSERT_TRUE(index->Add(ids, data).ok());
  // Keeps 1 id in 20: HNSW must over-fetch well beyond k to find them.
  const VectorFilter rare = [](uint64_t id) { return (id / 7) % 20 == 3; };
  const auto queries = MakeVectors(10, dim, 42);
  double recall = 0;
  for (size_t qi = 0; qi < 10; ++qi) {
    const float* q = queries.data() + qi * dim;
    const auto got = MustSearch(*index, q, k, rare);
    ASSERT_EQ(got.size(), k);
    for (const auto& h : got) EXPECT_TRUE(rare(h.id)) << h.id;
    recall += RecallAt(got, BruteForce(data, ids, dim, q, k, rare));
  }
  EXPECT_GE(recall / 10, 0.9);
  // A filter nothing passes gives no hits, not an error.
  EXPECT_TRUE(MustSearch(*index, queries.data(), k, [](uint64_t) { return false; }).empty());
}

TEST_P(AnyIndexTest, RemovedIdsNeverComeBack) {
  const size_t dim = 32, n = 3000;
  const auto data = MakeVectors(n, dim, 51, 10, 0.1f);
  const auto ids = MakeIds(n);
  auto index = MustCreate(GetParam(), dim);
  ASSERT_TRUE(index->Add(ids, data).ok());
  // Remove two thirds (enough to make HNSW rebuild itself), in two calls.
  std::vector<uint64_t> removed;
  std::set<uint64_t> removed_set;
  for (size_t i = 0; i < n; ++i) {
    if (i % 3 != 0) {
      removed.push_back(ids[i]);
      removed_set.insert(ids[i]);
    }
  }
  ASSERT_TRUE(index->Remove(std::span(removed).first(500)).ok());
  ASSERT_TRUE(index->Remove(std::span(removed).subspan(500)).ok());
  ASSERT_TRUE(index->Remove(std::vector<uint64_t>{999999}).ok());  // unknown: ignored
  EXPECT_EQ(index->size(), n - removed.size());
  // Query with the removed vectors themselves: they would be the top hit.
  for (size_t i = 1; i < 300; i += 3) {
    const auto got = MustSearch(*index, data.data() + i * dim, 20);
    EXPECT_EQ(got.size(), 20u);
    for (const auto& h : got) EXPECT_FALSE(removed_set.count(h.id)) << "removed id " << h.id;
  }
  // Asking for everything returns exactly the live ids.
  std::set<uint64_t> all;
  for (const auto& h : MustSearch(*index, data.data(), n)) all.insert(h.id);
  for (uint64_t id : all) EXPECT_FALSE(removed_set.count(id));
  if (std::string(GetParam()).starts_with("HNSW")) {
    EXPECT_GE(all.size(), index->size() * 9 / 10);  // a graph walk may miss a few
  } else {
    EXPECT_EQ(all.size(), index->size());
  }
}

TEST_P(AnyIndexTest, ReAddingAnIdReplacesItsVector) {
  const size_t dim = 32, n = 1200;
  const auto data = MakeVectors(n, dim, 61, 10, 0.1f);
  const auto ids = MakeIds(n);
  auto index = MustCreate(GetParam(), dim);
  ASSERT_TRUE(index->Add(ids, data).ok());
  const auto fresh = MakeVectors(1, dim, 62);  // far from every cluster
  const uint64_t id = ids[5];
  ASSERT_TRUE(index->Add(std::vector<uint64_t>{id}, fresh).ok());
  EXPECT_EQ(index->size(), n);
  auto got = MustSearch(*index, fresh.data(), 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, id);
  EXPECT_NEAR(got[0].score, 1.0f, 1e-4);
  // The old vector no longer leads to the id (its own slot now holds `fresh`).
  got = MustSearch(*index, data.data() + 5 * dim, 3);
  for (const auto& h : got) EXPECT_NE(h.id, id);
}

TEST_P(AnyIndexTest, SerializeRoundTripGivesIdenticalResults) {
  const size_t dim = 32, n = 1500;
  const auto data = MakeVectors(n, dim, 71, 10, 0.1f);
  const auto ids = MakeIds(n);
  auto index = MustCreate(GetParam(), dim);
  ASSERT_TRUE(index->Add(ids, data).ok());
  ASSERT_TRUE(index->Remove(std::vector<uint64_t>{ids[0], ids[10], ids[20]}).ok());
  auto bytes = index->Serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto copy = VectorIndex::Deserialize(*bytes);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ((*copy)->description(), index->description());
  EXPECT_EQ((*copy)->dim(), dim);
  EXPECT_EQ((*copy)->size(), index->size());
  const auto queries = MakeVectors(20, dim, 72);
  const VectorFilter odd = [](uint64_t id) { return id % 2 == 1; };
  for (size_t qi = 0; qi < 20; ++qi) {
    const float* q = queries.data() + qi * dim;
    for (const VectorFilter& f : {VectorFilter{}, odd}) {
      const auto a = MustSearch(*index, q, 10, f);
      const auto b = MustSearch(**copy, q, 10, f);
      ASSERT_EQ(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].id, b[i].id);
        EXPECT_EQ(a[i].score, b[i].score);
      }
    }
  }
  // The copy keeps working as an index.
  ASSERT_TRUE((*copy)->Remove(std::vector<uint64_t>{ids[1]}).ok());
  ASSERT_TRUE((*copy)->Add(std::vector<uint64_t>{ids[0]}, std::span(data).first(dim)).ok());
  EXPECT_EQ((*copy)->size(), index->size());
  // Every truncation is detected.
  for (size_t cut : {size_t{0}, size_t{5}, bytes->size() / 2, bytes->size() - 1}) {
    auto bad = VectorIndex::Deserialize(std::string_view(*bytes).substr(0, cut));
    EXPECT_FALSE(bad.ok()) << "cut at " << cut;
  }
}

TEST_P(AnyIndexTest, ConcurrentSearchesMatchSingleThreaded) {
  const size_t dim = 48, n = 4000, nq = 40;
  const auto data = MakeVectors(n, dim, 81, 10, 0.1f);
  const auto ids = MakeIds(n);
  auto index = MustCreate(GetParam(), dim);
  ASSERT_TRUE(index->Add(ids, data).ok());
  const auto queries = MakeVectors(nq, dim, 82);
  const VectorFilter even = [](uint64_t id) { return id % 2 == 0; };
  std::vector<std::vector<VectorHit>> expected(nq);
  for (size_t qi = 0; qi < nq; ++qi) expected[qi] = MustSearch(*index, queries.data() + qi * dim, 10, even);
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        for (size_t qi = 0; qi < nq; ++qi) {
          auto hits = index->Search({queries.data() + qi * dim, dim}, 10, even);
          if (!hits.ok() || hits->size() != expected[qi].size()) {
            ++mismatches[t];
            continue;
          }
          for (size_t i = 0; i < hits->size(); ++i) {
            if ((*hits)[i].id != expected[qi][i].id || (*hits)[i].score != expected[qi][i].score) {
              ++mismatches[t];
            }
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST_P(AnyIndexTest, BadInputIsRejectedAndChangesNothing) {
  const size_t dim = 16;
  auto index = MustCreate(GetParam(), dim);
  const auto data = MakeVectors(4, dim, 91);
  ASSERT_TRUE(index->Add(MakeIds(4), data).ok());

  auto nan = MakeVectors(2, dim, 92);
  nan[dim + 3] = std::numeric_limits<float>::quiet_NaN();
  Status s = index->Add(std::vector<uint64_t>{1, 2}, nan);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("NaN"), std::string::npos) << s.message();
  auto inf = MakeVectors(1, dim, 93);
  inf[0] = std::numeric_limits<float>::infinity();
  EXPECT_TRUE(index->Add(std::vector<uint64_t>{3}, inf).IsInvalidArgument());
  // Wrong dimension: 15 floats for one id, and 2 ids with one vector.
  EXPECT_TRUE(index->Add(std::vector<uint64_t>{4}, std::span(data).first(dim - 1)).IsInvalidArgument());
  EXPECT_TRUE(index->Add(std::vector<uint64_t>{4, 5}, std::span(data).first(dim)).IsInvalidArgument());
  EXPECT_EQ(index->size(), 4u);

  EXPECT_TRUE(index->Search(std::span(data).first(dim + 1), 3).status().IsInvalidArgument());
  EXPECT_TRUE(index->Search(nan, 3).status().IsInvalidArgument());
  EXPECT_TRUE(index->Search(std::span(nan).subspan(dim), 3).status().IsInvalidArgument());

  auto none = index->Search(std::span(data).first(dim), 0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto all = index->Search(std::span(data).first(dim), 100);  // k > size
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 4u);
}

TEST(VectorIndexTest, EmptyIndexReturnsNoHits) {
  for (const char* description : {"Flat", "Int8", "HNSW8", "IVF4,Flat"}) {
    auto index = MustCreate(description, 8);
    const std::vector<float> q(8, 0.25f);
    auto hits = index->Search(q, 5);
    ASSERT_TRUE(hits.ok()) << description;
    EXPECT_TRUE(hits->empty()) << description;
  }
}

TEST(VectorIndexTest, UnknownOrInvalidDescriptionsAreNamed) {
  for (const char* description : {"Foo", "HNSW", "HNSW32,efSearch=abc", "HNSW32,efSearch=0",
                                   "Flat,efSearch=10", "HNSW32,color=red", "IDMap,Flat",
                                   "IVF16,Flat,efSearch=5", ","}) {
    auto index = VectorIndex::Create(description, 64);
    if (std::string_view(description) == "HNSW" && index.ok()) continue;  // FAISS default M
    ASSERT_FALSE(index.ok()) << description;
    EXPECT_TRUE(index.status().IsInvalidArgument()) << description;
    EXPECT_NE(index.status().message().find(description), std::string::npos)
        << index.status().message();
  }
  EXPECT_TRUE(VectorIndex::Create("Flat", 0).status().IsInvalidArgument());
  auto flat = VectorIndex::Create("", 8);
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ((*flat)->description(), "Flat");
}

TEST(VectorIndexTest, GarbageSnapshotsAreCorruption) {
  EXPECT_FALSE(VectorIndex::Deserialize("").ok());
  EXPECT_EQ(VectorIndex::Deserialize("definitely not an index").status().code(),
            Status::Code::kCorruption);
  auto index = MustCreate("HNSW8", 8);
  ASSERT_TRUE(index->Add(MakeIds(50), MakeVectors(50, 8, 5)).ok());
  auto bytes = index->Serialize();
  ASSERT_TRUE(bytes.ok());
  std::string damaged = *bytes;
  damaged.back() ^= 0x5a;
  damaged += "xx";  // trailing bytes
  EXPECT_EQ(VectorIndex::Deserialize(damaged).status().code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace engram
