#pragma once

#include <nlohmann/json.hpp>

namespace mlexport::service {

// The OpenAPI 3 description of every /api/ route (served at /api/openapi.json).
const nlohmann::json& openapi_document();

}  // namespace mlexport::service
