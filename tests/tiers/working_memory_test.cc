// WorkingMemory: per session, the most recent turns within a turn count and a
// token budget, oldest first.
#include "tiers/working_memory.h"

#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/utf8.h"

namespace engram {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Turn MakeTurn(std::string session, std::string speaker, std::string text) {
  Turn t;
  t.session = std::move(session);
  t.speaker = std::move(speaker);
  t.text = std::move(text);
  t.time_ms = 1683504000000LL;
  t.source_id = t.session + ":" + t.text;
  return t;
}

// A WorkingMemory with the turns it was given, to show their texts.
class Recorded {
 public:
  Recorded(size_t max_turns, size_t max_tokens) : wm_(max_turns, max_tokens) {}
  void Add(uint64_t seq, const Turn& turn) {
    turns_[seq] = turn;
    wm_.Add(seq, turn);
  }
  std::vector<std::string> Texts(const std::string& session) const {
    std::vector<std::string> out;
    for (uint64_t seq : wm_.Recent(session)) out.push_back(turns_.at(seq).text);
    return out;
  }
  WorkingMemory& wm() { return wm_; }

 private:
  WorkingMemory wm_;
  std::map<uint64_t, Turn> turns_;
};

// What one turn costs in the budget: text and speaker tokens plus one.
size_t Cost(const Turn& t) { return ApproxTokens(t.text) + ApproxTokens(t.speaker) + 1; }

TEST(WorkingMemoryTest, KeepsTheLastTurnsOldestFirst) {
  WorkingMemory wm(/*max_turns=*/3, /*max_tokens=*/10000);
  for (int i = 1; i <= 5; ++i) wm.Add(i, MakeTurn("s1", "Ann", "turn " + std::to_string(i)));
  EXPECT_THAT(wm.Recent("s1"), ElementsAre(3u, 4u, 5u));
  EXPECT_EQ(WorkingMemory::Cost(MakeTurn("s", "Ann", "turn 1")), Cost(MakeTurn("s", "Ann", "turn 1")));
}

TEST(WorkingMemoryTest, FewerTurnsThanTheLimitAreAllKept) {
  Recorded wm(12, 1024);
  wm.Add(1, MakeTurn("s", "Ann", "hello"));
  wm.Add(2, MakeTurn("s", "Bob", "hi"));
  EXPECT_THAT(wm.Texts("s"), ElementsAre("hello", "hi"));
}

TEST(WorkingMemoryTest, TokenBudgetDropsTheOldestTurns) {
  const Turn a = MakeTurn("s", "Ann", std::string(40, 'a'));  // 10 + 1 + 1 = 12 tokens
  const Turn b = MakeTurn("s", "Bob", std::string(40, 'b'));
  const Turn c = MakeTurn("s", "Ann", std::string(40, 'c'));
  ASSERT_EQ(Cost(a), 12u);
  {
    Recorded wm(100, /*max_tokens=*/24);  // room for exactly two
    wm.Add(1, a);
    wm.Add(2, b);
    EXPECT_EQ(wm.Texts("s").size(), 2u);
    wm.Add(3, c);
    EXPECT_THAT(wm.Texts("s"), ElementsAre(b.text, c.text));
  }
  {
    Recorded wm(100, /*max_tokens=*/23);  // one token short of two
    wm.Add(1, a);
    wm.Add(2, b);
    EXPECT_THAT(wm.Texts("s"), ElementsAre(b.text));
  }
}

TEST(WorkingMemoryTest, NewestTurnStaysEvenWhenItAloneIsOverTheBudget) {
  Recorded wm(10, /*max_tokens=*/5);
  wm.Add(1, MakeTurn("s", "Ann", "short"));
  wm.Add(2, MakeTurn("s", "Bob", std::string(400, 'x')));
  EXPECT_THAT(wm.Texts("s"), ElementsAre(std::string(400, 'x')));
  // ...and it makes room again once a small turn follows.
  wm.Add(3, MakeTurn("s", "Ann", "ok"));
  EXPECT_THAT(wm.Texts("s"), ElementsAre("ok"));
}

TEST(WorkingMemoryTest, BothLimitsApplyTogether) {
  Recorded wm(/*max_turns=*/3, /*max_tokens=*/30);
  for (int i = 0; i < 3; ++i) wm.Add(i + 1, MakeTurn("s", "A", "tiny " + std::to_string(i)));  // 4 tokens each
  EXPECT_EQ(wm.Texts("s").size(), 3u) << "the turn count binds first";
  wm.Add(4, MakeTurn("s", "A", std::string(80, 'y')));  // 22 tokens: with two tiny ones 30, with three over
  EXPECT_THAT(wm.Texts("s"), ElementsAre("tiny 1", "tiny 2", std::string(80, 'y')));
  wm.Add(5, MakeTurn("s", "A", std::string(20, 'z')));  // 7 tokens: 4 + 22 + 7 > 30, 22 + 7 fits
  EXPECT_THAT(wm.Texts("s"), ElementsAre(std::string(80, 'y'), std::string(20, 'z')));
}

TEST(WorkingMemoryTest, SessionsAreSeparate) {
  Recorded wm(2, 1000);
  wm.Add(1, MakeTurn("s1", "Ann", "one"));
  wm.Add(2, MakeTurn("s2", "Ann", "two"));
  wm.Add(3, MakeTurn("s1", "Bob", "three"));
  wm.Add(4, MakeTurn("s1", "Ann", "four"));
  wm.Add(5, MakeTurn("s2", "Bob", "five"));
  EXPECT_EQ(wm.wm().latest_session(), "s2");
  // s1's limit of two dropped "one"; s2 still holds both of its turns.
  EXPECT_THAT(wm.Texts("s1"), ElementsAre("three", "four"));
  EXPECT_THAT(wm.Texts("s2"), ElementsAre("two", "five"));
  EXPECT_THAT(wm.Texts("unknown"), IsEmpty());
  wm.Add(6, MakeTurn("", "Ann", "default session"));
  EXPECT_THAT(wm.Texts(""), ElementsAre("default session"));
  EXPECT_EQ(wm.wm().latest_session(), "");

  wm.wm().Clear();
  EXPECT_THAT(wm.Texts("s1"), IsEmpty());
  EXPECT_EQ(wm.wm().latest_session(), "");
}

}  // namespace
}  // namespace engram
