// LlmExtractor: the reply reader on its own, and the whole extractor against a
// real local HTTP server speaking OpenAI's /v1/chat/completions protocol.

#include "extract/llm_extractor.h"

#include <chrono>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/time_format.h"
#include "common/utf8.h"
#include "testing/local_http_server.h"
#include "testing/scoped_env.h"

namespace engram {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using nlohmann::json;
using testing::LocalHttpServer;

TimeMs Day(int y, unsigned m, unsigned d) { return DaysFromCivil(y, m, d) * kMsPerDay; }

ExtractionInput CarolineTurn() {
  ExtractionInput input;
  input.turn.session = "session_1";
  input.turn.speaker = "Caroline";
  input.turn.text = "I went to a LGBTQ support group yesterday. My sister Anna came too.";
  input.turn.time_ms = Day(2023, 5, 8) + (13 * 60 + 56) * 60'000;
  input.turn.source_id = "D1:3";
  input.participants = {"Caroline", "Melanie"};
  input.previous_speaker = "Melanie";
  return input;
}

// What a well-behaved model answers for CarolineTurn().
const char* kGoodContent = R"({
  "units": [
    {"text": "Caroline went to an LGBTQ support group on 2023-05-07.", "subject": "Caroline", "date": "2023-05-07", "end_date": null},
    {"text": "Caroline's sister Anna came to the support group too.", "subject": "Anna", "date": null}
  ],
  "facts": [
    {"subject": "Caroline", "attribute": "family", "value": "sister Anna", "negated": false, "confidence": 0.9},
    {"subject": "Caroline", "attribute": "likes", "value": "support groups", "negated": true, "confidence": 1}
  ],
  "entities": [
    {"name": "Caroline", "type": "person", "aliases": ["Caro"]},
    {"name": "Anna", "type": "person", "aliases": []},
    {"name": "LGBTQ support group", "type": "organization"}
  ],
  "relations": [
    {"subject": "Anna", "relation": "sister_of", "object": "Caroline"},
    {"subject": "Caroline", "relation": "attended_with", "object": "Anna", "reason": "came too"}
  ]
})";

// Replaces `from` by `to` once in kGoodContent (the test wants one defect).
std::string GoodWith(const std::string& from, const std::string& to) {
  std::string s = kGoodContent;
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

Status ParseError(const std::string& content) {
  auto result = ParseLlmExtraction(content, CarolineTurn());
  EXPECT_FALSE(result.ok()) << content;
  return result.status();
}

TEST(ParseLlmExtractionTest, ReadsAValidReplyAndFillsTimesAndSources) {
  const ExtractionInput input = CarolineTurn();
  auto result = ParseLlmExtraction(kGoodContent, input);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const Extraction& x = *result;

  ASSERT_EQ(x.units.size(), 2u);
  EXPECT_EQ(x.units[0].text, "Caroline went to an LGBTQ support group on 2023-05-07.");
  EXPECT_EQ(x.units[0].subject, "Caroline");
  EXPECT_EQ(x.units[0].time_ms, input.turn.time_ms);
  EXPECT_EQ(x.units[0].event_from_ms, Day(2023, 5, 7));
  EXPECT_EQ(x.units[0].event_to_ms, Day(2023, 5, 7));
  EXPECT_THAT(x.units[0].source_ids, ElementsAre("D1:3"));
  EXPECT_EQ(x.units[1].event_from_ms, 0);
  EXPECT_EQ(x.units[1].event_to_ms, 0);

  ASSERT_EQ(x.facts.size(), 2u);
  EXPECT_EQ(x.facts[0].subject, "Caroline");
  EXPECT_EQ(x.facts[0].attribute, "family");
  EXPECT_EQ(x.facts[0].value, "sister Anna");
  EXPECT_FALSE(x.facts[0].negated);
  EXPECT_FLOAT_EQ(x.facts[0].confidence, 0.9f);
  EXPECT_EQ(x.facts[0].valid_from_ms, input.turn.time_ms);
  EXPECT_EQ(x.facts[0].valid_to_ms, 0);
  EXPECT_THAT(x.facts[0].source_ids, ElementsAre("D1:3"));
  EXPECT_TRUE(x.facts[1].negated);

  ASSERT_EQ(x.entities.size(), 3u);
  EXPECT_EQ(x.entities[0].type, EntityType::kPerson);
  EXPECT_THAT(x.entities[0].aliases, ElementsAre("Caro"));
  EXPECT_TRUE(x.entities[1].aliases.empty());
  EXPECT_EQ(x.entities[2].type, EntityType::kOrganisation);  // US spelling accepted
  EXPECT_THAT(x.entities[2].source_ids, ElementsAre("D1:3"));

  ASSERT_EQ(x.relations.size(), 2u);
  EXPECT_EQ(x.relations[0].subject, "Anna");
  EXPECT_EQ(x.relations[0].relation, "sister_of");
  EXPECT_EQ(x.relations[0].object, "Caroline");
  EXPECT_EQ(x.relations[0].time_ms, input.turn.time_ms);
  EXPECT_EQ(x.relations[1].relation, "attended_with");  // unknown but snake_case
  EXPECT_THAT(x.relations[1].source_ids, ElementsAre("D1:3"));
}

TEST(ParseLlmExtractionTest, StripsMarkdownFencesAndThinkingBlock) {
  const std::string fenced = std::string("```json\n") + kGoodContent + "\n```\n";
  auto a = ParseLlmExtraction(fenced, CarolineTurn());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->units.size(), 2u);
  const std::string thinking = std::string("<think>The user wants JSON.</think>\n```\n") + kGoodContent + "```";
  auto b = ParseLlmExtraction(thinking, CarolineTurn());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->facts.size(), 2u);
}

TEST(ParseLlmExtractionTest, EmptyListsAreAValidReply) {
  auto result = ParseLlmExtraction(R"({"units":[],"facts":[],"entities":[],"relations":[]})", CarolineTurn());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->units.empty() && result->facts.empty() && result->entities.empty() &&
              result->relations.empty());
}

TEST(ParseLlmExtractionTest, DateRangeFillsBothEnds) {
  auto result = ParseLlmExtraction(
      R"({"units":[{"text":"Melanie camped from 2023-05-01 to 2023-05-03.","subject":"Melanie",)"
      R"("date":"2023-05-01","end_date":"2023-05-03"}],"facts":[],"entities":[],"relations":[]})",
      CarolineTurn());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->units[0].event_from_ms, Day(2023, 5, 1));
  EXPECT_EQ(result->units[0].event_to_ms, Day(2023, 5, 3));
}

TEST(ParseLlmExtractionTest, NamesTheFieldThatIsWrong) {
  struct Case {
    std::string content;
    std::string message;
  };
  const std::string facts3 = R"({"units":[],"entities":[],"relations":[],"facts":[)"
                             R"({"subject":"A","attribute":"likes","value":"x"},)"
                             R"({"subject":"A","attribute":"likes","value":"y"},)"
                             R"({"subject":"A","attribute":"likes","value":7}]})";
  const std::vector<Case> cases = {
      {facts3, "reply field facts[2].value: expected string, got number"},
      {GoodWith(R"("subject": "Anna", "date")", R"("date")"), "reply field units[1].subject: missing"},
      {GoodWith(R"("attribute": "family")", R"("attribute": "colour")"),
       "reply field facts[0].attribute: \"colour\" is not one of likes, dislikes"},
      {GoodWith(R"("negated": false)", R"("negated": "no")"),
       "reply field facts[0].negated: expected boolean, got string"},
      {GoodWith(R"("confidence": 0.9)", R"("confidence": 1.5)"), "reply field facts[0].confidence: 1.5 is not in [0, 1]"},
      {GoodWith(R"("confidence": 0.9)", R"("confidence": "high")"),
       "reply field facts[0].confidence: expected number, got string"},
      {GoodWith(R"("type": "organization")", R"("type": "company")"),
       "reply field entities[2].type: \"company\" is not one of person, place"},
      {GoodWith(R"("aliases": ["Caro"])", R"("aliases": "Caro")"),
       "reply field entities[0].aliases: expected array, got string"},
      {GoodWith(R"("aliases": ["Caro"])", R"("aliases": [1])"),
       "reply field entities[0].aliases[0]: expected string, got number"},
      {GoodWith(R"("relation": "sister_of")", R"("relation": "Sister Of")"),
       "reply field relations[0].relation: \"Sister Of\" is not a snake_case name"},
      {GoodWith(R"("object": "Caroline")", R"("object": "  ")"), "reply field relations[0].object: empty"},
      {GoodWith(R"("date": "2023-05-07")", R"("date": "last Sunday")"),
       "reply field units[0].date: \"last Sunday\" is not a YYYY-MM-DD date"},
      {GoodWith(R"("date": "2023-05-07", "end_date": null)", R"("date": "2023-05-07", "end_date": "2023-05-01")"),
       "reply field units[0].end_date: before date"},
      {GoodWith(R"("date": "2023-05-07", "end_date": null)", R"("date": null, "end_date": "2023-05-01")"),
       "reply field units[0].end_date: given without date"},
      {GoodWith(R"("date": "2023-05-07")", R"("date": 20230507)"),
       "reply field units[0].date: expected date string or null, got number"},
      {R"({"units":[],"facts":[],"entities":[]})", "reply field relations: missing"},
      {R"({"units":{},"facts":[],"entities":[],"relations":[]})", "reply field units: expected array, got object"},
      {R"({"units":["Caroline went out"],"facts":[],"entities":[],"relations":[]})",
       "reply field units[0]: expected object, got string"},
      {R"(["units"])", "reply content: expected a JSON object, got array"},
      {R"({"units": [}, "facts": [])", "reply content is not valid JSON"},
      {"Sure! Here are the facts: Caroline likes painting.", "reply content is not valid JSON"},
      {"", "reply content is not valid JSON"},
  };
  for (const Case& c : cases) {
    Status status = ParseError(c.content);
    EXPECT_TRUE(status.IsInvalidArgument()) << status.ToString();
    EXPECT_THAT(status.message(), HasSubstr(c.message)) << c.content;
  }
}

TEST(ParseLlmExtractionTest, InvalidUtf8InTheReplyIsRejectedWithAPrintableMessage) {
  Status status = ParseError(GoodWith("sister Anna", "sister \xff"));
  EXPECT_TRUE(status.IsInvalidArgument());
  EXPECT_THAT(status.message(), HasSubstr("not valid JSON"));
  EXPECT_TRUE(ValidateUtf8(status.message()).ok()) << "the message quotes the bad byte raw";
}

TEST(ParseLlmExtractionTest, TurnWithoutTimeOrSourceLeavesThemEmpty) {
  ExtractionInput input = CarolineTurn();
  input.turn.time_ms = 0;
  input.turn.source_id.clear();
  auto result = ParseLlmExtraction(kGoodContent, input);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->units[0].time_ms, 0);
  EXPECT_EQ(result->facts[0].valid_from_ms, 0);
  EXPECT_TRUE(result->units[0].source_ids.empty());
}

TEST(ParseChatCompletionReplyTest, ReadsTheFirstChoice) {
  json reply = {{"choices", json::array({{{"index", 0},
                                          {"message", {{"role", "assistant"}, {"content", kGoodContent}}},
                                          {"finish_reason", "stop"}}})}};
  auto result = ParseChatCompletionReply(reply, CarolineTurn());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->relations.size(), 2u);
}

TEST(ParseChatCompletionReplyTest, ExplainsMissingPartsAndTruncation) {
  EXPECT_THAT(ParseChatCompletionReply(json{{"choices", json::array()}}, CarolineTurn()).status().message(),
              HasSubstr("no \"choices\""));
  json null_content = {{"choices", json::array({{{"message", {{"role", "assistant"}, {"content", nullptr}}}}})}};
  EXPECT_THAT(ParseChatCompletionReply(null_content, CarolineTurn()).status().message(),
              HasSubstr("no text \"content\""));
  json truncated = {{"choices", json::array({{{"message", {{"content", R"({"units": [{"text": "Caro)"}}},
                                              {"finish_reason", "length"}}})}};
  auto result = ParseChatCompletionReply(truncated, CarolineTurn());
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("token limit"));
}

TEST(BuildLlmExtractionRequestTest, AsksForJsonAtTemperatureZeroWithTheTurnAsContext) {
  json request = BuildLlmExtractionRequest(CarolineTurn(), "qwen2.5:7b");
  EXPECT_EQ(request["model"], "qwen2.5:7b");
  EXPECT_EQ(request["temperature"], 0);
  EXPECT_EQ(request["response_format"]["type"], "json_object");
  ASSERT_EQ(request["messages"].size(), 2u);
  EXPECT_EQ(request["messages"][0]["role"], "system");
  const std::string system = request["messages"][0]["content"];
  for (const char* needle : {"\"units\"", "\"facts\"", "\"entities\"", "\"relations\"", "YYYY-MM-DD", "pronoun",
                             "organisation", "snake_case", "relationship_status"}) {
    EXPECT_THAT(system, HasSubstr(needle));
  }
  const std::string user = request["messages"][1]["content"];
  EXPECT_THAT(user, HasSubstr("\"turn_time\": \"2023-05-08T13:56:00Z\""));
  EXPECT_THAT(user, HasSubstr("\"speaker\": \"Caroline\""));
  EXPECT_THAT(user, HasSubstr("\"addressee\": \"Melanie\""));
  EXPECT_THAT(user, HasSubstr("LGBTQ support group yesterday"));
}

// --- The extractor over HTTP -------------------------------------------------

// A /v1/chat/completions server whose answer a test sets.
class FakeChatServer {
 public:
  using Handler = std::function<void(const json& request, httplib::Response& res)>;

  FakeChatServer() {
    server_.http().Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      ++requests_;
      last_request_ = json::parse(req.body);
      auth_ = req.get_header_value("Authorization");
      handler_(last_request_, res);
    });
    started_ = server_.Start();
  }

  static json ChatReply(const std::string& content) {
    return {{"id", "chatcmpl-1"},
            {"object", "chat.completion"},
            {"choices", json::array({{{"index", 0},
                                      {"message", {{"role", "assistant"}, {"content", content}}},
                                      {"finish_reason", "stop"}}})}};
  }

  void Answer(Handler handler) {
    std::lock_guard<std::mutex> lock(mu_);
    handler_ = std::move(handler);
  }
  void AnswerContent(const std::string& content) {
    Answer([content](const json&, httplib::Response& res) {
      res.set_content(ChatReply(content).dump(), "application/json");
    });
  }

  bool started() const { return started_; }
  std::string BaseUrl() const { return server_.Url("/v1"); }
  int requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  json last_request() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_request_;
  }
  std::string auth() {
    std::lock_guard<std::mutex> lock(mu_);
    return auth_;
  }

 private:
  std::mutex mu_;
  int requests_ = 0;
  json last_request_;
  std::string auth_;
  Handler handler_ = [](const json&, httplib::Response& res) { res.status = 500; };
  LocalHttpServer server_;  // after the state its handler uses
  bool started_ = false;
};

LlmExtractorOptions Options(const FakeChatServer& server) {
  LlmExtractorOptions options;
  options.url = server.BaseUrl();
  options.model = "fake-llm";
  options.api_key = "sk-llm";
  options.timeout_ms = 2000;
  options.max_retries = 2;
  options.initial_backoff_ms = 1;
  return options;
}

std::unique_ptr<Extractor> MustCreate(const LlmExtractorOptions& options) {
  auto extractor = NewLlmExtractor(options);
  EXPECT_TRUE(extractor.ok()) << extractor.status().ToString();
  return extractor.ok() ? std::move(extractor).value() : nullptr;
}

TEST(LlmExtractorTest, ExtractsThroughChatCompletions) {
  FakeChatServer server;
  ASSERT_TRUE(server.started());
  server.AnswerContent(std::string("```json\n") + kGoodContent + "\n```");
  auto extractor = MustCreate(Options(server));
  ASSERT_NE(extractor, nullptr);
  EXPECT_EQ(extractor->identity(), "llm/fake-llm@" + server.BaseUrl() + "/prompt-1");

  auto result = extractor->Extract(CarolineTurn());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->units.size(), 2u);
  EXPECT_EQ(result->units[0].event_from_ms, Day(2023, 5, 7));
  EXPECT_EQ(result->facts.size(), 2u);
  EXPECT_EQ(result->entities.size(), 3u);
  EXPECT_EQ(result->relations.size(), 2u);
  EXPECT_EQ(server.requests(), 1);
  EXPECT_EQ(server.auth(), "Bearer sk-llm");
  const json request = server.last_request();
  EXPECT_EQ(request["model"], "fake-llm");
  EXPECT_EQ(request["response_format"]["type"], "json_object");
}

TEST(LlmExtractorTest, MalformedContentIsInvalidArgumentNamingTheField) {
  FakeChatServer server;
  ASSERT_TRUE(server.started());
  server.AnswerContent(GoodWith(R"("value": "sister Anna")", R"("value": ["sister", "Anna"])"));
  auto extractor = MustCreate(Options(server));
  auto result = extractor->Extract(CarolineTurn());
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().IsInvalidArgument());
  EXPECT_THAT(result.status().message(), HasSubstr("reply field facts[0].value: expected string, got array"));
  EXPECT_EQ(server.requests(), 1);  // a bad reply is not retried
}

TEST(LlmExtractorTest, MalformedHttpBodyIsInvalidArgument) {
  FakeChatServer server;
  ASSERT_TRUE(server.started());
  server.Answer([](const json&, httplib::Response& res) { res.set_content("{\"choices\": [", "application/json"); });
  auto result = MustCreate(Options(server))->Extract(CarolineTurn());
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().IsInvalidArgument());
  EXPECT_THAT(result.status().message(), HasSubstr("not valid JSON"));
}

TEST(LlmExtractorTest, MissingChoicesIsInvalidArgument) {
  FakeChatServer server;
  ASSERT_TRUE(server.started());
  server.Answer([](const json&, httplib::Response& res) { res.set_content(R"({"object":"chat.completion"})", "application/json"); });
  auto result = MustCreate(Options(server))->Extract(CarolineTurn());
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().IsInvalidArgument());
  EXPECT_THAT(result.status().message(), HasSubstr("no \"choices\""));
}

TEST(LlmExtractorTest, RetriesAfter429And500ThenSucceeds) {
  FakeChatServer server;
  ASSERT_TRUE(server.started());
  int calls = 0;  // guarded by the server's lock
  server.Answer([&calls](const json&, httplib::Response& res) {
    ++calls;
    if (calls == 1) {
      res.status = 429;
      res.set_content(R"({"error":{"message":"Rate limit reached"}})", "application/json");
    } else if (calls == 2) {
      res.status = 500;
    } else {
      res.set_content(FakeChatServer::ChatReply(kGoodContent).dump(), "application/json");
    }
  });
  auto result = MustCreate(Options(server))->Extract(CarolineTurn());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(server.requests(), 3);
}

TEST(LlmExtractorTest, Persistent503IsUnavailable) {
  FakeChatServer server;
  ASSERT_TRUE(server.started());
  server.Answer([](const json&, httplib::Response& res) {
    res.status = 503;
    res.set_content(R"({"error":{"message":"Loading model","code":503}})", "application/json");
  });
  auto result = MustCreate(Options(server))->Extract(CarolineTurn());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kUnavailable);
  EXPECT_THAT(result.status().message(), HasSubstr("Loading model"));
  EXPECT_EQ(server.requests(), 3);  // max_retries = 2
}

TEST(LlmExtractorTest, BadRequestIsInvalidArgumentWithServerMessage) {
  FakeChatServer server;
  ASSERT_TRUE(server.started());
  server.Answer([](const json&, httplib::Response& res) {
    res.status = 400;
    res.set_content(R"({"error":{"message":"the request exceeds the available context size"}})", "application/json");
  });
  auto result = MustCreate(Options(server))->Extract(CarolineTurn());
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().IsInvalidArgument());
  EXPECT_THAT(result.status().message(), HasSubstr("exceeds the available context size"));
  EXPECT_EQ(server.requests(), 1);
}

TEST(LlmExtractorTest, SlowReplyBeyondTimeoutIsAnError) {
  FakeChatServer server;
  ASSERT_TRUE(server.started());
  server.Answer([](const json&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    res.set_content(FakeChatServer::ChatReply(kGoodContent).dump(), "application/json");
  });
  LlmExtractorOptions options = Options(server);
  options.timeout_ms = 100;
  options.max_retries = 0;
  auto result = MustCreate(options)->Extract(CarolineTurn());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kUnavailable);
  EXPECT_THAT(result.status().message(), HasSubstr("timed out"));
}

TEST(LlmExtractorTest, BadTurnIsRejectedBeforeAnyRequest) {
  FakeChatServer server;
  ASSERT_TRUE(server.started());
  server.AnswerContent(kGoodContent);
  auto extractor = MustCreate(Options(server));
  ExtractionInput empty = CarolineTurn();
  empty.turn.text.clear();
  EXPECT_TRUE(extractor->Extract(empty).status().IsInvalidArgument());
  ExtractionInput bad_utf8 = CarolineTurn();
  bad_utf8.turn.text = "caf\xe9";
  EXPECT_TRUE(extractor->Extract(bad_utf8).status().IsInvalidArgument());
  EXPECT_EQ(server.requests(), 0);
}

using testing::ScopedEnv;

TEST(LlmExtractorTest, ReadsUrlModelAndKeyFromEnvironment) {
  FakeChatServer server;
  ASSERT_TRUE(server.started());
  server.AnswerContent(kGoodContent);
  ScopedEnv env({{"ENGRAM_LLM_URL", server.BaseUrl() + "/chat/completions"},
                 {"ENGRAM_LLM_MODEL", "env-llm"},
                 {"ENGRAM_LLM_API_KEY", "sk-env"}});
  auto extractor = MustCreate(LlmExtractorOptions{});
  ASSERT_NE(extractor, nullptr);
  EXPECT_EQ(extractor->identity(), "llm/env-llm@" + server.BaseUrl() + "/prompt-1");
  auto result = extractor->Extract(CarolineTurn());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(server.last_request()["model"], "env-llm");
  EXPECT_EQ(server.auth(), "Bearer sk-env");
}

TEST(LlmExtractorTest, MissingUrlOrModelNamesTheEnvironmentVariable) {
  ScopedEnv env({{"ENGRAM_LLM_URL", ""}, {"ENGRAM_LLM_MODEL", ""}});
  auto no_url = NewLlmExtractor(LlmExtractorOptions{});
  ASSERT_FALSE(no_url.ok());
  EXPECT_TRUE(no_url.status().IsInvalidArgument());
  EXPECT_THAT(no_url.status().message(), HasSubstr("ENGRAM_LLM_URL"));
  LlmExtractorOptions options;
  options.url = "http://127.0.0.1:1/v1";
  auto no_model = NewLlmExtractor(options);
  ASSERT_FALSE(no_model.ok());
  EXPECT_THAT(no_model.status().message(), HasSubstr("ENGRAM_LLM_MODEL"));
}

}  // namespace
}  // namespace engram
