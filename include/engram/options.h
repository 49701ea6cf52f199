// Options for opening a Store and for writing to it.
//
// Thread safety: plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace engram {

class Embedder;
class Extractor;

struct Options {
  // Create the store folder when it does not exist. Default true.
  bool create_if_missing = true;
  // Longest turn text accepted, in bytes. Default 64 KiB.
  size_t max_text_bytes = 64 * 1024;
  // Longest tenant, session, speaker or source id, in bytes. Default 1 KiB.
  size_t max_id_bytes = 1024;

  // Open without writing anything: no lock is taken, so it works while
  // another process has the store open for writing (it sees what that
  // process had written when this one opened), and on a read-only folder or
  // a full disk. Every write fails with FailedPrecondition. Default false.
  bool read_only = false;

  // Open only the event log: no embedder is loaded and no index is built.
  // Observe, GetTurn, ScanTurns, ListTenants, ForgetTenant and Stats work;
  // Recall does not. The derived indexes catch up the next time the store is
  // opened without this flag. Default false. Useful for tools that only read
  // or purge the log.
  bool log_only = false;

  // The embedder that builds the vector index. nullptr: the built-in
  // Universal Sentence Encoder Lite (loaded from DefaultUseLiteModelDir()).
  // A store records the identity of the embedder that built it; opening it
  // with another one fails with FailedPrecondition unless reembed is true.
  std::shared_ptr<Embedder> embedder;
  // Re-embed everything with `embedder` when the store was built by another
  // one (what `engram reindex` does). Default false.
  bool reembed = false;

  // The extractor that derives event units, persona facts and the graph on
  // the write path. nullptr: the built-in rule-based extractor.
  std::shared_ptr<Extractor> extractor;

  // Optional second extractor (e.g. NewLlmExtractor()) that enriches turns
  // in the background. The write path never waits for it: each Observe
  // queues a durable job in the same atomic write as the turn; a background
  // thread runs the jobs (resuming after a restart) and commits each result
  // atomically. A malformed reply fails that enrichment, never the turn.
  // nullptr (default): no enrichment.
  std::shared_ptr<Extractor> enrichment_extractor;
  // Attempts per job before a failing enrichment (bad reply, endpoint down)
  // is given up. Default 5.
  int enrichment_max_attempts = 5;

  // Vector index per tenant, as a FAISS-style description: "Auto"
  // (default: exact below 2000 vectors, then an HNSW graph over int8 codes
  // built once and grown incrementally, equal vectors sharing a node;
  // recall@10 0.96 against exact at 100k turns, docs/vector-index.md),
  // "Flat" (always exact), "Int8", "HNSW32", "IVF1024,Flat", ...
  std::string vector_index = "Auto";

  // Working memory per tenant and session: the most recent turns, at most
  // this many (default 12) and at most this many tokens (default 1024).
  size_t working_memory_turns = 12;
  size_t working_memory_tokens = 1024;

  // RocksDB block cache, in bytes. Default 64 MiB.
  size_t block_cache_bytes = 64u << 20;
  // RocksDB memtables of all column families together, in bytes: past it
  // the largest is flushed to a table file. Default 64 MiB; 0: RocksDB's
  // own limits only (64 MiB per column family, up to two each). Smaller
  // memtables also mean less write-ahead log to replay at open.
  size_t write_buffer_bytes = 64u << 20;

  // Memory for loaded tenant state (documents, indexes, tiers), in bytes.
  // When the loaded tenants need more, the least recently used ones are
  // unloaded (their state saved first) and loaded again on next use.
  // 0 (default): unlimited.
  size_t memory_budget_bytes = 0;
  // Metadata per turn: at most this many entries. Default 32.
  size_t max_metadata_entries = 32;
  // Core memory: at most this many bytes per block (a longer write fails
  // with InvalidArgument, nothing is truncated; default 4 KiB), at most
  // this many blocks per tenant (default 16), and at most this share of a
  // RecallContext budget (default 0.25).
  size_t core_block_max_bytes = 4096;
  size_t core_blocks_max = 16;
  float core_context_share = 0.25f;
};

struct WriteOptions {
  // If true, the write is flushed to stable storage (fsync) before Observe
  // returns.
  //
  // sync = true: once Observe returns OK the turn survives kill -9 and power loss.
  // sync = false: it survives a process crash, not a power loss.
  //
  // Default false.
  bool sync = false;
};

// How Forget, ForgetFact, ForgetRelation and ForgetTenant remove memories.
struct ForgetOptions {
  ForgetOptions() = default;
  ForgetOptions(const WriteOptions& write) : sync(write.sync) {}  // NOLINT(google-explicit-constructor)
  // As WriteOptions::sync. With sync = true, when the call returns no byte
  // of the forgotten text, vectors or derived records remains in any file
  // of the store folder (the affected ranges are compacted, the write-ahead
  // log rolled over and index checkpoints rewritten), and the report says
  // the folder was checked.
  bool sync = false;
  // Report what would be removed; remove nothing.
  bool dry_run = false;
};

}  // namespace engram
