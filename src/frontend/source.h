// A model as the exporter reads it: it becomes IR, and that is all a source does. The reference
// run is runtime/'s (runtime/reference.h), and what a format needs beyond the IR is asked of the
// model by that format's writer (emit/artifact_source.h). Torch-free.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/tensor.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend {

struct ImportOptions {
  bool dynamic_batch = false;  // dim 0 of every input/output becomes the symbol "batch_size"
  std::vector<std::string> input_names;
  std::vector<std::string> output_names;
};

class Source {
 public:
  virtual ~Source() = default;
  // The model as IR, with every value's dtype and shape recorded at `example_inputs`. Throws
  // UnsupportedOpsError listing every op without a rule.
  virtual std::unique_ptr<ir::Graph> to_ir(const std::vector<ir::Tensor>& example_inputs,
                                           const ImportOptions& options) = 0;
  // Number of tensor inputs of forward().
  virtual size_t num_inputs() const = 0;
  // Default input shapes (with batch) when the source knows them; empty otherwise.
  virtual std::vector<std::vector<int64_t>> default_input_shapes() const { return {}; }
  // Element types of the inputs when the source knows them (ONNX files); empty: float32.
  virtual std::vector<ir::DType> default_input_dtypes() const { return {}; }

  // Marks the inputs the model takes as complex tensors: the IR, and the inputs given to to_ir()
  // and to the reference, hold them as (real, imag) pairs in a trailing dim of 2.
  virtual void set_complex_inputs(const std::vector<bool>& /*complex*/) {
    throw bad_input("complex inputs (complex64, complex128) are taken by TorchScript models only");
  }
};

}  // namespace mlexport::frontend
