#include "router/wordnet_match.h"

#include <algorithm>
#include <cctype>
#include <unordered_set>

#include "common/utf8.h"

namespace engram {
namespace {

// Beyond this many cached words the cache starts afresh: a bound on memory
// for a long-running process, far above a conversation's vocabulary.
constexpr size_t kMaxCachedWords = 20000;

// The lemma's words: "roast_chicken" -> "roast chicken".
std::string AsText(const std::string& lemma) {
  std::string text = lemma;
  std::replace(text.begin(), text.end(), '_', ' ');
  return text;
}

}  // namespace

std::shared_ptr<const RelatedTerms> RelatedTermsCache::Get(const std::string& word, const TextAnalyzer& analyzer) const {
  // By the noun's lemma: "pets" and "pet" share one (the category of
  // animals has thousands of members to analyse).
  const std::string lemma = lexicon_ == nullptr ? std::string() : lexicon_->NounLemma(word);
  const std::string key = analyzer.Fingerprint() + '\n' + (lemma.empty() ? word : lemma);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = by_word_.find(key);
    if (it != by_word_.end()) return it->second;
  }
  std::shared_ptr<const RelatedTerms> built = Build(word, analyzer);
  std::lock_guard<std::mutex> lock(mutex_);
  if (by_word_.size() >= kMaxCachedWords) by_word_.clear();
  return by_word_.emplace(key, std::move(built)).first->second;
}

std::shared_ptr<RelatedTerms> RelatedTermsCache::Build(const std::string& word, const TextAnalyzer& analyzer) const {
  auto related = std::make_shared<RelatedTerms>();
  related->word = word;
  if (lexicon_ == nullptr) return related;
  // The word's own terms: BM25 matches them already, so a related word
  // that is only another spelling of them ("bicycling" for "bicycle", both
  // "bicycl") or a compound holding them ("wind instrument") adds nothing.
  const std::vector<std::string> own_terms = analyzer.Terms(word);
  const std::unordered_set<std::string> own(own_terms.begin(), own_terms.end());
  for (const std::string& lemma : lexicon_->RelatedLemmas(word)) {
    std::vector<std::string> terms = analyzer.Terms(AsText(lemma));
    if (terms.empty() || std::any_of(terms.begin(), terms.end(), [&](const std::string& t) { return own.count(t); })) {
      continue;
    }
    if (terms.size() == 1) {
      std::string& single = related->by_term[terms.front()].lemma;
      if (single.empty()) single = lemma;
      continue;
    }
    std::sort(terms.begin(), terms.end());
    terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
    related->by_term[terms.front()].compounds.push_back(related->compounds.size());
    related->compounds.push_back(RelatedTerms::Compound{std::move(terms), lemma});
  }
  return related;
}

std::vector<std::string> QuestionContentWords(std::string_view question, const std::vector<std::string>& targets,
                                              const TextAnalyzer& analyzer) {
  static const std::unordered_set<std::string> kFraming = {"kind", "kinds", "type", "types", "sort", "sorts"};
  std::unordered_set<std::string> names;
  for (const auto& t : targets) {
    std::string lower = AsciiLower(t);
    size_t start = 0;
    while (start < lower.size()) {
      size_t end = lower.find(' ', start);
      if (end == std::string::npos) end = lower.size();
      if (end > start) names.insert(lower.substr(start, end - start));
      start = end + 1;
    }
  }
  std::vector<std::string> words;
  size_t i = 0;
  while (i < question.size()) {
    while (i < question.size() && !std::isalpha(static_cast<unsigned char>(question[i]))) ++i;
    size_t j = i;
    while (j < question.size() && std::isalpha(static_cast<unsigned char>(question[j]))) ++j;
    if (j == i) break;
    std::string word = AsciiLower(question.substr(i, j - i));
    // "Melanie's": the clitic is no word.
    if (j + 1 < question.size() && question[j] == '\'' && (question[j + 1] == 's' || question[j + 1] == 'S')) j += 2;
    i = j;
    if (names.count(word) || kFraming.count(word) || analyzer.Terms(word).empty()) continue;
    words.push_back(std::move(word));
  }
  return words;
}

QuestionExpansion ExpandQuestion(std::string_view question, const std::vector<std::string>& targets,
                                 const TextAnalyzer& analyzer, const RelatedTermsCache& cache) {
  QuestionExpansion expansion;
  const std::vector<std::string> words = QuestionContentWords(question, targets, analyzer);
  std::unordered_set<std::string> seen;
  for (const auto& word : words) {
    if (!seen.insert(word).second) continue;
    ++expansion.content_words;
    auto related = cache.Get(word, analyzer);
    if (!related->empty()) expansion.related.push_back(std::move(related));
  }
  return expansion;
}

WordNetMatch MatchRelated(const QuestionExpansion& expansion, const std::vector<std::string_view>& doc_terms) {
  WordNetMatch out;
  if (expansion.empty() || expansion.content_words == 0 || doc_terms.empty()) return out;
  // The document's terms as a set, built only when a compound needs it.
  std::unordered_set<std::string_view> terms;
  auto has = [&](const std::string& term) {
    if (terms.empty()) terms.insert(doc_terms.begin(), doc_terms.end());
    return terms.count(term) > 0;
  };
  auto find = [&](const RelatedTerms& related) -> std::string {
    for (std::string_view t : doc_terms) {
      auto entry = related.by_term.find(t);
      if (entry == related.by_term.end()) continue;
      if (!entry->second.lemma.empty()) return entry->second.lemma;
      for (size_t c : entry->second.compounds) {
        const auto& compound = related.compounds[c];
        if (std::all_of(compound.terms.begin(), compound.terms.end(), has)) return compound.lemma;
      }
    }
    return {};
  };
  size_t matched = 0;
  for (const auto& related : expansion.related) {
    const std::string found = find(*related);
    if (found.empty()) continue;
    ++matched;
    if (out.lemma.empty()) out.lemma = found + " for '" + related->word + "'";
  }
  out.match = static_cast<float>(matched) / static_cast<float>(expansion.content_words);
  return out;
}

}  // namespace engram
