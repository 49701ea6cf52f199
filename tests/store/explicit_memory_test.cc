// RememberFact and RememberRelation through the public Store API: explicit
// facts follow the supersede rules, are never closed or overridden by an
// extracted fact, appear in Profile, Graph, Recall and the context, survive
// a restart and Rebuild, are replayed in sequence order among turns, keep
// tenants apart, and bad input writes nothing.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/time_format.h"
#include "engram/store.h"
#include "testing/temp_dir.h"
#include "testing/test_embedder.h"

namespace engram {
namespace {

using ::testing::HasSubstr;

TimeMs T(const char* iso) {
  auto t = ParseIsoTime(iso);
  EXPECT_TRUE(t.ok()) << iso;
  return t.ok() ? *t : 0;
}

PersonaFact Fact(const std::string& subject, const std::string& attribute, const std::string& value,
                 TimeMs from = 0, TimeMs to = 0) {
  PersonaFact f;
  f.subject = subject;
  f.attribute = attribute;
  f.value = value;
  f.valid_from_ms = from;
  f.valid_to_ms = to;
  return f;
}

Relation Rel(const std::string& subject, const std::string& relation, const std::string& object, TimeMs from = 0,
             TimeMs to = 0) {
  Relation r;
  r.subject = subject;
  r.relation = relation;
  r.object = object;
  r.valid_from_ms = from;
  r.valid_to_ms = to;
  return r;
}

Turn Said(const std::string& speaker, const std::string& text, const char* when, const std::string& id) {
  Turn t;
  t.session = "S1";
  t.speaker = speaker;
  t.text = text;
  t.time_ms = T(when);
  t.source_id = id;
  return t;
}

const PersonaFact* Find(const std::vector<PersonaFact>& facts, const std::string& attribute,
                        const std::string& value) {
  for (const auto& f : facts) {
    if (f.attribute == attribute && f.value == value) return &f;
  }
  return nullptr;
}

class ExplicitMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    Options options;
    options.embedder = std::make_shared<testing::TestEmbedder>();
    auto store = Store::Open(options, dir_.path() + "/s");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  std::vector<PersonaFact> Profile(const std::string& tenant, bool history = false) {
    auto facts = store_->Profile(tenant, "", 0, history);
    EXPECT_TRUE(facts.ok()) << facts.status().ToString();
    return facts.ok() ? *facts : std::vector<PersonaFact>{};
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(ExplicitMemoryTest, RememberedFactHasItsIdProvenanceAndSource) {
  auto id = store_->RememberFact("t", Fact("Maya", "occupation", "pilot", T("2024-01-01T00:00:00Z")));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_THAT(*id, ::testing::StartsWith("fact:"));
  auto facts = Profile("t");
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_EQ(facts[0].id, *id);
  EXPECT_EQ(facts[0].provenance, "explicit");
  EXPECT_FLOAT_EQ(facts[0].confidence, 1.0f);
  const std::string seq = id->substr(5, id->size() - 7);  // "fact:<seq>.0"
  EXPECT_EQ(facts[0].source_ids, std::vector<std::string>{"explicit:" + seq});
}

TEST_F(ExplicitMemoryTest, LaterExplicitSingleValuedFactClosesTheOpenOne) {
  ASSERT_TRUE(store_->RememberFact("t", Fact("Maya", "home", "Oslo", T("2023-01-01T00:00:00Z"))).ok());
  ASSERT_TRUE(store_->RememberFact("t", Fact("Maya", "home", "Rome", T("2024-03-01T00:00:00Z"))).ok());
  auto now = Profile("t");
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0].value, "Rome");
  auto all = Profile("t", /*history=*/true);
  const PersonaFact* oslo = Find(all, "home", "Oslo");
  ASSERT_NE(oslo, nullptr);
  EXPECT_EQ(oslo->valid_to_ms, T("2024-03-01T00:00:00Z"));
  // As of mid-2023 she lived in Oslo.
  auto then = store_->Profile("t", "Maya", T("2023-06-01T00:00:00Z"), false);
  ASSERT_TRUE(then.ok());
  ASSERT_EQ(then->size(), 1u);
  EXPECT_EQ((*then)[0].value, "Oslo");
}

TEST_F(ExplicitMemoryTest, ValidToIsHonoured) {
  ASSERT_TRUE(store_->RememberFact("t", Fact("Maya", "likes", "chess", T("2020-01-01T00:00:00Z"),
                                            T("2021-01-01T00:00:00Z")))
                  .ok());
  EXPECT_TRUE(Profile("t").empty());
  auto in_2020 = store_->Profile("t", "Maya", T("2020-06-01T00:00:00Z"), false);
  ASSERT_TRUE(in_2020.ok());
  ASSERT_EQ(in_2020->size(), 1u);
  EXPECT_EQ((*in_2020)[0].valid_to_ms, T("2021-01-01T00:00:00Z"));
}

TEST_F(ExplicitMemoryTest, ExtractionNeverClosesOrOverridesAnExplicitFact) {
  ASSERT_TRUE(store_->RememberFact("t", Fact("Caroline", "home", "Denver", T("2023-01-01T00:00:00Z"))).ok());
  ASSERT_TRUE(store_->RememberRelation("t", Rel("Caroline", "lives_in", "Denver", T("2023-01-01T00:00:00Z"))).ok());
  // An extractor reads a move to Boston; the caller's word stands.
  ASSERT_TRUE(store_->Observe("t", Said("Caroline", "I live in Boston now.", "2023-06-01T10:00:00Z", "D1")).ok());
  auto check = [&] {
    auto now = Profile("t");
    const PersonaFact* denver = Find(now, "home", "Denver");
    ASSERT_NE(denver, nullptr);
    EXPECT_EQ(denver->provenance, "explicit");
    EXPECT_EQ(denver->valid_to_ms, 0);
    EXPECT_EQ(Find(now, "home", "Boston"), nullptr);
    auto graph = store_->Graph("t", "Caroline", 1, 100, 0);
    ASSERT_TRUE(graph.ok()) << graph.status().ToString();
    bool denver_open = false, boston = false;
    for (const auto& r : graph->relations) {
      if (r.relation == "lives_in" && r.object == "Denver" && r.valid_to_ms == 0) denver_open = true;
      if (r.relation == "lives_in" && r.object == "Boston") boston = true;
    }
    EXPECT_TRUE(denver_open);
    EXPECT_FALSE(boston);
  };
  check();
  // The same after a restart and after a rebuild: replayed in order.
  Reopen();
  check();
  ASSERT_TRUE(store_->Rebuild().ok());
  check();
}

TEST_F(ExplicitMemoryTest, ExtractionWithoutAnExplicitFactStillSupersedes) {
  // The control for the test above: the same turn does close an extracted home.
  ASSERT_TRUE(store_->Observe("t", Said("Caroline", "I live in Denver.", "2023-01-01T10:00:00Z", "D0")).ok());
  ASSERT_TRUE(store_->Observe("t", Said("Caroline", "I live in Boston now.", "2023-06-01T10:00:00Z", "D1")).ok());
  auto now = Profile("t");
  EXPECT_NE(Find(now, "home", "Boston"), nullptr);
  EXPECT_EQ(Find(now, "home", "Denver"), nullptr);
}

TEST_F(ExplicitMemoryTest, ExplicitFactSupersedesAnExtractedOne) {
  ASSERT_TRUE(store_->Observe("t", Said("Caroline", "I live in Denver.", "2023-01-01T10:00:00Z", "D0")).ok());
  ASSERT_TRUE(store_->RememberFact("t", Fact("Caroline", "home", "Austin", T("2023-05-01T00:00:00Z"))).ok());
  auto now = Profile("t");
  ASSERT_NE(Find(now, "home", "Austin"), nullptr);
  EXPECT_EQ(Find(now, "home", "Denver"), nullptr);
  const PersonaFact* denver = Find(Profile("t", true), "home", "Denver");
  ASSERT_NE(denver, nullptr);
  EXPECT_EQ(denver->valid_to_ms, T("2023-05-01T00:00:00Z"));
}

TEST_F(ExplicitMemoryTest, ReplayFollowsSequenceOrderAmongTurns) {
  // explicit Austin, then a turn (ignored for home), then explicit Rome.
  ASSERT_TRUE(store_->RememberFact("t", Fact("Caroline", "home", "Austin", T("2023-01-01T00:00:00Z"))).ok());
  ASSERT_TRUE(store_->Observe("t", Said("Caroline", "I live in Boston now.", "2023-06-01T10:00:00Z", "D1")).ok());
  ASSERT_TRUE(store_->RememberFact("t", Fact("Caroline", "home", "Rome", T("2024-01-01T00:00:00Z"))).ok());
  auto before = Profile("t", true);
  Reopen();
  auto after = Profile("t", true);
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(before[i].id, after[i].id);
    EXPECT_EQ(before[i].value, after[i].value);
    EXPECT_EQ(before[i].valid_from_ms, after[i].valid_from_ms);
    EXPECT_EQ(before[i].valid_to_ms, after[i].valid_to_ms);
  }
  auto now = Profile("t");
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0].value, "Rome");
}

TEST_F(ExplicitMemoryTest, ExplicitMemoriesAppearInRecallAndContext) {
  ASSERT_TRUE(store_->Observe("t", Said("Maya", "Hello there.", "2024-01-01T10:00:00Z", "D1")).ok());
  ASSERT_TRUE(store_->RememberFact("t", Fact("Maya", "occupation", "pilot", T("2024-01-01T00:00:00Z"))).ok());
  ASSERT_TRUE(store_->RememberRelation("t", Rel("Maya", "sister_of", "Lena", T("2024-01-01T00:00:00Z"))).ok());
  RecallOptions o;
  o.tiers = {Tier::kPersona, Tier::kGraph};
  auto r = store_->Recall("t", "What is Maya's job? Who is Lena?", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  bool fact = false, relation = false;
  for (const auto& h : r->hits) {
    if (h.kind == "fact" && h.text.find("pilot") != std::string::npos) fact = true;
    if (h.kind == "relation" && h.text.find("Lena") != std::string::npos) relation = true;
  }
  EXPECT_TRUE(fact);
  EXPECT_TRUE(relation);
  auto ctx = store_->RecallContext("t", "What does Maya do for work?", 400, {});
  ASSERT_TRUE(ctx.ok());
  EXPECT_THAT(ctx->text, HasSubstr("pilot"));
}

TEST_F(ExplicitMemoryTest, ATenantWithOnlyExplicitFactsIsKnownAndListed) {
  ASSERT_TRUE(store_->RememberFact("only-facts", Fact("Ann", "likes", "tea")).ok());
  auto tenants = store_->ListTenants();
  ASSERT_TRUE(tenants.ok());
  EXPECT_THAT(*tenants, ::testing::Contains("only-facts"));
  Reopen();
  EXPECT_EQ(Profile("only-facts").size(), 1u);
  auto r = store_->Recall("only-facts", "tea", {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->tenant_known);
}

TEST_F(ExplicitMemoryTest, TenantsAreIsolated) {
  ASSERT_TRUE(store_->RememberFact("a", Fact("Ann", "likes", "tea")).ok());
  ASSERT_TRUE(store_->RememberRelation("a", Rel("Ann", "friend_of", "Bo")).ok());
  ASSERT_TRUE(store_->RememberFact("b", Fact("Ann", "likes", "coffee")).ok());
  auto a = Profile("a"), b = Profile("b");
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].value, "tea");
  EXPECT_EQ(b[0].value, "coffee");
  auto graph_b = store_->Graph("b", "", 1, 100, 0);
  ASSERT_TRUE(graph_b.ok());
  EXPECT_TRUE(graph_b->relations.empty());
  ASSERT_TRUE(store_->ForgetTenant("a").ok());
  EXPECT_TRUE(Profile("a").empty());
  EXPECT_EQ(Profile("b").size(), 1u);
  Reopen();
  EXPECT_TRUE(Profile("a").empty());
  EXPECT_EQ(Profile("b").size(), 1u);
}

TEST_F(ExplicitMemoryTest, BadInputIsRejectedAndWritesNothing) {
  auto bad = [&](const PersonaFact& f, const char* says) {
    auto id = store_->RememberFact("t", f);
    ASSERT_FALSE(id.ok());
    EXPECT_TRUE(id.status().IsInvalidArgument()) << id.status().ToString();
    EXPECT_THAT(id.status().message(), HasSubstr(says));
  };
  bad(Fact("", "likes", "tea"), "subject");
  bad(Fact("Ann", "", "tea"), "attribute");
  bad(Fact("Ann", "likes", ""), "value");
  bad(Fact("Ann", "likes", "\xff\xfe"), "UTF-8");
  bad(Fact(std::string(2000, 'a'), "likes", "tea"), "limit");
  bad(Fact("Ann", "likes", "tea", T("2024-01-01T00:00:00Z"), T("2023-01-01T00:00:00Z")), "valid_to");
  auto rel = store_->RememberRelation("t", Rel("Ann", "friend_of", ""));
  EXPECT_TRUE(rel.status().IsInvalidArgument());
  EXPECT_FALSE(store_->RememberFact("", Fact("Ann", "likes", "tea")).ok());
  auto tenants = store_->ListTenants();
  ASSERT_TRUE(tenants.ok());
  EXPECT_TRUE(tenants->empty());
  EXPECT_TRUE(Profile("t").empty());
}

TEST_F(ExplicitMemoryTest, SyncWriteIsDurableAcrossRestart) {
  WriteOptions sync;
  sync.sync = true;
  auto id = store_->RememberRelation("t", Rel("Ann", "works_at", "Acme", T("2022-01-01T00:00:00Z")), sync);
  ASSERT_TRUE(id.ok());
  Reopen();
  auto g = store_->Graph("t", "Ann", 1, 100, 0);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_EQ(g->relations.size(), 1u);
  EXPECT_EQ(g->relations[0].id, *id);
  EXPECT_EQ(g->relations[0].provenance, "explicit");
}

}  // namespace
}  // namespace engram
