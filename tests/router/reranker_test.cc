// The reranker's scoring and the fitting of its weights: what the router
// applies and what `engram eval locomo --fit-reranker` fits must agree, and
// a fit must find the features that mark relevant candidates.
#include "router/rerank_training.h"
#include "router/reranker.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

namespace engram {
namespace {

constexpr size_t kFirstStage = static_cast<size_t>(RerankFeature::kFirstStage);
constexpr size_t kFirstRank = static_cast<size_t>(RerankFeature::kFirstRank);
constexpr size_t kCoverage = static_cast<size_t>(RerankFeature::kCoverage);
constexpr size_t kAsks = static_cast<size_t>(RerankFeature::kAsks);
constexpr size_t kLength = static_cast<size_t>(RerankFeature::kLength);

TEST(RerankerTest, FeatureNamesAreDistinctSignalNames) {
  std::set<std::string> names;
  for (const char* n : RerankFeatureNames()) {
    ASSERT_NE(n, nullptr);
    EXPECT_TRUE(names.insert(n).second) << n;
  }
  EXPECT_EQ(names.size(), kRerankFeatureCount);
  EXPECT_EQ(names.count("rerank"), 0u) << "the reranker's own score is reported under that name";
}

TEST(RerankerTest, FeaturesReadBackFromSignals) {
  std::map<std::string, float> signals{{"coverage", 0.75f}, {"first_rank", 0.5f}, {"not_a_feature", 3.0f}};
  RerankFeatures f = FeaturesFromSignals(signals);
  EXPECT_FLOAT_EQ(f[kCoverage], 0.75f);
  EXPECT_FLOAT_EQ(f[kFirstRank], 0.5f);
  EXPECT_FLOAT_EQ(f[kAsks], 0.0f);  // missing = 0
  RerankWeights w;
  w.w[kCoverage] = 2.0f;
  w.w[kFirstRank] = -1.0f;
  EXPECT_FLOAT_EQ(RerankScore(f, w), 1.0f);
}

TEST(RerankerTest, EveryFeatureHasAShippedWeight) {
  // A misspelt name in the shipped table would silently weigh 0.
  const RerankWeights shipped = DefaultRerankWeights();
  for (size_t f = 0; f < kRerankFeatureCount; ++f) {
    if (f == static_cast<size_t>(RerankFeature::kWordnet)) continue;  // fitted with WordNet off: 0
    if (f == static_cast<size_t>(RerankFeature::kToTarget)) continue;  // bounded at 0 (reranker.cc)
    EXPECT_NE(shipped.w[f], 0.0f) << RerankFeatureNames()[f];
  }
  // A turn telling the target's story to them is never pushed below any
  // other turn of its speaker.
  EXPECT_GE(shipped.w[static_cast<size_t>(RerankFeature::kToTarget)], 0.0f);
  // The first stage's own score and coverage of the question weigh for a turn.
  EXPECT_GT(shipped.w[kFirstStage], 0.0f);
  EXPECT_GT(shipped.w[kCoverage], 0.0f);
}

TEST(RerankerTest, OrderIsByScoreAndTiesKeepTheFirstStageOrder) {
  std::vector<RerankFeatures> c(4);
  c[0][kCoverage] = 0.2f;
  c[1][kCoverage] = 0.9f;
  c[2][kCoverage] = 0.2f;
  c[3][kCoverage] = 0.5f;
  RerankWeights w;
  w.w[kCoverage] = 1.0f;
  EXPECT_EQ(RerankOrder(c, w), (std::vector<size_t>{1, 3, 0, 2}));
  EXPECT_EQ(RerankOrder(c, RerankWeights{}), (std::vector<size_t>{0, 1, 2, 3}));
}

// Synthetic lists: the first stage puts the relevant candidate somewhere in
// the top 30 at random; a relevant candidate covers the question (coverage
// high) and rarely asks; `length` is noise and `asks` mostly marks
// irrelevant turns.
std::vector<RankingQuestion> SyntheticLists(size_t questions, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::vector<RankingQuestion> out;
  for (size_t q = 0; q < questions; ++q) {
    RankingQuestion rq;
    const size_t relevant = rng() % 30;
    for (size_t i = 0; i < 30; ++i) {
      RerankFeatures f{};
      f[kFirstRank] = 1.0f / static_cast<float>(1 + i);
      f[kFirstStage] = 1.0f - static_cast<float>(i) / 30.0f;
      const bool rel = i == relevant;
      f[kCoverage] = rel ? 0.6f + 0.4f * unit(rng) : 0.7f * unit(rng);
      f[kAsks] = unit(rng) < (rel ? 0.05f : 0.4f) ? 1.0f : 0.0f;
      f[kLength] = unit(rng);
      rq.candidates.push_back(f);
      rq.relevant.push_back(rel);
    }
    out.push_back(std::move(rq));
  }
  return out;
}

double MeanTop1(const std::vector<RankingQuestion>& qs, const RerankWeights& w) {
  double hits = 0;
  for (const auto& q : qs) hits += q.relevant[RerankOrder(q.candidates, w).front()] ? 1 : 0;
  return hits / static_cast<double>(qs.size());
}

TEST(RerankFitTest, FindsTheFeaturesThatMarkRelevantCandidates) {
  const auto train = SyntheticLists(300, 1), test = SyntheticLists(300, 2);
  const RerankFit fit = FitRerankWeights(train);
  EXPECT_EQ(fit.questions, 300u);
  EXPECT_EQ(fit.pairs, 300u * 29u);
  EXPECT_GT(fit.weights.w[kCoverage], 0.0f);
  EXPECT_LT(fit.weights.w[kAsks], 0.0f);
  // Noise and a meaningless first stage get far less weight than coverage.
  EXPECT_LT(std::abs(fit.weights.w[kLength]), 0.25f * fit.weights.w[kCoverage]);
  EXPECT_LT(std::abs(fit.weights.w[kFirstStage]), 0.25f * fit.weights.w[kCoverage]);
  // On lists it never saw, it beats the first stage's order by far.
  RerankWeights first_stage;
  first_stage.w[kFirstRank] = 1.0f;
  const double before = MeanTop1(test, first_stage), after = MeanTop1(test, fit.weights);
  EXPECT_LT(before, 0.1);
  EXPECT_GT(after, 0.5);
  // The loss fell from log 2 (all weights 0).
  EXPECT_LT(fit.loss, 0.5);
}

TEST(RerankFitTest, SkipsQuestionsWithoutBothKindsAndConstantFeatures) {
  auto lists = SyntheticLists(50, 3);
  RankingQuestion none_relevant = lists.front();
  std::fill(none_relevant.relevant.begin(), none_relevant.relevant.end(), false);
  RankingQuestion all_relevant = lists.front();
  std::fill(all_relevant.relevant.begin(), all_relevant.relevant.end(), true);
  lists.push_back(none_relevant);
  lists.push_back(all_relevant);
  const RerankFit fit = FitRerankWeights(lists);
  EXPECT_EQ(fit.questions, 50u);
  // Features that never vary (all the others here) get no weight.
  EXPECT_EQ(fit.weights.w[static_cast<size_t>(RerankFeature::kEntity)], 0.0f);
  EXPECT_EQ(fit.weights.w[static_cast<size_t>(RerankFeature::kWordnet)], 0.0f);
  EXPECT_EQ(FitRerankWeights({}).pairs, 0u);
}

TEST(RerankFitTest, ANonNegativeWeightStaysAtOrAboveZero) {
  // `asks` marks irrelevant candidates: free, its weight is negative.
  const auto lists = SyntheticLists(200, 5);
  RerankFitOptions options;
  options.non_negative = {RerankFeature::kAsks};
  const RerankFit bounded = FitRerankWeights(lists, options);
  EXPECT_EQ(bounded.weights.w[kAsks], 0.0f);
  EXPECT_GT(bounded.weights.w[kCoverage], 0.0f);
  EXPECT_LT(FitRerankWeights(lists).weights.w[kAsks], 0.0f);
}

TEST(RerankFitTest, NegativeDepthPairsOnlyTheLeadingIrrelevantCandidates) {
  const auto lists = SyntheticLists(40, 4);
  RerankFitOptions options;
  options.negative_depth = 10;
  const RerankFit fit = FitRerankWeights(lists, options);
  size_t expected = 0;
  for (const auto& q : lists) {
    size_t at = static_cast<size_t>(std::find(q.relevant.begin(), q.relevant.end(), true) - q.relevant.begin());
    expected += at < 10 ? 9 : 10;
  }
  EXPECT_EQ(fit.pairs, expected);
}

}  // namespace
}  // namespace engram
