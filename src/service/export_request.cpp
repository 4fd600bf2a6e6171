#include "service/export_request.h"

#include <set>

#include "store/errors.h"

namespace mlexport::service {

using nlohmann::json;
using store::invalid;

json parse_json_body(std::string_view text) {
  json body = json::parse(text, nullptr, false);
  if (body.is_discarded())
    throw store::RequestError(400, "malformed_json", "the request body is not valid JSON");
  return body;
}

ExportRequest check_export_request(const json& body) {
  if (!body.is_object()) throw invalid("the request body must be a JSON object", "");
  static const std::set<std::string> known = {"experiment_id", "checkpoint", "format", "options",
                                              "force"};
  for (const auto& [key, value] : body.items())
    if (!known.count(key)) throw invalid("unknown field '" + key + "'", key);
  ExportRequest request;
  if (!body.contains("experiment_id") || !body["experiment_id"].is_string())
    throw invalid("experiment_id (a string) is required", "experiment_id");
  request.experiment_id = body["experiment_id"];
  const json checkpoint = body.value("checkpoint", json(request.checkpoint));
  if (!checkpoint.is_string())
    throw invalid("checkpoint must be \"best\" or \"last\"", "checkpoint");
  request.checkpoint = checkpoint;
  const json format = body.value("format", json(request.format));
  if (!format.is_string()) throw invalid("format must be a string", "format");
  request.format = format;
  const json force = body.value("force", json(false));
  if (!force.is_boolean()) throw invalid("force must be true or false", "force");
  request.force = force;
  request.options = body.value("options", json());
  return request;
}

}  // namespace mlexport::service
