// StoreImpl: the Store behind engram's public API.
//
// Write path: validate -> (extract, embed: outside any lock) -> under the
// write mutex: idempotency check, sequence numbers, ONE log WriteBatch ->
// apply to the in-memory tiers and indexes. Readers take only the per-tenant
// shared lock of the memory they read and never wait for the fsync.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "engram/store.h"
#include "log/event_log.h"

namespace engram {

class StoreImpl final : public Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const Options& options, const std::string& path);
  ~StoreImpl() override;

  Result<uint64_t> Observe(std::string_view tenant, const Turn& turn, const WriteOptions& wo) override;
  Result<std::vector<uint64_t>> ObserveBatch(std::string_view tenant, std::span<const Turn> turns,
                                             const WriteOptions& wo) override;
  Result<StoredTurn> GetTurn(std::string_view tenant, uint64_t seq) override;
  Result<StoredTurn> GetTurnBySourceId(std::string_view tenant, std::string_view source_id) override;
  Result<std::vector<StoredTurn>> ScanTurns(std::string_view tenant, const TurnFilter& filter) override;
  Result<std::vector<std::string>> ListTenants() override;
  Result<TenantStats> GetTenantStats(std::string_view tenant) override;
  Result<ForgetReport> ForgetTenant(std::string_view tenant, const WriteOptions& wo) override;

  Result<RecallResult> Recall(std::string_view tenant, std::string_view query, const RecallOptions& options) override;
  Result<Context> RecallContext(std::string_view tenant, std::string_view question, size_t budget_tokens,
                                const RecallOptions& options) override;
  Result<std::vector<PersonaFact>> Profile(std::string_view tenant, std::string_view speaker, TimeMs as_of_ms,
                                           bool include_history) override;
  Result<GraphView> Graph(std::string_view tenant, std::string_view entity, int hops, size_t max_edges) override;
  Result<std::vector<EventUnit>> EventUnits(std::string_view tenant) override;
  Result<std::vector<StoredTurn>> WorkingMemory(std::string_view tenant, std::string_view session) override;
  Status Rebuild() override;

 private:
  StoreImpl(const Options& options, std::unique_ptr<log::EventLog> log);
  Status LoadMeta();
  Result<std::vector<uint64_t>> ObserveImpl(std::string_view tenant, std::span<const Turn> turns,
                                            const WriteOptions& wo);

  Options options_;
  std::unique_ptr<log::EventLog> log_;
  std::mutex write_mutex_;        // serialises writers: sequence numbers follow commit order
  uint64_t last_seq_ = 0;         // guarded by write_mutex_
};

}  // namespace engram
