// Precision and recall of the rule-based extractor on a hand-labelled corpus
// (tests/data/extraction_labels.jsonl: authored chat turns, not LoCoMo).
//
// A fact counts as found when subject, attribute, value and negation match
// after normalisation (ASCII lower case, trimmed, leading article dropped); a
// relation when subject, relation and object match. mentioned_with edges are
// co-occurrence hints, not claims, and are left out. Statements that carry an
// "entities" list (extraction_labels_heldout2.jsonl) also score entity
// typing: every capitalised entity the extractor emits other than the
// participants must appear there with the same type (name normalised as
// above), and every listed one must be emitted. Set
// ENGRAM_LABELS_VERBOSE=1 to print every miss and false alarm.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/time_format.h"
#include "common/utf8.h"
#include "engram/extractor.h"
#include "extract/time_expressions.h"

namespace engram {
namespace {

std::string Norm(std::string s) {
  s = AsciiLower(s);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  for (const char* article : {"the ", "a ", "an "}) {
    if (s.rfind(article, 0) == 0) s.erase(0, std::string(article).size());
  }
  return s;
}

using Key = std::tuple<std::string, std::string, std::string, bool>;

struct Counts {
  size_t tp = 0, fp = 0, fn = 0;
  double precision() const { return tp + fp == 0 ? 1.0 : static_cast<double>(tp) / static_cast<double>(tp + fp); }
  double recall() const { return tp + fn == 0 ? 1.0 : static_cast<double>(tp) / static_cast<double>(tp + fn); }
};

void Score(const std::set<Key>& expected, const std::set<Key>& got, const std::string& what,
           const std::string& text, bool verbose, Counts* c) {
  for (const auto& k : got) {
    if (expected.count(k)) {
      ++c->tp;
    } else {
      ++c->fp;
      if (verbose) {
        std::printf("  FP %s [%s | %s | %s%s]  <- %s\n", what.c_str(), std::get<0>(k).c_str(), std::get<1>(k).c_str(),
                    std::get<2>(k).c_str(), std::get<3>(k) ? " | negated" : "", text.c_str());
      }
    }
  }
  for (const auto& k : expected) {
    if (!got.count(k)) {
      ++c->fn;
      if (verbose) {
        std::printf("  FN %s [%s | %s | %s%s]  <- %s\n", what.c_str(), std::get<0>(k).c_str(), std::get<1>(k).c_str(),
                    std::get<2>(k).c_str(), std::get<3>(k) ? " | negated" : "", text.c_str());
      }
    }
  }
}

struct Scores {
  size_t statements = 0;
  Counts facts, relations, entities;
};

// Named entities are the ones whose name starts with a capital (ASCII) or a
// non-ASCII letter ("Øresund"); lower-case things and events ("kayak",
// "jazz festival") are judged through facts and relations instead.
bool IsNamed(const std::string& name) {
  if (name.empty()) return false;
  const auto c = static_cast<unsigned char>(name[0]);
  return (c >= 'A' && c <= 'Z') || c >= 0x80;
}

// Runs the extractor over one labelled file and scores it.
Scores Evaluate(const std::string& name) {
  Scores scores;
  std::ifstream in(std::string(ENGRAM_TEST_DATA_DIR) + "/" + name);
  EXPECT_TRUE(in.good()) << "missing tests/data/" << name;
  const bool verbose = std::getenv("ENGRAM_LABELS_VERBOSE") != nullptr;
  auto extractor = NewRuleBasedExtractor();
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    ++scores.statements;
    ExtractionInput input;
    input.turn.speaker = j.at("speaker").get<std::string>();
    input.turn.text = j.at("text").get<std::string>();
    auto time = ParseIsoTime(j.at("time").get<std::string>());
    EXPECT_TRUE(time.ok()) << line;
    input.turn.time_ms = time.ok() ? *time : 0;
    input.turn.source_id = "L" + std::to_string(scores.statements);
    input.participants = j.at("participants").get<std::vector<std::string>>();
    auto result = extractor->Extract(input);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (!result.ok()) continue;

    std::set<Key> want_facts, got_facts, want_rels, got_rels;
    for (const auto& f : j.at("facts")) {
      want_facts.insert({Norm(f[0]), f[1].get<std::string>(), Norm(f[2]), f.size() > 3});
    }
    for (const auto& r : j.at("relations")) {
      want_rels.insert({Norm(r[0]), r[1].get<std::string>(), Norm(r[2]), false});
    }
    for (const auto& f : result->facts) {
      got_facts.insert({Norm(f.subject), f.attribute, Norm(f.value), f.negated});
      // Valid from the turn, or from a time the statement names.
      bool named_time = false;
      for (const TimeMention& m : FindTimeExpressions(input.turn.text, input.turn.time_ms)) {
        named_time = named_time || f.valid_from_ms == m.from_ms;
      }
      EXPECT_TRUE(f.valid_from_ms == input.turn.time_ms || named_time) << input.turn.text;
      EXPECT_EQ(f.source_ids, std::vector<std::string>{input.turn.source_id});
    }
    for (const auto& r : result->relations) {
      EXPECT_EQ(r.time_ms, input.turn.time_ms);
      if (r.relation == "mentioned_with") continue;
      got_rels.insert({Norm(r.subject), r.relation, Norm(r.object), false});
    }
    Score(want_facts, got_facts, "fact", input.turn.text, verbose, &scores.facts);
    Score(want_rels, got_rels, "relation", input.turn.text, verbose, &scores.relations);
    if (j.contains("entities")) {
      std::set<Key> want_ents, got_ents;
      for (const auto& e : j.at("entities")) want_ents.insert({Norm(e[0]), e[1].get<std::string>(), "", false});
      for (const auto& e : result->entities) {
        bool participant = false;
        for (const auto& p : input.participants) participant = participant || p == e.name;
        if (participant || !IsNamed(e.name)) continue;
        got_ents.insert({Norm(e.name), EntityTypeName(e.type), "", false});
      }
      Score(want_ents, got_ents, "entity", input.turn.text, verbose, &scores.entities);
    }
  }
  std::printf("%s: %zu statements\n", name.c_str(), scores.statements);
  std::printf("  facts:     P=%.3f R=%.3f (tp=%zu fp=%zu fn=%zu)\n", scores.facts.precision(), scores.facts.recall(),
              scores.facts.tp, scores.facts.fp, scores.facts.fn);
  std::printf("  relations: P=%.3f R=%.3f (tp=%zu fp=%zu fn=%zu)\n", scores.relations.precision(),
              scores.relations.recall(), scores.relations.tp, scores.relations.fp, scores.relations.fn);
  if (scores.entities.tp + scores.entities.fp + scores.entities.fn > 0) {
    std::printf("  entities:  P=%.3f R=%.3f (tp=%zu fp=%zu fn=%zu)\n", scores.entities.precision(),
                scores.entities.recall(), scores.entities.tp, scores.entities.fp, scores.entities.fn);
  }
  return scores;
}

// The corpus the rules were developed against: it measures coverage of the
// documented patterns, and the floors catch regressions.
TEST(ExtractionLabelsTest, DevelopmentCorpusPrecisionAndRecall) {
  const Scores s = Evaluate("extraction_labels.jsonl");
  ASSERT_GE(s.statements, 100u);
  EXPECT_GE(s.facts.precision(), 0.90);
  EXPECT_GE(s.facts.recall(), 0.90);
  EXPECT_GE(s.relations.precision(), 0.90);
  EXPECT_GE(s.relations.recall(), 0.90);
}

// Statements written and labelled after the rules were developed, before
// the extractor was ever run on them: the estimate of how the rules
// generalise. (Its first run exposed four bugs that were then fixed, so it
// is no longer strictly unseen; the floors are below that first run. Two
// labels were completed later, when the rules learnt club hobbies and
// coordinated subjects: "I joined a running club" is also hobby running,
// and "Ingrid and I went to a jazz festival" means Ingrid attended too.)
TEST(ExtractionLabelsTest, HeldOutCorpusPrecisionAndRecall) {
  const Scores s = Evaluate("extraction_labels_heldout.jsonl");
  ASSERT_GE(s.statements, 50u);
  // Below the first, untuned run (facts P 0.920 R 0.902, relations P 0.919
  // R 0.919); see docs/extraction.md.
  EXPECT_GE(s.facts.precision(), 0.85);
  EXPECT_GE(s.facts.recall(), 0.85);
  EXPECT_GE(s.relations.precision(), 0.85);
  EXPECT_GE(s.relations.recall(), 0.85);
}

// Written after the first held-out set, aimed at the weaknesses users
// reported (places such as "Mount Tam", pets and titles typed as persons,
// hobby forms such as "I started pottery classes", coordinated subjects,
// gerund objects with prepositions), and labelled before the extractor was
// changed for them. Entity types are scored here too.
TEST(ExtractionLabelsTest, SecondHeldOutCorpusPrecisionAndRecall) {
  const Scores s = Evaluate("extraction_labels_heldout2.jsonl");
  ASSERT_GE(s.statements, 40u);
  // Its first run, before the rules were changed, was the honest estimate:
  // facts P 0.920 R 0.561, relations P 0.944 R 0.447, entities P 0.422
  // R 0.432. The rules were then tuned on it (facts and relations 1.000,
  // entities 0.955), so these floors only catch regressions.
  EXPECT_GE(s.facts.precision(), 0.90);
  EXPECT_GE(s.facts.recall(), 0.90);
  EXPECT_GE(s.relations.precision(), 0.90);
  EXPECT_GE(s.relations.recall(), 0.90);
  EXPECT_GE(s.entities.precision(), 0.85);
  EXPECT_GE(s.entities.recall(), 0.85);
}

// The third held-out set (64 statements), written and labelled before the
// extractor was run on it, aimed at what users reported after the first two:
// knowledge updates ("We're in Lakewood now", "I left my job at ...", "our
// cat passed away"), organisations and places typed from their evidence,
// values that refer to nothing ("somewhere", "the team", "it"), a pronoun
// for the person just named ("my sister Ana ...; she works at ..."), and
// statements that state no fact (questions, plans, hypotheticals, hearsay).
// First run, as labelled: facts P 0.682 R 0.625, relations P 0.714 R 0.625,
// entities P 0.744 R 0.763. Five labels broke the conventions of the other
// corpora (a liking keeps the activity, not its place: "surfing", not
// "surfing at Ericeira"; "engaged" names no partner; "retired" is an
// occupation; an allergy is a diet fact) and were made to follow them; with
// those, the first run was facts P 0.795 R 0.700, relations P 0.771 R 0.675.
// The rules were then changed for what it exposed (facts and relations
// P 1.000, entities 1.000), so the floors only catch regressions.
TEST(ExtractionLabelsTest, ThirdHeldOutCorpusPrecisionAndRecall) {
  const Scores s = Evaluate("extraction_labels_heldout3.jsonl");
  ASSERT_GE(s.statements, 60u);
  EXPECT_GE(s.facts.precision(), 0.95);
  EXPECT_GE(s.relations.precision(), 0.95);
  EXPECT_GE(s.entities.precision(), 0.90);
}

// The fourth held-out set (83 chat statements), written and labelled before
// the extractor was run on it, in everyday chat phrasing: contractions and
// lower case, negation and tense ("I don't work there anymore", "we never
// got a dog"), questions, wishes and conditions ("I'd love to live in Oslo"),
// reported speech about named people ("my sister Wiktoria just moved to
// Sheffield"), a pronoun for the one person just named, values that refer to
// nothing ("somewhere", "a team", "it"), and dates without a year; 31 of its
// statements state nothing. First run, as labelled: facts P 0.926 R 0.877,
// relations P 0.943 R 0.805, entities P 0.929 R 0.886. One label broke the
// conventions of the other corpora (a sport someone used to play is
// "playing rugby", not "rugby"); with it corrected the first run was facts
// P 0.944 R 0.895 (relations and entities unchanged). The rules were then
// changed for what it exposed (facts P 0.982 R 0.965, relations P 1.000
// R 0.927, entities P 0.976 R 0.932), so these floors are those figures and
// catch regressions.
TEST(ExtractionLabelsTest, FourthHeldOutCorpusPrecisionAndRecall) {
  const Scores s = Evaluate("extraction_labels_heldout4.jsonl");
  ASSERT_GE(s.statements, 70u);
  EXPECT_GE(s.facts.precision(), 0.98);
  EXPECT_GE(s.facts.recall(), 0.96);
  EXPECT_GE(s.relations.precision(), 1.0);
  EXPECT_GE(s.relations.recall(), 0.92);
  EXPECT_GE(s.entities.precision(), 0.97);
  EXPECT_GE(s.entities.recall(), 0.93);
}

// The fifth held-out set (104 chat statements, 36 stating nothing), written
// and labelled before the extractor was run on it: moves, jobs, employers,
// pets, diets, hobbies, family and tastes in chat phrasing, with subjects
// left out ("Just moved into a new place in Leicester!"), past forms ("I
// used to be a barista"), lay-offs, names in questions and cities in no
// gazetteer typed from their context ("the Stavanger office"). First run,
// as labelled: facts P 0.955 R 0.821, relations P 0.944 R 0.823, entities
// P 0.892 R 0.829. The rules were then changed for what it exposed (facts
// P 1.000 R 0.987, relations P 1.000 R 0.984, entities P 1.000 R 0.986),
// so these floors catch regressions.
TEST(ExtractionLabelsTest, FifthHeldOutCorpusPrecisionAndRecall) {
  const Scores s = Evaluate("extraction_labels_heldout5.jsonl");
  ASSERT_GE(s.statements, 100u);
  EXPECT_GE(s.facts.precision(), 0.98);
  EXPECT_GE(s.facts.recall(), 0.98);
  EXPECT_GE(s.relations.precision(), 0.98);
  EXPECT_GE(s.relations.recall(), 0.98);
  EXPECT_GE(s.entities.precision(), 0.98);
  EXPECT_GE(s.entities.recall(), 0.98);
}

// The sixth held-out set (133 chat statements, 54 stating nothing), written
// and labelled before the extractor was run on it: moves, jobs and their
// ends, pets, diets, hobbies and family in chat phrasing, questions and
// conditions that state nothing, "he"/"she" for the one person just named,
// values that refer to nothing, and capitalised words that are not people
// (cities with no cue, "lunch at Google", products, titles, "Sydney from
// work"). First run, as labelled: facts P 0.943 R 0.901, relations P 0.955
// R 0.913, entities P 0.890 R 0.853. Chat fillers and spans of time now end
// a noun phrase ("cricket tbh", "pork years ago"), an article before a name
// makes it a thing ("a Kindle"), and a dog or cat breed WordNet knows names
// a pet ("a greyhound named Bran"): facts P 0.989 R 0.945, relations P 0.985
// R 0.942, entities P 0.912 R 0.874. A name WordNet knows only as a place,
// without a verb said of people, is a place ("Tartu is getting so
// expensive", "São Paulo rent"): entities P 0.926 R 0.916; with the seventh
// corpus's rules (below) P 0.947 R 0.937, with the eighth's facts P 1.000
// R 0.945, relations P 1.000 R 0.957, entities P 0.989 R 0.958. These
// floors catch regressions.
TEST(ExtractionLabelsTest, SixthHeldOutCorpusPrecisionAndRecall) {
  const Scores s = Evaluate("extraction_labels_heldout6.jsonl");
  ASSERT_GE(s.statements, 130u);
  EXPECT_GE(s.facts.precision(), 0.99);
  EXPECT_GE(s.facts.recall(), 0.94);
  EXPECT_GE(s.relations.precision(), 0.99);
  EXPECT_GE(s.relations.recall(), 0.95);
  EXPECT_GE(s.entities.precision(), 0.98);
  EXPECT_GE(s.entities.recall(), 0.95);
}

// A seventh corpus (159 statements: 123 facts, 86 relations, 121 typed
// entities), labelled before any run of the extractor on it, with traps:
// towns named like people ("Jackson"), people named like places, lunch at
// a company, titles of games. First run (with the WordNet place names
// above already in): facts P 0.957 R 0.894, relations P 0.952 R 0.919,
// entities P 0.841 R 0.785. Then: an animal WordNet knows given a name is
// a pet ("a hawk called Lumi"), what one is obsessed with, hooked on or
// binging is a title, a verb said of people or "from my ..." outweighs a
// place of that name ("Paris says hi"), starting, joining or a meeting at a
// name is a workplace, and "rn" / "atm" end a noun phrase: facts P 0.983
// R 0.919, relations P 0.988 R 0.953, entities P 0.921 R 0.868; with the
// eighth corpus's rules (below) entities P 0.948 R 0.901.
TEST(ExtractionLabelsTest, SeventhHeldOutCorpusPrecisionAndRecall) {
  const Scores s = Evaluate("extraction_labels_heldout7.jsonl");
  ASSERT_GE(s.statements, 150u);
  EXPECT_GE(s.facts.precision(), 0.98);
  EXPECT_GE(s.facts.recall(), 0.91);
  EXPECT_GE(s.relations.precision(), 0.98);
  EXPECT_GE(s.relations.recall(), 0.95);
  EXPECT_GE(s.entities.precision(), 0.94);
  EXPECT_GE(s.entities.recall(), 0.90);
}

// An eighth corpus (203 statements: 159 facts, 134 relations, 217 typed
// entities), labelled before any run of the extractor on it, aimed at entity
// types: names of people and places alike (Regina, Salvador, Darwin the dog),
// places and titles with lower-case words inside ("San Cristóbal de las
// Casas", "Half of a Yellow Sun"), employers in every context ("I left
// Interswitch", "my manager at Workday", "Naspers laid me off"), festivals.
// First run: facts P 0.954 R 0.786, relations P 0.918 R 0.754, entities
// P 0.805 R 0.760. Then: lower-case connectors and title case inside a name,
// festivals are events (attended), what one quits, leaves or is laid off by
// is an employer, a name said to be a city is a place, "from accounting" or
// "is visiting" says a person: facts P 0.962 R 0.799, relations P 0.937
// R 0.776, entities P 0.912 R 0.862.
TEST(ExtractionLabelsTest, EighthHeldOutCorpusPrecisionAndRecall) {
  const Scores s = Evaluate("extraction_labels_heldout8.jsonl");
  ASSERT_GE(s.statements, 200u);
  EXPECT_GE(s.facts.precision(), 0.96);
  EXPECT_GE(s.facts.recall(), 0.84);
  EXPECT_GE(s.relations.precision(), 0.93);
  EXPECT_GE(s.relations.recall(), 0.77);
  EXPECT_GE(s.entities.precision(), 0.91);
  EXPECT_GE(s.entities.recall(), 0.86);
}

// A ninth corpus (189 statements: 162 facts, 130 relations, 198 typed
// entities; 71 state nothing), labelled before any run of the extractor on
// it: six conversations between people of six continents, small towns and
// neighbourhoods, employers named like other things (Zara the shop and
// Zara the parrot, Canva the employer and the app, Vojvodina the club),
// hobbies from many countries, titles with numbers, languages, festivals.
// First run: facts P 0.977 R 0.772, relations P 0.953 R 0.777, entities
// P 0.817 R 0.742. Then: a job held with or for a name is an employer, a
// title keeps its number or possessive and outranks a place word, "in the
// X" is a place, a club one plays for, nationalities and WordNet's
// languages, "I do X" for an activity, quitting a name, "moved to X from
// Y", "still in X", "not in X anymore": facts P 0.986 R 0.877, relations
// P 0.964 R 0.823, entities P 0.905 R 0.818.
TEST(ExtractionLabelsTest, NinthHeldOutCorpusPrecisionAndRecall) {
  const Scores s = Evaluate("extraction_labels_heldout9.jsonl");
  ASSERT_GE(s.statements, 189u);
  EXPECT_GE(s.facts.precision(), 0.98);
  EXPECT_GE(s.facts.recall(), 0.87);
  EXPECT_GE(s.relations.precision(), 0.96);
  EXPECT_GE(s.relations.recall(), 0.82);
  EXPECT_GE(s.entities.precision(), 0.90);
  EXPECT_GE(s.entities.recall(), 0.81);
}

// A tenth corpus, labelled before the extractor ran on it: nine
// conversations (Vietnamese, Nigerian, Chilean, Polish, Tamil, Icelandic,
// Filipino, Moroccan and Korean friends) with people named like places
// (Florence, Jordan, Santiago, Paris, Sydney), pets with people's names,
// employers that are also apps, clubs, bands, festivals, hospitals and
// airlines. Its labels also type the people and things named in questions.
// First run: facts P 0.917 R 0.524, relations P 0.879 R 0.439, entities
// P 0.650 R 0.510. Then: word lists for names in other languages
// (Universidad, Cerro, Teatro, Chez, ...), holidays as events, airlines one
// flies or books, "a startup called X", appositions ("Enyimba, my dad's
// club"), a plural verb after one name (a band or a team), brands written
// with an inner capital, names led by an article, "X by Y" (a work),
// "Name and I", platforms one uses something on, places one climbs or
// lives on, numbered districts, "left <place>" and "left <employer> in
// <month>", "joined X as <job>", "X is still my favourite writer": facts
// P 0.933 R 0.577, relations P 0.901 R 0.485, entities P 0.825 R 0.646.
TEST(ExtractionLabelsTest, TenthHeldOutCorpusPrecisionAndRecall) {
  const Scores s = Evaluate("extraction_labels_heldout10.jsonl");
  ASSERT_GE(s.statements, 207u);
  EXPECT_GE(s.facts.precision(), 0.93);
  EXPECT_GE(s.facts.recall(), 0.57);
  EXPECT_GE(s.relations.precision(), 0.90);
  EXPECT_GE(s.relations.recall(), 0.48);
  EXPECT_GE(s.entities.precision(), 0.82);
  EXPECT_GE(s.entities.recall(), 0.64);
}

}  // namespace
}  // namespace engram
