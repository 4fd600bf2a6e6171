// What --validate_only needs to know about an existing ONNX file: its inputs (names, element
// types, fixed and symbolic dims) and the precision it was written in, read from the file itself.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace mlexport::core {

struct OnnxFileInput {
  std::string name;
  std::optional<ir::DType> dtype;  // nullopt: an element type the IR has no name for
  std::vector<ir::Dim> dims;       // fixed sizes, symbols (dim_param) or unknown (symbol "")
  bool has_shape = false;
};

struct OnnxFileInfo {
  std::vector<OnnxFileInput> inputs;  // graph inputs that are not initializers
  std::vector<std::string> outputs;
  int opset = 0;
  // "int8" when the file holds quantization ops, "fp16" when its float weights are float16,
  // else "fp32": the bands an export of that precision is judged by.
  std::string precision = "fp32";
};

// Reads `path` (without its external data). Throws kBadInput for a missing or unreadable file.
OnnxFileInfo read_onnx_file_info(const std::string& path);

}  // namespace mlexport::core
