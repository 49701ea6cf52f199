// `engram check` and `engram salvage`, and the read-only commands on a
// store that the CLI cannot open for writing.
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing/run_tool.h"
#include "testing/temp_dir.h"

namespace engram {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;
using testing::RunResult;
using testing::WriteFile;

class RepairCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tool_ = ENGRAM_TOOL_PATH;
    if (tool_.empty()) GTEST_SKIP() << "the engram tool is not built (ENGRAM_BUILD_TOOLS=OFF)";
    store_ = dir_.Sub("store");
    // Three ingests of ten turns: three batches, three log records.
    std::string all;
    for (int part = 0; part < 3; ++part) {
      std::string jsonl;
      for (int i = part * 10; i < part * 10 + 10; ++i) {
        jsonl += "{\"tenant\": \"maya\", \"speaker\": \"Maya\", \"text\": \"Turn " + std::to_string(i) +
                 ": I moved to Lakewood.\", \"id\": \"m" + std::to_string(i) + "\"}\n";
      }
      all += jsonl;
      const std::string file = dir_.Sub("part" + std::to_string(part) + ".jsonl");
      WriteFile(file, jsonl);
      RunResult r = Run({"ingest", "--store", store_, "--sync", file});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    WriteFile(dir_.Sub("conv.jsonl"), all);
  }
  RunResult Run(const std::vector<std::string>& args) { return testing::RunTool(tool_, dir_.path(), args); }
  std::string LogFile() {
    for (const auto& e : fs::directory_iterator(store_)) {
      if (e.path().extension() == ".log" && e.path().stem().string().find_first_not_of("0123456789") ==
                                                std::string::npos) {
        return e.path().string();
      }
    }
    return "";
  }

  testing::TempDir dir_;
  std::string tool_, store_;
};

TEST_F(RepairCliTest, CheckSaysOkOnAnIntactStore) {
  RunResult r = Run({"check", "--store", store_});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("ok: every checksum verified"));
  r = Run({"check", "--store", store_, "--json"});
  ASSERT_EQ(r.exit_code, 0);
  json j = json::parse(r.out);
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_EQ(j["turns"].get<int>(), 30);
}

TEST_F(RepairCliTest, ADamagedLogIsReportedByEveryCommandAndSalvaged) {
  const std::string log = LogFile();
  ASSERT_FALSE(log.empty());
  {
    // Flipped, not overwritten: the byte there may already hold any value.
    std::fstream f(log, std::ios::in | std::ios::out | std::ios::binary);
    const auto at = static_cast<std::streamoff>(fs::file_size(log) / 3);
    f.seekg(at);
    const char byte = static_cast<char>(f.get());
    f.seekp(at);
    f.put(static_cast<char>(byte ^ 0x5a));
  }
  const std::string name = fs::path(log).filename().string();
  for (const std::vector<std::string>& cmd :
       {std::vector<std::string>{"stats", "--store", store_}, {"export", "--store", store_, "--tenant", "maya"},
        {"ingest", "--store", store_, dir_.Sub("conv.jsonl")}}) {
    RunResult r = Run(cmd);
    EXPECT_EQ(r.exit_code, 3) << cmd[0] << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr(name)) << cmd[0];
    EXPECT_THAT(r.err, HasSubstr("engram salvage --store " + store_)) << cmd[0];
    EXPECT_THAT(r.err, Not(HasSubstr("cannot open store '" + store_ + "': cannot open store"))) << cmd[0];
  }
  RunResult r = Run({"check", "--store", store_});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.out, HasSubstr("DAMAGED  " + name));

  r = Run({"salvage", "--store", store_, "--out", dir_.Sub("copy"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_GT(j["turns_copied"].get<int>(), 0);
  EXPECT_GE(j["unreadable_regions"].get<int>(), 1);
  r = Run({"stats", "--store", dir_.Sub("copy"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["turns"].get<int>(), j["turns_copied"].get<int>());
  r = Run({"salvage", "--store", store_, "--out", dir_.Sub("copy")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("already holds a store"));
}

TEST_F(RepairCliTest, AStoreThatLostCurrentIsNeverRecreated) {
  fs::remove(store_ + "/CURRENT");
  for (int i = 0; i < 2; ++i) {
    RunResult r = Run({"ingest", "--store", store_, dir_.Sub("conv.jsonl")});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_THAT(r.err, HasSubstr("no CURRENT file"));
  }
  EXPECT_FALSE(fs::exists(store_ + "/CURRENT"));
  RunResult r = Run({"salvage", "--store", store_, "--out", dir_.Sub("copy")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("copied 30 turns"));
}

}  // namespace
}  // namespace engram
