#include "store/tenant_cache.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <shared_mutex>
#include <vector>

namespace engram {
namespace {

// A large memory is measured again once it has grown by this fraction (a
// measure costs O(documents)); in between, growth is charged at the
// measured bytes per document.
constexpr size_t kRemeasureShift = 4;  // 1/16
constexpr size_t kAlwaysMeasureBelow = 256;  // documents

// The allocator keeps the heap of unloaded tenants for later allocations
// and returns little of it to the system; once this much tenant state was
// unloaded, the free heap is handed back (glibc's malloc_trim, which costs a
// walk of the free lists), so the process stays near its budget.
constexpr size_t kTrimAfterBytes = size_t{64} << 20;

void ReturnFreeHeap() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

size_t Measure(const TenantMemory& memory, size_t* docs) {
  std::shared_lock<RwMutex> lock(memory.mutex());
  *docs = memory.doc_count();
  return memory.MemoryBytes();
}

}  // namespace

TenantCache::TenantCache(size_t budget_bytes, Loader loader, Unloader unloader)
    : budget_(budget_bytes), loader_(std::move(loader)), unloader_(std::move(unloader)) {}

std::shared_ptr<TenantCache::Slot> TenantCache::GetSlot(std::string_view tenant) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, fresh] = slots_.try_emplace(std::string(tenant));
  if (fresh) it->second = std::make_shared<Slot>(std::string(tenant));
  return it->second;
}

void TenantCache::Touch(Slot& slot) {
  if (slot.lru != lru_.begin()) lru_.splice(lru_.begin(), lru_, slot.lru);
}

std::shared_ptr<TenantMemory> TenantCache::Find(std::string_view tenant) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = slots_.find(std::string(tenant));
  if (it == slots_.end() || it->second->memory == nullptr) return nullptr;
  Touch(*it->second);
  return it->second->memory;
}

Result<std::shared_ptr<TenantMemory>> TenantCache::GetLocked(Slot& slot) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (slot.memory != nullptr) {
      Touch(slot);
      return slot.memory;
    }
  }
  auto loaded = loader_(slot.tenant);
  if (!loaded.ok()) return loaded.status();
  std::shared_ptr<TenantMemory> memory = std::move(*loaded);
  size_t docs = 0;
  const size_t bytes = Measure(*memory, &docs);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    slot.memory = memory;
    slot.bytes = bytes;
    slot.docs_measured = docs;
    lru_.push_front(&slot);
    slot.lru = lru_.begin();
    loaded_bytes_ += bytes;
    ++loads_;
  }
  Shrink(&slot);
  return memory;
}

void TenantCache::Account(Slot& slot, const std::shared_ptr<TenantMemory>& memory) {
  size_t docs_now;
  {
    // A writer never waits here for the memory's lock (an apply waiting
    // for recalls holds it): its growth is then charged at a later write.
    std::shared_lock<RwMutex> lock(memory->mutex(), std::try_to_lock);
    if (!lock.owns_lock()) return;
    docs_now = memory->doc_count();
  }
  size_t old_bytes, old_docs;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (slot.memory != memory) return;
    old_bytes = slot.bytes;
    old_docs = slot.docs_measured;
  }
  size_t bytes;
  if (old_docs < kAlwaysMeasureBelow || docs_now >= old_docs + (old_docs >> kRemeasureShift)) {
    size_t docs = 0;
    {
      std::shared_lock<RwMutex> lock(memory->mutex(), std::try_to_lock);
      if (!lock.owns_lock()) return;
      docs = memory->doc_count();
      bytes = memory->MemoryBytes();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (slot.memory != memory) return;
    slot.docs_measured = docs;
    loaded_bytes_ = loaded_bytes_ - slot.bytes + bytes;
    slot.bytes = bytes;
    return;
  }
  const size_t per_doc = old_docs == 0 ? 0 : old_bytes / old_docs;
  bytes = old_bytes + (docs_now - old_docs) * per_doc;
  std::lock_guard<std::mutex> lock(mutex_);
  if (slot.memory != memory) return;
  loaded_bytes_ = loaded_bytes_ - slot.bytes + bytes;
  slot.bytes = bytes;
}

void TenantCache::Charge(Slot& slot) {
  std::shared_ptr<TenantMemory> memory;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    memory = slot.memory;
  }
  if (memory == nullptr) return;
  Account(slot, memory);
  Shrink(&slot);
}

void TenantCache::Shrink(const Slot* keep) {
  if (budget_ == 0) return;
  bool trim = false;
  for (;;) {
    Slot* victim = nullptr;
    std::shared_ptr<TenantMemory> memory;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (loaded_bytes_ <= budget_) break;
      // The least recently used tenant nobody is writing or loading.
      for (auto it = lru_.rbegin(); it != lru_.rend(); ++it) {
        if (*it == keep || !(*it)->writer.try_lock()) continue;
        victim = *it;
        break;
      }
      if (victim == nullptr) break;  // everything else is busy: over budget until it is not
      memory = std::move(victim->memory);
      lru_.erase(victim->lru);
      loaded_bytes_ -= victim->bytes;
      unloaded_since_trim_ += victim->bytes;
      if (unloaded_since_trim_ >= kTrimAfterBytes) {
        unloaded_since_trim_ = 0;
        trim = true;
      }
      victim->bytes = 0;
      ++unloads_;
    }
    unloader_(*memory);
    victim->writer.unlock();
  }
  if (trim) ReturnFreeHeap();  // after the last unloaded memory was freed, outside any lock
}

void TenantCache::Drop(Slot& slot) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (slot.memory == nullptr) return;
  slot.memory.reset();
  lru_.erase(slot.lru);
  loaded_bytes_ -= slot.bytes;
  slot.bytes = 0;
}

std::vector<std::shared_ptr<TenantMemory>> TenantCache::Clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::shared_ptr<TenantMemory>> unloaded;
  for (Slot* slot : lru_) {
    unloaded.push_back(std::move(slot->memory));
    slot->bytes = 0;
  }
  lru_.clear();
  loaded_bytes_ = 0;
  return unloaded;
}

void TenantCache::ForEachLoaded(const std::function<void(TenantMemory&)>& fn) {
  std::vector<std::shared_ptr<TenantMemory>> loaded;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (Slot* slot : lru_) loaded.push_back(slot->memory);
  }
  for (auto& memory : loaded) fn(*memory);
}

TenantCache::Usage TenantCache::usage() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Usage u;
  u.loaded_tenants = lru_.size();
  u.loaded_bytes = loaded_bytes_;
  u.budget_bytes = budget_;
  u.loads = loads_;
  u.unloads = unloads_;
  return u;
}

}  // namespace engram
