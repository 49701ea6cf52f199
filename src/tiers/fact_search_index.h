// FactSearchIndex: the words of persona facts or graph relations, so that a
// question finds the few it can match without reading every one.
//
// Each entry (its position in the tier's list) is indexed under its name (an
// attribute or relation kind), under the analysed terms of its value (or
// object), and under the analysed terms of its whole line (subject, name and
// value). A question can match an entry only through one of these: a cue word
// of the name, a word of the value, or any word of the line; the router
// scores only the entries it reaches that way. Entries are only appended (a
// tier closes a fact but keeps it), so the index grows with the tier and is
// built as facts arrive, never rebuilt.
//
// Terms come from the default TextAnalyzer (stemmed, stop words removed), the
// one the router reads questions with.
//
// Thread safety: not synchronised; the tier's owner guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace engram {

class FactSearchIndex {
 public:
  // Indexes entry `entry`, which must be above every entry added before
  // (a tier may leave some of its entries out).
  void Add(uint32_t entry, std::string_view subject, std::string_view name, std::string_view value);

  // Entries whose value has the analysed term `term` / whose line has it.
  std::span<const uint32_t> WithValueTerm(const std::string& term) const;
  std::span<const uint32_t> WithLineTerm(const std::string& term) const;
  // Every name indexed, with its entries in the order added.
  const std::unordered_map<std::string, std::vector<uint32_t>>& by_name() const { return by_name_; }
  // Distinct analysed terms of the entry's value.
  uint32_t value_term_count(uint32_t entry) const { return value_term_counts_[entry]; }
  // One past the last entry added (0 when none).
  size_t size() const { return value_term_counts_.size(); }

  // Heap bytes held, from container capacities.
  size_t MemoryBytes() const;
  void Clear();

 private:
  using Postings = std::unordered_map<std::string, std::vector<uint32_t>>;
  // Distinct analysed terms of a subject or name, kept because a tier has
  // few of them and each recurs in many entries.
  const std::vector<std::string>& CachedTerms(std::unordered_map<std::string, std::vector<std::string>>* cache,
                                              std::string_view text);

  Postings value_postings_;
  Postings line_postings_;
  std::unordered_map<std::string, std::vector<uint32_t>> by_name_;
  std::vector<uint16_t> value_term_counts_;  // per entry
  std::unordered_map<std::string, std::vector<std::string>> subject_terms_;
  std::unordered_map<std::string, std::vector<std::string>> name_terms_;
};

}  // namespace engram
