// EventLog: the RocksDB event log, engram's single source of truth.
//
// Column families and key layout are in docs/file-format.md. The log knows
// nothing about tiers or indexes; it stores bytes under keys, atomically.
//
// Thread safety: safe for concurrent use. Reads never wait for a writer's
// fsync. Write with sync = true blocks until the WAL is on stable storage.
#pragma once

#include <atomic>
#include <shared_mutex>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engram/status.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Cache;
class Env;
class FileSystem;
class Snapshot;
class WriteBatch;
}  // namespace rocksdb

namespace engram::log {

// The format this engram writes. A store with a larger version is refused;
// one with a smaller version is read as it is and marked with this one when
// opened for writing. 2: derived records in the binary form (1: JSON).
inline constexpr int kFormatVersion = 2;

enum class Cf : int {
  kMeta = 0,      // format version, last sequence number, embedder identity
  kTurns,         // tenant + seq -> turn record
  kSourceIds,     // tenant + source id -> seq (idempotent re-imports)
  kDerived,       // tenant + seq + kind + n -> derived record (units, facts, entities, relations)
  kEmbeddings,    // tenant + embedder hash + text hash -> vector (older stores' embedding cache; read once, then deleted)
  kSnapshots,     // tenant + "vidx" / "vidx/" + chunk -> vector index checkpoint
  kQueue,         // job id -> background enrichment job
  kVectors,       // tenant + doc id -> the document's vector (store/doc_vectors.h)
  // tenant + kind (1 byte) + key -> what the caller wrote or changed beside
  // turns, as much the source of truth as kTurns (never derived, never
  // dropped by Rebuild). Kinds: 'h' turn history (source id + version),
  // 'x' explicit facts and relations, 'd' deleted facts and relations,
  // 'c' core memory blocks, 'C' their history.
  kEdits,
  kCount
};
const char* CfName(Cf cf);

struct LogOptions {
  bool create_if_missing = true;
  // Open without writing a byte (RocksDB's read-only open: no lock, the
  // write-ahead log replayed in memory). Write fails with FailedPrecondition.
  bool read_only = false;
  // Read-only, skipping every damaged write-ahead log record instead of
  // failing (for salvaging what can be read). Implies read_only.
  bool salvage = false;
  size_t block_cache_bytes = 64u << 20;
  size_t write_buffer_bytes = 64u << 20;  // all memtables together; 0: RocksDB's per-column-family limits
  // The file system the log's files go through; nullptr (default): the OS's.
  // Tests pass one that injects faults.
  std::shared_ptr<rocksdb::FileSystem> file_system;
};

// A set of writes applied atomically by EventLog::Write.
class EventLog;

class LogBatch {
 public:
  ~LogBatch();
  LogBatch(LogBatch&&) noexcept;
  LogBatch& operator=(LogBatch&&) noexcept;
  void Put(Cf cf, std::string_view key, std::string_view value);
  void Delete(Cf cf, std::string_view key);
  void DeleteRange(Cf cf, std::string_view begin, std::string_view end);
  size_t Count() const;
  size_t ByteSize() const;

 private:
  friend class EventLog;
  explicit LogBatch(const EventLog* log);
  std::unique_ptr<rocksdb::WriteBatch> batch_;
  const EventLog* log_;  // gives the column family handles
};

// A consistent point-in-time view for reads.
class LogSnapshot;

class EventLog {
 public:
  static Result<std::unique_ptr<EventLog>> Open(const std::string& path, const LogOptions& options);

  // Rebuilds the MANIFEST and CURRENT of the store folder at `path` from
  // its table and log files (RocksDB's repair). It rewrites the folder: run
  // it only on a copy.
  static Status RepairFolder(const std::string& path);
  ~EventLog();

  // An empty batch for this log.
  LogBatch NewBatch() const { return LogBatch(this); }
  // Applies the batch atomically. A failed write (full disk: an IOError
  // saying "no space left on device") leaves the log readable; the next
  // write first resumes the log and succeeds once the disk has space again.
  Status Write(LogBatch& batch, bool sync);

  // The value under `key`, or nullopt when absent.
  Result<std::optional<std::string>> Get(Cf cf, std::string_view key,
                                         const LogSnapshot* snapshot = nullptr) const;

  // Calls fn(key, value) for every key in [begin, end) in order; fn returns
  // false to stop early. An empty `end` means "to the end".
  Status Scan(Cf cf, std::string_view begin, std::string_view end,
              const std::function<bool(std::string_view key, std::string_view value)>& fn,
              const LogSnapshot* snapshot = nullptr) const;

  std::shared_ptr<const LogSnapshot> Snapshot() const;

  // Flushes memtables and syncs the WAL (used before closing).
  Status Flush();

  // Makes deleted data in [begin, end) of every column family unreadable on
  // disk: flushes the memtables (the write-ahead logs that held the data
  // become obsolete and are deleted), then compacts the range down to the
  // bottom level so no table file keeps a shadowed copy.
  Status EraseRange(std::string_view begin, std::string_view end);

  // After EraseRange: proves that no file of the store folder holds any of
  // `needles` within [begin, end), and that no key of `gone` (ranges
  // [first, second)) has a value left. Table files are read entry by entry
  // through RocksDB's SstFileReader (their blocks are compressed), every
  // version of every key in [begin, end) the database still holds (live,
  // shadowed or deleted, memtables included) through GetAllKeyVersions, and
  // every other file (write-ahead logs, MANIFEST, OPTIONS, info logs) byte by
  // byte. Sets *files_checked; DataLoss-like Internal error naming the file
  // (or "live data") that still holds a needle.
  Status CheckErased(std::string_view begin, std::string_view end, const std::vector<std::string>& needles,
                     const std::vector<std::pair<std::string, std::string>>& gone, uint64_t* files_checked) const;

  // Deletes everything in `cf` without reading it (the column family is
  // dropped and created again empty). For column families of derived data
  // only, e.g. to get rid of damaged table blocks. Safe beside readers and
  // writers: a batch that was filled before the drop loses its writes to
  // `cf` (they are moot), nothing else.
  Status DropAll(Cf cf);

  // Verifies the checksum of every block of every table file.
  Status VerifyChecksums();

  bool read_only() const { return read_only_; }

  const std::string& path() const { return path_; }

  // Bytes held by the memtables of every column family, and by the block
  // cache.
  uint64_t MemtableBytes() const;
  uint64_t BlockCacheBytes() const;

 private:
  friend class LogBatch;
  EventLog() = default;
  void KeepAMemtableNonEmpty();
  // The current handle of `cf` (DropAll replaces handles while others read).
  rocksdb::ColumnFamilyHandle* Handle(Cf cf) const;
  std::vector<rocksdb::ColumnFamilyHandle*> Handles() const;
  std::string path_;
  bool read_only_ = false;
  std::unique_ptr<rocksdb::Env> env_;  // around LogOptions::file_system; outlives db_
  std::shared_ptr<rocksdb::Cache> block_cache_;
  std::unique_ptr<rocksdb::DB> db_;
  mutable std::shared_mutex handles_mutex_;        // guards cfs_ and dropped_cfs_
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;  // owned by db_, destroyed in ~EventLog
  std::vector<rocksdb::ColumnFamilyHandle*> dropped_cfs_;  // replaced by DropAll, destroyed in ~EventLog
  std::atomic<bool> write_failed_{false};          // a write failed; resume before the next
};

}  // namespace engram::log
