// Router: question-conditioned retrieval over all tiers.
//
//   analyse (QueryAnalysis) -> plan (RoutePlan per question kind, from a
//   table the caller can inspect and change) -> execute (ExecuteRoute) ->
//   pack (PackContext)
//
// Thread safety: const methods are safe from many threads; the caller holds
// the tenant memory's shared lock.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>

#include "engram/recall.h"
#include "common/category_lexicon.h"
#include "router/query_analysis.h"
#include "router/route_plan.h"
#include "router/wordnet_match.h"
#include "tiers/tenant_memory.h"

namespace engram {

class Router {
 public:
  // The default plans: "hybrid" plus one per question kind.
  Router();

  // The plan for a route name ("hybrid", "bm25", "vector", or a question
  // kind name); nullptr if unknown.
  const RoutePlan* FindPlan(std::string_view name) const;
  void SetPlan(const RoutePlan& plan) { plans_[plan.name] = plan; }
  // The category lexicon list questions use (default: the process-wide one
  // of CategoryLexicon::DefaultDir()); nullptr: no aggregation.
  // It also gives the WordNet match its related words.
  void SetCategoryLexicon(std::shared_ptr<CategoryLexicon> lexicon) {
    lexicon_ = std::move(lexicon);
    related_ = std::make_shared<RelatedTermsCache>(lexicon_);
  }
  const std::map<std::string, RoutePlan, std::less<>>& plans() const { return plans_; }

  Result<RecallResult> Recall(const TenantMemory& memory, std::string_view query, std::span<const float> query_vector,
                              const RecallOptions& options) const;

  Result<Context> RecallContext(const TenantMemory& memory, std::string_view question,
                                std::span<const float> query_vector, size_t budget_tokens,
                                const RecallOptions& options) const;

 private:
  std::map<std::string, RoutePlan, std::less<>> plans_;
  std::shared_ptr<CategoryLexicon> lexicon_ = CategoryLexicon::Shared();
  std::shared_ptr<RelatedTermsCache> related_ = std::make_shared<RelatedTermsCache>(lexicon_);
};

}  // namespace engram
