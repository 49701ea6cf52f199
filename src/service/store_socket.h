// StoreSocket: the HTTP API on the unix socket inside a store folder
// (DIR/engram.sock, mode 0600: only this user), served by the process that
// holds the store, so that other processes of the machine reach it there
// (ServedStore: the CLI, `engram mcp`).
//
// Usage: auto socket = StoreSocket::Start(api, store_path); ... the
// destructor stops accepting, finishes the requests in flight and removes
// the socket file.
//
// Thread safety: Start and the destructor from one thread; the API's
// handlers run on the socket's own worker threads.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "common/httplib_config.h"
#include "engram/status.h"
#include "service/http_api.h"

namespace engram::service {

class StoreSocket {
 public:
  // Listens on ServeSocketPath(store_path) with `api` mounted. The caller
  // holds the store, so no other process serves this folder: a socket file
  // left by a killed one is replaced. IOError when the socket cannot be made
  // (a path over the system's 108-byte limit, a read-only folder).
  static Result<std::unique_ptr<StoreSocket>> Start(HttpApi& api, const std::string& store_path);

  ~StoreSocket();
  StoreSocket(const StoreSocket&) = delete;
  StoreSocket& operator=(const StoreSocket&) = delete;

  const std::string& path() const { return path_; }
  // Stops accepting; requests in flight finish. The destructor does it too.
  void Stop();

 private:
  explicit StoreSocket(std::string path) : path_(std::move(path)) {}

  std::string path_;
  httplib::Server server_;
  std::thread thread_;
  bool stopped_ = false;
};

}  // namespace engram::service
