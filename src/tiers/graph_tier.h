// GraphTier: entities with aliases and types, and typed, time-stamped
// relations between them, with k-hop expansion under fan-out budgets.
//
// Relations are bi-temporal (see Relation): a single-valued relation closes
// the subject's open one of the same kind with another object, and a
// restated typed relation adds its sources to the open edge instead of a
// second edge. mentioned_with edges are kept one per statement.
//
// Each entity keeps its edges in the order Expand follows them (typed
// relations before mentioned_with, most recent first, ties in the order
// added), so an expansion reads only the edges it takes, however many a
// node has: a speaker is an endpoint of most relations ever derived. Adding
// an entity's alias or source id checks for a duplicate in constant time.
//
// Thread safety: not synchronised; TenantMemory guards it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engram/recall.h"
#include "engram/types.h"
#include "tiers/fact_search_index.h"
#include "tiers/string_list_set.h"

namespace engram {

struct GraphExpansion {
  // Entity -> hop distance from the nearest seed (seeds are 0).
  std::unordered_map<std::string, int> distance;
  std::vector<const Relation*> relations;  // traversed edges, nearest first
};

class GraphTier {
 public:
  // Relations that hold one value at a time per subject.
  static bool IsSingleValued(std::string_view relation);

  void AddEntity(const Entity& entity);
  void AddRelation(const Relation& relation);

  // Canonical name for a name or alias (case-insensitive); "" if unknown.
  std::string Resolve(std::string_view name) const;

  // Breadth-first from `seeds` up to `hops`, following at most
  // `fanout_per_node` edges per entity and `max_edges` in all. Relations of
  // kind mentioned_with are followed last (weakest evidence); within a kind
  // the most recent first, and relations of the same time in the order added.
  // With as_of_ms != 0, only relations stated by then and true then.
  GraphExpansion Expand(const std::vector<std::string>& seeds, int hops, size_t fanout_per_node,
                        size_t max_edges, TimeMs as_of_ms = 0) const;

  // The neighbourhood as a value (every entity when `entity` is empty), as
  // it was at as_of_ms (0: everything, closed relations included).
  GraphView View(std::string_view entity, int hops, size_t max_edges, TimeMs as_of_ms = 0) const;

  // True when `r` was stated by `t` and true at `t` (t == 0: always).
  static bool ValidAt(const Relation& r, TimeMs t);

  const std::vector<Entity>& entities() const { return entities_; }
  const std::vector<Relation>& relations() const { return relations_; }
  // Every relation but mentioned_with (history included) by the words of its
  // kind and object; entries are positions in relations().
  const FactSearchIndex& search_index() const { return search_index_; }
  // Heap bytes held (entities, relations and their indexes), from capacities.
  size_t MemoryBytes() const;
  void Clear();

 private:
  // Relation indexes sorted by (time_ms, index), both ascending: a relation
  // added with the newest time (the usual case) goes at the end. Expand reads
  // runs of equal time from the back, each run front to back.
  using EdgeList = std::vector<size_t>;
  // What an entity needs beyond its public value: duplicate checks for its
  // lists, and its edges.
  struct EntityState {
    StringListSet aliases;
    StringListSet source_ids;
    EdgeList typed;      // every relation but mentioned_with
    EdgeList mentioned;  // mentioned_with
  };
  struct Ends {
    size_t subject;
    size_t object;
  };

  static std::string Key(std::string_view name);
  size_t EnsureEntity(std::string_view name, EntityType type);
  // The entity index of a name or alias, or npos.
  size_t Find(std::string_view name) const;
  void AddEdge(size_t entity, size_t relation);
  // Calls visit(relation index) in Expand's order until it returns false.
  template <typename Visit>
  bool ForEachEdge(const EdgeList& edges, Visit&& visit) const;

  std::vector<Entity> entities_;
  std::vector<EntityState> entity_state_;  // parallel to entities_
  std::unordered_map<std::string, size_t> by_key_;  // lower-cased name or alias -> entity index
  std::vector<Relation> relations_;
  std::vector<Ends> ends_;  // parallel to relations_: entity indexes of subject and object
  std::vector<StringListSet> relation_sources_;  // parallel to relations_
  FactSearchIndex search_index_;
  // Open typed relations by (subject, relation, object), and open
  // single-valued ones by (subject, relation): the restatement and closing
  // lookups, in constant time.
  std::unordered_map<std::string, size_t> open_by_triple_;
  std::unordered_map<std::string, std::vector<size_t>> open_single_;
};

}  // namespace engram
