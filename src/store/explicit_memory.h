// Explicit facts and relations: what the caller wrote with RememberFact and
// RememberRelation, stored in the log's edits column family under kind 'x'
// and the sequence number they were given (docs/file-format.md), so loading
// a tenant applies them among its turns in the order they were written.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "engram/options.h"
#include "engram/status.h"
#include "engram/types.h"
#include "log/event_log.h"
#include "tiers/tenant_memory.h"

namespace engram {

// One explicit fact or relation.
struct ExplicitRecord {
  bool is_fact = true;
  PersonaFact fact;    // is_fact
  Relation relation;   // !is_fact
};

// The edits key of the explicit record with sequence number `seq`.
std::string ExplicitKey(std::string_view tenant, uint64_t seq);
// [begin, end) of every explicit record of `tenant`.
std::string ExplicitKeysBegin(std::string_view tenant);
std::string ExplicitKeysEnd(std::string_view tenant);

// Bad input (an empty part, invalid UTF-8, a part over the id limit, an end
// not after the start) is InvalidArgument naming the part.
Status ValidateExplicitFact(const PersonaFact& fact, const Options& options);
Status ValidateExplicitRelation(const Relation& relation, const Options& options);

// Gives the record what every explicit record has: provenance "explicit",
// confidence 1, id "fact:<seq>.0" / "rel:<seq>.0", source id "explicit:<seq>".
void StampExplicit(uint64_t seq, ExplicitRecord* record);

std::string EncodeExplicit(const ExplicitRecord& record);
// Decodes and stamps (the id and source come from `seq`).
Status DecodeExplicit(std::string_view value, uint64_t seq, ExplicitRecord* record);

// Every explicit record of `tenant`, by sequence number. A record that does
// not decode is Corruption: explicit records are a source of truth, never
// silently dropped.
Status ReadExplicitRecords(const log::EventLog& log, std::string_view tenant, const log::LogSnapshot* snapshot,
                           std::map<uint64_t, ExplicitRecord>* out);

// Applies the record to the tenant's persona or graph tier (caller holds the
// memory's exclusive lock).
void ApplyExplicit(TenantMemory& memory, const ExplicitRecord& record);

// The id of the fact or relation in `memory` that holds explicit record
// `seq` (a restatement of an explicit fact merges into it); `fallback` when
// none does.
std::string ExplicitIdIn(const TenantMemory& memory, const ExplicitRecord& record, uint64_t seq);

}  // namespace engram
