#include "common/closest_names.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace engram {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(EditDistanceTest, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
  EXPECT_EQ(EditDistance("recall", "recall"), 0u);
  EXPECT_EQ(EditDistance("recal", "recall"), 1u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("flaw", "lawn"), 2u);
  EXPECT_EQ(EditDistance("maya", "mayo"), 1u);
}

const std::vector<std::string> kCommands = {"ingest", "stats", "export", "forget", "recall",
                                            "profile", "graph", "embed", "summaries", "rebuild",
                                            "reindex", "eval"};

TEST(ClosestNamesTest, SuggestsTheNearestCommandForATypo) {
  EXPECT_THAT(ClosestNames("recal", kCommands), ElementsAre("recall"));
  EXPECT_THAT(ClosestNames("ingets", kCommands), ElementsAre("ingest"));
  EXPECT_THAT(ClosestNames("stat", kCommands), ElementsAre("stats"));
  EXPECT_THAT(ClosestNames("sumaries", kCommands), ElementsAre("summaries"));
}

TEST(ClosestNamesTest, NearestComeFirstAndTheListIsCapped) {
  const std::vector<std::string> tenants = {"mayor", "maya", "mia", "max", "maia"};
  std::vector<std::string> got = ClosestNames("mayaa", tenants);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.front(), "maya");
  EXPECT_LE(got.size(), 3u);
  EXPECT_THAT(ClosestNames("maya", {"maya1", "maya2", "maya3", "maya4"}, 2), ElementsAre("maya1", "maya2"));
}

TEST(ClosestNamesTest, NothingCloseGivesNoSuggestion) {
  EXPECT_THAT(ClosestNames("zzzzzz", kCommands), IsEmpty());
  EXPECT_THAT(ClosestNames("x", {}), IsEmpty());
  EXPECT_THAT(ClosestNames("recall", {"recall"}), IsEmpty()) << "an exact match is not a suggestion";
}

}  // namespace
}  // namespace engram
