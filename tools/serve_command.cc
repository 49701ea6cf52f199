// serve: the JSON HTTP API over a store (docs/http-api.md), until SIGTERM or
// SIGINT: then it stops accepting, finishes the requests in flight, closes
// the store and exits 0.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <thread>

#include "cli.h"
#include "common/httplib_config.h"
#include "service/http_api.h"
#include "service/mcp_http.h"
#include "service/mcp_server.h"
#include "service/store_socket.h"
#include "service/tokens.h"

namespace engram::cli {
namespace {

// The signal that asked serve to stop (0: none yet).
std::atomic<int> g_signal{0};

struct ServeArgs {
  std::string store, listen = "127.0.0.1:8080", tokens;
  size_t max_body_bytes = service::HttpLimits{}.max_body_bytes;
  size_t max_batch_turns = service::HttpLimits{}.max_batch_turns;
  int request_timeout_s = service::HttpLimits{}.request_timeout_s;
  size_t max_concurrent = service::HttpLimits{}.max_concurrent;
  size_t threads = 0;  // 0: max_concurrent + 16
  bool no_access_log = false;
};

// "127.0.0.1:8080" -> ("127.0.0.1", 8080); "[::1]:8080" -> ("::1", 8080).
Status ParseListen(const std::string& text, std::string* host, int* port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return Status::InvalidArgument("--listen '" + text + "' is not HOST:PORT (e.g. 127.0.0.1:8080)");
  }
  *host = text.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  const std::string digits = text.substr(colon + 1);
  if (digits.size() > 5 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoi(digits) > 65535) {
    return Status::InvalidArgument("--listen '" + text + "': port '" + digits + "' is not 0..65535");
  }
  *port = std::stoi(digits);
  return Status::OK();
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

int RunServe(const ServeArgs& a) {
  std::string host;
  int port = 0;
  if (Status s = ParseListen(a.listen, &host, &port); !s.ok()) {
    std::fprintf(stderr, "engram: %s\n", Printable(s.message()).c_str());
    return kExitUsage;
  }
  std::shared_ptr<const service::Tokens> tokens;
  if (!a.tokens.empty()) {
    auto loaded = service::Tokens::Load(a.tokens);
    if (!loaded.ok()) return Fail(loaded.status());
    tokens = std::make_shared<const service::Tokens>(std::move(*loaded));
  } else if (!IsLoopback(host)) {
    std::fprintf(stderr,
                 "engram: --listen %s is not a loopback address and there is no --tokens file: anyone who can "
                 "reach it would have full access; give --tokens FILE (docs/http-api.md) or listen on 127.0.0.1\n",
                 Printable(a.listen).c_str());
    return kExitUsage;
  } else {
    std::fprintf(stderr, "engram: no --tokens: listening on loopback only, every local caller has full access\n");
  }

  // SIGTERM and SIGINT only set a flag (any thread may take them: some
  // libraries start threads before main); a watcher thread acts on it.
  struct sigaction action {};
  action.sa_handler = [](int sig) { g_signal.store(sig); };
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  auto store = OpenStore(a.store, /*log_only=*/false, /*create_if_missing=*/true);
  if (!store.ok()) return Fail(store.status());

  service::HttpApiOptions options;
  options.limits.max_body_bytes = a.max_body_bytes;
  options.limits.max_batch_turns = a.max_batch_turns;
  options.limits.request_timeout_s = a.request_timeout_s;
  options.limits.max_concurrent = a.max_concurrent;
  options.tokens = tokens;
  options.store_path = a.store;
  options.access_log = !a.no_access_log;
  service::HttpApi api(**store, options);

  httplib::Server server;
  // Beyond max_concurrent requests the API answers 429 at once; the extra
  // threads are there so that answer is not queued behind busy connections.
  const size_t threads = a.threads != 0 ? a.threads : a.max_concurrent + 16;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  api.Mount(server);

  // MCP over streamable HTTP at /mcp: the same server, port and tokens.
  service::McpServerOptions mcp_options;
  mcp_options.server_version = ENGRAM_VERSION;
  service::McpServer mcp(**store, mcp_options);
  service::MountMcp(server, mcp, [&api](const httplib::Request& r) { return api.Authenticate(r); });

  if (port == 0) {
    port = server.bind_to_any_port(host);
    if (port < 0) {
      std::fprintf(stderr, "engram: cannot listen on %s: no free port\n", Printable(host).c_str());
      return kExitStorage;
    }
  } else if (!server.bind_to_port(host, port)) {
    std::fprintf(stderr, "engram: cannot listen on %s (in use, or not an address of this machine)\n",
                 Printable(a.listen).c_str());
    return kExitStorage;
  }
  // The same API on DIR/engram.sock (mode 0600), for other processes of this
  // machine's user while serve holds the store (the CLI and `engram mcp` use
  // it by themselves).
  auto local = service::StoreSocket::Start(api, a.store);
  if (local.ok()) {
    std::fprintf(stderr, "engram: also serving on unix socket %s\n", Printable((*local)->path()).c_str());
  } else {
    std::fprintf(stderr, "engram: warning: %s; serving TCP only\n", Printable(local.status().message()).c_str());
  }
  std::fflush(stderr);

  std::fprintf(stderr, "engram: serving %s on http://%s:%d (%s)\n", Printable(a.store).c_str(),
               host.find(':') != std::string::npos ? ("[" + host + "]").c_str() : host.c_str(), port,
               tokens ? (std::to_string(tokens->size()) + " tokens").c_str() : "no tokens");
  std::fflush(stderr);

  std::atomic<bool> stopped{false};
  bool tcp_stopped = false;
  std::thread watcher([&] {
    bool announced = false;
    while (!stopped.load()) {
      if (const int sig = g_signal.load(); sig != 0) {
        if (!announced) {
          std::fprintf(stderr, "engram: %s: finishing the requests in flight\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
          api.SetDraining();
          announced = true;
        }
        // stop() acts only on a running accept loop, so it waits for that.
        if (!tcp_stopped && server.is_running()) {
          server.stop();
          tcp_stopped = true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  // Returns once stopped and every worker has finished its request.
  const bool listened = server.listen_after_bind();
  stopped.store(true);
  watcher.join();
  // The socket's requests in flight finish too; then its file goes.
  if (local.ok()) (*local)->Stop();
  // Closing the store flushes what was written; acknowledged writes are in
  // its log already.
  store->reset();
  if (!listened) {
    std::fprintf(stderr, "engram: the server's listening socket failed; the store is closed\n");
    return kExitStorage;
  }
  std::fprintf(stderr, "engram: stopped; the store is closed\n");
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<ServeArgs>();
  CLI::App* serve = app.add_subcommand("serve", "serve the store over a JSON HTTP API (docs/http-api.md)");
  serve->add_option("--store", a->store, "store folder (created if missing)")->required();
  serve->add_option("--listen", a->listen, "HOST:PORT to listen on (port 0: any free port)")
      ->default_str("127.0.0.1:8080");
  serve->add_option("--tokens", a->tokens, "token file: who may read and write which tenants")
      ->check(CLI::ExistingFile);
  serve->add_option("--max-body-bytes", a->max_body_bytes, "larger request bodies get 413")
      ->check(InRange(1024, int64_t{1} << 32))
      ->default_str(std::to_string(a->max_body_bytes));
  serve->add_option("--max-batch-turns", a->max_batch_turns, "more turns in one request get 413")
      ->check(InRange(1, 100000))
      ->default_str(std::to_string(a->max_batch_turns));
  serve->add_option("--request-timeout", a->request_timeout_s, "seconds to read a request or write a reply")
      ->check(InRange(1, 3600))
      ->default_str(std::to_string(a->request_timeout_s));
  serve->add_option("--max-concurrent", a->max_concurrent, "requests served at once; more get 429")
      ->check(InRange(1, 10000))
      ->default_str(std::to_string(a->max_concurrent));
  serve->add_option("--threads", a->threads, "worker threads (default max-concurrent + 16)")
      ->check(InRange(1, 10000));
  serve->add_flag("--no-access-log", a->no_access_log, "no per-request log line on stderr");
  serve->callback([=]() { *exit_code = RunServe(*a); });
}

}  // namespace engram::cli
