// A Store that works through a running `engram serve` of the same store
// folder: each call is one request to serve's HTTP API on the folder's unix
// socket (DIR/engram.sock). This is how the CLI's writing commands and
// `engram mcp` share a store that serve holds (RocksDB lets one process open
// it for writing): what they write goes through serve, so no write is lost
// and every client sees every other's.
//
// What serve's API does not offer (EventUnits, Summaries, WorkingMemory,
// the enrichment queue, Rebuild) is NotSupported, naming the process to
// stop. Errors come back as serve sent them (400 -> InvalidArgument, 404 ->
// NotFound, 409 -> AlreadyExists or FailedPrecondition, 401/403 ->
// FailedPrecondition naming ENGRAM_TOKEN, 429/503 -> Unavailable, 501 ->
// NotSupported); a serve that stopped answering is Unavailable.
//
// Thread safety: every call opens its own connection; safe for concurrent
// use.
#pragma once

#include <memory>
#include <string>

#include "engram/store.h"

namespace engram::service {

struct ServedStoreOptions {
  // The bearer token sent with every request, when serve was started with
  // --tokens (the CLI takes it from ENGRAM_TOKEN). Empty: none.
  std::string token;
  // Seconds to wait for one reply (a first Recall loads the tenant; a
  // synced forget erases from disk).
  int timeout_s = 600;
};

// The socket `engram serve --store store_path` listens on.
std::string ServeSocketPath(const std::string& store_path);

// Connects to the serve holding `store_path`. Unavailable when nothing
// answers on its socket (no serve, or one that is stopping).
Result<std::unique_ptr<Store>> ConnectToServe(const std::string& store_path, const ServedStoreOptions& options = {});

}  // namespace engram::service
