// Elementwise arithmetic, comparisons, where/masked_fill and unary math.
#include <cmath>
#include <deque>
#include <map>
#include <string>

#include "frontend/torchscript/op/helpers.h"

namespace mlexport::frontend::torchscript {
namespace {

const std::map<std::string, std::string, std::less<>> kBinary = {
    {"aten::add", "Add"},      {"aten::sub", "Sub"},          {"aten::mul", "Mul"},
    {"aten::div", "Div"},      {"aten::pow", "Pow"},          {"aten::rsub", "Sub"},
    {"aten::floordiv", "Div"}, {"aten::floor_divide", "Div"}, {"aten::true_divide", "Div"},
};

std::string base_kind(const JitNode* node) {
  std::string kind = node->kind().toQualString();
  const bool dunder = kind.size() > 2 && kind.compare(kind.size() - 2, 2, "__") == 0;
  if (kind.back() == '_' && !dunder) kind.pop_back();  // in-place variant (not __and__)
  return kind;
}

// aten::add(Tensor self, Tensor|Scalar other, Scalar alpha=1), sub, rsub, mul, div(.., str?
// rounding_mode), pow(Tensor|Scalar, Tensor|Scalar), floordiv(int, int) and their in-place forms.
void translate_binary(TranslateContext& ctx, const JitNode* node) {
  const std::string kind = base_kind(node);
  const JitValue* a = node->input(0);
  const JitValue* b = node->input(1);
  if (kind == "aten::rsub") std::swap(a, b);
  const ir::DType out = ctx.dtype(node->output());
  // Division of integers that yields floats computes in the float type.
  ir::DType compute = kind == "aten::pow" ? out : promoted_dtype(ctx, a, b);
  if (ir::is_floating(out)) compute = out;
  ir::Value* lhs = ctx.tensor_as(a, compute);
  ir::Value* rhs = ctx.tensor_as(b, compute);
  if ((kind == "aten::add" || kind == "aten::sub" || kind == "aten::rsub") &&
      node->inputs().size() > 2) {
    const double alpha = ctx.const_double(node->input(2));
    if (alpha != 1.0) rhs = ctx.op("Mul", {rhs, ctx.scalar(alpha, compute)});
  }
  if (kind == "aten::pow" && ctx.is_static(b) && ctx.recorded(b).isScalar()) {
    const double exponent = ctx.const_double(b);
    if (exponent == 2.0) return ctx.bind(node->output(), ctx.op("Mul", {lhs, lhs}));
    if (exponent == 1.0) return ctx.bind(node->output(), lhs);
    if (exponent == 0.5) return ctx.bind(node->output(), ctx.op("Sqrt", {lhs}));
  }
  std::string rounding;
  if (kind == "aten::div" && node->inputs().size() > 2 && !ctx.is_none(node->input(2)))
    rounding = ctx.const_string(node->input(2));
  if (kind == "aten::floordiv" || kind == "aten::floor_divide") rounding = "floor";
  if (!ir::is_floating(compute) && rounding == "floor" && kBinary.at(kind) == "Div") {
    // Integer Div truncates; floor(a / b) = (a - a mod b) / b with Python's modulo (the sign
    // of b), whose difference b divides exactly.
    ir::Value* mod = ctx.op("Mod", {lhs, rhs}, {{"fmod", int64_t{0}}});
    ir::Value* q = ctx.op("Div", {ctx.op("Sub", {lhs, mod}), rhs});
    return ctx.bind(node->output(), ctx.cast(q, out));
  }
  ir::Value* result = ctx.op(kBinary.find(kind)->second, {lhs, rhs});
  if (ir::is_floating(compute) && rounding == "floor") result = ctx.op("Floor", {result});
  if (ir::is_floating(compute) && rounding == "trunc") {
    // trunc(x) = sign(x) * floor(|x|)
    result = ctx.op("Mul", {ctx.op("Sign", {result}), ctx.op("Floor", {ctx.op("Abs", {result})})});
  }
  ctx.bind(node->output(), ctx.cast(result, out));
}

// aten::remainder(Tensor self, Tensor|Scalar other): Python modulo (sign of the divisor).
// aten::fmod(Tensor self, Tensor|Scalar other): C's fmod (sign of the dividend).
void translate_remainder(TranslateContext& ctx, const JitNode* node) {
  const ir::DType out = ctx.dtype(node->output());
  ir::Value* a = ctx.tensor_as(node->input(0), out);
  ir::Value* b = ctx.tensor_as(node->input(1), out);
  if (base_kind(node) == "aten::fmod")
    return ctx.bind(node->output(), ctx.op("Mod", {a, b}, {{"fmod", int64_t{1}}}));
  if (!ir::is_floating(out))
    return ctx.bind(node->output(), ctx.op("Mod", {a, b}, {{"fmod", int64_t{0}}}));
  ir::Value* q = ctx.op("Floor", {ctx.op("Div", {a, b})});
  ctx.bind(node->output(), ctx.op("Sub", {a, ctx.op("Mul", {q, b})}));
}

// aten::eq/ne/lt/le/gt/ge(Tensor self, Tensor|Scalar other) -> bool Tensor
void translate_compare(TranslateContext& ctx, const JitNode* node) {
  const std::string kind = base_kind(node);
  const ir::DType common = promoted_dtype(ctx, node->input(0), node->input(1));
  ir::Value* a = ctx.tensor_as(node->input(0), common);
  ir::Value* b = ctx.tensor_as(node->input(1), common);
  ir::Value* result = nullptr;
  if (kind == "aten::eq") result = ctx.op("Equal", {a, b});
  if (kind == "aten::ne") result = ctx.op("Not", {ctx.op("Equal", {a, b})});
  if (kind == "aten::lt") result = ctx.op("Less", {a, b});
  if (kind == "aten::gt") result = ctx.op("Greater", {a, b});
  if (kind == "aten::le") result = ctx.op("LessOrEqual", {a, b});
  if (kind == "aten::ge") result = ctx.op("GreaterOrEqual", {a, b});
  ctx.bind(node->output(), result);
}

// aten::logical_and/or/xor(Tensor, Tensor), aten::logical_not(Tensor), aten::bitwise_not (bool)
void translate_logical(TranslateContext& ctx, const JitNode* node) {
  const std::string kind = base_kind(node);
  ir::Value* a = ctx.tensor_as(node->input(0), ir::DType::Bool);
  ir::Value* result;
  if (kind == "aten::logical_not" || kind == "aten::bitwise_not") {
    result = ctx.op("Not", {a});
  } else {
    ir::Value* b = ctx.tensor_as(node->input(1), ir::DType::Bool);
    const char* op = kind == "aten::logical_and" || kind == "aten::__and__" ? "And"
                     : kind == "aten::logical_xor"                          ? "Xor"
                                                                            : "Or";
    result = ctx.op(op, {a, b});
  }
  ctx.bind(node->output(), ctx.cast(result, ctx.dtype(node->output())));
}

// aten::where(Tensor condition, Tensor|Scalar self, Tensor|Scalar other)
// aten::nonzero(Tensor self) -> [K, rank] ; aten::where(Tensor condition) -> Tensor[] (one index
// vector per dim, as nonzero(as_tuple=True)). K is known only when the model runs.
void translate_nonzero(TranslateContext& ctx, const JitNode* node) {
  const int64_t rank = ctx.rank(node->input(0));
  ir::Value* nz = ctx.op("NonZero", {ctx.tensor_as(node->input(0), ir::DType::Bool)});
  nz->dtype = ir::DType::Int64;
  nz->shape = ir::Shape{ir::Dim::fixed(rank), ir::Dim{}};
  if (node->kind() == c10::aten::nonzero) {
    ir::Value* out = ctx.op("Transpose", {nz}, {{"perm", std::vector<int64_t>{1, 0}}});
    ctx.bind(node->output(), out);
    out->shape = ir::Shape{ir::Dim{}, ir::Dim::fixed(rank)};
    return;
  }
  std::vector<ir::Value*> items;
  for (int64_t k = 0; k < rank; ++k) {
    ir::Value* row =
        ctx.op("Gather", {nz, ctx.constant(ir::Tensor::scalar_int64(k))}, {{"axis", int64_t{0}}});
    row->dtype = ir::DType::Int64;
    row->shape = ir::Shape{ir::Dim{}};
    items.push_back(row);
  }
  ctx.bind_list(node->output(), std::move(items));
}

void translate_where(TranslateContext& ctx, const JitNode* node) {
  if (node->inputs().size() == 1) return translate_nonzero(ctx, node);
  const ir::DType out = ctx.dtype(node->output());
  ir::Value* cond = ctx.tensor_as(node->input(0), ir::DType::Bool);
  ctx.bind(node->output(), ctx.op("Where", {cond, ctx.tensor_as(node->input(1), out),
                                            ctx.tensor_as(node->input(2), out)}));
}

// aten::masked_fill(Tensor self, Tensor mask, Scalar|Tensor value)
void translate_masked_fill(TranslateContext& ctx, const JitNode* node) {
  const ir::DType out = ctx.dtype(node->output());
  ir::Value* mask = ctx.tensor_as(node->input(1), ir::DType::Bool);
  ctx.bind(node->output(), ctx.op("Where", {mask, ctx.tensor_as(node->input(2), out),
                                            ctx.tensor_as(node->input(0), out)}));
}

const std::map<std::string, std::string, std::less<>> kUnary = {
    {"aten::exp", "Exp"},     {"aten::log", "Log"},     {"aten::sqrt", "Sqrt"},
    {"aten::abs", "Abs"},     {"aten::erf", "Erf"},     {"aten::reciprocal", "Reciprocal"},
    {"aten::floor", "Floor"}, {"aten::ceil", "Ceil"},   {"aten::sin", "Sin"},
    {"aten::cos", "Cos"},     {"aten::tan", "Tan"},     {"aten::neg", "Neg"},
    {"aten::sign", "Sign"},   {"aten::round", "Round"}, {"aten::asin", "Asin"},
    {"aten::acos", "Acos"},   {"aten::atan", "Atan"},   {"aten::sinh", "Sinh"},
    {"aten::cosh", "Cosh"},   {"aten::isnan", "IsNaN"},
};

// aten::exp(Tensor self) and the other one-input math functions (and in-place forms).
void translate_unary(TranslateContext& ctx, const JitNode* node) {
  const std::string kind = base_kind(node);
  const ir::DType out = ctx.dtype(node->output());
  ir::DType compute = kind == "aten::isnan" ? ctx.dtype(node->input(0)) : out;
  ir::Value* x = ctx.tensor_as(node->input(0), compute);
  ctx.bind(node->output(), ctx.op(kUnary.find(kind)->second, {x}));
}

// aten::rsqrt(Tensor) = 1/sqrt(x) ; aten::log2/log10/log1p/expm1 via Log/Exp
void translate_composite_unary(TranslateContext& ctx, const JitNode* node) {
  const std::string kind = base_kind(node);
  const ir::DType out = ctx.dtype(node->output());
  ir::Value* x = ctx.tensor_as(node->input(0), out);
  ir::Value* r = nullptr;
  if (kind == "aten::rsqrt") r = ctx.op("Reciprocal", {ctx.op("Sqrt", {x})});
  if (kind == "aten::log2") r = ctx.op("Div", {ctx.op("Log", {x}), ctx.scalar(std::log(2.0), out)});
  if (kind == "aten::log10")
    r = ctx.op("Div", {ctx.op("Log", {x}), ctx.scalar(std::log(10.0), out)});
  if (kind == "aten::log1p") r = ctx.op("Log", {ctx.op("Add", {x, ctx.scalar(1.0, out)})});
  if (kind == "aten::expm1") r = ctx.op("Sub", {ctx.op("Exp", {x}), ctx.scalar(1.0, out)});
  if (kind == "aten::square") r = ctx.op("Mul", {x, x});
  if (kind == "aten::trunc" || kind == "aten::fix") {
    // trunc(x) = sign(x) * floor(|x|); integers are already whole.
    r = ir::is_floating(out)
            ? ctx.op("Mul", {ctx.op("Sign", {x}), ctx.op("Floor", {ctx.op("Abs", {x})})})
            : x;
  }
  ctx.bind(node->output(), r);
}

}  // namespace

std::vector<OpRule> elementwise_rules() {
  std::vector<OpRule> rows;
  add_with_inplace(rows, "aten::add", "aten::add_", translate_binary, "Add (Mul for alpha)");
  add_with_inplace(rows, "aten::sub", "aten::sub_", translate_binary, "Sub (Mul for alpha)");
  add_with_inplace(rows, "aten::rsub", nullptr, translate_binary, "Sub");
  add_with_inplace(rows, "aten::mul", "aten::mul_", translate_binary, "Mul");
  add_with_inplace(rows, "aten::div", "aten::div_", translate_binary, "Div (+ Floor / trunc)");
  add_with_inplace(rows, "aten::true_divide", nullptr, translate_binary, "Div");
  add_with_inplace(rows, "aten::floordiv", nullptr, translate_binary, "Div (+ Floor)");
  add_with_inplace(rows, "aten::floor_divide", nullptr, translate_binary, "Div + Floor");
  add_with_inplace(rows, "aten::pow", "aten::pow_", translate_binary, "Pow (Mul / Sqrt)");
  add_with_inplace(rows, "aten::remainder", "aten::remainder_", translate_remainder,
                   "Mod / Sub+Mul+Floor");
  add_with_inplace(rows, "aten::fmod", "aten::fmod_", translate_remainder, "Mod(fmod=1)");
  for (const char* k : {"aten::eq", "aten::ne", "aten::lt", "aten::le", "aten::gt", "aten::ge"})
    rows.push_back({k, translate_compare, "Equal / Less / Greater / ...OrEqual (Not)"});
  // bitwise_not, __and__ and __or__ (bool or integer) are in bitwise.cpp.
  for (const char* k :
       {"aten::logical_and", "aten::logical_or", "aten::logical_xor", "aten::logical_not"})
    rows.push_back({k, translate_logical, "And / Or / Xor / Not"});
  rows.push_back({"aten::where", translate_where, "Where; where(cond): NonZero + Gather per dim"});
  rows.push_back({"aten::nonzero", translate_nonzero, "NonZero + Transpose (length unknown)"});
  add_with_inplace(rows, "aten::masked_fill", "aten::masked_fill_", translate_masked_fill, "Where");
  static std::deque<std::string> inplace_names;  // keeps "aten::exp_" strings alive
  for (const auto& [kind, onnx] : kUnary) {
    rows.push_back({kind.c_str(), translate_unary, onnx.c_str()});
    if (kind != "aten::isnan") {
      inplace_names.push_back(kind + "_");
      rows.push_back({inplace_names.back().c_str(), translate_unary, onnx.c_str()});
    }
  }
  add_with_inplace(rows, "aten::rsqrt", "aten::rsqrt_", translate_composite_unary,
                   "Reciprocal(Sqrt)");
  rows.push_back({"aten::log2", translate_composite_unary, "Log / ln 2"});
  rows.push_back({"aten::log10", translate_composite_unary, "Log / ln 10"});
  rows.push_back({"aten::log1p", translate_composite_unary, "Log(Add)"});
  rows.push_back({"aten::expm1", translate_composite_unary, "Sub(Exp)"});
  rows.push_back({"aten::square", translate_composite_unary, "Mul"});
  add_with_inplace(rows, "aten::trunc", "aten::trunc_", translate_composite_unary,
                   "Sign * Floor(Abs)");
  add_with_inplace(rows, "aten::fix", "aten::fix_", translate_composite_unary, "Sign * Floor(Abs)");
  return rows;
}

}  // namespace mlexport::frontend::torchscript
