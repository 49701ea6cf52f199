#include "router/fact_relevance.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <span>
#include <type_traits>
#include <vector>

#include "common/time_format.h"
#include "common/utf8.h"
#include "index/text_analyzer.h"
#include "tiers/persona_tier.h"

namespace engram {
namespace {

const TextAnalyzer& Analyzer() {
  static const TextAnalyzer analyzer;
  return analyzer;
}

std::set<std::string> TermsOf(std::string_view text) {
  auto terms = Analyzer().Terms(text);
  return {terms.begin(), terms.end()};
}

// Cue words per attribute or relation name (the words people use in a
// question about it). Names not listed match through their own words
// ("volunteers_at" -> "volunteers").
const std::map<std::string, std::string, std::less<>>& CueText() {
  static const auto* cues = new std::map<std::string, std::string, std::less<>>{
      {"home", "live lives living lived home house moved move moving city town country based reside address "
               "where stay staying"},
      {"lives_in", "live lives living lived home moved move city town country based reside where"},
      {"lived_in", "live lived living home moved before used city town where"},
      {"occupation", "job work works working occupation profession career employed employment role position "
                     "retired"},
      {"works_as", "job work works working occupation profession career role position"},
      {"works_at", "work works working job employer company firm workplace employed office"},
      {"volunteers_at", "volunteer volunteers volunteering"},
      {"pet", "pet pets dog dogs puppy cat cats kitten animal animals"},
      {"pet_of", "pet pets dog puppy cat kitten animal owner"},
      {"owns", "own owns have has got bought pet dog cat car"},
      {"diet", "diet eat eats eating food vegan vegetarian meat pescatarian"},
      {"hobby", "hobby hobbies sport sports free time weekend weekends enjoy fun play plays pastime"},
      {"likes", "like likes love loves enjoy enjoys favourite favorite fan into"},
      {"dislikes", "dislike dislikes hate hates avoid can't stand"},
      {"relationship_status", "partner married marry engaged single dating relationship wife husband girlfriend "
                              "boyfriend spouse divorced"},
      {"partner_of", "partner married wife husband girlfriend boyfriend spouse engaged dating"},
      {"family", "family kids children child son daughter parents mother father sister brother"},
      {"age", "old age birthday born"},
      {"school", "school study studies studying university college student degree class"},
      {"attended", "attend attended went event school university"},
      {"visited", "visit visited trip travel travelled traveled went been"},
      {"member_of", "member club team group band join joined"},
  };
  return *cues;
}

const std::set<std::string>& CueTerms(std::string_view name) {
  static std::map<std::string, std::set<std::string>, std::less<>> cache;
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  std::string words;
  if (auto c = CueText().find(name); c != CueText().end()) {
    words = c->second;
  } else {
    words = std::string(name);
    std::replace(words.begin(), words.end(), '_', ' ');
  }
  return cache.emplace(std::string(name), TermsOf(words)).first->second;
}

bool HasAny(const std::string& lower, std::initializer_list<std::string_view> phrases) {
  return std::any_of(phrases.begin(), phrases.end(), [&](std::string_view p) {
    size_t at = lower.find(p);
    while (at != std::string::npos) {
      const bool start = at == 0 || !std::isalnum(static_cast<unsigned char>(lower[at - 1]));
      const size_t end = at + p.size();
      const bool stop = end >= lower.size() || !std::isalnum(static_cast<unsigned char>(lower[end]));
      if (start && stop) return true;
      at = lower.find(p, at + 1);
    }
    return false;
  });
}

// Phrases whose words would match the wrong fact ("do for a living" is about
// a job, not about where someone lives), read as the word they mean.
std::string ReplacePhrases(std::string lower) {
  static const std::pair<std::string_view, std::string_view> kPhrases[] = {
      {"for a living", "job"}, {"make a living", "job"}, {"earn a living", "job"}, {"living situation", "home"}};
  for (const auto& [phrase, word] : kPhrases) {
    for (size_t at = lower.find(phrase); at != std::string::npos; at = lower.find(phrase, at + word.size())) {
      lower.replace(at, phrase.size(), word);
    }
  }
  return lower;
}

}  // namespace

FactQuestion ReadFactQuestion(std::string_view question, TimeMs from_ms, TimeMs to_ms, TimeMs anchor_ms) {
  FactQuestion q;
  const std::string lower = ReplacePhrases(AsciiLower(question));
  q.terms = TermsOf(lower);
  const bool present = HasAny(lower, {"now", "currently", "current", "still", "these days", "nowadays",
                                      "at the moment", "today", "at present", "presently", "anymore",
                                      "any more", "no longer"});
  // Past tense alone ("when did she adopt her dog?") asks about an event,
  // not about a superseded value: only these cues prefer the history.
  const bool past = HasAny(lower, {"used to", "use to", "before", "previously", "formerly", "originally", "at first",
                                   "back then", "back when", "earlier", "first", "former", "prior"});
  const bool ended_constraint = to_ms != 0 && anchor_ms != 0 && to_ms <= anchor_ms;
  if (present) {
    q.focus = TimeFocus::kPresent;
  } else if (ended_constraint) {
    q.focus = TimeFocus::kPast;
    q.as_of_ms = from_ms + (to_ms - from_ms) / 2;
  } else if (past) {
    q.focus = TimeFocus::kPast;
  } else if (HasAny(lower, {"does", "do", "is", "are", "has", "have"}) &&
             !HasAny(lower, {"did", "was", "were", "had"})) {
    q.focus = TimeFocus::kPresent;  // present tense
  }
  return q;
}

float FactMatch(const FactQuestion& q, std::string_view name, std::string_view value) {
  float score = 0;
  const auto& cues = CueTerms(name);
  for (const auto& t : q.terms) {
    if (cues.count(t)) {
      score = 1.0f;
      break;
    }
  }
  if (!value.empty()) {
    const auto value_terms = TermsOf(value);
    size_t shared = 0;
    for (const auto& t : value_terms) shared += q.terms.count(t);
    if (shared > 0 && !value_terms.empty()) {
      const float v = 0.6f * static_cast<float>(shared) / static_cast<float>(value_terms.size());
      score = std::min(1.0f, score + v);
    }
  }
  return score;
}

std::string ValidityLabel(TimeMs from_ms, TimeMs to_ms) {
  auto date = [](TimeMs t) { return FormatIsoDate(t); };
  if (to_ms != 0) return (from_ms != 0 ? date(from_ms) : std::string("unknown")) + " to " + date(to_ms);
  if (from_ms != 0) return "since " + date(from_ms);
  return "";
}

bool ValidAt(TimeMs from_ms, TimeMs to_ms, TimeMs t) { return from_ms <= t && (to_ms == 0 || t < to_ms); }

int TimePreference(const FactQuestion& q, TimeMs from_ms, TimeMs to_ms) {
  const bool open = to_ms == 0;
  switch (q.focus) {
    case TimeFocus::kPast:
      if (q.as_of_ms != 0) return ValidAt(from_ms, to_ms, q.as_of_ms) ? 0 : open ? 2 : 1;
      return open ? 1 : 0;
    case TimeFocus::kPresent:
    case TimeFocus::kAny:
      return open ? 0 : 1;
  }
  return 0;
}

std::vector<RankedFact> RankFacts(const std::vector<PersonaFact>& facts, const FactQuestion& q) {
  std::vector<RankedFact> out;
  for (const auto& f : facts) {
    RankedFact r{&f, FactMatch(q, f.attribute, f.value), TimePreference(q, f.valid_from_ms, f.valid_to_ms)};
    // History is shown only where the question asks about it.
    if (f.valid_to_ms != 0 && r.match == 0) continue;
    out.push_back(r);
  }
  // What replaced a value the question names matches as well (RankTierFacts).
  std::vector<RankedFact> named_closed;
  for (const RankedFact& r : out) {
    if (r.fact->valid_to_ms != 0) named_closed.push_back(r);
  }
  for (RankedFact& r : out) {
    if (r.fact->valid_to_ms != 0) continue;
    for (const RankedFact& closed : named_closed) {
      if (closed.match > r.match &&
          AsciiEqualsIgnoreCase(closed.fact->subject, r.fact->subject) &&
          AsciiEqualsIgnoreCase(closed.fact->attribute, r.fact->attribute)) {
        r.match = closed.match;
      }
    }
  }
  SortRankedFacts(&out);
  return out;
}

bool RankedBefore(const RankedFact& a, const RankedFact& b) {
  if (a.match != b.match) return a.match > b.match;
  if (a.time_rank != b.time_rank) return a.time_rank < b.time_rank;
  if (a.fact->valid_to_ms != b.fact->valid_to_ms) return a.fact->valid_to_ms > b.fact->valid_to_ms;
  if (a.fact->confidence != b.fact->confidence) return a.fact->confidence > b.fact->confidence;
  return a.fact->valid_from_ms > b.fact->valid_from_ms;
}

void SortRankedFacts(std::vector<RankedFact>* rows) { std::stable_sort(rows->begin(), rows->end(), RankedBefore); }

std::vector<FactCandidate> FindFactCandidates(const FactSearchIndex& index, const FactQuestion& q,
                                              const std::set<std::string>& overlap_terms) {
  float unused = 0;
  return FindFactCandidatesSkippingLongLists(index, q, overlap_terms, std::numeric_limits<size_t>::max(), &unused);
}

std::vector<FactCandidate> FindFactCandidatesSkippingLongLists(const FactSearchIndex& index, const FactQuestion& q,
                                                               const std::set<std::string>& overlap_terms,
                                                               size_t long_list, float* left_out_bound) {
  struct Tally {
    bool cued;
    uint16_t value_shared;
    uint16_t line_shared;
    bool any() const { return cued || value_shared != 0 || line_shared != 0; }
  };
  static_assert(std::is_trivial_v<Tally>);
  // Zeroed by calloc: for a large tier the pages are mapped on demand, so
  // only the entries the question reaches cost anything.
  std::unique_ptr<Tally, decltype(&std::free)> tally_buffer(
      static_cast<Tally*>(std::calloc(std::max<size_t>(index.size(), 1), sizeof(Tally))), &std::free);
  Tally* tally = tally_buffer.get();
  if (tally == nullptr) throw std::bad_alloc();
  std::vector<uint32_t> touched;
  auto visit = [&](uint32_t entry) -> Tally& {
    Tally& t = tally[entry];
    if (!t.any()) touched.push_back(entry);
    return t;
  };
  for (const auto& [name, entries] : index.by_name()) {
    const auto& cues = CueTerms(name);
    const bool cued = std::any_of(q.terms.begin(), q.terms.end(), [&](const std::string& t) { return cues.count(t); });
    if (!cued) continue;
    for (uint32_t e : entries) visit(e).cued = true;
  }
  for (const auto& term : q.terms) {
    for (uint32_t e : index.WithValueTerm(term)) ++visit(e).value_shared;
  }
  std::vector<std::span<const uint32_t>> long_lists;
  for (const auto& term : overlap_terms) {
    const std::span<const uint32_t> list = index.WithLineTerm(term);
    if (list.size() >= long_list) {
      long_lists.push_back(list);
      continue;
    }
    for (uint32_t e : list) ++visit(e).line_shared;
  }
  // Entries are indexed in ascending order, so each list is sorted.
  for (const std::span<const uint32_t> list : long_lists) {
    for (uint32_t e : touched) tally[e].line_shared += std::binary_search(list.begin(), list.end(), e);
  }
  *left_out_bound = overlap_terms.empty() ? 0.0f
                                          : static_cast<float>(long_lists.size()) /
                                                static_cast<float>(overlap_terms.size());
  // In entry order: a list touching a good part of the index is cheaper to
  // read off the tallies than to sort.
  if (touched.size() > index.size() / 16) {
    touched.clear();
    for (uint32_t e = 0; e < index.size(); ++e) {
      if (tally[e].any()) touched.push_back(e);
    }
  } else {
    std::sort(touched.begin(), touched.end());
  }
  std::vector<FactCandidate> out;
  out.reserve(touched.size());
  for (uint32_t e : touched) {
    const Tally& t = tally[e];
    float match = t.cued ? 1.0f : 0.0f;
    const uint32_t value_terms = index.value_term_count(e);
    if (t.value_shared > 0 && value_terms > 0) {
      match = std::min(1.0f, match + 0.6f * static_cast<float>(t.value_shared) / static_cast<float>(value_terms));
    }
    const float overlap = overlap_terms.empty() ? 0.0f
                                                : static_cast<float>(t.line_shared) /
                                                      static_cast<float>(overlap_terms.size());
    out.push_back({e, match, overlap});
  }
  return out;
}

std::vector<RankedFact> RankTierFacts(const PersonaTier& tier, const FactQuestion& q,
                                      const std::vector<std::string>& subjects) {
  const std::vector<PersonaFact>& all = tier.all();
  // What the question matches, history included (entry order).
  std::vector<std::pair<size_t, float>> matched;
  for (const FactCandidate& c : FindFactCandidates(tier.search_index(), q, {})) {
    if (c.match > 0) matched.emplace_back(c.entry, c.match);
  }
  // A value no longer true that the question names ("is she still doing
  // keto?") asks about its attribute: what replaced it matches as well, so
  // that for a question about now the current value comes first.
  const size_t named = matched.size();
  for (size_t k = 0; k < named; ++k) {
    const PersonaFact& closed = all[matched[k].first];
    if (closed.valid_to_ms == 0) continue;
    for (size_t i : tier.PositionsOf(closed.subject, /*open_only=*/true)) {
      if (AsciiEqualsIgnoreCase(all[i].attribute, closed.attribute)) matched.emplace_back(i, matched[k].second);
    }
  }
  if (matched.size() > named) {
    // By entry, each once with its best match.
    std::sort(matched.begin(), matched.end(),
              [](const auto& a, const auto& b) { return a.first != b.first ? a.first < b.first : a.second > b.second; });
    matched.erase(std::unique(matched.begin(), matched.end(),
                              [](const auto& a, const auto& b) { return a.first == b.first; }),
                  matched.end());
  }
  std::vector<RankedFact> rows;
  // One subject's facts (everyone's for ""), in the order first stated.
  auto add_group = [&](const std::string* subject) {
    std::vector<std::pair<size_t, float>> group;
    for (const auto& m : matched) {
      if (subject == nullptr || AsciiEqualsIgnoreCase(all[m.first].subject, *subject)) group.push_back(m);
    }
    const size_t matched_end = group.size();
    auto add_open = [&](size_t i) {
      if (!std::binary_search(group.begin(), group.begin() + static_cast<std::ptrdiff_t>(matched_end),
                              std::pair<size_t, float>(i, 0.0f),
                              [](const auto& a, const auto& b) { return a.first < b.first; })) {
        group.emplace_back(i, 0.0f);
      }
    };
    if (subject == nullptr) {
      for (size_t i : tier.open_positions()) add_open(i);
    } else {
      for (size_t i : tier.PositionsOf(*subject, /*open_only=*/true)) add_open(i);
    }
    std::sort(group.begin(), group.end());
    for (const auto& [i, match] : group) {
      const PersonaFact& f = all[i];
      rows.push_back({&f, match, TimePreference(q, f.valid_from_ms, f.valid_to_ms)});
    }
  };
  if (subjects.empty()) {
    add_group(nullptr);
  } else {
    for (const auto& s : subjects) add_group(&s);
  }
  SortRankedFacts(&rows);
  return rows;
}

std::string RelationLine(const Relation& r, bool single_valued) {
  std::string text = r.subject + " " + r.relation + " " + r.object;
  const TimeMs from = r.valid_from_ms != 0 ? r.valid_from_ms : r.time_ms;
  if (r.valid_to_ms != 0) return text + " (" + ValidityLabel(from, r.valid_to_ms) + ", no longer true)";
  if (single_valued && from != 0) text += " (" + ValidityLabel(from, 0) + ")";
  return text;
}

std::string FactLine(const PersonaFact& f) {
  std::string text = f.subject + " " + f.attribute + ": " + f.value;
  std::string label = ValidityLabel(f.valid_from_ms, f.valid_to_ms);
  if (f.valid_to_ms != 0) label += ", no longer true";
  if (!label.empty()) text += " (" + label + ")";
  return text;
}

}  // namespace engram
