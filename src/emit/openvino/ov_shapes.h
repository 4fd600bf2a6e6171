// Every port of an OpenVINO IR needs its rank and dims, while the IR leaves some shapes unknown
// (values a frontend never computed). This fills them in with ONNX shape rules, for the emitter
// only: the graph itself is not changed.
#pragma once

#include <map>
#include <optional>

#include "emit/openvino/ov_builder.h"
#include "ir/graph.h"

namespace mlexport::emit::ov {

using ShapeMap = std::map<const ir::Value*, Dims>;

// Dims of every value whose rank is known or can be inferred (-1 for a dynamic dim).
ShapeMap resolve_shapes(const ir::Graph& graph);

// Numpy broadcasting of two shapes (-1 stays dynamic unless the other side decides it).
Dims broadcast_dims(const Dims& a, const Dims& b);

// Axis in [0, rank) from a possibly negative one.
int64_t normalize_axis(int64_t axis, size_t rank);

}  // namespace mlexport::emit::ov
