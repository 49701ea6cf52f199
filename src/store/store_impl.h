// StoreImpl: the Store behind engram's public API.
//
// Write path: validate -> the tenant's writer lock (loading its memory when
// needed, without blocking other tenants) -> under the write mutex:
// idempotency check, rule-based extraction, embedding (cache first),
// sequence numbers, ONE log WriteBatch -> (after the write mutex is
// released) queue the committed turns on the tenant's memory and apply the
// queue at once if its lock is free. Readers apply what is queued before
// they read (one exclusive section for all of it), then take the shared
// lock; so a writer never waits for the recalls in flight, and a turn is
// visible to every read that starts after its Observe returned. Readers
// never wait for the fsync; a waiting writer holds new readers back.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <thread>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>

#include "engram/embedder.h"
#include "engram/extractor.h"
#include "engram/store.h"
#include "index/vector_index.h"
#include "log/event_log.h"
#include "router/router.h"
#include "store/doc_vectors.h"
#include "store/explicit_memory.h"
#include "store/tenant_cache.h"
#include "tiers/tenant_memory.h"

namespace engram {

// Puts `index_bytes` into `batch` as the tenant's vector index checkpoint:
// chunks of at most kCheckpointChunkBytes, the deletes of a longer previous
// checkpoint's extra chunks, and the head (`head` gives covered_seq and
// vectors; the rest is filled in). One batch: a crash leaves the old
// checkpoint or the new one.
[[nodiscard]] Status PutVectorCheckpoint(const log::EventLog& log, log::LogBatch* batch, std::string_view tenant,
                                         VectorCheckpointHead* head, std::string_view index_bytes);
// The tenant's checkpoint, its head in *head: NotFound when it has none,
// Corruption naming the damage (head, a chunk's size, a missing chunk, the
// CRC) when it is not intact.
Result<std::string> ReadVectorCheckpoint(const log::EventLog& log, std::string_view tenant, VectorCheckpointHead* head,
                                         const log::LogSnapshot* snapshot = nullptr);
// Puts delta number `delta` (from 1) of the tenant's checkpoint into
// `batch`: its chunks and its head (`head` gives covered_seq and vectors).
void PutVectorCheckpointDelta(log::LogBatch* batch, std::string_view tenant, uint32_t delta,
                              VectorCheckpointHead* head, std::string_view delta_bytes);
// The deltas written after the checkpoint whose head is `base`, oldest
// first (none: empty). Corruption when one is missing, damaged, or covers
// fewer turns than the one before.
struct CheckpointDelta {
  VectorCheckpointHead head;
  std::string bytes;
};
Result<std::vector<CheckpointDelta>> ReadVectorCheckpointDeltas(const log::EventLog& log, std::string_view tenant,
                                                                const VectorCheckpointHead& base,
                                                                const log::LogSnapshot* snapshot = nullptr);

// What a tenant's last vector index checkpoint holds (all zero: none).
struct VectorCheckpointState {
  uint64_t covered_seq = 0;
  uint64_t vectors = 0;
  uint32_t deltas = 0;        // written after the whole structure
  uint64_t base_bytes = 0;    // size of the whole structure
  uint64_t delta_bytes = 0;   // size of its deltas together
  // The graph as last saved, while the tenant is loaded (null: none, or no
  // graph; the next checkpoint is then written whole).
  std::shared_ptr<const StructureDigest> digest;
};

// AlreadyExists unless `incoming` has the speaker, session, time, text and
// metadata of `stored` (`what` names the latter in the message).
Status CheckSameTurn(const Turn& incoming, const Turn& stored, const char* what);
// Removes from `x` the facts and relations whose ids are in `forgotten`.
void DropForgottenRecords(const std::set<std::string>& forgotten, Extraction* x);

class StoreImpl final : public Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const Options& options, const std::string& path);
  // Same, with the event log opened with `log_options` (its create_if_missing
  // and block_cache_bytes are taken from `options`). Tests use it to put a
  // fault-injecting file system under the store.
  static Result<std::unique_ptr<Store>> Open(const Options& options, const std::string& path,
                                             log::LogOptions log_options);
  ~StoreImpl() override;

  Result<uint64_t> Observe(std::string_view tenant, const Turn& turn, const WriteOptions& wo) override;
  Result<std::vector<uint64_t>> ObserveBatch(std::string_view tenant, std::span<const Turn> turns,
                                             const WriteOptions& wo) override;
  Result<StoredTurn> GetTurn(std::string_view tenant, uint64_t seq) override;
  Result<StoredTurn> GetTurnBySourceId(std::string_view tenant, std::string_view source_id) override;
  Result<std::vector<StoredTurn>> ScanTurns(std::string_view tenant, const TurnFilter& filter) override;
  Result<std::vector<std::string>> ListTenants() override;
  Result<TenantStats> GetTenantStats(std::string_view tenant) override;
  MemoryUsage GetMemoryUsage() override;
  Result<ForgetReport> ForgetTenant(std::string_view tenant, const ForgetOptions& fo) override;

  // The memory lifecycle (store_lifecycle.cc, core_memory.cc).
  Result<ForgetReport> Forget(std::string_view tenant, std::string_view source_id, const ForgetOptions& fo) override;
  Result<ForgetReport> ForgetFact(std::string_view tenant, std::string_view fact_id, const ForgetOptions& fo) override;
  Result<ForgetReport> ForgetRelation(std::string_view tenant, std::string_view relation_id,
                                      const ForgetOptions& fo) override;
  Result<uint32_t> Update(std::string_view tenant, std::string_view source_id, std::string_view new_text,
                          const WriteOptions& wo) override;
  Result<std::vector<TurnVersion>> History(std::string_view tenant, std::string_view source_id) override;
  Result<std::string> RememberFact(std::string_view tenant, const PersonaFact& fact, const WriteOptions& wo) override;
  Result<std::string> RememberRelation(std::string_view tenant, const Relation& relation,
                                       const WriteOptions& wo) override;
  Result<std::vector<CoreBlock>> CoreMemory(std::string_view tenant) override;
  Result<CoreBlock> SetCoreBlock(std::string_view tenant, std::string_view name, std::string_view text,
                                 const WriteOptions& wo) override;
  Result<CoreBlock> AppendCoreBlock(std::string_view tenant, std::string_view name, std::string_view text,
                                    const WriteOptions& wo) override;
  Result<std::vector<CoreBlock>> CoreBlockHistory(std::string_view tenant, std::string_view name) override;

  Result<RecallResult> Recall(std::string_view tenant, std::string_view query, const RecallOptions& options) override;
  Result<Context> RecallContext(std::string_view tenant, std::string_view question, size_t budget_tokens,
                                const RecallOptions& options) override;
  Result<std::vector<PersonaFact>> Profile(std::string_view tenant, std::string_view speaker, TimeMs as_of_ms,
                                           bool include_history) override;
  Result<GraphView> Graph(std::string_view tenant, std::string_view entity, int hops, size_t max_edges,
                          TimeMs as_of_ms) override;
  Result<std::vector<EventUnit>> EventUnits(std::string_view tenant) override;
  Result<std::vector<StoredTurn>> WorkingMemory(std::string_view tenant, std::string_view session) override;
  Result<std::vector<SessionSummary>> Summaries(std::string_view tenant, size_t max_sentences) override;
  Status Rebuild() override;
  Result<uint64_t> PendingEnrichments() override;
  Status WaitForEnrichment(int timeout_ms) override;

 private:
  StoreImpl(const Options& options, std::unique_ptr<log::EventLog> log);
  Status LoadMeta();
  Status CheckEmbedderIdentity();
  // The memory lifecycle's parts (store_lifecycle.cc).
  Result<ForgetReport> ForgetRecord(std::string_view tenant, std::string_view id, bool is_fact,
                                    const ForgetOptions& fo);
  // Puts the deletes of turn `seq`'s derived records, vectors and the
  // tenant's index checkpoint into `batch`, counted into report->removed;
  // the deleted key ranges into *gone (when given).
  Status DeleteTurnDerivations(std::string_view tenant, uint64_t seq, log::LogBatch* batch, ForgetReport* report,
                               std::vector<std::pair<std::string, std::string>>* gone);
  // After a forget or an update: the tenant's memory is loaded again (from
  // the log) on next use; no vector of its texts stays in memory.
  void UnloadAfterEdit(std::string_view tenant, TenantCache::Slot& slot);
  void ForgetRecentVectors(std::string_view tenant);
  // Erases the tenant's deleted bytes from disk and searches every file of
  // the folder for `texts` and the keys of `gone`; fills report->disk_checked.
  Status EraseAndCheck(std::string_view tenant, const std::vector<std::string>& texts,
                       const std::vector<std::pair<std::string, std::string>>& gone, ForgetReport* report);
  // Ids of derived records ForgetFact / ForgetRelation removed.
  Result<std::set<std::string>> ForgottenRecordIds(std::string_view tenant, const log::LogSnapshot* snapshot);
  Result<std::vector<uint64_t>> ObserveImpl(std::string_view tenant, std::span<const Turn> turns,
                                            const WriteOptions& wo);

  // The tenant's memory for reading, loaded from the log on first use (an
  // empty one, not kept, for a tenant with no turns), with every write
  // queued on it before this call applied.
  Result<std::shared_ptr<TenantMemory>> Memory(std::string_view tenant);
  // The same for a caller holding slot.writer. A memory whose queued apply
  // failed is dropped and loaded again from the log.
  Result<std::shared_ptr<TenantMemory>> MemoryLocked(TenantCache::Slot& slot);
  // Applies the writes queued on `memory` up to now, waiting for its
  // exclusive lock (`wait`) or only when the lock is free at once; nothing
  // to do when another thread applied them already. False when the memory
  // is stale (an apply failed: logged and counted in failed_applies_).
  bool ApplyQueued(TenantMemory& memory, bool wait);
  // Applies one queued write; the caller holds memory.mutex() exclusively.
  Status ApplyWrite(TenantMemory& memory, const QueuedWrite& write);

 public:
  // Tests only: called for each queued turn before it is applied; an error
  // fails that apply (set before the store is used from several threads).
  void SetApplyFaultForTesting(std::function<Status(std::string_view tenant, uint64_t seq)> fault) {
    apply_fault_ = std::move(fault);
  }
  // Tests only: called by Recall while it holds the tenant's shared lock.
  void SetRecallHookForTesting(std::function<void()> hook) { recall_hook_ = std::move(hook); }

 private:
  // Loads a tenant's memory from the log. Called by tenants_ under the
  // tenant's writer lock (it may write derivations the log lacks yet).
  Result<std::unique_ptr<TenantMemory>> LoadMemory(const std::string& tenant);

  // The vectors of documents `ids` with index texts `texts`, row-major, in
  // the stored precision: texts embedded moments ago are reused, with
  // `use_old_cache` an older store's embedding cache is read, the rest is
  // embedded. Each document's vector is put into `batch` (null: not stored).
  Result<std::vector<float>> EmbedCached(std::string_view tenant, std::span<const uint64_t> ids,
                                         const std::vector<std::string>& texts, bool use_old_cache,
                                         log::LogBatch* batch);
  // The key of `text` in an older store's embedding cache.
  std::string EmbeddingKey(std::string_view tenant, std::string_view text) const;
  // Fills the vector index of a tenant being loaded (documents `ids`, the
  // CRC-32C of their index texts `checksums`; turns in `rederived` were
  // derived again): from its checkpoint and the stored vectors, embedding
  // only documents that have none. Repairs and migrations go into `batch`.
  Status LoadVectors(const std::string& tenant, TenantMemory& memory, const std::vector<uint64_t>& ids,
                     const std::vector<uint32_t>& checksums, const std::set<uint64_t>& rederived, log::LogBatch* batch,
                     const log::LogSnapshot* snapshot);
  // Restores the tenant's checkpoint into `memory` when it is intact and
  // matches the documents; false (and *state reset) otherwise.
  bool RestoreCheckpoint(const std::string& tenant, TenantMemory& memory, const std::vector<uint64_t>& ids,
                         const std::vector<uint32_t>& checksums, const std::set<uint64_t>& rederived,
                         log::LogBatch* batch, const log::LogSnapshot* snapshot, VectorCheckpointState* state);
  // Ends the lexical indexing of a tenant being loaded: from its lexical
  // checkpoint when it holds the documents of the turns it covers (then
  // only later documents are analysed), else from every text.
  void RestoreLexical(const std::string& tenant, TenantMemory& memory, const std::set<uint64_t>& rederived,
                      const log::LogSnapshot* snapshot);
  // Writes the tenant's lexical checkpoint when LexicalCheckpointDue.
  // Callers hold memory.mutex() shared.
  Status SaveLexicalCheckpoint(TenantMemory& memory);
  // Writes the checkpoints of every loaded tenant that changed enough since
  // its last ones (SaveSnapshot).
  Status SaveSnapshots();
  // Drops every derived record without reading it (damaged tables); every
  // tenant derives its turns again when it is next loaded. Caller holds
  // write_mutex_ (so no write of derived records interleaves).
  Status DropDerivedRecords();
  // The tenant's checkpoints: the lexical one, and the vector index one
  // (SaveVectorCheckpoint). Both are tried; the first failure is returned.
  Status SaveSnapshot(TenantMemory& memory, bool force = false);
  // A checkpoint of the tenant's index, for indexes that need one, when
  // more than max(1000, 10% of the index) documents were added since the
  // last (always with `force`). Caller holds the memory's lock.
  Status SaveVectorCheckpoint(TenantMemory& memory, bool force);
  Result<uint64_t> DerivedUpTo(std::string_view tenant);

  // The query's vector (timed into *embed_us).
  Result<std::vector<float>> EmbedQuery(std::string_view query, int64_t* embed_us);
  Status RequireIndexes(const char* what) const;
  Status RequireWritable(const char* what) const;

  // Explicit facts and core memory (explicit_memory.cc, core_memory.cc).
  Result<std::string> RememberExplicit(std::string_view tenant, ExplicitRecord record, const WriteOptions& wo);
  // True when the tenant has turns or caller edits (explicit facts, core
  // blocks): a tenant with neither is unknown.
  Result<bool> HasRecords(std::string_view tenant);
  // NotFound "no tenant 'T'; did you mean ...?" naming the closest known tenants.
  Status UnknownTenant(std::string_view tenant);
  // Puts the tenant's core blocks first in `ctx`, within
  // Options::core_context_share of `budget_tokens`; returns the tokens they took.
  Result<CoreBlock> WriteCoreBlock(std::string_view tenant, std::string_view name, std::string_view text, bool append,
                                   const WriteOptions& wo);
  Result<size_t> CoreSection(std::string_view tenant, size_t budget_tokens, ContextSection* section,
                             std::string* text, std::vector<std::string>* notes);

  // Background enrichment (store_enrichment.cc).
  void StartEnrichment();
  void StopEnrichment();
  void EnrichmentLoop();
  // Runs the first queued job; false when the queue is empty. Sets *retry_later
  // when the endpoint failed in a way worth waiting for.
  bool RunOneEnrichment(bool* retry_later);

  Options options_;
  Router router_;
  std::unique_ptr<log::EventLog> log_;
  std::shared_ptr<Embedder> embedder_;    // null in log_only mode
  std::shared_ptr<Extractor> extractor_;  // null in log_only mode
  std::string embedder_hash_;             // 8 bytes of sha256(identity), in embedding keys
  std::mutex write_mutex_;                // serialises log writes: sequence numbers follow commit order
  uint64_t last_seq_ = 0;                 // guarded by write_mutex_
  // Tenants forgotten whose erasure from disk failed; guarded by write_mutex_.
  std::set<std::string> unerased_tenants_;

  TenantCache tenants_;                   // loaded memories, within Options::memory_budget_bytes
  std::atomic<uint64_t> failed_applies_{0};  // queued writes whose apply failed
  std::atomic<uint64_t> lexical_checkpoint_loads_{0};  // loads whose BM25 index came from a checkpoint
  std::function<Status(std::string_view, uint64_t)> apply_fault_;  // tests only
  std::function<void()> recall_hook_;                              // tests only
  // tenant -> its saved checkpoint; guarded by snapshot_mutex_.
  std::mutex snapshot_mutex_;
  std::unordered_map<std::string, VectorCheckpointState> checkpoints_;

  // Vectors of texts embedded moments ago (tenant + '\0' + text), so a
  // repeated text is embedded once; bounded, in memory only.
  std::mutex recent_mutex_;
  std::unordered_map<std::string, std::vector<float>> recent_vectors_;
  std::vector<std::string> recent_order_;  // ring of the keys above
  size_t recent_next_ = 0;

  std::thread enrichment_thread_;
  std::thread lexicon_warmup_;  // parses the shared word lists once, at open
  std::mutex enrichment_mutex_;
  std::condition_variable enrichment_cv_;  // new job, stop, or queue drained
  bool enrichment_stop_ = false;           // guarded by enrichment_mutex_
  uint64_t enrichment_wakeups_ = 0;        // guarded by enrichment_mutex_
};

}  // namespace engram
