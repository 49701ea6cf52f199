// Turn metadata through the public Store API: stored, validated, kept across
// restart and Rebuild, exported and imported as JSONL; RecallOptions::where
// filters every route before the top k is taken (checked against exact
// oracles), fills Hit::metadata, and keeps tenants apart.
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engram/store.h"
#include "log/key_codec.h"
#include "store/conversation_io.h"
#include "testing/temp_dir.h"
#include "testing/test_embedder.h"

namespace engram {
namespace {

using ::testing::HasSubstr;

const char* kTopics[] = {"tomatoes in the garden", "the train to Oslo", "a new violin teacher",
                         "the garden fence and tomatoes", "booking the Oslo hotel"};

class MetadataTest : public ::testing::Test {
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
  // 40 turns; every fifth (8 in all) came by email, in session "mail", and
  // only those talk about the violin teacher's invoice.
  void AddConversation(const std::string& tenant) {
    std::vector<Turn> turns;
    for (int i = 0; i < 40; ++i) {
      Turn t;
      const bool email = i % 5 == 0;
      t.session = email ? "mail" : "chat" + std::to_string(i / 10);
      t.speaker = i % 2 ? "Sam" : "Maya";
      t.text = std::string("We talked about ") + kTopics[(i + i / 5) % 5] + (email ? ", and the invoice." : ".");
      t.time_ms = 1700000000000 + i * 60000;
      t.source_id = tenant + "-" + std::to_string(i);
      t.metadata["channel"] = email ? "email" : "chat";
      if (i % 2 == 0) t.metadata["parity"] = "even";
      turns.push_back(t);
    }
    ASSERT_TRUE(store_->ObserveBatch(tenant, turns).ok());
  }
  std::vector<std::string> Ids(const std::vector<Hit>& hits) {
    std::vector<std::string> ids;
    for (const auto& h : hits) ids.push_back(h.source_ids.front());
    return ids;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(MetadataTest, StoredAndReadBackAcrossRestartAndRebuild) {
  Turn t;
  t.speaker = "Maya";
  t.text = "Hello.";
  t.source_id = "D1";
  t.metadata = {{"channel", "email"}, {"thread", "42"}};
  ASSERT_TRUE(store_->Observe("t", t).ok());
  Turn plain = t;
  plain.source_id = "D2";
  plain.metadata.clear();
  ASSERT_TRUE(store_->Observe("t", plain).ok());
  auto check = [&] {
    auto got = store_->GetTurnBySourceId("t", "D1");
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->turn.metadata, t.metadata);
    EXPECT_TRUE(store_->GetTurnBySourceId("t", "D2")->turn.metadata.empty());
  };
  check();
  Reopen();
  check();
  ASSERT_TRUE(store_->Rebuild().ok());
  check();
}

TEST_F(MetadataTest, VersionOneRecordsStillDecode) {
  // A record as engram wrote it before metadata existed.
  std::string v1;
  v1.push_back(1);
  log::PutFixed64BE(&v1, 1234);
  for (const char* s : {"S1", "Maya", "D1", "Hello."}) log::PutLengthPrefixed(&v1, s);
  Turn turn;
  ASSERT_TRUE(log::DecodeTurn(v1, &turn).ok());
  EXPECT_EQ(turn.text, "Hello.");
  EXPECT_EQ(turn.time_ms, 1234);
  EXPECT_TRUE(turn.metadata.empty());
  // Without metadata a turn is still written as version 1; with it, version 2.
  EXPECT_EQ(log::EncodeTurn(turn), v1);
  turn.metadata["k"] = "v";
  const std::string v2 = log::EncodeTurn(turn);
  EXPECT_EQ(v2[0], 2);
  Turn back;
  ASSERT_TRUE(log::DecodeTurn(v2, &back).ok());
  EXPECT_EQ(back.metadata, turn.metadata);
  EXPECT_FALSE(log::DecodeTurn(v2.substr(0, v2.size() - 1), &back).ok());
}

TEST_F(MetadataTest, BadMetadataIsRejectedAndWritesNothing) {
  auto bad = [&](std::map<std::string, std::string> metadata, const char* says) {
    Turn t;
    t.speaker = "Maya";
    t.text = "Hello.";
    t.metadata = std::move(metadata);
    auto seq = store_->Observe("t", t);
    ASSERT_FALSE(seq.ok());
    EXPECT_TRUE(seq.status().IsInvalidArgument());
    EXPECT_THAT(seq.status().message(), HasSubstr(says));
  };
  bad({{"", "x"}}, "1 to 128");
  bad({{std::string(129, 'k'), "x"}}, "1 to 128");
  bad({{"k", std::string(1025, 'v')}}, "over the limit of 1024");
  bad({{"k", "\xff"}}, "UTF-8");
  std::map<std::string, std::string> many;
  for (int i = 0; i < 33; ++i) many["k" + std::to_string(i)] = "v";
  bad(many, "max_metadata_entries");
  auto tenants = store_->ListTenants();
  ASSERT_TRUE(tenants.ok());
  EXPECT_TRUE(tenants->empty());
}

TEST_F(MetadataTest, JsonlRoundTripWithRoleAndUnknownFieldWarnings) {
  std::istringstream in(
      R"({"tenant":"t","speaker":"Maya","text":"Hi","id":"D1","role":"user","metadata":{"channel":"email"}})"
      "\n"
      R"({"tenant":"t","speaker":"Sam","text":"Yo","id":"D2","mood":"happy","colour":"red"})"
      "\n"
      R"({"tenant":"t","speaker":"Sam","text":"Yo again","id":"D3","mood":"sad"})"
      "\n");
  std::vector<TenantTurn> turns;
  std::vector<std::string> warnings;
  Status s = ReadTurnsJsonl(
      in, "in.jsonl",
      [&](size_t, TenantTurn&& t) {
        turns.push_back(std::move(t));
        return Status::OK();
      },
      [&](const std::string& w) { warnings.push_back(w); });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(turns.size(), 3u);
  EXPECT_EQ(turns[0].turn.metadata, (std::map<std::string, std::string>{{"channel", "email"}, {"role", "user"}}));
  ASSERT_EQ(warnings.size(), 2u);  // "mood" once, "colour" once
  EXPECT_THAT(warnings[0] + warnings[1], HasSubstr("in.jsonl:2: unknown field 'mood'"));
  EXPECT_THAT(warnings[0] + warnings[1], HasSubstr("unknown field 'colour'"));
  auto again = ParseTurnLine(FormatTurnLine("t", turns[0].turn));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->turn.metadata, turns[0].turn.metadata);
  EXPECT_FALSE(ParseTurnLine(R"({"tenant":"t","speaker":"s","text":"x","metadata":{"n":3}})").ok());
  EXPECT_FALSE(ParseTurnLine(R"({"tenant":"t","speaker":"s","text":"x","metadata":"x"})").ok());
  EXPECT_FALSE(
      ParseTurnLine(R"({"tenant":"t","speaker":"s","text":"x","role":"a","metadata":{"role":"b"}})").ok());
}

TEST_F(MetadataTest, WhereFiltersEveryRouteBeforeTheTopK) {
  AddConversation("t");
  for (const char* route : {"vector", "bm25", "hybrid", "auto"}) {
    for (const char* query : {"tomatoes in the garden", "Oslo train", "violin teacher"}) {
      SCOPED_TRACE(std::string(route) + ": " + query);
      RecallOptions where;
      where.route = route;
      where.k = 5;
      where.where = {{"channel", "email"}};
      auto filtered = store_->Recall("t", query, where);
      ASSERT_TRUE(filtered.ok()) << filtered.status().ToString();
      // Oracle 1: the email turns are exactly session "mail", which the
      // session filter (inside the search) selects: the same hits, scores and order.
      RecallOptions by_session = where;
      by_session.where.clear();
      by_session.session = "mail";
      auto oracle = store_->Recall("t", query, by_session);
      ASSERT_TRUE(oracle.ok());
      EXPECT_EQ(Ids(filtered->hits), Ids(oracle->hits));
      ASSERT_EQ(filtered->hits.size(), oracle->hits.size());
      for (size_t i = 0; i < filtered->hits.size(); ++i) {
        EXPECT_FLOAT_EQ(filtered->hits[i].score, oracle->hits[i].score);
      }
      // The best matching hits, not a filtered top k: k of them (BM25 finds
      // only the email turns that share a word with the query).
      if (std::string(route) == "bm25") {
        EXPECT_FALSE(filtered->hits.empty());
      } else {
        EXPECT_EQ(filtered->hits.size(), 5u);
      }
      for (const auto& h : filtered->hits) {
        EXPECT_EQ(h.metadata.at("channel"), "email");
        EXPECT_EQ(h.session, "mail");
      }
    }
  }
}

TEST_F(MetadataTest, SingleSignalRoutesMatchTheUnfilteredRankingRestricted) {
  AddConversation("t");
  for (const char* route : {"bm25", "vector"}) {
    SCOPED_TRACE(route);
    RecallOptions all;
    all.route = route;
    all.k = 1000;
    auto everything = store_->Recall("t", "garden tomatoes", all);
    ASSERT_TRUE(everything.ok());
    // Oracle 2: the unfiltered ranking, restricted to even email turns.
    std::vector<std::string> expected;
    for (const auto& h : everything->hits) {
      if (h.metadata.count("channel") && h.metadata.at("channel") == "email" && h.metadata.count("parity")) {
        expected.push_back(h.source_ids.front());
      }
    }
    expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
    if (expected.size() > 3) expected.resize(3);
    RecallOptions where = all;
    where.k = 3;
    where.where = {{"channel", "email"}, {"parity", "even"}};
    auto filtered = store_->Recall("t", "garden tomatoes", where);
    ASSERT_TRUE(filtered.ok());
    EXPECT_EQ(Ids(filtered->hits), expected);
    EXPECT_FALSE(expected.empty());
  }
}

TEST_F(MetadataTest, WhereAppliesToTierHitsAndTheContext) {
  AddConversation("t");
  RecallOptions o;
  o.tiers = {Tier::kWorking, Tier::kPersona, Tier::kGraph, Tier::kEpisodic};
  o.where = {{"channel", "nowhere"}};
  auto none = store_->Recall("t", "garden", o);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->hits.empty());
  auto ctx = store_->RecallContext("t", "garden", 1000, o);
  ASSERT_TRUE(ctx.ok());
  EXPECT_TRUE(ctx->sections.empty()) << ctx->text;
  o.where = {{"channel", "email"}};
  o.session = "mail";
  auto working = store_->Recall("t", "garden", o);
  ASSERT_TRUE(working.ok());
  for (const auto& h : working->hits) {
    if (h.kind == "turn" || h.kind == "unit") EXPECT_EQ(h.metadata.at("channel"), "email");
  }
}

TEST_F(MetadataTest, TenantsAreIsolated) {
  AddConversation("a");
  RecallOptions o;
  o.where = {{"channel", "email"}};
  auto b = store_->Recall("b", "garden", o);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->hits.empty());
  EXPECT_FALSE(b->tenant_known);
  auto a = store_->Recall("a", "garden", o);
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->hits.empty());
  for (const auto& h : a->hits) EXPECT_EQ(h.source_ids.front().substr(0, 2), "a-");
}

TEST_F(MetadataTest, UnknownTenantsAreReportedWithTheClosestNames) {
  AddConversation("maya-home");
  auto stats = store_->GetTenantStats("maya-hom");
  ASSERT_FALSE(stats.ok());
  EXPECT_TRUE(stats.status().IsNotFound());
  EXPECT_THAT(stats.status().message(), HasSubstr("maya-home"));
  EXPECT_TRUE(store_->GetTenantStats("maya-home").ok());
  auto r = store_->Recall("maya-hom", "garden", {});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->tenant_known);
  EXPECT_TRUE(r->hits.empty());
  auto ctx = store_->RecallContext("maya-hom", "garden", 200, {});
  ASSERT_TRUE(ctx.ok());
  EXPECT_FALSE(ctx->tenant_known);
  EXPECT_TRUE(store_->RecallContext("maya-home", "garden", 200, {})->tenant_known);
  EXPECT_TRUE(store_->Profile("maya-hom", "", 0, false)->empty());
}

}  // namespace
}  // namespace engram
