// How the store keeps vectors: one stored vector per document, written with
// its turn; a tenant loads without embedding anything again; graph indexes
// come back from a checkpoint that survives a crash at every step of being
// written and is rebuilt when damaged; older stores migrate on first load.
// And how a large tenant's BM25 index comes back from its lexical
// checkpoint, only when it holds the documents the log has.
#include <atomic>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/sha256.h"
#include "engram/engram.h"
#include "log/event_log.h"
#include "log/key_codec.h"
#include "store/doc_vectors.h"
#include "store/store_impl.h"
#include "testing/fault_injection_fs.h"
#include "testing/temp_dir.h"
#include "tiers/tenant_memory.h"

namespace engram {
namespace {

namespace fs = std::filesystem;

constexpr char kGraph[] = "HNSW16,efSearch=64";

// A dense pseudo-random unit vector per text (seeded by a hash of it), so
// a text's own vector is its clear best match; counts the texts it embeds.
class CountingEmbedder final : public Embedder {
 public:
  explicit CountingEmbedder(size_t dim = 32) : dim_(dim) {}
  size_t dim() const override { return dim_; }
  std::string identity() const override { return "test-dense-hash/" + std::to_string(dim_); }
  Result<std::vector<float>> Embed(std::span<const std::string> texts) override {
    embedded += texts.size();
    std::vector<float> out(texts.size() * dim_);
    for (size_t i = 0; i < texts.size(); ++i) {
      uint64_t h = 1469598103934665603ull;
      for (unsigned char c : texts[i]) h = (h ^ c) * 1099511628211ull;
      float* v = out.data() + i * dim_;
      double norm = 0;
      for (size_t d = 0; d < dim_; ++d) {
        h ^= h << 13;
        h ^= h >> 7;
        h ^= h << 17;
        v[d] = static_cast<float>(static_cast<int64_t>(h % 2001) - 1000);
        norm += double(v[d]) * v[d];
      }
      for (size_t d = 0; d < dim_; ++d) v[d] = static_cast<float>(v[d] / std::sqrt(norm));
    }
    return out;
  }
  std::atomic<size_t> embedded{0};

 private:
  size_t dim_;
};

// Derives nothing: every turn is one document.
class NoDerivations final : public Extractor {
 public:
  std::string identity() const override { return "test-none/1"; }
  Result<Extraction> Extract(const ExtractionInput&) override { return Extraction{}; }
};

// Words unique to turn i, so each turn is the best vector match of its text.
std::string TurnText(int i) {
  return "w" + std::to_string(i) + " x" + std::to_string(i * 7 + 1) + " y" + std::to_string(i * 13 + 5);
}

Turn MakeTurn(int i) { return Turn{"s" + std::to_string(i / 50), "Ana", TurnText(i), 1700000000000 + i * 1000, "t" + std::to_string(i)}; }

class VectorStoreTest : public ::testing::Test {
 public:
  Options StoreOptions(const std::string& index = "Flat", bool derive = false) {
    Options o;
    o.embedder = embedder_;
    if (!derive) o.extractor = std::make_shared<NoDerivations>();
    o.vector_index = index;
    return o;
  }
  std::unique_ptr<Store> Open(const Options& options, std::shared_ptr<testing::FaultInjectionFs> fsys = nullptr) {
    log::LogOptions lo;
    lo.file_system = fsys;
    auto store = StoreImpl::Open(options, path_, lo);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  void Write(Store& store, int from, int to, bool sync = false) {
    std::vector<Turn> batch;
    for (int i = from; i < to; ++i) {
      batch.push_back(MakeTurn(i));
      if (batch.size() == 200 || i + 1 == to) {
        ASSERT_TRUE(store.ObserveBatch("ana", batch, {.sync = sync}).ok());
        batch.clear();
      }
    }
  }
  // Turns whose texts repeat those of turns 0..299, but every 50th (whose
  // text is its own).
  void WriteRepeating(Store& store, int from, int to) {
    std::vector<Turn> batch;
    for (int i = from; i < to; ++i) {
      Turn t = MakeTurn(i);
      if (i % 50 != 0) t.text = TurnText(i % 300);
      batch.push_back(std::move(t));
    }
    ASSERT_TRUE(store.ObserveBatch("ana", batch, {.sync = true}).ok());
  }
  // The source id of the best pure-vector hit for turn i's text.
  std::string BestVectorHit(Store& store, int i) {
    RecallOptions ro;
    ro.route = "vector";
    ro.k = 1;
    auto r = store.Recall("ana", "Ana: " + TurnText(i), ro);  // a turn is embedded as "speaker: text"
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->hits.empty() || r->hits[0].source_ids.empty()) return "";
    return r->hits[0].source_ids[0];
  }
  // Keys of `cf` under the tenant's prefix, read through the log.
  size_t KeysOf(log::Cf cf, const std::string& tenant, const std::string& after_prefix = "") {
    log::LogOptions lo;
    lo.read_only = true;
    lo.create_if_missing = false;
    auto log = log::EventLog::Open(path_, lo);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    if (!log.ok()) return 0;
    size_t n = 0;
    const std::string begin = log::TenantPrefix(tenant) + after_prefix;
    EXPECT_TRUE((*log)->Scan(cf, begin, log::TenantPrefixEnd(tenant), [&](std::string_view k, std::string_view) {
                  n += k.substr(0, begin.size()) == begin;
                  return true;
                }).ok());
    return n;
  }
  Result<VectorCheckpointHead> Checkpoint(const std::string& tenant) {
    log::LogOptions lo;
    lo.read_only = true;
    lo.create_if_missing = false;
    auto log = log::EventLog::Open(path_, lo);
    if (!log.ok()) return log.status();
    VectorCheckpointHead head;
    auto bytes = ReadVectorCheckpoint(**log, tenant, &head);
    if (!bytes.ok()) return bytes.status();
    return head;
  }

  testing::TempDir dir_;
  std::string path_ = dir_.Sub("store");
  std::shared_ptr<CountingEmbedder> embedder_ = std::make_shared<CountingEmbedder>();
};

TEST_F(VectorStoreTest, EachDocumentHasOneStoredVectorWrittenWithItsTurn) {
  auto store = Open(StoreOptions("Flat", /*derive=*/true));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Observe("ana", Turn{"s1", "Ana", "I adopted a dog named Rex yesterday.", 1700000000000, "a"}).ok());
  auto units = store->EventUnits("ana");
  ASSERT_TRUE(units.ok());
  store.reset();
  // The turn and each of its units: one vector each, half floats.
  EXPECT_EQ(KeysOf(log::Cf::kVectors, "ana"), 1 + units->size());
  EXPECT_EQ(KeysOf(log::Cf::kEmbeddings, "ana"), 0u);
  EXPECT_EQ(KeysOf(log::Cf::kSnapshots, "ana"), 0u) << "a flat index needs no checkpoint";
  log::LogOptions lo;
  lo.read_only = true;
  auto log = log::EventLog::Open(path_, lo);
  ASSERT_TRUE(log.ok());
  auto value = (*log)->Get(log::Cf::kVectors, DocVectorKey("ana", DocId(1, 0)));
  ASSERT_TRUE(value.ok() && value->has_value());
  EXPECT_EQ((*value)->size(), 5 + 2 * embedder_->dim());
}

TEST_F(VectorStoreTest, VectorsAreFoundAfterReopenWithoutEmbeddingAgain) {
  for (const char* index : {"Flat", "Int8", kGraph, "Auto"}) {
    SCOPED_TRACE(index);
    fs::remove_all(path_);
    std::vector<std::string> before;
    {
      auto store = Open(StoreOptions(index));
      ASSERT_NE(store, nullptr);
      Write(*store, 0, 300);
      for (int i = 0; i < 300; i += 37) before.push_back(BestVectorHit(*store, i));
    }
    embedder_->embedded = 0;
    auto store = Open(StoreOptions(index));
    ASSERT_NE(store, nullptr);
    std::vector<std::string> after;
    for (int i = 0; i < 300; i += 37) after.push_back(BestVectorHit(*store, i));
    EXPECT_EQ(after, before);
    for (size_t n = 0; n < after.size(); ++n) EXPECT_EQ(after[n], "t" + std::to_string(n * 37));
    EXPECT_EQ(embedder_->embedded.load(), after.size()) << "only the queries are embedded after a reopen";
  }
}

TEST_F(VectorStoreTest, ScoresAreTheSameBeforeAndAfterAReopen) {
  RecallOptions ro;
  ro.route = "vector";
  std::vector<float> before;
  {
    auto store = Open(StoreOptions());
    ASSERT_NE(store, nullptr);
    Write(*store, 0, 50);
    auto r = store->Recall("ana", "w3 x22 y44", ro);
    ASSERT_TRUE(r.ok());
    for (const auto& h : r->hits) before.push_back(h.score);
  }
  auto store = Open(StoreOptions());
  auto r = store->Recall("ana", "w3 x22 y44", ro);
  ASSERT_TRUE(r.ok());
  std::vector<float> after;
  for (const auto& h : r->hits) after.push_back(h.score);
  EXPECT_EQ(after, before) << "the index holds the stored (half-float) values from the start";
}

TEST_F(VectorStoreTest, ClosingAFlatIndexWritesNothingAndAGraphIndexOnlyWhenItGrewEnough) {
  {
    auto store = Open(StoreOptions(kGraph));
    ASSERT_NE(store, nullptr);
    Write(*store, 0, 900);
  }
  EXPECT_TRUE(Checkpoint("ana").status().IsNotFound()) << "900 documents: below the 1,000 a checkpoint waits for";
  {
    auto store = Open(StoreOptions(kGraph));
    Write(*store, 900, 1200);
  }
  auto head = Checkpoint("ana");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->covered_seq, 1200u);
  EXPECT_EQ(head->vectors, 1200u);
  {
    auto store = Open(StoreOptions(kGraph));
    Write(*store, 1200, 1300);  // 100 new: not enough for a new checkpoint
  }
  head = Checkpoint("ana");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->covered_seq, 1200u);
  // Loading restores the checkpoint and adds the 100 documents after it,
  // from their stored vectors.
  embedder_->embedded = 0;
  auto store = Open(StoreOptions(kGraph));
  EXPECT_EQ(BestVectorHit(*store, 1250), "t1250");
  EXPECT_EQ(BestVectorHit(*store, 10), "t10");
  EXPECT_EQ(embedder_->embedded.load(), 2u);
}

TEST_F(VectorStoreTest, ALargeCheckpointIsSplitIntoChunksOfAtMostOneMebibyte) {
  embedder_ = std::make_shared<CountingEmbedder>(8);
  {
    auto store = Open(StoreOptions("HNSW64"));
    ASSERT_NE(store, nullptr);
    Write(*store, 0, 6000);  // 6000 nodes of up to 128 neighbours (512 bytes) each: a few MiB of graph
  }
  auto head = Checkpoint("ana");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_GE(head->chunks, 2u);
  EXPECT_GT(head->bytes, kCheckpointChunkBytes);
  EXPECT_EQ(KeysOf(log::Cf::kSnapshots, "ana", "vidx/"), head->chunks);
  log::LogOptions lo;
  lo.read_only = true;
  auto log = log::EventLog::Open(path_, lo);
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Scan(log::Cf::kSnapshots, {}, {}, [&](std::string_view, std::string_view v) {
                EXPECT_LE(v.size(), kCheckpointChunkBytes);
                return true;
              }).ok());
}

// Power lost at every step of closing a store whose checkpoint covers the
// first `base_turns` turns, after `change` wrote turns up to `total`: the
// checkpoint read afterwards is the old or the new one, intact, and every
// vector is found without embedding. `delta`: the new one is a delta.
void CrashAtEveryStepOfClosing(VectorStoreTest& t, const std::shared_ptr<testing::FaultInjectionFs>& fsys, int base_turns, int total,
                               const std::function<void(Store&)>& change, const std::vector<int>& probes,
                               bool delta) {
  auto covered = [&]() -> uint64_t {
    auto head = t.Checkpoint("ana");
    EXPECT_TRUE(head.ok()) << "the checkpoint is intact: " << head.status().ToString();
    if (!head.ok()) return 0;
    if (!delta) return head->covered_seq;
    log::LogOptions lo;
    lo.read_only = true;
    auto log = log::EventLog::Open(t.path_, lo);
    EXPECT_TRUE(log.ok());
    if (!log.ok()) return 0;
    auto deltas = ReadVectorCheckpointDeltas(**log, "ana", *head);
    EXPECT_TRUE(deltas.ok()) << "the deltas are intact: " << deltas.status().ToString();
    return !deltas.ok() || deltas->empty() ? head->covered_seq : deltas->back().head.covered_seq;
  };
  auto prepare = [&] {
    fs::remove_all(t.path_);
    {
      auto store = t.Open(t.StoreOptions(kGraph), fsys);
      ASSERT_NE(store, nullptr);
      t.Write(*store, 0, base_turns, /*sync=*/true);
    }
    ASSERT_EQ(covered(), static_cast<uint64_t>(base_turns));
  };
  // Learn how many file operations closing (writing the checkpoint) takes.
  prepare();
  uint64_t close_ops = 0;
  {
    auto store = t.Open(t.StoreOptions(kGraph), fsys);
    change(*store);
    const uint64_t before = fsys->mutating_ops();
    store.reset();
    close_ops = fsys->mutating_ops() - before;
    ASSERT_EQ(covered(), static_cast<uint64_t>(total));
    ASSERT_EQ(t.KeysOf(log::Cf::kSnapshots, "ana", "vidh/"), delta ? 1u : 0u);
  }
  ASSERT_GT(close_ops, 0u);
  int old_kept = 0, new_kept = 0;
  // Power lost before each operation of closing, and right after it (k =
  // close_ops + 1), when a random part of the unsynced checkpoint record
  // may have reached the disk.
  struct Round {
    uint64_t k;
    testing::PowerLossModel model;
    uint64_t seed;
  };
  std::vector<Round> rounds;
  for (uint64_t k = 1; k <= close_ops + 1; ++k) {
    rounds.push_back({k, testing::PowerLossModel::kDropUnsynced, 0});
    for (uint64_t seed = 1; seed <= 2; ++seed) rounds.push_back({k, testing::PowerLossModel::kKeepRandomUnsyncedPrefix, seed});
  }
  for (const Round& round : rounds) {
    const uint64_t k = round.k;
    SCOPED_TRACE("power lost before operation " + std::to_string(k) + " of closing, seed " + std::to_string(round.seed));
    prepare();
    {
      auto store = t.Open(t.StoreOptions(kGraph), fsys);
      ASSERT_NE(store, nullptr);
      change(*store);
      if (k <= close_ops) fsys->PowerLossAt(k);
      store.reset();
      if (k > close_ops) fsys->LosePowerNow();
    }
    ASSERT_TRUE(fsys->ApplyPowerLoss(round.model, round.seed).ok());
    const uint64_t seq = covered();
    ASSERT_TRUE(seq == static_cast<uint64_t>(base_turns) || seq == static_cast<uint64_t>(total)) << seq;
    (seq == static_cast<uint64_t>(base_turns) ? old_kept : new_kept)++;
    t.embedder_->embedded = 0;
    auto store = t.Open(t.StoreOptions(kGraph), fsys);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->ScanTurns("ana")->size(), static_cast<size_t>(total));
    for (int i : probes) EXPECT_EQ(t.BestVectorHit(*store, i), "t" + std::to_string(i));
    EXPECT_EQ(t.embedder_->embedded.load(), probes.size()) << "every vector was found stored";
    // Closed first: a read-only open beside the live store could read a
    // MANIFEST naming a table its compaction has just replaced.
    store.reset();
    EXPECT_EQ(t.KeysOf(log::Cf::kVectors, "ana"), static_cast<size_t>(total));
  }
  EXPECT_GT(old_kept, 0);
  EXPECT_GT(new_kept, 0);
  ::testing::Test::RecordProperty("old_checkpoint_kept", old_kept);
  ::testing::Test::RecordProperty("new_checkpoint_kept", new_kept);
}

TEST_F(VectorStoreTest, ACrashAtEveryStepOfWritingACheckpointLeavesTheOldOrTheNewOne) {
  auto fsys = std::make_shared<testing::FaultInjectionFs>();
  CrashAtEveryStepOfClosing(
      *this, fsys, 1100, 2300, [&](Store& store) { Write(store, 1100, 2300, /*sync=*/true); }, {0, 1099, 1100, 2299},
      /*delta=*/false);
}

TEST_F(VectorStoreTest, ACrashAtEveryStepOfWritingADeltaLeavesTheOldCheckpointOrTheNewOne) {
  auto fsys = std::make_shared<testing::FaultInjectionFs>();
  CrashAtEveryStepOfClosing(
      *this, fsys, 6000, 7100, [&](Store& store) { WriteRepeating(store, 6000, 7100); }, {0, 5999, 6000, 7050},
      /*delta=*/true);
}

TEST_F(VectorStoreTest, AfterACheckpointClosingWritesWhatChangedAsADelta) {
  {
    auto store = Open(StoreOptions(kGraph));
    ASSERT_NE(store, nullptr);
    Write(*store, 0, 6000);
  }
  auto base = Checkpoint("ana");
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  EXPECT_EQ(base->covered_seq, 6000u);
  EXPECT_EQ(KeysOf(log::Cf::kSnapshots, "ana", "vidh/"), 0u);
  // 1,100 new documents, most repeating earlier texts (as in a long
  // conversation): a delta of the nodes that changed, not the whole graph.
  {
    auto store = Open(StoreOptions(kGraph));
    WriteRepeating(*store, 6000, 7100);
  }
  ASSERT_EQ(KeysOf(log::Cf::kSnapshots, "ana", "vidh/"), 1u);
  EXPECT_EQ(Checkpoint("ana")->covered_seq, 6000u) << "the whole structure is not rewritten";
  {
    log::LogOptions lo;
    lo.read_only = true;
    auto log = log::EventLog::Open(path_, lo);
    ASSERT_TRUE(log.ok());
    auto deltas = ReadVectorCheckpointDeltas(**log, "ana", *base);
    ASSERT_TRUE(deltas.ok()) << deltas.status().ToString();
    ASSERT_EQ(deltas->size(), 1u);
    EXPECT_EQ((*deltas)[0].head.covered_seq, 7100u);
    EXPECT_LT((*deltas)[0].bytes.size(), base->bytes / 2);
    RecordProperty("delta_bytes", static_cast<int>((*deltas)[0].bytes.size()));
    RecordProperty("base_bytes", static_cast<int>(base->bytes));
  }
  // A second delta; then reopening restores the graph with both, from the
  // stored vectors (nothing embedded but the queries).
  {
    auto store = Open(StoreOptions(kGraph));
    WriteRepeating(*store, 7100, 8200);
  }
  EXPECT_EQ(KeysOf(log::Cf::kSnapshots, "ana", "vidh/"), 2u);
  auto check = CheckStore(path_);
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->ok()) << check->problems.front().what;
  {
    embedder_->embedded = 0;
    auto store = Open(StoreOptions(kGraph));
    ASSERT_NE(store, nullptr);
    for (int i : {0, 5999, 6000, 7050, 7100, 8150}) EXPECT_EQ(BestVectorHit(*store, i), "t" + std::to_string(i));
    EXPECT_EQ(embedder_->embedded.load(), 6u);
  }
  // A damaged delta is reported, ignored and the index rebuilt; the next
  // close writes the whole structure again, without deltas.
  {
    log::LogOptions lo;
    auto log = log::EventLog::Open(path_, lo);
    ASSERT_TRUE(log.ok());
    auto chunk = (*log)->Get(log::Cf::kSnapshots, CheckpointDeltaChunkKey("ana", 2, 0));
    ASSERT_TRUE(chunk.ok() && chunk->has_value());
    std::string damaged = **chunk;
    damaged[damaged.size() / 2] ^= 0x10;
    log::LogBatch batch = (*log)->NewBatch();
    batch.Put(log::Cf::kSnapshots, CheckpointDeltaChunkKey("ana", 2, 0), damaged);
    ASSERT_TRUE((*log)->Write(batch, true).ok());
  }
  check = CheckStore(path_);
  ASSERT_TRUE(check.ok());
  ASSERT_EQ(check->problems.size(), 1u);
  EXPECT_NE(check->problems[0].what.find("delta 2"), std::string::npos) << check->problems[0].what;
  {
    embedder_->embedded = 0;
    auto store = Open(StoreOptions(kGraph));
    ASSERT_NE(store, nullptr);
    for (int i : {0, 7100, 8150}) EXPECT_EQ(BestVectorHit(*store, i), "t" + std::to_string(i));
    EXPECT_EQ(embedder_->embedded.load(), 3u) << "rebuilt from the stored vectors, nothing embedded";
  }
  EXPECT_EQ(Checkpoint("ana")->covered_seq, 8200u);
  EXPECT_EQ(KeysOf(log::Cf::kSnapshots, "ana", "vidh/"), 0u);
  EXPECT_EQ(KeysOf(log::Cf::kSnapshots, "ana", "vidd/"), 0u);
  check = CheckStore(path_);
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->ok()) << check->problems.front().what;
}

TEST_F(VectorStoreTest, ADamagedChunkIsReportedIgnoredAndTheIndexRebuilt) {
  {
    auto store = Open(StoreOptions(kGraph));
    ASSERT_NE(store, nullptr);
    Write(*store, 0, 1200);
  }
  {
    log::LogOptions lo;
    auto log = log::EventLog::Open(path_, lo);
    ASSERT_TRUE(log.ok());
    auto chunk = (*log)->Get(log::Cf::kSnapshots, CheckpointChunkKey("ana", 0));
    ASSERT_TRUE(chunk.ok() && chunk->has_value());
    std::string damaged = **chunk;
    damaged[damaged.size() / 2] ^= 0x10;
    log::LogBatch batch = (*log)->NewBatch();
    batch.Put(log::Cf::kSnapshots, CheckpointChunkKey("ana", 0), damaged);
    ASSERT_TRUE((*log)->Write(batch, true).ok());
  }
  auto check = CheckStore(path_);
  ASSERT_TRUE(check.ok());
  ASSERT_EQ(check->problems.size(), 1u);
  EXPECT_FALSE(check->problems[0].data_loss_risk);
  EXPECT_NE(check->problems[0].what.find("checkpoint checksum mismatch"), std::string::npos) << check->problems[0].what;
  {
    embedder_->embedded = 0;
    auto store = Open(StoreOptions(kGraph));
    ASSERT_NE(store, nullptr);
    for (int i : {0, 600, 1199}) EXPECT_EQ(BestVectorHit(*store, i), "t" + std::to_string(i));
    EXPECT_EQ(embedder_->embedded.load(), 3u) << "rebuilt from the stored vectors, nothing embedded";
  }
  // Closing wrote a whole new checkpoint.
  check = CheckStore(path_);
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->ok()) << check->problems.front().what;
  EXPECT_EQ(Checkpoint("ana")->covered_seq, 1200u);
}

TEST_F(VectorStoreTest, ReDerivedUnitsWithUnchangedTextReuseTheirVectors) {
  {
    auto store = Open(StoreOptions("Flat", /*derive=*/true));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Observe("ana", Turn{"s1", "Ana", "I adopted a dog named Rex yesterday.", 1700000000000, "a"}).ok());
    ASSERT_TRUE(store->Observe("ana", Turn{"s1", "Ana", "My sister Lena moved to Oslo.", 1700000001000, "b"}).ok());
    ASSERT_FALSE(store->EventUnits("ana")->empty());
    ASSERT_TRUE(store->Rebuild().ok());
  }
  {
    // Every derived record of turn 1 damaged: the turn is derived again.
    log::LogOptions lo;
    auto log = log::EventLog::Open(path_, lo);
    ASSERT_TRUE(log.ok());
    log::LogBatch batch = (*log)->NewBatch();
    ASSERT_TRUE((*log)->Scan(log::Cf::kDerived, log::TurnKey("ana", 1), log::TurnKey("ana", 2),
                             [&](std::string_view k, std::string_view) {
                               batch.Put(log::Cf::kDerived, k, "{damaged");
                               return true;
                             }).ok());
    ASSERT_GT(batch.Count(), 0u);
    ASSERT_TRUE((*log)->Write(batch, true).ok());
  }
  embedder_->embedded = 0;
  auto store = Open(StoreOptions("Flat", /*derive=*/true));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Recall("ana", "dog").ok());
  EXPECT_EQ(embedder_->embedded.load(), 1u) << "only the query: the re-derived units kept their vectors";
  EXPECT_TRUE(store->Rebuild().ok());
  EXPECT_EQ(embedder_->embedded.load(), 1u) << "a rebuild embeds nothing either";
}

// An older store: turns, their vectors only in the text-keyed embedding
// cache, and one whole-index snapshot value.
TEST_F(VectorStoreTest, AnOlderStoreMigratesOnFirstLoadWithoutEmbedding) {
  {
    Options o = StoreOptions();
    o.log_only = true;  // turns without derivations or vectors
    auto store = Open(o);
    ASSERT_NE(store, nullptr);
    Write(*store, 0, 40);
  }
  {
    log::LogOptions lo;
    auto log = log::EventLog::Open(path_, lo);
    ASSERT_TRUE(log.ok());
    log::LogBatch batch = (*log)->NewBatch();
    const std::string embedder_hash = Sha256Hex(embedder_->identity()).substr(0, 16);
    std::vector<std::string> texts;
    for (int i = 0; i < 40; ++i) texts.push_back("Ana: " + TurnText(i));
    auto vectors = embedder_->Embed(texts);
    ASSERT_TRUE(vectors.ok());
    for (size_t i = 0; i < texts.size(); ++i) {
      const float* v = vectors->data() + i * embedder_->dim();
      batch.Put(log::Cf::kEmbeddings, log::TenantPrefix("ana") + embedder_hash + Sha256Hex(texts[i]).substr(0, 32),
                std::string_view(reinterpret_cast<const char*>(v), embedder_->dim() * sizeof(float)));
    }
    batch.Put(log::Cf::kSnapshots, log::TenantPrefix("ana") + "vectors", std::string(64, '\1'));
    batch.Put(log::Cf::kMeta, "embedder", embedder_->identity());
    ASSERT_TRUE((*log)->Write(batch, true).ok());
  }
  ASSERT_EQ(KeysOf(log::Cf::kEmbeddings, "ana"), 40u);
  embedder_->embedded = 0;
  {
    auto store = Open(StoreOptions());
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(BestVectorHit(*store, 17), "t17");
    EXPECT_EQ(embedder_->embedded.load(), 1u) << "the cached vectors were used";
  }
  EXPECT_EQ(KeysOf(log::Cf::kVectors, "ana"), 40u);
  EXPECT_EQ(KeysOf(log::Cf::kEmbeddings, "ana"), 0u) << "the old cache entries are deleted once migrated";
  EXPECT_EQ(KeysOf(log::Cf::kSnapshots, "ana"), 0u) << "the old snapshot value is deleted";
  embedder_->embedded = 0;
  auto store = Open(StoreOptions());
  EXPECT_EQ(BestVectorHit(*store, 33), "t33");
  EXPECT_EQ(embedder_->embedded.load(), 1u);
  auto check = CheckStore(path_);
  ASSERT_TRUE(check.ok());
}

TEST_F(VectorStoreTest, ForgetRemovesTheVectorsAndTheCheckpoint) {
  auto store = Open(StoreOptions(kGraph));
  ASSERT_NE(store, nullptr);
  Write(*store, 0, 1100);
  ASSERT_TRUE(store->Rebuild().ok());  // writes a checkpoint
  ASSERT_TRUE(store->Observe("bo", MakeTurn(1)).ok());
  auto report = store->ForgetTenant("ana");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->removed.at("vectors"), 1100u);
  EXPECT_GT(report->removed.at("index_snapshots"), 1u) << "the head and its chunks";
  store.reset();
  EXPECT_EQ(KeysOf(log::Cf::kVectors, "ana"), 0u);
  EXPECT_EQ(KeysOf(log::Cf::kSnapshots, "ana"), 0u);
  EXPECT_EQ(KeysOf(log::Cf::kVectors, "bo"), 1u);
}

// BM25 hits (ids and scores) of a few queries: those of one turn's unique
// words, of words every turn has, of a word none has.
std::vector<std::pair<std::string, float>> Bm25Hits(Store& store, const std::vector<std::string>& queries) {
  std::vector<std::pair<std::string, float>> out;
  for (const std::string& q : queries) {
    RecallOptions ro;
    ro.route = "bm25";
    ro.k = 10;
    auto r = store.Recall("ana", q, ro);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) continue;
    for (const Hit& h : r->hits) out.emplace_back(h.source_ids.empty() ? "" : h.source_ids[0], h.score);
    out.emplace_back("--", 0.0f);
  }
  return out;
}

const std::vector<std::string> kLexicalQueries = {"w17 x120", "y5", "Ana", "w4999 x35000", "w5003", "nothing"};

TEST_F(VectorStoreTest, ALargeTenantsBm25IndexComesBackFromItsCheckpoint) {
  auto store = Open(StoreOptions());
  ASSERT_NE(store, nullptr);
  Write(*store, 0, 5000);
  const auto before = Bm25Hits(*store, kLexicalQueries);
  store.reset();
  EXPECT_GE(KeysOf(log::Cf::kSnapshots, "ana", "lidx"), 2u) << "a head and its chunks";

  store = Open(StoreOptions());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Bm25Hits(*store, kLexicalQueries), before);
  EXPECT_EQ(store->GetMemoryUsage().lexical_checkpoint_loads, 1u);
  // Turns written after it are indexed at the next load; a few more do not
  // make a new one due.
  Write(*store, 5000, 5010);
  const auto grown = Bm25Hits(*store, kLexicalQueries);
  EXPECT_NE(grown, before) << "w5003 is found";
  store.reset();
  store = Open(StoreOptions());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Bm25Hits(*store, kLexicalQueries), grown);
  EXPECT_EQ(store->GetMemoryUsage().lexical_checkpoint_loads, 1u);

  // A small tenant has none: it is analysed again in milliseconds.
  ASSERT_TRUE(store->Observe("bo", MakeTurn(1)).ok());
  store.reset();
  EXPECT_EQ(KeysOf(log::Cf::kSnapshots, "bo", "lidx"), 0u);
}

TEST_F(VectorStoreTest, ALexicalCheckpointOfOtherDocumentsIsNotUsed) {
  auto store = Open(StoreOptions());
  ASSERT_NE(store, nullptr);
  Write(*store, 0, 5000);
  store.reset();  // writes the checkpoint
  store = Open(StoreOptions());
  ASSERT_NE(store, nullptr);
  ASSERT_FALSE(Bm25Hits(*store, {"replaced"}).front().first == "t17");
  // A turn the checkpoint covers gets a new text: the tenant is loaded
  // again, and the checkpoint, which holds the old text, is not used.
  ASSERT_TRUE(store->Update("ana", "t17", "w17 replaced words").ok());
  const auto edited = Bm25Hits(*store, kLexicalQueries);
  EXPECT_EQ(Bm25Hits(*store, {"replaced"}).front().first, "t17");
  const MemoryUsage usage = store->GetMemoryUsage();
  EXPECT_EQ(usage.loads, 2u);
  EXPECT_EQ(usage.lexical_checkpoint_loads, 1u) << "only the load before the edit used it";
  store.reset();
  // Closing wrote it again, with the new text: the next load uses it.
  store = Open(StoreOptions());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Bm25Hits(*store, kLexicalQueries), edited);
  EXPECT_EQ(store->GetMemoryUsage().lexical_checkpoint_loads, 1u);
}

TEST_F(VectorStoreTest, ADamagedLexicalCheckpointIsIgnoredAndWrittenAgain) {
  auto store = Open(StoreOptions());
  ASSERT_NE(store, nullptr);
  Write(*store, 0, 5000);
  const auto before = Bm25Hits(*store, kLexicalQueries);
  store.reset();
  {
    auto log = log::EventLog::Open(path_, {});
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    auto batch = (*log)->NewBatch();
    std::string chunk_key = log::TenantPrefix("ana") + "lidx/";
    log::PutFixed32BE(&chunk_key, 0);
    batch.Put(log::Cf::kSnapshots, chunk_key, "not a checkpoint");
    ASSERT_TRUE((*log)->Write(batch, true).ok());
  }
  store = Open(StoreOptions());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Bm25Hits(*store, kLexicalQueries), before);
  EXPECT_EQ(store->GetMemoryUsage().lexical_checkpoint_loads, 0u);
  store.reset();
  store = Open(StoreOptions());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Bm25Hits(*store, kLexicalQueries), before);
  EXPECT_EQ(store->GetMemoryUsage().lexical_checkpoint_loads, 1u);
}

TEST_F(VectorStoreTest, ForgettingATurnRemovesTheLexicalCheckpoint) {
  auto store = Open(StoreOptions());
  ASSERT_NE(store, nullptr);
  Write(*store, 0, 5000);
  store.reset();
  ASSERT_GE(KeysOf(log::Cf::kSnapshots, "ana", "lidx"), 2u);
  store = Open(StoreOptions());
  ASSERT_NE(store, nullptr);
  // Its terms are those of the forgotten turn too: it goes with them (and
  // closing writes one without them).
  auto report = store->Forget("ana", "t17");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GE(report->removed.at("index_snapshots"), 2u) << "a Flat index has no other checkpoint";
  const auto after = Bm25Hits(*store, kLexicalQueries);
  EXPECT_TRUE(Bm25Hits(*store, {"w17"}).front().first != "t17");
  store.reset();
  store = Open(StoreOptions());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Bm25Hits(*store, kLexicalQueries), after);
}

}  // namespace
}  // namespace engram
