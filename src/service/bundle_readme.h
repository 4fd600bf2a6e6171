#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace mlexport::service {

// The README.md of a download bundle: what the export is and how to run it.
std::string bundle_readme(const nlohmann::json& record);

}  // namespace mlexport::service
