// Extractive session summaries: the statements of a session that share the
// most vocabulary with the rest of it (a TextRank-style centrality, scored in
// one pass), kept in conversation order.
//
// Thread safety: the caller holds the memory's shared lock.
#pragma once

#include <string>

#include "engram/types.h"
#include "tiers/tenant_memory.h"

namespace engram {

SessionSummary SummariseSession(const TenantMemory& memory, const std::string& session, size_t max_sentences);

}  // namespace engram
