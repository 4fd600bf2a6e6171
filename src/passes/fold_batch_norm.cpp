// Merges an inference BatchNormalization into the Conv or Gemm that feeds it:
// y = (conv(x, W) + b - mean) * s + B with s = scale / sqrt(var + eps)
//   = conv(x, W * s) + (b - mean) * s + B.
#include <cmath>
#include <cstring>

#include "passes/rewriter.h"

namespace mlexport::passes {
namespace {

bool all_constant(const ir::Node& n, size_t from) {
  for (size_t k = from; k < n.inputs.size(); ++k)
    if (!n.inputs[k] || !n.inputs[k]->is_constant()) return false;
  return true;
}

// Scales weight slices along `axis` (0: output channels of Conv / rows of Gemm with transB).
// Scales in place when nothing else shares the weight, so no second copy of it is made.
ir::Tensor scale_weight(const ir::Tensor& w, const std::vector<double>& factor, int axis,
                        bool in_place) {
  const int64_t channels = w.shape[static_cast<size_t>(axis)];
  const int64_t inner = axis == 0 ? w.numel() / channels : 1;
  const int64_t n = w.numel();
  auto channel_of = [&](int64_t i) { return axis == 0 ? i / inner : i % channels; };
  if (w.dtype == ir::DType::Float32) {  // the common case, without per-element conversions
    ir::Tensor out = in_place ? w : ir::Tensor(w.dtype, w.shape);
    const float* src = w.data<float>();
    float* dst = out.data<float>();
    for (int64_t i = 0; i < n; ++i)
      dst[i] = static_cast<float>(static_cast<double>(src[i]) * factor[channel_of(i)]);
    return out;
  }
  ir::Tensor wide = w.cast(ir::DType::Float64);
  double* values = wide.data<double>();
  for (int64_t i = 0; i < n; ++i) values[i] *= factor[channel_of(i)];
  return wide.cast(w.dtype);
}

}  // namespace

bool fold_batch_norm(ir::Graph& graph, const PassContext&) {
  auto uses = ir::count_uses(graph);
  std::vector<ir::Node*> folded;
  for (const auto& bn_ptr : graph.nodes()) {
    ir::Node* bn = bn_ptr.get();
    if (bn->op != "BatchNormalization" || bn->inputs.size() < 5 || !all_constant(*bn, 1)) continue;
    ir::Node* producer = bn->inputs[0]->producer;
    if (!producer || uses[bn->inputs[0]] != 1) continue;
    const bool conv = producer->op == "Conv";
    const bool gemm = producer->op == "Gemm" && producer->f("alpha", 1.0) == 1.0 &&
                      producer->f("beta", 1.0) == 1.0 && producer->i("transA", 0) == 0;
    if (!conv && !gemm) continue;
    if (!all_constant(*producer, 1) || !ir::is_floating(producer->inputs[1]->dtype)) continue;
    const ir::Tensor& w = *producer->inputs[1]->constant;
    const int weight_axis = conv ? 0 : (producer->i("transB", 0) ? 0 : 1);
    const auto scale = bn->inputs[1]->constant->to_double_vector();
    const auto shift = bn->inputs[2]->constant->to_double_vector();
    const auto mean = bn->inputs[3]->constant->to_double_vector();
    const auto var = bn->inputs[4]->constant->to_double_vector();
    const double eps = bn->f("epsilon", 1e-5);
    const size_t channels = static_cast<size_t>(w.shape[static_cast<size_t>(weight_axis)]);
    if (scale.size() != channels || mean.size() != channels) continue;
    std::vector<double> bias(channels, 0.0);
    if (producer->input(2)) {
      auto b = producer->inputs[2]->constant->to_double_vector();
      if (b.size() != channels) continue;  // Gemm bias that broadcasts differently
      bias = b;
    }
    std::vector<double> factor(channels);
    ir::Tensor new_bias(w.dtype, {static_cast<int64_t>(channels)});
    for (size_t c = 0; c < channels; ++c) {
      factor[c] = scale[c] / std::sqrt(var[c] + eps);
      ir::Tensor v = ir::Tensor::scalar_of(w.dtype, (bias[c] - mean[c]) * factor[c] + shift[c]);
      std::memcpy(new_bias.raw() + c * ir::dtype_size(w.dtype), v.raw(), ir::dtype_size(w.dtype));
    }
    const bool in_place = uses[producer->inputs[1]] == 1 && w.bytes.use_count() == 1;
    producer->inputs[1] =
        graph.add_constant(scale_weight(w, factor, weight_axis, in_place), "weight_bn");
    ir::Value* b = graph.add_constant(std::move(new_bias), "bias_bn");
    if (producer->inputs.size() > 2)
      producer->inputs[2] = b;
    else
      producer->inputs.push_back(b);
    folded.push_back(bn);
  }
  for (ir::Node* bn : folded) replace_node_output(graph, bn, bn->inputs[0]);
  return !folded.empty();
}

}  // namespace mlexport::passes
