// ingest, stats, export, forget: the commands over the event log.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <unistd.h>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "store/conversation_io.h"
#include "store/turn_validation.h"

namespace engram::cli {
namespace {

// What an ingest did, for the closing report.
struct IngestCounts {
  size_t added = 0;           // turns new to the store
  size_t already_stored = 0;  // turns whose (tenant, id) was stored before, or repeated in the input
  size_t rejected = 0;        // lines or turns refused (the ingest stops at the first)
  // Each refused line or turn: where it is ("turns.jsonl:7") and why.
  std::vector<std::pair<std::string, std::string>> rejections;
};

std::string Plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// Turns of one tenant waiting to be written as one batch. Each turn is
// checked when it is added, so a batch holds only turns the store accepts:
// a bad turn is refused alone, after the turns before it are written.
class PendingBatch {
 public:
  PendingBatch(Store& store, const Options& options, WriteOptions wo) : store_(store), options_(options), wo_(wo) {}

  // `where` names the turn's origin in errors ("turns.jsonl:7").
  Status Add(TenantTurn&& tt, const std::string& where) {
    Status valid = ValidateTenant(tt.tenant, options_);
    if (valid.ok()) valid = ValidateTurn(tt.turn, options_);
    if (!valid.ok()) {
      CountRejected(where, valid.message());
      ENGRAM_RETURN_IF_ERROR(Flush());
      return valid.WithContext(where);
    }
    if (!turns_.empty() && tt.tenant != tenant_) ENGRAM_RETURN_IF_ERROR(Flush());
    tenant_ = std::move(tt.tenant);
    turns_.push_back(std::move(tt.turn));
    if (turns_.size() >= kMaxBatch) return Flush();
    return Status::OK();
  }

  Status Flush() {
    if (turns_.empty()) return Status::OK();
    // Which turns the store already holds, to report new and repeated turns
    // apart (ObserveBatch returns the stored sequence number for those).
    std::vector<bool> stored_before(turns_.size(), false);
    for (size_t i = 0; i < turns_.size(); ++i) {
      if (turns_[i].source_id.empty()) continue;
      auto existing = store_.GetTurnBySourceId(tenant_, turns_[i].source_id);
      if (existing.ok()) {
        stored_before[i] = true;
      } else if (!existing.status().IsNotFound()) {
        return existing.status();
      }
    }
    auto seqs = store_.ObserveBatch(tenant_, turns_, wo_);
    if (!seqs.ok()) return seqs.status().WithContext("tenant '" + tenant_ + "'");
    std::unordered_set<uint64_t> added_seqs;
    for (size_t i = 0; i < turns_.size(); ++i) {
      // A repeat of an id earlier in the same batch gets the same sequence number.
      if (!stored_before[i] && added_seqs.insert((*seqs)[i]).second) {
        ++counts_.added;
      } else {
        ++counts_.already_stored;
      }
    }
    turns_.clear();
    Progress();
    return Status::OK();
  }

  const IngestCounts& counts() const { return counts_; }
  void CountRejected(std::string where, std::string reason) {
    ++counts_.rejected;
    counts_.rejections.emplace_back(std::move(where), std::move(reason));
  }

 private:
  static constexpr size_t kMaxBatch = 256;

  void Progress() {
    const size_t done = counts_.added + counts_.already_stored;
    if (done - reported_ < 5000) return;
    reported_ = done;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "engram: read %zu turns (%.0f turns/s)\n", done, done / std::max(s, 1e-9));
  }

  Store& store_;
  const Options options_;
  WriteOptions wo_;
  std::string tenant_;
  std::vector<Turn> turns_;
  IngestCounts counts_;
  size_t reported_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// The name used for `file` in messages: "-" is standard input.
std::string DisplayName(const std::string& file) { return file == "-" ? "<stdin>" : file; }

Status IngestLocomo(const std::string& file, PendingBatch& pending) {
  auto convs = file == "-" ? ReadLocomo(std::cin, DisplayName(file)) : ReadLocomo(file);
  if (!convs.ok()) {
    if (convs.status().IsInvalidArgument()) pending.CountRejected(DisplayName(file), convs.status().message());
    return convs.status();
  }
  for (auto& conv : *convs) {
    for (auto& turn : conv.turns) {
      const std::string where = DisplayName(file) + ": sample '" + conv.sample_id + "' turn '" + turn.source_id + "'";
      ENGRAM_RETURN_IF_ERROR(pending.Add(TenantTurn{conv.sample_id, std::move(turn), {}}, where));
    }
  }
  return Status::OK();
}

Status IngestJsonl(const std::string& file, PendingBatch& pending) {
  bool refused_by_store = false;
  auto add = [&](size_t line_no, TenantTurn&& tt) {
    Status s = pending.Add(std::move(tt), DisplayName(file) + ":" + std::to_string(line_no));
    refused_by_store = !s.ok();
    return s;
  };
  // Unknown fields are ignored, but said: a misspelt "sesion" would
  // otherwise put every turn in the default session without a word.
  auto warn = [](const std::string& message) {
    std::fprintf(stderr, "engram: warning: %s\n", Printable(message).c_str());
  };
  Status s = file == "-" ? ReadTurnsJsonl(std::cin, DisplayName(file), add, warn) : ReadTurnsJsonl(file, add, warn);
  // A line that does not parse is rejected by the reader, before Add; its
  // message starts with "FILE:LINE: ".
  if (!s.ok() && !refused_by_store && s.IsInvalidArgument()) {
    const std::string message = s.message();
    const size_t colon = message.find(": ", DisplayName(file).size() + 1);
    pending.CountRejected(message.substr(0, colon),
                          colon == std::string::npos ? message : message.substr(colon + 2));
  }
  return s;
}

int RunIngest(const std::string& store_path, const std::string& format, bool sync, bool as_json,
              const std::vector<std::string>& files) {
  if (std::count(files.begin(), files.end(), "-") > 1) {
    std::fprintf(stderr, "engram: '-' (standard input) may be given only once\n");
    return kExitUsage;
  }
  auto store = OpenStore(store_path, /*log_only=*/false, /*create_if_missing=*/true);
  if (!store.ok()) return Fail(store.status());
  WriteOptions wo;
  wo.sync = sync;
  PendingBatch pending(**store, Options(), wo);  // OpenStore keeps the default limits
  Status s;
  for (const auto& file : files) {
    s = format == "locomo" ? IngestLocomo(file, pending) : IngestJsonl(file, pending);
    // The turns before a bad one stay stored.
    Status flushed = pending.Flush();
    if (s.ok()) s = flushed;
    if (!s.ok()) break;
  }
  int exit_code = s.ok() ? kExitOk : Fail(s);
  const IngestCounts& n = pending.counts();
  std::fprintf(stderr, "engram: ingested %s, %zu already stored, %zu rejected into %s\n",
               Plural(n.added, "new turn", "new turns").c_str(), n.already_stored, n.rejected,
               Printable(store_path).c_str());
  if (as_json) {
    nlohmann::json rejected = nlohmann::json::array();
    for (const auto& [where, reason] : n.rejections) rejected.push_back({{"where", where}, {"reason", reason}});
    const nlohmann::json out = {{"store", store_path}, {"new", n.added}, {"already_stored", n.already_stored},
                                {"rejected", n.rejected}, {"rejections", rejected}, {"ok", exit_code == kExitOk}};
    std::cout << TerminalSafeJson(out.dump(2)) << "\n";
  }
  return exit_code;
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
    Status known = RequireTenant(**store, tenant);
    if (!known.ok()) return Fail(known);
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
    std::cout << TerminalSafeJson(out.dump(2)) << "\n";
  } else {
    std::printf("tenants   %zu\nsessions  %llu\nturns     %llu\nbytes     %llu\n", tenants.size(),
                static_cast<unsigned long long>(sessions), static_cast<unsigned long long>(turns),
                static_cast<unsigned long long>(bytes));
    for (const auto& row : per_tenant) {
      std::printf("  %-24s %6llu sessions %8llu turns %10llu bytes\n",
                  Printable(row["tenant"].get<std::string>()).c_str(),
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
  Status known = RequireTenant(**store, tenant);
  if (!known.ok()) return Fail(known);
  auto turns = (*store)->ScanTurns(tenant);
  if (!turns.ok()) return Fail(turns.status());
  for (const auto& st : *turns) std::cout << TerminalSafeJson(FormatTurnLine(tenant, st.turn)) << "\n";
  std::cout.flush();
  if (!std::cout) return Fail(Status::IOError("cannot write to standard output"));
  return kExitOk;
}

int RunForget(const std::string& store_path, const std::string& tenant, bool as_json) {
  auto store = OpenStore(store_path, /*log_only=*/false, /*create_if_missing=*/false);
  if (!store.ok()) return Fail(store.status());
  WriteOptions wo;
  wo.sync = true;
  Status known = RequireTenant(**store, tenant);
  if (!known.ok()) return Fail(known);
  auto report = (*store)->ForgetTenant(tenant, wo);
  if (!report.ok()) return Fail(report.status());
  if (as_json) {
    nlohmann::json out = {{"tenant", tenant}, {"removed", report->removed}};
    std::cout << TerminalSafeJson(out.dump(2)) << "\n";
  } else {
    std::printf("forgot tenant %s:\n", Printable(tenant).c_str());
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
  ingest->add_flag("--json", args->json, "also print the report as JSON on standard output");
  ingest->add_option("files", args->files, "input files; - reads standard input")
      ->required()
      ->check(CLI::Validator(
          [](std::string& file) { return file == "-" ? std::string() : CLI::ExistingFile(file); }, "FILE or -"));
  ingest->callback([=]() { *exit_code = RunIngest(args->store, args->format, args->sync, args->json, args->files); });

  auto* stats = app.add_subcommand("stats", "what the store holds: tenants, sessions, turns, bytes");
  stats->add_option("--store", args->store, "store folder")->required();
  stats->add_option("--tenant", args->tenant, "only this tenant");
  stats->add_flag("--json", args->json, "print JSON");
  stats->callback([=]() { *exit_code = RunStats(args->store, args->tenant, args->json); });

  auto* exp = app.add_subcommand("export", "print a tenant's turns as JSONL, in the order observed");
  exp->add_option("--store", args->store, "store folder")->required();
  exp->add_option("--tenant", args->tenant, "tenant")->required();
  exp->callback([=]() { *exit_code = RunExport(args->store, args->tenant); });

  struct ForgetArgs {
    std::string source_id, fact, relation;
    bool dry_run = false;
  };
  auto one = std::make_shared<ForgetArgs>();
  auto* forget = app.add_subcommand(
      "forget", "remove a tenant, or one turn, fact or relation of it, erased from disk; report what was removed");
  forget->add_option("--store", args->store, "store folder")->required();
  forget->add_option("--tenant", args->tenant, "tenant")->required();
  auto* by_source = forget->add_option("--source-id", one->source_id, "only this turn (and what only it supports)");
  auto* by_fact = forget->add_option("--fact", one->fact, "only this persona fact (an id from engram profile --json)");
  auto* by_relation = forget->add_option("--relation", one->relation, "only this relation (an id from engram graph --json)");
  by_source->excludes(by_fact)->excludes(by_relation);
  by_fact->excludes(by_relation);
  forget->add_flag("--dry-run", one->dry_run, "report what would be removed; remove nothing");
  forget->add_flag("--json", args->json, "print JSON");
  forget->callback([=]() {
    if (!one->source_id.empty() || !one->fact.empty() || !one->relation.empty() || one->dry_run) {
      *exit_code = RunForgetMemory(args->store, args->tenant, one->source_id, one->fact, one->relation,
                                   one->dry_run, args->json);
    } else {
      *exit_code = RunForget(args->store, args->tenant, args->json);
    }
  });
}

}  // namespace engram::cli
