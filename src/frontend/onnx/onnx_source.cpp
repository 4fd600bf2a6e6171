#include "frontend/onnx/onnx_source.h"

#include <cstring>

#include "mlexport/diagnostics.h"
#include "runtime/onnxruntime_runner.h"

namespace mlexport::frontend::onnx {

OnnxSourceModel::OnnxSourceModel(std::string path) : path_(std::move(path)) {
  OnnxImport imported = import_onnx(path_, ImportOptions{});
  graph_ = std::move(imported.graph);
  opset_ = imported.opset;
  producer_ = std::move(imported.producer);
  for (const ir::Value* v : graph_->inputs()) inputs_.push_back({v->name, v->dtype, v->shape});
}

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

int64_t OnnxSourceModel::batch_beyond_file(const std::vector<ir::Tensor>& inputs) const {
  if (inputs.size() != inputs_.size() || inputs.empty()) return 0;
  int64_t batch = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Input& in = inputs_[k];
    if (!in.shape || in.shape->empty() || (*in.shape)[0] != ir::Dim::fixed(1)) return 0;
    if (inputs[k].shape.empty() || (batch && inputs[k].shape[0] != batch)) return 0;
    batch = inputs[k].shape[0];
  }
  return batch > 1 ? batch : 0;
}

std::vector<ir::Tensor> OnnxSourceModel::run(const std::vector<ir::Tensor>& inputs) {
  const int64_t batch = batch_beyond_file(inputs);
  if (batch == 0) return runtime::run_onnxruntime(path_, inputs).outputs;
  // The file is fixed at batch 1, which ONNX Runtime enforces; a conversion with a dynamic
  // batch is validated at another size, so each sample runs alone and the outputs are stacked.
  std::vector<std::vector<ir::Tensor>> per_output;
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<ir::Tensor> one;
    for (const ir::Tensor& t : inputs) one.push_back(sample(t, b));
    std::vector<ir::Tensor> outputs = runtime::run_onnxruntime(path_, one).outputs;
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

void OnnxSourceModel::check_examples(const std::vector<ir::Tensor>& examples,
                                     bool dynamic_batch) const {
  if (examples.empty()) return;  // the file has its shapes; examples only get checked
  if (examples.size() != inputs_.size())
    throw bad_input(path_ + " takes " + std::to_string(inputs_.size()) + " input(s) but " +
                    std::to_string(examples.size()) + " were given");
  for (size_t k = 0; k < examples.size(); ++k) {
    const Input& in = inputs_[k];
    const ir::Tensor& t = examples[k];
    const std::string what = "input '" + in.name + "' of " + path_;
    if (t.dtype != in.dtype)
      throw bad_input(what + " is " + std::string(ir::dtype_name(in.dtype)) +
                      " but the example is " + std::string(ir::dtype_name(t.dtype)));
    if (!in.shape) continue;
    bool fits = in.shape->size() == t.shape.size();
    for (size_t d = 0; fits && d < t.shape.size(); ++d) {
      const ir::Dim& dim = (*in.shape)[d];
      fits = !dim.is_fixed() || dim.size == t.shape[d] || (d == 0 && dynamic_batch);
    }
    if (!fits)
      throw bad_input(what + " has shape " + ir::shape_to_string(*in.shape) +
                      " but the example has " + ir::shape_to_string(t.shape));
  }
}

std::unique_ptr<ir::Graph> OnnxSourceModel::to_ir(const std::vector<ir::Tensor>& example_inputs,
                                                  const ImportOptions& options) {
  check_examples(example_inputs, options.dynamic_batch);
  const bool defaults =
      !options.dynamic_batch && options.input_names.empty() && options.output_names.empty();
  if (defaults && graph_) return std::move(graph_);
  return import_onnx(path_, options).graph;
}

std::vector<std::vector<int64_t>> OnnxSourceModel::default_input_shapes() const {
  std::vector<std::vector<int64_t>> shapes;
  for (const Input& in : inputs_) {
    if (!in.shape) return {};
    std::vector<int64_t> dims;
    for (const ir::Dim& d : *in.shape) dims.push_back(d.is_fixed() ? d.size : 1);
    shapes.push_back(std::move(dims));
  }
  return shapes;
}

std::vector<ir::DType> OnnxSourceModel::default_input_dtypes() const {
  std::vector<ir::DType> out;
  for (const Input& in : inputs_) out.push_back(in.dtype);
  return out;
}

std::vector<std::string> OnnxSourceModel::input_names() const {
  std::vector<std::string> out;
  for (const Input& in : inputs_) out.push_back(in.name);
  return out;
}

std::unique_ptr<SourceModel> open_onnx_source(const std::string& path) {
  return std::make_unique<OnnxSourceModel>(path);
}

}  // namespace mlexport::frontend::onnx
