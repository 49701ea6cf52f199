#include "router/tier_search.h"

#include <algorithm>
#include <set>

#include "common/utf8.h"
#include "index/text_analyzer.h"
#include "router/fact_relevance.h"

namespace engram {
namespace {

const TextAnalyzer& Analyzer() {
  static const TextAnalyzer analyzer;
  return analyzer;
}

bool PassesFilters(const RecallOptions& o, std::string_view speaker, TimeMs t) {
  if (!o.speaker.empty() && !AsciiEqualsIgnoreCase(o.speaker, speaker)) return false;
  return t >= o.from_ms && t < o.to_ms;
}

}  // namespace

Hit TurnHit(const StoredTurn& st, Tier tier) {
  Hit h;
  h.kind = "turn";
  h.id = st.turn.source_id;
  h.tier = tier;
  h.source_ids = {st.turn.source_id};
  h.text = st.turn.text;
  h.speaker = st.turn.speaker;
  h.session = st.turn.session;
  h.time_ms = st.turn.time_ms;
  h.metadata = st.turn.metadata;
  return h;
}

Hit FactHit(const PersonaFact& f) {
  Hit h;
  h.kind = "fact";
  h.id = f.id;
  h.tier = Tier::kPersona;
  h.source_ids = f.source_ids;
  h.text = f.subject + " " + f.attribute + ": " + f.value;
  h.speaker = f.subject;
  h.time_ms = f.valid_from_ms;
  h.score = f.confidence;
  return h;
}

Hit RelationHit(const Relation& r) {
  Hit h;
  h.kind = "relation";
  h.id = r.id;
  h.tier = Tier::kGraph;
  h.source_ids = r.source_ids;
  h.text = r.subject + " " + r.relation + " " + r.object;
  h.speaker = r.subject;
  h.time_ms = r.time_ms;
  return h;
}

bool SourcesMatchWhere(const TenantMemory& memory, const std::vector<std::string>& source_ids,
                       const std::map<std::string, std::string>& where) {
  if (where.empty()) return true;
  for (const auto& id : source_ids) {
    const MemoryDoc* turn = memory.TurnDoc(memory.SeqOfSource(id));
    if (turn != nullptr && MatchesWhere(*turn, where)) return true;
  }
  return false;
}

bool WantsTier(const RecallOptions& options, Tier tier) {
  if (options.tiers.empty()) return tier == Tier::kEpisodic;
  return std::find(options.tiers.begin(), options.tiers.end(), tier) != options.tiers.end();
}

namespace {

// Calls `take` with the rows in `better` order (a strict total order) until
// it returns false, sorting only as far as it reads: the best k first, then
// twice as many more each time rows are passed over (a `where` filter).
// A tier's candidates can be most of its entries; the hits are k of them.
template <typename Row, typename Better, typename Take>
void TakeBest(std::vector<Row>* rows, size_t k, Better better, Take take) {
  size_t sorted = 0;
  size_t batch = std::max<size_t>(k, 1);
  while (sorted < rows->size()) {
    const size_t end = std::min(rows->size(), sorted + batch);
    std::partial_sort(rows->begin() + static_cast<std::ptrdiff_t>(sorted),
                      rows->begin() + static_cast<std::ptrdiff_t>(end), rows->end(), better);
    for (; sorted < end; ++sorted) {
      if (!take((*rows)[sorted])) return;
    }
    batch *= 2;
  }
}

// Scores (score_all) the candidates of a tier's index for a question,
// reading a long overlap list whole only when it matters. Every score is at
// most max(match, overlap) (time and confidence factors are at most 1), and
// an entry only the long lists reach has match 0 and overlap at most their
// share of the terms: when k scored rows already beat that (above(bound)),
// those entries cannot be among the k best, and the cheaper candidates are
// final. Otherwise, or with a `where` filter (which may pass over some of
// the best), every candidate is scored.
template <typename ScoreAll, typename Above>
void FindTierCandidates(const FactSearchIndex& index, const FactQuestion& fq, const std::set<std::string>& terms,
                        const RecallOptions& options, const TierSearchTuning& tuning, ScoreAll score_all,
                        Above above) {
  if (options.where.empty()) {
    const size_t long_list = std::max(tuning.long_list_floor, index.size() / 16);
    float bound = 0;
    score_all(FindFactCandidatesSkippingLongLists(index, fq, terms, long_list, &bound));
    if (bound == 0 || static_cast<size_t>(above(bound)) >= options.k) return;
  }
  score_all(FindFactCandidates(index, fq, terms));
}

// The persona facts a question matches, best first, at most options.k.
std::vector<Hit> PersonaHits(const TenantMemory& memory, const FactQuestion& fq,
                             const std::set<std::string>& query_terms, const RecallOptions& options,
                             const TierSearchTuning& tuning) {
  const std::vector<PersonaFact>& all = memory.persona().all();
  struct Scored {
    RankedFact ranked;
    size_t entry;
    float overlap;
    float score;
  };
  std::vector<Scored> scored;
  auto score_all = [&](const std::vector<FactCandidate>& candidates) {
    scored.clear();
    scored.reserve(candidates.size());
    for (const FactCandidate& c : candidates) {
      const PersonaFact& f = all[c.entry];
      // History is shown only where the question asks about it.
      if (f.valid_to_ms != 0 && c.match == 0) continue;
      if (std::max(c.match, c.overlap) <= 0 || !PassesFilters(options, f.subject, f.valid_from_ms)) continue;
      const RankedFact ranked{&f, c.match, TimePreference(fq, f.valid_from_ms, f.valid_to_ms)};
      // The preferred time (the current value, for a question about now)
      // outranks the others of equal relevance.
      const float time_factor = ranked.time_rank == 0 ? 1.0f : 0.5f;
      const float confidence = std::clamp(f.confidence, 0.0f, 1.0f);
      scored.push_back({ranked, c.entry, c.overlap, std::max(c.match, c.overlap) * time_factor * confidence});
    }
  };
  FindTierCandidates(memory.persona().search_index(), fq, query_terms, options, tuning, score_all,
                     [&](float bound) {
                       return std::count_if(scored.begin(), scored.end(),
                                            [&](const Scored& s) { return s.score > bound; });
                     });
  // By score; among equal scores in RankFacts' order, then as stated.
  auto better = [](const Scored& a, const Scored& b) {
    if (a.score != b.score) return a.score > b.score;
    if (RankedBefore(a.ranked, b.ranked)) return true;
    if (RankedBefore(b.ranked, a.ranked)) return false;
    return a.entry < b.entry;
  };
  std::vector<Hit> hits;
  TakeBest(&scored, options.k, better, [&](const Scored& s) {
    if (hits.size() >= options.k) return false;
    const PersonaFact& f = *s.ranked.fact;
    if (!SourcesMatchWhere(memory, f.source_ids, options.where)) return true;
    Hit h = FactHit(f);
    h.text = FactLine(f);
    h.score = s.score;
    h.signals["match"] = s.ranked.match;
    h.signals["overlap"] = s.overlap;
    h.signals["current"] = f.valid_to_ms == 0 ? 1.0f : 0.0f;
    h.signals["confidence"] = f.confidence;
    hits.push_back(std::move(h));
    return hits.size() < options.k;
  });
  return hits;
}

// The graph relations (mentioned_with left out) a question matches, best
// first, at most options.k.
std::vector<Hit> RelationHits(const TenantMemory& memory, const FactQuestion& fq,
                              const std::set<std::string>& query_terms, const RecallOptions& options,
                              const TierSearchTuning& tuning) {
  const std::vector<Relation>& all = memory.graph().relations();
  struct Scored {
    size_t entry;
    float match;
    float overlap;
    float score;
  };
  std::vector<Scored> scored;
  auto score_all = [&](const std::vector<FactCandidate>& candidates) {
    scored.clear();
    scored.reserve(candidates.size());
    for (const FactCandidate& c : candidates) {
      const Relation& r = all[c.entry];
      const float s = std::max(c.match, c.overlap);
      if (s <= 0 || !PassesFilters(options, r.subject, r.time_ms)) continue;
      scored.push_back({c.entry, c.match, c.overlap,
                        s * (TimePreference(fq, r.valid_from_ms, r.valid_to_ms) == 0 ? 1.0f : 0.5f)});
    }
  };
  FindTierCandidates(memory.graph().search_index(), fq, query_terms, options, tuning, score_all,
                     [&](float bound) {
                       return std::count_if(scored.begin(), scored.end(),
                                            [&](const Scored& s) { return s.score > bound; });
                     });
  auto better = [](const Scored& a, const Scored& b) {
    return a.score != b.score ? a.score > b.score : a.entry < b.entry;
  };
  std::vector<Hit> hits;
  TakeBest(&scored, options.k, better, [&](const Scored& s) {
    if (hits.size() >= options.k) return false;
    const Relation& r = all[s.entry];
    if (!SourcesMatchWhere(memory, r.source_ids, options.where)) return true;
    Hit h = RelationHit(r);
    h.text = RelationLine(r, GraphTier::IsSingleValued(r.relation));
    h.score = s.score;
    h.signals["current"] = r.valid_to_ms == 0 ? 1.0f : 0.0f;
    h.signals["match"] = s.match;
    h.signals["overlap"] = s.overlap;
    hits.push_back(std::move(h));
    return hits.size() < options.k;
  });
  return hits;
}

}  // namespace

void AddTierHits(const TenantMemory& memory, std::string_view query, const RecallOptions& options,
                 std::vector<Hit>* hits, const TierSearchTuning& tuning) {
  auto q = Analyzer().Terms(query);
  const std::set<std::string> query_terms(q.begin(), q.end());
  // Facts and relations are matched to the question by what they are about
  // (attribute and relation names through their cue words, and values),
  // not only by the words they share with it. Each tier gives at most k,
  // in the order the final sort keeps among equal scores.
  const FactQuestion fq = ReadFactQuestion(query, options.from_ms, options.to_ms, memory.last_time());
  if (WantsTier(options, Tier::kPersona)) {
    for (Hit& h : PersonaHits(memory, fq, query_terms, options, tuning)) hits->push_back(std::move(h));
  }
  if (WantsTier(options, Tier::kGraph)) {
    for (Hit& h : RelationHits(memory, fq, query_terms, options, tuning)) hits->push_back(std::move(h));
  }
  if (WantsTier(options, Tier::kWorking)) {
    const std::string& session = options.session.empty() ? memory.working().latest_session() : options.session;
    for (const auto& st : memory.WorkingSession(session)) {
      if (!PassesFilters(options, st.turn.speaker, st.turn.time_ms)) continue;
      if (!MatchesWhere(&st.turn.metadata, options.where)) continue;
      Hit h = TurnHit(st, Tier::kWorking);
      // Working memory is returned first: it is what was just said.
      h.score = 1e6f + static_cast<float>(st.seq % 1000000) * 1e-6f;
      h.signals["working"] = 1;
      hits->push_back(std::move(h));
    }
  }
  std::stable_sort(hits->begin(), hits->end(), [](const Hit& a, const Hit& b) { return a.score > b.score; });
  if (hits->size() > options.k) hits->resize(options.k);
}

}  // namespace engram
