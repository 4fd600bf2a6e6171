// Activations and math functions without an ONNX op of their own, decomposed into ops every
// target has: glu, shrinks, rrelu (eval), logaddexp, lgamma, atan2, inverse hyperbolics, cross,
// mv.
#include <cmath>

#include "frontend/torchscript/op/helpers.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {

// atan2(y, x), in (-pi, pi]. atan(y / x) is right for x > 0 and for x = 0 (y / 0 = +-inf);
// x < 0 adds +-pi by the sign of y; (0, 0) gives 0 as PyTorch does.
ir::Value* atan2_of(TranslateContext& ctx, ir::Value* y, ir::Value* x, ir::DType dt) {
  using ir::DType;
  auto c = [&](double v) { return ctx.scalar(v, dt); };
  auto t = [&](ir::Value* v) { return typed(v, dt); };
  ir::Value* angle = t(ctx.op("Atan", {t(ctx.op("Div", {y, x}))}));
  ir::Value* y_negative = typed(ctx.op("Less", {y, c(0.0)}), DType::Bool);
  ir::Value* turn = t(ctx.op("Where", {y_negative, c(-M_PI), c(M_PI)}));
  ir::Value* x_negative = typed(ctx.op("Less", {x, c(0.0)}), DType::Bool);
  angle = t(ctx.op("Where", {x_negative, t(ctx.op("Add", {angle, turn})), angle}));
  ir::Value* origin = typed(ctx.op("And", {typed(ctx.op("Equal", {x, c(0.0)}), DType::Bool),
                                           typed(ctx.op("Equal", {y, c(0.0)}), DType::Bool)}),
                            DType::Bool);
  return t(ctx.op("Where", {origin, c(0.0), angle}));
}

namespace {

using ir::DType;

std::string kind_of(const JitNode* node) {
  return node->kind().toQualString();
}

ir::Value* self_as_output_type(TranslateContext& ctx, const JitNode* node) {
  return ctx.tensor_as(node->input(0), ctx.dtype(node->output()));
}

ir::Value* is_greater(TranslateContext& ctx, ir::Value* a, ir::Value* b) {
  return typed(ctx.op("Greater", {a, b}), DType::Bool);
}

// aten::glu(Tensor self, int dim=-1) = a * sigmoid(b), a and b the halves of self along dim.
void translate_glu(TranslateContext& ctx, const JitNode* node) {
  const int64_t axis = ctx.dim_arg(node->input(1), ctx.rank(node->input(0)));
  const int64_t half = ctx.sizes(node->input(0))[static_cast<size_t>(axis)] / 2;
  ir::Value* x = self_as_output_type(ctx, node);
  ir::Node* split = ctx.emit("Split", {x}, {{"axis", axis}, {"split", std::vector{half, half}}}, 2);
  for (ir::Value* out : split->outputs) out->dtype = x->dtype;
  bind_output(ctx, node,
              ctx.op("Mul", {split->outputs[0], ctx.op("Sigmoid", {split->outputs[1]})}));
}

// aten::hardshrink(Tensor self, Scalar lambd=0.5) = x where |x| > lambd, else 0
// aten::softshrink(Tensor self, Scalar lambd=0.5) = x - sign(x) lambd where |x| > lambd, else 0
void translate_shrink(TranslateContext& ctx, const JitNode* node) {
  const DType dt = ctx.dtype(node->output());
  const double lambd = ctx.const_double(node->input(1));
  ir::Value* x = self_as_output_type(ctx, node);
  ir::Value* outside = is_greater(ctx, ctx.op("Abs", {x}), ctx.scalar(lambd, dt));
  ir::Value* kept = x;
  if (kind_of(node) == "aten::softshrink")
    kept = ctx.op("Sub", {x, ctx.op("Mul", {ctx.op("Sign", {x}), ctx.scalar(lambd, dt)})});
  bind_output(ctx, node, ctx.op("Where", {outside, kept, ctx.scalar(0.0, dt)}));
}

// aten::rrelu(Tensor self, Scalar lower=1/8, Scalar upper=1/3, bool training=False,
//             Generator? generator=None)
// At inference the slope is fixed to (lower + upper) / 2; training draws random slopes.
void translate_rrelu(TranslateContext& ctx, const JitNode* node) {
  if (ctx.const_bool(node->input(3)))
    throw Error(ExitCode::kUnsupportedOps,
                "aten::rrelu with training=True draws random slopes on every run; export the "
                "model in eval mode");
  const double slope = (ctx.const_double(node->input(1)) + ctx.const_double(node->input(2))) / 2;
  bind_output(ctx, node, ctx.op("LeakyRelu", {self_as_output_type(ctx, node)}, {{"alpha", slope}}));
}

// aten::positive(Tensor self) = self
void translate_positive(TranslateContext& ctx, const JitNode* node) {
  bind_output(ctx, node, ctx.op("Identity", {self_as_output_type(ctx, node)}));
}

// aten::logaddexp(Tensor self, Tensor other) = max(a, b) + log(1 + exp(-|a - b|)), which never
// overflows exp.
void translate_logaddexp(TranslateContext& ctx, const JitNode* node) {
  const DType dt = ctx.dtype(node->output());
  ir::Value* a = ctx.tensor_as(node->input(0), dt);
  ir::Value* b = ctx.tensor_as(node->input(1), dt);
  ir::Value* gap = ctx.op("Neg", {ctx.op("Abs", {ctx.op("Sub", {a, b})})});
  ir::Value* log1p = ctx.op("Log", {ctx.op("Add", {ctx.op("Exp", {gap}), ctx.scalar(1.0, dt)})});
  bind_output(ctx, node, ctx.op("Add", {ctx.op("Max", {a, b}), log1p}));
}

// lgamma(z) for z >= 8 by Stirling's series; its error past the 1/z^7 term is below 1e-11.
ir::Value* lgamma_stirling(TranslateContext& ctx, ir::Value* z, DType dt) {
  auto c = [&](double v) { return ctx.scalar(v, dt); };
  ir::Value* r = ctx.op("Reciprocal", {z});
  ir::Value* r2 = ctx.op("Mul", {r, r});
  // 1/(12z) - 1/(360z^3) + 1/(1260z^5) - 1/(1680z^7), in Horner form over r^2.
  ir::Value* series = ctx.op("Sub", {c(1.0 / 1260), ctx.op("Mul", {r2, c(1.0 / 1680)})});
  series = ctx.op("Sub", {c(1.0 / 360), ctx.op("Mul", {r2, series})});
  series = ctx.op("Sub", {c(1.0 / 12), ctx.op("Mul", {r2, series})});
  series = ctx.op("Mul", {r, series});
  ir::Value* main =
      ctx.op("Sub", {ctx.op("Mul", {ctx.op("Sub", {z, c(0.5)}), ctx.op("Log", {z})}), z});
  return ctx.op("Add", {ctx.op("Add", {main, c(0.5 * std::log(2 * M_PI))}), series});
}

// aten::lgamma(Tensor self) = log|Gamma(x)|. ONNX has no such op:
//   x >= 8:      Stirling's series;
//   0 <= x < 8:  lgamma(x + 8) - log(x (x+1) ... (x+7))  (the recurrence Gamma(x+1) = x Gamma(x));
//   x < 0:       reflection, log(pi / |sin(pi x)|) - lgamma(1 - x).
// Where picks the branch per element; the branches not taken may hold inf.
void translate_lgamma(TranslateContext& ctx, const JitNode* node) {
  const DType dt = ctx.dtype(node->output());
  auto c = [&](double v) { return ctx.scalar(v, dt); };
  ir::Value* x = self_as_output_type(ctx, node);
  ir::Value* negative = typed(ctx.op("Less", {x, c(0.0)}), DType::Bool);
  ir::Value* y = ctx.op("Where", {negative, ctx.op("Sub", {c(1.0), x}), x});  // y >= 0
  ir::Value* small = typed(ctx.op("Less", {y, c(8.0)}), DType::Bool);
  ir::Value* product = y;
  for (int k = 1; k < 8; ++k) product = ctx.op("Mul", {product, ctx.op("Add", {y, c(k)})});
  ir::Value* shifted = ctx.op(
      "Sub", {lgamma_stirling(ctx, ctx.op("Add", {y, c(8.0)}), dt), ctx.op("Log", {product})});
  ir::Value* lgamma_y = ctx.op("Where", {small, shifted, lgamma_stirling(ctx, y, dt)});
  // |sin(pi x)| = |sin(pi (x - floor(x)))|, which keeps the argument small.
  ir::Value* frac = ctx.op("Sub", {x, ctx.op("Floor", {x})});
  ir::Value* sin = ctx.op("Abs", {ctx.op("Sin", {ctx.op("Mul", {frac, c(M_PI)})})});
  ir::Value* reflected = ctx.op("Sub", {ctx.op("Log", {ctx.op("Div", {c(M_PI), sin})}), lgamma_y});
  bind_output(ctx, node, ctx.op("Where", {negative, reflected, lgamma_y}));
}

// aten::atan2(Tensor self, Tensor other): the angle of (other, self).
void translate_atan2(TranslateContext& ctx, const JitNode* node) {
  const DType dt = ctx.dtype(node->output());
  bind_output(
      ctx, node,
      atan2_of(ctx, ctx.tensor_as(node->input(0), dt), ctx.tensor_as(node->input(1), dt), dt));
}

// aten::asinh(Tensor self), aten::acosh(Tensor self), aten::atanh(Tensor self) and in-place forms
void translate_inverse_hyperbolic(TranslateContext& ctx, const JitNode* node) {
  std::string kind = kind_of(node);
  if (kind.back() == '_') kind.pop_back();
  const char* op = kind == "aten::asinh" ? "Asinh" : kind == "aten::acosh" ? "Acosh" : "Atanh";
  bind_output(ctx, node, ctx.op(op, {self_as_output_type(ctx, node)}));
}

// aten::cross(Tensor self, Tensor other, int? dim=None) ; aten::linalg_cross(Tensor self,
// Tensor other, int dim=-1): a x b = a[1,2,0] b[2,0,1] - a[2,0,1] b[1,2,0] along dim.
void translate_cross(TranslateContext& ctx, const JitNode* node) {
  const DType dt = ctx.dtype(node->output());
  const int64_t rank = ctx.rank(node->output());
  const std::vector<int64_t> sizes = ctx.sizes(node->output());
  int64_t axis = -1;
  if (node->inputs().size() > 2 && !ctx.is_none(node->input(2))) {
    axis = ctx.dim_arg(node->input(2), rank);
  } else {
    // torch.cross without dim: the first dim of size 3.
    for (int64_t d = 0; d < rank && axis < 0; ++d)
      if (sizes[static_cast<size_t>(d)] == 3) axis = d;
  }
  if (axis < 0) axis += rank;
  ir::Value* a = ctx.tensor_as(node->input(0), dt);
  ir::Value* b = ctx.tensor_as(node->input(1), dt);
  ir::Value* next = ctx.int64_vector({1, 2, 0});
  ir::Value* after_next = ctx.int64_vector({2, 0, 1});
  auto take = [&](ir::Value* v, ir::Value* order) {
    return ctx.op("Gather", {v, order}, {{"axis", axis}});
  };
  bind_output(ctx, node,
              ctx.op("Sub", {ctx.op("Mul", {take(a, next), take(b, after_next)}),
                             ctx.op("Mul", {take(a, after_next), take(b, next)})}));
}

// aten::mv(Tensor self, Tensor vec) = self @ vec
void translate_mv(TranslateContext& ctx, const JitNode* node) {
  const DType dt = ctx.dtype(node->output());
  bind_output(
      ctx, node,
      ctx.op("MatMul", {ctx.tensor_as(node->input(0), dt), ctx.tensor_as(node->input(1), dt)}));
}

}  // namespace

std::vector<OpRule> math_rules() {
  std::vector<OpRule> rows;
  rows.push_back({"aten::glu", translate_glu, "Split + Sigmoid + Mul"});
  rows.push_back({"aten::hardshrink", translate_shrink, "Where(Greater(Abs))"});
  rows.push_back({"aten::softshrink", translate_shrink, "Where(Greater(Abs), x - Sign*lambd)"});
  add_with_inplace(rows, "aten::rrelu", "aten::rrelu_", translate_rrelu,
                   "LeakyRelu((lower+upper)/2); training=True refused");
  rows.push_back({"aten::positive", translate_positive, "Identity"});
  rows.push_back({"aten::logaddexp", translate_logaddexp, "Max + Log(1 + Exp(-Abs(Sub)))"});
  add_with_inplace(rows, "aten::lgamma", "aten::lgamma_", translate_lgamma,
                   "Stirling series + shift recurrence + reflection (Log/Mul/Sin/Where)");
  add_with_inplace(rows, "aten::atan2", "aten::atan2_", translate_atan2,
                   "Atan(Div) + Where for quadrants");
  rows.push_back({"aten::arctan2", translate_atan2, "Atan(Div) + Where for quadrants"});
  add_with_inplace(rows, "aten::asinh", "aten::asinh_", translate_inverse_hyperbolic, "Asinh");
  add_with_inplace(rows, "aten::acosh", "aten::acosh_", translate_inverse_hyperbolic, "Acosh");
  add_with_inplace(rows, "aten::atanh", "aten::atanh_", translate_inverse_hyperbolic, "Atanh");
  rows.push_back({"aten::cross", translate_cross, "Gather + Mul + Sub"});
  rows.push_back({"aten::linalg_cross", translate_cross, "Gather + Mul + Sub"});
  rows.push_back({"aten::mv", translate_mv, "MatMul"});
  return rows;
}

}  // namespace mlexport::frontend::torchscript
