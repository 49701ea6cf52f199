// A minimal chat agent with long-horizon memory.
//
//   example_chat_agent STORE_DIR USER_NAME
//
// Each line you type is observed as a turn; before answering, the agent
// recalls a context within a token budget. With ENGRAM_LLM_URL (an
// OpenAI-compatible /v1 base, e.g. a local llama.cpp server) and
// ENGRAM_LLM_MODEL set, it sends that context and your line to the model and
// observes the reply too; without them it prints the context it would send,
// which is what you want when debugging an agent's memory.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <engram/engram.h>

namespace {

engram::TimeMs NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One chat-completions call; returns the reply or an error message.
std::string AskModel(const std::string& base_url, const std::string& model, const std::string& system,
                     const std::string& user) {
  std::string url = base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  auto scheme_end = url.find("://");
  auto path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  std::string host = url.substr(0, path_start);
  std::string path = (path_start == std::string::npos ? "" : url.substr(path_start)) + "/chat/completions";
  httplib::Client client(host);
  client.set_read_timeout(120, 0);
  nlohmann::json request = {{"model", model},
                            {"messages", {{{"role", "system"}, {"content", system}}, {{"role", "user"}, {"content", user}}}}};
  httplib::Headers headers;
  if (const char* key = std::getenv("ENGRAM_LLM_API_KEY")) headers.emplace("Authorization", std::string("Bearer ") + key);
  auto res = client.Post(path, headers, request.dump(), "application/json");
  if (!res) return "(model unreachable: " + httplib::to_string(res.error()) + ")";
  if (res->status != 200) return "(model answered HTTP " + std::to_string(res->status) + ")";
  auto reply = nlohmann::json::parse(res->body, nullptr, false);
  if (reply.is_discarded() || !reply.contains("choices")) return "(malformed model reply)";
  return reply["choices"][0]["message"].value("content", "");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: " << argv[0] << " STORE_DIR USER_NAME\n";
    return 2;
  }
  const std::string tenant = argv[2], user = argv[2], agent = "Assistant";
  auto store = engram::Store::Open(engram::Options{}, argv[1]);
  if (!store.ok()) {
    std::cerr << "cannot open the memory: " << store.status().ToString() << "\n";
    return 3;
  }
  const char* llm_url = std::getenv("ENGRAM_LLM_URL");
  const char* llm_model = std::getenv("ENGRAM_LLM_MODEL");
  const std::string session = "chat-" + std::to_string(NowMs() / 1000);
  std::cout << "memory open; type a message (Ctrl-D to quit)\n";
  std::string line;
  int n = 0;
  while (std::cout << "> " << std::flush && std::getline(std::cin, line)) {
    if (line.empty()) continue;
    engram::Turn turn{session, user, line, NowMs(), session + ":" + std::to_string(++n)};
    engram::WriteOptions durable;
    durable.sync = true;
    if (auto seq = (*store)->Observe(tenant, turn, durable); !seq.ok()) {
      std::cerr << "not remembered: " << seq.status().ToString() << "\n";
      continue;
    }
    engram::RecallOptions options;
    options.asking_user = user;
    options.agent_name = agent;
    auto context = (*store)->RecallContext(tenant, line, /*budget_tokens=*/600, options);
    if (!context.ok()) {
      std::cerr << "recall failed: " << context.status().ToString() << "\n";
      continue;
    }
    if (llm_url == nullptr || llm_model == nullptr) {
      std::cout << "[context the model would get, " << context->tokens << " tokens, route "
                << context->route.name << "]\n"
                << context->text;
      continue;
    }
    std::string reply = AskModel(llm_url, llm_model,
                                 "You are a helpful assistant with a long-term memory. What you remember:\n" +
                                     context->text,
                                 line);
    std::cout << reply << "\n";
    engram::Turn answer{session, agent, reply, NowMs(), session + ":" + std::to_string(++n)};
    if (!reply.empty()) (void)(*store)->Observe(tenant, answer);
  }
  return 0;
}
