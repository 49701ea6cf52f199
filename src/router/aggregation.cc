#include "router/aggregation.h"

#include <algorithm>
#include <cctype>
#include <unordered_set>

#include "common/utf8.h"

namespace engram {
namespace {

// Lower-case words: letters and digits; "Melanie's" -> "melanie".
// `capitalised`, when given, says which words began with a capital.
std::vector<std::string> LowerWords(std::string_view text, std::vector<bool>* capitalised = nullptr) {
  std::vector<std::string> words;
  std::string w;
  bool upper = false;
  auto flush = [&] {
    if (w.size() > 2 && w.compare(w.size() - 2, 2, "'s") == 0) w.resize(w.size() - 2);
    while (!w.empty() && w.back() == '\'') w.pop_back();
    if (!w.empty()) {
      words.push_back(std::move(w));
      if (capitalised != nullptr) capitalised->push_back(upper);
    }
    w.clear();
  };
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c)) {
      if (w.empty()) upper = std::isupper(c) != 0;
      w.push_back(static_cast<char>(std::tolower(c)));
    } else if (c == '\'' && !w.empty()) {
      w.push_back('\'');
    } else {
      flush();
    }
  }
  flush();
  return words;
}

bool IsOneOf(const std::string& word, std::initializer_list<const char*> set) {
  return std::any_of(set.begin(), set.end(), [&](const char* s) { return word == s; });
}

// Nouns that name no category of items ("how many times", "what things").
bool NamesNoCategory(const std::string& lemma) {
  return IsOneOf(lemma, {"time", "thing", "way", "name", "day", "year", "month", "week", "hour", "minute", "people",
                         "person", "change", "reason", "lot", "one", "kind", "type", "sort", "part", "step",
                         "feeling", "idea", "advice", "plan", "goal", "aspect", "item", "stuff"});
}

bool IsTargetWord(const std::string& word, const std::vector<std::string>& targets) {
  return std::any_of(targets.begin(), targets.end(), [&](const std::string& t) {
    auto name = LowerWords(t);
    return std::find(name.begin(), name.end(), word) != name.end();
  });
}

// The noun naming the category in the words after a "what" / "which" /
// "how many" at `at`, "" when there is none.
std::string CategoryNounAfter(const std::vector<std::string>& words, size_t at, bool singular_ok,
                              const std::vector<std::string>& targets, const CategoryLexicon& lexicon) {
  constexpr size_t kLookAhead = 5;
  bool after_kind_of = false;
  for (size_t i = at + 1; i < words.size() && i <= at + kLookAhead; ++i) {
    const std::string& w = words[i];
    // "what kinds of sport": a list; "what type of meal": one thing.
    if (IsOneOf(w, {"kind", "kinds", "type", "types", "sort", "sorts"})) {
      after_kind_of = w.back() == 's' && i + 1 < words.size() && words[i + 1] == "of";
      continue;
    }
    if (IsOneOf(w, {"of", "some", "other", "different", "the", "all", "are", "were", "is", "was", "her", "his",
                    "their"}) ||
        IsTargetWord(w, targets)) {
      continue;
    }
    // A verb or auxiliary ends the noun phrase: "what did she ...".
    if (IsOneOf(w, {"has", "have", "had", "does", "do", "did", "can", "could", "will", "would", "should", "might",
                    "made", "make", "makes", "and", "or", "to", "in", "on", "for", "with", "from", "at", "about",
                    "by", "he", "she", "they", "it", "we", "you", "i"})) {
      return {};
    }
    const std::string lemma = lexicon.NounLemma(w);
    // An adjective, a name or a verb: "what LGBTQ events", "what Jon thinks".
    if (lemma.empty() || !lexicon.MostlyNoun(lemma)) continue;
    if (NamesNoCategory(lemma)) return {};
    const bool plural = lemma != w;
    if (plural || singular_ok || after_kind_of) return w;
  }
  return {};
}

// Categories of works people name by title.
bool IsTitledWork(const std::string& lemma) {
  return IsOneOf(lemma, {"book", "novel", "movie", "film", "show", "series", "game", "video_game", "song", "album",
                         "story", "play", "poem", "recommendation", "screenplay", "podcast", "author", "band"});
}

// Quoted spans of `text` ("...", “...”), lower-cased: the titles it names.
std::vector<std::string> QuotedTitles(std::string_view text) {
  constexpr size_t kMaxTitle = 80;
  std::vector<std::string> titles;
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find('"', i), curly = text.find("\u201c", i);
    const bool is_curly = curly < open;
    open = std::min(open, curly);
    if (open == std::string_view::npos) break;
    const size_t begin = open + (is_curly ? 3 : 1);
    const size_t close = is_curly ? text.find("\u201d", begin) : text.find('"', begin);
    if (close == std::string_view::npos) break;
    if (close > begin + 1 && close - begin <= kMaxTitle) {
      std::string title = "\"";
      title += AsciiLower(text.substr(begin, close - begin));
      title += '"';
      titles.push_back(std::move(title));
    }
    i = close + (is_curly ? 3 : 1);
  }
  return titles;
}

}  // namespace

ListQuestion ReadListQuestion(std::string_view question, const std::vector<std::string>& targets,
                              const CategoryLexicon& lexicon) {
  ListQuestion list;
  if (!lexicon.available()) return list;
  const std::vector<std::string> words = LowerWords(question);
  std::string noun;
  for (size_t i = 0; i < words.size() && noun.empty(); ++i) {
    if (words[i] == "what" || words[i] == "which") {
      noun = CategoryNounAfter(words, i, /*singular_ok=*/words[i] == "which", targets, lexicon);
    } else if (words[i] == "many" && i > 0 && words[i - 1] == "how") {
      noun = CategoryNounAfter(words, i, /*singular_ok=*/false, targets, lexicon);
    } else if (words[i] == "where" && i + 1 < words.size() && IsOneOf(words[i + 1], {"has", "have"})) {
      noun = "places";  // "where has she travelled": the places she has been
    }
    if (!noun.empty()) {
      list.members = lexicon.Members(noun);
      if (list.members == nullptr) noun.clear();
    }
  }
  if (list.members == nullptr) return list;
  list.noun = noun;
  list.titles = IsTitledWork(list.members->category);
  for (const auto& w : words) {
    const std::string lemma = lexicon.NounLemma(w);
    list.question_words.push_back(lemma.empty() ? w : lemma);
  }
  return list;
}

std::vector<ItemTurn> FindItemTurns(const TenantMemory& memory, const ListQuestion& list,
                                    const std::vector<std::string>& targets,
                                    const std::function<bool(uint64_t)>& keep) {
  std::vector<ItemTurn> out;
  if (list.members == nullptr || targets.empty()) return out;
  std::unordered_set<std::string> speakers;
  for (const auto& t : targets) speakers.insert(AsciiLower(t));
  for (const auto& session : memory.sessions()) {
    for (uint64_t id : memory.SessionTurns(session)) {
      const MemoryDoc* turn = memory.Doc(id);
      if (turn == nullptr || !speakers.count(AsciiLower(turn->speaker)) || !keep(id)) continue;
      std::vector<bool> capitalised;
      const std::vector<std::string> words = LowerWords(turn->text, &capitalised);
      ItemTurn found{id, {}};
      for (size_t i = 0; i < words.size(); ++i) {
        std::string item = list.members->MatchAt(words, capitalised, i);
        if (item.empty()) continue;
        if (std::find(list.question_words.begin(), list.question_words.end(), item) != list.question_words.end()) {
          continue;  // the question's own word is found by BM25 already
        }
        if (std::find(found.items.begin(), found.items.end(), item) == found.items.end()) {
          found.items.push_back(std::move(item));
        }
      }
      if (list.titles) {
        for (auto& title : QuotedTitles(turn->text)) {
          if (std::find(found.items.begin(), found.items.end(), title) == found.items.end()) {
            found.items.push_back(std::move(title));
          }
        }
      }
      if (!found.items.empty()) out.push_back(std::move(found));
    }
  }
  return out;
}

std::unordered_map<uint64_t, float> CreditDistinctItems(const std::vector<ItemTurn>& turns,
                                                        const std::function<size_t(uint64_t)>& rank_of,
                                                        size_t max_turns, size_t per_item) {
  std::vector<const ItemTurn*> order;
  order.reserve(turns.size());
  for (const auto& t : turns) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(),
                   [&](const ItemTurn* a, const ItemTurn* b) { return rank_of(a->turn_id) < rank_of(b->turn_id); });
  std::unordered_map<uint64_t, float> credit;
  std::unordered_map<std::string, size_t> credited;  // item -> turns credited for it
  for (const ItemTurn* t : order) {
    if (credit.size() >= max_turns) break;
    bool names_new_item = false;
    for (const auto& item : t->items) names_new_item = credited[item]++ < per_item || names_new_item;
    if (names_new_item) credit[t->turn_id] = 1.0f;
  }
  return credit;
}

std::string CreditedItemNames(const std::vector<ItemTurn>& turns, const std::unordered_map<uint64_t, float>& credit) {
  std::string names;
  std::unordered_set<std::string> named;
  for (const auto& t : turns) {
    if (!credit.count(t.turn_id)) continue;
    for (const auto& item : t.items) {
      if (named.insert(item).second) names += (names.empty() ? "" : ", ") + item;
    }
  }
  return names;
}

}  // namespace engram
