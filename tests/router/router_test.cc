// Router: query analysis, route selection, the rerankers the default plans
// rely on, and context packing, over a small hand-built TenantMemory.
#include "router/router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/time_format.h"
#include "common/utf8.h"
#include "router/query_analysis.h"
#include "router/reranker.h"
#include "router/tier_search.h"
#include "tiers/graph_tier.h"
#include "tiers/tenant_memory.h"

namespace engram {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr size_t kDim = 512;

TimeMs Iso(const char* text) {
  auto t = ParseIsoTime(text);
  EXPECT_TRUE(t.ok()) << text;
  return t.ok() ? *t : 0;
}

// ---------------------------------------------------------------------------
// Query analysis

class QueryAnalysisTest : public ::testing::Test {
 protected:
  QueryAnalysis Analyze(const std::string& question, const RecallOptions& options = {}) {
    return AnalyzeQuery(question, participants_, graph_, options, anchor_);
  }
  std::vector<std::string> participants_{"Caroline", "Melanie"};
  GraphTier graph_;
  TimeMs anchor_ = Iso("2023-08-15T12:00:00Z");
};

TEST_F(QueryAnalysisTest, NamedParticipantIsTheTarget) {
  EXPECT_THAT(Analyze("What does Melanie paint?").targets, ElementsAre("Melanie"));
  EXPECT_THAT(Analyze("What is Caroline's favourite book?").targets, ElementsAre("Caroline"));
  EXPECT_THAT(Analyze("What did they talk about?").targets, IsEmpty());
}

TEST_F(QueryAnalysisTest, FirstPersonIsTheAskingUser) {
  RecallOptions options;
  options.asking_user = "Dana";
  EXPECT_THAT(Analyze("What seat do I prefer?", options).targets, ElementsAre("Dana"));
  EXPECT_THAT(Analyze("Where is my hotel?", options).targets, ElementsAre("Dana"));
  // Without a known asking user, "I" names nobody.
  EXPECT_THAT(Analyze("What seat do I prefer?").targets, IsEmpty());
}

TEST_F(QueryAnalysisTest, SecondPersonIsTheAgent) {
  RecallOptions options;
  options.agent_name = "Guide";
  EXPECT_THAT(Analyze("What did you recommend for Sintra?", options).targets, ElementsAre("Guide"));
  EXPECT_THAT(Analyze("What did you recommend for Sintra?").targets, IsEmpty());
}

TEST_F(QueryAnalysisTest, MonthIsATimeConstraint) {
  QueryAnalysis a = Analyze("What did Melanie paint in May 2023?");
  EXPECT_EQ(a.from_ms, Iso("2023-05-01T00:00:00Z"));
  EXPECT_EQ(a.to_ms, Iso("2023-06-01T00:00:00Z"));
  EXPECT_EQ(a.kind, QuestionKind::kTemporal);
}

TEST_F(QueryAnalysisTest, LastYearIsRelativeToTheLatestTurn) {
  QueryAnalysis a = Analyze("Where did Caroline travel last year?");
  EXPECT_EQ(a.from_ms, Iso("2022-01-01T00:00:00Z"));
  EXPECT_EQ(a.to_ms, Iso("2023-01-01T00:00:00Z"));
}

TEST_F(QueryAnalysisTest, NoTimeWordsNoConstraint) {
  QueryAnalysis a = Analyze("What does Melanie paint?");
  EXPECT_EQ(a.from_ms, 0);
  EXPECT_EQ(a.to_ms, 0);
}

TEST_F(QueryAnalysisTest, PluralKindNounsSetTheAnswerType) {
  auto places = Analyze("What countries has Melanie visited?");
  EXPECT_TRUE(places.has_answer_type);
  EXPECT_EQ(places.answer_type, EntityType::kPlace);
  auto things = Analyze("Which books did Caroline recommend?");
  EXPECT_TRUE(things.has_answer_type);
  EXPECT_EQ(things.answer_type, EntityType::kThing);
  EXPECT_FALSE(Analyze("Where did Melanie go camping?").has_answer_type);
}

TEST_F(QueryAnalysisTest, Kinds) {
  QueryAnalysis when = Analyze("When did Caroline go to the support group?");
  EXPECT_EQ(when.kind, QuestionKind::kTemporal);
  EXPECT_TRUE(when.asks_when);
  EXPECT_EQ(Analyze("Would Caroline likely pursue writing as a career?").kind, QuestionKind::kOpen);
  EXPECT_EQ(Analyze("What do Caroline and Melanie both like to do?").kind, QuestionKind::kMultiHop);
  EXPECT_EQ(Analyze("How many children does Melanie have?").kind, QuestionKind::kMultiHop);
  EXPECT_EQ(Analyze("What is Melanie's favorite food?").kind, QuestionKind::kPersona);
  EXPECT_EQ(Analyze("What did Melanie paint?").kind, QuestionKind::kSingleFact);
  // Every kind has a cue or is the default.
  EXPECT_FALSE(when.cues.empty());
}

// ---------------------------------------------------------------------------
// Routing over a small memory

// One session between Caroline and Melanie plus a second session, with event
// units and persona facts. Every document gets its own basis vector, so a
// query vector equal to a document's basis vector finds exactly that one.
class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = TenantMemory::Create("t", Options{}, kDim);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    memory_ = std::move(*m);
    const TimeMs s1 = Iso("2023-05-08T13:00:00Z");
    const TimeMs s2 = Iso("2023-07-20T09:00:00Z");
    Add("s1", "Caroline", "Hey Melanie! What did you paint last week?", s1, "D1:1");
    Add("s1", "Melanie", "A sunset over the lake, with purple clouds.", s1 + 1000, "D1:2");
    Add("s1", "Caroline", "I went to a support group yesterday, it was powerful.", s1 + 2000, "D1:3",
        {Unit("Caroline went to a support group.", "Caroline", s1 - kMsPerDay)});
    Add("s1", "Melanie", "That is brave of you. My kids love swimming in the lake.", s1 + 3000, "D1:4");
    Add("s2", "Melanie", "I painted a horse for my daughter last month.", s2, "D2:1");
    Add("s2", "Caroline", "I painted a horse too, years ago, for a school show.", s2 + 1000, "D2:2");
    Add("s2", "Melanie", "We are camping this weekend near the mountains.", s2 + 2000, "D2:3");
    Extraction facts;
    PersonaFact f;
    f.subject = "Melanie";
    f.attribute = "likes";
    f.value = "painting";
    f.source_ids = {"D1:2"};
    facts.facts.push_back(f);
    memory_->ApplyEnrichment(seqs_.at("D1:2"), facts);
    // List questions read categories from the tiny WordNet of the tests,
    // never from the system's.
    router_.SetCategoryLexicon(std::make_shared<CategoryLexicon>(std::string(ENGRAM_TEST_DATA_DIR) + "/wordnet"));
  }

  static EventUnit Unit(const std::string& text, const std::string& subject, TimeMs when) {
    EventUnit u;
    u.text = text;
    u.subject = subject;
    u.event_from_ms = when;
    u.event_to_ms = when + kMsPerDay;
    return u;
  }

  void Add(const std::string& session, const std::string& speaker, const std::string& text, TimeMs time,
           const std::string& id, std::vector<EventUnit> units = {}) {
    Turn turn;
    turn.session = session;
    turn.speaker = speaker;
    turn.text = text;
    turn.time_ms = time;
    turn.source_id = id;
    Extraction x;
    for (auto& u : units) {
      u.source_ids = {id};
      x.units.push_back(u);
    }
    uint64_t seq = ++next_seq_;
    seqs_[id] = seq;
    std::vector<uint64_t> ids;
    std::vector<float> vectors;
    for (const MemoryDoc* d : memory_->ApplyTurn(seq, turn, x)) {
      ids.push_back(d->id);
      std::vector<float> v(kDim, 0.0f);
      v[basis_of_.size() % kDim] = 1.0f;
      basis_of_[d->id] = basis_of_.size();
      vectors.insert(vectors.end(), v.begin(), v.end());
    }
    ASSERT_TRUE(memory_->vectors().Add(ids, vectors).ok());
  }

  // A query vector pointing at the turn with `id`.
  std::vector<float> Towards(const std::string& id) const {
    std::vector<float> v(kDim, 0.0f);
    v[basis_of_.at(DocId(seqs_.at(id), 0)) % kDim] = 1.0f;
    return v;
  }

  std::vector<std::string> Ids(const RecallResult& r) const {
    std::vector<std::string> ids;
    for (const auto& h : r.hits) ids.push_back(h.source_ids.front());
    return ids;
  }

  Router router_;
  std::unique_ptr<TenantMemory> memory_;
  std::map<std::string, uint64_t> seqs_;
  std::map<uint64_t, size_t> basis_of_;
  uint64_t next_seq_ = 0;
};

TEST_F(RouterTest, AutoPicksThePlanOfTheQuestionKind) {
  RecallOptions options;  // route = "auto"
  auto r = router_.Recall(*memory_, "When did Caroline go to the support group?", Towards("D1:3"), options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->route.name, "temporal");
  EXPECT_EQ(r->route.question_kind, "temporal");
  EXPECT_THAT(r->route.targets, ElementsAre("Caroline"));
  ASSERT_FALSE(r->hits.empty());
  EXPECT_EQ(r->hits.front().source_ids.front(), "D1:3");
}

TEST_F(RouterTest, ExplicitRouteOverridesTheKind) {
  RecallOptions options;
  options.route = "hybrid";
  auto r = router_.Recall(*memory_, "When did Caroline go to the support group?", Towards("D1:3"), options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->route.name, "hybrid");
  EXPECT_EQ(r->route.question_kind, "temporal");  // still analysed, but not used to route
  options.route = "multi_hop";
  r = router_.Recall(*memory_, "When did Caroline go to the support group?", Towards("D1:3"), options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->route.name, "multi_hop");
}

TEST_F(RouterTest, UnknownRouteIsInvalidArgument) {
  RecallOptions options;
  options.route = "fastest";
  auto r = router_.Recall(*memory_, "What did Melanie paint?", Towards("D1:2"), options);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_THAT(r.status().message(), HasSubstr("fastest"));
  EXPECT_THAT(r.status().message(), HasSubstr("hybrid"));
}

TEST_F(RouterTest, HybridIsPlainWeightedFusion) {
  RecallOptions options;
  options.route = "hybrid";
  auto r = router_.Recall(*memory_, "What did Melanie paint?", Towards("D2:3"), options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->route.weights.at("bm25"), 0.7f);
  EXPECT_EQ(r->route.weights.at("vector"), 0.3f);
  for (const auto& h : r->hits) {
    for (const auto& [signal, value] : h.signals) {
      EXPECT_TRUE(signal == "bm25" || signal == "vector") << signal << " in hybrid hit " << h.source_ids.front();
    }
    // The score is the weighted sum of the two normalised signals.
    float expected = 0.7f * (h.signals.count("bm25") ? h.signals.at("bm25") : 0.0f) +
                     0.3f * (h.signals.count("vector") ? h.signals.at("vector") : 0.0f);
    EXPECT_NEAR(h.score, expected, 1e-5f);
  }
  // The caller's weights apply to "hybrid".
  options.lexical_weight = 0.0f;
  options.vector_weight = 1.0f;
  r = router_.Recall(*memory_, "What did Melanie paint?", Towards("D2:3"), options);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->hits.empty());
  EXPECT_EQ(r->hits.front().source_ids.front(), "D2:3");
}

TEST_F(RouterTest, TheReplyToAMatchingQuestionIsRecalled) {
  // "paint" only matches Caroline's question (D1:1) and the session-2 turns;
  // Melanie's answer (D1:2) shares no word with the question and its vector
  // is unrelated. The dialogue neighbour rule brings it in (the context
  // keys, which find it too, are off here).
  RecallOptions options;
  options.weights["context_key"] = 0.0f;
  auto r = router_.Recall(*memory_, "What did Melanie paint last week?", Towards("D2:3"), options);
  ASSERT_TRUE(r.ok());
  auto ids = Ids(*r);
  auto it = std::find(ids.begin(), ids.end(), "D1:2");
  ASSERT_NE(it, ids.end()) << "the answer after the question turn is missing";
  const Hit& answer = r->hits[static_cast<size_t>(it - ids.begin())];
  EXPECT_GT(answer.signals.at("neighbour"), 0.0f);
  EXPECT_EQ(answer.signals.at("speaker"), 1.0f);  // by Melanie, the target
  bool explained = std::any_of(r->route.steps.begin(), r->route.steps.end(),
                               [](const std::string& s) { return s.rfind("neighbours:", 0) == 0; });
  EXPECT_TRUE(explained);
  // With the default plan its context key (the question's words) finds it.
  options.weights.clear();
  r = router_.Recall(*memory_, "What did Melanie paint last week?", Towards("D2:3"), options);
  ASSERT_TRUE(r.ok());
  ids = Ids(*r);
  it = std::find(ids.begin(), ids.end(), "D1:2");
  ASSERT_NE(it, ids.end());
  EXPECT_GT(r->hits[static_cast<size_t>(it - ids.begin())].signals.at("context_key"), 0.0f);
  // The plain BM25 route has no such expansion.
  options.route = "bm25";
  r = router_.Recall(*memory_, "What did Melanie paint last week?", {}, options);
  ASSERT_TRUE(r.ok());
  for (const auto& h : r->hits) EXPECT_EQ(h.signals.count("neighbour"), 0u);
}

TEST_F(RouterTest, AStatementLendsToWhatItAnswersNotToWhatFollows) {
  // D1:3 is a statement: the turn before it (D1:2) is what it follows up;
  // the turn after it (D1:4) is a new topic and inherits nothing.
  RecallOptions options;
  options.route = "single_fact";
  auto r = router_.Recall(*memory_, "Which support group did she go to?", Towards("D1:3"), options);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->hits.empty());
  EXPECT_EQ(r->hits.front().source_ids.front(), "D1:3");
  for (const auto& h : r->hits) {
    if (h.source_ids.front() == "D1:2") EXPECT_GT(h.signals.count("neighbour"), 0u);
    if (h.source_ids.front() == "D1:4") EXPECT_EQ(h.signals.count("neighbour"), 0u);
  }
  auto ids = Ids(*r);
  EXPECT_NE(std::find(ids.begin(), ids.end(), "D1:2"), ids.end());
}

TEST_F(RouterTest, TheTargetsOwnTurnRanksFirstAmongEqualMatches) {
  // D2:1 (Melanie) and D2:2 (Caroline) both say "painted a horse".
  RecallOptions options;
  options.route = "single_fact";
  auto r = router_.Recall(*memory_, "What did Caroline paint a horse for?", Towards("D1:4"), options);
  ASSERT_TRUE(r.ok());
  auto ids = Ids(*r);
  auto caroline = std::find(ids.begin(), ids.end(), "D2:2");
  auto melanie = std::find(ids.begin(), ids.end(), "D2:1");
  ASSERT_NE(caroline, ids.end());
  ASSERT_NE(melanie, ids.end());
  EXPECT_LT(caroline, melanie);
  options.route = "single_fact";
  r = router_.Recall(*memory_, "What did Melanie paint a horse for?", Towards("D1:4"), options);
  ASSERT_TRUE(r.ok());
  ids = Ids(*r);
  EXPECT_LT(std::find(ids.begin(), ids.end(), "D2:1"), std::find(ids.begin(), ids.end(), "D2:2"));
}

TEST_F(RouterTest, BM25SkipsTheTargetNameAndSaysSo) {
  RecallOptions options;
  auto r = router_.Recall(*memory_, "What kind of clouds did Melanie paint?", Towards("D2:3"), options);
  ASSERT_TRUE(r.ok());
  bool content_step = false;
  for (const auto& s : r->route.steps) {
    if (s.find("bm25: content words") == 0) {
      content_step = true;
      EXPECT_THAT(s, Not(HasSubstr("Melanie")));
      EXPECT_THAT(s, Not(HasSubstr("kind")));
      EXPECT_THAT(s, HasSubstr("clouds"));
    }
  }
  EXPECT_TRUE(content_step);
  ASSERT_FALSE(r->hits.empty());
  EXPECT_EQ(r->hits.front().source_ids.front(), "D1:2");
}

TEST_F(RouterTest, AListOfPlacesFavoursTheTargetsTurnsThatNamePlaces) {
  // The evidence shares no word with the question; the graph knows it names a place.
  Add("s9", "Caroline", "The tapas there were the best I've ever had.", Iso("2023-07-01T10:00:00Z"), "D9:1");
  Add("s9", "Melanie", "We flew back from Lisbon yesterday.", Iso("2023-07-01T10:01:00Z"), "D9:2");
  memory_->graph().AddEntity(Entity{"Spain", EntityType::kPlace, {}, {"D9:1"}});
  memory_->graph().AddEntity(Entity{"Lisbon", EntityType::kPlace, {}, {"D9:2"}});
  RecallOptions options;
  options.k = 50;
  options.route = "multi_hop";
  auto r = router_.Recall(*memory_, "What countries has Caroline been to?", Towards("D1:4"), options);
  ASSERT_TRUE(r.ok());
  const Hit* caroline = nullptr;
  for (const auto& h : r->hits) {
    if (h.source_ids.front() == "D9:1") caroline = &h;
    // Melanie's place is not Caroline's answer.
    if (h.source_ids.front() == "D9:2") EXPECT_EQ(h.signals.count("answer_type"), 0u);
  }
  ASSERT_NE(caroline, nullptr);
  EXPECT_EQ(caroline->signals.at("answer_type"), 1.0f);
}

// The position of the hit for source `id` in `r`, or the hit count.
size_t RankOf(const RecallResult& r, const std::string& id) {
  for (size_t i = 0; i < r.hits.size(); ++i) {
    if (r.hits[i].source_ids.front() == id) return i;
  }
  return r.hits.size();
}

TEST_F(RouterTest, AListQuestionSurfacesTheTurnsNamingItsItems) {
  // "kayaking" shares no word with the question; the lexicon knows it is an activity.
  const TimeMs s3 = Iso("2023-08-01T10:00:00Z");
  Add("s3", "Caroline", "How was your Saturday?", s3, "D3:1");
  Add("s3", "Melanie", "Lovely! We went kayaking, the water was calm.", s3 + 1000, "D3:2");
  Add("s3", "Caroline", "I went kayaking once, years ago.", s3 + 2000, "D3:3");
  RecallOptions options;
  options.k = 20;
  const std::string question = "What activities does Melanie do?";
  // The aggregation alone: the WordNet match would lift "kayaking" too.
  options.weights["wordnet"] = 0;
  auto with = router_.Recall(*memory_, question, Towards("D2:1"), options);
  options.weights["aggregation"] = 0;
  auto without = router_.Recall(*memory_, question, Towards("D2:1"), options);
  ASSERT_TRUE(with.ok() && without.ok());
  EXPECT_THAT(with->route.steps, Contains(HasSubstr("a list of activity ('activities')")));
  const size_t rank = RankOf(*with, "D3:2");
  ASSERT_LT(rank, with->hits.size());
  EXPECT_EQ(with->hits[rank].signals.at("aggregation"), 1.0f);
  EXPECT_LT(rank, 3u);
  EXPECT_LT(rank, RankOf(*without, "D3:2"));
  // Melanie's activities, not Caroline's: the same item said by someone else gets nothing.
  for (const auto& h : with->hits) {
    if (h.speaker != "Melanie") EXPECT_EQ(h.signals.count("aggregation"), 0u) << h.text;
  }
}

TEST_F(RouterTest, AListOfTitledWorksCountsQuotedTitlesAsItems) {
  Add("s3", "Melanie", "I read \"Charlotte's Web\" to the kids last night.", Iso("2023-08-01T10:00:00Z"), "D3:1");
  RecallOptions options;
  options.k = 20;
  auto r = router_.Recall(*memory_, "What books has Melanie read?", Towards("D2:1"), options);
  ASSERT_TRUE(r.ok());
  const size_t rank = RankOf(*r, "D3:1");
  ASSERT_LT(rank, r->hits.size());
  EXPECT_EQ(r->hits[rank].signals.at("aggregation"), 1.0f);
  EXPECT_THAT(r->route.steps, Contains(HasSubstr("\"charlotte's web\"")));
}

TEST_F(RouterTest, AQuestionForNoListIsUnchangedByTheLexicon) {
  Add("s3", "Melanie", "We went kayaking, the water was calm.", Iso("2023-08-01T10:00:00Z"), "D3:1");
  RecallOptions options;
  options.k = 20;
  for (const char* question : {"What did Melanie paint?", "Where do Melanie's kids swim?"}) {
    auto with = router_.Recall(*memory_, question, Towards("D1:2"), options);
    router_.SetCategoryLexicon(nullptr);
    auto without = router_.Recall(*memory_, question, Towards("D1:2"), options);
    router_.SetCategoryLexicon(std::make_shared<CategoryLexicon>(std::string(ENGRAM_TEST_DATA_DIR) + "/wordnet"));
    ASSERT_TRUE(with.ok() && without.ok());
    ASSERT_EQ(Ids(*with), Ids(*without)) << question;
    for (size_t i = 0; i < with->hits.size(); ++i) EXPECT_EQ(with->hits[i].score, without->hits[i].score);
    EXPECT_THAT(with->route.steps, Not(Contains(HasSubstr("aggregation"))));
  }
}

TEST_F(RouterTest, WithoutWordNetListQuestionsAreAnsweredWithoutExpansion) {
  Add("s3", "Melanie", "We went kayaking, the water was calm.", Iso("2023-08-01T10:00:00Z"), "D3:1");
  RecallOptions options;
  options.k = 20;
  const std::string question = "What activities does Melanie do?";
  router_.SetCategoryLexicon(std::make_shared<CategoryLexicon>("/nonexistent/wordnet"));
  auto missing = router_.Recall(*memory_, question, Towards("D2:1"), options);
  options.weights["aggregation"] = 0;
  auto off = router_.Recall(*memory_, question, Towards("D2:1"), options);
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(Ids(*missing), Ids(*off));
  for (const auto& h : missing->hits) EXPECT_EQ(h.signals.count("aggregation"), 0u);
  EXPECT_THAT(missing->route.steps, Not(Contains(HasSubstr("a list of"))));
}

// Turns that say what the question asks about in other words: "violin"
// for "instruments". The unrelated turn comes first in the conversation, so
// without the WordNet match it would rank first (equal scores keep
// conversation order).
class WordNetMatchTest : public RouterTest {
 protected:
  void SetUp() override {
    RouterTest::SetUp();
    Add("s4", "Melanie", "I practise yoga every day.", Iso("2023-08-01T10:00:00Z"), "D4:1");
    Add("s4", "Melanie", "I practise violin every day.", Iso("2023-08-01T10:01:00Z"), "D4:2");
  }

  // Where the turn with `id` ranks in `r` (hits.size() when absent).
  size_t RankOf(const RecallResult& r, const std::string& id) const {
    auto ids = Ids(r);
    return static_cast<size_t>(std::find(ids.begin(), ids.end(), id) - ids.begin());
  }
};

TEST_F(WordNetMatchTest, AMemberOfTheAskedForCategoryRanksAboveAnUnrelatedTurn) {
  RecallOptions options;
  options.k = 20;
  options.weights["wordnet"] = 0.5f;  // off by default
  options.weights["rerank_depth"] = 0;  // the stage alone, before the reranker
  const std::string question = "Does Melanie play any instruments?";
  auto with = router_.Recall(*memory_, question, Towards("D1:2"), options);
  ASSERT_TRUE(with.ok()) << with.status().ToString();
  EXPECT_LT(RankOf(*with, "D4:2"), RankOf(*with, "D4:1"));
  const Hit& violin = with->hits[RankOf(*with, "D4:2")];
  const Hit& yoga = with->hits[RankOf(*with, "D4:1")];
  // The two share the same words with the question (only the name): only
  // WordNet tells them apart.
  auto signal = [](const Hit& h, const char* name) { return h.signals.count(name) ? h.signals.at(name) : 0.0f; };
  EXPECT_EQ(signal(violin, "bm25"), signal(yoga, "bm25"));
  EXPECT_GT(signal(violin, "wordnet"), 0.0f);
  EXPECT_EQ(yoga.signals.count("wordnet"), 0u);
  EXPECT_THAT(with->route.steps, Contains(HasSubstr("violin for 'instruments'")));
  // The same question with the stage off (the default): the unrelated turn is first.
  options.weights.erase("wordnet");
  auto off = router_.Recall(*memory_, question, Towards("D1:2"), options);
  ASSERT_TRUE(off.ok());
  EXPECT_GT(RankOf(*off, "D4:2"), RankOf(*off, "D4:1"));
  EXPECT_THAT(off->route.steps, Not(Contains(HasSubstr("wordnet"))));
}

TEST_F(WordNetMatchTest, NoBonusWithoutWordNetOrForAnotherCategoryOrTheWordItself) {
  Add("s4", "Melanie", "My instruments are in the attic.", Iso("2023-08-01T10:02:00Z"), "D4:3");
  RecallOptions options;
  options.k = 20;
  options.weights["wordnet"] = 0.5f;
  // Without WordNet the stage does nothing: the same ranking as with it off.
  router_.SetCategoryLexicon(std::make_shared<CategoryLexicon>("/nonexistent/wordnet"));
  auto missing = router_.Recall(*memory_, "Does Melanie play any instruments?", Towards("D1:2"), options);
  ASSERT_TRUE(missing.ok());
  RecallOptions off_options = options;
  off_options.weights["wordnet"] = 0;
  auto off = router_.Recall(*memory_, "Does Melanie play any instruments?", Towards("D1:2"), off_options);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(Ids(*missing), Ids(*off));
  for (const auto& h : missing->hits) EXPECT_EQ(h.signals.count("wordnet"), 0u);
  router_.SetCategoryLexicon(std::make_shared<CategoryLexicon>(std::string(ENGRAM_TEST_DATA_DIR) + "/wordnet"));
  // A violin is no sport: a question about sports lifts the swimming turn,
  // not the violin.
  auto sport = router_.Recall(*memory_, "Does Melanie do any sport?", Towards("D1:2"), options);
  ASSERT_TRUE(sport.ok());
  EXPECT_EQ(sport->hits[RankOf(*sport, "D4:2")].signals.count("wordnet"), 0u);
  EXPECT_GT(sport->hits[RankOf(*sport, "D1:4")].signals.count("wordnet"), 0u);  // "swimming in the lake"
  // The question's own word is BM25's to match, not a related word.
  auto own = router_.Recall(*memory_, "Does Melanie play any instruments?", Towards("D1:2"), options);
  ASSERT_TRUE(own.ok());
  const Hit& attic = own->hits[RankOf(*own, "D4:3")];
  EXPECT_GT(attic.signals.count("bm25"), 0u);
  EXPECT_EQ(attic.signals.count("wordnet"), 0u);
}

TEST_F(RouterTest, EvidenceOnlyFromSomeoneElseIsFlaggedLikelyUnanswerable) {
  Add("s9", "Caroline", "The tapas in Seville were the best I've ever had.", Iso("2023-07-01T10:00:00Z"), "D9:1");
  RecallOptions options;
  options.route = "single_fact";
  options.k = 3;
  // Asked about Melanie, but only Caroline ever talked about tapas.
  auto r = router_.Recall(*memory_, "What did Melanie think of the tapas in Seville?", Towards("D9:1"), options);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->hits.empty());
  EXPECT_EQ(r->hits.front().source_ids.front(), "D9:1");
  // Melanie's own turns may still be listed (the speaker prior lifts them),
  // but none of them matches the question on content.
  EXPECT_TRUE(r->route.likely_unanswerable);
  bool explained = false;
  for (const auto& step : r->route.steps) explained |= step.find("answerability") == 0;
  EXPECT_TRUE(explained);
  // Asked about Caroline, the same evidence answers it.
  r = router_.Recall(*memory_, "What did Caroline think of the tapas in Seville?", Towards("D9:1"), options);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->route.likely_unanswerable);
}

TEST_F(RouterTest, TimeConstraintFavoursDocumentsInRange) {
  RecallOptions options;
  options.route = "temporal";
  // "painted" matches D2:1 and D2:2 (July) and D1:1 (May, "paint").
  auto r = router_.Recall(*memory_, "What did they paint in July 2023?", Towards("D1:4"), options);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->hits.empty());
  const Hit& top = r->hits.front();
  EXPECT_EQ(top.session, "s2");
  EXPECT_EQ(top.signals.at("temporal"), 1.0f);
  EXPECT_EQ(r->route.from_ms, Iso("2023-07-01T00:00:00Z"));
}

TEST_F(RouterTest, FiltersApplyToEveryRoute) {
  for (const char* route : {"auto", "hybrid", "multi_hop", "temporal"}) {
    RecallOptions options;
    options.route = route;
    options.speaker = "Caroline";
    auto r = router_.Recall(*memory_, "What did Melanie paint?", Towards("D1:2"), options);
    ASSERT_TRUE(r.ok()) << route;
    for (const auto& h : r->hits) EXPECT_EQ(h.speaker, "Caroline") << route << " " << h.source_ids.front();
  }
}

TEST_F(RouterTest, PlansAreInspectableAndReplaceable) {
  const RoutePlan* temporal = router_.FindPlan("temporal");
  ASSERT_NE(temporal, nullptr);
  EXPECT_GT(temporal->temporal_weight, 0.0f);
  EXPECT_EQ(router_.FindPlan("nonsense"), nullptr);
  for (const char* name : {"hybrid", "bm25", "vector", "single_fact", "multi_hop", "temporal", "persona", "open",
                           "unanswerable"}) {
    EXPECT_NE(router_.FindPlan(name), nullptr) << name;
  }
  RoutePlan only_vectors = *router_.FindPlan("single_fact");
  only_vectors.lexical_weight = 0;
  only_vectors.vector_weight = 1;
  only_vectors.neighbour_seeds = 0;
  only_vectors.speaker_weight = 0;
  router_.SetPlan(only_vectors);
  RecallOptions options;
  options.route = "single_fact";
  auto r = router_.Recall(*memory_, "What did Melanie paint?", Towards("D2:3"), options);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->hits.empty());
  EXPECT_EQ(r->hits.front().source_ids.front(), "D2:3");
  EXPECT_EQ(r->route.weights.at("bm25"), 0.0f);
}

TEST_F(RouterTest, TheCallersWeightsOverrideTheRoutesByName) {
  RecallOptions options;
  options.route = "single_fact";
  options.weights["speaker"] = 0.4f;
  auto r = router_.Recall(*memory_, "What did Melanie paint?", Towards("D2:3"), options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->route.weights.at("speaker"), 0.4f);
  EXPECT_EQ(r->route.weights.at("bm25"), 0.7f);  // the others stay the route's
  // A weight named with a route applies only when that route runs.
  options.weights = {{"multi_hop.speaker", 0.4f}};
  r = router_.Recall(*memory_, "What did Melanie paint?", Towards("D2:3"), options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->route.weights.at("speaker"), router_.FindPlan("single_fact")->speaker_weight);
  options.weights = {{"single_fact.speaker", 0.4f}};
  r = router_.Recall(*memory_, "What did Melanie paint?", Towards("D2:3"), options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->route.weights.at("speaker"), 0.4f);
  options.weights = {{"nowhere.speaker", 0.4f}};
  r = router_.Recall(*memory_, "What did Melanie paint?", Towards("D2:3"), options);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("nowhere"));
  options.weights = {{"nonsense", 1.0f}};
  r = router_.Recall(*memory_, "What did Melanie paint?", Towards("D2:3"), options);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_THAT(r.status().message(), HasSubstr("nonsense"));
  EXPECT_THAT(r.status().message(), HasSubstr("speaker"));  // the names it knows
}

TEST_F(RouterTest, ATurnSaidToTheTargetCountsAsAboutThem) {
  // The same words twice, said by Caroline: to Melanie in s3, to Jon in s4.
  // "You told me you adopted a puppy" tells the story of the one it is
  // said to, so each question finds the copy said to its target first.
  const TimeMs t = Iso("2023-09-01T10:00:00Z");
  Add("s3", "Melanie", "Guess what happened this spring.", t, "D3:1");
  Add("s3", "Caroline", "You told me you adopted a puppy.", t + 1000, "D3:2");
  Add("s4", "Jon", "Guess what happened this spring.", t + 2000, "D4:1");
  Add("s4", "Caroline", "You told me you adopted a puppy.", t + 3000, "D4:2");
  RecallOptions options;
  options.route = "single_fact";
  for (const auto& [target, said_to, said_to_other] :
       std::vector<std::tuple<std::string, std::string, std::string>>{{"Melanie", "D3:2", "D4:2"},
                                                                      {"Jon", "D4:2", "D3:2"}}) {
    SCOPED_TRACE(target);
    auto r = router_.Recall(*memory_, "What did " + target + " adopt?", Towards("D1:1"), options);
    ASSERT_TRUE(r.ok());
    auto ids = Ids(*r);
    auto to_target = std::find(ids.begin(), ids.end(), said_to);
    auto to_other = std::find(ids.begin(), ids.end(), said_to_other);
    ASSERT_NE(to_target, ids.end());
    ASSERT_NE(to_other, ids.end());
    EXPECT_LT(to_target, to_other);
    EXPECT_GT(r->hits[static_cast<size_t>(to_target - ids.begin())].signals.count("speaker"), 0u);
    EXPECT_EQ(r->hits[static_cast<size_t>(to_other - ids.begin())].signals.count("speaker"), 0u);
  }
  // A turn without "you" is not about the one it is said to.
  auto r = router_.Recall(*memory_, "What did Melanie paint?", Towards("D1:1"), options);
  ASSERT_TRUE(r.ok());
  for (const auto& h : r->hits) {
    if (h.source_ids.front() == "D2:2") EXPECT_EQ(h.signals.count("speaker"), 0u);  // Caroline's own horse
  }
}

TEST_F(RouterTest, ATurnAmongRelevantNeighboursRanksAboveTheSameWordsInPassing) {
  // The same words in two sessions; only in s4 is the talk around them
  // about the question. s3 comes first, so without the session context the
  // tie goes to s3.
  const TimeMs t = Iso("2023-09-01T10:00:00Z");
  Add("s3", "Caroline", "I baked bread with my neighbour.", t, "D3:1");
  Add("s3", "Melanie", "We loved the trip with the kids.", t + 1000, "D3:2");
  Add("s3", "Caroline", "Bread is the best thing to bake.", t + 2000, "D3:3");
  Add("s4", "Caroline", "The river was calm that morning.", t + 3000, "D4:1");
  Add("s4", "Melanie", "We loved the trip with the kids.", t + 4000, "D4:2");
  Add("s4", "Caroline", "Canoes are such fun.", t + 5000, "D4:3");
  RecallOptions options;
  options.route = "single_fact";
  auto rank_of = [&](const RecallResult& r, const std::string& id) {
    auto ids = Ids(r);
    return static_cast<size_t>(std::find(ids.begin(), ids.end(), id) - ids.begin());
  };
  const std::string question = "What did Melanie love about the canoe trip on the river?";
  auto r = router_.Recall(*memory_, question, Towards("D1:1"), options);
  ASSERT_TRUE(r.ok());
  ASSERT_LT(rank_of(*r, "D4:2"), r->hits.size());
  ASSERT_LT(rank_of(*r, "D3:2"), r->hits.size());
  EXPECT_LT(rank_of(*r, "D4:2"), rank_of(*r, "D3:2"));
  EXPECT_GT(r->hits[rank_of(*r, "D4:2")].signals.count("session_context"), 0u);
  // Off, the two are tied and the earlier one wins.
  options.weights["session_context"] = 0.0f;
  r = router_.Recall(*memory_, question, Towards("D1:1"), options);
  ASSERT_TRUE(r.ok());
  EXPECT_LT(rank_of(*r, "D3:2"), rank_of(*r, "D4:2"));
}

TEST_F(RouterTest, TheRerankerReportsItsFeaturesAndItsOrderReplaysFromThem) {
  RecallOptions options;
  options.route = "single_fact";
  options.k = 50;
  options.weights["rerank_depth"] = 5;
  auto r = router_.Recall(*memory_, "What did Melanie paint?", Towards("D2:1"), options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_GE(r->hits.size(), 6u);
  EXPECT_THAT(r->route.steps, Contains(HasSubstr("rerank: the top 5 turns")));
  // The first five carry every feature they have as a signal, in [0, 1];
  // the others none.
  std::vector<std::pair<RerankFeatures, std::string>> reranked;
  const size_t first_rank = static_cast<size_t>(RerankFeature::kFirstRank);
  for (size_t i = 0; i < r->hits.size(); ++i) {
    const Hit& h = r->hits[i];
    EXPECT_EQ(h.signals.count("rerank"), i < 5 ? 1u : 0u) << i;
    EXPECT_EQ(h.signals.count("first_rank"), i < 5 ? 1u : 0u) << i;
    if (i >= 5) continue;
    RerankFeatures f = FeaturesFromSignals(h.signals);
    for (float v : f) {
      EXPECT_GE(v, 0.0f);
      EXPECT_LE(v, 1.0f);
    }
    EXPECT_GE(h.score, r->hits[5].score);
    reranked.emplace_back(f, h.source_ids.front());
  }
  // Put back in first-stage order and ordered again by the shipped
  // weights, they come out in the order returned.
  std::vector<std::string> returned;
  for (const auto& [f, id] : reranked) returned.push_back(id);
  std::sort(reranked.begin(), reranked.end(),
            [&](const auto& a, const auto& b) { return a.first[first_rank] > b.first[first_rank]; });
  std::vector<RerankFeatures> candidates;
  for (const auto& [f, id] : reranked) candidates.push_back(f);
  std::vector<std::string> replayed;
  for (size_t i : RerankOrder(candidates, DefaultRerankWeights())) replayed.push_back(reranked[i].second);
  EXPECT_EQ(replayed, returned);
  // What the features say about known turns.
  auto hit = [&](const std::string& id) -> const Hit* {
    for (const auto& h : r->hits) {
      if (h.source_ids.front() == id) return &h;
    }
    return nullptr;
  };
  auto feature = [](const Hit* h, const char* name) {
    auto it = h->signals.find(name);
    return it == h->signals.end() ? 0.0f : it->second;
  };
  const Hit* horse = hit("D2:1");  // "I painted a horse for my daughter last month." (Melanie)
  ASSERT_NE(horse, nullptr);
  ASSERT_GT(horse->signals.count("first_rank"), 0u);
  EXPECT_FLOAT_EQ(feature(horse, "coverage"), 1.0f);
  EXPECT_FLOAT_EQ(feature(horse, "by_target"), 1.0f);
  EXPECT_FLOAT_EQ(feature(horse, "asks"), 0.0f);
  const Hit* asking = hit("D1:1");  // "Hey Melanie! What did you paint last week?" (Caroline)
  if (asking != nullptr && asking->signals.count("first_rank") > 0) {
    EXPECT_FLOAT_EQ(feature(asking, "asks"), 1.0f);
    EXPECT_FLOAT_EQ(feature(asking, "by_target"), 0.0f);
  }
  const Hit* sunset = hit("D1:2");  // the reply to D1:1
  if (sunset != nullptr && sunset->signals.count("first_rank") > 0) {
    EXPECT_FLOAT_EQ(feature(sunset, "prev_coverage"), 1.0f);
  }
  // Off, no hit is reranked.
  options.weights["rerank_depth"] = 0;
  r = router_.Recall(*memory_, "What did Melanie paint?", Towards("D2:1"), options);
  ASSERT_TRUE(r.ok());
  for (const auto& h : r->hits) EXPECT_EQ(h.signals.count("rerank"), 0u);
}

// ---------------------------------------------------------------------------
// Context packing

TEST_F(RouterTest, ContextNeverExceedsTheBudgetAndEveryItemHasProvenance) {
  RecallOptions options;
  for (size_t budget : {0u, 10u, 25u, 40u, 80u, 150u, 400u, 2000u}) {
    auto ctx = router_.RecallContext(*memory_, "What did Melanie paint?", Towards("D1:2"), budget, options);
    ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
    EXPECT_LE(ctx->tokens, budget);
    EXPECT_LE(ApproxTokens(ctx->text), budget) << ctx->text;
    size_t items = 0;
    for (const auto& section : ctx->sections) {
      EXPECT_FALSE(section.items.empty()) << "empty section " << section.name;
      for (const auto& item : section.items) {
        ++items;
        ASSERT_FALSE(item.source_ids.empty()) << section.name << ": " << item.text;
        for (const auto& id : item.source_ids) {
          EXPECT_NE(memory_->SeqOfSource(id), 0u) << section.name << " item cites unknown turn '" << id << "'";
          // The rendering names the item's sources.
          EXPECT_THAT(ctx->text, HasSubstr(id));
        }
      }
    }
    if (budget == 0) EXPECT_EQ(items, 0u);
    // Working memory and persona facts never crowd the evidence out.
    if (budget >= 40) {
      bool has_evidence = std::any_of(ctx->sections.begin(), ctx->sections.end(),
                                      [](const ContextSection& s) { return s.name == "evidence"; });
      EXPECT_TRUE(has_evidence) << "budget " << budget << ":\n" << ctx->text;
    }
    if (budget >= 400) EXPECT_GT(items, 3u);
  }
}

TEST_F(RouterTest, ContextHasTheEvidenceAndThePersonaOfTheTarget) {
  RecallOptions options;  // working memory: the latest session, s2
  auto ctx = router_.RecallContext(*memory_, "What did Melanie paint last week?", Towards("D1:2"), 2000, options);
  ASSERT_TRUE(ctx.ok());
  std::vector<std::string> names;
  for (const auto& s : ctx->sections) names.push_back(s.name);
  EXPECT_THAT(names, Contains("evidence"));
  EXPECT_THAT(names, Contains("persona"));
  EXPECT_THAT(ctx->text, HasSubstr("Melanie likes: painting"));
  EXPECT_THAT(ctx->text, HasSubstr("A sunset over the lake"));
  EXPECT_EQ(ctx->route.question_kind, "temporal");  // "last week"
  // Evidence never repeats a turn the working-memory section already shows.
  std::set<std::string> working, evidence;
  for (const auto& s : ctx->sections) {
    for (const auto& h : s.items) {
      if (s.name == "working") working.insert(h.source_ids.front());
      if (s.name == "evidence") EXPECT_TRUE(evidence.insert(h.source_ids.front()).second);
    }
  }
  for (const auto& id : evidence) EXPECT_EQ(working.count(id), 0u) << id;
}

// Tiers of thousands of facts about one speaker: reading the speaker's
// name's lists whole or looking them up gives the same hits, in the same
// order, with and without filters.
TEST(TierSearchTest, LookingUpLongListsGivesTheSameHits) {
  auto created = TenantMemory::Create("t", Options{}, 8);
  ASSERT_TRUE(created.ok());
  TenantMemory& memory = **created;
  const char* attributes[] = {"home", "occupation", "pet", "likes", "hobby", "diet", "employer"};
  const char* values[] = {"Lakewood", "nurse", "dog Biscuit", "jazz", "hiking", "vegan", "Acme", "Porto", "chess"};
  const char* relations[] = {"lives_in", "works_at", "likes", "visited", "friend_of"};
  const char* objects[] = {"Denver", "Acme", "jazz", "Porto", "Omar", "Lisbon"};
  const TimeMs start = Iso("2023-01-01T00:00:00Z");
  uint32_t state = 5;
  auto next = [&](uint32_t n) {
    state = state * 1103515245u + 12345u;
    return (state >> 16) % n;
  };
  for (uint64_t seq = 1; seq <= 6000; ++seq) {
    Turn turn;
    turn.session = "s" + std::to_string(seq / 20);
    turn.speaker = seq % 4 == 0 ? "Omar" : "Maya";
    turn.text = "turn " + std::to_string(seq);
    turn.time_ms = start + static_cast<TimeMs>(seq) * 3600 * 1000;
    turn.source_id = "D:" + std::to_string(seq);
    Extraction x;
    PersonaFact f;
    f.subject = turn.speaker;
    f.attribute = attributes[next(7)];
    f.value = values[next(9)];
    f.confidence = 0.5f + 0.1f * static_cast<float>(next(6));
    f.valid_from_ms = turn.time_ms;
    f.source_ids = {turn.source_id};
    x.facts.push_back(f);
    Relation r;
    r.subject = turn.speaker;
    r.relation = relations[next(5)];
    r.object = objects[next(6)];
    r.time_ms = turn.time_ms;
    r.source_ids = {turn.source_id};
    x.relations.push_back(r);
    memory.ApplyTurn(seq, turn, x);
  }
  for (const char* question : {"Where does Maya live now?", "What does Maya like?", "Tell me about Maya",
                               "Maya and Omar, jazz?", "Who does Omar work for?", "Maya chess hobby",
                               "What did Maya do in Porto?"}) {
    for (size_t k : {1u, 5u, 25u}) {
      for (int filter = 0; filter < 3; ++filter) {
        RecallOptions options;
        options.k = k;
        options.tiers = {Tier::kPersona, Tier::kGraph};
        if (filter == 1) options.speaker = "maya";
        if (filter == 2) options.from_ms = start + 2000LL * 3600 * 1000;
        std::vector<Hit> read_whole, looked_up;
        AddTierHits(memory, question, options, &read_whole, TierSearchTuning{std::numeric_limits<size_t>::max()});
        AddTierHits(memory, question, options, &looked_up, TierSearchTuning{1});
        ASSERT_EQ(read_whole.size(), looked_up.size()) << question << " k " << k;
        ASSERT_FALSE(read_whole.empty()) << question;
        for (size_t i = 0; i < read_whole.size(); ++i) {
          EXPECT_EQ(looked_up[i].id, read_whole[i].id) << question << " k " << k << " filter " << filter << " #" << i;
          EXPECT_EQ(looked_up[i].score, read_whole[i].score) << question;
        }
      }
    }
  }
}

}  // namespace
}  // namespace engram
