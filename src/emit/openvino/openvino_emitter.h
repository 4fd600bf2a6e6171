// IR -> OpenVINO IR v11 (.xml topology + .bin weights), written from the public opset
// specifications: every IR op maps to opset1..opset14 layers through an explicit table
// (op_table.cpp). The written pair is checked with check_openvino_ir before it is renamed into
// place. The header stays free of XML headers.
#pragma once

#include <cstdint>
#include <string>

#include "ir/graph.h"

namespace mlexport::emit {

struct OpenVinoOptions {
  // float32 weights stored as f16 Consts followed by a decompression Convert to f32 (what `ovc`
  // does by default); inputs and outputs stay f32.
  bool compress_to_fp16 = false;
  std::string model_name = "model";
};

struct OpenVinoEmitResult {
  uint64_t xml_bytes = 0, bin_bytes = 0;
  int layer_count = 0;
};

// Writes `xml_path` and the .bin beside it (`xml_path` minus ".xml", plus ".bin") atomically:
// both are written to temporary files, checked, then renamed; on failure nothing is left behind
// and files already there are untouched. Ops without a translation are all gathered into one
// mlexport::UnsupportedOpsError (exit code 3); a bad path is kBadInput; emitter or checker
// failures are kInternal.
OpenVinoEmitResult emit_openvino(const ir::Graph& graph, const std::string& xml_path,
                                 const OpenVinoOptions& options);

// The IR ops the OpenVINO emitter translates (from the table), sorted.
std::vector<std::string> openvino_supported_ops();

}  // namespace mlexport::emit
