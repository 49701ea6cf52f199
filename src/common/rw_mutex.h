// RwMutex: a reader-writer lock that prefers writers.
//
// std::shared_mutex on glibc lets new readers in while a writer waits, so a
// steady stream of readers can starve a writer indefinitely. Here a waiting
// writer holds back readers that arrive after it: it waits only for the
// readers already inside, then runs; readers queued behind it run after it.
// Satisfies the standard SharedMutex requirements, so std::unique_lock and
// std::shared_lock work with it. Not recursive: a thread holding it in
// either mode must not lock it again.
#pragma once

#include <pthread.h>

namespace engram {

class RwMutex {
 public:
  RwMutex();
  ~RwMutex();
  RwMutex(const RwMutex&) = delete;
  RwMutex& operator=(const RwMutex&) = delete;

  void lock();
  bool try_lock();
  void unlock();
  void lock_shared();
  bool try_lock_shared();
  void unlock_shared();

 private:
  pthread_rwlock_t lock_;
};

}  // namespace engram
