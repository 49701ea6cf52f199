// HttpApi: engram's JSON HTTP API over one Store (docs/http-api.md), on
// cpp-httplib. Mount registers every route on an httplib::Server; the caller
// owns the server (listen, stop) and the Store, which must outlive it.
//
// Every request is checked in this order: the concurrency limit (429 with
// Retry-After when saturated), the bearer token (401), the caller's access
// to the tenant in the path (403), then the route's own input (400, 413).
// Every error is a JSON body {"error": {"code", "status", "message"}}; the
// mapping from engram Status codes to HTTP is HttpStatusFor, in one place.
//
// Thread safety: the routes run on the server's worker threads at once; the
// Store is safe for that, and HttpApi's own state (metrics, the in-flight
// count, the draining flag) is synchronised.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/httplib_config.h"
#include "engram/store.h"
#include "service/access.h"
#include "service/metrics.h"
#include "service/tokens.h"

namespace engram::service {

struct HttpLimits {
  size_t max_body_bytes = 8 << 20;  // larger bodies: 413
  size_t max_batch_turns = 1000;    // more turns in one POST .../turns: 413
  int request_timeout_s = 30;       // socket read and write timeouts of one request
  size_t max_concurrent = 64;       // requests served at once; more: 429
  int retry_after_s = 1;            // Retry-After sent with 429 and 503
};

struct HttpApiOptions {
  HttpLimits limits;
  // The callers and what each may do; nullptr = no token file: every caller
  // is Access::Local() (serve then listens on loopback only).
  std::shared_ptr<const Tokens> tokens;
  // The store's folder: /readyz checks it is still writable.
  std::string store_path;
  // One spdlog line per request on stderr (method, route, tenant, status,
  // ms, principal).
  bool access_log = true;
};

// The HTTP status for an engram Status (OK -> 200).
int HttpStatusFor(const Status& status);
// The stable error code of an HTTP error status ("not_found" for 404).
const char* ErrorCodeFor(int http_status);
// {"error": {"code": ErrorCodeFor(status), "status": status, "message": message}}.
std::string ErrorBody(int http_status, std::string_view message);

class HttpApi {
 public:
  HttpApi(Store& store, HttpApiOptions options);
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  // Registers the routes, the JSON error handler, the body limit and the
  // timeouts on `server`.
  void Mount(httplib::Server& server);

  // Who sent `request`: its Authorization: Bearer token looked up in the
  // token file (Access::Local() without one). An error (missing header,
  // unknown token) means HTTP 401; its message says which.
  Result<Access> Authenticate(const httplib::Request& request) const;

  // From now on /readyz answers 503 (the server is shutting down).
  void SetDraining() { draining_.store(true); }

  // A request slot under HttpLimits::max_concurrent: false when every slot
  // is taken. Every route takes one while it runs (health, readiness and
  // metrics excepted); exposed so a caller can reserve capacity.
  bool TryAcquireSlot();
  void ReleaseSlot();
  size_t InFlight() const { return in_flight_.load(); }

  Metrics& metrics() { return metrics_; }
  const HttpLimits& limits() const { return options_.limits; }

 private:
  struct Call;
  enum class Need { kNothing, kRead, kWrite, kAdmin };
  using Handler = std::function<Status(Call&)>;

  // Registers `handler` for `method` on `pattern` ("/v1/tenants/{tenant}/turns/{id}";
  // each {name} matches one path segment). `limited` routes take a request slot.
  void Route(httplib::Server& server, const std::string& method, const std::string& pattern, Need need,
             Handler handler, bool limited = true);
  void Finish(const httplib::Request& req, httplib::Response& res, const std::string& method,
              const std::string& route, const std::string& tenant, const std::string& principal, double seconds);

  Status Observe(Call& call);
  Status Recall(Call& call);
  Status RecallContext(Call& call);
  Status Profile(Call& call);
  Status Graph(Call& call);
  Status Stats(Call& call);
  Status ListTenants(Call& call);
  Status Export(Call& call);
  Status ForgetTenant(Call& call);
  Status ListTurns(Call& call);
  Status GetTurn(Call& call);
  Status ForgetTurn(Call& call);
  Status UpdateTurn(Call& call);
  Status TurnHistory(Call& call);
  Status RememberFact(Call& call);
  Status ForgetFact(Call& call);
  Status RememberRelation(Call& call);
  Status ForgetRelation(Call& call);
  Status CoreMemory(Call& call);
  Status CoreBlock(Call& call);
  Status SetCoreBlock(Call& call, bool append);
  Status Ready(Call& call);
  Status MetricsText(Call& call);

  Store& store_;
  HttpApiOptions options_;
  Metrics metrics_;
  std::atomic<size_t> in_flight_{0};
  std::atomic<bool> draining_{false};
};

}  // namespace engram::service
