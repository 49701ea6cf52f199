#include "router/route_executor.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <span>
#include <unordered_map>

#include "common/utf8.h"
#include "tiers/record_codec.h"

namespace engram {
namespace {

struct Scored {
  float lexical = 0, vector = 0, speaker = 0, temporal = 0, recency = 0, graph = 0, answer_type = 0;
  float context_key = 0;  // the reply's question matched (turns only)
  float aggregation = 0;  // names a distinct item the list question asks for (turns only)
  float fused = 0;
};

// One entry per source turn: its most relevant document stands for it.
struct RankedTurn {
  uint64_t seq;
  uint64_t best_doc;
  Scored s;            // signals of best_doc; s.fused = relevance
  float neighbour = 0; // relevance inherited from a neighbouring seed
  float session_context = 0;  // how relevant its dialogue neighbours are
  float wordnet = 0;   // share of the question's words it names by a related word
  float score = 0;     // relevance + priors, the ranking score
  bool reranked = false;     // in the reranker's depth: `features` hold
  RerankFeatures features{};
};

bool Overlaps(TimeMs a_from, TimeMs a_to, TimeMs b_from, TimeMs b_to) { return a_from < b_to && b_from < a_to; }

// How well a document's time fits the question's range: 1 inside, falling
// off over 30 days outside.
float TemporalFit(const MemoryDoc& d, const QueryAnalysis& a) {
  if (a.from_ms == 0 && a.to_ms == 0) return 0;
  TimeMs from = d.event_from_ms != 0 ? d.event_from_ms : d.time_ms;
  TimeMs to = d.event_to_ms != 0 ? d.event_to_ms : from + 1;
  if (from == 0) return 0;
  if (Overlaps(from, to, a.from_ms, a.to_ms)) return 1;
  TimeMs gap = from >= a.to_ms ? from - a.to_ms : a.from_ms - to;
  double days = static_cast<double>(gap) / 86'400'000.0;
  return static_cast<float>(std::max(0.0, 1.0 - days / 30.0));
}

bool MentionsAny(const std::string& lower_text, const std::vector<std::string>& names) {
  for (const auto& n : names) {
    std::string first = AsciiLower(n.substr(0, n.find(' ')));
    if (!first.empty() && lower_text.find(first) != std::string::npos) return true;
  }
  return false;
}

// True when `text` tells its addressee's own story: "your" / "yours"
// ("your dog"), or "you" before a past-tense or perfect verb ("you told
// me", "you adopted", "you've been"). Not every "you": in a conversation
// of two, nearly every turn of one says "you" to the other.
bool TellsAddresseesStory(std::string_view text) {
  static constexpr std::string_view kPast[] = {"went", "got", "had", "told", "said", "made", "took", "saw",
                                               "did", "were", "ran", "won", "bought", "gave", "found", "began",
                                               "left", "met", "came", "have", "used", "ve", "d"};
  auto is = [](std::string_view word, std::string_view lower) {
    return word.size() == lower.size() && AsciiEqualsIgnoreCase(word, lower);
  };
  // The words, letters only, as views into `text` (no copies: this runs for
  // many candidates of every question).
  auto next_word = [&](size_t& i) {
    while (i < text.size() && !std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && std::isalpha(static_cast<unsigned char>(text[j]))) ++j;
    std::string_view word = text.substr(i, j - i);
    i = j;
    return word;
  };
  size_t i = 0;
  std::string_view word = next_word(i);
  while (!word.empty()) {
    std::string_view next = next_word(i);
    if (is(word, "your") || is(word, "yours")) return true;
    if (is(word, "you") && !next.empty()) {
      if (next.size() > 3 && AsciiEqualsIgnoreCase(next.substr(next.size() - 2), "ed")) return true;
      for (std::string_view past : kPast) {
        if (is(next, past)) return true;
      }
    }
    word = next;
  }
  return false;
}

// Whom a turn is said to: the speaker of the turn before it in its session
// when that is someone else, else of the turn after it ("" when neither).
std::string Addressee(const TenantMemory& memory, const MemoryDoc& turn) {
  const auto& session = memory.SessionTurns(turn.session);
  auto it = std::find(session.begin(), session.end(), turn.id);
  if (it == session.end()) return {};
  for (auto other : {it == session.begin() ? session.end() : it - 1, it + 1}) {
    if (other == session.end()) continue;
    const MemoryDoc* d = memory.Doc(*other);
    if (d != nullptr && d->speaker != turn.speaker) return d->speaker;
  }
  return {};
}

// The question's content words for BM25: without the words naming a target
// ("Melanie", "Melanie's"), which are in every turn of that speaker, and
// without framing nouns ("what kind of art" -> "what art"), which match
// unrelated turns ("your kind words"). The original when nothing remains.
std::string LexicalQuery(std::string_view query, const std::vector<std::string>& targets) {
  static const char* const kFraming[] = {"kind", "kinds", "type", "types", "sort", "sorts"};
  std::vector<std::string> names;
  for (const auto& t : targets) {
    size_t start = 0;
    std::string lower = AsciiLower(t);
    while (start < lower.size()) {
      size_t end = lower.find(' ', start);
      if (end == std::string::npos) end = lower.size();
      if (end > start) names.push_back(lower.substr(start, end - start));
      start = end + 1;
    }
  }
  // Words with their original spelling and their normalised form.
  std::vector<std::pair<std::string_view, std::string>> words;
  size_t i = 0;
  while (i < query.size()) {
    size_t j = i;
    while (j < query.size() && !std::isspace(static_cast<unsigned char>(query[j]))) ++j;
    std::string word = AsciiLower(query.substr(i, j - i));
    while (!word.empty() && std::ispunct(static_cast<unsigned char>(word.back()))) word.pop_back();
    if (word.size() > 2 && word.compare(word.size() - 2, 2, "'s") == 0) word.resize(word.size() - 2);
    words.emplace_back(query.substr(i, j - i), std::move(word));
    while (j < query.size() && std::isspace(static_cast<unsigned char>(query[j]))) ++j;
    i = j;
  }
  std::string out;
  bool content = false;
  for (size_t w = 0; w < words.size(); ++w) {
    const std::string& word = words[w].second;
    bool drop = std::find(names.begin(), names.end(), word) != names.end();
    if (!drop && w + 1 < words.size() && words[w + 1].second == "of") {
      drop = std::any_of(std::begin(kFraming), std::end(kFraming), [&](const char* f) { return word == f; });
    }
    if (drop) continue;
    out.append(words[w].first);
    out.push_back(' ');
    content = content || (!word.empty() && word != "of");
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return content ? out : std::string(query);
}

// Idf-weighted share of the query's terms that `matched` (LexicalIndex::MatchedTerms) holds.
float Coverage(const LexicalIndex::QueryTerms& query, float total_idf, uint64_t matched) {
  if (total_idf <= 0) return 0;
  float sum = 0;
  for (size_t i = 0; i < std::min<size_t>(64, query.idf.size()); ++i) {
    if (matched >> i & 1) sum += query.idf[i];
  }
  return sum / total_idf;
}

// The largest idf among the query terms `matched` holds, relative to the largest of all.
float RareMatch(const LexicalIndex::QueryTerms& query, float max_idf, uint64_t matched) {
  if (max_idf <= 0) return 0;
  float best = 0;
  for (size_t i = 0; i < std::min<size_t>(64, query.idf.size()); ++i) {
    if (matched >> i & 1) best = std::max(best, query.idf[i]);
  }
  return best / max_idf;
}

// True when one of the turn's event units says when it happened.
bool StatesWhen(const TenantMemory& memory, uint64_t seq) {
  for (uint32_t slot = 1; slot <= kMaxUnitsPerTurn; ++slot) {
    const MemoryDoc* unit = memory.Doc(DocId(seq, slot));
    if (unit == nullptr) return false;
    if (unit->event_from_ms != 0) return true;
  }
  return false;
}

// The reranker's features of the leading turns (`top`, in first-stage
// order), then their new order by the plan's weights. Scores stay
// comparable with the turns after them: a reranked turn's score is its
// reranker score moved so that the last of them keeps its first-stage score.
void RerankTurns(const TenantMemory& memory, const QueryAnalysis& analysis, const std::string& lexical_query,
                 const RoutePlan& plan, std::span<RankedTurn> top) {
  using F = RerankFeature;
  const LexicalIndex& lexical = memory.lexical();
  const LexicalIndex::QueryTerms query_terms = lexical.PrepareQueryTerms(lexical_query);
  float total_idf = 0, max_idf = 0;
  for (size_t i = 0; i < std::min<size_t>(64, query_terms.idf.size()); ++i) {
    total_idf += query_terms.idf[i];
    max_idf = std::max(max_idf, query_terms.idf[i]);
  }
  std::vector<std::string> entities;
  for (const auto& e : analysis.entities) entities.push_back(AsciiLower(e));
  // Sessions of the first stage's top 10, and the best two scores in each
  // session of the top.
  std::unordered_map<std::string, size_t> top_sessions;
  std::unordered_map<std::string, std::pair<float, float>> session_best;
  for (size_t i = 0; i < top.size(); ++i) {
    const MemoryDoc* d = memory.TurnDoc(top[i].seq);
    if (d == nullptr) continue;
    if (i < 10) ++top_sessions[d->session];
    auto [it, fresh] = session_best.try_emplace(d->session, top[i].score, 0.0f);
    if (!fresh && it->second.second == 0) it->second.second = top[i].score;  // `top` is best first
  }
  // Coverage of a turn's own terms, by turn id (neighbours of leading turns
  // are often leading turns themselves).
  std::unordered_map<uint64_t, float> turn_coverage;
  auto coverage_of_turn = [&](uint64_t id) {
    auto [it, fresh] = turn_coverage.try_emplace(id, 0.0f);
    if (fresh) it->second = Coverage(query_terms, total_idf, lexical.MatchedTerms(query_terms, id));
    return it->second;
  };
  const float best = top.front().score;
  for (size_t i = 0; i < top.size(); ++i) {
    RankedTurn& t = top[i];
    RerankFeatures& f = t.features;
    auto set = [&f](F name, float value) { f[static_cast<size_t>(name)] = value; };
    set(F::kFirstStage, best > 0 ? t.score / best : 0);
    set(F::kFirstRank, 1.0f / static_cast<float>(1 + i));
    set(F::kBm25, t.s.lexical);
    set(F::kVector, t.s.vector);
    set(F::kNeighbour, t.neighbour);
    set(F::kSessionContext, t.session_context);
    set(F::kContextKey, t.s.context_key);
    set(F::kAggregation, t.s.aggregation);
    set(F::kWordnet, t.wordnet);
    set(F::kAnswerType, t.s.answer_type);
    t.reranked = true;
    const MemoryDoc* turn = memory.TurnDoc(t.seq);
    const MemoryDoc* best_doc = memory.Doc(t.best_doc);
    if (turn == nullptr || best_doc == nullptr) continue;
    auto is_target = [&](const std::string& name) {
      return std::any_of(analysis.targets.begin(), analysis.targets.end(),
                         [&](const std::string& n) { return AsciiEqualsIgnoreCase(n, name); });
    };
    if (is_target(turn->speaker)) {
      set(F::kByTarget, 1.0f);
    } else if (!analysis.targets.empty()) {
      if (MentionsAny(AsciiLower(best_doc->text), analysis.targets)) set(F::kNamesTarget, 1.0f);
      if (TellsAddresseesStory(turn->text) && is_target(Addressee(memory, *turn))) set(F::kToTarget, 1.0f);
    }
    set(F::kTemporal, TemporalFit(*best_doc, analysis));
    // The turn's own terms, and its best unit's when a unit stands for it.
    size_t length = 0, unit_length = 0;
    uint64_t matched = lexical.MatchedTerms(query_terms, turn->id, &length);
    if (best_doc != turn) matched |= lexical.MatchedTerms(query_terms, best_doc->id, &unit_length);
    set(F::kCoverage, Coverage(query_terms, total_idf, matched));
    set(F::kRareMatch, RareMatch(query_terms, max_idf, matched));
    set(F::kUnit, best_doc->is_unit ? 1.0f : 0.0f);
    if (analysis.asks_when) set(F::kDated, StatesWhen(memory, t.seq) ? 1.0f : 0.0f);
    set(F::kLength, std::min(1.0f, static_cast<float>(length + unit_length) / 20.0f));
    set(F::kAsks, turn->text.find('?') != std::string::npos ? 1.0f : 0.0f);
    const auto& session = memory.SessionTurns(turn->session);
    auto at = std::find(session.begin(), session.end(), turn->id);
    if (at != session.end()) {
      if (at != session.begin()) {
        set(F::kPrevCoverage, coverage_of_turn(*(at - 1)));
        const MemoryDoc* before = memory.Doc(*(at - 1));
        if (before != nullptr && before->speaker != turn->speaker && before->text.find('?') != std::string::npos) {
          set(F::kReplies, 1.0f);
        }
      }
      if (at + 1 != session.end()) {
        set(F::kNextCoverage, coverage_of_turn(*(at + 1)));
      }
    }
    if (best > 0) {
      const auto& [first, second] = session_best.at(turn->session);
      set(F::kSessionBest, (first == t.score ? second : first) / best);
    }
    auto shared = top_sessions.find(turn->session);
    set(F::kSessionShare, shared == top_sessions.end() ? 0.0f : static_cast<float>(shared->second) / 10.0f);
    if (!entities.empty()) {
      const std::string text = AsciiLower(turn->text) + " " + (best_doc != turn ? AsciiLower(best_doc->text) : "");
      size_t named = 0;
      for (const auto& e : entities) named += text.find(e) != std::string::npos ? 1 : 0;
      set(F::kEntity, static_cast<float>(named) / static_cast<float>(entities.size()));
    }
  }
  const float last_first_stage = top.back().score;
  std::vector<RerankFeatures> features;
  features.reserve(top.size());
  for (const RankedTurn& t : top) features.push_back(t.features);
  const std::vector<size_t> order = RerankOrder(features, plan.rerank_weights);
  const float lowest = RerankScore(features[order.back()], plan.rerank_weights);
  std::vector<RankedTurn> reordered;
  reordered.reserve(top.size());
  for (size_t i : order) {
    reordered.push_back(top[i]);
    reordered.back().score = RerankScore(features[i], plan.rerank_weights) - lowest + last_first_stage;
  }
  std::copy(reordered.begin(), reordered.end(), top.begin());
}

}  // namespace

Result<std::vector<Hit>> ExecuteRoute(const TenantMemory& memory, std::string_view query,
                                      std::span<const float> query_vector, const RoutePlan& plan,
                                      const QueryAnalysis& analysis, const RecallOptions& options,
                                      std::vector<std::string>* steps) {
  const std::string speaker_filter = AsciiLower(options.speaker);
  auto keep = [&](uint64_t id) {
    const MemoryDoc* d = memory.Doc(id);
    if (d == nullptr) return false;
    if (d->is_unit && !plan.search_units) return false;
    if (!speaker_filter.empty() && !AsciiEqualsIgnoreCase(d->speaker, speaker_filter)) return false;
    if (!options.session.empty() && d->session != options.session) return false;
    if (d->time_ms < options.from_ms || d->time_ms >= options.to_ms) return false;
    return MatchesWhere(*d, options.where);
  };
  const bool filtered = !speaker_filter.empty() || !options.session.empty() ||
                        options.from_ms != std::numeric_limits<TimeMs>::min() ||
                        options.to_ms != std::numeric_limits<TimeMs>::max() || !plan.search_units ||
                        !options.where.empty();
  LexicalFilter lexical_filter;
  VectorFilter vector_filter;
  if (filtered) lexical_filter = vector_filter = keep;

  std::unordered_map<uint64_t, Scored> docs;
  // The words BM25 searched for (the reranker's coverage features use them too).
  std::string lexical_query(query);
  // BM25, normalised by the best score.
  if (plan.lexical_weight > 0 && plan.lexical_candidates > 0) {
    std::vector<LexicalHit> hits;
    if (plan.lexical_content_only) {
      std::string content = LexicalQuery(query, analysis.targets);
      if (content != query) {
        hits = memory.lexical().Search(content, plan.lexical_candidates, lexical_filter);
        if (!hits.empty()) {
          steps->push_back("bm25: content words '" + content + "'");
          lexical_query = std::move(content);
        }
      }
    }
    if (hits.empty()) hits = memory.lexical().Search(query, plan.lexical_candidates, lexical_filter);
    float best = hits.empty() ? 1 : hits.front().score;
    for (const auto& h : hits) docs[h.id].lexical = h.score / best;
    steps->push_back("bm25: " + std::to_string(hits.size()) + " candidates");
    // Replies found by their question's words, blended so that a turn that
    // matches on its own is lifted less the better it matches.
    if (plan.context_key_weight > 0 && memory.context_keys().size() > 0) {
      auto keys = memory.context_keys().Search(lexical_query, plan.lexical_candidates, lexical_filter);
      float best_key = keys.empty() ? 1 : keys.front().score;
      for (const auto& h : keys) {
        Scored& s = docs[h.id];
        s.context_key = h.score / best_key;
        s.lexical += plan.context_key_weight * s.context_key * (1.0f - s.lexical);
      }
      steps->push_back("context keys: " + std::to_string(keys.size()) + " replies whose question matches");
    }
  }
  // Vectors, min-max normalised over the candidates.
  if (plan.vector_weight > 0 && plan.vector_candidates > 0 && !query_vector.empty() && memory.vectors().size() > 0) {
    auto hits = memory.vectors().Search(query_vector, plan.vector_candidates, vector_filter);
    if (!hits.ok()) return hits.status();
    if (!hits->empty()) {
      float hi = hits->front().score, lo = hits->back().score;
      float span = hi - lo > 1e-6f ? hi - lo : 1.0f;
      for (const auto& h : *hits) docs[h.id].vector = hits->size() == 1 ? 1.0f : (h.score - lo) / span;
    }
    steps->push_back("vector: " + std::to_string(hits->size()) + " candidates");
  }

  // Graph expansion: turns that support relations near the question's
  // participants and entities join the candidates.
  std::unordered_map<uint64_t, float> graph_score;  // turn seq -> score
  if (plan.graph_hops > 0 && plan.graph_weight > 0) {
    std::vector<std::string> seeds = analysis.targets;
    seeds.insert(seeds.end(), analysis.entities.begin(), analysis.entities.end());
    GraphExpansion x = memory.graph().Expand(seeds, plan.graph_hops, plan.graph_fanout, plan.graph_max_edges);
    for (const Relation* r : x.relations) {
      int d = std::min(x.distance.count(r->subject) ? x.distance.at(r->subject) : plan.graph_hops,
                       x.distance.count(r->object) ? x.distance.at(r->object) : plan.graph_hops);
      float s = (r->relation == "mentioned_with" ? 0.5f : 1.0f) / static_cast<float>(1 + d);
      for (const auto& src : r->source_ids) {
        uint64_t seq = memory.SeqOfSource(src);
        if (seq == 0 || !keep(DocId(seq, 0))) continue;
        float& g = graph_score[seq];
        g = std::max(g, s);
      }
    }
    for (const auto& [seq, g] : graph_score) docs[DocId(seq, 0)].graph = g;
    steps->push_back("graph: " + std::to_string(x.relations.size()) + " relations from " +
                     std::to_string(seeds.size()) + " seeds, " + std::to_string(graph_score.size()) + " turns");
  }

  // Turns by a target that name an entity of the asked-for type.
  if (plan.answer_type_weight > 0 && analysis.has_answer_type) {
    size_t marked = 0;
    for (const Entity& e : memory.graph().entities()) {
      if (e.type != analysis.answer_type) continue;
      for (const auto& src : e.source_ids) {
        uint64_t seq = memory.SeqOfSource(src);
        const MemoryDoc* turn = memory.TurnDoc(seq);
        if (turn == nullptr || !keep(turn->id)) continue;
        bool by_target = analysis.targets.empty() ||
                         std::any_of(analysis.targets.begin(), analysis.targets.end(), [&](const std::string& n) {
                           return AsciiEqualsIgnoreCase(n, turn->speaker);
                         });
        if (!by_target) continue;
        docs[turn->id].answer_type = 1.0f;
        ++marked;
      }
    }
    steps->push_back(std::string("answer type ") + EntityTypeName(analysis.answer_type) + ": " +
                     std::to_string(marked) + " turns name one");
  }

  // Two kinds of score. Relevance (BM25, vector, graph, temporal fit) belongs
  // to a document and is what neighbours inherit. Priors (speaker, recency)
  // belong to a turn: a reply next to a matching turn inherits its
  // relevance, but is "by the target" only if its own speaker is.
  const TimeMs t0 = memory.first_time(), t1 = memory.last_time();
  for (auto& [id, s] : docs) {
    const MemoryDoc* d = memory.Doc(id);
    if (d == nullptr) continue;
    if (plan.temporal_weight > 0) s.temporal = TemporalFit(*d, analysis);
    s.fused = plan.lexical_weight * s.lexical + plan.vector_weight * s.vector + plan.graph_weight * s.graph +
              plan.temporal_weight * s.temporal + plan.answer_type_weight * s.answer_type;
    if (d->is_unit) s.fused *= plan.unit_factor;
  }

  // One entry per source turn: its most relevant document stands for it.
  std::unordered_map<uint64_t, RankedTurn> turns;
  for (const auto& [id, s] : docs) {
    uint64_t seq = DocSeq(id);
    auto [it, fresh] = turns.try_emplace(seq, RankedTurn{seq, id, s});
    if (!fresh && s.fused > it->second.s.fused) {
      it->second.best_doc = id;
      it->second.s = s;
    }
  }
  auto add_priors = [&](RankedTurn& t) {
    const MemoryDoc* turn = memory.TurnDoc(t.seq);
    const MemoryDoc* best = memory.Doc(t.best_doc);
    if (turn == nullptr || best == nullptr) return;
    if (plan.speaker_weight > 0 && !analysis.targets.empty()) {
      bool by_target = std::any_of(analysis.targets.begin(), analysis.targets.end(), [&](const std::string& n) {
        std::string lower = AsciiLower(n);
        return lower == AsciiLower(turn->speaker) || lower == AsciiLower(best->speaker);
      });
      t.s.speaker = by_target ? 1.0f : (MentionsAny(AsciiLower(best->text), analysis.targets) ? 0.5f : 0.0f);
      // Said to a target: "you told me you adopted ..." tells their story.
      if (!by_target && plan.addressed_prior > t.s.speaker && TellsAddresseesStory(turn->text)) {
        const std::string to = AsciiLower(Addressee(memory, *turn));
        if (!to.empty() && std::any_of(analysis.targets.begin(), analysis.targets.end(),
                                       [&](const std::string& n) { return AsciiEqualsIgnoreCase(n, to); })) {
          t.s.speaker = plan.addressed_prior;
        }
      }
    }
    if (plan.recency_weight > 0 && t1 > t0 && turn->time_ms != 0) {
      t.s.recency = static_cast<float>(turn->time_ms - t0) / static_cast<float>(t1 - t0);
    }
    t.score = t.s.fused + plan.speaker_weight * t.s.speaker + plan.recency_weight * t.s.recency;
  };
  std::vector<RankedTurn> ranked;
  ranked.reserve(turns.size());
  for (auto& [seq, t] : turns) {
    add_priors(t);
    ranked.push_back(t);
  }
  auto by_score = [](const RankedTurn& a, const RankedTurn& b) {
    return a.score != b.score ? a.score > b.score : a.seq < b.seq;
  };
  std::sort(ranked.begin(), ranked.end(), by_score);

  // Neighbours of the best turns: answers often sit next to the question.
  if (plan.neighbour_seeds > 0 && plan.neighbour_factor > 0) {
    size_t added = 0;
    std::unordered_map<uint64_t, size_t> pos;
    for (size_t i = 0; i < ranked.size(); ++i) pos[ranked[i].seq] = i;
    size_t seeds = std::min(plan.neighbour_seeds, ranked.size());
    std::vector<RankedTurn> extra;
    for (size_t i = 0; i < seeds; ++i) {
      const MemoryDoc* d = memory.TurnDoc(ranked[i].seq);
      if (d == nullptr) continue;
      const auto& session = memory.SessionTurns(d->session);
      auto it = std::find(session.begin(), session.end(), DocId(ranked[i].seq, 0));
      if (it == session.end()) continue;
      size_t at = static_cast<size_t>(it - session.begin());
      const bool asks = d->text.find('?') != std::string::npos;
      for (int off = -plan.neighbour_window; off <= plan.neighbour_window; ++off) {
        if (off == 0) continue;
        // Dialogue direction: a question is answered by the turns after it;
        // a statement answers (or follows up) the turns before it.
        if (plan.neighbour_dialogue && (off > 0) != asks) continue;
        long j = static_cast<long>(at) + off;
        if (j < 0 || j >= static_cast<long>(session.size())) continue;
        uint64_t nseq = DocSeq(session[static_cast<size_t>(j)]);
        if (!keep(DocId(nseq, 0))) continue;
        float inherited = ranked[i].s.fused * plan.neighbour_factor / static_cast<float>(std::abs(off));
        auto p = pos.find(nseq);
        RankedTurn* t;
        if (p != pos.end()) {
          // Already ranked, or already added as a neighbour of a better seed.
          t = p->second < ranked.size() ? &ranked[p->second] : &extra[p->second - ranked.size()];
        } else {
          pos[nseq] = ranked.size() + extra.size();
          extra.push_back(RankedTurn{nseq, DocId(nseq, 0), Scored{}});
          t = &extra.back();
          ++added;
        }
        if (inherited > t->s.fused) {
          t->neighbour = inherited;
          t->s.fused = inherited;
          add_priors(*t);
        }
      }
    }
    ranked.insert(ranked.end(), extra.begin(), extra.end());
    std::sort(ranked.begin(), ranked.end(), by_score);
    steps->push_back("neighbours: " + std::to_string(added) + " turns added around the top " + std::to_string(seeds) +
                     (plan.neighbour_dialogue ? " (question -> reply, statement -> what it answers)" : ""));
  }

  // Session context: rerank the best turns by how relevant their
  // neighbours are on their own (not what they inherited from a seed).
  if (plan.session_context_weight > 0 && plan.session_context_window > 0 && !ranked.empty()) {
    float best_relevance = 0;
    for (const auto& [seq, t] : turns) best_relevance = std::max(best_relevance, t.s.fused);
    const size_t depth = std::min(plan.session_context_depth, ranked.size());
    size_t lifted = 0;
    for (size_t i = 0; i < depth && best_relevance > 0; ++i) {
      const MemoryDoc* d = memory.TurnDoc(ranked[i].seq);
      if (d == nullptr) continue;
      const auto& session = memory.SessionTurns(d->session);
      auto it = std::find(session.begin(), session.end(), d->id);
      if (it == session.end()) continue;
      const long at = static_cast<long>(it - session.begin());
      float sum = 0, norm = 0;
      for (int dist = 1; dist <= plan.session_context_window; ++dist) {
        for (long j : {at - dist, at + dist}) {
          if (j < 0 || j >= static_cast<long>(session.size())) continue;
          auto n = turns.find(DocSeq(session[static_cast<size_t>(j)]));
          sum += (n == turns.end() ? 0.0f : n->second.s.fused) / static_cast<float>(dist);
          norm += 1.0f / static_cast<float>(dist);
        }
      }
      if (norm == 0 || sum == 0) continue;
      ranked[i].session_context = sum / norm / best_relevance;
      ranked[i].score += plan.session_context_weight * ranked[i].session_context;
      ++lifted;
    }
    std::sort(ranked.begin(), ranked.end(), by_score);
    steps->push_back("session context: " + std::to_string(lifted) + " of the top " + std::to_string(depth) +
                     " turns have relevant neighbours");
  }

  // WordNet match: the leading turns that say a question word in other
  // words ("violin" for "instruments", "bike" for "bicycle").
  if (plan.wordnet_weight > 0 && !analysis.related.empty() && !ranked.empty()) {
    const size_t depth = std::min(static_cast<size_t>(std::max(0.0f, plan.wordnet_depth)), ranked.size());
    size_t matched = 0;
    std::string example;
    for (size_t i = 0; i < depth; ++i) {
      // The turn's own terms, and its best unit's when a unit stands for it.
      std::vector<std::string_view> terms = memory.lexical().DocTerms(DocId(ranked[i].seq, 0));
      if (ranked[i].best_doc != DocId(ranked[i].seq, 0)) {
        auto unit = memory.lexical().DocTerms(ranked[i].best_doc);
        terms.insert(terms.end(), unit.begin(), unit.end());
      }
      const WordNetMatch m = MatchRelated(analysis.related, terms);
      if (m.match == 0) continue;
      ranked[i].wordnet = m.match;
      ranked[i].score += plan.wordnet_weight * m.match;
      if (example.empty()) example = m.lemma;
      ++matched;
    }
    std::sort(ranked.begin(), ranked.end(), by_score);
    std::string words;
    for (const auto& r : analysis.related.related) words += (words.empty() ? "" : ", ") + r->word;
    steps->push_back("wordnet: " + std::to_string(matched) + " of the top " + std::to_string(depth) +
                     " turns name a word related to " + words + (example.empty() ? "" : " (" + example + ")"));
  }

  // List questions: the best-ranked turn by a target naming each distinct
  // item of the category gets the aggregation weight; turns not yet
  // candidates join with their priors.
  if (plan.aggregation_weight > 0 && analysis.list.members != nullptr) {
    std::unordered_map<uint64_t, size_t> rank;
    for (size_t i = 0; i < ranked.size(); ++i) rank[ranked[i].seq] = i;
    auto rank_of = [&](uint64_t turn_id) {
      auto it = rank.find(DocSeq(turn_id));
      return it == rank.end() ? ranked.size() : it->second;
    };
    auto items = FindItemTurns(memory, analysis.list, analysis.targets, keep);
    auto credit = CreditDistinctItems(items, rank_of, plan.aggregation_turns,
                                      static_cast<size_t>(std::max(1.0f, plan.aggregation_per_item)));
    for (const auto& [turn_id, value] : credit) {
      auto it = rank.find(DocSeq(turn_id));
      if (it == rank.end()) {
        ranked.push_back(RankedTurn{DocSeq(turn_id), turn_id, Scored{}});
        add_priors(ranked.back());
        it = rank.emplace(DocSeq(turn_id), ranked.size() - 1).first;
      }
      ranked[it->second].s.aggregation = value;
      ranked[it->second].score += plan.aggregation_weight * value;
    }
    std::sort(ranked.begin(), ranked.end(), by_score);
    // Reserved places: the best credited turns move up to the 2nd, 4th, ...
    // hit, with a score between their new neighbours'.
    const size_t slots = static_cast<size_t>(std::max(0.0f, plan.aggregation_slots));
    size_t reserved = 1, moved = 0;
    for (size_t i = 0; i < ranked.size() && moved < slots && reserved < ranked.size(); ++i) {
      if (ranked[i].s.aggregation == 0) continue;
      ++moved;
      if (i > reserved) {
        RankedTurn t = ranked[i];
        t.score = (ranked[reserved - 1].score + ranked[reserved].score) / 2;
        ranked.erase(ranked.begin() + static_cast<long>(i));
        ranked.insert(ranked.begin() + static_cast<long>(reserved), t);
        reserved += 2;
      } else {
        reserved = std::max(reserved, i + 2);
      }
    }
    steps->push_back("aggregation: " + std::to_string(items.size()) + " turns name a " +
                     analysis.list.members->category + ", " + std::to_string(credit.size()) +
                     " credited for a distinct item (" + CreditedItemNames(items, credit) + ")");
  }

  // Session diversity.
  if (plan.session_quota > 0 && plan.session_penalty < 1.0f) {
    std::unordered_map<std::string, size_t> per_session;
    for (auto& t : ranked) {
      const MemoryDoc* d = memory.TurnDoc(t.seq);
      if (d == nullptr) continue;
      size_t n = per_session[d->session]++;
      if (n >= plan.session_quota) t.score *= std::pow(plan.session_penalty, static_cast<float>(n + 1 - plan.session_quota));
    }
    std::sort(ranked.begin(), ranked.end(), by_score);
  }

  // Second stage: the leading turns ordered again by the reranker.
  if (plan.rerank_depth >= 1 && !ranked.empty()) {
    const size_t depth = std::min(static_cast<size_t>(plan.rerank_depth), ranked.size());
    RerankTurns(memory, analysis, lexical_query, plan, std::span<RankedTurn>(ranked.data(), depth));
    steps->push_back("rerank: the top " + std::to_string(depth) + " turns ordered again by " +
                     std::to_string(kRerankFeatureCount) + " features");
  }

  std::vector<Hit> out;
  for (const auto& t : ranked) {
    if (out.size() >= options.k) break;
    const MemoryDoc* turn = memory.TurnDoc(t.seq);
    const MemoryDoc* best = memory.Doc(t.best_doc);
    if (turn == nullptr || best == nullptr) continue;
    Hit h;
    h.kind = best->is_unit ? "unit" : "turn";
    h.id = best->is_unit ? UnitId(best->seq, static_cast<uint32_t>(best->id & 0xff)) : turn->source_id;
    h.tier = Tier::kEpisodic;
    h.source_ids = {turn->source_id};
    h.text = best->is_unit ? best->text : turn->text;
    h.speaker = turn->speaker;
    h.session = turn->session;
    h.time_ms = turn->time_ms;
    if (turn->metadata != nullptr) h.metadata = *turn->metadata;
    h.score = t.score;
    auto put = [&](const char* name, float v) {
      if (v != 0) h.signals[name] = v;
    };
    put("bm25", t.s.lexical);
    put("vector", t.s.vector);
    put("speaker", t.s.speaker);
    put("temporal", t.s.temporal);
    put("recency", t.s.recency);
    put("graph", t.s.graph);
    put("answer_type", t.s.answer_type);
    put("aggregation", t.s.aggregation);
    put("context_key", t.s.context_key);
    put("neighbour", t.neighbour);
    put("session_context", t.session_context);
    put("wordnet", t.wordnet);
    if (t.reranked) {
      for (size_t f = 0; f < kRerankFeatureCount; ++f) put(RerankFeatureNames()[f], t.features[f]);
      h.signals["rerank"] = t.score;
    }
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace engram
