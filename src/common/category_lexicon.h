// CategoryLexicon: which words name a member of a category ("kayaking" is
// an activity, "Paris" a city, "violin" a musical instrument), read from
// WordNet 3.0's noun and verb files (index.noun, data.noun, index.verb,
// data.verb; when present the noun.exc / verb.exc exception lists and
// cntlist.rev, whose sense frequencies tell a word mostly used as a noun
// ("beach") from one mostly used otherwise ("see", "thanks")).
//
// The files are read on the first call that needs them, from the folder the
// lexicon was opened with. When they are missing or unreadable the lexicon
// is empty: every lookup finds nothing, one warning names the folder, and
// recall works as it does without the lexicon. WordNet is Princeton
// University's (WordNet 3.0 Copyright 2006 by Princeton University; the
// licence, which permits use and redistribution with its notice, is in
// docs/router.md).
//
// Thread safety: all methods are safe from many threads; the files are read
// once, category member lists are built once per category and shared.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engram/status.h"

namespace engram {

// The words that name members of one category, as WordNet lemmas
// (lower case, words of a compound joined by '_': "ice_skating").
struct CategoryMembers {
  std::string category;                    // the lemma asked about: "activity"
  std::unordered_set<std::string> nouns;   // "kayak", "hiking", "pottery"
  // Gerunds of verbs naming a pastime ("kayaking" -> "kayak", "biking" ->
  // "bike"); empty for categories of things.
  std::unordered_map<std::string, std::string> gerunds;
  // First words of the compound members ("ice" of "ice_skating").
  std::unordered_set<std::string> compound_heads;
  // Members that are names ("paris", "oregon"): they match only a
  // capitalised word, so "or" is not Oregon nor "nice" Nice.
  std::unordered_set<std::string> proper;

  // The member lemma a word (or the compound starting with it) names, ""
  // when none. `words` are lower-cased words of a text, `capitalised` says
  // which were capitalised in it (empty: none); `at` is the position.
  std::string MatchAt(const std::vector<std::string>& words, const std::vector<bool>& capitalised, size_t at) const;
  // The same, matching names whatever their case.
  std::string MatchAt(const std::vector<std::string>& words, size_t at) const;
};

class CategoryLexicon {
 public:
  // The default folder: $ENGRAM_WORDNET_DIR, else /usr/share/wordnet.
  static std::string DefaultDir();

  // A lexicon reading `dir` (DefaultDir() when empty) on first use. One
  // instance per folder is shared by the whole process.
  static std::shared_ptr<CategoryLexicon> Shared(const std::string& dir = "");

  explicit CategoryLexicon(std::string dir) : dir_(std::move(dir)) {}

  // Reads the files now; NotFound / Corruption naming the file when it
  // cannot. Later calls return the first call's status.
  Status Load() const;
  bool available() const { return Load().ok(); }
  const std::string& dir() const { return dir_; }

  // The base form of a word used as a noun ("activities" -> "activity",
  // "children" -> "child"), "" when WordNet has no such noun.
  std::string NounLemma(std::string_view word) const;

  // True when a lemma is used as a noun at least as often as otherwise,
  // by cntlist.rev's sense frequencies (true without them): "beach" yes,
  // "see" and "thinks" no.
  bool MostlyNoun(std::string_view lemma) const;

  // True when WordNet knows `word` (any inflection) as a noun or a verb;
  // false without the lexicon.
  bool Knows(std::string_view word) const;

  // True when every noun sense WordNet has for `name` (a proper name as
  // written: "São Paulo", "Tartu") is a location (its lexicographer file is
  // noun.location): a city, a region, a country, a river. False for a name
  // with any other sense ("Victoria", a queen as well; "Jackson", people),
  // for names WordNet lacks, and without the lexicon. Case and Latin
  // accents are ignored; spaces and hyphens join words ("sao_paulo").
  bool NamesOnlyPlaces(std::string_view name) const;

  // Members of the category a (plural or singular) noun names, nullptr when
  // the lexicon is empty or the noun unknown. Built once per category.
  std::shared_ptr<const CategoryMembers> Members(std::string_view noun) const;

  // Words a text may use for what `word` (a question's content word, any
  // inflection) means, as lower-case lemmas ("ice_skating"), without the
  // word's own lemma: for a word used mostly as a noun, the synonyms and
  // derivationally related forms of its first two senses ("bicycle" ->
  // "bike", "bicycling"), the parts and wholes of a place ("Oregon" ->
  // "Portland"), and, for a generic noun, the members of its category
  // (Members(): "instrument" -> "violin", "pet" -> "dog"). Nothing for
  // words used mostly as verbs. Related words with many
  // senses ("wheel" for "bicycle") are left out: they would match texts
  // about something else. Empty without the lexicon, for words WordNet
  // lacks and for words too general to expand ("time", "thing").
  std::vector<std::string> RelatedLemmas(std::string_view word) const;

 private:
  // A pointer of a synset to another: derivationally related form ('+'),
  // part meronym ('%p') or part holonym ('#p').
  struct Link {
    char kind = 0;      // 'd' derivation, 'm' part meronym, 'h' part holonym
    bool verb = false;  // the target is a verb synset
    uint32_t offset = 0;
    uint8_t source_word = 0;  // 1-based lemma of this synset it is of; 0: all of them
    uint8_t target_word = 0;  // 1-based lemma of the target; 0: the whole synset
  };
  struct Synset {
    int lexfile = 0;  // WordNet's lexicographer file (15: noun.location)
    std::vector<std::string> lemmas;
    std::vector<uint32_t> hyponyms;  // '~' and instance hyponyms '~i'
    std::vector<Link> links;
  };
  // The lemmas a link names: its target word, or all of the target synset.
  void AddLinkLemmas(const Link& link, std::vector<std::string>* out) const;
  // Whether a link of `synset` is one of `lemma` (a lexical link of another
  // of its lemmas is not: "fiddle" is not "violinist").
  static bool LinkIsOf(const Synset& synset, const Link& link, const std::string& lemma);
  // Whether at most `limit` synsets lie below the first senses of `lemma`
  // that define its category (not known categories'), counted without
  // building the members ("person" has tens of thousands).
  bool SmallCategory(const std::string& lemma, size_t limit) const;
  // How many senses a lemma has as a noun and as a verb together.
  size_t SenseCount(const std::string& lemma) const;

  Status LoadFiles() const;
  std::vector<uint32_t> Senses(const std::unordered_map<std::string, std::vector<uint32_t>>& index,
                               const std::string& lemma) const;
  std::vector<std::string> BaseForms(std::string_view word, bool verb) const;
  std::shared_ptr<const CategoryMembers> BuildMembers(const std::string& lemma) const;
  // For a gerund ("hiking", "holding"): whether its verb names a specific
  // pastime (few senses, a verb of motion, competition or creation);
  // false for words that are no gerund.
  bool IsPastimeGerund(const std::string& lemma) const;
  bool IsPastimeVerb(const std::string& verb, size_t max_senses, bool creation) const;

  const std::string dir_;
  mutable std::once_flag loaded_;
  mutable Status load_status_;
  // Filled once by LoadFiles, read-only after.
  mutable std::unordered_map<std::string, std::vector<uint32_t>> noun_index_, verb_index_;
  mutable std::unordered_map<uint32_t, Synset> nouns_;
  mutable std::unordered_map<uint32_t, int> verb_lexfile_;  // offset -> lexicographer file
  mutable std::unordered_map<uint32_t, Synset> verbs_;      // no hyponyms kept
  mutable std::unordered_map<std::string, std::string> noun_exceptions_, verb_exceptions_;
  // cntlist.rev: how often each lemma was tagged as a noun, verb, or other.
  mutable std::unordered_map<std::string, int> noun_tags_, verb_tags_, other_tags_;

  mutable std::mutex members_mutex_;
  mutable std::unordered_map<std::string, std::shared_ptr<const CategoryMembers>> members_;
};

}  // namespace engram
