#include "index/lexical_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "common/heap_bytes.h"

namespace engram {
namespace {

constexpr uint32_t kDeadSlot = std::numeric_limits<uint32_t>::max();
constexpr uint32_t kNoSlot = std::numeric_limits<uint32_t>::max();

// Compaction runs once removed entries exceed this many and a quarter of all.
constexpr size_t kMinDeadForCompaction = 1024;

constexpr char kMagic[8] = {'E', 'N', 'G', 'L', 'E', 'X', 'B', 'M'};
constexpr uint32_t kFormatVersion = 2;

// The constants of BM25's tf part for one state of the index, so that Search
// and Score compute bit-identical values.
struct Bm25Norm {
  float k1_plus_1;
  float c_const;   // k1 * (1 - b)
  float c_length;  // k1 * b / avgdl

  float TfPart(uint32_t tf, uint32_t length) const {
    const float f = static_cast<float>(tf);
    return f * k1_plus_1 / (f + c_const + c_length * static_cast<float>(length));
  }
};

Bm25Norm MakeNorm(float k1, float b, uint64_t total_length, size_t docs) {
  const double avgdl = docs == 0 ? 1.0 : static_cast<double>(total_length) / static_cast<double>(docs);
  const double safe_avgdl = avgdl > 0 ? avgdl : 1.0;
  return Bm25Norm{k1 + 1.0f, static_cast<float>(k1 * (1.0 - b)),
                  static_cast<float>(k1 * b / safe_avgdl)};
}

// Per-thread accumulator reused across searches: a dense score per slot
// (zero = untouched) and the list of touched slots to reset afterwards.
struct SearchScratch {
  std::vector<float> scores;
  std::vector<uint32_t> touched;
  bool in_use = false;
};

// Borrows the thread's scratch, or a private one when a filter callback
// searches again on the same thread; always leaves the buffer zeroed.
class ScratchLease {
 public:
  explicit ScratchLease(size_t slots) {
    thread_local SearchScratch shared;
    scratch_ = shared.in_use ? &own_ : &shared;
    scratch_->in_use = true;
    if (scratch_->scores.size() < slots) scratch_->scores.resize(slots, 0.0f);
  }
  ~ScratchLease() {
    for (uint32_t slot : scratch_->touched) scratch_->scores[slot] = 0.0f;
    scratch_->touched.clear();
    scratch_->in_use = false;
  }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  SearchScratch& operator*() { return *scratch_; }

 private:
  SearchScratch own_;
  SearchScratch* scratch_;
};

// The first posting at or after `at` whose slot is >= `slot` (galloping:
// cheap for a near target, logarithmic for a far one).
template <typename Posting>
const Posting* SeekPosting(const Posting* at, const Posting* end, uint32_t slot) {
  if (at == end || at->slot >= slot) return at;
  // at->slot < slot: widen until a posting at or past the target.
  size_t step = 1;
  const Posting* low = at;
  while (static_cast<size_t>(end - low) > step && low[step].slot < slot) {
    low += step;
    step *= 2;
  }
  const Posting* high = static_cast<size_t>(end - low) > step ? low + step + 1 : end;
  return std::lower_bound(low + 1, high, slot, [](const Posting& p, uint32_t s) { return p.slot < s; });
}

// Orders hits best first: higher score, then lower id.
bool Better(const LexicalHit& a, const LexicalHit& b) {
  return a.score > b.score || (a.score == b.score && a.id < b.id);
}

// Little-endian writer and bounds-checked reader for Serialize/Deserialize.
class Writer {
 public:
  void U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void Bytes(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  void Raw(std::string_view s) { out_.append(s); }
  // LEB128: seven bits a byte, low first.
  void Var(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U32(uint32_t* v) {
    if (in_.size() - pos_ < 4) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) *v |= static_cast<uint32_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
    pos_ += 4;
    return true;
  }
  bool U64(uint64_t* v) {
    if (in_.size() - pos_ < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i) *v |= static_cast<uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
    pos_ += 8;
    return true;
  }
  bool Var(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64 && pos_ < in_.size(); shift += 7) {
      const auto byte = static_cast<unsigned char>(in_[pos_++]);
      *v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  bool Bytes(std::string_view* s) {
    uint32_t n;
    if (!U32(&n) || in_.size() - pos_ < n) return false;
    *s = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool Raw(size_t n, std::string_view* s) {
    if (in_.size() - pos_ < n) return false;
    *s = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  size_t remaining() const { return in_.size() - pos_; }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

uint64_t Fnv1a64(std::string_view data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

LexicalIndex::LexicalIndex(LexicalOptions options)
    : options_(std::move(options)), analyzer_(options_.analyzer) {}

size_t LexicalIndex::size() const { return slots_.size(); }

bool LexicalIndex::Contains(uint64_t id) const { return slots_.count(id) > 0; }

uint32_t LexicalIndex::SlotOf(uint64_t id) const {
  auto it = slots_.find(id);
  return it == slots_.end() ? kNoSlot : it->second;
}

std::vector<std::string_view> LexicalIndex::DocTerms(uint64_t id) const {
  std::vector<std::string_view> out;
  const uint32_t slot = SlotOf(id);
  if (slot == kNoSlot) return out;
  out.reserve(docs_[slot].terms.size());
  for (const TermEntry& t : docs_[slot].terms) out.emplace_back(term_text_[t.term]);
  return out;
}

LexicalIndex::QueryTerms LexicalIndex::PrepareQueryTerms(std::string_view query) const {
  QueryTerms out;
  for (const QueryTerm& q : AnalyzeQuery(query)) {
    out.ids.push_back(q.term);
    out.idf.push_back(q.idf);
  }
  return out;
}

uint64_t LexicalIndex::MatchedTerms(const QueryTerms& query, uint64_t id, size_t* distinct_terms) const {
  if (distinct_terms != nullptr) *distinct_terms = 0;
  const uint32_t slot = SlotOf(id);
  if (slot == kNoSlot) return 0;
  const std::vector<TermEntry>& terms = docs_[slot].terms;  // sorted by term id
  if (distinct_terms != nullptr) *distinct_terms = terms.size();
  uint64_t matched = 0;
  for (size_t i = 0; i < std::min<size_t>(64, query.ids.size()); ++i) {
    auto it = std::lower_bound(terms.begin(), terms.end(), query.ids[i],
                               [](const TermEntry& e, uint32_t term) { return e.term < term; });
    if (it != terms.end() && it->term == query.ids[i]) matched |= uint64_t{1} << i;
  }
  return matched;
}

uint32_t LexicalIndex::InternTerm(const std::string& term) {
  auto [it, inserted] = term_ids_.try_emplace(term, static_cast<uint32_t>(term_text_.size()));
  if (inserted) {
    term_text_.push_back(term);
    postings_.emplace_back();
    df_.push_back(0);
    bounds_.push_back(TermBound{});
  }
  return it->second;
}

void LexicalIndex::Add(uint64_t id, std::string_view text) {
  Remove(id);
  const std::vector<std::string> terms = analyzer_.Terms(text);
  std::vector<uint32_t> ids;
  ids.reserve(terms.size());
  for (const std::string& term : terms) ids.push_back(InternTerm(term));
  std::sort(ids.begin(), ids.end());
  std::vector<TermEntry> entries;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j < ids.size() && ids[j] == ids[i]) ++j;
    entries.push_back(TermEntry{ids[i], static_cast<uint32_t>(j - i)});
    i = j;
  }
  AddTerms(id, std::move(entries), static_cast<uint32_t>(ids.size()));
}

void LexicalIndex::AddTerms(uint64_t id, std::vector<TermEntry> terms, uint32_t length) {
  const auto slot = static_cast<uint32_t>(docs_.size());
  for (const TermEntry& e : terms) {
    postings_[e.term].push_back(Posting{slot, e.tf});
    ++df_[e.term];
    TermBound& bound = bounds_[e.term];
    bound.max_tf = std::max(bound.max_tf, e.tf);
    bound.min_length = std::min(bound.min_length, length);
  }
  total_postings_ += terms.size();
  total_length_ += length;
  docs_.push_back(Doc{id, std::move(terms)});
  lengths_.push_back(length);
  slots_[id] = slot;
}

void LexicalIndex::Remove(uint64_t id) {
  auto it = slots_.find(id);
  if (it == slots_.end()) return;
  const uint32_t slot = it->second;
  slots_.erase(it);
  Doc& doc = docs_[slot];
  for (const TermEntry& e : doc.terms) --df_[e.term];
  dead_postings_ += doc.terms.size();
  ++dead_slots_;
  total_length_ -= lengths_[slot];
  lengths_[slot] = kDeadSlot;
  doc.terms = {};  // free it now; the postings go at the next compaction
  const size_t dead = dead_postings_ + dead_slots_;
  if (dead >= kMinDeadForCompaction && dead * 4 >= total_postings_ + docs_.size()) Compact();
}

void LexicalIndex::Compact() {
  // New term ids keep the old order, so every document's term list stays
  // sorted; terms no live document uses are dropped from the dictionary.
  std::vector<uint32_t> new_term(term_text_.size(), kNoSlot);
  std::vector<std::string> term_text;
  std::vector<uint32_t> df;
  for (uint32_t t = 0; t < term_text_.size(); ++t) {
    if (df_[t] == 0) continue;
    new_term[t] = static_cast<uint32_t>(term_text.size());
    term_text.push_back(std::move(term_text_[t]));
    df.push_back(df_[t]);
  }
  std::vector<std::vector<Posting>> postings(term_text.size());
  for (uint32_t t = 0; t < postings.size(); ++t) postings[t].reserve(df[t]);
  std::vector<TermBound> bounds(term_text.size());  // of the live documents only
  std::vector<Doc> docs;
  std::vector<uint32_t> lengths;
  docs.reserve(slots_.size());
  lengths.reserve(slots_.size());
  size_t total_postings = 0;
  for (uint32_t slot = 0; slot < docs_.size(); ++slot) {
    if (lengths_[slot] == kDeadSlot) continue;
    const auto new_slot = static_cast<uint32_t>(docs.size());
    Doc& doc = docs_[slot];
    for (TermEntry& e : doc.terms) {
      e.term = new_term[e.term];
      postings[e.term].push_back(Posting{new_slot, e.tf});
      bounds[e.term].max_tf = std::max(bounds[e.term].max_tf, e.tf);
      bounds[e.term].min_length = std::min(bounds[e.term].min_length, lengths_[slot]);
    }
    total_postings += doc.terms.size();
    slots_[doc.id] = new_slot;
    lengths.push_back(lengths_[slot]);
    docs.push_back(std::move(doc));
  }
  term_ids_.clear();
  for (uint32_t t = 0; t < term_text.size(); ++t) term_ids_.emplace(term_text[t], t);
  term_text_ = std::move(term_text);
  df_ = std::move(df);
  postings_ = std::move(postings);
  bounds_ = std::move(bounds);
  docs_ = std::move(docs);
  lengths_ = std::move(lengths);
  total_postings_ = total_postings;
  dead_postings_ = 0;
  dead_slots_ = 0;
}

std::vector<LexicalIndex::QueryTerm> LexicalIndex::AnalyzeQuery(std::string_view query) const {
  std::vector<QueryTerm> out;
  const size_t n = slots_.size();
  if (n == 0) return out;
  for (const std::string& term : analyzer_.Terms(query)) {
    auto it = term_ids_.find(term);
    if (it == term_ids_.end()) continue;
    const uint32_t id = it->second;
    const uint32_t df = df_[id];
    if (df == 0) continue;
    bool seen = false;
    for (const QueryTerm& q : out) seen = seen || q.term == id;
    if (seen) continue;
    const double idf = std::log(1.0 + (static_cast<double>(n) - df + 0.5) / (df + 0.5));
    out.push_back(QueryTerm{id, static_cast<float>(idf), 0.0f});
  }
  return out;
}

std::vector<LexicalIndex::QueryTerm> LexicalIndex::InSearchOrder(std::vector<QueryTerm> terms) const {
  const Bm25Norm norm = MakeNorm(options_.k1, options_.b, total_length_, slots_.size());
  for (QueryTerm& q : terms) {
    const TermBound& b = bounds_[q.term];
    q.bound = b.max_tf == 0 ? 0.0f : q.idf * norm.TfPart(b.max_tf, b.min_length);
  }
  // Stable: equal bounds keep query order, so the order is a function of
  // the query and the index alone.
  std::stable_sort(terms.begin(), terms.end(), [](const QueryTerm& a, const QueryTerm& b) { return a.bound > b.bound; });
  return terms;
}

std::vector<LexicalHit> LexicalIndex::Search(std::string_view query, size_t k,
                                             const LexicalFilter& filter) const {
  std::vector<LexicalHit> hits;
  if (k == 0) return hits;
  const std::vector<QueryTerm> terms = InSearchOrder(AnalyzeQuery(query));
  if (terms.empty()) return hits;
  const Bm25Norm norm = MakeNorm(options_.k1, options_.b, total_length_, slots_.size());
  const size_t n = terms.size();
  // after[i]: the most the terms from i on can add to any score.
  std::vector<double> after(n + 1, 0.0);
  for (size_t i = n; i-- > 0;) after[i] = after[i + 1] + terms[i].bound;
  // Rounding in the bounds and the sums never drops a document that ties
  // the threshold: bounds are compared with this relative margin.
  constexpr double kMargin = 1.0 + 1e-4;

  ScratchLease lease(docs_.size());
  SearchScratch& scratch = *lease;
  float* scores = scratch.scores.data();
  std::vector<uint32_t>& touched = scratch.touched;
  // The k-th best score among the first `limit` of `slots` (positive
  // scores only), 0 with fewer than k: a floor under the final k-th best,
  // since scores only grow and any k documents give one.
  std::vector<float> kth_buffer;
  auto kth_best = [&](const std::vector<uint32_t>& slots, size_t limit) -> double {
    kth_buffer.clear();
    for (size_t j = 0; j < slots.size() && j < limit; ++j) {
      if (scores[slots[j]] > 0) kth_buffer.push_back(scores[slots[j]]);
    }
    if (kth_buffer.size() < k) return 0;
    std::nth_element(kth_buffer.begin(), kth_buffer.begin() + static_cast<std::ptrdiff_t>(k - 1), kth_buffer.end(),
                     std::greater<float>());
    return kth_buffer[k - 1];
  };
  // Postings of terms i and after.
  std::vector<size_t> postings_after(n + 1, 0);
  for (size_t i = n; i-- > 0;) postings_after[i] = postings_after[i + 1] + postings_[terms[i].term].size();

  // Rarest (highest-bound) terms first, term at a time. Once the k-th best
  // score so far beats all that the remaining terms could give a document
  // none of the earlier ones reached, no new document can enter the top k:
  // the remaining terms are only looked up for the documents already
  // reached. That is tried only while the remaining postings outnumber
  // those documents (else reading them is as cheap). With a filter, the k
  // best that pass it are unknown until the end, so every posting is read.
  size_t i = 0;
  double threshold = 0;
  // Where each term's newly reached documents start in `touched`: each
  // run is in slot order (a postings list is).
  std::vector<size_t> run_starts;
  for (; i < n; ++i) {
    if (!filter && i > 0 && touched.size() >= k && postings_after[i] > touched.size() &&
        after[i] * kMargin < after[0] - after[i]) {
      // The documents the rarest terms reached first are the likeliest to
      // lead: a floor from them costs little however many were reached.
      threshold = kth_best(touched, std::max<size_t>(8 * k, 2048));
      if (after[i] * kMargin < threshold) break;
    }
    const QueryTerm& q = terms[i];
    run_starts.push_back(touched.size());
    for (const Posting& p : postings_[q.term]) {
      const uint32_t length = lengths_[p.slot];
      if (length == kDeadSlot) continue;
      // Every contribution is > 0, so 0 means "not touched yet".
      if (scores[p.slot] == 0.0f) touched.push_back(p.slot);
      scores[p.slot] += q.idf * norm.TfPart(p.tf, length);
    }
  }
  if (i < n) {
    // The documents still in the running, by slot. One that cannot reach
    // the threshold even with every remaining term is dropped: its score
    // is set negative, so that it is neither updated nor reported.
    std::vector<uint32_t> candidates;
    std::vector<size_t> runs;  // run starts in `candidates`
    run_starts.push_back(touched.size());
    for (size_t r = 0; r + 1 < run_starts.size(); ++r) {
      runs.push_back(candidates.size());
      for (size_t j = run_starts[r]; j < run_starts[r + 1]; ++j) {
        const uint32_t slot = touched[j];
        if ((scores[slot] + after[i]) * kMargin < threshold) {
          scores[slot] = -1.0f;
        } else {
          candidates.push_back(slot);
        }
      }
    }
    // Merged into one slot order (a few sorted runs: cheaper than a sort).
    for (size_t r = 1; r < runs.size(); ++r) {
      std::inplace_merge(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(runs[r]),
                         r + 1 < runs.size() ? candidates.begin() + static_cast<std::ptrdiff_t>(runs[r + 1])
                                             : candidates.end());
    }
    for (; i < n; ++i) {
      const QueryTerm& q = terms[i];
      const std::vector<Posting>& list = postings_[q.term];
      // Walk a list shorter than a few lookups would cost; else look up.
      if (list.size() < candidates.size() * 8) {
        for (const Posting& p : list) {
          if (scores[p.slot] > 0) scores[p.slot] += q.idf * norm.TfPart(p.tf, lengths_[p.slot]);
        }
      } else {
        const Posting* at = list.data();
        const Posting* end = list.data() + list.size();
        for (uint32_t slot : candidates) {
          at = SeekPosting(at, end, slot);
          if (at == end) break;
          if (at->slot == slot) scores[slot] += q.idf * norm.TfPart(at->tf, lengths_[slot]);
        }
      }
      if (i + 1 < n && candidates.size() > k) {
        // A higher floor from the leaders among the candidates (bounded
        // work); the drop below tightens anyway as fewer terms remain.
        threshold = std::max(threshold, kth_best(candidates, std::max<size_t>(8 * k, 2048)));
        std::erase_if(candidates, [&](uint32_t slot) {
          if ((scores[slot] + after[i + 1]) * kMargin >= threshold) return false;
          scores[slot] = -1.0f;
          return true;
        });
      }
    }
  }

  // Min-heap of the best k so far: the worst kept hit sits on top.
  hits.reserve(std::min(k, touched.size()));
  auto worse_on_top = [](const LexicalHit& a, const LexicalHit& b) { return Better(a, b); };
  for (uint32_t slot : touched) {
    if (scores[slot] <= 0) continue;
    const LexicalHit hit{docs_[slot].id, scores[slot]};
    const bool fits = hits.size() < k || Better(hit, hits.front());
    if (!fits) continue;
    if (filter && !filter(hit.id)) continue;
    if (hits.size() == k) {
      std::pop_heap(hits.begin(), hits.end(), worse_on_top);
      hits.pop_back();
    }
    hits.push_back(hit);
    std::push_heap(hits.begin(), hits.end(), worse_on_top);
  }
  std::sort(hits.begin(), hits.end(), Better);
  return hits;
}

std::vector<std::pair<uint32_t, float>> LexicalIndex::TermScores(const std::vector<QueryTerm>& query,
                                                                 uint32_t slot) const {
  std::vector<std::pair<uint32_t, float>> out;
  const Bm25Norm norm = MakeNorm(options_.k1, options_.b, total_length_, slots_.size());
  const std::vector<TermEntry>& entries = docs_[slot].terms;
  for (const QueryTerm& q : query) {
    auto it = std::lower_bound(entries.begin(), entries.end(), q.term,
                               [](const TermEntry& e, uint32_t t) { return e.term < t; });
    if (it == entries.end() || it->term != q.term) continue;
    out.emplace_back(q.term, q.idf * norm.TfPart(it->tf, lengths_[slot]));
  }
  return out;
}

float LexicalIndex::Score(std::string_view query, uint64_t id) const {
  const uint32_t slot = SlotOf(id);
  if (slot == kNoSlot) return 0.0f;
  float score = 0.0f;  // summed in the order Search() adds the terms
  for (const auto& [term, part] : TermScores(InSearchOrder(AnalyzeQuery(query)), slot)) score += part;
  return score;
}

std::vector<std::pair<std::string, float>> LexicalIndex::ScoreTerms(std::string_view query,
                                                                    uint64_t id) const {
  std::vector<std::pair<std::string, float>> out;
  const uint32_t slot = SlotOf(id);
  if (slot == kNoSlot) return out;
  for (const auto& [term, part] : TermScores(AnalyzeQuery(query), slot)) {
    out.emplace_back(term_text_[term], part);
  }
  return out;
}

// Layout (all integers little-endian):
//   magic "ENGLEXBM", u32 version, bytes analyzer fingerprint,
//   u32 term count, term count x bytes term,
//   u64 document count, per document: var id step, var entries,
//   entries x (var term step, var tf),
//   u64 FNV-1a of everything before it.
// "bytes" is a u32 length followed by the bytes; "var" a LEB128 integer. An
// id step is the id's difference from the previous document's, zigzag
// encoded (ids mostly ascend); a term step the term's difference from the
// document's previous term (entries are sorted, the first step is the term).
// About 4 bytes a term of a document. Only live documents and the
// terms they use are written, so an image is always compact.
std::string LexicalIndex::Serialize() const {
  Writer w;
  w.Raw(std::string_view(kMagic, sizeof kMagic));
  w.U32(kFormatVersion);
  w.Bytes(analyzer_.Fingerprint());
  std::vector<uint32_t> new_term(term_text_.size(), kNoSlot);
  uint32_t live_terms = 0;
  for (uint32_t t = 0; t < term_text_.size(); ++t) {
    if (df_[t] > 0) new_term[t] = live_terms++;
  }
  w.U32(live_terms);
  for (uint32_t t = 0; t < term_text_.size(); ++t) {
    if (df_[t] > 0) w.Bytes(term_text_[t]);
  }
  w.U64(slots_.size());
  uint64_t previous_id = 0;
  for (uint32_t slot = 0; slot < docs_.size(); ++slot) {
    if (lengths_[slot] == kDeadSlot) continue;
    const Doc& doc = docs_[slot];
    const uint64_t step = doc.id - previous_id;  // modulo 2^64
    w.Var((step << 1) ^ (static_cast<int64_t>(step) < 0 ? ~uint64_t{0} : 0));
    previous_id = doc.id;
    w.Var(doc.terms.size());
    // Live terms keep their order, so the renumbered entries stay sorted.
    uint32_t previous_term = 0;
    for (const TermEntry& e : doc.terms) {
      w.Var(new_term[e.term] - previous_term);
      previous_term = new_term[e.term];
      w.Var(e.tf);
    }
  }
  w.U64(Fnv1a64(w.out()));
  return std::move(w.out());
}

Result<std::unique_ptr<LexicalIndex>> LexicalIndex::Deserialize(std::string_view bytes,
                                                               LexicalOptions options) {
  if (bytes.size() < sizeof kMagic + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return Status::Corruption("lexical index image: bad magic or too short (" +
                              std::to_string(bytes.size()) + " bytes)");
  }
  const std::string_view body = bytes.substr(0, bytes.size() - 8);
  Reader tail(bytes.substr(bytes.size() - 8));
  uint64_t checksum = 0;
  (void)tail.U64(&checksum);
  if (checksum != Fnv1a64(body)) return Status::Corruption("lexical index image: checksum mismatch");

  Reader r(body.substr(sizeof kMagic));
  auto truncated = [] { return Status::Corruption("lexical index image: truncated"); };
  uint32_t version = 0;
  if (!r.U32(&version)) return truncated();
  if (version != kFormatVersion) {
    return Status::NotSupported("lexical index image version " + std::to_string(version) +
                                " (this build reads " + std::to_string(kFormatVersion) + ")");
  }
  auto index = std::make_unique<LexicalIndex>(std::move(options));
  std::string_view fingerprint;
  if (!r.Bytes(&fingerprint)) return truncated();
  if (fingerprint != index->analyzer_.Fingerprint()) {
    return Status::FailedPrecondition("lexical index image built by analyzer '" +
                                      std::string(fingerprint) + "', options ask for '" +
                                      index->analyzer_.Fingerprint() + "'");
  }
  uint32_t term_count = 0;
  if (!r.U32(&term_count)) return truncated();
  // Each term takes at least 4 bytes, which bounds the count before reserve.
  if (term_count > r.remaining() / 4) return truncated();
  for (uint32_t t = 0; t < term_count; ++t) {
    std::string_view term;
    if (!r.Bytes(&term)) return truncated();
    if (index->InternTerm(std::string(term)) != t) {
      return Status::Corruption("lexical index image: duplicate term '" + std::string(term) + "'");
    }
  }
  uint64_t doc_count = 0;
  if (!r.U64(&doc_count)) return truncated();
  // Each document takes at least 2 bytes, which bounds the count before reserve.
  if (doc_count > r.remaining() / 2) return truncated();
  index->docs_.reserve(doc_count);
  index->lengths_.reserve(doc_count);
  index->slots_.reserve(doc_count);
  uint64_t id = 0;
  for (uint64_t d = 0; d < doc_count; ++d) {
    uint64_t zigzag = 0, entries = 0;
    if (!r.Var(&zigzag) || !r.Var(&entries)) return truncated();
    id += (zigzag >> 1) ^ (zigzag & 1 ? ~uint64_t{0} : 0);
    // Each entry takes at least 2 bytes.
    if (entries > r.remaining() / 2) return truncated();
    if (index->slots_.count(id) > 0) {
      return Status::Corruption("lexical index image: document id " + std::to_string(id) +
                                " appears twice");
    }
    std::vector<TermEntry> terms(entries);
    uint64_t length = 0, term = 0;
    for (uint64_t i = 0; i < entries; ++i) {
      uint64_t step = 0, tf = 0;
      if (!r.Var(&step) || !r.Var(&tf)) return truncated();
      if ((i > 0 && step == 0) || step >= term_count || term + step >= term_count || tf == 0 || tf >= kDeadSlot) {
        return Status::Corruption("lexical index image: bad term entry in document " +
                                  std::to_string(id));
      }
      term += step;
      terms[i] = {static_cast<uint32_t>(term), static_cast<uint32_t>(tf)};
      length += tf;
    }
    if (length >= kDeadSlot) {
      return Status::Corruption("lexical index image: document " + std::to_string(id) + " too long");
    }
    index->AddTerms(id, std::move(terms), static_cast<uint32_t>(length));
  }
  if (r.remaining() != 0) return Status::Corruption("lexical index image: trailing bytes");
  return index;
}

size_t LexicalIndex::MemoryBytes() const {
  size_t n = sizeof(*this);
  n += heap::HashTable(term_ids_, sizeof(std::pair<const std::string, uint32_t>), /*caches_hash=*/true);
  for (const auto& [term, id] : term_ids_) n += heap::Of(term);
  n += heap::Of(term_text_);
  n += heap::Buffer(postings_);
  for (const auto& p : postings_) n += heap::Buffer(p);
  n += heap::Buffer(df_) + heap::Buffer(bounds_);
  n += heap::Buffer(docs_);
  for (const auto& d : docs_) n += heap::Buffer(d.terms);
  n += heap::Buffer(lengths_);
  n += heap::HashTable(slots_, sizeof(std::pair<const uint64_t, uint32_t>), /*caches_hash=*/false);
  return n;
}

}  // namespace engram
