// engram eval knowledge-update, run as a user runs it: on a small
// conversation whose facts change (tests/data/knowledge_update_fixture.json),
// the figures it reports, the JSON shape and the errors for bad files. Uses
// the real built-in embedder.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing/run_tool.h"
#include "testing/temp_dir.h"

namespace engram {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;
using testing::ReadFile;
using testing::RunResult;
using testing::WriteFile;

std::string Fixture() { return std::string(ENGRAM_TEST_DATA_DIR) + "/knowledge_update_fixture.json"; }

class KnowledgeUpdateCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(ENGRAM_TOOL_PATH).empty()) GTEST_SKIP() << "the engram tool is not built (ENGRAM_BUILD_TOOLS=OFF)";
    ASSERT_TRUE(std::filesystem::exists(ENGRAM_TOOL_PATH)) << "build target engram_tool first";
  }

  RunResult Run(const std::vector<std::string>& args) {
    std::vector<std::string> full = {"eval", "knowledge-update"};
    full.insert(full.end(), args.begin(), args.end());
    return testing::RunTool(ENGRAM_TOOL_PATH, dir_.path(), full);
  }

  // The fixture with one edit applied to its parsed JSON, written to a file.
  std::string EditedFixture(const std::string& name, const std::function<void(json&)>& edit) {
    json j = json::parse(ReadFile(Fixture()));
    edit(j);
    const std::string path = dir_.Sub(name);
    WriteFile(path, j.dump());
    return path;
  }

  testing::TempDir dir_;
};

// With a budget that holds the whole conversation, the three fixture
// questions have known outcomes: "now" in the latest session comes first
// (correct), the latest session names "nurse" before "teacher" (a replaced
// value before the current one: wrong), and the past value is in the context.
TEST_F(KnowledgeUpdateCliTest, JsonReportsEveryFigurePerConversationAndPerQuestion) {
  RunResult r = Run({"--json", "--budget", "4000", Fixture()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["budget"], 4000);

  const json& overall = j["overall"];
  EXPECT_EQ(overall["questions"], 3);
  EXPECT_EQ(overall["present_questions"], 2);
  EXPECT_EQ(overall["past_questions"], 1);
  for (const char* k : {"R@1", "R@5", "R@10"}) {
    ASSERT_TRUE(overall["evidence_recall"][k].is_number()) << overall.dump(2);
    EXPECT_GE(overall["evidence_recall"][k].get<double>(), 0);
    EXPECT_LE(overall["evidence_recall"][k].get<double>(), 100);
  }
  EXPECT_EQ(overall["evidence_recall"].size(), 3u) << "default cut-offs 1,5,10";
  // Eight turns: the evidence of every question is among the first ten hits.
  EXPECT_DOUBLE_EQ(overall["evidence_recall"]["R@10"].get<double>(), 100.0);
  EXPECT_NEAR(overall["knowledge_update"].get<double>(), 200.0 / 3, 1e-9);
  EXPECT_DOUBLE_EQ(overall["present_correct"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(overall["past_correct"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(overall["answer_in_context"].get<double>(), 100.0);
  for (const char* figure : {"stale_as_current", "superseded_in_quoted_turns"}) {
    ASSERT_TRUE(overall[figure].is_number()) << figure;
    EXPECT_GE(overall[figure].get<double>(), 0);
    EXPECT_LE(overall[figure].get<double>(), 100);
  }
  // Every context quotes the latest session, which names "nurse".
  EXPECT_GT(overall["superseded_in_quoted_turns"].get<double>(), 0);

  ASSERT_TRUE(j["by_conversation"].contains("ana-ben")) << j["by_conversation"].dump(2);
  EXPECT_EQ(j["by_conversation"]["ana-ben"], overall) << "one conversation: its figures are the overall ones";

  ASSERT_EQ(j["questions"].size(), 3u);
  size_t stale_lines = 0;
  for (const auto& q : j["questions"]) {
    EXPECT_EQ(q["conversation"], "ana-ben");
    for (const char* field : {"question", "focus", "expected", "leading_line", "stale_line"}) {
      EXPECT_TRUE(q[field].is_string()) << field << " in " << q.dump();
    }
    EXPECT_TRUE(q["evidence_recall"].is_object());
    stale_lines += q["stale_lines"].get<size_t>();
  }
  EXPECT_EQ(overall["stale_lines"], stale_lines);
  EXPECT_EQ(j["questions"][0]["expected"], "Lakewood");
  EXPECT_EQ(j["questions"][0]["correct"], true);
  EXPECT_EQ(j["questions"][1]["expected"], "teacher");
  EXPECT_EQ(j["questions"][1]["correct"], false);
  EXPECT_EQ(j["questions"][1]["answer_in_context"], true);
  EXPECT_THAT(j["questions"][1]["leading_line"].get<std::string>(), HasSubstr("nurse"));
  EXPECT_EQ(j["questions"][2]["focus"], "past");
  EXPECT_EQ(j["questions"][2]["expected"], "Denver");
  EXPECT_EQ(j["questions"][2]["correct"], true);
}

TEST_F(KnowledgeUpdateCliTest, TextReportHasATableAndListsTheMisses) {
  RunResult r = Run({"--budget", "4000", Fixture()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("3 questions (2 about now, 1 about the past) in 1 conversation,"));
  EXPECT_THAT(r.out, HasSubstr("context budget 4000 tokens"));
  EXPECT_THAT(r.out, HasSubstr("R@10"));
  EXPECT_THAT(r.out, HasSubstr("ana-ben"));
  EXPECT_THAT(r.out, HasSubstr("overall"));
  EXPECT_THAT(r.out, HasSubstr("66.7%"));
  EXPECT_THAT(r.out, HasSubstr("Misses:"));
  EXPECT_THAT(r.out, HasSubstr("What does Ana do for a living these days? (expected teacher, after a replaced value)"));
  EXPECT_THAT(r.out, Not(HasSubstr("Where does Ana live now?"))) << "a correct question is not a miss";
  EXPECT_THAT(r.err, HasSubstr("ingested 8 turns of 1 conversations"));
}

TEST_F(KnowledgeUpdateCliTest, CutOffsAndBudgetAreOptions) {
  RunResult r = Run({"--json", "--k", "3,1", Fixture()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["budget"], 400) << "the default budget";
  std::vector<std::string> keys;
  for (const auto& [k, v] : j["overall"]["evidence_recall"].items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"R@1", "R@3"}));

  EXPECT_EQ(Run({"--budget", "0", Fixture()}).exit_code, 2);
  EXPECT_EQ(Run({"--k", "0", Fixture()}).exit_code, 2);
  EXPECT_EQ(Run({}).exit_code, 2) << "a file is required";
}

TEST_F(KnowledgeUpdateCliTest, BadFilesFailWithExitCodeOneAndSayWhatIsWrong) {
  struct Case {
    std::string name;
    std::function<void(json&)> edit;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"no_evidence.json", [](json& j) { j["questions"][1]["evidence"] = json::array(); },
       "questions[1]: field 'evidence': no evidence turns"},
      {"evidence_missing.json", [](json& j) { j["questions"][0].erase("evidence"); },
       "questions[0]: field 'evidence' is missing"},
      {"unknown_turn.json", [](json& j) { j["questions"][2]["evidence"] = {"s9:1"}; },
       "questions[2]: field 'evidence': no turn 's9:1' in the conversation"},
      {"past_without_answer.json", [](json& j) { j["questions"][2].erase("answer"); },
       "questions[2] (a past question): field 'answer' is missing"},
      {"bad_focus.json", [](json& j) { j["questions"][0]["focus"] = "future"; },
       "field 'focus': 'future' is neither 'present' nor 'past'"},
      {"bad_time.json", [](json& j) { j["sessions"][0]["time"] = "last month"; }, "sessions[0]: field 'time'"},
      {"no_text.json", [](json& j) { j["sessions"][1]["turns"][0].erase("text"); },
       "sessions[1].turns[0]: field 'text' is missing"},
      {"twice.json", [](json& j) { j["sessions"][1]["turns"][0]["id"] = "s1:1"; }, "turn id 's1:1' appears twice"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    RunResult r = Run({EditedFixture(c.name, c.edit)});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr("engram: " + c.name + ": " )) << "names the file";
    EXPECT_THAT(r.err, HasSubstr(c.message));
    EXPECT_TRUE(r.out.empty()) << r.out;
  }

  const std::string malformed = dir_.Sub("malformed.json");
  WriteFile(malformed, "{\"conversation\": \"x\", \"sessions\": [");
  RunResult bad_json = Run({malformed});
  EXPECT_EQ(bad_json.exit_code, 1);
  EXPECT_THAT(bad_json.err, HasSubstr("malformed.json: not valid JSON"));

  // As everywhere in the tool (docs/cli.md), an input file that does not
  // exist is a usage error.
  const std::string missing = dir_.Sub("no-such.json");
  RunResult no_file = Run({Fixture(), missing});
  EXPECT_EQ(no_file.exit_code, 2);
  EXPECT_THAT(no_file.err, HasSubstr("File does not exist: " + missing));
  EXPECT_TRUE(no_file.out.empty()) << "files are all checked before anything is measured";

  // A bad second file stops the run before anything is measured.
  RunResult bad_second = Run({Fixture(), malformed});
  EXPECT_EQ(bad_second.exit_code, 1);
  EXPECT_TRUE(bad_second.out.empty()) << bad_second.out;

  RunResult same_twice = Run({Fixture(), Fixture()});
  EXPECT_EQ(same_twice.exit_code, 1);
  EXPECT_THAT(same_twice.err, HasSubstr("conversation 'ana-ben' is also in an earlier file"));
}

}  // namespace
}  // namespace engram
