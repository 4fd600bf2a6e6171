// An ONNX file as a model source: ONNX Runtime running the ORIGINAL file is the validation
// reference, and the imported graph is the IR that other formats are written from.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frontend/onnx/onnx_import.h"
#include "frontend/source_model.h"

namespace mlexport::frontend::onnx {

class OnnxSourceModel : public SourceModel {
 public:
  // Imports `path` at once, so a bad or unsupported file fails here (errors as import_onnx).
  explicit OnnxSourceModel(std::string path);

  // The original file in ONNX Runtime (runtime/onnxruntime_runner.h), inputs by position. A
  // file fixed at batch 1 given a larger batch (validating a dynamic-batch conversion) runs
  // sample by sample, its outputs stacked along dim 0.
  std::vector<ir::Tensor> run(const std::vector<ir::Tensor>& inputs) override;
  // The imported graph. With options.dynamic_batch a fixed dim 0 of inputs and outputs becomes
  // "batch_size" (the file is imported again so the symbol reaches every value). The shapes are
  // the file's; `example_inputs` (may be empty) are only checked: kBadInput when they do not fit
  // the file's inputs (count, dtype, fixed dims).
  std::unique_ptr<ir::Graph> to_ir(const std::vector<ir::Tensor>& example_inputs,
                                   const ImportOptions& options) override;
  size_t num_inputs() const override { return inputs_.size(); }
  // The file's input shapes, symbolic and unknown dims as 1; empty when some input has no rank.
  std::vector<std::vector<int64_t>> default_input_shapes() const override;
  // The file's input element types (token ids are int64, not the float32 a default would be).
  std::vector<ir::DType> default_input_dtypes() const override;

  std::vector<std::string> input_names() const;
  int opset() const { return opset_; }
  const std::string& producer() const { return producer_; }

 private:
  struct Input {
    std::string name;
    ir::DType dtype;
    std::optional<ir::Shape> shape;
  };

  void check_examples(const std::vector<ir::Tensor>& examples, bool dynamic_batch) const;
  // The batch of `inputs` when every file input is fixed at batch 1 and they all have another
  // one; 0 otherwise.
  int64_t batch_beyond_file(const std::vector<ir::Tensor>& inputs) const;

  std::string path_;
  std::unique_ptr<ir::Graph> graph_;  // imported with default options; handed out once
  std::vector<Input> inputs_;
  int opset_ = 0;
  std::string producer_;
};

// Opens an ONNX file as a SourceModel (throws as import_onnx does).
std::unique_ptr<SourceModel> open_onnx_source(const std::string& path);

}  // namespace mlexport::frontend::onnx
