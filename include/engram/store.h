// Store: a durable, multi-tenant memory for LLM agents.
//
// Thread safety: a Store is safe for concurrent use by many threads without
// external synchronisation. Writers are serialised among themselves; readers
// read from consistent snapshots and never wait for a writer's fsync. A write
// does not wait for the recalls in flight on its tenant: its turns are visible
// to every read that starts after it returned (such a read may first apply
// them to the tenant's in-memory indexes).
// Calls that block: every write (Observe, ObserveBatch, Update, Remember*,
// *CoreBlock, Forget*) with sync = true waits for fsync; no call waits on the network unless the configured Embedder does
// (HttpEmbedder).
//
// Durability (WriteOptions::sync):
//   sync = true: once Observe returns OK the turn survives kill -9 and power loss.
//   sync = false: it survives a process crash, not a power loss.
//
// Every record belongs to one tenant. Nothing a call does for tenant A can
// read or change tenant B's data.
// A tenant name is 1 to Options::max_id_bytes bytes of valid UTF-8 with no
// control characters (U+0000-U+001F, U+007F), so it can be typed and
// printed; every call given another tenant fails with InvalidArgument.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engram/options.h"
#include "engram/recall.h"
#include "engram/status.h"
#include "engram/types.h"

namespace engram {

// Selects turns of one tenant.
struct TurnFilter {
  std::string session;                                  // "" = every session
  TimeMs from_ms = std::numeric_limits<TimeMs>::min();  // inclusive
  TimeMs to_ms = std::numeric_limits<TimeMs>::max();    // exclusive
  size_t limit = 0;                                     // 0 = no limit
};

// What a Forget call removed (or, with ForgetOptions::dry_run, would
// remove), per kind ("turns", "source_ids", "units", "facts", "entities",
// "relations", "vectors", "index_snapshots", ...).
struct ForgetReport {
  std::map<std::string, uint64_t> removed;
  // Facts and relations that other turns also support: they stay, without
  // the forgotten turn among their sources.
  std::map<std::string, uint64_t> kept;
  bool dry_run = false;
  // With ForgetOptions::sync: every file of the store folder was searched
  // after the purge and holds no byte sequence of the forgotten texts.
  bool disk_checked = false;
  uint64_t files_checked = 0;
  uint64_t Total() const;
};

struct TenantStats {
  std::string tenant;
  uint64_t sessions = 0;
  uint64_t turns = 0;
  uint64_t bytes = 0;  // text bytes of the tenant's turns
  uint64_t units = 0;
  uint64_t facts = 0;
  uint64_t entities = 0;
  uint64_t relations = 0;
};

// The store's loaded tenant state against Options::memory_budget_bytes.
struct MemoryUsage {
  uint64_t loaded_tenants = 0;
  uint64_t loaded_bytes = 0;  // estimated heap bytes of the loaded tenants' state
  uint64_t budget_bytes = 0;  // 0 = unlimited
  uint64_t loads = 0;         // tenants loaded since the store was opened
  uint64_t unloads = 0;       // tenants unloaded to stay within the budget
  // Loads that took the tenant's BM25 index from its lexical checkpoint
  // instead of analysing every text again.
  uint64_t lexical_checkpoint_loads = 0;
  // Writes whose turns reached the log but could not be applied to a loaded
  // tenant's memory (each is logged as an error; that memory is loaded again
  // from the log, so the turns are not lost).
  uint64_t failed_applies = 0;
  // What the log holds in memory beside the tenants' state: its memtables
  // (bounded by Options::write_buffer_bytes) and its block cache (bounded
  // by Options::block_cache_bytes).
  uint64_t log_memtable_bytes = 0;
  uint64_t log_block_cache_bytes = 0;
};

class Store {
 public:
  // Opens (or creates) the store in folder `path`. Fails with NotSupported
  // for a store written by a newer engram format, FailedPrecondition for a
  // store built by a different embedder (see Options::reembed).
  static Result<std::unique_ptr<Store>> Open(const Options& options, const std::string& path);

  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Records one turn and everything derived from it in one atomic write and
  // returns its sequence number. Observing again a turn whose (tenant,
  // source_id) is already stored with the same speaker, session, time, text
  // and metadata returns the stored sequence number and changes nothing;
  // with different content it is AlreadyExists (use Update to correct it).
  // Bad input (empty tenant or speaker, a tenant with a control character,
  // invalid UTF-8, text over Options::max_text_bytes) is InvalidArgument and
  // writes nothing.
  virtual Result<uint64_t> Observe(std::string_view tenant, const Turn& turn,
                                   const WriteOptions& write_options = {}) = 0;

  // Records many turns of one tenant in one atomic write; returns their
  // sequence numbers in order. Any bad turn fails the whole batch.
  virtual Result<std::vector<uint64_t>> ObserveBatch(std::string_view tenant, std::span<const Turn> turns,
                                                     const WriteOptions& write_options = {}) = 0;

  virtual Result<StoredTurn> GetTurn(std::string_view tenant, uint64_t seq) = 0;
  virtual Result<StoredTurn> GetTurnBySourceId(std::string_view tenant, std::string_view source_id) = 0;

  // Turns of `tenant` in the order they were observed.
  virtual Result<std::vector<StoredTurn>> ScanTurns(std::string_view tenant, const TurnFilter& filter = {}) = 0;

  virtual Result<std::vector<std::string>> ListTenants() = 0;
  // NotFound (naming the closest known tenants) for a tenant with no records.
  virtual Result<TenantStats> GetTenantStats(std::string_view tenant) = 0;

  // How much memory the loaded tenants hold, and how often tenants were
  // loaded and unloaded to stay within Options::memory_budget_bytes.
  virtual MemoryUsage GetMemoryUsage() = 0;

  // Removes every record and index entry of `tenant` and reports what it
  // removed. Other tenants are untouched. NotFound (naming the closest
  // known tenants) for a tenant with no records.
  virtual Result<ForgetReport> ForgetTenant(std::string_view tenant, const ForgetOptions& options = {}) = 0;

  // --- Single memories ------------------------------------------------------

  // Removes one turn and everything derived from it alone: its event units,
  // vectors and index entries, and the facts and relations only it supports
  // (those other turns support too lose it as a source and stay). NotFound
  // for an unknown source id.
  virtual Result<ForgetReport> Forget(std::string_view tenant, std::string_view source_id,
                                      const ForgetOptions& options = {}) = 0;
  // Removes one persona fact or one relation by its id (PersonaFact::id,
  // Relation::id), whatever turns support it; it stays removed after a
  // restart and a Rebuild. NotFound for an unknown id.
  virtual Result<ForgetReport> ForgetFact(std::string_view tenant, std::string_view fact_id,
                                          const ForgetOptions& options = {}) = 0;
  virtual Result<ForgetReport> ForgetRelation(std::string_view tenant, std::string_view relation_id,
                                              const ForgetOptions& options = {}) = 0;

  // Replaces the text of a stored turn and derives it again; the previous
  // text stays in the turn's history. Returns the new version number.
  // NotFound for an unknown source id; the text is checked as in Observe.
  virtual Result<uint32_t> Update(std::string_view tenant, std::string_view source_id, std::string_view new_text,
                                  const WriteOptions& write_options = {}) = 0;
  // Every version of a turn, oldest first (version 1 = as first observed).
  virtual Result<std::vector<TurnVersion>> History(std::string_view tenant, std::string_view source_id) = 0;

  // Writes a persona fact directly (subject, attribute, value, valid from,
  // optional valid to; provenance "explicit", confidence 1). It follows the
  // supersede rules of extracted facts, and no extracted fact of lower
  // confidence closes it. Returns its id.
  virtual Result<std::string> RememberFact(std::string_view tenant, const PersonaFact& fact,
                                           const WriteOptions& write_options = {}) = 0;
  // Writes a relation directly (subject, relation, object, valid from,
  // optional valid to), as RememberFact. Returns its id.
  virtual Result<std::string> RememberRelation(std::string_view tenant, const Relation& relation,
                                               const WriteOptions& write_options = {}) = 0;

  // --- Core memory ------------------------------------------------------------

  // The tenant's core memory blocks, by name.
  virtual Result<std::vector<CoreBlock>> CoreMemory(std::string_view tenant) = 0;
  // Replaces block `name` (created when missing) / appends to it (on a new
  // line). InvalidArgument, changing nothing, when the result would exceed
  // Options::core_block_max_bytes or the tenant would have more than
  // Options::core_blocks_max blocks. An empty text with SetCoreBlock
  // deletes the block.
  virtual Result<CoreBlock> SetCoreBlock(std::string_view tenant, std::string_view name, std::string_view text,
                                         const WriteOptions& write_options = {}) = 0;
  virtual Result<CoreBlock> AppendCoreBlock(std::string_view tenant, std::string_view name, std::string_view text,
                                            const WriteOptions& write_options = {}) = 0;
  // Every version of block `name`, oldest first.
  virtual Result<std::vector<CoreBlock>> CoreBlockHistory(std::string_view tenant, std::string_view name) = 0;

  // --- Memory tiers -------------------------------------------------------

  // Retrieves what the agent should remember to answer `query` (see
  // recall.h). Fails with FailedPrecondition in log_only mode.
  virtual Result<RecallResult> Recall(std::string_view tenant, std::string_view query,
                                      const RecallOptions& options = {}) = 0;

  // Packs the memory relevant to `question` into a context of at most
  // `budget_tokens` tokens, with provenance, ready to paste into a prompt.
  virtual Result<Context> RecallContext(std::string_view tenant, std::string_view question,
                                        size_t budget_tokens, const RecallOptions& options = {}) = 0;

  // Persona facts of `tenant` (of `speaker`, or everyone when empty) valid at
  // `as_of_ms` (0 = now, i.e. facts not closed). With include_history, closed
  // facts too.
  virtual Result<std::vector<PersonaFact>> Profile(std::string_view tenant, std::string_view speaker = {},
                                                   TimeMs as_of_ms = 0, bool include_history = false) = 0;

  // The graph neighbourhood of `entity` up to `hops` hops (every entity when
  // `entity` is empty), at most `max_edges` relations. With as_of_ms, the
  // graph as it was then: only relations stated by then and true then (0:
  // every relation, closed ones included, with their validity).
  virtual Result<GraphView> Graph(std::string_view tenant, std::string_view entity = {}, int hops = 1,
                                  size_t max_edges = 500, TimeMs as_of_ms = 0) = 0;

  // Event units derived from the turns of `tenant`, in log order.
  virtual Result<std::vector<EventUnit>> EventUnits(std::string_view tenant) = 0;

  // Extractive summaries of the tenant's sessions, in session order, each at
  // most `max_sentences` statements.
  virtual Result<std::vector<SessionSummary>> Summaries(std::string_view tenant, size_t max_sentences = 3) = 0;

  // Working memory of (tenant, session): the most recent turns, oldest first.
  virtual Result<std::vector<StoredTurn>> WorkingMemory(std::string_view tenant, std::string_view session) = 0;

  // Background enrichment (Options::enrichment_extractor): jobs still queued.
  virtual Result<uint64_t> PendingEnrichments() = 0;
  // Blocks until the enrichment queue is empty; Unavailable after
  // `timeout_ms` with jobs left.
  virtual Status WaitForEnrichment(int timeout_ms) = 0;

  // Throws away every derived index (vector, lexical, tiers) and rebuilds it
  // from the log.
  virtual Status Rebuild() = 0;

 protected:
  Store() = default;
};

}  // namespace engram
