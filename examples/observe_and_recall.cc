// The smallest useful program: remember a conversation, then recall for a question.
//   example_observe_and_recall STORE_DIR
#include <cstdio>

#include <engram/engram.h>

int main(int argc, char** argv) {
  if (argc != 2) return std::fprintf(stderr, "usage: %s STORE_DIR\n", argv[0]), 2;
  auto store = engram::Store::Open(engram::Options{}, argv[1]);
  if (!store.ok()) return std::fprintf(stderr, "%s\n", store.status().ToString().c_str()), 1;

  // One tenant per user; a session per conversation; ids you choose.
  const engram::Turn turns[] = {
      {.session = "s1", .speaker = "Dana", .text = "I ran the Porto half marathon yesterday.",
       .time_ms = 1710062100000, .source_id = "s1:1", .metadata = {}},
      {.session = "s1", .speaker = "Assistant", .text = "Congratulations! How did it go?",
       .time_ms = 1710062160000, .source_id = "s1:2", .metadata = {}},
      {.session = "s2", .speaker = "Dana", .text = "My sister Ines is visiting from Madrid next week.",
       .time_ms = 1710666900000, .source_id = "s2:1", .metadata = {}},
  };
  engram::WriteOptions sync;
  sync.sync = true;  // on disk before Observe returns
  if (auto seqs = (*store)->ObserveBatch("dana", turns, sync); !seqs.ok())
    return std::fprintf(stderr, "%s\n", seqs.status().ToString().c_str()), 1;

  engram::RecallOptions options;
  options.asking_user = "Dana";  // who "I" is in the question
  options.tiers = {engram::Tier::kEpisodic, engram::Tier::kPersona, engram::Tier::kGraph};
  auto recalled = (*store)->Recall("dana", "Where did I run a race?", options);
  if (!recalled.ok()) return std::fprintf(stderr, "%s\n", recalled.status().ToString().c_str()), 1;
  std::printf("route %s\n", recalled->route.name.c_str());
  for (const auto& hit : recalled->hits)  // best first, each with the turns it comes from
    std::printf("%.3f %-8s %s [%s]\n", hit.score, hit.kind.c_str(), hit.text.c_str(), hit.source_ids.empty() ? "" : hit.source_ids[0].c_str());
  return recalled->hits.empty() ? 1 : 0;
}
