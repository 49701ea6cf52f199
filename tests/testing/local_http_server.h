// LocalHttpServer: a real cpp-httplib server on 127.0.0.1 (any free port),
// run on its own thread, for tests of engram's HTTP clients.
//
// Usage: register handlers on http(), then Start(); the destructor stops the
// server and joins the thread.
//
// Thread safety: register handlers before Start(); handlers run on the
// server's worker threads, so state they share with the test must be atomic
// or locked.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <thread>

#include "common/httplib_config.h"

namespace engram::testing {

class LocalHttpServer {
 public:
  LocalHttpServer() { port_ = server_.bind_to_any_port("127.0.0.1"); }
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;
  ~LocalHttpServer() {
    // httplib only closes its listening socket from a running accept loop;
    // a bound but never started server would otherwise keep accepting
    // connections into the backlog forever.
    if (!thread_.joinable() && port_ > 0) Start();
    Stop();
  }

  httplib::Server& http() { return server_; }

  // False when no port could be bound.
  bool Start() {
    if (port_ <= 0) return false;
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until the accept loop runs, so wait for it.
    for (int i = 0; i < 2000 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return server_.is_running();
  }

  void Stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }

  int port() const { return port_; }

  // "http://127.0.0.1:<port><path>".
  std::string Url(std::string_view path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

 private:
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
};

}  // namespace engram::testing
