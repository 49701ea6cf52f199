// JSON renderings of engram's values for the services (HTTP API, MCP):
// times as ISO 8601 UTC strings (null when unknown), ids and provenance kept.
#pragma once

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

}  // namespace engram::service
