// BackgroundRelease: destroys large object graphs (a closed store's tenant
// memory: millions of small heap blocks) on one process-wide thread, so
// closing a store waits for what must be durable, not for the heap.
//
// Objects are destroyed in the order they were handed over; the free heap
// is handed back to the OS after each batch. At process exit, everything
// still queued is destroyed before exit continues (in the process that
// queued it; a forked child destroys what it hands over itself).
#pragma once

#include <memory>

namespace engram {

// Destroys `object` on the release thread (or here, when that thread cannot
// run). The caller must hold no other reference it expects to stay valid.
void ReleaseInBackground(std::shared_ptr<void> object);

// Blocks until every object handed over so far has been destroyed.
void WaitForBackgroundRelease();

}  // namespace engram
