#include "tiers/graph_tier.h"

#include <algorithm>
#include <deque>
#include <set>

#include "common/utf8.h"

namespace engram {
namespace {

void AddUnique(std::vector<std::string>* list, const std::string& value) {
  if (std::find(list->begin(), list->end(), value) == list->end()) list->push_back(value);
}

}  // namespace

std::string GraphTier::Key(std::string_view name) { return AsciiLower(name); }

size_t GraphTier::EnsureEntity(std::string_view name, EntityType type) {
  auto it = by_key_.find(Key(name));
  if (it != by_key_.end()) return it->second;
  Entity e;
  e.name = std::string(name);
  e.type = type;
  entities_.push_back(std::move(e));
  by_key_.emplace(Key(name), entities_.size() - 1);
  return entities_.size() - 1;
}

void GraphTier::AddEntity(const Entity& entity) {
  if (entity.name.empty()) return;
  size_t i = EnsureEntity(entity.name, entity.type);
  Entity& e = entities_[i];
  if (e.type == EntityType::kOther) e.type = entity.type;
  for (const auto& alias : entity.aliases) {
    if (Key(alias) == Key(e.name)) continue;
    AddUnique(&e.aliases, alias);
    by_key_.emplace(Key(alias), i);  // first owner of an alias keeps it
  }
  for (const auto& id : entity.source_ids) AddUnique(&e.source_ids, id);
}

void GraphTier::AddRelation(const Relation& relation) {
  if (relation.subject.empty() || relation.object.empty()) return;
  Relation r = relation;
  // Edges point at canonical names so aliases meet in one node.
  r.subject = entities_[EnsureEntity(relation.subject, EntityType::kOther)].name;
  r.object = entities_[EnsureEntity(relation.object, EntityType::kOther)].name;
  relations_.push_back(std::move(r));
  size_t index = relations_.size() - 1;
  adjacency_[Key(relations_[index].subject)].push_back(index);
  if (Key(relations_[index].object) != Key(relations_[index].subject)) {
    adjacency_[Key(relations_[index].object)].push_back(index);
  }
}

std::string GraphTier::Resolve(std::string_view name) const {
  auto it = by_key_.find(Key(name));
  return it == by_key_.end() ? std::string() : entities_[it->second].name;
}

GraphExpansion GraphTier::Expand(const std::vector<std::string>& seeds, int hops, size_t fanout_per_node,
                                 size_t max_edges) const {
  GraphExpansion out;
  std::deque<std::string> frontier;
  for (const auto& seed : seeds) {
    std::string name = Resolve(seed);
    if (name.empty() || out.distance.count(name)) continue;
    out.distance[name] = 0;
    frontier.push_back(name);
  }
  std::set<size_t> used;
  while (!frontier.empty() && out.relations.size() < max_edges) {
    std::string node = frontier.front();
    frontier.pop_front();
    int d = out.distance[node];
    if (d >= hops) continue;
    auto it = adjacency_.find(Key(node));
    if (it == adjacency_.end()) continue;
    // Typed relations first, most recent first; mentioned_with last.
    std::vector<size_t> edges = it->second;
    std::stable_sort(edges.begin(), edges.end(), [&](size_t a, size_t b) {
      bool wa = relations_[a].relation == "mentioned_with", wb = relations_[b].relation == "mentioned_with";
      if (wa != wb) return !wa;
      return relations_[a].time_ms > relations_[b].time_ms;
    });
    size_t taken = 0;
    for (size_t e : edges) {
      if (taken >= fanout_per_node || out.relations.size() >= max_edges) break;
      if (!used.insert(e).second) continue;
      ++taken;
      const Relation& r = relations_[e];
      out.relations.push_back(&r);
      const std::string& other = Key(r.subject) == Key(node) ? r.object : r.subject;
      if (!out.distance.count(other)) {
        out.distance[other] = d + 1;
        frontier.push_back(other);
      }
    }
  }
  return out;
}

GraphView GraphTier::View(std::string_view entity, int hops, size_t max_edges) const {
  GraphView view;
  if (entity.empty()) {
    view.entities = entities_;
    for (size_t i = 0; i < relations_.size() && i < max_edges; ++i) view.relations.push_back(relations_[i]);
    return view;
  }
  GraphExpansion x = Expand({std::string(entity)}, hops, /*fanout_per_node=*/max_edges, max_edges);
  for (const auto& [name, d] : x.distance) {
    auto it = by_key_.find(Key(name));
    if (it != by_key_.end()) view.entities.push_back(entities_[it->second]);
  }
  std::sort(view.entities.begin(), view.entities.end(),
            [](const Entity& a, const Entity& b) { return a.name < b.name; });
  for (const Relation* r : x.relations) view.relations.push_back(*r);
  return view;
}

void GraphTier::Clear() {
  entities_.clear();
  by_key_.clear();
  relations_.clear();
  adjacency_.clear();
}

}  // namespace engram
