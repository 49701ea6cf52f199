#include "tiers/fact_search_index.h"

#include <algorithm>
#include <limits>

#include "common/heap_bytes.h"
#include "index/text_analyzer.h"

namespace engram {
namespace {

const TextAnalyzer& Analyzer() {
  static const TextAnalyzer analyzer;
  return analyzer;
}

std::vector<std::string> DistinctTerms(std::string_view text) {
  std::vector<std::string> terms = Analyzer().Terms(text);
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

std::span<const uint32_t> Find(const std::unordered_map<std::string, std::vector<uint32_t>>& postings,
                               const std::string& term) {
  auto it = postings.find(term);
  if (it == postings.end()) return {};
  return it->second;
}

size_t PostingsBytes(const std::unordered_map<std::string, std::vector<uint32_t>>& postings) {
  size_t n = heap::HashTable(postings, sizeof(std::pair<const std::string, std::vector<uint32_t>>), true);
  for (const auto& [term, list] : postings) n += heap::Of(term) + heap::Buffer(list);
  return n;
}

size_t TermCacheBytes(const std::unordered_map<std::string, std::vector<std::string>>& cache) {
  size_t n = heap::HashTable(cache, sizeof(std::pair<const std::string, std::vector<std::string>>), true);
  for (const auto& [text, terms] : cache) n += heap::Of(text) + heap::Of(terms);
  return n;
}

}  // namespace

const std::vector<std::string>& FactSearchIndex::CachedTerms(
    std::unordered_map<std::string, std::vector<std::string>>* cache, std::string_view text) {
  auto it = cache->find(std::string(text));
  if (it == cache->end()) it = cache->emplace(std::string(text), DistinctTerms(text)).first;
  return it->second;
}

void FactSearchIndex::Add(uint32_t entry, std::string_view subject, std::string_view name, std::string_view value) {
  const std::vector<std::string> value_terms = DistinctTerms(value);
  if (entry >= value_term_counts_.size()) value_term_counts_.resize(entry + 1, 0);
  value_term_counts_[entry] =
      static_cast<uint16_t>(std::min<size_t>(value_terms.size(), std::numeric_limits<uint16_t>::max()));
  by_name_[std::string(name)].push_back(entry);
  for (const auto& t : value_terms) value_postings_[t].push_back(entry);
  // The line's terms, each once: the subject's, the name's and the value's.
  std::vector<std::string> line = CachedTerms(&subject_terms_, subject);
  const auto& name_terms = CachedTerms(&name_terms_, name);
  line.insert(line.end(), name_terms.begin(), name_terms.end());
  line.insert(line.end(), value_terms.begin(), value_terms.end());
  std::sort(line.begin(), line.end());
  line.erase(std::unique(line.begin(), line.end()), line.end());
  for (const auto& t : line) line_postings_[t].push_back(entry);
}

std::span<const uint32_t> FactSearchIndex::WithValueTerm(const std::string& term) const {
  return Find(value_postings_, term);
}

std::span<const uint32_t> FactSearchIndex::WithLineTerm(const std::string& term) const {
  return Find(line_postings_, term);
}

size_t FactSearchIndex::MemoryBytes() const {
  return PostingsBytes(value_postings_) + PostingsBytes(line_postings_) + PostingsBytes(by_name_) +
         heap::Buffer(value_term_counts_) + TermCacheBytes(subject_terms_) + TermCacheBytes(name_terms_);
}

void FactSearchIndex::Clear() {
  value_postings_.clear();
  line_postings_.clear();
  by_name_.clear();
  value_term_counts_.clear();
  subject_terms_.clear();
  name_terms_.clear();
}

}  // namespace engram
