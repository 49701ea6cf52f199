// The installed package works for a user: `cmake --install` this build into
// a fresh prefix, then configure, build and run a small project that says
// find_package(engram) and links engram::engram (tests/package/consumer).
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace engram {
namespace {

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a shell command with its output in `log`; returns the exit code.
int Sh(const std::string& command, const std::string& log) {
  int rc = std::system((command + " >" + Quote(log) + " 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// The value of `key` in a build tree's CMakeCache.txt ("" when absent).
std::string CacheValue(const std::string& build_dir, const std::string& key) {
  std::ifstream in(build_dir + "/CMakeCache.txt");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) return line.substr(line.find('=') + 1);
  }
  return "";
}

TEST(PackageTest, InstalledPackageBuildsAndRunsAConsumer) {
  const std::string tool = ENGRAM_TOOL_PATH;
  if (tool.empty()) GTEST_SKIP() << "needs the build tree of the engram tool (ENGRAM_BUILD_TOOLS=OFF)";
  const std::string build_dir = std::filesystem::path(tool).parent_path().string();
  ASSERT_TRUE(std::filesystem::exists(build_dir + "/CMakeCache.txt")) << build_dir << " is not a build tree";
  const std::string consumer_src = std::string(ENGRAM_SOURCE_DIR) + "/tests/package/consumer";

  testing::TempDir dir;
  const std::string prefix = dir.Sub("prefix"), consumer_build = dir.Sub("build"), log = dir.Sub("log");

  ASSERT_EQ(Sh("cmake --install " + Quote(build_dir) + " --prefix " + Quote(prefix), log), 0) << ReadFile(log);
  EXPECT_TRUE(std::filesystem::exists(prefix + "/include/engram/store.h"));
  EXPECT_TRUE(std::filesystem::exists(prefix + "/bin/engram")) << "the tool is installed too";
  // The installed package names no library by a path of this machine: the
  // consumer's configure step finds the dependencies where they are there.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(prefix + "/lib")) {
    if (entry.path().extension() != ".cmake") continue;
    const std::string text = ReadFile(entry.path().string());
    for (const char* machine_path : {"/usr/lib/", "/usr/local/lib/", "/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu"}) {
      EXPECT_EQ(text.find(machine_path), std::string::npos) << entry.path() << " names " << machine_path;
    }
  }

  // The consumer uses engram's compilers, as a user must for a sanitizer
  // build of engram (its runtime is the compiler's own).
  ASSERT_EQ(Sh("cmake -S " + Quote(consumer_src) + " -B " + Quote(consumer_build) +
                   " -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=" + Quote(prefix) +
                   " -DCMAKE_C_COMPILER=" + Quote(CacheValue(build_dir, "CMAKE_C_COMPILER")) +
                   " -DCMAKE_CXX_COMPILER=" + Quote(CacheValue(build_dir, "CMAKE_CXX_COMPILER")),
               log),
            0)
      << ReadFile(log);
  ASSERT_EQ(Sh("cmake --build " + Quote(consumer_build) + " -j2", log), 0) << ReadFile(log);

  const std::string store = dir.Sub("store");
  ASSERT_EQ(Sh(Quote(consumer_build + "/consumer") + " " + Quote(store), log), 0) << ReadFile(log);
  EXPECT_NE(ReadFile(log).find("ok seq="), std::string::npos) << ReadFile(log);

  // The installed tool reads what the consumer wrote.
  ASSERT_EQ(Sh(Quote(prefix + "/bin/engram") + " export --store " + Quote(store) + " --tenant conv-26", log), 0)
      << ReadFile(log);
  EXPECT_NE(ReadFile(log).find("\"id\":\"D1:3\""), std::string::npos) << ReadFile(log);
}

}  // namespace
}  // namespace engram
