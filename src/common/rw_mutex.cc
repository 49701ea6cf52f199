#include "common/rw_mutex.h"

#include <cstdlib>

namespace engram {
namespace {

// A lock that cannot be initialised or taken is a broken process, not an
// error a caller could handle (the standard mutexes abort too).
void Check(int rc) {
  if (rc != 0) std::abort();
}

}  // namespace

RwMutex::RwMutex() {
  pthread_rwlockattr_t attr;
  Check(pthread_rwlockattr_init(&attr));
  Check(pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP));
  Check(pthread_rwlock_init(&lock_, &attr));
  pthread_rwlockattr_destroy(&attr);
}

RwMutex::~RwMutex() { pthread_rwlock_destroy(&lock_); }

void RwMutex::lock() { Check(pthread_rwlock_wrlock(&lock_)); }
bool RwMutex::try_lock() { return pthread_rwlock_trywrlock(&lock_) == 0; }
void RwMutex::unlock() { Check(pthread_rwlock_unlock(&lock_)); }
void RwMutex::lock_shared() { Check(pthread_rwlock_rdlock(&lock_)); }
bool RwMutex::try_lock_shared() { return pthread_rwlock_tryrdlock(&lock_) == 0; }
void RwMutex::unlock_shared() { Check(pthread_rwlock_unlock(&lock_)); }

}  // namespace engram
