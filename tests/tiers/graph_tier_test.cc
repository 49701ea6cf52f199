// GraphTier: aliases meet in one node; k-hop expansion honours hops, fan-out
// and the edge budget, and prefers typed relations to mentioned_with.
#include "tiers/graph_tier.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace engram
