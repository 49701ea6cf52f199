#include "service/served_store.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <limits>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/httplib_config.h"
#include "common/time_format.h"
#include "log/store_folder.h"
#include "service/http_json.h"

namespace engram::service {
namespace {

using nlohmann::json;

constexpr std::string_view kHolderGone = "no engram process answers";

// `text` as one percent-encoded path segment or query value.
std::string Encode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// "?a=1&b=x" from the pairs whose value is not empty.
std::string Query(std::initializer_list<std::pair<const char*, std::string>> params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (value.empty()) continue;
    out += out.empty() ? '?' : '&';
    out += name;
    out += '=';
    out += Encode(value);
  }
  return out;
}

std::string IsoOrEmpty(TimeMs t) { return t != 0 ? FormatIsoTime(t) : std::string(); }

json TurnBody(const Turn& t) {
  json j = {{"speaker", t.speaker}, {"text", t.text}};
  if (!t.session.empty()) j["session"] = t.session;
  if (!t.source_id.empty()) j["id"] = t.source_id;
  if (t.time_ms != 0) j["time"] = FormatIsoTime(t.time_ms);
  if (!t.metadata.empty()) j["metadata"] = t.metadata;
  return j;
}

json RecallBody(std::string_view question, const RecallOptions& o) {
  json j = {{"question", question},
            {"k", o.k},
            {"route", o.route},
            {"lexical_weight", o.lexical_weight},
            {"vector_weight", o.vector_weight}};
  if (!o.speaker.empty()) j["speaker"] = o.speaker;
  if (!o.session.empty()) j["session"] = o.session;
  if (!o.asking_user.empty()) j["asking_user"] = o.asking_user;
  if (!o.agent_name.empty()) j["agent_name"] = o.agent_name;
  if (o.from_ms != std::numeric_limits<TimeMs>::min()) j["from"] = FormatIsoTime(o.from_ms);
  if (o.to_ms != std::numeric_limits<TimeMs>::max()) j["to"] = FormatIsoTime(o.to_ms);
  if (!o.where.empty()) j["where"] = o.where;
  if (!o.tiers.empty()) {
    j["tiers"] = json::array();
    for (Tier t : o.tiers) j["tiers"].push_back(TierName(t));
  }
  return j;
}

const char* Flag(bool b) { return b ? "true" : "false"; }

class ServedStore final : public Store {
 public:
  ServedStore(std::string store_path, ServedStoreOptions options)
      : store_path_(std::move(store_path)), socket_(ServeSocketPath(store_path_)), options_(std::move(options)) {}

  // GET /healthz: is serve answering?
  Status Ping() { return Call("GET", "/healthz", nullptr).status(); }

  Result<uint64_t> Observe(std::string_view tenant, const Turn& turn, const WriteOptions& options) override {
    auto seqs = ObserveBatch(tenant, std::span<const Turn>(&turn, 1), options);
    if (!seqs.ok()) return seqs.status();
    if (seqs->size() != 1) return Status::Internal("serve answered " + std::to_string(seqs->size()) + " sequence numbers for one turn");
    return (*seqs)[0];
  }

  Result<std::vector<uint64_t>> ObserveBatch(std::string_view tenant, std::span<const Turn> turns,
                                             const WriteOptions& options) override {
    if (turns.empty()) return std::vector<uint64_t>();
    json list = json::array();
    for (const Turn& t : turns) list.push_back(TurnBody(t));
    const json body = {{"turns", std::move(list)}, {"sync", options.sync}};
    auto path = TenantPath(tenant, "/turns");
    if (!path.ok()) return path.status();
    auto reply = Call("POST", *path, &body);
    if (!reply.ok()) return reply.status();
    return Parsed<std::vector<uint64_t>>("observe reply", [&] { return reply->at("seqs").get<std::vector<uint64_t>>(); });
  }

  Result<StoredTurn> GetTurn(std::string_view tenant, uint64_t seq) override {
    auto path = TenantPath(tenant, "/turns");
    if (!path.ok()) return path.status();
    auto reply = Call("GET", *path + Query({{"seq", std::to_string(seq)}}), nullptr);
    if (!reply.ok()) return reply.status();
    auto turns = TurnsOf(*reply, tenant);
    if (!turns.ok()) return turns.status();
    if (turns->size() != 1) return Status::Internal("serve answered " + std::to_string(turns->size()) + " turns for one sequence number");
    return std::move((*turns)[0]);
  }

  Result<StoredTurn> GetTurnBySourceId(std::string_view tenant, std::string_view source_id) override {
    auto path = ItemPath(tenant, "/turns/", source_id);
    if (!path.ok()) return path.status();
    auto reply = Call("GET", *path, nullptr);
    if (!reply.ok()) return reply.status();
    return TurnFromJson(*reply, tenant);
  }

  Result<std::vector<StoredTurn>> ScanTurns(std::string_view tenant, const TurnFilter& filter) override {
    auto path = TenantPath(tenant, "/turns");
    if (!path.ok()) return path.status();
    const std::string query =
        Query({{"session", filter.session},
               {"from", filter.from_ms != std::numeric_limits<TimeMs>::min() ? FormatIsoTime(filter.from_ms) : ""},
               {"to", filter.to_ms != std::numeric_limits<TimeMs>::max() ? FormatIsoTime(filter.to_ms) : ""},
               {"limit", filter.limit != 0 ? std::to_string(filter.limit) : ""}});
    auto reply = Call("GET", *path + query, nullptr);
    if (!reply.ok()) return reply.status();
    return TurnsOf(*reply, tenant);
  }

  Result<std::vector<std::string>> ListTenants() override {
    auto reply = Call("GET", "/v1/tenants", nullptr);
    if (!reply.ok()) return reply.status();
    return Parsed<std::vector<std::string>>("tenant list",
                                            [&] { return reply->at("tenants").get<std::vector<std::string>>(); });
  }

  Result<TenantStats> GetTenantStats(std::string_view tenant) override {
    auto path = TenantPath(tenant, "/stats");
    if (!path.ok()) return path.status();
    auto reply = Call("GET", *path, nullptr);
    if (!reply.ok()) return reply.status();
    return StatsFromJson(*reply);
  }

  // This process holds no tenant state: serve does.
  MemoryUsage GetMemoryUsage() override { return {}; }

  Result<ForgetReport> ForgetTenant(std::string_view tenant, const ForgetOptions& options) override {
    auto path = TenantPath(tenant, "");
    if (!path.ok()) return path.status();
    return ForgetAt(*path, options);
  }

  Result<ForgetReport> Forget(std::string_view tenant, std::string_view source_id,
                              const ForgetOptions& options) override {
    auto path = ItemPath(tenant, "/turns/", source_id);
    if (!path.ok()) return path.status();
    return ForgetAt(*path, options);
  }

  Result<ForgetReport> ForgetFact(std::string_view tenant, std::string_view fact_id,
                                  const ForgetOptions& options) override {
    auto path = ItemPath(tenant, "/facts/", fact_id);
    if (!path.ok()) return path.status();
    return ForgetAt(*path, options);
  }

  Result<ForgetReport> ForgetRelation(std::string_view tenant, std::string_view relation_id,
                                      const ForgetOptions& options) override {
    auto path = ItemPath(tenant, "/relations/", relation_id);
    if (!path.ok()) return path.status();
    return ForgetAt(*path, options);
  }

  Result<uint32_t> Update(std::string_view tenant, std::string_view source_id, std::string_view new_text,
                          const WriteOptions& options) override {
    auto path = ItemPath(tenant, "/turns/", source_id);
    if (!path.ok()) return path.status();
    const json body = {{"text", new_text}, {"sync", options.sync}};
    auto reply = Call("PUT", *path, &body);
    if (!reply.ok()) return reply.status();
    return Parsed<uint32_t>("update reply", [&] { return reply->at("version").get<uint32_t>(); });
  }

  Result<std::vector<TurnVersion>> History(std::string_view tenant, std::string_view source_id) override {
    auto path = ItemPath(tenant, "/turns/", source_id);
    if (!path.ok()) return path.status();
    auto reply = Call("GET", *path + "/history", nullptr);
    if (!reply.ok()) return reply.status();
    std::vector<TurnVersion> versions;
    for (const json& v : reply->value("versions", json::array())) {
      TurnVersion version;
      auto turn = TurnFromJson(v, tenant);  // text, speaker, session, time
      if (!turn.ok()) return turn.status();
      version.turn = std::move(turn->turn);
      version.turn.source_id = std::string(source_id);
      auto replaced = TimeFromJson(v.value("replaced", json()));
      if (!replaced.ok()) return replaced.status();
      version.replaced_ms = *replaced;
      auto number = Parsed<uint32_t>("history", [&] { return v.at("version").get<uint32_t>(); });
      if (!number.ok()) return number.status();
      version.version = *number;
      versions.push_back(std::move(version));
    }
    return versions;
  }

  Result<std::string> RememberFact(std::string_view tenant, const PersonaFact& fact,
                                   const WriteOptions& options) override {
    json body = {{"subject", fact.subject}, {"attribute", fact.attribute}, {"value", fact.value},
                 {"sync", options.sync}};
    if (fact.valid_from_ms != 0) body["valid_from"] = FormatIsoTime(fact.valid_from_ms);
    if (fact.valid_to_ms != 0) body["valid_to"] = FormatIsoTime(fact.valid_to_ms);
    return PostForId(tenant, "/facts", body);
  }

  Result<std::string> RememberRelation(std::string_view tenant, const Relation& relation,
                                       const WriteOptions& options) override {
    json body = {{"subject", relation.subject}, {"relation", relation.relation}, {"object", relation.object},
                 {"sync", options.sync}};
    if (relation.valid_from_ms != 0) body["valid_from"] = FormatIsoTime(relation.valid_from_ms);
    if (relation.valid_to_ms != 0) body["valid_to"] = FormatIsoTime(relation.valid_to_ms);
    return PostForId(tenant, "/relations", body);
  }

  Result<std::vector<CoreBlock>> CoreMemory(std::string_view tenant) override {
    auto path = TenantPath(tenant, "/core");
    if (!path.ok()) return path.status();
    auto reply = Call("GET", *path, nullptr);
    if (!reply.ok()) return reply.status();
    return BlocksOf(*reply, "blocks");
  }

  Result<CoreBlock> SetCoreBlock(std::string_view tenant, std::string_view name, std::string_view text,
                                 const WriteOptions& options) override {
    return WriteBlock("PUT", tenant, name, text, options);
  }

  Result<CoreBlock> AppendCoreBlock(std::string_view tenant, std::string_view name, std::string_view text,
                                    const WriteOptions& options) override {
    return WriteBlock("POST", tenant, name, text, options);
  }

  Result<std::vector<CoreBlock>> CoreBlockHistory(std::string_view tenant, std::string_view name) override {
    auto path = ItemPath(tenant, "/core/", name);
    if (!path.ok()) return path.status();
    auto reply = Call("GET", *path + "?history=true", nullptr);
    if (!reply.ok()) return reply.status();
    return BlocksOf(*reply, "versions");
  }

  Result<RecallResult> Recall(std::string_view tenant, std::string_view query,
                              const RecallOptions& options) override {
    auto path = TenantPath(tenant, "/recall");
    if (!path.ok()) return path.status();
    const json body = RecallBody(query, options);
    auto reply = Call("POST", *path, &body);
    if (!reply.ok()) return reply.status();
    return RecallFromJson(*reply);
  }

  Result<Context> RecallContext(std::string_view tenant, std::string_view question, size_t budget_tokens,
                                const RecallOptions& options) override {
    auto path = TenantPath(tenant, "/context");
    if (!path.ok()) return path.status();
    json body = RecallBody(question, options);
    body["budget_tokens"] = budget_tokens;
    auto reply = Call("POST", *path, &body);
    if (!reply.ok()) return reply.status();
    return ContextFromJson(*reply);
  }

  Result<std::vector<PersonaFact>> Profile(std::string_view tenant, std::string_view speaker, TimeMs as_of_ms,
                                           bool include_history) override {
    auto path = TenantPath(tenant, "/profile");
    if (!path.ok()) return path.status();
    auto reply = Call("GET",
                      *path + Query({{"speaker", std::string(speaker)},
                                     {"as_of", IsoOrEmpty(as_of_ms)},
                                     {"history", include_history ? "true" : ""}}),
                      nullptr);
    if (!reply.ok()) return reply.status();
    std::vector<PersonaFact> facts;
    for (const json& f : reply->value("facts", json::array())) {
      auto fact = FactFromJson(f);
      if (!fact.ok()) return fact.status();
      facts.push_back(std::move(*fact));
    }
    return facts;
  }

  Result<GraphView> Graph(std::string_view tenant, std::string_view entity, int hops, size_t max_edges,
                          TimeMs as_of_ms) override {
    auto path = TenantPath(tenant, "/graph");
    if (!path.ok()) return path.status();
    auto reply = Call("GET",
                      *path + Query({{"entity", std::string(entity)},
                                     {"hops", std::to_string(hops)},
                                     {"max_edges", std::to_string(max_edges)},
                                     {"as_of", IsoOrEmpty(as_of_ms)}}),
                      nullptr);
    if (!reply.ok()) return reply.status();
    GraphView view;
    for (const json& e : reply->value("entities", json::array())) {
      auto entity_value = EntityFromJson(e);
      if (!entity_value.ok()) return entity_value.status();
      view.entities.push_back(std::move(*entity_value));
    }
    for (const json& r : reply->value("relations", json::array())) {
      auto relation = RelationFromJson(r);
      if (!relation.ok()) return relation.status();
      view.relations.push_back(std::move(*relation));
    }
    return view;
  }

  Result<std::vector<EventUnit>> EventUnits(std::string_view) override { return Unserved("listing event units"); }
  Result<std::vector<SessionSummary>> Summaries(std::string_view, size_t) override {
    return Unserved("session summaries");
  }
  Result<std::vector<StoredTurn>> WorkingMemory(std::string_view, std::string_view) override {
    return Unserved("reading working memory");
  }
  Result<uint64_t> PendingEnrichments() override { return Unserved("the enrichment queue"); }
  Status WaitForEnrichment(int) override { return Unserved("waiting for enrichment"); }
  Status Rebuild() override { return Unserved("rebuilding the derived indexes"); }

 private:
  // NotSupported naming what is missing and the process to stop.
  Status Unserved(const std::string& what) const {
    const std::string holder = log::LockHolder(store_path_);
    return Status::NotSupported(what + " needs the store to itself, and another engram process" +
                                (holder.empty() ? std::string() : " (" + holder + ")") + " holds '" + store_path_ +
                                "': stop it first, or run this inside it");
  }

  Result<std::string> TenantPath(std::string_view tenant, const char* rest) const {
    if (tenant.find('/') != std::string_view::npos) {
      return Status::InvalidArgument("tenant '" + std::string(tenant) +
                                     "' contains '/', which serve's HTTP API cannot address");
    }
    return "/v1/tenants/" + Encode(tenant) + rest;
  }

  Result<std::string> ItemPath(std::string_view tenant, const char* kind, std::string_view id) const {
    if (id.find('/') != std::string_view::npos) {
      std::string message = "id '";
      message += id;
      message += "' contains '/', which serve's HTTP API cannot address";
      return Status::InvalidArgument(message);
    }
    if (id.empty()) return Status::InvalidArgument("an empty id names nothing");
    auto base = TenantPath(tenant, kind);
    if (!base.ok()) return base.status();
    std::string path = std::move(*base);
    path += Encode(id);
    return path;
  }

  Result<ForgetReport> ForgetAt(const std::string& path, const ForgetOptions& options) {
    auto reply = Call("DELETE", path + "?dry_run=" + Flag(options.dry_run) + "&sync=" + Flag(options.sync), nullptr);
    if (!reply.ok()) return reply.status();
    return ForgetReportFromJson(*reply);
  }

  Result<std::string> PostForId(std::string_view tenant, const char* kind, const json& body) {
    auto path = TenantPath(tenant, kind);
    if (!path.ok()) return path.status();
    auto reply = Call("POST", *path, &body);
    if (!reply.ok()) return reply.status();
    return Parsed<std::string>("id reply", [&] { return reply->at("id").get<std::string>(); });
  }

  Result<CoreBlock> WriteBlock(const char* method, std::string_view tenant, std::string_view name,
                               std::string_view text, const WriteOptions& options) {
    auto path = ItemPath(tenant, "/core/", name);
    if (!path.ok()) return path.status();
    const json body = {{"text", text}, {"sync", options.sync}};
    auto reply = Call(method, *path, &body);
    if (!reply.ok()) return reply.status();
    return CoreBlockFromJson(*reply);
  }

  static Result<std::vector<StoredTurn>> TurnsOf(const json& reply, std::string_view tenant) {
    std::vector<StoredTurn> turns;
    for (const json& t : reply.value("turns", json::array())) {
      auto turn = TurnFromJson(t, tenant);
      if (!turn.ok()) return turn.status();
      turns.push_back(std::move(*turn));
    }
    return turns;
  }

  static Result<std::vector<CoreBlock>> BlocksOf(const json& reply, const char* key) {
    std::vector<CoreBlock> blocks;
    for (const json& b : reply.value(key, json::array())) {
      auto block = CoreBlockFromJson(b);
      if (!block.ok()) return block.status();
      blocks.push_back(std::move(*block));
    }
    return blocks;
  }

  template <typename T, typename F>
  static Result<T> Parsed(const char* what, F&& read) {
    try {
      return std::forward<F>(read)();
    } catch (const std::exception& e) {
      return Status::Internal(std::string("serve answered a ") + what + " that does not read back: " + e.what());
    }
  }

  // One request; the reply's JSON body for a 2xx, else the error serve sent.
  Result<json> Call(const std::string& method, const std::string& path, const json* body) {
    httplib::ClientImpl client(socket_, 80);
    client.set_address_family(AF_UNIX);
    client.set_connection_timeout(5, 0);
    client.set_read_timeout(options_.timeout_s, 0);
    client.set_write_timeout(options_.timeout_s, 0);
    httplib::Headers headers;
    if (!options_.token.empty()) headers.emplace("Authorization", "Bearer " + options_.token);
    const std::string content = body != nullptr ? body->dump(-1, ' ', false, json::error_handler_t::replace) : "";
    httplib::Result res = method == "GET"    ? client.Get(path.c_str(), headers)
                          : method == "POST" ? client.Post(path.c_str(), headers, content, "application/json")
                          : method == "PUT"  ? client.Put(path.c_str(), headers, content, "application/json")
                                             : client.Delete(path.c_str(), headers);
    if (!res) {
      // A failed connect sent nothing: the holder is gone (or never was).
      if (res.error() == httplib::Error::Connection) {
        return Status::Unavailable(std::string(kHolderGone) + " on '" + socket_ + "' (" +
                                   httplib::to_string(res.error()) + "); is it still running?");
      }
      return Status::Unavailable("the engram process holding the store stopped answering on '" + socket_ + "' (" +
                                 httplib::to_string(res.error()) + ") before the reply; the call may or may not "
                                 "have been carried out");
    }
    json reply = json::parse(res->body, nullptr, /*allow_exceptions=*/false);
    if (res->status >= 200 && res->status < 300) {
      if (reply.is_discarded()) return Status::Internal("serve answered " + method + " " + path + " with no JSON");
      return reply;
    }
    std::string message = "serve answered " + std::to_string(res->status);
    if (!reply.is_discarded() && reply.contains("error") && reply["error"].contains("message") &&
        reply["error"]["message"].is_string()) {
      message = reply["error"]["message"].get<std::string>();
    }
    switch (res->status) {
      case 400:
      case 413:
      case 414: return Status::InvalidArgument(message);
      case 401:
      case 403:
        return Status::FailedPrecondition(message + " (engram serve holds the store and checks tokens: set "
                                                    "ENGRAM_TOKEN to a token of its token file)");
      case 404: return Status::NotFound(message);
      case 409:
        return message.find("already") != std::string::npos ? Status::AlreadyExists(message)
                                                            : Status::FailedPrecondition(message);
      case 429:
      case 503: return Status::Unavailable("the engram process holding the store is busy or stopping: " + message);
      case 501: return Status::NotSupported(message);
      default: return Status::Internal("the engram process holding the store: " + message);
    }
  }

  const std::string store_path_;
  const std::string socket_;
  const ServedStoreOptions options_;
};

}  // namespace

std::string ServeSocketPath(const std::string& store_path) { return store_path + "/engram.sock"; }

bool IsHolderGone(const Status& status) {
  return status.code() == Status::Code::kUnavailable && status.message().rfind(kHolderGone, 0) == 0;
}

Result<std::unique_ptr<Store>> ConnectToServe(const std::string& store_path, const ServedStoreOptions& options) {
  const std::string socket_path = ServeSocketPath(store_path);
  struct stat st {};
  if (lstat(socket_path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
    return Status::Unavailable(std::string(kHolderGone) + ": there is no socket '" + socket_path + "'");
  }
  auto store = std::make_unique<ServedStore>(store_path, options);
  ENGRAM_RETURN_IF_ERROR(store->Ping());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace engram::service
