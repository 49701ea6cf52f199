// EventLog::CheckErased: the proof an erasure ran to completion.
#include <rocksdb/db.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/utilities/debug.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>

#include "log/event_log.h"

namespace engram::log {
namespace {

// The first needle `haystack` contains, or nullptr.
const std::string* FindNeedle(std::string_view haystack, const std::vector<std::string>& needles) {
  for (const auto& n : needles) {
    if (!n.empty() && haystack.find(n) != std::string_view::npos) return &n;
  }
  return nullptr;
}

bool InRange(std::string_view key, std::string_view begin, std::string_view end) {
  return key >= begin && (end.empty() || key < end);
}

std::string Shown(const std::string& needle) {
  return needle.size() <= 40 ? needle : needle.substr(0, 40) + "...";
}

}  // namespace

Status EventLog::CheckErased(std::string_view begin, std::string_view end, const std::vector<std::string>& needles,
                             const std::vector<std::pair<std::string, std::string>>& gone,
                             uint64_t* files_checked) const {
  *files_checked = 0;
  auto in_gone = [&](std::string_view key) {
    for (const auto& [b, e] : gone) {
      if (InRange(key, b, e)) return true;
    }
    return false;
  };
  // Every version of every key of the range, as the database holds them.
  const rocksdb::Slice b(begin.data(), begin.size()), e(end.data(), end.size());
  for (int i = 0; i < static_cast<int>(Cf::kCount); ++i) {
    rocksdb::ColumnFamilyHandle* cf = Handle(static_cast<Cf>(i));
    if (cf == nullptr) continue;
    std::vector<rocksdb::KeyVersion> versions;
    rocksdb::Status s = rocksdb::GetAllKeyVersions(db_.get(), cf, b, e, std::numeric_limits<size_t>::max(), &versions);
    if (!s.ok()) return Status::IOError("check erasure: read every key version of " + std::string(CfName(static_cast<Cf>(i))) + ": " + s.ToString());
    for (const auto& v : versions) {
      if (!InRange(v.user_key, begin, end)) continue;  // GetAllKeyVersions' end is inclusive
      if (const std::string* n = FindNeedle(v.value, needles); n != nullptr) {
        return Status::Internal("erasure incomplete: a version of a key in " + std::string(CfName(static_cast<Cf>(i))) +
                                " still holds '" + Shown(*n) + "'");
      }
      if (v.type == 1 /* kTypeValue */ && in_gone(v.user_key)) {
        return Status::Internal("erasure incomplete: a forgotten key of " + std::string(CfName(static_cast<Cf>(i))) +
                                " still has a value");
      }
    }
  }
  // Every file of the folder.
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(path_, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    // Never open LOCK: RocksDB holds the store with a POSIX record lock on
    // it, and closing any descriptor of that file releases every such lock
    // of this process, which would let another process open the store for
    // writing beside this one. RocksDB writes nothing into it.
    if (entry.path().filename() == "LOCK") continue;
    const std::string file = entry.path().string();
    ++*files_checked;
    if (entry.path().extension() == ".sst") {
      rocksdb::Options options;
      rocksdb::SstFileReader reader(options);
      rocksdb::Status s = reader.Open(file);
      if (!s.ok()) {
        // Deleted meanwhile (a background compaction replaced it): nothing to check.
        if (!std::filesystem::exists(entry.path())) continue;
        return Status::IOError("check erasure: open table file '" + file + "': " + s.ToString());
      }
      rocksdb::ReadOptions ro;
      ro.verify_checksums = true;
      std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(ro));
      for (it->Seek(b); it->Valid() && InRange(it->key().ToStringView(), begin, end); it->Next()) {
        if (const std::string* n = FindNeedle(it->value().ToStringView(), needles); n != nullptr) {
          return Status::Internal("erasure incomplete: table file '" + file + "' still holds '" + Shown(*n) + "'");
        }
        if (in_gone(it->key().ToStringView())) {
          return Status::Internal("erasure incomplete: table file '" + file + "' still holds a forgotten key");
        }
      }
      if (!it->status().ok()) return Status::IOError("check erasure: read '" + file + "': " + it->status().ToString());
      continue;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      if (!std::filesystem::exists(entry.path())) continue;
      return Status::IOError("check erasure: cannot read '" + file + "'");
    }
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (const std::string* n = FindNeedle(bytes, needles); n != nullptr) {
      return Status::Internal("erasure incomplete: file '" + file + "' still holds '" + Shown(*n) + "'");
    }
  }
  if (ec) return Status::IOError("check erasure: list '" + path_ + "': " + ec.message());
  return Status::OK();
}

}  // namespace engram::log
