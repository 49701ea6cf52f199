// The fault-injecting file system itself: what a power loss keeps and drops,
// and which operations an armed fault fails.
#include "testing/fault_injection_fs.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace engram::testing {
namespace {

using rocksdb::FileOptions;
using rocksdb::IOOptions;

std::string Contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class FaultInjectionFsTest : public ::testing::Test {
 protected:
  std::unique_ptr<rocksdb::FSWritableFile> Create(const std::string& name) {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    EXPECT_TRUE(fs_->NewWritableFile(dir_.Sub(name), FileOptions(), &file, nullptr).ok());
    return file;
  }
  void Append(rocksdb::FSWritableFile& file, const std::string& bytes) {
    ASSERT_TRUE(file.Append(bytes, IOOptions(), nullptr).ok());
  }
  void SyncFolder() {
    std::unique_ptr<rocksdb::FSDirectory> folder;
    ASSERT_TRUE(fs_->NewDirectory(dir_.path(), IOOptions(), &folder, nullptr).ok());
    ASSERT_TRUE(folder->Fsync(IOOptions(), nullptr).ok());
  }

  TempDir dir_;
  std::shared_ptr<FaultInjectionFs> fs_ = std::make_shared<FaultInjectionFs>();
};

TEST_F(FaultInjectionFsTest, PowerLossKeepsExactlyTheSyncedBytes) {
  auto file = Create("a");
  SyncFolder();
  Append(*file, "synced|");
  ASSERT_TRUE(file->Sync(IOOptions(), nullptr).ok());
  Append(*file, "not synced");
  ASSERT_TRUE(file->RangeSync(0, 100, IOOptions(), nullptr).ok());  // no durability promise
  ASSERT_TRUE(file->Close(IOOptions(), nullptr).ok());
  EXPECT_EQ(Contents(dir_.Sub("a")), "synced|not synced");
  ASSERT_TRUE(fs_->ApplyPowerLoss().ok());
  EXPECT_EQ(Contents(dir_.Sub("a")), "synced|");
}

TEST_F(FaultInjectionFsTest, KeepRandomUnsyncedPrefixKeepsAPrefixOfTheTail) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto file = Create("a");
    SyncFolder();
    Append(*file, "0123");
    ASSERT_TRUE(file->Fsync(IOOptions(), nullptr).ok());
    Append(*file, "456789");
    ASSERT_TRUE(file->Close(IOOptions(), nullptr).ok());
    ASSERT_TRUE(fs_->ApplyPowerLoss(PowerLossModel::kKeepRandomUnsyncedPrefix, seed).ok());
    std::string left = Contents(dir_.Sub("a"));
    EXPECT_GE(left.size(), 4u);
    EXPECT_EQ(left, std::string("0123456789").substr(0, left.size()));
  }
}

TEST_F(FaultInjectionFsTest, AFileCreatedSinceTheLastFolderSyncVanishes) {
  auto kept = Create("kept");
  SyncFolder();
  auto lost = Create("lost");
  Append(*lost, "bytes");
  ASSERT_TRUE(lost->Sync(IOOptions(), nullptr).ok());  // its bytes, not its name
  ASSERT_TRUE(fs_->ApplyPowerLoss().ok());
  EXPECT_TRUE(std::filesystem::exists(dir_.Sub("kept")));
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("lost")));
}

TEST_F(FaultInjectionFsTest, ARenameWithoutFolderSyncIsUndone) {
  auto current = Create("CURRENT");
  Append(*current, "old");
  ASSERT_TRUE(current->Sync(IOOptions(), nullptr).ok());
  auto tmp = Create("tmp");
  SyncFolder();
  Append(*tmp, "new");
  ASSERT_TRUE(tmp->Sync(IOOptions(), nullptr).ok());
  ASSERT_TRUE(fs_->RenameFile(dir_.Sub("tmp"), dir_.Sub("CURRENT"), IOOptions(), nullptr).ok());
  EXPECT_EQ(Contents(dir_.Sub("CURRENT")), "new");
  ASSERT_TRUE(fs_->ApplyPowerLoss().ok());
  EXPECT_EQ(Contents(dir_.Sub("CURRENT")), "old");
  EXPECT_EQ(Contents(dir_.Sub("tmp")), "new");
}

TEST_F(FaultInjectionFsTest, ARenameFollowedByFolderSyncSurvives) {
  auto tmp = Create("tmp");
  Append(*tmp, "new");
  ASSERT_TRUE(tmp->Sync(IOOptions(), nullptr).ok());
  ASSERT_TRUE(fs_->RenameFile(dir_.Sub("tmp"), dir_.Sub("CURRENT"), IOOptions(), nullptr).ok());
  SyncFolder();
  ASSERT_TRUE(fs_->ApplyPowerLoss().ok());
  EXPECT_EQ(Contents(dir_.Sub("CURRENT")), "new");
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("tmp")));
}

TEST_F(FaultInjectionFsTest, TheNthMatchingOperationFailsAndOnlyIt) {
  auto log = Create("000001.log");
  auto sst = Create("000002.sst");
  fs_->InjectFault(FaultRule::Once(kAppend, FaultKind::kNoSpace, 2, ".log"));
  Append(*sst, "x");  // another path: not counted
  Append(*log, "1");
  auto second = log->Append("2", IOOptions(), nullptr);
  EXPECT_TRUE(second.IsNoSpace()) << second.ToString();
  Append(*log, "3");
  EXPECT_EQ(fs_->faults_injected(), 1u);
}

TEST_F(FaultInjectionFsTest, AStickyFaultFailsEveryLaterOperationUntilCleared) {
  auto file = Create("a");
  fs_->InjectFault(FaultRule::From(kSync, FaultKind::kIoError));
  for (int i = 0; i < 3; ++i) {
    auto s = file->Sync(IOOptions(), nullptr);
    EXPECT_TRUE(s.IsIOError() && !s.IsNoSpace()) << s.ToString();
  }
  fs_->ClearFaults();
  EXPECT_TRUE(file->Sync(IOOptions(), nullptr).ok());
}

TEST_F(FaultInjectionFsTest, ADiskFullFailsAppendsWithNoSpace) {
  auto file = Create("a");
  fs_->SetDiskFull();
  auto s = file->Append("x", IOOptions(), nullptr);
  EXPECT_TRUE(s.IsNoSpace()) << s.ToString();
  EXPECT_NE(s.ToString().find("No space left on device"), std::string::npos) << s.ToString();
}

TEST_F(FaultInjectionFsTest, AfterPowerLossEveryWriteFailsButReadsWork) {
  auto file = Create("a");
  Append(*file, "abc");
  ASSERT_TRUE(file->Sync(IOOptions(), nullptr).ok());
  SyncFolder();
  fs_->PowerLossAt(2);
  Append(*file, "d");  // operation 1: still powered
  EXPECT_FALSE(fs_->power_lost());
  EXPECT_FALSE(file->Append("e", IOOptions(), nullptr).ok());
  EXPECT_TRUE(fs_->power_lost());
  EXPECT_FALSE(file->Sync(IOOptions(), nullptr).ok());
  EXPECT_FALSE(fs_->DeleteFile(dir_.Sub("a"), IOOptions(), nullptr).ok());
  std::unique_ptr<rocksdb::FSWritableFile> other;
  EXPECT_FALSE(fs_->NewWritableFile(dir_.Sub("b"), FileOptions(), &other, nullptr).ok());
  std::unique_ptr<rocksdb::FSSequentialFile> reader;
  EXPECT_TRUE(fs_->NewSequentialFile(dir_.Sub("a"), FileOptions(), &reader, nullptr).ok());
  ASSERT_TRUE(file->Close(IOOptions(), nullptr).ok());
  ASSERT_TRUE(fs_->ApplyPowerLoss().ok());
  EXPECT_EQ(Contents(dir_.Sub("a")), "abc");
  EXPECT_FALSE(fs_->power_lost());
  EXPECT_TRUE(fs_->NewWritableFile(dir_.Sub("b"), FileOptions(), &other, nullptr).ok());
}

}  // namespace
}  // namespace engram::testing
