#include "service/mcp_http.h"

#include <map>
#include <mutex>
#include <random>
#include <utility>

#include <nlohmann/json.hpp>

namespace engram::service {
namespace {

using nlohmann::json;

constexpr char kSessionHeader[] = "Mcp-Session-Id";
constexpr char kVersionHeader[] = "MCP-Protocol-Version";
constexpr char kJson[] = "application/json";
// What a client that sends no MCP-Protocol-Version header speaks (the spec's
// rule for streamable HTTP).
constexpr char kDefaultHttpVersion[] = "2025-03-26";

struct HttpSession {
  std::mutex mutex;  // guards state
  McpSession state;
  std::string principal;
};

class SessionTable {
 public:
  explicit SessionTable(size_t max_sessions) : max_sessions_(max_sessions) {}

  // A new session for `principal`, or nullptr when the table is full.
  std::pair<std::string, std::shared_ptr<HttpSession>> Open(const std::string& principal) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (sessions_.size() >= max_sessions_) return {"", nullptr};
    std::string id = NewId();
    auto session = std::make_shared<HttpSession>();
    session->principal = principal;
    sessions_[id] = session;
    return {id, session};
  }
  std::shared_ptr<HttpSession> Find(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second;
  }
  void Close(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    sessions_.erase(id);
  }

 private:
  // 128 random bits in hex: unguessable, visible ASCII as the spec requires.
  std::string NewId() {
    static const char kHex[] = "0123456789abcdef";
    std::string id;
    for (int i = 0; i < 4; ++i) {
      uint32_t word = random_();
      for (int j = 0; j < 8; ++j) id += kHex[(word >> (4 * j)) & 0xF];
    }
    return id;
  }

  std::mutex mutex_;
  std::random_device random_;
  size_t max_sessions_;
  std::map<std::string, std::shared_ptr<HttpSession>> sessions_;
};

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), kJson);
}

void SendError(httplib::Response& res, int http_status, int code, const std::string& message,
               const json& id = nullptr) {
  SendJson(res, http_status, McpServer::ErrorResponse(id, code, message));
}

bool IsLoopbackOrigin(const std::string& origin) {
  for (const char* host : {"http://localhost", "http://127.0.0.1", "http://[::1]", "https://localhost",
                           "https://127.0.0.1", "https://[::1]"}) {
    std::string h = host;
    if (origin == h || origin.rfind(h + ":", 0) == 0) return true;
  }
  return false;
}

// True for a message (or batch) that holds at least one request, i.e.
// something the server answers.
bool HasRequest(const json& message) {
  if (message.is_array()) {
    for (const auto& m : message) {
      if (HasRequest(m)) return true;
    }
    return false;
  }
  return message.is_object() && message.contains("method") && message.contains("id");
}

bool IsInitialize(const json& message) {
  return message.is_object() && message.value("method", json()) == "initialize";
}

}  // namespace

void MountMcp(httplib::Server& server, McpServer& mcp,
              std::function<Result<Access>(const httplib::Request&)> authenticate, const McpHttpOptions& options) {
  auto sessions = std::make_shared<SessionTable>(options.max_sessions);
  auto allowed_origins = options.allowed_origins;

  // The checks every method shares; false when `res` already holds the refusal.
  auto admit = [authenticate, allowed_origins](const httplib::Request& req, httplib::Response& res,
                                               Access* access) {
    if (req.has_header("Origin")) {
      std::string origin = req.get_header_value("Origin");
      if (!IsLoopbackOrigin(origin) && allowed_origins.count(origin) == 0) {
        SendError(res, 403, McpServer::kInvalidRequest, "origin '" + origin + "' is not allowed");
        return false;
      }
    }
    auto who = authenticate(req);
    if (!who.ok()) {
      SendError(res, 401, McpServer::kInvalidRequest, "unauthorized: " + who.status().message());
      return false;
    }
    *access = *who;
    return true;
  };

  // The session a request names; nullptr when `res` holds the refusal.
  auto session_of = [sessions](const httplib::Request& req, httplib::Response& res,
                               const Access& access) -> std::shared_ptr<HttpSession> {
    if (!req.has_header(kSessionHeader)) {
      SendError(res, 400, McpServer::kInvalidRequest,
                "bad request: the Mcp-Session-Id header is missing (send 'initialize' to open a session)");
      return nullptr;
    }
    auto session = sessions->Find(req.get_header_value(kSessionHeader));
    if (session == nullptr || session->principal != access.principal) {
      // The same answer for another principal's session: its id is not disclosed.
      SendError(res, 404, McpServer::kInvalidRequest,
                "session not found: it ended or never existed; send 'initialize' to open a new one");
      return nullptr;
    }
    return session;
  };

  server.Post(options.path, [&mcp, sessions, admit, session_of](const httplib::Request& req, httplib::Response& res) {
    Access access;
    if (!admit(req, res, &access)) return;
    std::string content_type = req.get_header_value("Content-Type");
    if (content_type.rfind(kJson, 0) != 0) {
      SendError(res, 415, McpServer::kInvalidRequest,
                "unsupported media type '" + content_type + "': POST a JSON-RPC message as application/json");
      return;
    }
    if (req.has_header("Accept")) {
      std::string accept = req.get_header_value("Accept");
      if (accept.find(kJson) == std::string::npos && accept.find("*/*") == std::string::npos) {
        SendError(res, 406, McpServer::kInvalidRequest,
                  "not acceptable: this server answers with application/json; add it to the Accept header");
        return;
      }
    }
    json message = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (message.is_discarded()) {
      SendError(res, 400, McpServer::kParseError, "parse error: the request body is not valid JSON");
      return;
    }

    std::shared_ptr<HttpSession> session;
    std::string new_session_id;
    if (IsInitialize(message)) {
      auto [id, opened] = sessions->Open(access.principal);
      if (opened == nullptr) {
        SendError(res, 503, McpServer::kInternalError,
                  "too many open sessions: end one with DELETE /mcp or try again later");
        return;
      }
      new_session_id = id;
      session = opened;
    } else {
      session = session_of(req, res, access);
      if (session == nullptr) return;
    }

    // The session's state is copied out, so one client's calls run in
    // parallel (a slow recall does not hold up its next remember); only
    // initialize and notifications/initialized change it, and they are
    // merged back.
    McpSession state;
    {
      std::lock_guard<std::mutex> lock(session->mutex);
      state = session->state;
    }
    if (new_session_id.empty()) {
      std::string version = req.has_header(kVersionHeader) ? req.get_header_value(kVersionHeader)
                                                           : std::string(kDefaultHttpVersion);
      if (!McpServer::IsSupportedProtocolVersion(version)) {
        SendError(res, 400, McpServer::kInvalidRequest,
                  "unsupported MCP-Protocol-Version '" + version +
                      "' (supported: " + json(McpServer::SupportedProtocolVersions()).dump() + ")");
        return;
      }
      if (req.has_header(kVersionHeader) && version != state.protocol_version) {
        SendError(res, 400, McpServer::kInvalidRequest,
                  "MCP-Protocol-Version '" + version + "' differs from the session's negotiated version '" +
                      state.protocol_version + "'");
        return;
      }
    }
    std::optional<json> reply = mcp.Handle(message, access, state);
    {
      std::lock_guard<std::mutex> lock(session->mutex);
      if (!new_session_id.empty()) {
        session->state = state;
      } else {
        session->state.initialized = session->state.initialized || state.initialized;
      }
    }
    if (!new_session_id.empty()) {
      if (reply && reply->contains("error")) {
        sessions->Close(new_session_id);  // a failed initialize opens nothing
      } else {
        res.set_header(kSessionHeader, new_session_id);
      }
    }
    if (!HasRequest(message) && !reply) {
      res.status = 202;  // notifications and responses: accepted, nothing to say
      return;
    }
    SendJson(res, 200, reply ? *reply : json::array());
  });

  server.Get(options.path, [admit](const httplib::Request& req, httplib::Response& res) {
    Access access;
    if (!admit(req, res, &access)) return;
    res.set_header("Allow", "POST, DELETE");
    SendError(res, 405, McpServer::kInvalidRequest,
              "method not allowed: this server sends no messages of its own, so it offers no SSE stream");
  });

  server.Delete(options.path, [sessions, admit, session_of](const httplib::Request& req, httplib::Response& res) {
    Access access;
    if (!admit(req, res, &access)) return;
    if (session_of(req, res, access) == nullptr) return;
    sessions->Close(req.get_header_value(kSessionHeader));
    res.status = 204;
  });
}

}  // namespace engram::service
