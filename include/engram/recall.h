// Recall: what a Store returns when asked what to remember.
//
// Thread safety: plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "engram/types.h"

namespace engram {

struct RecallOptions {
  // Hits to return. Default 10.
  size_t k = 10;
  // "auto": the retrieval router reads the question and picks a route
  // (default). "hybrid": plain weighted fusion of vector and BM25 scores over
  // turns and event units. "bm25" or "vector": one signal only.
  std::string route = "auto";
  // Weights of the normalised signals in "hybrid" (and the router's base).
  float lexical_weight = 0.7f;  // default 0.7
  float vector_weight = 0.3f;   // default 0.3
  // Overrides of the chosen route's weights, by the names RouteInfo::weights
  // lists ("speaker", "context_key", ...), for tuning and evaluation; a name
  // prefixed with a route ("multi_hop.speaker") applies only when that route
  // runs. Empty (default) = the route's own. An unknown name is
  // InvalidArgument.
  std::map<std::string, float> weights;

  // Tiers to search. Empty (default) = episodic: turns and event units.
  // kPersona adds matching persona facts, kGraph matching relations and
  // kWorking the recent turns of the session as hits; listing tiers without
  // kEpisodic leaves the episodic tier out.
  std::vector<Tier> tiers;

  // Filters (apply to every route).
  std::string speaker;                                  // "" = any
  std::string session;                                  // "" = any
  TimeMs from_ms = std::numeric_limits<TimeMs>::min();  // inclusive
  TimeMs to_ms = std::numeric_limits<TimeMs>::max();    // exclusive

  // Who "I"/"my" refers to in the question (the asking user), and who "you"
  // refers to (the agent). Empty = unknown.
  std::string asking_user;
  std::string agent_name;
  // Exact-match metadata filters: only turns (and what is derived from
  // them) whose metadata holds every key with exactly that value.
  std::map<std::string, std::string> where;
};

// One remembered item.
struct Hit {
  std::string kind;                     // "turn", "unit", "fact", "relation", "summary", "core"
  std::string id;                       // stable id of a unit, fact or relation; a turn's source id
  Tier tier = Tier::kEpisodic;
  std::vector<std::string> source_ids;  // the turns it comes from
  std::string text;
  std::string speaker;
  std::string session;
  TimeMs time_ms = 0;
  float score = 0;                       // the fused score used for ranking
  std::map<std::string, float> signals;  // per-signal scores: "bm25", "vector", "graph", "temporal", ...
  std::map<std::string, std::string> metadata;  // the source turn's metadata (turns and units)
};

// How a question was read and answered: the route taken, inspectable.
struct RouteInfo {
  std::string name;                  // "single_fact", "multi_hop", "temporal", "persona", "open", "hybrid", ...
  std::string question_kind;
  std::vector<std::string> targets;  // participants the question is about
  std::vector<std::string> entities; // entities mentioned
  TimeMs from_ms = 0, to_ms = 0;     // time constraint (0, 0 = none)
  bool graph_expansion = false;
  // The question names a participant, but none of the best hits is by or
  // about them: the memory may not hold the answer (an agent should say so
  // rather than answer from someone else's memory).
  bool likely_unanswerable = false;
  std::map<std::string, float> weights;
  std::vector<std::string> steps;    // what ran, in order, in words
};

struct RecallResult {
  std::vector<Hit> hits;  // best first
  RouteInfo route;
  int64_t embed_us = 0;   // time spent embedding the query
  int64_t search_us = 0;  // time spent on everything else
  // False when the tenant has no records at all (a typo'd name?): the
  // result is empty because there is nothing to search.
  bool tenant_known = true;
};

// A prompt-ready memory context within a token budget.
struct ContextSection {
  std::string name;  // "core", "working", "persona", "evidence", "related"
  std::vector<Hit> items;
};

struct Context {
  std::vector<ContextSection> sections;
  std::string text;   // the rendering, at most the budget
  size_t tokens = 0;  // its size in tokens (engram's estimate: bytes / 4)
  RouteInfo route;
  bool tenant_known = true;  // as in RecallResult
};

struct GraphView {
  std::vector<Entity> entities;
  std::vector<Relation> relations;
};

}  // namespace engram
