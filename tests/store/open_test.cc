// Opening a store: read-only beside a writer in another process, clear
// messages when the store is held, and nothing created by a failed or
// read-only open.
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engram/engram.h"
#include "testing/test_embedder.h"
#include "testing/temp_dir.h"

namespace engram {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

Options TestOptions() {
  Options o;
  o.embedder = std::make_shared<testing::TestEmbedder>();
  return o;
}

Turn MakeTurn(int i) {
  Turn t;
  t.speaker = "Maya";
  t.text = "Maya adopted a greyhound called Pixel, turn " + std::to_string(i);
  t.source_id = "t" + std::to_string(i);
  return t;
}

// A child process that writes `turns` turns and then holds the store open
// until the parent closes the pipe. The parent opens no store before the
// fork (RocksDB's threads do not survive a fork).
class StoreHolder {
 public:
  StoreHolder(const std::string& path, int turns) {
    int ready[2], release[2];
    if (pipe(ready) != 0 || pipe(release) != 0) std::abort();
    pid_ = fork();
    if (pid_ == 0) {
      close(ready[0]);
      close(release[1]);
      auto store = Store::Open(TestOptions(), path);
      if (!store.ok()) _exit(2);
      for (int i = 0; i < turns; ++i) {
        if (!(*store)->Observe("maya", MakeTurn(i), {.sync = true}).ok()) _exit(3);
      }
      char c = 1;
      if (write(ready[1], &c, 1) != 1) _exit(4);
      (void)!read(release[0], &c, 1);  // returns when the parent closes the pipe
      _exit(0);
    }
    close(ready[1]);
    close(release[0]);
    release_ = release[1];
    char c = 0;
    ok_ = read(ready[0], &c, 1) == 1;
    close(ready[0]);
  }
  ~StoreHolder() {
    close(release_);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  bool ok() const { return ok_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int release_ = -1;
  bool ok_ = false;
};

TEST(OpenTest, ReadOnlyOpenWorksWhileAnotherProcessHoldsTheStore) {
  testing::TempDir dir;
  const std::string path = dir.Sub("store");
  StoreHolder holder(path, 20);
  ASSERT_TRUE(holder.ok());

  auto writable = Store::Open(TestOptions(), path);
  ASSERT_FALSE(writable.ok());
  EXPECT_EQ(writable.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_THAT(writable.status().message(), HasSubstr("in use by another process (pid " + std::to_string(holder.pid())));
  // Said once, not repeated.
  const std::string m = writable.status().message();
  EXPECT_EQ(m.find(path), m.rfind(path)) << m;

  Options ro = TestOptions();
  ro.read_only = true;
  auto store = Store::Open(ro, path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto turns = (*store)->ScanTurns("maya");
  ASSERT_TRUE(turns.ok());
  EXPECT_EQ(turns->size(), 20u);
  auto recall = (*store)->Recall("maya", "what dog did Maya adopt");
  ASSERT_TRUE(recall.ok()) << recall.status().ToString();
  ASSERT_FALSE(recall->hits.empty());
  EXPECT_THAT(recall->hits[0].text, HasSubstr("greyhound"));
  EXPECT_TRUE((*store)->Profile("maya").ok());
  EXPECT_TRUE((*store)->GetTenantStats("maya").ok());

  for (Status s : {(*store)->Observe("maya", MakeTurn(99)).status(), (*store)->ForgetTenant("maya").status(),
                   (*store)->Rebuild()}) {
    EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition) << s.ToString();
    EXPECT_THAT(s.message(), HasSubstr("read-only"));
  }
}

TEST(OpenTest, AStoreOnAReadOnlyFileSystemCanBeRead) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for a read-only bind mount";
  testing::TempDir dir;
  const std::string path = dir.Sub("rw/store"), mounted = dir.Sub("ro");
  {
    StoreHolder writer(path, 12);  // writes, then closes when it goes out of scope
    ASSERT_TRUE(writer.ok());
  }
  fs::create_directories(mounted);
  ASSERT_EQ(std::system(("mount --bind -o ro " + dir.Sub("rw") + " " + mounted).c_str()), 0);
  {
    Options ro = TestOptions();
    ro.read_only = true;
    auto store = Store::Open(ro, mounted + "/store");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ((*store)->ScanTurns("maya")->size(), 12u);
    EXPECT_TRUE((*store)->Recall("maya", "greyhound").ok());
    EXPECT_FALSE(Store::Open(TestOptions(), mounted + "/store").ok());  // a writable open cannot work there
  }
  EXPECT_EQ(std::system(("umount " + mounted).c_str()), 0);
}

TEST(OpenTest, ASecondWritableOpenInTheSameProcessSaysSo) {
  testing::TempDir dir;
  auto first = Store::Open(TestOptions(), dir.Sub("store"));
  ASSERT_TRUE(first.ok());
  auto second = Store::Open(TestOptions(), dir.Sub("store"));
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr("already open in this process"));
}

TEST(OpenTest, ReadOnlyOpenNeverCreatesAnything) {
  testing::TempDir dir;
  Options ro = TestOptions();
  ro.read_only = true;
  auto absent = Store::Open(ro, dir.Sub("absent"));
  EXPECT_EQ(absent.status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(fs::exists(dir.Sub("absent")));
  fs::create_directories(dir.Sub("empty"));
  auto empty = Store::Open(ro, dir.Sub("empty"));
  EXPECT_EQ(empty.status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(fs::is_empty(dir.Sub("empty")));
}

}  // namespace
}  // namespace engram
