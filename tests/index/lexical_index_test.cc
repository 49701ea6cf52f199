#include "index/lexical_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "index/text_analyzer.h"

namespace engram {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

AnalyzerOptions NoStem() {
  AnalyzerOptions o;
  o.stem = false;
  return o;
}

std::vector<uint64_t> Ids(const std::vector<LexicalHit>& hits) {
  std::vector<uint64_t> ids;
  for (const LexicalHit& h : hits) ids.push_back(h.id);
  return ids;
}

// ---------------------------------------------------------------- analyzer

TEST(TextAnalyzerTest, StemsWithSnowball) {
  TextAnalyzer analyzer;
  EXPECT_THAT(analyzer.Terms("running"), ElementsAre("run"));
  EXPECT_THAT(analyzer.Terms("Painting paintings painted"), ElementsAre("paint", "paint", "paint"));
}

TEST(TextAnalyzerTest, StemmingCanBeTurnedOff) {
  TextAnalyzer analyzer(NoStem());
  EXPECT_THAT(analyzer.Terms("running"), ElementsAre("running"));
}

TEST(TextAnalyzerTest, RemovesStopWordsAndKeepsOrder) {
  TextAnalyzer analyzer(NoStem());
  EXPECT_THAT(analyzer.Terms("The cat and the dog went to the park"),
              ElementsAre("cat", "dog", "went", "park"));
  AnalyzerOptions keep = NoStem();
  keep.remove_stop_words = false;
  EXPECT_THAT(TextAnalyzer(keep).Terms("The cat and the dog"),
              ElementsAre("the", "cat", "and", "the", "dog"));
}

TEST(TextAnalyzerTest, CaseFoldsAndNormalises) {
  TextAnalyzer analyzer(NoStem());
  EXPECT_THAT(analyzer.Terms("LGBTQ Support"), ElementsAre("lgbtq", "support"));
  // Full-width letters (NFKC) and German sharp s (case folding).
  EXPECT_THAT(analyzer.Terms("\uFF21\uFF22\uFF23 Stra\u00DFe"), ElementsAre("abc", "strasse"));
}

TEST(TextAnalyzerTest, FoldsLatinDiacritics) {
  TextAnalyzer analyzer(NoStem());
  EXPECT_THAT(analyzer.Terms("Caf\u00E9 na\u00EFve Zo\u00EB"), ElementsAre("cafe", "naive", "zoe"));
  // Decomposed input (e + combining acute) gives the same term.
  EXPECT_THAT(analyzer.Terms("Cafe\u0301"), ElementsAre("cafe"));
}

TEST(TextAnalyzerTest, TokenisesNonLatinScripts) {
  TextAnalyzer analyzer;
  EXPECT_THAT(analyzer.Terms("\u041F\u0440\u0438\u0432\u0435\u0442, \u043C\u0438\u0440!"),
              ElementsAre("\u043F\u0440\u0438\u0432\u0435\u0442", "\u043C\u0438\u0440"));
  // Greek upper case folds to lower case, accents on Greek stay.
  EXPECT_THAT(analyzer.Terms("\u03A3\u039F\u03A6\u0399\u0391 \u03AC\u03BB\u03C6\u03B1"),
              ElementsAre("\u03C3\u03BF\u03C6\u03B9\u03B1", "\u03AC\u03BB\u03C6\u03B1"));
  // Devanagari keeps its vowel signs and virama (combining marks).
  EXPECT_THAT(analyzer.Terms("\u0928\u092E\u0938\u094D\u0924\u0947 \u0926\u0941\u0928\u093F\u092F\u093E"),
              ElementsAre("\u0928\u092E\u0938\u094D\u0924\u0947", "\u0926\u0941\u0928\u093F\u092F\u093E"));
  // Chinese has no spaces: ICU's dictionary splits "I like cats" into words.
  const auto chinese = analyzer.Terms("\u6211\u559C\u6B22\u732B");
  EXPECT_THAT(chinese, ElementsAre("\u6211", "\u559C\u6B22", "\u732B"));
}

TEST(TextAnalyzerTest, SplitsApostrophesSensibly) {
  TextAnalyzer analyzer(NoStem());
  EXPECT_THAT(analyzer.Terms("Caroline's"), ElementsAre("caroline"));
  EXPECT_THAT(analyzer.Terms("Caroline\u2019s painting"), ElementsAre("caroline", "painting"));
  EXPECT_THAT(analyzer.Terms("I don't know, we'll see"), ElementsAre("know", "see"));
  EXPECT_THAT(analyzer.Terms("O'Neil"), ElementsAre("o", "neil"));
  EXPECT_THAT(analyzer.Terms("the kids' toys"), ElementsAre("kids", "toys"));
}

// ASCII text is analysed in one scan, without ICU: on any ASCII text the
// terms must be those of ICU's word segmentation.
TEST(TextAnalyzerTest, AsciiScanGivesTheTermsOfIcuSegmentation) {
  const std::vector<std::string> cases = {
      "3's", "90's kids", "rock'n'roll", "don't5", "a''b", "'quoted'", "it's 3'4\"", "e.g. i.e.", "a.b.c",
      "1.2.3", "3.a", "a3.5", ".5", "5.", "1,000,000", ",5", "1;2", "a:b", "d1:3", "10:30", "foo_bar",
      "_x_", "x__'s", "we'll've", "ab3's", "ab'3", "o'neil's", "CAPS'LL", "it''s", "'s", "s'", "'", "",
      "   ", "\t\n", "hello-world", "#tag @user", "https://ex.am/ple?q=1&b=2", "$3.50, 20%", "3.5.6,7"};
  std::mt19937 rng(7);
  const std::string alphabet = "abcsltdmvreo019 '.,:;_-!?\"()\n";
  std::vector<std::string> all = cases;
  for (int n = 0; n < 20000; ++n) {
    std::string text;
    const size_t length = rng() % 12;
    for (size_t k = 0; k < length; ++k) text.push_back(alphabet[rng() % alphabet.size()]);
    all.push_back(text);
  }
  for (const AnalyzerOptions& options : {AnalyzerOptions{}, NoStem()}) {
    TextAnalyzer analyzer(options);
    for (const std::string& text : all) {
      ASSERT_EQ(analyzer.Terms(text), analyzer.SegmentedTerms(text)) << "text: '" << text << "'";
    }
  }
}

TEST(TextAnalyzerTest, KeepsNumbers) {
  TextAnalyzer analyzer;
  EXPECT_THAT(analyzer.Terms("In 2022 she ran 3.5 miles and 1,000 steps"),
              ElementsAre("2022", "ran", "3.5", "mile", "1000", "step"));
  EXPECT_THAT(analyzer.Terms("at 10:30, turn D1:3"), ElementsAre("10", "30", "turn", "d1", "3"));
}

TEST(TextAnalyzerTest, DropsPunctuationEmojiAndTolerratesBadUtf8) {
  TextAnalyzer analyzer(NoStem());
  EXPECT_THAT(analyzer.Terms(""), IsEmpty());
  EXPECT_THAT(analyzer.Terms("?! ... -- \U0001F600"), IsEmpty());
  EXPECT_THAT(analyzer.Terms("hello \U0001F600 world"), ElementsAre("hello", "world"));
  EXPECT_THAT(analyzer.Terms(std::string("abc\xff\xfe def")), ElementsAre("abc", "def"));
  EXPECT_THAT(analyzer.Terms("self-care"), ElementsAre("self", "care"));
}

TEST(TextAnalyzerTest, UnknownLanguageDisablesStemmingOnly) {
  AnalyzerOptions options;
  options.language = "klingon";
  TextAnalyzer analyzer(options);
  // No stemmer and no (English) stop list, but still tokenised and folded.
  EXPECT_THAT(analyzer.Terms("The Running"), ElementsAre("the", "running"));
}

// ---------------------------------------------------------------- BM25

// Corpus: d1 "cat dog cat" (|d|=3), d2 "dog fish" (2), d3 "fish bird bird
// bird" (4); N = 3, avgdl = 3, k1 = 1.2, b = 0.75.
class TinyCorpusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    index_.Add(1, "cat dog cat");
    index_.Add(2, "dog fish");
    index_.Add(3, "fish bird bird bird");
  }
  LexicalIndex index_{LexicalOptions{1.2f, 0.75f, NoStem()}};
};

TEST_F(TinyCorpusTest, ScoreMatchesHandComputedBm25) {
  // "cat": df 1, idf = ln(1 + 2.5/1.5) = 0.980829; d1 tf 2:
  // 2 * 2.2 / (2 + 1.2 * (0.25 + 0.75 * 3/3)) = 1.375 -> 1.348640.
  EXPECT_NEAR(index_.Score("cat", 1), 1.348640, 1e-5);
  // "dog fish": df 2 each, idf = ln(1.6) = 0.470004; d2 has both, tf 1,
  // |d| 2: 2.2 / (1 + 1.2 * 0.75) = 1.157895 each -> 1.088429.
  EXPECT_NEAR(index_.Score("dog fish", 2), 1.088429, 1e-5);
  // d1 has only dog, |d| 3: 2.2 / 2.2 = 1 -> 0.470004.
  EXPECT_NEAR(index_.Score("dog fish", 1), 0.470004, 1e-5);
  // d3 has only fish, |d| 4: 2.2 / (1 + 1.2 * 1.25) = 0.88 -> 0.413603.
  EXPECT_NEAR(index_.Score("dog fish", 3), 0.413603, 1e-5);
  EXPECT_EQ(index_.Score("elephant", 1), 0.0f);
  EXPECT_EQ(index_.Score("cat", 99), 0.0f);
}

TEST_F(TinyCorpusTest, SearchRanksAndMatchesScore) {
  const auto hits = index_.Search("dog fish", 10);
  EXPECT_THAT(Ids(hits), ElementsAre(2, 1, 3));
  for (const LexicalHit& h : hits) EXPECT_EQ(h.score, index_.Score("dog fish", h.id));
  EXPECT_THAT(Ids(index_.Search("dog fish", 2)), ElementsAre(2, 1));
  EXPECT_THAT(index_.Search("dog fish", 0), IsEmpty());
}

TEST_F(TinyCorpusTest, DuplicateQueryTermsCountOnce) {
  EXPECT_EQ(index_.Score("cat cat cat", 1), index_.Score("cat", 1));
  EXPECT_EQ(index_.Search("dog dog fish", 1)[0].score, index_.Search("dog fish", 1)[0].score);
}

TEST_F(TinyCorpusTest, OnlyPositiveScoresAreReturned) {
  EXPECT_THAT(index_.Search("elephant", 10), IsEmpty());
  EXPECT_THAT(index_.Search("the and of", 10), IsEmpty());  // only stop words
  EXPECT_THAT(index_.Search("", 10), IsEmpty());
  EXPECT_THAT(Ids(index_.Search("cat elephant", 10)), ElementsAre(1));
}

TEST_F(TinyCorpusTest, ExplainsPerTermScores) {
  const auto parts = index_.ScoreTerms("fish dog", 2);
  ASSERT_THAT(parts, SizeIs(2));
  EXPECT_EQ(parts[0].first, "fish");
  EXPECT_EQ(parts[1].first, "dog");
  EXPECT_NEAR(parts[0].second + parts[1].second, index_.Score("fish dog", 2), 1e-6);
}

TEST(LexicalIndexTest, RarerTermsAndShorterDocsRankHigher) {
  LexicalIndex index;
  index.Add(10, "Caroline went to the LGBTQ support group yesterday");
  index.Add(11, "Melanie went to the beach with the kids yesterday");
  index.Add(12, "Melanie painted a sunrise last year");
  index.Add(13, "The kids went camping and then went swimming and went hiking");
  const auto hits = index.Search("When did Caroline go to the LGBTQ support group?", 3);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].id, 10u);
  EXPECT_EQ(index.Search("Who painted a sunrise?", 1)[0].id, 12u);
  // Stemming matches "painting" to "painted".
  EXPECT_EQ(index.Search("sunrise painting", 1)[0].id, 12u);
}

TEST(LexicalIndexTest, EqualScoresAreOrderedById) {
  LexicalIndex index;
  index.Add(30, "apple pie");
  index.Add(10, "apple pie");
  index.Add(20, "apple pie");
  EXPECT_THAT(Ids(index.Search("apple", 10)), ElementsAre(10, 20, 30));
  EXPECT_THAT(Ids(index.Search("apple", 2)), ElementsAre(10, 20));
}

TEST(LexicalIndexTest, RemoveHidesDocumentAndUpdatesStatistics) {
  LexicalIndex index;
  index.Add(1, "red apple");
  index.Add(2, "green apple tree");
  index.Add(3, "blue sky");
  EXPECT_EQ(index.size(), 3u);
  index.Remove(1);
  index.Remove(42);  // unknown: ignored
  EXPECT_EQ(index.size(), 2u);
  EXPECT_FALSE(index.Contains(1));
  EXPECT_THAT(index.Search("red", 10), IsEmpty());
  EXPECT_THAT(Ids(index.Search("red apple", 10)), ElementsAre(2));
  EXPECT_EQ(index.Score("red apple", 1), 0.0f);

  // N, df and avgdl are as if document 1 had never been added.
  LexicalIndex fresh;
  fresh.Add(2, "green apple tree");
  fresh.Add(3, "blue sky");
  EXPECT_FLOAT_EQ(index.Score("apple tree sky", 2), fresh.Score("apple tree sky", 2));
  EXPECT_FLOAT_EQ(index.Score("apple tree sky", 3), fresh.Score("apple tree sky", 3));
}

TEST(LexicalIndexTest, ReAddReplacesText) {
  LexicalIndex index;
  index.Add(7, "guitar lessons");
  index.Add(7, "violin concert");
  EXPECT_EQ(index.size(), 1u);
  EXPECT_THAT(index.Search("guitar", 10), IsEmpty());
  EXPECT_THAT(Ids(index.Search("violin", 10)), ElementsAre(7));
  index.Remove(7);
  index.Add(7, "guitar again");
  EXPECT_THAT(Ids(index.Search("guitar", 10)), ElementsAre(7));
  EXPECT_THAT(index.Search("violin", 10), IsEmpty());
}

TEST(LexicalIndexTest, MovedIndexKeepsDocuments) {
  LexicalIndex original;
  original.Add(5, "adoption agency interview");
  LexicalIndex moved(std::move(original));
  EXPECT_EQ(moved.size(), 1u);
  EXPECT_THAT(Ids(moved.Search("adoption interview", 10)), ElementsAre(5));
  moved.Add(6, "adoption papers");
  EXPECT_THAT(Ids(moved.Search("adoption", 10)), SizeIs(2));
}

TEST(LexicalIndexTest, EmptyDocumentCountsButIsNeverFound) {
  LexicalIndex index;
  index.Add(1, "the and of");
  index.Add(2, "hiking");
  EXPECT_EQ(index.size(), 2u);
  EXPECT_THAT(Ids(index.Search("hiking and the", 10)), ElementsAre(2));
}

TEST(LexicalIndexTest, FilterKeepsOnlyAcceptedIdsAndStillFillsK) {
  LexicalIndex index;
  for (uint64_t id = 1; id <= 20; ++id) {
    index.Add(id, "pottery class " + std::string(id, 'x'));  // longer = lower score
  }
  std::atomic<int> calls{0};
  const auto hits = index.Search("pottery", 5, [&](uint64_t id) {
    ++calls;
    return id % 2 == 0;
  });
  EXPECT_THAT(Ids(hits), ElementsAre(2, 4, 6, 8, 10));
  EXPECT_LE(calls.load(), 20);
  EXPECT_THAT(index.Search("pottery", 5, [](uint64_t) { return false; }), IsEmpty());
}

TEST(LexicalIndexTest, FilterMaySearchAgainOnTheSameThread) {
  LexicalIndex index;
  index.Add(1, "camping trip");
  index.Add(2, "camping gear");
  index.Add(3, "museum trip");
  const auto hits = index.Search("camping", 10, [&](uint64_t id) {
    // A nested search must not disturb the outer one's scores.
    return !index.Search("trip", 10).empty() && id != 2;
  });
  EXPECT_THAT(Ids(hits), ElementsAre(1));
  EXPECT_THAT(Ids(index.Search("camping", 10)), SizeIs(2));
}

// Builds a random corpus over a small vocabulary so terms repeat.
std::vector<std::string> RandomCorpus(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> vocab;
  for (int i = 0; i < 300; ++i) vocab.push_back("w" + std::to_string(i) + "x");
  std::uniform_int_distribution<size_t> word(0, vocab.size() - 1);
  std::uniform_int_distribution<int> len(1, 12);
  std::vector<std::string> docs;
  for (size_t i = 0; i < n; ++i) {
    std::string text;
    for (int j = len(rng); j > 0; --j) text += vocab[word(rng)] + " ";
    docs.push_back(text);
  }
  return docs;
}

TEST(LexicalIndexTest, ManyRemovalsGiveSameResultsAsFreshIndex) {
  const auto docs = RandomCorpus(4000, 1);
  LexicalIndex churned;
  LexicalIndex fresh;
  for (size_t i = 0; i < docs.size(); ++i) churned.Add(i, docs[i]);
  for (size_t i = 0; i < docs.size(); ++i) {
    if (i % 5 != 0) churned.Remove(i);  // enough to trigger compactions
  }
  for (size_t i = 0; i < docs.size(); i += 5) churned.Add(i, docs[i]);  // re-add in place
  for (size_t i = 0; i < docs.size(); i += 5) fresh.Add(i, docs[i]);
  ASSERT_EQ(churned.size(), fresh.size());
  for (const char* q : {"w1x w2x", "w17x", "w299x w5x w42x", "w0x w0x w100x"}) {
    const auto a = churned.Search(q, 25);
    const auto b = fresh.Search(q, 25);
    ASSERT_EQ(Ids(a), Ids(b)) << q;
    for (size_t i = 0; i < a.size(); ++i) EXPECT_FLOAT_EQ(a[i].score, b[i].score);
    for (const LexicalHit& h : a) EXPECT_EQ(h.id % 5, 0u);
  }
}

// Every live document that shares a term with `query`, scored with Score()
// and sorted best first: what Search must give, cut at k.
std::vector<LexicalHit> ExactRanking(const LexicalIndex& index, const std::string& query,
                                     const std::vector<uint64_t>& ids) {
  std::vector<LexicalHit> all;
  for (uint64_t id : ids) {
    const float s = index.Score(query, id);
    if (s > 0) all.push_back({id, s});
  }
  std::sort(all.begin(), all.end(), [](const LexicalHit& a, const LexicalHit& b) {
    return a.score > b.score || (a.score == b.score && a.id < b.id);
  });
  return all;
}

std::vector<LexicalHit> FirstK(std::vector<LexicalHit> hits, size_t k, const LexicalFilter& filter = {}) {
  if (filter) std::erase_if(hits, [&](const LexicalHit& h) { return !filter(h.id); });
  if (hits.size() > k) hits.resize(k);
  return hits;
}

// A corpus where a few words are in most documents (a speaker's name, "the"
// of a template), so that pruning has something to skip, with repeated
// words (tf > 1), short and long documents, and many equal scores.
TEST(LexicalIndexTest, SearchEqualsAnExactScanOnSkewedCorpora) {
  for (uint32_t seed : {7u, 8u, 9u}) {
    std::mt19937 rng(seed);
    std::vector<std::string> vocab;
    for (int i = 0; i < 400; ++i) vocab.push_back("t" + std::to_string(i) + "q");
    // Zipf-like: word i drawn with weight 1 / (i + 1).
    std::vector<double> weights;
    for (size_t i = 0; i < vocab.size(); ++i) weights.push_back(1.0 / static_cast<double>(i + 1));
    std::discrete_distribution<size_t> word(weights.begin(), weights.end());
    std::uniform_int_distribution<int> len(1, 14);
    LexicalIndex index;
    std::vector<uint64_t> ids;
    for (uint64_t id = 0; id < 4000; ++id) {
      std::string text = id % 2 == 0 ? "alice " : "bob ";
      for (int j = len(rng); j > 0; --j) text += vocab[word(rng)] + " ";
      if (id % 97 == 0) text += "t3q t3q t3q ";  // a high tf
      if (id % 41 == 0) {
        // Short documents of common words only, repeated: their scores come
        // near their terms' bounds, where a loose cut-off would lose them.
        text.clear();
        for (int j = len(rng) % 3; j >= 0; --j) {
          const std::string& w = vocab[word(rng) % 6];
          for (int r = len(rng) % 4; r >= 0; --r) text += w + " ";
        }
      }
      index.Add(id, text);
      ids.push_back(id);
    }
    // Removed documents keep their postings until a compaction: the search
    // must skip them and still fill k.
    std::vector<uint64_t> live;
    for (uint64_t id : ids) {
      if (id % 7 == 3) {
        index.Remove(id);
      } else {
        live.push_back(id);
      }
    }
    std::uniform_int_distribution<int> terms(1, 7);
    for (int q = 0; q < 40; ++q) {
      std::string query = q % 3 == 0 ? "alice " : "";
      for (int j = terms(rng); j > 0; --j) query += vocab[word(rng)] + " ";
      if (q % 5 == 0) query += "t250q t399q ";  // rare words
      const auto exact = ExactRanking(index, query, live);
      for (size_t k : {1u, 5u, 100u, 1000u}) {
        const auto got = index.Search(query, k);
        const auto want = FirstK(exact, k);
        ASSERT_EQ(Ids(got), Ids(want)) << "seed " << seed << " query '" << query << "' k " << k;
        for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i].score, want[i].score) << query;
      }
      auto odd_tens = [](uint64_t id) { return (id / 10) % 2 == 1; };
      const auto got = index.Search(query, 50, odd_tens);
      ASSERT_EQ(Ids(got), Ids(FirstK(exact, 50, odd_tens))) << "filtered '" << query << "'";
    }
  }
}

TEST(LexicalIndexTest, SerializeRoundTripKeepsResults) {
  LexicalIndex index;
  const auto docs = RandomCorpus(500, 2);
  for (size_t i = 0; i < docs.size(); ++i) index.Add(1000 + i, docs[i]);
  for (size_t i = 0; i < docs.size(); i += 3) index.Remove(1000 + i);
  index.Add(7, "Caf\u00E9 in Z\u00FCrich \u6211\u559C\u6B22\u732B");

  const std::string bytes = index.Serialize();
  auto loaded = LexicalIndex::Deserialize(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->size(), index.size());
  for (const char* q : {"w1x w2x", "w17x w18x w19x", "cafe zurich", "\u732B"}) {
    const auto a = index.Search(q, 20);
    const auto b = (*loaded)->Search(q, 20);
    ASSERT_EQ(Ids(a), Ids(b)) << q;
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].score, b[i].score);
  }
  EXPECT_THAT(Ids((*loaded)->Search("cafe", 5)), ElementsAre(7));
  EXPECT_FALSE((*loaded)->Contains(1000));
  // A loaded index keeps accepting writes.
  (*loaded)->Add(8, "cafe");
  EXPECT_THAT((*loaded)->Search("cafe", 5), SizeIs(2));
  // Serialising the loaded copy gives the same bytes as the original.
  auto again = LexicalIndex::Deserialize(bytes);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->Serialize(), bytes);
}

TEST(LexicalIndexTest, DeserializeRejectsDamagedImages) {
  LexicalIndex index;
  index.Add(1, "hello world");
  index.Add(2, "goodbye world");
  const std::string bytes = index.Serialize();

  EXPECT_EQ(LexicalIndex::Deserialize("").status().code(), Status::Code::kCorruption);
  EXPECT_EQ(LexicalIndex::Deserialize(bytes.substr(0, bytes.size() - 1)).status().code(),
            Status::Code::kCorruption);
  for (size_t pos : {size_t{9}, bytes.size() / 2, bytes.size() - 9}) {
    std::string damaged = bytes;
    damaged[pos] ^= 0x40;
    EXPECT_EQ(LexicalIndex::Deserialize(damaged).status().code(), Status::Code::kCorruption) << pos;
  }
  LexicalOptions other;
  other.analyzer.stem = false;
  const auto mismatch = LexicalIndex::Deserialize(bytes, other);
  EXPECT_EQ(mismatch.status().code(), Status::Code::kFailedPrecondition);
  // k1 and b are query-time parameters and may change.
  LexicalOptions retuned;
  retuned.k1 = 0.9f;
  EXPECT_TRUE(LexicalIndex::Deserialize(bytes, retuned).ok());
}

TEST(LexicalIndexTest, ConcurrentSearchesSeeConsistentResults) {
  LexicalIndex index;
  const auto docs = RandomCorpus(3000, 3);
  for (size_t i = 0; i < docs.size(); ++i) index.Add(i, docs[i]);
  const std::vector<std::string> queries = {"w1x w2x w3x", "w10x", "w250x w7x", "w99x w98x"};
  std::vector<std::vector<LexicalHit>> expected;
  for (const auto& q : queries) expected.push_back(index.Search(q, 10));

  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const size_t q = (i + t) % queries.size();
        const auto hits = index.Search(queries[q], 10, [](uint64_t id) { return true; });
        bool same = hits.size() == expected[q].size();
        for (size_t j = 0; same && j < hits.size(); ++j) {
          same = hits[j].id == expected[q][j].id && hits[j].score == expected[q][j].score;
        }
        if (!same) ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(LexicalIndexTest, DocTermsAreTheDistinctAnalysedTermsOfALiveDocument) {
  LexicalIndex index;
  index.Add(7, "The runners were running, and I run too.");
  std::vector<std::string> terms;
  for (std::string_view t : index.DocTerms(7)) terms.emplace_back(t);
  EXPECT_THAT(terms, ::testing::UnorderedElementsAre("runner", "run"));  // stemmed, no stop words, no repeats
  EXPECT_THAT(index.DocTerms(8), IsEmpty());
  index.Remove(7);
  EXPECT_THAT(index.DocTerms(7), IsEmpty());
}

TEST(LexicalIndexTest, MatchedTermsSaysWhichQueryTermsADocumentHolds) {
  LexicalIndex index;
  index.Add(1, "We went kayaking on the lake.");
  index.Add(2, "The lake was cold.");
  index.Add(3, "Painting is my hobby.");
  // "kayak" and "lake" are known (stemmed), "canoe" is not; "lake" is in two
  // documents, so it weighs less.
  const LexicalIndex::QueryTerms q = index.PrepareQueryTerms("kayaking canoe lakes lake");
  ASSERT_EQ(q.ids.size(), 2u);
  ASSERT_EQ(q.idf.size(), 2u);
  EXPECT_GT(q.idf[0], q.idf[1]);
  size_t length = 0;
  EXPECT_EQ(index.MatchedTerms(q, 1, &length), 0b11u);
  EXPECT_EQ(length, index.DocTerms(1).size());
  EXPECT_EQ(index.MatchedTerms(q, 2), 0b10u);
  EXPECT_EQ(index.MatchedTerms(q, 3), 0u);
  EXPECT_EQ(index.MatchedTerms(q, 99, &length), 0u);  // unknown
  EXPECT_EQ(length, 0u);
  index.Remove(1);
  EXPECT_EQ(index.MatchedTerms(q, 1), 0u);
  EXPECT_TRUE(index.PrepareQueryTerms("canoe").ids.empty());
}

}  // namespace
}  // namespace engram
