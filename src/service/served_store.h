// A Store that works through the engram process holding a store folder
// (`engram serve`, or an `engram mcp` holding it): each call is one request
// to the HTTP API that process serves on the folder's unix socket
// (DIR/engram.sock). This is how the CLI's writing commands and
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

// Connects to the process holding `store_path` (engram serve, or an engram
// mcp holding it). Unavailable when nothing answers on its socket (none, or
// one that is stopping).
Result<std::unique_ptr<Store>> ConnectToServe(const std::string& store_path, const ServedStoreOptions& options = {});

// True for the Unavailable of a call that never reached the holder (no
// socket, or nobody accepting on it): nothing was done, so the call may be
// made again elsewhere. A holder that went away mid-call is a different
// Unavailable: the call may have been carried out.
bool IsHolderGone(const Status& status);

}  // namespace engram::service
