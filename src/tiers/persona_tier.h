// PersonaTier: stable traits and preferences per participant, with history.
//
// Facts are never deleted by a later statement: a contradicting fact closes
// the earlier one (valid_to = the newer fact's valid_from), and a stopping
// statement ("I stopped bouldering") closes the matching open fact; one with
// an empty value ("I quit my job") closes every open value of its subject and
// attribute. Applying the same facts in the same order always yields the
// same table, so the tier rebuilds identically from the log.
//
// Subjects and values compare ASCII case-insensitively, attributes exactly.
// Open facts are indexed by subject and attribute, and by subject, attribute
// and value, so Apply costs time in the open facts of the new fact's subject
// and attribute, never in the closed history; Query of one subject reads only
// that subject's facts.
//
// Thread safety: not synchronised; TenantMemory guards it.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engram/types.h"
#include "tiers/fact_search_index.h"
#include "tiers/string_list_set.h"

namespace engram {

class PersonaTier {
 public:
  // Attributes that hold one value at a time: a new value closes the old.
  static bool IsSingleValued(std::string_view attribute);

  void Apply(const PersonaFact& fact);

  // Facts of `subject` ("" = everyone) valid at `as_of_ms` (0 = still open);
  // with include_history, every fact of the subject. In the order first stated.
  std::vector<PersonaFact> Query(std::string_view subject, TimeMs as_of_ms, bool include_history) const;

  const std::vector<PersonaFact>& all() const { return facts_; }
  // Positions in all() of `subject`'s facts (compared case-insensitively),
  // open ones only or every one, in the order first stated.
  std::vector<size_t> PositionsOf(std::string_view subject, bool open_only) const;
  // Positions in all() of every open fact, in the order first stated.
  const std::set<size_t>& open_positions() const { return open_; }
  // Every fact (history included) by the words of its attribute and value.
  const FactSearchIndex& search_index() const { return search_index_; }
  // Heap bytes held (facts and their indexes), from container capacities.
  size_t MemoryBytes() const;
  void Clear();

 private:
  // The facts of one (lower-cased) subject, by position in facts_.
  struct SubjectFacts {
    std::vector<size_t> all;  // in the order first stated
    std::set<size_t> open;    // valid_to_ms == 0
  };
  // Per fact of facts_: where it sits in its open-by-attribute list, and a
  // set mirroring its source ids while it is open.
  struct OpenSlot {
    size_t position = 0;
    StringListSet source_ids;
  };

  // Keys of the open-fact indexes (length-prefixed, so no two differ only in
  // where one part ends).
  static std::string AttributeKey(std::string_view lower_subject, std::string_view attribute);
  static std::string ValueKey(std::string_view lower_subject, std::string_view attribute,
                              std::string_view lower_value);

  // Closes the open fact facts_[i] as of `at` and cites `source_ids` on it.
  void CloseOpen(size_t i, TimeMs at, const std::vector<std::string>& source_ids);
  void RemoveFromOpenIndexes(size_t i);

  std::vector<PersonaFact> facts_;  // in the order first stated
  std::vector<OpenSlot> open_slots_;  // parallel to facts_
  // Open facts by AttributeKey (any order) and by ValueKey (at most one
  // open fact per subject, attribute and value: a restatement merges).
  std::unordered_map<std::string, std::vector<size_t>> open_by_attribute_;
  std::unordered_map<std::string, size_t> open_by_value_;
  std::unordered_map<std::string, SubjectFacts> by_subject_;  // lower-cased subject ->
  std::set<size_t> open_;  // every open fact, in the order first stated
  FactSearchIndex search_index_;  // entries are positions in facts_
};

}  // namespace engram
