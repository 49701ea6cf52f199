#include "store/store_impl.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <algorithm>
#include <set>
#include <thread>

#include "common/background_release.h"
#include "common/category_lexicon.h"
#include "common/closest_names.h"
#include "common/crc32c.h"
#include "common/logging.h"
#include "common/sha256.h"
#include "common/utf8.h"
#include "log/key_codec.h"
#include "router/tier_search.h"
#include "store/enrichment_job.h"
#include "store/lexical_checkpoint.h"
#include "store/turn_validation.h"
#include "tiers/record_codec.h"
#include "tiers/session_summary.h"

namespace engram {

using log::Cf;

uint64_t ForgetReport::Total() const {
  uint64_t total = 0;
  for (const auto& [kind, n] : removed) total += n;
  return total;
}

Result<std::unique_ptr<Store>> Store::Open(const Options& options, const std::string& path) {
  try {
    return StoreImpl::Open(options, path);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("unexpected exception opening store: ") + e.what());
  }
}

StoreImpl::StoreImpl(const Options& options, std::unique_ptr<log::EventLog> log)
    : options_(options),
      log_(std::move(log)),
      tenants_(
          options.memory_budget_bytes, [this](const std::string& tenant) { return LoadMemory(tenant); },
          [this](TenantMemory& memory) {
            // Saving makes the next load cheap; a failure only makes it slower.
            Status s = SaveSnapshot(memory);
            if (!s.ok()) Log().warn("tenant '{}': index snapshot not saved on unload: {}", memory.tenant(), s.ToString());
            // The digest is for deltas of a loaded graph; loading again
            // takes it again from the restored index.
            std::lock_guard<std::mutex> slock(snapshot_mutex_);
            if (auto it = checkpoints_.find(memory.tenant()); it != checkpoints_.end()) it->second.digest.reset();
          }) {}

StoreImpl::~StoreImpl() {
  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
  };
  const Clock::time_point started = Clock::now();
  if (lexicon_warmup_.joinable()) lexicon_warmup_.join();
  StopEnrichment();
  Status s = SaveSnapshots();
  if (!s.ok()) Log().warn("could not save index snapshots: {}", s.ToString());
  // Memtables holding much (a whole index checkpoint, a large ingest) would
  // be replayed from the write-ahead log at the next open, which costs far
  // more than writing them to table files now.
  constexpr uint64_t kFlushAtCloseBytes = uint64_t{16} << 20;
  if (!options_.read_only && log_->MemtableBytes() > kFlushAtCloseBytes) {
    if (Status f = log_->Flush(); !f.ok()) Log().warn("could not flush the log at close: {}", f.ToString());
  }
  const int64_t snapshots_ms = ms_since(started);
  Clock::time_point phase = Clock::now();
  // Everything is durable: the heap of the loaded tenants (millions of
  // blocks in a large one) is freed by the release thread, not by Close.
  for (auto& memory : tenants_.Clear()) ReleaseInBackground(std::move(memory));
  const int64_t memory_ms = ms_since(phase);
  phase = Clock::now();
  log_.reset();
  Log().debug(
      "store closed in {} ms (snapshots and flush {} ms, tenant memory handed to the release thread {} ms, "
      "log closed {} ms)",
      ms_since(started), snapshots_ms, memory_ms, ms_since(phase));
}

Result<std::unique_ptr<Store>> StoreImpl::Open(const Options& options, const std::string& path) {
  return Open(options, path, log::LogOptions{});
}

Result<std::unique_ptr<Store>> StoreImpl::Open(const Options& options, const std::string& path,
                                               log::LogOptions log_options) {
  // Memory of stores closed before is returned first: two stores' loaded
  // state is never held at once, and loading does not compete with freeing.
  WaitForBackgroundRelease();
  log_options.create_if_missing = options.create_if_missing;
  log_options.read_only = options.read_only;
  log_options.block_cache_bytes = options.block_cache_bytes;
  log_options.write_buffer_bytes = options.write_buffer_bytes;
  auto log = log::EventLog::Open(path, log_options);
  if (!log.ok()) return log.status();
  std::unique_ptr<StoreImpl> store(new StoreImpl(options, std::move(*log)));
  ENGRAM_RETURN_IF_ERROR(store->LoadMeta());
  if (!options.log_only) {
    store->extractor_ = options.extractor ? options.extractor : std::shared_ptr<Extractor>(NewRuleBasedExtractor());
    if (options.embedder) {
      store->embedder_ = options.embedder;
    } else {
      auto embedder = NewUseLiteEmbedder();
      if (!embedder.ok()) return embedder.status().WithContext("cannot load the built-in embedder");
      store->embedder_ = std::move(*embedder);
    }
    store->embedder_hash_ = Sha256Hex(store->embedder_->identity()).substr(0, 16);
    ENGRAM_RETURN_IF_ERROR(store->CheckEmbedderIdentity());
    if (options.enrichment_extractor && !options.read_only) store->StartEnrichment();
    // The word lists the router and the extractor read are parsed beside
    // the caller's first work (they take a few hundred ms), not within it.
    store->lexicon_warmup_ = std::thread([] { CategoryLexicon::Shared()->available(); });
  }
  return std::unique_ptr<Store>(std::move(store));
}

Status StoreImpl::CheckEmbedderIdentity() {
  auto stored = log_->Get(Cf::kMeta, "embedder");
  if (!stored.ok()) return stored.status();
  const std::string identity = embedder_->identity();
  if (stored->has_value() && **stored == identity) return Status::OK();
  if (stored->has_value() && !options_.reembed) {
    return Status::FailedPrecondition("store '" + log_->path() + "' was built by embedder '" + **stored +
                                      "', not '" + identity +
                                      "'; open it with that embedder, or re-embed it (engram reindex --store DIR)");
  }
  if (log_->read_only()) {
    if (stored->has_value()) return Status::FailedPrecondition("re-embedding needs a store opened for writing");
    return Status::OK();  // no embedder has built this store yet
  }
  // First open, or a re-embed: record the identity and drop the index
  // checkpoints and the vectors made by another embedder (dropped without
  // reading them, so damaged ones never block a re-embed).
  if (stored->has_value()) {
    ENGRAM_RETURN_IF_ERROR(log_->DropAll(Cf::kSnapshots));
    ENGRAM_RETURN_IF_ERROR(log_->DropAll(Cf::kEmbeddings));
    ENGRAM_RETURN_IF_ERROR(log_->DropAll(Cf::kVectors));
  }
  log::LogBatch batch = log_->NewBatch();
  batch.Put(Cf::kMeta, "embedder", identity);
  return log_->Write(batch, /*sync=*/true);
}

Status StoreImpl::LoadMeta() {
  auto last = log_->Get(Cf::kMeta, "last_seq");
  if (!last.ok()) return last.status();
  if (last->has_value()) {
    if ((*last)->size() != 8) return Status::Corruption("meta last_seq has " + std::to_string((*last)->size()) + " bytes, expected 8");
    last_seq_ = log::DecodeFixed64BE((*last)->data());
  }
  return Status::OK();
}

Result<uint64_t> StoreImpl::Observe(std::string_view tenant, const Turn& turn, const WriteOptions& wo) {
  auto seqs = ObserveImpl(tenant, std::span<const Turn>(&turn, 1), wo);
  if (!seqs.ok()) return seqs.status();
  return seqs->front();
}

Result<std::vector<uint64_t>> StoreImpl::ObserveBatch(std::string_view tenant, std::span<const Turn> turns,
                                                      const WriteOptions& wo) {
  return ObserveImpl(tenant, turns, wo);
}

namespace {

// A new turn on its way into the log, with what was derived from it.
struct PendingTurn {
  Turn turn;
  Extraction extraction;
  uint64_t seq = 0;
};

std::string DerivedUpToKey(std::string_view tenant) { return "derived/" + std::string(tenant); }

// Extraction never fails a write: a turn whose extraction failed is stored
// without derivations (and the failure logged).
Extraction ExtractOrEmpty(Extractor& extractor, const ExtractionInput& input) {
  auto x = extractor.Extract(input);
  if (!x.ok()) {
    Log().warn("extraction failed for turn '{}': {}", input.turn.source_id, x.status().ToString());
    return Extraction{};
  }
  Extraction out = std::move(*x);
  if (out.units.size() > kMaxUnitsPerTurn) out.units.resize(kMaxUnitsPerTurn);
  return out;
}

}  // namespace

namespace {

// Large batches are split across the machine's cores: embedders are
// thread-safe and the built-in one runs one core per call.
Result<std::vector<float>> EmbedParallel(Embedder& embedder, const std::vector<std::string>& texts) {
  constexpr size_t kMinPerThread = 32;
  size_t threads = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), texts.size() / kMinPerThread);
  if (threads <= 1) return embedder.Embed(texts);
  const size_t dim = embedder.dim(), per = (texts.size() + threads - 1) / threads;
  std::vector<float> out(texts.size() * dim);
  std::vector<Status> status(threads);
  std::vector<std::thread> workers;
  for (size_t t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      size_t begin = t * per, end = std::min(texts.size(), begin + per);
      if (begin >= end) return;
      auto v = embedder.Embed(std::span<const std::string>(texts.data() + begin, end - begin));
      if (!v.ok()) {
        status[t] = v.status();
      } else if (v->size() != (end - begin) * dim) {
        status[t] = Status::Internal("embedder returned a matrix of the wrong size");
      } else {
        std::copy(v->begin(), v->end(), out.begin() + static_cast<std::ptrdiff_t>(begin * dim));
      }
    });
  }
  for (auto& w : workers) w.join();
  for (auto& s : status) ENGRAM_RETURN_IF_ERROR(s);
  return out;
}

}  // namespace

namespace {

bool AllFinite(const float* v, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) return false;
  }
  return true;
}

}  // namespace

std::string StoreImpl::EmbeddingKey(std::string_view tenant, std::string_view text) const {
  std::string key = log::TenantPrefix(tenant);
  key.append(embedder_hash_);
  key.append(Sha256Hex(text).substr(0, 32));
  return key;
}

Result<std::vector<float>> StoreImpl::EmbedCached(std::string_view tenant, std::span<const uint64_t> ids,
                                                  const std::vector<std::string>& texts, bool use_old_cache,
                                                  log::LogBatch* batch) {
  if (ids.size() != texts.size()) {
    return Status::Internal(std::to_string(ids.size()) + " document ids for " + std::to_string(texts.size()) + " texts");
  }
  const size_t dim = embedder_->dim();
  std::vector<float> out(texts.size() * dim);
  std::vector<std::string> missing;
  std::vector<size_t> missing_at;
  std::unordered_map<std::string, size_t> first_missing;  // text -> index in `missing`
  std::vector<std::pair<size_t, size_t>> repeats;         // (row, missing index)
  auto recent_key = [&](const std::string& text) {
    std::string key(tenant);
    key.push_back('\0');
    key.append(text);
    return key;
  };
  for (size_t i = 0; i < texts.size(); ++i) {
    float* row = out.data() + i * dim;
    {
      std::lock_guard<std::mutex> lock(recent_mutex_);
      auto it = recent_vectors_.find(recent_key(texts[i]));
      if (it != recent_vectors_.end() && it->second.size() == dim) {
        std::copy(it->second.begin(), it->second.end(), row);
        continue;
      }
    }
    if (use_old_cache) {
      auto cached = log_->Get(Cf::kEmbeddings, EmbeddingKey(tenant, texts[i]));
      if (!cached.ok()) {
        // The old cache is derived: an unreadable entry is embedded again,
        // and a writable store drops the damaged cache at once (without
        // reading it, before a compaction trips over it and stops writes).
        Log().warn("embedding cache unreadable, embedding again: {}", cached.status().ToString());
        if (!options_.read_only) ENGRAM_RETURN_IF_ERROR(log_->DropAll(Cf::kEmbeddings));
        cached = std::optional<std::string>();
      }
      if (cached->has_value() && (*cached)->size() == dim * sizeof(float) &&
          AllFinite(reinterpret_cast<const float*>((*cached)->data()), dim)) {
        std::memcpy(row, (*cached)->data(), dim * sizeof(float));
        RoundToStoredPrecision(std::span<float>(row, dim));
        continue;
      }
    }
    auto [it, fresh] = first_missing.emplace(texts[i], missing.size());
    if (fresh) {
      missing.push_back(texts[i]);
      missing_at.push_back(i);
    } else {
      repeats.emplace_back(i, it->second);
    }
  }
  if (!missing.empty()) {
    auto vectors = EmbedParallel(*embedder_, missing);
    if (!vectors.ok()) return vectors.status().WithContext("embedding");
    if (vectors->size() != missing.size() * dim) {
      return Status::Internal("embedder returned " + std::to_string(vectors->size()) + " floats for " +
                              std::to_string(missing.size()) + " texts of dimension " + std::to_string(dim));
    }
    for (size_t m = 0; m < missing.size(); ++m) {
      float* v = vectors->data() + m * dim;
      // A bad vector fails the write before anything is stored.
      for (size_t d = 0; d < dim; ++d) {
        if (!std::isfinite(v[d])) {
          return Status::InvalidArgument("embedder '" + embedder_->identity() + "' returned a non-finite value at " +
                                         std::to_string(d) + " for text '" + missing[m].substr(0, 60) + "'");
        }
      }
      RoundToStoredPrecision(std::span<float>(v, dim));
      std::memcpy(out.data() + missing_at[m] * dim, v, dim * sizeof(float));
    }
    for (auto [row, m] : repeats) std::memcpy(out.data() + row * dim, out.data() + missing_at[m] * dim, dim * sizeof(float));
    // Remember the newest texts (a ring of bounded size).
    constexpr size_t kRecentTexts = 1024;
    std::lock_guard<std::mutex> lock(recent_mutex_);
    if (recent_order_.size() < kRecentTexts) recent_order_.resize(kRecentTexts);
    for (size_t m = 0; m < missing.size(); ++m) {
      std::string& slot = recent_order_[recent_next_];
      if (!slot.empty()) recent_vectors_.erase(slot);
      slot = recent_key(missing[m]);
      const float* v = out.data() + missing_at[m] * dim;
      recent_vectors_[slot].assign(v, v + dim);
      recent_next_ = (recent_next_ + 1) % kRecentTexts;
    }
  }
  if (batch != nullptr) {
    for (size_t i = 0; i < texts.size(); ++i) {
      batch->Put(Cf::kVectors, DocVectorKey(tenant, ids[i]),
                 EncodeDocVector(std::span<const float>(out.data() + i * dim, dim), DocTextChecksum(texts[i])));
    }
  }
  return out;
}

Result<uint64_t> StoreImpl::DerivedUpTo(std::string_view tenant) {
  auto v = log_->Get(Cf::kMeta, DerivedUpToKey(tenant));
  if (!v.ok()) return v.status();
  if (!v->has_value() || (*v)->size() != 8) return uint64_t{0};
  return log::DecodeFixed64BE((*v)->data());
}

Result<std::vector<uint64_t>> StoreImpl::ObserveImpl(std::string_view tenant, std::span<const Turn> turns,
                                                     const WriteOptions& wo) {
  ENGRAM_RETURN_IF_ERROR(RequireWritable("Observe"));
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  for (size_t i = 0; i < turns.size(); ++i) {
    Status s = ValidateTurn(turns[i], options_);
    if (!s.ok()) return turns.size() == 1 ? s : s.WithContext("turn " + std::to_string(i) + " of the batch");
  }
  if (turns.empty()) return std::vector<uint64_t>();

  std::vector<uint64_t> seqs(turns.size(), 0);
  // The tenant's writer lock first: loading its memory (seconds for a large
  // tenant) holds up only this tenant, never the write mutex.
  std::shared_ptr<TenantCache::Slot> slot = tenants_.GetSlot(tenant);
  std::unique_lock<std::mutex> tenant_lock(slot->writer);
  std::shared_ptr<TenantMemory> memory;
  if (!options_.log_only) {
    auto m = tenants_.GetLocked(*slot);
    if (!m.ok()) return m.status();
    memory = *m;
    if (memory->stale()) {
      // An apply failed on it: start again from the log.
      tenants_.Drop(*slot);
      m = tenants_.GetLocked(*slot);
      if (!m.ok()) return m.status();
      memory = *m;
    }
  }
  std::unique_lock<std::mutex> lock(write_mutex_);

  // Which turns are new (idempotency on tenant + source id).
  std::vector<PendingTurn> pending;
  std::unordered_map<std::string, size_t> in_batch;  // source id -> index into seqs
  std::vector<std::pair<size_t, size_t>> repeated;     // (index, index of the first occurrence)
  uint64_t next = last_seq_;
  for (size_t i = 0; i < turns.size(); ++i) {
    const Turn& turn = turns[i];
    if (!turn.source_id.empty()) {
      if (auto it = in_batch.find(turn.source_id); it != in_batch.end()) {
        ENGRAM_RETURN_IF_ERROR(CheckSameTurn(turn, turns[it->second], "an earlier turn of the batch"));
        repeated.emplace_back(i, it->second);
        continue;
      }
      auto existing = log_->Get(Cf::kSourceIds, log::SourceIdKey(tenant, turn.source_id));
      if (!existing.ok()) return existing.status();
      if (existing->has_value()) {
        // A retry is idempotent; different content under a stored id is a
        // correction, which only Update makes.
        auto stored = GetTurn(tenant, log::DecodeFixed64BE((*existing)->data()));
        if (!stored.ok()) return stored.status();
        ENGRAM_RETURN_IF_ERROR(CheckSameTurn(turn, stored->turn, "the stored turn"));
        seqs[i] = log::DecodeFixed64BE((*existing)->data());
        in_batch.emplace(turn.source_id, i);
        continue;
      }
    }
    PendingTurn p{turn, {}, ++next};
    if (p.turn.source_id.empty()) {
      // "auto:<seq>", unless a caller already used that id for another turn.
      std::string id = "auto:" + std::to_string(p.seq);
      for (int n = 1;; ++n) {
        auto taken = log_->Get(Cf::kSourceIds, log::SourceIdKey(tenant, id));
        if (!taken.ok()) return taken.status();
        if (!taken->has_value() && !in_batch.count(id)) break;
        id = "auto:" + std::to_string(p.seq) + "." + std::to_string(n);
      }
      p.turn.source_id = std::move(id);
    }
    in_batch.emplace(p.turn.source_id, i);
    seqs[i] = p.seq;
    pending.push_back(std::move(p));
  }
  for (auto [i, first] : repeated) seqs[i] = seqs[first];
  if (pending.empty()) return seqs;

  log::LogBatch batch = log_->NewBatch();
  // Derive (rule-based extraction is local and fast; it runs in the write
  // path so the derivations commit atomically with the turn).
  std::vector<std::string> doc_texts;
  std::vector<uint64_t> doc_ids;  // the documents ApplyTurn makes: the turn (slot 0), then its units
  if (memory != nullptr) {
    // As of the last turn queued: the writes before this one may not be
    // applied yet, and deriving never waits for the memory's lock.
    std::vector<std::string> participants = memory->WriteParticipants();
    std::unordered_map<std::string, std::string> last_speaker;
    for (auto& p : pending) {
      if (std::find(participants.begin(), participants.end(), p.turn.speaker) == participants.end()) {
        participants.push_back(p.turn.speaker);
      }
      auto ls = last_speaker.find(p.turn.session);
      ExtractionInput input{p.turn, participants,
                            ls != last_speaker.end() ? ls->second : memory->WriteLastSpeaker(p.turn.session)};
      p.extraction = ExtractOrEmpty(*extractor_, input);
      AssignRecordIds(p.seq, &p.extraction, 1);
      last_speaker[p.turn.session] = p.turn.speaker;
      EncodeExtraction(tenant, p.seq, p.extraction, 1,
                       [&](const std::string& k, const std::string& v) { batch.Put(Cf::kDerived, k, v); });
      MemoryDoc turn_doc;
      turn_doc.speaker = p.turn.speaker;
      turn_doc.text = p.turn.text;
      doc_texts.push_back(TenantMemory::IndexText(turn_doc));
      doc_ids.push_back(DocId(p.seq, 0));
      for (uint32_t slot = 1; slot <= p.extraction.units.size(); ++slot) {
        doc_texts.push_back(p.extraction.units[slot - 1].text);
        doc_ids.push_back(DocId(p.seq, slot));
      }
    }
  }
  std::vector<float> vectors;
  if (memory != nullptr) {
    auto v = EmbedCached(tenant, doc_ids, doc_texts, /*use_old_cache=*/false, &batch);
    if (!v.ok()) return v.status();
    vectors = std::move(*v);
  }

  for (const auto& p : pending) {
    std::string seq_bytes;
    log::PutFixed64BE(&seq_bytes, p.seq);
    batch.Put(Cf::kTurns, log::TurnKey(tenant, p.seq), log::EncodeTurn(p.turn));
    batch.Put(Cf::kSourceIds, log::SourceIdKey(tenant, p.turn.source_id), seq_bytes);
  }
  std::string last_bytes;
  log::PutFixed64BE(&last_bytes, next);
  batch.Put(Cf::kMeta, "last_seq", last_bytes);
  if (memory != nullptr) batch.Put(Cf::kMeta, DerivedUpToKey(tenant), last_bytes);
  if (options_.enrichment_extractor) {
    // The job is durable with the turn: a crash before enrichment loses nothing.
    for (const auto& p : pending) batch.Put(Cf::kQueue, EnrichmentJobKey(p.seq), EncodeEnrichmentJob(tenant, 0));
  }
  ENGRAM_RETURN_IF_ERROR(log_->Write(batch, wo.sync));
  last_seq_ = next;
  lock.unlock();  // other tenants' writers go on; this tenant's wait for tenant_lock
  if (options_.enrichment_extractor) {
    std::lock_guard<std::mutex> elock(enrichment_mutex_);
    ++enrichment_wakeups_;
    enrichment_cv_.notify_all();
  }

  if (memory != nullptr) {
    // The turns are durable; the memory catches up. Queued, they are
    // applied now if no recall holds the memory, else by the next reader
    // before it reads (or the next write). A long queue (readers that never
    // leave a gap) makes the writer wait and apply it: the queue stays
    // bounded.
    QueuedWrite write;
    write.vectors = std::move(vectors);
    for (auto& p : pending) write.turns.push_back({p.seq, std::move(p.turn), std::move(p.extraction)});
    memory->Enqueue(std::move(write));
    constexpr size_t kMaxQueuedTurns = 1024;
    if (!ApplyQueued(*memory, /*wait=*/memory->queued_turns() > kMaxQueuedTurns)) tenants_.Drop(*slot);
    tenants_.Charge(*slot);
  }
  return seqs;
}

bool StoreImpl::ApplyQueued(TenantMemory& memory, bool wait) {
  const uint64_t target = memory.queued_upto();
  if (memory.applied_upto() >= target) return !memory.stale();
  std::unique_lock<RwMutex> lock(memory.mutex(), std::defer_lock);
  if (wait) {
    lock.lock();
  } else if (!lock.try_lock()) {
    return !memory.stale();  // readers are inside; the next one applies it
  }
  // Someone else may have applied it while this thread waited.
  if (memory.applied_upto() >= target) return !memory.stale();
  std::vector<QueuedWrite> writes = memory.TakeQueued();
  Status failed;
  uint64_t upto = 0;
  for (const QueuedWrite& w : writes) {
    upto = std::max(upto, w.turns.back().seq);
    if (failed.ok()) failed = ApplyWrite(memory, w);
  }
  if (!failed.ok()) {
    // The memory now lacks turns that are in the log; it is dropped and
    // loaded again from the log by whoever uses it next (the writes after
    // the failing one are in the log too, so nothing is lost).
    memory.MarkStale();
    failed_applies_.fetch_add(1);
    Log().error("tenant '{}': applying turns up to {} to its memory failed ({}); the turns are in the log and the "
                "memory is loaded again from it",
                memory.tenant(), upto, failed.ToString());
  }
  memory.MarkApplied(upto);
  return !memory.stale();
}

Status StoreImpl::ApplyWrite(TenantMemory& memory, const QueuedWrite& write) {
  std::vector<uint64_t> ids;
  for (const auto& e : write.turns) {
    if (apply_fault_) ENGRAM_RETURN_IF_ERROR(apply_fault_(memory.tenant(), e.seq));
    for (const MemoryDoc* d : memory.ApplyTurn(e.seq, e.turn, e.extraction)) ids.push_back(d->id);
  }
  return memory.vectors().Add(ids, write.vectors).WithContext("vector index add");
}

Result<std::shared_ptr<TenantMemory>> StoreImpl::Memory(std::string_view tenant) {
  if (auto loaded = tenants_.Find(tenant)) {
    if (ApplyQueued(*loaded, /*wait=*/true)) return loaded;
    // Stale: loaded again below, under the tenant's writer lock.
  }
  // A read of a tenant with no turns gets an empty memory that is not kept,
  // so asking about arbitrary names does not grow the store's footprint.
  auto any = HasRecords(tenant);
  if (!any.ok()) return any.status();
  if (!*any) {
    auto empty = TenantMemory::Create(std::string(tenant), options_, embedder_->dim());
    if (!empty.ok()) return empty.status();
    return std::shared_ptr<TenantMemory>(std::move(*empty));
  }
  std::shared_ptr<TenantCache::Slot> slot = tenants_.GetSlot(tenant);
  std::lock_guard<std::mutex> tenant_lock(slot->writer);
  return MemoryLocked(*slot);
}

Result<std::shared_ptr<TenantMemory>> StoreImpl::MemoryLocked(TenantCache::Slot& slot) {
  auto memory = tenants_.GetLocked(slot);
  if (!memory.ok() || ApplyQueued(**memory, /*wait=*/true)) return memory;
  tenants_.Drop(slot);
  return tenants_.GetLocked(slot);
}

MemoryUsage StoreImpl::GetMemoryUsage() {
  TenantCache::Usage u = tenants_.usage();
  MemoryUsage out;
  out.loaded_tenants = u.loaded_tenants;
  out.loaded_bytes = u.loaded_bytes;
  out.budget_bytes = u.budget_bytes;
  out.loads = u.loads;
  out.unloads = u.unloads;
  out.failed_applies = failed_applies_.load();
  out.lexical_checkpoint_loads = lexical_checkpoint_loads_.load();
  out.log_memtable_bytes = log_->MemtableBytes();
  out.log_block_cache_bytes = log_->BlockCacheBytes();
  return out;
}

Result<std::unique_ptr<TenantMemory>> StoreImpl::LoadMemory(const std::string& tenant) {
  auto created = TenantMemory::Create(tenant, options_, embedder_->dim());
  if (!created.ok()) return created.status();
  std::unique_ptr<TenantMemory> memory = std::move(*created);
  auto snapshot = log_->Snapshot();
  using Clock = std::chrono::steady_clock;
  const Clock::time_point started = Clock::now();
  auto ms_since = [](Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
  };

  // Turns, in log order.
  std::vector<std::pair<uint64_t, Turn>> turns;
  const std::string prefix = log::TenantPrefix(tenant), end = log::TenantPrefixEnd(tenant);
  Status decode;
  ENGRAM_RETURN_IF_ERROR(log_->Scan(
      Cf::kTurns, prefix, end,
      [&](std::string_view key, std::string_view value) {
        Turn t;
        decode = log::DecodeTurn(value, &t);
        if (!decode.ok()) return false;
        turns.emplace_back(log::DecodeFixed64BE(key.data() + prefix.size()), std::move(t));
        return true;
      },
      snapshot.get()));
  ENGRAM_RETURN_IF_ERROR(decode);

  // Derived records, grouped by the turn they came from. They are derived
  // from the log: a record that does not decode is dropped and its turn
  // derived again (and the repair written back), never a lasting failure.
  std::unordered_map<uint64_t, Extraction> derived;
  std::unordered_map<uint64_t, Extraction> enrichment;
  std::set<uint64_t> damaged;  // turns whose derived records are dropped and derived again
  bool derived_unreadable = false;
  Status scan = log_->Scan(
      Cf::kDerived, prefix, end,
      [&](std::string_view key, std::string_view value) {
        if (key.size() != prefix.size() + 13) {
          if (key.size() >= prefix.size() + 8) damaged.insert(log::DecodeFixed64BE(key.data() + prefix.size()));
          return true;
        }
        uint64_t seq = log::DecodeFixed64BE(key.data() + prefix.size());
        if (damaged.count(seq)) return true;
        auto kind = static_cast<DerivedKind>(key[prefix.size() + 8]);
        uint32_t n = log::DecodeFixed32BE(key.data() + prefix.size() + 9);
        Extraction& x = n >= kEnrichmentBase ? enrichment[seq] : derived[seq];
        Status d;
        switch (kind) {
          case DerivedKind::kUnit: d = DecodeUnit(value, &x.units.emplace_back()); break;
          case DerivedKind::kFact:
            d = DecodeFact(value, &x.facts.emplace_back());
            x.facts.back().id = FactId(seq, n);
            break;
          case DerivedKind::kEntity: d = DecodeEntity(value, &x.entities.emplace_back()); break;
          case DerivedKind::kRelation:
            d = DecodeRelation(value, &x.relations.emplace_back());
            x.relations.back().id = RelationId(seq, n);
            break;
          default: d = Status::Corruption("derived record of unknown kind " + std::to_string(int(kind))); break;
        }
        if (!d.ok()) {
          Log().warn("tenant '{}': derived record of turn {} does not decode ({}); deriving the turn again", tenant,
                     seq, d.ToString());
          damaged.insert(seq);
        }
        return true;
      },
      snapshot.get());
  if (!scan.ok()) {
    // The table blocks holding derived records are unreadable. Derived
    // records are dropped for every tenant at once (without reading the
    // damaged blocks, before a compaction trips over them and stops
    // writes) and derived again as each tenant is loaded. Read-only, they
    // are derived again in memory only.
    Log().warn("tenant '{}': derived records unreadable ({}); deriving every turn again", tenant, scan.ToString());
    derived_unreadable = options_.read_only;
    if (!options_.read_only) {
      std::lock_guard<std::mutex> lock(write_mutex_);
      ENGRAM_RETURN_IF_ERROR(DropDerivedRecords());
    }
    derived.clear();
    enrichment.clear();
  }
  for (uint64_t seq : damaged) {
    derived.erase(seq);
    enrichment.erase(seq);
  }
  auto forgotten = ForgottenRecordIds(tenant, snapshot.get());
  if (!forgotten.ok()) return forgotten.status();
  if (!forgotten->empty()) {
    for (auto& [seq, x] : derived) DropForgottenRecords(*forgotten, &x);
    for (auto& [seq, x] : enrichment) DropForgottenRecords(*forgotten, &x);
  }

  // Turns written in log_only mode have no derivations yet: derive them now,
  // in one batch of their own.
  auto upto = DerivedUpTo(tenant);
  if (!upto.ok()) return upto.status();
  log::LogBatch catch_up = log_->NewBatch();
  std::set<uint64_t> rederived;  // turns derived here (their units may differ from before)
  {
    std::vector<std::string> participants;
    std::unordered_map<std::string, std::string> last_speaker;
    for (const auto& [seq, turn] : turns) {
      if (std::find(participants.begin(), participants.end(), turn.speaker) == participants.end()) {
        participants.push_back(turn.speaker);
      }
      const bool redo = derived_unreadable || damaged.count(seq) > 0;
      if (redo || (seq > *upto && !derived.count(seq))) {
        ExtractionInput input{turn, participants, last_speaker[turn.session]};
        Extraction x = ExtractOrEmpty(*extractor_, input);
        AssignRecordIds(seq, &x, 1);
        DropForgottenRecords(*forgotten, &x);  // ForgetFact / ForgetRelation stay in force
        if (!derived_unreadable) {
          if (redo) catch_up.DeleteRange(Cf::kDerived, log::TurnKey(tenant, seq), log::TurnKey(tenant, seq + 1));
          EncodeExtraction(tenant, seq, x, 1,
                           [&](const std::string& k, const std::string& v) { catch_up.Put(Cf::kDerived, k, v); });
        }
        derived[seq] = std::move(x);
        rederived.insert(seq);
      }
      last_speaker[turn.session] = turn.speaker;
    }
  }

  // Explicit facts and relations, applied among the turns in sequence order.
  std::map<uint64_t, ExplicitRecord> explicit_records;
  ENGRAM_RETURN_IF_ERROR(ReadExplicitRecords(*log_, tenant, snapshot.get(), &explicit_records));
  // An explicit fact or relation ForgetFact / ForgetRelation removed stays
  // removed (its record is deleted too; this covers a log written before).
  for (auto it = explicit_records.begin(); it != explicit_records.end();) {
    const std::string& id = it->second.is_fact ? it->second.fact.id : it->second.relation.id;
    it = forgotten->count(id) > 0 ? explicit_records.erase(it) : std::next(it);
  }
  auto next_explicit = explicit_records.begin();

  const int64_t read_ms = ms_since(started);
  const Clock::time_point tiers_started = Clock::now();
  memory->DeferLexicalIndexing();
  std::vector<uint32_t> checksums;  // of the documents' index texts
  std::vector<uint64_t> ids;
  for (auto& [seq, turn] : turns) {
    for (; next_explicit != explicit_records.end() && next_explicit->first < seq; ++next_explicit) {
      ApplyExplicit(*memory, next_explicit->second);
    }
    auto docs = memory->ApplyTurn(seq, std::move(turn), derived[seq]);
    if (auto e = enrichment.find(seq); e != enrichment.end()) {
      auto more = memory->ApplyEnrichment(seq, e->second);
      docs.insert(docs.end(), more.begin(), more.end());
    }
    for (const MemoryDoc* d : docs) {
      ids.push_back(d->id);
      checksums.push_back(TenantMemory::IndexTextChecksum(*d));
    }
  }
  for (; next_explicit != explicit_records.end(); ++next_explicit) ApplyExplicit(*memory, next_explicit->second);
  // What was read is in the tiers now (the turns' strings moved there).
  const size_t turn_count = turns.size();
  std::vector<std::pair<uint64_t, Turn>>().swap(turns);
  std::unordered_map<uint64_t, Extraction>().swap(derived);
  std::unordered_map<uint64_t, Extraction>().swap(enrichment);
  const int64_t tiers_ms = ms_since(tiers_started);
  const Clock::time_point lexical_started = Clock::now();
  RestoreLexical(tenant, *memory, rederived, snapshot.get());
  const int64_t lexical_ms = ms_since(lexical_started);

  const Clock::time_point vectors_started = Clock::now();
  ENGRAM_RETURN_IF_ERROR(LoadVectors(tenant, *memory, ids, checksums, rederived, &catch_up, snapshot.get()));
  if (turn_count > 0 && memory->last_seq() > *upto) {
    std::string bytes;
    log::PutFixed64BE(&bytes, memory->last_seq());
    catch_up.Put(Cf::kMeta, DerivedUpToKey(tenant), bytes);
  }
  if (catch_up.Count() > 0 && !options_.read_only) ENGRAM_RETURN_IF_ERROR(log_->Write(catch_up, false));
  Log().debug("tenant '{}' loaded: {} turns in {} ms (log {} ms, tiers {} ms, lexical {} ms, vectors {} ms)", tenant,
              turn_count, ms_since(started), read_ms, tiers_ms, lexical_ms, ms_since(vectors_started));
  return memory;
}

namespace {

// Puts `bytes` as chunks under chunk_key(0), chunk_key(1), ... and `head`
// (its chunks, size and CRC filled in) under head_key.
void PutChunked(log::LogBatch* batch, const std::string& head_key,
                const std::function<std::string(uint32_t)>& chunk_key, VectorCheckpointHead* head,
                std::string_view bytes) {
  head->chunks = 0;
  head->bytes = bytes.size();
  head->crc = Crc32c(bytes);
  for (size_t at = 0; at < bytes.size(); at += kCheckpointChunkBytes) {
    batch->Put(Cf::kSnapshots, chunk_key(head->chunks++), bytes.substr(at, kCheckpointChunkBytes));
  }
  batch->Put(Cf::kSnapshots, head_key, EncodeCheckpointHead(*head));
}

// Reads what PutChunked wrote under `head_key`, its chunks being the keys of
// [chunk_key(0), chunks_end); NotFound without a head.
Result<std::string> ReadChunked(const log::EventLog& log, const std::string& head_key,
                                const std::function<std::string(uint32_t)>& chunk_key, const std::string& chunks_end,
                                const std::string& what, VectorCheckpointHead* head,
                                const log::LogSnapshot* snapshot) {
  auto value = log.Get(Cf::kSnapshots, head_key, snapshot);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return Status::NotFound(what + " does not exist");
  auto decoded = DecodeCheckpointHead(**value);
  if (!decoded.ok()) return decoded.status().WithContext(what);
  *head = *decoded;
  std::string joined;
  joined.reserve(std::min<uint64_t>(head->bytes, uint64_t{head->chunks} * kCheckpointChunkBytes));
  const std::string first = chunk_key(0);
  uint32_t n = 0, crc = 0;
  uint64_t bytes = 0;
  Status bad;
  ENGRAM_RETURN_IF_ERROR(log.Scan(
      Cf::kSnapshots, first, chunks_end,
      [&](std::string_view key, std::string_view chunk) {
        if (key.size() != first.size() || log::DecodeFixed32BE(key.data() + first.size() - 4) != n) {
          bad = Status::Corruption("chunk " + std::to_string(n) + " is missing");
          return false;
        }
        bad = CheckCheckpointChunk(*head, n, chunk, &crc, &bytes, &joined);
        ++n;
        return bad.ok();
      },
      snapshot));
  ENGRAM_RETURN_IF_ERROR(bad.ok() ? Status::OK() : bad.WithContext(what));
  Status finished = FinishCheckpointCheck(*head, n, crc, bytes);
  if (!finished.ok()) return finished.WithContext(what);
  return joined;
}

// Deletes (in `batch`) every key of [begin, end) of the snapshots.
Status DeleteRange(const log::EventLog& log, log::LogBatch* batch, const std::string& begin, const std::string& end) {
  std::vector<std::string> keys;
  ENGRAM_RETURN_IF_ERROR(log.Scan(Cf::kSnapshots, begin, end, [&](std::string_view key, std::string_view) {
    keys.emplace_back(key);
    return true;
  }));
  for (const auto& key : keys) batch->Delete(Cf::kSnapshots, key);
  return Status::OK();
}

}  // namespace

Status PutVectorCheckpoint(const log::EventLog& log, log::LogBatch* batch, std::string_view tenant,
                           VectorCheckpointHead* head, std::string_view index_bytes) {
  // Chunks of a longer previous checkpoint, and every delta of the
  // previous one, go in the same batch.
  const uint32_t chunks = static_cast<uint32_t>((index_bytes.size() + kCheckpointChunkBytes - 1) / kCheckpointChunkBytes);
  ENGRAM_RETURN_IF_ERROR(DeleteRange(log, batch, CheckpointChunkKey(tenant, chunks), CheckpointChunksEnd(tenant)));
  ENGRAM_RETURN_IF_ERROR(DeleteRange(log, batch, CheckpointDeltaHeadsBegin(tenant), CheckpointDeltaHeadsEnd(tenant)));
  ENGRAM_RETURN_IF_ERROR(DeleteRange(log, batch, CheckpointDeltaChunksBegin(tenant), CheckpointDeltaChunksEnd(tenant)));
  PutChunked(
      batch, CheckpointHeadKey(tenant), [&](uint32_t n) { return CheckpointChunkKey(tenant, n); }, head, index_bytes);
  return Status::OK();
}

void PutVectorCheckpointDelta(log::LogBatch* batch, std::string_view tenant, uint32_t delta,
                              VectorCheckpointHead* head, std::string_view delta_bytes) {
  PutChunked(
      batch, CheckpointDeltaHeadKey(tenant, delta),
      [&](uint32_t n) { return CheckpointDeltaChunkKey(tenant, delta, n); }, head, delta_bytes);
}

Result<std::string> ReadVectorCheckpoint(const log::EventLog& log, std::string_view tenant, VectorCheckpointHead* head,
                                         const log::LogSnapshot* snapshot) {
  auto bytes = ReadChunked(
      log, CheckpointHeadKey(tenant), [&](uint32_t n) { return CheckpointChunkKey(tenant, n); },
      CheckpointChunksEnd(tenant), "the vector index checkpoint of tenant '" + std::string(tenant) + "'", head,
      snapshot);
  if (bytes.status().IsNotFound()) {
    return Status::NotFound("tenant '" + std::string(tenant) + "' has no vector index checkpoint");
  }
  return bytes;
}

Result<std::vector<CheckpointDelta>> ReadVectorCheckpointDeltas(const log::EventLog& log, std::string_view tenant,
                                                                const VectorCheckpointHead& base,
                                                                const log::LogSnapshot* snapshot) {
  uint32_t count = 0;
  Status bad;
  const std::string first = CheckpointDeltaHeadKey(tenant, 1);
  ENGRAM_RETURN_IF_ERROR(log.Scan(
      Cf::kSnapshots, CheckpointDeltaHeadsBegin(tenant), CheckpointDeltaHeadsEnd(tenant),
      [&](std::string_view key, std::string_view) {
        if (key.size() != first.size() || log::DecodeFixed32BE(key.data() + first.size() - 4) != count + 1) {
          bad = Status::Corruption("vector index checkpoint delta " + std::to_string(count + 1) + " is missing");
          return false;
        }
        ++count;
        return true;
      },
      snapshot));
  ENGRAM_RETURN_IF_ERROR(bad);
  std::vector<CheckpointDelta> deltas(count);
  uint64_t covered = base.covered_seq;
  for (uint32_t k = 1; k <= count; ++k) {
    CheckpointDelta& d = deltas[k - 1];
    auto bytes = ReadChunked(
        log, CheckpointDeltaHeadKey(tenant, k), [&](uint32_t n) { return CheckpointDeltaChunkKey(tenant, k, n); },
        CheckpointDeltaChunkKey(tenant, k + 1, 0), "vector index checkpoint delta " + std::to_string(k), &d.head,
        snapshot);
    if (!bytes.ok()) return bytes.status();
    if (d.head.covered_seq < covered) {
      return Status::Corruption("vector index checkpoint delta " + std::to_string(k) + " covers turns up to " +
                                std::to_string(d.head.covered_seq) + ", before the checkpoint it follows (" +
                                std::to_string(covered) + ")");
    }
    covered = d.head.covered_seq;
    d.bytes = std::move(bytes).value();
  }
  return deltas;
}

bool StoreImpl::RestoreCheckpoint(const std::string& tenant, TenantMemory& memory, const std::vector<uint64_t>& ids,
                                  const std::vector<uint32_t>& text_checksums, const std::set<uint64_t>& rederived,
                                  log::LogBatch* batch,
                                  const log::LogSnapshot* snapshot, VectorCheckpointState* state) {
  *state = VectorCheckpointState{};
  VectorCheckpointHead head;
  std::vector<CheckpointDelta> deltas;
  auto bytes = ReadVectorCheckpoint(*log_, tenant, &head, snapshot);
  if (bytes.ok()) {
    auto read = ReadVectorCheckpointDeltas(*log_, tenant, head, snapshot);
    if (read.ok()) {
      deltas = std::move(read).value();
    } else {
      bytes = read.status();
    }
  }
  if (!bytes.ok()) {
    if (bytes.status().IsNotFound()) return false;
    Log().warn("tenant '{}': vector index checkpoint ignored ({}); rebuilding the index from the stored vectors",
               tenant, bytes.status().ToString());
    if (options_.read_only) return false;
    // The damaged checkpoint goes now (the next one is written whole); when
    // even its keys are unreadable, every checkpoint is dropped unread.
    std::vector<std::string> keys{CheckpointHeadKey(tenant)};
    auto list = [&](const std::string& begin, const std::string& end) {
      return log_->Scan(Cf::kSnapshots, begin, end, [&](std::string_view key, std::string_view) {
        keys.emplace_back(key);
        return true;
      });
    };
    Status listed = list(CheckpointChunkKey(tenant, 0), CheckpointChunksEnd(tenant));
    if (listed.ok()) listed = list(CheckpointDeltaHeadsBegin(tenant), CheckpointDeltaHeadsEnd(tenant));
    if (listed.ok()) listed = list(CheckpointDeltaChunksBegin(tenant), CheckpointDeltaChunksEnd(tenant));
    if (listed.ok()) {
      for (const auto& key : keys) batch->Delete(Cf::kSnapshots, key);
    } else if (Status dropped = log_->DropAll(Cf::kSnapshots); dropped.ok()) {
      std::lock_guard<std::mutex> lock(snapshot_mutex_);
      checkpoints_.clear();
    } else {
      Log().warn("cannot drop the damaged vector index checkpoints: {}", dropped.ToString());
    }
    return false;
  }
  // The checkpoint holds the index's structure (the whole one, then its
  // deltas); its vectors are the documents' stored vectors, read in runs of
  // consecutive ids.
  const uint64_t covered_seq = deltas.empty() ? head.covered_seq : deltas.back().head.covered_seq;
  const uint64_t covered_vectors = deltas.empty() ? head.vectors : deltas.back().head.vectors;
  uint64_t delta_bytes = 0;
  std::vector<std::string_view> delta_views;
  for (const auto& d : deltas) {
    delta_views.push_back(d.bytes);
    delta_bytes += d.bytes.size();
  }
  const size_t dim = embedder_->dim();
  std::vector<std::pair<uint64_t, uint32_t>> checksums;  // (id, text checksum), by id
  checksums.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (DocSeq(ids[i]) <= covered_seq) checksums.emplace_back(ids[i], text_checksums[i]);
  }
  std::sort(checksums.begin(), checksums.end());
  const size_t prefix_size = log::TenantPrefix(tenant).size();
  VectorLookup lookup = [&](std::span<const uint64_t> want, std::span<float> out) -> Status {
    std::vector<size_t> at(want.size());
    for (size_t k = 0; k < at.size(); ++k) at[k] = k;
    std::sort(at.begin(), at.end(), [&](size_t a, size_t b) { return want[a] < want[b]; });
    std::vector<bool> filled(want.size(), false);
    auto fill = [&](size_t k, std::string_view value) {
      auto c = std::lower_bound(checksums.begin(), checksums.end(), std::make_pair(want[k], uint32_t{0}));
      if (c == checksums.end() || c->first != want[k]) return;
      filled[k] = DecodeDocVector(value, dim, c->second, out.data() + k * dim);
    };
    if (want.empty()) return Status::OK();
    const uint64_t lo = want[at.front()], hi = want[at.back()];
    if (DocSeq(hi) - DocSeq(lo) <= 4 * want.size() + 16) {
      size_t p = 0;
      ENGRAM_RETURN_IF_ERROR(log_->Scan(
          Cf::kVectors, DocVectorKey(tenant, lo), DocVectorKey(tenant, hi + 1),
          [&](std::string_view key, std::string_view value) {
            uint64_t id = 0;
            if (!DocIdOfVectorKey(key, prefix_size, &id)) return true;
            while (p < at.size() && want[at[p]] < id) ++p;
            if (p < at.size() && want[at[p]] == id) fill(at[p++], value);
            return p < at.size();
          },
          snapshot));
    } else {
      for (size_t k = 0; k < want.size(); ++k) {
        auto value = log_->Get(Cf::kVectors, DocVectorKey(tenant, want[k]), snapshot);
        if (!value.ok()) return value.status();
        if (value->has_value()) fill(k, **value);
      }
    }
    for (size_t k = 0; k < want.size(); ++k) {
      if (!filled[k]) return Status::NotFound("document " + std::to_string(want[k]) + " has no stored vector");
    }
    return Status::OK();
  };
  Result<std::unique_ptr<VectorIndex>> index = Status::Corruption("not decoded");
  try {
    index = VectorIndex::Restore(*bytes, delta_views, lookup);
  } catch (const std::exception& e) {
    index = Status::Corruption(std::string("vector index checkpoint does not decode: ") + e.what());
  }
  if (!index.ok()) {
    Log().warn("tenant '{}': vector index checkpoint ignored ({}); rebuilding the index", tenant,
               index.status().ToString());
    return false;
  }
  // It must be of the index asked for, and hold exactly the documents of
  // the turns it covers (a turn derived again, or a document added later
  // to an old turn, makes it stale).
  size_t covered_docs = 0;
  for (uint64_t id : ids) covered_docs += DocSeq(id) <= covered_seq;
  const bool rederived_covered = !rederived.empty() && *rederived.begin() <= covered_seq;
  if ((*index)->description() != options_.vector_index || (*index)->dim() != embedder_->dim() ||
      covered_seq > memory.last_seq() || rederived_covered || (*index)->size() != covered_docs) {
    Log().info("tenant '{}': vector index checkpoint is stale; rebuilding the index from the stored vectors", tenant);
    return false;
  }
  state->covered_seq = covered_seq;
  state->vectors = covered_vectors;
  state->deltas = static_cast<uint32_t>(deltas.size());
  state->base_bytes = head.bytes;
  state->delta_bytes = delta_bytes;
  state->digest = (*index)->DigestStructure();
  memory.ReplaceVectors(std::move(*index));
  return true;
}

void StoreImpl::RestoreLexical(const std::string& tenant, TenantMemory& memory, const std::set<uint64_t>& rederived,
                               const log::LogSnapshot* snapshot) {
  // Indexes everything recorded (no checkpoint, or one that does not hold
  // these documents), saying why at info level.
  auto index_all = [&](const std::string& why) {
    if (!why.empty()) Log().info("tenant '{}': lexical checkpoint not used ({}); analysing every text", tenant, why);
    memory.FinishDeferredIndexing(nullptr, nullptr, 0);
  };
  if (memory.deferred_replaced()) return index_all("a document was replaced while loading");
  VectorCheckpointHead head;
  auto bytes = ReadChunked(
      *log_, LexicalCheckpointHeadKey(tenant), [&](uint32_t n) { return LexicalCheckpointChunkKey(tenant, n); },
      LexicalCheckpointChunksEnd(tenant), "the lexical checkpoint of tenant '" + tenant + "'", &head, snapshot);
  if (!bytes.ok()) {
    // Damage costs only time: the next save writes the checkpoint whole.
    if (!bytes.status().IsNotFound()) {
      Log().warn("tenant '{}': lexical checkpoint ignored ({})", tenant, bytes.status().ToString());
    }
    return index_all("");
  }
  auto image = DecodeLexicalCheckpoint(*bytes);
  if (!image.ok()) return index_all(image.status().ToString());
  if (head.covered_seq > memory.last_seq()) return index_all("it covers turns the log does not hold");
  if (!rederived.empty() && *rederived.begin() <= head.covered_seq) {
    return index_all("turns it covers were derived again");
  }
  const auto [docs_after, keys_after] = memory.DeferredDigestsAfter(head.covered_seq);
  if (memory.lexical_digest() - docs_after != image->lexical_digest ||
      memory.keys_digest() - keys_after != image->keys_digest) {
    return index_all("the documents of the turns it covers changed since");
  }
  auto lexical = LexicalIndex::Deserialize(image->lexical);
  if (!lexical.ok()) return index_all(lexical.status().ToString());
  auto keys = LexicalIndex::Deserialize(image->keys);
  if (!keys.ok()) return index_all(keys.status().ToString());
  if ((*lexical)->size() != head.vectors) return index_all("its document count does not match its head");
  memory.FinishDeferredIndexing(std::move(lexical).value(), std::move(keys).value(), head.covered_seq);
  lexical_checkpoint_loads_.fetch_add(1);
}

Status StoreImpl::SaveLexicalCheckpoint(TenantMemory& memory) {
  const uint64_t docs = memory.lexical().size();
  if (!LexicalCheckpointDue(docs, memory.lexical_checkpoint_docs())) return Status::OK();
  const std::string image = EncodeLexicalCheckpoint(memory.lexical_digest(), memory.keys_digest(),
                                                    memory.lexical().Serialize(), memory.context_keys().Serialize());
  VectorCheckpointHead head;
  head.covered_seq = memory.last_seq();
  head.vectors = docs;
  log::LogBatch batch = log_->NewBatch();
  // Chunks of a longer previous checkpoint go in the same batch.
  const uint32_t chunks = static_cast<uint32_t>((image.size() + kCheckpointChunkBytes - 1) / kCheckpointChunkBytes);
  ENGRAM_RETURN_IF_ERROR(DeleteRange(*log_, &batch, LexicalCheckpointChunkKey(memory.tenant(), chunks),
                                     LexicalCheckpointChunksEnd(memory.tenant())));
  PutChunked(
      &batch, LexicalCheckpointHeadKey(memory.tenant()),
      [&](uint32_t n) { return LexicalCheckpointChunkKey(memory.tenant(), n); }, &head, image);
  ENGRAM_RETURN_IF_ERROR(log_->Write(batch, /*sync=*/true));
  memory.set_lexical_checkpoint_docs(docs);
  return Status::OK();
}

Status StoreImpl::LoadVectors(const std::string& tenant, TenantMemory& memory, const std::vector<uint64_t>& ids,
                              const std::vector<uint32_t>& checksums, const std::set<uint64_t>& rederived,
                              log::LogBatch* batch, const log::LogSnapshot* snapshot) {
  const size_t dim = embedder_->dim();
  const bool writable = !options_.read_only;
  const std::string prefix = log::TenantPrefix(tenant), end = log::TenantPrefixEnd(tenant);
  // Documents in id order (the order ApplyTurn yields them in), to join
  // with the stored vectors, which are in id order too.
  std::vector<size_t> order(ids.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (!std::is_sorted(ids.begin(), ids.end())) {
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ids[a] < ids[b]; });
  }

  VectorCheckpointState state;
  uint64_t first_id = 0;  // documents from here on are added from their stored vectors
  if (IndexNeedsCheckpoint(options_.vector_index) &&
      RestoreCheckpoint(tenant, memory, ids, checksums, rederived, batch, snapshot, &state)) {
    first_id = DocId(state.covered_seq + 1, 0);
  }
  // An older store's whole-index snapshot value is superseded.
  if (writable) {
    auto legacy = log_->Get(Cf::kSnapshots, prefix + "vectors", snapshot);
    if (!legacy.ok() || legacy->has_value()) batch->Delete(Cf::kSnapshots, prefix + "vectors");
  }

  // One range scan of the stored vectors, joined with the documents.
  constexpr size_t kAddRows = 4096;
  std::vector<uint64_t> add_ids;
  std::vector<float> add_vectors;
  Status add_status;
  auto flush = [&] {
    if (!add_ids.empty()) add_status = memory.vectors().Add(add_ids, add_vectors);
    add_ids.clear();
    add_vectors.clear();
    return add_status.ok();
  };
  std::vector<size_t> missing;     // positions in `ids` without a usable stored vector
  std::vector<std::string> stale;  // stored vectors of documents that no longer exist
  size_t next = std::lower_bound(order.begin(), order.end(), first_id,
                                 [&](size_t i, uint64_t id) { return ids[i] < id; }) -
                order.begin();
  Status scan = log_->Scan(
      Cf::kVectors, DocVectorKey(tenant, first_id), end,
      [&](std::string_view key, std::string_view value) {
        uint64_t id = 0;
        if (!DocIdOfVectorKey(key, prefix.size(), &id)) {
          stale.emplace_back(key);
          return true;
        }
        while (next < order.size() && ids[order[next]] < id) missing.push_back(order[next++]);
        if (next == order.size() || ids[order[next]] != id) {
          stale.emplace_back(key);
          return true;
        }
        const size_t i = order[next++];
        add_vectors.resize((add_ids.size() + 1) * dim);
        if (!DecodeDocVector(value, dim, checksums[i], add_vectors.data() + add_ids.size() * dim)) {
          add_vectors.resize(add_ids.size() * dim);
          missing.push_back(i);  // of another text (derived again) or another embedder: embedded again
          return true;
        }
        add_ids.push_back(id);
        return add_ids.size() < kAddRows || flush();
      },
      snapshot);
  if (scan.ok()) flush();
  ENGRAM_RETURN_IF_ERROR(add_status);
  if (scan.ok()) {
    while (next < order.size()) missing.push_back(order[next++]);
    if (writable) {
      for (const auto& key : stale) batch->Delete(Cf::kVectors, key);
    }
  } else {
    // Unreadable table blocks: the stored vectors are dropped unread (they
    // are written again as tenants load) and this tenant's are embedded.
    Log().warn("tenant '{}': stored vectors unreadable ({}); embedding its documents again", tenant, scan.ToString());
    if (writable) ENGRAM_RETURN_IF_ERROR(log_->DropAll(Cf::kVectors));
    auto fresh = VectorIndex::Create(options_.vector_index, dim);
    if (!fresh.ok()) return fresh.status();
    memory.ReplaceVectors(std::move(*fresh));
    state = VectorCheckpointState{};
    missing = order;
  }

  // Documents without a stored vector (an older store's, or damaged ones):
  // an older store's embedding cache first, then the embedder; written in
  // the new form as they are found.
  constexpr size_t kChunk = 512;
  for (size_t start = 0; start < missing.size(); start += kChunk) {
    const size_t n = std::min(kChunk, missing.size() - start);
    std::vector<uint64_t> chunk_ids;
    std::vector<std::string> chunk_texts;
    for (size_t k = start; k < start + n; ++k) {
      chunk_ids.push_back(ids[missing[k]]);
      const MemoryDoc* doc = memory.Doc(ids[missing[k]]);
      if (doc == nullptr) {
        return Status::Internal("document " + std::to_string(ids[missing[k]]) + " vanished while loading");
      }
      chunk_texts.push_back(TenantMemory::IndexText(*doc));
    }
    auto vectors = EmbedCached(tenant, chunk_ids, chunk_texts, /*use_old_cache=*/true, writable ? batch : nullptr);
    if (!vectors.ok()) return vectors.status();
    ENGRAM_RETURN_IF_ERROR(memory.vectors().Add(chunk_ids, *vectors));
    if (writable && batch->ByteSize() > (8u << 20)) {
      ENGRAM_RETURN_IF_ERROR(log_->Write(*batch, false));
      *batch = log_->NewBatch();
    }
  }
  // Every document has its own vector now: the tenant's entries in an older
  // store's embedding cache go (in the batch that stores the last vectors).
  if (writable) {
    std::vector<std::string> cached;
    Status listed = log_->Scan(Cf::kEmbeddings, prefix, end, [&](std::string_view key, std::string_view) {
      cached.emplace_back(key);
      return true;
    });
    if (listed.ok()) {
      for (const auto& key : cached) batch->Delete(Cf::kEmbeddings, key);
    } else {
      Log().warn("embedding cache unreadable ({}); dropping it", listed.ToString());
      ENGRAM_RETURN_IF_ERROR(log_->DropAll(Cf::kEmbeddings));
    }
  }
  std::lock_guard<std::mutex> lock(snapshot_mutex_);
  checkpoints_[tenant] = state;
  return Status::OK();
}

Status StoreImpl::SaveSnapshot(TenantMemory& memory, bool force) {
  if (options_.read_only) return Status::OK();
  std::shared_lock<RwMutex> lock(memory.mutex());
  // Each checkpoint is tried whatever became of the other; the first
  // failure is reported.
  Status lexical = SaveLexicalCheckpoint(memory);
  Status vectors = SaveVectorCheckpoint(memory, force);
  return lexical.ok() ? vectors : lexical;
}

Status StoreImpl::SaveVectorCheckpoint(TenantMemory& memory, bool force) {
  if (!IndexNeedsCheckpoint(memory.vectors().description())) return Status::OK();
  VectorCheckpointState state;
  {
    std::lock_guard<std::mutex> slock(snapshot_mutex_);
    state = checkpoints_[memory.tenant()];
  }
  const uint64_t size = memory.vectors().size();
  if (state.covered_seq >= memory.last_seq() && state.vectors == size) return Status::OK();
  const uint64_t added = size > state.vectors ? size - state.vectors : 0;
  // A delta costs what changed, so one is due after a thousand new vectors;
  // a whole structure after a tenth of the index is new (or when forced).
  constexpr uint64_t kMinAdded = 1000;
  constexpr uint32_t kMaxDeltas = 32;
  const bool whole_due = force || added > std::max<uint64_t>(kMinAdded, size / 10);
  const bool delta_due = !force && state.digest != nullptr && state.deltas < kMaxDeltas && added > kMinAdded;
  if (!whole_due && !delta_due) return Status::OK();
  VectorCheckpointHead head;
  head.covered_seq = memory.last_seq();
  head.vectors = size;
  log::LogBatch batch = log_->NewBatch();
  VectorCheckpointState saved;
  saved.covered_seq = head.covered_seq;
  saved.vectors = head.vectors;
  if (delta_due) {
    // The deltas together stay under half the whole structure; past that
    // the structure is written whole again (and its deltas deleted) once
    // that is due.
    auto delta = memory.vectors().SerializeStructureDelta(*state.digest, &saved.digest);
    if (!delta.ok() && delta.status().code() != Status::Code::kFailedPrecondition) return delta.status();
    if (delta.ok() && state.delta_bytes + delta->size() <= state.base_bytes / 2) {
      PutVectorCheckpointDelta(&batch, memory.tenant(), state.deltas + 1, &head, *delta);
      saved.deltas = state.deltas + 1;
      saved.base_bytes = state.base_bytes;
      saved.delta_bytes = state.delta_bytes + delta->size();
    } else if (!whole_due) {
      return Status::OK();
    }
  }
  if (saved.deltas == 0) {
    // The structure only: its vectors are the documents' stored vectors.
    auto bytes = memory.vectors().SerializeStructure();
    if (!bytes.ok()) return bytes.status();
    ENGRAM_RETURN_IF_ERROR(PutVectorCheckpoint(*log_, &batch, memory.tenant(), &head, *bytes));
    saved.base_bytes = bytes->size();
    saved.digest = memory.vectors().DigestStructure();
  }
  // Synced: a checkpoint is rare and large, and losing one to a power cut
  // right after closing would cost a whole graph build at the next open.
  ENGRAM_RETURN_IF_ERROR(log_->Write(batch, /*sync=*/true));
  std::lock_guard<std::mutex> slock(snapshot_mutex_);
  checkpoints_[memory.tenant()] = std::move(saved);
  return Status::OK();
}

Status StoreImpl::DropDerivedRecords() {
  ENGRAM_RETURN_IF_ERROR(log_->DropAll(Cf::kDerived));
  // Loaded tenants are loaded again (and derived again) on next use.
  tenants_.Clear();
  {
    std::lock_guard<std::mutex> lock(snapshot_mutex_);
    checkpoints_.clear();
  }
  // Every tenant's turns count as not derived yet.
  log::LogBatch batch = log_->NewBatch();
  ENGRAM_RETURN_IF_ERROR(log_->Scan(Cf::kMeta, "derived/", "derived0", [&](std::string_view key, std::string_view) {
    batch.Delete(Cf::kMeta, key);
    return true;
  }));
  return log_->Write(batch, /*sync=*/true);
}

Status StoreImpl::SaveSnapshots() {
  if (options_.read_only) return Status::OK();
  Status first;
  tenants_.ForEachLoaded([&](TenantMemory& memory) {
    Status s = SaveSnapshot(memory);
    if (first.ok() && !s.ok()) first = s;
  });
  return first;
}

Result<StoredTurn> StoreImpl::GetTurn(std::string_view tenant, uint64_t seq) {
  auto value = log_->Get(Cf::kTurns, log::TurnKey(tenant, seq));
  if (!value.ok()) return value.status();
  if (!value->has_value()) {
    return Status::NotFound("tenant '" + std::string(tenant) + "' has no turn " + std::to_string(seq));
  }
  StoredTurn out;
  out.seq = seq;
  out.tenant = std::string(tenant);
  ENGRAM_RETURN_IF_ERROR(log::DecodeTurn(**value, &out.turn));
  return out;
}

Result<StoredTurn> StoreImpl::GetTurnBySourceId(std::string_view tenant, std::string_view source_id) {
  auto value = log_->Get(Cf::kSourceIds, log::SourceIdKey(tenant, source_id));
  if (!value.ok()) return value.status();
  if (!value->has_value()) {
    return Status::NotFound("tenant '" + std::string(tenant) + "' has no turn with source id '" +
                            std::string(source_id) + "'");
  }
  return GetTurn(tenant, log::DecodeFixed64BE((*value)->data()));
}

Result<std::vector<StoredTurn>> StoreImpl::ScanTurns(std::string_view tenant, const TurnFilter& filter) {
  std::vector<StoredTurn> out;
  Status decode_status;
  auto snapshot = log_->Snapshot();
  const std::string prefix = log::TenantPrefix(tenant);
  Status s = log_->Scan(
      Cf::kTurns, prefix, log::TenantPrefixEnd(tenant),
      [&](std::string_view key, std::string_view value) {
        StoredTurn st;
        decode_status = log::DecodeTurn(value, &st.turn);
        if (!decode_status.ok()) return false;
        if (!filter.session.empty() && st.turn.session != filter.session) return true;
        if (st.turn.time_ms < filter.from_ms || st.turn.time_ms >= filter.to_ms) return true;
        st.seq = log::DecodeFixed64BE(key.data() + prefix.size());
        st.tenant = std::string(tenant);
        out.push_back(std::move(st));
        return filter.limit == 0 || out.size() < filter.limit;
      },
      snapshot.get());
  ENGRAM_RETURN_IF_ERROR(s);
  ENGRAM_RETURN_IF_ERROR(decode_status);
  return out;
}

Result<std::vector<std::string>> StoreImpl::ListTenants() {
  // Tenants with turns, and tenants with only caller edits (explicit facts,
  // core blocks), in key order.
  std::set<std::string> tenants;
  for (Cf cf : {Cf::kTurns, Cf::kEdits}) {
  std::string begin;
  for (;;) {
    std::string found;
    bool any = false;
    ENGRAM_RETURN_IF_ERROR(log_->Scan(cf, begin, {}, [&](std::string_view key, std::string_view) {
      std::string_view tenant;
      if (log::GetTenant(&key, &tenant)) {
        found.assign(tenant);
        any = true;
      }
      return false;  // one key is enough: then skip past this tenant
    }));
    if (!any) break;
    tenants.insert(found);
    begin = log::TenantPrefixEnd(found);
  }
  }
  // Key order is (length, bytes): the order of the tenant prefixes.
  std::vector<std::string> out(tenants.begin(), tenants.end());
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return log::TenantPrefix(a) < log::TenantPrefix(b);
  });
  return out;
}

Result<bool> StoreImpl::HasRecords(std::string_view tenant) {
  bool any = false;
  for (Cf cf : {Cf::kTurns, Cf::kEdits}) {
    ENGRAM_RETURN_IF_ERROR(log_->Scan(cf, log::TenantPrefix(tenant), log::TenantPrefixEnd(tenant),
                                      [&](std::string_view, std::string_view) {
                                        any = true;
                                        return false;
                                      }));
    if (any) return true;
  }
  return false;
}

Status StoreImpl::UnknownTenant(std::string_view tenant) {
  auto known = ListTenants();
  if (!known.ok()) return known.status();
  std::string message = "no tenant '" + std::string(tenant) + "'";
  std::vector<std::string> close = ClosestNames(tenant, *known);
  for (size_t i = 0; i < close.size(); ++i) {
    message += (i == 0 ? "; did you mean '" : i + 1 == close.size() ? "' or '" : "', '") + close[i];
  }
  if (!close.empty()) message += "'?";
  return Status::NotFound(message);
}

Result<TenantStats> StoreImpl::GetTenantStats(std::string_view tenant) {
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  auto known = HasRecords(tenant);
  if (!known.ok()) return known.status();
  if (!*known) return UnknownTenant(tenant);
  TenantStats stats;
  stats.tenant = std::string(tenant);
  std::set<std::string> sessions;
  Status decode_status;
  auto snapshot = log_->Snapshot();
  ENGRAM_RETURN_IF_ERROR(log_->Scan(
      Cf::kTurns, log::TenantPrefix(tenant), log::TenantPrefixEnd(tenant),
      [&](std::string_view, std::string_view value) {
        Turn turn;
        decode_status = log::DecodeTurn(value, &turn);
        if (!decode_status.ok()) return false;
        ++stats.turns;
        stats.bytes += turn.text.size();
        sessions.insert(turn.session);
        return true;
      },
      snapshot.get()));
  ENGRAM_RETURN_IF_ERROR(decode_status);
  stats.sessions = sessions.size();
  return stats;
}

Result<ForgetReport> StoreImpl::ForgetTenant(std::string_view tenant, const ForgetOptions& wo) {
  ENGRAM_RETURN_IF_ERROR(RequireWritable("ForgetTenant"));
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  std::shared_ptr<TenantCache::Slot> slot = tenants_.GetSlot(tenant);
  std::unique_lock<std::mutex> tenant_lock(slot->writer);
  const std::string begin = log::TenantPrefix(tenant), end = log::TenantPrefixEnd(tenant);
  bool any = false;
  for (Cf cf : {Cf::kTurns, Cf::kDerived, Cf::kEdits}) {
    ENGRAM_RETURN_IF_ERROR(log_->Scan(cf, begin, end, [&](std::string_view, std::string_view) { return !(any = true); }));
  }
  if (!any) {
    // A forget whose erasure failed (a full disk) is retried: its deletes
    // are written, its bytes still to erase.
    std::lock_guard<std::mutex> lock(write_mutex_);
    if (!unerased_tenants_.count(std::string(tenant))) return UnknownTenant(tenant);
  }
  std::vector<std::string> texts;  // searched for on disk after the purge (ForgetOptions::sync)
  if (wo.sync && !wo.dry_run) {
    constexpr size_t kMaxSearched = 1000;
    ENGRAM_RETURN_IF_ERROR(log_->Scan(Cf::kTurns, begin, end, [&](std::string_view, std::string_view value) {
      Turn turn;
      if (log::DecodeTurn(value, &turn).ok() && turn.text.size() >= 8) texts.push_back(std::move(turn.text));
      return texts.size() < kMaxSearched;
    }));
  }
  std::unique_lock<std::mutex> lock(write_mutex_);
  ForgetReport report;
  report.dry_run = wo.dry_run;
  // Each key gets its own delete, so the erasure compaction below finds no
  // range deletion and writes no output for the tenant's range at all (an
  // output holding only a dropped range deletion is what librocksdb 7.8
  // asserts on when writing it fails). Very large tenants fall back to one
  // range deletion per column family, so the batch stays bounded.
  constexpr uint64_t kMaxPointDeletes = 1u << 20;
  log::LogBatch batch = log_->NewBatch();
  log::LogBatch ranges = log_->NewBatch();
  uint64_t keys = 0;
  auto remove = [&](Cf cf, std::string_view key) {
    if (++keys <= kMaxPointDeletes) batch.Delete(cf, key);
  };
  struct CfKind {
    Cf cf;
    const char* kind;
  };
  for (CfKind ck : {CfKind{Cf::kTurns, "turns"}, CfKind{Cf::kSourceIds, "source_ids"}, CfKind{Cf::kVectors, "vectors"},
                    CfKind{Cf::kEmbeddings, "cached_vectors"}, CfKind{Cf::kSnapshots, "index_snapshots"},
                    CfKind{Cf::kEdits, "edits"}}) {
    uint64_t n = 0;
    ENGRAM_RETURN_IF_ERROR(log_->Scan(ck.cf, begin, end, [&](std::string_view key, std::string_view) {
      ++n;
      remove(ck.cf, key);
      return true;
    }));
    report.removed[ck.kind] = n;
    ranges.DeleteRange(ck.cf, begin, end);
  }
  report.removed["core_blocks"] = 0;
  ENGRAM_RETURN_IF_ERROR(log_->Scan(Cf::kEdits, begin + 'c', begin + 'd', [&](std::string_view, std::string_view) {
    ++report.removed["core_blocks"];
    return true;
  }));
  const char* kinds[] = {"units", "facts", "entities", "relations"};
  for (const char* k : kinds) report.removed[k] = 0;
  ranges.DeleteRange(Cf::kDerived, begin, end);
  ENGRAM_RETURN_IF_ERROR(log_->Scan(Cf::kDerived, begin, end, [&](std::string_view key, std::string_view) {
    remove(Cf::kDerived, key);
    switch (static_cast<DerivedKind>(key[begin.size() + 8])) {
      case DerivedKind::kUnit: ++report.removed["units"]; break;
      case DerivedKind::kFact: ++report.removed["facts"]; break;
      case DerivedKind::kEntity: ++report.removed["entities"]; break;
      case DerivedKind::kRelation: ++report.removed["relations"]; break;
    }
    return true;
  }));
  log::LogBatch& chosen = keys <= kMaxPointDeletes ? batch : ranges;
  chosen.Delete(Cf::kMeta, DerivedUpToKey(tenant));
  uint64_t jobs = 0;
  ENGRAM_RETURN_IF_ERROR(log_->Scan(Cf::kQueue, {}, {}, [&](std::string_view key, std::string_view value) {
    std::string job_tenant;
    int attempts = 0;
    if (DecodeEnrichmentJob(value, &job_tenant, &attempts) && job_tenant == tenant) {
      chosen.Delete(Cf::kQueue, key);
      ++jobs;
    }
    return true;
  }));
  report.removed["enrichment_jobs"] = jobs;
  if (wo.dry_run) return report;
  ENGRAM_RETURN_IF_ERROR(log_->Write(chosen, wo.sync));
  if (auto loaded = tenants_.Find(tenant)) {
    (void)ApplyQueued(*loaded, /*wait=*/true);  // queued turns have index entries too
    std::shared_lock<RwMutex> mlock(loaded->mutex());
    report.removed["index_entries"] = loaded->doc_count();
  }
  tenants_.Drop(*slot);  // readers still holding it keep it alive until they finish
  {
    std::lock_guard<std::mutex> slock(snapshot_mutex_);
    checkpoints_.erase(std::string(tenant));
  }
  {
    // Nothing of the tenant's texts stays in memory either.
    std::lock_guard<std::mutex> rlock(recent_mutex_);
    const std::string key_prefix = std::string(tenant) + '\0';
    for (std::string& key : recent_order_) {
      if (key.compare(0, key_prefix.size(), key_prefix) == 0) {
        recent_vectors_.erase(key);
        key.clear();
      }
    }
  }
  lock.unlock();
  tenant_lock.unlock();
  // The deletes above hide the tenant; erasing rewrites the files that still
  // hold its bytes (and drops the write-ahead logs that held them).
  Status erased = log_->EraseRange(begin, end);
  {
    std::lock_guard<std::mutex> elock(write_mutex_);
    if (erased.ok()) {
      unerased_tenants_.erase(std::string(tenant));
    } else {
      unerased_tenants_.insert(std::string(tenant));
    }
  }
  if (!erased.ok()) {
    return erased.WithContext("tenant '" + std::string(tenant) +
                              "' is forgotten but its bytes are not yet erased from disk; forget it again to retry");
  }
  if (wo.sync) {
    uint64_t files = 0;
    ENGRAM_RETURN_IF_ERROR(log_->CheckErased(begin, end, texts, {{begin, end}}, &files));
    report.disk_checked = true;
    report.files_checked = files;
  }
  return report;
}

Status StoreImpl::RequireWritable(const char* what) const {
  if (options_.read_only) {
    return Status::FailedPrecondition(std::string(what) + " needs a writable store; '" + log_->path() +
                                      "' was opened read-only");
  }
  return Status::OK();
}

Status StoreImpl::RequireIndexes(const char* what) const {
  if (options_.log_only) {
    return Status::FailedPrecondition(std::string(what) + " needs the derived indexes; the store was opened log_only");
  }
  return Status::OK();
}

Result<std::vector<float>> StoreImpl::EmbedQuery(std::string_view query, int64_t* embed_us) {
  auto start = std::chrono::steady_clock::now();
  std::vector<std::string> texts{std::string(query)};
  auto v = embedder_->Embed(texts);
  *embed_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  if (!v.ok()) return v.status().WithContext("embedding the query");
  return v;
}

Result<RecallResult> StoreImpl::Recall(std::string_view tenant, std::string_view query, const RecallOptions& options) {
  ENGRAM_RETURN_IF_ERROR(RequireIndexes("Recall"));
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  ENGRAM_RETURN_IF_ERROR(ValidateUtf8(query, "query"));
  if (query.size() > options_.max_text_bytes) return Status::InvalidArgument("query is over Options::max_text_bytes");
  auto memory = Memory(tenant);
  if (!memory.ok()) return memory.status();
  int64_t embed_us = 0;
  std::vector<float> qvec;
  const RoutePlan* plan = router_.FindPlan(options.route);
  if (plan == nullptr || plan->vector_weight > 0) {
    auto v = EmbedQuery(query, &embed_us);
    if (!v.ok()) return v.status();
    qvec = std::move(*v);
  }
  auto start = std::chrono::steady_clock::now();
  std::shared_lock<RwMutex> lock((*memory)->mutex());
  if (recall_hook_) recall_hook_();
  // A memory holding turns is a known tenant; only an empty one asks the log.
  Result<bool> known = (*memory)->doc_count() > 0 ? Result<bool>(true) : HasRecords(tenant);
  if (!known.ok()) return known.status();
  Result<RecallResult> result = RecallResult{};
  if (WantsTier(options, Tier::kEpisodic)) {
    result = router_.Recall(**memory, query, qvec, options);
    if (!result.ok()) return result.status();
  }
  if (!options.tiers.empty()) AddTierHits(**memory, query, options, &result->hits);
  result->tenant_known = *known;
  result->embed_us = embed_us;
  result->search_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  return result;
}

Result<Context> StoreImpl::RecallContext(std::string_view tenant, std::string_view question, size_t budget_tokens,
                                         const RecallOptions& options) {
  ENGRAM_RETURN_IF_ERROR(RequireIndexes("RecallContext"));
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  ENGRAM_RETURN_IF_ERROR(ValidateUtf8(question, "question"));
  auto known = HasRecords(tenant);
  if (!known.ok()) return known.status();
  // Core memory first, always, within its share of the budget.
  ContextSection core{"core", {}};
  std::string core_text;
  std::vector<std::string> core_notes;
  auto core_tokens = CoreSection(tenant, budget_tokens, &core, &core_text, &core_notes);
  if (!core_tokens.ok()) return core_tokens.status();
  auto memory = Memory(tenant);
  if (!memory.ok()) return memory.status();
  int64_t embed_us = 0;
  auto qvec = EmbedQuery(question, &embed_us);
  if (!qvec.ok()) return qvec.status();
  std::shared_lock<RwMutex> lock((*memory)->mutex());
  auto ctx = router_.RecallContext(**memory, question, *qvec, budget_tokens - *core_tokens, options);
  if (!ctx.ok()) return ctx.status();
  ctx->tenant_known = *known;
  if (!core.items.empty() || !core_text.empty()) {
    if (!core.items.empty()) ctx->sections.insert(ctx->sections.begin(), std::move(core));
    ctx->text = core_text + ctx->text;
    ctx->tokens += *core_tokens;
  }
  for (auto& note : core_notes) ctx->route.steps.push_back(std::move(note));
  return ctx;
}

Result<std::vector<PersonaFact>> StoreImpl::Profile(std::string_view tenant, std::string_view speaker, TimeMs as_of_ms,
                                                    bool include_history) {
  ENGRAM_RETURN_IF_ERROR(RequireIndexes("Profile"));
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  auto memory = Memory(tenant);
  if (!memory.ok()) return memory.status();
  std::shared_lock<RwMutex> lock((*memory)->mutex());
  return (*memory)->persona().Query(speaker, as_of_ms, include_history);
}

Result<GraphView> StoreImpl::Graph(std::string_view tenant, std::string_view entity, int hops, size_t max_edges,
                                   TimeMs as_of_ms) {
  ENGRAM_RETURN_IF_ERROR(RequireIndexes("Graph"));
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  if (hops < 0 || hops > 10) return Status::InvalidArgument("hops " + std::to_string(hops) + " is outside 0..10");
  auto memory = Memory(tenant);
  if (!memory.ok()) return memory.status();
  std::shared_lock<RwMutex> lock((*memory)->mutex());
  if (!entity.empty() && (*memory)->graph().Resolve(entity).empty()) {
    // An unknown tenant has an empty graph, not a missing entity.
    auto known = HasRecords(tenant);
    if (!known.ok()) return known.status();
    if (!*known) return GraphView{};
    return Status::NotFound("tenant '" + std::string(tenant) + "' has no entity '" + std::string(entity) + "'");
  }
  return (*memory)->graph().View(entity, hops, max_edges, as_of_ms);
}

Result<std::vector<EventUnit>> StoreImpl::EventUnits(std::string_view tenant) {
  ENGRAM_RETURN_IF_ERROR(RequireIndexes("EventUnits"));
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  auto memory = Memory(tenant);
  if (!memory.ok()) return memory.status();
  std::shared_lock<RwMutex> lock((*memory)->mutex());
  return (*memory)->Units();
}

Result<std::vector<StoredTurn>> StoreImpl::WorkingMemory(std::string_view tenant, std::string_view session) {
  ENGRAM_RETURN_IF_ERROR(RequireIndexes("WorkingMemory"));
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  auto memory = Memory(tenant);
  if (!memory.ok()) return memory.status();
  std::shared_lock<RwMutex> lock((*memory)->mutex());
  return (*memory)->WorkingSession(session);
}

Result<std::vector<SessionSummary>> StoreImpl::Summaries(std::string_view tenant, size_t max_sentences) {
  ENGRAM_RETURN_IF_ERROR(RequireIndexes("Summaries"));
  ENGRAM_RETURN_IF_ERROR(ValidateTenant(tenant, options_));
  auto memory = Memory(tenant);
  if (!memory.ok()) return memory.status();
  std::shared_lock<RwMutex> lock((*memory)->mutex());
  std::vector<SessionSummary> out;
  for (const auto& session : (*memory)->sessions()) out.push_back(SummariseSession(**memory, session, max_sentences));
  return out;
}

Status StoreImpl::Rebuild() {
  ENGRAM_RETURN_IF_ERROR(RequireIndexes("Rebuild"));
  ENGRAM_RETURN_IF_ERROR(RequireWritable("Rebuild"));
  auto tenants = ListTenants();
  if (!tenants.ok()) return tenants.status();
  {
    // Throw every derived index away: in memory and its checkpoints.
    std::lock_guard<std::mutex> lock(write_mutex_);
    tenants_.Clear();
    {
      std::lock_guard<std::mutex> slock(snapshot_mutex_);
      checkpoints_.clear();
    }
    ENGRAM_RETURN_IF_ERROR(log_->DropAll(Cf::kSnapshots));
    // Derived records and stored vectors are reused, unless they cannot
    // be read: then they are dropped (without reading the damaged blocks)
    // and derived or embedded again below.
    auto readable = [&](Cf cf) {
      return log_->Scan(cf, {}, {}, [](std::string_view, std::string_view) { return true; }).ok();
    };
    if (!readable(Cf::kDerived)) {
      Log().warn("derived records unreadable; deriving every turn again");
      ENGRAM_RETURN_IF_ERROR(DropDerivedRecords());
    }
    if (!readable(Cf::kVectors)) {
      Log().warn("stored vectors unreadable; embedding every turn again");
      ENGRAM_RETURN_IF_ERROR(log_->DropAll(Cf::kVectors));
    }
    if (!readable(Cf::kEmbeddings)) {
      Log().warn("embedding cache unreadable; embedding every turn again");
      ENGRAM_RETURN_IF_ERROR(log_->DropAll(Cf::kEmbeddings));
    }
  }
  for (const auto& t : *tenants) {
    std::shared_ptr<TenantCache::Slot> slot = tenants_.GetSlot(t);
    std::lock_guard<std::mutex> tenant_lock(slot->writer);
    auto memory = tenants_.GetLocked(*slot);
    if (!memory.ok()) return memory.status();
    ENGRAM_RETURN_IF_ERROR(SaveSnapshot(**memory, /*force=*/true));
  }
  return log_->Flush();
}

}  // namespace engram
