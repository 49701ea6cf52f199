// What storing vectors as half floats costs: the turns of LoCoMo
// conversations embedded by the built-in embedder (USE-Lite, 512-d), each
// question searched exactly over the fp32 vectors and over the same vectors
// rounded to half floats (the query stays fp32, as in the store).
//
// Prints the score error (max and mean of |fp16 score - fp32 score| over
// every question x turn pair), recall@10 of the fp16 top 10 against the
// fp32 top 10, and the load cost per vector: decoding a stored half-float
// vector against copying a float one. For comparison, the same figures for
// int8 codes with one scale per vector (x = scale * code, scale = max|x|/127),
// which engram does not store.
//
//   vector_precision_bench [locomo.json]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "engram/embedder.h"
#include "store/conversation_io.h"
#include "store/doc_vectors.h"

namespace engram {
namespace {

std::vector<size_t> TopK(const std::vector<float>& corpus, const float* q, size_t dim, size_t k,
                         std::vector<float>* scores) {
  const size_t n = corpus.size() / dim;
  scores->assign(n, 0.0f);
  for (size_t i = 0; i < n; ++i) {
    float s = 0;
    for (size_t d = 0; d < dim; ++d) s += corpus[i * dim + d] * q[d];
    (*scores)[i] = s;
  }
  std::vector<size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  k = std::min(k, n);
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k), idx.end(),
                    [&](size_t a, size_t b) { return (*scores)[a] > (*scores)[b]; });
  idx.resize(k);
  return idx;
}

int Run(const std::string& path) {
  auto conversations = ReadLocomo(path);
  if (!conversations.ok()) {
    std::fprintf(stderr, "%s\n", conversations.status().ToString().c_str());
    return 1;
  }
  auto embedder = NewUseLiteEmbedder();
  if (!embedder.ok()) {
    std::fprintf(stderr, "%s\n", embedder.status().ToString().c_str());
    return 1;
  }
  const size_t dim = (*embedder)->dim();
  double max_err = 0, sum_err = 0, recall_sum = 0;
  double max_err8 = 0, sum_err8 = 0, recall_sum8 = 0;
  size_t pairs = 0, questions = 0, vectors = 0;
  for (const auto& c : *conversations) {
    std::vector<std::string> texts, qs;
    for (const auto& t : c.turns) texts.push_back(t.speaker + ": " + t.text);
    for (const auto& q : c.questions) qs.push_back(q.question);
    auto corpus = (*embedder)->Embed(texts);
    auto queries = (*embedder)->Embed(qs);
    if (!corpus.ok() || !queries.ok()) return 1;
    std::vector<float> half = *corpus;
    for (size_t i = 0; i < texts.size(); ++i) RoundToStoredPrecision(std::span<float>(half.data() + i * dim, dim));
    std::vector<float> int8 = *corpus;
    for (size_t i = 0; i < texts.size(); ++i) {
      float* v = int8.data() + i * dim;
      float max_abs = 0;
      for (size_t d = 0; d < dim; ++d) max_abs = std::max(max_abs, std::fabs(v[d]));
      const float scale = max_abs > 0 ? max_abs / 127.0f : 1.0f;
      for (size_t d = 0; d < dim; ++d) v[d] = scale * std::nearbyint(v[d] / scale);
    }
    vectors += texts.size();
    std::vector<float> s32, s16, s8;
    for (size_t q = 0; q < qs.size(); ++q) {
      const float* qv = queries->data() + q * dim;
      auto top32 = TopK(*corpus, qv, dim, 10, &s32);
      auto top16 = TopK(half, qv, dim, 10, &s16);
      for (size_t i = 0; i < s32.size(); ++i) {
        double e = std::fabs(double(s16[i]) - double(s32[i]));
        max_err = std::max(max_err, e);
        sum_err += e;
        ++pairs;
      }
      size_t hit = 0;
      for (size_t a : top16) hit += std::count(top32.begin(), top32.end(), a);
      recall_sum += double(hit) / double(top32.size());
      auto top8 = TopK(int8, qv, dim, 10, &s8);
      for (size_t i = 0; i < s32.size(); ++i) {
        double e = std::fabs(double(s8[i]) - double(s32[i]));
        max_err8 = std::max(max_err8, e);
        sum_err8 += e;
      }
      hit = 0;
      for (size_t a : top8) hit += std::count(top32.begin(), top32.end(), a);
      recall_sum8 += double(hit) / double(top32.size());
      ++questions;
    }
  }
  // Load cost: decode every stored vector of a 100k-vector tenant.
  std::vector<float> v(dim);
  for (size_t d = 0; d < dim; ++d) v[d] = std::sin(float(d)) / std::sqrt(float(dim) / 2);
  const std::string stored = EncodeDocVector(v, 7);
  std::vector<float> out(dim);
  std::string raw(reinterpret_cast<const char*>(v.data()), dim * sizeof(float));
  constexpr int kRounds = 100000;
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < kRounds; ++r) {
    if (!DecodeDocVector(stored, dim, 7, out.data())) return 1;
    asm volatile("" : : "r"(out.data()) : "memory");
  }
  auto t1 = std::chrono::steady_clock::now();
  for (int r = 0; r < kRounds; ++r) {
    std::memcpy(out.data(), raw.data(), raw.size());
    asm volatile("" : : "r"(out.data()) : "memory");
  }
  auto t2 = std::chrono::steady_clock::now();
  auto ns = [](auto a, auto b) { return std::chrono::duration<double, std::nano>(b - a).count() / kRounds; };
  std::printf("vectors %zu, questions %zu (LoCoMo turns, USE-Lite %zu-d)\n", vectors, questions, dim);
  std::printf("score error fp16 vs fp32: max %.2e, mean %.2e\n", max_err, sum_err / double(pairs));
  std::printf("recall@10 of fp16 against fp32: %.4f\n", recall_sum / double(questions));
  std::printf("for comparison, int8 + scale: score error max %.2e, mean %.2e, recall@10 %.4f\n", max_err8,
              sum_err8 / double(pairs), recall_sum8 / double(questions));
  std::printf("load cost per vector: fp16 decode %.0f ns, fp32 copy %.0f ns\n", ns(t0, t1), ns(t1, t2));
  std::printf("stored bytes per vector: fp16 %zu, fp32 %zu\n", stored.size(), dim * sizeof(float) + 5);
  return 0;
}

}  // namespace
}  // namespace engram

int main(int argc, char** argv) {
  return engram::Run(argc > 1 ? argv[1] : ENGRAM_SOURCE_DIR_FOR_BENCH "/tests/data/fixture_locomo_format.json");
}
