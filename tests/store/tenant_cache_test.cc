// Loaded tenant state within Options::memory_budget_bytes: least recently
// used tenants are unloaded and loaded again on demand with everything they
// had, and loading one tenant never blocks another tenant's reads or writes.
#include <malloc.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engram/store.h"
#include "testing/temp_dir.h"
#include "testing/under_sanitizer.h"
#include "testing/test_embedder.h"

namespace engram {
namespace {

using namespace std::chrono_literals;

constexpr int kTurnsPerTenant = 20;

std::string TenantName(int i) { return "tenant-" + std::to_string(i); }

Turn TurnOf(int tenant, int i) {
  static const char* kTopics[] = {"the garden", "a new job at the bakery", "our trip to Porto", "the dog's vet visit",
                                  "learning the cello", "the marathon in spring", "my sister's wedding"};
  Turn t;
  t.session = "s" + std::to_string(i / 10);
  t.speaker = i % 2 == 0 ? "Ana" : "Ben";
  t.text = "Tenant " + std::to_string(tenant) + " turn " + std::to_string(i) + ": let me tell you about " +
           kTopics[(tenant + i) % 7] + ", it went well.";
  t.time_ms = 1700000000000LL + (tenant * 100 + i) * 60000LL;
  t.source_id = "t" + std::to_string(tenant) + ":" + std::to_string(i);
  return t;
}

Options TestOptions(size_t budget = 0) {
  Options o;
  o.embedder = std::make_shared<testing::TestEmbedder>();
  o.memory_budget_bytes = budget;
  return o;
}

std::unique_ptr<Store> OpenOrDie(const Options& options, const std::string& path) {
  auto store = Store::Open(options, path);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(*store) : nullptr;
}

void WriteTenants(Store& store, int tenants) {
  for (int t = 0; t < tenants; ++t) {
    std::vector<Turn> turns;
    for (int i = 0; i < kTurnsPerTenant; ++i) turns.push_back(TurnOf(t, i));
    auto seqs = store.ObserveBatch(TenantName(t), turns);
    ASSERT_TRUE(seqs.ok()) << seqs.status().ToString();
  }
}

// What a recall returns, comparable across loads.
std::vector<std::string> RecallIds(Store& store, int tenant) {
  auto r = store.Recall(TenantName(tenant), "how did the trip to Porto go?", RecallOptions{});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::vector<std::string> ids;
  if (!r.ok()) return ids;
  for (const auto& h : r->hits) ids.push_back(h.source_ids.front() + "|" + h.text);
  return ids;
}

// The footprint of one loaded 20-turn tenant, as the store accounts it.
size_t OneTenantBytes() {
  testing::TempDir dir;
  auto store = OpenOrDie(TestOptions(), dir.path() + "/s");
  WriteTenants(*store, 1);
  return store->GetMemoryUsage().loaded_bytes;
}

TEST(TenantCacheTest, UnloadsLeastRecentlyUsedTenantsToStayWithinBudget) {
  const size_t one = OneTenantBytes();
  ASSERT_GT(one, 0u);
  const size_t budget = 8 * one;
  testing::TempDir dir;
  auto store = OpenOrDie(TestOptions(budget), dir.path() + "/s");
  WriteTenants(*store, 30);
  const std::vector<std::string> first = RecallIds(*store, 0);
  ASSERT_FALSE(first.empty());
  for (int t = 1; t < 30; ++t) RecallIds(*store, t);

  MemoryUsage u = store->GetMemoryUsage();
  EXPECT_EQ(u.budget_bytes, budget);
  EXPECT_LE(u.loaded_bytes, budget);
  EXPECT_LE(u.loaded_tenants, 8u);
  EXPECT_GE(u.loaded_tenants, 6u);  // the budget is used, not just honoured
  EXPECT_GE(u.unloads, 22u);

  // Tenant 0 was unloaded long ago; it comes back with what it had.
  EXPECT_EQ(RecallIds(*store, 0), first);
  EXPECT_LE(store->GetMemoryUsage().loaded_bytes, budget);
}

TEST(TenantCacheTest, UnloadedTenantTakesWritesAndKeepsEverythingAcrossReopen) {
  const size_t one = OneTenantBytes();
  testing::TempDir dir;
  const std::string path = dir.path() + "/s";
  {
    auto store = OpenOrDie(TestOptions(3 * one), path);
    WriteTenants(*store, 12);  // tenant 0 is unloaded by the later ones
    ASSERT_GT(store->GetMemoryUsage().unloads, 0u);
    Turn extra = TurnOf(0, kTurnsPerTenant);
    extra.text = "Tenant 0 news: I adopted a greyhound called Pixel.";
    ASSERT_TRUE(store->Observe(TenantName(0), extra).ok());
    auto r = store->Recall(TenantName(0), "greyhound Pixel", RecallOptions{});
    ASSERT_TRUE(r.ok());
    ASSERT_FALSE(r->hits.empty());
    EXPECT_EQ(r->hits.front().source_ids.front(), extra.source_id);
    auto stats = store->GetTenantStats(TenantName(0));
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->turns, static_cast<uint64_t>(kTurnsPerTenant + 1));
  }
  auto store = OpenOrDie(TestOptions(3 * one), path);
  for (int t = 0; t < 12; ++t) {
    auto turns = store->ScanTurns(TenantName(t), TurnFilter{});
    ASSERT_TRUE(turns.ok());
    EXPECT_EQ(turns->size(), static_cast<size_t>(kTurnsPerTenant + (t == 0 ? 1 : 0))) << t;
    auto units = store->EventUnits(TenantName(t));
    ASSERT_TRUE(units.ok());
  }
  auto r = store->Recall(TenantName(0), "greyhound Pixel", RecallOptions{});
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->hits.empty());
  EXPECT_EQ(r->hits.front().source_ids.front(), "t0:" + std::to_string(kTurnsPerTenant));
}

TEST(TenantCacheTest, AccountedBytesTrackTheHeapTheTenantsHold) {
#ifdef ENGRAM_TEST_UNDER_SANITIZER
  GTEST_SKIP() << "the sanitizer's allocator does not report through mallinfo2";
#endif
  testing::TempDir dir;
  const std::string path = dir.path() + "/s";
  constexpr int kTenants = 200;
  {
    auto store = OpenOrDie(TestOptions(), path);
    WriteTenants(*store, kTenants);
  }
  Options options = TestOptions();
  options.block_cache_bytes = 64 << 10;  // keep RocksDB's cache out of the heap growth
  auto store = OpenOrDie(options, path);
  RecallIds(*store, 0);  // warm up once (thread-local buffers, the block cache)
  malloc_trim(0);
  const size_t before = mallinfo2().uordblks;
  for (int t = 1; t < kTenants; ++t) RecallIds(*store, t);
  const size_t heap = mallinfo2().uordblks - before;
  const MemoryUsage u = store->GetMemoryUsage();
  ASSERT_EQ(u.loaded_tenants, static_cast<uint64_t>(kTenants));
  const double accounted = static_cast<double>(u.loaded_bytes) * (kTenants - 1) / kTenants;
  EXPECT_NEAR(accounted / static_cast<double>(heap), 1.0, 0.10)
      << "accounted " << accounted << " bytes, heap grew " << heap << " bytes";
}

TEST(TenantCacheTest, ForgettingALoadedTenantReleasesItsShare) {
  testing::TempDir dir;
  auto store = OpenOrDie(TestOptions(), dir.path() + "/s");
  WriteTenants(*store, 3);
  const MemoryUsage before = store->GetMemoryUsage();
  ASSERT_EQ(before.loaded_tenants, 3u);
  ASSERT_TRUE(store->ForgetTenant(TenantName(1)).ok());
  const MemoryUsage after = store->GetMemoryUsage();
  EXPECT_EQ(after.loaded_tenants, 2u);
  EXPECT_LT(after.loaded_bytes, before.loaded_bytes);
}

// An embedder that blocks on texts holding `marker` until released (or a
// timeout), so a test can hold a tenant's load in the middle.
class GateEmbedder final : public Embedder {
 public:
  explicit GateEmbedder(std::string marker) : marker_(std::move(marker)) {}
  size_t dim() const override { return inner_.dim(); }
  std::string identity() const override { return inner_.identity(); }
  Result<std::vector<float>> Embed(std::span<const std::string> texts) override {
    bool gated = false;
    for (const auto& t : texts) gated |= t.find(marker_) != std::string::npos;
    if (gated && armed_.load()) {
      std::unique_lock<std::mutex> lock(mutex_);
      blocked_ = true;
      cv_.notify_all();
      released_in_time_ = cv_.wait_for(lock, 30s, [&] { return released_; });
    }
    return inner_.Embed(texts);
  }
  void Arm() { armed_ = true; }
  bool WaitUntilBlocked() {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, 30s, [&] { return blocked_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mutex_);
    released_ = true;
    cv_.notify_all();
  }
  bool released_in_time() {
    std::lock_guard<std::mutex> lock(mutex_);
    return released_in_time_;
  }

 private:
  testing::TestEmbedder inner_;
  std::string marker_;
  std::atomic<bool> armed_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  bool blocked_ = false, released_ = false, released_in_time_ = false;
};

TEST(TenantCacheTest, LoadingOneTenantBlocksNeitherWritesNorReadsOfAnother) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/s";
  {
    // Written without indexes, so loading it derives and embeds every turn.
    Options log_only;
    log_only.log_only = true;
    auto store = OpenOrDie(log_only, path);
    std::vector<Turn> turns;
    for (int i = 0; i < 50; ++i) {
      Turn t = TurnOf(1, i);
      t.text += " (slowload)";
      turns.push_back(t);
    }
    ASSERT_TRUE(store->ObserveBatch("big", turns).ok());
  }
  auto gate = std::make_shared<GateEmbedder>("slowload");
  Options options;
  options.embedder = gate;
  auto store = OpenOrDie(options, path);
  ASSERT_TRUE(store->ObserveBatch("small", std::vector<Turn>{TurnOf(2, 0)}).ok());
  gate->Arm();

  std::thread loader([&] {
    auto r = store->Recall("big", "trip to Porto", RecallOptions{});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
  });
  ASSERT_TRUE(gate->WaitUntilBlocked());
  // The load of "big" is stuck in the embedder: "small" still takes a
  // synced write and answers a recall.
  WriteOptions synced;
  synced.sync = true;
  EXPECT_TRUE(store->Observe("small", TurnOf(2, 1), synced).ok());
  auto r = store->Recall("small", "tenant 2 turn 1", RecallOptions{});
  EXPECT_TRUE(r.ok());
  gate->Release();
  loader.join();
  EXPECT_TRUE(gate->released_in_time()) << "the other tenant's write or read waited for the load";
  auto big = store->GetTenantStats("big");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->turns, 50u);
}

TEST(TenantCacheTest, ReadersAndWritersOfManyTenantsUnderATightBudget) {
  const size_t one = OneTenantBytes();
  testing::TempDir dir;
  auto store = OpenOrDie(TestOptions(3 * one), dir.path() + "/s");
  constexpr int kTenants = 10;
  WriteTenants(*store, kTenants);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      std::mt19937 rng(r);
      while (!stop.load()) {
        auto res = store->Recall(TenantName(static_cast<int>(rng() % kTenants)), "the garden", RecallOptions{});
        if (!res.ok() || res->hits.empty()) ++failures;
      }
    });
  }
  std::mt19937 rng(7);
  std::vector<int> extra(kTenants, 0);
  for (int i = 0; i < 60; ++i) {
    int t = static_cast<int>(rng() % kTenants);
    ASSERT_TRUE(store->Observe(TenantName(t), TurnOf(t, kTurnsPerTenant + extra[t]++)).ok());
  }
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kTenants; ++t) {
    auto stats = store->GetTenantStats(TenantName(t));
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->turns, static_cast<uint64_t>(kTurnsPerTenant + extra[t]));
    if (extra[t] == 0) continue;
    // The last write to each tenant is searchable, whether or not the
    // tenant was unloaded since.
    auto last = TurnOf(t, kTurnsPerTenant + extra[t] - 1);
    auto r = store->Recall(TenantName(t), last.text, RecallOptions{});
    ASSERT_TRUE(r.ok());
    ASSERT_FALSE(r->hits.empty());
    EXPECT_EQ(r->hits.front().source_ids.front(), last.source_id);
  }
}

}  // namespace
}  // namespace engram
