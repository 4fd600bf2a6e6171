// The body of POST /api/projects/{id}/exports, checked field by field before anything touches the
// workspace, so that a hostile body is refused with one 400 naming the field.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mlexport::service {

struct ExportRequest {
  std::string experiment_id;
  std::string checkpoint = "best";  // the workspace knows which names exist
  std::string format = "onnx";
  nlohmann::json options;  // as given (null when absent): FormatRegistry::normalize_options checks
  bool force = false;
};

// Throws store::RequestError 400 "malformed_json" when `text` is not JSON.
nlohmann::json parse_json_body(std::string_view text);
// Throws store::RequestError 400 naming the first field that is missing, unknown or mistyped.
ExportRequest check_export_request(const nlohmann::json& body);

}  // namespace mlexport::service
