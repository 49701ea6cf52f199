// WordNet match: turns that say what the question means in other words.
//
// "Does Melanie play any instruments?" is answered by "I practise violin
// every day", "What does John like about biking?" by a turn about his
// bicycle: BM25 sees no shared term, and the small embedder often misses
// the link. WordNet knows it. For each content word of the question the
// category lexicon gives related words (synonyms, derivationally related
// forms, a place's parts and wholes, a generic noun's category members:
// CategoryLexicon::RelatedLemmas); they are analysed like the lexical
// index's terms, and a leading candidate whose terms include one gets a
// bonus in proportion to the share of the question's content words it
// matches this way (RoutePlan::wordnet_weight).
//
// Thread safety: RelatedTermsCache is safe from many threads; the free
// functions read const data.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/category_lexicon.h"
#include "index/text_analyzer.h"

namespace engram {

// Lookups by string_view without building a string. FNV-1a: terms are
// short, and the stage hashes every term of 50 documents per related word.
struct TermHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const {
    uint64_t h = 14695981039346656037ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return static_cast<size_t>(h);
  }
};
template <typename V>
using TermMap = std::unordered_map<std::string, V, TermHash, std::equal_to<>>;

// The words related to one question word, as analysed terms.
struct RelatedTerms {
  std::string word;  // the question word it was computed for: "instruments" (shared by "instrument")
  // Compounds ("roast_chicken"): their analysed terms, all of which a text
  // must hold (in any order), and the lemma.
  struct Compound {
    std::vector<std::string> terms;
    std::string lemma;
  };
  std::vector<Compound> compounds;
  // By analysed term: the one-term related word it is ("violin" ->
  // "violin"; empty when none) and the compounds it is the first term of.
  struct Entry {
    std::string lemma;
    std::vector<size_t> compounds;
  };
  TermMap<Entry> by_term;

  bool empty() const { return by_term.empty(); }
};

// Related terms per (analyzer, word), computed once: a category such as
// "food" has thousands of members, too many to analyse per question.
class RelatedTermsCache {
 public:
  explicit RelatedTermsCache(std::shared_ptr<const CategoryLexicon> lexicon) : lexicon_(std::move(lexicon)) {}

  // The related terms of `word` (lower case), shared by the forms of one
  // noun; empty ones when WordNet has none.
  std::shared_ptr<const RelatedTerms> Get(const std::string& word, const TextAnalyzer& analyzer) const;

  const CategoryLexicon* lexicon() const { return lexicon_.get(); }

 private:
  std::shared_ptr<RelatedTerms> Build(const std::string& word, const TextAnalyzer& analyzer) const;

  std::shared_ptr<const CategoryLexicon> lexicon_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, std::shared_ptr<const RelatedTerms>> by_word_;
};

// The question's content words, lower case, in order: its words without the
// targets' names, the analyzer's stop words and framing nouns ("kind of").
std::vector<std::string> QuestionContentWords(std::string_view question, const std::vector<std::string>& targets,
                                              const TextAnalyzer& analyzer);

// The expansion of a question: the related terms of each content word that
// has any, and how many content words it has.
struct QuestionExpansion {
  std::vector<std::shared_ptr<const RelatedTerms>> related;
  size_t content_words = 0;
  bool empty() const { return related.empty(); }
};
QuestionExpansion ExpandQuestion(std::string_view question, const std::vector<std::string>& targets,
                                 const TextAnalyzer& analyzer, const RelatedTermsCache& cache);

struct WordNetMatch {
  float match = 0;     // share of the question's content words matched through a related word
  std::string lemma;   // the first related word found, for the explanation
};
// How a document (its analysed terms) matches the question's related words.
WordNetMatch MatchRelated(const QuestionExpansion& expansion, const std::vector<std::string_view>& doc_terms);

}  // namespace engram
