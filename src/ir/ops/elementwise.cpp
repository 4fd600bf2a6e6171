// Elementwise ops: unary math, activations, arithmetic, comparisons and logic, Cast and Where.
#include "ir/ops/dims.h"
#include "ir/ops/families.h"

namespace mlexport::ir::ops {

std::optional<std::vector<Shape>> same_shape(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  if (!x) return std::nullopt;
  return one(*x);
}

std::optional<std::vector<Shape>> broadcast_inputs(const Node& n, const ShapeEnv& env) {
  Shape out;
  for (const Value* v : n.inputs) {
    const Shape* s = env.shape(v);
    if (!s) return std::nullopt;
    out = broadcast(out, *s);
  }
  return one(out);
}

namespace {

OpDef unary(std::string_view name, int since, std::vector<AttrSpec> attrs = {}) {
  OpDef d{.name = name, .traits = kKeepsShapeAndType, .attrs = std::move(attrs)};
  d.onnx_since = since;
  d.shape = same_shape;
  return d;
}

OpDef binary(std::string_view name, int since, TypeRule type = TypeRule::Input0,
             uint32_t traits = kBroadcasting) {
  OpDef d{.name = name, .min_inputs = 2, .max_inputs = 2, .traits = traits};
  d.onnx_since = since;
  d.type = type;
  d.shape = broadcast_inputs;
  return d;
}

OpDef comparison(std::string_view name, int since) {
  return binary(name, since, TypeRule::Bool, kBroadcasting | kComparison);
}

OpDef variadic(std::string_view name) {
  OpDef d{.name = name, .min_inputs = 1, .max_inputs = kVariadic, .traits = kBroadcasting};
  d.shape = broadcast_inputs;
  return d;
}

OpDef with_inputs(OpDef d, int max_inputs) {
  d.max_inputs = max_inputs;
  return d;
}

OpDef with_eval(OpDef d, Evaluator e) {
  d.evaluate = e;
  return d;
}

constexpr std::string_view kBitwiseWhy =
    "rewritten into bit-plane arithmetic before the OpenVINO emitter (pass "
    "legalize-openvino): OpenVINO's BitwiseAnd/Or/Xor-13 could not be validated here, whose "
    "read-back runs ONNX at opset 17";

OpDef no_openvino(OpDef d, std::string_view why) {
  d.no_openvino = why;
  return d;
}

}  // namespace

std::vector<OpDef> elementwise_ops() {
  std::vector<OpDef> ops = {
      unary("Abs", 1),
      unary("Acos", 7),
      unary("Acosh", 9),
      unary("Asin", 7),
      unary("Asinh", 9),
      unary("Atan", 7),
      unary("Atanh", 9),
      unary("Ceil", 1),
      unary("Cos", 7),
      unary("Cosh", 9),
      unary("Erf", 9),
      unary("Exp", 1),
      unary("Floor", 1),
      unary("Log", 1),
      with_eval(unary("Neg", 1), eval_unary_float),
      with_eval(unary("Reciprocal", 1), eval_unary_float),
      unary("Round", 11),
      unary("Sign", 9),
      unary("Sin", 7),
      unary("Sinh", 9),
      with_eval(unary("Sqrt", 1), eval_unary_float),
      unary("Tan", 7),
      unary("Tanh", 1),
      unary("Not", 1),
      // Activations.
      unary("Relu", 1),
      unary("Sigmoid", 1),
      unary("Softplus", 1),
      unary("Softsign", 1),
      unary("HardSwish", 14),
      unary("Mish", 18),
      unary("Elu", 1, {{"alpha", kFloat}}),
      unary("Celu", 12, {{"alpha", kFloat}}),
      unary("Selu", 1, {{"alpha", kFloat}, {"gamma", kFloat}}),
      unary("LeakyRelu", 1, {{"alpha", kFloat}}),
      unary("HardSigmoid", 1, {{"alpha", kFloat}, {"beta", kFloat}}),
      unary("Gelu", 20, {{"approximate", AttrKind::String}}),
      unary("Softmax", 1, {{"axis", AttrKind::Int}}),
      unary("LogSoftmax", 1, {{"axis", AttrKind::Int}}),
      with_inputs(unary("Clip", 1, {{"min", kFloat, 0, 11}, {"max", kFloat, 0, 11}}), 3),
      with_eval(unary("Identity", 1), eval_identity),
      // Arithmetic and logic.
      with_eval(binary("Add", 1), eval_arithmetic),
      with_eval(binary("Sub", 1), eval_arithmetic),
      with_eval(binary("Mul", 1), eval_arithmetic),
      with_eval(binary("Div", 1), eval_arithmetic),
      binary("Pow", 1),
      binary("And", 1),
      binary("Or", 1),
      binary("Xor", 1),
      // Integer bitwise ops are ONNX opset 18: refused below it with that reason.
      no_openvino(binary("BitwiseAnd", 18), kBitwiseWhy),
      no_openvino(binary("BitwiseOr", 18), kBitwiseWhy),
      no_openvino(binary("BitwiseXor", 18), kBitwiseWhy),
      comparison("Equal", 1),
      comparison("Less", 1),
      comparison("Greater", 1),
      comparison("LessOrEqual", 12),
      comparison("GreaterOrEqual", 12),
      variadic("Min"),
      variadic("Max"),
      variadic("Sum"),
      variadic("Mean"),
  };
  OpDef mod = binary("Mod", 10);
  mod.attrs = {{"fmod", AttrKind::Int}};
  OpDef shift = binary("BitShift", 11);
  shift.attrs = {{"direction", AttrKind::String}};
  OpDef prelu = unary("PRelu", 1);
  prelu.min_inputs = prelu.max_inputs = 2;
  OpDef dropout = unary("Dropout", 1, {{"seed", AttrKind::Int}, {"ratio", kFloat, 0, 12}});
  dropout.max_inputs = 3;
  dropout.max_outputs = 2;
  OpDef is_nan = unary("IsNaN", 9);
  is_nan.traits = kNoTraits;
  is_nan.type = TypeRule::Bool;
  OpDef cast = with_eval(unary("Cast", 1, {{"to", AttrKind::Int}}), eval_cast);
  cast.traits = kNoTraits;
  cast.type = TypeRule::FromAttrTo;
  OpDef where{.name = "Where", .min_inputs = 3, .max_inputs = 3, .traits = kBroadcasting};
  where.onnx_since = 9;
  where.type = TypeRule::Input1;
  where.shape = broadcast_inputs;
  for (OpDef* d : {&mod, &shift, &prelu, &dropout, &is_nan, &cast, &where}) ops.push_back(*d);
  return ops;
}

}  // namespace mlexport::ir::ops
