// When ForgetTenant returns, no byte of the tenant remains in any file of
// the store folder. Table files are compressed, so they are searched after
// decompression: `sst_dump --command=raw` (rocksdb-tools) prints every
// entry of every block, live or shadowed, in hex. Every other file (logs,
// MANIFEST, info logs) is searched byte by byte. The same search finds the
// other tenant's marker, so it is not blind.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "engram/engram.h"
#include "testing/test_embedder.h"
#include "testing/temp_dir.h"

namespace engram {
namespace {

namespace fs = std::filesystem;

std::string Hex(std::string_view bytes) {
  static const char* const kDigits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Every file of `store` as searchable text: table files decompressed to a
// hex dump of every entry, other files as they are.
std::vector<std::pair<std::string, std::string>> StoreContents(const std::string& store, const std::string& scratch) {
  std::vector<std::pair<std::string, std::string>> out;
  fs::create_directories(scratch);
  for (const auto& e : fs::directory_iterator(store)) {
    const std::string name = e.path().filename().string();
    // Reading LOCK here would release the store's lock (see below); it is empty.
    if (name == "LOCK") continue;
    if (e.path().extension() != ".sst") {
      out.emplace_back(name, ReadFile(e.path().string()));
      continue;
    }
    const std::string copy = scratch + "/" + name;
    std::error_code ec;  // a background compaction may delete a table meanwhile: then it holds nothing
    if (!fs::copy_file(e.path(), copy, fs::copy_options::overwrite_existing, ec)) continue;
    const std::string cmd = "sst_dump --file=" + copy + " --command=raw >/dev/null 2>&1";
    int rc = std::system(cmd.c_str());
    EXPECT_EQ(rc, 0) << cmd << " (sst_dump comes with Debian's rocksdb-tools)";
    const std::string dump = scratch + "/" + e.path().stem().string() + "_dump.txt";
    std::string text = ReadFile(dump);
    EXPECT_NE(text.find("Data Block"), std::string::npos) << "no data blocks in the dump of " << name;
    out.emplace_back(name + " (decompressed)", std::move(text));
  }
  return out;
}

// Files that hold `raw` (as bytes, or hex-encoded in a table dump).
std::vector<std::string> FilesHolding(const std::vector<std::pair<std::string, std::string>>& contents,
                                      const std::string& raw) {
  std::vector<std::string> found;
  const std::string hex = Hex(raw);
  for (const auto& [name, text] : contents) {
    if (text.find(raw) != std::string::npos || text.find(hex) != std::string::npos) found.push_back(name);
  }
  return found;
}

Turn MakeTurn(const std::string& speaker, const std::string& text, const std::string& id) {
  Turn t;
  t.speaker = speaker;
  t.text = text;
  t.source_id = id;
  t.session = "s1";
  t.time_ms = 1700000000000;
  return t;
}

class ErasureTest : public ::testing::Test {
 protected:
  Options StoreOptions() {
    Options o;
    o.embedder = std::make_shared<testing::TestEmbedder>();
    return o;
  }
  testing::TempDir dir_;
};

// True when another process sees `store`'s LOCK file locked for writing, as
// a second process opening the store would: a child process asks fcntl.
bool LockedAgainstOtherProcesses(const std::string& store) {
  const std::string lock = store + "/LOCK";
  const pid_t child = fork();
  if (child == 0) {
    const int fd = ::open(lock.c_str(), O_RDWR);
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    const bool locked = fd >= 0 && ::fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    _exit(locked ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// The erasure check reads every file of the folder but LOCK: closing a
// descriptor of LOCK would drop RocksDB's POSIX lock, and a second process
// could then open the store for writing beside this one and corrupt it.
TEST_F(ErasureTest, ForgettingKeepsTheStoreLockedAgainstOtherProcesses) {
  const std::string path = dir_.Sub("store");
  auto store = Store::Open(StoreOptions(), path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE(LockedAgainstOtherProcesses(path));
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE((*store)->Observe("maya", MakeTurn("Maya", "turn " + std::to_string(i), "m" + std::to_string(i))).ok());
  }
  auto one = (*store)->Forget("maya", "m1", ForgetOptions(WriteOptions{.sync = true}));
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_TRUE(one->disk_checked);
  EXPECT_TRUE(LockedAgainstOtherProcesses(path)) << "Forget released the store's lock";
  auto all = (*store)->ForgetTenant("maya", WriteOptions{.sync = true});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_TRUE(all->disk_checked);
  EXPECT_TRUE(LockedAgainstOtherProcesses(path)) << "ForgetTenant released the store's lock";
}

TEST_F(ErasureTest, ForgetTenantLeavesNoByteOfItInAnyFile) {
  const std::string path = dir_.Sub("store");
  const std::string kGone = "Quillfeather-7Q3 lives on Vexmoor Lane";  // unique to the forgotten tenant
  const std::string kKept = "Brindlewick-9K2 works at Osterfell";      // the other tenant's
  {
    auto store = Store::Open(StoreOptions(), path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < 30; ++i) {
        const std::string n = std::to_string(round) + "." + std::to_string(i);
        ASSERT_TRUE((*store)->Observe("maya", MakeTurn("Maya", kGone + " (" + n + ")", "m" + n), {.sync = true}).ok());
        ASSERT_TRUE((*store)->Observe("omar", MakeTurn("Omar", kKept + " (" + n + ")", "o" + n)).ok());
      }
      ASSERT_TRUE((*store)->Recall("maya", "where does she live").ok());
      // Spread the data over table files, flushed memtables and the log.
      if (round == 0) ASSERT_TRUE((*store)->Rebuild().ok());
    }
  }
  auto store = Store::Open(StoreOptions(), path);  // the log replayed into new tables
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Recall("maya", "Vexmoor").ok());

  // Before: the search finds both tenants (it would find what it looks for).
  auto before = StoreContents(path, dir_.Sub("dump-before"));
  EXPECT_FALSE(FilesHolding(before, "Quillfeather-7Q3").empty());
  EXPECT_FALSE(FilesHolding(before, "Brindlewick-9K2").empty());

  auto report = (*store)->ForgetTenant("maya", WriteOptions{.sync = true});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->removed["turns"], 90u);

  auto after = StoreContents(path, dir_.Sub("dump-after"));
  for (const std::string& needle : {std::string("Quillfeather-7Q3"), std::string("Vexmoor")}) {
    auto holding = FilesHolding(after, needle);
    EXPECT_TRUE(holding.empty()) << "'" << needle << "' still in " << holding.front();
  }
  // No key of the tenant either (its prefix: u16 length 4, then "maya").
  const std::string maya_prefix = Hex(std::string("\0\4maya", 6));
  for (const auto& [name, text] : after) {
    if (name.find("(decompressed)") == std::string::npos) continue;
    EXPECT_EQ(text.find("HEX    " + maya_prefix), std::string::npos) << "a key of the tenant in " << name;
  }
  // The other tenant is intact, on disk and through the API.
  EXPECT_FALSE(FilesHolding(after, "Brindlewick-9K2").empty());
  auto omar = (*store)->ScanTurns("omar");
  ASSERT_TRUE(omar.ok());
  EXPECT_EQ(omar->size(), 90u);
  EXPECT_TRUE((*store)->ScanTurns("maya")->empty());
  store->reset();

  // And after a reopen (which writes a new MANIFEST and log) still nothing.
  auto reopened = Store::Open(StoreOptions(), path);
  ASSERT_TRUE(reopened.ok());
  EXPECT_TRUE((*reopened)->ScanTurns("maya")->empty());
  reopened->reset();
  auto later = StoreContents(path, dir_.Sub("dump-later"));
  EXPECT_TRUE(FilesHolding(later, "Quillfeather-7Q3").empty());
}

TEST_F(ErasureTest, ForgetLeavesNoStoredVectorOrIndexCheckpointOfTheTenant) {
  const std::string path = dir_.Sub("store");
  Options options = StoreOptions();
  options.vector_index = "HNSW16";  // checkpointed: chunks and a head per tenant
  auto store = Store::Open(options, path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (int i = 0; i < 40; ++i) {
    const std::string n = std::to_string(i);
    ASSERT_TRUE((*store)->Observe("maya", MakeTurn("Maya", "Quillfeather-7Q3 note " + n, "m" + n)).ok());
    ASSERT_TRUE((*store)->Observe("omar", MakeTurn("Omar", "Brindlewick-9K2 note " + n, "o" + n)).ok());
  }
  ASSERT_TRUE((*store)->Rebuild().ok());  // writes both checkpoints and flushes to table files
  const std::string maya_prefix = Hex(std::string("\0\4maya", 6));
  const std::string omar_prefix = Hex(std::string("\0\4omar", 6));
  auto keys_in_tables = [&](const std::vector<std::pair<std::string, std::string>>& contents, const std::string& p) {
    size_t n = 0;
    for (const auto& [name, text] : contents) {
      if (name.find("(decompressed)") != std::string::npos) n += text.find("HEX    " + p) != std::string::npos;
    }
    return n;
  };
  auto before = StoreContents(path, dir_.Sub("dump-before"));
  ASSERT_GT(keys_in_tables(before, maya_prefix), 0u);

  auto report = (*store)->ForgetTenant("maya", WriteOptions{.sync = true});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GE(report->removed["vectors"], 40u);  // the turns and their event units
  EXPECT_GE(report->removed["index_snapshots"], 2u);  // the head and at least one chunk
  auto after = StoreContents(path, dir_.Sub("dump-after"));
  EXPECT_EQ(keys_in_tables(after, maya_prefix), 0u) << "a key of the tenant is left in a table file";
  EXPECT_GT(keys_in_tables(after, omar_prefix), 0u) << "the search would find the other tenant's keys";
  EXPECT_TRUE(FilesHolding(after, "Quillfeather-7Q3").empty());
}

// One turn among others: with sync, Forget erases it (its earlier versions
// too) and says it searched the folder; the same search still finds the
// other turns' markers.
TEST_F(ErasureTest, ForgetOneTurnLeavesNoByteOfItOrItsHistoryInAnyFile) {
  const std::string path = dir_.Sub("store");
  const std::string kGone = "Zephyrine-4W8 buried the key under the Marrowgate oak";
  const std::string kOld = "Caldrennis-2P5 was the first version";  // replaced by Update, kept in history
  const std::string kKept = "Hollowmere-6T1 keeps bees";
  Options options = StoreOptions();
  options.vector_index = "HNSW16";  // a checkpoint that covers the turn
  {
    auto store = Store::Open(options, path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (int i = 0; i < 30; ++i) {
      const std::string n = std::to_string(i);
      ASSERT_TRUE((*store)->Observe("maya", MakeTurn("Maya", kKept + " (" + n + ")", "k" + n), {.sync = true}).ok());
    }
    ASSERT_TRUE((*store)->Observe("maya", MakeTurn("Maya", kOld, "secret"), {.sync = true}).ok());
    ASSERT_TRUE((*store)->Rebuild().ok());  // into table files, with an index checkpoint
    ASSERT_TRUE((*store)->Update("maya", "secret", kGone, {.sync = true}).ok());
    ASSERT_TRUE((*store)->Rebuild().ok());
    ASSERT_TRUE((*store)->Observe("maya", MakeTurn("Omar", "after the rebuild", "k-last"), {.sync = true}).ok());
  }
  auto store = Store::Open(options, path);
  ASSERT_TRUE(store.ok());
  ASSERT_EQ((*store)->History("maya", "secret")->size(), 2u);
  auto before = StoreContents(path, dir_.Sub("dump-before"));
  ASSERT_FALSE(FilesHolding(before, "Zephyrine-4W8").empty());
  ASSERT_FALSE(FilesHolding(before, "Caldrennis-2P5").empty());

  // A dry run changes nothing, on disk either.
  ForgetOptions dry;
  dry.sync = true;
  dry.dry_run = true;
  auto planned = (*store)->Forget("maya", "secret", dry);
  ASSERT_TRUE(planned.ok()) << planned.status().ToString();
  EXPECT_EQ(planned->removed.at("history_versions"), 1u);
  EXPECT_FALSE(planned->disk_checked);
  ASSERT_TRUE((*store)->GetTurnBySourceId("maya", "secret").ok());

  ForgetOptions erase;
  erase.sync = true;
  auto report = (*store)->Forget("maya", "secret", erase);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->disk_checked);
  EXPECT_GT(report->files_checked, 3u);
  EXPECT_EQ(report->removed.at("turns"), 1u);
  EXPECT_EQ(report->removed.at("history_versions"), 1u);
  EXPECT_GE(report->removed.at("index_snapshots"), 2u);

  auto after = StoreContents(path, dir_.Sub("dump-after"));
  for (const std::string& needle : {std::string("Zephyrine-4W8"), std::string("Marrowgate"), std::string("Caldrennis-2P5")}) {
    auto holding = FilesHolding(after, needle);
    EXPECT_TRUE(holding.empty()) << "'" << needle << "' still in " << holding.front();
  }
  EXPECT_FALSE(FilesHolding(after, "Hollowmere-6T1").empty()) << "the search finds what it looks for";
  EXPECT_EQ((*store)->ScanTurns("maya")->size(), 31u);
  RecallOptions ro;
  ro.k = 50;
  auto recall = (*store)->Recall("maya", "Zephyrine key Marrowgate oak", ro);
  ASSERT_TRUE(recall.ok());
  for (const auto& h : recall->hits) EXPECT_EQ(h.text.find("Zephyrine"), std::string::npos);
  EXPECT_TRUE((*store)->History("maya", "secret").status().IsNotFound());
  store->reset();
  auto reopened = Store::Open(options, path);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->ScanTurns("maya")->size(), 31u);
  EXPECT_TRUE((*reopened)->Recall("maya", "bees", ro).ok());
}

TEST_F(ErasureTest, ForgettingOnAFullDiskFailsCleanlyAndSucceedsOnceSpaceIsBack) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount a small file system";
  const std::string mnt = dir_.Sub("small");
  fs::create_directories(mnt);
  ASSERT_EQ(std::system(("mount -t tmpfs -o size=24m tmpfs " + mnt).c_str()), 0);
  {
    const std::string path = mnt + "/store";
    auto store = Store::Open(StoreOptions(), path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (int i = 0; i < 200; ++i) {
      const std::string n = std::to_string(i);
      ASSERT_TRUE((*store)->Observe("maya", MakeTurn("Maya", "Quillfeather-7Q3 note " + n, "m" + n)).ok());
      ASSERT_TRUE((*store)->Observe("omar", MakeTurn("Omar", "Brindlewick-9K2 note " + n, "o" + n)).ok());
    }
    ASSERT_TRUE((*store)->Rebuild().ok());
    // Fill the disk but for a few hundred KiB.
    {
      std::ofstream filler(mnt + "/filler", std::ios::binary);
      const std::string block(1 << 16, 'x');
      while (fs::space(mnt).available > (256u << 10) && filler.write(block.data(), block.size())) {
      }
    }
    auto full = (*store)->ForgetTenant("maya", WriteOptions{.sync = true});
    ASSERT_FALSE(full.ok());
    EXPECT_EQ(full.status().code(), Status::Code::kIOError) << full.status().ToString();
    EXPECT_NE(full.status().message().find("no space left on device"), std::string::npos) << full.status().ToString();
    EXPECT_EQ((*store)->ScanTurns("omar")->size(), 200u);  // reads work on the full disk

    fs::remove(mnt + "/filler");
    auto report = (*store)->ForgetTenant("maya", WriteOptions{.sync = true});
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE((*store)->ScanTurns("maya")->empty());
    EXPECT_EQ((*store)->ScanTurns("omar")->size(), 200u);
    auto contents = StoreContents(path, dir_.Sub("dump"));
    EXPECT_TRUE(FilesHolding(contents, "Quillfeather-7Q3").empty());
    EXPECT_FALSE(FilesHolding(contents, "Brindlewick-9K2").empty());
  }
  EXPECT_EQ(std::system(("umount " + mnt).c_str()), 0);
}

}  // namespace
}  // namespace engram
