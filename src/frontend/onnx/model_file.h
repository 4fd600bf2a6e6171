// Reading an ONNX file into a ModelProto, with the checks that turn every way a file can be wrong
// into one clear line. Internal to the ONNX frontend.
#pragma once

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <string>

namespace mlexport::frontend::onnx {

struct ModelFile {
  ::onnx::ModelProto proto;
  std::filesystem::path path;
  std::filesystem::path folder;  // where external data files are looked for
};

// Throws mlexport::Error kBadInput for missing, unreadable, empty, truncated or not-ONNX files and
// files over protobuf's 2 GB limit.
ModelFile load_model_file(const std::string& path);

// The default-domain ("" or "ai.onnx") opset. Throws kBadInput when the model imports none and
// kUnsupportedOps for versions outside 7..17.
int default_opset(const ModelFile& file);

inline bool is_default_domain(const std::string& domain) {
  return domain.empty() || domain == "ai.onnx";
}

}  // namespace mlexport::frontend::onnx
