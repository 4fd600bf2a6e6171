// Weights kept in files beside an ONNX model (TensorProto.data_location = EXTERNAL). A location
// is trusted only as far as the model's folder: absolute paths, ".." and symbolic links that lead
// elsewhere are refused, so a model cannot make mlexport read arbitrary files.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstddef>
#include <filesystem>
#include <string>

namespace mlexport::frontend::onnx {

class ExternalData {
 public:
  explicit ExternalData(std::filesystem::path model_folder);

  struct Range {
    std::filesystem::path file;
    std::string location;
    uint64_t offset = 0;
    uint64_t length = 0;
  };

  // Where the `bytes` bytes of the external tensor `t` are. Throws mlexport::Error kBadInput
  // naming `what` when the location is unsafe, the file is missing or the range given by
  // offset/length does not fit the file or the tensor. Checked before anything is allocated.
  Range locate(const ::onnx::TensorProto& t, size_t bytes, const std::string& what) const;
  void read(const Range& range, std::byte* out, const std::string& what) const;

 private:
  std::filesystem::path folder_;
};

}  // namespace mlexport::frontend::onnx
