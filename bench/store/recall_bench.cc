// Recall latency on a LoCoMo-size tenant: the full router ("auto"), the
// plain weighted fusion ("hybrid"), and in the same run the raw costs it is
// built from (BM25 search alone, exact vector search alone, one query
// embedding). Latencies exclude the query embedding unless the name says so;
// p50/p99 are counters.
//
// Reads LoCoMo's first conversation from $ENGRAM_LOCOMO (default
// ../shared/data/locomo/locomo-dev5.json relative to the source tree) and
// asks its questions in turn; without the file it skips.
//
//   recall_bench --benchmark_repetitions=3
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "engram/engram.h"
#include "index/lexical_index.h"
#include "index/vector_index.h"
#include "store/conversation_io.h"
#include "../../tests/testing/temp_dir.h"

namespace engram {
namespace {

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<Store> store;
  std::shared_ptr<Embedder> embedder;
  std::string tenant;
  std::vector<std::string> questions;
  std::vector<std::vector<float>> question_vectors;
  std::unique_ptr<LexicalIndex> bm25;
  std::unique_ptr<VectorIndex> flat;
  std::string error;
};

std::string LocomoPath() {
  if (const char* env = std::getenv("ENGRAM_LOCOMO")) return env;
  return std::string(ENGRAM_SOURCE_DIR_FOR_BENCH) + "/../shared/data/locomo/locomo-dev5.json";
}

Fixture& Shared() {
  static Fixture* f = [] {
    auto* fx = new Fixture();
    auto convs = ReadLocomo(LocomoPath());
    if (!convs.ok() || convs->empty()) {
      fx->error = "LoCoMo not found at " + LocomoPath() + " (set ENGRAM_LOCOMO)";
      return fx;
    }
    const LocomoConversation& conv = convs->front();
    auto embedder = NewUseLiteEmbedder();
    if (!embedder.ok()) {
      fx->error = embedder.status().ToString();
      return fx;
    }
    fx->embedder = std::move(*embedder);
    Options options;
    options.embedder = fx->embedder;
    auto store = Store::Open(options, fx->dir.path());
    if (!store.ok()) {
      fx->error = store.status().ToString();
      return fx;
    }
    fx->store = std::move(*store);
    fx->tenant = conv.sample_id;
    (void)fx->store->ObserveBatch(fx->tenant, conv.turns);
    for (const auto& q : conv.questions) fx->questions.push_back(q.question);
    auto qv = fx->embedder->Embed(fx->questions);
    for (size_t i = 0; i < fx->questions.size(); ++i) {
      fx->question_vectors.emplace_back(qv->begin() + i * 512, qv->begin() + (i + 1) * 512);
    }
    // The raw baselines over the same turns.
    fx->bm25 = std::make_unique<LexicalIndex>();
    std::vector<std::string> texts;
    std::vector<uint64_t> ids;
    for (size_t i = 0; i < conv.turns.size(); ++i) {
      texts.push_back(conv.turns[i].speaker + ": " + conv.turns[i].text);
      ids.push_back(i);
      fx->bm25->Add(i, texts.back());
    }
    fx->flat = std::move(VectorIndex::Create("Flat", 512)).value();
    auto tv = fx->embedder->Embed(texts);
    (void)fx->flat->Add(ids, *tv);
    return fx;
  }();
  return *f;
}

void Report(benchmark::State& state, std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  if (us.empty()) return;
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[std::min(us.size() - 1, us.size() * 99 / 100)];
}

void RunRecall(benchmark::State& state, const char* route) {
  Fixture& f = Shared();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  RecallOptions options;
  options.route = route;
  options.k = 10;
  std::vector<double> search_us;
  size_t i = 0;
  for (auto _ : state) {
    auto r = f.store->Recall(f.tenant, f.questions[i++ % f.questions.size()], options);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    search_us.push_back(static_cast<double>(r->search_us));
  }
  Report(state, search_us);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_RecallAuto(benchmark::State& state) { RunRecall(state, "auto"); }
void BM_RecallHybrid(benchmark::State& state) { RunRecall(state, "hybrid"); }

// Times fn(i) once per iteration, i counting up, and reports percentiles.
template <typename Fn>
void TimedLoop(benchmark::State& state, Fn&& fn) {
  Fixture& f = Shared();
  if (!f.error.empty()) return state.SkipWithError(f.error.c_str());
  std::vector<double> us;
  size_t i = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    fn(f, i++ % f.questions.size());
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  Report(state, us);
}

void BM_BaselineBm25Only(benchmark::State& state) {
  TimedLoop(state, [](Fixture& f, size_t i) { benchmark::DoNotOptimize(f.bm25->Search(f.questions[i], 100)); });
}

void BM_BaselineExactVectorOnly(benchmark::State& state) {
  TimedLoop(state,
            [](Fixture& f, size_t i) { benchmark::DoNotOptimize(f.flat->Search(f.question_vectors[i], 100)); });
}

void BM_QueryEmbedding(benchmark::State& state) {
  TimedLoop(state, [](Fixture& f, size_t i) {
    std::vector<std::string> one{f.questions[i]};
    benchmark::DoNotOptimize(f.embedder->Embed(one));
  });
}

BENCHMARK(BM_RecallAuto)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RecallHybrid)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BaselineBm25Only)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BaselineExactVectorOnly)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_QueryEmbedding)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace engram

BENCHMARK_MAIN();
