// Runs ONNX models in ONNX Runtime through tools/ort-runner/run.js (onnxruntime-node ships no C
// headers, so a small Node program of ours is the bridge). Tensors travel as .npy files in a
// temporary directory that is always removed.
#pragma once

#include <string>
#include <vector>

#include "ir/tensor.h"

namespace mlexport::runtime {

struct RunResult {
  std::vector<ir::Tensor> outputs;  // in the model's output order
  std::vector<std::string> output_names, input_names;
  std::string runtime;     // "onnxruntime-node 1.30.0"
  double run_seconds = 0;  // inference only: no process start, model load or file I/O
};

// `inputs` are matched to the model's inputs by position. threads = 0 keeps ORT's default
// intra-op thread count.
//
// The runner script is $MLEXPORT_ORT_RUNNER if set, else the first tools/ort-runner/run.js found
// at ../ or ../../ from the executable's directory, else the one in the source tree. Node is
// $MLEXPORT_NODE if set, else `node` on PATH.
//
// Throws mlexport::Error: kBadInput when the model cannot be loaded, kInternal for anything else
// the runner reports (the message carries the runner's error line).
RunResult run_onnxruntime(const std::string& model_path, const std::vector<ir::Tensor>& inputs,
                          int threads = 0);

// Whether node, the runner script and onnxruntime-node can be found and loaded (checked once by
// starting the runner with --version; the answer is cached). On false, *why_not says what is
// missing.
bool onnxruntime_available(std::string* why_not);

}  // namespace mlexport::runtime
