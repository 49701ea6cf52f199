// A user's first program: open a store, record a turn, read it back.
// Usage: consumer STORE_DIR. Exit code 0 on success.
#include <cstdio>
#include <string>

#include "engram/engram.h"

// The README's example, word for word: it must compile without a warning
// (the consumer builds with -Wall -Wextra -Werror). Not run: it needs the
// embedding model.
void ReadmeExample() {
  auto store = engram::Store::Open(engram::Options{}, "/var/lib/agent/memory");
  if (!store.ok()) { /* store.status().ToString() says why */ }
  engram::Turn turn{.session = "s1", .speaker = "Dana", .text = "I ran the Porto half marathon yesterday.",
                    .time_ms = 1710062100000, .source_id = "s1:1", .metadata = {}};
  engram::WriteOptions sync{.sync = true};  // survives kill -9 and power loss once Observe returns
  auto seq = (*store)->Observe("dana", turn, sync);
  engram::RecallOptions who;
  who.asking_user = "Dana";      // who "I" is in the question
  who.agent_name = "Assistant";  // who "you" is
  auto context = (*store)->RecallContext("dana", "Where did I race?", /*budget_tokens=*/400, who);
  // context->text is prompt-ready, every line with its time, speaker and source id.
  (void)seq;
  (void)context;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer STORE_DIR\n");
    return 2;
  }
  engram::Options options;
  options.log_only = true;  // the log alone: no embedding model needed
  auto store = engram::Store::Open(options, argv[1]);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  engram::Turn turn;
  turn.session = "session_1";
  turn.speaker = "Caroline";
  turn.text = "I went to a support group yesterday. ✓";
  turn.time_ms = 1683554160000;
  turn.source_id = "D1:3";
  engram::WriteOptions sync;
  sync.sync = true;
  auto seq = (*store)->Observe("conv-26", turn, sync);
  if (!seq.ok()) {
    std::fprintf(stderr, "observe: %s\n", seq.status().ToString().c_str());
    return 1;
  }
  auto back = (*store)->GetTurnBySourceId("conv-26", "D1:3");
  if (!back.ok()) {
    std::fprintf(stderr, "read: %s\n", back.status().ToString().c_str());
    return 1;
  }
  if (back->seq != *seq || back->turn.text != turn.text || back->turn.time_ms != turn.time_ms ||
      back->turn.speaker != turn.speaker || back->turn.session != turn.session) {
    std::fprintf(stderr, "read back a different turn\n");
    return 1;
  }
  std::printf("ok seq=%llu\n", static_cast<unsigned long long>(*seq));
  return 0;
}
