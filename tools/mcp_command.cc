// engram mcp: the store as a Model Context Protocol server, over stdio
// (newline-delimited JSON-RPC on standard input and output) or, with --http,
// over streamable HTTP at /mcp. Logs go to standard error only; SIGTERM,
// SIGINT and the end of standard input stop the server and close the store.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "common/httplib_config.h"
#include "service/mcp_http.h"
#include "service/mcp_server.h"
#include "service/shared_store.h"

#ifndef ENGRAM_VERSION
#error "ENGRAM_VERSION (the project version) is defined by CMakeLists.txt"
#endif

namespace engram::cli {
namespace {

using nlohmann::json;

// A line longer than this is answered with a parse error and skipped.
constexpr size_t kMaxLineBytes = 16u << 20;
// Connections the HTTP server serves at once.
constexpr size_t kHttpWorkers = 64;

struct McpArgs {
  std::string store;
  std::string tenant = "default";
  std::string http;  // HOST:PORT; empty = stdio
};

// Turns SIGTERM, SIGINT and SIGHUP into a call of `on_stop` on a thread of
// its own: the handler only writes the signal number to a pipe (what a
// signal handler may do), whichever thread the signal lands on (libraries
// such as OpenBLAS start threads before main, so masking cannot catch it).
int g_signal_pipe[2] = {-1, -1};

extern "C" void OnStopSignal(int sig) {
  unsigned char byte = static_cast<unsigned char>(sig);
  (void)!write(g_signal_pipe[1], &byte, 1);
}

class StopSignals {
 public:
  StopSignals() {
    signal(SIGPIPE, SIG_IGN);  // a client gone mid-write is an error return, not a kill
    if (pipe(g_signal_pipe) != 0) return;
    struct sigaction action {};
    action.sa_handler = OnStopSignal;
    sigemptyset(&action.sa_mask);
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &action, nullptr);
  }
  ~StopSignals() {
    StopWaiting();
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) signal(sig, SIG_DFL);
  }
  // Ends the waiter (before what on_stop touches goes away).
  void StopWaiting() {
    if (waiter_.joinable()) {
      unsigned char zero = 0;  // wakes the waiter without a stop
      (void)!write(g_signal_pipe[1], &zero, 1);
      waiter_.join();
    }
  }
  template <typename F>
  void OnStop(F on_stop) {
    waiter_ = std::thread([on_stop]() {
      unsigned char byte = 0;
      while (read(g_signal_pipe[0], &byte, 1) < 0 && errno == EINTR) {
      }
      if (byte == 0) return;
      std::fprintf(stderr, "engram: %s: stopping the MCP server\n", strsignal(byte));
      on_stop();
    });
  }

 private:
  std::thread waiter_;
};

bool WriteAll(int fd, const std::string& data) {
  size_t at = 0;
  while (at < data.size()) {
    ssize_t n = write(fd, data.data() + at, data.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    at += static_cast<size_t>(n);
  }
  return true;
}

int RunStdio(service::McpServer& mcp, StopSignals& signals) {
  int stop_pipe[2];
  if (pipe(stop_pipe) != 0) return Fail(Status::IOError("pipe: " + std::string(strerror(errno))));
  // The pipe stays open until exit: the waiter may still write to it.
  signals.OnStop([fd = stop_pipe[1]]() {
    char c = 1;
    (void)!write(fd, &c, 1);
  });
  const service::Access access = service::Access::Local();
  service::McpSession session;
  std::string buffer;
  bool skipping = false;  // inside an over-long line
  char chunk[65536];
  auto handle_line = [&](std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) return true;
    auto reply = mcp.HandleText(line, access, session);
    if (!reply) return true;
    return WriteAll(1, reply->dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
  };
  while (true) {
    pollfd fds[2] = {{0, POLLIN, 0}, {stop_pipe[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents != 0) break;  // a stop signal
    if (fds[0].revents == 0) continue;
    ssize_t n = read(0, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end of input: the client is gone
    buffer.append(chunk, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n', start)) {
      bool was_skipping = skipping;
      skipping = false;
      if (!was_skipping && !handle_line(buffer.substr(start, nl - start))) {
        buffer.clear();
        start = 0;
        goto out;  // standard output is closed
      }
      start = nl + 1;
    }
    buffer.erase(0, start);
    if (buffer.size() > kMaxLineBytes) {
      auto error = service::McpServer::ErrorResponse(
          nullptr, service::McpServer::kParseError,
          "parse error: a message longer than " + std::to_string(kMaxLineBytes) + " bytes was skipped");
      if (!WriteAll(1, error.dump() + "\n")) break;
      buffer.clear();
      skipping = true;
    }
  }
out:
  signals.StopWaiting();
  return kExitOk;
}

int RunHttp(service::McpServer& mcp, const std::string& address, StopSignals& signals) {
  size_t colon = address.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    try {
      port = std::stoi(address.substr(colon + 1));
    } catch (...) {
    }
  }
  if (colon == std::string::npos || colon == 0 || port < 0 || port > 65535) {
    return Fail(Status::InvalidArgument("--http '" + address + "' is not HOST:PORT (e.g. 127.0.0.1:8765)"));
  }
  std::string host = address.substr(0, colon);
  httplib::Server server;
  server.set_payload_max_length(kMaxLineBytes);
  // httplib gives each keep-alive connection a worker for as long as it
  // stays open; 8 workers (its default) would make the ninth client wait for
  // one to time out. Without Nagle, small JSON answers leave at once.
  server.new_task_queue = [] { return new httplib::ThreadPool(kHttpWorkers); };
  server.set_tcp_nodelay(true);
  service::MountMcp(server, mcp, [](const httplib::Request&) -> Result<service::Access> {
    return service::Access::Local();
  });
  int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound < 0) return Fail(Status::IOError("cannot listen on " + address + " (in use, or not a local address?)"));
  signals.OnStop([&]() { server.stop(); });
  std::fprintf(stderr, "engram: MCP over streamable HTTP at http://%s:%d/mcp\n", host.c_str(), bound);
  bool ok = server.listen_after_bind();
  signals.StopWaiting();
  return ok ? kExitOk : Fail(Status::IOError("the HTTP server on " + address + " stopped with an error"));
}

int RunMcp(const McpArgs& args) {
  StopSignals signals;  // before the store starts any thread
  // Several MCP clients may each start an `engram mcp` on one store: the
  // first holds it and serves it on DIR/engram.sock, the others work
  // through that socket, and one of them takes over when the holder exits.
  service::SharedStoreOptions shared;
  shared.store.create_if_missing = true;
  if (const char* token = std::getenv("ENGRAM_TOKEN"); token != nullptr) shared.served.token = token;
  auto store = service::OpenSharedStore(args.store, shared);
  if (!store.ok()) return Fail(store.status());
  if (!service::HoldsStore(**store)) {
    std::fprintf(stderr, "engram: store '%s' is held by another engram process; working through %s\n",
                 Printable(args.store).c_str(), Printable(service::ServeSocketPath(args.store)).c_str());
  }
  service::McpServerOptions options;
  options.default_tenant = args.tenant;
  options.server_version = ENGRAM_VERSION;
  service::McpServer mcp(**store, options);
  std::fprintf(stderr, "engram: MCP server on store %s, tenant '%s'\n", Printable(args.store).c_str(),
               Printable(args.tenant).c_str());
  int code = args.http.empty() ? RunStdio(mcp, signals) : RunHttp(mcp, args.http, signals);
  store->reset();  // closed before exit, so every write is flushed
  return code;
}

}  // namespace

void AddMcpCommand(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<McpArgs>();
  auto* mcp = app.add_subcommand("mcp", "serve the store to MCP clients (stdio, or streamable HTTP with --http)");
  mcp->add_option("--store", a->store, "store folder (created when missing)")->required();
  mcp->add_option("--tenant", a->tenant, "tenant of tool calls that name none (default 'default')");
  mcp->add_option("--http", a->http, "serve streamable HTTP at HOST:PORT/mcp instead of stdio (port 0: any free port)");
  mcp->callback([=]() { *exit_code = RunMcp(*a); });
}

}  // namespace engram::cli
