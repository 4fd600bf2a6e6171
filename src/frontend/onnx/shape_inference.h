// dtype and shape of every value: ONNX's own shape inference, helped where it gives up. Internal.
#pragma once

#include <onnx/onnx_pb.h>

#include <map>
#include <string>

#include "frontend/onnx/tensors.h"

namespace mlexport::frontend::onnx {

using TypeMap = std::map<std::string, ValueType>;

// Runs ::onnx::shape_inference::InferShapes (lenient, with data propagation) on `model`, which it
// annotates, and returns the type of every value it knows (graph inputs, value_info, outputs).
//
// ONNX 1.12 gives up on some ops whose operands are computed at run time: a Slice whose ends come
// from Shape arithmetic gets no shape at all, and nothing after it does either. For those ops the
// rank is still known (Slice, Pad, Resize, Tile... keep the input's), so it is written into the
// model as value_info with unknown sizes and inference runs again, until nothing changes.
TypeMap infer_types(::onnx::ModelProto& model);

}  // namespace mlexport::frontend::onnx
