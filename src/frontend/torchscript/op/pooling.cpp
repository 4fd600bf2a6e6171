// Max, average and adaptive pooling.
#include <cmath>
#include <tuple>
#include <utility>

#include "frontend/torchscript/op/helpers.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {
namespace {

size_t spatial_rank(TranslateContext& ctx, const JitNode* node) {
  (void)ctx;
  const std::string kind = node->kind().toQualString();
  if (kind.find("1d") != std::string::npos) return 1;
  if (kind.find("3d") != std::string::npos) return 3;
  return 2;
}

// A per-axis int list argument with exactly `n` entries: an empty list takes `fallback`, a single
// entry applies to every axis. Anything else is a variant ONNX's attributes cannot state.
std::vector<int64_t> axis_ints(TranslateContext& ctx, const JitValue* v, size_t n,
                               const std::vector<int64_t>& fallback) {
  std::vector<int64_t> values = ctx.const_ints(v);
  if (values.empty()) values = fallback;
  if (values.size() == 1 && n > 1) values.assign(n, values[0]);
  if (values.size() != n)
    throw Error(ExitCode::kUnsupportedOps, std::string(ctx.current()->kind().toQualString()) +
                                               " with " + std::to_string(values.size()) +
                                               " values for " + std::to_string(n) +
                                               " spatial axes");
  return values;
}

// PyTorch pools unbatched inputs ([C, spatial...]) too; ONNX pooling always wants [N, C, ...].
// Returns the input with a leading axis added when it has none.
struct Batched {
  ir::Value* x;
  bool added;
};
Batched with_batch_axis(TranslateContext& ctx, const JitValue* input, size_t n) {
  ir::Value* x = ctx.tensor(input);
  if (static_cast<size_t>(ctx.rank(input)) != n + 1) return {x, false};
  return {typed(ctx.op("Unsqueeze", {x}, {{"axes", std::vector<int64_t>{0}}}), x->dtype), true};
}
ir::Value* drop_batch_axis(TranslateContext& ctx, ir::Value* y, bool added) {
  if (!added) return y;
  return typed(ctx.op("Squeeze", {y}, {{"axes", std::vector<int64_t>{0}}}), y->dtype);
}

// The number of elements of one (n, c) plane: PyTorch's pooling indices count within it.
int64_t plane_size(TranslateContext& ctx, const JitValue* input, size_t n) {
  const auto in_sizes = ctx.sizes(input);
  int64_t plane = 1;
  for (size_t d = in_sizes.size() - n; d < in_sizes.size(); ++d) plane *= in_sizes[d];
  return plane;
}

// aten::max_pool1d/2d/3d(Tensor self, int[] kernel_size, int[] stride, int[] padding,
//   int[] dilation, bool ceil_mode) ;
// aten::max_pool1d/2d/3d_with_indices(same) -> (Tensor, Tensor indices)
// ONNX's Indices count over the whole N x C x spatial tensor, PyTorch's within each (n, c)
// plane: the plane's offset is removed with Mod(plane size).
void translate_max_pool(TranslateContext& ctx, const JitNode* node) {
  const size_t n = spatial_rank(ctx, node);
  const auto kernel = axis_ints(ctx, node->input(1), n, {});
  const auto stride = axis_ints(ctx, node->input(2), n, kernel);
  const auto padding = axis_ints(ctx, node->input(3), n, std::vector<int64_t>(n, 0));
  const auto dilation = axis_ints(ctx, node->input(4), n, std::vector<int64_t>(n, 1));
  const bool ceil = ctx.const_bool(node->input(5));
  const bool want_indices = node->outputs().size() > 1 && node->output(1)->hasUses();
  const Batched in = with_batch_axis(ctx, node->input(0), n);
  ir::Node* pool = ctx.emit("MaxPool", {in.x},
                            {{"kernel_shape", kernel},
                             {"strides", stride},
                             {"pads", symmetric_pads(padding)},
                             {"dilations", dilation},
                             {"ceil_mode", int64_t{ceil}}},
                            want_indices ? 2 : 1);
  ctx.bind(node->output(0), drop_batch_axis(ctx, pool->outputs[0], in.added));
  if (!want_indices) return;
  ir::Value* flat = typed(pool->outputs[1], ir::DType::Int64);
  const int64_t plane = plane_size(ctx, node->input(0), n);
  ir::Value* local = typed(
      ctx.op("Mod", {flat, ctx.constant(ir::Tensor::scalar_int64(plane))}, {{"fmod", int64_t{0}}}),
      ir::DType::Int64);
  ctx.bind(node->output(1), drop_batch_axis(ctx, local, in.added));
}

// aten::avg_pool1d(Tensor self, int[] kernel_size, int[] stride, int[] padding, bool ceil_mode,
//   bool count_include_pad) ; avg_pool2d/3d(..., int? divisor_override)
void translate_avg_pool(TranslateContext& ctx, const JitNode* node) {
  const size_t n = spatial_rank(ctx, node);
  const auto kernel = axis_ints(ctx, node->input(1), n, {});
  const auto stride = axis_ints(ctx, node->input(2), n, kernel);
  const auto padding = axis_ints(ctx, node->input(3), n, std::vector<int64_t>(n, 0));
  const bool ceil = ctx.const_bool(node->input(4));
  const bool include_pad = ctx.const_bool(node->input(5));
  const Batched in = with_batch_axis(ctx, node->input(0), n);
  ir::Value* y = ctx.op("AveragePool", {in.x},
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
  bind_output(ctx, node, drop_batch_axis(ctx, y, in.added));
}

// PyTorch's adaptive cell i of `out` along an axis of size `in` covers
// [floor(i*in/out), ceil((i+1)*in/out)).
int64_t cell_start(int64_t i, int64_t in, int64_t out) {
  return (i * in) / out;
}
int64_t cell_end(int64_t i, int64_t in, int64_t out) {
  return ((i + 1) * in + out - 1) / out;
}

ir::Value* slice_range(TranslateContext& ctx, ir::Value* x, int64_t axis, int64_t start,
                       int64_t end) {
  return typed(ctx.op("Slice", {x, ctx.int64_vector({start}), ctx.int64_vector({end}),
                                ctx.int64_vector({axis})}),
               x->dtype);
}

// Adaptive pooling along one axis with cells of unequal size: one reduce per cell, concatenated.
// Max and mean over a box are separable, so the axes are reduced one after the other.
ir::Value* adaptive_axis(TranslateContext& ctx, ir::Value* x, int64_t axis, int64_t in, int64_t out,
                         const char* reduce) {
  std::vector<ir::Value*> cells;
  for (int64_t i = 0; i < out; ++i) {
    const int64_t start = cell_start(i, in, out), end = cell_end(i, in, out);
    ir::Value* slice = slice_range(ctx, x, axis, start, end);
    cells.push_back(end - start == 1 ? slice
                                     : typed(ctx.op(reduce, {slice},
                                                    {{"axes", std::vector<int64_t>{axis}},
                                                     {"keepdims", int64_t{1}}}),
                                             x->dtype));
  }
  return typed(ctx.op("Concat", cells, {{"axis", axis}}), x->dtype);
}

ir::Value* int64_scalar(TranslateContext& ctx, int64_t v) {
  return ctx.constant(ir::Tensor::scalar_int64(v));
}

// Adaptive max pooling with indices when the cells are unequal: each cell is flattened, ArgMax
// finds the winner, and its index within the cell is turned into PyTorch's index within the
// input plane (row-major over the spatial axes). x is [N, C, spatial...].
std::pair<ir::Value*, ir::Value*> adaptive_max_cells(TranslateContext& ctx, ir::Value* x,
                                                     const std::vector<int64_t>& in,
                                                     const std::vector<int64_t>& out) {
  const size_t n = in.size();
  std::vector<int64_t> plane_stride(n, 1);
  for (size_t d = n - 1; d > 0; --d) plane_stride[d - 1] = plane_stride[d] * in[d];
  std::vector<ir::Value*> values, indices;
  std::vector<int64_t> cell(n, 0);
  int64_t cells = 1;
  for (int64_t o : out) cells *= o;
  for (int64_t c = 0; c < cells; ++c) {
    int64_t rest = c;
    for (size_t d = n; d-- > 0;) {
      cell[d] = rest % out[d];
      rest /= out[d];
    }
    ir::Value* box = x;
    std::vector<int64_t> start(n), len(n);
    for (size_t d = 0; d < n; ++d) {
      start[d] = cell_start(cell[d], in[d], out[d]);
      len[d] = cell_end(cell[d], in[d], out[d]) - start[d];
      box = slice_range(ctx, box, static_cast<int64_t>(2 + d), start[d], start[d] + len[d]);
    }
    ir::Value* flat = typed(ctx.op("Reshape", {box, ctx.int64_vector({0, 0, -1})}), x->dtype);
    values.push_back(typed(
        ctx.op("ReduceMax", {flat}, {{"axes", std::vector<int64_t>{2}}, {"keepdims", int64_t{1}}}),
        x->dtype));
    ir::Value* local =
        typed(ctx.op("ArgMax", {flat}, {{"axis", int64_t{2}}, {"keepdims", int64_t{1}}}),
              ir::DType::Int64);
    // local = sum_d k_d * inner_d with inner_d = prod(len[d+1:]); plane index = sum_d
    // (start_d + k_d) * plane_stride_d.
    ir::Value* plane = nullptr;
    int64_t offset = 0, inner = 1;
    for (size_t d = n; d-- > 0;) {
      offset += start[d] * plane_stride[d];
      ir::Value* k = local;
      if (inner > 1) k = typed(ctx.op("Div", {k, int64_scalar(ctx, inner)}), ir::DType::Int64);
      if (d > 0) k = typed(ctx.op("Mod", {k, int64_scalar(ctx, len[d])}), ir::DType::Int64);
      if (plane_stride[d] != 1)
        k = typed(ctx.op("Mul", {k, int64_scalar(ctx, plane_stride[d])}), ir::DType::Int64);
      plane = plane ? typed(ctx.op("Add", {plane, k}), ir::DType::Int64) : k;
      inner *= len[d];
    }
    if (offset) plane = typed(ctx.op("Add", {plane, int64_scalar(ctx, offset)}), ir::DType::Int64);
    indices.push_back(plane);
  }
  std::vector<int64_t> shape = {0, 0};
  shape.insert(shape.end(), out.begin(), out.end());
  auto gather = [&](std::vector<ir::Value*>& parts, ir::DType dtype) {
    ir::Value* all = parts.size() == 1
                         ? parts[0]
                         : typed(ctx.op("Concat", parts, {{"axis", int64_t{2}}}), dtype);
    return typed(ctx.op("Reshape", {all, ctx.int64_vector(shape)}), dtype);
  };
  return {gather(values, x->dtype), gather(indices, ir::DType::Int64)};
}

// aten::adaptive_avg_pool1d/2d/3d(Tensor self, int[] output_size) ;
// aten::adaptive_max_pool1d/2d/3d(Tensor self, int[] output_size) -> (Tensor, Tensor indices)
// The output size is read from the recorded result: it may be computed from the input's shape
// (only the batch size varies in an export, so the spatial sizes are fixed).
void translate_adaptive_pool(TranslateContext& ctx, const JitNode* node) {
  const std::string kind = node->kind().toQualString();
  const bool is_max = kind.find("max") != std::string::npos;
  const size_t n = spatial_rank(ctx, node);
  const auto in_all = ctx.sizes(node->input(0));
  const auto out_all = ctx.sizes(node->output(0));
  const std::vector<int64_t> in_sizes(in_all.end() - static_cast<std::ptrdiff_t>(n), in_all.end());
  const std::vector<int64_t> out_sizes(out_all.end() - static_cast<std::ptrdiff_t>(n),
                                       out_all.end());
  const bool want_indices = is_max && node->outputs().size() > 1 && node->output(1)->hasUses();
  const Batched in = with_batch_axis(ctx, node->input(0), n);
  ir::Value* x = in.x;
  const int64_t first_axis = 2;

  bool global = true, uniform = true;
  std::vector<int64_t> kernel;
  for (size_t d = 0; d < n; ++d) {
    global = global && out_sizes[d] == 1;
    uniform = uniform && out_sizes[d] > 0 && in_sizes[d] % out_sizes[d] == 0;
    kernel.push_back(out_sizes[d] > 0 ? in_sizes[d] / out_sizes[d] : 1);
  }
  ir::Value* y = nullptr;
  ir::Value* indices = nullptr;
  if (want_indices && uniform) {
    // Equal cells: a MaxPool with kernel = stride = cell size, indices reduced to the plane.
    ir::Node* pool = ctx.emit("MaxPool", {x}, {{"kernel_shape", kernel}, {"strides", kernel}}, 2);
    y = pool->outputs[0];
    ir::Value* flat = typed(pool->outputs[1], ir::DType::Int64);
    indices = typed(ctx.op("Mod", {flat, int64_scalar(ctx, plane_size(ctx, node->input(0), n))},
                           {{"fmod", int64_t{0}}}),
                    ir::DType::Int64);
  } else if (want_indices) {
    std::tie(y, indices) = adaptive_max_cells(ctx, x, in_sizes, out_sizes);
  } else if (global) {
    y = ctx.op(is_max ? "GlobalMaxPool" : "GlobalAveragePool", {x});
  } else if (uniform) {
    y = ctx.op(is_max ? "MaxPool" : "AveragePool", {x},
               {{"kernel_shape", kernel}, {"strides", kernel}});
  } else {
    y = x;
    for (size_t d = 0; d < n; ++d) {
      if (in_sizes[d] == out_sizes[d]) continue;
      y = adaptive_axis(ctx, y, first_axis + static_cast<int64_t>(d), in_sizes[d], out_sizes[d],
                        is_max ? "ReduceMax" : "ReduceMean");
    }
  }
  ctx.bind(node->output(0), drop_batch_axis(ctx, y, in.added));
  if (indices) ctx.bind(node->output(1), drop_batch_axis(ctx, indices, in.added));
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
      {"aten::adaptive_avg_pool3d", translate_adaptive_pool,
       "GlobalAveragePool / AveragePool / Slice+ReduceMean+Concat"},
      {"aten::adaptive_max_pool3d", translate_adaptive_pool,
       "GlobalMaxPool / MaxPool / Slice+ReduceMax+Concat"},
  };
}

}  // namespace mlexport::frontend::torchscript
