// Damage to the files of a store is loud, never silent: a damaged
// write-ahead log, MANIFEST or table file fails the open (or the read) with
// Corruption naming the file, nothing is changed on disk, CheckStore names
// the damage and SalvageStore copies every readable turn. Damaged derived
// state (extractions, vector snapshots, the embedding cache) is rebuilt
// from the log instead of failing.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/table_properties.h>

#include "engram/engram.h"
#include "log/event_log.h"
#include "log/key_codec.h"
#include "store/doc_vectors.h"
#include "testing/test_embedder.h"
#include "testing/temp_dir.h"
#include "tiers/record_codec.h"
#include "tiers/tenant_memory.h"

namespace engram {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

Options TestOptions() {
  Options o;
  o.embedder = std::make_shared<testing::TestEmbedder>();
  return o;
}

// Text that LZ4 cannot shrink much, so table files have many blocks.
std::string TurnText(int i) {
  static const char* const kWords[] = {"harbour", "violin", "meadow", "copper", "lantern", "orchid", "glacier",
                                       "pepper",  "saddle", "thimble", "walnut", "zephyr",  "quartz", "basil"};
  std::string text = "Turn " + std::to_string(i) + ":";
  uint32_t h = 2166136261u ^ static_cast<uint32_t>(i);
  for (int w = 0; w < 14; ++w) {
    h = h * 16777619u + 12345u;
    text += " ";
    text += kWords[h % 14];
    text += std::to_string(h % 997);
  }
  return text + ".";
}

Turn MakeTurn(int i) {
  Turn t;
  t.session = "s" + std::to_string(i / 20);
  t.speaker = i % 2 ? "Maya" : "Omar";
  t.text = TurnText(i);
  t.time_ms = 1700000000000 + i * 60000;
  t.source_id = "t" + std::to_string(i);
  return t;
}

std::unique_ptr<Store> OpenOrDie(const std::string& path, Options options = TestOptions()) {
  auto store = Store::Open(options, path);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(*store) : nullptr;
}

// n turns of tenant "maya", each its own synced write (its own log record).
void Fill(const std::string& path, int n, bool flush_to_tables) {
  auto store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < n; ++i) ASSERT_TRUE(store->Observe("maya", MakeTurn(i), {.sync = true}).ok());
  if (flush_to_tables) ASSERT_TRUE(store->Rebuild().ok());  // flushes the memtables to table files
}

std::vector<std::string> FilesEndingWith(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(e.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void FlipByte(const std::string& path, uint64_t offset) {
  std::string bytes = ReadFile(path);
  ASSERT_LT(offset, bytes.size()) << path;
  bytes[offset] ^= 0x20;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// The store's data files and their bytes (RocksDB's info LOG excluded: a
// failed open may still write a line there).
std::map<std::string, std::string> DataFiles(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("LOG", 0) == 0) continue;
    out[name] = ReadFile(e.path().string());
  }
  return out;
}

// The table file of column family `cf`.
std::string TableOf(const std::string& dir, const std::string& cf) {
  std::string found;
  for (const auto& file : FilesEndingWith(dir, ".sst")) {
    rocksdb::Options options;
    rocksdb::SstFileReader reader(options);
    if (!reader.Open(file).ok()) continue;
    if (reader.GetTableProperties()->column_family_name == cf) found = file;
  }
  return found;
}

bool GetVarint(const std::string& s, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && *pos < s.size(); shift += 7) {
    unsigned char c = s[(*pos)++];
    *v |= uint64_t(c & 0x7f) << shift;
    if (!(c & 0x80)) return true;
  }
  return false;
}

// Offset of the middle of a table file's index block, read from its footer
// (format_version >= 1: checksum type, metaindex handle, index handle, ...,
// 53 bytes in all).
uint64_t IndexBlockMiddle(const std::string& file) {
  std::string bytes = ReadFile(file);
  size_t pos = bytes.size() - 53 + 1;
  uint64_t meta_off = 0, meta_size = 0, index_off = 0, index_size = 0;
  EXPECT_TRUE(GetVarint(bytes, &pos, &meta_off) && GetVarint(bytes, &pos, &meta_size) &&
              GetVarint(bytes, &pos, &index_off) && GetVarint(bytes, &pos, &index_size));
  return index_off + index_size / 2;
}

class CorruptionTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.Sub("store"); }

  // Opening must fail with Corruption naming `file_hint`, and change nothing.
  void ExpectOpenFailsNaming(const std::string& file_hint) {
    auto before = DataFiles(path());
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto store = Store::Open(TestOptions(), path());
      ASSERT_FALSE(store.ok());
      EXPECT_EQ(store.status().code(), Status::Code::kCorruption) << store.status().ToString();
      EXPECT_THAT(store.status().message(), HasSubstr(file_hint));
      EXPECT_THAT(store.status().message(), HasSubstr("engram salvage"));
      Options ro = TestOptions();
      ro.read_only = true;
      EXPECT_FALSE(Store::Open(ro, path()).ok());
    }
    EXPECT_EQ(DataFiles(path()), before) << "a failed open changed the store's files";
  }

  testing::TempDir dir_;
};

TEST_F(CorruptionTest, ADamagedLogRecordFailsTheOpenAtEveryPositionInsteadOfLosingTurns) {
  Fill(path(), 40, /*flush_to_tables=*/false);
  const std::string pristine = dir_.Sub("pristine");
  fs::copy(path(), pristine);
  auto logs = FilesEndingWith(path(), ".log");
  ASSERT_EQ(logs.size(), 1u);
  const std::string name = fs::path(logs[0]).filename().string();
  const uint64_t size = fs::file_size(logs[0]);
  // The first record's header, its payload, a record in the middle (the
  // first half of the log: the case that used to open as an empty store),
  // and the last record.
  for (uint64_t offset : {uint64_t{2}, uint64_t{5}, uint64_t{30}, size / 4, size / 2, size - 3}) {
    SCOPED_TRACE("byte " + std::to_string(offset));
    fs::remove_all(path());
    fs::copy(pristine, path());
    FlipByte(path() + "/" + name, offset);
    ExpectOpenFailsNaming(name);
  }
}

TEST_F(CorruptionTest, ALogCutInsideItsLastRecordIsRecoveredAsACrashLeavesIt) {
  Fill(path(), 30, /*flush_to_tables=*/false);
  auto logs = FilesEndingWith(path(), ".log");
  ASSERT_EQ(logs.size(), 1u);
  // The last record is the last turn's write (closing writes nothing for a
  // flat index); cut into it, as a crash during that write leaves it.
  fs::resize_file(logs[0], fs::file_size(logs[0]) - 100);
  auto store = OpenOrDie(path());
  ASSERT_NE(store, nullptr);
  auto turns = store->ScanTurns("maya");
  ASSERT_TRUE(turns.ok()) << turns.status().ToString();
  ASSERT_EQ(turns->size(), 29u);
  for (int i = 0; i < 29; ++i) EXPECT_EQ((*turns)[i].turn.text, TurnText(i));
  EXPECT_TRUE(store->Recall("maya", "harbour violin").ok());
  // The turn cut off can be written again.
  EXPECT_TRUE(store->Observe("maya", MakeTurn(29)).ok());
  EXPECT_EQ(store->ScanTurns("maya")->size(), 30u);
}

TEST_F(CorruptionTest, ADamagedManifestFailsTheOpen) {
  Fill(path(), 20, /*flush_to_tables=*/true);
  auto manifests = FilesEndingWith(path(), "");
  std::string manifest;
  for (const auto& f : manifests) {
    if (fs::path(f).filename().string().rfind("MANIFEST-", 0) == 0) manifest = f;
  }
  ASSERT_FALSE(manifest.empty());
  FlipByte(manifest, fs::file_size(manifest) / 2);
  ExpectOpenFailsNaming("MANIFEST");
}

TEST_F(CorruptionTest, ADamagedTableFooterOrIndexFailsTheOpen) {
  Fill(path(), 200, /*flush_to_tables=*/true);
  const std::string pristine = dir_.Sub("pristine");
  fs::copy(path(), pristine);
  const std::string table = TableOf(path(), "turns");
  ASSERT_FALSE(table.empty());
  const std::string name = fs::path(table).filename().string();
  for (bool footer : {true, false}) {
    SCOPED_TRACE(footer ? "footer" : "index block");
    fs::remove_all(path());
    fs::copy(pristine, path());
    FlipByte(path() + "/" + name, footer ? fs::file_size(table) - 4 : IndexBlockMiddle(table));
    ExpectOpenFailsNaming(name);
  }
}

TEST_F(CorruptionTest, ADamagedTurnBlockFailsReadsLoudlyAndSalvageCopiesTheRest) {
  constexpr int kTurns = 300;
  Fill(path(), kTurns, /*flush_to_tables=*/true);
  const std::string table = TableOf(path(), "turns");
  ASSERT_FALSE(table.empty());
  FlipByte(table, fs::file_size(table) / 3);  // inside a data block

  {
    Options ro = TestOptions();
    ro.read_only = true;
    auto store = OpenOrDie(path(), ro);
    ASSERT_NE(store, nullptr);
    auto turns = store->ScanTurns("maya");
    ASSERT_FALSE(turns.ok());
    EXPECT_EQ(turns.status().code(), Status::Code::kCorruption) << turns.status().ToString();
  }

  auto check = CheckStore(path());
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  ASSERT_FALSE(check->ok());
  bool named = false;
  for (const auto& p : check->problems) named |= p.file == fs::path(table).filename().string() && p.data_loss_risk;
  EXPECT_TRUE(named) << "CheckStore does not name " << table;

  const std::string out = dir_.Sub("salvaged");
  auto report = SalvageStore(path(), out);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GE(report->unreadable_regions, 1u);
  EXPECT_FALSE(report->lost_turns.empty());
  EXPECT_LT(report->lost_turns.size(), 100u) << "one damaged block should cost one block of turns";
  EXPECT_EQ(report->turns_copied + report->lost_turns.size(), uint64_t{kTurns});

  auto salvaged = OpenOrDie(out);
  ASSERT_NE(salvaged, nullptr);
  auto turns = salvaged->ScanTurns("maya");
  ASSERT_TRUE(turns.ok());
  ASSERT_EQ(turns->size(), report->turns_copied);
  std::set<std::string> lost(report->lost_turns.begin(), report->lost_turns.end());
  size_t next = 0;
  for (int i = 0; i < kTurns; ++i) {
    if (lost.count("maya / t" + std::to_string(i))) continue;
    ASSERT_LT(next, turns->size());
    const Turn& t = (*turns)[next++].turn;
    EXPECT_EQ(t.source_id, "t" + std::to_string(i));
    EXPECT_EQ(t.text, TurnText(i));
    EXPECT_EQ(t.speaker, MakeTurn(i).speaker);
    EXPECT_EQ(t.session, MakeTurn(i).session);
    EXPECT_EQ(t.time_ms, MakeTurn(i).time_ms);
  }
  EXPECT_EQ(next, turns->size());
  EXPECT_TRUE(salvaged->Recall("maya", "copper lantern").ok());
}

TEST_F(CorruptionTest, SalvageAfterLogDamageCopiesEveryRecordThatVerifies) {
  Fill(path(), 40, /*flush_to_tables=*/false);
  auto logs = FilesEndingWith(path(), ".log");
  ASSERT_EQ(logs.size(), 1u);
  FlipByte(logs[0], fs::file_size(logs[0]) / 4);

  auto check = CheckStore(path());
  ASSERT_TRUE(check.ok());
  ASSERT_FALSE(check->ok());
  EXPECT_EQ(check->problems.front().file, fs::path(logs[0]).filename().string());

  const std::string out = dir_.Sub("salvaged");
  auto report = SalvageStore(path(), out);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GE(report->unreadable_regions, 1u);
  EXPECT_GT(report->turns_copied, 0u);
  EXPECT_LT(report->turns_copied, 40u);
  auto salvaged = OpenOrDie(out);
  auto turns = salvaged->ScanTurns("maya");
  ASSERT_TRUE(turns.ok());
  for (const auto& st : *turns) EXPECT_EQ(st.turn.text, TurnText(std::stoi(st.turn.source_id.substr(1))));
  // The damaged store itself is untouched by the salvage.
  EXPECT_FALSE(Store::Open(TestOptions(), path()).ok());
}

TEST_F(CorruptionTest, AStoreWithoutCurrentIsRefusedAndNeverOverwritten) {
  Fill(path(), 25, /*flush_to_tables=*/true);
  fs::remove(path() + "/CURRENT");
  auto before = DataFiles(path());
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto store = Store::Open(TestOptions(), path());
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.status().code(), Status::Code::kCorruption);
    EXPECT_THAT(store.status().message(), HasSubstr("no CURRENT file"));
    EXPECT_THAT(store.status().message(), HasSubstr("engram check"));
  }
  EXPECT_EQ(DataFiles(path()), before);
  EXPECT_FALSE(fs::exists(path() + "/CURRENT"));

  auto report = SalvageStore(path(), dir_.Sub("salvaged"));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->repaired_manifest);
  EXPECT_EQ(report->turns_copied, 25u);
  EXPECT_TRUE(report->lost_turns.empty());
  EXPECT_EQ(DataFiles(path()), before) << "salvage wrote to the store it reads";
}

TEST_F(CorruptionTest, SalvageRefusesAnOutputFolderThatHoldsAStore) {
  Fill(path(), 3, false);
  Fill(dir_.Sub("other"), 2, false);
  auto report = SalvageStore(path(), dir_.Sub("other"));
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(OpenOrDie(dir_.Sub("other"))->ScanTurns("maya")->size(), 2u);
}

TEST_F(CorruptionTest, CheckReportsAnIntactStoreAsOk) {
  Fill(path(), 50, /*flush_to_tables=*/true);
  auto check = CheckStore(path());
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->ok()) << check->problems.front().what;
  EXPECT_EQ(check->turns, 50u);
  EXPECT_EQ(check->tenants, 1u);
  EXPECT_GT(check->table_files, 0u);
  EXPECT_GT(check->derived_records, 0u);
  EXPECT_EQ(CheckStore(dir_.Sub("absent")).status().code(), Status::Code::kNotFound);
}

// Recall results as (source id, score) pairs, to compare before and after.
std::vector<std::pair<std::string, float>> RecallIds(Store& store, const std::string& q) {
  auto r = store.Recall("maya", q);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::vector<std::pair<std::string, float>> out;
  if (r.ok()) {
    for (const auto& h : r->hits) out.emplace_back(h.source_ids.empty() ? "" : h.source_ids[0], h.score);
  }
  return out;
}

TEST_F(CorruptionTest, UndecodableDerivedRecordsAndSnapshotsAreRebuiltFromTheLog) {
  Fill(path(), 60, /*flush_to_tables=*/false);
  std::vector<std::pair<std::string, float>> expected;
  {
    auto store = OpenOrDie(path());
    expected = RecallIds(*store, "glacier pepper saddle");
    ASSERT_FALSE(expected.empty());
  }
  {
    // Garbage under derived keys of two turns, and a damaged stored vector.
    log::LogOptions lo;
    auto log = log::EventLog::Open(path(), lo);
    ASSERT_TRUE(log.ok());
    log::LogBatch batch = (*log)->NewBatch();
    batch.Put(log::Cf::kDerived, DerivedKey("maya", 3, DerivedKind::kUnit, 1), "{not json");
    batch.Put(log::Cf::kDerived, DerivedKey("maya", 7, DerivedKind::kFact, 1), std::string("\x01\x02", 2));
    auto vector = (*log)->Get(log::Cf::kVectors, DocVectorKey("maya", DocId(12, 0)));
    ASSERT_TRUE(vector.ok() && vector->has_value());
    batch.Put(log::Cf::kVectors, DocVectorKey("maya", DocId(12, 0)), (*vector)->substr(0, (*vector)->size() - 1));
    ASSERT_TRUE((*log)->Write(batch, true).ok());
  }
  auto check = CheckStore(path());
  ASSERT_TRUE(check.ok());
  ASSERT_EQ(check->problems.size(), 3u);
  for (const auto& p : check->problems) EXPECT_FALSE(p.data_loss_risk) << p.what;
  {
    auto store = OpenOrDie(path());
    EXPECT_EQ(RecallIds(*store, "glacier pepper saddle"), expected);
    EXPECT_TRUE(store->Profile("maya").ok());
    EXPECT_TRUE(store->Rebuild().ok());
  }
  // Loading the tenant wrote the repairs back.
  check = CheckStore(path());
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->ok()) << check->problems.front().what;
}

TEST_F(CorruptionTest, DamagedDerivedTablesNeverBlockRecallAndRebuildRepairsThem) {
  Fill(path(), 200, /*flush_to_tables=*/true);
  std::vector<std::pair<std::string, float>> expected;
  {
    auto store = OpenOrDie(path());
    expected = RecallIds(*store, "walnut zephyr");
  }
  for (const char* cf : {"derived", "vectors"}) {
    const std::string table = TableOf(path(), cf);
    ASSERT_FALSE(table.empty()) << cf;
    FlipByte(table, 100);  // the first data block
  }
  {
    auto store = OpenOrDie(path());
    EXPECT_EQ(RecallIds(*store, "walnut zephyr"), expected);
    Status rebuilt = store->Rebuild();
    EXPECT_TRUE(rebuilt.ok()) << rebuilt.ToString();
    EXPECT_EQ(RecallIds(*store, "walnut zephyr"), expected);
  }
  auto check = CheckStore(path());
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->ok()) << check->problems.front().file << ": " << check->problems.front().what;
  auto store = OpenOrDie(path());
  EXPECT_EQ(store->ScanTurns("maya")->size(), 200u);
}

TEST_F(CorruptionTest, ReembeddingIsNotBlockedByDamagedStoredVectors) {
  Fill(path(), 200, /*flush_to_tables=*/true);
  FlipByte(TableOf(path(), "vectors"), 100);
  Options other;  // the built-in embedder: another identity
  other.reembed = true;
  auto store = OpenOrDie(path(), other);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->Recall("maya", "quartz basil").ok());
}

}  // namespace
}  // namespace engram
