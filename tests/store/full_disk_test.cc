// A full disk (and a failing one) is an error, never a crash: every write
// fails with an IOError saying "no space left on device", everything already
// stored stays readable, and writes resume without reopening once the disk
// has space again. The disk is a fault-injecting file system under the store;
// one opt-in test fills a real small file system (ENGRAM_SMALL_FS_DIR).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engram/store.h"
#include "store/store_impl.h"
#include "testing/fault_injection_fs.h"
#include "testing/temp_dir.h"
#include "testing/test_embedder.h"

namespace engram {
namespace {

using testing::FaultInjectionFs;
using testing::FaultKind;
using testing::FaultRule;

constexpr char kTenant[] = "tenant";

Turn MakeTurn(int i, const std::string& words = "hello world") {
  Turn t;
  t.session = "s1";
  t.speaker = i % 2 ? "Ann" : "Bob";
  t.text = words + " number " + std::to_string(i);
  t.time_ms = 1700000000000 + i;
  t.source_id = "turn-" + std::to_string(i);
  return t;
}

// Extracts one unit per turn, for the enrichment test.
class EchoExtractor final : public Extractor {
 public:
  std::string identity() const override { return "echo/1"; }
  Result<Extraction> Extract(const ExtractionInput& input) override {
    Extraction x;
    EventUnit u;
    u.text = "enriched: " + input.turn.text;
    u.subject = input.turn.speaker;
    u.source_ids = {input.turn.source_id};
    x.units.push_back(u);
    return x;
  }
};

class FullDiskTest : public ::testing::Test {
 protected:
  FullDiskTest() { options_.embedder = std::make_shared<testing::TestEmbedder>(); }

  std::unique_ptr<Store> Open() {
    log::LogOptions lo;
    lo.file_system = fs_;
    auto store = StoreImpl::Open(options_, dir_.Sub("store"), lo);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Observes turns [from, to) synced; every one must succeed.
  void ObserveOk(Store& store, int from, int to) {
    for (int i = from; i < to; ++i) {
      auto seq = store.Observe(kTenant, MakeTurn(i), sync_);
      ASSERT_TRUE(seq.ok()) << seq.status().ToString();
      acked_.push_back(MakeTurn(i));
    }
  }

  // Every acknowledged turn is stored, byte-exact, and nothing else.
  void ExpectExactlyAcknowledged(Store& store) {
    auto turns = store.ScanTurns(kTenant, {});
    ASSERT_TRUE(turns.ok()) << turns.status().ToString();
    ASSERT_EQ(turns->size(), acked_.size());
    for (size_t i = 0; i < acked_.size(); ++i) {
      EXPECT_EQ((*turns)[i].turn.text, acked_[i].text);
      EXPECT_EQ((*turns)[i].turn.source_id, acked_[i].source_id);
      EXPECT_EQ((*turns)[i].turn.speaker, acked_[i].speaker);
    }
  }

  void ExpectReadsWork(Store& store) {
    ExpectExactlyAcknowledged(store);
    auto stats = store.GetTenantStats(kTenant);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    EXPECT_EQ(stats->turns, acked_.size());
    auto by_id = store.GetTurnBySourceId(kTenant, acked_.front().source_id);
    ASSERT_TRUE(by_id.ok()) << by_id.status().ToString();
    EXPECT_EQ(by_id->turn.text, acked_.front().text);
    if (!options_.log_only) {
      auto recall = store.Recall(kTenant, "hello world", {});
      ASSERT_TRUE(recall.ok()) << recall.status().ToString();
      EXPECT_FALSE(recall->hits.empty());
    }
  }

  static void ExpectNoSpace(const Status& s) {
    EXPECT_TRUE(s.IsIOError()) << s.ToString();
    EXPECT_NE(s.message().find("no space left on device"), std::string::npos) << s.ToString();
  }

  testing::TempDir dir_;
  std::shared_ptr<FaultInjectionFs> fs_ = std::make_shared<FaultInjectionFs>();
  Options options_;
  WriteOptions sync_{.sync = true};
  std::vector<Turn> acked_;
};

TEST_F(FullDiskTest, EveryWriteFailsWithNoSpaceAndReadsKeepWorking) {
  auto store = Open();
  ObserveOk(*store, 0, 5);
  fs_->SetDiskFull();
  // Twice each: the second attempt is where librocksdb used to abort.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto seq = store->Observe(kTenant, MakeTurn(100 + attempt), sync_);
    ASSERT_FALSE(seq.ok());
    ExpectNoSpace(seq.status());
    std::vector<Turn> batch = {MakeTurn(200 + 2 * attempt), MakeTurn(201 + 2 * attempt)};
    auto seqs = store->ObserveBatch(kTenant, batch, sync_);
    ASSERT_FALSE(seqs.ok());
    ExpectNoSpace(seqs.status());
    ExpectReadsWork(*store);
  }
  auto forget = store->ForgetTenant(kTenant, sync_);
  ASSERT_FALSE(forget.ok());
  ExpectNoSpace(forget.status());
  Status rebuild = store->Rebuild();
  ASSERT_FALSE(rebuild.ok());
  ExpectNoSpace(rebuild);
  // The failed forget and rebuild left everything as it was.
  ExpectReadsWork(*store);
  EXPECT_GT(fs_->faults_injected(), 0u);
}

TEST_F(FullDiskTest, WritesResumeWithoutReopeningOnceSpaceIsBack) {
  auto store = Open();
  ObserveOk(*store, 0, 3);
  fs_->SetDiskFull();
  ASSERT_FALSE(store->Observe(kTenant, MakeTurn(50), sync_).ok());
  ASSERT_FALSE(store->Observe(kTenant, MakeTurn(51), sync_).ok());
  fs_->ClearFaults();
  ObserveOk(*store, 3, 6);
  std::vector<Turn> batch = {MakeTurn(6), MakeTurn(7)};
  auto seqs = store->ObserveBatch(kTenant, batch, sync_);
  ASSERT_TRUE(seqs.ok()) << seqs.status().ToString();
  acked_.insert(acked_.end(), batch.begin(), batch.end());
  ExpectReadsWork(*store);
  // A turn whose write failed was not stored and can be written again.
  ASSERT_FALSE(store->GetTurnBySourceId(kTenant, "turn-50").ok());
  ObserveOk(*store, 50, 51);
  store.reset();
  store = Open();
  ExpectReadsWork(*store);
}

TEST_F(FullDiskTest, AFullDiskDuringFlushIsAnErrorAndWritesResume) {
  auto store = Open();
  ObserveOk(*store, 0, 4);
  // Only table files fail: the WAL append succeeds, the flush does not.
  fs_->InjectFault(FaultRule::From(testing::kAppend, FaultKind::kNoSpace, 1, ".sst"));
  Status rebuild = store->Rebuild();  // ends with a flush
  ASSERT_FALSE(rebuild.ok());
  ExpectNoSpace(rebuild);
  // RocksDB now refuses writes until resumed, and resuming flushes again.
  auto seq = store->Observe(kTenant, MakeTurn(60), sync_);
  ASSERT_FALSE(seq.ok());
  ExpectNoSpace(seq.status());
  ExpectReadsWork(*store);
  fs_->ClearFaults();
  ObserveOk(*store, 4, 6);
  EXPECT_TRUE(store->Rebuild().ok());
  ExpectReadsWork(*store);
  store.reset();
  store = Open();
  ExpectReadsWork(*store);
}

// Just after opening every memtable is empty, so resuming flushes nothing;
// the log must still never append to the WAL whose append failed.
TEST_F(FullDiskTest, AFullDiskOnTheFirstWriteAfterOpeningIsAnErrorToo) {
  {
    auto store = Open();
    ObserveOk(*store, 0, 3);
  }
  auto store = Open();
  fs_->InjectFault(FaultRule::From(testing::kAppend, FaultKind::kNoSpace, 1, ".log"));
  for (int i = 0; i < 3; ++i) {
    auto seq = store->Observe(kTenant, MakeTurn(80 + i), sync_);
    ASSERT_FALSE(seq.ok());
    ExpectNoSpace(seq.status());
  }
  ExpectReadsWork(*store);
  fs_->ClearFaults();
  ObserveOk(*store, 3, 5);
  store.reset();
  store = Open();
  ExpectReadsWork(*store);
}

TEST_F(FullDiskTest, ASingleFailedWalAppendIsRetriedAndTheWriteSucceeds) {
  auto store = Open();
  ObserveOk(*store, 0, 2);
  fs_->InjectFault(FaultRule::Once(testing::kAppend, FaultKind::kNoSpace, 1, ".log"));
  ObserveOk(*store, 2, 4);  // the first of these met the fault
  EXPECT_EQ(fs_->faults_injected(), 1u);
  store.reset();
  store = Open();
  ExpectReadsWork(*store);
}

TEST_F(FullDiskTest, ClosingOnAFullDiskDoesNotAbortAndLosesNothingWritten) {
  auto store = Open();
  ObserveOk(*store, 0, 3);
  WriteOptions unsynced;
  for (int i = 3; i < 6; ++i) {  // in the WAL, not yet in a table file
    ASSERT_TRUE(store->Observe(kTenant, MakeTurn(i), unsynced).ok());
    acked_.push_back(MakeTurn(i));
  }
  ExpectReadsWork(*store);  // loads the tenant: closing saves its snapshot
  fs_->SetDiskFull();
  store.reset();  // the snapshot save and the flush fail; the process lives
  fs_->ClearFaults();
  store = Open();
  ExpectReadsWork(*store);
}

TEST_F(FullDiskTest, AnIoErrorOnTheWalStopsWritesUntilTheStoreIsReopened) {
  auto store = Open();
  ObserveOk(*store, 0, 3);
  fs_->InjectFault(FaultRule::From(testing::kAppend, FaultKind::kIoError, 1, ".log"));
  auto seq = store->Observe(kTenant, MakeTurn(70), sync_);
  ASSERT_FALSE(seq.ok());
  EXPECT_TRUE(seq.status().IsIOError()) << seq.status().ToString();
  fs_->ClearFaults();
  // RocksDB treats an I/O error on its WAL as fatal: no resuming.
  seq = store->Observe(kTenant, MakeTurn(71), sync_);
  ASSERT_FALSE(seq.ok());
  EXPECT_NE(seq.status().message().find("reopened"), std::string::npos) << seq.status().ToString();
  ExpectReadsWork(*store);
  store.reset();
  store = Open();
  ObserveOk(*store, 3, 5);
  ExpectReadsWork(*store);
}

TEST_F(FullDiskTest, EnrichmentOnAFullDiskWaitsAndCompletesOnceSpaceIsBack) {
  options_.enrichment_extractor = std::make_shared<EchoExtractor>();
  auto store = Open();
  fs_->SetDiskFull();
  // The turn cannot be stored, so neither can its job.
  ASSERT_FALSE(store->Observe(kTenant, MakeTurn(0), sync_).ok());
  fs_->ClearFaults();
  ObserveOk(*store, 1, 3);
  // Jobs now fail to commit while the disk is full; they are kept.
  fs_->SetDiskFull();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto pending = store->PendingEnrichments();  // reading the queue works on a full disk
  ASSERT_TRUE(pending.ok()) << pending.status().ToString();
  EXPECT_LE(*pending, 2u);
  fs_->ClearFaults();
  ASSERT_TRUE(store->WaitForEnrichment(20000).ok());
  auto units = store->EventUnits(kTenant);
  ASSERT_TRUE(units.ok()) << units.status().ToString();
  size_t enriched = 0;
  for (const auto& u : *units) enriched += u.text.rfind("enriched: ", 0) == 0;
  EXPECT_EQ(enriched, 2u);
  ExpectReadsWork(*store);
}

// A real small file system: set ENGRAM_SMALL_FS_DIR to a folder on one
// (e.g. `mount -t tmpfs -o size=4m tmpfs /mnt/small`). A filler file takes
// half the space; deleting it is "space is back" (resuming flushes what the
// failed writes left in memory, so it needs room for that table file).
TEST(RealFullDiskTest, FillsARealFileSystemThenResumesWhenSpaceIsFreed) {
  const char* base = std::getenv("ENGRAM_SMALL_FS_DIR");
  if (base == nullptr || *base == '\0') GTEST_SKIP() << "ENGRAM_SMALL_FS_DIR is not set";
  const std::string path = std::string(base) + "/engram_full_disk_test", filler = path + ".filler";
  std::filesystem::remove_all(path);
  {
    std::ofstream out(filler, std::ios::binary);
    std::string mb(1 << 20, 'x');
    for (int i = 0; i < 2; ++i) out.write(mb.data(), static_cast<std::streamsize>(mb.size()));
    ASSERT_TRUE(out.good()) << "cannot write the filler file " << filler;
  }
  Options options;
  options.embedder = std::make_shared<testing::TestEmbedder>();
  auto store = Store::Open(options, path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  WriteOptions wo{.sync = true};
  std::mt19937_64 rng(7);
  std::vector<std::string> acked;
  int failures = 0;
  for (int i = 0; i < 10000 && failures < 3; ++i) {
    Turn t = MakeTurn(i);
    t.text.clear();
    while (t.text.size() < 60000) t.text += "w" + std::to_string(rng() % 100000) + " ";
    auto seq = (*store)->Observe(kTenant, t, wo);
    if (seq.ok()) {
      acked.push_back(t.text);
    } else {
      ++failures;
      EXPECT_NE(seq.status().message().find("no space left on device"), std::string::npos)
          << seq.status().ToString();
    }
  }
  ASSERT_EQ(failures, 3) << "the file system never filled up";
  auto turns = (*store)->ScanTurns(kTenant, {});
  ASSERT_TRUE(turns.ok()) << turns.status().ToString();
  ASSERT_EQ(turns->size(), acked.size());
  ASSERT_TRUE((*store)->GetTenantStats(kTenant).ok());
  std::filesystem::remove(filler);
  auto resumed = (*store)->Observe(kTenant, MakeTurn(99999), wo);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  store->reset();

  // Opening a store on a full disk: an error or a readable store, never a crash.
  {
    std::ofstream out(filler, std::ios::binary);
    std::string chunk(1 << 16, 'x');
    while (out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()))) out.flush();
  }
  Options log_only;
  log_only.log_only = true;
  auto full = Store::Open(log_only, path);
  if (full.ok()) {
    auto all = (*full)->ScanTurns(kTenant, {});
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    EXPECT_EQ(all->size(), acked.size() + 1);
    full->reset();
  } else {
    EXPECT_NE(full.status().message().find("no space left on device"), std::string::npos)
        << full.status().ToString();
  }
  std::filesystem::remove(filler);

  auto again = Store::Open(options, path);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  turns = (*again)->ScanTurns(kTenant, {});
  ASSERT_TRUE(turns.ok());
  EXPECT_EQ(turns->size(), acked.size() + 1);
  for (size_t i = 0; i < acked.size() && i < turns->size(); ++i) EXPECT_EQ((*turns)[i].turn.text, acked[i]);
  again->reset();
  std::filesystem::remove_all(path);
}

}  // namespace
}  // namespace engram
