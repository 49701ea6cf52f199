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

// Share of the query's distinct terms found in `text`, in [0, 1].
float Overlap(const std::set<std::string>& query_terms, std::string_view text) {
  if (query_terms.empty()) return 0;
  auto terms = Analyzer().Terms(text);
  std::set<std::string> doc(terms.begin(), terms.end());
  size_t shared = 0;
  for (const auto& t : query_terms) shared += doc.count(t);
  return static_cast<float>(shared) / static_cast<float>(query_terms.size());
}

bool PassesFilters(const RecallOptions& o, std::string_view speaker, TimeMs t) {
  if (!o.speaker.empty() && AsciiLower(o.speaker) != AsciiLower(speaker)) return false;
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

void AddTierHits(const TenantMemory& memory, std::string_view query, const RecallOptions& options,
                 std::vector<Hit>* hits) {
  auto q = Analyzer().Terms(query);
  const std::set<std::string> query_terms(q.begin(), q.end());
  // Facts and relations are matched to the question by what they are about
  // (attribute and relation names through their cue words, and values),
  // not only by the words they share with it.
  const FactQuestion fq = ReadFactQuestion(query, options.from_ms, options.to_ms, memory.last_time());
  auto relevance = [&](float match, float overlap) { return std::max(match, overlap); };
  if (WantsTier(options, Tier::kPersona)) {
    const std::vector<PersonaFact> facts = memory.persona().Query({}, 0, /*include_history=*/true);
    for (const RankedFact& r : RankFacts(facts, fq)) {
      const PersonaFact& f = *r.fact;
      Hit h = FactHit(f);
      float overlap = Overlap(query_terms, h.text);
      float s = relevance(r.match, overlap);
      if (s <= 0 || !PassesFilters(options, f.subject, f.valid_from_ms)) continue;
      if (!SourcesMatchWhere(memory, f.source_ids, options.where)) continue;
      h.text = FactLine(f);
      // The preferred time (the current value, for a question about now)
      // outranks the others of equal relevance.
      const float time_factor = r.time_rank == 0 ? 1.0f : 0.5f;
      h.score = s * time_factor * f.confidence;
      h.signals["match"] = r.match;
      h.signals["overlap"] = overlap;
      h.signals["current"] = f.valid_to_ms == 0 ? 1.0f : 0.0f;
      h.signals["confidence"] = f.confidence;
      hits->push_back(std::move(h));
    }
  }
  if (WantsTier(options, Tier::kGraph)) {
    for (const auto& r : memory.graph().relations()) {
      if (r.relation == "mentioned_with") continue;
      Hit h = RelationHit(r);
      float overlap = Overlap(query_terms, h.text);
      float match = FactMatch(fq, r.relation, r.object);
      float s = relevance(match, overlap);
      if (s <= 0 || !PassesFilters(options, r.subject, r.time_ms)) continue;
      if (!SourcesMatchWhere(memory, r.source_ids, options.where)) continue;
      h.text = RelationLine(r, GraphTier::IsSingleValued(r.relation));
      h.score = s * (TimePreference(fq, r.valid_from_ms, r.valid_to_ms) == 0 ? 1.0f : 0.5f);
      h.signals["current"] = r.valid_to_ms == 0 ? 1.0f : 0.0f;
      h.signals["match"] = match;
      h.signals["overlap"] = overlap;
      hits->push_back(std::move(h));
    }
  }
  if (WantsTier(options, Tier::kWorking)) {
    const std::string& session = options.session.empty() ? memory.working().latest_session() : options.session;
    for (const auto& st : memory.working().Session(memory.tenant(), session)) {
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
