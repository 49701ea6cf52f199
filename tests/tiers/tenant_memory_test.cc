// Deferred lexical indexing of a tenant being loaded: what FinishDeferredIndexing
// builds equals indexing as turns are applied, from images or not, and the
// digests tell which documents a checkpoint's images hold.
#include "tiers/tenant_memory.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engram/options.h"

namespace engram {
namespace {

Turn MakeTurn(int i, const std::string& text) {
  return Turn{"s" + std::to_string(i / 6), i % 2 ? "Bo" : "Ana", text, 1700000000000 + i * 1000,
              "t" + std::to_string(i)};
}

std::string TextOf(int i) {
  return i % 3 == 0 ? "how long do you practise the cello " + std::to_string(i) + "?"
                    : "usually an hour, sometimes more " + std::to_string(i);
}

std::unique_ptr<TenantMemory> Build(int turns, bool defer, const std::vector<std::string>& texts = {}) {
  auto m = TenantMemory::Create("t", Options{}, 8);
  EXPECT_TRUE(m.ok());
  if (defer) (*m)->DeferLexicalIndexing();
  for (int i = 1; i <= turns; ++i) {
    const std::string text = i - 1 < static_cast<int>(texts.size()) ? texts[i - 1] : TextOf(i);
    (*m)->ApplyTurn(i, MakeTurn(i, text), Extraction{});
  }
  return std::move(*m);
}

// Hits of every query over both indexes, scores included.
std::vector<std::string> Results(const TenantMemory& m) {
  std::vector<std::string> out;
  for (const char* q : {"cello", "practise hour", "usually sometimes", "how long", "7", "nothing"}) {
    for (const LexicalIndex* index : {&m.lexical(), &m.context_keys()}) {
      for (const LexicalHit& h : index->Search(q, 50)) out.push_back(std::to_string(h.id) + ":" + std::to_string(h.score));
      out.push_back("|");
    }
  }
  return out;
}

TEST(TenantMemoryTest, DeferredIndexingEqualsIndexingAsTurnsArrive) {
  auto direct = Build(40, /*defer=*/false);
  auto deferred = Build(40, /*defer=*/true);
  EXPECT_EQ(deferred->lexical().size(), 0u) << "nothing is indexed while deferred";
  deferred->FinishDeferredIndexing(nullptr, nullptr, 0);
  EXPECT_EQ(Results(*deferred), Results(*direct));
  EXPECT_GT(direct->context_keys().size(), 0u);
  EXPECT_EQ(deferred->lexical_digest(), direct->lexical_digest());
  EXPECT_EQ(deferred->keys_digest(), direct->keys_digest());
}

TEST(TenantMemoryTest, ImagesOfEarlierTurnsPlusTheLaterOnesEqualAFullIndex) {
  // The images of the first 25 turns, as a checkpoint would hold them.
  auto early = Build(25, /*defer=*/false);
  auto lexical = LexicalIndex::Deserialize(early->lexical().Serialize());
  auto keys = LexicalIndex::Deserialize(early->context_keys().Serialize());
  ASSERT_TRUE(lexical.ok() && keys.ok());

  auto loaded = Build(40, /*defer=*/true);
  // The digests of the turns the images cover are theirs.
  const auto [docs_after, keys_after] = loaded->DeferredDigestsAfter(25);
  EXPECT_EQ(loaded->lexical_digest() - docs_after, early->lexical_digest());
  EXPECT_EQ(loaded->keys_digest() - keys_after, early->keys_digest());
  loaded->FinishDeferredIndexing(std::move(*lexical), std::move(*keys), 25);
  EXPECT_EQ(loaded->lexical_checkpoint_docs(), early->lexical().size());
  EXPECT_EQ(Results(*loaded), Results(*Build(40, /*defer=*/false)));
}

TEST(TenantMemoryTest, DigestsChangeWithAnyTextOfTheTurnsCovered) {
  std::vector<std::string> texts;
  for (int i = 1; i <= 25; ++i) texts.push_back(TextOf(i));
  const uint64_t same = Build(25, false, texts)->lexical_digest();
  EXPECT_EQ(Build(25, false)->lexical_digest(), same);
  texts[9] = TextOf(10) + " and a new word";
  EXPECT_NE(Build(25, false, texts)->lexical_digest(), same);
  // A question changed changes the key of the reply after it.
  texts = {};
  for (int i = 1; i <= 25; ++i) texts.push_back(TextOf(i));
  const uint64_t keys = Build(25, false, texts)->keys_digest();
  texts[2] = "how long do you practise the viola 3?";
  EXPECT_NE(Build(25, false, texts)->keys_digest(), keys);
  // Fewer turns change it too.
  EXPECT_NE(Build(24, false)->lexical_digest(), same);
}

}  // namespace
}  // namespace engram
