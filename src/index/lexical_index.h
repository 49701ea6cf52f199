// LexicalIndex: an in-memory Okapi BM25 index over short documents (turns,
// event units) of one tenant. The store owns one instance per tenant and
// rebuilds it from the event log when it cannot be loaded.
//
// Score of document d for query q (terms deduplicated):
//   sum over t in q of  idf(t) * tf(t,d) * (k1 + 1) /
//                        (tf(t,d) + k1 * (1 - b + b * |d| / avgdl))
//   idf(t) = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
// with N the number of live documents, df(t) the number of live documents
// holding t, |d| the number of analysed terms of d and avgdl their mean. This
// idf (Lucene's) is always positive, so a document that shares a term with
// the query always scores above zero, even for a term in most documents.
//
// Layout: one postings list (document slot, tf) per term, in slot order, plus
// per-document lengths and term lists. Remove() only marks a document dead
// and updates df, N and avgdl at once; dead postings are skipped by Search and
// dropped by a compaction once they make up a quarter of the index, so both
// calls cost amortised time proportional to the document's own terms.
//
// Search reads the query's terms rarest first (by the most each can add to
// a score), term at a time, into a per-thread score buffer. Once the k-th
// best score so far beats all the remaining terms could give a document not
// yet reached, it stops reading their postings and only looks up, for the
// documents already reached, what those terms add (MaxScore-style pruning):
// a question naming a speaker, whose name is in every one of their turns,
// costs about what its rarer words cost. Results are those of a full scan,
// and Score() sums a document's parts in the same order, so scores agree bit
// for bit.
//
// Thread safety: Search(), Score(), size() and Serialize() are const and safe
// from many threads at once; Add() and Remove() need exclusive access (callers
// hold a std::shared_mutex: shared for reads, unique for writes). A search
// does not allocate per document: it reuses a per-thread score buffer.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engram/status.h"
#include "index/text_analyzer.h"

namespace engram {

struct LexicalHit {
  uint64_t id;  // the id given to Add()
  float score;  // BM25 score, > 0
};

struct LexicalOptions {
  // BM25 term-frequency saturation. Default 1.2 (recall on LoCoMo turns is
  // flat for k1 in 0.6..2.0).
  float k1 = 1.2f;
  // BM25 length normalisation, 0 (none) .. 1 (full); Search's pruning
  // relies on k1 >= 0 and b in this range (a term's part then grows with
  // tf and shrinks with length). Default 0.2, not the
  // textbook 0.75: conversation turns are short and similar in length, and
  // on LoCoMo b in 0.1..0.3 beats 0.75 in every conversation (R@10 65.3% vs
  // 63.5%; docs/lexical-index.md).
  float b = 0.2f;
  // How documents and queries are turned into terms.
  AnalyzerOptions analyzer;
};

// Return true to keep the document with this id in the results.
using LexicalFilter = std::function<bool(uint64_t id)>;

class LexicalIndex {
 public:
  explicit LexicalIndex(LexicalOptions options = {});

  // Movable (with exclusive access), not copyable: an index can be large.
  LexicalIndex(LexicalIndex&&) = default;
  LexicalIndex& operator=(LexicalIndex&&) = default;
  LexicalIndex(const LexicalIndex&) = delete;
  LexicalIndex& operator=(const LexicalIndex&) = delete;

  // Indexes `text` under `id`. Re-adding an id replaces its previous text.
  // A text with no terms (only stop words or punctuation) still counts as a
  // document, of length 0, but no query finds it.
  void Add(uint64_t id, std::string_view text);

  // Removes `id`; it is never returned again. Unknown ids are ignored.
  void Remove(uint64_t id);

  // Number of live documents.
  size_t size() const;

  // Heap bytes the index holds (terms, postings, documents, id map): an
  // estimate from container capacities, O(terms + documents).
  size_t MemoryBytes() const;

  // True when `id` is indexed.
  bool Contains(uint64_t id) const;

  // The (at most) k documents with the highest BM25 score for `query`, best
  // first; only documents with score > 0 that `filter` keeps (if given).
  // Equal scores are ordered by ascending id, so results are deterministic.
  // `filter` is called only for documents that would enter the top k.
  std::vector<LexicalHit> Search(std::string_view query, size_t k,
                                 const LexicalFilter& filter = {}) const;

  // BM25 score of document `id` for `query`, exactly as Search() computes it
  // (sum of the per-term parts); 0 when `id` is unknown or shares no term.
  float Score(std::string_view query, uint64_t id) const;

  // Every per-term contribution to Score(query, id), in query-term order;
  // terms the document lacks are left out. For "explain" output.
  std::vector<std::pair<std::string, float>> ScoreTerms(std::string_view query, uint64_t id) const;

  // The distinct analysed terms of document `id` (in no particular order);
  // empty when `id` is unknown. Views into the index, valid until it changes.
  std::vector<std::string_view> DocTerms(uint64_t id) const;

  // The distinct analysed terms of `query` that the index holds, in query
  // order, with their idf (as Search weighs them): prepared once to match
  // many documents with MatchedTerms.
  struct QueryTerms {
    std::vector<uint32_t> ids;  // the index's term ids
    std::vector<float> idf;     // parallel to ids
  };
  QueryTerms PrepareQueryTerms(std::string_view query) const;

  // Which of `query`'s terms document `id` holds: bit i for term i (of the
  // first 64); 0 when `id` is unknown. `distinct_terms` (if given) gets the
  // document's number of distinct terms.
  uint64_t MatchedTerms(const QueryTerms& query, uint64_t id, size_t* distinct_terms = nullptr) const;

  // A self-contained binary image (little-endian, versioned, checksummed)
  // holding the documents' analysed terms, not their text.
  std::string Serialize() const;

  // Rebuilds an index from Serialize() output. Corruption when the bytes are
  // damaged or truncated; FailedPrecondition when `options.analyzer` differs
  // from the analyzer that built the image (its terms would not match
  // queries; rebuild from the log instead). k1 and b may differ.
  static Result<std::unique_ptr<LexicalIndex>> Deserialize(std::string_view bytes,
                                                           LexicalOptions options = {});

  const LexicalOptions& options() const { return options_; }
  // How the index turns text into terms.
  const TextAnalyzer& analyzer() const { return analyzer_; }

 private:
  struct Posting {
    uint32_t slot;  // index into docs_
    uint32_t tf;
  };
  struct TermEntry {
    uint32_t term;
    uint32_t tf;
  };
  struct Doc {
    uint64_t id = 0;
    std::vector<TermEntry> terms;  // sorted by term id, one entry per term
  };
  // What bounds a term's part of any score: its largest tf and the shortest
  // document holding it (over the documents added since the last
  // compaction, removed ones included: a bound, not an exact figure).
  struct TermBound {
    uint32_t max_tf = 0;
    uint32_t min_length = std::numeric_limits<uint32_t>::max();
  };
  // A query term that exists in the index, with its idf and the most it
  // can add to a score (set by InSearchOrder).
  struct QueryTerm {
    uint32_t term;
    float idf;
    float bound = 0;
  };

  // Adds a document from its term ids (already interned).
  void AddTerms(uint64_t id, std::vector<TermEntry> terms, uint32_t length);
  // Interns `term`, returning its id.
  uint32_t InternTerm(const std::string& term);
  // The distinct query terms known to the index, in query order, with idf.
  std::vector<QueryTerm> AnalyzeQuery(std::string_view query) const;
  // `terms` with their bounds, highest first (equal ones in query order):
  // the order Search adds a document's parts in, and so Score.
  std::vector<QueryTerm> InSearchOrder(std::vector<QueryTerm> terms) const;
  // Per-term contributions of the document in `slot`, in the order of `query`.
  std::vector<std::pair<uint32_t, float>> TermScores(const std::vector<QueryTerm>& query,
                                                     uint32_t slot) const;
  // Doc slot of live `id`, or kNoSlot.
  uint32_t SlotOf(uint64_t id) const;
  // Drops dead documents and their postings; renumbers slots.
  void Compact();

  LexicalOptions options_;
  TextAnalyzer analyzer_;

  std::unordered_map<std::string, uint32_t> term_ids_;
  std::vector<std::string> term_text_;          // by term id
  std::vector<std::vector<Posting>> postings_;  // by term id, slot ascending
  std::vector<uint32_t> df_;                    // live documents per term
  std::vector<TermBound> bounds_;               // by term id

  std::vector<Doc> docs_;                        // by slot
  // By slot: analysed length, or kDeadSlot. Kept apart from docs_ because the
  // search loop reads it for every posting.
  std::vector<uint32_t> lengths_;
  std::unordered_map<uint64_t, uint32_t> slots_; // live id -> slot
  uint64_t total_length_ = 0;                    // over live documents
  size_t dead_postings_ = 0;   // postings of removed documents, until Compact
  size_t dead_slots_ = 0;      // removed documents, until Compact
  size_t total_postings_ = 0;  // including dead ones
};

}  // namespace engram
