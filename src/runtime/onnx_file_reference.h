// An ONNX file as the reference: ONNX Runtime runs the ORIGINAL file (onnxruntime_runner.h), so
// an ONNX -> OpenVINO conversion is compared with what the user gave, not with its import.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "runtime/reference.h"

namespace mlexport::runtime {

class OnnxFileReference : public Reference {
 public:
  // `input_shapes` are the file's own (nullopt: no rank), in input order.
  OnnxFileReference(std::string path, std::vector<std::optional<ir::Shape>> input_shapes);

  // Inputs by position. A file fixed at batch 1 given a larger batch (validating a dynamic-batch
  // conversion) runs sample by sample, its outputs stacked along dim 0.
  std::vector<ir::Tensor> run(const std::vector<ir::Tensor>& inputs) override;

 private:
  // The batch of `inputs` when every file input is fixed at batch 1 and they all have another
  // one; 0 otherwise.
  int64_t batch_beyond_file(const std::vector<ir::Tensor>& inputs) const;

  std::string path_;
  std::vector<std::optional<ir::Shape>> input_shapes_;
};

}  // namespace mlexport::runtime
