#include "core/export_report.h"

#include <cmath>

#include "mlexport/report.h"

namespace mlexport {
namespace {

// JSON has no NaN or infinity: a metric that is not finite is reported as null.
nlohmann::json finite(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json metrics_json(const OutputMetrics& m) {
  nlohmann::json j = {{"name", m.name},
                      {"shape", m.shape},
                      {"status", m.status},
                      {"max_diff", finite(m.max_diff)},
                      {"scaled_max_diff", finite(m.scaled_max_diff)},
                      {"mse", finite(m.mse)},
                      {"cosine_similarity", finite(m.cosine_similarity)},
                      {"max_abs_reference", finite(m.max_abs_reference)}};
  if (!m.class_map.empty()) j["class_map"] = m.class_map;
  return j;
}

nlohmann::json divergence_json(const Divergence& d) {
  nlohmann::json j = {{"found", d.found},
                      {"candidates", d.candidates},
                      {"compared", d.compared},
                      {"runs", d.runs},
                      {"seconds", d.seconds}};
  if (!d.note.empty()) j["note"] = d.note;
  if (!d.found) return j;
  j["node"] = d.node;
  j["op"] = d.op;
  j["source_op"] = d.source_op;
  j["scope"] = d.scope;
  j["location"] = d.location;
  j["value"] = d.value;
  j["metrics"] = metrics_json(d.metrics);
  j["inputs"] = nlohmann::json::array();
  for (const auto& m : d.inputs) j["inputs"].push_back(metrics_json(m));
  j["uncompared_nodes"] = d.uncompared_nodes;
  j["origins"] = d.origins;
  j["worst_downstream"] = nlohmann::json::array();
  for (const auto& m : d.worst_downstream) j["worst_downstream"].push_back(metrics_json(m));
  if (!d.keep_fp32.empty()) j["keep_fp32"] = d.keep_fp32;
  return j;
}

nlohmann::json validation_json(const ValidationResult& v) {
  nlohmann::json val = {{"ran", v.ran}};
  if (!v.ran) return val;
  val["passed"] = v.passed;
  val["status"] = v.status;
  val["runtime"] = v.runtime;
  val["method"] = v.method;
  val["max_diff"] = finite(v.max_diff);
  val["scaled_max_diff"] = finite(v.scaled_max_diff);
  val["mse"] = finite(v.mse);
  val["cosine_similarity"] = finite(v.cosine_similarity);
  val["seconds"] = v.seconds;
  val["notes"] = v.notes;
  if (!v.control_flow.empty()) val["control_flow"] = v.control_flow;
  if (!v.compare.empty()) val["compare"] = v.compare;
  if (!v.detections.empty()) val["detections"] = v.detections;
  val["absolute_status"] = v.absolute_status;
  val["absolute_bands"] = v.absolute_bands;
  val["precision"] = v.precision;
  val["outputs"] = nlohmann::json::array();
  for (const auto& m : v.outputs) val["outputs"].push_back(metrics_json(m));
  if (v.divergence.ran) val["divergence"] = divergence_json(v.divergence);
  return val;
}

}  // namespace

namespace core {

nlohmann::json export_report(const ExportRequest& request, const ExportResult& r) {
  nlohmann::json j;
  j["source_path"] = request.model_path.empty() ? request.onnx_path : request.model_path;
  j["output_path"] = r.output_path;
  j["extra_paths"] = r.extra_paths;
  j["source_kind"] = r.source_kind;
  if (!r.task.empty()) j["task"] = r.task;
  if (!r.class_names.empty()) j["class_names"] = r.class_names;
  j["format"] = r.format;
  j["file_size"] = r.output_bytes;
  j["node_count"] = r.node_count;
  j["opset_version"] = request.opset_version;
  j["input_names"] = r.input_names;
  j["output_names"] = r.output_names;
  j["timings"] = r.timings;
  j["validation"] = validation_json(r.validation);
  if (request.verbose) j["pass_log"] = r.pass_log;
  return j;
}

}  // namespace core

std::string export_report_json(const ExportRequest& request, const ExportResult& result) {
  nlohmann::json doc = core::export_report(request, result);
  const ValidationResult& v = result.validation;
  if (v.ran && !v.passed)
    doc["error"] = {{"code", "validation_failed"},
                    {"exit_code", static_cast<int>(ExitCode::kValidationFailed)},
                    {"message", "validation failed (" + v.status + ")"}};
  return doc.dump(2);
}

}  // namespace mlexport
