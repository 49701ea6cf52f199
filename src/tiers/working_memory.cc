#include "tiers/working_memory.h"

#include <algorithm>
#include <limits>

#include "common/heap_bytes.h"
#include "common/utf8.h"

namespace engram {

size_t WorkingMemory::Cost(const Turn& turn) { return ApproxTokens(turn.text) + ApproxTokens(turn.speaker) + 1; }

void WorkingMemory::Add(uint64_t seq, const Turn& turn) {
  SessionTurns& s = sessions_[turn.session];
  const size_t tokens = std::min<size_t>(Cost(turn), std::numeric_limits<uint32_t>::max());
  s.turns.emplace_back(seq, static_cast<uint32_t>(tokens));
  s.tokens += tokens;
  // Keep at least the newest turn, even when it alone exceeds the budget.
  size_t drop = 0;
  while (s.turns.size() - drop > 1 && (s.turns.size() - drop > max_turns_ || s.tokens > max_tokens_)) {
    s.tokens -= s.turns[drop++].second;
  }
  s.turns.erase(s.turns.begin(), s.turns.begin() + static_cast<std::ptrdiff_t>(drop));
  if (latest_session_ != turn.session) latest_session_ = turn.session;
}

std::vector<uint64_t> WorkingMemory::Recent(std::string_view session) const {
  std::vector<uint64_t> out;
  auto it = sessions_.find(std::string(session));
  if (it == sessions_.end()) return out;
  for (const auto& [seq, tokens] : it->second.turns) out.push_back(seq);
  return out;
}

size_t WorkingMemory::MemoryBytes() const {
  size_t n = heap::HashTable(sessions_, sizeof(std::pair<const std::string, SessionTurns>), /*caches_hash=*/true) +
             heap::Of(latest_session_);
  for (const auto& [name, s] : sessions_) n += heap::Of(name) + heap::Buffer(s.turns);
  return n;
}

}  // namespace engram
