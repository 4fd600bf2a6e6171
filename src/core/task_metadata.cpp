#include "core/task_metadata.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "core/export_job.h"
#include "core/export_metadata.h"
#include "mlexport/diagnostics.h"

namespace mlexport::core {
namespace {

std::string joined_tasks() {
  std::string text;
  for (const auto& t : known_tasks()) text += (text.empty() ? "" : ", ") + t;
  return text;
}

std::string segmentation_meaning(const SegmentationOutput& s) {
  switch (s.kind) {
    case SegmentationOutput::Kind::kLogits:
      return "class scores [N, classes, H, W] at the input's size (logits, no softmax)";
    case SegmentationOutput::Kind::kProbabilities:
      return "class probabilities [N, classes, H, W] at the input's size (softmax over classes)";
    case SegmentationOutput::Kind::kArgmax:
      return "class map [N, H, W] (" + std::string(ir::dtype_name(s.class_dtype)) +
             ", the index of the highest class score per pixel)";
  }
  return "";
}

}  // namespace

const std::vector<std::string>& known_tasks() {
  static const std::vector<std::string> tasks = {
      "classification", "detection", "instance_segmentation",
      "segmentation",   "anomaly",   "regression"};
  return tasks;
}

std::string canonical_task(const std::string& text) {
  std::string t;
  for (char c : text) t += c == ' ' || c == '-' ? '_' : static_cast<char>(std::tolower(c));
  static const std::map<std::string, std::string> kSynonyms = {
      {"semantic_segmentation", "segmentation"},
      {"anomaly_detection", "anomaly"},
      {"object_detection", "detection"},
      {"instance_segmentation", "instance_segmentation"},
      {"image_classification", "classification"}};
  if (auto it = kSynonyms.find(t); it != kSynonyms.end()) return it->second;
  for (const auto& known : known_tasks())
    if (known == t) return t;
  return "";
}

void check_task(const std::string& task, const std::string& what) {
  for (const auto& t : known_tasks())
    if (t == task) return;
  throw bad_input(what + " '" + task + "' is not a task (tasks: " + joined_tasks() + ")");
}

std::string output_meaning(const std::string& task, size_t index, size_t count,
                           const SegmentationOutput& segmentation) {
  if (task == "classification" && count == 1)
    return "class scores [N, classes] (logits, no softmax)";
  if (task == "regression" && count == 1) return "predicted values [N, num_outputs]";
  if (task == "segmentation" && index == 0) return segmentation_meaning(segmentation);
  if (task == "detection" || task == "instance_segmentation") {
    static const char* const kDetection[] = {
        "boxes [detections, 4] (x1, y1, x2, y2 in input pixels)", "scores [detections]",
        "labels [detections] (class indices)", "masks [detections, 1, H, W] (probabilities)"};
    if (index < (task == "detection" ? 3u : 4u)) return kDetection[index];
  }
  if (task == "anomaly") {
    if (index == 0) return "anomaly_map [N, 1, H, W] (per-pixel anomaly score)";
    if (index == 1) return "pred_score [N] (image anomaly score, the map's maximum)";
  }
  return "";
}

std::vector<std::string> default_output_names(const ExportJob& job) {
  if (job.result.task == "anomaly" && !job.result.architecture.empty())
    return {"anomaly_map", "pred_score"};
  return {};
}

std::map<std::string, std::string> onnx_metadata(const ExportJob& job) {
  const nlohmann::ordered_json meta = nlohmann::ordered_json::parse(export_metadata_json(job));
  std::map<std::string, std::string> props;
  for (const char* key : {"task", "class_names", "outputs", "preprocessing"})
    if (meta.contains(key))
      props[key] = meta[key].is_string() ? meta[key].get<std::string>() : meta[key].dump();
  props["mlexport"] = meta.dump();
  return props;
}

std::map<std::string, std::string> openvino_model_info(const ExportJob& job) {
  const nlohmann::ordered_json meta = nlohmann::ordered_json::parse(export_metadata_json(job));
  std::map<std::string, std::string> info;
  if (meta.contains("task")) {
    const std::string task = meta["task"].get<std::string>();
    info["task"] = task;
    static const std::map<std::string, std::string> kModelType = {
        {"classification", "Classification"}, {"segmentation", "Segmentation"},
        {"detection", "Detection"},           {"instance_segmentation", "MaskRCNN"},
        {"anomaly", "AnomalyDetection"},      {"regression", "Regression"}};
    info["model_type"] = kModelType.at(task);
  }
  if (meta.contains("class_names")) {
    std::string labels;
    for (const auto& name : meta["class_names"]) {
      std::string label = name.get<std::string>();
      for (char& c : label)
        if (c == ' ') c = '_';
      labels += (labels.empty() ? "" : " ") + label;
    }
    info["labels"] = labels;
  }
  if (meta.contains("preprocessing")) {
    const auto& p = meta["preprocessing"];
    std::string mean, scale;
    for (size_t c = 0; c < p["mean"].size(); ++c) {
      mean += (c ? " " : "") + std::to_string(p["mean"][c].get<double>() * 255.0);
      scale += (c ? " " : "") + std::to_string(p["std"][c].get<double>() * 255.0);
    }
    info["mean_values"] = mean;
    info["scale_values"] = scale;
  }
  if (meta.contains("outputs")) info["outputs"] = meta["outputs"].dump();
  info["mlexport"] = meta.dump();
  return info;
}

}  // namespace mlexport::core
