// The `engram` tool facing mistakes and odd input, run as a user runs it:
// bad lines in a batch, the ingest report, standard input, control
// characters, numeric option ranges, unknown commands and tenants, help and
// version.
#include <algorithm>
#include <filesystem>
#include <regex>
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
using ::testing::Not;
using nlohmann::json;

using testing::RunResult;
using testing::WriteFile;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string TurnLine(const std::string& tenant, const std::string& id, const std::string& text,
                     const std::string& speaker = "Maya") {
  return json{{"tenant", tenant}, {"speaker", speaker}, {"text", text}, {"id", id}}.dump() + "\n";
}

// True when `text` holds a control byte other than newline (what a terminal
// would act on rather than show).
bool HasRawControl(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](unsigned char c) { return (c < 0x20 && c != '\n') || c == 0x7F; });
}

class CliInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tool_ = ENGRAM_TOOL_PATH;
    if (tool_.empty()) GTEST_SKIP() << "the engram tool is not built (ENGRAM_BUILD_TOOLS=OFF)";
    ASSERT_TRUE(std::filesystem::exists(tool_)) << tool_ << " does not exist: build target engram_tool first";
    store_ = dir_.Sub("store");
  }

  RunResult Run(const std::vector<std::string>& args, const std::string& stdin_path = "/dev/null") {
    return testing::RunTool(tool_, dir_.path(), args, stdin_path);
  }
  RunResult Ingest(const std::string& file) { return Run({"ingest", "--store", store_, file}); }
  std::vector<std::string> ExportedTexts(const std::string& tenant) {
    std::vector<std::string> texts;
    for (const auto& line : Lines(Run({"export", "--store", store_, "--tenant", tenant}).out)) {
      texts.push_back(json::parse(line)["text"]);
    }
    return texts;
  }

  testing::TempDir dir_;
  std::string tool_;
  std::string store_;
};

// A line that parses but that the store refuses (text over the limit, a
// tenant with a control character) stops the ingest at that line; the good
// lines before it in the same batch stay stored.
TEST_F(CliInputTest, RefusedTurnKeepsTheGoodLinesBeforeItAndNamesFileAndLine) {
  struct Case {
    std::string name;
    std::string bad_line;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"text over the limit", TurnLine("t", "3", std::string(64 * 1024 + 1, 'x')), "text is 65537 bytes"},
      {"tenant with NUL", TurnLine(std::string("t\0u", 3), "3", "hidden"), "tenant has control character U+0000"},
      {"tenant with ESC", TurnLine("t\x1b[2J", "3", "hidden"), "tenant has control character U+001B"},
  };
  int n = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    store_ = dir_.Sub("store" + std::to_string(n));
    const std::string input = dir_.Sub("in" + std::to_string(n++) + ".jsonl");
    WriteFile(input, TurnLine("t", "1", "one") + TurnLine("t", "2", "two") + c.bad_line + TurnLine("t", "4", "after"));
    RunResult r = Ingest(input);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr(input + ":3: " + c.message));
    EXPECT_THAT(r.err, HasSubstr("ingested 2 new turns, 0 already stored, 1 rejected"));
    EXPECT_FALSE(HasRawControl(r.err)) << r.err;
    EXPECT_EQ(ExportedTexts("t"), (std::vector<std::string>{"one", "two"}));
    RunResult stats = Run({"stats", "--store", store_, "--json"});
    EXPECT_EQ(json::parse(stats.out)["tenants"], 1) << "the bad line's tenant was not written";
  }
}

TEST_F(CliInputTest, IngestReportCountsNewAndAlreadyStoredTurns) {
  const std::string first = dir_.Sub("first.jsonl"), second = dir_.Sub("second.jsonl");
  WriteFile(first, TurnLine("t", "1", "one") + TurnLine("t", "2", "two") + TurnLine("u", "1", "other tenant"));
  RunResult r1 = Ingest(first);
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  EXPECT_THAT(r1.err, HasSubstr("ingested 3 new turns, 0 already stored, 0 rejected"));

  // Two known turns, one new, one repeated within the file, one without id
  // (always new).
  WriteFile(second, TurnLine("t", "1", "one") + TurnLine("t", "3", "three") + TurnLine("u", "1", "other tenant") +
                        TurnLine("t", "3", "three") +
                        json{{"tenant", "t"}, {"speaker", "Maya"}, {"text", "no id"}}.dump() + "\n");
  RunResult r2 = Ingest(second);
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_THAT(r2.err, HasSubstr("ingested 2 new turns, 3 already stored, 0 rejected"));

  RunResult again = Ingest(second);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("ingested 1 new turn, 4 already stored, 0 rejected")) << "the id-less turn is new";

  // A malformed line counts as rejected too.
  const std::string bad = dir_.Sub("bad.jsonl");
  WriteFile(bad, TurnLine("t", "9", "nine") + "{not json\n");
  RunResult r3 = Ingest(bad);
  EXPECT_EQ(r3.exit_code, 1);
  EXPECT_THAT(r3.err, HasSubstr(bad + ":2: "));
  EXPECT_THAT(r3.err, HasSubstr("ingested 1 new turn, 0 already stored, 1 rejected"));
}

TEST_F(CliInputTest, DashReadsStandardInput) {
  const std::string input = dir_.Sub("piped.jsonl");
  WriteFile(input, TurnLine("t", "1", "from a pipe") + "{\"tenant\": \"t\"}\n");
  RunResult r = Run({"ingest", "--store", store_, "-"}, input);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("<stdin>:2: field 'speaker': missing"));
  EXPECT_EQ(ExportedTexts("t"), (std::vector<std::string>{"from a pipe"}));

  const std::string locomo = std::string(ENGRAM_TEST_DATA_DIR) + "/fixture_locomo_format.json";
  RunResult l = Run({"ingest", "--store", store_, "--format", "locomo", "-"}, locomo);
  ASSERT_EQ(l.exit_code, 0) << l.err;
  EXPECT_THAT(l.err, HasSubstr("ingested 7 new turns"));

  EXPECT_EQ(Run({"ingest", "--store", store_, "-", "-"}, input).exit_code, 2) << "standard input only once";
}

// Control characters in what the tool prints (speakers, ids, texts,
// tenants, error messages) are shown as escapes, never written raw.
TEST_F(CliInputTest, ControlCharactersArePrintedAsEscapes) {
  const std::string input = dir_.Sub("in.jsonl");
  // U+009B is a C1 control (CSI): allowed in a tenant, escaped on output.
  const std::string c1_tenant = "csi\xc2\x9b" "31m";
  WriteFile(input, TurnLine("t", "id\x07", "I drink green tea\x1b]0;pwned\x07 every morning", "Eve\x1b[2J") +
                       TurnLine(c1_tenant, "1", "delete\x7f and csi\xc2\x9b here"));
  RunResult ingest = Ingest(input);
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;

  RunResult recall = Run({"recall", "--store", store_, "--tenant", "t", "--k", "1", "green tea"});
  ASSERT_EQ(recall.exit_code, 0) << recall.err;
  EXPECT_FALSE(HasRawControl(recall.out)) << recall.out;
  EXPECT_THAT(recall.out, HasSubstr("[id\\x07] Eve\\x1B[2J: ")) << recall.out;

  RunResult stats = Run({"stats", "--store", store_});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_THAT(stats.out, HasSubstr("csi\\u009B31m"));
  EXPECT_THAT(stats.out, Not(HasSubstr("\xc2\x9b")));

  // JSON output escapes them (DEL and C1 too) and keeps the exact values.
  RunResult exported = Run({"export", "--store", store_, "--tenant", "t"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_FALSE(HasRawControl(exported.out));
  EXPECT_EQ(json::parse(exported.out)["speaker"], "Eve\x1b[2J");
  RunResult c1_export = Run({"export", "--store", store_, "--tenant", c1_tenant});
  ASSERT_EQ(c1_export.exit_code, 0) << c1_export.err;
  EXPECT_FALSE(HasRawControl(c1_export.out)) << c1_export.out;
  EXPECT_THAT(c1_export.out, Not(HasSubstr("\xc2\x9b")));
  EXPECT_THAT(c1_export.out, HasSubstr("\\u007f"));
  json c1_line = json::parse(c1_export.out);
  EXPECT_EQ(c1_line["tenant"], c1_tenant);
  EXPECT_EQ(c1_line["text"], "delete\x7f and csi\xc2\x9b here");
  RunResult c1_stats = Run({"stats", "--store", store_, "--json"});
  EXPECT_THAT(c1_stats.out, Not(HasSubstr("\xc2\x9b")));

  // A tenant typed with a control character is refused, and the message
  // shows it escaped.
  RunResult refused = Run({"export", "--store", store_, "--tenant", "t\x1b[2J"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("control character U+001B"));
  EXPECT_FALSE(HasRawControl(refused.err)) << refused.err;
  // So are the command-line parser's messages, which echo what was typed.
  RunResult bad_k = Run({"recall", "--store", store_, "--tenant", "t", "--k", "\x1b[2J", "q"});
  EXPECT_EQ(bad_k.exit_code, 2);
  EXPECT_THAT(bad_k.err, HasSubstr("--k: '\\x1B[2J' is not a whole number"));
  EXPECT_FALSE(HasRawControl(bad_k.err)) << bad_k.err;
}

TEST_F(CliInputTest, NumericOptionsOutsideTheirRangeAreUsageErrors) {
  const std::string locomo = std::string(ENGRAM_TEST_DATA_DIR) + "/fixture_locomo_format.json";
  struct Case {
    std::vector<std::string> args;
    std::string option;
  };
  const std::vector<Case> cases = {
      {{"recall", "--store", store_, "--tenant", "t", "--k", "-1", "q"}, "--k"},
      {{"recall", "--store", store_, "--tenant", "t", "--k", "0", "q"}, "--k"},
      {{"recall", "--store", store_, "--tenant", "t", "--k", "1001", "q"}, "--k"},
      {{"recall", "--store", store_, "--tenant", "t", "--k", "18446744073709551615", "q"}, "--k"},
      {{"recall", "--store", store_, "--tenant", "t", "--k", "ten", "q"}, "--k"},
      {{"recall", "--store", store_, "--tenant", "t", "--budget", "-5", "q"}, "--budget"},
      {{"recall", "--store", store_, "--tenant", "t", "--budget", "0", "q"}, "--budget"},
      {{"graph", "--store", store_, "--tenant", "t", "--hops", "-1"}, "--hops"},
      {{"graph", "--store", store_, "--tenant", "t", "--hops", "11"}, "--hops"},
      {{"summaries", "--store", store_, "--tenant", "t", "--sentences", "0"}, "--sentences"},
      {{"summaries", "--store", store_, "--tenant", "t", "--sentences", "-3"}, "--sentences"},
      {{"eval", "locomo", "--k", "0", locomo}, "--k"},
      {{"eval", "locomo", "--k", "5,-1", locomo}, "--k"},
      {{"eval", "locomo", "--k", ",", locomo}, "--k"},
  };
  for (const auto& c : cases) {
    std::string line;
    for (const auto& a : c.args) line += a + " ";
    SCOPED_TRACE(line);
    RunResult r = Run(c.args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.option + ":"));
  }
  EXPECT_FALSE(std::filesystem::exists(store_)) << "a usage error touches no store";
}

TEST_F(CliInputTest, VersionHelpAndMistypedCommands) {
  RunResult version = Run({"--version"});
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_TRUE(std::regex_match(version.out, std::regex(R"(engram \d+\.\d+\.\d+\n)"))) << version.out;

  RunResult typo = Run({"recal", "--store", store_, "--tenant", "t", "q"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_THAT(typo.err, HasSubstr("unknown command 'recal'; did you mean 'recall'?"));
  RunResult nested = Run({"eval", "lcomo", "x.json"});
  EXPECT_EQ(nested.exit_code, 2);
  EXPECT_THAT(nested.err, HasSubstr("unknown command 'lcomo'; did you mean 'locomo'?"));
  RunResult far = Run({"xyzzy"});
  EXPECT_EQ(far.exit_code, 2);
  EXPECT_THAT(far.err, HasSubstr("unknown command 'xyzzy'"));
  EXPECT_THAT(far.err, Not(HasSubstr("did you mean")));

  RunResult help = Run({"help", "recall"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_THAT(help.out, HasSubstr("--tenant"));
  EXPECT_THAT(help.out, HasSubstr("--k"));
  EXPECT_THAT(help.out, HasSubstr("1..1000")) << "the range is in the help";
  EXPECT_EQ(help.err, "");
  RunResult help_nested = Run({"help", "eval", "locomo"});
  EXPECT_EQ(help_nested.exit_code, 0) << help_nested.err;
  EXPECT_THAT(help_nested.out, HasSubstr("--route"));
  RunResult help_all = Run({"help"});
  EXPECT_EQ(help_all.exit_code, 0);
  EXPECT_THAT(help_all.out, HasSubstr("summaries"));
  RunResult help_typo = Run({"help", "ingets"});
  EXPECT_EQ(help_typo.exit_code, 2);
  EXPECT_THAT(help_typo.err, HasSubstr("did you mean 'ingest'?"));
  EXPECT_FALSE(std::filesystem::exists(store_));
}

// Exit codes as the README's table gives them: 1 for input the user can fix
// (including a store path that holds no store), 2 for usage, 3 for storage.
TEST_F(CliInputTest, MissingStoreIsBadInputAndDamagedStoreIsStorage) {
  RunResult missing = Run({"stats", "--store", dir_.Sub("absent")});
  EXPECT_EQ(missing.exit_code, 1) << missing.err;
  EXPECT_THAT(missing.err, HasSubstr("absent"));
  const std::string input = dir_.Sub("in.jsonl");
  WriteFile(input, TurnLine("t", "1", "one"));
  ASSERT_EQ(Ingest(input).exit_code, 0);
  WriteFile(store_ + "/CURRENT", "garbage\n");
  EXPECT_EQ(Run({"stats", "--store", store_}).exit_code, 3);
}

TEST_F(CliInputTest, UnknownTenantsAreNamedWithTheClosestKnownOnes) {
  const std::string input = dir_.Sub("in.jsonl");
  WriteFile(input, TurnLine("maya", "1", "I moved to Lisbon in May.") + TurnLine("tom", "1", "I adopted a dog."));
  ASSERT_EQ(Ingest(input).exit_code, 0);

  for (const std::string command : {"forget", "stats", "export"}) {
    SCOPED_TRACE(command);
    RunResult r = Run({command, "--store", store_, "--tenant", "mya"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr("no tenant 'mya'; did you mean 'maya'?"));
    RunResult far = Run({command, "--store", store_, "--tenant", "zzzzzzzz"});
    EXPECT_EQ(far.exit_code, 1);
    EXPECT_THAT(far.err, HasSubstr("no tenant 'zzzzzzzz'"));
    EXPECT_THAT(far.err, Not(HasSubstr("did you mean")));
  }
  EXPECT_EQ(ExportedTexts("maya").size(), 1u) << "the failed forget removed nothing";

  // The memory commands answer with nothing, and say why on stderr.
  const std::vector<std::vector<std::string>> reads = {
      {"recall", "--store", store_, "--tenant", "mya", "--json", "Where?"},
      {"profile", "--store", store_, "--tenant", "mya", "--json"},
      {"graph", "--store", store_, "--tenant", "mya"},
  };
  for (const auto& args : reads) {
    SCOPED_TRACE(args[0]);
    RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("warning: no tenant 'mya'; did you mean 'maya'?"));
    EXPECT_FALSE(json::parse(r.out, nullptr, false).is_discarded()) << r.out;
  }
  RunResult known = Run({"recall", "--store", store_, "--tenant", "maya", "--json", "Where?"});
  EXPECT_EQ(known.exit_code, 0);
  EXPECT_THAT(known.err, Not(HasSubstr("warning")));
}

}  // namespace
}  // namespace engram
