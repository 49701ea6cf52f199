// What a store folder holds, read from the file names alone: RocksDB's
// CURRENT and MANIFEST files, table files (*.sst) and write-ahead logs
// (*.log). Used to refuse creating a store over the remains of one, to name
// damaged files, and by `engram check` / `engram salvage`.
//
// Thread safety: pure functions over the file system.
#pragma once

#include <string>
#include <vector>

#include "engram/status.h"

namespace engram::log {

struct StoreFolder {
  std::string path;
  bool exists = false;
  std::string current_manifest;           // the MANIFEST named by CURRENT ("" when CURRENT is absent)
  bool current_valid = false;             // CURRENT names a MANIFEST that exists
  std::vector<std::string> manifests;     // every MANIFEST-* file
  std::vector<std::string> table_files;   // *.sst
  std::vector<std::string> wal_files;     // <number>.log
  std::vector<std::string> other_files;   // LOCK, LOG*, OPTIONS-*, IDENTITY, ...

  // True when the folder holds data a store wrote (tables or logs).
  bool HasData() const { return !table_files.empty() || !wal_files.empty(); }
};

// Lists `path` (an absent folder is not an error: exists = false).
Result<StoreFolder> InspectStoreFolder(const std::string& path);

// Verifies the checksum of every block of one table file (*.sst) and
// counts its entries into *entries.
Status VerifyTableFile(const std::string& file, uint64_t* entries);

// The process that holds the store's LOCK file, as "pid 1234 (engram)", or
// "" when no other process holds it (or it cannot be told). Never call it
// in a process that holds the store: closing any descriptor of LOCK drops
// that process's POSIX lock on it, and with it RocksDB's hold on the store.
std::string LockHolder(const std::string& path);

}  // namespace engram::log
