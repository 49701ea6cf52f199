#include "router/route_executor.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "common/utf8.h"

namespace engram {
namespace {

struct Scored {
  float lexical = 0, vector = 0, speaker = 0, temporal = 0, recency = 0, graph = 0;
  float fused = 0;
};

bool Overlaps(TimeMs a_from, TimeMs a_to, TimeMs b_from, TimeMs b_to) { return a_from < b_to && b_from < a_to; }

// How well a document's time fits the question's range: 1 inside, falling
// off over 30 days outside.
float TemporalFit(const MemoryDoc& d, const QueryAnalysis& a) {
  if (a.from_ms == 0 && a.to_ms == 0) return 0;
  TimeMs from = d.event_from_ms != 0 ? d.event_from_ms : d.time_ms;
  TimeMs to = d.event_to_ms != 0 ? d.event_to_ms : from + 1;
  if (from == 0) return 0;
  if (Overlaps(from, to, a.from_ms, a.to_ms)) return 1;
  TimeMs gap = from >= a.to_ms ? from - a.to_ms : a.from_ms - to;
  double days = static_cast<double>(gap) / 86'400'000.0;
  return static_cast<float>(std::max(0.0, 1.0 - days / 30.0));
}

bool MentionsAny(const std::string& lower_text, const std::vector<std::string>& names) {
  for (const auto& n : names) {
    std::string first = AsciiLower(n.substr(0, n.find(' ')));
    if (!first.empty() && lower_text.find(first) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

Result<std::vector<Hit>> ExecuteRoute(const TenantMemory& memory, std::string_view query,
                                      std::span<const float> query_vector, const RoutePlan& plan,
                                      const QueryAnalysis& analysis, const RecallOptions& options,
                                      std::vector<std::string>* steps) {
  const std::string speaker_filter = AsciiLower(options.speaker);
  auto keep = [&](uint64_t id) {
    const MemoryDoc* d = memory.Doc(id);
    if (d == nullptr) return false;
    if (d->is_unit && !plan.search_units) return false;
    if (!speaker_filter.empty() && AsciiLower(d->speaker) != speaker_filter) return false;
    if (!options.session.empty() && d->session != options.session) return false;
    if (d->time_ms < options.from_ms || d->time_ms >= options.to_ms) return false;
    return true;
  };
  const bool filtered = !speaker_filter.empty() || !options.session.empty() ||
                        options.from_ms != std::numeric_limits<TimeMs>::min() ||
                        options.to_ms != std::numeric_limits<TimeMs>::max() || !plan.search_units;
  LexicalFilter lexical_filter;
  VectorFilter vector_filter;
  if (filtered) lexical_filter = vector_filter = keep;

  std::unordered_map<uint64_t, Scored> docs;
  // BM25, normalised by the best score.
  if (plan.lexical_weight > 0 && plan.lexical_candidates > 0) {
    auto hits = memory.lexical().Search(query, plan.lexical_candidates, lexical_filter);
    float best = hits.empty() ? 1 : hits.front().score;
    for (const auto& h : hits) docs[h.id].lexical = h.score / best;
    steps->push_back("bm25: " + std::to_string(hits.size()) + " candidates");
  }
  // Vectors, min-max normalised over the candidates.
  if (plan.vector_weight > 0 && plan.vector_candidates > 0 && !query_vector.empty() && memory.vectors().size() > 0) {
    auto hits = memory.vectors().Search(query_vector, plan.vector_candidates, vector_filter);
    if (!hits.ok()) return hits.status();
    if (!hits->empty()) {
      float hi = hits->front().score, lo = hits->back().score;
      float span = hi - lo > 1e-6f ? hi - lo : 1.0f;
      for (const auto& h : *hits) docs[h.id].vector = hits->size() == 1 ? 1.0f : (h.score - lo) / span;
    }
    steps->push_back("vector: " + std::to_string(hits->size()) + " candidates");
  }

  // Graph expansion: turns that support relations near the question's
  // participants and entities join the candidates.
  std::unordered_map<uint64_t, float> graph_score;  // turn seq -> score
  if (plan.graph_hops > 0 && plan.graph_weight > 0) {
    std::vector<std::string> seeds = analysis.targets;
    seeds.insert(seeds.end(), analysis.entities.begin(), analysis.entities.end());
    GraphExpansion x = memory.graph().Expand(seeds, plan.graph_hops, plan.graph_fanout, plan.graph_max_edges);
    for (const Relation* r : x.relations) {
      int d = std::min(x.distance.count(r->subject) ? x.distance.at(r->subject) : plan.graph_hops,
                       x.distance.count(r->object) ? x.distance.at(r->object) : plan.graph_hops);
      float s = (r->relation == "mentioned_with" ? 0.5f : 1.0f) / static_cast<float>(1 + d);
      for (const auto& src : r->source_ids) {
        uint64_t seq = memory.SeqOfSource(src);
        if (seq == 0 || !keep(DocId(seq, 0))) continue;
        float& g = graph_score[seq];
        g = std::max(g, s);
      }
    }
    for (const auto& [seq, g] : graph_score) docs[DocId(seq, 0)].graph = g;
    steps->push_back("graph: " + std::to_string(x.relations.size()) + " relations from " +
                     std::to_string(seeds.size()) + " seeds, " + std::to_string(graph_score.size()) + " turns");
  }

  const TimeMs t0 = memory.first_time(), t1 = memory.last_time();
  for (auto& [id, s] : docs) {
    const MemoryDoc* d = memory.Doc(id);
    if (d == nullptr) continue;
    if (plan.speaker_weight > 0 && !analysis.targets.empty()) {
      bool by_target = std::any_of(analysis.targets.begin(), analysis.targets.end(),
                                   [&](const std::string& t) { return AsciiLower(t) == AsciiLower(d->speaker); });
      s.speaker = by_target ? 1.0f : (MentionsAny(AsciiLower(d->text), analysis.targets) ? 0.5f : 0.0f);
    }
    if (plan.temporal_weight > 0) s.temporal = TemporalFit(*d, analysis);
    if (plan.recency_weight > 0 && t1 > t0 && d->time_ms != 0) {
      s.recency = static_cast<float>(d->time_ms - t0) / static_cast<float>(t1 - t0);
    }
    s.fused = plan.lexical_weight * s.lexical + plan.vector_weight * s.vector + plan.speaker_weight * s.speaker +
              plan.temporal_weight * s.temporal + plan.recency_weight * s.recency + plan.graph_weight * s.graph;
    if (d->is_unit) s.fused *= plan.unit_factor;
  }

  // One entry per source turn: its best document stands for it.
  struct TurnHit {
    uint64_t seq;
    uint64_t best_doc;
    Scored s;
    float neighbour = 0;
  };
  std::unordered_map<uint64_t, TurnHit> turns;
  for (const auto& [id, s] : docs) {
    uint64_t seq = DocSeq(id);
    auto [it, fresh] = turns.try_emplace(seq, TurnHit{seq, id, s});
    if (!fresh && s.fused > it->second.s.fused) {
      it->second.best_doc = id;
      it->second.s = s;
    }
  }
  std::vector<TurnHit> ranked;
  ranked.reserve(turns.size());
  for (auto& [seq, t] : turns) ranked.push_back(t);
  auto by_score = [](const TurnHit& a, const TurnHit& b) {
    return a.s.fused != b.s.fused ? a.s.fused > b.s.fused : a.seq < b.seq;
  };
  std::sort(ranked.begin(), ranked.end(), by_score);

  // Neighbours of the best turns: answers often sit next to the question.
  if (plan.neighbour_seeds > 0 && plan.neighbour_factor > 0) {
    size_t added = 0;
    std::unordered_map<uint64_t, size_t> pos;
    for (size_t i = 0; i < ranked.size(); ++i) pos[ranked[i].seq] = i;
    size_t seeds = std::min(plan.neighbour_seeds, ranked.size());
    std::vector<TurnHit> extra;
    for (size_t i = 0; i < seeds; ++i) {
      const MemoryDoc* d = memory.TurnDoc(ranked[i].seq);
      if (d == nullptr) continue;
      const auto& session = memory.SessionTurns(d->session);
      auto it = std::find(session.begin(), session.end(), DocId(ranked[i].seq, 0));
      if (it == session.end()) continue;
      size_t at = static_cast<size_t>(it - session.begin());
      for (int off = -plan.neighbour_window; off <= plan.neighbour_window; ++off) {
        if (off == 0) continue;
        long j = static_cast<long>(at) + off;
        if (j < 0 || j >= static_cast<long>(session.size())) continue;
        uint64_t nseq = DocSeq(session[static_cast<size_t>(j)]);
        if (!keep(DocId(nseq, 0))) continue;
        float score = ranked[i].s.fused * plan.neighbour_factor / static_cast<float>(std::abs(off));
        auto p = pos.find(nseq);
        if (p != pos.end()) {
          // Already ranked, or already added as a neighbour of a better seed.
          TurnHit& t = p->second < ranked.size() ? ranked[p->second] : extra[p->second - ranked.size()];
          if (score > t.s.fused) {
            t.neighbour = score;
            t.s.fused = score;
          }
        } else {
          TurnHit t{nseq, DocId(nseq, 0), Scored{}, score};
          t.s.fused = score;
          pos[nseq] = ranked.size() + extra.size();
          extra.push_back(t);
          ++added;
        }
      }
    }
    ranked.insert(ranked.end(), extra.begin(), extra.end());
    std::sort(ranked.begin(), ranked.end(), by_score);
    steps->push_back("neighbours: " + std::to_string(added) + " turns added around the top " + std::to_string(seeds));
  }

  // Session diversity.
  if (plan.session_quota > 0 && plan.session_penalty < 1.0f) {
    std::unordered_map<std::string, size_t> per_session;
    for (auto& t : ranked) {
      const MemoryDoc* d = memory.TurnDoc(t.seq);
      if (d == nullptr) continue;
      size_t n = per_session[d->session]++;
      if (n >= plan.session_quota) t.s.fused *= std::pow(plan.session_penalty, static_cast<float>(n + 1 - plan.session_quota));
    }
    std::sort(ranked.begin(), ranked.end(), by_score);
  }

  std::vector<Hit> out;
  for (const auto& t : ranked) {
    if (out.size() >= options.k) break;
    const MemoryDoc* turn = memory.TurnDoc(t.seq);
    const MemoryDoc* best = memory.Doc(t.best_doc);
    if (turn == nullptr || best == nullptr) continue;
    Hit h;
    h.kind = best->is_unit ? "unit" : "turn";
    h.tier = Tier::kEpisodic;
    h.source_ids = {turn->source_id};
    h.text = best->is_unit ? best->text : turn->text;
    h.speaker = turn->speaker;
    h.session = turn->session;
    h.time_ms = turn->time_ms;
    h.score = t.s.fused;
    auto put = [&](const char* name, float v) {
      if (v != 0) h.signals[name] = v;
    };
    put("bm25", t.s.lexical);
    put("vector", t.s.vector);
    put("speaker", t.s.speaker);
    put("temporal", t.s.temporal);
    put("recency", t.s.recency);
    put("graph", t.s.graph);
    put("neighbour", t.neighbour);
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace engram
