#include "core/onnx_file_info.h"

#include <set>

#include "frontend/onnx/model_file.h"

namespace mlexport::core {
namespace {

std::optional<ir::DType> to_dtype(int elem_type) {
  switch (elem_type) {
    case onnx::TensorProto::FLOAT:
      return ir::DType::Float32;
    case onnx::TensorProto::FLOAT16:
      return ir::DType::Float16;
    case onnx::TensorProto::DOUBLE:
      return ir::DType::Float64;
    case onnx::TensorProto::INT64:
      return ir::DType::Int64;
    case onnx::TensorProto::INT32:
      return ir::DType::Int32;
    case onnx::TensorProto::BOOL:
      return ir::DType::Bool;
    default:
      return std::nullopt;
  }
}

// Ops that only a quantized graph holds (dynamic and static quantization, integer kernels).
bool is_quantization_op(const std::string& op) {
  static const std::set<std::string> kOps = {
      "DynamicQuantizeLinear", "QuantizeLinear", "DequantizeLinear", "MatMulInteger",
      "ConvInteger",           "QLinearConv",    "QLinearMatMul",    "DynamicQuantizeMatMul"};
  return kOps.count(op) > 0;
}

}  // namespace

OnnxFileInfo read_onnx_file_info(const std::string& path) {
  const frontend::onnx::ModelFile file = frontend::onnx::load_model_file(path);
  const onnx::GraphProto& graph = file.proto.graph();
  OnnxFileInfo info;
  for (const auto& op : file.proto.opset_import())
    if (frontend::onnx::is_default_domain(op.domain())) info.opset = static_cast<int>(op.version());
  std::set<std::string> initializers;
  size_t float32_weights = 0, float16_weights = 0;
  for (const auto& t : graph.initializer()) {
    initializers.insert(t.name());
    if (t.data_type() == onnx::TensorProto::FLOAT) ++float32_weights;
    if (t.data_type() == onnx::TensorProto::FLOAT16) ++float16_weights;
  }
  bool quantized = false;
  for (const auto& node : graph.node()) {
    quantized = quantized || is_quantization_op(node.op_type());
    // Weights folded into Constant nodes count as well.
    if (node.op_type() == "Constant")
      for (const auto& a : node.attribute())
        if (a.has_t()) {
          if (a.t().data_type() == onnx::TensorProto::FLOAT) ++float32_weights;
          if (a.t().data_type() == onnx::TensorProto::FLOAT16) ++float16_weights;
        }
  }
  info.precision = quantized ? "int8" : float16_weights > float32_weights ? "fp16" : "fp32";
  for (const auto& in : graph.input()) {
    if (initializers.count(in.name())) continue;
    OnnxFileInput input;
    input.name = in.name();
    const auto& tensor = in.type().tensor_type();
    input.dtype = to_dtype(tensor.elem_type());
    input.has_shape = tensor.has_shape();
    for (const auto& d : tensor.shape().dim())
      input.dims.push_back(d.has_dim_value() ? ir::Dim::fixed(d.dim_value())
                                             : ir::Dim::named(d.dim_param()));
    info.inputs.push_back(std::move(input));
  }
  for (const auto& out : graph.output()) info.outputs.push_back(out.name());
  return info;
}

}  // namespace mlexport::core
