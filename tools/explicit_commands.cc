// remember, core: the commands that write memory directly (explicit facts
// and relations, core memory blocks).
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "common/time_format.h"

namespace engram::cli {
namespace {

using nlohmann::json;

json TimeOrNull(TimeMs t) { return t != 0 ? json(FormatIsoTime(t)) : json(nullptr); }

json BlockToJson(const CoreBlock& b) {
  return {{"name", b.name}, {"text", b.text}, {"version", b.version}, {"updated", TimeOrNull(b.updated_ms)}};
}

struct RememberArgs {
  std::string store, tenant, subject, attribute, value, relation, object, from, to;
  bool json = false;
};

int RunRemember(const RememberArgs& a) {
  const bool fact = !a.attribute.empty() || !a.value.empty();
  const bool relation = !a.relation.empty() || !a.object.empty();
  if (fact == relation || (fact && (a.attribute.empty() || a.value.empty())) ||
      (relation && (a.relation.empty() || a.object.empty()))) {
    std::fprintf(stderr, "engram: give either --attribute and --value (a fact) or --relation and --object (a relation)\n");
    return kExitUsage;
  }
  TimeMs from = 0, to = 0;
  if (!a.from.empty()) {
    auto t = ParseIsoTime(a.from);
    if (!t.ok()) return Fail(t.status().WithContext("--from"));
    from = *t;
  }
  if (!a.to.empty()) {
    auto t = ParseIsoTime(a.to);
    if (!t.ok()) return Fail(t.status().WithContext("--to"));
    to = *t;
  }
  auto store = OpenStore(a.store, /*log_only=*/false, /*create_if_missing=*/true);
  if (!store.ok()) return Fail(store.status());
  WriteOptions wo;
  wo.sync = true;
  Result<std::string> id = std::string();
  std::string said;
  if (fact) {
    PersonaFact f;
    f.subject = a.subject;
    f.attribute = a.attribute;
    f.value = a.value;
    f.valid_from_ms = from;
    f.valid_to_ms = to;
    id = (*store)->RememberFact(a.tenant, f, wo);
    said = a.subject + " " + a.attribute + ": " + a.value;
  } else {
    Relation r;
    r.subject = a.subject;
    r.relation = a.relation;
    r.object = a.object;
    r.valid_from_ms = from;
    r.valid_to_ms = to;
    id = (*store)->RememberRelation(a.tenant, r, wo);
    said = a.subject + " " + a.relation + " " + a.object;
  }
  if (!id.ok()) return Fail(id.status());
  if (a.json) {
    json out = {{"tenant", a.tenant}, {"id", *id}, {"kind", fact ? "fact" : "relation"}, {"subject", a.subject},
                {"valid_from", TimeOrNull(from)}, {"valid_to", TimeOrNull(to)}};
    if (fact) {
      out["attribute"] = a.attribute;
      out["value"] = a.value;
    } else {
      out["relation"] = a.relation;
      out["object"] = a.object;
    }
    std::cout << TerminalSafeJson(out.dump(2)) << "\n";
  } else {
    std::printf("remembered %s: %s\n", Printable(*id).c_str(), Printable(said).c_str());
  }
  return kExitOk;
}

struct CoreArgs {
  std::string store, tenant;
  std::vector<std::string> words;  // [show | set NAME TEXT | append NAME TEXT | history NAME]
  bool json = false;
};

int RunCore(const CoreArgs& a) {
  const std::string action = a.words.empty() ? "show" : a.words[0];
  const size_t want = action == "show" ? 1 : action == "history" ? 2 : action == "set" || action == "append" ? 3 : 0;
  if (want == 0) {
    std::fprintf(stderr, "engram: unknown core action '%s' (show, set NAME TEXT, append NAME TEXT, history NAME)\n",
                 Printable(action).c_str());
    return kExitUsage;
  }
  // set and append take the rest of the words as the text.
  if (a.words.size() < want && !(action == "show" && a.words.empty())) {
    std::fprintf(stderr, "engram: core %s needs %s\n", action.c_str(),
                 action == "history" ? "NAME" : "NAME TEXT (an empty TEXT \"\" with set deletes the block)");
    return kExitUsage;
  }
  if (action == "show" || action == "history") {
    if (a.words.size() > want) {
      std::fprintf(stderr, "engram: core %s takes no more words\n", action.c_str());
      return kExitUsage;
    }
    auto store = OpenStore(a.store, /*log_only=*/true, /*create_if_missing=*/false, /*read_only=*/true);
    if (!store.ok()) return Fail(store.status());
    WarnIfNoTenant(**store, a.tenant);
    auto blocks = action == "show" ? (*store)->CoreMemory(a.tenant) : (*store)->CoreBlockHistory(a.tenant, a.words[1]);
    if (!blocks.ok()) return Fail(blocks.status());
    if (a.json) {
      json out = json::array();
      for (const auto& b : *blocks) out.push_back(BlockToJson(b));
      std::cout << TerminalSafeJson(json{{"tenant", a.tenant}, {action == "show" ? "blocks" : "versions", out}}.dump(2))
                << "\n";
      return kExitOk;
    }
    for (const auto& b : *blocks) {
      std::printf("## %s (version %u, %s)\n%s\n", Printable(b.name).c_str(), b.version,
                  b.updated_ms ? FormatIsoTime(b.updated_ms).c_str() : "?",
                  b.text.empty() ? "(deleted)" : Printable(b.text, /*keep_lines=*/true).c_str());
    }
    return kExitOk;
  }
  std::string text;
  for (size_t i = 2; i < a.words.size(); ++i) text += (i > 2 ? " " : "") + a.words[i];
  auto store = OpenStore(a.store, /*log_only=*/true, /*create_if_missing=*/true);
  if (!store.ok()) return Fail(store.status());
  WriteOptions wo;
  wo.sync = true;
  auto block = action == "set" ? (*store)->SetCoreBlock(a.tenant, a.words[1], text, wo)
                               : (*store)->AppendCoreBlock(a.tenant, a.words[1], text, wo);
  if (!block.ok()) return Fail(block.status());
  if (a.json) {
    std::cout << TerminalSafeJson(BlockToJson(*block).dump(2)) << "\n";
  } else if (block->text.empty()) {
    std::printf("deleted core block %s (version %u kept in its history)\n", Printable(block->name).c_str(),
                block->version);
  } else {
    std::printf("core block %s is now version %u (%zu bytes)\n", Printable(block->name).c_str(), block->version,
                block->text.size());
  }
  return kExitOk;
}

}  // namespace

void AddExplicitMemoryCommands(CLI::App& app, int* exit_code) {
  auto r = std::make_shared<RememberArgs>();
  auto* remember = app.add_subcommand("remember", "write a persona fact or a relation directly (provenance explicit)");
  remember->add_option("--store", r->store, "store folder")->required();
  remember->add_option("--tenant", r->tenant, "tenant")->required();
  remember->add_option("--subject", r->subject, "who or what it is about")->required();
  remember->add_option("--attribute", r->attribute, "a fact's attribute (occupation, home, likes, ...)");
  remember->add_option("--value", r->value, "a fact's value");
  remember->add_option("--relation", r->relation, "a relation's name (lives_in, sister_of, ...)");
  remember->add_option("--object", r->object, "a relation's object");
  remember->add_option("--from", r->from, "ISO 8601 time it became true (default: unknown)");
  remember->add_option("--to", r->to, "ISO 8601 time it stopped being true (default: still true)");
  remember->add_flag("--json", r->json, "print JSON");
  remember->callback([=]() { *exit_code = RunRemember(*r); });

  auto c = std::make_shared<CoreArgs>();
  auto* core = app.add_subcommand("core", "show or change a tenant's core memory blocks (placed first in contexts)");
  core->add_option("--store", c->store, "store folder")->required();
  core->add_option("--tenant", c->tenant, "tenant")->required();
  core->add_flag("--json", c->json, "print JSON");
  core->add_option("action", c->words, "show (default) | set NAME TEXT | append NAME TEXT | history NAME");
  core->callback([=]() { *exit_code = RunCore(*c); });
}

}  // namespace engram::cli
