#include "extract/rule_based_extractor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>

#include "common/time_format.h"
#include "extract/patterns.h"
#include "extract/sentence_splitter.h"
#include "extract/text_words.h"

namespace engram {
namespace {

TimeMs At(const char* iso) {
  auto t = ParseIsoTime(iso);
  EXPECT_TRUE(t.ok()) << iso;
  return t.ok() ? *t : 0;
}

Extraction ExtractTurn(const std::string& speaker, const std::string& text, std::vector<std::string> participants = {},
               const char* time = "2023-05-08T13:56:00Z") {
  ExtractionInput in;
  in.turn.speaker = speaker;
  in.turn.text = text;
  in.turn.time_ms = At(time);
  in.turn.source_id = "D1:3";
  in.participants = std::move(participants);
  auto r = NewRuleBasedExtractor()->Extract(in);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : Extraction{};
}

bool HasFact(const Extraction& x, const std::string& s, const std::string& a, const std::string& v,
             bool negated = false) {
  return std::any_of(x.facts.begin(), x.facts.end(), [&](const PersonaFact& f) {
    return f.subject == s && f.attribute == a && f.value == v && f.negated == negated;
  });
}

bool HasRelation(const Extraction& x, const std::string& s, const std::string& r, const std::string& o) {
  return std::any_of(x.relations.begin(), x.relations.end(), [&](const Relation& e) {
    return e.subject == s && e.relation == r && e.object == o;
  });
}

const Entity* FindEntity(const Extraction& x, const std::string& name) {
  for (const auto& e : x.entities) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const std::vector<std::string> kPair = {"Caroline", "Melanie"};

// The type of the entity `name` Caroline's turn `text` yields (a failure,
// and kPerson, when it yields none).
EntityType TypeOf(const std::string& text, const std::string& name) {
  auto x = ExtractTurn("Caroline", text, kPair);
  const Entity* e = FindEntity(x, name);
  EXPECT_NE(e, nullptr) << name << " in: " << text;
  return e == nullptr ? EntityType::kPerson : e->type;
}

TEST(RuleBasedExtractorTest, EventUnitResolvesSpeakerAndRelativeDate) {
  auto x = ExtractTurn("Caroline", "I went to a LGBTQ support group yesterday and it was so powerful.", kPair);
  ASSERT_EQ(x.units.size(), 1u);
  const EventUnit& u = x.units[0];
  EXPECT_EQ(u.text, "Caroline went to a LGBTQ support group yesterday and it was so powerful (on 2023-05-07).");
  EXPECT_EQ(u.subject, "Caroline");
  EXPECT_EQ(u.time_ms, At("2023-05-08T13:56:00Z"));
  EXPECT_EQ(u.event_from_ms, At("2023-05-07"));
  EXPECT_EQ(u.event_to_ms, At("2023-05-07"));  // inclusive end: one day
  EXPECT_EQ(u.source_ids, std::vector<std::string>{"D1:3"});
  EXPECT_TRUE(HasRelation(x, "Caroline", "attended", "LGBTQ support group"));
}

TEST(RuleBasedExtractorTest, RangesKeepTheirLastDayAsInclusiveEnd) {
  auto x = ExtractTurn("Caroline", "I painted a lot last week.", kPair);
  ASSERT_EQ(x.units.size(), 1u);
  EXPECT_EQ(x.units[0].text, "Caroline painted a lot last week (during 2023-05-01..2023-05-07).");
  EXPECT_EQ(x.units[0].event_from_ms, At("2023-05-01"));
  EXPECT_EQ(x.units[0].event_to_ms, At("2023-05-07"));
}

TEST(RuleBasedExtractorTest, TimeAfterSinceIsAnnotatedAsAStart) {
  auto x = ExtractTurn("Caroline", "I have been sober since last month.", kPair, "2024-01-02T09:00:00Z");
  ASSERT_EQ(x.units.size(), 1u);
  EXPECT_EQ(x.units[0].text, "Caroline has been sober since last month (since 2023-12-01).");
}

TEST(RuleBasedExtractorTest, TimeAsSubjectOrApproximationKeepsItsWords) {
  auto x = ExtractTurn("Caroline", "Yesterday was amazing! I started painting about five years ago.", kPair);
  ASSERT_EQ(x.units.size(), 2u);
  EXPECT_EQ(x.units[0].text, "Yesterday was amazing (on 2023-05-07)!");
  EXPECT_EQ(x.units[1].text, "Caroline started painting about five years ago (in 2018).");
  auto since = ExtractTurn("Caroline", "I've been sober since May.", kPair);
  ASSERT_EQ(since.units.size(), 1u);
  EXPECT_EQ(since.units[0].text, "Caroline has been sober since May (since 2023-05-01).");
  EXPECT_EQ(since.units[0].event_to_ms, At("2023-05-08"));
  // "read" is its own past tense: left as it is.
  auto y = ExtractTurn("Caroline", "I read that book last year.", kPair);
  ASSERT_EQ(y.units.size(), 1u);
  EXPECT_EQ(y.units[0].text, "Caroline read that book last year (in 2022).");
}

TEST(RuleBasedExtractorTest, FirstAndSecondPersonBecomeTheParticipants) {
  auto x = ExtractTurn("Melanie", "I'm proud of you and your sister. My kids loved your painting.", kPair);
  ASSERT_EQ(x.units.size(), 2u);
  EXPECT_EQ(x.units[0].text, "Melanie is proud of Caroline and Caroline's sister.");
  EXPECT_EQ(x.units[1].text, "Melanie's kids loved Caroline's painting.");
  EXPECT_TRUE(HasFact(x, "Melanie", "family", "kids"));
  EXPECT_TRUE(HasFact(x, "Caroline", "family", "sister"));
}

TEST(RuleBasedExtractorTest, VerbsAgreeWithTheReplacedSubject) {
  auto x = ExtractTurn("Caroline", "I really love hiking. I have two dogs. I go swimming. I am tired of rain.", kPair);
  ASSERT_EQ(x.units.size(), 4u);
  EXPECT_EQ(x.units[0].text, "Caroline really loves hiking.");
  EXPECT_EQ(x.units[1].text, "Caroline has two dogs.");
  EXPECT_EQ(x.units[2].text, "Caroline goes swimming.");
  EXPECT_EQ(x.units[3].text, "Caroline is tired of rain.");
}

TEST(RuleBasedExtractorTest, SecondPersonStaysWhenTheAddresseeIsUnknown) {
  auto x = ExtractTurn("Caroline", "You did an amazing job at the race.", {"Caroline", "Melanie", "Jon"});
  ASSERT_EQ(x.units.size(), 1u);
  EXPECT_EQ(x.units[0].text, "You did an amazing job at the race.");
  auto solo = ExtractTurn("Caroline", "You did an amazing job at the race.", {"Caroline"});
  ASSERT_EQ(solo.units.size(), 1u);
  EXPECT_EQ(solo.units[0].text, "You did an amazing job at the race.");
  auto pair = ExtractTurn("Caroline", "You did an amazing job at the race.", kPair);
  ASSERT_EQ(pair.units.size(), 1u);
  EXPECT_EQ(pair.units[0].text, "Melanie did an amazing job at the race.");
  EXPECT_EQ(pair.units[0].subject, "Melanie");
}

TEST(RuleBasedExtractorTest, GreetingsFillersAndQuestionsMakeNoUnits) {
  auto x = ExtractTurn("Melanie", "Hey Caroline! Good to see you! How have you been? Thanks so much!", kPair);
  EXPECT_TRUE(x.units.empty());
  auto y = ExtractTurn("Melanie", "Hey Caroline! I'm swamped with the kids & work. What's up with you?", kPair);
  ASSERT_EQ(y.units.size(), 1u);
  EXPECT_EQ(y.units[0].text, "Melanie is swamped with the kids & work.");
}

TEST(RuleBasedExtractorTest, NamesWithDiacriticsAreEntities) {
  auto x = ExtractTurn("Zoë", "José and I visited Øresund with my sister Maëlle. Later Ångström called.", {"Zoë", "Søren"});
  const Entity* jose = FindEntity(x, "José");
  ASSERT_NE(jose, nullptr);  // sentence-initial, but not an English word
  EXPECT_EQ(jose->type, EntityType::kPerson);
  const Entity* maelle = FindEntity(x, "Maëlle");
  ASSERT_NE(maelle, nullptr);
  EXPECT_EQ(maelle->type, EntityType::kPerson);
  ASSERT_NE(FindEntity(x, "Øresund"), nullptr);
  EXPECT_NE(FindEntity(x, "Ångström"), nullptr);
  ASSERT_NE(FindEntity(x, "Zoë"), nullptr);
  EXPECT_TRUE(HasRelation(x, "Maëlle", "sister_of", "Zoë"));
  EXPECT_TRUE(HasFact(x, "Zoë", "family", "sister Maëlle"));
  EXPECT_EQ(x.units[0].text, "José and Zoë visited Øresund with Zoë's sister Maëlle.");
}

TEST(RuleBasedExtractorTest, CoordinatedSubjectsShareTheClause) {
  auto x = ExtractTurn("Zoë", "José and I visited Øresund.", {"Zoë", "Søren"});
  EXPECT_TRUE(HasRelation(x, "Zoë", "visited", "Øresund"));
  EXPECT_TRUE(HasRelation(x, "José", "visited", "Øresund"));
  auto y = ExtractTurn("Zoë", "Marco and Lucia both work at Pfizer.", {"Zoë", "Søren"});
  EXPECT_TRUE(HasFact(y, "Marco", "works_at", "Pfizer"));
  EXPECT_TRUE(HasFact(y, "Lucia", "works_at", "Pfizer"));
  const Entity* pfizer = FindEntity(y, "Pfizer");
  ASSERT_NE(pfizer, nullptr);
  EXPECT_EQ(pfizer->type, EntityType::kOrganisation);
  // Only the named co-subject: a place before "and" is not one.
  auto z = ExtractTurn("Zoë", "After Lake Como and I parted ways, I moved to Oslo.", {"Zoë", "Søren"});
  EXPECT_FALSE(HasRelation(z, "Lake Como", "lives_in", "Oslo"));
}

TEST(RuleBasedExtractorTest, ContextTypesCapitalisedNames) {
  auto type_of = [](const Extraction& x, const std::string& name) {
    const Entity* e = FindEntity(x, name);
    return e == nullptr ? std::string("missing") : std::string(EntityTypeName(e->type));
  };
  auto a = ExtractTurn("Caroline", "I hiked up Mount Tam and then we ate near Baker Beach.", kPair);
  EXPECT_EQ(type_of(a, "Mount Tam"), "place");
  EXPECT_EQ(type_of(a, "Baker Beach"), "place");
  EXPECT_TRUE(HasRelation(a, "Caroline", "visited", "Mount Tam"));
  auto b = ExtractTurn("Caroline", "My dog Biscuit and our neighbour's parrot Kiwi are friends.", kPair);
  EXPECT_EQ(type_of(b, "Biscuit"), "thing");
  EXPECT_EQ(type_of(b, "Kiwi"), "thing");
  auto c = ExtractTurn("Caroline", "I watched Inception and saw the movie Parasite with Anna.", kPair);
  EXPECT_EQ(type_of(c, "Inception"), "thing");
  EXPECT_EQ(type_of(c, "Parasite"), "thing");
  EXPECT_EQ(type_of(c, "Anna"), "person");
  // A known speaker stays a person whatever the context.
  auto d = ExtractTurn("Caroline", "I watched Melanie paint and read Anna's note.", kPair);
  EXPECT_EQ(type_of(d, "Melanie"), "person");
  EXPECT_EQ(type_of(d, "Anna"), "person");
  // "I'll show Anna": a title noun needs a determiner before it.
  auto e = ExtractTurn("Caroline", "I will show Anna the photos tomorrow.", kPair);
  EXPECT_EQ(type_of(e, "Anna"), "person");
}

TEST(RuleBasedExtractorTest, HobbiesFromClassesClubsAndNewActivities) {
  auto x = ExtractTurn("Caroline", "I started pottery classes in March.", kPair);
  EXPECT_TRUE(HasFact(x, "Caroline", "hobby", "pottery"));
  x = ExtractTurn("Caroline", "I've taken up rock climbing.", kPair);
  EXPECT_TRUE(HasFact(x, "Caroline", "hobby", "rock climbing"));
  x = ExtractTurn("Caroline", "I started doing yoga after my surgery.", kPair);
  EXPECT_TRUE(HasFact(x, "Caroline", "hobby", "yoga"));
  x = ExtractTurn("Caroline", "I joined a chess club last week.", kPair);
  EXPECT_TRUE(HasFact(x, "Caroline", "hobby", "chess"));
  EXPECT_TRUE(HasRelation(x, "Caroline", "member_of", "chess club"));
  x = ExtractTurn("Caroline", "I've started learning the guitar.", kPair);
  EXPECT_TRUE(HasFact(x, "Caroline", "hobby", "learning guitar"));
  x = ExtractTurn("Caroline", "I love working with kids.", kPair);
  EXPECT_TRUE(HasFact(x, "Caroline", "likes", "working with kids"));
  // Not hobbies: a job, a club named for no activity, chores, company.
  x = ExtractTurn("Caroline", "I started a new job at Stripe and I joined a book club.", kPair);
  EXPECT_TRUE(HasFact(x, "Caroline", "works_at", "Stripe"));
  EXPECT_TRUE(HasRelation(x, "Caroline", "member_of", "book club"));
  for (const auto& f : x.facts) EXPECT_NE(f.attribute, "hobby") << f.value;
  x = ExtractTurn("Caroline", "I started doing the dishes and I love cooking with friends.", kPair);
  for (const auto& f : x.facts) EXPECT_NE(f.attribute, "hobby") << f.value;
  EXPECT_TRUE(HasFact(x, "Caroline", "likes", "cooking"));
}

TEST(RuleBasedExtractorTest, StoppingStatementsAreNegatedFacts) {
  auto x = ExtractTurn("Caroline", "I stopped bouldering. I no longer eat meat. I quit my job.", kPair);
  EXPECT_TRUE(HasFact(x, "Caroline", "hobby", "bouldering", true));
  EXPECT_TRUE(HasFact(x, "Caroline", "diet", "eats meat", true));
  EXPECT_TRUE(HasFact(x, "Caroline", "diet", "no meat"));
  EXPECT_TRUE(HasFact(x, "Caroline", "works_at", "", true));
  EXPECT_FALSE(HasFact(x, "Caroline", "hobby", "bouldering", false));
  auto y = ExtractTurn("Caroline", "I moved from Boston to Denver.", kPair);
  EXPECT_TRUE(HasFact(y, "Caroline", "home", "Boston", true));
  EXPECT_TRUE(HasFact(y, "Caroline", "home", "Denver"));
  EXPECT_TRUE(HasRelation(y, "Caroline", "lives_in", "Denver"));
  EXPECT_FALSE(HasRelation(y, "Caroline", "lives_in", "Boston"));
}

TEST(RuleBasedExtractorTest, PersonaAndRelationPatterns) {
  auto x = ExtractTurn("Caroline",
               "I'm a nurse and I work at St. Mary's Hospital. My dog Max loves the park. "
               "I live in Denver. I bought a new kayak. My favourite book is Dune. I hate traffic.",
               kPair);
  EXPECT_TRUE(HasFact(x, "Caroline", "occupation", "nurse"));
  EXPECT_TRUE(HasRelation(x, "Caroline", "works_as", "nurse"));
  EXPECT_TRUE(HasFact(x, "Caroline", "works_at", "St. Mary's Hospital"));
  const Entity* hospital = FindEntity(x, "St. Mary's Hospital");
  ASSERT_NE(hospital, nullptr);
  EXPECT_EQ(hospital->type, EntityType::kOrganisation);
  EXPECT_TRUE(HasFact(x, "Caroline", "pet", "dog Max"));
  EXPECT_TRUE(HasRelation(x, "Max", "pet_of", "Caroline"));
  EXPECT_TRUE(HasFact(x, "Caroline", "home", "Denver"));
  const Entity* denver = FindEntity(x, "Denver");
  ASSERT_NE(denver, nullptr);
  EXPECT_EQ(denver->type, EntityType::kPlace);
  EXPECT_TRUE(HasFact(x, "Caroline", "owns", "kayak"));
  EXPECT_TRUE(HasFact(x, "Caroline", "likes", "Dune"));
  EXPECT_TRUE(HasFact(x, "Caroline", "dislikes", "traffic"));
  for (const auto& f : x.facts) {
    EXPECT_EQ(f.valid_from_ms, At("2023-05-08T13:56:00Z"));
    EXPECT_EQ(f.source_ids, std::vector<std::string>{"D1:3"});
    EXPECT_GT(f.confidence, 0.0f);
    EXPECT_LE(f.confidence, 1.0f);
  }
  for (const auto& r : x.relations) EXPECT_EQ(r.time_ms, At("2023-05-08T13:56:00Z"));
}

TEST(RuleBasedExtractorTest, TitlesAndCooccurrence) {
  auto x = ExtractTurn("Caroline", "Dr. Smith from Boston General Hospital met me and Anna.", kPair);
  const Entity* dr = FindEntity(x, "Dr. Smith");
  ASSERT_NE(dr, nullptr);
  EXPECT_EQ(dr->type, EntityType::kPerson);
  EXPECT_NE(std::find(dr->aliases.begin(), dr->aliases.end(), "Smith"), dr->aliases.end());
  auto uni = ExtractTurn("Caroline", "I met her at the University of Oslo.", kPair);
  const Entity* oslo = FindEntity(uni, "University of Oslo");
  ASSERT_NE(oslo, nullptr);
  EXPECT_EQ(oslo->type, EntityType::kOrganisation);
  EXPECT_TRUE(HasRelation(x, "Caroline", "mentioned_with", "Anna") ||
              HasRelation(x, "Anna", "mentioned_with", "Caroline"));
}

TEST(RuleBasedExtractorTest, PronounsAndCompoundsAreNotNamesOrPets) {
  auto x = ExtractTurn("Melanie", "We've got a pup. It's my horse painting. He's great.", kPair);
  EXPECT_TRUE(HasFact(x, "Melanie", "pet", "pup"));
  EXPECT_FALSE(HasFact(x, "Melanie", "pet", "horse"));
  EXPECT_EQ(FindEntity(x, "We've"), nullptr);
  EXPECT_EQ(FindEntity(x, "It's"), nullptr);
  EXPECT_EQ(FindEntity(x, "He's"), nullptr);
}

TEST(RuleBasedExtractorTest, ConversationalNonFactsAreNotFacts) {
  auto x = ExtractTurn("Caroline", "I have a question. I love that idea! I'd love to visit Iceland. I don't have a recipe.",
               kPair);
  EXPECT_TRUE(x.facts.empty()) << x.facts[0].attribute << " " << x.facts[0].value;
}

TEST(RuleBasedExtractorTest, BadInputIsAnError) {
  ExtractionInput in;
  in.turn.speaker = "Caroline";
  in.turn.text = std::string("bad \xC3\x28 text");
  auto r = NewRuleBasedExtractor()->Extract(in);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
  in.turn.text = "fine";
  in.turn.speaker = "";
  EXPECT_TRUE(NewRuleBasedExtractor()->Extract(in).status().IsInvalidArgument());
  in.turn.speaker = "Caroline";
  in.turn.text = "";
  auto empty = NewRuleBasedExtractor()->Extract(in);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->units.empty());
}

TEST(RuleBasedExtractorTest, SameInputSameOutput) {
  const std::string text = "My sister Anna moved to Paris last month. I love her cat Luna!";
  auto a = ExtractTurn("Caroline", text, kPair);
  auto b = ExtractTurn("Caroline", text, kPair);
  ASSERT_EQ(a.units.size(), b.units.size());
  for (size_t i = 0; i < a.units.size(); ++i) EXPECT_EQ(a.units[i].text, b.units[i].text);
  ASSERT_EQ(a.facts.size(), b.facts.size());
  for (size_t i = 0; i < a.facts.size(); ++i) EXPECT_EQ(a.facts[i].value, b.facts[i].value);
  ASSERT_EQ(a.relations.size(), b.relations.size());
  EXPECT_EQ(NewRuleBasedExtractor()->identity(), "rule-based/2");
}

TEST(RuleBasedExtractorTest, OneExtractorServesManyThreads) {
  // The store shares one extractor between writer threads.
  auto extractor = NewRuleBasedExtractor();
  ExtractionInput in;
  in.turn.speaker = "Caroline";
  in.turn.text = "My sister Anna moved to Paris last month. I'm a nurse. I stopped bouldering yesterday.";
  in.turn.time_ms = At("2024-01-02T09:00:00Z");
  in.participants = kPair;
  auto expected = extractor->Extract(in);
  ASSERT_TRUE(expected.ok());
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto r = extractor->Extract(in);
        if (!r.ok() || r->units.size() != expected->units.size() || r->facts.size() != expected->facts.size() ||
            r->units[0].text != expected->units[0].text) {
          ++mismatches[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
  EXPECT_EQ(expected->units[0].text, "Caroline's sister Anna moved to Paris last month (in 2023-12).");
}

TEST(RuleBasedExtractorTest, ReplacedSubjectsOnlyWhereTheVerbAgrees) {
  auto x = ExtractTurn("Caroline",
                       "I haven't found a group yet. I start on Monday. My sister and I go hiking. "
                       "I'm a nurse and I work nights. I'd been there before. I quit my job.",
                       kPair);
  ASSERT_EQ(x.units.size(), 6u);
  EXPECT_EQ(x.units[0].text, "Caroline hasn't found a group yet.");
  EXPECT_EQ(x.units[1].text, "Caroline starts on Monday (on 2023-05-15).");
  EXPECT_EQ(x.units[2].text, "Caroline's sister and Caroline go hiking.");
  EXPECT_EQ(x.units[3].text, "Caroline is a nurse and Caroline works nights.");
  EXPECT_EQ(x.units[4].text, "Caroline had been there before.");
  EXPECT_EQ(x.units[5].text, "Caroline quit Caroline's job.");
  // "you" as an object keeps the verb after it; as a subject it agrees.
  auto y = ExtractTurn("Caroline", "I saw you play at the park. You always make me laugh.", kPair);
  ASSERT_EQ(y.units.size(), 2u);
  EXPECT_EQ(y.units[0].text, "Caroline saw Melanie play at the park.");
  EXPECT_EQ(y.units[1].text, "Melanie always makes Caroline laugh.");
  // A subject "you" inside a clause; a plural "you" stays; objects keep
  // what follows them; "wanna" agrees too.
  auto z = ExtractTurn("Caroline",
                       "I love the people you work with. You all look so happy! Wishing you many happy years. "
                       "I wanna start a studio. We did a piece called \"Finding Freedom.\"",
                       kPair);
  ASSERT_EQ(z.units.size(), 5u);
  EXPECT_EQ(z.units[0].text, "Caroline loves the people Melanie works with.");
  EXPECT_EQ(z.units[1].text, "You all look so happy!");
  EXPECT_EQ(z.units[2].text, "Wishing Melanie many happy years.");
  EXPECT_EQ(z.units[3].text, "Caroline wants to start a studio.");
  EXPECT_EQ(z.units[4].text, "Caroline and others did a piece called \"Finding Freedom.\"");
  auto hyphen = ExtractTurn("Caroline", "I color-code my notes.", kPair);
  ASSERT_EQ(hyphen.units.size(), 1u);
  EXPECT_EQ(hyphen.units[0].text, "Caroline color-codes Caroline's notes.");
}

TEST(RuleBasedExtractorTest, IntroductionsAndHabitsAreNotRewritten) {
  EXPECT_TRUE(ExtractTurn("Caroline", "Hi, I am Caroline.", kPair).units.empty());
  EXPECT_TRUE(ExtractTurn("Caroline", "My name is Caroline. Nice to meet you!", kPair).units.empty());
  auto x = ExtractTurn("Caroline", "I play tennis every Saturday.", kPair);
  ASSERT_EQ(x.units.size(), 1u);
  EXPECT_EQ(x.units[0].text, "Caroline plays tennis every Saturday.");
  EXPECT_EQ(x.units[0].event_from_ms, 0);
}

TEST(RuleBasedExtractorTest, FactsAndRelationsAreValidFromTheEventTheyName) {
  auto x = ExtractTurn("Caroline", "I moved to Lakewood last month. I love hiking in the fall.", kPair,
                       "2024-01-02T09:00:00Z");
  bool home = false, likes = false;
  for (const auto& f : x.facts) {
    if (f.attribute == "home" && f.value == "Lakewood") {
      home = true;
      EXPECT_EQ(f.valid_from_ms, At("2023-12-01"));
    }
    if (f.attribute == "likes" && f.value == "hiking") {
      likes = true;
      EXPECT_EQ(f.valid_from_ms, At("2024-01-02T09:00:00Z"));  // a taste is not begun by the fall
    }
  }
  EXPECT_TRUE(home);
  EXPECT_TRUE(likes);
  bool lives_in = false;
  for (const auto& r : x.relations) {
    if (r.relation == "lives_in" && r.object == "Lakewood") {
      lives_in = true;
      EXPECT_EQ(r.valid_from_ms, At("2023-12-01"));
      EXPECT_EQ(r.time_ms, At("2024-01-02T09:00:00Z"));
    }
  }
  EXPECT_TRUE(lives_in);
  // Without a time, the turn's; a plan not yet begun starts nothing.
  for (const char* text : {"I live in Lakewood.", "I'm moving to Lakewood next month."}) {
    auto y = ExtractTurn("Caroline", text, kPair, "2024-01-02T09:00:00Z");
    for (const auto& f : y.facts) EXPECT_EQ(f.valid_from_ms, At("2024-01-02T09:00:00Z")) << text;
    for (const auto& r : y.relations) EXPECT_EQ(r.valid_from_ms, 0) << text;
  }
}

TEST(SentenceSplitterTest, SplitsOnEndPunctuationButNotAbbreviations) {
  const std::string text = "Dr. Smith came by. It was 3.5 hours! Was it? Yes...\nNew line here";
  std::vector<std::string> got;
  for (const auto& s : SplitSentences(text)) got.push_back(text.substr(s.begin, s.end - s.begin));
  EXPECT_EQ(got, (std::vector<std::string>{"Dr. Smith came by.", "It was 3.5 hours!", "Was it?", "Yes...",
                                           "New line here"}));
  // An ordinal's suffix is not the abbreviation "St.".
  const std::string dates = "I start on April 1st. Main St. is closed.";
  got.clear();
  for (const auto& s : SplitSentences(dates)) got.push_back(dates.substr(s.begin, s.end - s.begin));
  EXPECT_EQ(got, (std::vector<std::string>{"I start on April 1st.", "Main St. is closed."}));
}

TEST(TextWordsTest, CapitalsInAnyScript) {
  auto words = TokenizeWords("Øresund zoë Ångström don’t LGBTQ");
  ASSERT_EQ(words.size(), 5u);
  EXPECT_TRUE(words[0].capitalised);
  EXPECT_FALSE(words[1].capitalised);
  EXPECT_TRUE(words[2].capitalised);
  EXPECT_EQ(words[3].lower, "don't");
  EXPECT_TRUE(words[4].acronym);
}

TEST(PatternsTest, Gerund) {
  EXPECT_EQ(Gerund("run"), "running");
  EXPECT_EQ(Gerund("bake"), "baking");
  EXPECT_EQ(Gerund("swim"), "swimming");
  EXPECT_EQ(Gerund("visit"), "visiting");
  EXPECT_EQ(Gerund("tie"), "tying");
  EXPECT_EQ(Gerund("see"), "seeing");
}

// "she" is the person just named when exactly one was named; with two
// candidates nothing is guessed.
TEST(RuleBasedExtractorTest, PronounIsThePersonJustNamedOnlyWhenUnambiguous) {
  auto one = ExtractTurn("Caroline", "I met Priya at the conference. She works at Novartis.", kPair);
  EXPECT_TRUE(HasFact(one, "Priya", "works_at", "Novartis"));
  ASSERT_NE(FindEntity(one, "Novartis"), nullptr);
  EXPECT_EQ(FindEntity(one, "Novartis")->type, EntityType::kOrganisation);
  auto two = ExtractTurn("Caroline", "I met Priya and Dana at the conference; she works at Novartis.", kPair);
  EXPECT_TRUE(std::none_of(two.facts.begin(), two.facts.end(),
                           [](const PersonaFact& f) { return f.attribute == "works_at"; }));
}

// Conditions, hearsay and questions state no fact about the speaker.
TEST(RuleBasedExtractorTest, HypotheticalsStateNothing) {
  EXPECT_TRUE(ExtractTurn("Caroline", "If I lived in Berlin I would cycle everywhere.", kPair).facts.empty());
  EXPECT_TRUE(ExtractTurn("Caroline", "Do you still live in Nairobi?", kPair).facts.empty());
}

// Knowledge updates said in everyday words.
TEST(RuleBasedExtractorTest, EverydayKnowledgeUpdates) {
  auto home = ExtractTurn("Maya", "We're in Lakewood now, the old place got too small.", {"Maya", "Leo"});
  EXPECT_TRUE(HasFact(home, "Maya", "home", "Lakewood"));
  auto job = ExtractTurn("Maya", "I joined Brightleaf Studio as an art director.", {"Maya", "Leo"});
  EXPECT_TRUE(HasFact(job, "Maya", "works_at", "Brightleaf Studio"));
  EXPECT_TRUE(HasFact(job, "Maya", "occupation", "art director"));
  auto club = ExtractTurn("Maya", "I joined the Red Cross as a volunteer.", {"Maya", "Leo"});
  EXPECT_FALSE(HasFact(club, "Maya", "works_at", "Red Cross"));
  auto pet = ExtractTurn("Kofi", "Our cat Mango passed away in January.", {"Kofi", "Dara"});
  EXPECT_TRUE(HasFact(pet, "Kofi", "pet", "cat Mango", /*negated=*/true));
  EXPECT_FALSE(HasRelation(pet, "Mango", "pet_of", "Kofi"));
  auto team = ExtractTurn("Leo", "I quit the team last year.", {"Maya", "Leo"});
  EXPECT_TRUE(team.facts.empty());
}

TEST(RuleBasedExtractorTest, ChatSentenceWithoutItsSubjectSpeaksOfTheSpeaker) {
  auto x = ExtractTurn("Caroline", "Finally moved to Tarragona last month!", kPair);
  EXPECT_TRUE(HasFact(x, "Caroline", "home", "Tarragona"));
  EXPECT_TRUE(HasRelation(x, "Caroline", "lives_in", "Tarragona"));
  x = ExtractTurn("Caroline", "Just adopted a kitten named Miso.", kPair);
  EXPECT_TRUE(HasFact(x, "Caroline", "pet", "kitten Miso"));
  EXPECT_EQ(FindEntity(x, "Just"), nullptr);
  x = ExtractTurn("Caroline", "Started raining just as we left.", kPair);
  EXPECT_TRUE(x.facts.empty());
}

TEST(RuleBasedExtractorTest, LeavingAJobAndPaidWorkNameTheEmployer) {
  auto x = ExtractTurn("Melanie", "I was let go from Vantor Freight in June.", kPair);
  EXPECT_TRUE(HasFact(x, "Melanie", "works_at", "Vantor Freight", true));
  x = ExtractTurn("Melanie", "I've been delivering for Deliveroo since spring.", kPair);
  EXPECT_TRUE(HasFact(x, "Melanie", "works_at", "Deliveroo"));
  EXPECT_FALSE(HasFact(x, "Melanie", "hobby", "delivering"));
  ASSERT_NE(FindEntity(x, "Deliveroo"), nullptr);
  EXPECT_EQ(FindEntity(x, "Deliveroo")->type, EntityType::kOrganisation);
  x = ExtractTurn("Melanie", "I used to be a roofer.", kPair);
  EXPECT_TRUE(HasFact(x, "Melanie", "occupation", "roofer", true));
  x = ExtractTurn("Melanie", "I work at a company downtown.", kPair);
  EXPECT_TRUE(x.facts.empty());
}

TEST(RuleBasedExtractorTest, PlacesAndLanguagesTypedFromTheirContext) {
  auto x = ExtractTurn("Caroline", "They moved me to the Tampere office.", kPair);
  ASSERT_NE(FindEntity(x, "Tampere"), nullptr);
  EXPECT_EQ(FindEntity(x, "Tampere")->type, EntityType::kPlace);
  x = ExtractTurn("Caroline", "I'm learning Macedonian.", kPair);
  ASSERT_NE(FindEntity(x, "Macedonian"), nullptr);
  EXPECT_NE(FindEntity(x, "Macedonian")->type, EntityType::kPerson);
  x = ExtractTurn("Caroline", "Have you ever been to Matera?", kPair);
  EXPECT_TRUE(x.facts.empty());
  ASSERT_NE(FindEntity(x, "Matera"), nullptr);
  EXPECT_EQ(FindEntity(x, "Matera")->type, EntityType::kPlace);
  x = ExtractTurn("Caroline", "We had lunch at Brasserie Lipp on Sunday.", kPair);
  EXPECT_TRUE(HasRelation(x, "Caroline", "visited", "Brasserie Lipp"));
}

// Entity types from the words around a name, none of which WordNet or the
// gazetteer needs to know.
TEST(RuleBasedExtractorTest, NamesTypedFromTheWordsAroundThem) {
  // Lower-case words inside a name keep it whole.
  EXPECT_EQ(TypeOf("we watched Central do Brasil again last night", "Central do Brasil"), EntityType::kThing);
  EXPECT_EQ(TypeOf("I'm from San Cristóbal de las Casas", "San Cristóbal de las Casas"), EntityType::kPlace);
  EXPECT_EQ(TypeOf("I'm reading Kafka on the Shore right now", "Kafka on the Shore"), EntityType::kThing);
  EXPECT_EQ(TypeOf("I'm addicted to The Rest Is History lately", "Rest Is History"), EntityType::kThing);
  EXPECT_EQ(TypeOf("We had a picnic at the Parc de la Tête d'Or.", "Parc de la Tête d'Or"), EntityType::kPlace);
  // A festival is an event, and going to one is attending it.
  auto x = ExtractTurn("Caroline", "We went to the Feria de San Marcos in May", kPair);
  ASSERT_NE(FindEntity(x, "Feria de San Marcos"), nullptr);
  EXPECT_EQ(FindEntity(x, "Feria de San Marcos")->type, EntityType::kEvent);
  EXPECT_TRUE(HasRelation(x, "Caroline", "attended", "Feria de San Marcos"));
  EXPECT_EQ(TypeOf("I'm going to Oaxaca for Día de Muertos", "Día de Muertos"), EntityType::kEvent);
  // Employers from what one does with them.
  EXPECT_EQ(TypeOf("I quit Lumenor in the end", "Lumenor"), EntityType::kOrganisation);
  EXPECT_EQ(TypeOf("I left Quorvia in august, burnout was real", "Quorvia"), EntityType::kOrganisation);
  EXPECT_EQ(TypeOf("Brevanta laid me off in october", "Brevanta"), EntityType::kOrganisation);
  EXPECT_EQ(TypeOf("my manager at Tallyo keeps scheduling 8am calls", "Tallyo"), EntityType::kOrganisation);
  EXPECT_EQ(TypeOf("I've been at Kestrix for two years as a data analyst", "Kestrix"), EntityType::kOrganisation);
  // Places from the words around them.
  EXPECT_EQ(TypeOf("drove through Ballyvorn on the way home", "Ballyvorn"), EntityType::kPlace);
  EXPECT_EQ(TypeOf("haha Ostrava is my favourite city", "Ostrava"), EntityType::kPlace);
  // People from the words around them.
  EXPECT_EQ(TypeOf("Chad from accounting wants everyone back", "Chad"), EntityType::kPerson);
  EXPECT_EQ(TypeOf("Warwick is visiting from Durban next week", "Warwick"), EntityType::kPerson);
}

// Names typed from their context where a person was the guess before:
// jobs held with or for a name, titles with numbers or possessives, "the"
// before a place, clubs one plays for, nationalities and languages.
TEST(RuleBasedExtractorTest, JobsTitlesClubsAndLanguagesAreNotPeople) {
  auto x = ExtractTurn("Caroline", "I'm a tour guide for Ostravia, mostly city walks", kPair);
  EXPECT_TRUE(HasFact(x, "Caroline", "occupation", "tour guide"));
  EXPECT_TRUE(HasFact(x, "Caroline", "works_at", "Ostravia"));
  EXPECT_EQ(TypeOf("my cousin Dario is a pilot with Brightwing Airways", "Brightwing Airways"),
            EntityType::kOrganisation);
  EXPECT_EQ(TypeOf("he's head chef at Quillon Rose in the old town", "Quillon Rose"), EntityType::kOrganisation);
  EXPECT_EQ(TypeOf("my brother plays handball for Zelvora", "Zelvora"), EntityType::kOrganisation);
  EXPECT_EQ(TypeOf("I'm rewatching Sunhill 1994 for the third time", "Sunhill 1994"), EntityType::kThing);
  EXPECT_EQ(TypeOf("also I'm obsessed with Froggo 3 lol", "Froggo 3"), EntityType::kThing);
  EXPECT_EQ(TypeOf("I'm reading Oleander's Daughters finally", "Oleander's Daughters"), EntityType::kThing);
  EXPECT_EQ(TypeOf("i'm hooked on Cedar Lane lately, the detective show", "Cedar Lane"), EntityType::kThing);
  EXPECT_EQ(TypeOf("we spent a week hiking in the Tatrany", "Tatrany"), EntityType::kPlace);
  EXPECT_EQ(TypeOf("I can see Mount Olvera from my balcony", "Mount Olvera"), EntityType::kPlace);
  EXPECT_NE(TypeOf("my girlfriend is half Eritrean", "Eritrean"), EntityType::kPerson);
  EXPECT_EQ(TypeOf("we watched a Peruvian film last night", "Peruvian"), EntityType::kOther);
  // A number after a title is part of it, but not a number of hours.
  x = ExtractTurn("Caroline", "I'm reading Dune 2 hours a day", kPair);
  EXPECT_EQ(FindEntity(x, "Dune 2"), nullptr);
}

// Hobbies one does, jobs one quits, towns left and stayed in.
TEST(RuleBasedExtractorTest, DoingQuittingLeavingAndStaying) {
  auto x = ExtractTurn("Caroline", "I do kalarippayattu now, with a group near the river", kPair);
  EXPECT_TRUE(HasFact(x, "Caroline", "hobby", "kalarippayattu"));
  x = ExtractTurn("Caroline", "I do kukeri dancing now", kPair);
  EXPECT_TRUE(HasFact(x, "Caroline", "hobby", "kukeri dancing"));
  for (const char* nothing : {"I do the dishes every night", "I do know.", "I do love it", "I do too lol"}) {
    x = ExtractTurn("Caroline", nothing, kPair);
    auto hobby = [](const PersonaFact& f) { return f.attribute == "hobby"; };
    EXPECT_FALSE(std::any_of(x.facts.begin(), x.facts.end(), hobby)) << nothing;
  }
  x = ExtractTurn("Caroline", "I quit Veltrano last spring, now I freelance", kPair);
  EXPECT_TRUE(HasFact(x, "Caroline", "works_at", "Veltrano", /*negated=*/true));
  x = ExtractTurn("Caroline", "we relocated to Ilvermoor from Cranstead last month", kPair);
  EXPECT_TRUE(HasFact(x, "Caroline", "home", "Ilvermoor"));
  EXPECT_TRUE(HasFact(x, "Caroline", "home", "Cranstead", /*negated=*/true));
  x = ExtractTurn("Caroline", "I'm still in Tarnby lol, nothing changes", kPair);
  EXPECT_TRUE(HasFact(x, "Caroline", "home", "Tarnby"));
  x = ExtractTurn("Caroline", "I'm still in Tarnby for the week", kPair);
  EXPECT_FALSE(HasFact(x, "Caroline", "home", "Tarnby"));
  x = ExtractTurn("Caroline", "I'm not in Tarnby anymore, moved last year", kPair);
  EXPECT_TRUE(HasFact(x, "Caroline", "home", "Tarnby", /*negated=*/true));
}

TEST(RuleBasedExtractorTest, DietsTakenUpAndGivenUp) {
  EXPECT_TRUE(HasFact(ExtractTurn("Caroline", "I'm doing keto this month to undo the damage.", kPair), "Caroline",
                      "diet", "keto"));
  EXPECT_TRUE(HasFact(ExtractTurn("Caroline", "We're on paleo now.", kPair), "Caroline", "diet", "paleo"));
  auto x = ExtractTurn("Caroline", "I gave up on keto by the way, I'm back to eating everything.", kPair);
  EXPECT_TRUE(HasFact(x, "Caroline", "diet", "keto", /*negated=*/true));
  EXPECT_TRUE(HasFact(x, "Caroline", "diet", "eats everything"));
  EXPECT_TRUE(HasFact(ExtractTurn("Caroline", "I'm back to eating meat.", kPair), "Caroline", "diet", "eats meat"));
  EXPECT_FALSE(HasFact(x, "Caroline", "diet", "keto"));
  EXPECT_TRUE(HasFact(ExtractTurn("Caroline", "I quit paleo last year.", kPair), "Caroline", "diet", "paleo", true));
  // Doing something else is no diet.
  EXPECT_TRUE(ExtractTurn("Caroline", "I'm doing homework tonight.", kPair).facts.empty());
}

}  // namespace
}  // namespace engram
