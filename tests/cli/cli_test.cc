// The `engram` command-line tool, run as a user runs it: the built binary,
// its exit code, standard output and standard error.
#include <filesystem>
#include <fstream>
#include <sstream>
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

using testing::ReadFile;
using testing::RunResult;
using testing::WriteFile;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tool_ = ENGRAM_TOOL_PATH;
    if (tool_.empty()) GTEST_SKIP() << "the engram tool is not built (ENGRAM_BUILD_TOOLS=OFF)";
    ASSERT_TRUE(std::filesystem::exists(tool_)) << tool_ << " does not exist: build target engram_tool first";
    store_ = dir_.Sub("store");
  }

  RunResult Run(const std::vector<std::string>& args) { return testing::RunTool(tool_, dir_.path(), args); }

  RunResult Ingest(const std::string& file, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"ingest", "--store", store_};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(file);
    return Run(args);
  }
  RunResult Export(const std::string& tenant) { return Run({"export", "--store", store_, "--tenant", tenant}); }
  json StatsJson() {
    RunResult r = Run({"stats", "--store", store_, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }

  testing::TempDir dir_;
  std::string tool_;
  std::string store_;
};

// Lines in the form the exporter writes (keys sorted, compact, non-ASCII
// as UTF-8, control characters and quotes escaped), so export must give
// back exactly these bytes.
const std::vector<std::string> kTenantALines = {
    R"({"id":"D1:1","session":"session_1","speaker":"Caroline","tenant":"conv-a","text":"I went to a LGBTQ support group yesterday.","time":"2023-05-08T13:56:00Z"})",
    R"({"id":"D1:2","session":"session_1","speaker":"Mélanie","tenant":"conv-a","text":"Ünïcödé 中文 😀, \"quoted\", back\\slash,\nnew line,\ttab, \u0001 control","time":"2023-05-08T13:56:01.250Z"})",
    R"({"id":"D2:1","speaker":"Caroline","tenant":"conv-a","text":"no session, no time"})",
    R"({"id":"D2:2","session":"session_2","speaker":"Caroline","tenant":"conv-a","text":"before 1970","time":"1969-07-20T20:17:40Z"})",
};
const std::vector<std::string> kTenantBLines = {
    R"({"id":"D1:1","session":"s","speaker":"Bob","tenant":"conv-b","text":"same id, other tenant","time":"2024-02-29T23:59:59.999Z"})",
};

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

TEST_F(CliTest, IngestThenExportRoundTripsEveryFieldByteExact) {
  const std::string input = dir_.Sub("in.jsonl");
  // Interleaved tenants, a blank line and a CRLF line ending.
  WriteFile(input, kTenantALines[0] + "\n" + kTenantBLines[0] + "\r\n\n" + kTenantALines[1] + "\n" +
                       kTenantALines[2] + "\n" + kTenantALines[3] + "\n");
  RunResult ingest = Ingest(input);
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;

  RunResult a = Export("conv-a");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, Join(kTenantALines));
  RunResult b = Export("conv-b");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(b.out, Join(kTenantBLines));

  // The same, field by field, for a readable failure.
  std::vector<std::string> exported = Lines(a.out);
  ASSERT_EQ(exported.size(), kTenantALines.size());
  for (size_t i = 0; i < exported.size(); ++i) {
    json want = json::parse(kTenantALines[i]), got = json::parse(exported[i], nullptr, false);
    EXPECT_EQ(got, want) << "line " << i + 1;
  }
  json second = json::parse(exported[1]);
  EXPECT_EQ(second["text"].get<std::string>(),
            "Ünïcödé 中文 😀, \"quoted\", back\\slash,\nnew line,\ttab, \x01 control");
  EXPECT_EQ(second["time"].get<std::string>(), "2023-05-08T13:56:01.250Z");

  // An export of an unknown tenant is an error naming it, so a typo is not
  // mistaken for an empty tenant.
  RunResult none = Export("nobody");
  EXPECT_EQ(none.exit_code, 1) << none.err;
  EXPECT_THAT(none.err, HasSubstr("no tenant 'nobody'"));
  EXPECT_EQ(none.out, "");
}

TEST_F(CliTest, TurnsWithoutIdGetOneOnExport) {
  const std::string input = dir_.Sub("in.jsonl");
  WriteFile(input, R"({"tenant":"t","speaker":"S","text":"no id here"})" "\n");
  ASSERT_EQ(Ingest(input).exit_code, 0);
  std::vector<std::string> lines = Lines(Export("t").out);
  ASSERT_EQ(lines.size(), 1u);
  json got = json::parse(lines[0]);
  EXPECT_EQ(got["text"], "no id here");
  ASSERT_TRUE(got["id"].is_string());
  EXPECT_FALSE(got["id"].get<std::string>().empty());
}

TEST_F(CliTest, StatsJsonCountsTenantsSessionsAndTurns) {
  const std::string input = dir_.Sub("in.jsonl");
  WriteFile(input, Join(kTenantALines) + Join(kTenantBLines));
  ASSERT_EQ(Ingest(input).exit_code, 0);
  json stats = StatsJson();
  ASSERT_TRUE(stats.contains("tenants") && stats.contains("sessions") && stats.contains("turns")) << stats.dump();
  EXPECT_EQ(stats["tenants"], 2);
  EXPECT_EQ(stats["turns"], 5);
  // conv-a: session_1, "" and session_2; conv-b: s.
  EXPECT_EQ(stats["sessions"], 4);

  RunResult text = Run({"stats", "--store", store_});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("conv-a"));
  EXPECT_THAT(text.out, HasSubstr("conv-b"));
}

TEST_F(CliTest, ReingestIsIdempotent) {
  const std::string input = dir_.Sub("in.jsonl");
  WriteFile(input, Join(kTenantALines) + Join(kTenantBLines));
  ASSERT_EQ(Ingest(input).exit_code, 0);
  const std::string first_export = Export("conv-a").out;
  for (int i = 0; i < 2; ++i) {
    RunResult again = Ingest(input, {"--sync"});
    ASSERT_EQ(again.exit_code, 0) << again.err;
  }
  json stats = StatsJson();
  EXPECT_EQ(stats["turns"], 5);
  EXPECT_EQ(Export("conv-a").out, first_export);
}

// A malformed line stops the ingest with exit 1 and a message naming the
// line and the field; the lines before it stay stored.
TEST_F(CliTest, MalformedLineStopsWithLineNumberAndField) {
  const std::string good1 = R"({"tenant":"t","speaker":"S","text":"one","id":"1"})";
  const std::string good2 = R"({"tenant":"t","speaker":"S","text":"two","id":"2"})";
  const std::string after = R"({"tenant":"t","speaker":"S","text":"after","id":"4"})";
  struct Case {
    std::string name;
    std::string bad_line;
    std::vector<std::string> message_parts;
  };
  const std::vector<Case> cases = {
      {"bad JSON", R"({"tenant":"t","speaker":"S","text":"unterminated)", {"JSON"}},
      {"missing field", R"({"tenant":"t","text":"no speaker","id":"3"})", {"speaker", "missing"}},
      {"bad time", R"({"tenant":"t","speaker":"S","text":"x","time":"yesterday-ish","id":"3"})", {"time"}},
      {"invalid UTF-8", "{\"tenant\":\"t\",\"speaker\":\"S\",\"text\":\"caf\xe9\",\"id\":\"3\"}", {"UTF-8"}},
      {"wrong type", R"({"tenant":"t","speaker":"S","text":42,"id":"3"})", {"text"}},
      {"empty tenant", R"({"tenant":"","speaker":"S","text":"x","id":"3"})", {"tenant"}},
  };
  int n = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    store_ = dir_.Sub("store" + std::to_string(n));
    const std::string input = dir_.Sub("bad" + std::to_string(n++) + ".jsonl");
    WriteFile(input, good1 + "\n" + good2 + "\n" + c.bad_line + "\n" + after + "\n");
    RunResult r = Ingest(input);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr(input + ":3")) << "names the file and line";
    for (const auto& part : c.message_parts) EXPECT_THAT(r.err, HasSubstr(part));
    std::vector<std::string> stored = Lines(Export("t").out);
    ASSERT_EQ(stored.size(), 2u) << "the lines before the bad one stay stored, nothing after it";
    EXPECT_EQ(json::parse(stored[0])["text"], "one");
    EXPECT_EQ(json::parse(stored[1])["text"], "two");
  }
}

TEST_F(CliTest, TextOverTheLimitIsRefusedWithExitOne) {
  const std::string input = dir_.Sub("big.jsonl");
  json big = {{"tenant", "t"}, {"speaker", "S"}, {"text", std::string(64 * 1024 + 1, 'x')}, {"id", "big"}};
  WriteFile(input, R"({"tenant":"t","speaker":"S","text":"small","id":"1"})" "\n" + big.dump() + "\n");
  RunResult r = Ingest(input);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("65537"));
}

TEST_F(CliTest, ForgetRemovesTheTenantAndReportsCounts) {
  const std::string input = dir_.Sub("in.jsonl");
  WriteFile(input, Join(kTenantALines) + Join(kTenantBLines));
  ASSERT_EQ(Ingest(input).exit_code, 0);
  RunResult forget = Run({"forget", "--store", store_, "--tenant", "conv-a", "--json"});
  ASSERT_EQ(forget.exit_code, 0) << forget.err;
  json report = json::parse(forget.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << forget.out;
  EXPECT_EQ(report["tenant"], "conv-a");
  EXPECT_EQ(report["removed"]["turns"], 4);
  EXPECT_EQ(report["removed"]["source_ids"], 4);

  EXPECT_EQ(Export("conv-a").out, "");
  EXPECT_EQ(Export("conv-b").out, Join(kTenantBLines));
  json stats = StatsJson();
  EXPECT_EQ(stats["tenants"], 1);
  EXPECT_EQ(stats["turns"], 1);

  RunResult text = Run({"forget", "--store", store_, "--tenant", "conv-b"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("turns"));
  EXPECT_EQ(StatsJson()["tenants"], 0);
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  const std::string input = dir_.Sub("in.jsonl");
  WriteFile(input, Join(kTenantBLines));
  EXPECT_EQ(Run({}).exit_code, 2);
  EXPECT_EQ(Run({"no-such-command"}).exit_code, 2);
  EXPECT_EQ(Run({"ingest", input}).exit_code, 2) << "--store is required";
  EXPECT_EQ(Run({"ingest", "--store", store_, "--format", "csv", input}).exit_code, 2);
  EXPECT_EQ(Run({"ingest", "--store", store_, dir_.Sub("missing.jsonl")}).exit_code, 2);
  EXPECT_EQ(Run({"export", "--store", store_}).exit_code, 2) << "--tenant is required";
  EXPECT_EQ(Run({"stats", "--store", store_, "--bogus"}).exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(store_)) << "a usage error touches no store";
  EXPECT_EQ(Run({"--help"}).exit_code, 0);
}

TEST_F(CliTest, StoreProblemsMapToExitCodes) {
  const std::string input = dir_.Sub("in.jsonl");
  WriteFile(input, Join(kTenantBLines));

  // A store that does not exist: reading it is bad input (1), and creates nothing.
  RunResult missing = Run({"stats", "--store", dir_.Sub("absent")});
  EXPECT_EQ(missing.exit_code, 1) << missing.err;
  EXPECT_THAT(missing.err, HasSubstr("absent"));
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("absent")));
  EXPECT_EQ(Run({"export", "--store", dir_.Sub("absent"), "--tenant", "t"}).exit_code, 1);

  // A file where the store folder should be: the user named the wrong path (1).
  const std::string file = dir_.Sub("a-file");
  WriteFile(file, "not a store");
  RunResult good = Ingest(input);
  ASSERT_EQ(good.exit_code, 0) << good.err;  // a good store, damaged below
  RunResult on_file = Run({"ingest", "--store", file, input});
  EXPECT_EQ(on_file.exit_code, 1) << on_file.err;
  EXPECT_THAT(on_file.err, HasSubstr("not a folder"));
  EXPECT_EQ(ReadFile(file), "not a store");

  // A store folder that cannot be created (its parent is a file): I/O (3).
  RunResult cannot_create = Run({"ingest", "--store", file + "/store", input});
  EXPECT_EQ(cannot_create.exit_code, 3) << cannot_create.err;

  // A damaged store (RocksDB's CURRENT file overwritten): storage (3).
  WriteFile(store_ + "/CURRENT", "garbage\n");
  RunResult damaged = Run({"stats", "--store", store_});
  EXPECT_EQ(damaged.exit_code, 3) << damaged.err;
  EXPECT_THAT(damaged.err, HasSubstr(store_));
}

TEST_F(CliTest, IngestsLocomoJson) {
  const std::string fixture = std::string(ENGRAM_TEST_DATA_DIR) + "/fixture_locomo_format.json";
  RunResult r = Ingest(fixture, {"--format", "locomo"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  json stats = StatsJson();
  EXPECT_EQ(stats["tenants"], 2);
  EXPECT_EQ(stats["turns"], 7);
  EXPECT_EQ(stats["sessions"], 3);
  std::vector<std::string> tenants;
  for (const auto& t : stats["by_tenant"]) tenants.push_back(t["tenant"]);
  EXPECT_THAT(tenants, ::testing::UnorderedElementsAre("tiny-1", "tiny-2"));

  std::vector<std::string> lines = Lines(Export("tiny-1").out);
  ASSERT_EQ(lines.size(), 5u);
  std::vector<json> turns;
  for (const auto& l : lines) turns.push_back(json::parse(l));
  std::vector<std::string> ids;
  for (const auto& t : turns) ids.push_back(t["id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{"D1:1", "D1:2", "D1:3", "D2:1", "D2:2"}));
  // "1:56 pm on 8 May, 2023"; the turns of a session are a second apart.
  EXPECT_EQ(turns[0]["time"], "2023-05-08T13:56:00Z");
  EXPECT_EQ(turns[1]["time"], "2023-05-08T13:56:01Z");
  EXPECT_EQ(turns[3]["time"], "2023-06-20T10:05:00Z");
  EXPECT_EQ(turns[0]["session"], "session_1");
  EXPECT_EQ(turns[3]["session"], "session_2");
  EXPECT_EQ(turns[1]["speaker"], "Bram");
  EXPECT_EQ(turns[0]["text"], "Morning Bram! I finally finished the bookshelf.");
  // The photo's caption joins the text, so the image content is searchable.
  EXPECT_THAT(turns[2]["text"].get<std::string>(), HasSubstr("Yes, look at it."));
  EXPECT_THAT(turns[2]["text"].get<std::string>(), HasSubstr("a photo of a green bookshelf"));

  std::vector<std::string> second = Lines(Export("tiny-2").out);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(json::parse(second[0])["time"], "2024-01-01T19:30:00Z");
  EXPECT_EQ(json::parse(second[0])["id"], "D1:1");

  // Idempotent on re-import, like JSONL.
  ASSERT_EQ(Ingest(fixture, {"--format", "locomo"}).exit_code, 0);
  EXPECT_EQ(StatsJson()["turns"], 7);
}

}  // namespace
}  // namespace engram
