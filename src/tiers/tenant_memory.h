// TenantMemory: the four tiers of one tenant, derived from the log.
//
//   working   recent turns per session (WorkingMemory)
//   episodic  turns and event units as documents, searchable by BM25
//             (LexicalIndex) and by vector (VectorIndex); a reply turn is
//             also found by the words of the question it answers (the
//             context-key index, context_keys())
//   persona   facts with validity (PersonaTier)
//   graph     entities and relations (GraphTier)
//
// Document ids encode where a document comes from: seq << 8 | slot, slot 0
// for the turn itself and 1..255 for its event units.
//
// Thread safety: callers hold mutex() shared to read and exclusive to apply
// (a writer-preferring lock: a waiting writer holds back new readers). The
// write queue and the write context below have their own small mutex and
// are safe without mutex(): a writer queues its committed turns there
// without waiting for the readers inside, and whoever takes mutex()
// exclusively next applies them (see Enqueue).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/rw_mutex.h"
#include "engram/options.h"
#include "engram/types.h"
#include "index/lexical_index.h"
#include "index/vector_index.h"
#include "tiers/graph_tier.h"
#include "tiers/persona_tier.h"
#include "tiers/string_list_set.h"
#include "tiers/working_memory.h"

namespace engram {

struct MemoryDoc {
  uint64_t id = 0;
  uint64_t seq = 0;
  bool is_unit = false;
  std::string text;         // as shown to the user
  std::string speaker;      // the turn's speaker (for units: the unit's subject)
  std::string session;
  TimeMs time_ms = 0;       // when it was said
  TimeMs event_from_ms = 0; // when it happened, if known (units)
  TimeMs event_to_ms = 0;
  std::string source_id;    // the turn's source id
  // The turn's metadata (shared by the turn and its units); null when none.
  std::shared_ptr<const std::map<std::string, std::string>> metadata;
};

// True when `metadata` (null: none) holds every key of `where` with exactly
// that value (RecallOptions::where). An empty `where` matches everything.
bool MatchesWhere(const std::map<std::string, std::string>* metadata, const std::map<std::string, std::string>& where);
inline bool MatchesWhere(const MemoryDoc& doc, const std::map<std::string, std::string>& where) {
  return MatchesWhere(doc.metadata.get(), where);
}

inline constexpr uint64_t DocId(uint64_t seq, uint32_t slot) { return seq << 8 | slot; }
inline constexpr uint64_t DocSeq(uint64_t id) { return id >> 8; }
inline constexpr uint32_t kMaxUnitsPerTurn = 255;

// Turns that are in the log but not yet applied to a tenant's memory: one
// Observe (or ObserveBatch) and the vectors of the documents ApplyTurn makes
// of its turns (each turn, then its units), row-major, documents * dim floats.
struct QueuedWrite {
  struct Entry {
    uint64_t seq = 0;
    Turn turn;
    Extraction extraction;
  };
  std::vector<Entry> turns;  // in sequence order, not empty
  std::vector<float> vectors;
};

class TenantMemory {
 public:
  static Result<std::unique_ptr<TenantMemory>> Create(std::string tenant, const Options& options, size_t dim);

  RwMutex& mutex() const { return mutex_; }

  // Applies a turn and what was derived from it. Returns the documents it
  // added (turn first, then units) so the caller can attach vectors.
  std::vector<const MemoryDoc*> ApplyTurn(uint64_t seq, Turn turn, const Extraction& extraction);
  // Applies records an LLM enrichment added later to turn `seq`.
  std::vector<const MemoryDoc*> ApplyEnrichment(uint64_t seq, const Extraction& extraction);

  // The slot the next unit added to turn `seq` gets (ApplyEnrichment).
  uint32_t NextUnitSlot(uint64_t seq) const {
    auto it = next_slot_.find(seq);
    return it == next_slot_.end() ? 1 : it->second;
  }

  // The text a document is embedded and BM25-indexed with.
  static std::string IndexText(const MemoryDoc& doc);
  // CRC-32C of IndexText(doc), without building it.
  static uint32_t IndexTextChecksum(const MemoryDoc& doc);

  const MemoryDoc* Doc(uint64_t id) const;
  const MemoryDoc* TurnDoc(uint64_t seq) const { return Doc(DocId(seq, 0)); }
  // The sequence number of the turn with `source_id` (0 when unknown).
  uint64_t SeqOfSource(const std::string& source_id) const;
  // Earliest and latest turn times.
  TimeMs first_time() const { return first_time_; }
  TimeMs last_time() const { return last_time_; }
  // The turn docs of a session in order (for neighbour expansion).
  const std::vector<uint64_t>& SessionTurns(const std::string& session) const;
  const std::vector<std::string>& sessions() const { return session_order_; }
  const std::vector<std::string>& participants() const { return participants_; }
  // The previous speaker in `session` ("" if none).
  std::string LastSpeaker(const std::string& session) const;
  uint64_t last_seq() const { return last_seq_; }
  size_t doc_count() const { return docs_.size(); }
  // Heap bytes held by this tenant's state (documents, indexes, tiers): an
  // estimate from container capacities, O(documents + terms). Callers hold
  // mutex() shared.
  size_t MemoryBytes() const;
  const std::string& tenant() const { return tenant_; }

  LexicalIndex& lexical() { return *lexical_; }
  const LexicalIndex& lexical() const { return *lexical_; }
  // Context keys: BM25 over, for each turn that replies to a question (the
  // turn before it in its session, by another speaker, asks something),
  // the question's sentences, under the reply turn's document id. Short
  // answers ("usually for about an hour") share no word with a question
  // about them; their key does. Derived from the turns like the lexical
  // index; the turn's own text and index entry are unchanged.
  const LexicalIndex& context_keys() const { return *context_keys_; }
  // The key text of a reply to `previous` (its sentences that ask
  // something), or "" when `previous` asks nothing.
  static std::string ContextKey(std::string_view previous);

  // --- Lexical indexing while loading ----------------------------------------
  //
  // A load replays every turn; analysing every text again for BM25 is most
  // of its cost. While deferred, documents and context keys are recorded,
  // not indexed; FinishDeferredIndexing then installs the indexes a
  // checkpoint holds and indexes only what came after it, or indexes
  // everything. Which documents a checkpoint holds is told by digests: the
  // sum, over the documents, of a hash of (id, CRC-32C of IndexText), and
  // the same over the context keys, kept as documents are added.
  void DeferLexicalIndexing() { defer_lexical_ = true; }
  uint64_t lexical_digest() const { return lexical_digest_; }
  uint64_t keys_digest() const { return keys_digest_; }
  // While deferred: the digests of the documents and keys of turns after
  // `seq`, and whether a document was replaced (then no checkpoint can be
  // told apart by digest: everything is indexed).
  std::pair<uint64_t, uint64_t> DeferredDigestsAfter(uint64_t seq) const;
  bool deferred_replaced() const { return deferred_replaced_; }
  // Ends deferred indexing. With both images (from a checkpoint covering
  // the documents of turns up to `covered_seq`), they become the indexes
  // and the documents of later turns are added; without, every recorded
  // document and key is indexed, in order.
  void FinishDeferredIndexing(std::unique_ptr<LexicalIndex> lexical, std::unique_ptr<LexicalIndex> keys,
                              uint64_t covered_seq);
  // Documents of the lexical index the stored checkpoint holds (0: none).
  uint64_t lexical_checkpoint_docs() const { return lexical_checkpoint_docs_.load(); }
  void set_lexical_checkpoint_docs(uint64_t docs) { lexical_checkpoint_docs_.store(docs); }
  VectorIndex& vectors() { return *vectors_; }
  const VectorIndex& vectors() const { return *vectors_; }
  void ReplaceVectors(std::unique_ptr<VectorIndex> index) { vectors_ = std::move(index); }
  PersonaTier& persona() { return persona_; }
  const PersonaTier& persona() const { return persona_; }
  GraphTier& graph() { return graph_; }
  const GraphTier& graph() const { return graph_; }
  const WorkingMemory& working() const { return working_; }
  // The session's working turns, oldest first, as they are now.
  std::vector<StoredTurn> WorkingSession(std::string_view session) const;
  // The event units, in the order they were added (their documents').
  std::vector<EventUnit> Units() const;

  // --- Writes committed to the log, not yet applied ---------------------------
  //
  // A writer queues its committed turns (holding the tenant's writer lock,
  // so they queue in sequence order) instead of waiting for the readers
  // inside mutex(). The next thread that holds mutex() exclusively takes
  // the whole queue and applies it in order: the writer itself when the
  // lock is free, else the next reader, which applies what was queued
  // before it reads. So a turn is visible to every read that starts after
  // its Observe returned, and readers hold up a writer for no longer than
  // it takes to queue.

  // Queues `write` (its turns in the log already). Callers hold the
  // tenant's writer lock and not mutex().
  void Enqueue(QueuedWrite write);
  // Takes every queued write, oldest first. Callers hold mutex() exclusively
  // and then apply them all before releasing it, then call MarkApplied.
  std::vector<QueuedWrite> TakeQueued();
  // The last seq queued, and the last seq whose queued write was applied
  // (or failed). Every write queued up to queued_upto() is visible once
  // applied_upto() reaches it.
  uint64_t queued_upto() const { return queued_upto_.load(); }
  uint64_t applied_upto() const { return applied_upto_.load(); }
  // Callers hold mutex() exclusively.
  void MarkApplied(uint64_t seq) { applied_upto_.store(std::max(applied_upto_.load(), seq)); }
  // Turns queued and not yet taken.
  size_t queued_turns() const;
  // Set when applying a queued write failed: this memory lacks turns that
  // are in the log, and is replaced by one loaded from the log.
  void MarkStale() { stale_.store(true); }
  bool stale() const { return stale_.load(); }

  // What the next write is derived with: the participants in the order they
  // first spoke, and the last speaker of `session`, as of the last turn
  // queued or applied (so a writer never waits for mutex() to derive).
  // Safe without mutex().
  std::vector<std::string> WriteParticipants() const;
  std::string WriteLastSpeaker(const std::string& session) const;

 private:
  TenantMemory(std::string tenant, const Options& options);
  const MemoryDoc* AddDoc(MemoryDoc doc);
  std::vector<const MemoryDoc*> ApplyDerived(uint64_t seq, const MemoryDoc& turn_doc, const Extraction& x,
                                             uint32_t first_slot);

  // Records `turn` in the write context (no-op for a seq already noted).
  void NoteWritten(uint64_t seq, const Turn& turn);
  // Records that turn `seq` has `source_id` (SeqOfSource).
  void NoteSource(const std::string& source_id, uint64_t seq);

  mutable RwMutex mutex_;
  // Guards queue_ and the write context (never held while applying).
  mutable std::mutex queue_mutex_;
  std::vector<QueuedWrite> queue_;
  size_t queued_turns_ = 0;
  std::atomic<uint64_t> queued_upto_{0};
  std::atomic<uint64_t> applied_upto_{0};
  std::atomic<bool> stale_{false};
  std::vector<std::string> written_participants_;
  StringListSet written_participant_set_;  // mirrors written_participants_
  // session -> (seq, speaker) of its last turn queued or applied.
  std::unordered_map<std::string, std::pair<uint64_t, std::string>> written_last_speaker_;

  std::string tenant_;
  std::unordered_map<uint64_t, MemoryDoc> docs_;
  std::unordered_map<std::string, std::vector<uint64_t>> session_turns_;
  std::vector<std::string> session_order_;
  std::vector<std::string> participants_;  // in the order they first spoke
  StringListSet participant_set_;          // mirrors participants_ (a group chat can have many)
  std::unordered_map<uint64_t, uint32_t> next_slot_;  // seq -> next free unit slot, when not 1
  // Turns by source id: hash -> seq (the turn's document holds the id
  // itself); an id whose hash an earlier, different id holds goes to
  // source_collisions_.
  std::unordered_map<uint64_t, uint64_t> seq_by_source_hash_;
  std::unordered_map<std::string, uint64_t> source_collisions_;
  TimeMs first_time_ = 0, last_time_ = 0;
  uint64_t last_seq_ = 0;
  std::unique_ptr<LexicalIndex> lexical_;
  std::unique_ptr<LexicalIndex> context_keys_;
  uint64_t lexical_digest_ = 0, keys_digest_ = 0;
  bool defer_lexical_ = false, deferred_replaced_ = false;
  std::vector<uint64_t> deferred_docs_;                             // ids, in order added
  std::vector<std::pair<uint64_t, std::string>> deferred_keys_;     // (reply id, key text)
  std::atomic<uint64_t> lexical_checkpoint_docs_{0};
  std::unique_ptr<VectorIndex> vectors_;
  PersonaTier persona_;
  GraphTier graph_;
  WorkingMemory working_;
};

}  // namespace engram
