// A store's RocksDB database opened directly, with every column family it
// holds: for tests that inspect, rewrite or damage what engram wrote while
// engram has the store closed.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/db.h>

namespace engram::testing {

class RawStore {
 public:
  // nullptr (and *error set) when the database does not open.
  static std::unique_ptr<RawStore> Open(const std::string& path, bool read_only, std::string* error) {
    auto raw = std::unique_ptr<RawStore>(new RawStore());
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &raw->names_);
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& name : raw->names_) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* db = nullptr;
    if (s.ok()) {
      s = read_only ? rocksdb::DB::OpenForReadOnly(rocksdb::Options(), path, descriptors, &raw->handles_, &db)
                    : rocksdb::DB::Open(rocksdb::Options(), path, descriptors, &raw->handles_, &db);
    }
    if (!s.ok()) {
      *error = s.ToString();
      return nullptr;
    }
    raw->db_.reset(db);
    return raw;
  }

  ~RawStore() {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    if (db_) db_->Close().PermitUncheckedError();
  }
  RawStore(const RawStore&) = delete;
  RawStore& operator=(const RawStore&) = delete;

  rocksdb::DB& db() { return *db_; }
  const std::vector<std::string>& names() const { return names_; }
  // The handle of column family `name`, nullptr when the store has none.
  rocksdb::ColumnFamilyHandle* cf(std::string_view name) const {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return handles_[i];
    }
    return nullptr;
  }

 private:
  RawStore() = default;
  std::vector<std::string> names_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace engram::testing
