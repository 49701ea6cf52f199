#include "engram/types.h"

namespace engram {

const char* TierName(Tier tier) {
  switch (tier) {
    case Tier::kWorking: return "working";
    case Tier::kEpisodic: return "episodic";
    case Tier::kPersona: return "persona";
    case Tier::kGraph: return "graph";
  }
  return "unknown";
}

const char* EntityTypeName(EntityType type) {
  switch (type) {
    case EntityType::kPerson: return "person";
    case EntityType::kPlace: return "place";
    case EntityType::kOrganisation: return "organisation";
    case EntityType::kThing: return "thing";
    case EntityType::kEvent: return "event";
    case EntityType::kOther: return "other";
  }
  return "other";
}

}  // namespace engram
