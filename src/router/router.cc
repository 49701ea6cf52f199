#include "router/router.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "common/time_format.h"
#include "common/utf8.h"
#include "router/fact_relevance.h"
#include "router/route_executor.h"
#include "router/tier_search.h"

namespace engram {
namespace {

RoutePlan HybridPlan() {
  RoutePlan p;
  p.name = "hybrid";
  return p;
}

// The base of every question-kind plan. Figures are LoCoMo dev-half R@10
// (docs/router.md), each change measured on a tuning split (conv-26/30/41)
// and kept only if it also held on a check split (conv-42/43).
RoutePlan KindPlan(const char* name) {
  RoutePlan p;
  p.name = name;
  // 94-100% of the evidence of categories 1-4 is said by the participant the
  // question names. 0.1 is the knee: more helps multi-hop a little and costs
  // the adversarial questions (which name the wrong participant) more.
  p.speaker_weight = 0.1f;
  // A turn telling the target's own story to them ("you told me you
  // adopted ...", said by the other participant) counts half as "about"
  // them, like one naming them. On LoCoMo it is neutral: leaving one
  // conversation out (0/0.25/0.5, with the session context below) chose 0.5
  // in four folds, held-out R@10 80.3 with it and without.
  p.addressed_prior = 0.5f;
  // The name is in every turn of its speaker ("Melanie: ...") and in most
  // replies to them; dropping it from BM25 lets the content words decide
  // (+0.1..+0.9 overall, +1.3..+4 open-domain, depending on the rest).
  p.lexical_content_only = true;
  // The single largest gain (+6 overall): the answer is often the reply to
  // the turn that matches the question. Following the dialogue direction
  // (question -> reply, statement -> what it answers) rather than both sides
  // adds +2.8 multi-hop: fewer slots go to unrelated neighbours.
  p.neighbour_seeds = 5;
  p.neighbour_factor = 0.6f;
  p.neighbour_dialogue = true;
  // A reply is also found by the words of the question it answers (the
  // context-key index), blended as w * key * (1 - own) into its BM25.
  // Leaving one conversation out over the five development conversations, w
  // in {0, 0.3, 0.5, 0.6, 0.7, 0.85, 1}: 0.85 in every fold, held-out R@10
  // 76.4 -> 78.9, R@5 66.2 -> 70.3 (0.5..1 all within 78.3..78.9).
  p.context_key_weight = 0.85f;
  // Second stage: the best 50 turns get 0.25 * how relevant their dialogue
  // neighbours (two turns each side) are. Leaving one conversation out, from
  // 0/0.1/0.25/0.4: 0.25 in four folds, 0.4 in one; held-out R@10 79.1 ->
  // 80.3, R@5 70.2 -> 72.7.
  p.session_context_weight = 0.25f;
  // List questions ("what activities does X do?"): the best-ranked turn by
  // the target naming each distinct item of the category gets this much
  // (aggregation.h; categories from WordNet). Leaving one conversation out,
  // from 0/0.1/0.2/0.3/0.5: 0.2 and 0.3 in two folds each, 0.5 in one (0.3
  // shipped, the median); held-out R@10 80.5 -> 80.6, multi-hop 49.8 ->
  // 50.9, multi-hop R@1 12.8 -> 16.6. Reserved places (aggregation_slots
  // 1-5) and more turns per item (aggregation_per_item 2-3) changed R@10
  // by at most 0.2: off.
  p.aggregation_weight = 0.3f;
  // WordNet match (wordnet_match.h): the best 50 turns naming a word
  // related to a content noun of the question (a synonym, a related form,
  // a member of the category a generic noun names: "violin" for
  // "instruments", "dog" for "pets") get 0.5 * the share of content words
  // so matched. Leaving one conversation out, from 0/0.2/0.3/0.5/0.7: 0.5 in
  // every fold; held-out R@10 80.8 -> 81.3, R@5 72.7 -> 73.1, open-domain
  // 38.8 -> 43.4, multi-hop 51.0 -> 51.7. Depth 25 or 100 changed nothing;
  // expanding verbs too (synonyms of their first sense) cost R@5 0.5; the
  // synonyms and related forms alone (no category members) won nothing.
  // Off by default all the same (0.5 turns it on): the first question a
  // process answers with it reads WordNet (about a second), and a noun's
  // first expansion costs up to tens of milliseconds, for half a point.
  p.wordnet_weight = 0.0f;
  // The reranker (reranker.h) orders the best 50 turns of all the above
  // again by 25 features with fitted weights (reranker.cc). Leaving one
  // conversation out: R@10 80.8 -> 82.7, R@5 72.7 -> 75.5, R@1 40.9 ->
  // 47.1, temporal R@1 62.5 -> 70.5. Depth 100 held out 82.9 (50 kept: half
  // the features to compute); pairing only the irrelevant turns of the top
  // 15 / 30, a stronger ridge (0.02) or one set of weights per plan were
  // within 0.5 either way.
  p.rerank_depth = 50;
  // Not used by default, measured: session diversity (quota 1-3, penalty
  // 0.6-0.9) lowers every category, multi-hop included (evidence is often
  // several turns of one session); graph expansion (1-2 hops) changes no
  // ranking on LoCoMo; recency 0.05-0.1 costs 0.5-1.5 overall; unit factor
  // 0.9/1.1 and vector weight 0.25/0.35 are within noise and disagree
  // between the two splits.
  return p;
}

// Adversarial questions ask about one participant what only another one
// did. When none of the hits that match the question best on content (BM25
// and vector, before the speaker prior lifts the target's own turns) was
// said by the participant asked about, say so.
bool LikelyUnanswerable(const QueryAnalysis& analysis, const RoutePlan& plan, const std::vector<Hit>& hits) {
  if (analysis.targets.empty() || hits.empty()) return false;
  auto signal = [](const Hit& h, const char* name) {
    auto it = h.signals.find(name);
    return it == h.signals.end() ? 0.0f : it->second;
  };
  std::vector<std::pair<float, const Hit*>> by_content;
  for (const auto& h : hits) {
    float content = plan.lexical_weight * signal(h, "bm25") + plan.vector_weight * signal(h, "vector");
    if (content > 0) by_content.emplace_back(content, &h);  // listed for the prior alone: no evidence
  }
  std::stable_sort(by_content.begin(), by_content.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  constexpr size_t kTop = 3;
  for (size_t i = 0; i < std::min(kTop, by_content.size()); ++i) {
    for (const auto& target : analysis.targets) {
      if (AsciiEqualsIgnoreCase(by_content[i].second->speaker, target)) return false;
    }
  }
  return true;
}

}  // namespace

Router::Router() {
  plans_["hybrid"] = HybridPlan();
  RoutePlan bm25 = HybridPlan();
  bm25.name = "bm25";
  bm25.lexical_weight = 1;
  bm25.vector_weight = 0;
  plans_["bm25"] = bm25;
  RoutePlan vector = HybridPlan();
  vector.name = "vector";
  vector.lexical_weight = 0;
  vector.vector_weight = 1;
  plans_["vector"] = vector;

  RoutePlan single = KindPlan("single_fact");
  plans_[single.name] = single;

  // Lists and "both" questions: evidence is spread, so look deeper (200 vs
  // 100 candidates: +2 on the multi-hop questions routed here) and lean a little
  // more on the named participants.
  RoutePlan multi = KindPlan("multi_hop");
  multi.lexical_candidates = multi.vector_candidates = 200;
  multi.speaker_weight = 0.15f;
  // "What countries has X been to?": the evidence names places but often
  // shares no word with the question. Turns by the target that name an
  // entity of the asked-for type get 0.3 (0.2 / 0.3: multi-hop R@10 +0.7 / +0.8
  // on the full half, +0.7 on both the tuning and the check split; nothing
  // else moved).
  multi.answer_type_weight = 0.3f;
  plans_[multi.name] = multi;

  // A time in the question ("in May 2023", "last year"): documents whose
  // event or turn time falls inside get up to 0.3 (0.2 -> 0.3: +0.7 temporal;
  // check split +1.5, tuning split unchanged).
  RoutePlan temporal = KindPlan("temporal");
  temporal.temporal_weight = 0.3f;
  plans_[temporal.name] = temporal;

  RoutePlan persona = KindPlan("persona");
  plans_[persona.name] = persona;

  // "Would X likely ...": the inference rests on what X said about themself.
  RoutePlan open = KindPlan("open");
  open.speaker_weight = 0.15f;
  // No context keys: the inference rests on X's statements, not on replies
  // to questions (0 chosen in every fold leaving one conversation out, from
  // 0/0.3/0.5/0.85: open-domain R@10 35.4 -> 38.8, overall 78.9 -> 79.1).
  open.context_key_weight = 0.0f;
  plans_[open.name] = open;

  RoutePlan unanswerable = KindPlan("unanswerable");
  plans_[unanswerable.name] = unanswerable;
}

const RoutePlan* Router::FindPlan(std::string_view name) const {
  auto it = plans_.find(name);
  return it == plans_.end() ? nullptr : &it->second;
}

Result<RecallResult> Router::Recall(const TenantMemory& memory, std::string_view query,
                                    std::span<const float> query_vector, const RecallOptions& options) const {
  RecallResult result;
  QueryAnalysis analysis = AnalyzeQuery(query, memory.participants(), memory.graph(), options, memory.last_time());
  std::string route_name = options.route.empty() || options.route == "auto" ? QuestionKindName(analysis.kind)
                                                                             : options.route;
  const RoutePlan* found = FindPlan(route_name);
  if (found == nullptr) {
    std::string known;
    for (const auto& [name, plan] : plans_) known += (known.empty() ? "" : ", ") + name;
    return Status::InvalidArgument("unknown route '" + route_name + "' (known: auto, " + known + ")");
  }
  RoutePlan plan = *found;
  if (options.route == "hybrid" || options.route == "bm25" || options.route == "vector") {
    // The plain routes keep the caller's fusion weights.
    if (options.route == "hybrid") {
      plan.lexical_weight = options.lexical_weight;
      plan.vector_weight = options.vector_weight;
    }
  }
  // The caller's weights: "speaker" for whichever plan runs, "multi_hop.speaker"
  // only when that plan does.
  for (const auto& [qualified, value] : options.weights) {
    const size_t dot = qualified.find('.');
    const std::string name = dot == std::string::npos ? qualified : qualified.substr(dot + 1);
    if (dot != std::string::npos && FindPlan(qualified.substr(0, dot)) == nullptr) {
      return Status::InvalidArgument("unknown route '" + qualified.substr(0, dot) + "' in weight '" + qualified + "'");
    }
    RoutePlan probe = plan;
    if (!probe.SetWeight(name, value)) {
      std::string known;
      for (const auto& [w, v] : plan.Weights()) known += (known.empty() ? "" : ", ") + w;
      return Status::InvalidArgument("unknown route weight '" + name + "' (known: " + known + ")");
    }
    if (dot == std::string::npos || qualified.compare(0, dot, plan.name) == 0) plan = std::move(probe);
  }
  RouteInfo& route = result.route;
  route.name = plan.name;
  route.question_kind = QuestionKindName(analysis.kind);
  route.targets = analysis.targets;
  route.entities = analysis.entities;
  route.from_ms = analysis.from_ms;
  route.to_ms = analysis.to_ms;
  route.graph_expansion = plan.graph_hops > 0 && plan.graph_weight > 0;
  route.weights = plan.Weights();
  for (const auto& cue : analysis.cues) route.steps.push_back("analysis: " + cue);
  if (plan.aggregation_weight > 0 && lexicon_ != nullptr) {
    analysis.list = ReadListQuestion(query, analysis.targets, *lexicon_);
    if (analysis.list.members != nullptr) {
      route.steps.push_back("analysis: a list of " + analysis.list.members->category + " ('" + analysis.list.noun +
                            "')");
    }
  }
  if (plan.wordnet_weight > 0 && lexicon_ != nullptr && lexicon_->available()) {
    analysis.related = ExpandQuestion(query, analysis.targets, memory.lexical().analyzer(),
                                      *related_);
  }
  auto hits = ExecuteRoute(memory, query, query_vector, plan, analysis, options, &route.steps);
  if (!hits.ok()) return hits.status();
  result.hits = std::move(*hits);
  route.likely_unanswerable = LikelyUnanswerable(analysis, plan, result.hits);
  if (route.likely_unanswerable) {
    route.steps.push_back("answerability: none of the best hits was said by " + analysis.targets.front() +
                          "; the memory may not hold the answer");
  }
  return result;
}

Result<Context> Router::RecallContext(const TenantMemory& memory, std::string_view question,
                                      std::span<const float> query_vector, size_t budget_tokens,
                                      const RecallOptions& options) const {
  RecallOptions o = options;
  o.k = std::max<size_t>(options.k, 20);
  auto recalled = Recall(memory, question, query_vector, o);
  if (!recalled.ok()) return recalled.status();
  Context ctx;
  ctx.route = recalled->route;
  const RoutePlan* plan = FindPlan(ctx.route.name);

  auto line_of = [](const Hit& h) {
    std::string when = h.time_ms != 0 ? FormatIsoTime(h.time_ms).substr(0, 16) : "unknown time";
    std::string ids;
    for (const auto& id : h.source_ids) ids += (ids.empty() ? "" : ",") + id;
    return "- [" + when + "] " + h.speaker + ": " + h.text + " (" + ids + ")\n";
  };
  // Sections are packed in rendering order, but working memory and persona
  // facts may take at most a share of the budget each, so the recalled
  // evidence (the answer, usually) always has most of it.
  const size_t working_cap = budget_tokens / 4;  // 25%
  const size_t persona_cap = budget_tokens / 5;  // 20%
  size_t used = 0;
  std::string text;
  std::map<std::string, size_t> section_used;
  auto try_add = [&](ContextSection& section, const std::string& header, const Hit& h, size_t cap) {
    std::string line = line_of(h);
    size_t cost = ApproxTokens(line) + (section.items.empty() ? ApproxTokens(header) : 0);
    if (used + cost > budget_tokens || section_used[section.name] + cost > cap) return false;
    if (section.items.empty()) text += header;
    text += line;
    used += cost;
    section_used[section.name] += cost;
    section.items.push_back(h);
    return true;
  };

  // Working memory first: the conversation so far, verbatim.
  ContextSection working{"working", {}};
  if (plan == nullptr || plan->include_working) {
    const std::string& session = options.session.empty() ? memory.working().latest_session() : options.session;
    for (const auto& st : memory.WorkingSession(session)) {
      if (!MatchesWhere(&st.turn.metadata, options.where)) continue;
      Hit h = TurnHit(st, Tier::kWorking);
      if (!try_add(working, "## Recent conversation\n", h, working_cap)) break;
    }
  }

  // Persona facts of the question's targets (everyone when none), in the
  // order the question wants them: the facts it asks about first, the
  // current value (or, for a question about the past, the value valid then)
  // before others; every line says since when it holds or when it ended.
  const FactQuestion fact_question =
      ReadFactQuestion(question, ctx.route.from_ms, ctx.route.to_ms, memory.last_time());
  ContextSection persona{"persona", {}};
  if (plan == nullptr || plan->include_persona) {
    for (const RankedFact& r : RankTierFacts(memory.persona(), fact_question, ctx.route.targets)) {
      if (!SourcesMatchWhere(memory, r.fact->source_ids, options.where)) continue;
      Hit h = FactHit(*r.fact);
      h.text = FactLine(*r.fact);
      h.signals["match"] = r.match;
      if (persona.items.size() >= 8 || !try_add(persona, "## Known facts about the people\n", h, persona_cap)) break;
    }
  }

  // Evidence: the recalled turns, chosen best first, skipping what working
  // memory holds. A question about now reads them newest first, so a later
  // statement of a change comes before what it changed.
  ContextSection evidence{"evidence", {}};
  std::set<std::string> shown;
  for (const auto& h : working.items) shown.insert(h.source_ids.front());
  const size_t evidence_begin = text.size();
  for (const auto& h : recalled->hits) {
    if (shown.count(h.source_ids.front())) continue;
    // A long hit that does not fit leaves room for shorter ones after it.
    if (try_add(evidence, "## Relevant memories\n", h, budget_tokens)) shown.insert(h.source_ids.front());
  }
  if (fact_question.focus == TimeFocus::kPresent && evidence.items.size() > 1) {
    std::stable_sort(evidence.items.begin(), evidence.items.end(),
                     [](const Hit& a, const Hit& b) { return a.time_ms > b.time_ms; });
    text.resize(evidence_begin);
    text += "## Relevant memories\n";
    for (const Hit& h : evidence.items) text += line_of(h);
  }

  // Related facts from the graph around the question's participants.
  ContextSection related{"related", {}};
  std::vector<std::string> seeds = ctx.route.targets;
  seeds.insert(seeds.end(), ctx.route.entities.begin(), ctx.route.entities.end());
  if (!seeds.empty()) {
    GraphExpansion x = memory.graph().Expand(seeds, 1, 8, 16);
    struct RankedRelation {
      float match;
      int time_rank;
      const Relation* relation;
    };
    std::vector<RankedRelation> ranked;
    for (const Relation* r : x.relations) {
      if (r->relation == "mentioned_with") continue;
      if (!SourcesMatchWhere(memory, r->source_ids, options.where)) continue;
      const float match = FactMatch(fact_question, r->relation, r->object);
      // Closed relations only where the question asks about them.
      if (r->valid_to_ms != 0 && match == 0) continue;
      ranked.push_back({match, TimePreference(fact_question, r->valid_from_ms, r->valid_to_ms), r});
    }
    // Relations the question asks about first, at the time it asks about;
    // nearest first otherwise.
    std::stable_sort(ranked.begin(), ranked.end(), [](const RankedRelation& a, const RankedRelation& b) {
      if (a.match != b.match) return a.match > b.match;
      return a.time_rank < b.time_rank;
    });
    for (const auto& [match, time_rank, r] : ranked) {
      Hit h = RelationHit(*r);
      h.text = RelationLine(*r, GraphTier::IsSingleValued(r->relation));
      h.signals["match"] = match;
      if (!try_add(related, "## Related facts\n", h, budget_tokens)) break;
    }
  }

  for (auto* s : {&working, &persona, &evidence, &related}) {
    if (!s->items.empty()) ctx.sections.push_back(std::move(*s));
  }
  ctx.text = std::move(text);
  ctx.tokens = used;
  return ctx;
}

}  // namespace engram
