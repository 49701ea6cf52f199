// Core memory through the public Store API: set, append, delete and history;
// limits that fail and change nothing; durable across restart and Rebuild;
// removed by ForgetTenant; isolated per tenant; placed first in every
// RecallContext within its share of the budget.
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engram/store.h"
#include "testing/temp_dir.h"
#include "testing/test_embedder.h"

namespace engram {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class CoreMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen(Options options = {}) {
    store_.reset();
    options.embedder = std::make_shared<testing::TestEmbedder>();
    auto store = Store::Open(options, dir_.path() + "/s");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  std::vector<CoreBlock> Blocks(const std::string& tenant) {
    auto blocks = store_->CoreMemory(tenant);
    EXPECT_TRUE(blocks.ok()) << blocks.status().ToString();
    return blocks.ok() ? *blocks : std::vector<CoreBlock>{};
  }
  void AddTurns(const std::string& tenant, int n) {
    for (int i = 0; i < n; ++i) {
      Turn t;
      t.speaker = i % 2 ? "Sam" : "Maya";
      t.text = "Turn " + std::to_string(i) + " about gardening, tomatoes and the weather in Lakewood.";
      t.time_ms = 1700000000000 + i * 60000;
      t.source_id = "D" + std::to_string(i);
      ASSERT_TRUE(store_->Observe(tenant, t).ok());
    }
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(CoreMemoryTest, SetAppendDeleteKeepEveryVersion) {
  auto v1 = store_->SetCoreBlock("t", "human", "Name: Maya.");
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->version, 1u);
  auto v2 = store_->AppendCoreBlock("t", "human", "Vegan since 2024.");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->text, "Name: Maya.\nVegan since 2024.");
  EXPECT_EQ(v2->version, 2u);
  ASSERT_TRUE(store_->SetCoreBlock("t", "persona", "I am a helpful gardener.").ok());
  auto blocks = Blocks("t");
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].name, "human");
  EXPECT_EQ(blocks[0].text, "Name: Maya.\nVegan since 2024.");
  // An empty text deletes; the history keeps it, and a new write continues it.
  ASSERT_TRUE(store_->SetCoreBlock("t", "human", "").ok());
  ASSERT_EQ(Blocks("t").size(), 1u);
  auto v4 = store_->SetCoreBlock("t", "human", "Name: Maya L.");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->version, 4u);
  auto history = store_->CoreBlockHistory("t", "human");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 4u);
  EXPECT_EQ((*history)[0].text, "Name: Maya.");
  EXPECT_EQ((*history)[2].text, "");
  EXPECT_EQ((*history)[3].text, "Name: Maya L.");
  // Another block's name that starts the same has its own history.
  ASSERT_TRUE(store_->SetCoreBlock("t", "human2", "x").ok());
  EXPECT_EQ(store_->CoreBlockHistory("t", "human")->size(), 4u);
}

TEST_F(CoreMemoryTest, OversizedWritesFailAndChangeNothing) {
  Options small;
  small.core_block_max_bytes = 32;
  small.core_blocks_max = 2;
  Reopen(small);
  ASSERT_TRUE(store_->SetCoreBlock("t", "human", "Name: Maya.").ok());
  auto too_long = store_->SetCoreBlock("t", "human", std::string(33, 'x'));
  ASSERT_FALSE(too_long.ok());
  EXPECT_TRUE(too_long.status().IsInvalidArgument());
  EXPECT_THAT(too_long.status().message(), HasSubstr("33 bytes"));
  EXPECT_THAT(too_long.status().message(), HasSubstr("32"));
  auto append = store_->AppendCoreBlock("t", "human", std::string(25, 'y'));
  ASSERT_FALSE(append.ok());
  EXPECT_TRUE(append.status().IsInvalidArgument());
  ASSERT_TRUE(store_->SetCoreBlock("t", "persona", "Helper.").ok());
  auto third = store_->SetCoreBlock("t", "notes", "one too many");
  ASSERT_FALSE(third.ok());
  EXPECT_THAT(third.status().message(), HasSubstr("core_blocks_max"));
  auto bad_name = store_->SetCoreBlock("t", "no spaces", "x");
  EXPECT_TRUE(bad_name.status().IsInvalidArgument());
  EXPECT_TRUE(store_->SetCoreBlock("t", std::string(65, 'a'), "x").status().IsInvalidArgument());
  EXPECT_TRUE(store_->SetCoreBlock("t", "gone", "").status().IsNotFound());
  // Nothing changed: the blocks and the history are as before.
  auto blocks = Blocks("t");
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].text, "Name: Maya.");
  EXPECT_EQ(store_->CoreBlockHistory("t", "human")->size(), 1u);
  EXPECT_TRUE(store_->CoreBlockHistory("t", "notes").status().IsNotFound());
}

TEST_F(CoreMemoryTest, SurvivesRestartAndRebuildAndIsRemovedByForgetTenant) {
  AddTurns("t", 4);
  WriteOptions sync;
  sync.sync = true;
  ASSERT_TRUE(store_->SetCoreBlock("t", "human", "Name: Maya.", sync).ok());
  Reopen();
  ASSERT_EQ(Blocks("t").size(), 1u);
  ASSERT_TRUE(store_->Rebuild().ok());
  ASSERT_EQ(Blocks("t").size(), 1u);
  EXPECT_EQ(Blocks("t")[0].text, "Name: Maya.");
  auto report = store_->ForgetTenant("t");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->removed.at("core_blocks"), 1u);
  EXPECT_GE(report->removed.at("edits"), 2u);  // the block and its history
  EXPECT_TRUE(Blocks("t").empty());
  EXPECT_TRUE(store_->CoreBlockHistory("t", "human").status().IsNotFound());
}

TEST_F(CoreMemoryTest, TenantsAreIsolated) {
  ASSERT_TRUE(store_->SetCoreBlock("a", "human", "A's user.").ok());
  ASSERT_TRUE(store_->SetCoreBlock("b", "human", "B's user.").ok());
  EXPECT_EQ(Blocks("a")[0].text, "A's user.");
  EXPECT_EQ(Blocks("b")[0].text, "B's user.");
  EXPECT_TRUE(Blocks("c").empty());
  ASSERT_TRUE(store_->ForgetTenant("a").ok());
  EXPECT_TRUE(Blocks("a").empty());
  EXPECT_EQ(Blocks("b").size(), 1u);
}

TEST_F(CoreMemoryTest, ContextPutsCoreFirstWithinItsShareWhateverTheQuestion) {
  AddTurns("t", 20);
  ASSERT_TRUE(store_->SetCoreBlock("t", "human", "The user is Maya, a vegan gardener in Lakewood.").ok());
  for (const char* question : {"What did Maya plant?", "Tell me about the weather.", "zzz unrelated"}) {
    for (size_t budget : {100u, 400u, 2000u}) {
      auto ctx = store_->RecallContext("t", question, budget, {});
      ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
      ASSERT_FALSE(ctx->sections.empty());
      EXPECT_EQ(ctx->sections[0].name, "core") << question << " " << budget;
      EXPECT_THAT(ctx->text, StartsWith("## Core memory\n### human\nThe user is Maya"));
      EXPECT_LE(ctx->tokens, budget);
      size_t core_tokens = (std::string("## Core memory\n").size() + 3) / 4 +
                           (std::string("### human\nThe user is Maya, a vegan gardener in Lakewood.\n").size() + 3) / 4;
      EXPECT_LE(core_tokens, budget / 4);
    }
  }
}

TEST_F(CoreMemoryTest, ABlockOverTheShareIsLeftOutWholeAndTheContextSaysSo) {
  AddTurns("t", 6);
  ASSERT_TRUE(store_->SetCoreBlock("t", "a_small", "Short.").ok());
  ASSERT_TRUE(store_->SetCoreBlock("t", "b_big", std::string(2000, 'w')).ok());
  auto ctx = store_->RecallContext("t", "gardening", 400, {});  // core share: 100 tokens
  ASSERT_TRUE(ctx.ok());
  ASSERT_EQ(ctx->sections[0].name, "core");
  ASSERT_EQ(ctx->sections[0].items.size(), 1u);
  EXPECT_EQ(ctx->sections[0].items[0].id, "a_small");
  EXPECT_EQ(ctx->text.find("wwww"), std::string::npos);
  EXPECT_THAT(ctx->text, HasSubstr("b_big is left out"));
  EXPECT_LE(ctx->tokens, 400u);
  bool noted = false;
  for (const auto& step : ctx->route.steps) noted = noted || step.find("b_big") != std::string::npos;
  EXPECT_TRUE(noted);
  // With a budget large enough, both fit.
  auto big = store_->RecallContext("t", "gardening", 4000, {});
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->sections[0].items.size(), 2u);
}

}  // namespace
}  // namespace engram
