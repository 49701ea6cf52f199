// WorkingMemory: per session, the most recent turns within a turn count and
// a token budget. It keeps only their sequence numbers and token costs; the
// owner holds the turns themselves (TenantMemory::WorkingSession returns
// them verbatim).
//
// Thread safety: not synchronised; TenantMemory guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engram/types.h"

namespace engram {

class WorkingMemory {
 public:
  WorkingMemory(size_t max_turns, size_t max_tokens) : max_turns_(max_turns), max_tokens_(max_tokens) {}

  void Add(uint64_t seq, const Turn& turn);
  // The sequence numbers of the session's working turns, oldest first.
  std::vector<uint64_t> Recent(std::string_view session) const;
  // The session of the most recent turn ("" when empty).
  const std::string& latest_session() const { return latest_session_; }
  void Clear() { sessions_.clear(); latest_session_.clear(); }
  // Heap bytes held (an estimate from capacities).
  size_t MemoryBytes() const;

  // What a turn costs in the token budget: its text and speaker, plus one.
  static size_t Cost(const Turn& turn);

 private:
  struct SessionTurns {
    std::vector<std::pair<uint64_t, uint32_t>> turns;  // (seq, tokens), oldest first
    size_t tokens = 0;
  };
  size_t max_turns_, max_tokens_;
  std::unordered_map<std::string, SessionTurns> sessions_;
  std::string latest_session_;
};

}  // namespace engram
