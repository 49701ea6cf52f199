// Hits from the persona, graph and working tiers for RecallOptions::tiers:
// facts and relations scored by how many of the query's terms they contain,
// recent turns of the session in order.
//
// Thread safety: the caller holds the memory's shared lock.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engram/recall.h"
#include "tiers/tenant_memory.h"

namespace engram {

bool WantsTier(const RecallOptions& options, Tier tier);

// A fact or relation passes RecallOptions::where when one of the turns it
// comes from does (an explicit one comes from none, so it passes only an
// empty filter).
bool SourcesMatchWhere(const TenantMemory& memory, const std::vector<std::string>& source_ids,
                       const std::map<std::string, std::string>& where);

// A hit for a stored turn, persona fact or relation of the given tier (score 0).
Hit TurnHit(const StoredTurn& turn, Tier tier);
Hit FactHit(const PersonaFact& fact);
Hit RelationHit(const Relation& relation);

// How the tier search trades work for nothing: a question term on at least
// max(long_list_floor, a sixteenth of a tier's entries) facts or relations
// (a speaker's name) is looked up for the entries the other terms reach
// instead of read whole, when the k best are sure to be among those (k of
// them score above anything that term alone can give); otherwise the whole
// list is read. The hits are the same either way.
struct TierSearchTuning {
  size_t long_list_floor = 4096;
};

// Appends the hits of every non-episodic tier in options.tiers to *hits and
// re-sorts them by score, keeping at most options.k.
void AddTierHits(const TenantMemory& memory, std::string_view query, const RecallOptions& options,
                 std::vector<Hit>* hits, const TierSearchTuning& tuning = {});

}  // namespace engram
