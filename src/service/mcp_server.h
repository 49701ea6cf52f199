// McpServer: engram as a Model Context Protocol server, independent of the
// transport. A transport (stdio: tools/mcp_command.cc; streamable HTTP:
// service/mcp_http.h) hands it each JSON-RPC message with the caller's
// Access and sends back what it returns.
//
// It offers engram's own tools (remember, recall, profile, graph, forget),
// the tool set of the reference memory server (create_entities, ...,
// open_nodes: an entity is explicit persona facts "<name> / entity_type /
// <type>" and "<name> / observation / <text>", a relation an explicit
// relation), and each tenant's profile and graph as resources
// (engram://tenants/{tenant}/profile, engram://tenants/{tenant}/graph).
//
// Thread safety: Handle may be called from many threads at once (one
// McpSession per client); the Store serialises writes, and the reference
// tools, which read the graph and then write several records, run one at a
// time so concurrent clients never create the same entity twice.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engram/store.h"
#include "service/access.h"

namespace engram::service {

struct McpServerOptions {
  // The tenant a tool call without a "tenant" argument uses (--tenant).
  std::string default_tenant = "default";
  // serverInfo of the initialize result.
  std::string server_name = "engram";
  std::string server_version = "0.1.0";
  // Tokens of context recall packs when the call gives no budget_tokens.
  size_t default_budget_tokens = 1000;
};

// What one client negotiated. A transport keeps one per connection (stdio)
// or per Mcp-Session-Id (HTTP).
struct McpSession {
  std::string protocol_version;  // "" until initialize
  bool initialized = false;      // notifications/initialized received
  std::string client_name;       // clientInfo.name, for logs
};

class McpServer {
 public:
  // JSON-RPC error codes.
  static constexpr int kParseError = -32700;
  static constexpr int kInvalidRequest = -32600;
  static constexpr int kMethodNotFound = -32601;
  static constexpr int kInvalidParams = -32602;
  static constexpr int kInternalError = -32603;

  McpServer(Store& store, McpServerOptions options);

  // Handles one JSON-RPC message (a request, a notification, or a batch when
  // the negotiated version allows them) of the server's single built-in
  // session (stdio). Returns the response, or nullopt when there is nothing
  // to send (notifications, client responses).
  std::optional<nlohmann::json> Handle(const nlohmann::json& message, const Access& access);
  // The same for the client whose state is `session` (HTTP transports).
  std::optional<nlohmann::json> Handle(const nlohmann::json& message, const Access& access, McpSession& session);
  // Parses `text` first; malformed JSON gets a -32700 error response.
  std::optional<nlohmann::json> HandleText(std::string_view text, const Access& access, McpSession& session);

  // The protocol versions this server speaks, newest first.
  static const std::vector<std::string>& SupportedProtocolVersions();
  static bool IsSupportedProtocolVersion(std::string_view version);
  // True when `version` lets a client send JSON-RPC batches (2025-03-26 only:
  // later versions removed them).
  static bool AllowsBatches(std::string_view version);

  // The tool definitions (tools/list), with input and output schemas.
  const nlohmann::json& Tools() const { return tools_; }

  const McpServerOptions& options() const { return options_; }

  // A JSON-RPC error response for `id` (null when unknown).
  static nlohmann::json ErrorResponse(const nlohmann::json& id, int code, const std::string& message);

 private:
  nlohmann::json HandleOne(const nlohmann::json& message, const Access& access, McpSession& session, bool* respond);
  Result<nlohmann::json> Dispatch(const std::string& method, const nlohmann::json& params, const Access& access,
                                  McpSession& session, int* error_code);
  nlohmann::json Initialize(const nlohmann::json& params, McpSession& session);
  Result<nlohmann::json> CallTool(const nlohmann::json& params, const Access& access, int* error_code);
  Result<nlohmann::json> ListResources(const Access& access);
  Result<nlohmann::json> ReadResource(const nlohmann::json& params, const Access& access, int* error_code);

  // One tool: the structured result, or the Status that becomes isError.
  Result<nlohmann::json> RunTool(const std::string& name, const nlohmann::json& args, const Access& access);

  Store& store_;
  McpServerOptions options_;
  nlohmann::json tools_;  // the tools/list "tools" array
  McpSession stdio_session_;
  std::mutex stdio_mutex_;       // stdio_session_ (one client, but Handle may be called from any thread)
  std::mutex knowledge_mutex_;   // the reference tools' read-then-write sequences
};

// Checks `value` against the subset of JSON Schema the tool schemas use
// (type, properties, required, additionalProperties: false, items, enum,
// minimum, maximum, minLength, maxLength, minItems). The error names the
// path of the bad value ("arguments.entities[0].name: expected a string").
Status ValidateJsonSchema(const nlohmann::json& schema, const nlohmann::json& value, const std::string& path);

}  // namespace engram::service
