// JSON renderings of engram's values for the services (HTTP API, MCP):
// times as ISO 8601 UTC strings (null when unknown), ids and provenance kept.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "engram/recall.h"
#include "engram/store.h"
#include "engram/types.h"

namespace engram::service {

nlohmann::json TimeJson(TimeMs t);  // "2024-03-10T09:15:00Z", or null for 0
nlohmann::json RouteJson(const RouteInfo& route);
nlohmann::json HitJson(const Hit& hit);
nlohmann::json RecallJson(const RecallResult& result);
nlohmann::json ContextJson(const Context& context);
nlohmann::json FactJson(const PersonaFact& fact);
nlohmann::json EntityJson(const Entity& entity);
nlohmann::json RelationJson(const Relation& relation);
nlohmann::json TurnJson(const StoredTurn& turn);
nlohmann::json StatsJson(const TenantStats& stats);
nlohmann::json ForgetReportJson(const ForgetReport& report);
nlohmann::json CoreBlockJson(const CoreBlock& block);

// The values back from those renderings, for a client of the HTTP API (the
// CLI working through a running serve). Unknown fields are ignored; a
// missing field keeps its default; a field of the wrong JSON type, or a time
// or name that does not parse, is Internal ("serve answered ... : ..."),
// since serve writes these itself.
Result<TimeMs> TimeFromJson(const nlohmann::json& time);  // null -> 0
Result<RouteInfo> RouteFromJson(const nlohmann::json& route);
Result<Hit> HitFromJson(const nlohmann::json& hit);
Result<RecallResult> RecallFromJson(const nlohmann::json& result);
Result<Context> ContextFromJson(const nlohmann::json& context);
Result<PersonaFact> FactFromJson(const nlohmann::json& fact);
Result<Entity> EntityFromJson(const nlohmann::json& entity);
Result<Relation> RelationFromJson(const nlohmann::json& relation);
Result<StoredTurn> TurnFromJson(const nlohmann::json& turn, std::string_view tenant);
Result<TenantStats> StatsFromJson(const nlohmann::json& stats);
Result<ForgetReport> ForgetReportFromJson(const nlohmann::json& report);
Result<CoreBlock> CoreBlockFromJson(const nlohmann::json& block);

}  // namespace engram::service
