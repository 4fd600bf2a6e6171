#include "core/export_metadata.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/file_sha256.h"
#include "core/task_metadata.h"

namespace mlexport::core {

std::string export_metadata_json(const ExportJob& job) {
  const ExportRequest& request = job.request;
  nlohmann::ordered_json meta;
  meta["format_version"] = 1;
  meta["producer"] = "mlexport " MLEXPORT_VERSION;
  nlohmann::ordered_json inputs = nlohmann::ordered_json::array();
  for (size_t k = 0; k < job.specs.size(); ++k) {
    nlohmann::ordered_json input;
    input["name"] = k < request.input_names.size()
                        ? request.input_names[k]
                        : (job.specs.size() == 1 ? "input" : "input_" + std::to_string(k));
    input["shape"] = job.specs[k].second;
    input["dtype"] = std::string(ir::dtype_name(job.specs[k].first));
    for (const auto& a : job.dynamic_axes)
      if (a.input == k) input["dynamic_axes"][std::to_string(a.axis)] = a.symbol;
    if (request.dynamic_axes && job.dynamic_axes.empty())
      input["dynamic_axes"] = {{"0", "batch_size"}};
    inputs.push_back(input);
  }
  meta["inputs"] = inputs;
  if (!request.output_names.empty()) meta["output_names"] = request.output_names;
  const std::string& task = job.result.task;
  if (!task.empty()) meta["task"] = task;
  std::vector<std::string> names = job.result.output_names;
  if (names.empty()) names = request.output_names;
  if (names.empty()) names = default_output_names(job);
  if (names.empty()) names = {"output"};
  nlohmann::ordered_json outputs = nlohmann::ordered_json::array();
  for (size_t k = 0; k < names.size(); ++k) {
    nlohmann::ordered_json output = {{"name", names[k]}};
    const std::string meaning = output_meaning(task, k, names.size(), job.segmentation_output);
    if (!meaning.empty()) output["meaning"] = meaning;
    outputs.push_back(output);
  }
  meta["outputs"] = outputs;
  if (!job.result.class_names.empty()) meta["class_names"] = job.result.class_names;
  const std::string& source = request.model_path.empty() ? request.onnx_path : request.model_path;
  meta["source"] = {{"file", std::filesystem::path(source).filename().string()},
                    {"kind", job.result.source_kind},
                    {"sha256", source.empty() ? "" : file_sha256(source)}};
  if (!job.result.architecture.empty()) {
    meta["architecture"] = job.result.architecture;
    // The zoo's image classifiers take ImageNet-normalised RGB, as torchvision's weights do.
    meta["preprocessing"] = {{"color", "RGB"},
                             {"scale", 1.0 / 255.0},
                             {"mean", {0.485, 0.456, 0.406}},
                             {"std", {0.229, 0.224, 0.225}}};
  }
  for (const auto& [key, value] : job.result.metadata) meta["checkpoint"][key] = value;
  return meta.dump(2);
}

}  // namespace mlexport::core
