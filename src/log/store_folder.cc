#include "log/store_folder.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>

namespace engram::log {
namespace {

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

Result<StoreFolder> InspectStoreFolder(const std::string& path) {
  namespace fs = std::filesystem;
  StoreFolder folder;
  folder.path = path;
  std::error_code ec;
  if (!fs::exists(path, ec)) return folder;
  if (!fs::is_directory(path, ec)) return Status::InvalidArgument("store path '" + path + "' is not a folder");
  folder.exists = true;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("MANIFEST-", 0) == 0) {
      folder.manifests.push_back(name);
    } else if (EndsWith(name, ".sst")) {
      folder.table_files.push_back(name);
    } else if (EndsWith(name, ".log") && AllDigits(std::string_view(name).substr(0, name.size() - 4))) {
      folder.wal_files.push_back(name);
    } else if (name != "CURRENT") {
      folder.other_files.push_back(name);
    }
  }
  if (ec) return Status::IOError("cannot list store folder '" + path + "': " + ec.message());
  for (auto* v : {&folder.manifests, &folder.table_files, &folder.wal_files, &folder.other_files}) {
    std::sort(v->begin(), v->end());
  }
  std::ifstream current(path + "/CURRENT");
  if (current) {
    std::getline(current, folder.current_manifest);
    if (folder.current_manifest.empty()) folder.current_manifest = "(empty)";
    folder.current_valid = std::find(folder.manifests.begin(), folder.manifests.end(), folder.current_manifest) !=
                           folder.manifests.end();
  }
  return folder;
}

Status VerifyTableFile(const std::string& file, uint64_t* entries) {
  rocksdb::Options options;
  rocksdb::SstFileReader reader(options);
  rocksdb::Status s = reader.Open(file);
  if (s.ok()) s = reader.VerifyChecksum();
  if (s.ok()) {
    rocksdb::ReadOptions ro;
    std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(ro));
    uint64_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    s = it->status();
    if (s.ok() && entries) *entries += n;
  }
  if (s.ok()) return Status::OK();
  return s.IsCorruption() ? Status::Corruption(s.ToString()) : Status::IOError(s.ToString());
}

std::string LockHolder(const std::string& path) {
  const std::string lock = path + "/LOCK";
  int fd = ::open(lock.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return "";
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  std::string holder;
  if (::fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK && fl.l_pid > 0) {
    holder = "pid " + std::to_string(fl.l_pid);
    std::ifstream comm("/proc/" + std::to_string(fl.l_pid) + "/comm");
    std::string name;
    if (comm && std::getline(comm, name) && !name.empty()) holder += " (" + name + ")";
  }
  ::close(fd);
  return holder;
}

}  // namespace engram::log
