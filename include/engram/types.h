// Plain value types that cross engram's public API: turns and the memories
// derived from them.
//
// Thread safety: plain values; distinct objects may be used from different
// threads without synchronisation.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace engram {

// Milliseconds since the Unix epoch, UTC. 0 means "unknown".
using TimeMs = int64_t;

// One conversation turn, as the agent runtime saw it.
struct Turn {
  std::string session;    // session id; may be empty ("" = the default session)
  std::string speaker;    // required, non-empty
  std::string text;       // required, valid UTF-8, at most Options::max_text_bytes
  TimeMs time_ms = 0;     // when the turn was said (UTC); 0 = unknown
  std::string source_id;  // caller's id ("D1:3"); generated when empty
  // Caller's key/value labels ("channel": "email"), stored with the turn and
  // filterable in Recall (RecallOptions::where). At most
  // Options::max_metadata_entries entries; keys and values are valid UTF-8,
  // keys 1 to 128 bytes, values at most 1 KiB.
  std::map<std::string, std::string> metadata;
};

// One version of a turn, as History returns it: version 1 is the turn as
// first observed; each Update adds the next one.
struct TurnVersion {
  uint32_t version = 1;
  Turn turn;
  TimeMs replaced_ms = 0;  // when a later version replaced it (wall clock); 0 = current
};

// A turn as stored: its tenant and log sequence number.
struct StoredTurn {
  uint64_t seq = 0;     // log sequence number; increases with every Observe
  std::string tenant;
  Turn turn;
};

// Which memory tier a record belongs to.
enum class Tier : uint8_t {
  kWorking = 0,
  kEpisodic = 1,  // turns and event units
  kPersona = 2,
  kGraph = 3,
};
const char* TierName(Tier tier);

// A short, self-contained statement distilled from a turn: pronouns resolved
// to speakers, relative times normalised to dates.
// "Caroline went to an LGBTQ support group on 2023-05-07."
struct EventUnit {
  std::string id;                       // stable id ("unit:<seq>.<n>")
  std::string text;
  std::string subject;                  // the participant it is about
  TimeMs time_ms = 0;                   // the session time of the source turn
  TimeMs event_from_ms = 0;             // normalised time of the event, if any
  TimeMs event_to_ms = 0;               // end of that range (== from for a day)
  std::vector<std::string> source_ids;  // turns it was distilled from
};

// A stable trait or preference of one participant, with its validity.
// A later contradicting fact closes this one (valid_to_ms) instead of
// deleting it, so "as of" questions stay answerable.
struct PersonaFact {
  std::string id;         // stable id ("fact:<seq>.<n>"); Forget and the JSON output use it
  std::string subject;    // "Melanie"
  std::string attribute;  // "likes", "occupation", "home", "pet", ...
  std::string value;      // "painting"
  TimeMs valid_from_ms = 0;
  TimeMs valid_to_ms = 0;  // 0 = still valid
  float confidence = 1.0f;
  std::vector<std::string> source_ids;
  // True when the statement ends the fact ("I stopped bouldering"): it
  // closes an open fact with the same subject/attribute/value.
  bool negated = false;
  // "extracted" (derived from turns) or "explicit" (written by Remember).
  std::string provenance = "extracted";
};

enum class EntityType : uint8_t { kPerson, kPlace, kOrganisation, kThing, kEvent, kOther };
const char* EntityTypeName(EntityType type);

struct Entity {
  std::string name;                  // canonical name ("Caroline")
  EntityType type = EntityType::kOther;
  std::vector<std::string> aliases;  // other surface forms ("Caro")
  std::vector<std::string> source_ids;
};

// A typed, time-stamped edge: subject -relation-> object.
// Relation names: sister_of, brother_of, parent_of, child_of, friend_of,
// partner_of, lives_in, works_as, works_at, attended, likes, owns, member_of,
// mentioned_with, and other snake_case names an extractor chooses.
//
// Bi-temporal: time_ms is when it was stated (recorded); valid_from_ms and
// valid_to_ms are when it was true. Relations that hold one value at a time
// (lives_in, works_at, works_as, partner_of, married_to) are closed by the
// next one of the same subject (valid_to_ms = its valid_from_ms); the others
// accumulate. A restated relation merges its sources into the open one.
struct Relation {
  std::string id;  // stable id ("rel:<seq>.<n>")
  std::string subject;
  std::string relation;
  std::string object;
  TimeMs time_ms = 0;
  std::vector<std::string> source_ids;
  TimeMs valid_from_ms = 0;  // 0 when stated: time_ms
  TimeMs valid_to_ms = 0;    // 0 = still true
  std::string provenance = "extracted";  // or "explicit" (Remember)
};

// A named, size-limited block of text the agent keeps about a tenant
// ("human": who the user is, "persona": who the agent is), always placed
// first in RecallContext. Every change is kept in the block's history.
struct CoreBlock {
  std::string name;
  std::string text;
  uint32_t version = 0;  // 1 = first write; increases with every change
  TimeMs updated_ms = 0; // wall clock of the last change
};

// An extractive summary of one session: its most central statements.
struct SessionSummary {
  std::string session;
  TimeMs from_ms = 0, to_ms = 0;        // first and last turn
  std::string text;                     // the chosen statements, in conversation order
  std::vector<std::string> source_ids;  // the turns they come from
};

// Everything an extractor derived from one turn.
struct Extraction {
  std::vector<EventUnit> units;
  std::vector<PersonaFact> facts;
  std::vector<Entity> entities;
  std::vector<Relation> relations;
};

}  // namespace engram
