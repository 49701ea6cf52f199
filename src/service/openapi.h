// The OpenAPI 3.1 description of engram's HTTP API (GET /openapi.json):
// every route of HttpApi with its parameters, bodies, replies and errors.
#pragma once

#include <nlohmann/json.hpp>

namespace engram::service {

const nlohmann::json& OpenApiDocument();

}  // namespace engram::service
