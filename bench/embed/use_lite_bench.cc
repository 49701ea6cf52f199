// Throughput of the built-in USE-lite embedder: texts per second
// (items_per_second) and GFLOP/s achieved, for LoCoMo-length turns (~28
// tokens) and 128-token texts, batches of 1 and 64, one and two caller
// threads embedding at once (UseRealTime: rates are per wall-clock second,
// summed over threads).
//
//   build-*/use_lite_bench --benchmark_filter=Embed
//
// Besides wall-clock rates, each run reports per-thread CPU-time rates
// (texts/cpu-s, GFLOP/cpu-s: averaged over threads, i.e. per core busy), which
// stay meaningful when other processes share the machine.
// BM_SgemmReference is the OpenBLAS sgemm rate of this machine on the shape
// of the largest layer, to judge the embedder's GFLOP/s against.
//
// Needs the model (scripts/fetch-model.sh).
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "embed/use_lite_kernels.h"
#include "embed/use_lite_model.h"
#include "embed/use_lite_tokenizer.h"
#include "engram/embedder.h"

namespace engram {
namespace {

struct Shared {
  std::unique_ptr<Embedder> embedder;
  std::unique_ptr<UseLiteTokenizer> tokenizer;
};

Shared& Get() {
  static Shared* shared = [] {
    auto* s = new Shared;
    Result<std::unique_ptr<Embedder>> e = NewUseLiteEmbedder();
    Result<std::unique_ptr<UseLiteTokenizer>> t =
        UseLiteTokenizer::Load(DefaultUseLiteModelDir() + "/vocab.json");
    if (!e.ok() || !t.ok()) {
      std::fprintf(stderr, "cannot load USE-lite: %s\n",
                   (!e.ok() ? e.status() : t.status()).ToString().c_str());
      std::exit(1);
    }
    s->embedder = std::move(*e);
    s->tokenizer = std::move(*t);
    return s;
  }();
  return *shared;
}

// `count` different conversational texts of about `tokens` tokens each.
std::vector<std::string> MakeTexts(size_t count, size_t tokens) {
  static const char* kWords[] = {
      "I",        "went",      "to",      "the",     "support", "group",    "yesterday", "and",
      "it",       "was",       "really",  "helpful", "Melanie", "painted",  "a",         "sunset",
      "over",     "lake",      "last",    "weekend", "my",      "sister",   "lives",     "in",
      "Boston",   "works",     "as",      "nurse",   "we",      "talked",   "about",     "adoption",
      "agencies", "Caroline",  "said",    "she",     "loves",   "camping",  "with",      "her",
      "kids",     "mountains", "tomorrow", "at",     "9am",     "remind",   "me",        "call"};
  const size_t n = sizeof(kWords) / sizeof(kWords[0]);
  UseLiteTokenizer& tok = *Get().tokenizer;
  std::vector<std::string> texts;
  for (size_t i = 0; i < count; ++i) {
    std::string text;
    for (size_t w = 0; tok.Encode(text + ".", tokens + 1).size() < tokens; ++w) {
      text += (w ? " " : "") + std::string(kWords[(i * 13 + w * 7 + w / 5) % n]);
    }
    texts.push_back(text + ".");
  }
  return texts;
}

double ThreadCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

void BM_UseLiteEmbed(benchmark::State& state) {
  const size_t tokens = static_cast<size_t>(state.range(0));
  const size_t batch = static_cast<size_t>(state.range(1));
  Embedder& embedder = *Get().embedder;
  const std::vector<std::string> texts = MakeTexts(batch, tokens);
  double flops = 0;
  size_t total_tokens = 0;
  for (const std::string& t : texts) {
    size_t n = Get().tokenizer->Encode(t, UseLiteModel::kMaxTokens).size();
    total_tokens += n;
    flops += UseLiteModel::Flops(n);
  }
  const double cpu_start = ThreadCpuSeconds();
  for (auto _ : state) {
    Result<std::vector<float>> v = embedder.Embed(texts);
    if (!v.ok()) {
      state.SkipWithError(v.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(v->data());
  }
  const double cpu = ThreadCpuSeconds() - cpu_start;
  const double iterations = static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
  state.counters["GFLOP/s"] = benchmark::Counter(flops * iterations / 1e9, benchmark::Counter::kIsRate);
  state.counters["texts/cpu-s"] = benchmark::Counter(iterations * static_cast<double>(batch) / cpu,
                                                     benchmark::Counter::kAvgThreads);
  state.counters["GFLOP/cpu-s"] = benchmark::Counter(flops * iterations / 1e9 / cpu,
                                                     benchmark::Counter::kAvgThreads);
  state.counters["tokens/text"] = benchmark::Counter(
      static_cast<double>(total_tokens) / static_cast<double>(batch), benchmark::Counter::kAvgThreads);
  state.SetLabel(std::string("kernels=") + use_lite::BestKernels().name +
                 " openblas=" + openblas_get_corename());
}
BENCHMARK(BM_UseLiteEmbed)
    ->ArgNames({"tokens", "batch"})
    ->Args({28, 1})
    ->Args({28, 64})
    ->Args({128, 1})
    ->Args({128, 64})
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Reference: one-thread OpenBLAS sgemm on the first feed-forward GEMM of a
// batch of 64 LoCoMo turns (1792 x 512 times 512 x 1536).
void BM_SgemmReference(benchmark::State& state) {
  Get();  // the embedder sets OpenBLAS to one thread
  const int m = 1792, n = 1536, k = 512;
  std::vector<float> a(static_cast<size_t>(m) * k, 0.01f), b(static_cast<size_t>(k) * n, 0.02f),
      c(static_cast<size_t>(m) * n);
  const double cpu_start = ThreadCpuSeconds();
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a.data(), k, b.data(), n,
                0.0f, c.data(), n);
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * m * n * k * static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsRate);
  state.counters["GFLOP/cpu-s"] =
      benchmark::Counter(flops / 1e9 / (ThreadCpuSeconds() - cpu_start), benchmark::Counter::kAvgThreads);
}
BENCHMARK(BM_SgemmReference)->UseRealTime()->Unit(benchmark::kMillisecond);

// Start-up cost: reading and (optionally) sha256-checking the 28 MB of files.
void BM_UseLiteLoad(benchmark::State& state) {
  UseLiteOptions options;
  options.verify_checksums = state.range(0) != 0;
  // Embedders of one folder share the weights while any is alive, and the
  // other benchmarks keep one alive; "/." names the same folder under another
  // key so that every iteration really loads.
  options.model_dir = DefaultUseLiteModelDir() + "/.";
  for (auto _ : state) {
    Result<std::unique_ptr<Embedder>> e = NewUseLiteEmbedder(options);
    if (!e.ok()) {
      state.SkipWithError(e.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(e->get());
  }
}
BENCHMARK(BM_UseLiteLoad)->ArgNames({"verify"})->Arg(0)->Arg(1)->Iterations(3)->Unit(benchmark::kMillisecond);

void BM_UseLiteTokenize(benchmark::State& state) {
  const std::vector<std::string> texts = MakeTexts(64, static_cast<size_t>(state.range(0)));
  UseLiteTokenizer& tok = *Get().tokenizer;
  for (auto _ : state) {
    for (const std::string& t : texts) benchmark::DoNotOptimize(tok.Encode(t, UseLiteModel::kMaxTokens));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * texts.size()));
}
BENCHMARK(BM_UseLiteTokenize)->ArgNames({"tokens"})->Arg(28)->Arg(128);

}  // namespace
}  // namespace engram

BENCHMARK_MAIN();
