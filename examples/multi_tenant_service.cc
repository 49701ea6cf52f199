// A service that keeps the memory of many users: one Store for the whole
// process, shared by every request thread. Each user is a tenant; a call for
// one tenant never reads or changes another's memory.
//   example_multi_tenant_service STORE_DIR
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <engram/engram.h>

namespace {

struct User {
  std::string name, city;
};

// What one request thread does for one user: record a few turns, then ask.
bool Serve(engram::Store& store, const User& user, int thread_index) {
  const std::string tenant = "user-" + user.name;  // a tenant per user
  const std::string session = "support-chat";
  const std::string lines[] = {"Hi, I need help with my order.", "I live in " + user.city + " these days.",
                               "The parcel should arrive on Friday."};
  for (int i = 0; i < 3; ++i) {
    engram::Turn turn;
    turn.session = session;
    turn.speaker = user.name;
    turn.text = lines[i];
    turn.time_ms = 1710000000000 + thread_index * 1000 + i;
    turn.source_id = session + ":" + std::to_string(i + 1);  // stable ids: a retried request changes nothing
    if (auto seq = store.Observe(tenant, turn); !seq.ok()) {
      std::fprintf(stderr, "%s: %s\n", tenant.c_str(), seq.status().ToString().c_str());
      return false;
    }
  }
  engram::RecallOptions options;
  options.asking_user = user.name;
  auto context = store.RecallContext(tenant, "Where do I live?", /*budget_tokens=*/200, options);
  if (!context.ok()) {
    std::fprintf(stderr, "%s: %s\n", tenant.c_str(), context.status().ToString().c_str());
    return false;
  }
  // Only this user's city can be in this user's memory.
  const bool own_city = context->text.find(user.city) != std::string::npos;
  std::printf("%s: %zu tokens of context, own city %s\n", tenant.c_str(), context->tokens,
              own_city ? "recalled" : "MISSING");
  return own_city;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return std::fprintf(stderr, "usage: %s STORE_DIR\n", argv[0]), 2;
  auto opened = engram::Store::Open(engram::Options{}, argv[1]);  // once per process
  if (!opened.ok()) return std::fprintf(stderr, "%s\n", opened.status().ToString().c_str()), 1;
  engram::Store& store = **opened;

  const std::vector<User> users = {{"ana", "Porto"}, {"ben", "Oslo"}, {"chen", "Lyon"}, {"dev", "Pune"}};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < users.size(); ++i) {
    threads.emplace_back([&, i] {
      if (!Serve(store, users[i], static_cast<int>(i))) ++failures;
    });
  }
  for (auto& t : threads) t.join();

  // Isolation: no tenant's memory holds another user's city.
  for (const auto& user : users) {
    auto turns = store.ScanTurns("user-" + user.name);
    if (!turns.ok()) return std::fprintf(stderr, "%s\n", turns.status().ToString().c_str()), 1;
    for (const auto& t : *turns)
      for (const auto& other : users)
        if (other.name != user.name && t.turn.text.find(other.city) != std::string::npos) ++failures;
  }
  std::printf("%zu tenants served from one store, %d failures\n", users.size(), failures.load());
  return failures == 0 ? 0 : 1;
}
