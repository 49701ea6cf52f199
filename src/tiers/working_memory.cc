#include "tiers/working_memory.h"

#include "common/heap_bytes.h"
#include "common/utf8.h"

namespace engram {

void WorkingMemory::Add(uint64_t seq, const Turn& turn) {
  SessionTurns& s = sessions_[turn.session];
  size_t tokens = ApproxTokens(turn.text) + ApproxTokens(turn.speaker) + 1;
  s.turns.push_back(Entry{seq, turn, tokens});
  s.tokens += tokens;
  // Keep at least the newest turn, even when it alone exceeds the budget.
  while (s.turns.size() > 1 && (s.turns.size() > max_turns_ || s.tokens > max_tokens_)) {
    s.tokens -= s.turns.front().tokens;
    s.turns.pop_front();
  }
  latest_session_ = turn.session;
}

std::vector<StoredTurn> WorkingMemory::Session(std::string_view tenant, std::string_view session) const {
  std::vector<StoredTurn> out;
  auto it = sessions_.find(std::string(session));
  if (it == sessions_.end()) return out;
  for (const auto& e : it->second.turns) out.push_back(StoredTurn{e.seq, std::string(tenant), e.turn});
  return out;
}

size_t WorkingMemory::MemoryBytes() const {
  size_t n = heap::HashTable(sessions_, sizeof(std::pair<const std::string, SessionTurns>), /*caches_hash=*/true) +
             heap::Of(latest_session_);
  for (const auto& [name, s] : sessions_) {
    n += heap::Of(name) + heap::Deque(s.turns);
    for (const Entry& e : s.turns) {
      n += heap::Of(e.turn.session) + heap::Of(e.turn.speaker) + heap::Of(e.turn.text) + heap::Of(e.turn.source_id);
    }
  }
  return n;
}

}  // namespace engram
