// An ONNX file as a model source: the imported graph is the IR that other formats are written
// from. Its reference (ONNX Runtime running the original file) is runtime/onnx_file_reference.h.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frontend/onnx/onnx_import.h"
#include "frontend/source.h"

namespace mlexport::frontend::onnx {

class OnnxSourceModel : public Source {
 public:
  // Imports `path` at once, so a bad or unsupported file fails here (errors as import_onnx).
  explicit OnnxSourceModel(std::string path);

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

  // The file's input shapes as declared (nullopt: no rank), for the reference run.
  std::vector<std::optional<ir::Shape>> input_shapes() const;
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

  std::string path_;
  std::unique_ptr<ir::Graph> graph_;  // imported with default options; handed out once
  std::vector<Input> inputs_;
  int opset_ = 0;
  std::string producer_;
};

// Opens an ONNX file as a Source (throws as import_onnx does).
std::unique_ptr<Source> open_onnx_source(const std::string& path);

}  // namespace mlexport::frontend::onnx
