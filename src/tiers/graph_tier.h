// GraphTier: entities with aliases and types, and typed, time-stamped
// relations between them, with k-hop expansion under fan-out budgets.
//
// Thread safety: not synchronised; TenantMemory guards it.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engram/recall.h"
#include "engram/types.h"

namespace engram {

struct GraphExpansion {
  // Entity -> hop distance from the nearest seed (seeds are 0).
  std::unordered_map<std::string, int> distance;
  std::vector<const Relation*> relations;  // traversed edges, nearest first
};

class GraphTier {
 public:
  void AddEntity(const Entity& entity);
  void AddRelation(const Relation& relation);

  // Canonical name for a name or alias (case-insensitive); "" if unknown.
  std::string Resolve(std::string_view name) const;

  // Breadth-first from `seeds` up to `hops`, following at most
  // `fanout_per_node` edges per entity and `max_edges` in all. Relations of
  // kind mentioned_with are followed last (weakest evidence).
  GraphExpansion Expand(const std::vector<std::string>& seeds, int hops, size_t fanout_per_node,
                        size_t max_edges) const;

  // The neighbourhood as a value (every entity when `entity` is empty).
  GraphView View(std::string_view entity, int hops, size_t max_edges) const;

  const std::vector<Entity>& entities() const { return entities_; }
  const std::vector<Relation>& relations() const { return relations_; }
  void Clear();

 private:
  static std::string Key(std::string_view name);
  size_t EnsureEntity(std::string_view name, EntityType type);

  std::vector<Entity> entities_;
  std::unordered_map<std::string, size_t> by_key_;  // lower-cased name or alias -> entity index
  std::vector<Relation> relations_;
  std::unordered_map<std::string, std::vector<size_t>> adjacency_;  // entity key -> relation indexes
};

}  // namespace engram
