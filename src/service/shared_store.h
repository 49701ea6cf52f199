// A Store for a process that shares its store folder with other engram
// processes (several `engram mcp`, one per MCP client, beside `engram serve`
// and the CLI). RocksDB lets one process hold a store for writing; the one
// that does also serves the store's HTTP API on the folder's unix socket
// (StoreSocket), and every other works through that socket (ServedStore).
// When the holder exits, the next call of a process working through it
// takes the store over: it opens the store itself and serves the socket in
// turn (or, if another process was quicker, works through that one's).
//
// Only calls that never reached the old holder are made again after a
// handover (IsHolderGone); a holder that went away mid-call leaves that
// call's error to the caller, since it may have been carried out.
//
// Thread safety: safe for concurrent use; a handover waits for nothing but
// the open of the store.
#pragma once

#include <memory>
#include <string>

#include "engram/options.h"
#include "engram/store.h"
#include "service/served_store.h"

namespace engram::service {

struct SharedStoreOptions {
  // How to open the store when this process holds it.
  Options store;
  // How to reach the holder otherwise.
  ServedStoreOptions served;
};

// Holds `path` when no other process does (creating it as options.store
// says), else works through the holder's socket. FailedPrecondition naming
// the holder when it holds the store but serves no socket (a program
// linking the library).
Result<std::unique_ptr<Store>> OpenSharedStore(const std::string& path, const SharedStoreOptions& options);

// Whether `store` (from OpenSharedStore) holds its folder now, or works
// through another process.
bool HoldsStore(Store& store);

}  // namespace engram::service
