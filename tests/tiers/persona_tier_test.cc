// PersonaTier: facts are closed, never deleted; "as of" queries see the
// table as it was at that time.
#include "tiers/persona_tier.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace engram {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr TimeMs kDay = 24LL * 3600 * 1000;
constexpr TimeMs kT1 = 1683504000000LL;  // 2023-05-08
constexpr TimeMs kT2 = kT1 + 30 * kDay;
constexpr TimeMs kT3 = kT1 + 60 * kDay;

PersonaFact Fact(std::string subject, std::string attribute, std::string value, TimeMs from, std::string source,
                 bool negated = false) {
  PersonaFact f;
  f.subject = std::move(subject);
  f.attribute = std::move(attribute);
  f.value = std::move(value);
  f.valid_from_ms = from;
  f.source_ids = {std::move(source)};
  f.negated = negated;
  f.confidence = 0.8f;
  return f;
}

// "attribute=value" of each fact, for compact expectations.
std::vector<std::string> Values(const std::vector<PersonaFact>& facts) {
  std::vector<std::string> out;
  for (const auto& f : facts) out.push_back(f.attribute + "=" + f.value);
  return out;
}

const PersonaFact* Find(const std::vector<PersonaFact>& facts, const std::string& attribute,
                        const std::string& value) {
  for (const auto& f : facts) {
    if (f.attribute == attribute && f.value == value) return &f;
  }
  return nullptr;
}
// The result points into `facts`, so a temporary would leave it dangling.
const PersonaFact* Find(std::vector<PersonaFact>&& facts, const std::string& attribute,
                        const std::string& value) = delete;

TEST(PersonaTierTest, SingleValuedAttributesAreSingleValued) {
  for (const char* a : {"home", "occupation", "works_at", "diet", "relationship_status"}) {
    EXPECT_TRUE(PersonaTier::IsSingleValued(a)) << a;
  }
  for (const char* a : {"likes", "dislikes", "hobby", "pet", "family", "owns"}) {
    EXPECT_FALSE(PersonaTier::IsSingleValued(a)) << a;
  }
}

TEST(PersonaTierTest, KnowledgeUpdateClosesTheOldValueInsteadOfDeletingIt) {
  PersonaTier tier;
  tier.Apply(Fact("Caroline", "home", "Denver", kT1, "D1:1"));
  tier.Apply(Fact("Caroline", "home", "Boston", kT2, "D2:1"));

  // Now: only the new home.
  EXPECT_THAT(Values(tier.Query("Caroline", 0, false)), ElementsAre("home=Boston"));
  // History keeps both, the old one closed exactly when the new one started.
  std::vector<PersonaFact> history = tier.Query("Caroline", 0, true);
  ASSERT_EQ(history.size(), 2u);
  const PersonaFact* denver = Find(history, "home", "Denver");
  const PersonaFact* boston = Find(history, "home", "Boston");
  ASSERT_NE(denver, nullptr);
  ASSERT_NE(boston, nullptr);
  EXPECT_EQ(denver->valid_from_ms, kT1);
  EXPECT_EQ(denver->valid_to_ms, kT2);
  EXPECT_EQ(boston->valid_from_ms, kT2);
  EXPECT_EQ(boston->valid_to_ms, 0);
  EXPECT_THAT(denver->source_ids, ElementsAre("D1:1"));
}

TEST(PersonaTierTest, EverySingleValuedAttributeSupersedes) {
  for (const char* attribute : {"occupation", "works_at", "diet", "relationship_status"}) {
    SCOPED_TRACE(attribute);
    PersonaTier tier;
    tier.Apply(Fact("Mel", attribute, "first", kT1, "a"));
    tier.Apply(Fact("Mel", attribute, "second", kT2, "b"));
    EXPECT_THAT(Values(tier.Query("Mel", 0, false)), ElementsAre(std::string(attribute) + "=second"));
    EXPECT_EQ(tier.Query("Mel", 0, true).size(), 2u);
  }
}

TEST(PersonaTierTest, MultiValuedAttributesAccumulate) {
  PersonaTier tier;
  tier.Apply(Fact("Mel", "likes", "painting", kT1, "a"));
  tier.Apply(Fact("Mel", "likes", "hiking", kT2, "b"));
  tier.Apply(Fact("Mel", "pet", "dog Max", kT2, "c"));
  tier.Apply(Fact("Mel", "pet", "cat Luna", kT3, "d"));
  EXPECT_THAT(Values(tier.Query("Mel", 0, false)),
              ElementsAre("likes=painting", "likes=hiking", "pet=dog Max", "pet=cat Luna"));
}

TEST(PersonaTierTest, AsOfQueriesBeforeBetweenAndAfterChanges) {
  PersonaTier tier;
  tier.Apply(Fact("Caroline", "home", "Denver", kT1, "D1:1"));
  tier.Apply(Fact("Caroline", "home", "Boston", kT2, "D2:1"));
  tier.Apply(Fact("Caroline", "home", "Denver", kT3, "D3:1"));  // moved back: a new fact

  EXPECT_THAT(tier.Query("Caroline", kT1 - 1, false), IsEmpty()) << "before anything was said";
  EXPECT_THAT(Values(tier.Query("Caroline", kT1, false)), ElementsAre("home=Denver"));
  EXPECT_THAT(Values(tier.Query("Caroline", kT2 - 1, false)), ElementsAre("home=Denver"));
  EXPECT_THAT(Values(tier.Query("Caroline", kT2, false)), ElementsAre("home=Boston"));
  EXPECT_THAT(Values(tier.Query("Caroline", kT3 - 1, false)), ElementsAre("home=Boston"));
  EXPECT_THAT(Values(tier.Query("Caroline", kT3, false)), ElementsAre("home=Denver"));
  EXPECT_THAT(Values(tier.Query("Caroline", kT3 + 365 * kDay, false)), ElementsAre("home=Denver"));
  // The second Denver is a fact of its own, not the reopened first one.
  std::vector<PersonaFact> history = tier.Query("Caroline", 0, true);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].valid_to_ms, kT2);
  EXPECT_EQ(history[2].valid_from_ms, kT3);
  EXPECT_EQ(history[2].valid_to_ms, 0);
}

TEST(PersonaTierTest, NegatedFactClosesOnlyTheMatchingOpenFact) {
  PersonaTier tier;
  tier.Apply(Fact("Mel", "hobby", "bouldering", kT1, "a"));
  tier.Apply(Fact("Mel", "hobby", "pottery", kT1, "b"));
  tier.Apply(Fact("Mel", "hobby", "Bouldering", kT2, "c", /*negated=*/true));  // values match case-insensitively

  EXPECT_THAT(Values(tier.Query("Mel", 0, false)), ElementsAre("hobby=pottery"));
  std::vector<PersonaFact> history = tier.Query("Mel", 0, true);
  ASSERT_EQ(history.size(), 2u) << "a negated fact closes; it is not added";
  const PersonaFact* bouldering = Find(history, "hobby", "bouldering");
  ASSERT_NE(bouldering, nullptr);
  EXPECT_EQ(bouldering->valid_to_ms, kT2);
  EXPECT_THAT(bouldering->source_ids, ElementsAre("a", "c")) << "the stopping turn supports the closing";
  EXPECT_THAT(Values(tier.Query("Mel", kT2 - 1, false)), UnorderedElementsAre("hobby=bouldering", "hobby=pottery"));

  // A stop of something never started, or of another attribute, closes nothing.
  tier.Apply(Fact("Mel", "hobby", "chess", kT3, "d", true));
  tier.Apply(Fact("Mel", "likes", "pottery", kT3, "e", true));
  EXPECT_THAT(Values(tier.Query("Mel", 0, false)), ElementsAre("hobby=pottery"));
}

TEST(PersonaTierTest, NegatedFactWithEmptyValueClosesAnyOpenValueOfThatAttribute) {
  // "I quit my job": the extractor knows the attribute, not the employer.
  PersonaTier tier;
  tier.Apply(Fact("Jon", "works_at", "Spotify", kT1, "a"));
  tier.Apply(Fact("Jon", "occupation", "engineer", kT1, "b"));
  tier.Apply(Fact("Ann", "works_at", "Google", kT1, "c"));
  tier.Apply(Fact("Jon", "works_at", "", kT2, "d", /*negated=*/true));

  EXPECT_THAT(Values(tier.Query("Jon", 0, false)), ElementsAre("occupation=engineer"))
      << "only works_at closes, not the other attributes";
  EXPECT_THAT(Values(tier.Query("Ann", 0, false)), ElementsAre("works_at=Google")) << "only Jon's facts close";
  const std::vector<PersonaFact> jon_history = tier.Query("Jon", 0, true);
  const PersonaFact* spotify = Find(jon_history, "works_at", "Spotify");
  ASSERT_NE(spotify, nullptr);
  EXPECT_EQ(spotify->valid_to_ms, kT2);
  EXPECT_THAT(Values(tier.Query("Jon", kT2 - 1, false)), ElementsAre("works_at=Spotify", "occupation=engineer"));
  EXPECT_EQ(tier.Query("Jon", 0, true).size(), 2u) << "the empty negated fact is not added";

  // A multi-valued attribute: every open value closes.
  tier.Apply(Fact("Jon", "hobby", "running", kT2, "e"));
  tier.Apply(Fact("Jon", "hobby", "chess", kT2, "f"));
  tier.Apply(Fact("Jon", "hobby", "", kT3, "g", true));
  EXPECT_THAT(Values(tier.Query("Jon", 0, false)), ElementsAre("occupation=engineer"));

  // A new job after quitting is open again.
  tier.Apply(Fact("Jon", "works_at", "Bakery", kT3 + kDay, "h"));
  EXPECT_THAT(Values(tier.Query("Jon", 0, false)), ElementsAre("occupation=engineer", "works_at=Bakery"));
}

TEST(PersonaTierTest, LikesAndDislikesOfTheSameValueContradict) {
  PersonaTier tier;
  tier.Apply(Fact("Mel", "likes", "jazz", kT1, "a"));
  tier.Apply(Fact("Mel", "likes", "tea", kT1, "b"));
  tier.Apply(Fact("Mel", "dislikes", "Jazz", kT2, "c"));
  EXPECT_THAT(Values(tier.Query("Mel", 0, false)), ElementsAre("likes=tea", "dislikes=Jazz"));
  EXPECT_THAT(Values(tier.Query("Mel", kT2 - 1, false)), ElementsAre("likes=jazz", "likes=tea"));

  // And back: liking it again closes the dislike.
  tier.Apply(Fact("Mel", "likes", "jazz", kT3, "d"));
  EXPECT_THAT(Values(tier.Query("Mel", 0, false)), ElementsAre("likes=tea", "likes=jazz"));
  EXPECT_EQ(tier.Query("Mel", 0, true).size(), 4u);

  // Disliking something else leaves the likes alone.
  tier.Apply(Fact("Mel", "dislikes", "coffee", kT3, "e"));
  EXPECT_THAT(Values(tier.Query("Mel", 0, false)), ElementsAre("likes=tea", "likes=jazz", "dislikes=coffee"));
}

TEST(PersonaTierTest, RestatedFactMergesSourcesAndKeepsItsStart) {
  PersonaTier tier;
  tier.Apply(Fact("Mel", "likes", "painting", kT1, "D1:2"));
  tier.Apply(Fact("Mel", "likes", "Painting", kT2, "D4:7"));
  tier.Apply(Fact("mel", "likes", "painting", kT3, "D1:2"));  // same source again: not duplicated

  std::vector<PersonaFact> history = tier.Query("Mel", 0, true);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].value, "painting");
  EXPECT_EQ(history[0].valid_from_ms, kT1) << "support does not move the start";
  EXPECT_EQ(history[0].valid_to_ms, 0);
  EXPECT_THAT(history[0].source_ids, ElementsAre("D1:2", "D4:7"));
  EXPECT_GT(history[0].confidence, 0.8f) << "more support, more confidence";
  EXPECT_LE(history[0].confidence, 1.0f);
}

TEST(PersonaTierTest, ClosingAtTheSameMomentKeepsTheOldFactVisible) {
  PersonaTier tier;
  tier.Apply(Fact("Mel", "home", "Paris", kT1, "a"));
  tier.Apply(Fact("Mel", "home", "Lyon", kT1, "b"));
  std::vector<PersonaFact> history = tier.Query("Mel", 0, true);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_GT(history[0].valid_to_ms, history[0].valid_from_ms) << "a closed fact never has an empty interval";
  EXPECT_THAT(Values(tier.Query("Mel", kT1, false)), ::testing::Contains("home=Paris"));
  EXPECT_THAT(Values(tier.Query("Mel", 0, false)), ElementsAre("home=Lyon"));
}

TEST(PersonaTierTest, SubjectsAreSeparateAndEmptySubjectMeansEveryone) {
  PersonaTier tier;
  tier.Apply(Fact("Caroline", "home", "Denver", kT1, "a"));
  tier.Apply(Fact("Melanie", "home", "Austin", kT2, "b"));  // does not close Caroline's home
  EXPECT_THAT(Values(tier.Query("caroline", 0, false)), ElementsAre("home=Denver")) << "subject is case-insensitive";
  EXPECT_THAT(Values(tier.Query("Melanie", 0, false)), ElementsAre("home=Austin"));
  EXPECT_THAT(Values(tier.Query("", 0, false)), ElementsAre("home=Denver", "home=Austin"));
  EXPECT_THAT(tier.Query("Nobody", 0, true), IsEmpty());
  tier.Clear();
  EXPECT_THAT(tier.all(), IsEmpty());
}

}  // namespace
}  // namespace engram
