// The mix of scripts/serve-bench.lua (80% Recall, 20% Observe of one new
// turn, not synced) called in process from N threads for S seconds: the
// baseline the HTTP figures of `engram serve` are compared with
// (scripts/serve-bench.sh, docs/results.md "HTTP service").
//
//   serve_inprocess_bench --store DIR [--threads 8] [--seconds 15]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engram/engram.h"

int main(int argc, char** argv) {
  std::string store_path;
  int threads = 8, seconds = 15;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--store") == 0) store_path = argv[i + 1];
    else if (std::strcmp(argv[i], "--threads") == 0) threads = std::max(1, std::atoi(argv[i + 1]));
    else if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::max(1, std::atoi(argv[i + 1]));
  }
  if (store_path.empty()) {
    std::fprintf(stderr, "usage: serve_inprocess_bench --store DIR [--threads N] [--seconds S]\n");
    return 2;
  }
  engram::Options options;
  options.create_if_missing = false;
  auto store = engram::Store::Open(options, store_path);
  if (!store.ok()) {
    std::fprintf(stderr, "serve_inprocess_bench: %s\n", store.status().ToString().c_str());
    return 1;
  }
  const std::vector<std::string> questions = {
      "Where did Dana run a race?", "What does Ravi cook on weekends?", "Who is Dana's sister?",
      "When did Ravi move to Lisbon?", "What pet does Dana have?", "What instrument is Ravi learning?",
      "Which city did Dana visit in spring?", "What does Ravi do for work?"};
  // Untimed warm-up, as the HTTP run is warmed by its seeding: the tenant's
  // state is loaded and the model's first calls are paid here.
  for (const auto& q : questions) {
    if (!(*store)->Recall("bench", q).ok()) return 1;
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> errors{0};
  std::vector<std::vector<double>> latencies(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937 rng(1234 + t);
      uint64_t n = 0;
      while (!stop.load()) {
        const auto start = std::chrono::steady_clock::now();
        bool ok;
        if (rng() % 10 < 8) {
          engram::RecallOptions ro;
          ro.k = 10;
          ok = (*store)->Recall("bench", questions[rng() % questions.size()], ro).ok();
        } else {
          ++n;
          engram::Turn turn{.speaker = "Dana",
                            .text = "Bench note " + std::to_string(n) + " from thread " + std::to_string(t) +
                                    ": I walked to the market and bought figs.",
                            .source_id = "inproc-" + std::to_string(t) + "-" + std::to_string(n)};
          ok = (*store)->Observe("bench", turn).ok();
        }
        if (!ok) ++errors;
        latencies[t].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop.store(true);
  for (auto& w : workers) w.join();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, size_t(p * all.size()))]; };
  std::printf("in process: %d threads, %ds: %zu calls, %.1f calls/s, p50 %.2f ms, p99 %.2f ms, %llu errors\n", threads,
              seconds, all.size(), all.size() / double(seconds), pct(0.50), pct(0.99),
              static_cast<unsigned long long>(errors.load()));
  return errors.load() == 0 ? 0 : 1;
}
