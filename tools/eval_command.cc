// engram eval locomo: turn-level evidence recall@k on LoCoMo, with the
// protocol of ../shared/data/locomo/README.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "store/conversation_io.h"

namespace engram::cli {
namespace {

using nlohmann::json;

struct RecallTally {
  std::map<size_t, double> sum;  // k -> sum of per-question recall
  size_t questions = 0;
  size_t flagged_unanswerable = 0;  // the router said "may not hold the answer"
};

struct RouteReport {
  RecallTally overall;
  std::map<int, RecallTally> by_category;
  std::vector<double> total_us, search_us;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

json TallyJson(const RecallTally& t, const std::vector<size_t>& ks) {
  json j = json::object();
  for (size_t k : ks) {
    j["R@" + std::to_string(k)] = t.questions ? 100.0 * t.sum.at(k) / static_cast<double>(t.questions) : 0.0;
  }
  j["questions"] = t.questions;
  j["flagged_unanswerable"] = t.questions ? 100.0 * t.flagged_unanswerable / static_cast<double>(t.questions) : 0.0;
  return j;
}

constexpr int64_t kMaxCutoff = 1000;

// Splits "1,5,10" at commas (empty parts are skipped).
std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

// --k's check: at least one cut-off, each a whole number in 1..kMaxCutoff.
CLI::Validator CutoffList() {
  const CLI::Validator each = InRange(1, kMaxCutoff);
  return CLI::Validator(
      [each](std::string& text) -> std::string {
        std::vector<std::string> parts = SplitCommas(text);
        if (parts.empty()) return "expected comma-separated cut-offs in 1.." + std::to_string(kMaxCutoff);
        for (std::string& part : parts) {
          std::string error = each(part);
          if (!error.empty()) return error;
        }
        return {};
      },
      "K[,K...]", "CutoffList");
}

// Sorted, distinct cut-offs of a list CutoffList accepted.
std::vector<size_t> ParseKs(const std::string& text) {
  std::vector<size_t> ks;
  for (const auto& part : SplitCommas(text)) ks.push_back(static_cast<size_t>(std::stoull(part)));
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  return ks;
}

int RunEvalLocomo(const std::string& file, const std::string& ks_text, bool as_json, const std::string& routes_text,
                  std::string store_path) {
  const std::vector<size_t> ks = ParseKs(ks_text);  // checked by CutoffList
  std::vector<std::string> routes;
  {
    std::stringstream ss(routes_text);
    std::string r;
    while (std::getline(ss, r, ',')) {
      if (!r.empty()) routes.push_back(r);
    }
  }
  auto convs = ReadLocomo(file);
  if (!convs.ok()) return Fail(convs.status());

  bool temporary = store_path.empty();
  if (temporary) {
    char tmpl[] = "/tmp/engram-eval-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return Fail(Status::IOError("cannot create a temporary folder"));
    store_path = tmpl;
  }
  struct Cleanup {
    bool active;
    std::string path;
    ~Cleanup() {
      std::error_code ec;
      if (active) std::filesystem::remove_all(path, ec);
    }
  } cleanup{temporary, store_path};

  auto store = OpenStore(store_path, false, true);
  if (!store.ok()) return Fail(store.status());

  // Ingest: one tenant per conversation, turns in order, in batches.
  size_t ingested = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (const auto& conv : *convs) {
    for (size_t start = 0; start < conv.turns.size(); start += 128) {
      size_t n = std::min<size_t>(128, conv.turns.size() - start);
      auto seqs = (*store)->ObserveBatch(conv.sample_id, std::span<const Turn>(conv.turns.data() + start, n));
      if (!seqs.ok()) return Fail(seqs.status().WithContext(conv.sample_id));
      ingested += n;
    }
  }
  double ingest_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "engram: ingested %zu turns of %zu conversations in %.1f s\n", ingested, convs->size(),
               ingest_s);

  const size_t max_k = ks.back();
  std::map<std::string, RouteReport> reports;
  size_t excluded = 0, asked = 0;
  bool counted = false;
  for (const auto& route : routes) {
    RouteReport& report = reports[route];
    for (const auto& conv : *convs) {
      for (const auto& q : conv.questions) {
        if (q.evidence.empty()) {
          if (!counted) ++excluded;
          continue;
        }
        if (!counted) ++asked;
        RecallOptions options;
        options.k = max_k;
        options.route = route;
        auto start = std::chrono::steady_clock::now();
        auto result = (*store)->Recall(conv.sample_id, q.question, options);
        double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
        if (!result.ok()) return Fail(result.status().WithContext("question '" + q.question + "'"));
        report.total_us.push_back(us);
        report.search_us.push_back(static_cast<double>(result->search_us));
        // The ranked, de-duplicated source turns.
        std::vector<std::string> ranked;
        std::set<std::string> seen;
        for (const auto& h : result->hits) {
          for (const auto& id : h.source_ids) {
            if (seen.insert(id).second) ranked.push_back(id);
          }
        }
        const std::set<std::string> evidence(q.evidence.begin(), q.evidence.end());
        for (RecallTally* t : {&report.overall, &report.by_category[q.category]}) {
          ++t->questions;
          if (result->route.likely_unanswerable) ++t->flagged_unanswerable;
          for (size_t k : ks) {
            size_t found = 0;
            for (size_t i = 0; i < std::min(k, ranked.size()); ++i) found += evidence.count(ranked[i]);
            t->sum[k] += static_cast<double>(found) / static_cast<double>(evidence.size());
          }
        }
      }
    }
    counted = true;
  }

  json out;
  for (size_t r = 0; r < routes.size(); ++r) {
    const RouteReport& rep = reports[routes[r]];
    json j;
    j["route"] = routes[r];
    j["questions"] = asked;
    j["excluded"] = excluded;
    j["overall"] = TallyJson(rep.overall, ks);
    j["by_category"] = json::object();
    for (const auto& [cat, t] : rep.by_category) j["by_category"][std::to_string(cat)] = TallyJson(t, ks);
    j["ingest_turns_per_s"] = ingest_s > 0 ? static_cast<double>(ingested) / ingest_s : 0.0;
    j["latency_us"] = {{"p50", Percentile(rep.total_us, 50)}, {"p99", Percentile(rep.total_us, 99)}};
    j["latency_without_embedding_us"] = {{"p50", Percentile(rep.search_us, 50)},
                                         {"p99", Percentile(rep.search_us, 99)}};
    if (r == 0) {
      out = j;
    } else {
      out["compare"][routes[r]] = j;
    }
  }
  if (as_json) {
    std::cout << TerminalSafeJson(out.dump(2)) << "\n";
    return kExitOk;
  }
  std::printf("LoCoMo evidence recall (turn level): %zu questions, %zu excluded (no valid evidence)\n", asked,
              excluded);
  std::printf("ingest: %.0f turns/s\n\n", ingest_s > 0 ? static_cast<double>(ingested) / ingest_s : 0.0);
  static const char* kCategoryNames[] = {"", "multi-hop", "temporal", "open-domain", "single-hop", "adversarial"};
  for (const auto& route : routes) {
    const RouteReport& rep = reports[route];
    std::printf("route %-8s", route.c_str());
    for (size_t k : ks) std::printf("  R@%-4zu", k);
    std::printf("\n");
    auto row = [&](const std::string& name, const RecallTally& t) {
      std::printf("  %-14s", name.c_str());
      for (size_t k : ks) std::printf("  %6.1f", t.questions ? 100.0 * t.sum.at(k) / t.questions : 0.0);
      std::printf("   (%zu, %.0f%% flagged unanswerable)\n", t.questions,
                  t.questions ? 100.0 * t.flagged_unanswerable / t.questions : 0.0);
    };
    row("overall", rep.overall);
    for (const auto& [cat, t] : rep.by_category) {
      row(std::to_string(cat) + " " + (cat >= 1 && cat <= 5 ? kCategoryNames[cat] : ""), t);
    }
    std::printf("  latency p50 %.0f us, p99 %.0f us (with query embedding); without: p50 %.0f us, p99 %.0f us\n\n",
                Percentile(rep.total_us, 50), Percentile(rep.total_us, 99), Percentile(rep.search_us, 50),
                Percentile(rep.search_us, 99));
  }
  return kExitOk;
}

}  // namespace

void AddEvalCommand(CLI::App& app, int* exit_code) {
  auto* eval = app.add_subcommand("eval", "measure retrieval quality on a benchmark");
  eval->require_subcommand(1);
  struct Args {
    std::string file, ks = "1,5,10,25,50", routes = "auto", store;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  auto* locomo = eval->add_subcommand("locomo", "turn-level evidence recall@k on LoCoMo (JSON file)");
  locomo->add_option("file", a->file, "locomo JSON (e.g. ../shared/data/locomo/locomo-dev5.json)")
      ->required()
      ->check(CLI::ExistingFile);
  locomo->add_option("--k", a->ks, "cut-offs, comma-separated (default 1,5,10,25,50)")->check(CutoffList());
  locomo->add_option("--route", a->routes, "routes to measure, comma-separated: auto (default), hybrid, bm25, vector");
  locomo->add_option("--store", a->store, "keep the ingested store in this folder (reused when it exists)");
  locomo->add_flag("--json", a->json, "print JSON");
  locomo->callback([=]() { *exit_code = RunEvalLocomo(a->file, a->ks, a->json, a->routes, a->store); });
}

}  // namespace engram::cli
