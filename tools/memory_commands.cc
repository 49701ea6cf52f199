// recall, profile, graph, embed, rebuild, reindex: the commands over the
// memory tiers and indexes.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "common/time_format.h"
#include "service/http_json.h"

namespace engram::cli {
namespace {

using nlohmann::json;

// Upper bounds of the numeric options (a usage error beyond them).
constexpr int64_t kMaxK = 1000;
constexpr int64_t kMaxBudgetTokens = 1000000;
constexpr int64_t kMaxHops = 10;  // Store::Graph's own limit
constexpr int64_t kMaxSentences = 100;

Result<TimeMs> ParseTimeArg(const std::string& text) {
  if (text.empty()) return TimeMs{0};
  return ParseIsoTime(text);
}

// What `engram recall` was asked.
struct RecallCommand {
  std::string store_path, tenant, route, speaker, session, from, to, asking_user, agent_name, query;
  size_t k = 10, budget = 0;
  bool as_json = false, explain = false;
  std::vector<std::string> tiers, where;
};

int RunRecall(const RecallCommand& c) {
  const std::string& tenant = c.tenant;
  const std::string& query = c.query;
  const bool as_json = c.as_json, explain = c.explain;
  const size_t budget = c.budget;
  auto from = ParseTimeArg(c.from);
  if (!from.ok()) return Fail(from.status().WithContext("--from"));
  auto to = ParseTimeArg(c.to);
  if (!to.ok()) return Fail(to.status().WithContext("--to"));
  if (*from != 0 && *to != 0 && *to <= *from) {
    return Fail(Status::InvalidArgument("--to " + c.to + " is not after --from " + c.from));
  }
  auto store = OpenStore(c.store_path, false, false, /*read_only=*/true);
  if (!store.ok()) return Fail(store.status());
  WarnIfNoTenant(**store, tenant);
  RecallOptions options;
  options.k = c.k;
  options.route = c.route;
  if (*from != 0) options.from_ms = *from;
  if (*to != 0) options.to_ms = *to;
  options.asking_user = c.asking_user;
  options.agent_name = c.agent_name;
  for (const auto& t : c.tiers) {
    if (t == "working") options.tiers.push_back(Tier::kWorking);
    if (t == "episodic") options.tiers.push_back(Tier::kEpisodic);
    if (t == "persona") options.tiers.push_back(Tier::kPersona);
    if (t == "graph") options.tiers.push_back(Tier::kGraph);
  }
  options.speaker = c.speaker;
  options.session = c.session;
  for (const auto& kv : c.where) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "engram: --where '%s' is not KEY=VALUE\n", Printable(kv).c_str());
      return kExitUsage;
    }
    options.where[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (budget > 0) {
    auto ctx = (*store)->RecallContext(tenant, query, budget, options);
    if (!ctx.ok()) return Fail(ctx.status());
    if (as_json) {
      std::cout << TerminalSafeJson(service::ContextJson(*ctx).dump(2)) << "\n";
    } else {
      std::cout << Printable(ctx->text, /*keep_lines=*/true);
    }
    return kExitOk;
  }
  auto result = (*store)->Recall(tenant, query, options);
  if (!result.ok()) return Fail(result.status());
  if (as_json) {
    std::cout << HitsToJson(*result, 2) << "\n";
    return kExitOk;
  }
  if (explain) {
    const RouteInfo& r = result->route;
    std::printf("route %s (question kind %s)\n", Printable(r.name).c_str(), Printable(r.question_kind).c_str());
    if (!r.targets.empty()) {
      std::printf("  about:");
      for (const auto& t : r.targets) std::printf(" %s", Printable(t).c_str());
      std::printf("\n");
    }
    if (!r.entities.empty()) {
      std::printf("  entities:");
      for (const auto& e : r.entities) std::printf(" %s", Printable(e).c_str());
      std::printf("\n");
    }
    if (r.from_ms != 0 || r.to_ms != 0) {
      std::printf("  time: %s .. %s\n", FormatIsoTime(r.from_ms).c_str(), FormatIsoTime(r.to_ms).c_str());
    }
    std::printf("  weights:");
    for (const auto& [name, w] : r.weights) {
      if (w != 0) std::printf(" %s=%.2f", name.c_str(), w);
    }
    std::printf("\n");
    for (const auto& step : r.steps) std::printf("  - %s\n", Printable(step).c_str());
    std::printf("  embed %lld us, search %lld us\n\n", static_cast<long long>(result->embed_us),
                static_cast<long long>(result->search_us));
  }
  int rank = 0;
  for (const auto& h : result->hits) {
    std::string ids;
    for (const auto& id : h.source_ids) ids += (ids.empty() ? "" : ",") + id;
    std::printf("%2d. %.3f [%s] %s: %s\n", ++rank, h.score, Printable(ids).c_str(), Printable(h.speaker).c_str(),
                Printable(h.text).c_str());
    if (explain) {
      std::printf("      %s %s %s |", Printable(h.kind).c_str(), TierName(h.tier),
                  h.time_ms != 0 ? FormatIsoTime(h.time_ms).c_str() : "-");
      for (const auto& [name, v] : h.signals) std::printf(" %s=%.3f", name.c_str(), v);
      std::printf("\n");
    }
  }
  return kExitOk;
}

int RunProfile(const std::string& store_path, const std::string& tenant, const std::string& speaker,
               const std::string& as_of, bool history, bool as_json) {
  auto t = ParseTimeArg(as_of);
  if (!t.ok()) return Fail(t.status().WithContext("--as-of"));
  auto store = OpenStore(store_path, false, false, /*read_only=*/true);
  if (!store.ok()) return Fail(store.status());
  WarnIfNoTenant(**store, tenant);
  auto facts = (*store)->Profile(tenant, speaker, *t, history);
  if (!facts.ok()) return Fail(facts.status());
  if (as_json) {
    json out = json::array();
    for (const auto& f : *facts) out.push_back(service::FactJson(f));
    std::cout << TerminalSafeJson(json{{"tenant", tenant}, {"facts", out}}.dump(2)) << "\n";
    return kExitOk;
  }
  for (const auto& f : *facts) {
    std::string ids;
    for (const auto& id : f.source_ids) ids += (ids.empty() ? "" : ",") + id;
    std::printf("%-12s %-12s %-30s from %s%s%s  conf %.2f  [%s]\n", Printable(f.subject).c_str(),
                Printable(f.attribute).c_str(), Printable(f.value).c_str(),
                f.valid_from_ms ? FormatIsoDate(f.valid_from_ms).c_str() : "?",
                f.valid_to_ms ? " to " : "", f.valid_to_ms ? FormatIsoDate(f.valid_to_ms).c_str() : "",
                f.confidence, Printable(ids).c_str());
  }
  return kExitOk;
}

// A DOT string literal; a newline becomes a space and other control
// characters visible escapes, so none reaches the output raw.
std::string DotQuote(const std::string& s) {
  std::string line = s;
  std::replace(line.begin(), line.end(), '\n', ' ');
  std::string out = "\"";
  for (char c : Printable(line)) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

int RunGraph(const std::string& store_path, const std::string& tenant, const std::string& entity, int hops,
             const std::string& format, const std::string& as_of, bool no_mentions) {
  auto t = ParseTimeArg(as_of);
  if (!t.ok()) return Fail(t.status().WithContext("--as-of"));
  auto store = OpenStore(store_path, false, false, /*read_only=*/true);
  if (!store.ok()) return Fail(store.status());
  WarnIfNoTenant(**store, tenant);
  auto view = (*store)->Graph(tenant, entity, hops, 500, *t);
  if (!view.ok()) return Fail(view.status());
  if (no_mentions) {
    std::erase_if(view->relations, [](const Relation& r) { return r.relation == "mentioned_with"; });
  }
  auto date = [](TimeMs ms) { return ms ? FormatIsoDate(ms) : std::string("?"); };
  if (format == "dot") {
    std::printf("digraph engram {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n");
    for (const auto& e : view->entities) {
      // "\n" is Graphviz's line break inside a label: added after quoting,
      // so it is not escaped into a literal backslash.
      std::string label = DotQuote(e.name);
      label.insert(label.size() - 1, std::string("\\n(") + EntityTypeName(e.type) + ")");
      std::printf("  %s [label=%s];\n", DotQuote(e.name).c_str(), label.c_str());
    }
    for (const auto& r : view->relations) {
      // A relation a later one replaced: dashed, with when it held.
      if (r.valid_to_ms != 0) {
        const std::string label = r.relation + " (" + date(r.valid_from_ms) + " to " + date(r.valid_to_ms) + ")";
        std::printf("  %s -> %s [label=%s, style=dashed, color=gray40];\n", DotQuote(r.subject).c_str(),
                    DotQuote(r.object).c_str(), DotQuote(label).c_str());
      } else {
        std::printf("  %s -> %s [label=%s];\n", DotQuote(r.subject).c_str(), DotQuote(r.object).c_str(),
                    DotQuote(r.relation).c_str());
      }
    }
    std::printf("}\n");
    return kExitOk;
  }
  json entities = json::array(), relations = json::array();
  for (const auto& e : view->entities) {
    entities.push_back({{"name", e.name}, {"type", EntityTypeName(e.type)}, {"aliases", e.aliases},
                        {"source_ids", e.source_ids}});
  }
  for (const auto& r : view->relations) {
    relations.push_back({{"id", r.id}, {"subject", r.subject}, {"relation", r.relation}, {"object", r.object},
                         {"time", r.time_ms ? json(FormatIsoTime(r.time_ms)) : json(nullptr)},
                         {"valid_from", r.valid_from_ms ? json(FormatIsoTime(r.valid_from_ms)) : json(nullptr)},
                         {"valid_to", r.valid_to_ms ? json(FormatIsoTime(r.valid_to_ms)) : json(nullptr)},
                         {"source_ids", r.source_ids}});
  }
  const json out = {{"tenant", tenant}, {"entity", entity}, {"hops", hops},
                    {"as_of", *t ? json(FormatIsoTime(*t)) : json(nullptr)}, {"entities", entities},
                    {"relations", relations}};
  std::cout << TerminalSafeJson(out.dump(2)) << "\n";
  return kExitOk;
}

int RunEmbed(const std::string& which, const std::string& input, std::vector<std::string> texts) {
  if (!input.empty()) {
    std::ifstream in(input, std::ios::binary);
    if (!in) return Fail(Status::IOError("cannot open '" + input + "'"));
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      texts.push_back(line);
    }
  }
  if (texts.empty()) return Fail(Status::InvalidArgument("no texts: give TEXT arguments or --input FILE"));
  Result<std::unique_ptr<Embedder>> embedder =
      which == "http" ? NewHttpEmbedder() : NewUseLiteEmbedder();
  if (!embedder.ok()) return Fail(embedder.status());
  auto vectors = (*embedder)->Embed(texts);
  if (!vectors.ok()) return Fail(vectors.status());
  const size_t dim = (*embedder)->dim();
  // Printed by hand: one vector per line, full float precision.
  std::string out = "{\"dim\": " + std::to_string(dim) + ", \"identity\": " + json((*embedder)->identity()).dump() +
                    ", \"vectors\": [";
  char buf[32];
  for (size_t i = 0; i < texts.size(); ++i) {
    out += i ? ",\n  [" : "\n  [";
    for (size_t d = 0; d < dim; ++d) {
      std::snprintf(buf, sizeof buf, d ? ", %.9g" : "%.9g", (*vectors)[i * dim + d]);
      out += buf;
    }
    out += "]";
  }
  out += "\n]}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

int RunSummaries(const std::string& store_path, const std::string& tenant, size_t sentences, bool as_json) {
  auto store = OpenStore(store_path, false, false, /*read_only=*/true);
  if (!store.ok()) return Fail(store.status());
  WarnIfNoTenant(**store, tenant);
  auto summaries = (*store)->Summaries(tenant, sentences);
  if (!summaries.ok()) return Fail(summaries.status());
  if (as_json) {
    json out = json::array();
    for (const auto& s : *summaries) {
      out.push_back({{"session", s.session}, {"from", s.from_ms ? json(FormatIsoTime(s.from_ms)) : json(nullptr)},
                     {"to", s.to_ms ? json(FormatIsoTime(s.to_ms)) : json(nullptr)}, {"text", s.text},
                     {"source_ids", s.source_ids}});
    }
    std::cout << TerminalSafeJson(json{{"tenant", tenant}, {"sessions", out}}.dump(2)) << "\n";
    return kExitOk;
  }
  for (const auto& s : *summaries) {
    std::printf("%s (%s): %s\n", Printable(s.session).c_str(), s.from_ms ? FormatIsoDate(s.from_ms).c_str() : "?",
                Printable(s.text).c_str());
  }
  return kExitOk;
}

int RunRebuild(const std::string& store_path, bool reembed) {
  Options options;
  options.create_if_missing = false;
  options.reembed = reembed;
  auto store = Store::Open(options, store_path);
  if (!store.ok()) return Fail(store.status());
  Status s = (*store)->Rebuild();
  if (!s.ok()) return Fail(s);
  std::fprintf(stderr, "engram: rebuilt the derived indexes of %s from the log\n", Printable(store_path).c_str());
  return kExitOk;
}

}  // namespace

std::string HitsToJson(const RecallResult& result, int indent) {
  json out = service::RecallJson(result);
  out["latency_us"] = {{"embed", result.embed_us}, {"search", result.search_us}};
  return TerminalSafeJson(out.dump(indent));
}

void AddMemoryCommands(CLI::App& app, int* exit_code) {
  struct Args {
    std::string store, tenant, speaker, as_of, entity, format = "json", route = "auto", embedder = "use-lite", input;
    size_t k = 10, budget = 0, sentences = 3;
    int hops = 1;
    bool json = false, explain = false, history = false, no_mentions = false;
    std::vector<std::string> words, tiers, where;
    std::string session, from, to, asking_user, agent_name;
  };
  auto a = std::make_shared<Args>();

  auto* recall = app.add_subcommand("recall", "what the store remembers for a question");
  recall->add_option("--store", a->store, "store folder")->required();
  recall->add_option("--tenant", a->tenant, "tenant")->required();
  recall->add_option("--k", a->k, "hits to return (default 10)")->check(InRange(1, kMaxK));
  recall->add_option("--route", a->route, "auto (default), hybrid, bm25, vector, or a question kind");
  recall->add_option("--budget", a->budget, "pack a prompt-ready context of at most this many tokens")
      ->check(InRange(1, kMaxBudgetTokens));
  recall->add_option("--tier", a->tiers, "tiers to search (repeatable): episodic (default), persona, graph, working")
      ->check(CLI::IsMember({"episodic", "persona", "graph", "working"}));
  recall->add_option("--speaker", a->speaker, "only what this participant said");
  recall->add_option("--session", a->session, "only this session");
  recall->add_option("--where", a->where, "only turns whose metadata has KEY=VALUE (repeatable; all must hold)");
  recall->add_option("--from", a->from, "only what was said at or after this time (ISO 8601)");
  recall->add_option("--to", a->to, "only what was said before this time (ISO 8601)");
  recall->add_option("--asking-user", a->asking_user, "who \"I\" and \"my\" in the question are");
  recall->add_option("--agent-name", a->agent_name, "who \"you\" in the question is");
  recall->add_flag("--json", a->json, "print JSON");
  recall->add_flag("--explain", a->explain, "show the route and each hit's per-signal scores");
  recall->add_option("query", a->words, "the question")->required();
  recall->callback([=]() {
    std::string query;
    for (const auto& w : a->words) query += (query.empty() ? "" : " ") + w;
    RecallCommand c;
    c.store_path = a->store;
    c.tenant = a->tenant;
    c.k = a->k;
    c.as_json = a->json;
    c.explain = a->explain;
    c.route = a->route;
    c.budget = a->budget;
    c.tiers = a->tiers;
    c.speaker = a->speaker;
    c.session = a->session;
    c.where = a->where;
    c.from = a->from;
    c.to = a->to;
    c.asking_user = a->asking_user;
    c.agent_name = a->agent_name;
    c.query = query;
    *exit_code = RunRecall(c);
  });

  auto* profile = app.add_subcommand("profile", "persona facts valid at a time, with their sources");
  profile->add_option("--store", a->store, "store folder")->required();
  profile->add_option("--tenant", a->tenant, "tenant")->required();
  profile->add_option("--speaker", a->speaker, "only this participant");
  profile->add_option("--as-of", a->as_of, "ISO 8601 time (default: now)");
  profile->add_flag("--history", a->history, "closed facts too");
  profile->add_flag("--json", a->json, "print JSON");
  profile->callback([=]() { *exit_code = RunProfile(a->store, a->tenant, a->speaker, a->as_of, a->history, a->json); });

  auto* graph = app.add_subcommand("graph", "the entity graph around an entity, as JSON or Graphviz DOT");
  graph->add_option("--store", a->store, "store folder")->required();
  graph->add_option("--tenant", a->tenant, "tenant")->required();
  graph->add_option("--entity", a->entity, "start here (default: the whole graph)");
  graph->add_option("--hops", a->hops, "hops from the entity (default 1)")->check(InRange(0, kMaxHops));
  graph->add_option("--format", a->format, "json (default) or dot")->check(CLI::IsMember({"json", "dot"}));
  graph->add_option("--as-of", a->as_of, "ISO 8601 time: the graph as it was then (default: every relation)");
  graph->add_flag("--no-mentions", a->no_mentions, "leave out mentioned_with edges (co-occurrence)");
  graph->callback([=]() {
    *exit_code = RunGraph(a->store, a->tenant, a->entity, a->hops, a->format, a->as_of, a->no_mentions);
  });

  auto* embed = app.add_subcommand("embed", "embed texts and print the vectors as JSON");
  embed->add_option("--embedder", a->embedder, "use-lite (default) or http (ENGRAM_EMBED_URL, ENGRAM_EMBED_MODEL)")
      ->check(CLI::IsMember({"use-lite", "http"}));
  embed->add_flag("--json", a->json, "print JSON (the only format)");
  embed->add_option("--input", a->input, "read one text per line from FILE");
  embed->add_option("texts", a->words, "texts to embed");
  embed->callback([=]() { *exit_code = RunEmbed(a->embedder, a->input, a->words); });

  auto* summaries = app.add_subcommand("summaries", "an extractive summary of every session of a tenant");
  summaries->add_option("--store", a->store, "store folder")->required();
  summaries->add_option("--tenant", a->tenant, "tenant")->required();
  summaries->add_option("--sentences", a->sentences, "statements per session (default 3)")
      ->check(InRange(1, kMaxSentences));
  summaries->add_flag("--json", a->json, "print JSON");
  summaries->callback([=]() { *exit_code = RunSummaries(a->store, a->tenant, a->sentences, a->json); });

  auto* rebuild = app.add_subcommand("rebuild", "throw the derived indexes away and rebuild them from the log");
  rebuild->add_option("--store", a->store, "store folder")->required();
  rebuild->callback([=]() { *exit_code = RunRebuild(a->store, false); });

  auto* reindex = app.add_subcommand("reindex", "re-embed the store with the current embedder and rebuild");
  reindex->add_option("--store", a->store, "store folder")->required();
  reindex->callback([=]() { *exit_code = RunRebuild(a->store, true); });
}

}  // namespace engram::cli
