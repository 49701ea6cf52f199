// WorkingMemory: per session, the most recent turns within a turn count and
// a token budget, returned verbatim.
//
// Thread safety: not synchronised; TenantMemory guards it.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engram/types.h"

namespace engram {

class WorkingMemory {
 public:
  WorkingMemory(size_t max_turns, size_t max_tokens) : max_turns_(max_turns), max_tokens_(max_tokens) {}

  void Add(uint64_t seq, const Turn& turn);
  // Oldest first.
  std::vector<StoredTurn> Session(std::string_view tenant, std::string_view session) const;
  // The session of the most recent turn ("" when empty).
  const std::string& latest_session() const { return latest_session_; }
  void Clear() { sessions_.clear(); latest_session_.clear(); }
  // Heap bytes held (an estimate from capacities).
  size_t MemoryBytes() const;

 private:
  struct Entry {
    uint64_t seq;
    Turn turn;
    size_t tokens;
  };
  struct SessionTurns {
    std::deque<Entry> turns;
    size_t tokens = 0;
  };
  size_t max_turns_, max_tokens_;
  std::unordered_map<std::string, SessionTurns> sessions_;
  std::string latest_session_;
};

}  // namespace engram
