// RoutePlan: how one question is answered, as data.
//
// A plan says which tiers to read, how many candidates each signal
// contributes, how the normalised signals are weighted, and which
// expansions and rerankers run. The router picks a plan per question kind
// (RoutePlanner); "hybrid" is the plain weighted fusion with nothing else.
// Plans are plain values so they can be printed, compared and configured.
//
// Thread safety: plain values.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "router/reranker.h"

namespace engram {

struct RoutePlan {
  std::string name = "hybrid";

  // Candidate generation.
  size_t lexical_candidates = 100;  // BM25 hits considered
  size_t vector_candidates = 100;   // nearest vectors considered
  bool search_units = true;         // event units compete with turns
  // BM25 runs on the question's content words: without the target
  // participants' names (a name is in every turn of its speaker and drowns
  // the content words; the speaker reranker scores it instead) and without
  // framing nouns ("what kind of art").
  bool lexical_content_only = false;

  // Fusion of normalised signals (each in [0, 1]).
  float lexical_weight = 0.7f;
  float vector_weight = 0.3f;
  // A unit's fused score is multiplied by this before it stands in for its turn.
  float unit_factor = 1.0f;
  // Context keys (TenantMemory::context_keys()): a reply turn whose
  // question matches gets weight * key * (1 - own) added to its own
  // normalised BM25 score (both in [0, 1]), so a short answer is found by
  // the question's words while a turn that matches on its own keeps its
  // place. 0 = off.
  float context_key_weight = 0.0f;

  // Rerankers (0 = off).
  float speaker_weight = 0.0f;   // the document is by / about a question target
  // The speaker signal of a turn that says "you" to a target (its
  // addressee, the other speaker next to it in the session, is one):
  // "you told me you adopted a dog" is about the one it is said to. A turn
  // by a target scores 1, one naming a target 0.5. 0 = off.
  float addressed_prior = 0.0f;
  float temporal_weight = 0.0f;  // the document's time fits the question's time range
  float recency_weight = 0.0f;   // newer documents first, all else equal
  float graph_weight = 0.0f;     // the turn supports a relation near the question's entities
  // The turn (by a target) mentions an entity of the type the question asks
  // for ("what countries ..." -> turns naming places).
  float answer_type_weight = 0.0f;
  // List questions ("what activities does X do?"): the best-ranked turn by
  // a target naming each distinct item of the asked-for category
  // (aggregation.h) gets this much; at most `aggregation_turns` turns.
  float aggregation_weight = 0.0f;
  size_t aggregation_turns = 20;
  // Of those, the best `aggregation_slots` (a count) are also moved up to
  // reserved places of the ranking, the 2nd, 4th, 6th, ... hit, unless they
  // rank higher already, so distinct items reach the top 10. 0 = off.
  float aggregation_slots = 0.0f;
  // Turns credited per distinct item (a count).
  float aggregation_per_item = 1.0f;
  int graph_hops = 0;            // 0 = no graph expansion
  size_t graph_fanout = 16;      // edges followed per entity
  size_t graph_max_edges = 64;

  // Context expansion: neighbours of the best turns in their session.
  size_t neighbour_seeds = 0;     // how many top turns get neighbours
  int neighbour_window = 1;       // turns on each side
  float neighbour_factor = 0.0f;  // a neighbour's relevance = seed's relevance * factor / distance
  // Follow the dialogue: a seed that asks something ('?') lends to the turns
  // after it (the reply), any other seed to the turns before it (what it
  // replies to). Off = both sides.
  bool neighbour_dialogue = false;

  // Session context: a second stage over the best `session_context_depth`
  // turns adds weight * how relevant their dialogue neighbours (up to
  // `session_context_window` turns away in the session, nearer ones
  // counting more) are on their own, relative to the best turn. A turn in
  // a stretch of conversation about the question beats an equal one in a
  // passing remark. 0 = off.
  float session_context_weight = 0.0f;
  size_t session_context_depth = 50;
  int session_context_window = 2;

  // WordNet match (wordnet_match.h): the best `wordnet_depth` turns that
  // name a word related to one of the question's content words (a synonym,
  // a related form, a member of the category a generic noun names:
  // "violin" for "instruments") get weight * the share of content words so
  // matched. 0 = off.
  float wordnet_weight = 0.0f;
  float wordnet_depth = 50;  // a count

  // Second stage (reranker.h): the best `rerank_depth` turns (a count) of
  // the ranking so far are ordered again by `rerank_weights`. 0 = off.
  float rerank_depth = 0;
  RerankWeights rerank_weights = DefaultRerankWeights();

  // Diversity: a turn's score is multiplied by this for each better-ranked
  // hit from the same session beyond the first `session_quota`.
  size_t session_quota = 0;  // 0 = off
  float session_penalty = 1.0f;

  // Tiers packed by RecallContext besides the evidence.
  bool include_persona = true;
  bool include_working = true;

  std::map<std::string, float> Weights() const {
    std::map<std::string, float> w;
    for (const auto& [name, field] : WeightFields()) w[name] = this->*field;
    return w;
  }

  // Sets the weight Weights() lists as `name`; false when there is none.
  bool SetWeight(const std::string& name, float value) {
    for (const auto& [known, field] : WeightFields()) {
      if (known == name) {
        this->*field = value;
        return true;
      }
    }
    return false;
  }

 private:
  static std::vector<std::pair<std::string, float RoutePlan::*>> WeightFields() {
    return {{"bm25", &RoutePlan::lexical_weight},
            {"vector", &RoutePlan::vector_weight},
            {"speaker", &RoutePlan::speaker_weight},
            {"addressed", &RoutePlan::addressed_prior},
            {"temporal", &RoutePlan::temporal_weight},
            {"recency", &RoutePlan::recency_weight},
            {"graph", &RoutePlan::graph_weight},
            {"answer_type", &RoutePlan::answer_type_weight},
            {"aggregation", &RoutePlan::aggregation_weight},
            {"aggregation_slots", &RoutePlan::aggregation_slots},
            {"aggregation_per_item", &RoutePlan::aggregation_per_item},
            {"neighbour", &RoutePlan::neighbour_factor},
            {"unit", &RoutePlan::unit_factor},
            {"context_key", &RoutePlan::context_key_weight},
            {"session_context", &RoutePlan::session_context_weight},
            {"wordnet", &RoutePlan::wordnet_weight},
            {"wordnet_depth", &RoutePlan::wordnet_depth},
            {"rerank_depth", &RoutePlan::rerank_depth}};
  }
};

}  // namespace engram
