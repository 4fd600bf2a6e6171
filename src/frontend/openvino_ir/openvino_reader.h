// OpenVINO IR v11 (.xml + .bin) -> mlexport IR with ONNX semantics, so that emit_onnx can write
// it and ONNX Runtime can run it. Written from the OpenVINO opset specifications without sharing
// any code with the OpenVINO emitter: reading the emitter's files back and running them is how
// the emitter's mistakes are caught while no OpenVINO runtime can be installed here.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "ir/graph.h"

namespace mlexport::frontend::openvino_ir {

// Reads `xml_path` and the .bin beside it. Layers without a rule are reported together in one
// mlexport::UnsupportedOpsError; a missing or malformed file is kBadInput.
// Tensor names of output ports -> the IR value each port became.
using PortValues = std::map<std::string, ir::Value*>;

// `port_values`, when given, receives every name of every output port (a port may carry
// several): how the values of the graph that was written are found in the one read back.
std::unique_ptr<ir::Graph> read_openvino_ir(const std::string& xml_path,
                                            PortValues* port_values = nullptr);

}  // namespace mlexport::frontend::openvino_ir
