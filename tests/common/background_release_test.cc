// BackgroundRelease: what is handed over is destroyed off the caller's
// thread, in order, and all of it by the time WaitForBackgroundRelease (or
// process exit) returns; a forked child destroys what it hands over itself.
#include "common/background_release.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace engram {
namespace {

// Records the thread and the order of its destruction.
struct Tracked {
  Tracked(int id, std::mutex* mutex, std::vector<int>* order, std::thread::id* thread)
      : id(id), mutex(mutex), order(order), thread(thread) {}
  ~Tracked() {
    std::lock_guard<std::mutex> lock(*mutex);
    order->push_back(id);
    *thread = std::this_thread::get_id();
  }
  int id;
  std::mutex* mutex;
  std::vector<int>* order;
  std::thread::id* thread;
};

TEST(BackgroundReleaseTest, DestroysOffTheCallersThreadInOrder) {
  std::mutex mutex;
  std::vector<int> order;
  std::vector<std::thread::id> threads(3);
  for (int i = 0; i < 3; ++i) ReleaseInBackground(std::make_shared<Tracked>(i, &mutex, &order, &threads[i]));
  WaitForBackgroundRelease();
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  for (const auto& t : threads) EXPECT_NE(t, std::this_thread::get_id());
}

TEST(BackgroundReleaseTest, AnObjectStillReferencedElsewhereLivesOn) {
  std::mutex mutex;
  std::vector<int> order;
  std::thread::id thread;
  auto kept = std::make_shared<Tracked>(7, &mutex, &order, &thread);
  ReleaseInBackground(kept);
  WaitForBackgroundRelease();
  {
    std::lock_guard<std::mutex> lock(mutex);
    EXPECT_TRUE(order.empty());
  }
  kept.reset();
  EXPECT_EQ(order, (std::vector<int>{7}));
  EXPECT_EQ(thread, std::this_thread::get_id());
}

TEST(BackgroundReleaseTest, ManyThreadsHandOverAtOnce) {
  std::atomic<int> destroyed{0};
  struct Counted {
    explicit Counted(std::atomic<int>* n) : n(n) {}
    ~Counted() { n->fetch_add(1); }
    std::atomic<int>* n;
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 250; ++i) ReleaseInBackground(std::make_shared<Counted>(&destroyed));
    });
  }
  for (auto& t : threads) t.join();
  WaitForBackgroundRelease();
  EXPECT_EQ(destroyed.load(), 1000);
}

// The release thread does not exist in a forked child: the child destroys
// what it hands over at once, and exits without waiting for the parent's.
TEST(BackgroundReleaseTest, AForkedChildDestroysWhatItHandsOverItself) {
  std::mutex mutex;
  std::vector<int> order;
  std::thread::id thread;
  ReleaseInBackground(std::make_shared<Tracked>(1, &mutex, &order, &thread));  // the thread runs
  WaitForBackgroundRelease();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::vector<int> child_order;
    std::thread::id child_thread;
    ReleaseInBackground(std::make_shared<Tracked>(2, &mutex, &child_order, &child_thread));
    const bool inline_release = child_order == std::vector<int>{2} && child_thread == std::this_thread::get_id();
    WaitForBackgroundRelease();
    exit(inline_release ? 0 : 3);  // runs the exit handlers, which must not wait for the parent's thread
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace engram
