// Memory that stays true: after facts change, the packed context for a
// question about now leads with the current value and labels superseded
// values with when they ended; a question about the past gets the value
// valid then. A conversation of our own, through the public API.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

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
using ::testing::Not;

struct Line {
  const char* when;
  const char* speaker;
  const char* text;
};

// Maya moves twice, changes job, adopts a dog and turns vegan.
const Line kConversation[] = {
    {"2023-03-04T10:00:00Z", "Maya", "Hi Sam! I live in Denver now, close to the river."},
    {"2023-03-04T10:01:00Z", "Sam", "Nice, how is work going?"},
    {"2023-03-04T10:02:00Z", "Maya", "I work as a nurse at the county hospital."},
    {"2023-03-04T10:03:00Z", "Sam", "Do you still eat meat?"},
    {"2023-03-04T10:04:00Z", "Maya", "Yes, I love a good steak."},
    {"2023-09-12T18:00:00Z", "Maya", "Big news: I moved to Boulder last week."},
    {"2023-09-12T18:01:00Z", "Sam", "Wow, congratulations! Is the commute okay?"},
    {"2023-09-12T18:02:00Z", "Maya", "It's fine. I adopted a dog named Pixel too."},
    {"2024-02-20T09:00:00Z", "Maya", "I am a teacher now, I quit the hospital in January."},
    {"2024-02-20T09:01:00Z", "Sam", "That is a big change."},
    {"2024-06-02T20:00:00Z", "Maya", "I became vegan this spring and I feel great."},
    {"2024-08-15T08:00:00Z", "Maya", "We moved to Lakewood, the house has a garden for Pixel."},
    {"2024-08-15T08:01:00Z", "Sam", "Lakewood is lovely, I visited it once."},
};

class CurrentFactsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.embedder = std::make_shared<testing::TestEmbedder>();
    auto store = Store::Open(options, dir_.path() + "/s");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    int i = 0;
    for (const Line& l : kConversation) {
      Turn t;
      t.session = std::string("S") + std::string(l.when).substr(0, 7);
      t.speaker = l.speaker;
      t.text = l.text;
      auto when = ParseIsoTime(l.when);
      ASSERT_TRUE(when.ok());
      t.time_ms = *when;
      t.source_id = "D" + std::to_string(++i);
      ASSERT_TRUE(store_->Observe("maya", t).ok());
    }
  }

  // The persona lines of the context, in order.
  std::vector<std::string> PersonaLines(const std::string& question) {
    auto ctx = store_->RecallContext("maya", question, 400, RecallOptions{});
    EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
    std::vector<std::string> out;
    if (!ctx.ok()) return out;
    for (const auto& s : ctx->sections) {
      if (s.name != "persona") continue;
      for (const auto& h : s.items) out.push_back(h.text);
    }
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(CurrentFactsTest, WhereDoesSheLiveNowLeadsWithTheCurrentTown) {
  auto profile = store_->Profile("maya", "Maya", 0, true);
  ASSERT_TRUE(profile.ok());
  std::string all;
  for (const auto& f : *profile) all += f.attribute + "=" + f.value + (f.valid_to_ms ? " (closed)" : "") + "; ";
  auto lines = PersonaLines("Where does Maya live now?");
  ASSERT_FALSE(lines.empty()) << all;
  EXPECT_THAT(lines.front(), HasSubstr("Lakewood")) << all;
  EXPECT_THAT(lines.front(), HasSubstr("since 2024-08-15"));
  for (const auto& l : lines) {
    if (l.find("Denver") != std::string::npos || l.find("Boulder") != std::string::npos) {
      EXPECT_THAT(l, HasSubstr("no longer true")) << l;
    }
  }
}

// A question about now reads the recalled turns newest first, so a later
// statement of a change comes before what it changed; a question about the
// past keeps them in relevance order.
TEST_F(CurrentFactsTest, AQuestionAboutNowReadsTheEvidenceNewestFirst) {
  for (const char* question : {"Where does Maya live now?", "What does Maya do for work these days?"}) {
    auto ctx = store_->RecallContext("maya", question, 400, RecallOptions{});
    ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
    const ContextSection* evidence = nullptr;
    for (const auto& s : ctx->sections) {
      if (s.name == "evidence") evidence = &s;
    }
    ASSERT_NE(evidence, nullptr) << question;
    ASSERT_GE(evidence->items.size(), 2u) << question;
    for (size_t i = 1; i < evidence->items.size(); ++i) {
      EXPECT_GE(evidence->items[i - 1].time_ms, evidence->items[i].time_ms) << question << " item " << i;
    }
    // The text shows them in the same order.
    size_t at = 0;
    for (const auto& h : evidence->items) {
      size_t found = ctx->text.find(h.text, at);
      ASSERT_NE(found, std::string::npos) << h.text;
      at = found;
    }
  }
}

TEST_F(CurrentFactsTest, AQuestionAboutThePastGetsTheEarlierValue) {
  auto lines = PersonaLines("Where did Maya live before she moved to Lakewood?");
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines.front(), HasSubstr("no longer true"));
  EXPECT_THAT(lines.front(), Not(HasSubstr("Lakewood")));
}

TEST_F(CurrentFactsTest, JobAndDietQuestionsFindTheirFacts) {
  auto job = PersonaLines("What does Maya do for a living these days?");
  ASSERT_FALSE(job.empty());
  EXPECT_THAT(job.front(), HasSubstr("teacher"));
  auto diet = PersonaLines("Is Maya still eating meat?");
  ASSERT_FALSE(diet.empty());
  EXPECT_THAT(diet.front(), HasSubstr("vegan"));
}

TEST_F(CurrentFactsTest, PersonaTierRecallReturnsTheMatchingFactWithSignals) {
  RecallOptions o;
  o.tiers = {Tier::kPersona};
  auto r = store_->Recall("maya", "Where does Maya live now?", o);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->hits.empty());
  EXPECT_THAT(r->hits.front().text, HasSubstr("Lakewood"));
  EXPECT_EQ(r->hits.front().signals.at("match"), 1.0f);
  EXPECT_EQ(r->hits.front().signals.at("current"), 1.0f);
}

}  // namespace
}  // namespace engram

namespace engram {
namespace {

TEST_F(CurrentFactsTest, GraphClosesReplacedRelationsAndShowsThePastAsOf) {
  auto now = store_->Graph("maya", "Maya", 1, 500);
  ASSERT_TRUE(now.ok()) << now.status().ToString();
  std::vector<const Relation*> homes;
  std::string all;
  for (const auto& r : now->relations) {
    all += r.subject + " " + r.relation + " " + r.object + (r.valid_to_ms ? " (closed)" : "") + "; ";
    if (r.subject == "Maya" && r.relation == "lives_in") homes.push_back(&r);
  }
  ASSERT_GE(homes.size(), 2u) << all;
  size_t open = 0;
  for (const Relation* r : homes) {
    if (r->valid_to_ms == 0) {
      ++open;
      EXPECT_EQ(r->object, "Lakewood") << all;
    } else {
      EXPECT_GT(r->valid_to_ms, r->valid_from_ms);
    }
  }
  EXPECT_EQ(open, 1u) << "one place of residence at a time: " << all;

  auto then = ParseIsoTime("2023-06-01T00:00:00Z");
  ASSERT_TRUE(then.ok());
  auto past = store_->Graph("maya", "Maya", 1, 500, *then);
  ASSERT_TRUE(past.ok());
  std::vector<std::string> homes_then;
  for (const auto& r : past->relations) {
    EXPECT_LE(r.time_ms, *then) << "stated after the as-of time: " << r.relation << " " << r.object;
    if (r.subject == "Maya" && r.relation == "lives_in") homes_then.push_back(r.object);
  }
  EXPECT_EQ(homes_then, std::vector<std::string>{"Denver"}) << all;
}

}  // namespace
}  // namespace engram
