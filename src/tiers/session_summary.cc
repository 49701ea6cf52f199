#include "tiers/session_summary.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include "index/text_analyzer.h"

namespace engram {

SessionSummary SummariseSession(const TenantMemory& memory, const std::string& session, size_t max_sentences) {
  SessionSummary summary;
  summary.session = session;
  static const TextAnalyzer analyzer;
  // Candidates: the session's event units (self-contained, pronouns
  // resolved); a turn without units stands for itself.
  struct Candidate {
    const MemoryDoc* doc;
    std::set<std::string> terms;
    size_t order;
  };
  std::vector<Candidate> candidates;
  std::unordered_map<std::string, int> df;  // term -> candidates containing it
  for (uint64_t turn_id : memory.SessionTurns(session)) {
    const MemoryDoc* turn = memory.Doc(turn_id);
    if (turn == nullptr) continue;
    if (summary.from_ms == 0 || (turn->time_ms != 0 && turn->time_ms < summary.from_ms)) summary.from_ms = turn->time_ms;
    summary.to_ms = std::max(summary.to_ms, turn->time_ms);
    bool has_units = false;
    for (uint32_t slot = 1; slot <= kMaxUnitsPerTurn; ++slot) {
      const MemoryDoc* unit = memory.Doc(DocId(turn->seq, slot));
      if (unit == nullptr) break;
      has_units = true;
      auto terms = analyzer.Terms(unit->text);
      candidates.push_back({unit, {terms.begin(), terms.end()}, candidates.size()});
    }
    if (!has_units) {
      auto terms = analyzer.Terms(turn->text);
      candidates.push_back({turn, {terms.begin(), terms.end()}, candidates.size()});
    }
  }
  for (const auto& c : candidates) {
    for (const auto& t : c.terms) ++df[t];
  }
  // Centrality: shared vocabulary with the rest of the session, normalised by
  // length so long rambles do not win by size alone.
  std::vector<std::pair<double, size_t>> scored;
  for (const auto& c : candidates) {
    if (c.terms.size() < 3) continue;
    double s = 0;
    for (const auto& t : c.terms) s += df[t] - 1;
    scored.emplace_back(s / std::sqrt(static_cast<double>(c.terms.size())), c.order);
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  if (scored.size() > max_sentences) scored.resize(max_sentences);
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  for (const auto& [score, order] : scored) {
    const MemoryDoc* d = candidates[order].doc;
    if (!summary.text.empty()) summary.text += ' ';
    summary.text += d->is_unit ? d->text : d->speaker + ": " + d->text;
    if (std::find(summary.source_ids.begin(), summary.source_ids.end(), d->source_id) == summary.source_ids.end()) {
      summary.source_ids.push_back(d->source_id);
    }
  }
  return summary;
}

}  // namespace engram
