// The streamable HTTP transport of the MCP server over a real socket:
// sessions (Mcp-Session-Id opened by initialize, required after, ended by
// DELETE, bound to the principal that opened them), 202 for notifications,
// the MCP-Protocol-Version check, 405 for GET, 401 from the authenticator,
// 403 for a foreign Origin, 415 and parse errors for bad bodies.
#include "service/mcp_http.h"

#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engram/store.h"
#include "testing/local_http_server.h"
#include "testing/temp_dir.h"
#include "testing/test_embedder.h"

namespace engram::service {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

constexpr char kJson[] = "application/json";

class McpHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.embedder = std::make_shared<testing::TestEmbedder>();
    auto store = Store::Open(options, dir_.Sub("store"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    mcp_ = std::make_unique<McpServer>(*store_, McpServerOptions{});
    // "Bearer alice" and "Bearer bob" are two principals, each the writer of
    // their own tenant; anything else is refused.
    MountMcp(server_.http(), *mcp_, [](const httplib::Request& req) -> Result<Access> {
      std::string auth = req.get_header_value("Authorization");
      if (auth != "Bearer alice" && auth != "Bearer bob") return Status::InvalidArgument("unknown bearer token");
      Access a;
      a.principal = auth.substr(7);
      a.write = {a.principal};
      return a;
    });
    ASSERT_TRUE(server_.Start());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_.port());
  }

  httplib::Headers Headers(const std::string& who, const std::string& session = "",
                           const std::string& version = "") {
    httplib::Headers h = {{"Authorization", "Bearer " + who}, {"Accept", "application/json, text/event-stream"}};
    if (!session.empty()) h.emplace("Mcp-Session-Id", session);
    if (!version.empty()) h.emplace("MCP-Protocol-Version", version);
    return h;
  }

  httplib::Result Post(const httplib::Headers& headers, const json& body) {
    return client_->Post("/mcp", headers, body.dump(), kJson);
  }

  // Opens a session for `who`; returns its id.
  std::string Initialize(const std::string& who, const std::string& version = "2025-06-18") {
    auto res = Post(Headers(who), {{"jsonrpc", "2.0"},
                                   {"id", 1},
                                   {"method", "initialize"},
                                   {"params", {{"protocolVersion", version}, {"capabilities", json::object()}}}});
    EXPECT_TRUE(res);
    if (!res) return "";
    EXPECT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(json::parse(res->body)["result"]["protocolVersion"], version);
    return res->get_header_value("Mcp-Session-Id");
  }

  static json Call(int id, const std::string& tool, json args) {
    return {{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"}, {"params", {{"name", tool}, {"arguments", args}}}};
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<McpServer> mcp_;
  testing::LocalHttpServer server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(McpHttpTest, ASessionFromInitializeToDelete) {
  std::string session = Initialize("alice");
  ASSERT_EQ(session.size(), 32u);
  EXPECT_NE(Initialize("alice"), session);  // every initialize opens a new one

  auto note = Post(Headers("alice", session, "2025-06-18"), {{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  EXPECT_EQ(note->status, 202);
  EXPECT_TRUE(note->body.empty());

  auto res = Post(Headers("alice", session, "2025-06-18"),
                  Call(2, "remember", {{"speaker", "Alice"}, {"text", "I like tea."}, {"tenant", "alice"}}));
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), kJson);
  json reply = json::parse(res->body);
  EXPECT_EQ(reply["id"], 2);
  EXPECT_EQ(reply["result"]["structuredContent"]["tenant"], "alice");

  auto end = client_->Delete("/mcp", Headers("alice", session));
  EXPECT_EQ(end->status, 204);
  auto after = Post(Headers("alice", session, "2025-06-18"), {{"jsonrpc", "2.0"}, {"id", 3}, {"method", "ping"}});
  EXPECT_EQ(after->status, 404);
  EXPECT_THAT(after->body, HasSubstr("send 'initialize'"));
}

TEST_F(McpHttpTest, RequestsWithoutAValidSessionAreRefused) {
  auto missing = Post(Headers("alice"), {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}});
  EXPECT_EQ(missing->status, 400);
  EXPECT_THAT(missing->body, HasSubstr("Mcp-Session-Id"));
  auto unknown = Post(Headers("alice", "0123456789abcdef0123456789abcdef"), {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}});
  EXPECT_EQ(unknown->status, 404);
  // Another principal's session id is as unknown as a made-up one.
  std::string alices = Initialize("alice");
  auto stolen = Post(Headers("bob", alices, "2025-06-18"), {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}});
  EXPECT_EQ(stolen->status, 404);
  EXPECT_EQ(client_->Delete("/mcp", Headers("bob", alices))->status, 404);
  EXPECT_EQ(Post(Headers("alice", alices, "2025-06-18"), {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}})->status,
            200);
}

TEST_F(McpHttpTest, AccessFollowsTheAuthenticatedPrincipal) {
  std::string session = Initialize("bob");
  auto res = Post(Headers("bob", session, "2025-06-18"),
                  Call(2, "remember", {{"speaker", "Bob"}, {"text", "I like chess."}, {"tenant", "alice"}}));
  ASSERT_EQ(res->status, 200);
  json result = json::parse(res->body)["result"];
  EXPECT_TRUE(result["isError"].get<bool>());
  EXPECT_THAT(result["content"][0]["text"].get<std::string>(), HasSubstr("'bob' may not write tenant 'alice'"));
  auto turns = store_->ScanTurns("alice");
  EXPECT_TRUE(!turns.ok() || turns->empty());

  httplib::Headers nobody = {{"Authorization", "Bearer mallory"}};
  auto refused = client_->Post("/mcp", nobody, R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})", kJson);
  EXPECT_EQ(refused->status, 401);
  EXPECT_THAT(refused->body, HasSubstr("unknown bearer token"));
}

TEST_F(McpHttpTest, ProtocolVersionHeaderIsChecked) {
  std::string session = Initialize("alice", "2025-11-25");
  json ping = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}};
  EXPECT_EQ(Post(Headers("alice", session, "2025-11-25"), ping)->status, 200);
  auto unsupported = Post(Headers("alice", session, "2030-01-01"), ping);
  EXPECT_EQ(unsupported->status, 400);
  EXPECT_THAT(unsupported->body, HasSubstr("unsupported MCP-Protocol-Version '2030-01-01'"));
  auto other = Post(Headers("alice", session, "2025-06-18"), ping);
  EXPECT_EQ(other->status, 400);
  EXPECT_THAT(other->body, HasSubstr("negotiated"));
}

TEST_F(McpHttpTest, GetIsNotAllowedAndBadBodiesAreRefused) {
  auto get = client_->Get("/mcp", Headers("alice"));
  EXPECT_EQ(get->status, 405);
  EXPECT_EQ(get->get_header_value("Allow"), "POST, DELETE");

  auto text = client_->Post("/mcp", Headers("alice"), "{}", "text/plain");
  EXPECT_EQ(text->status, 415);
  auto broken = client_->Post("/mcp", Headers("alice"), "{\"jsonrpc\":", kJson);
  EXPECT_EQ(broken->status, 400);
  EXPECT_EQ(json::parse(broken->body)["error"]["code"], McpServer::kParseError);

  httplib::Headers foreign = Headers("alice");
  foreign.emplace("Origin", "https://evil.example");
  auto evil = client_->Post("/mcp", foreign, R"({"jsonrpc":"2.0","id":1,"method":"ping"})", kJson);
  EXPECT_EQ(evil->status, 403);
  httplib::Headers local = Headers("alice");
  local.emplace("Origin", "http://localhost:3000");
  auto ok = client_->Post("/mcp", local,
                          R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}})",
                          kJson);
  EXPECT_EQ(ok->status, 200);
}

}  // namespace
}  // namespace engram::service
