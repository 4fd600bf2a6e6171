// Older-opset forms rewritten into opset-17 ones: Softmax-1/11, BatchNormalization spatial,
// Dropout, Scatter, Slice-1, TopK-1, RoiAlign before 16.
#include "frontend/onnx/op/rules.h"

namespace mlexport::frontend::onnx {

using ir::DType;
using ir::Tensor;
using ir::Value;

namespace {

std::optional<ir::Shape> shape_of(const Value* v) {
  return v ? v->shape : std::nullopt;
}

}  // namespace

// Before opset 13 these ops flatten the input to 2-D at `axis` (default 1) and work on rows. Along
// the last axis that is the opset-13 op; elsewhere Flatten + op along the last axis + Reshape back
// computes exactly the old result.
bool old_softmax(NodeDraft& n, ImportContext& ctx) {
  if (ctx.opset() >= 13) return true;
  const int64_t axis = n.int_attr("axis", 1);
  Value* x = n.input(0);
  const std::optional<ir::Shape> shape = shape_of(x);
  if (shape) {
    const int64_t rank = static_cast<int64_t>(shape->size());
    const int64_t a = axis < 0 ? axis + rank : axis;
    if (a == rank - 1) {
      n.attrs["axis"] = int64_t{-1};
      return true;
    }
  } else if (axis == -1) {
    return true;
  }
  ir::Shape flat_shape = {ir::Dim{}, ir::Dim{}};
  if (shape) {
    const int64_t rank = static_cast<int64_t>(shape->size());
    const int64_t a = axis < 0 ? axis + rank : axis;
    int64_t rows = 1, cols = 1;
    bool fixed = true;
    for (int64_t d = 0; d < rank; ++d) {
      const ir::Dim& dim = (*shape)[static_cast<size_t>(d)];
      fixed = fixed && dim.is_fixed();
      (d < a ? rows : cols) *= dim.is_fixed() ? dim.size : 1;
    }
    if (fixed) flat_shape = ir::fixed_shape({rows, cols});
  }
  const ir::Shape shape_shape =
      shape ? ir::fixed_shape({static_cast<int64_t>(shape->size())}) : ir::Shape{ir::Dim{}};
  Value* dims = ctx.add(n, "shape", "Shape", {x}, {}, DType::Int64, shape_shape);
  Value* flat = ctx.add(n, "flatten", "Flatten", {x}, {{"axis", axis}}, x->dtype, flat_shape);
  Value* rows = ctx.add(n, "rows", n.op, {flat}, {{"axis", int64_t{-1}}}, x->dtype, flat_shape);
  n.op = "Reshape";
  n.inputs = {rows, dims};
  n.attrs.clear();
  return true;
}

namespace {

// BatchNormalization-7 with spatial=0: mean, var, scale and B have one value per activation
// (C x D1 x ... x Dn) and broadcast against X as they are.
bool per_activation_batch_norm(NodeDraft& n, ImportContext& ctx) {
  Value* x = n.input(0);
  Value* scale = n.input(1);
  Value* bias = n.input(2);
  Value* mean = n.input(3);
  Value* var = n.input(4);
  if (!x || !scale || !bias || !mean || !var) return report(n, ctx, "it lacks an input");
  const double eps = n.double_attr("epsilon", 1e-5);
  Value* epsilon = ctx.constant(n, "epsilon", Tensor::scalar_of(x->dtype, eps));
  Value* centered = ctx.add(n, "centered", "Sub", {x, mean}, {}, x->dtype, x->shape);
  Value* var_eps = ctx.add(n, "var_eps", "Add", {var, epsilon}, {}, var->dtype, var->shape);
  Value* stddev = ctx.add(n, "stddev", "Sqrt", {var_eps}, {}, var->dtype, var->shape);
  Value* normalized = ctx.add(n, "normalized", "Div", {centered, stddev}, {}, x->dtype, x->shape);
  Value* scaled = ctx.add(n, "scaled", "Mul", {normalized, scale}, {}, x->dtype, x->shape);
  n.op = "Add";
  n.inputs = {scaled, bias};
  n.attrs.clear();
  return true;
}

}  // namespace

bool batch_norm(NodeDraft& n, ImportContext& ctx) {
  for (size_t k = 1; k < n.outputs.size(); ++k)
    if (ctx.is_used(n.outputs[k]))
      return report(n, ctx, "its training outputs (running or saved mean/variance) are used");
  n.outputs.resize(1);
  if (n.int_attr("training_mode", 0) != 0)
    return report(n, ctx, "training_mode=1 (batch statistics) is not supported");
  n.attrs.erase("training_mode");
  if (ctx.opset() < 9) {
    const int64_t spatial = n.int_attr("spatial", 1);
    n.attrs.erase("spatial");
    if (spatial == 0) return per_activation_batch_norm(n, ctx);
  }
  return true;
}

// Inference-mode dropout is the identity; training mode draws random numbers.
bool dropout(NodeDraft& n, ImportContext& ctx) {
  if (n.outputs.size() > 1 && ctx.is_used(n.outputs[1]))
    return report(n, ctx, "its mask output is used");
  if (n.input(2)) {
    const Tensor* training = n.constant_input(2);
    if (!training || training->numel() != 1 || training->value_as_double(0) != 0)
      return report(n, ctx, "training_mode may be true (random at run time)");
  }
  n.op = "Identity";
  n.inputs = {n.input(0)};
  n.outputs.resize(1);
  n.attrs.clear();
  return true;
}

bool scatter(NodeDraft& n, ImportContext&) {
  n.op = "ScatterElements";  // Scatter-9/11 was renamed, same semantics
  return true;
}

// Slice-1: starts/ends/axes attributes; inputs since opset 10.
bool slice(NodeDraft& n, ImportContext& ctx) {
  if (ctx.opset() >= 10) return true;
  const auto starts = n.ints_attr("starts");
  const auto ends = n.ints_attr("ends");
  const auto axes = n.ints_attr("axes");
  if (!starts || !ends) return report(n, ctx, "it has no integer starts or ends");
  n.inputs = {n.input(0), int64_constant(n, ctx, "starts", *starts),
              int64_constant(n, ctx, "ends", *ends)};
  if (axes) n.inputs.push_back(int64_constant(n, ctx, "axes", *axes));
  n.attrs.erase("starts");
  n.attrs.erase("ends");
  n.attrs.erase("axes");
  return true;
}

// TopK-1: k is an attribute; an input since opset 10.
bool top_k(NodeDraft& n, ImportContext& ctx) {
  if (ctx.opset() >= 10) return true;
  const int64_t k = n.int_attr("k", -1);
  if (k < 0) return report(n, ctx, "it has no k");
  n.inputs = {n.input(0), int64_constant(n, ctx, "k", {k})};
  n.attrs.erase("k");
  return true;
}

// RoiAlign-16 changed the default coordinate mapping to half_pixel; older files mean the old one.
bool roi_align(NodeDraft& n, ImportContext& ctx) {
  if (ctx.opset() < 16)
    n.attrs["coordinate_transformation_mode"] = std::string("output_half_pixel");
  return true;
}

}  // namespace mlexport::frontend::onnx
