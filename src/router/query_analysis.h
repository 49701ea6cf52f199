// QueryAnalysis: what a question is about, read without an LLM.
//
// Target participants ("what does Melanie paint" -> Melanie; "I"/"my" -> the
// asking user; "you" -> the agent), time constraints ("in May 2023", "last
// year"), entity mentions known to the tenant's graph, and a question kind.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engram/recall.h"
#include "router/aggregation.h"
#include "router/wordnet_match.h"
#include "engram/types.h"

namespace engram {

class GraphTier;

enum class QuestionKind { kSingleFact, kMultiHop, kTemporal, kPersona, kOpen, kUnanswerable };
const char* QuestionKindName(QuestionKind kind);

struct QueryAnalysis {
  QuestionKind kind = QuestionKind::kSingleFact;
  std::vector<std::string> targets;   // participants the question is about
  std::vector<std::string> entities;  // graph entities mentioned
  TimeMs from_ms = 0, to_ms = 0;      // time constraint; 0, 0 = none
  bool asks_when = false;             // the answer is a time
  // The question asks for things of one entity type ("what countries",
  // "which books"): turns that mention such entities may hold the answer.
  bool has_answer_type = false;
  EntityType answer_type = EntityType::kOther;
  std::vector<std::string> cues;      // why the kind was chosen, in words
  // The list the question asks for, when it asks for one (set by the router
  // when the plan aggregates; ReadListQuestion).
  ListQuestion list;
  // Words related to the question's content words (set by the router when
  // the plan uses the WordNet match; ExpandQuestion).
  QuestionExpansion related;
};

// participants: the tenant's speakers; anchor_ms: "now" for relative times
// (the latest turn's time).
QueryAnalysis AnalyzeQuery(std::string_view question, const std::vector<std::string>& participants,
                           const GraphTier& graph, const RecallOptions& options, TimeMs anchor_ms);

}  // namespace engram
