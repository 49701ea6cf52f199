// engram eval locomo: turn-level evidence recall@k on LoCoMo, with the
// protocol of the LoCoMo paper (evidence turns of each question, scored per category).
// engram eval knowledge-update: on conversations whose facts change
// (docs/conversation-format.md), evidence recall@k and whether the packed
// context gives the value true now (or then) before the values it replaced.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "common/time_format.h"
#include "router/rerank_training.h"
#include "store/conversation_io.h"

namespace engram::cli {
namespace {

using nlohmann::json;

// The source turns of a recall's hits, best first, each once.
std::vector<std::string> RankedSourceTurns(const RecallResult& result) {
  std::vector<std::string> ranked;
  std::set<std::string> seen;
  for (const auto& h : result.hits) {
    for (const auto& id : h.source_ids) {
      if (seen.insert(id).second) ranked.push_back(id);
    }
  }
  return ranked;
}

struct RecallTally {
  std::map<size_t, double> sum;  // k -> sum of per-question recall
  size_t questions = 0;
  size_t flagged_unanswerable = 0;  // the router said "may not hold the answer"
};

struct RouteReport {
  RecallTally overall;
  std::map<int, RecallTally> by_category;
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

// Share of `evidence` among the first k of `ranked`, for each k of `ks`.
std::vector<double> RecallAtCutoffs(const std::vector<std::string>& ranked, const std::set<std::string>& evidence,
                                    const std::vector<size_t>& ks) {
  std::vector<double> recall;
  for (size_t k : ks) {
    size_t found = 0;
    for (size_t i = 0; i < std::min(k, ranked.size()); ++i) found += evidence.count(ranked[i]);
    recall.push_back(static_cast<double>(found) / static_cast<double>(evidence.size()));
  }
  return recall;
}

// One question's outcome under one setting.
struct QuestionRecall {
  size_t conversation = 0;  // index into the file's conversations
  int category = 0;
  bool flagged = false;
  std::vector<double> recall;  // by position in ks
};

// What one route measured under one setting (a value of the swept weight).
struct SettingRun {
  std::vector<QuestionRecall> questions;
  std::vector<double> total_us, search_us;
};

// Recall per cut-off (in the order of `ks`) over `qs`, overall and by category.
RouteReport Tally(const std::vector<const QuestionRecall*>& qs, const std::vector<size_t>& ks) {
  RouteReport report;
  for (size_t k : ks) report.overall.sum[k] = 0;  // every cut-off present, even with no questions
  for (const QuestionRecall* q : qs) {
    for (RecallTally* t : {&report.overall, &report.by_category[q->category]}) {
      ++t->questions;
      if (q->flagged) ++t->flagged_unanswerable;
      for (size_t i = 0; i < ks.size(); ++i) t->sum[ks[i]] += q->recall[i];
    }
  }
  return report;
}

std::vector<const QuestionRecall*> Select(const SettingRun& run, const std::function<bool(const QuestionRecall&)>& keep) {
  std::vector<const QuestionRecall*> out;
  for (const auto& q : run.questions) {
    if (keep(q)) out.push_back(&q);
  }
  return out;
}

// A swept weight: --sweep name=v1,v2,...
struct Sweep {
  std::string name;
  std::vector<float> values;
};

Result<Sweep> ParseSweep(const std::string& text) {
  Sweep sweep;
  if (text.empty()) return sweep;
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::InvalidArgument("--sweep '" + text + "': expected NAME=V1,V2,...");
  }
  sweep.name = text.substr(0, eq);
  for (const auto& part : SplitCommas(text.substr(eq + 1))) {
    char* end = nullptr;
    float v = std::strtof(part.c_str(), &end);
    if (end == part.c_str() || *end != '\0' || !std::isfinite(v)) {
      return Status::InvalidArgument("--sweep '" + text + "': '" + part + "' is not a number");
    }
    sweep.values.push_back(v);
  }
  if (sweep.values.empty()) return Status::InvalidArgument("--sweep '" + text + "': no values");
  return sweep;
}

void PrintRow(const std::string& name, const RecallTally& t, const std::vector<size_t>& ks) {
  std::printf("  %-14s", name.c_str());
  for (size_t k : ks) std::printf("  %6.1f", t.questions ? 100.0 * t.sum.at(k) / t.questions : 0.0);
  std::printf("   (%zu, %.0f%% flagged unanswerable)\n", t.questions,
              t.questions ? 100.0 * t.flagged_unanswerable / t.questions : 0.0);
}

void PrintReport(const RouteReport& rep, const std::vector<size_t>& ks) {
  static const char* kCategoryNames[] = {"", "multi-hop", "temporal", "open-domain", "single-hop", "adversarial"};
  PrintRow("overall", rep.overall, ks);
  for (const auto& [cat, t] : rep.by_category) {
    PrintRow(std::to_string(cat) + " " + (cat >= 1 && cat <= 5 ? kCategoryNames[cat] : ""), t, ks);
  }
}

struct LocomoEvalArgs {
  std::string file, ks = "1,5,10,25,50", routes = "auto", store, sweep;
  std::vector<std::string> fixed;  // --weight NAME=V, for every setting
  bool json = false, by_conversation = false, loo = false;
  // --fit-reranker: fit the reranker's weights leaving one conversation out.
  bool fit_reranker = false;
  size_t rerank_depth = 50;
  // Fit a plan on its own questions when it has at least this many (0 = never).
  size_t rerank_per_plan = 0;
  std::string rerank_non_negative;  // feature names, comma-separated
  RerankFitOptions fit;
};

// One question's candidates as the reranker saw them, for refitting it.
struct RerankCase {
  size_t conversation = 0;
  int category = 0;
  std::string plan;                      // the route's plan that answered it
  std::vector<RerankFeatures> features;  // the reranked hits, in first-stage order
  std::vector<std::string> sources;      // their source turns, parallel to features
  std::vector<std::string> tail;         // source turns of the hits after them, in order
  std::set<std::string> evidence;
};

RerankCase ReadRerankCase(const RecallResult& result) {
  RerankCase c;
  std::vector<std::pair<RerankFeatures, std::string>> reranked;
  const size_t first_rank = static_cast<size_t>(RerankFeature::kFirstRank);
  for (const auto& h : result.hits) {
    std::string source = h.source_ids.empty() ? h.id : h.source_ids.front();
    if (h.signals.count(RerankFeatureNames()[first_rank]) == 0) {
      c.tail.push_back(std::move(source));
    } else {
      reranked.emplace_back(FeaturesFromSignals(h.signals), std::move(source));
    }
  }
  // First-stage order: by 1 / (1 + rank), highest first.
  std::stable_sort(reranked.begin(), reranked.end(),
                   [&](const auto& a, const auto& b) { return a.first[first_rank] > b.first[first_rank]; });
  for (auto& [f, source] : reranked) {
    c.features.push_back(f);
    c.sources.push_back(std::move(source));
  }
  return c;
}

RankingQuestion ToRankingQuestion(const RerankCase& c) {
  RankingQuestion q;
  q.candidates = c.features;
  for (const auto& s : c.sources) q.relevant.push_back(c.evidence.count(s) > 0);
  return q;
}

// The case's recall at each cut-off when its candidates are ordered by `weights`.
QuestionRecall ScoreReranked(const RerankCase& c, const RerankWeights& weights, const std::vector<size_t>& ks) {
  std::vector<std::string> ranked;
  for (size_t i : RerankOrder(c.features, weights)) ranked.push_back(c.sources[i]);
  ranked.insert(ranked.end(), c.tail.begin(), c.tail.end());
  QuestionRecall qr;
  qr.conversation = c.conversation;
  qr.category = c.category;
  qr.recall = RecallAtCutoffs(ranked, c.evidence, ks);
  return qr;
}

std::string WeightsText(const RerankWeights& weights) {
  std::string text;
  char buf[64];
  for (size_t f = 0; f < kRerankFeatureCount; ++f) {
    std::snprintf(buf, sizeof buf, "%s%s %.3f", text.empty() ? "" : ", ", RerankFeatureNames()[f],
                  static_cast<double>(weights.w[f]));
    text += buf;
  }
  return text;
}

// Leave one conversation out: for each conversation, weights fitted on the
// others order its candidates. Prints the first stage, the held-out
// figures and the weights fitted on every conversation.
json RerankerCrossValidation(const std::string& route, const std::vector<RerankCase>& cases,
                             const std::vector<std::string>& conversation_ids, const std::vector<size_t>& ks,
                             const RerankFitOptions& fit_options, size_t per_plan, bool print,
                             bool by_conversation = false) {
  auto fit_on = [&](const std::function<bool(size_t)>& use) {
    std::vector<RankingQuestion> train;
    for (const auto& c : cases) {
      if (use(c.conversation)) train.push_back(ToRankingQuestion(c));
    }
    return FitRerankWeights(train, fit_options);
  };
  std::set<std::string> plans;
  for (const auto& c : cases) plans.insert(c.plan);
  // Weights per plan (where it has enough questions) fitted on the
  // conversations `use` keeps; `shared` (fitted on all of them) elsewhere.
  auto fit_plans = [&](const std::function<bool(size_t)>& use, const RerankWeights& shared) {
    std::map<std::string, RerankWeights> by_plan;
    for (const auto& plan : plans) {
      std::vector<RankingQuestion> train;
      for (const auto& c : cases) {
        if (c.plan == plan && use(c.conversation)) train.push_back(ToRankingQuestion(c));
      }
      by_plan[plan] = per_plan > 0 && train.size() >= per_plan ? FitRerankWeights(train, fit_options).weights : shared;
    }
    return by_plan;
  };
  RerankWeights first_stage;
  first_stage.w[static_cast<size_t>(RerankFeature::kFirstRank)] = 1;
  std::vector<QuestionRecall> before, held_out;
  std::vector<RerankFit> folds;
  for (size_t conv = 0; conv < conversation_ids.size(); ++conv) {
    folds.push_back(fit_on([&](size_t c) { return c != conv; }));
    const auto by_plan = fit_plans([&](size_t c) { return c != conv; }, folds.back().weights);
    for (const auto& c : cases) {
      if (c.conversation == conv) held_out.push_back(ScoreReranked(c, by_plan.at(c.plan), ks));
    }
  }
  for (const auto& c : cases) before.push_back(ScoreReranked(c, first_stage, ks));
  const RerankFit all = fit_on([](size_t) { return true; });
  auto pointers = [](const std::vector<QuestionRecall>& v) {
    std::vector<const QuestionRecall*> out;
    for (const auto& q : v) out.push_back(&q);
    return out;
  };
  const RouteReport first = Tally(pointers(before), ks), loo = Tally(pointers(held_out), ks);
  json j;
  j["first_stage"] = TallyJson(first.overall, ks);
  j["loo"] = TallyJson(loo.overall, ks);
  j["loo_by_category"] = json::object();
  for (const auto& [cat, t] : loo.by_category) j["loo_by_category"][std::to_string(cat)] = TallyJson(t, ks);
  j["weights"] = json::object();
  for (size_t f = 0; f < kRerankFeatureCount; ++f) j["weights"][RerankFeatureNames()[f]] = all.weights.w[f];
  j["pairs"] = all.pairs;
  j["loss"] = all.loss;
  if (!print) return j;
  auto header = [&](const std::string& title) {
    std::printf("%-16s", title.c_str());
    for (size_t k : ks) std::printf("  R@%-4zu", k);
    std::printf("\n");
  };
  header("route " + route + ", first stage only (the candidates the reranker orders)");
  PrintReport(first, ks);
  header("route " + route + ", reranker fitted leaving one conversation out");
  PrintReport(loo, ks);
  for (size_t conv = 0; by_conversation && conv < conversation_ids.size(); ++conv) {
    std::vector<const QuestionRecall*> first_qs, held_qs;
    for (const auto& q : before) {
      if (q.conversation == conv) first_qs.push_back(&q);
    }
    for (const auto& q : held_out) {
      if (q.conversation == conv) held_qs.push_back(&q);
    }
    PrintRow(conversation_ids[conv] + " before", Tally(first_qs, ks).overall, ks);
    PrintRow(conversation_ids[conv] + " held", Tally(held_qs, ks).overall, ks);
  }
  for (size_t conv = 0; conv < conversation_ids.size(); ++conv) {
    std::printf("  fold %s: %s\n", conversation_ids[conv].c_str(), WeightsText(folds[conv].weights).c_str());
  }
  std::printf("  fitted on all %zu questions (%zu pairs, loss %.4f): %s\n", all.questions, all.pairs, all.loss,
              WeightsText(all.weights).c_str());
  std::map<std::string, size_t> per_plan_questions;
  for (const auto& c : cases) ++per_plan_questions[c.plan];
  const auto by_plan = fit_plans([](size_t) { return true; }, all.weights);
  for (const auto& [plan, n] : per_plan_questions) {
    if (per_plan == 0) break;
    std::printf("  plan %s (%zu questions): %s\n", plan.c_str(), n, WeightsText(by_plan.at(plan)).c_str());
  }
  std::printf("\n");
  return j;
}

double MeanAt(const std::vector<const QuestionRecall*>& qs, size_t k_index) {
  double sum = 0;
  for (const auto* q : qs) sum += q->recall[k_index];
  return qs.empty() ? 0 : sum / static_cast<double>(qs.size());
}

int RunEvalLocomo(const LocomoEvalArgs& args) {
  const std::vector<size_t> ks = ParseKs(args.ks);  // checked by CutoffList
  const std::vector<std::string> routes = SplitCommas(args.routes);
  auto sweep = ParseSweep(args.sweep);
  if (!sweep.ok()) return Fail(sweep.status());
  if (args.loo && sweep->values.size() < 2) {
    return Fail(Status::InvalidArgument("--loo needs --sweep with at least two values to choose from"));
  }
  std::map<std::string, float> fixed_weights;
  for (const auto& text : args.fixed) {
    auto one = ParseSweep(text);
    if (!one.ok()) return Fail(Status::InvalidArgument("--weight '" + text + "': expected NAME=VALUE"));
    if (one->values.size() != 1) return Fail(Status::InvalidArgument("--weight '" + text + "': one value"));
    fixed_weights[one->name] = one->values.front();
  }
  LocomoEvalArgs fit_args = args;
  for (const auto& name : SplitCommas(args.rerank_non_negative)) {
    const auto& names = RerankFeatureNames();
    auto it = std::find_if(names.begin(), names.end(), [&](const char* n) { return name == n; });
    if (it == names.end()) {
      return Fail(Status::InvalidArgument("--rerank-non-negative: no feature '" + name + "'"));
    }
    fit_args.fit.non_negative.push_back(static_cast<RerankFeature>(it - names.begin()));
  }
  auto convs = ReadLocomo(args.file);
  if (!convs.ok()) return Fail(convs.status());
  if (args.loo && convs->size() < 2) return Fail(Status::InvalidArgument("--loo needs at least two conversations"));

  std::string store_path = args.store;
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

  // Settings: the route's own weights, or each value of the swept one.
  std::vector<std::optional<float>> settings;
  if (sweep->values.empty()) {
    settings.push_back(std::nullopt);
  } else {
    settings.assign(sweep->values.begin(), sweep->values.end());
  }
  auto setting_name = [&](size_t s) {
    if (!settings[s]) return std::string("default");
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s=%g", sweep->name.c_str(), static_cast<double>(*settings[s]));
    return std::string(buf);
  };

  const size_t max_k = ks.back();
  std::map<std::string, std::vector<SettingRun>> runs;  // route -> by setting
  std::map<std::string, std::vector<RerankCase>> rerank_cases;  // route -> by question (--fit-reranker)
  size_t excluded = 0, asked = 0;
  bool counted = false;
  for (const auto& route : routes) {
    auto& by_setting = runs[route];
    by_setting.resize(settings.size());
    for (size_t s = 0; s < settings.size(); ++s) {
      SettingRun& run = by_setting[s];
      for (size_t c = 0; c < convs->size(); ++c) {
        const auto& conv = (*convs)[c];
        for (const auto& q : conv.questions) {
          if (q.evidence.empty()) {
            if (!counted) ++excluded;
            continue;
          }
          if (!counted) ++asked;
          RecallOptions options;
          options.k = max_k;
          options.route = route;
          options.weights = fixed_weights;
          if (settings[s]) options.weights[sweep->name] = *settings[s];
          if (args.fit_reranker) {
            options.k = std::max(max_k, args.rerank_depth);
            options.weights["rerank_depth"] = static_cast<float>(args.rerank_depth);
          }
          auto start = std::chrono::steady_clock::now();
          auto result = (*store)->Recall(conv.sample_id, q.question, options);
          double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
          if (!result.ok()) return Fail(result.status().WithContext("question '" + q.question + "'"));
          run.total_us.push_back(us);
          run.search_us.push_back(static_cast<double>(result->search_us));
          const std::vector<std::string> ranked = RankedSourceTurns(*result);
          const std::set<std::string> evidence(q.evidence.begin(), q.evidence.end());
          if (args.fit_reranker && s == 0) {
            RerankCase rc = ReadRerankCase(*result);
            rc.conversation = c;
            rc.category = q.category;
            rc.plan = result->route.name;
            rc.evidence = evidence;
            rerank_cases[route].push_back(std::move(rc));
          }
          QuestionRecall qr;
          qr.conversation = c;
          qr.category = q.category;
          qr.flagged = result->route.likely_unanswerable;
          qr.recall = RecallAtCutoffs(ranked, evidence, ks);
          run.questions.push_back(std::move(qr));
        }
      }
      counted = true;
    }
  }

  // Leave-one-conversation-out: for each conversation, the setting with the
  // best mean R@10 (the largest cut-off below 10 when 10 is not measured;
  // ties to the earlier value) over the other conversations, scored on it.
  size_t select_k = 0;
  for (size_t i = 0; i < ks.size(); ++i) {
    if (ks[i] <= 10) select_k = i;
  }
  struct Loo {
    std::vector<size_t> chosen;  // by conversation
    std::vector<const QuestionRecall*> held_out;
  };
  std::map<std::string, Loo> loo;
  if (args.loo) {
    for (const auto& route : routes) {
      Loo& l = loo[route];
      const auto& by_setting = runs[route];
      for (size_t c = 0; c < convs->size(); ++c) {
        size_t best = 0;
        double best_mean = -1;
        for (size_t s = 0; s < settings.size(); ++s) {
          double mean =
              MeanAt(Select(by_setting[s], [&](const QuestionRecall& q) { return q.conversation != c; }), select_k);
          if (mean > best_mean + 1e-12) best = s, best_mean = mean;
        }
        l.chosen.push_back(best);
        auto held = Select(by_setting[best], [&](const QuestionRecall& q) { return q.conversation == c; });
        l.held_out.insert(l.held_out.end(), held.begin(), held.end());
      }
    }
  }

  auto all = [](const QuestionRecall&) { return true; };
  json out;
  for (size_t r = 0; r < routes.size(); ++r) {
    const auto& by_setting = runs[routes[r]];
    json j;
    j["route"] = routes[r];
    j["questions"] = asked;
    j["excluded"] = excluded;
    RouteReport first = Tally(Select(by_setting[0], all), ks);
    j["overall"] = TallyJson(first.overall, ks);
    j["by_category"] = json::object();
    for (const auto& [cat, t] : first.by_category) j["by_category"][std::to_string(cat)] = TallyJson(t, ks);
    j["by_conversation"] = json::object();
    for (size_t c = 0; c < convs->size(); ++c) {
      RouteReport conv = Tally(Select(by_setting[0], [&](const QuestionRecall& q) { return q.conversation == c; }), ks);
      j["by_conversation"][(*convs)[c].sample_id] = TallyJson(conv.overall, ks);
    }
    if (settings.size() > 1) {
      j["sweep"] = json::array();
      for (size_t s = 0; s < settings.size(); ++s) {
        RouteReport rep = Tally(Select(by_setting[s], all), ks);
        json sj;
        sj["weight"] = sweep->name;
        sj["value"] = *settings[s];
        sj["overall"] = TallyJson(rep.overall, ks);
        sj["by_category"] = json::object();
        for (const auto& [cat, t] : rep.by_category) sj["by_category"][std::to_string(cat)] = TallyJson(t, ks);
        j["sweep"].push_back(sj);
      }
    }
    if (args.loo) {
      const Loo& l = loo[routes[r]];
      RouteReport rep = Tally(l.held_out, ks);
      json lj;
      lj["overall"] = TallyJson(rep.overall, ks);
      lj["by_category"] = json::object();
      for (const auto& [cat, t] : rep.by_category) lj["by_category"][std::to_string(cat)] = TallyJson(t, ks);
      lj["chosen"] = json::object();
      for (size_t c = 0; c < convs->size(); ++c) lj["chosen"][(*convs)[c].sample_id] = *settings[l.chosen[c]];
      j["loo"] = lj;
    }
    std::vector<std::string> conversation_ids;
    for (const auto& conv : *convs) conversation_ids.push_back(conv.sample_id);
    if (args.fit_reranker && args.json) {
      j["reranker"] = RerankerCrossValidation(routes[r], rerank_cases[routes[r]], conversation_ids, ks, fit_args.fit,
                                                 args.rerank_per_plan, false);
    }
    j["ingest_turns_per_s"] = ingest_s > 0 ? static_cast<double>(ingested) / ingest_s : 0.0;
    j["latency_us"] = {{"p50", Percentile(by_setting[0].total_us, 50)}, {"p99", Percentile(by_setting[0].total_us, 99)}};
    j["latency_without_embedding_us"] = {{"p50", Percentile(by_setting[0].search_us, 50)},
                                         {"p99", Percentile(by_setting[0].search_us, 99)}};
    if (r == 0) {
      out = j;
    } else {
      out["compare"][routes[r]] = j;
    }
  }
  if (args.json) {
    std::cout << TerminalSafeJson(out.dump(2)) << "\n";
    return kExitOk;
  }
  std::printf("LoCoMo evidence recall (turn level): %zu questions, %zu excluded (no valid evidence)\n", asked,
              excluded);
  std::printf("ingest: %.0f turns/s\n\n", ingest_s > 0 ? static_cast<double>(ingested) / ingest_s : 0.0);
  auto header = [&](const std::string& title) {
    std::printf("%-16s", title.c_str());
    for (size_t k : ks) std::printf("  R@%-4zu", k);
    std::printf("\n");
  };
  for (const auto& route : routes) {
    const auto& by_setting = runs[route];
    for (size_t s = 0; s < settings.size(); ++s) {
      header("route " + route + (settings[s] ? ", " + setting_name(s) : ""));
      PrintReport(Tally(Select(by_setting[s], all), ks), ks);
      if (args.by_conversation) {
        for (size_t c = 0; c < convs->size(); ++c) {
          RouteReport conv =
              Tally(Select(by_setting[s], [&](const QuestionRecall& q) { return q.conversation == c; }), ks);
          PrintRow((*convs)[c].sample_id, conv.overall, ks);
        }
      }
      std::printf("  latency p50 %.0f us, p99 %.0f us (with query embedding); without: p50 %.0f us, p99 %.0f us\n\n",
                  Percentile(by_setting[s].total_us, 50), Percentile(by_setting[s].total_us, 99),
                  Percentile(by_setting[s].search_us, 50), Percentile(by_setting[s].search_us, 99));
    }
    if (args.loo) {
      const Loo& l = loo[route];
      header("route " + route + ", leave one conversation out (" + sweep->name + " chosen by R@" +
             std::to_string(ks[select_k]) + " on the others)");
      PrintReport(Tally(l.held_out, ks), ks);
      std::printf("  chosen:");
      for (size_t c = 0; c < convs->size(); ++c) {
        std::printf(" %s=%g", (*convs)[c].sample_id.c_str(), static_cast<double>(*settings[l.chosen[c]]));
      }
      std::printf("\n\n");
    }
    if (args.fit_reranker) {
      std::vector<std::string> conversation_ids;
      for (const auto& conv : *convs) conversation_ids.push_back(conv.sample_id);
      RerankerCrossValidation(route, rerank_cases[route], conversation_ids, ks, fit_args.fit, args.rerank_per_plan,
                              true, args.by_conversation);
    }
  }
  return kExitOk;
}

// --- engram eval knowledge-update -------------------------------------------

constexpr int64_t kMaxBudgetTokens = 1000000;

struct KuQuestion {
  std::string question;
  bool present = true;              // focus "present" (else "past")
  std::string current;              // the value true now
  std::string answer;               // the value asked about (current for present questions)
  std::vector<std::string> superseded;
  std::vector<std::string> evidence;
};

struct KuConversation {
  std::string file;
  std::string tenant;
  std::vector<Turn> turns;
  std::vector<KuQuestion> questions;
};

Status KuError(const std::string& file, const std::string& where, const std::string& what) {
  return Status::InvalidArgument(file + ": " + (where.empty() ? "" : where + ": ") + what);
}

// A required non-empty string field of `j`.
Result<std::string> KuString(const json& j, const char* field, const std::string& file, const std::string& where) {
  if (!j.contains(field)) return KuError(file, where, std::string("field '") + field + "' is missing");
  if (!j[field].is_string() || j[field].get<std::string>().empty()) {
    return KuError(file, where, std::string("field '") + field + "': expected a non-empty string");
  }
  return j[field].get<std::string>();
}

// A list of strings; `required_non_empty` refuses an empty list.
Result<std::vector<std::string>> KuStrings(const json& j, const char* field, bool required_non_empty,
                                           const std::string& file, const std::string& where) {
  if (!j.contains(field)) return KuError(file, where, std::string("field '") + field + "' is missing");
  const json& list = j[field];
  if (!list.is_array()) return KuError(file, where, std::string("field '") + field + "': expected a list of strings");
  std::vector<std::string> out;
  for (const auto& v : list) {
    if (!v.is_string() || v.get<std::string>().empty()) {
      return KuError(file, where, std::string("field '") + field + "': expected non-empty strings");
    }
    out.push_back(v.get<std::string>());
  }
  if (required_non_empty && out.empty()) {
    return KuError(file, where, std::string("field '") + field + "': no " + field + " turns");
  }
  return out;
}

Result<KuConversation> ReadKnowledgeUpdateFile(const std::string& path) {
  const std::string file = std::filesystem::path(path).filename().string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return Status::NotFound("no file '" + path + "'");
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read '" + path + "'");
  json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return KuError(file, "", "not valid JSON");
  if (!doc.is_object()) return KuError(file, "", "expected a JSON object");

  KuConversation conv;
  conv.file = file;
  auto tenant = KuString(doc, "conversation", file, "");
  if (!tenant.ok()) return tenant.status();
  conv.tenant = *tenant;

  if (!doc.contains("sessions") || !doc["sessions"].is_array() || doc["sessions"].empty()) {
    return KuError(file, "", "field 'sessions': expected a non-empty list");
  }
  std::set<std::string> ids;
  for (size_t s = 0; s < doc["sessions"].size(); ++s) {
    const json& session = doc["sessions"][s];
    const std::string where = "sessions[" + std::to_string(s) + "]";
    if (!session.is_object()) return KuError(file, where, "expected an object");
    auto name = KuString(session, "session", file, where);
    if (!name.ok()) return name.status();
    auto time_text = KuString(session, "time", file, where);
    if (!time_text.ok()) return time_text.status();
    auto start = ParseIsoTime(*time_text);
    if (!start.ok()) return KuError(file, where, "field 'time': " + start.status().message());
    if (!session.contains("turns") || !session["turns"].is_array() || session["turns"].empty()) {
      return KuError(file, where, "field 'turns': expected a non-empty list");
    }
    for (size_t t = 0; t < session["turns"].size(); ++t) {
      const json& jt = session["turns"][t];
      const std::string turn_where = where + ".turns[" + std::to_string(t) + "]";
      if (!jt.is_object()) return KuError(file, turn_where, "expected an object");
      Turn turn;
      turn.session = *name;
      auto speaker = KuString(jt, "speaker", file, turn_where);
      if (!speaker.ok()) return speaker.status();
      auto text = KuString(jt, "text", file, turn_where);
      if (!text.ok()) return text.status();
      turn.speaker = *speaker;
      turn.text = *text;
      turn.time_ms = *start + static_cast<TimeMs>(t) * 60'000;
      if (jt.contains("id")) {
        auto id = KuString(jt, "id", file, turn_where);
        if (!id.ok()) return id.status();
        turn.source_id = *id;
      } else {
        turn.source_id = *name + ":" + std::to_string(t + 1);
      }
      if (!ids.insert(turn.source_id).second) {
        return KuError(file, turn_where, "turn id '" + turn.source_id + "' appears twice");
      }
      conv.turns.push_back(std::move(turn));
    }
  }

  if (!doc.contains("questions") || !doc["questions"].is_array() || doc["questions"].empty()) {
    return KuError(file, "", "field 'questions': expected a non-empty list");
  }
  for (size_t i = 0; i < doc["questions"].size(); ++i) {
    const json& jq = doc["questions"][i];
    const std::string where = "questions[" + std::to_string(i) + "]";
    if (!jq.is_object()) return KuError(file, where, "expected an object");
    KuQuestion q;
    auto question = KuString(jq, "question", file, where);
    if (!question.ok()) return question.status();
    q.question = *question;
    auto focus = KuString(jq, "focus", file, where);
    if (!focus.ok()) return focus.status();
    if (*focus != "present" && *focus != "past") {
      return KuError(file, where, "field 'focus': '" + *focus + "' is neither 'present' nor 'past'");
    }
    q.present = *focus == "present";
    auto current = KuString(jq, "current", file, where);
    if (!current.ok()) return current.status();
    q.current = *current;
    if (q.present) {
      q.answer = q.current;
    } else {
      auto answer = KuString(jq, "answer", file, where + " (a past question)");
      if (!answer.ok()) return answer.status();
      q.answer = *answer;
    }
    auto superseded = KuStrings(jq, "superseded", false, file, where);
    if (!superseded.ok()) return superseded.status();
    q.superseded = std::move(*superseded);
    auto evidence = KuStrings(jq, "evidence", true, file, where);
    if (!evidence.ok()) return evidence.status();
    for (const auto& id : *evidence) {
      if (!ids.count(id)) return KuError(file, where, "field 'evidence': no turn '" + id + "' in the conversation");
    }
    q.evidence = std::move(*evidence);
    conv.questions.push_back(std::move(q));
  }
  return conv;
}

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Where `value` first occurs in `text` as whole words, ignoring ASCII case;
// npos when it does not.
size_t FindValue(std::string_view text, std::string_view value) {
  if (value.empty() || value.size() > text.size()) return std::string_view::npos;
  auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  for (size_t i = 0; i + value.size() <= text.size(); ++i) {
    bool same = true;
    for (size_t j = 0; j < value.size() && same; ++j) same = lower(text[i + j]) == lower(value[j]);
    if (!same) continue;
    const bool starts = i == 0 || !IsWordChar(text[i - 1]) || !IsWordChar(value.front());
    const size_t end = i + value.size();
    const bool ends = end == text.size() || !IsWordChar(text[end]) || !IsWordChar(value.back());
    if (starts && ends) return i;
  }
  return std::string_view::npos;
}

// One question's outcome.
struct KuOutcome {
  const KuConversation* conv = nullptr;
  const KuQuestion* q = nullptr;
  std::map<size_t, double> recall;  // k -> evidence recall
  bool answer_in_context = false;
  bool correct = false;               // the knowledge-update score
  size_t stale_fact_lines = 0;        // fact/relation lines with a superseded value and no "no longer true"
  size_t superseded_turn_lines = 0;   // quoted turns that name a superseded value
  std::string leading_line;           // the first context line naming the answer or a superseded value
  std::string stale_line;             // the first stale fact or relation line
};

struct KuTally {
  size_t questions = 0, present = 0, past = 0;
  size_t present_correct = 0, past_correct = 0;
  size_t answer_in_context = 0;
  size_t stale_questions = 0, stale_lines = 0;
  size_t turn_mention_questions = 0;
  std::map<size_t, double> recall_sum;

  void Add(const KuOutcome& o) {
    ++questions;
    (o.q->present ? present : past) += 1;
    if (o.correct) (o.q->present ? present_correct : past_correct) += 1;
    answer_in_context += o.answer_in_context;
    stale_questions += o.stale_fact_lines > 0;
    stale_lines += o.stale_fact_lines;
    turn_mention_questions += o.superseded_turn_lines > 0;
    for (const auto& [k, r] : o.recall) recall_sum[k] += r;
  }
};

double Pct(size_t n, size_t d) { return d ? 100.0 * static_cast<double>(n) / static_cast<double>(d) : 0.0; }

json KuTallyJson(const KuTally& t, const std::vector<size_t>& ks) {
  json j = json::object();
  j["questions"] = t.questions;
  j["present_questions"] = t.present;
  j["past_questions"] = t.past;
  json recall = json::object();
  for (size_t k : ks) {
    recall["R@" + std::to_string(k)] =
        t.questions ? 100.0 * t.recall_sum.at(k) / static_cast<double>(t.questions) : 0.0;
  }
  j["evidence_recall"] = recall;
  j["knowledge_update"] = Pct(t.present_correct + t.past_correct, t.questions);
  j["present_correct"] = Pct(t.present_correct, t.present);
  j["past_correct"] = Pct(t.past_correct, t.past);
  j["answer_in_context"] = Pct(t.answer_in_context, t.questions);
  j["stale_as_current"] = Pct(t.stale_questions, t.questions);
  j["stale_lines"] = t.stale_lines;
  j["superseded_in_quoted_turns"] = Pct(t.turn_mention_questions, t.questions);
  return j;
}

// Scores the packed context of one question.
void ScoreContext(const Context& ctx, const KuQuestion& q, KuOutcome* o) {
  const size_t answer_at = FindValue(ctx.text, q.answer);
  o->answer_in_context = answer_at != std::string::npos;
  if (q.present) {
    // The first line presenting a replaced value; a fact line that labels
    // it "no longer true" presents it as past, which is right.
    size_t first_superseded = std::string::npos;
    size_t line_begin = 0;
    while (line_begin < ctx.text.size() && first_superseded == std::string::npos) {
      size_t line_end = ctx.text.find('\n', line_begin);
      if (line_end == std::string::npos) line_end = ctx.text.size();
      const std::string line = ctx.text.substr(line_begin, line_end - line_begin);
      if (line.find("no longer true") == std::string::npos) {
        for (const auto& s : q.superseded) {
          if (size_t at = FindValue(line, s); at != std::string::npos) {
            first_superseded = std::min(first_superseded, line_begin + at);
          }
        }
      }
      line_begin = line_end + 1;
    }
    o->correct = o->answer_in_context && answer_at < first_superseded;
  } else {
    o->correct = o->answer_in_context;
  }
  for (const auto& section : ctx.sections) {
    for (const auto& item : section.items) {
      bool names_superseded = false;
      for (const auto& s : q.superseded) names_superseded |= FindValue(item.text, s) != std::string::npos;
      if (!names_superseded) continue;
      if (item.kind == "fact" || item.kind == "relation") {
        if (item.text.find("no longer true") == std::string::npos) {
          if (o->stale_fact_lines++ == 0) o->stale_line = item.text;
        }
      } else {
        ++o->superseded_turn_lines;
      }
    }
  }
  // The first line that names the answer or a value it replaced.
  std::stringstream lines(ctx.text);
  std::string line;
  while (std::getline(lines, line)) {
    bool names = FindValue(line, q.answer) != std::string::npos;
    for (const auto& s : q.superseded) names |= FindValue(line, s) != std::string::npos;
    if (names) {
      o->leading_line = line;
      break;
    }
  }
}

int RunEvalKnowledgeUpdate(const std::vector<std::string>& files, const std::string& ks_text, size_t budget,
                           bool as_json) {
  const std::vector<size_t> ks = ParseKs(ks_text);  // checked by CutoffList
  std::vector<KuConversation> convs;
  std::set<std::string> tenants;
  for (const auto& path : files) {
    auto conv = ReadKnowledgeUpdateFile(path);
    if (!conv.ok()) return Fail(conv.status());
    if (!tenants.insert(conv->tenant).second) {
      return Fail(Status::InvalidArgument(conv->file + ": conversation '" + conv->tenant +
                                          "' is also in an earlier file"));
    }
    convs.push_back(std::move(*conv));
  }

  char tmpl[] = "/tmp/engram-eval-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return Fail(Status::IOError("cannot create a temporary folder"));
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } cleanup{tmpl};
  auto store = OpenStore(cleanup.path, false, true);
  if (!store.ok()) return Fail(store.status());

  size_t ingested = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (const auto& conv : convs) {
    auto seqs = (*store)->ObserveBatch(conv.tenant, std::span<const Turn>(conv.turns.data(), conv.turns.size()));
    if (!seqs.ok()) return Fail(seqs.status().WithContext(conv.file));
    ingested += conv.turns.size();
  }
  double ingest_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "engram: ingested %zu turns of %zu conversations in %.1f s\n", ingested, convs.size(),
               ingest_s);

  std::vector<KuOutcome> outcomes;
  for (const auto& conv : convs) {
    for (const auto& q : conv.questions) {
      KuOutcome o;
      o.conv = &conv;
      o.q = &q;
      RecallOptions options;
      options.k = ks.back();
      auto result = (*store)->Recall(conv.tenant, q.question, options);
      if (!result.ok()) return Fail(result.status().WithContext("question '" + q.question + "'"));
      const std::vector<std::string> ranked = RankedSourceTurns(*result);
      const std::set<std::string> evidence(q.evidence.begin(), q.evidence.end());
      const std::vector<double> recall = RecallAtCutoffs(ranked, evidence, ks);
      for (size_t i = 0; i < ks.size(); ++i) o.recall[ks[i]] = recall[i];
      auto ctx = (*store)->RecallContext(conv.tenant, q.question, budget);
      if (!ctx.ok()) return Fail(ctx.status().WithContext("question '" + q.question + "'"));
      ScoreContext(*ctx, q, &o);
      outcomes.push_back(std::move(o));
    }
  }

  KuTally overall;
  std::map<std::string, KuTally> by_conversation;
  for (const auto& o : outcomes) {
    overall.Add(o);
    by_conversation[o.conv->tenant].Add(o);
  }

  if (as_json) {
    json out;
    out["budget"] = budget;
    out["overall"] = KuTallyJson(overall, ks);
    out["by_conversation"] = json::object();
    for (const auto& [tenant, t] : by_conversation) out["by_conversation"][tenant] = KuTallyJson(t, ks);
    out["questions"] = json::array();
    for (const auto& o : outcomes) {
      json jq;
      jq["conversation"] = o.conv->tenant;
      jq["question"] = o.q->question;
      jq["focus"] = o.q->present ? "present" : "past";
      jq["expected"] = o.q->answer;
      jq["correct"] = o.correct;
      jq["answer_in_context"] = o.answer_in_context;
      jq["stale_lines"] = o.stale_fact_lines;
      jq["superseded_in_quoted_turns"] = o.superseded_turn_lines;
      json recall = json::object();
      for (const auto& [k, r] : o.recall) recall["R@" + std::to_string(k)] = 100.0 * r;
      jq["evidence_recall"] = recall;
      jq["leading_line"] = o.leading_line;
      jq["stale_line"] = o.stale_line;
      out["questions"].push_back(jq);
    }
    std::cout << TerminalSafeJson(out.dump(2)) << "\n";
    return kExitOk;
  }

  std::printf("Knowledge updates: %zu questions (%zu about now, %zu about the past) in %zu conversation%s, "
              "context budget %zu tokens\n\n",
              overall.questions, overall.present, overall.past, convs.size(), convs.size() == 1 ? "" : "s", budget);
  std::printf("%-16s", "conversation");
  for (size_t k : ks) std::printf("  R@%-4zu", k);
  std::printf("  %8s  %8s  %8s  %8s\n", "updated", "now", "past", "stale");
  auto row = [&](const std::string& name, const KuTally& t) {
    std::printf("%-16s", Printable(name).c_str());
    for (size_t k : ks) std::printf("  %6.1f", t.questions ? 100.0 * t.recall_sum.at(k) / t.questions : 0.0);
    std::printf("  %7.1f%%  %7.1f%%  %7.1f%%  %7.1f%%\n", Pct(t.present_correct + t.past_correct, t.questions),
                Pct(t.present_correct, t.present), Pct(t.past_correct, t.past), Pct(t.stale_questions, t.questions));
  };
  for (const auto& [tenant, t] : by_conversation) row(tenant, t);
  row("overall", overall);
  std::printf("\nR@k: evidence turns among the first k recalled. updated: the context gives the value asked about "
              "(for questions about now, before any line presenting a value it replaced as current). stale: questions whose context states a "
              "replaced value as a fact without \"no longer true\" (%zu lines). A replaced value is named in the "
              "quoted turns of %.1f%% of the contexts.\n",
              overall.stale_lines, Pct(overall.turn_mention_questions, overall.questions));
  bool header = false;
  for (const auto& o : outcomes) {
    if (o.correct && o.stale_fact_lines == 0) continue;
    if (!header) std::printf("\nMisses:\n");
    header = true;
    std::printf("- [%s] %s (expected %s%s)\n    %s\n", Printable(o.conv->tenant).c_str(),
                Printable(o.q->question).c_str(), Printable(o.q->answer).c_str(),
                o.correct ? ", stale line" : (o.answer_in_context ? ", after a replaced value" : ", not in context"),
                o.leading_line.empty() ? "(no line names the value or a replaced one)"
                                       : Printable(o.leading_line).c_str());
    if (!o.stale_line.empty()) std::printf("    stale: %s\n", Printable(o.stale_line).c_str());
  }
  return kExitOk;
}

}  // namespace

void AddEvalCommand(CLI::App& app, int* exit_code) {
  auto* eval = app.add_subcommand("eval", "measure retrieval quality on a benchmark");
  eval->require_subcommand(1);
  auto a = std::make_shared<LocomoEvalArgs>();
  auto* locomo = eval->add_subcommand("locomo", "turn-level evidence recall@k on LoCoMo (JSON file)");
  locomo->add_option("file", a->file, "LoCoMo JSON (the dataset's locomo10.json, or a part of it)")
      ->required()
      ->check(CLI::ExistingFile);
  locomo->add_option("--k", a->ks, "cut-offs, comma-separated (default 1,5,10,25,50)")->check(CutoffList());
  locomo->add_option("--route", a->routes, "routes to measure, comma-separated: auto (default), hybrid, bm25, vector");
  locomo->add_option("--store", a->store, "keep the ingested store in this folder (reused when it exists)");
  locomo->add_flag("--json", a->json, "print JSON");
  locomo->add_flag("--by-conversation", a->by_conversation, "also print each conversation's figures");
  locomo->add_option("--sweep", a->sweep,
                     "measure each value of one route weight, NAME=V1,V2,... (names as in recall --explain: "
                     "speaker, context_key, ...)");
  locomo->add_option("--weight", a->fixed, "set a route weight for every run, NAME=VALUE (repeatable)");
  locomo->add_flag("--loo", a->loo,
                   "with --sweep: leave one conversation out; each conversation is scored with the value that "
                   "does best (R@10) on the others");
  locomo->add_flag("--fit-reranker", a->fit_reranker,
                   "fit the reranker's weights on the candidates of each route leaving one conversation out; "
                   "prints the first stage, the held-out figures and the weights fitted on all conversations");
  locomo->add_option("--rerank-depth", a->rerank_depth, "with --fit-reranker: candidates reranked (default 50)")
      ->check(InRange(1, kMaxCutoff));
  locomo->add_option("--rerank-per-plan", a->rerank_per_plan,
                     "with --fit-reranker: fit each plan on its own questions when it has at least this many "
                     "(default 0: one set of weights for every plan)")
      ->check(InRange(0, 1000000));
  locomo->add_option("--rerank-non-negative", a->rerank_non_negative,
                     "with --fit-reranker: features whose weight may not fall below 0, comma-separated");
  locomo->add_option("--rerank-l2", a->fit.l2, "with --fit-reranker: ridge penalty (default 0.001)")
      ->check(CLI::Range(0.0, 100.0));
  locomo->add_option("--rerank-negatives", a->fit.negative_depth,
                     "with --fit-reranker: pair only irrelevant candidates above this first-stage rank (0 = all)")
      ->check(InRange(0, kMaxCutoff));
  locomo->callback([=]() { *exit_code = RunEvalLocomo(*a); });

  struct KuArgs {
    std::vector<std::string> files;
    std::string ks = "1,5,10";
    size_t budget = 400;
    bool json = false;
  };
  auto ku = std::make_shared<KuArgs>();
  auto* update = eval->add_subcommand(
      "knowledge-update", "current and past values of changing facts: evidence recall@k and the packed context");
  update->add_option("files", ku->files, "knowledge-update JSON files (e.g. eval/knowledge_update/*.json)")
      ->required()
      ->check(CLI::ExistingFile);
  update->add_option("--k", ku->ks, "cut-offs, comma-separated (default 1,5,10)")->check(CutoffList());
  update->add_option("--budget", ku->budget, "context budget in tokens (default 400)")
      ->check(InRange(1, kMaxBudgetTokens));
  update->add_flag("--json", ku->json, "print JSON");
  update->callback([=]() { *exit_code = RunEvalKnowledgeUpdate(ku->files, ku->ks, ku->budget, ku->json); });
}

}  // namespace engram::cli
