#include "service/http_api.h"

#include <unistd.h>

#include <chrono>
#include <exception>
#include <limits>
#include <regex>
#include <set>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "common/closest_names.h"
#include "common/time_format.h"
#include "common/utf8.h"
#include "service/http_json.h"
#include "service/openapi.h"
#include "store/conversation_io.h"

namespace engram::service {

using nlohmann::json;

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case Status::Code::kOk: return 200;
    case Status::Code::kInvalidArgument: return 400;
    case Status::Code::kNotFound: return 404;
    case Status::Code::kAlreadyExists: return 409;
    case Status::Code::kFailedPrecondition: return 409;
    case Status::Code::kNotSupported: return 501;
    case Status::Code::kUnavailable: return 503;
    case Status::Code::kCorruption:
    case Status::Code::kIOError:
    case Status::Code::kInternal: return 500;
  }
  return 500;
}

const char* ErrorCodeFor(int http_status) {
  switch (http_status) {
    case 400: return "invalid_argument";
    case 401: return "unauthenticated";
    case 403: return "permission_denied";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 408: return "request_timeout";
    case 409: return "conflict";
    case 413: return "payload_too_large";
    case 414: return "uri_too_long";
    case 429: return "too_many_requests";
    case 501: return "not_supported";
    case 503: return "unavailable";
    default: return http_status >= 500 ? "internal" : "bad_request";
  }
}

std::string ErrorBody(int http_status, std::string_view message) {
  // The message may echo bytes the caller sent; replace invalid UTF-8 rather
  // than fail to serialise the error.
  const json body = {{"error", {{"code", ErrorCodeFor(http_status)}, {"status", http_status}, {"message", message}}}};
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

constexpr const char* kJson = "application/json";

spdlog::logger& AccessLog() {
  static std::shared_ptr<spdlog::logger> log = [] {
    auto l = std::make_shared<spdlog::logger>("engram.http", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %v", spdlog::pattern_time_type::utc);
    return l;
  }();
  return *log;
}

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), kJson);
}

void SendError(httplib::Response& res, int status, std::string_view message) {
  res.status = status;
  res.set_content(ErrorBody(status, message), kJson);
}

// "/v1/tenants/{tenant}/turns/{id}" -> "/v1/tenants/([^/]+)/turns/([^/]+)".
std::string PatternRegex(const std::string& pattern) {
  static const std::regex param(R"(\{[a-z_]+\})");
  return std::regex_replace(pattern, param, "([^/]+)");
}

// --- Reading input ----------------------------------------------------------

Status FieldError(std::string_view field, std::string_view what) {
  return Status::InvalidArgument("field '" + std::string(field) + "' " + std::string(what));
}

Result<json> JsonBody(const httplib::Request& req, bool empty_is_object = false) {
  if (req.body.empty() && empty_is_object) return json::object();
  ENGRAM_RETURN_IF_ERROR(ValidateUtf8(req.body, "request body"));
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return Status::InvalidArgument("the request body is not valid JSON");
  if (!body.is_object()) return Status::InvalidArgument("the request body must be a JSON object");
  return body;
}

// Unknown fields are refused, so a misspelt option does not pass silently.
Status CheckFields(const json& obj, const std::set<std::string>& known, std::string_view where = {}) {
  for (const auto& item : obj.items()) {
    if (known.count(item.key()) == 0) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return Status::InvalidArgument(std::string(where) + "unknown field '" + item.key() + "' (known: " + list + ")");
    }
  }
  return Status::OK();
}

Status GetString(const json& obj, const char* field, bool required, std::string* out) {
  if (!obj.contains(field) || obj[field].is_null()) {
    return required ? FieldError(field, "is required") : Status::OK();
  }
  if (!obj[field].is_string()) return FieldError(field, "must be a string, not " + obj[field].dump());
  *out = obj[field].get<std::string>();
  if (required && out->empty()) return FieldError(field, "is empty");
  return Status::OK();
}

Status GetInt(const json& obj, const char* field, int64_t min, int64_t max, int64_t* out) {
  if (!obj.contains(field) || obj[field].is_null()) return Status::OK();
  if (!obj[field].is_number_integer()) return FieldError(field, "must be an integer, not " + obj[field].dump());
  const int64_t v = obj[field].get<int64_t>();
  if (v < min || v > max) {
    return FieldError(field, std::to_string(v) + " is outside " + std::to_string(min) + ".." + std::to_string(max));
  }
  *out = v;
  return Status::OK();
}

Status GetBool(const json& obj, const char* field, bool* out) {
  if (!obj.contains(field) || obj[field].is_null()) return Status::OK();
  if (!obj[field].is_boolean()) return FieldError(field, "must be true or false, not " + obj[field].dump());
  *out = obj[field].get<bool>();
  return Status::OK();
}

Status GetTime(const json& obj, const char* field, TimeMs* out) {
  std::string text;
  ENGRAM_RETURN_IF_ERROR(GetString(obj, field, false, &text));
  if (text.empty()) return Status::OK();
  auto t = ParseIsoTime(text);
  if (!t.ok()) return FieldError(field, t.status().message());
  *out = *t;
  return Status::OK();
}

Status GetWeight(const json& obj, const char* field, float* out) {
  if (!obj.contains(field) || obj[field].is_null()) return Status::OK();
  if (!obj[field].is_number()) return FieldError(field, "must be a number, not " + obj[field].dump());
  const double v = obj[field].get<double>();
  if (!(v >= 0 && v <= 1)) return FieldError(field, obj[field].dump() + " is outside 0..1");
  *out = static_cast<float>(v);
  return Status::OK();
}

Status GetStringMap(const json& obj, const char* field, std::map<std::string, std::string>* out) {
  if (!obj.contains(field) || obj[field].is_null()) return Status::OK();
  if (!obj[field].is_object()) return FieldError(field, "must be an object of strings");
  for (const auto& item : obj[field].items()) {
    if (!item.value().is_string()) {
      return FieldError(field, "entry '" + item.key() + "' must be a string, not " + item.value().dump());
    }
    (*out)[item.key()] = item.value().get<std::string>();
  }
  return Status::OK();
}

// Query parameters: ?hops=2, ?history=true, ?as_of=2024-03-10.
Status QueryInt(const httplib::Request& req, const char* name, int64_t min, int64_t max, int64_t* out) {
  if (!req.has_param(name)) return Status::OK();
  const std::string v = req.get_param_value(name);
  size_t used = 0;
  int64_t n = 0;
  try {
    n = std::stoll(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v.size()) {
    return Status::InvalidArgument("query parameter '" + std::string(name) + "': '" + v + "' is not an integer");
  }
  if (n < min || n > max) {
    return Status::InvalidArgument("query parameter '" + std::string(name) + "': " + v + " is outside " +
                                   std::to_string(min) + ".." + std::to_string(max));
  }
  *out = n;
  return Status::OK();
}

Status QueryBool(const httplib::Request& req, const char* name, bool* out) {
  if (!req.has_param(name)) return Status::OK();
  const std::string v = req.get_param_value(name);
  if (v == "true" || v == "1" || v.empty()) {
    *out = true;
  } else if (v == "false" || v == "0") {
    *out = false;
  } else {
    return Status::InvalidArgument("query parameter '" + std::string(name) + "': '" + v +
                                   "' is not true or false");
  }
  return Status::OK();
}

Status QueryTime(const httplib::Request& req, const char* name, TimeMs* out) {
  if (!req.has_param(name) || req.get_param_value(name).empty()) return Status::OK();
  auto t = ParseIsoTime(req.get_param_value(name));
  if (!t.ok()) return Status::InvalidArgument("query parameter '" + std::string(name) + "': " + t.status().message());
  *out = *t;
  return Status::OK();
}

// One turn object of the conversation format (docs/conversation-format.md)
// plus "metadata"; its "tenant", when given, must be the path's.
Result<Turn> ParseTurn(const json& obj, const std::string& tenant) {
  if (!obj.is_object()) return Status::InvalidArgument("a turn must be a JSON object");
  ENGRAM_RETURN_IF_ERROR(CheckFields(obj, {"tenant", "session", "time", "speaker", "text", "id", "metadata"}));
  json line = obj;
  line.erase("metadata");
  if (line.contains("tenant")) {
    if (!line["tenant"].is_string() || line["tenant"].get<std::string>() != tenant) {
      return FieldError("tenant", "is " + line["tenant"].dump() + " but the path names tenant '" + tenant +
                                      "'; leave it out or make them agree");
    }
  } else {
    line["tenant"] = tenant;
  }
  auto parsed = ParseTurnLine(line.dump());
  if (!parsed.ok()) return parsed.status();
  Turn turn = std::move(parsed->turn);
  ENGRAM_RETURN_IF_ERROR(GetStringMap(obj, "metadata", &turn.metadata));
  return turn;
}

Status ParseRecallOptions(const json& body, RecallOptions* options) {
  int64_t k = static_cast<int64_t>(options->k);
  ENGRAM_RETURN_IF_ERROR(GetInt(body, "k", 1, 1000, &k));
  options->k = static_cast<size_t>(k);
  ENGRAM_RETURN_IF_ERROR(GetString(body, "route", false, &options->route));
  if (options->route.empty()) options->route = "auto";
  ENGRAM_RETURN_IF_ERROR(GetString(body, "speaker", false, &options->speaker));
  ENGRAM_RETURN_IF_ERROR(GetString(body, "session", false, &options->session));
  ENGRAM_RETURN_IF_ERROR(GetString(body, "asking_user", false, &options->asking_user));
  ENGRAM_RETURN_IF_ERROR(GetString(body, "agent_name", false, &options->agent_name));
  ENGRAM_RETURN_IF_ERROR(GetWeight(body, "lexical_weight", &options->lexical_weight));
  ENGRAM_RETURN_IF_ERROR(GetWeight(body, "vector_weight", &options->vector_weight));
  ENGRAM_RETURN_IF_ERROR(GetTime(body, "from", &options->from_ms));
  ENGRAM_RETURN_IF_ERROR(GetTime(body, "to", &options->to_ms));
  ENGRAM_RETURN_IF_ERROR(GetStringMap(body, "where", &options->where));
  if (body.contains("tiers") && !body["tiers"].is_null()) {
    if (!body["tiers"].is_array()) return FieldError("tiers", "must be a list of tier names");
    for (const json& t : body["tiers"]) {
      const std::string name = t.is_string() ? t.get<std::string>() : t.dump();
      if (name == "working") options->tiers.push_back(Tier::kWorking);
      else if (name == "episodic") options->tiers.push_back(Tier::kEpisodic);
      else if (name == "persona") options->tiers.push_back(Tier::kPersona);
      else if (name == "graph") options->tiers.push_back(Tier::kGraph);
      else return FieldError("tiers", "holds '" + name + "'; expected working, episodic, persona or graph");
    }
  }
  return Status::OK();
}

// NotFound "no tenant 'mayb'; did you mean 'maya'?" for a tenant with no
// turns, so a typo'd name is not answered with an empty result.
Status RequireTenant(Store& store, const std::string& tenant) {
  TurnFilter first;
  first.limit = 1;
  auto turns = store.ScanTurns(tenant, first);
  if (!turns.ok()) return turns.status();
  if (!turns->empty()) return Status::OK();
  auto known = store.ListTenants();
  if (!known.ok()) return known.status();
  std::string message = "no tenant '" + tenant + "'";
  const std::vector<std::string> close = ClosestNames(tenant, *known);
  for (size_t i = 0; i < close.size(); ++i) {
    message += (i == 0 ? "; did you mean '" : i + 1 == close.size() ? "' or '" : "', '") + close[i];
  }
  if (!close.empty()) message += "'?";
  return Status::NotFound(message);
}

const std::set<std::string> kRecallFields = {"question", "k",     "route", "speaker",    "session",
                                             "from",     "to",    "where", "tiers",      "asking_user",
                                             "agent_name", "lexical_weight", "vector_weight"};

}  // namespace

// --- The request pipeline -----------------------------------------------------

struct HttpApi::Call {
  const httplib::Request& req;
  httplib::Response& res;
  Access access;
  std::string tenant;  // the path's {tenant}, "" for other routes
  std::string param;   // the path's second parameter ({source_id}, {id}, {name})
};

HttpApi::HttpApi(Store& store, HttpApiOptions options) : store_(store), options_(std::move(options)) {}

Result<Access> HttpApi::Authenticate(const httplib::Request& request) const {
  if (options_.tokens == nullptr) return Access::Local();
  if (!request.has_header("Authorization")) {
    return Status::InvalidArgument("no Authorization header; send 'Authorization: Bearer <token>'");
  }
  const std::string header = request.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  if (header.size() <= prefix.size() || header.compare(0, prefix.size(), prefix) != 0) {
    return Status::InvalidArgument("the Authorization header is not 'Bearer <token>'");
  }
  auto access = options_.tokens->Find(std::string_view(header).substr(prefix.size()));
  if (!access) return Status::InvalidArgument("unknown token");
  return *access;
}

bool HttpApi::TryAcquireSlot() {
  size_t now = in_flight_.load();
  while (now < options_.limits.max_concurrent) {
    if (in_flight_.compare_exchange_weak(now, now + 1)) return true;
  }
  return false;
}

void HttpApi::ReleaseSlot() { in_flight_.fetch_sub(1); }

void HttpApi::Finish(const httplib::Request& req, httplib::Response& res, const std::string& method,
                     const std::string& route, const std::string& tenant, const std::string& principal,
                     double seconds) {
  metrics_.RecordRequest(method, route, res.status, seconds);
  if (!options_.access_log) return;
  AccessLog().info(R"({{"method":{},"route":{},"tenant":{},"status":{},"ms":{:.3f},"principal":{}}})",
                   json(method).dump(), json(route).dump(),
                   json(tenant).dump(-1, ' ', false, json::error_handler_t::replace), res.status, seconds * 1000,
                   json(principal).dump());
}

void HttpApi::Route(httplib::Server& server, const std::string& method, const std::string& pattern, Need need,
                    Handler handler, bool limited) {
  auto run = [this, method, pattern, need, handler = std::move(handler), limited](const httplib::Request& req,
                                                                                   httplib::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    std::string tenant, principal = "-";
    auto finish = [&] {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      Finish(req, res, method, pattern, tenant, principal, seconds);
    };
    if (req.matches.size() > 1 && pattern.rfind("/v1/tenants/{tenant}", 0) == 0) tenant = req.matches[1];
    if (limited && !TryAcquireSlot()) {
      res.set_header("Retry-After", std::to_string(options_.limits.retry_after_s));
      SendError(res, 429,
                "the server is serving its maximum of " + std::to_string(options_.limits.max_concurrent) +
                    " requests at once; retry after " + std::to_string(options_.limits.retry_after_s) + " s");
      finish();
      return;
    }
    struct SlotGuard {
      HttpApi* api;
      bool held;
      ~SlotGuard() {
        if (held) api->ReleaseSlot();
      }
    } slot{this, limited};
    Result<Access> access = Access::Local();
    if (need != Need::kNothing) access = Authenticate(req);
    if (!access.ok()) {
      res.set_header("WWW-Authenticate", "Bearer");
      SendError(res, 401, access.status().message());
      finish();
      return;
    }
    principal = access->principal;
    const bool allowed = need == Need::kNothing || (need == Need::kRead && access->CanRead(tenant)) ||
                         (need == Need::kWrite && access->CanWrite(tenant)) || (need == Need::kAdmin && access->admin);
    if (!allowed) {
      const char* what = need == Need::kAdmin ? "is not an admin token" :
                         need == Need::kWrite ? "may not write tenant '" : "may not read tenant '";
      SendError(res, 403, principal + " " + what + (need == Need::kAdmin ? "" : tenant + "'"));
      finish();
      return;
    }
    Call call{req, res, *access, tenant, req.matches.size() > 2 ? std::string(req.matches[2]) : std::string()};
    Status status;
    try {
      status = handler(call);
    } catch (const std::exception& e) {
      status = Status::Internal(std::string("unexpected error: ") + e.what());
    }
    if (!status.ok()) {
      res.headers.erase("Content-Type");
      if (status.code() == Status::Code::kUnavailable) {
        res.set_header("Retry-After", std::to_string(options_.limits.retry_after_s));
      }
      SendError(res, HttpStatusFor(status), status.message());
    }
    finish();
  };
  const std::string regex = PatternRegex(pattern);
  if (method == "GET") server.Get(regex, run);
  else if (method == "POST") server.Post(regex, run);
  else if (method == "PUT") server.Put(regex, run);
  else if (method == "DELETE") server.Delete(regex, run);
}

void HttpApi::Mount(httplib::Server& server) {
  const HttpLimits& limits = options_.limits;
  server.set_payload_max_length(limits.max_body_bytes);
  server.set_read_timeout(limits.request_timeout_s, 0);
  server.set_write_timeout(limits.request_timeout_s, 0);
  server.set_keep_alive_timeout(2);
  // Replies go out as written (headers and body are two writes; Nagle would
  // hold the second until the client's delayed ACK, ~40 ms).
  server.set_tcp_nodelay(true);
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let a
  // second server bind the same port and silently take half the requests.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof(yes));
  });
  // Errors httplib raises itself (no route: 404, a body over the limit: 413,
  // an unreadable request: 400) get the same JSON body as the routes' own.
  server.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req,
                                                                     httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string message;
    if (res.status == 404) message = "no route " + req.method + " " + req.path + " (GET /openapi.json lists them)";
    else if (res.status == 413) {
      message = "the request body is over the limit of " + std::to_string(options_.limits.max_body_bytes) + " bytes";
    } else message = "the request could not be served (HTTP " + std::to_string(res.status) + ")";
    SendError(res, res.status, message);
    metrics_.RecordRequest(req.method, "(unrouted)", res.status, 0);
    return httplib::Server::HandlerResponse::Handled;
  }));

  // Operations: no token needed, no request slot taken (so probes answer
  // while the server is saturated).
  Route(server, "GET", "/healthz", Need::kNothing, [](Call& c) {
    SendJson(c.res, 200, {{"status", "ok"}});
    return Status::OK();
  }, false);
  Route(server, "GET", "/readyz", Need::kNothing, [this](Call& c) { return Ready(c); }, false);
  Route(server, "GET", "/metrics", Need::kNothing, [this](Call& c) { return MetricsText(c); }, false);
  Route(server, "GET", "/openapi.json", Need::kNothing, [](Call& c) {
    SendJson(c.res, 200, OpenApiDocument());
    return Status::OK();
  }, false);

  Route(server, "GET", "/v1/tenants", Need::kAdmin, [this](Call& c) { return ListTenants(c); });
  Route(server, "DELETE", "/v1/tenants/{tenant}", Need::kWrite, [this](Call& c) { return ForgetTenant(c); });
  Route(server, "POST", "/v1/tenants/{tenant}/turns", Need::kWrite, [this](Call& c) { return Observe(c); });
  Route(server, "GET", "/v1/tenants/{tenant}/turns", Need::kRead, [this](Call& c) { return ListTurns(c); });
  Route(server, "GET", "/v1/tenants/{tenant}/turns/{source_id}", Need::kRead, [this](Call& c) { return GetTurn(c); });
  Route(server, "PUT", "/v1/tenants/{tenant}/turns/{source_id}", Need::kWrite,
        [this](Call& c) { return UpdateTurn(c); });
  Route(server, "DELETE", "/v1/tenants/{tenant}/turns/{source_id}", Need::kWrite,
        [this](Call& c) { return ForgetTurn(c); });
  Route(server, "GET", "/v1/tenants/{tenant}/turns/{source_id}/history", Need::kRead,
        [this](Call& c) { return TurnHistory(c); });
  Route(server, "POST", "/v1/tenants/{tenant}/recall", Need::kRead, [this](Call& c) { return Recall(c); });
  Route(server, "POST", "/v1/tenants/{tenant}/context", Need::kRead, [this](Call& c) { return RecallContext(c); });
  Route(server, "GET", "/v1/tenants/{tenant}/profile", Need::kRead, [this](Call& c) { return Profile(c); });
  Route(server, "GET", "/v1/tenants/{tenant}/graph", Need::kRead, [this](Call& c) { return Graph(c); });
  Route(server, "GET", "/v1/tenants/{tenant}/stats", Need::kRead, [this](Call& c) { return Stats(c); });
  Route(server, "GET", "/v1/tenants/{tenant}/export", Need::kRead, [this](Call& c) { return Export(c); });
  Route(server, "POST", "/v1/tenants/{tenant}/facts", Need::kWrite, [this](Call& c) { return RememberFact(c); });
  Route(server, "DELETE", "/v1/tenants/{tenant}/facts/{id}", Need::kWrite, [this](Call& c) { return ForgetFact(c); });
  Route(server, "POST", "/v1/tenants/{tenant}/relations", Need::kWrite,
        [this](Call& c) { return RememberRelation(c); });
  Route(server, "DELETE", "/v1/tenants/{tenant}/relations/{id}", Need::kWrite,
        [this](Call& c) { return ForgetRelation(c); });
  Route(server, "GET", "/v1/tenants/{tenant}/core", Need::kRead, [this](Call& c) { return CoreMemory(c); });
  Route(server, "GET", "/v1/tenants/{tenant}/core/{name}", Need::kRead, [this](Call& c) { return CoreBlock(c); });
  Route(server, "PUT", "/v1/tenants/{tenant}/core/{name}", Need::kWrite,
        [this](Call& c) { return SetCoreBlock(c, /*append=*/false); });
  Route(server, "POST", "/v1/tenants/{tenant}/core/{name}", Need::kWrite,
        [this](Call& c) { return SetCoreBlock(c, /*append=*/true); });
}

// --- Routes -------------------------------------------------------------------

Status HttpApi::Ready(Call& c) {
  if (draining_.load()) {
    SendError(c.res, 503, "the server is shutting down");
    return Status::OK();
  }
  if (!options_.store_path.empty() && ::access(options_.store_path.c_str(), W_OK) != 0) {
    SendError(c.res, 503, "the store folder '" + options_.store_path + "' is not writable");
    return Status::OK();
  }
  auto tenants = store_.ListTenants();
  if (!tenants.ok()) {
    SendError(c.res, 503, "the store does not answer: " + tenants.status().message());
    return Status::OK();
  }
  SendJson(c.res, 200, {{"status", "ready"}});
  return Status::OK();
}

Status HttpApi::MetricsText(Call& c) {
  Metrics::Gauges gauges;
  if (auto tenants = store_.ListTenants(); tenants.ok()) gauges.tenants = tenants->size();
  if (auto pending = store_.PendingEnrichments(); pending.ok()) gauges.enrichment_queue = *pending;
  gauges.in_flight = in_flight_.load();
  c.res.status = 200;
  c.res.set_content(metrics_.Render(gauges), "text/plain; version=0.0.4");
  return Status::OK();
}

Status HttpApi::ListTenants(Call& c) {
  auto tenants = store_.ListTenants();
  if (!tenants.ok()) return tenants.status();
  SendJson(c.res, 200, {{"tenants", *tenants}});
  return Status::OK();
}

Status HttpApi::Observe(Call& c) {
  auto body = JsonBody(c.req);
  if (!body.ok()) return body.status();
  bool sync = false;
  ENGRAM_RETURN_IF_ERROR(QueryBool(c.req, "sync", &sync));
  std::vector<Turn> turns;
  if (body->contains("turns")) {
    ENGRAM_RETURN_IF_ERROR(CheckFields(*body, {"turns", "sync"}));
    ENGRAM_RETURN_IF_ERROR(GetBool(*body, "sync", &sync));
    const json& list = (*body)["turns"];
    if (!list.is_array() || list.empty()) return FieldError("turns", "must be a non-empty list of turn objects");
    if (list.size() > options_.limits.max_batch_turns) {
      c.res.status = 413;
      c.res.set_content(ErrorBody(413, "the batch holds " + std::to_string(list.size()) +
                                           " turns; at most " + std::to_string(options_.limits.max_batch_turns) +
                                           " are accepted in one request (split it)"),
                        kJson);
      return Status::OK();
    }
    for (size_t i = 0; i < list.size(); ++i) {
      auto turn = ParseTurn(list[i], c.tenant);
      if (!turn.ok()) return turn.status().WithContext("turns[" + std::to_string(i) + "]");
      turns.push_back(std::move(*turn));
    }
  } else {
    auto turn = ParseTurn(*body, c.tenant);
    if (!turn.ok()) return turn.status();
    turns.push_back(std::move(*turn));
  }
  // Which turns are already stored, so the reply can say what was new.
  size_t already = 0;
  for (const Turn& t : turns) {
    if (!t.source_id.empty() && store_.GetTurnBySourceId(c.tenant, t.source_id).ok()) ++already;
  }
  WriteOptions write;
  write.sync = sync;
  auto seqs = store_.ObserveBatch(c.tenant, turns, write);
  if (!seqs.ok()) return seqs.status();
  metrics_.AddTurnsObserved(turns.size() - already);
  SendJson(c.res, 200, {{"seqs", *seqs}, {"new", turns.size() - already}, {"already_stored", already}});
  return Status::OK();
}

Status HttpApi::Recall(Call& c) {
  auto body = JsonBody(c.req);
  if (!body.ok()) return body.status();
  ENGRAM_RETURN_IF_ERROR(CheckFields(*body, kRecallFields));
  std::string question;
  ENGRAM_RETURN_IF_ERROR(GetString(*body, "question", true, &question));
  RecallOptions options;
  ENGRAM_RETURN_IF_ERROR(ParseRecallOptions(*body, &options));
  auto result = store_.Recall(c.tenant, question, options);
  if (!result.ok()) return result.status();
  SendJson(c.res, 200, RecallJson(*result));
  return Status::OK();
}

Status HttpApi::RecallContext(Call& c) {
  auto body = JsonBody(c.req);
  if (!body.ok()) return body.status();
  std::set<std::string> fields = kRecallFields;
  fields.insert("budget_tokens");
  ENGRAM_RETURN_IF_ERROR(CheckFields(*body, fields));
  std::string question;
  ENGRAM_RETURN_IF_ERROR(GetString(*body, "question", true, &question));
  int64_t budget = 400;
  ENGRAM_RETURN_IF_ERROR(GetInt(*body, "budget_tokens", 1, 1000000, &budget));
  RecallOptions options;
  ENGRAM_RETURN_IF_ERROR(ParseRecallOptions(*body, &options));
  auto context = store_.RecallContext(c.tenant, question, static_cast<size_t>(budget), options);
  if (!context.ok()) return context.status();
  SendJson(c.res, 200, ContextJson(*context));
  return Status::OK();
}

Status HttpApi::Profile(Call& c) {
  TimeMs as_of = 0;
  bool history = false;
  ENGRAM_RETURN_IF_ERROR(QueryTime(c.req, "as_of", &as_of));
  ENGRAM_RETURN_IF_ERROR(QueryBool(c.req, "history", &history));
  const std::string speaker = c.req.get_param_value("speaker");
  auto facts = store_.Profile(c.tenant, speaker, as_of, history);
  if (!facts.ok()) return facts.status();
  json out = json::array();
  for (const auto& f : *facts) out.push_back(FactJson(f));
  SendJson(c.res, 200, {{"tenant", c.tenant}, {"facts", out}});
  return Status::OK();
}

Status HttpApi::Graph(Call& c) {
  int64_t hops = 1, max_edges = 500;
  TimeMs as_of = 0;
  ENGRAM_RETURN_IF_ERROR(QueryInt(c.req, "hops", 0, 10, &hops));
  ENGRAM_RETURN_IF_ERROR(QueryInt(c.req, "max_edges", 1, 1000000, &max_edges));
  ENGRAM_RETURN_IF_ERROR(QueryTime(c.req, "as_of", &as_of));
  const std::string entity = c.req.get_param_value("entity");
  auto graph = store_.Graph(c.tenant, entity, static_cast<int>(hops), static_cast<size_t>(max_edges), as_of);
  if (!graph.ok()) return graph.status();
  json entities = json::array(), relations = json::array();
  for (const auto& e : graph->entities) entities.push_back(EntityJson(e));
  for (const auto& r : graph->relations) relations.push_back(RelationJson(r));
  SendJson(c.res, 200, {{"tenant", c.tenant}, {"entity", entity}, {"hops", hops}, {"as_of", TimeJson(as_of)},
                        {"entities", entities}, {"relations", relations}});
  return Status::OK();
}

Status HttpApi::Stats(Call& c) {
  ENGRAM_RETURN_IF_ERROR(RequireTenant(store_, c.tenant));
  auto stats = store_.GetTenantStats(c.tenant);
  if (!stats.ok()) return stats.status();
  SendJson(c.res, 200, StatsJson(*stats));
  return Status::OK();
}

Status HttpApi::Export(Call& c) {
  // An unknown tenant is 404 rather than an empty export (a typo'd name).
  ENGRAM_RETURN_IF_ERROR(RequireTenant(store_, c.tenant));
  auto turns = store_.ScanTurns(c.tenant);
  if (!turns.ok()) return turns.status();
  std::string out;
  for (const auto& t : *turns) out += FormatTurnLine(c.tenant, t.turn) + "\n";
  c.res.status = 200;
  c.res.set_content(std::move(out), "application/x-ndjson");
  return Status::OK();
}

Status HttpApi::ForgetTenant(Call& c) {
  ForgetOptions options;
  options.sync = true;  // the tenant's bytes are gone from disk when the reply comes
  ENGRAM_RETURN_IF_ERROR(QueryBool(c.req, "dry_run", &options.dry_run));
  ENGRAM_RETURN_IF_ERROR(QueryBool(c.req, "sync", &options.sync));
  auto report = store_.ForgetTenant(c.tenant, options);  // NotFound for an unknown tenant
  if (!report.ok()) return report.status();
  SendJson(c.res, 200, ForgetReportJson(*report));
  return Status::OK();
}

Status HttpApi::ListTurns(Call& c) {
  // ?seq=N: the one turn with that sequence number (404 if none).
  if (c.req.has_param("seq")) {
    int64_t seq = 0;
    ENGRAM_RETURN_IF_ERROR(QueryInt(c.req, "seq", 1, std::numeric_limits<int64_t>::max(), &seq));
    auto turn = store_.GetTurn(c.tenant, static_cast<uint64_t>(seq));
    if (!turn.ok()) return turn.status();
    SendJson(c.res, 200, {{"tenant", c.tenant}, {"turns", json::array({TurnJson(*turn)})}});
    return Status::OK();
  }
  TurnFilter filter;
  int64_t limit = 0;
  ENGRAM_RETURN_IF_ERROR(QueryInt(c.req, "limit", 0, 1000000, &limit));
  filter.limit = static_cast<size_t>(limit);
  filter.session = c.req.get_param_value("session");
  ENGRAM_RETURN_IF_ERROR(QueryTime(c.req, "from", &filter.from_ms));
  ENGRAM_RETURN_IF_ERROR(QueryTime(c.req, "to", &filter.to_ms));
  // An unknown tenant has no turns: an empty list, as Store::ScanTurns.
  auto turns = store_.ScanTurns(c.tenant, filter);
  if (!turns.ok()) return turns.status();
  json out = json::array();
  for (const auto& t : *turns) out.push_back(TurnJson(t));
  SendJson(c.res, 200, {{"tenant", c.tenant}, {"turns", out}});
  return Status::OK();
}

Status HttpApi::GetTurn(Call& c) {
  auto turn = store_.GetTurnBySourceId(c.tenant, c.param);
  if (!turn.ok()) return turn.status();
  SendJson(c.res, 200, TurnJson(*turn));
  return Status::OK();
}

Status HttpApi::ForgetTurn(Call& c) {
  ForgetOptions options;
  options.sync = true;
  ENGRAM_RETURN_IF_ERROR(QueryBool(c.req, "dry_run", &options.dry_run));
  ENGRAM_RETURN_IF_ERROR(QueryBool(c.req, "sync", &options.sync));
  auto report = store_.Forget(c.tenant, c.param, options);
  if (!report.ok()) return report.status();
  SendJson(c.res, 200, ForgetReportJson(*report));
  return Status::OK();
}

Status HttpApi::UpdateTurn(Call& c) {
  auto body = JsonBody(c.req);
  if (!body.ok()) return body.status();
  ENGRAM_RETURN_IF_ERROR(CheckFields(*body, {"text", "sync"}));
  std::string text;
  WriteOptions write;
  ENGRAM_RETURN_IF_ERROR(GetString(*body, "text", true, &text));
  ENGRAM_RETURN_IF_ERROR(GetBool(*body, "sync", &write.sync));
  auto version = store_.Update(c.tenant, c.param, text, write);
  if (!version.ok()) return version.status();
  SendJson(c.res, 200, {{"id", c.param}, {"version", *version}});
  return Status::OK();
}

Status HttpApi::TurnHistory(Call& c) {
  auto versions = store_.History(c.tenant, c.param);
  if (!versions.ok()) return versions.status();
  json out = json::array();
  for (const auto& v : *versions) {
    out.push_back({{"version", v.version}, {"text", v.turn.text}, {"speaker", v.turn.speaker},
                   {"session", v.turn.session}, {"time", TimeJson(v.turn.time_ms)},
                   {"replaced", TimeJson(v.replaced_ms)}});
  }
  SendJson(c.res, 200, {{"id", c.param}, {"versions", out}});
  return Status::OK();
}

Status HttpApi::RememberFact(Call& c) {
  auto body = JsonBody(c.req);
  if (!body.ok()) return body.status();
  ENGRAM_RETURN_IF_ERROR(CheckFields(*body, {"subject", "attribute", "value", "valid_from", "valid_to", "sync"}));
  PersonaFact fact;
  WriteOptions write;
  ENGRAM_RETURN_IF_ERROR(GetString(*body, "subject", true, &fact.subject));
  ENGRAM_RETURN_IF_ERROR(GetString(*body, "attribute", true, &fact.attribute));
  ENGRAM_RETURN_IF_ERROR(GetString(*body, "value", true, &fact.value));
  ENGRAM_RETURN_IF_ERROR(GetTime(*body, "valid_from", &fact.valid_from_ms));
  ENGRAM_RETURN_IF_ERROR(GetTime(*body, "valid_to", &fact.valid_to_ms));
  ENGRAM_RETURN_IF_ERROR(GetBool(*body, "sync", &write.sync));
  fact.provenance = "explicit";
  auto id = store_.RememberFact(c.tenant, fact, write);
  if (!id.ok()) return id.status();
  SendJson(c.res, 200, {{"id", *id}});
  return Status::OK();
}

Status HttpApi::ForgetFact(Call& c) {
  ForgetOptions options;
  options.sync = true;
  ENGRAM_RETURN_IF_ERROR(QueryBool(c.req, "dry_run", &options.dry_run));
  auto report = store_.ForgetFact(c.tenant, c.param, options);
  if (!report.ok()) return report.status();
  SendJson(c.res, 200, ForgetReportJson(*report));
  return Status::OK();
}

Status HttpApi::RememberRelation(Call& c) {
  auto body = JsonBody(c.req);
  if (!body.ok()) return body.status();
  ENGRAM_RETURN_IF_ERROR(CheckFields(*body, {"subject", "relation", "object", "valid_from", "valid_to", "sync"}));
  Relation relation;
  WriteOptions write;
  ENGRAM_RETURN_IF_ERROR(GetString(*body, "subject", true, &relation.subject));
  ENGRAM_RETURN_IF_ERROR(GetString(*body, "relation", true, &relation.relation));
  ENGRAM_RETURN_IF_ERROR(GetString(*body, "object", true, &relation.object));
  ENGRAM_RETURN_IF_ERROR(GetTime(*body, "valid_from", &relation.valid_from_ms));
  ENGRAM_RETURN_IF_ERROR(GetTime(*body, "valid_to", &relation.valid_to_ms));
  ENGRAM_RETURN_IF_ERROR(GetBool(*body, "sync", &write.sync));
  relation.provenance = "explicit";
  auto id = store_.RememberRelation(c.tenant, relation, write);
  if (!id.ok()) return id.status();
  SendJson(c.res, 200, {{"id", *id}});
  return Status::OK();
}

Status HttpApi::ForgetRelation(Call& c) {
  ForgetOptions options;
  options.sync = true;
  ENGRAM_RETURN_IF_ERROR(QueryBool(c.req, "dry_run", &options.dry_run));
  auto report = store_.ForgetRelation(c.tenant, c.param, options);
  if (!report.ok()) return report.status();
  SendJson(c.res, 200, ForgetReportJson(*report));
  return Status::OK();
}

Status HttpApi::CoreMemory(Call& c) {
  auto blocks = store_.CoreMemory(c.tenant);
  if (!blocks.ok()) return blocks.status();
  json out = json::array();
  for (const auto& b : *blocks) out.push_back(CoreBlockJson(b));
  SendJson(c.res, 200, {{"tenant", c.tenant}, {"blocks", out}});
  return Status::OK();
}

Status HttpApi::CoreBlock(Call& c) {
  bool history = false;
  ENGRAM_RETURN_IF_ERROR(QueryBool(c.req, "history", &history));
  if (history) {
    auto versions = store_.CoreBlockHistory(c.tenant, c.param);
    if (!versions.ok()) return versions.status();
    json out = json::array();
    for (const auto& b : *versions) out.push_back(CoreBlockJson(b));
    SendJson(c.res, 200, {{"name", c.param}, {"versions", out}});
    return Status::OK();
  }
  auto blocks = store_.CoreMemory(c.tenant);
  if (!blocks.ok()) return blocks.status();
  for (const auto& b : *blocks) {
    if (b.name == c.param) {
      SendJson(c.res, 200, CoreBlockJson(b));
      return Status::OK();
    }
  }
  return Status::NotFound("tenant '" + c.tenant + "' has no core memory block '" + c.param + "'");
}

Status HttpApi::SetCoreBlock(Call& c, bool append) {
  auto body = JsonBody(c.req);
  if (!body.ok()) return body.status();
  ENGRAM_RETURN_IF_ERROR(CheckFields(*body, {"text", "sync"}));
  std::string text;
  WriteOptions write;
  ENGRAM_RETURN_IF_ERROR(GetString(*body, "text", !append ? false : true, &text));
  ENGRAM_RETURN_IF_ERROR(GetBool(*body, "sync", &write.sync));
  auto block = append ? store_.AppendCoreBlock(c.tenant, c.param, text, write)
                      : store_.SetCoreBlock(c.tenant, c.param, text, write);
  if (!block.ok()) return block.status();
  SendJson(c.res, 200, CoreBlockJson(*block));
  return Status::OK();
}

}  // namespace engram::service
