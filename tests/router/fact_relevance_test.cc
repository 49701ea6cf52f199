// Fact relevance: questions are read for what they ask about (attribute and
// relation names through the words people use) and for when (now, or a
// past time), and facts are ranked accordingly.
#include "router/fact_relevance.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/time_format.h"
#include "index/text_analyzer.h"
#include "tiers/persona_tier.h"

namespace engram {
namespace {

using ::testing::HasSubstr;

TimeMs Iso(const char* text) {
  auto t = ParseIsoTime(text);
  EXPECT_TRUE(t.ok()) << text;
  return t.ok() ? *t : 0;
}

const TimeMs kNow = Iso("2024-10-01T12:00:00Z");

FactQuestion Read(const std::string& q) { return ReadFactQuestion(q, 0, 0, kNow); }

PersonaFact Fact(const char* attribute, const char* value, const char* from, const char* to = nullptr) {
  PersonaFact f;
  f.subject = "Maya";
  f.attribute = attribute;
  f.value = value;
  f.valid_from_ms = Iso(from);
  f.valid_to_ms = to ? Iso(to) : 0;
  f.source_ids = {std::string("D:") + value};
  return f;
}

TEST(FactRelevanceTest, QuestionsAboutNowAndAboutThePast) {
  EXPECT_EQ(Read("Where does Maya live now?").focus, TimeFocus::kPresent);
  EXPECT_EQ(Read("Is Maya still vegan?").focus, TimeFocus::kPresent);
  EXPECT_EQ(Read("What does Maya do these days?").focus, TimeFocus::kPresent);
  EXPECT_EQ(Read("Where does Maya work?").focus, TimeFocus::kPresent);  // present tense
  EXPECT_EQ(Read("Does she play tennis anymore?").focus, TimeFocus::kPresent);
  EXPECT_EQ(Read("Where did Maya live before she moved?").focus, TimeFocus::kPast);
  EXPECT_EQ(Read("What job did Maya use to have?").focus, TimeFocus::kPast);
  EXPECT_EQ(Read("Where did Maya work previously?").focus, TimeFocus::kPast);
  // Past tense about an event is not a question about a superseded value.
  EXPECT_EQ(Read("When did Maya adopt her dog?").focus, TimeFocus::kAny);
  // A time constraint that ended before the latest turn: the value then.
  FactQuestion q = ReadFactQuestion("Where was Maya living in 2023?", Iso("2023-01-01T00:00:00Z"),
                                    Iso("2024-01-01T00:00:00Z"), kNow);
  EXPECT_EQ(q.focus, TimeFocus::kPast);
  EXPECT_GE(q.as_of_ms, Iso("2023-01-01T00:00:00Z"));
  EXPECT_LT(q.as_of_ms, Iso("2024-01-01T00:00:00Z"));
}

TEST(FactRelevanceTest, NamesMatchTheWordsPeopleUse) {
  EXPECT_EQ(FactMatch(Read("Where does Maya live now?"), "home", "Lakewood"), 1.0f);
  EXPECT_EQ(FactMatch(Read("Which city is she in?"), "lives_in", "Lakewood"), 1.0f);
  EXPECT_EQ(FactMatch(Read("What does Maya do for a living?"), "occupation", "nurse"), 1.0f);
  EXPECT_EQ(FactMatch(Read("What does Maya do for a living?"), "home", "Lakewood"), 0.0f);
  EXPECT_EQ(FactMatch(Read("Who is her employer?"), "works_at", "Acme"), 1.0f);
  EXPECT_EQ(FactMatch(Read("What is her dog called?"), "pet", "a greyhound"), 1.0f);
  EXPECT_EQ(FactMatch(Read("What does Maya eat?"), "diet", "vegan"), 1.0f);
  EXPECT_EQ(FactMatch(Read("What does she do in her free time?"), "hobby", "tennis"), 1.0f);
  EXPECT_EQ(FactMatch(Read("Is Maya married?"), "relationship_status", "engaged"), 1.0f);
  // The value alone matches less than the attribute.
  EXPECT_GT(FactMatch(Read("Is Maya vegan?"), "likes", "vegan food"), 0.0f);
  EXPECT_LT(FactMatch(Read("Is Maya vegan?"), "likes", "vegan food"), 1.0f);
  // Unrelated questions do not match.
  EXPECT_EQ(FactMatch(Read("Where does Maya live?"), "diet", "vegan"), 0.0f);
  EXPECT_EQ(FactMatch(Read("What is her dog called?"), "occupation", "nurse"), 0.0f);
}

TEST(FactRelevanceTest, PresentQuestionsGetTheCurrentValueFirst) {
  std::vector<PersonaFact> facts = {
      Fact("home", "Denver", "2023-01-10T00:00:00Z", "2024-02-01T00:00:00Z"),
      Fact("diet", "vegan", "2024-05-01T00:00:00Z"),
      Fact("home", "Boulder", "2024-02-01T00:00:00Z", "2024-08-01T00:00:00Z"),
      Fact("home", "Lakewood", "2024-08-01T00:00:00Z"),
  };
  auto ranked = RankFacts(facts, Read("Where does Maya live now?"));
  ASSERT_EQ(ranked.size(), 4u);
  EXPECT_EQ(ranked[0].fact->value, "Lakewood");
  EXPECT_EQ(ranked[1].fact->value, "Boulder");  // the most recently ended next
  EXPECT_EQ(ranked[2].fact->value, "Denver");
  EXPECT_EQ(ranked[3].fact->value, "vegan");  // current, but not asked about

  auto past = RankFacts(facts, Read("Where did Maya live before she moved?"));
  ASSERT_GE(past.size(), 3u);
  EXPECT_NE(past[0].fact->value, "Lakewood");
  EXPECT_EQ(past[0].fact->valid_to_ms != 0, true);

  FactQuestion in_2023 = ReadFactQuestion("Where did Maya live in 2023?", Iso("2023-01-01T00:00:00Z"),
                                          Iso("2024-01-01T00:00:00Z"), kNow);
  auto then = RankFacts(facts, in_2023);
  ASSERT_FALSE(then.empty());
  EXPECT_EQ(then[0].fact->value, "Denver");

  // History that the question does not ask about is left out.
  auto diet = RankFacts(facts, Read("What does Maya eat?"));
  ASSERT_FALSE(diet.empty());
  EXPECT_EQ(diet[0].fact->value, "vegan");
  for (const auto& r : diet) EXPECT_EQ(r.fact->valid_to_ms, 0) << r.fact->value;
}

// "Is she still doing keto?" names a value no longer true: what replaced it
// is what the question asks about, and comes first.
TEST(FactRelevanceTest, AValueNoLongerTrueBringsWhatReplacedIt) {
  std::vector<PersonaFact> facts = {
      Fact("diet", "keto", "2023-01-01T00:00:00Z", "2023-06-03T00:00:00Z"),
      Fact("home", "Lakewood", "2024-08-01T00:00:00Z"),
      Fact("diet", "eats everything", "2023-06-03T00:00:00Z"),
  };
  auto now = RankFacts(facts, Read("Is Maya still doing keto?"));
  ASSERT_EQ(now.size(), 3u);
  EXPECT_EQ(now[0].fact->value, "eats everything");
  EXPECT_EQ(now[1].fact->value, "keto");
  EXPECT_EQ(now[0].match, now[1].match);
  EXPECT_EQ(now[2].fact->value, "Lakewood");  // not asked about
  auto then = RankFacts(facts, Read("Did Maya use to do keto?"));
  ASSERT_FALSE(then.empty());
  EXPECT_EQ(then[0].fact->value, "keto");
}

TEST(FactRelevanceTest, LinesCarryTheirValidity) {
  EXPECT_EQ(FactLine(Fact("home", "Lakewood", "2024-08-01T00:00:00Z")), "Maya home: Lakewood (since 2024-08-01)");
  EXPECT_EQ(FactLine(Fact("home", "Denver", "2023-01-10T00:00:00Z", "2024-02-01T00:00:00Z")),
            "Maya home: Denver (2023-01-10 to 2024-02-01, no longer true)");
  EXPECT_EQ(ValidityLabel(0, 0), "");
  EXPECT_THAT(ValidityLabel(0, Iso("2024-02-01T00:00:00Z")), HasSubstr("to 2024-02-01"));
}

}  // namespace

// The postings-driven candidates and ranking equal a scan of every fact with
// FactMatch and a term overlap (the exact oracle), on a tier with history,
// several subjects and many questions.
TEST(FactRelevanceTest, IndexedCandidatesEqualAScanOfEveryFact) {
  const char* subjects[] = {"Maya", "Omar", "Lena Park"};
  const char* attributes[] = {"home", "occupation", "pet", "likes", "hobby", "diet", "volunteers_at", "employer"};
  const char* values[] = {"Lakewood", "Denver", "nurse", "teacher", "dog Biscuit", "cat", "hiking", "jazz",
                          "vegan", "the food bank", "Acme Corp", "running", "Porto", "pottery classes"};
  std::mt19937 rng(7);
  PersonaTier tier;
  TimeMs t = Iso("2023-01-01T00:00:00Z");
  for (int i = 0; i < 400; ++i) {
    PersonaFact f;
    f.subject = subjects[rng() % 3];
    f.attribute = attributes[rng() % 8];
    f.value = values[rng() % 14];
    f.valid_from_ms = t += 3600 * 1000 * static_cast<TimeMs>(1 + rng() % 48);
    f.confidence = 0.5f + 0.1f * static_cast<float>(rng() % 5);
    f.source_ids = {"D:" + std::to_string(i)};
    tier.Apply(f);
  }
  ASSERT_GT(tier.all().size(), tier.open_positions().size());  // there is history
  const TextAnalyzer analyzer;
  for (const char* question :
       {"Where does Maya live now?", "What does Omar do for a living?", "Does Lena Park still have a cat?",
        "What did Maya like before?", "Who volunteers at the food bank?", "Is anyone vegan these days?",
        "Tell me about Omar", "What is the weather like?", "hiking or running?", "Where did Lena work previously?"}) {
    SCOPED_TRACE(question);
    const FactQuestion q = Read(question);
    auto terms = analyzer.Terms(question);
    const std::set<std::string> overlap_terms(terms.begin(), terms.end());
    // Oracle: every fact, scored directly.
    std::vector<FactCandidate> expected;
    for (size_t i = 0; i < tier.all().size(); ++i) {
      const PersonaFact& f = tier.all()[i];
      auto line = analyzer.Terms(f.subject + " " + f.attribute + ": " + f.value);
      const std::set<std::string> line_terms(line.begin(), line.end());
      size_t shared = 0;
      for (const auto& term : overlap_terms) shared += line_terms.count(term);
      const float overlap = overlap_terms.empty() ? 0.0f : static_cast<float>(shared) / overlap_terms.size();
      const float match = FactMatch(q, f.attribute, f.value);
      if (match > 0 || overlap > 0) expected.push_back({i, match, overlap});
    }
    const std::vector<FactCandidate> got = FindFactCandidates(tier.search_index(), q, overlap_terms);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].entry, expected[i].entry);
      EXPECT_FLOAT_EQ(got[i].match, expected[i].match);
      EXPECT_FLOAT_EQ(got[i].overlap, expected[i].overlap);
    }
    // The tier ranking equals RankFacts over the facts of the same subjects.
    for (const std::vector<std::string>& of : {std::vector<std::string>{}, std::vector<std::string>{"maya"},
                                               std::vector<std::string>{"Omar", "Lena Park"}}) {
      std::vector<PersonaFact> facts;
      if (of.empty()) facts = tier.Query({}, 0, /*include_history=*/true);
      for (const auto& subject : of) {
        auto more = tier.Query(subject, 0, /*include_history=*/true);
        facts.insert(facts.end(), more.begin(), more.end());
      }
      const std::vector<RankedFact> want = RankFacts(facts, q);
      const std::vector<RankedFact> ranked = RankTierFacts(tier, q, of);
      ASSERT_EQ(ranked.size(), want.size());
      for (size_t i = 0; i < ranked.size(); ++i) {
        EXPECT_EQ(ranked[i].fact->source_ids, want[i].fact->source_ids) << "row " << i;
        EXPECT_EQ(ranked[i].match, want[i].match);
        EXPECT_EQ(ranked[i].time_rank, want[i].time_rank);
      }
    }
  }
}

// Long overlap lists looked up instead of walked: the entries found keep
// their exact figures, and every entry left out has match 0 and an overlap
// within the bound given.
TEST(FactRelevanceTest, SkippingLongListsKeepsFiguresAndBoundsWhatIsLeftOut) {
  const char* attributes[] = {"home", "occupation", "pet", "likes", "hobby", "diet"};
  const char* values[] = {"Lakewood", "nurse", "dog Biscuit", "jazz", "hiking", "vegan", "pottery classes", "Porto"};
  std::mt19937 rng(11);
  PersonaTier tier;
  TimeMs t = Iso("2023-01-01T00:00:00Z");
  for (int i = 0; i < 3000; ++i) {
    PersonaFact f;
    f.subject = i % 5 == 0 ? "Omar" : "Maya";  // Maya's name is on most lines
    f.attribute = attributes[rng() % 6];
    f.value = values[rng() % 8] + std::string(i % 3 == 0 ? " again" : "");
    f.valid_from_ms = t += 3600 * 1000;
    f.source_ids = {"D:" + std::to_string(i)};
    tier.Apply(f);
  }
  const TextAnalyzer analyzer;
  for (const char* question : {"Where does Maya live now?", "Does Maya still like jazz?", "Tell me about Maya",
                               "What does Omar do, and Maya?", "Maya pottery", "anything about hiking again"}) {
    SCOPED_TRACE(question);
    const FactQuestion q = Read(question);
    auto terms = analyzer.Terms(question);
    const std::set<std::string> overlap_terms(terms.begin(), terms.end());
    const std::vector<FactCandidate> all = FindFactCandidates(tier.search_index(), q, overlap_terms);
    float bound = -1;
    const std::vector<FactCandidate> some =
        FindFactCandidatesSkippingLongLists(tier.search_index(), q, overlap_terms, 500, &bound);
    ASSERT_GE(bound, 0.0f);
    size_t j = 0;
    for (const FactCandidate& c : all) {
      if (j < some.size() && some[j].entry == c.entry) {
        EXPECT_FLOAT_EQ(some[j].match, c.match);
        EXPECT_FLOAT_EQ(some[j].overlap, c.overlap);
        ++j;
      } else {
        EXPECT_EQ(c.match, 0.0f) << "entry " << c.entry;
        EXPECT_LE(c.overlap, bound) << "entry " << c.entry;
      }
    }
    EXPECT_EQ(j, some.size());  // nothing found that a full read does not find
    // Without lists that long nothing is left out.
    float none = -1;
    EXPECT_EQ(FindFactCandidatesSkippingLongLists(tier.search_index(), q, overlap_terms, 1u << 30, &none).size(),
              all.size());
    EXPECT_EQ(none, 0.0f);
  }
}

}  // namespace engram
