// Max, average and adaptive pooling.
#include <cmath>

#include "frontend/torchscript/op/helpers.h"
#include "mlexport/diagnostics.h"

namespace mlexport::torchscript {
namespace {

size_t spatial_rank(TranslateContext& ctx, const JitNode* node) {
  const std::string kind = node->kind().toQualString();
  if (kind.find("1d") != std::string::npos) return 1;
  if (kind.find("3d") != std::string::npos) return 3;
  return 2;
}

// aten::max_pool1d/2d/3d(Tensor self, int[] kernel_size, int[] stride, int[] padding,
//   int[] dilation, bool ceil_mode) ;
// aten::max_pool1d/2d/3d_with_indices(same) -> (Tensor, Tensor indices)
// ONNX's Indices count over the whole N x C x spatial tensor, PyTorch's within each (n, c)
// plane: the plane's offset is removed with Mod(plane size).
void translate_max_pool(TranslateContext& ctx, const JitNode* node) {
  const size_t n = spatial_rank(ctx, node);
  auto kernel = expand_ints(ctx, node->input(1), n);
  auto stride = expand_ints(ctx, node->input(2), n);
  if (stride.empty()) stride = kernel;
  auto padding = expand_ints(ctx, node->input(3), n);
  auto dilation = expand_ints(ctx, node->input(4), n);
  const bool ceil = ctx.const_bool(node->input(5));
  const bool want_indices = node->outputs().size() > 1 && node->output(1)->hasUses();
  ir::Node* pool = ctx.emit("MaxPool", {ctx.tensor(node->input(0))},
                            {{"kernel_shape", kernel},
                             {"strides", stride},
                             {"pads", symmetric_pads(padding)},
                             {"dilations", dilation},
                             {"ceil_mode", int64_t{ceil}}},
                            want_indices ? 2 : 1);
  ctx.bind(node->output(0), pool->outputs[0]);
  if (!want_indices) return;
  const auto in_sizes = ctx.sizes(node->input(0));
  int64_t plane = 1;
  for (size_t d = in_sizes.size() - n; d < in_sizes.size(); ++d) plane *= in_sizes[d];
  ir::Value* flat = pool->outputs[1];
  flat->dtype = ir::DType::Int64;
  ctx.bind(node->output(1), ctx.op("Mod", {flat, ctx.constant(ir::Tensor::scalar_int64(plane))},
                                   {{"fmod", int64_t{0}}}));
}

// aten::avg_pool1d(Tensor self, int[] kernel_size, int[] stride, int[] padding, bool ceil_mode,
//   bool count_include_pad) ; avg_pool2d/3d(..., int? divisor_override)
void translate_avg_pool(TranslateContext& ctx, const JitNode* node) {
  const size_t n = spatial_rank(ctx, node);
  auto kernel = expand_ints(ctx, node->input(1), n);
  auto stride = expand_ints(ctx, node->input(2), n);
  if (stride.empty()) stride = kernel;
  auto padding = expand_ints(ctx, node->input(3), n);
  const bool ceil = ctx.const_bool(node->input(4));
  const bool include_pad = ctx.const_bool(node->input(5));
  ir::Value* x = ctx.tensor(node->input(0));
  ir::Value* y = ctx.op("AveragePool", {x},
                        {{"kernel_shape", kernel},
                         {"strides", stride},
                         {"pads", symmetric_pads(padding)},
                         {"ceil_mode", int64_t{ceil}},
                         {"count_include_pad", int64_t{include_pad}}});
  if (node->inputs().size() > 6 && !ctx.is_none(node->input(6))) {
    // divisor_override: undo the mean's divisor and apply the given one.
    double area = 1;
    for (int64_t k : kernel) area *= static_cast<double>(k);
    const double divisor = static_cast<double>(ctx.const_int(node->input(6)));
    y = ctx.op("Mul", {y, ctx.scalar(area / divisor, ctx.dtype(node->output()))});
  }
  bind_output(ctx, node, y);
}

// Adaptive pooling along one axis: PyTorch's cell i covers [floor(i*in/out), ceil((i+1)*in/out)).
ir::Value* adaptive_axis(TranslateContext& ctx, ir::Value* x, int64_t axis, int64_t in, int64_t out,
                         const char* reduce) {
  if (in == out) return x;
  if (in % out == 0) {
    // Equal windows: a strided reduce over reshaped cells keeps the graph small.
    return nullptr;
  }
  std::vector<ir::Value*> cells;
  for (int64_t i = 0; i < out; ++i) {
    const int64_t start = (i * in) / out;
    const int64_t end = ((i + 1) * in + out - 1) / out;
    ir::Value* slice = ctx.op(
        "Slice", {x, ctx.int64_vector({start}), ctx.int64_vector({end}), ctx.int64_vector({axis})});
    cells.push_back(end - start == 1
                        ? slice
                        : ctx.op(reduce, {slice},
                                 {{"axes", std::vector<int64_t>{axis}}, {"keepdims", int64_t{1}}}));
  }
  return ctx.op("Concat", cells, {{"axis", axis}});
}

// aten::adaptive_avg_pool1d/2d(Tensor self, int[] output_size) ;
// aten::adaptive_max_pool1d/2d(Tensor self, int[] output_size) -> (Tensor, Tensor indices)
void translate_adaptive_pool(TranslateContext& ctx, const JitNode* node) {
  const std::string kind = node->kind().toQualString();
  const bool is_max = kind.find("max") != std::string::npos;
  const size_t n = spatial_rank(ctx, node);
  const auto in_sizes = ctx.sizes(node->input(0));
  const int64_t rank = static_cast<int64_t>(in_sizes.size());
  auto out_sizes = expand_ints(ctx, node->input(1), n);
  // None entries (keep the input size) arrive as recorded output sizes.
  const auto result_sizes = ctx.sizes(node->output(0));
  for (size_t d = 0; d < n; ++d) out_sizes[d] = result_sizes[rank - n + d];
  ir::Value* x = ctx.tensor(node->input(0));
  bool global = true;
  for (int64_t s : out_sizes) global = global && s == 1;
  ir::Value* y;
  if (global) {
    y = ctx.op(is_max ? "GlobalMaxPool" : "GlobalAveragePool", {x});
  } else {
    bool uniform = true;
    std::vector<int64_t> kernel;
    for (size_t d = 0; d < n; ++d) {
      const int64_t in = in_sizes[rank - n + d];
      uniform = uniform && in % out_sizes[d] == 0;
      kernel.push_back(out_sizes[d] ? in / out_sizes[d] : 1);
    }
    if (uniform) {
      y = ctx.op(is_max ? "MaxPool" : "AveragePool", {x},
                 {{"kernel_shape", kernel}, {"strides", kernel}});
    } else {
      y = x;
      for (size_t d = 0; d < n; ++d) {
        const int64_t axis = rank - static_cast<int64_t>(n) + static_cast<int64_t>(d);
        ir::Value* r = adaptive_axis(ctx, y, axis, in_sizes[axis], out_sizes[d],
                                     is_max ? "ReduceMax" : "ReduceMean");
        if (!r) {
          const int64_t k = in_sizes[axis] / out_sizes[d];
          std::vector<int64_t> kern(n, 1);
          kern[d] = k;
          r = ctx.op(is_max ? "MaxPool" : "AveragePool", {y},
                     {{"kernel_shape", kern}, {"strides", kern}});
        }
        y = r;
      }
    }
  }
  ctx.bind(node->output(0), y);
  if (node->outputs().size() > 1 && node->output(1)->hasUses())
    throw Error(ExitCode::kUnsupportedOps,
                kind + " with return_indices=True (the indices are used)");
}

}  // namespace

std::vector<OpRule> pooling_rules() {
  return {
      {"aten::max_pool1d", translate_max_pool, "MaxPool"},
      {"aten::max_pool2d", translate_max_pool, "MaxPool"},
      {"aten::max_pool3d", translate_max_pool, "MaxPool"},
      {"aten::max_pool1d_with_indices", translate_max_pool, "MaxPool (+ Mod for the indices)"},
      {"aten::max_pool2d_with_indices", translate_max_pool, "MaxPool (+ Mod for the indices)"},
      {"aten::max_pool3d_with_indices", translate_max_pool, "MaxPool (+ Mod for the indices)"},
      {"aten::avg_pool1d", translate_avg_pool, "AveragePool"},
      {"aten::avg_pool2d", translate_avg_pool, "AveragePool"},
      {"aten::avg_pool3d", translate_avg_pool, "AveragePool"},
      {"aten::adaptive_avg_pool1d", translate_adaptive_pool,
       "GlobalAveragePool / AveragePool / Slice+ReduceMean+Concat"},
      {"aten::adaptive_avg_pool2d", translate_adaptive_pool,
       "GlobalAveragePool / AveragePool / Slice+ReduceMean+Concat"},
      {"aten::adaptive_max_pool1d", translate_adaptive_pool,
       "GlobalMaxPool / MaxPool / Slice+ReduceMax+Concat"},
      {"aten::adaptive_max_pool2d", translate_adaptive_pool,
       "GlobalMaxPool / MaxPool / Slice+ReduceMax+Concat"},
  };
}

}  // namespace mlexport::torchscript
