// Cost of deriving turns into a tenant's tiers, by tenant size.
//
// BM_ColdLoad/<turns>: a new tenant applies <turns> turns, as a cold load
// does after reading the log (one iteration; time per turn in the counters).
// BM_ApplyTurn/<turns>: at that size, each iteration applies one more turn
// with TenantMemory::ApplyTurn (working memory, BM25 index, persona facts,
// entities, relations; no embedding and no vector index add): the marginal
// write cost. p50_us and p99_us are percentiles of the single turns.
// BM_ExpandSpeaker/<turns>: one graph expansion from a speaker (2 hops,
// fan-out 8, at most 32 edges, as a graph-routed Recall asks), at that size.
// A speaker node holds an edge to most entities of most turns.
//
// The synthetic turns repeat like a long conversation: two speakers, 20-turn
// sessions a day apart, words from a 4000-word vocabulary with a skewed
// distribution, a few hundred entities (some with aliases), likes/dislikes of
// a few hundred values, single-valued facts (home, occupation) that change,
// negations (with and without a value) and subjects in other cases.
//
// The benchmarks share one tenant: BM_ColdLoad builds it, the others grow it
// to their size if needed (a size smaller than the current one starts over).
// They are registered size by size, so run them in order, without random
// interleaving:
//
//   derivation_bench --benchmark_repetitions=5
//   derivation_bench --benchmark_filter='ApplyTurn|Expand' --benchmark_repetitions=5  # no cold loads
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "engram/options.h"
#include "engram/types.h"
#include "tiers/tenant_memory.h"

namespace engram {
namespace {

constexpr int64_t kStartMs = 1672531200000LL;  // 2023-01-01
constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr uint64_t kTurnsPerSession = 20;
constexpr size_t kVocabulary = 4000;
constexpr size_t kWordsPerTurn = 16;
constexpr size_t kEntities = 300;
constexpr size_t kValues = 300;
constexpr int64_t kMeasuredTurns = 1000;  // iterations of BM_ApplyTurn per repetition

// SplitMix64: a small, fast, well-mixed generator; one stream per turn so
// turn n is the same whatever was generated before it.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed * 0x9e3779b97f4a7c15ULL + 1) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  // Skewed towards small values (roughly Zipf-like): the square of a uniform.
  size_t Skewed(size_t n) {
    const double u = static_cast<double>(Next() >> 11) / static_cast<double>(1ULL << 53);
    return static_cast<size_t>(u * u * static_cast<double>(n));
  }
  bool Chance(int percent) { return Below(100) < static_cast<size_t>(percent); }

 private:
  uint64_t state_;
};

std::string Word(size_t i) {
  static const char* kSyllables[] = {"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "de", "pa", "go", "ze"};
  std::string w;
  do {
    w += kSyllables[i % 12];
    i /= 12;
  } while (i > 0);
  return w + "n";
}

std::string EntityName(size_t i) { return "Place" + Word(i); }
std::string Value(size_t i) { return "hobby " + Word(i + 1000); }

struct SyntheticTurn {
  Turn turn;
  Extraction extraction;
};

SyntheticTurn MakeTurn(uint64_t n) {
  Random rng(n);
  SyntheticTurn out;
  Turn& t = out.turn;
  const uint64_t session = n / kTurnsPerSession;
  t.session = "session_" + std::to_string(session);
  t.speaker = n % 2 ? "Melanie" : "Caroline";
  t.time_ms = kStartMs + static_cast<int64_t>(session) * kDayMs + static_cast<int64_t>(n % kTurnsPerSession) * 30000;
  t.source_id = "D" + std::to_string(session) + ":" + std::to_string(n % kTurnsPerSession);
  for (size_t i = 0; i < kWordsPerTurn; ++i) {
    if (i) t.text += ' ';
    t.text += Word(rng.Skewed(kVocabulary));
  }

  Extraction& x = out.extraction;
  // The subject as an extractor might spell it.
  const std::string subject = rng.Chance(5) ? (n % 2 ? "melanie" : "caroline") : t.speaker;

  EventUnit unit;
  unit.text = t.speaker + " said " + t.text.substr(0, 40);
  unit.subject = t.speaker;
  unit.time_ms = t.time_ms;
  unit.source_ids = {t.source_id};
  x.units.push_back(std::move(unit));

  Entity speaker;
  speaker.name = t.speaker;
  speaker.type = EntityType::kPerson;
  speaker.source_ids = {t.source_id};
  x.entities.push_back(speaker);
  const size_t mentioned = 1 + rng.Below(2);
  std::vector<std::string> names;
  for (size_t i = 0; i < mentioned; ++i) {
    const size_t e = rng.Skewed(kEntities);
    Entity entity;
    entity.name = EntityName(e);
    entity.type = e % 3 ? EntityType::kPlace : EntityType::kThing;
    if (rng.Chance(30)) entity.aliases.push_back("the " + Word(e));
    entity.source_ids = {t.source_id};
    names.push_back(entity.name);
    x.entities.push_back(std::move(entity));
  }
  auto relate = [&](const std::string& s, const char* rel, const std::string& o) {
    Relation r;
    r.subject = s;
    r.relation = rel;
    r.object = o;
    r.time_ms = t.time_ms;
    r.source_ids = {t.source_id};
    x.relations.push_back(std::move(r));
  };
  for (const auto& name : names) relate(t.speaker, "mentioned_with", name);
  if (names.size() == 2) relate(names[0], "mentioned_with", names[1]);
  if (rng.Chance(40)) {
    static const char* kTyped[] = {"likes", "attended", "lives_in", "member_of"};
    relate(t.speaker, kTyped[rng.Below(4)], names[0]);
  }

  auto fact = [&](const char* attribute, std::string value, bool negated) {
    PersonaFact f;
    f.subject = subject;
    f.attribute = attribute;
    f.value = std::move(value);
    f.valid_from_ms = t.time_ms;
    f.confidence = 0.7f;
    f.source_ids = {t.source_id};
    f.negated = negated;
    x.facts.push_back(std::move(f));
  };
  const size_t kind = rng.Below(100);
  if (kind < 30) {
    fact("likes", Value(rng.Skewed(kValues)), false);
  } else if (kind < 40) {
    fact("dislikes", Value(rng.Skewed(kValues)), false);
  } else if (kind < 45) {
    fact("home", "City" + Word(rng.Below(30)), false);
  } else if (kind < 48) {
    fact("occupation", "job " + Word(rng.Below(20)), false);
  } else if (kind < 52) {
    fact("likes", Value(rng.Skewed(kValues)), true);
  } else if (kind < 53) {
    fact("occupation", "", true);
  } else if (kind < 60) {
    fact("pet", "pet " + Word(rng.Below(50)), false);
  }
  return out;
}

// The tenant the benchmarks share, grown turn by turn.
struct GrowingTenant {
  std::unique_ptr<TenantMemory> memory;
  uint64_t turns = 0;

  void Reset() {
    auto m = TenantMemory::Create("bench-tenant", Options{}, /*dim=*/8);
    if (!m.ok()) {
      std::fprintf(stderr, "TenantMemory::Create: %s\n", m.status().ToString().c_str());
      std::abort();
    }
    memory = std::move(*m);
    turns = 0;
  }
  void ApplyNext() {
    SyntheticTurn t = MakeTurn(turns);
    ++turns;
    memory->ApplyTurn(turns, t.turn, t.extraction);
  }
  // At least `n` turns and at most 5% more (else it starts over).
  void GrowTo(uint64_t n) {
    if (memory == nullptr || turns > n + n / 20) Reset();
    while (turns < n) ApplyNext();
  }
};

GrowingTenant& Shared() {
  static GrowingTenant tenant;
  return tenant;
}

// CPU time of this process, in seconds (the machine may be shared, so wall
// time alone can mislead).
double CpuSeconds() {
  return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

void BM_ColdLoad(benchmark::State& state) {
  GrowingTenant& tenant = Shared();
  const auto turns = static_cast<uint64_t>(state.range(0));
  double wall = 0, cpu = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = CpuSeconds();
    tenant.Reset();
    tenant.GrowTo(turns);
    cpu += CpuSeconds() - cpu_start;
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  const double applied = static_cast<double>(turns) * static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<int64_t>(applied));
  state.counters["us_per_turn"] = wall * 1e6 / applied;
  state.counters["cpu_us_per_turn"] = cpu * 1e6 / applied;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  auto at = values.begin() + static_cast<std::ptrdiff_t>(p * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), at, values.end());
  return *at;
}

void BM_ApplyTurn(benchmark::State& state) {
  GrowingTenant& tenant = Shared();
  tenant.GrowTo(static_cast<uint64_t>(state.range(0)));
  std::vector<SyntheticTurn> next;
  for (int64_t i = 0; i < kMeasuredTurns; ++i) next.push_back(MakeTurn(tenant.turns + static_cast<uint64_t>(i)));
  std::vector<double> micros;
  micros.reserve(next.size());
  size_t i = 0;
  for (auto _ : state) {
    const SyntheticTurn& t = next[i++];
    ++tenant.turns;
    const auto start = std::chrono::steady_clock::now();
    auto added = tenant.memory->ApplyTurn(tenant.turns, t.turn, t.extraction);
    micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    benchmark::DoNotOptimize(added.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["p50_us"] = Percentile(micros, 0.5);
  state.counters["p99_us"] = Percentile(micros, 0.99);
  state.counters["tenant_turns"] = static_cast<double>(tenant.turns);
  state.counters["facts"] = static_cast<double>(tenant.memory->persona().all().size());
  state.counters["relations"] = static_cast<double>(tenant.memory->graph().relations().size());
}

void BM_ExpandSpeaker(benchmark::State& state) {
  GrowingTenant& tenant = Shared();
  tenant.GrowTo(static_cast<uint64_t>(state.range(0)));
  const std::vector<std::string> seeds{"Caroline"};
  size_t edges = 0;
  for (auto _ : state) {
    GraphExpansion x = tenant.memory->graph().Expand(seeds, /*hops=*/2, /*fanout_per_node=*/8, /*max_edges=*/32);
    edges = x.relations.size();
    benchmark::DoNotOptimize(x.relations.data());
  }
  state.counters["edges"] = static_cast<double>(edges);
}

}  // namespace
}  // namespace engram

// Registered size by size (a cold load, then ApplyTurn and ExpandSpeaker on
// the tenant it built). A cold load runs once even with repetitions.
int main(int argc, char** argv) {
  for (int64_t n : {10000, 100000, 300000, 1000000}) {
    benchmark::RegisterBenchmark("BM_ColdLoad", engram::BM_ColdLoad)
        ->Arg(n)
        ->Iterations(1)
        ->Repetitions(1)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("BM_ApplyTurn", engram::BM_ApplyTurn)
        ->Arg(n)
        ->Iterations(engram::kMeasuredTurns)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark("BM_ExpandSpeaker", engram::BM_ExpandSpeaker)->Arg(n)->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
