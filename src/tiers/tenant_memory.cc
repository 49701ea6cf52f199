#include "tiers/tenant_memory.h"

#include <algorithm>

#include "common/crc32c.h"
#include "common/heap_bytes.h"
#include "tiers/record_codec.h"

namespace engram {

bool MatchesWhere(const std::map<std::string, std::string>* metadata, const std::map<std::string, std::string>& where) {
  if (where.empty()) return true;
  if (metadata == nullptr) return false;
  for (const auto& [key, value] : where) {
    auto it = metadata->find(key);
    if (it == metadata->end() || it->second != value) return false;
  }
  return true;
}

Result<std::unique_ptr<TenantMemory>> TenantMemory::Create(std::string tenant, const Options& options, size_t dim) {
  std::unique_ptr<TenantMemory> m(new TenantMemory(std::move(tenant), options));
  auto vectors = VectorIndex::Create(options.vector_index, dim);
  if (!vectors.ok()) return vectors.status();
  m->vectors_ = std::move(*vectors);
  return m;
}

TenantMemory::TenantMemory(std::string tenant, const Options& options)
    : tenant_(std::move(tenant)),
      lexical_(std::make_unique<LexicalIndex>()),
      context_keys_(std::make_unique<LexicalIndex>()),
      working_(options.working_memory_turns, options.working_memory_tokens) {}

std::string TenantMemory::IndexText(const MemoryDoc& doc) {
  if (doc.is_unit) return doc.text;
  return doc.speaker + ": " + doc.text;
}

uint32_t TenantMemory::IndexTextChecksum(const MemoryDoc& doc) {
  uint32_t crc = 0;
  if (!doc.is_unit) {
    crc = Crc32cExtend(crc, doc.speaker.data(), doc.speaker.size());
    crc = Crc32cExtend(crc, ": ", 2);
  }
  return Crc32cExtend(crc, doc.text.data(), doc.text.size());
}

std::string TenantMemory::ContextKey(std::string_view previous) {
  // The sentences that end in '?': in "Nice! How long do you practise?"
  // the greeting says nothing about the reply.
  std::string key;
  size_t start = 0;
  for (size_t i = 0; i < previous.size(); ++i) {
    const char c = previous[i];
    if (c != '.' && c != '!' && c != '?' && c != '\n') continue;
    if (c == '?') {
      if (!key.empty()) key.push_back(' ');
      key.append(previous.substr(start, i + 1 - start));
    }
    start = i + 1;
  }
  return key;
}

namespace {

// One document's part of a lexical digest.
uint64_t DigestPart(uint64_t id, uint32_t text_crc) {
  uint64_t x = id * 0x9E3779B97F4A7C15ull ^ (uint64_t{text_crc} << 17 | text_crc);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;  // splitmix64's finaliser
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The digest part of a document, its text checksummed as IndexText gives it.
uint64_t DocDigestPart(const MemoryDoc& doc) { return DigestPart(doc.id, TenantMemory::IndexTextChecksum(doc)); }

}  // namespace

const MemoryDoc* TenantMemory::AddDoc(MemoryDoc doc) {
  const uint64_t id = doc.id;
  auto it = docs_.find(id);
  if (it != docs_.end()) {
    lexical_digest_ -= DocDigestPart(it->second);
    deferred_replaced_ = deferred_replaced_ || defer_lexical_;
    it->second = std::move(doc);
  } else {
    it = docs_.emplace(id, std::move(doc)).first;
  }
  lexical_digest_ += DocDigestPart(it->second);
  if (defer_lexical_) {
    deferred_docs_.push_back(id);
  } else {
    lexical_->Add(id, IndexText(it->second));
  }
  return &it->second;
}

std::pair<uint64_t, uint64_t> TenantMemory::DeferredDigestsAfter(uint64_t seq) const {
  uint64_t docs = 0, keys = 0;
  for (uint64_t id : deferred_docs_) {
    if (DocSeq(id) > seq) docs += DocDigestPart(docs_.at(id));
  }
  for (const auto& [id, key] : deferred_keys_) {
    if (DocSeq(id) > seq) keys += DigestPart(id, Crc32c(key));
  }
  return {docs, keys};
}

void TenantMemory::FinishDeferredIndexing(std::unique_ptr<LexicalIndex> lexical, std::unique_ptr<LexicalIndex> keys,
                                          uint64_t covered_seq) {
  const bool restored = lexical != nullptr && keys != nullptr;
  if (restored) {
    lexical_ = std::move(lexical);
    context_keys_ = std::move(keys);
    lexical_checkpoint_docs_.store(lexical_->size());
  }
  for (uint64_t id : deferred_docs_) {
    if (!restored || DocSeq(id) > covered_seq) lexical_->Add(id, IndexText(docs_.at(id)));
  }
  for (const auto& [id, key] : deferred_keys_) {
    if (!restored || DocSeq(id) > covered_seq) context_keys_->Add(id, key);
  }
  defer_lexical_ = false;
  deferred_replaced_ = false;
  std::vector<uint64_t>().swap(deferred_docs_);
  std::vector<std::pair<uint64_t, std::string>>().swap(deferred_keys_);
}

void TenantMemory::NoteWritten(uint64_t seq, const Turn& turn) {
  std::lock_guard<std::mutex> lock(queue_mutex_);
  written_participant_set_.AppendIfAbsent(&written_participants_, turn.speaker);
  auto [it, fresh] = written_last_speaker_.try_emplace(turn.session, seq, turn.speaker);
  if (!fresh && it->second.first < seq) it->second = {seq, turn.speaker};
}

void TenantMemory::Enqueue(QueuedWrite write) {
  if (write.turns.empty()) return;
  for (const auto& e : write.turns) NoteWritten(e.seq, e.turn);
  std::lock_guard<std::mutex> lock(queue_mutex_);
  const uint64_t last = write.turns.back().seq;
  queued_turns_ += write.turns.size();
  queue_.push_back(std::move(write));
  queued_upto_.store(std::max(queued_upto_.load(), last));
}

std::vector<QueuedWrite> TenantMemory::TakeQueued() {
  std::lock_guard<std::mutex> lock(queue_mutex_);
  std::vector<QueuedWrite> out;
  out.swap(queue_);
  queued_turns_ = 0;
  return out;
}

size_t TenantMemory::queued_turns() const {
  std::lock_guard<std::mutex> lock(queue_mutex_);
  return queued_turns_;
}

std::vector<std::string> TenantMemory::WriteParticipants() const {
  std::lock_guard<std::mutex> lock(queue_mutex_);
  return written_participants_;
}

std::string TenantMemory::WriteLastSpeaker(const std::string& session) const {
  std::lock_guard<std::mutex> lock(queue_mutex_);
  auto it = written_last_speaker_.find(session);
  return it == written_last_speaker_.end() ? std::string() : it->second.second;
}

std::vector<const MemoryDoc*> TenantMemory::ApplyTurn(uint64_t seq, Turn turn, const Extraction& x) {
  NoteWritten(seq, turn);
  last_seq_ = std::max(last_seq_, seq);
  participant_set_.AppendIfAbsent(&participants_, turn.speaker);
  auto [sit, new_session] = session_turns_.try_emplace(turn.session);
  if (new_session) session_order_.push_back(turn.session);
  // The reply's context key: the question of the turn before it, when
  // another speaker asked it.
  std::string key;
  if (!sit->second.empty()) {
    const MemoryDoc* previous = Doc(sit->second.back());
    if (previous != nullptr && previous->speaker != turn.speaker) key = ContextKey(previous->text);
  }
  sit->second.push_back(DocId(seq, 0));
  if (!key.empty()) {
    keys_digest_ += DigestPart(DocId(seq, 0), Crc32c(key));
    if (defer_lexical_) {
      deferred_keys_.emplace_back(DocId(seq, 0), std::move(key));
    } else {
      context_keys_->Add(DocId(seq, 0), key);
    }
  }
  working_.Add(seq, turn);
  NoteSource(turn.source_id, seq);
  if (turn.time_ms != 0) {
    first_time_ = first_time_ == 0 ? turn.time_ms : std::min(first_time_, turn.time_ms);
    last_time_ = std::max(last_time_, turn.time_ms);
  }

  MemoryDoc doc;
  doc.id = DocId(seq, 0);
  doc.seq = seq;
  doc.text = std::move(turn.text);
  doc.speaker = std::move(turn.speaker);
  doc.session = std::move(turn.session);
  doc.time_ms = turn.time_ms;
  doc.source_id = std::move(turn.source_id);
  if (!turn.metadata.empty()) {
    doc.metadata = std::make_shared<const std::map<std::string, std::string>>(std::move(turn.metadata));
  }
  std::vector<const MemoryDoc*> added{AddDoc(std::move(doc))};
  auto derived = ApplyDerived(seq, *added.front(), x, 1);
  added.insert(added.end(), derived.begin(), derived.end());
  return added;
}

std::vector<const MemoryDoc*> TenantMemory::ApplyEnrichment(uint64_t seq, const Extraction& x) {
  const MemoryDoc* turn_doc = TurnDoc(seq);
  if (turn_doc == nullptr) return {};
  MemoryDoc copy = *turn_doc;
  return ApplyDerived(seq, copy, x, NextUnitSlot(seq));
}

std::vector<const MemoryDoc*> TenantMemory::ApplyDerived(uint64_t seq, const MemoryDoc& turn_doc, const Extraction& x,
                                                         uint32_t first_slot) {
  std::vector<const MemoryDoc*> added;
  uint32_t slot = first_slot;
  for (const EventUnit& unit : x.units) {
    if (slot > kMaxUnitsPerTurn) break;
    MemoryDoc doc;
    doc.id = DocId(seq, slot++);
    doc.seq = seq;
    doc.is_unit = true;
    doc.text = unit.text;
    doc.speaker = unit.subject.empty() ? turn_doc.speaker : unit.subject;
    doc.session = turn_doc.session;
    doc.time_ms = turn_doc.time_ms;
    doc.event_from_ms = unit.event_from_ms;
    doc.event_to_ms = unit.event_to_ms;
    doc.source_id = turn_doc.source_id;
    doc.metadata = turn_doc.metadata;
    added.push_back(AddDoc(std::move(doc)));
  }
  if (slot > 1) next_slot_[seq] = slot;
  // Records read from the log carry the ids of their keys; records of
  // callers that did not assign them get their position's.
  uint32_t n = first_slot;
  for (const PersonaFact& f : x.facts) {
    if (f.id.empty()) {
      PersonaFact copy = f;
      copy.id = FactId(seq, n);
      persona_.Apply(copy);
    } else {
      persona_.Apply(f);
    }
    ++n;
  }
  for (const Entity& e : x.entities) graph_.AddEntity(e);
  n = first_slot;
  for (const Relation& r : x.relations) {
    if (r.id.empty()) {
      Relation copy = r;
      copy.id = RelationId(seq, n);
      graph_.AddRelation(copy);
    } else {
      graph_.AddRelation(r);
    }
    ++n;
  }
  return added;
}

const MemoryDoc* TenantMemory::Doc(uint64_t id) const {
  auto it = docs_.find(id);
  return it == docs_.end() ? nullptr : &it->second;
}

void TenantMemory::NoteSource(const std::string& source_id, uint64_t seq) {
  auto [it, fresh] = seq_by_source_hash_.try_emplace(std::hash<std::string>()(source_id), seq);
  if (fresh) return;
  const MemoryDoc* holder = TurnDoc(it->second);
  if (holder == nullptr || holder->source_id == source_id) {
    it->second = seq;
  } else {
    source_collisions_[source_id] = seq;
  }
}

uint64_t TenantMemory::SeqOfSource(const std::string& source_id) const {
  auto it = seq_by_source_hash_.find(std::hash<std::string>()(source_id));
  if (it == seq_by_source_hash_.end()) return 0;
  const MemoryDoc* holder = TurnDoc(it->second);
  if (holder != nullptr && holder->source_id == source_id) return it->second;
  auto c = source_collisions_.find(source_id);
  return c == source_collisions_.end() ? 0 : c->second;
}

std::vector<EventUnit> TenantMemory::Units() const {
  std::vector<const MemoryDoc*> unit_docs;
  for (const auto& [id, d] : docs_) {
    if (d.is_unit) unit_docs.push_back(&d);
  }
  std::sort(unit_docs.begin(), unit_docs.end(), [](const MemoryDoc* a, const MemoryDoc* b) { return a->id < b->id; });
  std::vector<EventUnit> out;
  out.reserve(unit_docs.size());
  for (const MemoryDoc* d : unit_docs) {
    EventUnit& u = out.emplace_back();
    u.id = UnitId(d->seq, static_cast<uint32_t>(d->id & 0xff));
    u.text = d->text;
    u.subject = d->speaker;
    u.time_ms = d->time_ms;
    u.event_from_ms = d->event_from_ms;
    u.event_to_ms = d->event_to_ms;
    u.source_ids = {d->source_id};
  }
  return out;
}

std::vector<StoredTurn> TenantMemory::WorkingSession(std::string_view session) const {
  std::vector<StoredTurn> out;
  for (uint64_t seq : working_.Recent(session)) {
    const MemoryDoc* d = TurnDoc(seq);
    if (d == nullptr) continue;
    StoredTurn& st = out.emplace_back();
    st.seq = seq;
    st.tenant = tenant_;
    st.turn.session = d->session;
    st.turn.speaker = d->speaker;
    st.turn.text = d->text;
    st.turn.time_ms = d->time_ms;
    st.turn.source_id = d->source_id;
    if (d->metadata != nullptr) st.turn.metadata = *d->metadata;
  }
  return out;
}

const std::vector<uint64_t>& TenantMemory::SessionTurns(const std::string& session) const {
  static const std::vector<uint64_t> kEmpty;
  auto it = session_turns_.find(session);
  return it == session_turns_.end() ? kEmpty : it->second;
}

std::string TenantMemory::LastSpeaker(const std::string& session) const {
  auto it = session_turns_.find(session);
  if (it == session_turns_.end() || it->second.empty()) return {};
  const MemoryDoc* d = Doc(it->second.back());
  return d ? d->speaker : std::string();
}

size_t TenantMemory::MemoryBytes() const {
  size_t n = sizeof(*this);
  n += heap::HashTable(docs_, sizeof(std::pair<const uint64_t, MemoryDoc>), /*caches_hash=*/false);
  for (const auto& [id, d] : docs_) {
    n += heap::Of(d.text) + heap::Of(d.speaker) + heap::Of(d.session) + heap::Of(d.source_id);
    // Counted once, on the turn that owns the map (units share it).
    if (d.metadata != nullptr && !d.is_unit) {
      for (const auto& [k, v] : *d.metadata) n += 64 + heap::Of(k) + heap::Of(v);
    }
  }
  n += heap::HashTable(session_turns_, sizeof(std::pair<const std::string, std::vector<uint64_t>>), true);
  for (const auto& [name, turns] : session_turns_) n += heap::Of(name) + heap::Buffer(turns);
  n += heap::Of(session_order_) + heap::Of(participants_) + participant_set_.MemoryBytes();
  n += heap::HashTable(next_slot_, sizeof(std::pair<const uint64_t, uint32_t>), false);
  n += heap::HashTable(seq_by_source_hash_, sizeof(std::pair<const uint64_t, uint64_t>), false);
  n += heap::HashTable(source_collisions_, sizeof(std::pair<const std::string, uint64_t>), true);
  for (const auto& [source, seq] : source_collisions_) n += heap::Of(source);
  n += lexical_->MemoryBytes() + context_keys_->MemoryBytes() + vectors_->MemoryBytes();
  n += heap::Buffer(deferred_docs_) + heap::Buffer(deferred_keys_);
  for (const auto& [id, key] : deferred_keys_) n += heap::Of(key);
  n += persona_.MemoryBytes() + graph_.MemoryBytes() + working_.MemoryBytes();
  std::lock_guard<std::mutex> lock(queue_mutex_);
  n += heap::Of(written_participants_) + written_participant_set_.MemoryBytes();
  n += heap::HashTable(written_last_speaker_, sizeof(std::pair<const std::string, std::pair<uint64_t, std::string>>),
                       true);
  for (const auto& [session, last] : written_last_speaker_) n += heap::Of(session) + heap::Of(last.second);
  for (const auto& w : queue_) {
    n += heap::Buffer(w.vectors) + heap::Buffer(w.turns);
    for (const auto& e : w.turns) n += heap::Of(e.turn.text);
  }
  return n;
}

}  // namespace engram
