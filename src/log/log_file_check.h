// Verifies RocksDB's log-format files (write-ahead logs "*.log" and
// "MANIFEST-*") record by record, without RocksDB: 32 KiB blocks of
// fragments, each with a masked CRC-32C over its type and payload.
//
// RocksDB reports a corrupt log record without naming the file; engram uses
// this check to say which file is damaged and where, and `engram check`
// uses it to verify every log file of a store.
//
// Thread safety: pure functions over files.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engram/status.h"

namespace engram::log {

struct LogFileDamage {
  uint64_t offset = 0;  // byte offset of the bad fragment
  std::string reason;   // "checksum mismatch", "bad record length", ...
};

struct LogFileReport {
  std::string path;
  uint64_t bytes = 0;
  uint64_t records = 0;    // whole records that verified
  bool torn_tail = false;  // the file ends inside a record (a crash mid-write; recovered)
  std::vector<LogFileDamage> damage;
  bool ok() const { return damage.empty(); }
};

// Reads every record of the log-format file at `path`. `on_record` (may be
// empty) receives each verified record's payload. Damage is reported and
// reading resumes at the next block, as RocksDB's own reader does. Fails
// only when the file cannot be read at all.
Result<LogFileReport> CheckLogFile(const std::string& path,
                                   const std::function<void(std::string_view record)>& on_record = {});

}  // namespace engram::log
