// The example chat agent (examples/chat_agent.cc) as a user runs it: lines on
// standard input, a chat model behind an OpenAI-compatible endpoint (here a
// loopback server in the test), and what ends up in its memory.
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engram/engram.h"
#include "testing/local_http_server.h"
#include "testing/run_tool.h"
#include "testing/scoped_env.h"
#include "testing/temp_dir.h"

namespace engram {
namespace {

using nlohmann::json;

// The example is built next to the engram tool.
std::string AgentPath() {
  const std::string tool = ENGRAM_TOOL_PATH;
  if (tool.empty()) return "";
  const std::string path = std::filesystem::path(tool).parent_path().string() + "/example_chat_agent";
  return std::filesystem::exists(path) ? path : "";
}

// A chat model that answers every request with a numbered reply, except a
// request whose last message says FAIL: that one gets HTTP 500.
class FakeChatModel {
 public:
  FakeChatModel() {
    server_.http().Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      json body = json::parse(req.body);
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(body);
      if (body["messages"].back()["content"].get<std::string>().find("FAIL") != std::string::npos) {
        res.status = 500;
        res.set_content("{\"error\":\"overloaded\"}", "application/json");
        return;
      }
      json reply = {{"choices", {{{"message", {{"role", "assistant"}, {"content", NextReply()}}}}}}};
      res.set_content(reply.dump(), "application/json");
    });
    started_ = server_.Start();
  }
  bool started() const { return started_; }
  std::string BaseUrl() const { return server_.Url("/v1"); }
  std::vector<json> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::vector<std::string> replies() {
    std::lock_guard<std::mutex> lock(mu_);
    return replies_;
  }

 private:
  std::string NextReply() {
    replies_.push_back("Reply " + std::to_string(replies_.size() + 1) + " from the model.");
    return replies_.back();
  }
  testing::LocalHttpServer server_;
  bool started_ = false;
  std::mutex mu_;
  std::vector<json> requests_;
  std::vector<std::string> replies_;
};

class ChatAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    agent_ = AgentPath();
    if (agent_.empty()) GTEST_SKIP() << "example_chat_agent is not built (ENGRAM_BUILD_EXAMPLES=OFF)";
  }

  // Runs the agent with `input` on standard input.
  testing::RunResult Chat(const std::string& input, std::vector<std::string> extra_args = {}) {
    const std::string in = dir_.Sub("stdin");
    testing::WriteFile(in, input);
    extra_args.push_back(store_);
    extra_args.push_back("Dana");
    return testing::RunTool(agent_, dir_.path(), extra_args, in);
  }

  std::vector<StoredTurn> StoredTurns() {
    Options options;
    options.log_only = true;
    auto store = Store::Open(options, store_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return {};
    auto turns = (*store)->ScanTurns("Dana");
    EXPECT_TRUE(turns.ok()) << turns.status().ToString();
    return turns.ok() ? *turns : std::vector<StoredTurn>{};
  }

  static std::string SystemPrompt(const json& request) { return request["messages"][0]["content"]; }

  std::string agent_;
  testing::TempDir dir_;
  const std::string store_ = dir_.Sub("store");
};

TEST_F(ChatAgentTest, RecallsBeforeObservingKeepsTheSessionAndNeverStoresAnError) {
  FakeChatModel model;
  ASSERT_TRUE(model.started());
  testing::ScopedEnv env({{"ENGRAM_LLM_URL", model.BaseUrl()}, {"ENGRAM_LLM_MODEL", "test-model"},
                          {"ENGRAM_LLM_API_KEY", ""}});

  auto first = Chat("I moved to Lisbon in March.\nPlease FAIL on this one.\n");
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("Reply 1 from the model."), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("HTTP 500"), std::string::npos) << "the person sees why there is no answer\n" << first.out;

  auto second = Chat("Where do I live now?\n");
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;

  auto requests = model.requests();
  ASSERT_EQ(requests.size(), 3u);
  // Recall before observe: the message is not its own memory.
  EXPECT_EQ(SystemPrompt(requests[0]).find("Lisbon"), std::string::npos) << SystemPrompt(requests[0]);
  EXPECT_EQ(SystemPrompt(requests[2]).find("Where do I live now?"), std::string::npos) << SystemPrompt(requests[2]);
  // The second run continues the session: the earlier turns come as chat
  // history, the model's reply as the assistant's, the message last.
  const json& messages = requests[2]["messages"];
  ASSERT_GE(messages.size(), 4u) << messages.dump(1);
  EXPECT_EQ(messages[1], (json{{"role", "user"}, {"content", "I moved to Lisbon in March."}})) << messages.dump(1);
  EXPECT_EQ(messages[2], (json{{"role", "assistant"}, {"content", "Reply 1 from the model."}})) << messages.dump(1);
  EXPECT_EQ(messages.back(), (json{{"role", "user"}, {"content", "Where do I live now?"}})) << messages.dump(1);
  EXPECT_EQ(requests[2]["model"], "test-model");

  // The memory holds what was said: the three user lines and the two
  // replies, in one session, and no error text.
  auto turns = StoredTurns();
  ASSERT_EQ(turns.size(), 5u);
  std::vector<std::string> texts;
  for (const auto& t : turns) {
    texts.push_back(t.turn.speaker + ": " + t.turn.text);
    EXPECT_EQ(t.turn.session, turns[0].turn.session) << "one session across runs";
    EXPECT_EQ(t.turn.text.find("500"), std::string::npos) << t.turn.text;
    EXPECT_EQ(t.turn.text.find("no answer"), std::string::npos) << t.turn.text;
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"Dana: I moved to Lisbon in March.",
                                             "Assistant: Reply 1 from the model.",
                                             "Dana: Please FAIL on this one.", "Dana: Where do I live now?",
                                             "Assistant: Reply 2 from the model."}));
}

TEST_F(ChatAgentTest, NewSessionStartsAnotherSession) {
  testing::ScopedEnv env({{"ENGRAM_LLM_URL", ""}, {"ENGRAM_LLM_MODEL", ""}});
  ASSERT_EQ(Chat("I play the cello.\n").exit_code, 0);
  ASSERT_EQ(Chat("I also sing.\n").exit_code, 0);
  ASSERT_EQ(Chat("I started pottery.\n", {"--new-session"}).exit_code, 0);
  auto turns = StoredTurns();
  ASSERT_EQ(turns.size(), 3u);
  EXPECT_EQ(turns[0].turn.session, turns[1].turn.session);
  EXPECT_NE(turns[1].turn.session, turns[2].turn.session);
  EXPECT_NE(turns[0].turn.source_id, turns[1].turn.source_id);
}

TEST_F(ChatAgentTest, OfflineAnswersQuoteTheEvidenceAndStoreOnlyTheUser) {
  testing::ScopedEnv env({{"ENGRAM_LLM_URL", ""}, {"ENGRAM_LLM_MODEL", ""}});
  auto run = Chat(
      "I adopted a beagle named Biscuit last week.\n"
      "I work as a nurse at Santa Maria hospital.\n"
      "What is the name of my dog?\n"
      "/why\n"
      "/profile\n"
      "/forget no-such-id\n"
      "/remember I am allergic to peanuts.\n");
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const std::string& out = run.out;
  const size_t answer = out.find("from memory (no model): (route");
  ASSERT_NE(answer, std::string::npos) << out;
  const std::string answer_text = out.substr(answer, out.find('\n', out.find('\n', answer) + 1) - answer);
  EXPECT_NE(answer_text.find("Biscuit"), std::string::npos) << answer_text;
  EXPECT_NE(answer_text.find("- Dana"), std::string::npos) << "says who said it\n" << answer_text;
  // /why explains the last recall with each hit's signals.
  EXPECT_NE(out.find("\"What is the name of my dog?\": route"), std::string::npos) << out;
  EXPECT_NE(out.find("bm25="), std::string::npos) << out;
  // /profile lists the extracted facts.
  EXPECT_NE(out.find("Dana occupation nurse"), std::string::npos) << out;
  // /forget of an id the memory does not hold says so.
  EXPECT_NE(out.find("not forgotten"), std::string::npos) << out;

  EXPECT_NE(out.find("remembered as "), std::string::npos) << out;

  auto turns = StoredTurns();
  ASSERT_EQ(turns.size(), 4u) << "the three user lines and the remembered one; no answer, command or error";
  for (const auto& t : turns) EXPECT_EQ(t.turn.speaker, "Dana");
  EXPECT_EQ(turns.back().turn.text, "I am allergic to peanuts.");
}

}  // namespace
}  // namespace engram
