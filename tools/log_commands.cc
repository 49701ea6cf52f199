// ingest, stats, export, forget: the commands over the event log.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "store/conversation_io.h"

namespace engram::cli {
namespace {

// Turns of one tenant waiting to be written as one batch.
class PendingBatch {
 public:
  PendingBatch(Store& store, WriteOptions wo) : store_(store), wo_(wo) {}

  Status Add(TenantTurn&& tt) {
    if (!turns_.empty() && tt.tenant != tenant_) ENGRAM_RETURN_IF_ERROR(Flush());
    tenant_ = std::move(tt.tenant);
    turns_.push_back(std::move(tt.turn));
    if (turns_.size() >= kMaxBatch) return Flush();
    return Status::OK();
  }

  Status Flush() {
    if (turns_.empty()) return Status::OK();
    auto seqs = store_.ObserveBatch(tenant_, turns_, wo_);
    if (!seqs.ok()) {
      // Say which line's turn was refused.
      return seqs.status().WithContext("tenant '" + tenant_ + "'");
    }
    written_ += turns_.size();
    turns_.clear();
    Progress();
    return Status::OK();
  }

  size_t written() const { return written_; }

 private:
  static constexpr size_t kMaxBatch = 256;

  void Progress() {
    if (written_ - reported_ < 5000) return;
    reported_ = written_;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "engram: ingested %zu turns (%.0f turns/s)\n", written_, written_ / std::max(s, 1e-9));
  }

  Store& store_;
  WriteOptions wo_;
  std::string tenant_;
  std::vector<Turn> turns_;
  size_t written_ = 0, reported_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

int RunIngest(const std::string& store_path, const std::string& format, bool sync,
              const std::vector<std::string>& files) {
  auto store = OpenStore(store_path, /*log_only=*/false, /*create_if_missing=*/true);
  if (!store.ok()) return Fail(store.status());
  WriteOptions wo;
  wo.sync = sync;
  PendingBatch pending(**store, wo);
  for (const auto& file : files) {
    Status s;
    if (format == "locomo") {
      auto convs = ReadLocomo(file);
      if (!convs.ok()) return Fail(convs.status());
      for (auto& conv : *convs) {
        for (auto& turn : conv.turns) {
          s = pending.Add(TenantTurn{conv.sample_id, std::move(turn)});
          if (!s.ok()) break;
        }
        if (!s.ok()) break;
      }
    } else {
      // Each line is checked before it joins the batch; a bad line flushes
      // the lines before it (they stay stored), then stops the ingest.
      size_t current_line = 0;
      s = ReadTurnsJsonl(file, [&](size_t line_no, TenantTurn&& tt) {
        current_line = line_no;
        return pending.Add(std::move(tt));
      });
      if (!s.ok() && s.IsInvalidArgument() && current_line > 0 && s.message().find(file + ":") != 0) {
        s = s.WithContext(file + ": batch ending at line " + std::to_string(current_line));
      }
    }
    Status flushed = pending.Flush();
    if (!s.ok()) return Fail(s);
    if (!flushed.ok()) return Fail(flushed);
  }
  std::fprintf(stderr, "engram: ingested %zu turns into %s\n", pending.written(), store_path.c_str());
  return kExitOk;
}

int RunStats(const std::string& store_path, const std::string& tenant, bool as_json) {
  auto store = OpenStore(store_path, /*log_only=*/true, /*create_if_missing=*/false,
                         /*read_only=*/true);
  if (!store.ok()) return Fail(store.status());
  std::vector<std::string> tenants;
  if (tenant.empty()) {
    auto all = (*store)->ListTenants();
    if (!all.ok()) return Fail(all.status());
    tenants = std::move(*all);
  } else {
    tenants.push_back(tenant);
  }
  nlohmann::json per_tenant = nlohmann::json::array();
  uint64_t sessions = 0, turns = 0, bytes = 0;
  for (const auto& t : tenants) {
    auto st = (*store)->GetTenantStats(t);
    if (!st.ok()) return Fail(st.status());
    sessions += st->sessions;
    turns += st->turns;
    bytes += st->bytes;
    per_tenant.push_back({{"tenant", t}, {"sessions", st->sessions}, {"turns", st->turns}, {"bytes", st->bytes}});
  }
  if (as_json) {
    nlohmann::json out = {{"tenants", tenants.size()}, {"sessions", sessions}, {"turns", turns},
                          {"bytes", bytes}, {"by_tenant", per_tenant}};
    std::cout << out.dump(2) << "\n";
  } else {
    std::printf("tenants   %zu\nsessions  %llu\nturns     %llu\nbytes     %llu\n", tenants.size(),
                static_cast<unsigned long long>(sessions), static_cast<unsigned long long>(turns),
                static_cast<unsigned long long>(bytes));
    for (const auto& row : per_tenant) {
      std::printf("  %-24s %6llu sessions %8llu turns %10llu bytes\n", row["tenant"].get<std::string>().c_str(),
                  row["sessions"].get<unsigned long long>(), row["turns"].get<unsigned long long>(),
                  row["bytes"].get<unsigned long long>());
    }
  }
  return kExitOk;
}

int RunExport(const std::string& store_path, const std::string& tenant) {
  auto store = OpenStore(store_path, /*log_only=*/true, /*create_if_missing=*/false,
                         /*read_only=*/true);
  if (!store.ok()) return Fail(store.status());
  auto turns = (*store)->ScanTurns(tenant);
  if (!turns.ok()) return Fail(turns.status());
  for (const auto& st : *turns) std::cout << FormatTurnLine(tenant, st.turn) << "\n";
  std::cout.flush();
  if (!std::cout) return Fail(Status::IOError("cannot write to standard output"));
  return kExitOk;
}

int RunForget(const std::string& store_path, const std::string& tenant, bool as_json) {
  auto store = OpenStore(store_path, /*log_only=*/false, /*create_if_missing=*/false);
  if (!store.ok()) return Fail(store.status());
  WriteOptions wo;
  wo.sync = true;
  auto report = (*store)->ForgetTenant(tenant, wo);
  if (!report.ok()) return Fail(report.status());
  if (as_json) {
    nlohmann::json out = {{"tenant", tenant}, {"removed", report->removed}};
    std::cout << out.dump(2) << "\n";
  } else {
    std::printf("forgot tenant %s:\n", tenant.c_str());
    for (const auto& [kind, n] : report->removed) std::printf("  %-16s %llu\n", kind.c_str(), static_cast<unsigned long long>(n));
  }
  return kExitOk;
}

}  // namespace

void AddLogCommands(CLI::App& app, int* exit_code) {
  struct Args {
    std::string store, tenant, format = "jsonl";
    bool sync = false, json = false;
    std::vector<std::string> files;
  };
  auto args = std::make_shared<Args>();

  auto* ingest = app.add_subcommand("ingest", "record conversation turns (JSONL or LoCoMo JSON)");
  ingest->add_option("--store", args->store, "store folder")->required();
  ingest->add_option("--format", args->format, "jsonl (default) or locomo")->check(CLI::IsMember({"jsonl", "locomo"}));
  ingest->add_flag("--sync", args->sync, "fsync every batch before going on");
  ingest->add_option("files", args->files, "input files")->required()->check(CLI::ExistingFile);
  ingest->callback([=]() { *exit_code = RunIngest(args->store, args->format, args->sync, args->files); });

  auto* stats = app.add_subcommand("stats", "what the store holds: tenants, sessions, turns, bytes");
  stats->add_option("--store", args->store, "store folder")->required();
  stats->add_option("--tenant", args->tenant, "only this tenant");
  stats->add_flag("--json", args->json, "print JSON");
  stats->callback([=]() { *exit_code = RunStats(args->store, args->tenant, args->json); });

  auto* exp = app.add_subcommand("export", "print a tenant's turns as JSONL, in the order observed");
  exp->add_option("--store", args->store, "store folder")->required();
  exp->add_option("--tenant", args->tenant, "tenant")->required();
  exp->callback([=]() { *exit_code = RunExport(args->store, args->tenant); });

  auto* forget = app.add_subcommand("forget", "remove every record of a tenant and report what was removed");
  forget->add_option("--store", args->store, "store folder")->required();
  forget->add_option("--tenant", args->tenant, "tenant")->required();
  forget->add_flag("--json", args->json, "print JSON");
  forget->callback([=]() { *exit_code = RunForget(args->store, args->tenant, args->json); });
}

}  // namespace engram::cli
