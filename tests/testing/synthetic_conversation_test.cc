// Tests of the synthetic conversation generator: what the tests and the
// scale benchmark that use it rely on (same seed, same turns; exact sizes;
// sessions and time order; enough variety that indexes see realistic text;
// probes that point at the turns stating the fact).
#include "testing/synthetic_conversation.h"

#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace engram::testing {
namespace {

SyntheticConversation Make(size_t turns, uint64_t seed = 7) {
  GeneratorOptions options;
  options.turns = turns;
  options.seed = seed;
  return GenerateConversation(options);
}

TEST(SyntheticConversationTest, SameSeedSameConversation) {
  auto a = Make(500, 3), b = Make(500, 3);
  ASSERT_EQ(a.turns.size(), b.turns.size());
  for (size_t i = 0; i < a.turns.size(); ++i) {
    EXPECT_EQ(a.turns[i].text, b.turns[i].text);
    EXPECT_EQ(a.turns[i].speaker, b.turns[i].speaker);
    EXPECT_EQ(a.turns[i].time_ms, b.turns[i].time_ms);
    EXPECT_EQ(a.turns[i].source_id, b.turns[i].source_id);
  }
  EXPECT_EQ(a.speakers, b.speakers);
  ASSERT_EQ(a.probes.size(), b.probes.size());
}

TEST(SyntheticConversationTest, PinnedFirstTurnIsTheSameOnEveryMachine) {
  auto c = Make(20, 1);
  // Changing the vocabulary or the generator changes this; benchmarks
  // compare figures across versions only when it stays the same.
  EXPECT_EQ(c.turns[0].source_id, "D1:1");
  EXPECT_EQ(c.turns[0].session, "session_1");
  EXPECT_EQ(c.turns[0].time_ms, GeneratorOptions{}.start_ms);
  EXPECT_EQ(c.speakers.size(), 2u);
  EXPECT_EQ(c.turns[0].text + "|" + c.speakers[0] + "|" + c.speakers[1],
            "Hi Cyrus, long time no talk. How was your week?|Quinn|Cyrus");
}

TEST(SyntheticConversationTest, DifferentSeedsDifferentConversations) {
  auto a = Make(200, 1), b = Make(200, 2);
  size_t same = 0;
  for (size_t i = 0; i < a.turns.size(); ++i) same += a.turns[i].text == b.turns[i].text;
  EXPECT_LT(same, a.turns.size() / 4);
}

TEST(SyntheticConversationTest, ExactlyTheRequestedTurns) {
  for (size_t n : {1u, 15u, 37u, 1000u}) EXPECT_EQ(Make(n).turns.size(), n);
  EXPECT_TRUE(Make(0).turns.empty());
}

TEST(SyntheticConversationTest, TwoSpeakersAlternateInSessionsOf15To25Turns) {
  auto c = Make(2000);
  ASSERT_EQ(c.speakers.size(), 2u);
  EXPECT_NE(c.speakers[0], c.speakers[1]);
  std::map<std::string, size_t> per_session;
  std::vector<std::string> order;
  for (size_t i = 0; i < c.turns.size(); ++i) {
    const Turn& t = c.turns[i];
    EXPECT_TRUE(t.speaker == c.speakers[0] || t.speaker == c.speakers[1]) << t.speaker;
    if (per_session[t.session]++ == 0) order.push_back(t.session);
    if (i > 0 && c.turns[i - 1].session == t.session) {
      EXPECT_NE(c.turns[i - 1].speaker, t.speaker);
    }
  }
  ASSERT_GE(order.size(), 2000u / 25u);
  for (size_t s = 0; s + 1 < order.size(); ++s) {  // the last session may be cut short
    EXPECT_GE(per_session[order[s]], 15u) << order[s];
    EXPECT_LE(per_session[order[s]], 25u) << order[s];
  }
}

TEST(SyntheticConversationTest, TimesIncreaseAndSessionsAreDaysApart) {
  auto c = Make(1000);
  for (size_t i = 1; i < c.turns.size(); ++i) {
    const Turn& prev = c.turns[i - 1];
    const Turn& t = c.turns[i];
    EXPECT_GT(t.time_ms, prev.time_ms) << t.source_id;
    if (t.session != prev.session) {
      EXPECT_GE(t.time_ms - prev.time_ms, 20 * 3'600'000) << t.source_id;
    } else {
      EXPECT_LE(t.time_ms - prev.time_ms, 3 * 60'000) << t.source_id;
    }
  }
}

TEST(SyntheticConversationTest, VarietyOfSentencesAndVocabulary) {
  EXPECT_GE(SyntheticTemplateCount(), 60u);
  EXPECT_GE(SyntheticEntityCount(), 300u);
  auto c = Make(5000);
  std::set<std::string> distinct;
  for (const auto& t : c.turns) {
    distinct.insert(t.text);
    EXPECT_EQ(t.text.find('{'), std::string::npos) << "unfilled slot in: " << t.text;
  }
  // Most turns are unique (0.60 at seed 7): an index sees many different
  // texts, not a few repeated ones.
  EXPECT_GT(static_cast<double>(distinct.size()) / c.turns.size(), 0.55) << distinct.size();
}

TEST(SyntheticConversationTest, ProbesPointAtTheTurnsThatStateTheFact) {
  auto c = Make(3000);
  ASSERT_GE(c.probes.size(), 20u);
  std::map<std::string, const Turn*> by_id;
  for (const auto& t : c.turns) by_id[t.source_id] = &t;
  size_t moves = 0, jobs = 0;
  for (const auto& p : c.probes) {
    ASSERT_FALSE(p.source_ids.empty()) << p.question;
    for (const auto& id : p.source_ids) {
      ASSERT_TRUE(by_id.count(id)) << id;
      const Turn& t = *by_id[id];
      EXPECT_NE(p.question.find(t.speaker), std::string::npos) << p.question << " / " << t.text;
      if (t.text.find("I moved to ") != std::string::npos) {
        ++moves;
        // "When did X move to Lisbon?" is answered by "I moved to Lisbon ...".
        std::string city = p.question.substr(p.question.find(" move to ") + 9);
        city.pop_back();
        EXPECT_NE(t.text.find("moved to " + city), std::string::npos) << p.question << " / " << t.text;
      }
      if (t.text.find("I started working at ") != std::string::npos) ++jobs;
    }
  }
  EXPECT_GT(moves, 0u);
  EXPECT_GT(jobs, 0u);
}

}  // namespace
}  // namespace engram::testing
