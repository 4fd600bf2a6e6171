// OpenVINO IR v11 (.xml + .bin) -> mlexport IR with ONNX semantics, so that emit_onnx can write
// it and ONNX Runtime can run it. Written from the OpenVINO opset specifications without sharing
// any code with the OpenVINO emitter: reading the emitter's files back and running them is how
// the emitter's mistakes are caught while no OpenVINO runtime can be installed here.
#pragma once

#include <memory>
#include <string>

#include "ir/graph.h"

namespace mlexport::frontend {

// Reads `xml_path` and the .bin beside it. Layers without a rule are reported together in one
// mlexport::UnsupportedOpsError; a missing or malformed file is kBadInput.
std::unique_ptr<ir::Graph> read_openvino_ir(const std::string& xml_path);

}  // namespace mlexport::frontend
