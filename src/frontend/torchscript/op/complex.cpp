// Complex tensors where they enter and leave as real ones (view_as_real, view_as_complex,
// complex, polar, real, imag), the complex forms of a few elementwise ops (abs, angle, conj,
// mul, div, add, sub, neg) and of the shape ops that name their axes. A complex value is its (real,
// imag) pairs in a trailing dim of 2, so view_as_real and view_as_complex cost nothing.
#include <algorithm>

#include "frontend/torchscript/op/complex_pairs.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {

using ir::DType;

ir::Value* pair_part(TranslateContext& ctx, ir::Value* x, int64_t rank, int64_t k) {
  ir::Value* index = ctx.constant(ir::Tensor::scalar_int64(k), "part");
  return typed(ctx.op("Gather", {x, index}, {{"axis", rank}}), x->dtype);
}

ir::Value* make_pairs(TranslateContext& ctx, ir::Value* re, ir::Value* im, int64_t rank) {
  return typed(
      ctx.op("Concat", {as_scale(ctx, re, rank), as_scale(ctx, im, rank)}, {{"axis", rank}}),
      re->dtype);
}

ir::Value* as_scale(TranslateContext& ctx, ir::Value* x, int64_t rank) {
  return typed(ctx.op("Unsqueeze", {x}, {{"axes", std::vector<int64_t>{rank}}}), x->dtype);
}

int64_t arg_rank(TranslateContext& ctx, const JitValue* v) {
  return ctx.recorded(v).isTensor() ? ctx.rank(v) : 0;
}

ir::Value* pairs_of(TranslateContext& ctx, const JitValue* v, DType dt) {
  ir::Value* x = ctx.tensor_as(v, dt);
  if (ctx.is_complex(v)) return x;
  const int64_t rank = arg_rank(ctx, v);
  std::vector<int64_t> pads(static_cast<size_t>(2 * (rank + 1)), 0);
  pads.back() = 1;  // a zero imaginary part after each real one
  return typed(ctx.op("Pad", {as_scale(ctx, x, rank)},
                      {{"mode", std::string("constant")}, {"pads", pads}, {"value", 0.0}}),
               dt);
}

ir::Value* complex_mul(TranslateContext& ctx, ir::Value* a, int64_t rank_a, ir::Value* b,
                       int64_t rank_b) {
  const DType dt = a->dtype;
  auto t = [&](ir::Value* v) { return typed(v, dt); };
  ir::Value* ar = pair_part(ctx, a, rank_a, 0);
  ir::Value* ai = pair_part(ctx, a, rank_a, 1);
  ir::Value* br = pair_part(ctx, b, rank_b, 0);
  ir::Value* bi = pair_part(ctx, b, rank_b, 1);
  ir::Value* re = t(ctx.op("Sub", {t(ctx.op("Mul", {ar, br})), t(ctx.op("Mul", {ai, bi}))}));
  ir::Value* im = t(ctx.op("Add", {t(ctx.op("Mul", {ar, bi})), t(ctx.op("Mul", {ai, br}))}));
  return make_pairs(ctx, re, im, std::max(rank_a, rank_b));
}

ir::Value* conjugate(TranslateContext& ctx, ir::Value* x) {
  ir::Value* signs = float_vector(ctx, {1.0, -1.0}, x->dtype);
  return typed(ctx.op("Mul", {x, signs}), x->dtype);
}

namespace {

// The complex rank of the node's output (the broadcast rank of a binary op's operands).
int64_t out_rank(TranslateContext& ctx, const JitNode* node) {
  return ctx.rank(node->output());
}

// aten::view_as_real(Tensor(a) self) -> Tensor(a), aten::view_as_complex(Tensor(a) self),
// aten::resolve_conj / resolve_neg (conj is applied when it is taken, below)
void translate_same_pairs(TranslateContext& ctx, const JitNode* node) {
  ctx.bind(node->output(), ctx.tensor(node->input(0)));
}

// aten::complex(Tensor real, Tensor imag) -> Tensor: the parts broadcast against each other.
void translate_complex(TranslateContext& ctx, const JitNode* node) {
  const DType dt = ctx.dtype(node->output());
  const int64_t rank = out_rank(ctx, node);
  ir::Value* re = ctx.tensor_as(node->input(0), dt);
  ir::Value* im = ctx.tensor_as(node->input(1), dt);
  const auto out = ctx.sizes(node->output());
  // Expand broadcasts both ways, so each part expanded to the other's shape has the joint one.
  auto widen = [&](ir::Value* part, const JitValue* v, ir::Value* other) {
    if (ctx.sizes(v) == out) return part;
    ir::Value* shape = typed(ctx.op("Shape", {other}), DType::Int64);
    return typed(ctx.op("Expand", {part, shape}), dt);
  };
  ir::Value* re_full = widen(re, node->input(0), im);
  ir::Value* im_full = widen(im, node->input(1), re);
  ctx.bind(node->output(), make_pairs(ctx, re_full, im_full, rank));
}

// aten::polar(Tensor abs, Tensor angle) -> Tensor: abs * (cos angle + i sin angle)
void translate_polar(TranslateContext& ctx, const JitNode* node) {
  const DType dt = ctx.dtype(node->output());
  const int64_t rank = out_rank(ctx, node);
  ir::Value* r = ctx.tensor_as(node->input(0), dt);
  ir::Value* phi = ctx.tensor_as(node->input(1), dt);
  ir::Value* re = typed(ctx.op("Mul", {r, typed(ctx.op("Cos", {phi}), dt)}), dt);
  ir::Value* im = typed(ctx.op("Mul", {r, typed(ctx.op("Sin", {phi}), dt)}), dt);
  ctx.bind(node->output(), make_pairs(ctx, re, im, rank));
}

// aten::real(Tensor(a) self) -> Tensor(a), aten::imag(Tensor(a) self) -> Tensor(a)
void translate_part(TranslateContext& ctx, const JitNode* node) {
  const JitValue* self = node->input(0);
  if (!ctx.is_complex(self)) {  // real() of a real tensor is itself (imag() raises in PyTorch)
    ctx.bind(node->output(), ctx.tensor(self));
    return;
  }
  const bool imag = node->kind().toQualString() == std::string("aten::imag");
  ctx.bind(node->output(), pair_part(ctx, ctx.tensor(self), ctx.rank(self), imag ? 1 : 0));
}

// aten::abs(Tensor self) of a complex tensor: sqrt(re^2 + im^2)
void translate_abs(TranslateContext& ctx, const JitNode* node) {
  const JitValue* self = node->input(0);
  const DType dt = ctx.dtype(self);
  ir::Value* x = ctx.tensor(self);
  ir::Value* squares = typed(ctx.op("Mul", {x, x}), dt);
  ir::Value* sum =
      typed(ctx.op("ReduceSum", {squares},
                   {{"axes", std::vector<int64_t>{ctx.rank(self)}}, {"keepdims", int64_t{0}}}),
            dt);
  ctx.bind(node->output(), typed(ctx.op("Sqrt", {sum}), dt));
}

// aten::angle(Tensor self) of a complex tensor: atan2(im, re)
void translate_angle(TranslateContext& ctx, const JitNode* node) {
  const JitValue* self = node->input(0);
  const DType dt = ctx.dtype(self);
  ir::Value* x = ctx.tensor(self);
  const int64_t rank = ctx.rank(self);
  ctx.bind(node->output(),
           atan2_of(ctx, pair_part(ctx, x, rank, 1), pair_part(ctx, x, rank, 0), dt));
}

// aten::conj(Tensor(a) self), aten::conj_physical(Tensor self), aten::_conj(Tensor(a) self)
void translate_conj(TranslateContext& ctx, const JitNode* node) {
  ctx.bind(node->output(), conjugate(ctx, ctx.tensor(node->input(0))));
}

// aten::neg(Tensor self) of a complex tensor: both parts negated
void translate_neg(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = ctx.tensor(node->input(0));
  ctx.bind(node->output(), typed(ctx.op("Neg", {x}), x->dtype));
}

// aten::mul(Tensor self, Tensor|Scalar other), aten::div(Tensor self, Tensor|Scalar other):
// a real operand scales both parts; two complex ones multiply as (a + bi)(c + di), and a / b is
// a * conj(b) / |b|^2.
void translate_mul_div(TranslateContext& ctx, const JitNode* node) {
  const std::string kind = node->kind().toQualString();
  const bool divide = kind.rfind("aten::div", 0) == 0;
  if (divide && node->inputs().size() > 2 && !ctx.is_none(node->input(2)))
    throw Error(ExitCode::kUnsupportedOps, "rounding division of complex tensors");
  const DType dt = ctx.dtype(node->output());
  const JitValue* a = node->input(0);
  const JitValue* b = node->input(1);
  auto t = [&](ir::Value* v) { return typed(v, dt); };
  auto scale = [&](const JitValue* v) {
    return as_scale(ctx, ctx.tensor_as(v, dt), arg_rank(ctx, v));
  };
  if (!ctx.is_complex(b)) {
    ctx.bind(node->output(), t(ctx.op(divide ? "Div" : "Mul", {ctx.tensor_as(a, dt), scale(b)})));
    return;
  }
  if (!ctx.is_complex(a) && !divide) {
    ctx.bind(node->output(), t(ctx.op("Mul", {scale(a), ctx.tensor_as(b, dt)})));
    return;
  }
  ir::Value* pa = pairs_of(ctx, a, dt);
  ir::Value* pb = ctx.tensor_as(b, dt);
  const int64_t rank_a = arg_rank(ctx, a);
  const int64_t rank_b = arg_rank(ctx, b);
  if (!divide) {
    ctx.bind(node->output(), complex_mul(ctx, pa, rank_a, pb, rank_b));
    return;
  }
  ir::Value* squares = t(ctx.op("Mul", {pb, pb}));
  ir::Value* norm = t(ctx.op("ReduceSum", {squares},
                             {{"axes", std::vector<int64_t>{rank_b}}, {"keepdims", int64_t{1}}}));
  ir::Value* product = complex_mul(ctx, pa, rank_a, conjugate(ctx, pb), rank_b);
  ctx.bind(node->output(), t(ctx.op("Div", {product, norm})));
}

// aten::add / aten::sub(Tensor self, Tensor|Scalar other, Scalar alpha=1): part by part, a real
// operand having a zero imaginary part. aten::rsub(self, other, alpha) is other - alpha * self.
void translate_add_sub(TranslateContext& ctx, const JitNode* node) {
  const std::string kind = node->kind().toQualString();
  const bool reversed = kind == "aten::rsub";
  const bool subtract = reversed || kind.rfind("aten::sub", 0) == 0;
  const DType dt = ctx.dtype(node->output());
  ir::Value* a = pairs_of(ctx, node->input(0), dt);
  ir::Value* b = pairs_of(ctx, node->input(1), dt);
  if (reversed) std::swap(a, b);  // alpha then scales self, now b
  if (node->inputs().size() > 2) {
    if (ctx.is_complex(node->input(2))) throw Error(ExitCode::kUnsupportedOps, "a complex alpha");
    const double alpha = ctx.const_double(node->input(2));
    if (alpha != 1.0) b = typed(ctx.op("Mul", {b, ctx.scalar(alpha, dt)}), dt);
  }
  ctx.bind(node->output(), typed(ctx.op(subtract ? "Sub" : "Add", {a, b}), dt));
}

// Products of parts: (a + bi)(c + di) = (ac - bd) + (ad + bc)i, each product one `op` (MatMul,
// or Einsum with `attrs`); a real operand has no imaginary part.
ir::Value* product_of_parts(TranslateContext& ctx, const std::string& op,
                            const std::map<std::string, ir::Attribute>& attrs,
                            const std::vector<const JitValue*>& args, DType dt, int64_t rank) {
  auto t = [&](ir::Value* v) { return typed(v, dt); };
  std::vector<ir::Value*> re, im;  // per operand; im is nullptr for a real one
  for (const JitValue* v : args) {
    ir::Value* x = ctx.tensor_as(v, dt);
    if (ctx.is_complex(v)) {
      re.push_back(pair_part(ctx, x, arg_rank(ctx, v), 0));
      im.push_back(pair_part(ctx, x, arg_rank(ctx, v), 1));
    } else {
      re.push_back(x);
      im.push_back(nullptr);
    }
  }
  if (args.size() == 1) {
    ir::Value* real = t(ctx.op(op, {re[0]}, attrs));
    ir::Value* imag = im[0] ? t(ctx.op(op, {im[0]}, attrs)) : nullptr;
    return imag ? make_pairs(ctx, real, imag, rank) : nullptr;
  }
  auto prod = [&](ir::Value* x, ir::Value* y) { return t(ctx.op(op, {x, y}, attrs)); };
  ir::Value* real = prod(re[0], re[1]);
  if (im[0] && im[1]) real = t(ctx.op("Sub", {real, prod(im[0], im[1])}));
  ir::Value* imag = nullptr;
  if (im[1]) imag = prod(re[0], im[1]);
  if (im[0]) imag = imag ? t(ctx.op("Add", {imag, prod(im[0], re[1])})) : prod(im[0], re[1]);
  return make_pairs(ctx, real, imag, rank);
}

// aten::matmul / mm / bmm(Tensor self, Tensor other) on complex operands.
void translate_complex_matmul(TranslateContext& ctx, const JitNode* node) {
  const DType dt = ctx.dtype(node->output());
  ctx.bind(node->output(), product_of_parts(ctx, "MatMul", {}, {node->input(0), node->input(1)}, dt,
                                            ctx.rank(node->output())));
}

// aten::einsum(str equation, Tensor[] tensors, *, int[]? path=None) with complex operands: the
// equation applies to the parts unchanged (they have the complex shape).
void translate_complex_einsum(TranslateContext& ctx, const JitNode* node) {
  const JitValue* list = node->input(1);
  if (list->node()->kind() != c10::prim::ListConstruct)
    throw Error(ExitCode::kUnsupportedOps, "a complex einsum over a computed list of operands");
  const std::vector<const JitValue*> args(list->node()->inputs().begin(),
                                          list->node()->inputs().end());
  if (args.empty() || args.size() > 2)
    throw Error(ExitCode::kUnsupportedOps, "a complex einsum of more than two operands");
  std::string equation;
  for (char c : ctx.const_string(node->input(0)))
    if (c != ' ') equation += c;
  const DType dt = ctx.dtype(node->output());
  ctx.bind(node->output(), product_of_parts(ctx, "Einsum", {{"equation", equation}}, args, dt,
                                            ctx.rank(node->output())));
}

// aten::exp(Tensor self): e^(a + bi) = e^a (cos b + i sin b).
void translate_complex_exp(TranslateContext& ctx, const JitNode* node) {
  const DType dt = ctx.dtype(node->output());
  const int64_t rank = ctx.rank(node->output());
  ir::Value* x = ctx.tensor_as(node->input(0), dt);
  ir::Value* magnitude = typed(ctx.op("Exp", {pair_part(ctx, x, rank, 0)}), dt);
  ir::Value* phase = pair_part(ctx, x, rank, 1);
  ir::Value* re = typed(ctx.op("Mul", {magnitude, typed(ctx.op("Cos", {phase}), dt)}), dt);
  ir::Value* im = typed(ctx.op("Mul", {magnitude, typed(ctx.op("Sin", {phase}), dt)}), dt);
  ctx.bind(node->output(), make_pairs(ctx, re, im, rank));
}

// aten::copy_(Tensor(a!) self, Tensor src, bool non_blocking=False) into a complex tensor: the
// source as pairs, broadcast to self's shape.
void translate_complex_copy(TranslateContext& ctx, const JitNode* node) {
  const DType dt = ctx.dtype(node->output());
  ir::Value* src = pairs_of(ctx, node->input(1), dt);
  ir::Value* shape = typed(ctx.op("Shape", {ctx.tensor(node->input(0))}), DType::Int64);
  ctx.bind(node->output(), typed(ctx.op("Expand", {src, shape}), dt));
}

// aten::zeros(SymInt[] size, *, ScalarType? dtype=None, ...) and aten::zeros_like(Tensor self,
// ...) of a complex dtype: zero pairs (a size computed from the input, as in a spectral layer's
// output buffer).
void translate_complex_zeros(TranslateContext& ctx, const JitNode* node) {
  const DType dt = ctx.dtype(node->output());
  const bool like = std::string_view(node->kind().toQualString()) == "aten::zeros_like";
  ir::Value* shape =
      like ? typed(ctx.op("Shape", {ctx.tensor(node->input(0))}), DType::Int64)
           : typed(ctx.op("Concat", {ctx.int_list_tensor(node->input(0)), ctx.int64_vector({2})},
                          {{"axis", int64_t{0}}}),
                   DType::Int64);
  ir::Tensor zero = ir::Tensor::scalar_of(dt, 0.0);
  zero.shape = {1};
  ctx.bind(node->output(), typed(ctx.op("ConstantOfShape", {shape}, {{"value", zero}}), dt));
}

// Shape ops that name their axes explicitly (slice, select, cat, roll over given dims ...) act
// on the complex axes of the pairs as they are: their real rule runs unchanged, once the
// inputs are checked to be all complex (a real tensor in a complex cat has no pair axis).
void translate_on_pairs(TranslateContext& ctx, const JitNode* node) {
  const std::string kind = node->kind().toQualString();
  if (kind == "aten::cat" || kind == "aten::stack")
    for (const c10::IValue& item : ctx.recorded(node->input(0)).toListRef())
      if (!item.toTensor().is_complex())
        throw Error(ExitCode::kUnsupportedOps, "real and complex tensors mixed in one list");
  if (kind == "aten::roll" && ctx.const_ints(node->input(2)).empty())
    throw Error(ExitCode::kUnsupportedOps, "a roll of the flattened complex tensor");
  if (kind == "aten::size" && node->inputs().size() < 2)  // would list the pair axis too
    throw Error(ExitCode::kUnsupportedOps, "the whole size list of a complex tensor");
  find_rule(kind)->translate(ctx, node);
}

}  // namespace

std::vector<OpRule> complex_rules() {
  return {
      {"aten::view_as_real", translate_same_pairs, "(nothing: complex values are real pairs)"},
      {"aten::view_as_complex", translate_same_pairs, "(nothing: complex values are real pairs)"},
      {"aten::resolve_conj", translate_same_pairs, "(nothing)"},
      {"aten::resolve_neg", translate_same_pairs, "(nothing)"},
      {"aten::complex", translate_complex, "Unsqueeze + Concat (Expand to broadcast)"},
      {"aten::polar", translate_polar, "Cos/Sin + Mul + Concat"},
      {"aten::real", translate_part, "Gather (complex); nothing (real)"},
      {"aten::imag", translate_part, "Gather"},
  };
}

std::vector<OpRule> complex_variant_rules() {
  std::vector<OpRule> rows = {
      {"aten::abs", translate_abs, "Mul + ReduceSum + Sqrt over the pair"},
      {"aten::angle", translate_angle, "atan2 of the parts (Atan/Div/Where)"},
      {"aten::conj", translate_conj, "Mul by (1, -1)"},
      {"aten::_conj", translate_conj, "Mul by (1, -1)"},
      {"aten::conj_physical", translate_conj, "Mul by (1, -1)"},
      {"aten::neg", translate_neg, "Neg"},
  };
  for (const char* kind :
       {"aten::slice", "aten::select", "aten::narrow", "aten::index_select", "aten::flip",
        "aten::roll", "aten::unsqueeze", "aten::squeeze", "aten::cat", "aten::stack", "aten::size"})
    rows.push_back({kind, translate_on_pairs, "as for real tensors (the pair axis is last)"});
  add_with_inplace(rows, "aten::mul", "aten::mul_", translate_mul_div,
                   "Mul (real factor); Gather + Mul/Sub/Add + Concat (complex product)");
  add_with_inplace(rows, "aten::div", "aten::div_", translate_mul_div,
                   "Div (real divisor); a * conj(b) / ReduceSum(b^2)");
  add_with_inplace(rows, "aten::add", "aten::add_", translate_add_sub, "Pad (real operand) + Add");
  add_with_inplace(rows, "aten::sub", "aten::sub_", translate_add_sub, "Pad (real operand) + Sub");
  rows.push_back({"aten::rsub", translate_add_sub, "Pad (real operand) + Sub"});
  for (const char* kind : {"aten::matmul", "aten::mm", "aten::bmm"})
    rows.push_back({kind, translate_complex_matmul, "MatMul of the parts + Sub/Add"});
  rows.push_back({"aten::einsum", translate_complex_einsum, "Einsum of the parts + Sub/Add"});
  add_with_inplace(rows, "aten::exp", "aten::exp_", translate_complex_exp, "Exp * (Cos, Sin)");
  rows.push_back({"aten::copy_", translate_complex_copy, "Expand of the pairs"});
  rows.push_back({"aten::zeros", translate_complex_zeros, "ConstantOfShape (pairs)"});
  rows.push_back({"aten::zeros_like", translate_complex_zeros, "ConstantOfShape (pairs)"});
  return rows;
}

}  // namespace mlexport::frontend::torchscript
