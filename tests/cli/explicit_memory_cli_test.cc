// The commands that write memory directly and the metadata filters, run as a
// user runs them: engram remember, engram core, recall --where, ingest
// --json, and unknown tenants. Uses the real built-in embedder.
#include <filesystem>
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
using ::testing::StartsWith;
using nlohmann::json;
using testing::RunResult;
using testing::WriteFile;

class ExplicitMemoryCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(ENGRAM_TOOL_PATH).empty()) GTEST_SKIP() << "the engram tool is not built (ENGRAM_BUILD_TOOLS=OFF)";
    ASSERT_TRUE(std::filesystem::exists(ENGRAM_TOOL_PATH)) << "build target engram_tool first";
    store_ = dir_.Sub("store");
  }
  RunResult Run(const std::vector<std::string>& args) { return testing::RunTool(ENGRAM_TOOL_PATH, dir_.path(), args); }
  json Json(const RunResult& r) {
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << "\n" << r.err;
    return j;
  }
  static std::string Line(const std::string& id, const std::string& speaker, const std::string& text,
                          const json& metadata) {
    json j = {{"tenant", "maya"}, {"session", "s1"}, {"speaker", speaker}, {"text", text}, {"id", id}};
    if (!metadata.is_null()) j["metadata"] = metadata;
    return j.dump() + "\n";
  }

  testing::TempDir dir_;
  std::string store_;
};

TEST_F(ExplicitMemoryCliTest, RememberWritesFactsAndRelationsShownByProfileAndGraph) {
  RunResult fact = Run({"remember", "--store", store_, "--tenant", "maya", "--subject", "Maya", "--attribute",
                        "occupation", "--value", "pilot", "--from", "2024-01-01T00:00:00Z", "--json"});
  ASSERT_EQ(fact.exit_code, 0) << fact.err;
  const std::string id = Json(fact)["id"];
  EXPECT_THAT(id, StartsWith("fact:"));
  RunResult rel = Run({"remember", "--store", store_, "--tenant", "maya", "--subject", "Maya", "--relation",
                       "sister_of", "--object", "Lena"});
  ASSERT_EQ(rel.exit_code, 0) << rel.err;
  EXPECT_THAT(rel.out, HasSubstr("remembered rel:"));
  RunResult profile = Run({"profile", "--store", store_, "--tenant", "maya", "--json"});
  ASSERT_EQ(profile.exit_code, 0) << profile.err;
  json facts = Json(profile)["facts"];
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_EQ(facts[0]["value"], "pilot");
  EXPECT_EQ(facts[0]["source_ids"][0], "explicit:" + id.substr(5, id.size() - 7));
  EXPECT_THAT(profile.err, Not(HasSubstr("no tenant"))) << "a tenant with only explicit facts is known";
  RunResult graph = Run({"graph", "--store", store_, "--tenant", "maya", "--entity", "Maya"});
  ASSERT_EQ(graph.exit_code, 0) << graph.err;
  EXPECT_THAT(graph.out, HasSubstr("\"sister_of\""));

  // Both kinds, or neither: usage. A bad value: bad input, nothing written.
  EXPECT_EQ(Run({"remember", "--store", store_, "--tenant", "maya", "--subject", "Maya", "--attribute", "a",
                 "--value", "v", "--relation", "r", "--object", "o"})
                .exit_code,
            2);
  EXPECT_EQ(Run({"remember", "--store", store_, "--tenant", "maya", "--subject", "Maya"}).exit_code, 2);
  RunResult backwards = Run({"remember", "--store", store_, "--tenant", "maya", "--subject", "Maya", "--attribute",
                             "home", "--value", "Oslo", "--from", "2024-01-01", "--to", "2023-01-01"});
  EXPECT_EQ(backwards.exit_code, 1);
  EXPECT_THAT(backwards.err, HasSubstr("valid_to"));
  EXPECT_EQ(Json(Run({"profile", "--store", store_, "--tenant", "maya", "--json"}))["facts"].size(), 1u);
}

TEST_F(ExplicitMemoryCliTest, CoreSetAppendHistoryAndPlacementFirstInTheContext) {
  const std::string input = dir_.Sub("in.jsonl");
  WriteFile(input, Line("1", "Maya", "I planted tomatoes in the garden.", nullptr) +
                       Line("2", "Sam", "How are the tomatoes doing?", nullptr));
  ASSERT_EQ(Run({"ingest", "--store", store_, input}).exit_code, 0);
  ASSERT_EQ(Run({"core", "--store", store_, "--tenant", "maya", "set", "human", "The", "user", "is", "Maya."}).exit_code,
            0);
  RunResult append = Run({"core", "--store", store_, "--tenant", "maya", "append", "human", "Vegan.", "--json"});
  ASSERT_EQ(append.exit_code, 0) << append.err;
  EXPECT_EQ(Json(append)["text"], "The user is Maya.\nVegan.");
  EXPECT_EQ(Json(append)["version"], 2);
  RunResult show = Run({"core", "--store", store_, "--tenant", "maya", "--json"});
  ASSERT_EQ(show.exit_code, 0);
  EXPECT_EQ(Json(show)["blocks"].size(), 1u);
  RunResult history = Run({"core", "--store", store_, "--tenant", "maya", "history", "human", "--json"});
  ASSERT_EQ(history.exit_code, 0);
  EXPECT_EQ(Json(history)["versions"].size(), 2u);
  RunResult big = Run({"core", "--store", store_, "--tenant", "maya", "set", "human", std::string(5000, 'x')});
  EXPECT_EQ(big.exit_code, 1);
  EXPECT_THAT(big.err, HasSubstr("5000 bytes"));
  EXPECT_EQ(Run({"core", "--store", store_, "--tenant", "maya", "rename", "human"}).exit_code, 2);
  RunResult ctx = Run({"recall", "--store", store_, "--tenant", "maya", "--budget", "200", "how are the tomatoes?"});
  ASSERT_EQ(ctx.exit_code, 0) << ctx.err;
  EXPECT_THAT(ctx.out, StartsWith("## Core memory\n### human\nThe user is Maya.\nVegan.\n"));
}

TEST_F(ExplicitMemoryCliTest, MetadataIngestedFilteredAndExported) {
  const std::string input = dir_.Sub("in.jsonl");
  std::string lines;
  for (int i = 0; i < 12; ++i) {
    lines += Line(std::to_string(i), i % 2 ? "Sam" : "Maya", "We talked about tomatoes, item " + std::to_string(i),
                  json{{"channel", i % 3 == 0 ? "email" : "chat"}});
  }
  lines += R"({"tenant":"maya","speaker":"Maya","text":"Typo field","id":"x","sesion":"s2"})" "\n";
  WriteFile(input, lines);
  RunResult ingest = Run({"ingest", "--store", store_, "--json", input});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  EXPECT_THAT(ingest.err, HasSubstr(input + ":13: unknown field 'sesion'"));
  json report = Json(ingest);
  EXPECT_EQ(report["new"], 13);
  EXPECT_EQ(report["already_stored"], 0);
  EXPECT_EQ(report["rejected"], 0);

  RunResult where = Run({"recall", "--store", store_, "--tenant", "maya", "--where", "channel=email", "--json",
                         "tomatoes"});
  ASSERT_EQ(where.exit_code, 0) << where.err;
  json hits = Json(where)["hits"];
  EXPECT_EQ(hits.size(), 4u);  // items 0, 3, 6, 9
  for (const auto& h : hits) EXPECT_EQ(h["metadata"]["channel"], "email");
  EXPECT_EQ(Run({"recall", "--store", store_, "--tenant", "maya", "--where", "channel", "x"}).exit_code, 2);

  RunResult exported = Run({"export", "--store", store_, "--tenant", "maya"});
  ASSERT_EQ(exported.exit_code, 0);
  EXPECT_THAT(exported.out, HasSubstr(R"("metadata":{"channel":"email"})"));
  // The export ingests into another store as the same turns.
  const std::string copy = dir_.Sub("copy.jsonl");
  WriteFile(copy, exported.out);
  const std::string other = dir_.Sub("other");
  ASSERT_EQ(Run({"ingest", "--store", other, copy}).exit_code, 0);
  EXPECT_EQ(Run({"export", "--store", other, "--tenant", "maya"}).out, exported.out);
}

TEST_F(ExplicitMemoryCliTest, UnknownTenantsAndRejectedLinesAreReported) {
  const std::string input = dir_.Sub("in.jsonl");
  WriteFile(input, Line("1", "Maya", "Hello.", nullptr) + "{broken\n");
  RunResult ingest = Run({"ingest", "--store", store_, "--json", input});
  EXPECT_EQ(ingest.exit_code, 1);
  EXPECT_THAT(ingest.err, HasSubstr("ingested 1 new turn, 0 already stored, 1 rejected"));
  json report = Json(ingest);
  EXPECT_EQ(report["rejected"], 1);
  ASSERT_EQ(report["rejections"].size(), 1u);
  EXPECT_EQ(report["rejections"][0]["where"], input + ":2");
  EXPECT_THAT(report["rejections"][0]["reason"].get<std::string>(), HasSubstr("not valid JSON"));

  RunResult stats = Run({"stats", "--store", store_, "--tenant", "mya"});
  EXPECT_EQ(stats.exit_code, 1);
  EXPECT_THAT(stats.err, HasSubstr("did you mean 'maya'"));
  EXPECT_EQ(Run({"export", "--store", store_, "--tenant", "mya"}).exit_code, 1);
  RunResult recall = Run({"recall", "--store", store_, "--tenant", "mya", "--json", "hello"});
  EXPECT_EQ(recall.exit_code, 0);
  EXPECT_THAT(recall.err, HasSubstr("warning: no tenant 'mya'; did you mean 'maya'?"));
  EXPECT_EQ(Json(recall)["tenant_known"], false);
  EXPECT_TRUE(Json(recall)["hits"].empty());
}

}  // namespace
}  // namespace engram
