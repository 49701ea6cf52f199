// Session summaries: one per session, in session order, made of statements
// from that session only, at most the asked number.
#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engram/engram.h"
#include "testing/temp_dir.h"

namespace engram {
namespace {

// Summaries need no meaning from vectors: a constant unit vector will do.
class ConstantEmbedder final : public Embedder {
 public:
  size_t dim() const override { return 4; }
  std::string identity() const override { return "test-constant/4"; }
  Result<std::vector<float>> Embed(std::span<const std::string> texts) override {
    return std::vector<float>(texts.size() * 4, 0.5f);
  }
};

TEST(SummariesTest, OneSummaryPerSessionFromItsOwnTurns) {
  testing::TempDir dir;
  Options options;
  options.embedder = std::make_shared<ConstantEmbedder>();
  auto store = Store::Open(options, dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::vector<Turn> turns = {
      {"trip", "Lea", "We booked the train to Vienna for the conference in March.", 1700000000000, "t1"},
      {"trip", "Max", "Great, the conference hotel is near the train station in Vienna.", 1700000060000, "t2"},
      {"trip", "Lea", "I will present the train schedule paper at the Vienna conference.", 1700000120000, "t3"},
      {"trip", "Max", "Ok.", 1700000180000, "t4"},
      {"garden", "Lea", "My tomatoes finally turned red in the garden this week.", 1700600000000, "g1"},
      {"garden", "Max", "Red tomatoes from your own garden taste the best.", 1700600060000, "g2"},
  };
  ASSERT_TRUE((*store)->ObserveBatch("lea", turns).ok());
  auto summaries = (*store)->Summaries("lea", 2);
  ASSERT_TRUE(summaries.ok()) << summaries.status().ToString();
  ASSERT_EQ(summaries->size(), 2u);
  EXPECT_EQ((*summaries)[0].session, "trip");
  EXPECT_EQ((*summaries)[1].session, "garden");
  const std::set<std::string> trip_ids = {"t1", "t2", "t3", "t4"}, garden_ids = {"g1", "g2"};
  for (const auto& id : (*summaries)[0].source_ids) EXPECT_TRUE(trip_ids.count(id)) << id;
  for (const auto& id : (*summaries)[1].source_ids) EXPECT_TRUE(garden_ids.count(id)) << id;
  EXPECT_LE((*summaries)[0].source_ids.size(), 2u);
  EXPECT_NE((*summaries)[0].text.find("Vienna"), std::string::npos) << (*summaries)[0].text;
  EXPECT_EQ((*summaries)[0].text.find("Ok."), std::string::npos) << "a filler is never central";
  EXPECT_EQ((*summaries)[0].from_ms, 1700000000000);
  EXPECT_EQ((*summaries)[0].to_ms, 1700000180000);
  auto none = (*store)->Summaries("nobody", 2);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace engram
