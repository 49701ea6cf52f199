// Rule-based extractor throughput on LoCoMo turns (single thread).
//
// Data: $ENGRAM_LOCOMO, default /work/shared/data/locomo/locomo-dev5.json
// (CC BY-NC, never copied into the repository). Without it every benchmark
// is skipped with a message. Each turn is extracted with its session time,
// the two speakers as participants and the previous speaker, exactly as the
// store would on Observe. Goal: >= 5,000 turns/s on one core.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/time_format.h"
#include "engram/extractor.h"
#include "extract/time_expressions.h"

namespace engram {
namespace {

struct Corpus {
  std::vector<ExtractionInput> turns;
  std::string error;
};

const Corpus& LoadCorpus() {
  static const Corpus corpus = [] {
    Corpus c;
    const char* env = std::getenv("ENGRAM_LOCOMO");
    const std::string path = env && *env ? env : "/work/shared/data/locomo/locomo-dev5.json";
    std::ifstream in(path);
    if (!in) {
      c.error = "LoCoMo data not found at " + path + " (set ENGRAM_LOCOMO)";
      return c;
    }
    try {
      const auto data = nlohmann::json::parse(in);
      for (const auto& sample : data) {
        const auto& conv = sample.at("conversation");
        const std::vector<std::string> participants = {conv.at("speaker_a").get<std::string>(),
                                                       conv.at("speaker_b").get<std::string>()};
        for (int s = 1; conv.contains("session_" + std::to_string(s)); ++s) {
          const std::string key = "session_" + std::to_string(s);
          auto time = ParseLocomoTime(conv.value(key + "_date_time", std::string()));
          std::string previous;
          for (const auto& t : conv.at(key)) {
            ExtractionInput input;
            input.turn.session = key;
            input.turn.speaker = t.at("speaker").get<std::string>();
            input.turn.text = t.at("text").get<std::string>();
            input.turn.time_ms = time.ok() ? *time : 0;
            input.turn.source_id = t.value("dia_id", std::string());
            input.participants = participants;
            input.previous_speaker = previous;
            previous = input.turn.speaker;
            c.turns.push_back(std::move(input));
          }
        }
      }
    } catch (const std::exception& e) {
      c.error = std::string("LoCoMo data does not parse: ") + e.what();
    }
    return c;
  }();
  return corpus;
}

void BM_RuleBasedExtractLocomoTurns(benchmark::State& state) {
  const Corpus& corpus = LoadCorpus();
  if (!corpus.error.empty() || corpus.turns.empty()) {
    state.SkipWithError(corpus.error.empty() ? "no turns" : corpus.error.c_str());
    return;
  }
  auto extractor = NewRuleBasedExtractor();
  size_t i = 0, units = 0, facts = 0, relations = 0, entities = 0, turns = 0;
  for (auto _ : state) {
    auto r = extractor->Extract(corpus.turns[i]);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    units += r->units.size();
    facts += r->facts.size();
    relations += r->relations.size();
    entities += r->entities.size();
    benchmark::DoNotOptimize(r);
    ++turns;
    if (++i == corpus.turns.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(turns));
  const double n = turns ? static_cast<double>(turns) : 1.0;
  state.counters["units_per_turn"] = static_cast<double>(units) / n;
  state.counters["facts_per_turn"] = static_cast<double>(facts) / n;
  state.counters["relations_per_turn"] = static_cast<double>(relations) / n;
  state.counters["entities_per_turn"] = static_cast<double>(entities) / n;
  state.counters["corpus_turns"] = static_cast<double>(corpus.turns.size());
}
BENCHMARK(BM_RuleBasedExtractLocomoTurns);

void BM_FindTimeExpressionsLocomoTurns(benchmark::State& state) {
  const Corpus& corpus = LoadCorpus();
  if (!corpus.error.empty() || corpus.turns.empty()) {
    state.SkipWithError(corpus.error.empty() ? "no turns" : corpus.error.c_str());
    return;
  }
  size_t i = 0, mentions = 0, turns = 0;
  for (auto _ : state) {
    const auto& t = corpus.turns[i].turn;
    auto found = FindTimeExpressions(t.text, t.time_ms);
    mentions += found.size();
    benchmark::DoNotOptimize(found);
    ++turns;
    if (++i == corpus.turns.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(turns));
  state.counters["mentions_per_turn"] = static_cast<double>(mentions) / (turns ? static_cast<double>(turns) : 1.0);
}
BENCHMARK(BM_FindTimeExpressionsLocomoTurns);

}  // namespace
}  // namespace engram

BENCHMARK_MAIN();
