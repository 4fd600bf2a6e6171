// IR -> ONNX ModelProto (opsets 11-17), checked with ONNX's own checker and shape inference,
// written atomically. The header stays free of protobuf and ONNX headers.
#pragma once

#include <cstdint>
#include <string>

#include "ir/graph.h"

namespace mlexport::emit {

struct OnnxOptions {
  int opset_version = 17;      // 11..17 (the newest opset libonnx 1.12 can check)
  bool external_data = false;  // force weights into "<model filename>.data"
  uint64_t external_data_threshold = 2000000000ull;  // total initializer bytes that trigger it
  std::string producer_name = "mlexport";
  std::string producer_version;  // empty: this build's version
  std::string doc_string;
};

struct OnnxEmitResult {
  uint64_t bytes = 0;              // bytes written: model file plus external data file
  int node_count = 0;              // NodeProtos in the written graph
  std::string external_data_path;  // empty unless weights went to a side file
};

// Builds the ModelProto, runs ::onnx::checker::check_model and strict shape inference, then
// writes the file atomically (temp file in the same directory + rename). On failure it throws
// mlexport::Error (kUnsupportedOps for ops the opset lacks, kInternal for checker failures) and
// creates nothing at `path` (a file already there is left untouched).
OnnxEmitResult emit_onnx(const ir::Graph& graph, const std::string& path,
                         const OnnxOptions& options);

// The serialized, checked model with every initializer inline (no external data).
std::string onnx_bytes(const ir::Graph& graph, const OnnxOptions& options);

// ir_version ONNX pairs with an opset release (11->6, 12..14->7, 15..17->8).
int onnx_ir_version_for_opset(int opset);

}  // namespace mlexport::emit
