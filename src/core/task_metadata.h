// The task a model performs and what its outputs mean, as every format's metadata records them
// (internal, torch-free): mlexport.json in TorchScript archives, the "mlexport" entry of torch
// checkpoints, ONNX metadata_props and OpenVINO rt_info/model_info.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/segmentation_output.h"

namespace mlexport::core {

struct ExportJob;

// classification, detection, instance_segmentation, segmentation, anomaly, regression.
const std::vector<std::string>& known_tasks();

// A task named in another spelling ("Semantic Segmentation", "anomaly_detection",
// "object-detection") as its name in known_tasks(); "" when it names none.
std::string canonical_task(const std::string& text);

// Throws bad_input (one line listing the tasks) for a name outside known_tasks().
void check_task(const std::string& task, const std::string& what);

// What output `index` of `count` holds for `task` ("logits [N, classes]; no softmax", ...);
// "" when the task does not say.
std::string output_meaning(const std::string& task, size_t index, size_t count,
                           const SegmentationOutput& segmentation);

// The output names an export gets when none are asked for: {"anomaly_map", "pred_score"} for
// the zoo's anomaly models; empty (the frontend's "output", "output_k") otherwise.
std::vector<std::string> default_output_names(const ExportJob& job);

// ONNX metadata_props: "task", "class_names" (JSON list), "outputs" (JSON list of {name,
// meaning}), "preprocessing" (JSON) where known, and "mlexport" (the whole export metadata JSON).
std::map<std::string, std::string> onnx_metadata(const ExportJob& job);

// OpenVINO rt_info model_info entries, in the names OpenVINO's Model API reads: "task",
// "model_type", "labels" (space-separated, spaces in names as '_'), "mean_values" and
// "scale_values" (0-255 pixel scale), "outputs", and "mlexport" (the JSON).
std::map<std::string, std::string> openvino_model_info(const ExportJob& job);

}  // namespace mlexport::core
