#include "service/shared_store.h"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>
#include <utility>

#include "service/http_api.h"
#include "service/store_socket.h"

namespace engram::service {
namespace {

const Status& StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

bool HeldByAnother(const Status& s) {
  return s.code() == Status::Code::kFailedPrecondition &&
         s.message().find("in use by another process") != std::string::npos;
}

class SharedStore final : public Store {
 public:
  SharedStore(std::string path, SharedStoreOptions options) : path_(std::move(path)), options_(std::move(options)) {}

  ~SharedStore() override {
    std::lock_guard<std::mutex> lock(mu_);
    Release();
  }

  // Holds the store, or connects to its holder (retrying for a moment while
  // a new holder is still starting its socket).
  Status Acquire() {
    std::lock_guard<std::mutex> lock(mu_);
    return AcquireLocked();
  }

  bool holding() {
    std::lock_guard<std::mutex> lock(mu_);
    return holding_;
  }

  Result<uint64_t> Observe(std::string_view tenant, const Turn& turn, const WriteOptions& write_options) override {
    return With([&](Store& s) { return s.Observe(tenant, turn, write_options); });
  }
  Result<std::vector<uint64_t>> ObserveBatch(std::string_view tenant, std::span<const Turn> turns, const WriteOptions& write_options) override {
    return With([&](Store& s) { return s.ObserveBatch(tenant, turns, write_options); });
  }
  Result<StoredTurn> GetTurn(std::string_view tenant, uint64_t seq) override {
    return With([&](Store& s) { return s.GetTurn(tenant, seq); });
  }
  Result<StoredTurn> GetTurnBySourceId(std::string_view tenant, std::string_view source_id) override {
    return With([&](Store& s) { return s.GetTurnBySourceId(tenant, source_id); });
  }
  Result<std::vector<StoredTurn>> ScanTurns(std::string_view tenant, const TurnFilter& filter) override {
    return With([&](Store& s) { return s.ScanTurns(tenant, filter); });
  }
  Result<std::vector<std::string>> ListTenants() override {
    return With([&](Store& s) { return s.ListTenants(); });
  }
  Result<TenantStats> GetTenantStats(std::string_view tenant) override {
    return With([&](Store& s) { return s.GetTenantStats(tenant); });
  }
  Result<ForgetReport> ForgetTenant(std::string_view tenant, const ForgetOptions& options) override {
    return With([&](Store& s) { return s.ForgetTenant(tenant, options); });
  }
  Result<ForgetReport> Forget(std::string_view tenant, std::string_view source_id, const ForgetOptions& options) override {
    return With([&](Store& s) { return s.Forget(tenant, source_id, options); });
  }
  Result<ForgetReport> ForgetFact(std::string_view tenant, std::string_view fact_id, const ForgetOptions& options) override {
    return With([&](Store& s) { return s.ForgetFact(tenant, fact_id, options); });
  }
  Result<ForgetReport> ForgetRelation(std::string_view tenant, std::string_view relation_id, const ForgetOptions& options) override {
    return With([&](Store& s) { return s.ForgetRelation(tenant, relation_id, options); });
  }
  Result<uint32_t> Update(std::string_view tenant, std::string_view source_id, std::string_view new_text, const WriteOptions& write_options) override {
    return With([&](Store& s) { return s.Update(tenant, source_id, new_text, write_options); });
  }
  Result<std::vector<TurnVersion>> History(std::string_view tenant, std::string_view source_id) override {
    return With([&](Store& s) { return s.History(tenant, source_id); });
  }
  Result<std::string> RememberFact(std::string_view tenant, const PersonaFact& fact, const WriteOptions& write_options) override {
    return With([&](Store& s) { return s.RememberFact(tenant, fact, write_options); });
  }
  Result<std::string> RememberRelation(std::string_view tenant, const Relation& relation, const WriteOptions& write_options) override {
    return With([&](Store& s) { return s.RememberRelation(tenant, relation, write_options); });
  }
  Result<std::vector<CoreBlock>> CoreMemory(std::string_view tenant) override {
    return With([&](Store& s) { return s.CoreMemory(tenant); });
  }
  Result<CoreBlock> SetCoreBlock(std::string_view tenant, std::string_view name, std::string_view text, const WriteOptions& write_options) override {
    return With([&](Store& s) { return s.SetCoreBlock(tenant, name, text, write_options); });
  }
  Result<CoreBlock> AppendCoreBlock(std::string_view tenant, std::string_view name, std::string_view text, const WriteOptions& write_options) override {
    return With([&](Store& s) { return s.AppendCoreBlock(tenant, name, text, write_options); });
  }
  Result<std::vector<CoreBlock>> CoreBlockHistory(std::string_view tenant, std::string_view name) override {
    return With([&](Store& s) { return s.CoreBlockHistory(tenant, name); });
  }
  Result<RecallResult> Recall(std::string_view tenant, std::string_view query, const RecallOptions& options) override {
    return With([&](Store& s) { return s.Recall(tenant, query, options); });
  }
  Result<Context> RecallContext(std::string_view tenant, std::string_view question, size_t budget_tokens, const RecallOptions& options) override {
    return With([&](Store& s) { return s.RecallContext(tenant, question, budget_tokens, options); });
  }
  Result<std::vector<PersonaFact>> Profile(std::string_view tenant, std::string_view speaker, TimeMs as_of_ms, bool include_history) override {
    return With([&](Store& s) { return s.Profile(tenant, speaker, as_of_ms, include_history); });
  }
  Result<GraphView> Graph(std::string_view tenant, std::string_view entity, int hops, size_t max_edges, TimeMs as_of_ms) override {
    return With([&](Store& s) { return s.Graph(tenant, entity, hops, max_edges, as_of_ms); });
  }
  Result<std::vector<EventUnit>> EventUnits(std::string_view tenant) override {
    return With([&](Store& s) { return s.EventUnits(tenant); });
  }
  Result<std::vector<SessionSummary>> Summaries(std::string_view tenant, size_t max_sentences) override {
    return With([&](Store& s) { return s.Summaries(tenant, max_sentences); });
  }
  Result<std::vector<StoredTurn>> WorkingMemory(std::string_view tenant, std::string_view session) override {
    return With([&](Store& s) { return s.WorkingMemory(tenant, session); });
  }
  Result<uint64_t> PendingEnrichments() override {
    return With([&](Store& s) { return s.PendingEnrichments(); });
  }
  Status WaitForEnrichment(int timeout_ms) override {
    return With([&](Store& s) { return s.WaitForEnrichment(timeout_ms); });
  }
  Status Rebuild() override {
    return With([&](Store& s) { return s.Rebuild(); });
  }

  MemoryUsage GetMemoryUsage() override { return Current()->GetMemoryUsage(); }

 private:
  std::shared_ptr<Store> Current() {
    std::lock_guard<std::mutex> lock(mu_);
    return current_;
  }

  // Runs `call` on the current store; when it never reached a holder that
  // has gone, takes over (or finds the new holder) and runs it once more.
  template <typename F>
  auto With(F&& call) -> decltype(call(std::declval<Store&>())) {
    std::shared_ptr<Store> store = Current();
    auto result = call(*store);
    if (!IsHolderGone(StatusOf(result))) return result;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Another thread may have handed over already.
      if (current_ == store) {
        current_.reset();
        Status acquired = AcquireLocked();
        if (!acquired.ok()) return decltype(call(std::declval<Store&>()))(acquired);
      }
      store = current_;
    }
    return call(*store);
  }

  Status AcquireLocked() {
    Status last;
    for (int attempt = 0; attempt < 50; ++attempt) {
      auto held = Store::Open(options_.store, path_);
      if (held.ok()) {
        Hold(std::shared_ptr<Store>(std::move(*held)));
        return Status::OK();
      }
      if (!HeldByAnother(held.status())) return held.status();
      auto remote = ConnectToServe(path_, options_.served);
      if (remote.ok()) {
        current_ = std::shared_ptr<Store>(std::move(*remote));
        holding_ = false;
        return Status::OK();
      }
      // Held, but no socket answers yet (a new holder starting up) or at all
      // (a program linking the library): wait a little, then say who.
      last = held.status();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return Status::FailedPrecondition(last.message() +
                                      " (it serves no socket '" + ServeSocketPath(path_) + "' to work through)");
  }

  // This process holds the store now: serve it to the others.
  void Hold(std::shared_ptr<Store> store) {
    Release();
    current_ = std::move(store);
    holding_ = true;
    HttpApiOptions api_options;
    api_options.store_path = path_;
    api_options.access_log = false;
    api_ = std::make_unique<HttpApi>(*current_, api_options);
    auto socket = StoreSocket::Start(*api_, path_);
    if (socket.ok()) {
      socket_ = std::move(*socket);
    } else {
      std::fprintf(stderr, "engram: warning: %s; other processes cannot work through this one\n",
                   socket.status().message().c_str());
    }
  }

  void Release() {
    if (socket_) socket_->Stop();
    socket_.reset();
    api_.reset();
    current_.reset();
    holding_ = false;
  }

  const std::string path_;
  const SharedStoreOptions options_;
  std::mutex mu_;
  std::shared_ptr<Store> current_;  // the held store, or a ServedStore
  bool holding_ = false;
  std::unique_ptr<HttpApi> api_;    // over *current_ while holding
  std::unique_ptr<StoreSocket> socket_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSharedStore(const std::string& path, const SharedStoreOptions& options) {
  auto store = std::make_unique<SharedStore>(path, options);
  ENGRAM_RETURN_IF_ERROR(store->Acquire());
  return std::unique_ptr<Store>(std::move(store));
}

bool HoldsStore(Store& store) {
  auto* shared = dynamic_cast<SharedStore*>(&store);
  return shared != nullptr && shared->holding();
}

}  // namespace engram::service
