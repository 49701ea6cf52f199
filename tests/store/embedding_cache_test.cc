// The store's embedding cache: repeated texts, reopening and rebuilding cost
// no embedder calls; the cache is per tenant and per embedder.
#include <atomic>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engram/engram.h"
#include "testing/temp_dir.h"

namespace engram {
namespace {

// A deterministic 8-d embedder that counts the texts it embeds.
class CountingEmbedder final : public Embedder {
 public:
  size_t dim() const override { return 8; }
  std::string identity() const override { return "test-counting/8"; }
  Result<std::vector<float>> Embed(std::span<const std::string> texts) override {
    embedded += texts.size();
    std::vector<float> out(texts.size() * 8, 0.0f);
    for (size_t i = 0; i < texts.size(); ++i) {
      for (size_t c = 0; c < texts[i].size(); ++c) out[i * 8 + c % 8] += static_cast<unsigned char>(texts[i][c]);
      float norm = 0;
      for (size_t d = 0; d < 8; ++d) norm += out[i * 8 + d] * out[i * 8 + d];
      for (size_t d = 0; d < 8; ++d) out[i * 8 + d] /= norm > 0 ? std::sqrt(norm) : 1.0f;
    }
    return out;
  }
  std::atomic<size_t> embedded{0};
};

// Derives nothing, so every turn is exactly one document to embed.
class NoDerivations final : public Extractor {
 public:
  std::string identity() const override { return "test-none/1"; }
  Result<Extraction> Extract(const ExtractionInput&) override { return Extraction{}; }
};

Turn MakeTurn(const std::string& id, const std::string& text) { return Turn{"s1", "Ana", text, 1700000000000, id}; }

class EmbeddingCacheTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open() {
    Options options;
    options.embedder = embedder_;
    options.extractor = std::make_shared<NoDerivations>();
    auto store = Store::Open(options, dir_.path());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  testing::TempDir dir_;
  std::shared_ptr<CountingEmbedder> embedder_ = std::make_shared<CountingEmbedder>();
};

TEST_F(EmbeddingCacheTest, RepeatedTextsAreEmbeddedOnce) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Observe("t", MakeTurn("1", "Good morning")).ok());
  size_t after_first = embedder_->embedded.load();
  ASSERT_EQ(after_first, 1u);
  // The same text again (a new turn, so a new document) needs no new vector.
  ASSERT_TRUE(store->Observe("t", MakeTurn("2", "Good morning")).ok());
  EXPECT_EQ(embedder_->embedded.load(), after_first);
  // Repeats inside one batch are embedded once too.
  std::vector<Turn> batch = {MakeTurn("3", "See you tomorrow"), MakeTurn("4", "See you tomorrow")};
  ASSERT_TRUE(store->ObserveBatch("t", batch).ok());
  EXPECT_EQ(embedder_->embedded.load(), after_first + 1);
}

TEST_F(EmbeddingCacheTest, ReopenAndRebuildEmbedNothing) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(store->Observe("t", MakeTurn(std::to_string(i), "turn number " + std::to_string(i))).ok());
    }
  }
  size_t before = embedder_->embedded.load();
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto hits = store->Recall("t", "turn number 7");
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_EQ(embedder_->embedded.load(), before + 1) << "only the query is embedded after a reopen";
  ASSERT_TRUE(store->Rebuild().ok());
  EXPECT_EQ(embedder_->embedded.load(), before + 1) << "a rebuild reads every vector from the cache";
}

TEST_F(EmbeddingCacheTest, TheCacheIsPerTenant) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Observe("a", MakeTurn("1", "Shared words")).ok());
  size_t after_a = embedder_->embedded.load();
  // Tenant b's identical text is embedded again: no tenant reads another's
  // cache, and forgetting a tenant leaves nothing of its texts behind.
  ASSERT_TRUE(store->Observe("b", MakeTurn("1", "Shared words")).ok());
  EXPECT_GT(embedder_->embedded.load(), after_a);
  auto report = store->ForgetTenant("a");
  ASSERT_TRUE(report.ok());
  EXPECT_GT(report->removed.at("vectors"), 0u);
}

// Returns NaN for texts that contain "poison".
class PoisonEmbedder final : public Embedder {
 public:
  size_t dim() const override { return 4; }
  std::string identity() const override { return "test-poison/4"; }
  Result<std::vector<float>> Embed(std::span<const std::string> texts) override {
    std::vector<float> out(texts.size() * 4, 0.5f);
    for (size_t i = 0; i < texts.size(); ++i) {
      if (texts[i].find("poison") != std::string::npos) out[i * 4 + 2] = std::nanf("");
    }
    return out;
  }
};

TEST(EmbeddingValidationTest, ANonFiniteVectorFailsTheWriteAndLosesNothing) {
  testing::TempDir dir;
  Options options;
  options.embedder = std::make_shared<PoisonEmbedder>();
  options.extractor = std::make_shared<NoDerivations>();
  auto store = Store::Open(options, dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Observe("t", MakeTurn("1", "fine text")).ok());
  auto bad = (*store)->Observe("t", MakeTurn("2", "poison text"));
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsInvalidArgument()) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("non-finite"), std::string::npos) << bad.status().ToString();
  auto turns = (*store)->ScanTurns("t");
  ASSERT_TRUE(turns.ok());
  ASSERT_EQ(turns->size(), 1u);
  EXPECT_EQ((*turns)[0].turn.text, "fine text");
  EXPECT_TRUE((*store)->Observe("t", MakeTurn("3", "more fine text")).ok());
}

}  // namespace
}  // namespace engram
