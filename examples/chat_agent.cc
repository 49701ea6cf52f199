// A chat agent with long-horizon memory, in one file to copy from.
//
//   example_chat_agent [--new-session] [--agent NAME] [--budget TOKENS] STORE_DIR USER
//
// Every message goes through the loop docs/integration.md describes:
//   1. recall what the memory holds for the message (before storing it, so
//      the message does not come back as its own evidence);
//   2. store the user's message;
//   3. answer: with ENGRAM_LLM_URL (an OpenAI-compatible /v1 base, e.g. a
//      local llama.cpp server) and ENGRAM_LLM_MODEL set, the model gets the
//      memory, the recent chat history and the message; without them the
//      agent answers questions extractively, quoting the memory it found;
//   4. store the model's reply (never an error message) as the agent's turn.
//
// The tenant is the user: one memory per person the agent talks with. The
// agent continues the tenant's latest session across runs, unless
// --new-session starts another one.
//
// Commands: /remember TEXT, /forget SOURCE_ID, /profile, /why, /session, /help.
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <engram/engram.h>

namespace {

using engram::Result;
using engram::Status;

engram::TimeMs NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Date(engram::TimeMs ms) {
  if (ms == 0) return "unknown date";
  std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

std::string Join(const std::vector<std::string>& parts, const char* sep = ",") {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

// --- The chat model: any OpenAI-compatible /v1/chat/completions ------------

struct Message {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

class ChatModel {
 public:
  ChatModel(std::string base_url, std::string model, std::string api_key)
      : base_url_(std::move(base_url)), model_(std::move(model)), api_key_(std::move(api_key)) {}

  // The model's reply, or an error saying what went wrong. Errors are for
  // the person at the terminal, never for the memory.
  Result<std::string> Complete(const std::vector<Message>& messages) const {
    std::string url = base_url_;
    while (!url.empty() && url.back() == '/') url.pop_back();
    const size_t scheme_end = url.find("://");
    const size_t path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
    const std::string host = url.substr(0, path_start);
    const std::string path = (path_start == std::string::npos ? "" : url.substr(path_start)) + "/chat/completions";
    httplib::Client client(host);
    if (!client.is_valid()) return Status::InvalidArgument("ENGRAM_LLM_URL '" + base_url_ + "' is not an http(s) URL");
    client.set_read_timeout(120, 0);
    nlohmann::json request = {{"model", model_}, {"messages", nlohmann::json::array()}};
    for (const auto& m : messages) request["messages"].push_back({{"role", m.role}, {"content", m.content}});
    httplib::Headers headers;
    if (!api_key_.empty()) headers.emplace("Authorization", "Bearer " + api_key_);
    auto res = client.Post(path, headers, request.dump(), "application/json");
    if (!res) return Status::Unavailable("the model at " + host + path + " is unreachable: " + httplib::to_string(res.error()));
    if (res->status != 200) {
      return Status::Unavailable("the model at " + host + path + " answered HTTP " + std::to_string(res->status));
    }
    auto reply = nlohmann::json::parse(res->body, nullptr, false);
    if (reply.is_discarded() || !reply.contains("choices") || !reply["choices"].is_array() ||
        reply["choices"].empty() || !reply["choices"][0].contains("message") ||
        !reply["choices"][0]["message"].value("content", nlohmann::json()).is_string()) {
      return Status::InvalidArgument("the model's reply has no choices[0].message.content");
    }
    return reply["choices"][0]["message"]["content"].get<std::string>();
  }

 private:
  std::string base_url_, model_, api_key_;
};

// --- The agent ----------------------------------------------------------------

struct Settings {
  std::string store_dir, user, agent = "Assistant";
  bool new_session = false;
  size_t budget_tokens = 600;
};

class ChatAgent {
 public:
  ChatAgent(engram::Store& store, Settings settings, const ChatModel* model)
      : store_(store), s_(std::move(settings)), model_(model), tenant_(s_.user) {}

  Status Start() {
    session_ = s_.new_session ? NewSessionName() : LatestSession();
    auto turns = SessionTurns();
    if (!turns.ok()) return turns.status();
    next_turn_ = turns->size() + 1;
    std::cout << "memory of " << tenant_ << " open; session " << session_ << " (" << turns->size()
              << " turns so far); " << (model_ ? "answers from the model" : "from memory (no model)")
              << "; /help lists the commands, Ctrl-D quits\n";
    return Status::OK();
  }

  // One line the user typed.
  void Handle(const std::string& line) {
    if (line[0] == '/') return Command(line);
    // 1. Recall first: the message must not be its own evidence. Without a
    //    model, ranked hits to quote; with one, a packed context for the prompt.
    if (model_ == nullptr) {
      auto hits = Recall(line);
      if (!hits.ok()) {
        std::cout << "recall failed: " << hits.status().ToString() << "\n";
        return;
      }
      // 2. The user said it: it is a memory whatever happens next.
      if (!Observe(s_.user, line).ok()) return;
      // 3. Answer from memory alone.
      std::cout << OfflineAnswer(line, *hits) << "\n";
      return;
    }
    auto context = RecallContext(line);
    if (!context.ok()) {
      std::cout << "recall failed: " << context.status().ToString() << "\n";
      return;
    }
    if (!Observe(s_.user, line).ok()) return;
    auto reply = model_->Complete(Prompt(line, *context));
    if (!reply.ok() || reply->empty()) {
      // Said to the person, not stored: an error is not something the agent said.
      std::cout << "(no answer: " << (reply.ok() ? std::string("the model replied with nothing") : reply.status().ToString())
                << ")\n";
      return;
    }
    std::cout << *reply << "\n";
    // 4. What the agent said is part of the conversation ("you told me...").
    (void)Observe(s_.agent, *reply);
  }

 private:
  // --- Memory calls ---

  engram::RecallOptions WhoIsWho() const {
    engram::RecallOptions options;
    options.asking_user = s_.user;  // "I", "my" in the message
    options.agent_name = s_.agent;  // "you"
    return options;
  }

  // Ranked hits from every tier that holds statements: what was said, the
  // facts about the people, their relations.
  Result<engram::RecallResult> Recall(const std::string& text) {
    engram::RecallOptions options = WhoIsWho();
    options.k = 5;
    options.tiers = {engram::Tier::kEpisodic, engram::Tier::kPersona, engram::Tier::kGraph};
    auto result = store_.Recall(tenant_, text, options);
    if (result.ok()) {
      last_ = {text, result->route, {{"hits", result->hits}}, 0};
    }
    return result;
  }

  // The prompt-ready context within the budget.
  Result<engram::Context> RecallContext(const std::string& text) {
    auto context = store_.RecallContext(tenant_, text, s_.budget_tokens, WhoIsWho());
    if (context.ok()) {
      last_ = {text, context->route, {}, context->tokens};
      for (const auto& section : context->sections) last_.sections.push_back({section.name, section.items});
    }
    return context;
  }

  Result<uint64_t> Observe(const std::string& speaker, const std::string& text) {
    engram::Turn turn;
    turn.session = session_;
    turn.speaker = speaker;
    turn.text = text;
    turn.time_ms = NowMs();
    turn.source_id = last_source_id_ = FreeSourceId();
    engram::WriteOptions durable;
    durable.sync = true;  // remembered once this returns, even across a power loss
    auto seq = store_.Observe(tenant_, turn, durable);
    if (!seq.ok()) std::cout << "not remembered: " << seq.status().ToString() << "\n";
    return seq;
  }

  // The session to continue: the one of the tenant's latest turn.
  std::string LatestSession() {
    auto turns = store_.ScanTurns(tenant_);
    if (!turns.ok() || turns->empty()) return NewSessionName();
    return turns->back().turn.session;
  }
  static std::string NewSessionName() { return "chat-" + Date(NowMs()).substr(0, 10) + "-" + std::to_string(NowMs() % 100000); }

  Result<std::vector<engram::StoredTurn>> SessionTurns() {
    engram::TurnFilter filter;
    filter.session = session_;
    auto turns = store_.ScanTurns(tenant_, filter);
    if (!turns.ok() && turns.status().IsNotFound()) return std::vector<engram::StoredTurn>{};
    return turns;
  }

  // "<session>:<n>", the next n not taken (a forgotten turn leaves a gap).
  std::string FreeSourceId() {
    for (;; ++next_turn_) {
      std::string id = session_ + ":" + std::to_string(next_turn_);
      if (!store_.GetTurnBySourceId(tenant_, id).ok()) {
        ++next_turn_;
        return id;
      }
    }
  }

  // --- Answers ---

  // The prompt: who is talking, what the memory holds (without the recent
  // turns, which come as chat messages), the chat history, the message.
  std::vector<Message> Prompt(const std::string& line, const engram::Context& context) {
    std::vector<Message> messages;
    std::set<std::string> in_history;
    std::vector<Message> history;
    if (auto recent = store_.WorkingMemory(tenant_, session_); recent.ok()) {
      for (const auto& t : *recent) {
        if (t.turn.text == line && &t == &recent->back()) continue;  // the message itself, just stored
        in_history.insert(t.turn.source_id);
        history.push_back({t.turn.speaker == s_.agent ? "assistant" : "user", t.turn.text});
      }
    }
    messages.push_back({"system", "You are " + s_.agent + ", talking with " + s_.user +
                                      ". You have a long-term memory of your conversations. What it holds for " +
                                      "this message (dates are UTC):\n" + MemoryText(context, in_history) +
                                      "\nUse it when it helps; when it does not hold the answer, say so."});
    messages.insert(messages.end(), history.begin(), history.end());
    messages.push_back({"user", line});
    return messages;
  }

  // The context's lines, each once, leaving out turns already in the history.
  static std::string MemoryText(const engram::Context& context, const std::set<std::string>& in_history) {
    std::string text;
    std::set<std::string> seen;
    for (const auto& section : context.sections) {
      std::string lines;
      for (const auto& h : section.items) {
        if (h.kind == "turn" && in_history.count(h.id)) continue;
        std::string line = "- ";
        if (h.time_ms != 0) line.append("[").append(Date(h.time_ms)).append("] ");
        if (!h.speaker.empty()) line.append(h.speaker).append(": ");
        line.append(h.text).append("\n");
        // A relation often restates a fact ("Dana works_at: X" / "Dana works_at X"): once is enough.
        std::string key;
        for (char c : h.text) {
          if (c != ':') key += c;
        }
        if (seen.insert(key).second) lines += line;
      }
      if (!lines.empty()) text += "## " + SectionTitle(section.name) + "\n" + lines;
    }
    return text.empty() ? "(nothing yet)\n" : text;
  }

  static std::string SectionTitle(const std::string& name) {
    if (name == "core") return "What you keep about this user";
    if (name == "working") return "Earlier in the conversation";
    if (name == "persona") return "Known facts about the people";
    if (name == "related") return "Related facts";
    return "Relevant memories";
  }

  static bool IsQuestion(const std::string& line) {
    if (line.find('?') != std::string::npos) return true;
    std::string first;
    for (char c : line) {
      if (!std::isalpha(static_cast<unsigned char>(c))) break;
      first += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    static const std::set<std::string> kWords = {"what", "when", "where", "who", "which", "how", "why",
                                                 "do",   "does", "did",   "is",  "are",   "tell"};
    return kWords.count(first) > 0;
  }

  // Without a model: quote the best statement and the best fact found, with
  // who said it, when, and the turn it comes from.
  std::string OfflineAnswer(const std::string& line, const engram::RecallResult& recalled) {
    const std::string label = "from memory (no model): ";
    if (!IsQuestion(line)) return label + "noted.";
    if (recalled.route.likely_unanswerable) return label + "nothing I remember answers that.";
    const engram::Hit* said = nullptr;
    const engram::Hit* fact = nullptr;
    auto signal = [](const engram::Hit& h, const char* name) {
      auto it = h.signals.find(name);
      return it == h.signals.end() ? 0.0f : it->second;
    };
    for (const auto& h : recalled.hits) {
      const bool statement = h.kind == "turn" || h.kind == "unit";
      // Quoted only with a word in common with the question (a vector match
      // alone is too loose to quote as an answer), never a question, never
      // the agent's own words: they are no evidence of what is true.
      if (statement && !said && signal(h, "bm25") > 0 && h.text.find('?') == std::string::npos &&
          h.speaker != s_.agent) {
        said = &h;
      }
      if (!statement && !fact && signal(h, "match") > 0) fact = &h;
    }
    if (said == nullptr && fact == nullptr) return label + "nothing I remember answers that.";
    std::string answer = label + "(route " + recalled.route.name + ")";
    if (said != nullptr) {
      answer += "\n  \"" + said->text + "\" - " + said->speaker + ", " + Date(said->time_ms) + " [" +
                Join(said->source_ids) + "]";
    }
    if (fact != nullptr) answer += "\n  " + fact->kind + ": " + fact->text + " [" + Join(fact->source_ids) + "]";
    return answer;
  }

  // --- Commands ---

  void Command(const std::string& line) {
    std::istringstream in(line);
    std::string command, rest;
    in >> command;
    std::getline(in >> std::ws, rest);
    if (command == "/remember" && !rest.empty()) {
      if (auto seq = Observe(s_.user, rest); seq.ok()) std::cout << "remembered as " << last_source_id_ << "\n";
    } else if (command == "/forget" && !rest.empty()) {
      engram::ForgetOptions options;
      options.sync = true;
      auto report = store_.Forget(tenant_, rest, options);
      if (!report.ok()) {
        std::cout << "not forgotten: " << report.status().ToString() << "\n";
        return;
      }
      std::cout << "forgotten " << rest << ":";
      for (const auto& [kind, n] : report->removed) std::cout << " " << kind << "=" << n;
      std::cout << "\n";
    } else if (command == "/profile") {
      ShowProfile();
    } else if (command == "/why") {
      ShowWhy();
    } else if (command == "/session") {
      std::cout << "session " << session_ << "\n";
    } else {
      std::cout << "commands:\n"
                   "  /remember TEXT     store TEXT as something you said\n"
                   "  /forget SOURCE_ID  forget one turn and what only it supports (ids: /why)\n"
                   "  /profile           what the memory knows about the people\n"
                   "  /why               how the last message was recalled: route, hits, signals\n"
                   "  /session           the session this chat continues\n";
    }
  }

  void ShowProfile() {
    auto facts = store_.Profile(tenant_);
    if (!facts.ok()) {
      std::cout << "profile failed: " << facts.status().ToString() << "\n";
      return;
    }
    if (facts->empty()) std::cout << "no facts yet\n";
    for (const auto& f : *facts) {
      std::cout << "  " << f.subject << " " << f.attribute << " " << f.value << " (since "
                << Date(f.valid_from_ms).substr(0, 10) << ") [" << Join(f.source_ids) << "]\n";
    }
  }

  void ShowWhy() {
    if (last_.question.empty()) {
      std::cout << "nothing recalled yet\n";
      return;
    }
    const auto& r = last_.route;
    std::cout << "\"" << last_.question << "\": route " << r.name << " (" << r.question_kind << ")";
    if (!r.targets.empty()) std::cout << ", about " << Join(r.targets);
    if (r.likely_unanswerable) std::cout << ", likely unanswerable";
    if (last_.tokens) std::cout << ", " << last_.tokens << " tokens of context";
    std::cout << "\n  steps: " << Join(r.steps, "; ") << "\n";
    for (const auto& section : last_.sections) {
      std::cout << "  " << section.name << ":\n";
      for (const auto& h : section.items) {
        std::cout << "    " << h.kind << " " << (h.id.empty() ? Join(h.source_ids) : h.id) << " score " << h.score;
        for (const auto& [signal, value] : h.signals) std::cout << " " << signal << "=" << value;
        std::cout << "\n      " << h.text << "\n";
      }
    }
  }

  // What /why explains: the last recall.
  struct LastRecall {
    std::string question;
    engram::RouteInfo route;
    std::vector<engram::ContextSection> sections;
    size_t tokens = 0;
  };

  engram::Store& store_;
  const Settings s_;
  const ChatModel* model_;
  const std::string tenant_;
  std::string session_;
  size_t next_turn_ = 1;
  std::string last_source_id_;  // of the latest turn stored
  LastRecall last_;
};

int Usage(const char* argv0) {
  std::cerr << "usage: " << argv0 << " [--new-session] [--agent NAME] [--budget TOKENS] STORE_DIR USER\n"
            << "  ENGRAM_LLM_URL, ENGRAM_LLM_MODEL (and ENGRAM_LLM_API_KEY): an OpenAI-compatible chat model\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--new-session") {
      settings.new_session = true;
    } else if (arg == "--agent" && i + 1 < argc) {
      settings.agent = argv[++i];
    } else if (arg == "--budget" && i + 1 < argc) {
      settings.budget_tokens = std::strtoul(argv[++i], nullptr, 10);
      if (settings.budget_tokens < 50 || settings.budget_tokens > 100000) {
        std::cerr << "--budget " << argv[i] << ": give 50 to 100000 tokens\n";
        return 2;
      }
    } else if (arg.rfind("--", 0) == 0) {
      return Usage(argv[0]);
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2) return Usage(argv[0]);
  settings.store_dir = positional[0];
  settings.user = positional[1];

  auto store = engram::Store::Open(engram::Options{}, settings.store_dir);
  if (!store.ok()) {
    std::cerr << "cannot open the memory: " << store.status().ToString() << "\n";
    return 3;
  }
  const char* url = std::getenv("ENGRAM_LLM_URL");
  const char* model_name = std::getenv("ENGRAM_LLM_MODEL");
  const char* key = std::getenv("ENGRAM_LLM_API_KEY");
  std::unique_ptr<ChatModel> model;
  if (url && *url && model_name && *model_name) model = std::make_unique<ChatModel>(url, model_name, key ? key : "");

  ChatAgent agent(**store, settings, model.get());
  if (Status st = agent.Start(); !st.ok()) {
    std::cerr << "cannot start: " << st.ToString() << "\n";
    return 1;
  }
  std::string line;
  while (std::cout << "> " << std::flush && std::getline(std::cin, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) agent.Handle(line);
  }
  std::cout << "\n";
  return 0;
}
