// HttpEmbedder against a real local HTTP server speaking the OpenAI
// /v1/embeddings protocol.

#include <atomic>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <chrono>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engram/embedder.h"
#include "testing/local_http_server.h"
#include "testing/scoped_env.h"

namespace engram {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;
using testing::LocalHttpServer;

// A deterministic stand-in for a model: each text gets its own vector, so a
// test can tell whether rows came back in the right order.
std::vector<float> FakeVector(const std::string& text, size_t dim) {
  std::vector<float> v(dim);
  uint32_t h = 2166136261u;
  for (unsigned char c : text) h = (h ^ c) * 16777619u;
  for (size_t k = 0; k < dim; ++k) v[k] = static_cast<float>((h >> (k % 24)) % 1000) / 1000.0f - 0.5f;
  return v;
}

// An /v1/embeddings server. By default it answers correctly, with the data
// items in reverse order (the protocol orders them by "index", not position).
class FakeEmbeddingServer {
 public:
  explicit FakeEmbeddingServer(size_t dim) : dim_(dim) {
    server_.http().Post("/v1/embeddings", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      ++requests_;
      json body = json::parse(req.body);
      bodies_.push_back(body);
      auth_ = req.get_header_value("Authorization");
      if (override_) {
        override_(body, res);
        return;
      }
      res.set_content(Reply(body).dump(), "application/json");
    });
    started_ = server_.Start();
  }

  json Reply(const json& body) const {
    json data = json::array();
    const json& input = body["input"];
    for (size_t i = input.size(); i-- > 0;) {
      data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", FakeVector(input[i], dim_)}});
    }
    return {{"object", "list"}, {"model", body["model"]}, {"data", data}};
  }

  // Replaces the default answer (called under the server's lock).
  void Override(std::function<void(const json&, httplib::Response&)> handler) {
    std::lock_guard<std::mutex> lock(mu_);
    override_ = std::move(handler);
  }

  bool started() const { return started_; }
  std::string BaseUrl() const { return server_.Url("/v1"); }
  int requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::vector<json> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  std::string auth() {
    std::lock_guard<std::mutex> lock(mu_);
    return auth_;
  }

 private:
  const size_t dim_;
  std::mutex mu_;
  int requests_ = 0;
  std::vector<json> bodies_;
  std::string auth_;
  std::function<void(const json&, httplib::Response&)> override_;
  LocalHttpServer server_;  // last: stopped before the state above goes away
  bool started_ = false;
};

HttpEmbedderOptions Options(const FakeEmbeddingServer& server, size_t dim) {
  HttpEmbedderOptions options;
  options.url = server.BaseUrl();
  options.model = "fake-embed";
  options.dim = dim;
  options.timeout_ms = 2000;
  options.max_retries = 2;
  options.initial_backoff_ms = 1;
  return options;
}

std::unique_ptr<Embedder> MustCreate(const HttpEmbedderOptions& options) {
  auto embedder = NewHttpEmbedder(options);
  EXPECT_TRUE(embedder.ok()) << embedder.status().ToString();
  return embedder.ok() ? std::move(embedder).value() : nullptr;
}

TEST(HttpEmbedderTest, EmbedsTextsInInputOrderWhenReplyIsShuffled) {
  FakeEmbeddingServer server(8);
  ASSERT_TRUE(server.started());
  auto embedder = MustCreate(Options(server, 8));
  ASSERT_NE(embedder, nullptr);
  const std::vector<std::string> texts = {"I went to a support group.", "Melanie paints.", "é café"};
  auto vectors = embedder->Embed(texts);
  ASSERT_TRUE(vectors.ok()) << vectors.status().ToString();
  ASSERT_EQ(vectors->size(), texts.size() * 8);
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<float> row(vectors->begin() + i * 8, vectors->begin() + (i + 1) * 8);
    EXPECT_EQ(row, FakeVector(texts[i], 8)) << "row " << i;
  }
  ASSERT_EQ(server.bodies().size(), 1u);
  const json body = server.bodies()[0];
  EXPECT_EQ(body["model"], "fake-embed");
  EXPECT_EQ(body["input"], json(texts));
}

TEST(HttpEmbedderTest, KnownDimensionMakesNoRequestUntilEmbed) {
  FakeEmbeddingServer server(8);
  ASSERT_TRUE(server.started());
  auto embedder = MustCreate(Options(server, 8));
  ASSERT_NE(embedder, nullptr);
  EXPECT_EQ(embedder->dim(), 8u);
  EXPECT_EQ(server.requests(), 0);
  auto none = embedder->Embed({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(server.requests(), 0);
}

TEST(HttpEmbedderTest, BatchesByMaxBatch) {
  FakeEmbeddingServer server(4);
  ASSERT_TRUE(server.started());
  HttpEmbedderOptions options = Options(server, 4);
  options.max_batch = 4;
  auto embedder = MustCreate(options);
  ASSERT_NE(embedder, nullptr);
  std::vector<std::string> texts;
  for (int i = 0; i < 10; ++i) texts.push_back("text number " + std::to_string(i));
  auto vectors = embedder->Embed(texts);
  ASSERT_TRUE(vectors.ok()) << vectors.status().ToString();
  ASSERT_EQ(server.requests(), 3);
  const auto bodies = server.bodies();
  EXPECT_EQ(bodies[0]["input"].size(), 4u);
  EXPECT_EQ(bodies[1]["input"].size(), 4u);
  EXPECT_EQ(bodies[2]["input"].size(), 2u);
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<float> row(vectors->begin() + i * 4, vectors->begin() + (i + 1) * 4);
    EXPECT_EQ(row, FakeVector(texts[i], 4)) << "row " << i;
  }
}

TEST(HttpEmbedderTest, LearnsDimensionWithOneProbeWhenZero) {
  FakeEmbeddingServer server(6);
  ASSERT_TRUE(server.started());
  auto embedder = MustCreate(Options(server, 0));
  ASSERT_NE(embedder, nullptr);
  EXPECT_EQ(embedder->dim(), 6u);
  ASSERT_EQ(server.requests(), 1);
  EXPECT_EQ(server.bodies()[0]["input"], json::array({"dimension probe"}));
  EXPECT_EQ(embedder->identity(), "http/fake-embed@" + server.BaseUrl() + "/6");
}

TEST(HttpEmbedderTest, IdentityIgnoresHowTheUrlIsWritten) {
  FakeEmbeddingServer server(4);
  ASSERT_TRUE(server.started());
  HttpEmbedderOptions a = Options(server, 4);
  HttpEmbedderOptions b = a;
  b.url = server.BaseUrl() + "/embeddings/";
  auto ea = MustCreate(a);
  auto eb = MustCreate(b);
  ASSERT_TRUE(ea && eb);
  EXPECT_EQ(ea->identity(), eb->identity());
  ASSERT_TRUE(eb->Embed(std::vector<std::string>{"x"}).ok());  // no "/embeddings/embeddings"
}

TEST(HttpEmbedderTest, ProbeFailsClearlyWhenEndpointIsDown) {
  std::string dead_url;
  {
    LocalHttpServer gone;
    ASSERT_TRUE(gone.Start());
    dead_url = gone.Url("/v1");
  }
  HttpEmbedderOptions options;
  options.url = dead_url;
  options.model = "m";
  options.max_retries = 1;
  options.initial_backoff_ms = 1;
  auto embedder = NewHttpEmbedder(options);
  ASSERT_FALSE(embedder.ok());
  EXPECT_EQ(embedder.status().code(), Status::Code::kUnavailable);
  EXPECT_THAT(embedder.status().message(), HasSubstr("could not learn the embedding dimension"));
  EXPECT_THAT(embedder.status().message(), HasSubstr("could not connect"));
}

TEST(HttpEmbedderTest, WrongDimensionIsInvalidArgument) {
  FakeEmbeddingServer server(384);
  ASSERT_TRUE(server.started());
  auto embedder = MustCreate(Options(server, 512));
  ASSERT_NE(embedder, nullptr);
  auto vectors = embedder->Embed(std::vector<std::string>{"hello"});
  ASSERT_FALSE(vectors.ok());
  EXPECT_TRUE(vectors.status().IsInvalidArgument()) << vectors.status().ToString();
  EXPECT_THAT(vectors.status().message(), HasSubstr("embedding dimension 384 != expected 512"));
}

TEST(HttpEmbedderTest, WrongCountIsInvalidArgument) {
  FakeEmbeddingServer server(4);
  ASSERT_TRUE(server.started());
  server.Override([&server](const json& body, httplib::Response& res) {
    json reply = server.Reply(body);
    reply["data"].erase(0);
    res.set_content(reply.dump(), "application/json");
  });
  auto embedder = MustCreate(Options(server, 4));
  auto vectors = embedder->Embed(std::vector<std::string>{"a", "b", "c"});
  ASSERT_FALSE(vectors.ok());
  EXPECT_TRUE(vectors.status().IsInvalidArgument());
  EXPECT_THAT(vectors.status().message(), HasSubstr("reply has 2 embeddings for 3 texts"));
}

TEST(HttpEmbedderTest, DuplicateIndexIsInvalidArgument) {
  FakeEmbeddingServer server(4);
  ASSERT_TRUE(server.started());
  server.Override([&server](const json& body, httplib::Response& res) {
    json reply = server.Reply(body);
    reply["data"][1]["index"] = reply["data"][0]["index"];
    res.set_content(reply.dump(), "application/json");
  });
  auto embedder = MustCreate(Options(server, 4));
  auto vectors = embedder->Embed(std::vector<std::string>{"a", "b"});
  ASSERT_FALSE(vectors.ok());
  EXPECT_THAT(vectors.status().message(), HasSubstr("appears twice"));
}

TEST(HttpEmbedderTest, NonFiniteValuesAreRejected) {
  FakeEmbeddingServer server(3);
  ASSERT_TRUE(server.started());
  auto embedder = MustCreate(Options(server, 3));
  ASSERT_NE(embedder, nullptr);
  const std::vector<std::string> one = {"x"};
  struct Case {
    const char* body;
    const char* message;
  };
  for (const Case& c : {
           // Python's json.dumps writes NaN as a bare literal, which is not JSON.
           Case{R"({"data":[{"index":0,"embedding":[0.1,NaN,0.2]}]})", "not valid JSON"},
           Case{R"({"data":[{"index":0,"embedding":[0.1,null,0.2]}]})", "data[0].embedding[1] is not a finite float"},
           Case{R"({"data":[{"index":0,"embedding":[0.1,0.2,1e39]}]})", "data[0].embedding[2] is not a finite float"},
           Case{R"({"data":[{"index":0,"embedding":[0.1,"0.2",0.3]}]})", "data[0].embedding[1] is not a finite float"},
       }) {
    server.Override([&c](const json&, httplib::Response& res) { res.set_content(c.body, "application/json"); });
    auto vectors = embedder->Embed(one);
    ASSERT_FALSE(vectors.ok()) << c.body;
    EXPECT_TRUE(vectors.status().IsInvalidArgument()) << vectors.status().ToString();
    EXPECT_THAT(vectors.status().message(), HasSubstr(c.message));
  }
}

TEST(HttpEmbedderTest, MalformedOrIncompleteRepliesAreInvalidArgument) {
  FakeEmbeddingServer server(2);
  ASSERT_TRUE(server.started());
  auto embedder = MustCreate(Options(server, 2));
  ASSERT_NE(embedder, nullptr);
  const std::vector<std::string> one = {"x"};
  struct Case {
    const char* body;
    const char* message;
  };
  for (const Case& c : {
           Case{"<html>oops</html>", "not valid JSON"},
           Case{R"({"object":"list"})", "no \"data\" array"},
           Case{R"({"data":[{"index":0}]})", "data[0] has no \"embedding\" array"},
           Case{R"({"data":[{"index":"0","embedding":[1,2]}]})", "data[0].index is not an integer"},
           Case{R"({"data":[{"index":5,"embedding":[1,2]}]})", "data[0].index 5 is out of range"},
           Case{R"({"data":[[1,2]]})", "data[0] is not an object"},
       }) {
    server.Override([&c](const json&, httplib::Response& res) { res.set_content(c.body, "application/json"); });
    auto vectors = embedder->Embed(one);
    ASSERT_FALSE(vectors.ok()) << c.body;
    EXPECT_TRUE(vectors.status().IsInvalidArgument()) << vectors.status().ToString();
    EXPECT_THAT(vectors.status().message(), HasSubstr(c.message));
  }
}

TEST(HttpEmbedderTest, ReplyWithoutIndexIsReadInOrder) {
  FakeEmbeddingServer server(2);
  ASSERT_TRUE(server.started());
  server.Override([](const json& body, httplib::Response& res) {
    json data = json::array();
    for (const auto& text : body["input"]) data.push_back({{"embedding", FakeVector(text, 2)}});
    res.set_content(json{{"data", data}}.dump(), "application/json");
  });
  auto embedder = MustCreate(Options(server, 2));
  auto vectors = embedder->Embed(std::vector<std::string>{"first", "second"});
  ASSERT_TRUE(vectors.ok()) << vectors.status().ToString();
  std::vector<float> expected = FakeVector("first", 2);
  const std::vector<float> second = FakeVector("second", 2);
  expected.insert(expected.end(), second.begin(), second.end());
  EXPECT_EQ(*vectors, expected);
}

TEST(HttpEmbedderTest, RetriesAfter429And500ThenSucceeds) {
  FakeEmbeddingServer server(4);
  ASSERT_TRUE(server.started());
  int calls = 0;  // guarded by the server's lock
  server.Override([&](const json& body, httplib::Response& res) {
    ++calls;
    if (calls == 1) {
      res.status = 429;
      res.set_content(R"({"error":{"message":"rate limited"}})", "application/json");
    } else if (calls == 2) {
      res.status = 500;
      res.set_content("internal error", "text/plain");
    } else {
      res.set_content(server.Reply(body).dump(), "application/json");
    }
  });
  auto embedder = MustCreate(Options(server, 4));
  auto vectors = embedder->Embed(std::vector<std::string>{"hi"});
  ASSERT_TRUE(vectors.ok()) << vectors.status().ToString();
  EXPECT_EQ(server.requests(), 3);
}

TEST(HttpEmbedderTest, Persistent503IsUnavailable) {
  FakeEmbeddingServer server(4);
  ASSERT_TRUE(server.started());
  server.Override([](const json&, httplib::Response& res) {
    res.status = 503;
    res.set_content(R"({"error":{"message":"Loading model"}})", "application/json");
  });
  auto embedder = MustCreate(Options(server, 4));  // max_retries = 2
  auto vectors = embedder->Embed(std::vector<std::string>{"hi"});
  ASSERT_FALSE(vectors.ok());
  EXPECT_EQ(vectors.status().code(), Status::Code::kUnavailable);
  EXPECT_THAT(vectors.status().message(), HasSubstr("Loading model"));
  EXPECT_EQ(server.requests(), 3);
}

TEST(HttpEmbedderTest, BadRequestIsInvalidArgumentWithServerMessage) {
  FakeEmbeddingServer server(4);
  ASSERT_TRUE(server.started());
  server.Override([](const json&, httplib::Response& res) {
    res.status = 400;
    res.set_content(R"({"error":{"message":"input is too large to process. increase the physical batch size"}})",
                    "application/json");
  });
  auto embedder = MustCreate(Options(server, 4));
  auto vectors = embedder->Embed(std::vector<std::string>{"long text"});
  ASSERT_FALSE(vectors.ok());
  EXPECT_TRUE(vectors.status().IsInvalidArgument());
  EXPECT_THAT(vectors.status().message(), HasSubstr("input is too large to process"));
  EXPECT_EQ(server.requests(), 1);
}

TEST(HttpEmbedderTest, SlowReplyBeyondTimeoutIsAnError) {
  FakeEmbeddingServer server(4);
  ASSERT_TRUE(server.started());
  server.Override([&server](const json& body, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    res.set_content(server.Reply(body).dump(), "application/json");
  });
  HttpEmbedderOptions options = Options(server, 4);
  options.timeout_ms = 100;
  options.max_retries = 0;
  auto embedder = MustCreate(options);
  auto vectors = embedder->Embed(std::vector<std::string>{"hi"});
  ASSERT_FALSE(vectors.ok());
  EXPECT_EQ(vectors.status().code(), Status::Code::kUnavailable);
  EXPECT_THAT(vectors.status().message(), HasSubstr("timed out"));
}

TEST(HttpEmbedderTest, InvalidUtf8IsRejectedBeforeAnyRequest) {
  FakeEmbeddingServer server(4);
  ASSERT_TRUE(server.started());
  auto embedder = MustCreate(Options(server, 4));
  auto vectors = embedder->Embed(std::vector<std::string>{"fine", std::string("bad \xc3\x28")});
  ASSERT_FALSE(vectors.ok());
  EXPECT_TRUE(vectors.status().IsInvalidArgument());
  EXPECT_THAT(vectors.status().message(), HasSubstr("texts[1]"));
  EXPECT_EQ(server.requests(), 0);
}

using testing::ScopedEnv;

TEST(HttpEmbedderTest, ReadsUrlModelAndKeyFromEnvironment) {
  FakeEmbeddingServer server(5);
  ASSERT_TRUE(server.started());
  ScopedEnv env({{"ENGRAM_EMBED_URL", server.BaseUrl()},
                 {"ENGRAM_EMBED_MODEL", "env-model"},
                 {"ENGRAM_EMBED_API_KEY", "sk-from-env"}});
  auto embedder = MustCreate(HttpEmbedderOptions{});
  ASSERT_NE(embedder, nullptr);
  EXPECT_EQ(embedder->dim(), 5u);  // learned by the probe
  EXPECT_EQ(embedder->identity(), "http/env-model@" + server.BaseUrl() + "/5");
  EXPECT_EQ(server.auth(), "Bearer sk-from-env");
  EXPECT_EQ(server.bodies()[0]["model"], "env-model");
}

TEST(HttpEmbedderTest, OptionsWinOverEnvironment) {
  FakeEmbeddingServer server(5);
  ASSERT_TRUE(server.started());
  ScopedEnv env({{"ENGRAM_EMBED_URL", "http://127.0.0.1:1/v1"}, {"ENGRAM_EMBED_MODEL", "env-model"}});
  auto embedder = MustCreate(Options(server, 0));
  ASSERT_NE(embedder, nullptr);
  EXPECT_EQ(server.bodies()[0]["model"], "fake-embed");
}

TEST(HttpEmbedderTest, MissingUrlOrModelNamesTheEnvironmentVariable) {
  ScopedEnv env({{"ENGRAM_EMBED_URL", ""}, {"ENGRAM_EMBED_MODEL", ""}});
  auto no_url = NewHttpEmbedder(HttpEmbedderOptions{});
  ASSERT_FALSE(no_url.ok());
  EXPECT_TRUE(no_url.status().IsInvalidArgument());
  EXPECT_THAT(no_url.status().message(), HasSubstr("ENGRAM_EMBED_URL"));
  HttpEmbedderOptions options;
  options.url = "http://127.0.0.1:1/v1";
  auto no_model = NewHttpEmbedder(options);
  ASSERT_FALSE(no_model.ok());
  EXPECT_THAT(no_model.status().message(), HasSubstr("ENGRAM_EMBED_MODEL"));
}

}  // namespace
}  // namespace engram
