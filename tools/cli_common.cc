#include <cstdio>
#include <cstdlib>

#include "cli.h"
#include "service/served_store.h"

namespace engram::cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case Status::Code::kOk: return kExitOk;
    case Status::Code::kInvalidArgument:
    case Status::Code::kNotFound:
    case Status::Code::kAlreadyExists:
    case Status::Code::kFailedPrecondition:
    case Status::Code::kNotSupported: return kExitBadInput;
    default: return kExitStorage;
  }
}

int Fail(const Status& status) {
  std::fprintf(stderr, "engram: %s\n", Printable(status.message()).c_str());
  return ExitCodeFor(status);
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& path, bool log_only, bool create_if_missing,
                                         bool read_only) {
  Options options;
  options.read_only = read_only;
  options.log_only = log_only;
  options.create_if_missing = create_if_missing;
  // The library's open errors name the store already.
  auto store = Store::Open(options, path);
  if (store.ok() || read_only || store.status().code() != Status::Code::kFailedPrecondition ||
      store.status().message().find("in use by another process") == std::string::npos) {
    return store;
  }
  // Another process holds the store: if it is an engram process serving
  // the store's socket (serve, mcp), work through that, so the write lands
  // in the store it holds.
  service::ServedStoreOptions served;
  if (const char* token = std::getenv("ENGRAM_TOKEN"); token != nullptr) served.token = token;
  auto remote = service::ConnectToServe(path, served);
  if (!remote.ok()) return store.status();
  std::fprintf(stderr, "engram: store '%s' is held by another engram process; working through %s\n", Printable(path).c_str(),
               Printable(service::ServeSocketPath(path)).c_str());
  return remote;
}

}  // namespace engram::cli
