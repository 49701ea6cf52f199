#include "tiers/persona_tier.h"

#include <algorithm>

#include "common/utf8.h"

namespace engram {
namespace {

bool SameKey(const std::string& a, const std::string& b) { return AsciiLower(a) == AsciiLower(b); }

bool IsOpenAt(const PersonaFact& f, TimeMs t) {
  return f.valid_from_ms <= t && (f.valid_to_ms == 0 || t < f.valid_to_ms);
}

// "likes" and "dislikes" of the same value contradict each other.
std::string_view Opposite(std::string_view attribute) {
  if (attribute == "likes") return "dislikes";
  if (attribute == "dislikes") return "likes";
  return {};
}

}  // namespace

bool PersonaTier::IsSingleValued(std::string_view attribute) {
  static const char* kSingle[] = {"occupation", "home", "works_at", "diet", "relationship_status", "age", "school"};
  return std::any_of(std::begin(kSingle), std::end(kSingle), [&](const char* a) { return attribute == a; });
}

void PersonaTier::Apply(const PersonaFact& fact) {
  const TimeMs at = fact.valid_from_ms;
  auto close = [&](PersonaFact& old) {
    // A fact stated at the same moment it is closed keeps a one-millisecond
    // validity, so its history stays visible.
    old.valid_to_ms = std::max(at, old.valid_from_ms + 1);
  };
  if (fact.negated) {
    // An empty value ends whatever value is open ("I quit my job" names no
    // employer, so it closes the open works_at whatever it is).
    const bool any_value = fact.value.empty();
    for (auto& old : facts_) {
      if (old.valid_to_ms == 0 && SameKey(old.subject, fact.subject) && old.attribute == fact.attribute &&
          (any_value || SameKey(old.value, fact.value))) {
        close(old);
        old.source_ids.insert(old.source_ids.end(), fact.source_ids.begin(), fact.source_ids.end());
      }
    }
    return;
  }
  for (auto& old : facts_) {
    if (old.valid_to_ms != 0 || !SameKey(old.subject, fact.subject)) continue;
    if (old.attribute == fact.attribute && SameKey(old.value, fact.value)) {
      // Restated: more support, same fact.
      for (const auto& id : fact.source_ids) {
        if (std::find(old.source_ids.begin(), old.source_ids.end(), id) == old.source_ids.end()) {
          old.source_ids.push_back(id);
        }
      }
      old.confidence = std::min(1.0f, std::max(old.confidence, fact.confidence) + 0.1f);
      return;
    }
  }
  for (auto& old : facts_) {
    if (old.valid_to_ms != 0 || !SameKey(old.subject, fact.subject)) continue;
    bool contradicts = (old.attribute == fact.attribute && IsSingleValued(fact.attribute)) ||
                       (old.attribute == Opposite(fact.attribute) && SameKey(old.value, fact.value));
    if (contradicts) close(old);
  }
  PersonaFact added = fact;
  added.valid_to_ms = 0;
  facts_.push_back(std::move(added));
}

std::vector<PersonaFact> PersonaTier::Query(std::string_view subject, TimeMs as_of_ms, bool include_history) const {
  std::vector<PersonaFact> out;
  for (const auto& f : facts_) {
    if (!subject.empty() && AsciiLower(f.subject) != AsciiLower(subject)) continue;
    if (include_history) {
      out.push_back(f);
    } else if (as_of_ms == 0 ? f.valid_to_ms == 0 : IsOpenAt(f, as_of_ms)) {
      out.push_back(f);
    }
  }
  return out;
}

}  // namespace engram
