// ONNX file -> mlexport IR. The IR follows ONNX opset-17 semantics with some static operands as
// attributes (see ir/graph.h); this importer is the inverse of src/emit/onnx/opset_adapt.cpp:
// older-opset forms are rewritten into opset-17 ones, and constant operands the IR keeps as
// attributes (Squeeze/Unsqueeze/ReduceSum axes, Split split, Pad pads and value, Clip min/max,
// Resize scales/sizes) move into attributes. Free of protobuf and ONNX headers.
#pragma once

#include <memory>
#include <string>

#include "frontend/source.h"
#include "ir/graph.h"

namespace mlexport::frontend::onnx {

struct OnnxImport {
  std::unique_ptr<ir::Graph> graph;
  int opset = 0;         // the model's default-domain opset
  std::string producer;  // "pytorch 1.13.0"
};

// Reads an ONNX file (default-domain opset 7..17). External data files are read from beside the
// model; a location must stay inside the model's folder. Every value gets its dtype and shape from
// ONNX shape inference (symbolic dims become ir::Dim::named, unknown dims -1). Graph inputs and
// outputs keep their names (unless `options` renames them); node names and doc_strings go to
// Node::name and Node::source. With options.dynamic_batch, a fixed dim 0 of every input and
// output becomes "batch_size" before shape inference, so the symbol reaches every value.
//
// Throws mlexport::Error: kBadInput for unreadable, truncated or malformed files and files over
// 2 GB (one line); UnsupportedOpsError listing every op (with its domain when not the default one)
// the IR cannot represent; kUnsupportedOps for opsets outside 7..17.
OnnxImport import_onnx(const std::string& path, const ImportOptions& options);

}  // namespace mlexport::frontend::onnx
