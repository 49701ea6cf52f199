// PersonaTier: stable traits and preferences per participant, with history.
//
// Facts are never deleted by a later statement: a contradicting fact closes
// the earlier one (valid_to = the newer fact's valid_from), and a stopping
// statement ("I stopped bouldering") closes the matching open fact; one with
// an empty value ("I quit my job") closes every open value of its subject and
// attribute. Applying the same facts in the same order always yields the
// same table, so the tier rebuilds identically from the log.
//
// Thread safety: not synchronised; TenantMemory guards it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engram/types.h"

namespace engram {

class PersonaTier {
 public:
  // Attributes that hold one value at a time: a new value closes the old.
  static bool IsSingleValued(std::string_view attribute);

  void Apply(const PersonaFact& fact);

  // Facts of `subject` ("" = everyone) valid at `as_of_ms` (0 = still open);
  // with include_history, every fact of the subject.
  std::vector<PersonaFact> Query(std::string_view subject, TimeMs as_of_ms, bool include_history) const;

  const std::vector<PersonaFact>& all() const { return facts_; }
  void Clear() { facts_.clear(); }

 private:
  std::vector<PersonaFact> facts_;  // in the order first stated
};

}  // namespace engram
