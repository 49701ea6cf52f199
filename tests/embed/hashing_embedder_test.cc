// Tests of the feature-hashing embedder: what a benchmark or test relies on
// when it uses it in place of the built-in model (determinism, unit vectors,
// word overlap as similarity, its identity and dimension).
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engram/embedder.h"

namespace engram {
namespace {

std::unique_ptr<Embedder> Make(size_t dim = 512) {
  HashingEmbedderOptions options;
  options.dim = dim;
  auto e = NewHashingEmbedder(options);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return std::move(*e);
}

std::vector<float> EmbedOne(Embedder& e, const std::string& text) {
  auto v = e.Embed(std::vector<std::string>{text});
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return *v;
}

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

TEST(HashingEmbedderTest, IdentityNamesVersionAndDimension) {
  EXPECT_EQ(Make()->identity(), "hashing/v1/512");
  EXPECT_EQ(Make()->dim(), 512u);
  EXPECT_EQ(Make(64)->identity(), "hashing/v1/64");
}

TEST(HashingEmbedderTest, DimOptionSetsVectorLength) {
  auto e = Make(96);
  auto v = e->Embed(std::vector<std::string>{"one text", "and another one"});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->size(), 2u * 96u);
}

TEST(HashingEmbedderTest, ZeroDimensionIsInvalidArgument) {
  HashingEmbedderOptions options;
  options.dim = 0;
  auto e = NewHashingEmbedder(options);
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(e.status().IsInvalidArgument());
  EXPECT_NE(e.status().message().find("dimension 0"), std::string::npos);
}

TEST(HashingEmbedderTest, VectorsHaveUnitNorm) {
  auto e = Make();
  for (const std::string text : {"hi", "I moved to Lisbon last month.", "Ça va? Très bien, merci!",
                                 "a a a a a a a a", "What did you cook for dinner yesterday?"}) {
    auto v = EmbedOne(*e, text);
    EXPECT_NEAR(Dot(v, v), 1.0, 1e-5) << text;
  }
}

TEST(HashingEmbedderTest, SameTextSameVectorAcrossInstancesAndBatches) {
  auto a = Make(), b = Make();
  const std::vector<std::string> texts = {"I started working at Acme", "My dog Biscuit loves the beach"};
  auto batch = a->Embed(texts);
  ASSERT_TRUE(batch.ok());
  for (size_t i = 0; i < texts.size(); ++i) {
    auto single = EmbedOne(*b, texts[i]);
    EXPECT_EQ(std::vector<float>(batch->begin() + i * 512, batch->begin() + (i + 1) * 512), single);
  }
}

// The hash is engram's own: these buckets and signs are the same on every
// machine and compiler. A change here changes every stored vector and must
// come with a new identity ("hashing/v2/...").
TEST(HashingEmbedderTest, BucketsArePinned) {
  auto e = Make(16);
  auto v = EmbedOne(*e, "hello world");
  std::string pattern;
  for (float x : v) pattern += x > 0 ? '+' : x < 0 ? '-' : '.';
  EXPECT_EQ(pattern, "......+.-....-..");
}

TEST(HashingEmbedderTest, CaseAndPunctuationDoNotMatter) {
  auto e = Make();
  EXPECT_EQ(EmbedOne(*e, "I moved to LISBON!"), EmbedOne(*e, "i moved to lisbon"));
}

TEST(HashingEmbedderTest, SharedWordsScoreHigherThanUnrelatedText) {
  auto e = Make();
  auto query = EmbedOne(*e, "where did you move to last month");
  auto related = EmbedOne(*e, "I moved to Lisbon last month with my partner");
  auto unrelated = EmbedOne(*e, "The recipe needs two cups of flour and an egg");
  EXPECT_GT(Dot(query, related), Dot(query, unrelated) + 0.2);
}

TEST(HashingEmbedderTest, WordOrderCountsThroughBigrams) {
  auto e = Make();
  auto a = EmbedOne(*e, "new york pizza");
  auto same_words_other_order = EmbedOne(*e, "pizza york new");
  EXPECT_LT(Dot(a, same_words_other_order), 0.99);
  EXPECT_GT(Dot(a, same_words_other_order), 0.5);
}

TEST(HashingEmbedderTest, TextWithoutWordsIsTheZeroVector) {
  auto e = Make(32);
  for (const std::string text : {"", "  ", "?!. ,"}) {
    auto v = EmbedOne(*e, text);
    ASSERT_EQ(v.size(), 32u);
    for (float x : v) EXPECT_EQ(x, 0.0f) << "'" << text << "'";
  }
  auto none = e->Embed(std::vector<std::string>{});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(HashingEmbedderTest, EmbedsTensOfThousandsOfTurnsPerSecond) {
  auto e = Make();
  std::vector<std::string> texts(2000, "Yesterday I went hiking near Sintra with my sister and we had grilled sardines");
  auto start = std::chrono::steady_clock::now();
  auto v = e->Embed(texts);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(v.ok());
  // The built-in model does a few hundred per second per core; this must
  // not be the cost a benchmark measures. Generous for sanitizer builds.
  EXPECT_LT(seconds, 2.0);
}

}  // namespace
}  // namespace engram
