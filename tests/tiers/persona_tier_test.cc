// PersonaTier: facts are closed, never deleted; "as of" queries see the
// table as it was at that time.
#include "tiers/persona_tier.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/utf8.h"

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

// The tier as it was first written: every Apply scans the whole table. Kept
// as the reference the indexed tier must agree with, fact for fact.
class ReferencePersonaTier {
 public:
  void Apply(const PersonaFact& fact) {
    const TimeMs at = fact.valid_from_ms;
    auto close = [&](PersonaFact& old) { old.valid_to_ms = std::max(at, old.valid_from_ms + 1); };
    if (fact.negated) {
      const bool any_value = fact.value.empty();
      for (auto& old : facts_) {
        if (old.valid_to_ms == 0 && SameKey(old.subject, fact.subject) && old.attribute == fact.attribute &&
            (any_value || SameKey(old.value, fact.value))) {
          close(old);
          old.source_ids.insert(old.source_ids.end(), fact.source_ids.begin(), fact.source_ids.end());
        }
      }
      return;
    }
    for (auto& old : facts_) {
      if (old.valid_to_ms != 0 || !SameKey(old.subject, fact.subject)) continue;
      if (old.attribute == fact.attribute && SameKey(old.value, fact.value)) {
        for (const auto& id : fact.source_ids) {
          if (std::find(old.source_ids.begin(), old.source_ids.end(), id) == old.source_ids.end()) {
            old.source_ids.push_back(id);
          }
        }
        old.confidence = std::min(1.0f, std::max(old.confidence, fact.confidence) + 0.1f);
        return;
      }
    }
    for (auto& old : facts_) {
      if (old.valid_to_ms != 0 || !SameKey(old.subject, fact.subject)) continue;
      bool contradicts = (old.attribute == fact.attribute && PersonaTier::IsSingleValued(fact.attribute)) ||
                         (old.attribute == Opposite(fact.attribute) && SameKey(old.value, fact.value));
      if (contradicts) close(old);
    }
    PersonaFact added = fact;
    added.valid_to_ms = 0;
    facts_.push_back(std::move(added));
  }

  std::vector<PersonaFact> Query(std::string_view subject, TimeMs as_of_ms, bool include_history) const {
    std::vector<PersonaFact> out;
    for (const auto& f : facts_) {
      if (!subject.empty() && AsciiLower(f.subject) != AsciiLower(subject)) continue;
      if (include_history) {
        out.push_back(f);
      } else if (as_of_ms == 0 ? f.valid_to_ms == 0
                               : f.valid_from_ms <= as_of_ms && (f.valid_to_ms == 0 || as_of_ms < f.valid_to_ms)) {
        out.push_back(f);
      }
    }
    return out;
  }

  const std::vector<PersonaFact>& all() const { return facts_; }

 private:
  static bool SameKey(const std::string& a, const std::string& b) { return AsciiLower(a) == AsciiLower(b); }
  static std::string_view Opposite(std::string_view attribute) {
    if (attribute == "likes") return "dislikes";
    if (attribute == "dislikes") return "likes";
    return {};
  }

  std::vector<PersonaFact> facts_;
};

// Every field, so two tables compare exactly and a difference reads well.
bool SameFact(const PersonaFact& a, const PersonaFact& b) {
  return a.subject == b.subject && a.attribute == b.attribute && a.value == b.value &&
         a.valid_from_ms == b.valid_from_ms && a.valid_to_ms == b.valid_to_ms && a.confidence == b.confidence &&
         a.source_ids == b.source_ids && a.negated == b.negated;
}

std::string Describe(const std::vector<PersonaFact>& facts) {
  std::ostringstream out;
  for (const auto& f : facts) {
    out << "\n  {" << f.subject << "|" << f.attribute << "|" << f.value << " from=" << f.valid_from_ms
        << " to=" << f.valid_to_ms << " conf=" << f.confidence << " negated=" << f.negated << " sources=";
    for (const auto& id : f.source_ids) out << id << ",";
    out << "}";
  }
  return out.str();
}

::testing::AssertionResult SameTable(const std::vector<PersonaFact>& actual,
                                     const std::vector<PersonaFact>& expected) {
  if (actual.size() == expected.size() &&
      std::equal(actual.begin(), actual.end(), expected.begin(), SameFact)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "got" << Describe(actual) << "\nexpected" << Describe(expected);
}

// A random fact from small pools, so that subjects (in other cases),
// attributes, values and times collide often.
PersonaFact RandomFact(std::mt19937_64& rng) {
  static const char* kSubjects[] = {"Caroline", "caroline", "CAROLINE", "Melanie", "melanie", "Jon", ""};
  static const char* kAttributes[] = {"likes", "dislikes", "home", "occupation", "works_at", "pet",
                                      "hobby", "Likes",    "",     "diet"};
  static const char* kValues[] = {"painting", "Painting", "PAINTING", "hiking", "Boston", "boston", "", "dogs"};
  static const TimeMs kTimes[] = {-1, 0, 1, 5, 5, 10, 10, 100, kT1, kT2};
  auto pick = [&](const auto& pool) { return pool[rng() % std::size(pool)]; };
  PersonaFact f;
  f.subject = pick(kSubjects);
  f.attribute = pick(kAttributes);
  f.value = pick(kValues);
  f.valid_from_ms = pick(kTimes);
  f.valid_to_ms = rng() % 8 == 0 ? 7 : 0;  // a stated end is ignored: a new fact is open
  f.confidence = static_cast<float>(rng() % 10) / 10.0f;
  f.negated = rng() % 5 == 0;
  // Mostly one source; sometimes none, sometimes many (past the size where
  // source ids are looked up in a hash set), with repeats.
  const size_t sources = rng() % 10 == 0 ? 24 : rng() % 3;
  for (size_t i = 0; i < sources; ++i) f.source_ids.push_back("D" + std::to_string(rng() % 40));
  return f;
}

TEST(PersonaTierTest, IndexedTierAgreesWithTheFullScanOnRandomFactStreams) {
  const std::vector<std::string> subjects = {"", "Caroline", "MELANIE", "jon", "Nobody"};
  const std::vector<TimeMs> as_of = {0, -1, 5, 10, 99, kT1, kT3};
  std::mt19937_64 rng(20230508);
  for (int stream = 0; stream < 2000; ++stream) {
    SCOPED_TRACE("stream " + std::to_string(stream));
    PersonaTier tier;
    ReferencePersonaTier reference;
    const int length = 1 + static_cast<int>(rng() % 120);
    for (int i = 0; i < length; ++i) {
      const PersonaFact f = RandomFact(rng);
      tier.Apply(f);
      reference.Apply(f);
    }
    ASSERT_TRUE(SameTable(tier.all(), reference.all()));
    for (const auto& subject : subjects) {
      for (TimeMs t : as_of) {
        for (bool history : {false, true}) {
          ASSERT_TRUE(SameTable(tier.Query(subject, t, history), reference.Query(subject, t, history)))
              << "Query(\"" << subject << "\", " << t << ", " << history << ")";
        }
      }
    }
  }
}

TEST(PersonaTierTest, ClearForgetsTheIndexesToo) {
  PersonaTier tier;
  tier.Apply(Fact("Mel", "likes", "jazz", kT1, "a"));
  tier.Apply(Fact("Mel", "home", "Paris", kT1, "b"));
  tier.Clear();
  tier.Apply(Fact("Mel", "likes", "jazz", kT2, "c"));  // a new fact, not a restatement of a forgotten one
  tier.Apply(Fact("Mel", "home", "Lyon", kT2, "d"));
  ASSERT_EQ(tier.all().size(), 2u);
  EXPECT_THAT(tier.all()[0].source_ids, ElementsAre("c"));
  EXPECT_EQ(tier.all()[0].valid_from_ms, kT2);
  EXPECT_THAT(Values(tier.Query("mel", 0, false)), ElementsAre("likes=jazz", "home=Lyon"));
  EXPECT_THAT(Values(tier.Query("", 0, true)), ElementsAre("likes=jazz", "home=Lyon"));
}

}  // namespace
}  // namespace engram
