// --dynamic_axes for ONNX inputs: a fixed dim 0 of inputs and outputs becomes a symbol in the
// ModelProto, before shape inference carries it to every value. Internal to the ONNX frontend.
#pragma once

#include <onnx/onnx_pb.h>

#include <set>
#include <string>

namespace mlexport::frontend::onnx {

// Inputs (other than `initializers`) whose dim 0 has the same size share one symbol,
// "batch_size" for the first, as the TorchScript frontend names them; outputs take the symbol of
// an input of their size, else "batch_size". Stored value_info would pin the old sizes: it is
// cleared for shape inference to recompute.
void make_batch_dynamic(::onnx::GraphProto& g, const std::set<std::string>& initializers);

}  // namespace mlexport::frontend::onnx
