// Runs ONNX models in OpenCV DNN (4.6): a deployment-target check, not the main oracle, since its
// ONNX importer rejects some ordinary exports.
#pragma once

#include <string>
#include <vector>

#include "runtime/onnxruntime_runner.h"

namespace mlexport::runtime {

// `inputs` are matched to the model's graph inputs (those that are not initializers) by position
// and converted to float32, the only input type OpenCV DNN computes with. Outputs come back in the
// model's output order, with the shapes OpenCV gives them.
//
// Throws mlexport::Error: kBadInput for a missing or unreadable model file, kInternal when OpenCV
// rejects the model or fails to run it (one line, from cv::Exception).
RunResult run_opencv(const std::string& model_path, const std::vector<ir::Tensor>& inputs);

}  // namespace mlexport::runtime
