// The HTTP API in process: a real cpp-httplib server on an ephemeral
// loopback port over a real Store, driven by an httplib client. Every route,
// bearer tokens (401/403, tenant isolation), limits (413/429), the JSON error
// bodies, batch atomicity, metrics and the OpenAPI document.
#include "service/http_api.h"

#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "service/openapi.h"
#include "service/tokens.h"
#include "testing/local_http_server.h"
#include "testing/temp_dir.h"
#include "testing/test_embedder.h"

namespace engram::service {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;

constexpr const char* kTokens = R"({"tokens": [
  {"token": "tok-a", "name": "agent-a", "write": ["a"]},
  {"token": "tok-b-read", "name": "reader-b", "read": ["b"]},
  {"token": "tok-admin", "name": "ops", "admin": true}
]})";

struct Reply {
  int status = 0;
  std::string body;
  httplib::Headers headers;
  json Json() const { return json::parse(body, nullptr, false); }
};

class HttpApiTest : public ::testing::Test {
 protected:
  void Start(HttpLimits limits = {}, bool with_tokens = true) {
    Options o;
    o.embedder = std::make_shared<testing::TestEmbedder>();
    auto store = Store::Open(o, dir_.Sub("store"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    HttpApiOptions options;
    options.limits = limits;
    options.store_path = dir_.Sub("store");
    options.access_log = false;
    if (with_tokens) {
      auto tokens = Tokens::Parse(kTokens, "tokens.json");
      ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
      options.tokens = std::make_shared<const Tokens>(std::move(*tokens));
    }
    api_ = std::make_unique<HttpApi>(*store_, options);
    server_ = std::make_unique<testing::LocalHttpServer>();
    api_->Mount(server_->http());
    ASSERT_TRUE(server_->Start());
  }

  void TearDown() override {
    server_.reset();  // stops before the API and the store go
    api_.reset();
    store_.reset();
  }

  Reply Send(const std::string& method, const std::string& path, const std::string& token = "tok-admin",
             const std::string& body = "") {
    httplib::Client client("127.0.0.1", server_->port());
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    auto send = [&]() -> httplib::Result {
      if (method == "POST") return client.Post(path.c_str(), headers, body, "application/json");
      if (method == "PUT") return client.Put(path.c_str(), headers, body, "application/json");
      if (method == "DELETE") return client.Delete(path.c_str(), headers);
      return client.Get(path.c_str(), headers);
    };
    httplib::Result r = send();
    Reply out;
    if (!r) {
      ADD_FAILURE() << method << " " << path << ": no reply (" << httplib::to_string(r.error()) << ")";
      return out;
    }
    out.status = r->status;
    out.body = r->body;
    out.headers = r->headers;
    return out;
  }
  Reply Post(const std::string& path, const json& body, const std::string& token = "tok-admin") {
    return Send("POST", path, token, body.dump());
  }

  static json TurnJson(const std::string& id, const std::string& text, const std::string& speaker = "Dana") {
    return {{"speaker", speaker}, {"text", text}, {"id", id}, {"session", "s1"}, {"time", "2024-03-10T09:15:00Z"}};
  }

  uint64_t TurnCount(const std::string& tenant) {
    auto stats = store_->GetTenantStats(tenant);
    return stats.ok() ? stats->turns : 0;
  }

  // The error body's code, checked to have the documented shape.
  static std::string ErrorCode(const Reply& r) {
    json j = r.Json();
    EXPECT_TRUE(j.is_object() && j.contains("error")) << r.body;
    if (!j.is_object() || !j.contains("error")) return "";
    EXPECT_EQ(j["error"]["status"], r.status) << r.body;
    EXPECT_TRUE(j["error"]["message"].is_string() && !j["error"]["message"].get<std::string>().empty()) << r.body;
    return j["error"]["code"].get<std::string>();
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<HttpApi> api_;
  std::unique_ptr<testing::LocalHttpServer> server_;
};

TEST_F(HttpApiTest, ObservesOneTurnAndBatchesAndSaysWhatWasNew) {
  Start();
  Reply one = Post("/v1/tenants/a/turns", TurnJson("s1:1", "I ran the Porto half marathon yesterday."), "tok-a");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.Json()["seqs"].size(), 1u);
  EXPECT_EQ(one.Json()["new"], 1);
  EXPECT_EQ(one.Json()["already_stored"], 0);

  Reply again = Post("/v1/tenants/a/turns", TurnJson("s1:1", "I ran the Porto half marathon yesterday."), "tok-a");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Json()["new"], 0);
  EXPECT_EQ(again.Json()["already_stored"], 1);
  EXPECT_EQ(again.Json()["seqs"], one.Json()["seqs"]);

  json batch = {{"turns", {TurnJson("s1:2", "My sister Ana lives in Lisbon."), TurnJson("s1:3", "I adopted a cat."),
                           TurnJson("s1:1", "I ran the Porto half marathon yesterday.")}},
                {"sync", true}};
  Reply many = Post("/v1/tenants/a/turns", batch, "tok-a");
  ASSERT_EQ(many.status, 200) << many.body;
  EXPECT_EQ(many.Json()["seqs"].size(), 3u);
  EXPECT_EQ(many.Json()["new"], 2);
  EXPECT_EQ(many.Json()["already_stored"], 1);
  EXPECT_EQ(TurnCount("a"), 3u);

  auto stored = store_->GetTurnBySourceId("a", "s1:2");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->turn.text, "My sister Ana lives in Lisbon.");
  EXPECT_EQ(stored->turn.session, "s1");

  Reply turn = Send("GET", "/v1/tenants/a/turns/s1:2", "tok-a");
  ASSERT_EQ(turn.status, 200) << turn.body;
  EXPECT_EQ(turn.Json()["text"], "My sister Ana lives in Lisbon.");
  EXPECT_EQ(turn.Json()["time"], "2024-03-10T09:15:00Z");
}

TEST_F(HttpApiTest, MetadataIsStoredAndFiltersRecall) {
  Start();
  json t1 = TurnJson("m1", "The invoice for the boat repair is due Friday.");
  t1["metadata"] = {{"channel", "email"}};
  json t2 = TurnJson("m2", "The invoice for the garden is due Monday.");
  t2["metadata"] = {{"channel", "chat"}};
  ASSERT_EQ(Post("/v1/tenants/a/turns", {{"turns", {t1, t2}}}).status, 200);
  Reply r = Post("/v1/tenants/a/recall", {{"question", "invoice due"}, {"where", {{"channel", "email"}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_FALSE(r.Json()["hits"].empty());
  const json reply = r.Json();  // the loop below must not iterate a temporary's member
  for (const auto& hit : reply["hits"]) {
    EXPECT_EQ(hit["metadata"]["channel"], "email") << hit.dump();
  }
}

TEST_F(HttpApiTest, ABadTurnInABatchWritesNothing) {
  Start();
  ASSERT_EQ(Post("/v1/tenants/a/turns", TurnJson("s1:1", "First turn.")).status, 200);
  json bad = {{"turns", {TurnJson("s1:2", "Fine."), {{"text", "no speaker"}, {"id", "s1:3"}}, TurnJson("s1:4", "x")}}};
  Reply r = Post("/v1/tenants/a/turns", bad);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorCode(r), "invalid_argument");
  EXPECT_THAT(r.Json()["error"]["message"].get<std::string>(), HasSubstr("turns[1]"));
  EXPECT_THAT(r.Json()["error"]["message"].get<std::string>(), HasSubstr("speaker"));
  EXPECT_EQ(TurnCount("a"), 1u);
  EXPECT_FALSE(store_->GetTurnBySourceId("a", "s1:2").ok());

  // A turn naming another tenant than the path.
  json other = TurnJson("s1:5", "Sneaky.");
  other["tenant"] = "b";
  Reply wrong = Post("/v1/tenants/a/turns", {{"turns", {TurnJson("s1:6", "ok"), other}}});
  EXPECT_EQ(wrong.status, 400);
  EXPECT_THAT(wrong.body, HasSubstr("tenant"));
  EXPECT_EQ(TurnCount("a"), 1u);
  EXPECT_EQ(TurnCount("b"), 0u);

  // Unknown fields, bad times, not JSON, the wrong shape.
  json typo = TurnJson("s1:7", "typo");
  typo["speakr"] = "x";
  EXPECT_EQ(Post("/v1/tenants/a/turns", typo).status, 400);
  json bad_time = TurnJson("s1:8", "when?");
  bad_time["time"] = "yesterday";
  Reply time_reply = Post("/v1/tenants/a/turns", bad_time);
  EXPECT_EQ(time_reply.status, 400);
  EXPECT_THAT(time_reply.body, HasSubstr("time"));
  EXPECT_EQ(Send("POST", "/v1/tenants/a/turns", "tok-admin", "{not json").status, 400);
  EXPECT_EQ(Send("POST", "/v1/tenants/a/turns", "tok-admin", "[1,2]").status, 400);
  EXPECT_EQ(Post("/v1/tenants/a/turns", {{"turns", json::array()}}).status, 400);
  EXPECT_EQ(TurnCount("a"), 1u);
}

TEST_F(HttpApiTest, RewritingAStoredIdChangesNothing) {
  Start();
  ASSERT_EQ(Post("/v1/tenants/a/turns", TurnJson("s1:1", "Original text.")).status, 200);
  Reply r = Post("/v1/tenants/a/turns", TurnJson("s1:1", "Different text."));
  // A store that compares contents refuses it (AlreadyExists: 409); one that
  // keys on the id alone reports it already stored. Either way it stays.
  if (r.status == 409) {
    EXPECT_EQ(ErrorCode(r), "conflict");
  } else {
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["already_stored"], 1);
  }
  EXPECT_EQ(store_->GetTurnBySourceId("a", "s1:1")->turn.text, "Original text.");
  EXPECT_EQ(TurnCount("a"), 1u);
}

TEST_F(HttpApiTest, RecallContextProfileGraphStatsExport) {
  Start();
  json batch = {{"turns", {TurnJson("s1:1", "My sister Ana lives in Lisbon."),
                           TurnJson("s1:2", "I love painting landscapes."),
                           TurnJson("s1:3", "I ran the Porto half marathon yesterday.")}}};
  ASSERT_EQ(Post("/v1/tenants/a/turns", batch).status, 200);

  Reply recall = Post("/v1/tenants/a/recall", {{"question", "Where did Dana race?"}, {"k", 2}}, "tok-a");
  ASSERT_EQ(recall.status, 200) << recall.body;
  json hits = recall.Json()["hits"];
  ASSERT_FALSE(hits.empty());
  EXPECT_LE(hits.size(), 2u);
  EXPECT_TRUE(recall.Json()["route"]["name"].is_string());
  bool found = false;
  for (const auto& h : hits) found |= h["text"].get<std::string>().find("Porto") != std::string::npos;
  EXPECT_TRUE(found) << recall.body;

  Reply context = Post("/v1/tenants/a/context", {{"question", "What does Dana like?"}, {"budget_tokens", 60}});
  ASSERT_EQ(context.status, 200) << context.body;
  EXPECT_LE(context.Json()["tokens"].get<int>(), 60);
  EXPECT_FALSE(context.Json()["text"].get<std::string>().empty());
  EXPECT_TRUE(context.Json()["sections"].is_array());

  Reply bad_k = Post("/v1/tenants/a/recall", {{"question", "x"}, {"k", 0}});
  EXPECT_EQ(bad_k.status, 400);
  EXPECT_THAT(bad_k.body, HasSubstr("'k'"));
  EXPECT_EQ(Post("/v1/tenants/a/recall", {{"question", "x"}, {"kk", 3}}).status, 400);
  EXPECT_EQ(Post("/v1/tenants/a/recall", {{"k", 3}}).status, 400);
  EXPECT_EQ(Post("/v1/tenants/a/recall", {{"question", "x"}, {"tiers", {"episodic", "nope"}}}).status, 400);
  EXPECT_EQ(Post("/v1/tenants/a/context", {{"question", "x"}, {"budget_tokens", -5}}).status, 400);

  Reply profile = Send("GET", "/v1/tenants/a/profile?speaker=Dana&history=true");
  ASSERT_EQ(profile.status, 200) << profile.body;
  EXPECT_TRUE(profile.Json()["facts"].is_array());
  EXPECT_EQ(Send("GET", "/v1/tenants/a/profile?as_of=someday").status, 400);
  EXPECT_EQ(Send("GET", "/v1/tenants/a/profile?history=maybe").status, 400);

  Reply graph = Send("GET", "/v1/tenants/a/graph?entity=Dana&hops=2&max_edges=50");
  ASSERT_EQ(graph.status, 200) << graph.body;
  EXPECT_TRUE(graph.Json()["entities"].is_array());
  EXPECT_TRUE(graph.Json()["relations"].is_array());
  EXPECT_EQ(Send("GET", "/v1/tenants/a/graph?hops=11").status, 400);
  EXPECT_EQ(Send("GET", "/v1/tenants/a/graph?hops=two").status, 400);

  Reply stats = Send("GET", "/v1/tenants/a/stats");
  ASSERT_EQ(stats.status, 200) << stats.body;
  EXPECT_EQ(stats.Json()["turns"], 3);
  EXPECT_EQ(stats.Json()["tenant"], "a");

  Reply exported = Send("GET", "/v1/tenants/a/export");
  ASSERT_EQ(exported.status, 200);
  std::vector<std::string> lines;
  for (size_t pos = 0, end; (end = exported.body.find('\n', pos)) != std::string::npos; pos = end + 1) {
    lines.push_back(exported.body.substr(pos, end - pos));
  }
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(json::parse(lines[1])["text"], "I love painting landscapes.");
  EXPECT_EQ(json::parse(lines[1])["tenant"], "a");

  Reply tenants = Send("GET", "/v1/tenants");
  ASSERT_EQ(tenants.status, 200);
  EXPECT_EQ(tenants.Json()["tenants"], json::array({"a"}));
}

TEST_F(HttpApiTest, UnknownTenantTurnAndRouteAre404WithJsonBodies) {
  Start();
  ASSERT_EQ(Post("/v1/tenants/maya/turns", TurnJson("1", "hello")).status, 200);
  Reply stats = Send("GET", "/v1/tenants/mayb/stats");
  EXPECT_EQ(stats.status, 404);
  EXPECT_EQ(ErrorCode(stats), "not_found");
  EXPECT_EQ(Send("GET", "/v1/tenants/mayb/export").status, 404);
  EXPECT_EQ(Send("GET", "/v1/tenants/maya/turns/nope").status, 404);
  EXPECT_EQ(Send("DELETE", "/v1/tenants/mayb").status, 404);
  Reply route = Send("GET", "/v2/whatever");
  EXPECT_EQ(route.status, 404);
  EXPECT_EQ(ErrorCode(route), "not_found");
  EXPECT_THAT(route.body, HasSubstr("/openapi.json"));
}

TEST_F(HttpApiTest, ForgetTenantDryRunThenForReal) {
  Start();
  ASSERT_EQ(Post("/v1/tenants/a/turns", {{"turns", {TurnJson("1", "one"), TurnJson("2", "two")}}}).status, 200);
  ASSERT_EQ(Post("/v1/tenants/b/turns", TurnJson("1", "bee")).status, 200);
  Reply dry = Send("DELETE", "/v1/tenants/a?dry_run=true", "tok-a");
  ASSERT_EQ(dry.status, 200) << dry.body;
  EXPECT_EQ(dry.Json()["dry_run"], true);
  EXPECT_EQ(dry.Json()["removed"]["turns"], 2);
  EXPECT_EQ(TurnCount("a"), 2u);
  Reply real = Send("DELETE", "/v1/tenants/a", "tok-a");
  ASSERT_EQ(real.status, 200) << real.body;
  EXPECT_EQ(real.Json()["dry_run"], false);
  EXPECT_EQ(TurnCount("a"), 0u);
  EXPECT_EQ(TurnCount("b"), 1u);
  EXPECT_EQ(Send("GET", "/v1/tenants/a/stats").status, 404);
}

TEST_F(HttpApiTest, EveryRequestNeedsAKnownBearerToken) {
  Start();
  Reply none = Send("GET", "/v1/tenants/a/stats", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(ErrorCode(none), "unauthenticated");
  EXPECT_EQ(none.headers.count("WWW-Authenticate"), 1u);
  Reply unknown = Send("GET", "/v1/tenants/a/stats", "tok-guess");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_THAT(unknown.body, HasSubstr("unknown token"));
  EXPECT_EQ(Post("/v1/tenants/a/turns", TurnJson("1", "x"), "").status, 401);
  EXPECT_EQ(TurnCount("a"), 0u);
  // A prefix of a real token is not that token.
  EXPECT_EQ(Send("GET", "/v1/tenants/a/stats", "tok-").status, 401);
  // Operations need none.
  EXPECT_EQ(Send("GET", "/healthz", "").status, 200);
  EXPECT_EQ(Send("GET", "/readyz", "").status, 200);
  EXPECT_EQ(Send("GET", "/openapi.json", "").status, 200);
}

TEST_F(HttpApiTest, ATokenForTenantACanNeverReadOrChangeB) {
  Start();
  ASSERT_EQ(Post("/v1/tenants/b/turns", {{"turns", {TurnJson("b1", "Bee's secret plan."), TurnJson("b2", "more")}}})
                .status,
            200);
  ASSERT_EQ(Post("/v1/tenants/a/turns", TurnJson("a1", "Ay's note."), "tok-a").status, 200);
  const auto before = store_->ScanTurns("b");
  ASSERT_TRUE(before.ok());

  struct Call {
    std::string method, path;
    json body;
  };
  const std::vector<Call> calls = {
      {"POST", "/v1/tenants/b/turns", TurnJson("b3", "overwrite")},
      {"POST", "/v1/tenants/b/turns", {{"turns", {TurnJson("b1", "changed")}}}},
      {"POST", "/v1/tenants/b/recall", {{"question", "secret plan"}}},
      {"POST", "/v1/tenants/b/context", {{"question", "secret plan"}}},
      {"GET", "/v1/tenants/b/profile", nullptr},
      {"GET", "/v1/tenants/b/graph", nullptr},
      {"GET", "/v1/tenants/b/stats", nullptr},
      {"GET", "/v1/tenants/b/export", nullptr},
      {"GET", "/v1/tenants/b/turns/b1", nullptr},
      {"GET", "/v1/tenants/b/turns/b1/history", nullptr},
      {"PUT", "/v1/tenants/b/turns/b1", {{"text", "changed"}}},
      {"DELETE", "/v1/tenants/b/turns/b1", nullptr},
      {"DELETE", "/v1/tenants/b?dry_run=true", nullptr},
      {"DELETE", "/v1/tenants/b", nullptr},
      {"POST", "/v1/tenants/b/facts", {{"subject", "B"}, {"attribute", "likes"}, {"value", "x"}}},
      {"DELETE", "/v1/tenants/b/facts/fact:1.0", nullptr},
      {"POST", "/v1/tenants/b/relations", {{"subject", "B"}, {"relation", "likes"}, {"object", "x"}}},
      {"DELETE", "/v1/tenants/b/relations/rel:1.0", nullptr},
      {"GET", "/v1/tenants/b/core", nullptr},
      {"GET", "/v1/tenants/b/core/human", nullptr},
      {"PUT", "/v1/tenants/b/core/human", {{"text", "x"}}},
      {"POST", "/v1/tenants/b/core/human", {{"text", "x"}}},
  };
  for (const auto& c : calls) {
    Reply r = Send(c.method, c.path, "tok-a", c.body.is_null() ? "" : c.body.dump());
    EXPECT_EQ(r.status, 403) << c.method << " " << c.path << ": " << r.body;
    EXPECT_EQ(ErrorCode(r), "permission_denied") << c.method << " " << c.path;
    EXPECT_THAT(r.body, Not(HasSubstr("secret"))) << c.method << " " << c.path;
  }
  // A read-only token for b reads it and may not change it.
  EXPECT_EQ(Send("GET", "/v1/tenants/b/stats", "tok-b-read").status, 200);
  EXPECT_EQ(Post("/v1/tenants/b/recall", {{"question", "plan"}}, "tok-b-read").status, 200);
  EXPECT_EQ(Post("/v1/tenants/b/turns", TurnJson("b4", "x"), "tok-b-read").status, 403);
  EXPECT_EQ(Send("DELETE", "/v1/tenants/b", "tok-b-read").status, 403);
  EXPECT_EQ(Send("GET", "/v1/tenants/a/stats", "tok-b-read").status, 403);
  // Listing tenants is for admins.
  EXPECT_EQ(Send("GET", "/v1/tenants", "tok-a").status, 403);
  EXPECT_EQ(Send("GET", "/v1/tenants", "tok-b-read").status, 403);

  const auto after = store_->ScanTurns("b");
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), before->size());
  for (size_t i = 0; i < after->size(); ++i) EXPECT_EQ((*after)[i].turn.text, (*before)[i].turn.text);
  EXPECT_EQ(TurnCount("a"), 1u);
}

TEST_F(HttpApiTest, BodiesAndBatchesOverTheLimitsAre413AndWriteNothing) {
  HttpLimits limits;
  limits.max_body_bytes = 4096;
  limits.max_batch_turns = 3;
  Start(limits);
  Reply big = Post("/v1/tenants/a/turns", TurnJson("1", std::string(5000, 'x')));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(ErrorCode(big), "payload_too_large");
  EXPECT_THAT(big.body, HasSubstr("4096"));
  json batch = {{"turns", {TurnJson("1", "a"), TurnJson("2", "b"), TurnJson("3", "c"), TurnJson("4", "d")}}};
  Reply many = Post("/v1/tenants/a/turns", batch);
  EXPECT_EQ(many.status, 413);
  EXPECT_EQ(ErrorCode(many), "payload_too_large");
  EXPECT_THAT(many.body, HasSubstr("at most 3"));
  EXPECT_EQ(TurnCount("a"), 0u);
  batch["turns"].erase(3);
  EXPECT_EQ(Post("/v1/tenants/a/turns", batch).status, 200);
  EXPECT_EQ(TurnCount("a"), 3u);
}

TEST_F(HttpApiTest, SaturatedServerAnswers429WithRetryAfterAndProbesStillAnswer) {
  HttpLimits limits;
  limits.max_concurrent = 2;
  limits.retry_after_s = 3;
  Start(limits);
  // Take every request slot, as two long requests in flight would.
  ASSERT_TRUE(api_->TryAcquireSlot());
  ASSERT_TRUE(api_->TryAcquireSlot());
  ASSERT_FALSE(api_->TryAcquireSlot());
  Reply r = Post("/v1/tenants/a/turns", TurnJson("1", "dropped"));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(ErrorCode(r), "too_many_requests");
  EXPECT_EQ(r.headers.find("Retry-After")->second, "3");
  EXPECT_EQ(TurnCount("a"), 0u);
  EXPECT_EQ(Send("GET", "/healthz").status, 200);
  EXPECT_EQ(Send("GET", "/metrics").status, 200);
  api_->ReleaseSlot();
  EXPECT_EQ(Post("/v1/tenants/a/turns", TurnJson("1", "accepted")).status, 200);
  api_->ReleaseSlot();
  EXPECT_EQ(api_->InFlight(), 0u);
}

TEST_F(HttpApiTest, WithoutTokensEveryCallerIsLocalAndFullyTrusted) {
  Start({}, /*with_tokens=*/false);
  EXPECT_EQ(Post("/v1/tenants/a/turns", TurnJson("1", "hi"), "").status, 200);
  EXPECT_EQ(Send("GET", "/v1/tenants", "").status, 200);
  EXPECT_EQ(Send("GET", "/v1/tenants/a/stats", "anything").status, 200);
}

TEST_F(HttpApiTest, ReadinessHealthAndMetrics) {
  Start();
  EXPECT_EQ(Send("GET", "/healthz").Json()["status"], "ok");
  EXPECT_EQ(Send("GET", "/readyz").Json()["status"], "ready");
  ASSERT_EQ(Post("/v1/tenants/a/turns", {{"turns", {TurnJson("1", "one"), TurnJson("2", "two")}}}).status, 200);
  ASSERT_EQ(Post("/v1/tenants/a/turns", TurnJson("1", "one")).status, 200);  // already stored: not counted
  ASSERT_EQ(Send("GET", "/v1/tenants/zzz/stats").status, 404);
  Reply m = Send("GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_THAT(m.headers.find("Content-Type")->second, HasSubstr("text/plain"));
  EXPECT_THAT(m.body,
              HasSubstr(R"(engram_http_requests_total{method="POST",route="/v1/tenants/{tenant}/turns",status="200"} 2)"));
  EXPECT_THAT(m.body,
              HasSubstr(R"(engram_http_requests_total{method="GET",route="/v1/tenants/{tenant}/stats",status="404"} 1)"));
  EXPECT_THAT(m.body, HasSubstr(R"(engram_http_request_duration_seconds_count{method="POST",route="/v1/tenants/{tenant}/turns"} 2)"));
  EXPECT_THAT(m.body, HasSubstr(R"(le="+Inf")"));
  EXPECT_THAT(m.body, HasSubstr("engram_turns_observed_total 2\n"));
  EXPECT_THAT(m.body, HasSubstr("engram_tenants 1\n"));
  EXPECT_THAT(m.body, HasSubstr("engram_enrichment_queue_depth 0\n"));
  api_->SetDraining();
  Reply draining = Send("GET", "/readyz");
  EXPECT_EQ(draining.status, 503);
  EXPECT_EQ(ErrorCode(draining), "unavailable");
  EXPECT_EQ(Send("GET", "/healthz").status, 200);
}

TEST_F(HttpApiTest, OpenApiDocumentIsServedAndNamesEveryRoute) {
  Start();
  Reply r = Send("GET", "/openapi.json", "");
  ASSERT_EQ(r.status, 200);
  json doc = r.Json();
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_EQ(doc, OpenApiDocument());
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"/healthz", "get"}, {"/readyz", "get"}, {"/metrics", "get"}, {"/openapi.json", "get"},
      {"/v1/tenants", "get"}, {"/v1/tenants/{tenant}", "delete"}, {"/v1/tenants/{tenant}/turns", "post"},
      {"/v1/tenants/{tenant}/turns/{source_id}", "get"}, {"/v1/tenants/{tenant}/turns/{source_id}", "put"},
      {"/v1/tenants/{tenant}/turns/{source_id}", "delete"}, {"/v1/tenants/{tenant}/turns/{source_id}/history", "get"},
      {"/v1/tenants/{tenant}/recall", "post"}, {"/v1/tenants/{tenant}/context", "post"},
      {"/v1/tenants/{tenant}/profile", "get"}, {"/v1/tenants/{tenant}/graph", "get"},
      {"/v1/tenants/{tenant}/stats", "get"}, {"/v1/tenants/{tenant}/export", "get"},
      {"/v1/tenants/{tenant}/facts", "post"}, {"/v1/tenants/{tenant}/facts/{id}", "delete"},
      {"/v1/tenants/{tenant}/relations", "post"}, {"/v1/tenants/{tenant}/relations/{id}", "delete"},
      {"/v1/tenants/{tenant}/core", "get"}, {"/v1/tenants/{tenant}/core/{name}", "get"},
      {"/v1/tenants/{tenant}/core/{name}", "put"}, {"/v1/tenants/{tenant}/core/{name}", "post"}};
  for (const auto& [path, method] : routes) {
    EXPECT_TRUE(doc["paths"].contains(path) && doc["paths"][path].contains(method)) << method << " " << path;
  }
}

TEST(TokensTest, MalformedTokenFilesAreRefusedNamingTheEntry) {
  EXPECT_TRUE(Tokens::Parse(kTokens, "t.json").ok());
  auto dup = Tokens::Parse(R"({"tokens":[{"token":"x","name":"a"},{"token":"x","name":"b"}]})", "t.json");
  ASSERT_FALSE(dup.ok());
  EXPECT_THAT(dup.status().message(), HasSubstr("tokens[1]"));
  auto typo = Tokens::Parse(R"({"tokens":[{"token":"x","name":"a","wirte":["a"]}]})", "t.json");
  ASSERT_FALSE(typo.ok());
  EXPECT_THAT(typo.status().message(), HasSubstr("wirte"));
  EXPECT_FALSE(Tokens::Parse(R"({"tokens":[{"token":"","name":"a"}]})", "t.json").ok());
  EXPECT_FALSE(Tokens::Parse(R"({"tokens":[{"token":"a b","name":"a"}]})", "t.json").ok());
  EXPECT_FALSE(Tokens::Parse(R"({"tokens":[{"token":"x"}]})", "t.json").ok());
  EXPECT_FALSE(Tokens::Parse(R"({"tokens":[{"token":"x","name":"a","read":"a"}]})", "t.json").ok());
  EXPECT_FALSE(Tokens::Parse("not json", "t.json").ok());
  EXPECT_FALSE(Tokens::Load("/nonexistent/tokens.json").ok());
  auto tokens = Tokens::Parse(kTokens, "t.json");
  EXPECT_FALSE(tokens->Find("tok-a ").has_value());
  ASSERT_TRUE(tokens->Find("tok-a").has_value());
  EXPECT_TRUE(tokens->Find("tok-a")->CanWrite("a"));
  EXPECT_FALSE(tokens->Find("tok-a")->CanRead("b"));
  EXPECT_EQ(tokens->Find("tok-a")->principal, "token:agent-a");
}

TEST(HttpStatusTest, EngramStatusCodesMapToStableHttpCodes) {
  EXPECT_EQ(HttpStatusFor(Status::OK()), 200);
  EXPECT_EQ(HttpStatusFor(Status::InvalidArgument("x")), 400);
  EXPECT_EQ(HttpStatusFor(Status::NotFound("x")), 404);
  EXPECT_EQ(HttpStatusFor(Status::AlreadyExists("x")), 409);
  EXPECT_EQ(HttpStatusFor(Status::NotSupported("x")), 501);
  EXPECT_EQ(HttpStatusFor(Status::Unavailable("x")), 503);
  EXPECT_EQ(HttpStatusFor(Status::IOError("x")), 500);
  json body = json::parse(ErrorBody(404, "no tenant 'x'"));
  EXPECT_EQ(body, json({{"error", {{"code", "not_found"}, {"status", 404}, {"message", "no tenant 'x'"}}}}));
}

}  // namespace
}  // namespace engram::service
