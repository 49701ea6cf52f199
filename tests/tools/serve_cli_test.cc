// `engram serve` run as a user runs it: started as a process, reached with
// curl and an HTTP client, stopped with SIGTERM. Under a load of synced
// writes from several threads, SIGTERM loses no acknowledged write.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/httplib_config.h"
#include "engram/engram.h"
#include "testing/run_tool.h"
#include "testing/temp_dir.h"

extern char** environ;

namespace engram {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;

// A running `engram serve`; the destructor kills it if a test left it up.
class ServeProcess {
 public:
  ServeProcess(const std::string& scratch, std::vector<std::string> args) : err_path_(scratch + "/serve.err") {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, (scratch + "/serve.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> argv_strings = {ENGRAM_TOOL_PATH, "serve"};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_strings) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, ENGRAM_TOOL_PATH, &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  // The port from "serving DIR on http://127.0.0.1:PORT"; 0 when the
  // process exited or did not say within a minute.
  int WaitForPort() {
    const std::regex serving(R"(on http://127\.0\.0\.1:(\d+))");
    for (int i = 0; i < 600; ++i) {
      std::smatch m;
      const std::string err = Stderr();
      if (std::regex_search(err, m, serving)) return std::stoi(m[1]);
      if (waitpid(pid_, &status_, WNOHANG) == pid_) {
        pid_ = -1;
        return 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return 0;
  }

  // Sends `sig` and waits for the exit; returns the exit code (-1: killed).
  int Stop(int sig = SIGTERM) {
    if (pid_ <= 0) return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
    kill(pid_, sig);
    waitpid(pid_, &status_, 0);
    pid_ = -1;
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }
  void Signal(int sig) { kill(pid_, sig); }
  int Wait() {
    waitpid(pid_, &status_, 0);
    pid_ = -1;
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }

  std::string Stderr() const { return testing::ReadFile(err_path_); }

 private:
  std::string err_path_;
  pid_t pid_ = -1;
  int status_ = 0;
};

// Runs curl; returns "<status> <body>".
std::string Curl(const std::string& args) {
  std::string out;
  FILE* p = popen(("curl -s -w ' %{http_code}' " + args).c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  const size_t space = out.rfind(' ');
  return space == std::string::npos ? out : out.substr(space + 1) + " " + out.substr(0, space);
}

class ServeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(ENGRAM_TOOL_PATH).empty()) GTEST_SKIP() << "the engram tool is not built";
    store_ = dir_.Sub("store");
  }
  testing::TempDir dir_;
  std::string store_;
};

TEST_F(ServeCliTest, CurlReachesTheRoutesAndSigtermStopsCleanly) {
  if (std::system("curl --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "curl is not installed";
  testing::WriteFile(dir_.Sub("tokens.json"),
                     R"({"tokens":[{"token":"tok-dana","name":"dana-agent","write":["dana"]}]})");
  ServeProcess serve(dir_.path(), {"--store", store_, "--listen", "127.0.0.1:0", "--tokens", dir_.Sub("tokens.json")});
  const int port = serve.WaitForPort();
  ASSERT_GT(port, 0) << serve.Stderr();
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  const std::string auth = "-H 'Authorization: Bearer tok-dana' ";

  EXPECT_EQ(Curl(base + "/healthz"), "200 {\"status\":\"ok\"}");
  EXPECT_THAT(Curl(base + "/readyz"), HasSubstr("200"));
  const std::string turn = R"({"speaker":"Dana","text":"I ran the Porto half marathon.","id":"s1:1"})";
  EXPECT_THAT(Curl(auth + "-X POST -d '" + turn + "' '" + base + "/v1/tenants/dana/turns?sync=true'"),
              HasSubstr("\"new\":1"));
  EXPECT_THAT(Curl(auth + base + "/v1/tenants/dana/stats"), HasSubstr("\"turns\":1"));
  EXPECT_THAT(Curl(auth + "-X POST -d '{\"question\":\"Where did Dana run?\"}' " + base + "/v1/tenants/dana/recall"),
              HasSubstr("Porto"));
  const std::string unauthorised = Curl(base + "/v1/tenants/dana/stats");
  EXPECT_THAT(unauthorised, HasSubstr("401 "));
  EXPECT_THAT(unauthorised, HasSubstr("\"code\":\"unauthenticated\""));
  EXPECT_THAT(Curl(auth + base + "/v1/tenants/other/stats"), HasSubstr("403 "));
  EXPECT_THAT(Curl(base + "/metrics"), HasSubstr("engram_turns_observed_total 1"));

  // The same API on the store's unix socket, for this user only.
  const std::string socket_path = store_ + "/engram.sock";
  struct stat st {};
  ASSERT_EQ(lstat(socket_path.c_str(), &st), 0) << serve.Stderr();
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_THAT(Curl("--unix-socket " + socket_path + " " + auth + "http://localhost/v1/tenants/dana/stats"),
              HasSubstr("200 "));
  EXPECT_THAT(Curl("--unix-socket " + socket_path + " http://localhost/v1/tenants/dana/stats"), HasSubstr("401 "));

  EXPECT_EQ(serve.Stop(SIGTERM), 0) << serve.Stderr();
  const std::string err = serve.Stderr();
  EXPECT_THAT(err, HasSubstr("SIGTERM"));
  EXPECT_THAT(err, HasSubstr("stopped; the store is closed"));
  EXPECT_FALSE(std::filesystem::exists(socket_path));
  EXPECT_THAT(err, HasSubstr(R"("route":"/v1/tenants/{tenant}/turns","tenant":"dana","status":200)"));
  EXPECT_THAT(err, HasSubstr(R"("principal":"token:dana-agent")"));

  // The store is closed: another process opens it.
  auto reopened = testing::RunTool(ENGRAM_TOOL_PATH, dir_.path(), {"export", "--store", store_, "--tenant", "dana"});
  EXPECT_EQ(reopened.exit_code, 0) << reopened.err;
  EXPECT_THAT(reopened.out, HasSubstr("Porto"));
}

TEST_F(ServeCliTest, WithoutTokensOnlyLoopbackIsServed) {
  auto refused = testing::RunTool(ENGRAM_TOOL_PATH, dir_.path(),
                                  {"serve", "--store", store_, "--listen", "0.0.0.0:0"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("not a loopback address"));
  EXPECT_THAT(refused.err, HasSubstr("--tokens"));
  EXPECT_FALSE(std::filesystem::exists(store_));  // refused before the store was made

  auto bad = testing::RunTool(ENGRAM_TOOL_PATH, dir_.path(), {"serve", "--store", store_, "--listen", "localhost"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("HOST:PORT"));

  ServeProcess serve(dir_.path(), {"--store", store_, "--listen", "127.0.0.1:0", "--no-access-log"});
  const int port = serve.WaitForPort();
  ASSERT_GT(port, 0) << serve.Stderr();
  EXPECT_THAT(serve.Stderr(), HasSubstr("no --tokens: listening on loopback only, every local caller has full access"));
  // A second server on the same port fails rather than sharing it.
  auto second = testing::RunTool(ENGRAM_TOOL_PATH, dir_.path(),
                                 {"serve", "--store", dir_.Sub("other"), "--listen",
                                  "127.0.0.1:" + std::to_string(port), "--no-access-log"});
  EXPECT_EQ(second.exit_code, 3);
  EXPECT_THAT(second.err, HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(port)));
  EXPECT_EQ(serve.Stop(SIGINT), 0) << serve.Stderr();
}

TEST_F(ServeCliTest, SigtermUnderLoadLosesNoAcknowledgedWrite) {
  ServeProcess serve(dir_.path(), {"--store", store_, "--listen", "127.0.0.1:0", "--no-access-log"});
  const int port = serve.WaitForPort();
  ASSERT_GT(port, 0) << serve.Stderr();

  constexpr int kWriters = 6;
  std::mutex mu;
  std::vector<std::string> acknowledged;
  std::atomic<int> acks{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      httplib::Client client("127.0.0.1", port);
      client.set_read_timeout(30, 0);
      for (int i = 0; !stop.load() && i < 100000; ++i) {
        const std::string id = "w" + std::to_string(w) + ":" + std::to_string(i);
        const json body = {{"turns", {{{"speaker", "Dana"}, {"text", "Turn " + id + " about the Porto race."},
                                       {"id", id}}}},
                           {"sync", true}};
        auto r = client.Post("/v1/tenants/load/turns", body.dump(), "application/json");
        if (!r) {
          // The server has stopped accepting; a new connection fails from now on.
          if (serve.Stderr().find("SIGTERM") != std::string::npos) return;
          continue;
        }
        if (r->status == 200) {
          std::lock_guard<std::mutex> lock(mu);
          acknowledged.push_back(id);
          ++acks;
        }
      }
    });
  }
  for (int i = 0; i < 3000 && acks.load() < 60; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  serve.Signal(SIGTERM);
  const int code = serve.Wait();
  stop.store(true);
  for (auto& t : writers) t.join();
  EXPECT_EQ(code, 0) << serve.Stderr();
  ASSERT_GE(acknowledged.size(), 1u) << serve.Stderr();

  Options options;
  options.log_only = true;
  options.create_if_missing = false;
  auto store = Store::Open(options, store_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  size_t missing = 0;
  for (const auto& id : acknowledged) {
    if (!(*store)->GetTurnBySourceId("load", id).ok()) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << acknowledged.size() << " acknowledged writes";
}

// While serve holds the store, the CLI's writing commands work through its
// unix socket (with ENGRAM_TOKEN when serve checks tokens), read-only ones
// open the store beside it, and what needs the store to itself says which
// process holds it.
TEST_F(ServeCliTest, WritingCommandsWorkThroughARunningServe) {
  testing::WriteFile(dir_.Sub("tokens.json"),
                     R"({"tokens":[{"token":"tok-dana","name":"dana-cli","write":["dana"]}]})");
  ServeProcess serve(dir_.path(),
                     {"--store", store_, "--listen", "127.0.0.1:0", "--tokens", dir_.Sub("tokens.json"), "--no-access-log"});
  const int port = serve.WaitForPort();
  ASSERT_GT(port, 0) << serve.Stderr();
  auto run = [&](std::vector<std::string> args) { return testing::RunTool(ENGRAM_TOOL_PATH, dir_.path(), args); };
  const std::string turns = dir_.Sub("turns.jsonl");
  testing::WriteFile(turns,
                     R"({"tenant":"dana","speaker":"Dana","text":"I moved to Lisbon last spring.","id":"s1:1","session":"s1","time":"2024-03-01T10:00:00Z"})"
                     "\n"
                     R"({"tenant":"dana","speaker":"Ravi","text":"How do you like Lisbon?","id":"s1:2","session":"s1","time":"2024-03-01T10:01:00Z"})"
                     "\n");

  // Without the token serve refuses, and the message says what to set.
  unsetenv("ENGRAM_TOKEN");
  auto refused = run({"ingest", "--store", store_, turns});
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("ENGRAM_TOKEN"));

  setenv("ENGRAM_TOKEN", "tok-dana", 1);
  auto ingest = run({"ingest", "--store", store_, turns});
  EXPECT_EQ(ingest.exit_code, 0) << ingest.err;
  EXPECT_THAT(ingest.err, HasSubstr("held by another engram process; working through"));
  EXPECT_THAT(ingest.err, HasSubstr("ingested 2 new turns"));
  auto again = run({"ingest", "--store", store_, turns});
  EXPECT_THAT(again.err, HasSubstr("ingested 0 new turns, 2 already stored"));
  auto update = run({"update", "--store", store_, "--tenant", "dana", "--source-id", "s1:2", "--text",
                     "How do you like Porto?"});
  EXPECT_EQ(update.exit_code, 0) << update.err;
  EXPECT_THAT(update.out, HasSubstr("version 2"));
  auto remember = run({"remember", "--store", store_, "--tenant", "dana", "--subject", "Dana", "--attribute", "pet",
                       "--value", "a cat named Miso", "--json"});
  EXPECT_EQ(remember.exit_code, 0) << remember.err;
  const std::string fact_id = json::parse(remember.out, nullptr, false).value("id", "");
  EXPECT_THAT(fact_id, ::testing::StartsWith("fact:"));
  auto core = run({"core", "--store", store_, "--tenant", "dana", "set", "persona", "Dana", "is", "a", "nurse"});
  EXPECT_EQ(core.exit_code, 0) << core.err;
  auto forget = run({"forget", "--store", store_, "--tenant", "dana", "--source-id", "s1:2", "--json"});
  EXPECT_EQ(forget.exit_code, 0) << forget.err;
  EXPECT_EQ(json::parse(forget.out, nullptr, false)["removed"].value("turns", 0), 1) << forget.out;
  // Another tenant's write is refused by serve's token check; nothing lands.
  testing::WriteFile(dir_.Sub("other.jsonl"), R"({"tenant":"eve","speaker":"Eve","text":"Hello there."})" "\n");
  auto other = run({"ingest", "--store", store_, dir_.Sub("other.jsonl")});
  EXPECT_EQ(other.exit_code, 1) << other.err;

  // Read-only commands open the store beside serve and see every write.
  auto exported = run({"export", "--store", store_, "--tenant", "dana"});
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_THAT(exported.out, HasSubstr("Lisbon"));
  EXPECT_THAT(exported.out, Not(HasSubstr("Porto")));  // s1:2 was forgotten
  auto profile = run({"profile", "--store", store_, "--tenant", "dana"});
  EXPECT_THAT(profile.out, HasSubstr("a cat named Miso"));
  auto blocks = run({"core", "--store", store_, "--tenant", "dana"});
  EXPECT_THAT(blocks.out, HasSubstr("Dana is a nurse"));
  auto no_eve = run({"export", "--store", store_, "--tenant", "eve"});
  EXPECT_EQ(no_eve.exit_code, 1);

  // What serve cannot do for the CLI names the process holding the store.
  auto rebuild = run({"rebuild", "--store", store_});
  EXPECT_EQ(rebuild.exit_code, 1) << rebuild.err;
  EXPECT_THAT(rebuild.err, HasSubstr("in use by another process (pid "));
  unsetenv("ENGRAM_TOKEN");

  EXPECT_EQ(serve.Stop(SIGTERM), 0) << serve.Stderr();
  // With serve gone the CLI opens the store itself again.
  auto direct = run({"ingest", "--store", store_, turns});
  EXPECT_EQ(direct.exit_code, 0) << direct.err;
  EXPECT_THAT(direct.err, Not(HasSubstr("working through")));
  EXPECT_THAT(direct.err, HasSubstr("ingested 1 new turn, 1 already stored"));
}

}  // namespace
}  // namespace engram
