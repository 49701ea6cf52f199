#include <cstdio>

#include "cli.h"

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
  return Store::Open(options, path);
}

}  // namespace engram::cli
