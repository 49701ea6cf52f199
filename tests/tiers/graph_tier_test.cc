// GraphTier: aliases meet in one node; k-hop expansion honours hops, fan-out
// and the edge budget, and prefers typed relations to mentioned_with.
#include "tiers/graph_tier.h"

#include <algorithm>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/utf8.h"

namespace engram {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

Entity MakeEntity(std::string name, EntityType type, std::vector<std::string> aliases = {},
                  std::vector<std::string> sources = {}) {
  Entity e;
  e.name = std::move(name);
  e.type = type;
  e.aliases = std::move(aliases);
  e.source_ids = std::move(sources);
  return e;
}

Relation MakeRelation(std::string subject, std::string relation, std::string object, TimeMs time = 0) {
  Relation r;
  r.subject = std::move(subject);
  r.relation = std::move(relation);
  r.object = std::move(object);
  r.time_ms = time;
  r.source_ids = {"s"};
  return r;
}

// "subject relation object" of each traversed edge, in order.
std::vector<std::string> Edges(const GraphExpansion& x) {
  std::vector<std::string> out;
  for (const Relation* r : x.relations) out.push_back(r->subject + " " + r->relation + " " + r->object);
  return out;
}

std::vector<std::string> Names(const std::vector<Entity>& entities) {
  std::vector<std::string> out;
  for (const auto& e : entities) out.push_back(e.name);
  return out;
}

TEST(GraphTierTest, AliasesResolveToTheCanonicalNameCaseInsensitively) {
  GraphTier g;
  g.AddEntity(MakeEntity("Caroline", EntityType::kPerson, {"Caro", "Carrie"}, {"D1:1"}));
  EXPECT_EQ(g.Resolve("Caroline"), "Caroline");
  EXPECT_EQ(g.Resolve("caro"), "Caroline");
  EXPECT_EQ(g.Resolve("CARRIE"), "Caroline");
  EXPECT_EQ(g.Resolve("Melanie"), "");

  // A later mention adds aliases and sources to the same entity.
  g.AddEntity(MakeEntity("caroline", EntityType::kPerson, {"Lina", "Caro"}, {"D2:4", "D1:1"}));
  ASSERT_EQ(g.entities().size(), 1u);
  EXPECT_THAT(g.entities()[0].aliases, ElementsAre("Caro", "Carrie", "Lina"));
  EXPECT_THAT(g.entities()[0].source_ids, ElementsAre("D1:1", "D2:4"));
  EXPECT_EQ(g.Resolve("lina"), "Caroline");
}

TEST(GraphTierTest, FirstOwnerOfAnAliasKeepsIt) {
  GraphTier g;
  g.AddEntity(MakeEntity("Samuel", EntityType::kPerson, {"Sam"}));
  g.AddEntity(MakeEntity("Samantha", EntityType::kPerson, {"Sam"}));
  EXPECT_EQ(g.Resolve("Sam"), "Samuel");
  EXPECT_EQ(g.Resolve("Samantha"), "Samantha");
}

TEST(GraphTierTest, RelationsThroughAliasesMeetInOneNode) {
  GraphTier g;
  g.AddEntity(MakeEntity("Caroline", EntityType::kPerson, {"Caro"}));
  g.AddRelation(MakeRelation("Caro", "lives_in", "Boston"));
  g.AddRelation(MakeRelation("Anna", "sister_of", "caroline"));
  ASSERT_EQ(g.relations().size(), 2u);
  EXPECT_EQ(g.relations()[0].subject, "Caroline") << "edges point at canonical names";
  EXPECT_EQ(g.relations()[1].object, "Caroline");

  GraphExpansion x = g.Expand({"CARO"}, 1, 10, 10);
  EXPECT_THAT(Edges(x), UnorderedElementsAre("Caroline lives_in Boston", "Anna sister_of Caroline"));
  EXPECT_THAT(x.distance, UnorderedElementsAre(Pair("Caroline", 0), Pair("Boston", 1), Pair("Anna", 1)));
}

TEST(GraphTierTest, EndpointsOfARelationBecomeEntitiesAndLaterTypesFillIn) {
  GraphTier g;
  g.AddRelation(MakeRelation("Melanie", "lives_in", "Austin"));
  EXPECT_EQ(g.Resolve("austin"), "Austin");
  ASSERT_EQ(g.entities().size(), 2u);
  EXPECT_EQ(g.entities()[1].type, EntityType::kOther);
  g.AddEntity(MakeEntity("Austin", EntityType::kPlace));
  EXPECT_EQ(g.entities()[1].type, EntityType::kPlace);
  // A known type is not overwritten by a vaguer mention.
  g.AddEntity(MakeEntity("Austin", EntityType::kOther));
  EXPECT_EQ(g.entities()[1].type, EntityType::kPlace);
  // Relations with a missing end, and nameless entities, are ignored.
  g.AddRelation(MakeRelation("", "likes", "tea"));
  g.AddEntity(MakeEntity("", EntityType::kThing));
  EXPECT_EQ(g.relations().size(), 1u);
  EXPECT_EQ(g.entities().size(), 2u);
}

// A - B - C - D - E, a chain of typed relations.
GraphTier Chain() {
  GraphTier g;
  g.AddRelation(MakeRelation("A", "friend_of", "B"));
  g.AddRelation(MakeRelation("B", "friend_of", "C"));
  g.AddRelation(MakeRelation("C", "friend_of", "D"));
  g.AddRelation(MakeRelation("D", "friend_of", "E"));
  return g;
}

TEST(GraphTierTest, ExpansionHonoursHops) {
  GraphTier g = Chain();
  GraphExpansion zero = g.Expand({"A"}, 0, 10, 10);
  EXPECT_THAT(Edges(zero), IsEmpty());
  EXPECT_THAT(zero.distance, ElementsAre(Pair("A", 0)));

  GraphExpansion one = g.Expand({"A"}, 1, 10, 10);
  EXPECT_THAT(Edges(one), ElementsAre("A friend_of B"));
  EXPECT_THAT(one.distance, UnorderedElementsAre(Pair("A", 0), Pair("B", 1)));

  GraphExpansion two = g.Expand({"C"}, 2, 10, 10);
  EXPECT_THAT(two.distance, UnorderedElementsAre(Pair("A", 2), Pair("B", 1), Pair("C", 0), Pair("D", 1),
                                                 Pair("E", 2)));
  EXPECT_EQ(two.relations.size(), 4u);
  // Nearest first: both one-hop edges come before the two-hop ones.
  std::vector<std::string> two_edges = Edges(two);
  two_edges.resize(2);
  EXPECT_THAT(two_edges, UnorderedElementsAre("B friend_of C", "C friend_of D"));

  GraphExpansion three = g.Expand({"A"}, 3, 10, 10);
  EXPECT_THAT(Edges(three), ElementsAre("A friend_of B", "B friend_of C", "C friend_of D"));
  EXPECT_EQ(three.distance.count("E"), 0u);
}

TEST(GraphTierTest, UnknownSeedsExpandToNothing) {
  GraphTier g = Chain();
  GraphExpansion x = g.Expand({"Nobody"}, 3, 10, 10);
  EXPECT_THAT(x.distance, IsEmpty());
  EXPECT_THAT(x.relations, IsEmpty());
  // Several seeds, one unknown: the known one still expands.
  GraphExpansion y = g.Expand({"Nobody", "E"}, 1, 10, 10);
  EXPECT_THAT(Edges(y), ElementsAre("D friend_of E"));
}

TEST(GraphTierTest, ExpansionHonoursFanOutPerNode) {
  GraphTier g;
  for (int i = 0; i < 6; ++i) g.AddRelation(MakeRelation("Hub", "friend_of", "P" + std::to_string(i), 100 + i));
  g.AddRelation(MakeRelation("P5", "sister_of", "Q"));
  GraphExpansion x = g.Expand({"Hub"}, 1, /*fanout_per_node=*/2, /*max_edges=*/100);
  // The two most recent edges of the hub.
  EXPECT_THAT(Edges(x), ElementsAre("Hub friend_of P5", "Hub friend_of P4"));
  EXPECT_EQ(x.distance.size(), 3u);

  // Fan-out applies per node: at two hops P5 adds its own edge.
  GraphExpansion y = g.Expand({"Hub"}, 2, 2, 100);
  EXPECT_THAT(Edges(y), ElementsAre("Hub friend_of P5", "Hub friend_of P4", "P5 sister_of Q"));
}

TEST(GraphTierTest, ExpansionHonoursMaxEdges) {
  GraphTier g;
  for (int i = 0; i < 6; ++i) g.AddRelation(MakeRelation("Hub", "friend_of", "P" + std::to_string(i), 100 + i));
  for (int i = 0; i < 6; ++i) g.AddRelation(MakeRelation("P" + std::to_string(i), "owns", "T" + std::to_string(i)));
  for (size_t max_edges : {0u, 1u, 3u, 7u}) {
    GraphExpansion x = g.Expand({"Hub"}, 3, 100, max_edges);
    EXPECT_EQ(x.relations.size(), max_edges) << "max_edges " << max_edges;
  }
  EXPECT_EQ(g.Expand({"Hub"}, 3, 100, 1000).relations.size(), 12u);
}

TEST(GraphTierTest, TypedRelationsComeBeforeMentionedWith) {
  GraphTier g;
  // The co-mention is the most recent edge, yet the weakest evidence.
  g.AddRelation(MakeRelation("Caroline", "mentioned_with", "Jon", 300));
  g.AddRelation(MakeRelation("Caroline", "mentioned_with", "Gina", 250));
  g.AddRelation(MakeRelation("Anna", "sister_of", "Caroline", 100));
  g.AddRelation(MakeRelation("Caroline", "lives_in", "Boston", 200));

  GraphExpansion one = g.Expand({"Caroline"}, 1, /*fanout_per_node=*/1, 10);
  EXPECT_THAT(Edges(one), ElementsAre("Caroline lives_in Boston"));

  GraphExpansion all = g.Expand({"Caroline"}, 1, 10, 10);
  EXPECT_THAT(Edges(all), ElementsAre("Caroline lives_in Boston", "Anna sister_of Caroline",
                                      "Caroline mentioned_with Jon", "Caroline mentioned_with Gina"));
}

TEST(GraphTierTest, ViewOfOneEntityIsItsNeighbourhood) {
  GraphTier g = Chain();
  g.AddEntity(MakeEntity("B", EntityType::kPerson, {"Bee"}));
  GraphView v = g.View("bee", 1, 100);
  EXPECT_THAT(Names(v.entities), ElementsAre("A", "B", "C")) << "sorted by name";
  EXPECT_EQ(v.relations.size(), 2u);

  GraphView capped = g.View("B", 2, 1);
  EXPECT_EQ(capped.relations.size(), 1u);

  GraphView whole = g.View("", 1, 100);
  EXPECT_EQ(whole.entities.size(), 5u);
  EXPECT_EQ(whole.relations.size(), 4u);
  EXPECT_EQ(g.View("", 1, 2).relations.size(), 2u);

  g.Clear();
  EXPECT_THAT(g.entities(), IsEmpty());
  EXPECT_EQ(g.Resolve("A"), "");
  EXPECT_THAT(g.Expand({"A"}, 2, 10, 10).relations, IsEmpty());
}

TEST(GraphTierTest, EdgesAddedOutOfTimeOrderAreFollowedMostRecentFirst) {
  GraphTier g;
  g.AddRelation(MakeRelation("Mel", "likes", "jazz", 20));
  g.AddRelation(MakeRelation("Mel", "likes", "tea", 10));   // older, added later
  g.AddRelation(MakeRelation("Mel", "likes", "rain", 30));
  g.AddRelation(MakeRelation("Mel", "likes", "snow", 20));  // ties with jazz, added after it
  g.AddRelation(MakeRelation("Mel", "mentioned_with", "Bob", 40));
  EXPECT_THAT(Edges(g.Expand({"Mel"}, 1, 10, 10)),
              ElementsAre("Mel likes rain", "Mel likes jazz", "Mel likes snow", "Mel likes tea",
                          "Mel mentioned_with Bob"));
  EXPECT_THAT(Edges(g.Expand({"Mel"}, 1, 2, 10)), ElementsAre("Mel likes rain", "Mel likes jazz"));
}

TEST(GraphTierTest, RepeatedAliasesAndSourcesAreKeptOnceInTheOrderFirstAdded) {
  GraphTier g;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 40; ++i) {
      g.AddEntity(MakeEntity("Caroline", EntityType::kPerson, {"Caro", "caro"}, {"D" + std::to_string(i)}));
    }
  }
  ASSERT_EQ(g.entities().size(), 1u);
  EXPECT_THAT(g.entities()[0].aliases, ElementsAre("Caro", "caro")) << "aliases compare exactly";
  ASSERT_EQ(g.entities()[0].source_ids.size(), 40u);
  EXPECT_EQ(g.entities()[0].source_ids.front(), "D0");
  EXPECT_EQ(g.entities()[0].source_ids.back(), "D39");
}

// The tier as it was first written: Expand copies and sorts a node's whole
// adjacency on every visit, duplicate checks scan the lists. Kept as the
// reference the indexed tier must agree with.
class ReferenceGraphTier {
 public:
  void AddEntity(const Entity& entity) {
    if (entity.name.empty()) return;
    size_t i = EnsureEntity(entity.name, entity.type);
    Entity& e = entities_[i];
    if (e.type == EntityType::kOther) e.type = entity.type;
    for (const auto& alias : entity.aliases) {
      if (Key(alias) == Key(e.name)) continue;
      AddUnique(&e.aliases, alias);
      by_key_.emplace(Key(alias), i);
    }
    for (const auto& id : entity.source_ids) AddUnique(&e.source_ids, id);
  }

  void AddRelation(const Relation& relation) {
    if (relation.subject.empty() || relation.object.empty()) return;
    Relation r = relation;
    r.subject = entities_[EnsureEntity(relation.subject, EntityType::kOther)].name;
    r.object = entities_[EnsureEntity(relation.object, EntityType::kOther)].name;
    if (r.valid_from_ms == 0) r.valid_from_ms = r.time_ms;
    r.valid_to_ms = 0;
    if (r.relation != "mentioned_with") {
      // A restatement of an open relation merges its sources (a full scan).
      for (auto& old : relations_) {
        if (old.valid_to_ms == 0 && Key(old.subject) == Key(r.subject) && old.relation == r.relation &&
            Key(old.object) == Key(r.object)) {
          for (const auto& id : r.source_ids) AddUnique(&old.source_ids, id);
          return;
        }
      }
      if (GraphTier::IsSingleValued(r.relation)) {
        for (auto& old : relations_) {
          if (old.valid_to_ms == 0 && Key(old.subject) == Key(r.subject) && old.relation == r.relation) {
            old.valid_to_ms = std::max(r.valid_from_ms, old.valid_from_ms + 1);
            if (old.valid_to_ms == 0) old.valid_to_ms = 1;
          }
        }
      }
    }
    std::vector<std::string> ids;
    for (const auto& id : r.source_ids) AddUnique(&ids, id);
    r.source_ids = ids;
    relations_.push_back(std::move(r));
    size_t index = relations_.size() - 1;
    adjacency_[Key(relations_[index].subject)].push_back(index);
    if (Key(relations_[index].object) != Key(relations_[index].subject)) {
      adjacency_[Key(relations_[index].object)].push_back(index);
    }
  }

  std::string Resolve(std::string_view name) const {
    auto it = by_key_.find(Key(name));
    return it == by_key_.end() ? std::string() : entities_[it->second].name;
  }

  // As GraphExpansion, with relations as indexes into relations().
  struct Expansion {
    std::unordered_map<std::string, int> distance;
    std::vector<size_t> relations;
  };
  Expansion Expand(const std::vector<std::string>& seeds, int hops, size_t fanout_per_node, size_t max_edges) const {
    Expansion out;
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
        out.relations.push_back(e);
        const std::string& other = Key(r.subject) == Key(node) ? r.object : r.subject;
        if (!out.distance.count(other)) {
          out.distance[other] = d + 1;
          frontier.push_back(other);
        }
      }
    }
    return out;
  }

  GraphView View(std::string_view entity, int hops, size_t max_edges) const {
    GraphView view;
    if (entity.empty()) {
      view.entities = entities_;
      for (size_t i = 0; i < relations_.size() && i < max_edges; ++i) view.relations.push_back(relations_[i]);
      return view;
    }
    Expansion x = Expand({std::string(entity)}, hops, max_edges, max_edges);
    for (const auto& [name, d] : x.distance) {
      auto it = by_key_.find(Key(name));
      if (it != by_key_.end()) view.entities.push_back(entities_[it->second]);
    }
    std::sort(view.entities.begin(), view.entities.end(),
              [](const Entity& a, const Entity& b) { return a.name < b.name; });
    for (size_t r : x.relations) view.relations.push_back(relations_[r]);
    return view;
  }

  const std::vector<Entity>& entities() const { return entities_; }
  const std::vector<Relation>& relations() const { return relations_; }

 private:
  static std::string Key(std::string_view name) { return AsciiLower(name); }
  static void AddUnique(std::vector<std::string>* list, const std::string& value) {
    if (std::find(list->begin(), list->end(), value) == list->end()) list->push_back(value);
  }
  size_t EnsureEntity(std::string_view name, EntityType type) {
    auto it = by_key_.find(Key(name));
    if (it != by_key_.end()) return it->second;
    Entity e;
    e.name = std::string(name);
    e.type = type;
    entities_.push_back(std::move(e));
    by_key_.emplace(Key(name), entities_.size() - 1);
    return entities_.size() - 1;
  }

  std::vector<Entity> entities_;
  std::unordered_map<std::string, size_t> by_key_;
  std::vector<Relation> relations_;
  std::unordered_map<std::string, std::vector<size_t>> adjacency_;
};

std::string Describe(const Entity& e) {
  std::ostringstream out;
  out << e.name << "/" << static_cast<int>(e.type) << " aliases=";
  for (const auto& a : e.aliases) out << a << ",";
  out << " sources=";
  for (const auto& id : e.source_ids) out << id << ",";
  return out.str();
}

std::string Describe(const Relation& r) {
  std::ostringstream out;
  out << r.subject << " " << r.relation << " " << r.object << " @" << r.time_ms << " valid " << r.valid_from_ms
      << ".." << r.valid_to_ms << " sources=";
  for (const auto& id : r.source_ids) out << id << ",";
  return out.str();
}

template <typename T>
std::vector<std::string> DescribeAll(const std::vector<T>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) out.push_back(Describe(v));
  return out;
}

// Traversed edges as indexes into the tier's relations().
std::vector<size_t> Indexes(const GraphTier& g, const GraphExpansion& x) {
  std::vector<size_t> out;
  for (const Relation* r : x.relations) out.push_back(static_cast<size_t>(r - g.relations().data()));
  return out;
}

TEST(GraphTierTest, IndexedTierAgreesWithTheSortingTierOnRandomGraphs) {
  // Names collide in case and through aliases; few times, so many edges tie.
  static const char* kNames[] = {"Caroline", "caroline", "Melanie", "Mel", "Boston", "boston", "Jazz",
                                 "Bob",      "BOB",      "Tea",     "Max", "Luna",   "Oslo"};
  static const char* kAliases[] = {"Caro", "caro", "Mel", "Beantown", "Bobby", "Caroline", ""};
  static const char* kKinds[] = {"mentioned_with", "likes", "friend_of", "lives_in", "mentioned_with", "works_at"};
  static const TimeMs kTimes[] = {0, 0, 5, 5, 5, 7, 10, 10, 3, -2};
  std::mt19937_64 rng(20230508);
  auto pick = [&](const auto& pool) { return pool[rng() % std::size(pool)]; };
  for (int graph = 0; graph < 600; ++graph) {
    SCOPED_TRACE("graph " + std::to_string(graph));
    GraphTier tier;
    ReferenceGraphTier reference;
    const int steps = 1 + static_cast<int>(rng() % 150);
    for (int step = 0; step < steps; ++step) {
      if (rng() % 3 == 0) {
        Entity e;
        e.name = rng() % 20 == 0 ? "" : pick(kNames);
        e.type = static_cast<EntityType>(rng() % 6);
        for (size_t a = rng() % 3; a > 0; --a) e.aliases.push_back(pick(kAliases));
        // Sometimes many sources at once, past the size where they are hashed.
        for (size_t k = rng() % 8 == 0 ? 20 : rng() % 3; k > 0; --k) e.source_ids.push_back("D" + std::to_string(rng() % 30));
        tier.AddEntity(e);
        reference.AddEntity(e);
      } else {
        Relation r;
        r.subject = rng() % 25 == 0 ? "" : pick(kNames);
        r.object = rng() % 10 == 0 ? r.subject : pick(kNames);  // self-loops too
        r.relation = pick(kKinds);
        r.time_ms = pick(kTimes);
        r.source_ids = {"D" + std::to_string(step)};
        tier.AddRelation(r);
        reference.AddRelation(r);
      }
    }
    ASSERT_EQ(DescribeAll(tier.entities()), DescribeAll(reference.entities()));
    ASSERT_EQ(DescribeAll(tier.relations()), DescribeAll(reference.relations()));
    for (int query = 0; query < 20; ++query) {
      std::vector<std::string> seeds;
      for (size_t k = 1 + rng() % 3; k > 0; --k) seeds.push_back(rng() % 4 == 0 ? pick(kAliases) : pick(kNames));
      seeds.push_back("Nobody");
      const int hops = static_cast<int>(rng() % 4);
      const size_t fanout = std::vector<size_t>{0, 1, 2, 3, 8, 1000}[rng() % 6];
      const size_t max_edges = std::vector<size_t>{0, 1, 5, 20, 1000}[rng() % 5];
      SCOPED_TRACE("seeds " + seeds[0] + " hops " + std::to_string(hops) + " fanout " + std::to_string(fanout) +
                   " max_edges " + std::to_string(max_edges));
      GraphExpansion x = tier.Expand(seeds, hops, fanout, max_edges);
      ReferenceGraphTier::Expansion want = reference.Expand(seeds, hops, fanout, max_edges);
      ASSERT_EQ(Indexes(tier, x), want.relations);
      using Distances = std::map<std::string, int>;
      ASSERT_EQ(Distances(x.distance.begin(), x.distance.end()), Distances(want.distance.begin(), want.distance.end()));

      const std::string entity = query % 5 == 0 ? std::string() : seeds[0];
      GraphView view = tier.View(entity, hops, max_edges);
      GraphView want_view = reference.View(entity, hops, max_edges);
      ASSERT_EQ(DescribeAll(view.entities), DescribeAll(want_view.entities));
      ASSERT_EQ(DescribeAll(view.relations), DescribeAll(want_view.relations));
    }
  }
}

Relation Rel(const char* s, const char* rel, const char* o, TimeMs t, const char* src) {
  Relation r;
  r.subject = s;
  r.relation = rel;
  r.object = o;
  r.time_ms = t;
  r.source_ids = {src};
  return r;
}

TEST(GraphTierBitemporalTest, SingleValuedRelationsCloseThePreviousOne) {
  GraphTier g;
  g.AddRelation(Rel("Maya", "lives_in", "Denver", 100, "D1"));
  g.AddRelation(Rel("Maya", "likes", "tennis", 150, "D2"));
  g.AddRelation(Rel("Maya", "lives_in", "Boulder", 200, "D3"));
  g.AddRelation(Rel("Maya", "likes", "chess", 250, "D4"));  // likes accumulate
  g.AddRelation(Rel("Maya", "lives_in", "Lakewood", 300, "D5"));
  ASSERT_EQ(g.relations().size(), 5u);
  const auto& r = g.relations();
  EXPECT_EQ(r[0].valid_from_ms, 100);
  EXPECT_EQ(r[0].valid_to_ms, 200);
  EXPECT_EQ(r[2].valid_to_ms, 300);
  EXPECT_EQ(r[4].valid_to_ms, 0);
  EXPECT_EQ(r[1].valid_to_ms, 0);
  EXPECT_EQ(r[3].valid_to_ms, 0);

  auto homes_at = [&](TimeMs t) {
    std::vector<std::string> out;
    for (const auto& rel : g.View("Maya", 1, 100, t).relations) {
      if (rel.relation == "lives_in") out.push_back(rel.object);
    }
    return out;
  };
  EXPECT_EQ(homes_at(150), std::vector<std::string>{"Denver"});
  EXPECT_EQ(homes_at(250), std::vector<std::string>{"Boulder"});
  EXPECT_EQ(homes_at(1000), std::vector<std::string>{"Lakewood"});
  EXPECT_TRUE(homes_at(50).empty());  // nothing was stated yet
  EXPECT_EQ(homes_at(0).size(), 3u);  // no time: the whole history
}

TEST(GraphTierBitemporalTest, RestatedRelationsMergeTheirSources) {
  GraphTier g;
  g.AddRelation(Rel("Maya", "works_at", "Acme", 100, "D1"));
  g.AddRelation(Rel("maya", "works_at", "acme", 180, "D2"));  // the same, in other case
  g.AddRelation(Rel("Maya", "works_at", "Acme", 190, "D2"));
  ASSERT_EQ(g.relations().size(), 1u);
  EXPECT_EQ(g.relations()[0].source_ids, (std::vector<std::string>{"D1", "D2"}));
  EXPECT_EQ(g.relations()[0].time_ms, 100);
  // After a change, stating the old employer again opens a new interval.
  g.AddRelation(Rel("Maya", "works_at", "Globex", 200, "D3"));
  g.AddRelation(Rel("Maya", "works_at", "Acme", 300, "D4"));
  ASSERT_EQ(g.relations().size(), 3u);
  EXPECT_EQ(g.relations()[0].valid_to_ms, 200);
  EXPECT_EQ(g.relations()[1].valid_to_ms, 300);
  EXPECT_EQ(g.relations()[2].valid_to_ms, 0);
  // Co-occurrence is kept one edge per statement.
  g.AddRelation(Rel("Maya", "mentioned_with", "Sam", 10, "D5"));
  g.AddRelation(Rel("Maya", "mentioned_with", "Sam", 20, "D6"));
  EXPECT_EQ(g.relations().size(), 5u);
}

TEST(GraphTierBitemporalTest, AStatedStartTimeIsKept) {
  GraphTier g;
  Relation r = Rel("Maya", "lives_in", "Lakewood", 500, "D1");
  r.valid_from_ms = 400;  // "we moved last month"
  g.AddRelation(r);
  EXPECT_EQ(g.relations()[0].valid_from_ms, 400);
  EXPECT_EQ(g.relations()[0].time_ms, 500);
  EXPECT_TRUE(g.View("Maya", 1, 10, 450).relations.empty());  // true then, but not yet stated
  EXPECT_EQ(g.View("Maya", 1, 10, 600).relations.size(), 1u);
}

}  // namespace
}  // namespace engram
