// TenantCache: the loaded memory of each tenant, held within a byte budget.
//
// Every tenant has a slot holding its writer lock and, once loaded, its
// memory. The writer lock serialises the tenant's writers and its load, so
// loading one tenant (seconds for a large one) never blocks another tenant's
// reads or writes. When the loaded tenants' footprint exceeds the budget,
// the least recently used ones are unloaded: handed to the unloader first
// (the store saves what is worth keeping), then dropped. Readers still
// holding a memory keep it alive until they finish; the next use loads it
// again.
//
// Lock order: a slot's writer lock, then the store's write mutex, then a
// memory's own lock. The cache's internal mutex is held only for map and
// list updates and is never held while loading, measuring or unloading.
//
// Thread safety: every method is safe from many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <vector>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engram/status.h"
#include "tiers/tenant_memory.h"

namespace engram {

class TenantCache {
 public:
  struct Slot {
    explicit Slot(std::string name) : tenant(std::move(name)) {}
    const std::string tenant;
    // Held by the tenant's writers across a whole write, and by whoever
    // loads or unloads it.
    std::mutex writer;

   private:
    friend class TenantCache;
    // Guarded by the cache's mutex.
    std::shared_ptr<TenantMemory> memory;
    size_t bytes = 0;            // footprint when last measured (plus growth since)
    size_t docs_measured = 0;    // documents it held when measured
    std::list<Slot*>::iterator lru;  // valid while memory != nullptr
  };

  using Loader = std::function<Result<std::unique_ptr<TenantMemory>>(const std::string& tenant)>;
  // Called for a memory about to be unloaded (under its slot's writer lock).
  using Unloader = std::function<void(TenantMemory& memory)>;

  // budget_bytes 0: unlimited.
  TenantCache(size_t budget_bytes, Loader loader, Unloader unloader);

  // The tenant's slot, created on first use (slots are small and kept).
  std::shared_ptr<Slot> GetSlot(std::string_view tenant);

  // The tenant's memory if it is loaded (marking it recently used), else null.
  std::shared_ptr<TenantMemory> Find(std::string_view tenant);

  // The tenant's memory, loading it first when needed; unloads others when
  // the budget is exceeded. The caller holds slot.writer.
  Result<std::shared_ptr<TenantMemory>> GetLocked(Slot& slot);

  // After a write grew the tenant's memory: accounts its growth and unloads
  // others when the budget is exceeded. The caller holds slot.writer and
  // not the memory's lock. Never waits for the memory's lock: while others
  // hold it, the growth is accounted at a later call.
  void Charge(Slot& slot);

  // Drops the tenant's memory without calling the unloader (a forgotten
  // tenant). The caller holds slot.writer.
  void Drop(Slot& slot);

  // Drops every loaded memory without calling the unloader (derived state
  // was thrown away; each tenant loads again on next use). Returns them,
  // for the caller to destroy where it suits it.
  std::vector<std::shared_ptr<TenantMemory>> Clear();

  // Calls fn for each loaded memory (e.g. to save them all when closing).
  void ForEachLoaded(const std::function<void(TenantMemory&)>& fn);

  struct Usage {
    size_t loaded_tenants = 0;
    size_t loaded_bytes = 0;
    size_t budget_bytes = 0;
    uint64_t loads = 0;
    uint64_t unloads = 0;
  };
  Usage usage() const;

 private:
  // Re-measures slot's memory when it grew enough since the last measure.
  void Account(Slot& slot, const std::shared_ptr<TenantMemory>& memory);
  // Unloads least recently used tenants (never `keep`) until within budget.
  void Shrink(const Slot* keep);
  void Touch(Slot& slot);  // caller holds mutex_

  const size_t budget_;
  Loader loader_;
  Unloader unloader_;

  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Slot>> slots_;
  std::list<Slot*> lru_;  // loaded slots, most recently used first
  size_t loaded_bytes_ = 0;
  uint64_t loads_ = 0, unloads_ = 0;
  size_t unloaded_since_trim_ = 0;  // bytes of tenants unloaded since the heap was last trimmed
};

}  // namespace engram
