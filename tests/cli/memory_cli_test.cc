// The memory commands of the `engram` tool (recall, profile, graph, embed,
// rebuild, reindex, eval locomo), run as a user runs them: the built binary,
// its exit code and its output. Uses the real built-in embedder.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
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

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;

constexpr char kTenant[] = "nadia-tom";

using testing::ReadFile;
using testing::RunResult;
using testing::WriteFile;

std::string DataFile(const std::string& name) { return std::string(ENGRAM_TEST_DATA_DIR) + "/" + name; }

RunResult RunTool(const std::string& scratch, const std::vector<std::string>& args) {
  return testing::RunTool(ENGRAM_TOOL_PATH, scratch, args);
}

json ParseJson(const RunResult& r) {
  json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON:\n" << r.out << "\nstderr:\n" << r.err;
  return j;
}

double Cosine(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size() || a.empty()) return -2;
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / std::sqrt(na * nb);
}

// The reference vectors of tests/data/use_lite_golden.json, by text.
std::vector<double> GoldenVector(const std::string& text) {
  static const json golden = json::parse(ReadFile(DataFile("use_lite_golden.json")));
  for (const auto& c : golden["cases"]) {
    if (c["text"] == text) return c["embedding"].get<std::vector<double>>();
  }
  ADD_FAILURE() << "no golden vector for '" << text << "'";
  return {};
}

class MemoryCliTest : public ::testing::Test {
 protected:
  // One store with the fixture conversation, shared by the read-only tests.
  static void SetUpTestSuite() {
    if (std::string(ENGRAM_TOOL_PATH).empty()) return;
    shared_dir_ = new testing::TempDir();
    RunResult r = RunTool(shared_dir_->path(), {"ingest", "--store", SharedStore(),
                                                DataFile("tiers_conversation.jsonl")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete shared_dir_;
    shared_dir_ = nullptr;
  }
  static std::string SharedStore() { return shared_dir_->Sub("store"); }

  void SetUp() override {
    if (std::string(ENGRAM_TOOL_PATH).empty()) GTEST_SKIP() << "the engram tool is not built (ENGRAM_BUILD_TOOLS=OFF)";
    ASSERT_TRUE(std::filesystem::exists(ENGRAM_TOOL_PATH)) << "build target engram_tool first";
    ASSERT_NE(shared_dir_, nullptr);
  }

  RunResult Run(const std::vector<std::string>& args) { return RunTool(dir_.path(), args); }
  RunResult Recall(const std::string& store, const std::vector<std::string>& extra, const std::string& question) {
    std::vector<std::string> args = {"recall", "--store", store, "--tenant", kTenant};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(question);
    return Run(args);
  }

  static testing::TempDir* shared_dir_;
  testing::TempDir dir_;
};

testing::TempDir* MemoryCliTest::shared_dir_ = nullptr;

TEST_F(MemoryCliTest, RecallJsonHasHitsWithProvenanceAndTheRoute) {
  std::set<std::string> fixture_ids;
  for (int s = 1; s <= 3; ++s) {
    for (int t = 1; t <= 10; ++t) fixture_ids.insert("D" + std::to_string(s) + ":" + std::to_string(t));
  }
  for (const char* route : {"auto", "hybrid", "bm25", "vector"}) {
    SCOPED_TRACE(route);
    RunResult r = Recall(SharedStore(), {"--json", "--k", "5", "--route", route}, "Where does Nadia live now?");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json j = ParseJson(r);
    ASSERT_TRUE(j.contains("hits") && j["hits"].is_array()) << j.dump(2);
    ASSERT_FALSE(j["hits"].empty());
    EXPECT_LE(j["hits"].size(), 5u) << "--k 5";
    ASSERT_TRUE(j.contains("route") && j["route"].is_object());
    ASSERT_TRUE(j["route"]["name"].is_string());
    EXPECT_FALSE(j["route"]["name"].get<std::string>().empty());
    double previous = INFINITY;
    for (const auto& h : j["hits"]) {
      ASSERT_TRUE(h["source_ids"].is_array() && !h["source_ids"].empty()) << h.dump();
      for (const auto& id : h["source_ids"]) EXPECT_TRUE(fixture_ids.count(id.get<std::string>())) << id;
      ASSERT_TRUE(h["text"].is_string());
      EXPECT_FALSE(h["text"].get<std::string>().empty());
      ASSERT_TRUE(h["speaker"].is_string());
      EXPECT_THAT((std::vector<std::string>{"Nadia", "Tom"}), Contains(h["speaker"].get<std::string>()));
      ASSERT_TRUE(h["time"].is_string()) << "every fixture turn has a time";
      EXPECT_TRUE(std::regex_match(h["time"].get<std::string>(),
                                   std::regex(R"(2023-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)")))
          << h["time"];
      ASSERT_TRUE(h["tier"].is_string());
      EXPECT_THAT((std::vector<std::string>{"working", "episodic", "persona", "graph"}),
                  Contains(h["tier"].get<std::string>()));
      ASSERT_TRUE(h["score"].is_number());
      EXPECT_LE(h["score"].get<double>(), previous) << "best first";
      previous = h["score"].get<double>();
      ASSERT_TRUE(h["signals"].is_object() && !h["signals"].empty()) << h.dump();
      for (const auto& [name, v] : h["signals"].items()) EXPECT_TRUE(v.is_number()) << name;
    }
  }
  // One signal only on the plain routes.
  RunResult bm25 = Recall(SharedStore(), {"--json", "--route", "bm25"}, "jazz festival Chicago");
  ASSERT_EQ(bm25.exit_code, 0) << bm25.err;
  json top = ParseJson(bm25)["hits"][0];
  EXPECT_TRUE(top["signals"].contains("bm25")) << top.dump();
  EXPECT_FALSE(top["signals"].contains("vector")) << top.dump();
  EXPECT_EQ(top["source_ids"][0], "D2:4");
}

// --from/--to keep only what was said in that time; bad times exit 1.
TEST_F(MemoryCliTest, RecallTimeFiltersKeepOnlyThatTime) {
  RunResult r = Recall(SharedStore(), {"--json", "--k", "20", "--from", "2023-06-01T00:00:00Z", "--to",
                                       "2023-07-01T00:00:00Z"},
                       "Where does Nadia live?");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = ParseJson(r);
  ASSERT_FALSE(j["hits"].empty()) << j.dump(2);
  for (const auto& h : j["hits"]) {
    ASSERT_TRUE(h["time"].is_string()) << h.dump();
    EXPECT_EQ(h["time"].get<std::string>().substr(0, 10), "2023-06-12") << h.dump();
  }
  RunResult all = Recall(SharedStore(), {"--json", "--k", "20"}, "Where does Nadia live?");
  ASSERT_EQ(all.exit_code, 0) << all.err;
  const json unfiltered = ParseJson(all);
  bool other_day = false;
  for (const auto& h : unfiltered["hits"]) other_day |= h["time"].get<std::string>().substr(0, 10) != "2023-06-12";
  EXPECT_TRUE(other_day) << "without the filter other sessions come back too";
  EXPECT_EQ(Recall(SharedStore(), {"--from", "last week"}, "Where?").exit_code, 1);
  EXPECT_EQ(Recall(SharedStore(), {"--from", "2023-07-01T00:00:00Z", "--to", "2023-06-01T00:00:00Z"}, "Where?")
                .exit_code,
            1);
}

// --asking-user says who "I" is: "Where do I live?" asked by Nadia is about her.
TEST_F(MemoryCliTest, RecallAskingUserResolvesI) {
  RunResult r = Recall(SharedStore(), {"--json", "--asking-user", "Nadia", "--agent-name", "Tom"}, "Where do I live?");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = ParseJson(r);
  ASSERT_TRUE(j["route"]["targets"].is_array()) << j.dump(2);
  EXPECT_THAT(j["route"]["targets"].get<std::vector<std::string>>(), Contains("Nadia")) << j["route"].dump();
}

TEST_F(MemoryCliTest, RecallExplainPrintsTheRouteAndEachHitsSignals) {
  RunResult r = Recall(SharedStore(), {"--explain", "--k", "3"}, "When did Tom adopt his dog?");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(^route \w+ \(question kind \w+\))"))) << r.out;
  EXPECT_THAT(r.out, HasSubstr("weights:"));
  EXPECT_THAT(r.out, HasSubstr("embed "));
  // The hit lines, each followed by its signals.
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\n *1\. \d+\.\d+ \[D1:10\] Tom: )"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"((unit|turn) episodic 2023-[^|]*\|( \w+=\d+\.\d+)+)")))
      << r.out;
  EXPECT_THAT(r.out, AllOf(HasSubstr("bm25="), HasSubstr("vector=")));

  // Without --explain: only the hits.
  RunResult plain = Recall(SharedStore(), {"--k", "3"}, "When did Tom adopt his dog?");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_THAT(plain.out, Not(HasSubstr("weights:")));
  EXPECT_THAT(plain.out, HasSubstr("[D1:10]"));
}

TEST_F(MemoryCliTest, RecallBudgetPacksAContextWithinTheBudget) {
  RunResult r = Recall(SharedStore(), {"--json", "--budget", "120"}, "Where does Nadia live now?");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = ParseJson(r);
  ASSERT_TRUE(j["sections"].is_array() && !j["sections"].empty()) << j.dump(2);
  ASSERT_TRUE(j["text"].is_string());
  EXPECT_FALSE(j["text"].get<std::string>().empty());
  EXPECT_LE(j["tokens"].get<size_t>(), 120u);
  EXPECT_TRUE(j["route"].is_object());
}

TEST_F(MemoryCliTest, RecallProblemsExitOne) {
  RunResult route = Recall(SharedStore(), {"--route", "telepathy"}, "Where does Nadia live?");
  EXPECT_EQ(route.exit_code, 1) << route.err;
  EXPECT_THAT(route.err, HasSubstr("telepathy"));
  RunResult missing = Run({"recall", "--store", dir_.Sub("absent"), "--tenant", kTenant, "anything"});
  EXPECT_EQ(missing.exit_code, 1) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("absent"))) << "recall creates no store";
  EXPECT_EQ(Run({"recall", "--store", SharedStore(), "question without tenant"}).exit_code, 2);
  // A tenant with no data remembers nothing; that is not an error, but the
  // tool says so on stderr.
  RunResult nobody = Run({"recall", "--store", SharedStore(), "--tenant", "nobody", "--json", "Where?"});
  ASSERT_EQ(nobody.exit_code, 0) << nobody.err;
  EXPECT_TRUE(ParseJson(nobody)["hits"].empty());
  EXPECT_THAT(nobody.err, HasSubstr("warning: no tenant 'nobody'"));
}

TEST_F(MemoryCliTest, ProfileJsonShowsCurrentFactsHistoryAndAsOf) {
  auto facts_of = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"profile", "--store", SharedStore(), "--tenant", kTenant, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json j = ParseJson(r);
    EXPECT_EQ(j["tenant"], kTenant);
    std::vector<std::string> out;
    for (const auto& f : j["facts"]) {
      EXPECT_TRUE(f["source_ids"].is_array() && !f["source_ids"].empty()) << f.dump();
      EXPECT_TRUE(f["valid_from"].is_string()) << f.dump();
      EXPECT_TRUE(f["confidence"].is_number()) << f.dump();
      out.push_back(f["subject"].get<std::string>() + " " + f["attribute"].get<std::string>() + "=" +
                    f["value"].get<std::string>() + (f["valid_to"].is_null() ? "" : " until " +
                                                         f["valid_to"].get<std::string>()));
    }
    return out;
  };
  std::vector<std::string> now = facts_of({"--speaker", "Nadia"});
  EXPECT_THAT(now, AllOf(Contains("Nadia home=Seattle"), Contains("Nadia likes=coffee"),
                         Not(Contains("Nadia home=Denver")), Not(Contains("Nadia hobby=bouldering"))));
  for (const auto& f : now) EXPECT_THAT(f, ::testing::StartsWith("Nadia ")) << "--speaker filters";

  // "I moved to Seattle last month" (said 2023-06-12) ends Denver when the move began: 2023-05-01.
  std::vector<std::string> history = facts_of({"--speaker", "Nadia", "--history"});
  EXPECT_THAT(history, AllOf(Contains("Nadia home=Denver until 2023-05-01T00:00:00Z"),
                             Contains("Nadia dislikes=coffee until 2023-09-20T09:22:00Z"), Contains("Nadia home=Seattle")));

  std::vector<std::string> spring = facts_of({"--speaker", "Nadia", "--as-of", "2023-04-15T00:00:00Z"});
  EXPECT_THAT(spring, AllOf(Contains("Nadia home=Denver until 2023-05-01T00:00:00Z"),
                            Contains("Nadia hobby=bouldering until 2023-06-12T18:34:00Z"),
                            Not(Contains("Nadia home=Seattle"))));

  std::vector<std::string> everyone = facts_of({});
  EXPECT_THAT(everyone, AllOf(Contains("Tom pet=dog Biscuit"), Contains("Nadia home=Seattle")));

  RunResult bad = Run({"profile", "--store", SharedStore(), "--tenant", kTenant, "--as-of", "last tuesday"});
  EXPECT_EQ(bad.exit_code, 1) << bad.err;
  EXPECT_THAT(bad.err, HasSubstr("--as-of"));

  RunResult text = Run({"profile", "--store", SharedStore(), "--tenant", kTenant, "--speaker", "Tom"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, AllOf(HasSubstr("dog Biscuit"), HasSubstr("D1:10")));
}

TEST_F(MemoryCliTest, GraphAsOfShowsThePastAndDotMarksClosedEdges) {
  auto relations_of = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"graph", "--store", SharedStore(), "--tenant", kTenant, "--entity", "Nadia"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> out;
    const json j = ParseJson(r);
    for (const auto& rel : j["relations"]) {
      std::string line = rel["subject"].get<std::string>() + " " + rel["relation"].get<std::string>() + " " +
                         rel["object"].get<std::string>();
      if (!rel["valid_to"].is_null()) line += " until " + rel["valid_to"].get<std::string>();
      out.push_back(line);
    }
    return out;
  };
  std::vector<std::string> spring = relations_of({"--as-of", "2023-04-15T00:00:00Z"});
  EXPECT_THAT(spring, AllOf(Contains(::testing::StartsWith("Nadia lives_in Denver")),
                            Not(Contains(::testing::StartsWith("Nadia lives_in Seattle")))));
  std::vector<std::string> all = relations_of({});
  EXPECT_THAT(all, AllOf(Contains("Nadia lives_in Denver until 2023-05-01T00:00:00Z"),
                         Contains("Nadia lives_in Seattle")));
  std::vector<std::string> no_mentions = relations_of({"--no-mentions"});
  EXPECT_THAT(no_mentions, Not(Contains(::testing::HasSubstr(" mentioned_with "))));
  EXPECT_THAT(all, Contains(::testing::HasSubstr(" mentioned_with ")));

  RunResult dot = Run({"graph", "--store", SharedStore(), "--tenant", kTenant, "--format", "dot"});
  ASSERT_EQ(dot.exit_code, 0) << dot.err;
  EXPECT_THAT(dot.out, HasSubstr(R"x("Nadia" -> "Denver" [label="lives_in (2023-03-04 to 2023-05-01)", style=dashed)x"));
  EXPECT_THAT(dot.out, HasSubstr(R"("Nadia" -> "Seattle" [label="lives_in"];)"));

  RunResult bad = Run({"graph", "--store", SharedStore(), "--tenant", kTenant, "--as-of", "someday"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("--as-of"));
}

TEST_F(MemoryCliTest, GraphDotIsValidGraphviz) {
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, std::vector<std::string>{"--entity", "Lucy", "--hops", "2"}}) {
    std::vector<std::string> args = {"graph", "--store", SharedStore(), "--tenant", kTenant, "--format", "dot"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = Run(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_THAT(r.out, ::testing::StartsWith("digraph "));
    EXPECT_THAT(r.out, HasSubstr("->"));
    EXPECT_THAT(r.out, ::testing::EndsWith("}\n"));
    EXPECT_THAT(r.out, HasSubstr(R"("Lucy" -> "Tom" [label="sister_of"];)"));
    // Every line between the braces is a graph attribute, a node or an edge;
    // quoted strings escape only quotes and backslashes.
    const std::string quoted = R"("(?:[^"\\]|\\.)*")";
    const std::regex node("  " + quoted + R"( \[label=)" + quoted + R"(\];)");
    const std::regex edge("  " + quoted + " -> " + quoted + R"( \[label=)" + quoted +
                          R"((, style=dashed, color=gray40)?\];)");
    const std::regex attribute(R"(  (rankdir=\w+|node \[[^\]]*\]);)");
    std::istringstream lines(r.out);
    std::string line;
    std::getline(lines, line);
    EXPECT_EQ(line, "digraph engram {");
    size_t nodes = 0, edges = 0;
    while (std::getline(lines, line) && line != "}") {
      if (std::regex_match(line, node)) {
        ++nodes;
        // A line break in the label, not a literal backslash and "n".
        EXPECT_THAT(line, HasSubstr(R"(\n()"));
        EXPECT_THAT(line, Not(HasSubstr(R"(\\n)"))) << line;
      } else if (std::regex_match(line, edge)) {
        ++edges;
      } else {
        EXPECT_TRUE(std::regex_match(line, attribute)) << "not DOT: " << line;
      }
    }
    EXPECT_EQ(line, "}");
    EXPECT_FALSE(std::getline(lines, line)) << "nothing after the closing brace";
    EXPECT_GE(nodes, 3u);
    EXPECT_GE(edges, 2u);
  }
}

TEST_F(MemoryCliTest, GraphJsonAndUnknownEntity) {
  RunResult r = Run({"graph", "--store", SharedStore(), "--tenant", kTenant, "--entity", "amira"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = ParseJson(r);
  std::vector<std::string> names, edges;
  for (const auto& e : j["entities"]) names.push_back(e["name"]);
  for (const auto& e : j["relations"]) {
    edges.push_back(e["subject"].get<std::string>() + " " + e["relation"].get<std::string>() + " " +
                    e["object"].get<std::string>());
  }
  EXPECT_THAT(names, AllOf(Contains("Amira"), Contains("Nadia")));
  EXPECT_THAT(edges, Contains("Amira sister_of Nadia"));

  RunResult unknown = Run({"graph", "--store", SharedStore(), "--tenant", kTenant, "--entity", "Voldemort"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.err;
  EXPECT_THAT(unknown.err, HasSubstr("Voldemort"));
  EXPECT_TRUE(unknown.out.empty()) << unknown.out;
  RunResult format = Run({"graph", "--store", SharedStore(), "--tenant", kTenant, "--format", "png"});
  EXPECT_EQ(format.exit_code, 2) << format.err;
}

TEST_F(MemoryCliTest, EmbedReproducesTheGoldenVector) {
  RunResult r = Run({"embed", "--json", "The cat sat on the mat."});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = ParseJson(r);
  EXPECT_EQ(j["dim"], 512);
  EXPECT_THAT(j["identity"].get<std::string>(), HasSubstr("use-lite"));
  ASSERT_EQ(j["vectors"].size(), 1u);
  std::vector<double> v = j["vectors"][0].get<std::vector<double>>();
  ASSERT_EQ(v.size(), 512u);
  EXPECT_GE(Cosine(v, GoldenVector("The cat sat on the mat.")), 0.9999);
}

TEST_F(MemoryCliTest, EmbedInputFileGivesOneVectorPerLineInOrder) {
  const std::vector<std::string> texts = {
      "Stock markets fell sharply today.",
      "The cat sat on the mat.",
      "My sister lives in Boston and works as a nurse.",
      "A kitten rested on the rug.",
  };
  const std::string input = dir_.Sub("texts.txt");
  std::string content;
  for (const auto& t : texts) content += t + "\n";
  WriteFile(input, content);
  RunResult r = Run({"embed", "--input", input});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = ParseJson(r);
  ASSERT_EQ(j["vectors"].size(), texts.size());
  // One vector per line of the output too.
  size_t vector_lines = 0;
  for (std::istringstream in(r.out); std::getline(in, content);) vector_lines += content.rfind("  [", 0) == 0;
  EXPECT_EQ(vector_lines, texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<double> v = j["vectors"][i].get<std::vector<double>>();
    for (size_t g = 0; g < texts.size(); ++g) {
      double cos = Cosine(v, GoldenVector(texts[g]));
      if (g == i) {
        EXPECT_GE(cos, 0.9999) << "line " << i + 1;
      } else {
        EXPECT_LT(cos, 0.99) << "line " << i + 1 << " looks like line " << g + 1;
      }
    }
  }
  EXPECT_EQ(Run({"embed"}).exit_code, 1) << "no texts";
  EXPECT_EQ(Run({"embed", "--input", dir_.Sub("missing.txt")}).exit_code, 3);
}

TEST_F(MemoryCliTest, RebuildAndReindexKeepRecallTheSame) {
  const std::string store = dir_.Sub("store");
  ASSERT_EQ(Run({"ingest", "--store", store, DataFile("tiers_conversation.jsonl")}).exit_code, 0);
  const std::vector<std::string> questions = {"Where does Nadia live now?", "When did Tom adopt his dog?",
                                              "Who is Tom's sister?"};
  auto recall_all = [&]() {
    std::vector<json> out;
    for (const auto& q : questions) {
      RunResult r = Recall(store, {"--json"}, q);
      EXPECT_EQ(r.exit_code, 0) << r.err;
      json j = ParseJson(r);
      j.erase("latency_us");  // timings differ run to run
      out.push_back(j);
    }
    return out;
  };
  const std::vector<json> before = recall_all();
  for (const auto& j : before) ASSERT_FALSE(j["hits"].empty()) << j.dump(2);

  RunResult rebuild = Run({"rebuild", "--store", store});
  ASSERT_EQ(rebuild.exit_code, 0) << rebuild.err;
  EXPECT_THAT(rebuild.err, HasSubstr("rebuilt"));
  std::vector<json> after = recall_all();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i], before[i]) << questions[i];

  RunResult reindex = Run({"reindex", "--store", store});
  ASSERT_EQ(reindex.exit_code, 0) << reindex.err;
  after = recall_all();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i], before[i]) << questions[i];

  EXPECT_EQ(Run({"rebuild", "--store", dir_.Sub("absent")}).exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("absent")));
}

TEST_F(MemoryCliTest, EvalLocomoPrintsTheReport) {
  // Our own LoCoMo-format fixture: 2 conversations, 6 questions, 2 of them
  // without valid evidence (none given; an id not in the conversation).
  RunResult r = Run({"eval", "locomo", "--json", DataFile("fixture_locomo_format_eval.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = ParseJson(r);
  EXPECT_EQ(j["questions"], 4);
  EXPECT_EQ(j["excluded"], 2);
  EXPECT_EQ(j["route"], "auto");
  ASSERT_TRUE(j["overall"].is_object()) << j.dump(2);
  const std::vector<std::string> ks = {"R@1", "R@5", "R@10", "R@25", "R@50"};
  double previous = -1;
  for (const auto& k : ks) {
    ASSERT_TRUE(j["overall"][k].is_number()) << k;
    double v = j["overall"][k].get<double>();
    EXPECT_GE(v, 0.0);
    EXPECT_LE(v, 100.0);
    EXPECT_GE(v, previous) << k << ": recall never drops as k grows";
    previous = v;
  }
  // Nine turns per conversation at most: 50 hits reach every evidence turn,
  // so anything below 100 means hits are not matched to evidence ids.
  EXPECT_EQ(j["overall"]["R@50"], 100.0);
  EXPECT_EQ(j["overall"]["questions"], 4);
  ASSERT_TRUE(j["by_category"].is_object());
  std::vector<std::string> categories;
  size_t counted = 0;
  for (const auto& [cat, t] : j["by_category"].items()) {
    categories.push_back(cat);
    counted += t["questions"].get<size_t>();
    for (const auto& k : ks) EXPECT_TRUE(t[k].is_number()) << cat << " " << k;
  }
  EXPECT_EQ(categories, (std::vector<std::string>{"1", "2", "3", "4"})) << "category 5 had no valid evidence";
  EXPECT_EQ(counted, 4u);
  EXPECT_GT(j["ingest_turns_per_s"].get<double>(), 0.0);
  ASSERT_TRUE(j["latency_us"].is_object());
  EXPECT_GT(j["latency_us"]["p50"].get<double>(), 0.0);
  EXPECT_GE(j["latency_us"]["p99"].get<double>(), j["latency_us"]["p50"].get<double>());

  // Chosen cut-offs and a second route to compare.
  RunResult custom = Run({"eval", "locomo", "--json", "--k", "3,1", "--route", "bm25,hybrid",
                          DataFile("fixture_locomo_format_eval.json")});
  ASSERT_EQ(custom.exit_code, 0) << custom.err;
  json c = ParseJson(custom);
  EXPECT_EQ(c["route"], "bm25");
  std::vector<std::string> keys;
  for (const auto& [k, v] : c["overall"].items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"R@1", "R@3", "flagged_unanswerable", "questions"}));
  ASSERT_TRUE(c["compare"]["hybrid"].is_object()) << c.dump(2);
  EXPECT_EQ(c["compare"]["hybrid"]["questions"], 4);

  EXPECT_EQ(Run({"eval", "locomo", "--k", "0", DataFile("fixture_locomo_format_eval.json")}).exit_code, 2)
      << "a cut-off outside 1..1000 is a usage error";
}

TEST_F(MemoryCliTest, EvalLocomoFitsTheRerankerLeavingOneConversationOut) {
  RunResult r = Run({"eval", "locomo", "--json", "--k", "1,5,10", "--fit-reranker", "--rerank-non-negative",
                     "to_target,asks", DataFile("fixture_locomo_format_eval.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = ParseJson(r);
  ASSERT_TRUE(j["reranker"].is_object()) << j.dump(2);
  const json& rr = j["reranker"];
  // Every question scored once held out, and the first stage beside it.
  EXPECT_EQ(rr["loo"]["questions"], 4);
  EXPECT_EQ(rr["first_stage"]["questions"], 4);
  size_t per_category = 0;
  for (const auto& [cat, t] : rr["loo_by_category"].items()) per_category += t["questions"].get<size_t>();
  EXPECT_EQ(per_category, 4u);
  // A weight for every feature, the bounded ones never below 0.
  ASSERT_TRUE(rr["weights"].is_object());
  EXPECT_TRUE(rr["weights"].contains("coverage"));
  EXPECT_TRUE(rr["weights"].contains("first_stage"));
  EXPECT_GE(rr["weights"]["to_target"].get<float>(), 0.0f);
  EXPECT_GE(rr["weights"]["asks"].get<float>(), 0.0f);

  RunResult text = Run({"eval", "locomo", "--k", "1,5", "--fit-reranker", "--by-conversation",
                        DataFile("fixture_locomo_format_eval.json")});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("reranker fitted leaving one conversation out"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("eval-1 held"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("fitted on all"), std::string::npos) << text.out;

  RunResult unknown = Run({"eval", "locomo", "--fit-reranker", "--rerank-non-negative", "loudness",
                           DataFile("fixture_locomo_format_eval.json")});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("loudness"), std::string::npos) << unknown.err;
}

TEST_F(MemoryCliTest, EvalLocomoSweepsAWeightAndLeavesOneConversationOut) {
  RunResult r = Run({"eval", "locomo", "--json", "--k", "1,5,10", "--sweep", "speaker=0,0.1", "--loo",
                     DataFile("fixture_locomo_format_eval.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = ParseJson(r);
  ASSERT_TRUE(j["sweep"].is_array()) << j.dump(2);
  ASSERT_EQ(j["sweep"].size(), 2u);
  EXPECT_EQ(j["sweep"][0]["weight"], "speaker");
  EXPECT_EQ(j["sweep"][1]["value"], 0.1f);
  EXPECT_EQ(j["sweep"][1]["overall"]["questions"], 4);
  // Each conversation's figures, and the held-out ones: every question
  // scored once, with a value chosen on the other conversation.
  size_t per_conversation = 0;
  for (const auto& [name, t] : j["by_conversation"].items()) per_conversation += t["questions"].get<size_t>();
  EXPECT_EQ(per_conversation, 4u);
  ASSERT_TRUE(j["loo"].is_object()) << j.dump(2);
  EXPECT_EQ(j["loo"]["overall"]["questions"], 4);
  std::vector<std::string> folds;
  for (const auto& [name, v] : j["loo"]["chosen"].items()) {
    folds.push_back(name);
    EXPECT_TRUE(v.get<float>() == 0.0f || v.get<float>() == 0.1f) << v;
  }
  EXPECT_EQ(folds, (std::vector<std::string>{"eval-1", "eval-2"}));

  // Usage errors name what is wrong.
  RunResult no_sweep = Run({"eval", "locomo", "--loo", DataFile("fixture_locomo_format_eval.json")});
  EXPECT_NE(no_sweep.exit_code, 0);
  EXPECT_NE(no_sweep.err.find("--sweep"), std::string::npos) << no_sweep.err;
  RunResult unknown = Run({"eval", "locomo", "--sweep", "loudness=1,2", DataFile("fixture_locomo_format_eval.json")});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("loudness"), std::string::npos) << unknown.err;
  RunResult not_a_number = Run({"eval", "locomo", "--sweep", "speaker=0,high", DataFile("fixture_locomo_format_eval.json")});
  EXPECT_NE(not_a_number.exit_code, 0);
  EXPECT_NE(not_a_number.err.find("high"), std::string::npos) << not_a_number.err;
}

}  // namespace
}  // namespace engram
