// The category lexicon (WordNet's format, read from the tiny dictionary in
// tests/data/wordnet) and the reading of list questions.
#include "router/aggregation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "common/category_lexicon.h"

namespace engram {
namespace {

using ::testing::Pair;
using ::testing::UnorderedElementsAre;

std::string FixtureDir() { return std::string(ENGRAM_TEST_DATA_DIR) + "/wordnet"; }

TEST(CategoryLexiconTest, MembersAreTheHyponymsOfTheCategory) {
  CategoryLexicon lexicon(FixtureDir());
  ASSERT_TRUE(lexicon.Load().ok()) << lexicon.Load().ToString();
  auto activities = lexicon.Members("activities");
  ASSERT_NE(activities, nullptr);
  EXPECT_EQ(activities->category, "activity");
  EXPECT_TRUE(activities->nouns.count("swimming"));
  // A pastime said as a verb: "kayaking" is the verb kayak (verb.motion).
  EXPECT_THAT(activities->gerunds, testing::Contains(Pair("kayaking", "kayak")));
  // Too general to be an item of a list.
  EXPECT_FALSE(activities->nouns.count("activity"));
  EXPECT_FALSE(activities->gerunds.count("going"));

  auto cities = lexicon.Members("cities");  // an irregular plural, from noun.exc
  ASSERT_NE(cities, nullptr);
  EXPECT_TRUE(cities->nouns.count("paris"));  // an instance of city

  auto instruments = lexicon.Members("instruments");
  ASSERT_NE(instruments, nullptr);
  EXPECT_THAT(instruments->nouns, UnorderedElementsAre("violin", "fiddle", "musical_instrument"));
  EXPECT_EQ(lexicon.Members("violins")->nouns.size(), 2u);  // a category without members but itself
}

TEST(CategoryLexiconTest, MatchesCompoundsPluralsAndGerunds) {
  CategoryLexicon lexicon(FixtureDir());
  auto instruments = lexicon.Members("instrument");
  ASSERT_NE(instruments, nullptr);
  std::vector<std::string> words = {"a", "musical", "instrument", "and", "two", "violins"};
  EXPECT_EQ(instruments->MatchAt(words, 1), "musical_instrument");
  EXPECT_EQ(instruments->MatchAt(words, 5), "violin");
  EXPECT_EQ(instruments->MatchAt(words, 0), "");
  auto activities = lexicon.Members("activity");
  std::vector<std::string> trip = {"we", "went", "kayaking"};
  EXPECT_EQ(activities->MatchAt(trip, 2), "kayak");
  EXPECT_EQ(activities->MatchAt(trip, 1), "");
}

TEST(CategoryLexiconTest, RelatedLemmasAreSynonymsRelatedFormsAndCategoryMembers) {
  CategoryLexicon lexicon(FixtureDir());
  // A generic noun: the members of the category it names ("instrument" is
  // a device in its only sense here, but a known category of music), never
  // the word itself.
  EXPECT_THAT(lexicon.RelatedLemmas("instruments"), UnorderedElementsAre("violin", "fiddle", "musical_instrument"));
  // A synonym and a derivationally related form ('+' from "violin").
  EXPECT_THAT(lexicon.RelatedLemmas("violin"), UnorderedElementsAre("fiddle", "violinist"));
  // The related form is of "violin", not of its synonym "fiddle".
  EXPECT_THAT(lexicon.RelatedLemmas("Fiddles"), UnorderedElementsAre("violin"));
  // Not expanded: a verb (verbs' synonyms match turns about anything),
  // words WordNet lacks, words too general to say what they mean.
  EXPECT_THAT(lexicon.RelatedLemmas("kayaking"), testing::IsEmpty());
  EXPECT_THAT(lexicon.RelatedLemmas("atlantis"), testing::IsEmpty());
  EXPECT_THAT(lexicon.RelatedLemmas("activity"), testing::Not(testing::Contains("activity")));
  EXPECT_THAT(lexicon.RelatedLemmas("time"), testing::IsEmpty());
  EXPECT_THAT(CategoryLexicon("/nonexistent/wordnet").RelatedLemmas("instruments"), testing::IsEmpty());
}

TEST(CategoryLexiconTest, ANameIsOnlyAPlaceWhenEverySenseIsALocation) {
  CategoryLexicon lexicon(FixtureDir());
  EXPECT_TRUE(lexicon.NamesOnlyPlaces("Paris"));
  // Case, Latin accents and spaces do not matter.
  EXPECT_TRUE(lexicon.NamesOnlyPlaces("São Paulo"));
  EXPECT_TRUE(lexicon.NamesOnlyPlaces("sao paulo"));
  // A city and a queen: a person is as likely.
  EXPECT_FALSE(lexicon.NamesOnlyPlaces("Victoria"));
  EXPECT_FALSE(lexicon.NamesOnlyPlaces("Identity"));  // not a location
  EXPECT_FALSE(lexicon.NamesOnlyPlaces("Atlantis"));  // unknown
  EXPECT_FALSE(lexicon.NamesOnlyPlaces(""));
  EXPECT_FALSE(CategoryLexicon("/nonexistent/wordnet").NamesOnlyPlaces("Paris"));
}

TEST(CategoryLexiconTest, MissingFilesLeaveTheLexiconEmpty) {
  CategoryLexicon lexicon("/nonexistent/wordnet");
  Status s = lexicon.Load();
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_THAT(s.ToString(), testing::HasSubstr("/nonexistent/wordnet/index.noun"));
  EXPECT_FALSE(lexicon.available());
  EXPECT_EQ(lexicon.Members("activities"), nullptr);
  EXPECT_EQ(lexicon.NounLemma("cities"), "");
  EXPECT_EQ(ReadListQuestion("What activities does Melanie do?", {"Melanie"}, lexicon).members, nullptr);
}

TEST(ListQuestionTest, PluralCategoryNounsAskForAList) {
  CategoryLexicon lexicon(FixtureDir());
  const std::vector<std::string> targets = {"Melanie"};
  auto list = ReadListQuestion("What activities does Melanie do?", targets, lexicon);
  ASSERT_NE(list.members, nullptr);
  EXPECT_EQ(list.noun, "activities");
  EXPECT_NE(ReadListQuestion("What sports has Melanie tried?", targets, lexicon).members, nullptr);
  EXPECT_NE(ReadListQuestion("What are some of Melanie's activities?", targets, lexicon).members, nullptr);
  EXPECT_NE(ReadListQuestion("What kinds of sport does Melanie like?", targets, lexicon).members, nullptr);
  EXPECT_NE(ReadListQuestion("Which city has Melanie visited?", targets, lexicon).members, nullptr);
  EXPECT_NE(ReadListQuestion("What instruments does Melanie play?", targets, lexicon).members, nullptr);
}

TEST(ListQuestionTest, OtherQuestionsAskForNoList) {
  CategoryLexicon lexicon(FixtureDir());
  const std::vector<std::string> targets = {"Melanie"};
  EXPECT_EQ(ReadListQuestion("What is Melanie's identity?", targets, lexicon).members, nullptr);
  EXPECT_EQ(ReadListQuestion("What did Melanie do at the lake?", targets, lexicon).members, nullptr);
  EXPECT_EQ(ReadListQuestion("When did Melanie go swimming?", targets, lexicon).members, nullptr);
  EXPECT_EQ(ReadListQuestion("How many times has Melanie been to Paris?", targets, lexicon).members, nullptr);
  EXPECT_EQ(ReadListQuestion("What type of sport does Melanie like best?", targets, lexicon).members, nullptr);
}

TEST(ListQuestionTest, EachDistinctItemIsCreditedOnceToItsBestRankedTurn) {
  std::vector<ItemTurn> turns = {{DocId(1, 0), {"swimming"}},
                                 {DocId(2, 0), {"swimming", "kayak"}},
                                 {DocId(3, 0), {"kayak"}},
                                 {DocId(4, 0), {"violin"}}};
  // Rank: turn 3 best, then 1, then 2, then 4.
  auto rank_of = [](uint64_t id) {
    switch (DocSeq(id)) {
      case 3: return size_t{0};
      case 1: return size_t{1};
      case 2: return size_t{2};
      default: return size_t{3};
    }
  };
  auto credit = CreditDistinctItems(turns, rank_of, 10);
  EXPECT_THAT(credit, UnorderedElementsAre(Pair(DocId(3, 0), 1.0f), Pair(DocId(1, 0), 1.0f),
                                           Pair(DocId(4, 0), 1.0f)));
  EXPECT_EQ(CreditDistinctItems(turns, rank_of, 1).size(), 1u);
}

}  // namespace
}  // namespace engram
