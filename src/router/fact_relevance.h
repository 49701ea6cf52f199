// Fact relevance: which persona facts and graph relations a question asks
// about, and whether it asks about now or about a past time.
//
// Attribute and relation names are matched to the words people use for them
// ("where does she live" -> home / lives_in, "what does he do" ->
// occupation, "her dog" -> pet), through a small lexicon of cue words,
// compared as analysed (stemmed, case-folded) terms. A fact's value named in
// the question ("is she still vegan?") counts too.
//
// Thread safety: pure functions over immutable tables.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engram/types.h"
#include "tiers/fact_search_index.h"

namespace engram {

enum class TimeFocus {
  kAny,      // no tense cue: current facts first, history after
  kPresent,  // "now", "currently", "still", "these days", present tense
  kPast,     // "used to", "before", "previously", "in 2023", past tense
};

struct FactQuestion {
  std::set<std::string> terms;  // the question's analysed terms
  TimeFocus focus = TimeFocus::kAny;
  // For kPast with an explicit time ("in 2023"): the moment asked about.
  TimeMs as_of_ms = 0;
};

// from_ms/to_ms: the question's time constraint from query analysis (0, 0:
// none); a constraint that ends before `anchor_ms` (the latest turn) makes
// the question one about the past.
FactQuestion ReadFactQuestion(std::string_view question, TimeMs from_ms, TimeMs to_ms, TimeMs anchor_ms);

// How well `name` (an attribute or relation) and `value` match the question,
// in [0, 1]: 1 for a cue word of the attribute, 0.6 for the value alone,
// up to 1 for both, 0 for neither.
float FactMatch(const FactQuestion& q, std::string_view name, std::string_view value);

// "since 2024-08-01" for an open fact, "2024-01-05 to 2024-05-30" for a
// closed one ("" when the start is unknown and it is open).
std::string ValidityLabel(TimeMs from_ms, TimeMs to_ms);

// 0 for the time the question prefers (the current value for a question
// about now, the value valid then for one about the past), higher for less.
int TimePreference(const FactQuestion& q, TimeMs from_ms, TimeMs to_ms);

struct RankedFact {
  const PersonaFact* fact;
  float match;    // FactMatch
  int time_rank;  // TimePreference
};

// Facts in the order a question wants them: best match first, then the
// preferred time, then the most recently ended, the most confident, the
// newest. Facts no longer valid are kept only when they match the question.
std::vector<RankedFact> RankFacts(const std::vector<PersonaFact>& facts, const FactQuestion& q);

class PersonaTier;

// RankFacts over the tier's facts of `subjects` (everyone when empty; a
// subject's facts after the previous one's, as RankFacts would order their
// concatenation), reading only the facts the question matches and the open
// ones: history it does not match is never read.
std::vector<RankedFact> RankTierFacts(const PersonaTier& tier, const FactQuestion& q,
                                      const std::vector<std::string>& subjects);

// True when `a` comes before `b` in RankFacts' order (false for rows that
// order equally).
bool RankedBefore(const RankedFact& a, const RankedFact& b);
// Sorts rows into RankFacts' order (stable: equal rows keep their order).
void SortRankedFacts(std::vector<RankedFact>* rows);

// An entry of a tier's FactSearchIndex that a question can match.
struct FactCandidate {
  size_t entry;
  float match;    // FactMatch(q, name, value)
  float overlap;  // share of `overlap_terms` found on the entry's line
};

// Every entry with match > 0 or overlap > 0, in entry order, reading only
// the postings of the question's terms and of the names it cues: the same
// figures FactMatch and a term overlap give, without reading every entry.
std::vector<FactCandidate> FindFactCandidates(const FactSearchIndex& index, const FactQuestion& q,
                                              const std::set<std::string>& overlap_terms);

// The same, except that the line postings of overlap terms held by at least
// `long_list` entries (a speaker's name, on every fact about them) are not
// walked: they only add to the overlap of the entries the other postings
// reach, looked up by binary search. An entry those lists alone reach is
// left out: its match is 0 and its overlap at most *left_out_bound (the
// long terms' share of `overlap_terms`; 0 when none was skipped).
std::vector<FactCandidate> FindFactCandidatesSkippingLongLists(const FactSearchIndex& index, const FactQuestion& q,
                                                               const std::set<std::string>& overlap_terms,
                                                               size_t long_list, float* left_out_bound);

// "Maya lives_in Denver", with "(2023-03-04 to 2023-09-12, no longer true)"
// once a later relation closed it, or "(since ...)" for an open one of a
// kind that holds one value at a time.
std::string RelationLine(const Relation& r, bool single_valued);

// "Maya home: Lakewood (since 2024-08-01)", or with "2023-01-10 to
// 2024-08-01, no longer true" for a fact that was closed.
std::string FactLine(const PersonaFact& f);

}  // namespace engram
