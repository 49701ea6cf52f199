// The streamable HTTP transport of the MCP server (protocol 2025-03-26 and
// later): one endpoint, /mcp.
//
//   POST /mcp    one JSON-RPC message (or a batch where the version allows
//                them); the answer is application/json. `initialize` opens a
//                session and returns its Mcp-Session-Id header, which every
//                later request must carry; notifications and responses get
//                202 Accepted with no body.
//   GET /mcp     405: the server sends no messages of its own, so it offers
//                no SSE stream.
//   DELETE /mcp  ends the session named by Mcp-Session-Id.
//
// Every request is authenticated first (`authenticate`; a failure is 401);
// a session belongs to the principal that opened it. A request naming an
// unsupported MCP-Protocol-Version is 400. Requests whose Origin header is
// not a loopback address are refused (403) unless McpHttpOptions lists the
// origin, which protects a local server from DNS rebinding.
//
// Thread safety: the handlers run on httplib's worker threads; sessions are
// guarded by a mutex and `mcp` is safe for concurrent use.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "common/httplib_config.h"
#include "engram/status.h"
#include "service/access.h"
#include "service/mcp_server.h"

namespace engram::service {

struct McpHttpOptions {
  std::string path = "/mcp";
  // Origins (scheme://host[:port]) allowed besides the loopback ones.
  std::set<std::string> allowed_origins;
  // Open sessions at most; an initialize beyond it is 503 (DELETE ends one).
  size_t max_sessions = 10000;
};

void MountMcp(httplib::Server& server, McpServer& mcp,
              std::function<Result<Access>(const httplib::Request&)> authenticate,
              const McpHttpOptions& options = {});

}  // namespace engram::service
