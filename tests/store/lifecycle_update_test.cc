// Correcting one memory: Update rewrites a turn in place and derives it
// again, History keeps every version, and Observe refuses to change a stored
// turn silently (AlreadyExists) while a byte-identical retry stays
// idempotent.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engram/store.h"
#include "testing/temp_dir.h"
#include "testing/test_embedder.h"

namespace engram {
namespace {

using ::testing::HasSubstr;

Turn MakeTurn(const std::string& id, const std::string& text, const std::string& speaker = "Maya") {
  Turn t;
  t.session = "s1";
  t.speaker = speaker;
  t.text = text;
  t.time_ms = 1700000000000;
  t.source_id = id;
  return t;
}

class LifecycleUpdateTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    Options o;
    o.embedder = std::make_shared<testing::TestEmbedder>();
    auto s = Store::Open(o, dir_.path() + "/s");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  // Texts of the hits recall finds for `query`.
  std::vector<std::string> Found(const std::string& query) {
    RecallOptions o;
    o.k = 10;
    auto r = store_->Recall("maya", query, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> out;
    for (const auto& h : r->hits) out.push_back(h.text);
    return out;
  }
  bool AnyHitHolds(const std::string& query, const std::string& word) {
    for (const auto& t : Found(query)) {
      if (t.find(word) != std::string::npos) return true;
    }
    return false;
  }
  bool HasFact(const std::string& attribute, const std::string& value) {
    auto facts = store_->Profile("maya", "", 0, false);
    EXPECT_TRUE(facts.ok());
    for (const auto& f : *facts) {
      if (f.attribute == attribute && f.value == value) return true;
    }
    return false;
  }
  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(LifecycleUpdateTest, UpdateRewritesTheTurnKeepsHistoryAndRecallSeesTheNewText) {
  auto seq = store_->Observe("maya", MakeTurn("D1", "I live in Denver now, near the zoo."));
  ASSERT_TRUE(seq.ok());
  ASSERT_TRUE(store_->Observe("maya", MakeTurn("D2", "The weather is nice today.", "Sam")).ok());
  ASSERT_TRUE(HasFact("home", "Denver"));
  ASSERT_TRUE(AnyHitHolds("zoo Denver", "zoo"));

  auto v = store_->Update("maya", "D1", "I live in Austin now, near the lake.", {});
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, 2u);
  auto check = [&](const char* when) {
    auto stored = store_->GetTurnBySourceId("maya", "D1");
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(stored->seq, *seq) << when << ": rewritten in place";
    EXPECT_EQ(stored->turn.text, "I live in Austin now, near the lake.");
    EXPECT_TRUE(HasFact("home", "Austin")) << when;
    EXPECT_FALSE(HasFact("home", "Denver")) << when;
    EXPECT_TRUE(AnyHitHolds("lake Austin", "lake")) << when;
    EXPECT_FALSE(AnyHitHolds("zoo Denver", "zoo")) << when << ": the old words are not found";
    auto units = store_->EventUnits("maya");
    ASSERT_TRUE(units.ok());
    for (const auto& u : *units) EXPECT_EQ(u.text.find("Denver"), std::string::npos) << when;
    auto history = store_->History("maya", "D1");
    ASSERT_TRUE(history.ok()) << history.status().ToString();
    ASSERT_EQ(history->size(), 2u);
    EXPECT_EQ((*history)[0].version, 1u);
    EXPECT_EQ((*history)[0].turn.text, "I live in Denver now, near the zoo.");
    EXPECT_GT((*history)[0].replaced_ms, 0);
    EXPECT_EQ((*history)[1].version, 2u);
    EXPECT_EQ((*history)[1].turn.text, "I live in Austin now, near the lake.");
    EXPECT_EQ((*history)[1].replaced_ms, 0) << "current";
  };
  check("at once");
  Reopen();
  check("after a restart");
  ASSERT_TRUE(store_->Rebuild().ok());
  check("after Rebuild");

  // A second correction is version 3; the same text again changes nothing.
  auto v3 = store_->Update("maya", "D1", "I live in Austin, near the lake and the hills.", {});
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ(*v3, 3u);
  auto same = store_->Update("maya", "D1", "I live in Austin, near the lake and the hills.", {});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, 3u);
  EXPECT_EQ(store_->History("maya", "D1")->size(), 3u);
  auto untouched = store_->History("maya", "D2");
  ASSERT_TRUE(untouched.ok());
  EXPECT_EQ(untouched->size(), 1u);
}

TEST_F(LifecycleUpdateTest, BadUpdatesFailAndChangeNothing) {
  ASSERT_TRUE(store_->Observe("maya", MakeTurn("D1", "I live in Denver now.")).ok());
  auto unknown = store_->Update("maya", "D9", "text", {});
  ASSERT_TRUE(unknown.status().IsNotFound());
  EXPECT_THAT(unknown.status().message(), HasSubstr("'D9'"));
  EXPECT_TRUE(store_->Update("other", "D1", "text", {}).status().IsNotFound()) << "another tenant's id";
  EXPECT_TRUE(store_->Update("maya", "D1", "", {}).status().IsInvalidArgument());
  EXPECT_TRUE(store_->Update("maya", "D1", std::string("bad \xff utf8"), {}).status().IsInvalidArgument());
  EXPECT_TRUE(store_->Update("maya", "D1", std::string(64 * 1024 + 1, 'a'), {}).status().IsInvalidArgument());
  EXPECT_TRUE(store_->History("maya", "D9").status().IsNotFound());
  EXPECT_EQ(store_->GetTurnBySourceId("maya", "D1")->turn.text, "I live in Denver now.");
  EXPECT_EQ(store_->History("maya", "D1")->size(), 1u);
  EXPECT_TRUE(HasFact("home", "Denver"));
}

TEST_F(LifecycleUpdateTest, ObserveOfAStoredIdWithOtherContentIsAlreadyExists) {
  Turn first = MakeTurn("D1", "I went to a support group yesterday.");
  auto seq = store_->Observe("maya", first);
  ASSERT_TRUE(seq.ok());

  // A byte-identical retry is idempotent.
  auto retry = store_->Observe("maya", first);
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_EQ(*retry, *seq);

  auto changed = [&](auto edit) {
    Turn t = first;
    edit(t);
    return store_->Observe("maya", t).status();
  };
  for (Status s : {changed([](Turn& t) { t.text = "another text"; }),
                   changed([](Turn& t) { t.speaker = "Sam"; }),
                   changed([](Turn& t) { t.session = "s2"; }),
                   changed([](Turn& t) { t.time_ms += 1; }),
                   changed([](Turn& t) { t.metadata["channel"] = "email"; })}) {
    ASSERT_TRUE(s.code() == Status::Code::kAlreadyExists) << s.ToString();
    EXPECT_THAT(s.message(), HasSubstr("'D1'"));
    EXPECT_THAT(s.message(), HasSubstr("engram update"));
  }

  // In a batch, the bad turn fails the whole batch: nothing is written.
  std::vector<Turn> batch = {MakeTurn("D2", "a new turn"), MakeTurn("D1", "another text")};
  auto seqs = store_->ObserveBatch("maya", batch);
  ASSERT_TRUE(seqs.status().code() == Status::Code::kAlreadyExists) << seqs.status().ToString();
  EXPECT_FALSE(store_->GetTurnBySourceId("maya", "D2").ok());
  // So does a repeat of an id with other content within one batch.
  std::vector<Turn> twice = {MakeTurn("D3", "one text"), MakeTurn("D3", "another")};
  EXPECT_TRUE(store_->ObserveBatch("maya", twice).status().code() == Status::Code::kAlreadyExists);
  EXPECT_FALSE(store_->GetTurnBySourceId("maya", "D3").ok());
  EXPECT_EQ(store_->ScanTurns("maya")->size(), 1u);
  EXPECT_EQ(store_->GetTurnBySourceId("maya", "D1")->turn.text, first.text);

  // After an Update, the corrected content is the one a retry must match.
  ASSERT_TRUE(store_->Update("maya", "D1", "I went to a support group on Monday.", {}).ok());
  Turn corrected = first;
  corrected.text = "I went to a support group on Monday.";
  auto again = store_->Observe("maya", corrected);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, *seq);
}

}  // namespace
}  // namespace engram
