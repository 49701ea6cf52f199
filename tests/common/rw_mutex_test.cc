// RwMutex: many readers at once, one writer alone, and a waiting writer
// holds back readers that arrive after it (so readers cannot starve it).
#include "common/rw_mutex.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include <gtest/gtest.h>

namespace engram {
namespace {

using namespace std::chrono_literals;

// Waits until `flag` is set or `limit` passes; true if it was set.
bool WaitFor(const std::atomic<bool>& flag, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!flag.load()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(RwMutexTest, ReadersShareAndWritersExclude) {
  RwMutex m;
  std::shared_lock<RwMutex> a(m);
  EXPECT_TRUE(m.try_lock_shared());  // a second reader gets in
  m.unlock_shared();
  EXPECT_FALSE(m.try_lock());  // a writer does not while a reader is inside
  a.unlock();
  ASSERT_TRUE(m.try_lock());
  EXPECT_FALSE(m.try_lock_shared());  // nor a reader while the writer is
  m.unlock();
}

TEST(RwMutexTest, WaitingWriterHoldsBackNewReaders) {
  RwMutex m;
  m.lock_shared();  // a reader inside
  std::atomic<bool> writer_in{false}, writer_done{false}, late_reader_in{false};
  std::atomic<bool> late_reader_saw_writer_done{false};
  std::thread writer([&] {
    std::unique_lock<RwMutex> w(m);
    writer_in = true;
    std::this_thread::sleep_for(20ms);
    writer_done = true;
  });
  // Give the writer time to queue behind the reader.
  std::this_thread::sleep_for(50ms);
  ASSERT_FALSE(writer_in.load());
  std::thread late_reader([&] {
    std::shared_lock<RwMutex> r(m);
    late_reader_saw_writer_done = writer_done.load();
    late_reader_in = true;
  });
  // With reader preference the late reader would get in now, beside the
  // first one; here it waits for the queued writer.
  EXPECT_FALSE(WaitFor(late_reader_in, 100ms));
  m.unlock_shared();
  ASSERT_TRUE(WaitFor(late_reader_in, 5000ms));
  writer.join();
  late_reader.join();
  EXPECT_TRUE(late_reader_saw_writer_done.load());
}

TEST(RwMutexTest, WriterIsNotStarvedByAStreamOfReaders) {
  RwMutex m;
  std::atomic<bool> stop{false}, written{false};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        std::shared_lock<RwMutex> r(m);
        std::this_thread::sleep_for(2ms);  // readers always overlap
      }
    });
  }
  std::this_thread::sleep_for(20ms);
  std::thread writer([&] {
    std::unique_lock<RwMutex> w(m);
    written = true;
  });
  EXPECT_TRUE(WaitFor(written, 5000ms));
  stop = true;
  writer.join();
  for (auto& r : readers) r.join();
}

}  // namespace
}  // namespace engram
