// Bitwise ops and shifts. ONNX has And/Or/Xor/Not for bool tensors at every opset, but
// BitwiseAnd/Or/Xor/Not only from opset 18 and BitShift only for unsigned integers:
//   bool:             And / Or / Xor / Not;
//   integer not:      ~x = -x - 1 (two's complement), 255 - x for uint8;
//   integer and/or/xor: BitwiseAnd/Or/Xor; below opset 18 (and for OpenVINO IR) the passes
//                     rewrite them into bit-plane arithmetic (passes/lower_bitwise.cpp);
//   shifts:           uint8 BitShift; signed integers x * 2^s and floor(x / 2^s), exact (an
//                     arithmetic right shift rounds toward -inf, as floor division does).
#include <cmath>

#include "frontend/torchscript/op/helpers.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {
namespace {

using ir::DType;

// "aten::bitwise_and_" -> "and", "aten::__ior__" -> "or", "aten::__lshift__" -> "lshift".
std::string verb(const JitNode* node) {
  std::string kind = node->kind().toQualString();
  kind = kind.substr(6);  // drop "aten::"
  if (kind.rfind("__", 0) == 0) {
    kind = kind.substr(2, kind.size() - 4);
    if (kind.size() > 1 && kind[0] == 'i' && kind != "invert") kind = kind.substr(1);  // __iand__
  } else {
    if (kind.back() == '_') kind.pop_back();
    if (kind.rfind("bitwise_", 0) == 0) kind = kind.substr(8);
    if (kind == "left_shift") kind = "lshift";
    if (kind == "right_shift") kind = "rshift";
  }
  return kind;
}

// aten::bitwise_and/or/xor(Tensor self, Tensor|Scalar other), aten::__and__/__or__/__xor__,
// their in-place forms (bitwise_and_, __iand__, ...)
void translate_bitwise_binary(TranslateContext& ctx, const JitNode* node) {
  const std::string v = verb(node);
  const DType out = ctx.dtype(node->output());
  const bool boolean = out == DType::Bool;
  const char* op = v == "and"  ? (boolean ? "And" : "BitwiseAnd")
                   : v == "or" ? (boolean ? "Or" : "BitwiseOr")
                               : (boolean ? "Xor" : "BitwiseXor");
  if (ir::is_floating(out))
    throw Error(ExitCode::kUnsupportedOps,
                std::string(node->kind().toQualString()) + " on floating-point tensors");
  ir::Value* a = ctx.tensor_as(node->input(0), out);
  ir::Value* b = ctx.tensor_as(node->input(1), out);
  bind_output(ctx, node, ctx.op(op, {a, b}));
}

// aten::bitwise_not(Tensor self) ; aten::__invert__(Tensor self)
void translate_bitwise_not(TranslateContext& ctx, const JitNode* node) {
  const DType out = ctx.dtype(node->output());
  ir::Value* x = ctx.tensor_as(node->input(0), out);
  if (out == DType::Bool) return bind_output(ctx, node, ctx.op("Not", {x}));
  if (out == DType::UInt8) return bind_output(ctx, node, ctx.op("Sub", {ctx.scalar(255, out), x}));
  if (ir::is_floating(out))
    throw Error(ExitCode::kUnsupportedOps, "aten::bitwise_not on floating-point tensors");
  bind_output(ctx, node, ctx.op("Sub", {ctx.op("Neg", {x}), ctx.scalar(1, out)}));
}

// 2^s in `dtype`: a constant for a constant s, else Pow in float64 (exact for s < 63).
ir::Value* power_of_two(TranslateContext& ctx, const JitValue* s, DType dtype) {
  if (ctx.is_static(s) && !ctx.recorded(s).isTensor())
    return ctx.scalar(std::ldexp(1.0, static_cast<int>(ctx.const_int(s))), dtype);
  ir::Value* exponent = ctx.tensor_as(s, DType::Float64);
  ir::Value* p = typed(ctx.op("Pow", {ctx.scalar(2.0, DType::Float64), exponent}), DType::Float64);
  return ctx.cast(p, dtype);
}

// aten::__lshift__/__rshift__(Tensor self, Tensor|Scalar other), aten::bitwise_left_shift /
// bitwise_right_shift and in-place forms
void translate_shift(TranslateContext& ctx, const JitNode* node) {
  const bool left = verb(node) == "lshift";
  const DType out = ctx.dtype(node->output());
  if (ir::is_floating(out) || out == DType::Bool)
    throw Error(ExitCode::kUnsupportedOps, std::string(node->kind().toQualString()) + " on " +
                                               std::string(ir::dtype_name(out)) + " tensors");
  ir::Value* x = ctx.tensor_as(node->input(0), out);
  if (out == DType::UInt8) {
    ir::Value* s = ctx.tensor_as(node->input(1), out);
    return bind_output(
        ctx, node,
        ctx.op("BitShift", {x, s}, {{"direction", std::string(left ? "LEFT" : "RIGHT")}}));
  }
  ir::Value* p = power_of_two(ctx, node->input(1), out);
  if (left) return bind_output(ctx, node, ctx.op("Mul", {x, p}));
  // floor(x / p) = (x - x mod p) / p with Python's modulo (non-negative for p > 0).
  ir::Value* rest = typed(ctx.op("Mod", {x, p}, {{"fmod", int64_t{0}}}), out);
  bind_output(ctx, node, ctx.op("Div", {typed(ctx.op("Sub", {x, rest}), out), p}));
}

}  // namespace

std::vector<OpRule> bitwise_rules() {
  std::vector<OpRule> rows;
  const char* bool_or_18 =
      "And/Or/Xor (bool); integers: BitwiseAnd/Or/Xor at opset 18, below it (and for OpenVINO) "
      "bit planes (Mod/Div/Mul/ReduceSum)";
  for (const char* k : {"aten::bitwise_and", "aten::bitwise_and_", "aten::bitwise_or",
                        "aten::bitwise_or_", "aten::bitwise_xor", "aten::bitwise_xor_",
                        "aten::__xor__", "aten::__iand__", "aten::__ior__", "aten::__ixor__"})
    rows.push_back({k, translate_bitwise_binary, bool_or_18});
  // Moved here from elementwise.cpp, whose translate_logical handles bool only.
  for (const char* k : {"aten::__and__", "aten::__or__"})
    rows.push_back({k, translate_bitwise_binary, bool_or_18});
  rows.push_back({"aten::bitwise_not", translate_bitwise_not, "Not (bool); -x - 1 (integers)"});
  rows.push_back({"aten::bitwise_not_", translate_bitwise_not, "Not (bool); -x - 1 (integers)"});
  rows.push_back({"aten::__invert__", translate_bitwise_not, "Not (bool); -x - 1 (integers)"});
  for (const char* k : {"aten::__lshift__", "aten::__ilshift__", "aten::bitwise_left_shift",
                        "aten::bitwise_left_shift_"})
    rows.push_back(
        {k, translate_shift, "Mul by 2^s (uint8: BitShift LEFT; OpenVINO BitwiseLeftShift-15)"});
  for (const char* k : {"aten::__rshift__", "aten::__irshift__", "aten::bitwise_right_shift",
                        "aten::bitwise_right_shift_"})
    rows.push_back(
        {k, translate_shift,
         "floor Div by 2^s (Mod/Sub/Div; uint8: BitShift RIGHT; OpenVINO BitwiseRightShift-15)"});
  return rows;
}

}  // namespace mlexport::frontend::torchscript
