// Runs a RoutePlan over one tenant's memory: candidates from BM25 and the
// vector index, fusion of normalised signals, rerankers, graph and
// neighbour expansion, deduplication by source turn.
//
// Thread safety: the caller holds the memory's shared lock.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engram/recall.h"
#include "router/query_analysis.h"
#include "router/route_plan.h"
#include "tiers/tenant_memory.h"

namespace engram {

// Hits best first, one per source turn, each with its per-signal scores.
// Appends what ran to *steps.
Result<std::vector<Hit>> ExecuteRoute(const TenantMemory& memory, std::string_view query,
                                      std::span<const float> query_vector, const RoutePlan& plan,
                                      const QueryAnalysis& analysis, const RecallOptions& options,
                                      std::vector<std::string>* steps);

}  // namespace engram
