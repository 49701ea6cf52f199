// engram forget (one turn, fact or relation), update and history, run as a
// user runs them: the built binary, its exit code and its output.
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
using nlohmann::json;
using testing::RunResult;
using testing::WriteFile;

std::string TurnLine(const std::string& id, const std::string& text, const std::string& speaker = "Maya") {
  return json{{"tenant", "maya"}, {"session", "s1"}, {"time", "2023-03-04T10:00:00Z"}, {"speaker", speaker},
              {"text", text}, {"id", id}}
             .dump() +
         "\n";
}

class LifecycleCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(ENGRAM_TOOL_PATH).empty()) GTEST_SKIP() << "the engram tool is not built";
    store_ = dir_.path() + "/store";
    const std::string input = dir_.path() + "/turns.jsonl";
    WriteFile(input, TurnLine("D1", "I live in Denver now.") + TurnLine("D2", "I love painting on weekends.") +
                         TurnLine("D3", "Nice, the weather is good.", "Sam") +
                         TurnLine("D4", "I love painting, it calms me."));
    RunResult r = Run({"ingest", "--store", store_, input});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  RunResult Run(const std::vector<std::string>& args) { return testing::RunTool(ENGRAM_TOOL_PATH, dir_.path(), args); }
  json Json(const RunResult& r) {
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << "\n" << r.err;
    return j;
  }
  testing::TempDir dir_;
  std::string store_;
};

TEST_F(LifecycleCliTest, ForgetOneTurnDryRunThenForReal) {
  RunResult dry = Run({"forget", "--store", store_, "--tenant", "maya", "--source-id", "D2", "--dry-run", "--json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  json report = Json(dry);
  EXPECT_EQ(report["dry_run"], true);
  EXPECT_EQ(report["removed"]["turns"], 1);
  EXPECT_EQ(report["kept"]["facts"], 1) << "'likes painting' is also stated by D4";
  RunResult still = Run({"history", "--store", store_, "--tenant", "maya", "--source-id", "D2"});
  EXPECT_EQ(still.exit_code, 0) << "a dry run removes nothing: " << still.err;

  RunResult real = Run({"forget", "--store", store_, "--tenant", "maya", "--source-id", "D2", "--json"});
  ASSERT_EQ(real.exit_code, 0) << real.err;
  report = Json(real);
  EXPECT_EQ(report["dry_run"], false);
  EXPECT_EQ(report["disk_checked"], true);
  EXPECT_GT(report["files_checked"].get<int>(), 0);

  RunResult gone = Run({"forget", "--store", store_, "--tenant", "maya", "--source-id", "D2"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_THAT(gone.err, HasSubstr("'D2'"));
  RunResult text = Run({"forget", "--store", store_, "--tenant", "maya", "--source-id", "D3"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("forgot turn D3"));
  EXPECT_THAT(text.out, HasSubstr("erased from disk"));
}

TEST_F(LifecycleCliTest, ForgetAFactByTheIdProfileShows) {
  RunResult profile = Run({"profile", "--store", store_, "--tenant", "maya", "--json"});
  ASSERT_EQ(profile.exit_code, 0) << profile.err;
  std::string id;
  const json facts = Json(profile);
  for (const auto& f : facts["facts"]) {
    EXPECT_FALSE(f["id"].get<std::string>().empty());
    if (f["value"] == "painting") id = f["id"].get<std::string>();
  }
  ASSERT_FALSE(id.empty()) << profile.out;
  RunResult forget = Run({"forget", "--store", store_, "--tenant", "maya", "--fact", id});
  ASSERT_EQ(forget.exit_code, 0) << forget.err;
  RunResult after = Run({"profile", "--store", store_, "--tenant", "maya", "--json"});
  const json remaining = Json(after);
  ASSERT_FALSE(remaining["facts"].empty()) << "the other facts stay";
  for (const auto& f : remaining["facts"]) EXPECT_NE(f["id"], id);

  RunResult unknown = Run({"forget", "--store", store_, "--tenant", "maya", "--fact", "fact:99.1"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("'fact:99.1'"));
  RunResult both = Run({"forget", "--store", store_, "--tenant", "maya", "--fact", id, "--source-id", "D1"});
  EXPECT_EQ(both.exit_code, 2) << "one memory at a time";
}

TEST_F(LifecycleCliTest, UpdateKeepsHistoryAndIngestOfChangedTextIsRefused) {
  RunResult update =
      Run({"update", "--store", store_, "--tenant", "maya", "--source-id", "D1", "--text", "I live in Austin now.",
           "--json"});
  ASSERT_EQ(update.exit_code, 0) << update.err;
  EXPECT_EQ(Json(update)["version"], 2);
  RunResult history = Run({"history", "--store", store_, "--tenant", "maya", "--source-id", "D1", "--json"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  json versions = Json(history)["versions"];
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0]["turn"]["text"], "I live in Denver now.");
  EXPECT_FALSE(versions[0]["replaced"].is_null());
  EXPECT_EQ(versions[1]["turn"]["text"], "I live in Austin now.");
  EXPECT_TRUE(versions[1]["replaced"].is_null());
  RunResult text = Run({"history", "--store", store_, "--tenant", "maya", "--source-id", "D1"});
  EXPECT_THAT(text.out, HasSubstr("v1 (replaced"));
  EXPECT_THAT(text.out, HasSubstr("v2 (current): I live in Austin now."));

  RunResult unknown = Run({"update", "--store", store_, "--tenant", "maya", "--source-id", "D9", "--text", "x"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("'D9'"));
  RunResult tenant = Run({"update", "--store", store_, "--tenant", "mya", "--source-id", "D1", "--text", "x"});
  EXPECT_EQ(tenant.exit_code, 1);
  EXPECT_THAT(tenant.err, HasSubstr("maya"));

  // Ingesting other text under a stored id is refused with a pointer to update.
  const std::string changed = dir_.path() + "/changed.jsonl";
  WriteFile(changed, TurnLine("D2", "I love sculpting on weekends."));
  RunResult ingest = Run({"ingest", "--store", store_, changed});
  EXPECT_EQ(ingest.exit_code, 1) << ingest.err;
  EXPECT_THAT(ingest.err, HasSubstr("engram update"));
}

TEST_F(LifecycleCliTest, ForgetOfAnUnknownTenantNamesTheClosestOne) {
  RunResult r = Run({"forget", "--store", store_, "--tenant", "mayaa"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("maya"));
}

}  // namespace
}  // namespace engram
