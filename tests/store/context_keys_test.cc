// Context keys through the public Store API: a short reply is found by the
// words of the question it answers, its text is shown unchanged, a turn that
// matches on its own is not buried by it, and all of it holds after the
// store is closed and reopened (the keys are derived from the log).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engram/store.h"
#include "testing/temp_dir.h"
#include "testing/test_embedder.h"

namespace engram {
namespace {

constexpr char kTenant[] = "alice-bob";

class ContextKeysTest : public ::testing::Test {
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

  void Say(const std::string& session, const std::string& speaker, const std::string& text, const std::string& id) {
    Turn t;
    t.session = session;
    t.speaker = speaker;
    t.text = text;
    t.time_ms = 1700000000000 + static_cast<TimeMs>(turns_.size()) * 60000;
    t.source_id = id;
    turns_.push_back(t);
  }

  void AddConversation() {
    Say("s1", "Bob", "Hi Alice! How long do you practise the cello each day?", "D1:1");
    Say("s1", "Alice", "Usually for about an hour.", "D1:2");
    Say("s1", "Bob", "Nice. I went hiking near the lake yesterday.", "D1:3");
    Say("s1", "Alice", "Lovely, I baked bread this morning.", "D1:4");
    Say("s2", "Alice", "My sister lent me her old bicycle.", "D2:1");
    Say("s2", "Bob", "Was it in good shape?", "D2:2");
    Say("s2", "Alice", "Mostly, the brakes needed work.", "D2:3");
    Say("s2", "Bob", "Good to hear.", "D2:4");
    Say("s2", "Alice", "Oh, and the cello teacher says I practise the cello too little each day.", "D2:5");
    ASSERT_TRUE(store_->ObserveBatch(kTenant, turns_).ok());
  }

  // Alice's turns for the question, best first.
  std::vector<Hit> AskAboutAlice(const std::string& question) {
    RecallOptions o;
    o.k = 5;
    o.speaker = "Alice";  // the question turn itself is not a candidate
    auto r = store_->Recall(kTenant, question, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->hits : std::vector<Hit>{};
  }

  static size_t Rank(const std::vector<Hit>& hits, const std::string& id) {
    for (size_t i = 0; i < hits.size(); ++i) {
      if (hits[i].source_ids.front() == id) return i;
    }
    return hits.size();
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::vector<Turn> turns_;
};

TEST_F(ContextKeysTest, AShortAnswerIsFoundByTheWordsOfItsQuestion) {
  AddConversation();
  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "as written" : "after reopening");
    auto hits = AskAboutAlice("How long does Alice practise the cello each day?");
    // D2:5 says it all in its own words and stays first; the short answer,
    // which shares no word with the question, comes right after it.
    ASSERT_GE(hits.size(), 2u);
    EXPECT_EQ(hits[0].source_ids.front(), "D2:5");
    EXPECT_EQ(hits[1].source_ids.front(), "D1:2");
    // Shown as said, and explained by its question's match.
    EXPECT_EQ(hits[1].text, "Usually for about an hour.");
    ASSERT_TRUE(hits[1].signals.count("context_key"));
    EXPECT_GT(hits[1].signals.at("context_key"), 0.0f);
    EXPECT_EQ(hits[0].signals.count("context_key"), 0u);  // it follows no question
    Reopen();
  }
  // Without the keys nothing in the answer matches: it falls behind.
  RecallOptions o;
  o.k = 5;
  o.speaker = "Alice";
  o.weights["context_key"] = 0.0f;
  auto r = store_->Recall(kTenant, "How long does Alice practise the cello each day?", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(Rank(r->hits, "D1:2"), 1u);
}

TEST_F(ContextKeysTest, OnlyARepliesToAnotherSpeakersQuestionGetAKey) {
  AddConversation();
  // D2:3 answers Bob's "Was it in good shape?"; D2:1 starts a session and
  // D2:5 follows a statement: neither is found by the words of D2:2.
  auto hits = AskAboutAlice("Was the bicycle in good shape?");
  ASSERT_LT(Rank(hits, "D2:3"), hits.size());
  EXPECT_GT(hits[Rank(hits, "D2:3")].signals.count("context_key"), 0u);
  for (const auto& h : hits) {
    if (h.source_ids.front() != "D2:3") EXPECT_EQ(h.signals.count("context_key"), 0u) << h.source_ids.front();
  }
  // The plain fusion route does not use the keys.
  RecallOptions o;
  o.route = "hybrid";
  o.speaker = "Alice";
  auto r = store_->Recall(kTenant, "Was the bicycle in good shape?", o);
  ASSERT_TRUE(r.ok());
  for (const auto& h : r->hits) EXPECT_EQ(h.signals.count("context_key"), 0u);
}

}  // namespace
}  // namespace engram
