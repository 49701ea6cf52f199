// Encodings of derived records (event units, persona facts, entities,
// relations) as stored in the log's "derived" column family: a compact
// binary form is written; the JSON form of format version 1 is still read
// (docs/file-format.md, "Derived records").
#pragma once

#include <string>
#include <string_view>

#include "engram/status.h"
#include "engram/types.h"

namespace engram {

// Kind byte in a derived record's key (docs/file-format.md).
enum class DerivedKind : char { kUnit = 'u', kFact = 'f', kEntity = 'e', kRelation = 'r' };

// Derived record key: tenant prefix + seq (u64 BE) + kind + n (u32 BE).
// Records an LLM enrichment adds use n >= kEnrichmentBase.
std::string DerivedKey(std::string_view tenant, uint64_t seq, DerivedKind kind, uint32_t n);
inline constexpr uint32_t kEnrichmentBase = 1u << 20;

// Stable ids of derived records: the turn's sequence number and the
// record's n (its position in the derived key). A fact or relation keeps the
// id of the record that first stated it, whatever later turns restate it,
// so an id is the same after a restart and a Rebuild.
std::string UnitId(uint64_t seq, uint32_t n);
std::string FactId(uint64_t seq, uint32_t n);
std::string RelationId(uint64_t seq, uint32_t n);
// Parses "fact:<seq>.<n>" (prefix "fact:") and the like; false when `id`
// is not of that form.
bool ParseRecordId(std::string_view id, std::string_view prefix, uint64_t* seq, uint32_t* n);
// Gives every fact and relation of `extraction` without an id the id of its
// derived record (n from `first_n`, as EncodeExtraction numbers them).
void AssignRecordIds(uint64_t seq, Extraction* extraction, uint32_t first_n);

std::string EncodeUnit(const EventUnit& unit);
std::string EncodeFact(const PersonaFact& fact);
std::string EncodeEntity(const Entity& entity);
std::string EncodeRelation(const Relation& relation);
Status DecodeUnit(std::string_view bytes, EventUnit* unit);
Status DecodeFact(std::string_view bytes, PersonaFact* fact);
Status DecodeEntity(std::string_view bytes, Entity* entity);
Status DecodeRelation(std::string_view bytes, Relation* relation);

// Appends every record of `extraction` to the batch-building callback
// put(key, value) under the keys of (tenant, seq), n starting at `first_n`.
template <typename Put>
void EncodeExtraction(std::string_view tenant, uint64_t seq, const Extraction& extraction, uint32_t first_n,
                      Put&& put) {
  uint32_t n = first_n;
  for (const auto& u : extraction.units) put(DerivedKey(tenant, seq, DerivedKind::kUnit, n++), EncodeUnit(u));
  n = first_n;
  for (const auto& f : extraction.facts) put(DerivedKey(tenant, seq, DerivedKind::kFact, n++), EncodeFact(f));
  n = first_n;
  for (const auto& e : extraction.entities) put(DerivedKey(tenant, seq, DerivedKind::kEntity, n++), EncodeEntity(e));
  n = first_n;
  for (const auto& r : extraction.relations) {
    put(DerivedKey(tenant, seq, DerivedKind::kRelation, n++), EncodeRelation(r));
  }
}

}  // namespace engram
