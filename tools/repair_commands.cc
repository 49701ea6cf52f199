// check, salvage: the commands for a store that may be damaged.
#include <cstdio>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli.h"

namespace engram::cli {
namespace {

nlohmann::json ProblemsToJson(const std::vector<StoreProblem>& problems) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : problems) out.push_back({{"file", p.file}, {"what", p.what}, {"data_loss_risk", p.data_loss_risk}});
  return out;
}

void PrintProblems(const std::vector<StoreProblem>& problems) {
  for (const auto& p : problems) {
    std::printf("  %s%s%s%s\n", p.data_loss_risk ? "DAMAGED  " : "derived  ", Printable(p.file).c_str(),
                p.file.empty() ? "" : ": ", Printable(p.what).c_str());
  }
}

int RunCheck(const std::string& store_path, bool as_json) {
  auto report = CheckStore(store_path);
  if (!report.ok()) return Fail(report.status());
  bool data_at_risk = false;
  for (const auto& p : report->problems) data_at_risk |= p.data_loss_risk;
  if (as_json) {
    nlohmann::json out = {{"store", report->path},           {"ok", report->ok()},
                          {"log_files", report->log_files},  {"log_records", report->log_records},
                          {"table_files", report->table_files}, {"tenants", report->tenants},
                          {"turns", report->turns},          {"derived_records", report->derived_records},
                          {"problems", ProblemsToJson(report->problems)}};
    std::cout << TerminalSafeJson(out.dump(2)) << "\n";
  } else {
    std::printf("store          %s\nlog files      %llu (%llu records verified)\ntable files    %llu\n"
                "tenants        %llu\nturns          %llu\nderived        %llu\n",
                report->path.c_str(), static_cast<unsigned long long>(report->log_files),
                static_cast<unsigned long long>(report->log_records),
                static_cast<unsigned long long>(report->table_files), static_cast<unsigned long long>(report->tenants),
                static_cast<unsigned long long>(report->turns),
                static_cast<unsigned long long>(report->derived_records));
    if (report->ok()) {
      std::printf("ok: every checksum verified and every record decodes\n");
    } else {
      std::printf("%zu problem(s):\n", report->problems.size());
      PrintProblems(report->problems);
      if (data_at_risk) {
        std::printf("to copy every readable turn to a new store: engram salvage --store %s --out NEW_DIR\n",
                    store_path.c_str());
      } else {
        std::printf("only derived state is damaged; it is rebuilt from the log when the tenant is next loaded "
                    "(or now: engram rebuild --store %s)\n",
                    store_path.c_str());
      }
    }
  }
  // Damage that puts turns at risk is a storage failure; derived damage repairs itself.
  return data_at_risk ? kExitStorage : kExitOk;
}

int RunSalvage(const std::string& store_path, const std::string& out_path, bool as_json) {
  auto report = SalvageStore(store_path, out_path);
  if (!report.ok()) return Fail(report.status());
  if (as_json) {
    nlohmann::json by_tenant = nlohmann::json::object();
    for (const auto& [t, n] : report->turns_by_tenant) by_tenant[t] = n;
    nlohmann::json out = {{"from", report->from},
                          {"to", report->to},
                          {"repaired_manifest", report->repaired_manifest},
                          {"turns_copied", report->turns_copied},
                          {"turns_by_tenant", by_tenant},
                          {"lost_turns", report->lost_turns},
                          {"unreadable_regions", report->unreadable_regions},
                          {"problems", ProblemsToJson(report->problems)}};
    std::cout << TerminalSafeJson(out.dump(2)) << "\n";
  } else {
    std::printf("copied %llu turns of %zu tenants from %s to %s\n",
                static_cast<unsigned long long>(report->turns_copied), report->turns_by_tenant.size(),
                Printable(report->from).c_str(), Printable(report->to).c_str());
    for (const auto& [t, n] : report->turns_by_tenant) {
      std::printf("  %-24s %8llu turns\n", Printable(t).c_str(), static_cast<unsigned long long>(n));
    }
    if (report->repaired_manifest) std::printf("the store's MANIFEST was unusable and was rebuilt in a copy\n");
    if (report->unreadable_regions > 0) {
      std::printf("%llu unreadable region(s) skipped\n", static_cast<unsigned long long>(report->unreadable_regions));
    }
    if (!report->lost_turns.empty()) {
      std::printf("%zu turn(s) known by their source id could not be read:\n", report->lost_turns.size());
      for (const auto& id : report->lost_turns) std::printf("  %s\n", Printable(id).c_str());
    }
    if (!report->problems.empty()) {
      std::printf("problems:\n");
      PrintProblems(report->problems);
    }
  }
  return kExitOk;
}

}  // namespace

void AddRepairCommands(CLI::App& app, int* exit_code) {
  struct Args {
    std::string store, out;
    bool json = false;
  };
  auto args = std::make_shared<Args>();

  auto* check = app.add_subcommand("check", "verify every checksum and record of a store (reads only)");
  check->add_option("--store", args->store, "store folder")->required();
  check->add_flag("--json", args->json, "print JSON");
  check->callback([=]() { *exit_code = RunCheck(args->store, args->json); });

  auto* salvage = app.add_subcommand("salvage", "copy every readable turn of a damaged store into a new store");
  salvage->add_option("--store", args->store, "store folder to read (never written)")->required();
  salvage->add_option("--out", args->out, "new store folder to write")->required();
  salvage->add_flag("--json", args->json, "print JSON");
  salvage->callback([=]() { *exit_code = RunSalvage(args->store, args->out, args->json); });
}

}  // namespace engram::cli
