// Batch, layer, group and instance normalization.
#include "frontend/torchscript/op/helpers.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {
namespace {

// A per-channel parameter, or a constant of ones/zeros when the module has no affine part.
ir::Value* channel_param(TranslateContext& ctx, const JitValue* v, int64_t channels, double fill,
                         ir::DType dt) {
  if (!ctx.is_none(v)) return ctx.tensor_as(v, dt);
  return float_vector(ctx, std::vector<double>(static_cast<size_t>(channels), fill), dt);
}

// aten::batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean,
//   Tensor? running_var, bool training, float momentum, float eps, bool cudnn_enabled)
void translate_batch_norm(TranslateContext& ctx, const JitNode* node) {
  const ir::DType dt = ctx.dtype(node->output());
  if (ctx.const_bool(node->input(5)) || ctx.is_none(node->input(3)))
    throw Error(ExitCode::kUnsupportedOps,
                "aten::batch_norm in training mode (batch statistics) cannot be exported; "
                "put the model in eval mode before tracing");
  const int64_t channels = ctx.sizes(node->input(0)).at(1);
  bind_output(ctx, node,
              ctx.op("BatchNormalization",
                     {ctx.tensor_as(node->input(0), dt),
                      channel_param(ctx, node->input(1), channels, 1.0, dt),
                      channel_param(ctx, node->input(2), channels, 0.0, dt),
                      ctx.tensor_as(node->input(3), dt), ctx.tensor_as(node->input(4), dt)},
                     {{"epsilon", ctx.const_double(node->input(7))}}));
}

// aten::layer_norm(Tensor input, int[] normalized_shape, Tensor? weight, Tensor? bias,
//   float eps, bool cudnn_enable)
void translate_layer_norm(TranslateContext& ctx, const JitNode* node) {
  const ir::DType dt = ctx.dtype(node->output());
  const auto normalized = ctx.const_ints(node->input(1));
  const int64_t rank = ctx.rank(node->input(0));
  int64_t count = 1;
  for (int64_t d : normalized) count *= d;
  auto param = [&](const JitValue* v, double fill) {
    if (!ctx.is_none(v)) return ctx.tensor_as(v, dt);
    ir::Tensor t = ir::Tensor(ir::DType::Float64, normalized);
    for (int64_t k = 0; k < count; ++k) t.data<double>()[k] = fill;
    return ctx.constant(t.cast(dt));
  };
  bind_output(ctx, node,
              ctx.op("LayerNormalization",
                     {ctx.tensor_as(node->input(0), dt), param(node->input(2), 1.0),
                      param(node->input(3), 0.0)},
                     {{"axis", rank - static_cast<int64_t>(normalized.size())},
                      {"epsilon", ctx.const_double(node->input(4))}}));
}

// aten::group_norm(Tensor input, int num_groups, Tensor? weight, Tensor? bias, float eps,
//   bool cudnn_enabled): normalise over [N, G, C/G * spatial], then scale per channel.
void translate_group_norm(TranslateContext& ctx, const JitNode* node) {
  const ir::DType dt = ctx.dtype(node->output());
  const int64_t groups = ctx.const_int(node->input(1));
  const double eps = ctx.const_double(node->input(4));
  const auto sizes = ctx.sizes(node->input(0));
  const int64_t rank = static_cast<int64_t>(sizes.size());
  const int64_t channels = sizes.at(1);
  ir::Value* x = ctx.tensor_as(node->input(0), dt);
  ir::Value* grouped = ctx.op("Reshape", {x, ctx.int64_vector({0, groups, -1})});
  // Instance normalisation over the grouped tensor is exactly group normalisation.
  ir::Value* normed =
      ctx.op("InstanceNormalization",
             {grouped, float_vector(ctx, std::vector<double>(static_cast<size_t>(groups), 1.0), dt),
              float_vector(ctx, std::vector<double>(static_cast<size_t>(groups), 0.0), dt)},
             {{"epsilon", eps}});
  ir::Value* y = ctx.op("Reshape", {normed, ctx.op("Shape", {x})});
  std::vector<int64_t> param_shape(static_cast<size_t>(rank - 1), 1);
  param_shape[0] = channels;
  if (!ctx.is_none(node->input(2)))
    y = ctx.op(
        "Mul",
        {y, ctx.op("Reshape", {ctx.tensor_as(node->input(2), dt), ctx.int64_vector(param_shape)})});
  if (!ctx.is_none(node->input(3)))
    y = ctx.op(
        "Add",
        {y, ctx.op("Reshape", {ctx.tensor_as(node->input(3), dt), ctx.int64_vector(param_shape)})});
  bind_output(ctx, node, y);
}

// aten::instance_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean,
//   Tensor? running_var, bool use_input_stats, float momentum, float eps, bool cudnn_enabled)
void translate_instance_norm(TranslateContext& ctx, const JitNode* node) {
  const ir::DType dt = ctx.dtype(node->output());
  const int64_t channels = ctx.sizes(node->input(0)).at(1);
  const double eps = ctx.const_double(node->input(7));
  ir::Value* scale = channel_param(ctx, node->input(1), channels, 1.0, dt);
  ir::Value* bias = channel_param(ctx, node->input(2), channels, 0.0, dt);
  if (!ctx.const_bool(node->input(5))) {  // running statistics: same as batch norm
    return bind_output(
        ctx, node,
        ctx.op("BatchNormalization",
               {ctx.tensor_as(node->input(0), dt), scale, bias, ctx.tensor_as(node->input(3), dt),
                ctx.tensor_as(node->input(4), dt)},
               {{"epsilon", eps}}));
  }
  bind_output(ctx, node,
              ctx.op("InstanceNormalization", {ctx.tensor_as(node->input(0), dt), scale, bias},
                     {{"epsilon", eps}}));
}

}  // namespace

std::vector<OpRule> normalization_rules() {
  return {
      {"aten::batch_norm", translate_batch_norm, "BatchNormalization (folded into Conv/Gemm)"},
      {"aten::layer_norm", translate_layer_norm, "LayerNormalization (opset 17; decomposed below)"},
      {"aten::group_norm", translate_group_norm, "Reshape + InstanceNormalization + Mul/Add"},
      {"aten::instance_norm", translate_instance_norm, "InstanceNormalization"},
  };
}

}  // namespace mlexport::frontend::torchscript
