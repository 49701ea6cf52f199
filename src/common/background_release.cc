#include "common/background_release.h"

#include <sys/types.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace engram {
namespace {

class Releaser {
 public:
  // Never destroyed: a thread may still run when static objects are torn
  // down; the exit handler stops it first.
  static Releaser& Instance() {
    static Releaser* releaser = new Releaser();
    return *releaser;
  }

  void Release(std::shared_ptr<void> object) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!StartLocked()) {
      lock.unlock();
      object.reset();
      return;
    }
    queue_.push_back(std::move(object));
    ++queued_;
    wake_.notify_all();
  }

  void WaitIdle() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (owner_pid_ != getpid()) return;
    const uint64_t target = queued_;
    idle_.wait(lock, [&] { return released_ >= target; });
  }

  void StopAtExit() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!thread_.joinable() || owner_pid_ != getpid()) return;
    stopping_ = true;
    wake_.notify_all();
    lock.unlock();
    thread_.join();
  }

 private:
  // Starts the thread in this process if it is not running; false when it
  // cannot run (a forked child of the process that started it, or exit has
  // begun).
  bool StartLocked() {
    if (stopping_) return false;
    if (thread_.joinable()) return owner_pid_ == getpid();
    owner_pid_ = getpid();
    try {
      thread_ = std::thread([this] { Run(); });
    } catch (const std::system_error&) {
      return false;
    }
    if (!exit_handler_registered_) {
      exit_handler_registered_ = true;
      std::atexit([] { Instance().StopAtExit(); });
    }
    return true;
  }

  void Run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is released
      std::deque<std::shared_ptr<void>> batch;
      batch.swap(queue_);
      lock.unlock();
      const size_t n = batch.size();
      while (!batch.empty()) batch.pop_front();
#if defined(__GLIBC__)
      malloc_trim(0);
#endif
      lock.lock();
      released_ += n;
      idle_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<std::shared_ptr<void>> queue_;
  uint64_t queued_ = 0, released_ = 0;
  std::thread thread_;
  pid_t owner_pid_ = 0;
  bool stopping_ = false;
  bool exit_handler_registered_ = false;
};

}  // namespace

void ReleaseInBackground(std::shared_ptr<void> object) {
  if (object != nullptr) Releaser::Instance().Release(std::move(object));
}

void WaitForBackgroundRelease() { Releaser::Instance().WaitIdle(); }

}  // namespace engram
