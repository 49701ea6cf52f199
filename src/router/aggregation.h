// Aggregation: evidence for list questions.
//
// "What activities does Melanie do?", "Which cities has Jon visited?",
// "Where has Melanie camped?" ask for several items of one category. BM25
// finds the turn with the category's word ("activities"); the turns that
// name only an item ("we went kayaking", "back from Paris") share no word
// with the question. This stage reads the category from the question,
// finds the turns by the question's participants that name a member of it
// (CategoryLexicon, from WordNet), and credits the best-ranked turn naming
// each distinct item, so different pieces of evidence reach the top.
//
// Thread safety: free functions over const data; the caller holds the
// tenant memory's shared lock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/category_lexicon.h"
#include "tiers/tenant_memory.h"

namespace engram {

// What a list question asks for; `members` is nullptr when it asks for no list.
struct ListQuestion {
  std::string noun;  // the category as the question says it: "activities", "where"
  std::shared_ptr<const CategoryMembers> members;
  std::vector<std::string> question_words;  // items the question names itself are no new evidence
  // The category is of titled works ("books", "movies", "games"): a quoted
  // title ("The Name of the Wind") is an item too.
  bool titles = false;
};

// Reads a list question (nothing when the lexicon is empty): a plural noun after "what" / "which" / "how many"
// ("what books", "what LGBTQ events", "what are some hobbies"), a noun after
// "what kinds of" or "which", or "where has/have X ..." (places). The
// targets' names are skipped. Not a list: "What is Caroline's identity?".
ListQuestion ReadListQuestion(std::string_view question, const std::vector<std::string>& targets,
                              const CategoryLexicon& lexicon);

// A turn by a target that names items of the category.
struct ItemTurn {
  uint64_t turn_id = 0;             // DocId(seq, 0)
  std::vector<std::string> items;   // member lemmas, in text order, no repeats
};

// The turns of `targets` (matched case-insensitively) that name a member of
// the list's category, in conversation order; `keep` filters turn ids.
std::vector<ItemTurn> FindItemTurns(const TenantMemory& memory, const ListQuestion& list,
                                    const std::vector<std::string>& targets,
                                    const std::function<bool(uint64_t)>& keep);

// The item credit of each turn: in the order `rank_of` gives (lower is
// better), the first `per_item` turns naming an item get 1, a turn naming
// only items that enough better turns name gets nothing. At most
// `max_turns` turns get credit.
std::unordered_map<uint64_t, float> CreditDistinctItems(const std::vector<ItemTurn>& turns,
                                                        const std::function<size_t(uint64_t)>& rank_of,
                                                        size_t max_turns, size_t per_item = 1);

// The items of the credited turns, comma-separated, for the explanation.
std::string CreditedItemNames(const std::vector<ItemTurn>& turns, const std::unordered_map<uint64_t, float>& credit);

}  // namespace engram
