#include "tiers/graph_tier.h"

#include <algorithm>
#include <deque>
#include <unordered_set>
#include <utility>

#include "common/heap_bytes.h"
#include "common/utf8.h"

namespace engram {
namespace {

constexpr size_t kNone = static_cast<size_t>(-1);
constexpr std::string_view kMentionedWith = "mentioned_with";
constexpr std::string_view kExplicit = "explicit";

}  // namespace

std::string GraphTier::Key(std::string_view name) { return AsciiLower(name); }

size_t GraphTier::Find(std::string_view name) const {
  auto it = by_key_.find(Key(name));
  return it == by_key_.end() ? kNone : it->second;
}

size_t GraphTier::EnsureEntity(std::string_view name, EntityType type) {
  std::string key = Key(name);
  auto it = by_key_.find(key);
  if (it != by_key_.end()) return it->second;
  Entity e;
  e.name = std::string(name);
  e.type = type;
  entities_.push_back(std::move(e));
  entity_state_.emplace_back();
  by_key_.emplace(std::move(key), entities_.size() - 1);
  return entities_.size() - 1;
}

void GraphTier::AddEntity(const Entity& entity) {
  if (entity.name.empty()) return;
  size_t i = EnsureEntity(entity.name, entity.type);
  Entity& e = entities_[i];
  EntityState& state = entity_state_[i];
  if (e.type == EntityType::kOther) e.type = entity.type;
  const std::string name_key = Key(e.name);
  for (const auto& alias : entity.aliases) {
    std::string alias_key = Key(alias);
    if (alias_key == name_key) continue;
    state.aliases.AppendIfAbsent(&e.aliases, alias);
    by_key_.emplace(std::move(alias_key), i);  // first owner of an alias keeps it
  }
  for (const auto& id : entity.source_ids) state.source_ids.AppendIfAbsent(&e.source_ids, id);
}

void GraphTier::AddEdge(size_t entity, size_t relation) {
  const Relation& r = relations_[relation];
  EntityState& state = entity_state_[entity];
  EdgeList& edges = r.relation == kMentionedWith ? state.mentioned : state.typed;
  // After every edge of an earlier or equal time: the new relation has the
  // highest index, so (time, index) order holds.
  if (edges.empty() || relations_[edges.back()].time_ms <= r.time_ms) {
    edges.push_back(relation);
    return;
  }
  auto at = std::upper_bound(edges.begin(), edges.end(), r.time_ms,
                             [&](TimeMs t, size_t e) { return t < relations_[e].time_ms; });
  edges.insert(at, relation);
}

bool GraphTier::IsSingleValued(std::string_view relation) {
  static const char* kSingle[] = {"lives_in", "works_at", "works_as", "partner_of", "married_to"};
  return std::any_of(std::begin(kSingle), std::end(kSingle), [&](const char* r) { return relation == r; });
}

bool GraphTier::ValidAt(const Relation& r, TimeMs t) {
  if (t == 0) return true;
  const TimeMs from = r.valid_from_ms != 0 ? r.valid_from_ms : r.time_ms;
  return r.time_ms <= t && from <= t && (r.valid_to_ms == 0 || t < r.valid_to_ms);
}

void GraphTier::AddRelation(const Relation& relation) {
  if (relation.subject.empty() || relation.object.empty()) return;
  Relation r = relation;
  // Edges point at canonical names so aliases meet in one node.
  const size_t subject = EnsureEntity(relation.subject, EntityType::kOther);
  const size_t object = EnsureEntity(relation.object, EntityType::kOther);
  r.subject = entities_[subject].name;
  r.object = entities_[object].name;
  if (r.valid_from_ms == 0) r.valid_from_ms = r.time_ms;
  r.valid_to_ms = 0;
  const bool typed = r.relation != kMentionedWith;
  const bool is_explicit = r.provenance == kExplicit;
  const std::string kind_key = std::to_string(subject) + '\x1f' + r.relation;
  const std::string triple_key = kind_key + '\x1f' + std::to_string(object);
  // Closed at the new one's start; one stated at the same moment keeps a
  // millisecond of validity, so its history stays visible.
  auto close = [&](size_t e, TimeMs at) {
    Relation& old = relations_[e];
    old.valid_to_ms = std::max(at, old.valid_from_ms + 1);
    if (old.valid_to_ms == 0) old.valid_to_ms = 1;  // 0 would read as "still true"
  };
  if (typed) {
    if (auto open = open_by_triple_.find(triple_key); open != open_by_triple_.end()) {
      Relation& old = relations_[open->second];
      if (is_explicit && old.provenance != kExplicit) {
        // An explicit statement of an extracted edge becomes an edge of its
        // own: the extracted one ends where it starts.
        close(open->second, r.valid_from_ms);
        auto& of_kind = open_single_[kind_key];
        std::erase(of_kind, open->second);
        open_by_triple_.erase(open);
      } else {
        // Restated: more support for the same edge (an explicit
        // restatement may say when it ended).
        const size_t e = open->second;
        for (const auto& id : r.source_ids) relation_sources_[e].AppendIfAbsent(&old.source_ids, id);
        if (is_explicit && relation.valid_to_ms != 0) {
          close(e, relation.valid_to_ms);
          open_by_triple_.erase(open);
          std::erase(open_single_[kind_key], e);
        }
        return;
      }
    }
    if (IsSingleValued(r.relation)) {
      auto& open_of_kind = open_single_[kind_key];
      // An extracted relation never ends an explicit one: it is not taken.
      if (!is_explicit && std::any_of(open_of_kind.begin(), open_of_kind.end(), [&](size_t e) {
            return relations_[e].provenance == kExplicit;
          })) {
        return;
      }
      for (size_t e : open_of_kind) {
        close(e, r.valid_from_ms);
        open_by_triple_.erase(kind_key + '\x1f' + std::to_string(ends_[e].object));
      }
      open_of_kind.clear();
      open_of_kind.push_back(relations_.size());
    }
    open_by_triple_.emplace(triple_key, relations_.size());
  }
  StringListSet sources;
  std::vector<std::string> ids = std::move(r.source_ids);
  r.source_ids.clear();
  for (const auto& id : ids) sources.AppendIfAbsent(&r.source_ids, id);
  relations_.push_back(std::move(r));
  relation_sources_.push_back(std::move(sources));
  ends_.push_back(Ends{subject, object});
  const size_t index = relations_.size() - 1;
  if (typed) {
    const Relation& added = relations_.back();
    search_index_.Add(static_cast<uint32_t>(index), added.subject, added.relation, added.object);
  }
  AddEdge(subject, index);
  if (object != subject) AddEdge(object, index);
  // An explicit relation may say when it stopped being true.
  if (is_explicit && relation.valid_to_ms != 0 && typed) {
    close(index, relation.valid_to_ms);
    open_by_triple_.erase(triple_key);
    std::erase(open_single_[kind_key], index);
  }
}

std::string GraphTier::Resolve(std::string_view name) const {
  const size_t i = Find(name);
  return i == kNone ? std::string() : entities_[i].name;
}

template <typename Visit>
bool GraphTier::ForEachEdge(const EdgeList& edges, Visit&& visit) const {
  auto time_of = [&](size_t e) { return relations_[e].time_ms; };
  size_t end = edges.size();
  while (end > 0) {
    // The run of edges with the latest time not yet visited: [begin, end).
    const TimeMs t = time_of(edges[end - 1]);
    size_t begin = end - 1;
    if (begin > 0 && time_of(edges[begin - 1]) == t) {
      begin = static_cast<size_t>(std::lower_bound(edges.begin(), edges.begin() + static_cast<std::ptrdiff_t>(begin), t,
                                                   [&](size_t e, TimeMs x) { return time_of(e) < x; }) -
                                  edges.begin());
    }
    for (size_t k = begin; k < end; ++k) {
      if (!visit(edges[k])) return false;
    }
    end = begin;
  }
  return true;
}

GraphExpansion GraphTier::Expand(const std::vector<std::string>& seeds, int hops, size_t fanout_per_node,
                                 size_t max_edges, TimeMs as_of_ms) const {
  GraphExpansion out;
  std::deque<std::pair<size_t, int>> frontier;  // entity index, its distance
  for (const auto& seed : seeds) {
    const size_t i = Find(seed);
    if (i == kNone || out.distance.count(entities_[i].name)) continue;
    out.distance[entities_[i].name] = 0;
    frontier.emplace_back(i, 0);
  }
  std::unordered_set<size_t> used;
  while (!frontier.empty() && out.relations.size() < max_edges) {
    const size_t node = frontier.front().first;
    const int d = frontier.front().second;
    frontier.pop_front();
    if (d >= hops) continue;
    size_t taken = 0;
    auto visit = [&](size_t e) {
      if (taken >= fanout_per_node || out.relations.size() >= max_edges) return false;
      if (!ValidAt(relations_[e], as_of_ms)) return true;
      if (!used.insert(e).second) return true;
      ++taken;
      out.relations.push_back(&relations_[e]);
      const size_t other = ends_[e].subject == node ? ends_[e].object : ends_[e].subject;
      if (out.distance.emplace(entities_[other].name, d + 1).second) frontier.emplace_back(other, d + 1);
      return true;
    };
    const EntityState& state = entity_state_[node];
    if (ForEachEdge(state.typed, visit)) ForEachEdge(state.mentioned, visit);
  }
  return out;
}

GraphView GraphTier::View(std::string_view entity, int hops, size_t max_edges, TimeMs as_of_ms) const {
  GraphView view;
  if (entity.empty()) {
    view.entities = entities_;
    for (size_t i = 0; i < relations_.size() && view.relations.size() < max_edges; ++i) {
      if (ValidAt(relations_[i], as_of_ms)) view.relations.push_back(relations_[i]);
    }
    return view;
  }
  GraphExpansion x = Expand({std::string(entity)}, hops, /*fanout_per_node=*/max_edges, max_edges, as_of_ms);
  for (const auto& [name, d] : x.distance) {
    const size_t i = Find(name);
    if (i != kNone) view.entities.push_back(entities_[i]);
  }
  std::sort(view.entities.begin(), view.entities.end(),
            [](const Entity& a, const Entity& b) { return a.name < b.name; });
  for (const Relation* r : x.relations) view.relations.push_back(*r);
  return view;
}

void GraphTier::Clear() {
  entities_.clear();
  entity_state_.clear();
  by_key_.clear();
  relations_.clear();
  ends_.clear();
  relation_sources_.clear();
  open_by_triple_.clear();
  open_single_.clear();
  search_index_.Clear();
}

size_t GraphTier::MemoryBytes() const {
  size_t n = heap::Buffer(entities_) + heap::Buffer(entity_state_) + heap::Buffer(relations_) + heap::Buffer(ends_) +
             heap::Buffer(relation_sources_) + search_index_.MemoryBytes();
  for (const auto& e : entities_) n += heap::Of(e.name) + heap::Of(e.aliases) + heap::Of(e.source_ids);
  for (const auto& s : entity_state_) {
    n += s.aliases.MemoryBytes() + s.source_ids.MemoryBytes() + heap::Buffer(s.typed) + heap::Buffer(s.mentioned);
  }
  for (const auto& r : relations_) {
    n += heap::Of(r.subject) + heap::Of(r.relation) + heap::Of(r.object) + heap::Of(r.source_ids);
  }
  for (const auto& s : relation_sources_) n += s.MemoryBytes();
  n += heap::HashTable(by_key_, sizeof(std::pair<const std::string, size_t>), true);
  for (const auto& [key, i] : by_key_) n += heap::Of(key);
  n += heap::HashTable(open_by_triple_, sizeof(std::pair<const std::string, size_t>), true);
  for (const auto& [key, i] : open_by_triple_) n += heap::Of(key);
  n += heap::HashTable(open_single_, sizeof(std::pair<const std::string, std::vector<size_t>>), true);
  for (const auto& [key, list] : open_single_) n += heap::Of(key) + heap::Buffer(list);
  return n;
}

}  // namespace engram
