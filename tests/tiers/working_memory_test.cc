// WorkingMemory: per session, the most recent turns within a turn count and a
// token budget, oldest first, verbatim.
#include "tiers/working_memory.h"

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

std::vector<std::string> Texts(const std::vector<StoredTurn>& turns) {
  std::vector<std::string> out;
  for (const auto& t : turns) out.push_back(t.turn.text);
  return out;
}

// What one turn costs in the budget: text and speaker tokens plus one.
size_t Cost(const Turn& t) { return ApproxTokens(t.text) + ApproxTokens(t.speaker) + 1; }

TEST(WorkingMemoryTest, KeepsTheLastTurnsOldestFirst) {
  WorkingMemory wm(/*max_turns=*/3, /*max_tokens=*/10000);
  for (int i = 1; i <= 5; ++i) wm.Add(i, MakeTurn("s1", "Ann", "turn " + std::to_string(i)));
  std::vector<StoredTurn> turns = wm.Session("tenant-a", "s1");
  EXPECT_THAT(Texts(turns), ElementsAre("turn 3", "turn 4", "turn 5"));
  ASSERT_EQ(turns.size(), 3u);
  EXPECT_EQ(turns[0].seq, 3u);
  EXPECT_EQ(turns[2].seq, 5u);
  EXPECT_EQ(turns[0].tenant, "tenant-a");
  // Verbatim: every field of the turn as it was added.
  EXPECT_EQ(turns[2].turn.speaker, "Ann");
  EXPECT_EQ(turns[2].turn.session, "s1");
  EXPECT_EQ(turns[2].turn.source_id, "s1:turn 5");
  EXPECT_EQ(turns[2].turn.time_ms, 1683504000000LL);
}

TEST(WorkingMemoryTest, FewerTurnsThanTheLimitAreAllKept) {
  WorkingMemory wm(12, 1024);
  wm.Add(1, MakeTurn("s", "Ann", "hello"));
  wm.Add(2, MakeTurn("s", "Bob", "hi"));
  EXPECT_THAT(Texts(wm.Session("t", "s")), ElementsAre("hello", "hi"));
}

TEST(WorkingMemoryTest, TokenBudgetDropsTheOldestTurns) {
  const Turn a = MakeTurn("s", "Ann", std::string(40, 'a'));  // 10 + 1 + 1 = 12 tokens
  const Turn b = MakeTurn("s", "Bob", std::string(40, 'b'));
  const Turn c = MakeTurn("s", "Ann", std::string(40, 'c'));
  ASSERT_EQ(Cost(a), 12u);
  {
    WorkingMemory wm(100, /*max_tokens=*/24);  // room for exactly two
    wm.Add(1, a);
    wm.Add(2, b);
    EXPECT_EQ(wm.Session("t", "s").size(), 2u);
    wm.Add(3, c);
    EXPECT_THAT(Texts(wm.Session("t", "s")), ElementsAre(b.text, c.text));
  }
  {
    WorkingMemory wm(100, /*max_tokens=*/23);  // one token short of two
    wm.Add(1, a);
    wm.Add(2, b);
    EXPECT_THAT(Texts(wm.Session("t", "s")), ElementsAre(b.text));
  }
}

TEST(WorkingMemoryTest, NewestTurnStaysEvenWhenItAloneIsOverTheBudget) {
  WorkingMemory wm(10, /*max_tokens=*/5);
  wm.Add(1, MakeTurn("s", "Ann", "short"));
  wm.Add(2, MakeTurn("s", "Bob", std::string(400, 'x')));
  EXPECT_THAT(Texts(wm.Session("t", "s")), ElementsAre(std::string(400, 'x')));
  // ...and it makes room again once a small turn follows.
  wm.Add(3, MakeTurn("s", "Ann", "ok"));
  EXPECT_THAT(Texts(wm.Session("t", "s")), ElementsAre("ok"));
}

TEST(WorkingMemoryTest, BothLimitsApplyTogether) {
  WorkingMemory wm(/*max_turns=*/3, /*max_tokens=*/30);
  for (int i = 0; i < 3; ++i) wm.Add(i + 1, MakeTurn("s", "A", "tiny " + std::to_string(i)));  // 4 tokens each
  EXPECT_EQ(wm.Session("t", "s").size(), 3u) << "the turn count binds first";
  wm.Add(4, MakeTurn("s", "A", std::string(80, 'y')));  // 22 tokens: with two tiny ones 30, with three over
  EXPECT_THAT(Texts(wm.Session("t", "s")), ElementsAre("tiny 1", "tiny 2", std::string(80, 'y')));
  wm.Add(5, MakeTurn("s", "A", std::string(20, 'z')));  // 7 tokens: 4 + 22 + 7 > 30, 22 + 7 fits
  EXPECT_THAT(Texts(wm.Session("t", "s")), ElementsAre(std::string(80, 'y'), std::string(20, 'z')));
}

TEST(WorkingMemoryTest, SessionsAreSeparate) {
  WorkingMemory wm(2, 1000);
  wm.Add(1, MakeTurn("s1", "Ann", "one"));
  wm.Add(2, MakeTurn("s2", "Ann", "two"));
  wm.Add(3, MakeTurn("s1", "Bob", "three"));
  wm.Add(4, MakeTurn("s1", "Ann", "four"));
  wm.Add(5, MakeTurn("s2", "Bob", "five"));
  EXPECT_EQ(wm.latest_session(), "s2");
  // s1's limit of two dropped "one"; s2 still holds both of its turns.
  EXPECT_THAT(Texts(wm.Session("t", "s1")), ElementsAre("three", "four"));
  EXPECT_THAT(Texts(wm.Session("t", "s2")), ElementsAre("two", "five"));
  EXPECT_THAT(wm.Session("t", "unknown"), IsEmpty());
  wm.Add(6, MakeTurn("", "Ann", "default session"));
  EXPECT_THAT(Texts(wm.Session("t", "")), ElementsAre("default session"));
  EXPECT_EQ(wm.latest_session(), "");

  wm.Clear();
  EXPECT_THAT(wm.Session("t", "s1"), IsEmpty());
  EXPECT_EQ(wm.latest_session(), "");
}

}  // namespace
}  // namespace engram
