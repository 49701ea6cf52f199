// Synthetic conversations: long, varied, deterministic two-person chats for
// tests and benchmarks that need more turns than real datasets have.
//
// One call produces the turns of one conversation (tenant-agnostic: the
// caller observes them under any tenant). Two speakers, drawn from a large
// list of names, talk in sessions of 15-25 turns, days apart, about small
// talk, plans, work, family, hobbies, travel, food and pets, asking and
// answering questions. Facts change over time (moves, job changes, diet
// changes, new pets), stated in sentences the rule-based extractor reads
// ("I moved to Lisbon last month", "I started working at Acme"). Each
// stated fact also yields a probe question naming the turns that answer it,
// so a test can check that Recall finds them.
//
// The same options give the same conversation on every machine: the
// generator uses its own random numbers (splitmix64), not <random>'s
// distributions, whose output differs between standard libraries.
//
// Thread safety: GenerateConversation is a pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engram/types.h"

namespace engram::testing {

struct GeneratorOptions {
  uint64_t seed = 1;  // same seed, same conversation
  size_t turns = 600;  // exactly this many turns
  size_t min_session_turns = 15;
  size_t max_session_turns = 25;
  // Time of the first turn. Default 2023-01-02T09:00:00Z.
  TimeMs start_ms = 1672650000000;
};

// A question whose answer is in the turns `source_ids` (any one of them).
struct ProbeQuestion {
  std::string question;
  std::vector<std::string> source_ids;
};

struct SyntheticConversation {
  std::vector<std::string> speakers;  // the two participants
  std::vector<Turn> turns;            // in time order; session "session_<n>", source id "D<n>:<i>"
  std::vector<ProbeQuestion> probes;  // one per stated fact, in the order stated
};

SyntheticConversation GenerateConversation(const GeneratorOptions& options);

// How many distinct names (people, places, employers, pets, foods, hobbies,
// jobs) the generator draws from, and how many sentence templates.
size_t SyntheticEntityCount();
size_t SyntheticTemplateCount();

}  // namespace engram::testing
