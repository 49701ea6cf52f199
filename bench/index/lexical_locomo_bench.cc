// BM25 on LoCoMo: index build rate, search latency (per-conversation indexes
// of ~600 turns, and a 100k-document index), and turn-level evidence recall.
//
// Data: $ENGRAM_LOCOMO, default /work/shared/data/locomo/locomo-dev5.json
// (CC BY-NC, never copied into the repository). Without it every benchmark
// is skipped with a message.
//
// Recall protocol (data/locomo README): one document per turn,
// "<speaker> said, \"<text>\"" plus " and shared <blip_caption>" when the turn
// has an image; retrieval per conversation; the query is the question; recall
// of a question = share of its evidence turns in the top k. Evidence strings
// are split on ';' and whitespace and normalised ("D:11:26" -> "D11:26",
// "D30:05" -> "D30:5"); ids that name no turn are dropped, and questions left
// with no evidence are excluded (not counted as recall 1).
//
// Before the benchmarks the program prints recall@5/@10 by category for the
// default LexicalOptions. With ENGRAM_LEXICAL_SWEEP=1 it also prints the
// sweep over analyzer variants and (k1, b) used to choose those defaults.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "index/lexical_index.h"
#include "index/text_analyzer.h"

namespace engram {
namespace {

struct Question {
  std::string text;
  int category = 0;
  std::vector<uint64_t> evidence;  // turn indexes in the conversation
};

struct Conversation {
  std::string name;
  std::vector<std::string> dia_ids;
  std::vector<std::string> documents;  // by turn index
  std::vector<Question> questions;
};

struct Locomo {
  std::vector<Conversation> conversations;
  std::string error;  // non-empty when the data could not be loaded
  size_t dropped_evidence = 0;
  size_t excluded_questions = 0;
};

std::string LocomoPath() {
  const char* env = std::getenv("ENGRAM_LOCOMO");
  return env != nullptr && *env != '\0' ? env : "/work/shared/data/locomo/locomo-dev5.json";
}

// "D:11:26" -> "D11:26", "D30:05" -> "D30:5"; "" when not of the form D<n>:<n>.
std::string NormaliseDiaId(std::string id) {
  if (id.size() < 2 || id[0] != 'D') return "";
  std::string rest = id.substr(1);
  if (!rest.empty() && rest[0] == ':') rest = rest.substr(1);
  const size_t colon = rest.find(':');
  if (colon == std::string::npos) return "";
  auto strip = [](std::string s) -> std::string {
    if (s.empty() || !std::all_of(s.begin(), s.end(), ::isdigit)) return "";
    const size_t nz = s.find_first_not_of('0');
    return nz == std::string::npos ? "0" : s.substr(nz);
  };
  const std::string session = strip(rest.substr(0, colon));
  const std::string turn = strip(rest.substr(colon + 1));
  if (session.empty() || turn.empty()) return "";
  return "D" + session + ":" + turn;
}

Locomo LoadLocomo() {
  Locomo data;
  const std::string path = LocomoPath();
  std::ifstream in(path);
  if (!in) {
    data.error = "LoCoMo data not found at " + path + " (set ENGRAM_LOCOMO)";
    return data;
  }
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(in);
    for (const auto& sample : root) {
      Conversation conv;
      conv.name = sample.value("sample_id", "");
      const auto& c = sample.at("conversation");
      std::map<std::string, uint64_t> turn_of;
      for (int s = 1; s < 100; ++s) {
        const std::string key = "session_" + std::to_string(s);
        if (!c.contains(key)) continue;
        for (const auto& turn : c.at(key)) {
          std::string doc = turn.at("speaker").get<std::string>() + " said, \"" +
                            turn.at("text").get<std::string>() + "\"";
          if (turn.contains("blip_caption") && turn.at("blip_caption").is_string()) {
            doc += " and shared " + turn.at("blip_caption").get<std::string>();
          }
          const std::string dia_id = turn.at("dia_id").get<std::string>();
          turn_of[dia_id] = conv.documents.size();
          conv.dia_ids.push_back(dia_id);
          conv.documents.push_back(std::move(doc));
        }
      }
      for (const auto& qa : sample.at("qa")) {
        Question q;
        q.text = qa.at("question").get<std::string>();
        q.category = qa.at("category").get<int>();
        std::set<uint64_t> evidence;
        for (const auto& e : qa.at("evidence")) {
          std::string field = e.get<std::string>();
          std::replace(field.begin(), field.end(), ';', ' ');
          std::istringstream parts(field);
          std::string part;
          while (parts >> part) {
            auto it = turn_of.find(NormaliseDiaId(part));
            if (it == turn_of.end()) {
              ++data.dropped_evidence;
            } else {
              evidence.insert(it->second);
            }
          }
        }
        if (evidence.empty()) {
          ++data.excluded_questions;
          continue;
        }
        q.evidence.assign(evidence.begin(), evidence.end());
        conv.questions.push_back(std::move(q));
      }
      data.conversations.push_back(std::move(conv));
    }
  } catch (const std::exception& e) {
    data.error = std::string("cannot read LoCoMo: ") + e.what();
  }
  return data;
}

const Locomo& Data() {
  static const Locomo data = LoadLocomo();
  return data;
}

std::unique_ptr<LexicalIndex> BuildIndex(const Conversation& conv, const LexicalOptions& options) {
  auto index = std::make_unique<LexicalIndex>(options);
  for (size_t i = 0; i < conv.documents.size(); ++i) index->Add(i, conv.documents[i]);
  return index;
}

// Recall sums per category (index 0 = all).
struct RecallTable {
  double r5[6] = {};
  double r10[6] = {};
  int count[6] = {};

  double R5(int c) const { return count[c] ? 100.0 * r5[c] / count[c] : 0.0; }
  double R10(int c) const { return count[c] ? 100.0 * r10[c] / count[c] : 0.0; }
};

// Recall over every conversation, or only the one named `only`.
RecallTable Evaluate(const LexicalOptions& options, const std::string& only = "") {
  RecallTable t;
  for (const Conversation& conv : Data().conversations) {
    if (!only.empty() && conv.name != only) continue;
    const auto index = BuildIndex(conv, options);
    for (const Question& q : conv.questions) {
      const auto hits = index->Search(q.text, 10);
      int in5 = 0, in10 = 0;
      for (size_t rank = 0; rank < hits.size(); ++rank) {
        const bool relevant = std::binary_search(q.evidence.begin(), q.evidence.end(), hits[rank].id);
        if (!relevant) continue;
        ++in10;
        if (rank < 5) ++in5;
      }
      const double n = static_cast<double>(q.evidence.size());
      for (int c : {0, q.category}) {
        if (c < 0 || c > 5) continue;
        t.r5[c] += in5 / n;
        t.r10[c] += in10 / n;
        ++t.count[c];
      }
    }
  }
  return t;
}

void PrintRecall(const char* label, const RecallTable& t) {
  // Columns in the paper's order: single-hop (4), multi-hop (1), temporal
  // (2), open-domain (3), adversarial (5), overall.
  std::printf("%-34s", label);
  for (int c : {4, 1, 2, 3, 5, 0}) std::printf(" %5.1f/%5.1f", t.R5(c), t.R10(c));
  std::printf("\n");
}

void PrintRecallHeader(const Locomo& data) {
  size_t turns = 0, questions = 0;
  for (const auto& c : data.conversations) {
    turns += c.documents.size();
    questions += c.questions.size();
  }
  std::printf("LoCoMo %s: %zu conversations, %zu turns, %zu questions scored "
              "(%zu excluded: no valid evidence; %zu evidence ids dropped)\n",
              LocomoPath().c_str(), data.conversations.size(), turns, questions,
              data.excluded_questions, data.dropped_evidence);
  std::printf("turn-level evidence recall R@5/R@10 in %% (category: 4 single-hop, 1 multi-hop, "
              "2 temporal, 3 open-domain, 5 adversarial)\n");
  std::printf("%-34s %11s %11s %11s %11s %11s %11s\n", "variant", "single(4)", "multi(1)",
              "temporal(2)", "open(3)", "advers(5)", "overall");
}

void PrintSweep() {
  struct Variant {
    const char* name;
    bool stem;
    bool stop;
  };
  const Variant variants[] = {{"stem+stop", true, true},
                              {"stem, no stop", true, false},
                              {"no stem, stop", false, true},
                              {"no stem, no stop", false, false}};
  for (const Variant& v : variants) {
    for (float k1 : {0.6f, 0.9f, 1.2f, 1.5f, 2.0f}) {
      for (float b : {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.75f, 0.9f}) {
        LexicalOptions o;
        o.analyzer.stem = v.stem;
        o.analyzer.remove_stop_words = v.stop;
        o.k1 = k1;
        o.b = b;
        char label[96];
        std::snprintf(label, sizeof label, "%s k1=%.1f b=%.2f", v.name, k1, b);
        PrintRecall(label, Evaluate(o));
      }
    }
  }
  // A setting worth making the default should win in every conversation,
  // not only on the total: R@10 overall per conversation.
  std::printf("\nper-conversation R@10 (overall), stem+stop:\n%-20s", "k1, b");
  for (const Conversation& conv : Data().conversations) std::printf(" %8s", conv.name.c_str());
  std::printf("\n");
  for (auto [k1, b] : {std::pair{1.2f, 0.75f}, {1.2f, 0.5f}, {1.2f, 0.3f}, {1.2f, 0.2f},
                       {0.9f, 0.3f}, {0.9f, 0.2f}, {1.2f, 0.1f}}) {
    LexicalOptions o;
    o.k1 = k1;
    o.b = b;
    std::printf("k1=%.1f b=%.2f      ", k1, b);
    for (const Conversation& conv : Data().conversations) {
      std::printf(" %8.1f", Evaluate(o, conv.name).R10(0));
    }
    std::printf("\n");
  }
}

// ---------------------------------------------------------------- benchmarks

bool SkipWithoutData(benchmark::State& state) {
  if (Data().error.empty() && !Data().conversations.empty()) return false;
  state.SkipWithError(Data().error.empty() ? "LoCoMo file holds no conversations" : Data().error.c_str());
  return true;
}

void BM_LocomoBuild(benchmark::State& state) {
  if (SkipWithoutData(state)) return;
  size_t docs = 0;
  for (auto _ : state) {
    for (const Conversation& conv : Data().conversations) {
      auto index = BuildIndex(conv, LexicalOptions{});
      benchmark::DoNotOptimize(index->size());
      docs += conv.documents.size();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(docs));
}
BENCHMARK(BM_LocomoBuild)->Unit(benchmark::kMillisecond);

// Analysis alone (ICU case folding and word breaks, stop words, Snowball),
// which both Add() and Search() pay once per text.
void BM_AnalyzeQuestion(benchmark::State& state) {
  if (SkipWithoutData(state)) return;
  std::vector<const std::string*> texts;
  for (const Conversation& conv : Data().conversations) {
    for (const Question& q : conv.questions) texts.push_back(&q.text);
  }
  const TextAnalyzer analyzer;
  size_t next = 0;
  for (auto _ : state) {
    auto terms = analyzer.Terms(*texts[next]);
    next = (next + 1) % texts.size();
    benchmark::DoNotOptimize(terms.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AnalyzeQuestion);

// One query per iteration over every question of every conversation, each
// against its own conversation's index; p50/p99 latency as counters.
void RunSearchBench(benchmark::State& state,
                    const std::vector<const LexicalIndex*>& indexes,
                    const std::vector<std::pair<size_t, const std::string*>>& queries) {
  const auto k = static_cast<size_t>(state.range(0));
  std::vector<double> micros;
  size_t next = 0;
  for (auto _ : state) {
    const auto& [conv, text] = queries[next];
    next = (next + 1) % queries.size();
    const auto start = std::chrono::steady_clock::now();
    auto hits = indexes[conv]->Search(*text, k);
    const auto stop = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(hits.data());
    micros.push_back(std::chrono::duration<double, std::micro>(stop - start).count());
  }
  std::sort(micros.begin(), micros.end());
  if (!micros.empty()) {
    state.counters["p50_us"] = micros[micros.size() / 2];
    state.counters["p99_us"] = micros[std::min(micros.size() - 1, micros.size() * 99 / 100)];
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_LocomoSearch(benchmark::State& state) {
  if (SkipWithoutData(state)) return;
  std::vector<std::unique_ptr<LexicalIndex>> owned;
  std::vector<const LexicalIndex*> indexes;
  std::vector<std::pair<size_t, const std::string*>> queries;
  for (size_t c = 0; c < Data().conversations.size(); ++c) {
    owned.push_back(BuildIndex(Data().conversations[c], LexicalOptions{}));
    indexes.push_back(owned.back().get());
    for (const Question& q : Data().conversations[c].questions) queries.emplace_back(c, &q.text);
  }
  RunSearchBench(state, indexes, queries);
}
BENCHMARK(BM_LocomoSearch)->Arg(10)->ArgName("k");

// 100k documents of 12 words each, drawn from LoCoMo's own word stream, so
// term frequencies follow real (Zipfian) conversation text; LoCoMo questions
// as queries.
void BM_Search100k(benchmark::State& state) {
  if (SkipWithoutData(state)) return;
  static const auto index = [] {
    std::vector<std::string> words;
    for (const Conversation& conv : Data().conversations) {
      for (const std::string& doc : conv.documents) {
        std::istringstream in(doc);
        std::string w;
        while (in >> w) words.push_back(w);
      }
    }
    std::mt19937_64 rng(42);
    std::uniform_int_distribution<size_t> pick(0, words.size() - 1);
    auto built = std::make_unique<LexicalIndex>();
    for (uint64_t id = 0; id < 100000; ++id) {
      std::string text;
      for (int j = 0; j < 12; ++j) text += words[pick(rng)] + " ";
      built->Add(id, text);
    }
    return built;
  }();
  std::vector<std::pair<size_t, const std::string*>> queries;
  for (const Conversation& conv : Data().conversations) {
    for (const Question& q : conv.questions) queries.emplace_back(0, &q.text);
  }
  RunSearchBench(state, {index.get()}, queries);
  state.counters["docs"] = static_cast<double>(index->size());
}
BENCHMARK(BM_Search100k)->Arg(10)->ArgName("k");

// Recall of the default options as counters, for machine-readable output.
void BM_LocomoRecall(benchmark::State& state) {
  if (SkipWithoutData(state)) return;
  RecallTable t;
  for (auto _ : state) t = Evaluate(LexicalOptions{});
  state.counters["R@5"] = t.R5(0);
  state.counters["R@10"] = t.R10(0);
  for (int c = 1; c <= 5; ++c) state.counters["R@10_cat" + std::to_string(c)] = t.R10(c);
}
BENCHMARK(BM_LocomoRecall)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace engram

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const engram::Locomo& data = engram::Data();
  if (!data.error.empty()) {
    std::printf("%s: LoCoMo benchmarks are skipped\n", data.error.c_str());
  } else {
    engram::PrintRecallHeader(data);
    engram::PrintRecall("default (stem+stop k1=1.2 b=0.2)", engram::Evaluate(engram::LexicalOptions{}));
    const char* sweep = std::getenv("ENGRAM_LEXICAL_SWEEP");
    if (sweep != nullptr && std::string(sweep) == "1") engram::PrintSweep();
    std::fflush(stdout);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
