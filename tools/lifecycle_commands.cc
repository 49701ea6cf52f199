// engram forget (one memory), engram update, engram history: deleting and
// correcting single memories.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "common/time_format.h"

namespace engram::cli {
namespace {

using nlohmann::json;

json ReportToJson(const std::string& tenant, const ForgetReport& report) {
  return {{"tenant", tenant},          {"removed", report.removed},
          {"kept", report.kept},       {"dry_run", report.dry_run},
          {"disk_checked", report.disk_checked}, {"files_checked", report.files_checked}};
}

void PrintReport(const std::string& what, const ForgetReport& report) {
  std::printf("%s %s:\n", report.dry_run ? "would forget" : "forgot", Printable(what).c_str());
  for (const auto& [kind, n] : report.removed) {
    if (n != 0) std::printf("  removed %-18s %llu\n", kind.c_str(), static_cast<unsigned long long>(n));
  }
  for (const auto& [kind, n] : report.kept) {
    if (n != 0) {
      std::printf("  kept    %-18s %llu (other turns support them; this source is gone)\n", kind.c_str(),
                  static_cast<unsigned long long>(n));
    }
  }
  if (report.disk_checked) {
    std::printf("  erased from disk: %llu files searched, none holds the forgotten text\n",
                static_cast<unsigned long long>(report.files_checked));
  }
}

json TurnToJson(const Turn& t) {
  return {{"source_id", t.source_id}, {"session", t.session}, {"speaker", t.speaker}, {"text", t.text},
          {"time", t.time_ms != 0 ? json(FormatIsoTime(t.time_ms)) : json(nullptr)}, {"metadata", t.metadata}};
}

int RunUpdate(const std::string& store_path, const std::string& tenant, const std::string& source_id,
              const std::string& text, bool as_json) {
  auto store = OpenStore(store_path, /*log_only=*/false, /*create_if_missing=*/false);
  if (!store.ok()) return Fail(store.status());
  Status known = RequireTenant(**store, tenant);
  if (!known.ok()) return Fail(known);
  WriteOptions wo;
  wo.sync = true;
  auto version = (*store)->Update(tenant, source_id, text, wo);
  if (!version.ok()) return Fail(version.status());
  if (as_json) {
    std::cout << TerminalSafeJson(json{{"tenant", tenant}, {"source_id", source_id}, {"version", *version}}.dump(2))
              << "\n";
  } else {
    std::printf("updated %s: version %u (engram history shows every version)\n", Printable(source_id).c_str(),
                *version);
  }
  return kExitOk;
}

int RunHistory(const std::string& store_path, const std::string& tenant, const std::string& source_id, bool as_json) {
  auto store = OpenStore(store_path, /*log_only=*/true, /*create_if_missing=*/false, /*read_only=*/true);
  if (!store.ok()) return Fail(store.status());
  Status known = RequireTenant(**store, tenant);
  if (!known.ok()) return Fail(known);
  auto versions = (*store)->History(tenant, source_id);
  if (!versions.ok()) return Fail(versions.status());
  if (as_json) {
    json out = json::array();
    for (const auto& v : *versions) {
      out.push_back({{"version", v.version},
                     {"replaced", v.replaced_ms != 0 ? json(FormatIsoTime(v.replaced_ms)) : json(nullptr)},
                     {"turn", TurnToJson(v.turn)}});
    }
    std::cout << TerminalSafeJson(json{{"tenant", tenant}, {"source_id", source_id}, {"versions", out}}.dump(2))
              << "\n";
  } else {
    for (const auto& v : *versions) {
      const std::string when = v.replaced_ms != 0 ? "replaced " + FormatIsoTime(v.replaced_ms) : "current";
      std::printf("v%u (%s): %s\n", v.version, when.c_str(), Printable(v.turn.text).c_str());
    }
  }
  return kExitOk;
}

}  // namespace

int RunForgetMemory(const std::string& store_path, const std::string& tenant, const std::string& source_id,
                    const std::string& fact, const std::string& relation, bool dry_run, bool as_json) {
  // With the derived tiers: fact and relation ids are theirs, and the report
  // says which facts a forgotten turn leaves behind.
  auto store = OpenStore(store_path, /*log_only=*/false, /*create_if_missing=*/false);
  if (!store.ok()) return Fail(store.status());
  Status known = RequireTenant(**store, tenant);
  if (!known.ok()) return Fail(known);
  ForgetOptions fo;
  fo.sync = true;  // and erased from disk
  fo.dry_run = dry_run;
  Result<ForgetReport> report = Status::Internal("nothing to forget");
  std::string what;
  if (!source_id.empty()) {
    report = (*store)->Forget(tenant, source_id, fo);
    what = "turn " + source_id;
  } else if (!fact.empty()) {
    report = (*store)->ForgetFact(tenant, fact, fo);
    what = "fact " + fact;
  } else if (!relation.empty()) {
    report = (*store)->ForgetRelation(tenant, relation, fo);
    what = "relation " + relation;
  } else {
    report = (*store)->ForgetTenant(tenant, fo);
    what = "tenant " + tenant;
  }
  if (!report.ok()) return Fail(report.status());
  if (as_json) {
    std::cout << TerminalSafeJson(ReportToJson(tenant, *report).dump(2)) << "\n";
  } else {
    PrintReport(what, *report);
  }
  return kExitOk;
}

void AddLifecycleCommands(CLI::App& app, int* exit_code) {
  struct Args {
    std::string store, tenant, source_id, text;
    bool json = false;
  };
  auto args = std::make_shared<Args>();

  auto* update = app.add_subcommand("update", "correct the text of a stored turn (the old text stays in its history)");
  update->add_option("--store", args->store, "store folder")->required();
  update->add_option("--tenant", args->tenant, "tenant")->required();
  update->add_option("--source-id", args->source_id, "the turn's source id")->required();
  update->add_option("--text", args->text, "the corrected text")->required();
  update->add_flag("--json", args->json, "print JSON");
  update->callback(
      [=]() { *exit_code = RunUpdate(args->store, args->tenant, args->source_id, args->text, args->json); });

  auto* history = app.add_subcommand("history", "every version of a stored turn, oldest first");
  history->add_option("--store", args->store, "store folder")->required();
  history->add_option("--tenant", args->tenant, "tenant")->required();
  history->add_option("--source-id", args->source_id, "the turn's source id")->required();
  history->add_flag("--json", args->json, "print JSON");
  history->callback([=]() { *exit_code = RunHistory(args->store, args->tenant, args->source_id, args->json); });
}

}  // namespace engram::cli
