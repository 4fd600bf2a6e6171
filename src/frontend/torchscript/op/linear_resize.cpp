// ONNX Resize maps an output position back with its own float arithmetic ((x + 0.5) / scale -
// 0.5); PyTorch computes scale = (float)in / out once and the position in double. From 320 to 800
// the two sets of weights differ by up to 1.7e-5 at 787 of 800 positions, enough to reorder
// near-tied detection scores downstream. Gathering with PyTorch's own indices and weights
// matches its kernel to float rounding.
#include "frontend/torchscript/op/linear_resize.h"

#include <ATen/native/UpSample.h>

#include "frontend/torchscript/op/helpers.h"

namespace mlexport::frontend::torchscript {
namespace {

using ir::DType;

// Weights shaped to broadcast along `axis` of a rank-`rank` tensor: [n, 1, ..., 1].
std::vector<int64_t> weight_shape(int64_t n, int64_t axis, int64_t rank) {
  std::vector<int64_t> shape = {n};
  for (int64_t k = axis + 1; k < rank; ++k) shape.push_back(1);
  return shape;
}

template <typename T>
ir::Tensor weights_tensor(const std::vector<T>& w, std::vector<int64_t> shape, DType dtype) {
  ir::Tensor t(dtype, std::move(shape));
  std::memcpy(t.raw(), w.data(), w.size() * sizeof(T));
  return t;
}

// x[..., i0, ...] * w0 + x[..., i1, ...] * w1 along `axis`.
ir::Value* blend(TranslateContext& ctx, ir::Value* x, int64_t axis, ir::Value* i0, ir::Value* i1,
                 ir::Value* w0, ir::Value* w1) {
  const DType dt = x->dtype;
  ir::Value* a = typed(ctx.op("Gather", {x, i0}, {{"axis", axis}}), dt);
  ir::Value* b = typed(ctx.op("Gather", {x, i1}, {{"axis", axis}}), dt);
  return typed(
      ctx.op("Add", {typed(ctx.op("Mul", {a, w0}), dt), typed(ctx.op("Mul", {b, w1}), dt)}), dt);
}

template <typename T>
ir::Value* static_axis(TranslateContext& ctx, ir::Value* x, int64_t rank, const LinearAxis& a,
                       bool align) {
  const c10::optional<double> scale =
      a.scale ? c10::optional<double>(*a.scale) : c10::optional<double>();
  const T ratio = at::native::area_pixel_compute_scale<T>(a.in, a.out, align, scale);
  std::vector<int64_t> i0(static_cast<size_t>(a.out)), i1(i0.size());
  std::vector<T> w0(i0.size()), w1(i0.size());
  for (int64_t d = 0; d < a.out; ++d) {
    const auto k = static_cast<size_t>(d);
    at::native::compute_source_index_and_lambda<T>(i0[k], i1[k], w0[k], w1[k], ratio, d, a.in,
                                                   a.out, align);
  }
  const auto shape = weight_shape(a.out, a.axis, rank);
  return blend(ctx, x, a.axis, ctx.int64_vector(i0), ctx.int64_vector(i1),
               ctx.constant(weights_tensor(w0, shape, x->dtype), "resize_weights"),
               ctx.constant(weights_tensor(w1, shape, x->dtype), "resize_weights"));
}

// The same arithmetic in the graph, for sizes known only when it runs: the ratio in the data's
// type, the source position in double (at::acc_type on CPU), as LibTorch's helpers do it.
ir::Value* computed_axis(TranslateContext& ctx, ir::Value* x, int64_t rank, const LinearAxis& a,
                         bool align) {
  const DType dt = x->dtype;
  const DType f64 = DType::Float64;
  auto as = [&](ir::Value* v, DType to) { return typed(ctx.cast(v, to), to); };
  ir::Value* in = a.in_size;
  ir::Value* out = a.out_size;
  ir::Value* ratio;
  if (align) {
    // (in - 1) / (out - 1) for out > 1, else 0.
    ir::Value* one = ctx.scalar(1, DType::Int64);
    ir::Value* num = as(typed(ctx.op("Sub", {in, one}), DType::Int64), dt);
    ir::Value* den = as(typed(ctx.op("Sub", {out, one}), DType::Int64), dt);
    ir::Value* safe = typed(ctx.op("Max", {den, ctx.scalar(1, dt)}), dt);
    ir::Value* r = typed(ctx.op("Div", {num, safe}), dt);
    ir::Value* many = typed(ctx.op("Greater", {out, one}), DType::Bool);
    ratio = typed(ctx.op("Where", {many, r, ctx.scalar(0, dt)}), dt);
  } else if (a.scale && *a.scale > 0) {
    // 1 / scale rounded to the data's type, as compute_scales_value does.
    const double inverse = 1.0 / *a.scale;
    ratio = ctx.scalar(dt == f64 ? inverse : static_cast<double>(static_cast<float>(inverse)), dt);
  } else {
    ratio = typed(ctx.op("Div", {as(in, dt), as(out, dt)}), dt);
  }
  ir::Value* positions =
      as(typed(ctx.op("Range", {ctx.scalar(0, DType::Int64), out, ctx.scalar(1, DType::Int64)}),
               DType::Int64),
         f64);
  ir::Value* r64 = as(ratio, f64);
  ir::Value* real;
  if (align) {
    real = typed(ctx.op("Mul", {r64, positions}), f64);
  } else {
    ir::Value* half = ctx.scalar(0.5, f64);
    ir::Value* mapped = typed(
        ctx.op(
            "Sub",
            {typed(ctx.op("Mul", {r64, typed(ctx.op("Add", {positions, half}), f64)}), f64), half}),
        f64);
    real = typed(ctx.op("Max", {mapped, ctx.scalar(0, f64)}), f64);
  }
  ir::Value* i0 = as(typed(ctx.op("Floor", {real}), f64), DType::Int64);
  ir::Value* last = typed(ctx.op("Sub", {in, ctx.scalar(1, DType::Int64)}), DType::Int64);
  ir::Value* step = as(typed(ctx.op("Less", {i0, last}), DType::Bool), DType::Int64);
  ir::Value* i1 = typed(ctx.op("Add", {i0, step}), DType::Int64);
  ir::Value* w1 = as(typed(ctx.op("Sub", {real, as(i0, f64)}), f64), dt);
  ir::Value* w0 = typed(ctx.op("Sub", {ctx.scalar(1, dt), w1}), dt);
  std::vector<int64_t> trailing;
  for (int64_t k = 1; k < rank - a.axis; ++k) trailing.push_back(k);
  if (!trailing.empty()) {
    w0 = typed(ctx.op("Unsqueeze", {w0}, {{"axes", trailing}}), dt);
    w1 = typed(ctx.op("Unsqueeze", {w1}, {{"axes", trailing}}), dt);
  }
  return blend(ctx, x, a.axis, i0, i1, w0, w1);
}

}  // namespace

ir::Value* pytorch_linear_resize(TranslateContext& ctx, ir::Value* x, int64_t rank,
                                 const std::vector<LinearAxis>& axes, bool align_corners) {
  ir::Value* y = x;
  for (auto it = axes.rbegin(); it != axes.rend(); ++it) {
    const LinearAxis& a = *it;
    if (a.in_size) {
      y = computed_axis(ctx, y, rank, a, align_corners);
    } else if (a.in != a.out) {  // an unchanged axis is copied by PyTorch
      y = x->dtype == DType::Float64 ? static_axis<double>(ctx, y, rank, a, align_corners)
                                     : static_axis<float>(ctx, y, rank, a, align_corners);
    }
  }
  if (y == x) y = typed(ctx.op("Identity", {x}), x->dtype);
  return y;
}

}  // namespace mlexport::frontend::torchscript
