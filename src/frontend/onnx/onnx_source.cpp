#include "frontend/onnx/onnx_source.h"

#include "mlexport/diagnostics.h"

namespace mlexport::frontend::onnx {

OnnxSourceModel::OnnxSourceModel(std::string path) : path_(std::move(path)) {
  OnnxImport imported = import_onnx(path_, ImportOptions{});
  graph_ = std::move(imported.graph);
  opset_ = imported.opset;
  producer_ = std::move(imported.producer);
  for (const ir::Value* v : graph_->inputs()) inputs_.push_back({v->name, v->dtype, v->shape});
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

std::vector<std::optional<ir::Shape>> OnnxSourceModel::input_shapes() const {
  std::vector<std::optional<ir::Shape>> out;
  for (const Input& in : inputs_) out.push_back(in.shape);
  return out;
}

std::vector<std::string> OnnxSourceModel::input_names() const {
  std::vector<std::string> out;
  for (const Input& in : inputs_) out.push_back(in.name);
  return out;
}

std::unique_ptr<Source> open_onnx_source(const std::string& path) {
  return std::make_unique<OnnxSourceModel>(path);
}

}  // namespace mlexport::frontend::onnx
