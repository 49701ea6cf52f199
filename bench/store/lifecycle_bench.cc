// Forget and Update of one turn in a large tenant: a tenant of --turns turns
// (the test embedder, so the figure is the store's, not the model's), then
// Forget of single turns without and with sync (erasure and the disk search
// included), and Update of single turns.
//
//   build/lifecycle_bench [--turns 10000] [--rounds 5]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "engram/store.h"
#include "../../tests/testing/test_embedder.h"  // header-only

namespace {

double MsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace engram;
  size_t turns = 10000, rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--turns") == 0) turns = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::strtoull(argv[i + 1], nullptr, 10);
  }
  const std::string path = std::filesystem::temp_directory_path() / ("engram_lifecycle_bench_" + std::to_string(getpid()));
  std::filesystem::remove_all(path);
  Options options;
  options.embedder = std::make_shared<testing::TestEmbedder>(0, 64);
  auto store = Store::Open(options, path);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  const char* kTexts[] = {"I live in Denver now, close to the river.", "I love painting on weekends.",
                          "We went hiking at Mount Tam with my sister Lucy.", "I work as a nurse at the hospital.",
                          "The weather was nice, we had a picnic in the park."};
  std::vector<Turn> batch;
  auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < turns; ++i) {
    Turn t;
    t.session = "s" + std::to_string(i / 50);
    t.speaker = i % 2 ? "Sam" : "Maya";
    t.text = std::string(kTexts[i % 5]) + " (turn " + std::to_string(i) + ")";
    t.time_ms = 1700000000000 + static_cast<int64_t>(i) * 60000;
    t.source_id = "D" + std::to_string(i);
    batch.push_back(std::move(t));
    if (batch.size() == 500) {
      if (!(*store)->ObserveBatch("maya", batch).ok()) return 1;
      batch.clear();
    }
  }
  if (!batch.empty() && !(*store)->ObserveBatch("maya", batch).ok()) return 1;
  std::printf("observed %zu turns in %.0f ms\n", turns, MsSince(t0));

  auto measure = [&](const char* what, auto&& call) {
    double total = 0, worst = 0;
    for (size_t r = 0; r < rounds; ++r) {
      auto t = std::chrono::steady_clock::now();
      if (!call(r)) return;
      double ms = MsSince(t);
      total += ms;
      worst = std::max(worst, ms);
      // The next call pays the reload the edit left: recall once.
      t = std::chrono::steady_clock::now();
      if (!(*store)->Recall("maya", "where does Maya live", {}).ok()) return;
      if (r == 0) std::printf("  %-28s first recall after it: %.0f ms (reload)\n", what, MsSince(t));
    }
    std::printf("%-30s mean %.0f ms, worst %.0f ms over %zu calls\n", what, total / rounds, worst, rounds);
  };
  measure("Forget (sync=false)", [&](size_t r) {
    auto rep = (*store)->Forget("maya", "D" + std::to_string(10 + r), {});
    if (!rep.ok()) std::fprintf(stderr, "%s\n", rep.status().ToString().c_str());
    return rep.ok();
  });
  measure("Forget (sync=true, erased)", [&](size_t r) {
    ForgetOptions fo;
    fo.sync = true;
    auto rep = (*store)->Forget("maya", "D" + std::to_string(100 + r), fo);
    if (!rep.ok()) std::fprintf(stderr, "%s\n", rep.status().ToString().c_str());
    if (rep.ok() && r == 0) std::printf("  files searched: %llu\n", static_cast<unsigned long long>(rep->files_checked));
    return rep.ok();
  });
  measure("Update", [&](size_t r) {
    auto v = (*store)->Update("maya", "D" + std::to_string(200 + r), "I moved to Austin last week.", {});
    if (!v.ok()) std::fprintf(stderr, "%s\n", v.status().ToString().c_str());
    return v.ok();
  });
  store->reset();
  std::filesystem::remove_all(path);
  return 0;
}
