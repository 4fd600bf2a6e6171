#include "runtime/onnx_file_reference.h"

#include <cstring>

#include "mlexport/diagnostics.h"
#include "runtime/onnxruntime_runner.h"

namespace mlexport::runtime {

OnnxFileReference::OnnxFileReference(std::string path,
                                     std::vector<std::optional<ir::Shape>> input_shapes)
    : path_(std::move(path)), input_shapes_(std::move(input_shapes)) {}

namespace {

// Sample b of a batch-major tensor.
ir::Tensor sample(const ir::Tensor& t, int64_t b) {
  std::vector<int64_t> shape = t.shape;
  shape[0] = 1;
  ir::Tensor out(t.dtype, shape);
  std::memcpy(out.raw(), t.raw() + static_cast<size_t>(b) * out.nbytes(), out.nbytes());
  return out;
}

// Outputs of one-sample runs stacked along dim 0.
ir::Tensor stack(const std::vector<ir::Tensor>& parts) {
  std::vector<int64_t> shape = parts.front().shape;
  shape[0] = static_cast<int64_t>(parts.size());
  ir::Tensor out(parts.front().dtype, shape);
  for (size_t b = 0; b < parts.size(); ++b)
    std::memcpy(out.raw() + b * parts[b].nbytes(), parts[b].raw(), parts[b].nbytes());
  return out;
}

}  // namespace

int64_t OnnxFileReference::batch_beyond_file(const std::vector<ir::Tensor>& inputs) const {
  if (inputs.size() != input_shapes_.size() || inputs.empty()) return 0;
  int64_t batch = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const std::optional<ir::Shape>& shape = input_shapes_[k];
    if (!shape || shape->empty() || (*shape)[0] != ir::Dim::fixed(1)) return 0;
    if (inputs[k].shape.empty() || (batch && inputs[k].shape[0] != batch)) return 0;
    batch = inputs[k].shape[0];
  }
  return batch > 1 ? batch : 0;
}

std::vector<ir::Tensor> OnnxFileReference::run(const std::vector<ir::Tensor>& inputs) {
  const int64_t batch = batch_beyond_file(inputs);
  if (batch == 0) return run_onnxruntime(path_, inputs).outputs;
  // The file is fixed at batch 1, which ONNX Runtime enforces; a conversion with a dynamic
  // batch is validated at another size, so each sample runs alone and the outputs are stacked.
  std::vector<std::vector<ir::Tensor>> per_output;
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<ir::Tensor> one;
    for (const ir::Tensor& t : inputs) one.push_back(sample(t, b));
    std::vector<ir::Tensor> outputs = run_onnxruntime(path_, one).outputs;
    per_output.resize(outputs.size());
    for (size_t k = 0; k < outputs.size(); ++k) {
      if (outputs[k].shape.empty() || outputs[k].shape[0] != 1)
        throw bad_input(path_ + " is fixed at batch 1 and its output " + std::to_string(k) +
                        " does not lead with the batch, so it cannot be run at batch " +
                        std::to_string(batch));
      per_output[k].push_back(std::move(outputs[k]));
    }
  }
  std::vector<ir::Tensor> stacked;
  for (const auto& parts : per_output) stacked.push_back(stack(parts));
  return stacked;
}

}  // namespace mlexport::runtime
