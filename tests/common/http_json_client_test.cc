#include "common/http_json_client.h"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/local_http_server.h"

namespace engram {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;
using testing::LocalHttpServer;

// Small waits so retry tests stay fast.
HttpJsonClientOptions FastOptions() {
  HttpJsonClientOptions options;
  options.timeout_ms = 2000;
  options.max_retries = 3;
  options.initial_backoff_ms = 1;
  options.max_backoff_ms = 20;
  return options;
}

std::unique_ptr<HttpJsonClient> MakeClient(const std::string& url, HttpJsonClientOptions options = FastOptions()) {
  auto client = HttpJsonClient::Create(url, std::move(options));
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(client).value() : nullptr;
}

TEST(ParseHttpUrlTest, ReadsHostPortAndPath) {
  auto url = ParseHttpUrl("http://127.0.0.1:8080/v1/embeddings");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->scheme, "http");
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->path, "/v1/embeddings");
}

TEST(ParseHttpUrlTest, DefaultsPortFromSchemeAndPathToRoot) {
  auto http = ParseHttpUrl("http://localhost");
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->port, 80);
  EXPECT_EQ(http->path, "/");
  auto https = ParseHttpUrl("HTTPS://api.example.com/v1");
  ASSERT_TRUE(https.ok());
  EXPECT_EQ(https->scheme, "https");
  EXPECT_EQ(https->port, 443);
}

TEST(ParseHttpUrlTest, AcceptsBracketedIpv6) {
  auto url = ParseHttpUrl("http://[::1]:11434/v1");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 11434);
}

TEST(ParseHttpUrlTest, RejectsMalformedUrls) {
  for (const char* bad : {"127.0.0.1:8080/v1", "ftp://host/x", "http://:80/x", "http://host:abc/",
                          "http://host:70000/", "http://user:secret@host/v1", "http://host/v1?x=1", "http://host:/"}) {
    auto url = ParseHttpUrl(bad);
    EXPECT_FALSE(url.ok()) << bad;
    EXPECT_TRUE(url.status().IsInvalidArgument()) << bad;
  }
}

TEST(ParseHttpUrlTest, CredentialErrorDoesNotSuggestKeepingThemInUrl) {
  auto url = ParseHttpUrl("http://user:secret@host/v1");
  ASSERT_FALSE(url.ok());
  EXPECT_THAT(url.status().message(), HasSubstr("api_key"));
}

TEST(JoinEndpointTest, AppendsSuffixOnce) {
  EXPECT_EQ(JoinEndpoint("http://h:1/v1", "/embeddings"), "http://h:1/v1/embeddings");
  EXPECT_EQ(JoinEndpoint("http://h:1/v1/", "/embeddings"), "http://h:1/v1/embeddings");
  EXPECT_EQ(JoinEndpoint("http://h:1/v1/embeddings", "/embeddings"), "http://h:1/v1/embeddings");
  EXPECT_EQ(JoinEndpoint("http://h:1/v1/embeddings/", "/embeddings"), "http://h:1/v1/embeddings");
}

TEST(MessageSnippetTest, CutsOnCharacterBoundaryAndRepairsUtf8) {
  EXPECT_EQ(MessageSnippet("short"), "short");
  EXPECT_EQ(MessageSnippet("caf\xc3\xa9 au lait", 4), "caf...");  // never half of the é
  EXPECT_EQ(MessageSnippet("bad \xff byte"), "bad \xef\xbf\xbd byte");
}

TEST(HttpJsonClientTest, HttpsIsRefusedClearlyWithoutOpenSsl) {
  auto client = HttpJsonClient::Create("https://127.0.0.1:1/v1/embeddings", FastOptions());
  if (HttpsSupported()) {
    EXPECT_TRUE(client.ok()) << client.status().ToString();
  } else {
    ASSERT_FALSE(client.ok());
    EXPECT_EQ(client.status().code(), Status::Code::kNotSupported);
    EXPECT_THAT(client.status().message(), HasSubstr("OpenSSL"));
  }
}

TEST(HttpJsonClientTest, RejectsBadOptions) {
  HttpJsonClientOptions options = FastOptions();
  options.timeout_ms = 0;
  EXPECT_TRUE(HttpJsonClient::Create("http://127.0.0.1:1/x", options).status().IsInvalidArgument());
  options = FastOptions();
  options.max_retries = -1;
  EXPECT_TRUE(HttpJsonClient::Create("http://127.0.0.1:1/x", options).status().IsInvalidArgument());
}

TEST(HttpJsonClientTest, PostsJsonWithBearerTokenAndReturnsReply) {
  LocalHttpServer server;
  std::string auth, content_type;
  server.http().Post("/v1/echo", [&](const httplib::Request& req, httplib::Response& res) {
    auth = req.get_header_value("Authorization");
    content_type = req.get_header_value("Content-Type");
    json in = json::parse(req.body);
    res.set_content(json{{"got", in["x"]}}.dump(), "application/json");
  });
  ASSERT_TRUE(server.Start());
  HttpJsonClientOptions options = FastOptions();
  options.api_key = "sk-test-123";
  auto client = MakeClient(server.Url("/v1/echo"), options);
  ASSERT_NE(client, nullptr);

  auto reply = client->Post(json{{"x", "héllo"}});
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ((*reply)["got"], "héllo");
  EXPECT_EQ(auth, "Bearer sk-test-123");
  EXPECT_EQ(content_type, "application/json");
}

TEST(HttpJsonClientTest, SendsNoAuthorizationWithoutKey) {
  LocalHttpServer server;
  std::atomic<bool> had_auth{true};
  server.http().Post("/x", [&](const httplib::Request& req, httplib::Response& res) {
    had_auth = req.has_header("Authorization");
    res.set_content("{}", "application/json");
  });
  ASSERT_TRUE(server.Start());
  auto client = MakeClient(server.Url("/x"));
  ASSERT_TRUE(client->Post(json::object()).ok());
  EXPECT_FALSE(had_auth);
}

// Answers `failures` times with `status`, then succeeds.
void FailThenSucceed(LocalHttpServer& server, int status, int failures, std::atomic<int>& requests,
                     std::string retry_after = "") {
  server.http().Post("/x", [&requests, status, failures, retry_after](const httplib::Request&,
                                                                        httplib::Response& res) {
    if (requests++ < failures) {
      res.status = status;
      if (!retry_after.empty()) res.set_header("Retry-After", retry_after);
      res.set_content(R"({"error":{"message":"try later"}})", "application/json");
      return;
    }
    res.set_content(R"({"ok":true})", "application/json");
  });
}

TEST(HttpJsonClientTest, RetriesAfter429ThenSucceeds) {
  LocalHttpServer server;
  std::atomic<int> requests{0};
  FailThenSucceed(server, 429, 1, requests);
  ASSERT_TRUE(server.Start());
  auto reply = MakeClient(server.Url("/x"))->Post(json::object());
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ((*reply)["ok"], true);
  EXPECT_EQ(requests.load(), 2);
}

TEST(HttpJsonClientTest, RetriesAfter500ThenSucceeds) {
  LocalHttpServer server;
  std::atomic<int> requests{0};
  FailThenSucceed(server, 500, 2, requests);
  ASSERT_TRUE(server.Start());
  auto reply = MakeClient(server.Url("/x"))->Post(json::object());
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(requests.load(), 3);
}

TEST(HttpJsonClientTest, Persistent503IsUnavailableAfterAllRetries) {
  LocalHttpServer server;
  std::atomic<int> requests{0};
  FailThenSucceed(server, 503, 1000, requests);
  ASSERT_TRUE(server.Start());
  HttpJsonClientOptions options = FastOptions();
  options.max_retries = 2;
  auto reply = MakeClient(server.Url("/x"), options)->Post(json::object());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), Status::Code::kUnavailable);
  EXPECT_THAT(reply.status().message(), HasSubstr("gave up after 3 attempts"));
  EXPECT_THAT(reply.status().message(), HasSubstr("HTTP 503: try later"));
  EXPECT_THAT(reply.status().message(), HasSubstr(server.Url("/x")));
  EXPECT_EQ(requests.load(), 3);
}

TEST(HttpJsonClientTest, HonoursRetryAfterSeconds) {
  LocalHttpServer server;
  std::atomic<int> requests{0};
  FailThenSucceed(server, 429, 1, requests, "1");
  ASSERT_TRUE(server.Start());
  HttpJsonClientOptions options = FastOptions();
  options.max_backoff_ms = 5000;  // the cap must not hide the server's wish
  const auto start = std::chrono::steady_clock::now();
  auto reply = MakeClient(server.Url("/x"), options)->Post(json::object());
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  // The backoff alone would wait about 1 ms; Retry-After asks for 1 s.
  EXPECT_GE(std::chrono::duration_cast<std::chrono::milliseconds>(waited).count(), 950);
}

TEST(HttpJsonClientTest, RetryAfterIsCappedByMaxBackoff) {
  LocalHttpServer server;
  std::atomic<int> requests{0};
  FailThenSucceed(server, 503, 1, requests, "3600");
  ASSERT_TRUE(server.Start());
  const auto start = std::chrono::steady_clock::now();
  auto reply = MakeClient(server.Url("/x"))->Post(json::object());
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  // Not a speed goal: an uncapped wait would be an hour.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(HttpJsonClientTest, BadRequestIsInvalidArgumentWithServerMessageAndNoRetry) {
  LocalHttpServer server;
  std::atomic<int> requests{0};
  server.http().Post("/x", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    res.status = 400;
    res.set_content(R"({"error":{"message":"input is too long","type":"invalid_request_error"}})",
                    "application/json");
  });
  ASSERT_TRUE(server.Start());
  auto reply = MakeClient(server.Url("/x"))->Post(json::object());
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(reply.status().IsInvalidArgument()) << reply.status().ToString();
  EXPECT_THAT(reply.status().message(), HasSubstr("HTTP 400: input is too long"));
  EXPECT_EQ(requests.load(), 1);
}

TEST(HttpJsonClientTest, OllamaStyleErrorStringIsQuoted) {
  LocalHttpServer server;
  server.http().Post("/x", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content(R"({"error":"model \"nomic\" not found, try pulling it first"})", "application/json");
  });
  ASSERT_TRUE(server.Start());
  auto reply = MakeClient(server.Url("/x"))->Post(json::object());
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(reply.status().IsInvalidArgument());
  EXPECT_THAT(reply.status().message(), HasSubstr("HTTP 404: model \"nomic\" not found"));
}

TEST(HttpJsonClientTest, ErrorBodyWithBadUtf8GivesAPrintableMessage) {
  LocalHttpServer server;
  server.http().Post("/x", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 422;
    res.set_content("caf\xe9 is not allowed", "text/plain");
  });
  ASSERT_TRUE(server.Start());
  auto reply = MakeClient(server.Url("/x"))->Post(json::object());
  ASSERT_FALSE(reply.ok());
  EXPECT_THAT(reply.status().message(), HasSubstr("HTTP 422: caf\xef\xbf\xbd is not allowed"));
}

TEST(HttpJsonClientTest, UnauthorizedNeverEchoesTheKey) {
  LocalHttpServer server;
  server.http().Post("/x", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 401;
    res.set_content("unauthorized", "text/plain");
  });
  ASSERT_TRUE(server.Start());
  HttpJsonClientOptions options = FastOptions();
  options.api_key = "sk-very-secret";
  auto reply = MakeClient(server.Url("/x"), options)->Post(json::object());
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(reply.status().IsInvalidArgument());
  EXPECT_THAT(reply.status().message(), HasSubstr("HTTP 401: unauthorized"));
  EXPECT_THAT(reply.status().message(), Not(HasSubstr("sk-very-secret")));
}

TEST(HttpJsonClientTest, MalformedJsonReplyIsInvalidArgumentWithoutRetry) {
  LocalHttpServer server;
  std::atomic<int> requests{0};
  server.http().Post("/x", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    res.set_content(R"({"data": [1, 2,)", "application/json");
  });
  ASSERT_TRUE(server.Start());
  auto reply = MakeClient(server.Url("/x"))->Post(json::object());
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(reply.status().IsInvalidArgument()) << reply.status().ToString();
  EXPECT_THAT(reply.status().message(), HasSubstr("not valid JSON"));
  EXPECT_EQ(requests.load(), 1);
}

TEST(HttpJsonClientTest, SlowReplyBeyondTimeoutFails) {
  LocalHttpServer server;
  server.http().Post("/x", [&](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    res.set_content("{}", "application/json");
  });
  ASSERT_TRUE(server.Start());
  HttpJsonClientOptions options = FastOptions();
  options.timeout_ms = 150;
  options.max_retries = 0;
  auto reply = MakeClient(server.Url("/x"), options)->Post(json::object());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), Status::Code::kUnavailable);
  EXPECT_THAT(reply.status().message(), HasSubstr("timed out"));
}

TEST(HttpJsonClientTest, ConnectionRefusedIsUnavailableAfterRetries) {
  int dead_port;
  {
    LocalHttpServer server;  // started and stopped: nothing listens there now
    ASSERT_TRUE(server.Start());
    dead_port = server.port();
  }
  auto reply = MakeClient("http://127.0.0.1:" + std::to_string(dead_port) + "/x")->Post(json::object());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), Status::Code::kUnavailable);
  EXPECT_THAT(reply.status().message(), HasSubstr("could not connect"));
  EXPECT_THAT(reply.status().message(), HasSubstr("gave up after 4 attempts"));
}

TEST(HttpJsonClientTest, InvalidUtf8InRequestIsInvalidArgument) {
  LocalHttpServer server;
  std::atomic<int> requests{0};
  server.http().Post("/x", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    res.set_content("{}", "application/json");
  });
  ASSERT_TRUE(server.Start());
  auto reply = MakeClient(server.Url("/x"))->Post(json{{"input", std::string("bad \xff byte")}});
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(reply.status().IsInvalidArgument()) << reply.status().ToString();
  EXPECT_EQ(requests.load(), 0);
}

TEST(HttpJsonClientTest, ConcurrentPostsFromManyThreads) {
  LocalHttpServer server;
  server.http().Post("/x", [&](const httplib::Request& req, httplib::Response& res) {
    json in = json::parse(req.body);
    res.set_content(json{{"n", in["n"].get<int>() * 2}}.dump(), "application/json");
  });
  ASSERT_TRUE(server.Start());
  auto client = MakeClient(server.Url("/x"));
  std::atomic<int> correct{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto reply = client->Post(json{{"n", t * 100 + i}});
        if (reply.ok() && (*reply)["n"] == 2 * (t * 100 + i)) ++correct;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(correct.load(), 40);
}

}  // namespace
}  // namespace engram
