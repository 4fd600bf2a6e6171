#include "frontend/torchscript/shape_only.h"

#include <string>

namespace mlexport::frontend::torchscript {
namespace {

std::vector<int64_t> expand(const c10::IValue& v, size_t n) {
  std::vector<int64_t> values = v.toIntVector();
  if (values.size() == 1 && n > 1) values.assign(n, values[0]);
  return values;
}

// Output sizes of a (transposed) convolution, as PyTorch defines them.
std::optional<std::vector<int64_t>> conv_shape(const at::Tensor& input, const at::Tensor& weight,
                                               const c10::IValue& stride_v,
                                               const c10::IValue& padding_v,
                                               const c10::IValue& dilation_v, bool transposed,
                                               const c10::IValue& output_padding_v,
                                               int64_t groups) {
  const int64_t spatial = weight.dim() - 2;
  if (spatial < 1 || input.dim() != weight.dim() || !padding_v.isIntList()) return std::nullopt;
  const auto n = static_cast<size_t>(spatial);
  auto stride = expand(stride_v, n), padding = expand(padding_v, n),
       dilation = expand(dilation_v, n);
  std::vector<int64_t> output_padding(n, 0);
  if (transposed) output_padding = expand(output_padding_v, n);
  if (stride.size() != n || padding.size() != n || dilation.size() != n) return std::nullopt;
  std::vector<int64_t> out = {input.size(0), transposed ? weight.size(1) * groups : weight.size(0)};
  for (size_t d = 0; d < n; ++d) {
    const int64_t in = input.size(static_cast<int64_t>(d) + 2);
    const int64_t k = weight.size(static_cast<int64_t>(d) + 2);
    const int64_t size =
        transposed
            ? (in - 1) * stride[d] - 2 * padding[d] + dilation[d] * (k - 1) + output_padding[d] + 1
            : (in + 2 * padding[d] - dilation[d] * (k - 1) - 1) / stride[d] + 1;
    if (size <= 0) return std::nullopt;  // let the real op report the error
    out.push_back(size);
  }
  return out;
}

c10::IValue zeros_like_result(const std::vector<int64_t>& sizes, const at::Tensor& like) {
  return at::zeros(sizes, like.options());
}

}  // namespace

std::optional<std::vector<c10::IValue>> run_shape_only(const torch::jit::Node* node,
                                                       const torch::jit::Stack& in) {
  const std::string kind = node->kind().toQualString();
  auto tensor = [&](size_t k) { return in.at(k).toTensor(); };
  try {
    if (kind == "aten::_convolution") {
      auto shape = conv_shape(tensor(0), tensor(1), in[3], in[4], in[5], in[6].toBool(), in[7],
                              in[8].toInt());
      if (shape) return std::vector<c10::IValue>{zeros_like_result(*shape, tensor(0))};
    } else if (kind == "aten::conv1d" || kind == "aten::conv2d" || kind == "aten::conv3d") {
      auto shape = conv_shape(tensor(0), tensor(1), in[3], in[4], in[5], false, c10::IValue(),
                              in[6].toInt());
      if (shape) return std::vector<c10::IValue>{zeros_like_result(*shape, tensor(0))};
    } else if (kind == "aten::linear" || kind == "aten::matmul" || kind == "aten::bmm" ||
               kind == "aten::mm" || kind == "aten::addmm") {
      // Meta tensors carry shapes without data; PyTorch's meta kernels do the shape logic.
      torch::jit::Stack meta;
      for (const c10::IValue& v : in)
        meta.push_back(v.isTensor() ? c10::IValue(v.toTensor().to(at::kMeta)) : v);
      torch::jit::Operation op = node->getOperation();
      op(meta);
      const at::Tensor& result = meta.back().toTensor();
      return std::vector<c10::IValue>{at::zeros(result.sizes(), result.options().device(at::kCPU))};
    }
  } catch (const std::exception&) {
    // No meta kernel or unusual arguments: fall back to running the op for real.
  }
  return std::nullopt;
}

}  // namespace mlexport::frontend::torchscript
