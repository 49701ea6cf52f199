// Background enrichment: a second extractor (usually an LLM) runs over
// queued turns after they were acknowledged. Jobs live in the log, so they
// survive a crash or restart; each result commits atomically with the
// removal of its job, so a job runs to completion at most once.
#include <algorithm>
#include <chrono>

#include "common/logging.h"
#include "log/key_codec.h"
#include "store/enrichment_job.h"
#include "store/store_impl.h"
#include "tiers/record_codec.h"

namespace engram {

using log::Cf;

void StoreImpl::StartEnrichment() {
  enrichment_thread_ = std::thread([this] { EnrichmentLoop(); });
}

void StoreImpl::StopEnrichment() {
  if (!enrichment_thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(enrichment_mutex_);
    enrichment_stop_ = true;
  }
  enrichment_cv_.notify_all();
  enrichment_thread_.join();
}

void StoreImpl::EnrichmentLoop() {
  int backoff_ms = 0;
  for (;;) {
    uint64_t seen;
    {
      std::lock_guard<std::mutex> lock(enrichment_mutex_);
      if (enrichment_stop_) return;
      seen = enrichment_wakeups_;
    }
    bool retry_later = false;
    bool ran = RunOneEnrichment(&retry_later);
    enrichment_cv_.notify_all();  // waiters re-check the queue
    if (ran && !retry_later) {
      backoff_ms = 0;
      continue;
    }
    int wait_ms = 1000;
    if (retry_later) {
      backoff_ms = std::min(30000, std::max(100, backoff_ms * 2));
      wait_ms = backoff_ms;
    }
    std::unique_lock<std::mutex> lock(enrichment_mutex_);
    enrichment_cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] {
      return enrichment_stop_ || (!retry_later && enrichment_wakeups_ != seen);
    });
  }
}

bool StoreImpl::RunOneEnrichment(bool* retry_later) {
  std::string key, value;
  Status s = log_->Scan(Cf::kQueue, {}, {}, [&](std::string_view k, std::string_view v) {
    key.assign(k);
    value.assign(v);
    return false;
  });
  if (!s.ok()) {
    Log().error("enrichment queue unreadable: {}", s.ToString());
    *retry_later = true;
    return false;
  }
  if (key.empty()) return false;
  std::string tenant;
  int attempts = 0;
  const uint64_t seq = key.size() == 8 ? log::DecodeFixed64BE(key.data()) : 0;
  auto drop = [&](const std::string& why) {
    Log().warn("enrichment of turn {} of tenant '{}' given up: {}", seq, tenant, why);
    std::lock_guard<std::mutex> lock(write_mutex_);
    log::LogBatch batch = log_->NewBatch();
    batch.Delete(Cf::kQueue, key);
    Status w = log_->Write(batch, false);
    if (!w.ok()) Log().error("cannot remove enrichment job: {}", w.ToString());
    return true;
  };
  if (seq == 0 || !DecodeEnrichmentJob(value, &tenant, &attempts)) return drop("unreadable job record");

  auto turn = GetTurn(tenant, seq);
  if (!turn.ok()) return drop(turn.status().ToString());
  auto memory = Memory(tenant);
  if (!memory.ok()) {
    *retry_later = true;
    return true;
  }
  ExtractionInput input;
  input.turn = turn->turn;
  {
    std::shared_lock<RwMutex> lock((*memory)->mutex());
    input.participants = (*memory)->participants();
  }

  // The network call, outside every lock.
  auto extraction = options_.enrichment_extractor->Extract(input);
  if (!extraction.ok()) {
    ++attempts;
    Log().warn("enrichment of turn {} of tenant '{}' failed (attempt {}): {}", seq, tenant, attempts,
               extraction.status().ToString());
    if (attempts >= options_.enrichment_max_attempts) return drop(extraction.status().ToString());
    std::lock_guard<std::mutex> lock(write_mutex_);
    // The tenant may have been forgotten (and its job removed) meanwhile:
    // writing the job back would bring a forgotten tenant's name back.
    auto still = log_->Get(Cf::kQueue, key);
    if (!still.ok() || !still->has_value()) return true;
    log::LogBatch batch = log_->NewBatch();
    batch.Put(Cf::kQueue, key, EncodeEnrichmentJob(tenant, attempts));
    Status w = log_->Write(batch, false);
    if (!w.ok()) Log().error("cannot update enrichment job: {}", w.ToString());
    *retry_later = true;
    return true;
  }
  Extraction& x = *extraction;
  if (x.units.size() > kMaxUnitsPerTurn) x.units.resize(kMaxUnitsPerTurn);

  std::shared_ptr<TenantCache::Slot> slot = tenants_.GetSlot(tenant);
  std::unique_lock<std::mutex> tenant_lock(slot->writer);
  std::unique_lock<std::mutex> lock(write_mutex_);
  // The tenant may have been forgotten (and its job removed) meanwhile.
  auto still = log_->Get(Cf::kQueue, key);
  if (!still.ok() || !still->has_value()) return true;
  // Or the turn corrected (Update): this result is of the old text; the job
  // stays queued and runs again on the new one.
  auto now = GetTurn(tenant, seq);
  if (!now.ok() || now->turn.text != input.turn.text) return true;
  lock.unlock();
  auto current = MemoryLocked(*slot);
  if (!current.ok()) {
    *retry_later = true;
    return true;
  }
  lock.lock();
  log::LogBatch batch = log_->NewBatch();
  AssignRecordIds(seq, &x, kEnrichmentBase);
  EncodeExtraction(tenant, seq, x, kEnrichmentBase,
                   [&](const std::string& k, const std::string& v) { batch.Put(Cf::kDerived, k, v); });
  std::vector<std::string> texts;
  std::vector<uint64_t> ids;  // the documents ApplyEnrichment makes, in order
  {
    std::shared_lock<RwMutex> mlock((*current)->mutex());
    uint32_t unit_slot = (*current)->TurnDoc(seq) != nullptr ? (*current)->NextUnitSlot(seq) : kMaxUnitsPerTurn + 1;
    for (const auto& u : x.units) {
      if (unit_slot > kMaxUnitsPerTurn) break;
      texts.push_back(u.text);
      ids.push_back(DocId(seq, unit_slot++));
    }
  }
  auto vectors = EmbedCached(tenant, ids, texts, /*use_old_cache=*/false, &batch);
  if (!vectors.ok()) {
    Log().warn("enrichment of turn {}: embedding failed: {}", seq, vectors.status().ToString());
    *retry_later = true;
    return true;
  }
  batch.Delete(Cf::kQueue, key);
  Status w = log_->Write(batch, false);
  if (!w.ok()) {
    Log().error("cannot commit enrichment of turn {}: {}", seq, w.ToString());
    *retry_later = true;
    return true;
  }
  lock.unlock();
  {
    std::unique_lock<RwMutex> mlock((*current)->mutex());
    std::vector<uint64_t> added;
    for (const MemoryDoc* d : (*current)->ApplyEnrichment(seq, x)) added.push_back(d->id);
    Status add = added == ids ? (*current)->vectors().Add(ids, *vectors)
                              : Status::Internal("enrichment documents differ from the ones embedded");
    if (!add.ok()) Log().error("vector index add failed after enrichment: {}", add.ToString());
  }
  tenants_.Charge(*slot);
  return true;
}

Result<uint64_t> StoreImpl::PendingEnrichments() {
  uint64_t n = 0;
  ENGRAM_RETURN_IF_ERROR(log_->Scan(Cf::kQueue, {}, {}, [&](std::string_view, std::string_view) {
    ++n;
    return true;
  }));
  return n;
}

Status StoreImpl::WaitForEnrichment(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto pending = PendingEnrichments();
    if (!pending.ok()) return pending.status();
    if (*pending == 0) return Status::OK();
    if (!enrichment_thread_.joinable()) {
      return Status::FailedPrecondition(std::to_string(*pending) +
                                        " enrichment jobs are queued but no enrichment extractor is configured");
    }
    std::unique_lock<std::mutex> lock(enrichment_mutex_);
    if (enrichment_cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      lock.unlock();
      auto left = PendingEnrichments();
      if (left.ok() && *left == 0) return Status::OK();
      return Status::Unavailable(std::to_string(left.ok() ? *left : 0) + " enrichment jobs still queued after " +
                                 std::to_string(timeout_ms) + " ms");
    }
  }
}

}  // namespace engram
