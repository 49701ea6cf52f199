// Forgetting one memory: Forget (one turn), ForgetFact, ForgetRelation and
// the stable ids they take. The oracle for "every other memory is intact" is
// a second store that never saw the forgotten turn: after Forget, profile,
// graph, event units and recall must be what that store holds (ids aside:
// they carry sequence numbers, which differ between the two stores).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "common/time_format.h"
#include "engram/store.h"
#include "testing/temp_dir.h"
#include "testing/test_embedder.h"

namespace engram {
namespace {

using ::testing::HasSubstr;

struct Line {
  const char* id;
  const char* when;
  const char* speaker;
  const char* text;
};

// Maya moves (Boulder closes Denver), likes painting (said twice), and
// adopts a dog.
const Line kConversation[] = {
    {"D1", "2023-03-04T10:00:00Z", "Maya", "I live in Denver now, close to the river."},
    {"D2", "2023-03-04T10:01:00Z", "Sam", "Nice, how is work going?"},
    {"D3", "2023-03-04T10:02:00Z", "Maya", "I work as a nurse at the county hospital."},
    {"D4", "2023-03-04T10:03:00Z", "Maya", "I love painting on weekends."},
    {"D5", "2023-09-12T18:00:00Z", "Maya", "Big news: I moved to Boulder last week."},
    {"D6", "2023-09-12T18:01:00Z", "Maya", "I love painting, it calms me."},
    {"D7", "2023-09-12T18:02:00Z", "Sam", "Wow, congratulations! My sister Ana lives in Boulder."},
    {"D8", "2023-09-12T18:03:00Z", "Maya", "I adopted a dog named Pixel too."},
};

Turn MakeTurn(const Line& l) {
  Turn t;
  t.session = std::string("S") + std::string(l.when).substr(0, 7);
  t.speaker = l.speaker;
  t.text = l.text;
  t.time_ms = *ParseIsoTime(l.when);
  t.source_id = l.id;
  return t;
}

// What the tiers hold, ids left out, as comparable text.
std::vector<std::string> FactLines(Store& store) {
  auto facts = store.Profile("maya", "", 0, /*include_history=*/true);
  EXPECT_TRUE(facts.ok()) << facts.status().ToString();
  std::vector<std::string> out;
  for (const auto& f : *facts) {
    std::string line = f.subject + "|" + f.attribute + "|" + f.value + "|" + std::to_string(f.valid_from_ms) + "|" +
                       std::to_string(f.valid_to_ms) + "|";
    for (const auto& s : f.source_ids) line += s + ",";
    out.push_back(line);
  }
  return out;
}

std::vector<std::string> RelationLines(Store& store) {
  auto graph = store.Graph("maya", "", 1, 500, 0);
  EXPECT_TRUE(graph.ok()) << graph.status().ToString();
  std::vector<std::string> out;
  for (const auto& r : graph->relations) {
    std::string line = r.subject + "|" + r.relation + "|" + r.object + "|" + std::to_string(r.valid_from_ms) + "|" +
                       std::to_string(r.valid_to_ms) + "|";
    for (const auto& s : r.source_ids) line += s + ",";
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> UnitLines(Store& store) {
  auto units = store.EventUnits("maya");
  EXPECT_TRUE(units.ok()) << units.status().ToString();
  std::vector<std::string> out;
  for (const auto& u : *units) out.push_back(u.text + "|" + (u.source_ids.empty() ? "" : u.source_ids.front()));
  return out;
}

std::vector<std::string> RecallLines(Store& store, const std::string& query) {
  RecallOptions o;
  o.k = 5;
  auto r = store.Recall("maya", query, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  // Which turns are found: whether a turn or one of its units ranks best
  // may differ, as recency counts in sequence numbers, which differ.
  std::vector<std::string> out;
  for (const auto& h : r->hits) out.push_back(h.source_ids.empty() ? "" : h.source_ids[0]);
  std::sort(out.begin(), out.end());
  return out;
}

// Every stable id the store hands out.
std::vector<std::string> AllIds(Store& store) {
  std::vector<std::string> ids;
  auto facts = store.Profile("maya", "", 0, true);
  auto graph = store.Graph("maya", "", 1, 500, 0);
  auto units = store.EventUnits("maya");
  EXPECT_TRUE(facts.ok() && graph.ok() && units.ok());
  for (const auto& f : *facts) ids.push_back(f.id);
  for (const auto& r : graph->relations) ids.push_back(r.id);
  for (const auto& u : *units) ids.push_back(u.id);
  return ids;
}

class LifecycleForgetTest : public ::testing::Test {
 protected:
  Options StoreOptions() {
    Options o;
    o.embedder = std::make_shared<testing::TestEmbedder>();
    return o;
  }
  std::unique_ptr<Store> OpenStore(const std::string& name) {
    auto s = Store::Open(StoreOptions(), dir_.path() + "/" + name);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // A store holding the conversation without the turns in `skip`.
  std::unique_ptr<Store> Fill(const std::string& name, const std::vector<std::string>& skip = {}) {
    auto store = OpenStore(name);
    for (const Line& l : kConversation) {
      if (std::find(skip.begin(), skip.end(), l.id) != skip.end()) continue;
      EXPECT_TRUE(store->Observe("maya", MakeTurn(l)).ok());
    }
    return store;
  }
  void ExpectSameMemory(Store& a, Store& b) {
    EXPECT_EQ(FactLines(a), FactLines(b));
    EXPECT_EQ(RelationLines(a), RelationLines(b));
    EXPECT_EQ(UnitLines(a), UnitLines(b));
    for (const char* q : {"Where does Maya live?", "What does Maya like?", "dog Pixel", "painting weekends"}) {
      EXPECT_EQ(RecallLines(a, q), RecallLines(b, q)) << q;
    }
  }
  const PersonaFact* FindFact(const std::vector<PersonaFact>& facts, const std::string& attribute,
                              const std::string& value) {
    for (const auto& f : facts) {
      if (f.attribute == attribute && f.value == value) return &f;
    }
    return nullptr;
  }
  testing::TempDir dir_;
};

TEST_F(LifecycleForgetTest, IdsAreSetEverywhereAndStableAcrossRestartAndRebuild) {
  auto store = Fill("a");
  std::vector<std::string> ids = AllIds(*store);
  ASSERT_FALSE(ids.empty());
  for (const auto& id : ids) {
    EXPECT_TRUE(id.rfind("fact:", 0) == 0 || id.rfind("rel:", 0) == 0 || id.rfind("unit:", 0) == 0) << id;
  }
  RecallOptions o;
  o.tiers = {Tier::kEpisodic, Tier::kPersona, Tier::kGraph};
  auto r = store->Recall("maya", "Where does Maya live? painting", o);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->hits.empty());
  for (const auto& h : r->hits) {
    if (h.kind == "turn" || h.kind == "unit" || h.kind == "fact" || h.kind == "relation") {
      EXPECT_FALSE(h.id.empty()) << h.kind << " " << h.text;
    }
    if (h.kind == "turn") EXPECT_EQ(h.id, h.source_ids.front());
  }
  store.reset();
  store = OpenStore("a");
  EXPECT_EQ(AllIds(*store), ids) << "after a restart";
  ASSERT_TRUE(store->Rebuild().ok());
  EXPECT_EQ(AllIds(*store), ids) << "after Rebuild";
}

TEST_F(LifecycleForgetTest, ForgetLeavesEveryOtherMemoryAsIfTheTurnWasNeverSeen) {
  auto store = Fill("a");
  auto oracle = Fill("oracle", {"D4"});
  auto report = store->Forget("maya", "D4");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->removed.at("turns"), 1u);
  EXPECT_GE(report->removed.at("vectors"), 1u);
  EXPECT_GE(report->kept.at("facts"), 1u) << "'likes painting' is also stated by D6";
  EXPECT_FALSE(report->disk_checked) << "only with ForgetOptions::sync";
  ExpectSameMemory(*store, *oracle);
  EXPECT_FALSE(store->GetTurnBySourceId("maya", "D4").ok());

  // The shared fact stays, with only its other source.
  auto facts = store->Profile("maya", "", 0, false);
  const PersonaFact* painting = FindFact(*facts, "likes", "painting");
  ASSERT_NE(painting, nullptr);
  EXPECT_EQ(painting->source_ids, std::vector<std::string>{"D6"});

  // After a restart and after Rebuild.
  store.reset();
  store = OpenStore("a");
  ExpectSameMemory(*store, *oracle);
  ASSERT_TRUE(store->Rebuild().ok());
  ExpectSameMemory(*store, *oracle);
}

TEST_F(LifecycleForgetTest, AFactClosedByTheForgottenTurnIsOpenAgain) {
  auto store = Fill("a");
  auto facts = store->Profile("maya", "Maya", 0, false);
  ASSERT_NE(FindFact(*facts, "home", "Boulder"), nullptr);
  ASSERT_EQ(FindFact(*facts, "home", "Denver"), nullptr) << "Boulder closed Denver";

  auto oracle = Fill("oracle", {"D5"});
  ASSERT_TRUE(store->Forget("maya", "D5").ok());
  facts = store->Profile("maya", "Maya", 0, false);
  const PersonaFact* denver = FindFact(*facts, "home", "Denver");
  ASSERT_NE(denver, nullptr) << "open again";
  EXPECT_EQ(denver->valid_to_ms, 0);
  EXPECT_EQ(FindFact(*facts, "home", "Boulder"), nullptr);
  ExpectSameMemory(*store, *oracle);
}

TEST_F(LifecycleForgetTest, UnknownIdAndWrongTenantAreNotFoundAndChangeNothing) {
  auto store = Fill("a");
  ASSERT_TRUE(store->Observe("other", MakeTurn(kConversation[0])).ok());
  const auto facts = FactLines(*store), units = UnitLines(*store);

  auto unknown = store->Forget("maya", "D99");
  ASSERT_TRUE(unknown.status().IsNotFound());
  EXPECT_THAT(unknown.status().message(), HasSubstr("'D99'"));
  auto tenant = store->Forget("nobody", "D1");
  EXPECT_TRUE(tenant.status().IsNotFound());
  EXPECT_TRUE(store->Forget("maya", "").status().IsInvalidArgument());
  auto fact = store->ForgetFact("maya", "fact:999.1");
  ASSERT_TRUE(fact.status().IsNotFound());
  EXPECT_THAT(fact.status().message(), HasSubstr("'fact:999.1'"));
  EXPECT_TRUE(store->ForgetRelation("maya", "rel:999.1").status().IsNotFound());

  // An id of another tenant's fact.
  auto other = store->Profile("other", "", 0, true);
  ASSERT_TRUE(other.ok());
  ASSERT_FALSE(other->empty());
  const std::string other_id = other->front().id;
  auto mine = store->Profile("maya", "", 0, true);
  bool shared_id = false;
  for (const auto& f : *mine) shared_id |= f.id == other_id;
  if (!shared_id) EXPECT_TRUE(store->ForgetFact("maya", other_id).status().IsNotFound());

  EXPECT_EQ(FactLines(*store), facts);
  EXPECT_EQ(UnitLines(*store), units);
  EXPECT_EQ(store->ScanTurns("maya")->size(), std::size(kConversation));
  EXPECT_EQ(store->ScanTurns("other")->size(), 1u);
}

TEST_F(LifecycleForgetTest, DryRunReportsAndChangesNothing) {
  auto store = Fill("a");
  const auto facts = FactLines(*store), units = UnitLines(*store);
  ForgetOptions dry;
  dry.dry_run = true;
  auto report = store->Forget("maya", "D8", dry);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->dry_run);
  EXPECT_EQ(report->removed.at("turns"), 1u);
  EXPECT_GE(report->Total(), 2u);
  EXPECT_TRUE(store->GetTurnBySourceId("maya", "D8").ok());
  EXPECT_EQ(FactLines(*store), facts);
  EXPECT_EQ(UnitLines(*store), units);

  auto all = store->Profile("maya", "", 0, false);
  ASSERT_TRUE(all.ok());
  auto painting = FindFact(*all, "likes", "painting");
  ASSERT_NE(painting, nullptr);
  auto fact_report = store->ForgetFact("maya", painting->id, dry);
  ASSERT_TRUE(fact_report.ok()) << fact_report.status().ToString();
  EXPECT_EQ(fact_report->removed.at("fact_records"), 2u) << "stated by D4 and D6";
  EXPECT_EQ(FactLines(*store), facts);

  auto tenant = store->ForgetTenant("maya", dry);
  ASSERT_TRUE(tenant.ok());
  EXPECT_EQ(tenant->removed.at("turns"), std::size(kConversation));
  EXPECT_EQ(store->ScanTurns("maya")->size(), std::size(kConversation));
}

TEST_F(LifecycleForgetTest, ForgetFactStaysForgottenAfterRestartAndRebuild) {
  auto store = Fill("a");
  auto facts = store->Profile("maya", "", 0, false);
  const PersonaFact* painting = FindFact(*facts, "likes", "painting");
  ASSERT_NE(painting, nullptr);
  const std::string id = painting->id;
  const size_t before = facts->size();
  auto report = store->ForgetFact("maya", id);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->removed.at("facts"), 1u);
  auto check = [&](const char* when) {
    auto now = store->Profile("maya", "", 0, false);
    ASSERT_TRUE(now.ok());
    EXPECT_EQ(FindFact(*now, "likes", "painting"), nullptr) << when;
    EXPECT_EQ(now->size(), before - 1) << when << ": the other facts stay";
    EXPECT_TRUE(store->GetTurnBySourceId("maya", "D4").ok()) << "the turns stay";
  };
  check("at once");
  EXPECT_TRUE(store->ForgetFact("maya", id).status().IsNotFound()) << "forgotten already";
  store.reset();
  store = OpenStore("a");
  check("after a restart");
  ASSERT_TRUE(store->Rebuild().ok());
  check("after Rebuild");

  // Said again later, it is a new memory.
  Turn again = MakeTurn(kConversation[5]);
  again.source_id = "D9";
  again.time_ms += 60000;
  ASSERT_TRUE(store->Observe("maya", again).ok());
  auto later = store->Profile("maya", "", 0, false);
  ASSERT_TRUE(later.ok());
  const PersonaFact* back = FindFact(*later, "likes", "painting");
  ASSERT_NE(back, nullptr);
  EXPECT_NE(back->id, id);
  EXPECT_EQ(back->source_ids, std::vector<std::string>{"D9"});
}

TEST_F(LifecycleForgetTest, ForgetRelationRemovesOneEdgeOnly) {
  auto store = Fill("a");
  auto graph = store->Graph("maya", "", 1, 500, 0);
  ASSERT_TRUE(graph.ok());
  ASSERT_FALSE(graph->relations.empty());
  const Relation target = graph->relations.front();
  const size_t before = graph->relations.size();
  auto report = store->ForgetRelation("maya", target.id);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  auto check = [&](const char* when) {
    auto now = store->Graph("maya", "", 1, 500, 0);
    ASSERT_TRUE(now.ok());
    for (const auto& r : now->relations) EXPECT_NE(r.id, target.id) << when;
    EXPECT_EQ(now->relations.size(), before - 1) << when;
  };
  check("at once");
  store.reset();
  store = OpenStore("a");
  check("after a restart");
  ASSERT_TRUE(store->Rebuild().ok());
  check("after Rebuild");
}

TEST_F(LifecycleForgetTest, ForgetTenantOfAnUnknownTenantNamesTheClosestOnes) {
  auto store = Fill("a");
  auto r = store->ForgetTenant("mya", {});
  ASSERT_TRUE(r.status().IsNotFound()) << r.status().ToString();
  EXPECT_THAT(r.status().message(), HasSubstr("'maya'"));
  EXPECT_EQ(store->ScanTurns("maya")->size(), std::size(kConversation));
}

}  // namespace
}  // namespace engram
