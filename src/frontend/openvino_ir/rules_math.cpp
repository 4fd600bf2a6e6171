// Elementwise, activation, matrix and normalization layers -> ONNX-semantics IR nodes.
#include <cmath>

#include "frontend/openvino_ir/rules.h"

namespace mlexport::frontend::openvino_ir {

namespace {

const std::map<std::string, std::string>& unary_ops() {
  static const std::map<std::string, std::string> table = {
      {"ReLU", "Relu"},         {"Sigmoid", "Sigmoid"},  {"Tanh", "Tanh"},
      {"Exp", "Exp"},           {"Log", "Log"},          {"Sqrt", "Sqrt"},
      {"Abs", "Abs"},           {"Erf", "Erf"},          {"Negative", "Neg"},
      {"Floor", "Floor"},       {"Ceiling", "Ceil"},     {"Sin", "Sin"},
      {"Cos", "Cos"},           {"Tan", "Tan"},          {"Asin", "Asin"},
      {"Acos", "Acos"},         {"Atan", "Atan"},        {"Sinh", "Sinh"},
      {"Cosh", "Cosh"},         {"Asinh", "Asinh"},      {"Acosh", "Acosh"},
      {"Atanh", "Atanh"},       {"Sign", "Sign"},        {"SoftPlus", "Softplus"},
      {"SoftSign", "Softsign"}, {"HSwish", "HardSwish"}, {"LogicalNot", "Not"},
      {"IsNaN", "IsNaN"}};
  return table;
}

const std::map<std::string, std::string>& binary_ops() {
  static const std::map<std::string, std::string> table = {{"Add", "Add"},
                                                           {"Subtract", "Sub"},
                                                           {"Multiply", "Mul"},
                                                           {"Power", "Pow"},
                                                           {"Maximum", "Max"},
                                                           {"Minimum", "Min"},
                                                           {"Equal", "Equal"},
                                                           {"Less", "Less"},
                                                           {"Greater", "Greater"},
                                                           {"LessEqual", "LessOrEqual"},
                                                           {"GreaterEqual", "GreaterOrEqual"},
                                                           {"LogicalAnd", "And"},
                                                           {"LogicalOr", "Or"},
                                                           {"LogicalXor", "Xor"},
                                                           {"Mod", "Mod"}};
  return table;
}

void check_numpy_broadcast(Reader& r, const LayerDesc& l) {
  std::string mode = r.attr(l, "auto_broadcast", "numpy");
  if (mode != "numpy" && mode != "none") throw r.unsupported(l, "auto_broadcast=" + mode);
}

bool is_integer(ir::DType t) {
  return !ir::is_floating(t) && t != ir::DType::Bool;
}

// The last two axes swapped, for MatMul's transpose_a/transpose_b.
ir::Value* swap_last_two(Reader& r, const LayerDesc& l, ir::Value* v,
                         const std::vector<int64_t>& dims) {
  size_t rank = dims.size();
  if (rank < 2) return v;  // a vector is its own transpose
  std::vector<int64_t> perm;
  for (size_t k = 0; k < rank; ++k) perm.push_back(static_cast<int64_t>(k));
  std::swap(perm[rank - 1], perm[rank - 2]);
  ir::Shape shape;
  for (int64_t p : perm) {
    int64_t d = dims[static_cast<size_t>(p)];
    shape.push_back(d >= 0 ? ir::Dim::fixed(d) : ir::Dim{});
  }
  return r.helper(l, "Transpose", {v}, v->dtype, shape, {{"perm", perm}});
}

}  // namespace

void rule_unary(Reader& r, const LayerDesc& l) {
  r.set_output(l, 0, r.node(l, unary_ops().at(l.type), {r.input(l, 0)})->outputs[0]);
}

void rule_binary(Reader& r, const LayerDesc& l) {
  check_numpy_broadcast(r, l);
  std::map<std::string, ir::Attribute> attrs;
  if (l.type == "Mod") attrs["fmod"] = int64_t{1};  // truncated: the dividend's sign
  r.set_output(
      l, 0, r.node(l, binary_ops().at(l.type), {r.input(l, 0), r.input(l, 1)}, attrs)->outputs[0]);
}

void rule_divide(Reader& r, const LayerDesc& l) {
  check_numpy_broadcast(r, l);
  ir::Value* a = r.input(l, 0);
  if (is_integer(a->dtype) && r.bool_attr(l, "m_pythondiv", true))
    throw r.unsupported(l, "integer division rounding down (m_pythondiv=true)");
  r.set_output(l, 0, r.node(l, "Div", {a, r.input(l, 1)})->outputs[0]);
}

void rule_floor_mod(Reader& r, const LayerDesc& l) {
  check_numpy_broadcast(r, l);
  ir::Value* a = r.input(l, 0);
  ir::Value* b = r.input(l, 1);
  if (is_integer(a->dtype)) {
    r.set_output(l, 0, r.node(l, "Mod", {a, b}, {{"fmod", int64_t{0}}})->outputs[0]);
    return;
  }
  // ONNX's Mod on floats is only the truncated kind: a - floor(a / b) * b instead.
  auto shape = r.port_shape(l.outputs[0]);
  ir::Value* q = r.helper(l, "Div", {a, b}, a->dtype, shape);
  ir::Value* f = r.helper(l, "Floor", {q}, a->dtype, shape);
  ir::Value* m = r.helper(l, "Mul", {f, b}, a->dtype, shape);
  r.set_output(l, 0, r.node(l, "Sub", {a, m})->outputs[0]);
}

void rule_squared_difference(Reader& r, const LayerDesc& l) {
  ir::Value* a = r.input(l, 0);
  ir::Value* d = r.helper(l, "Sub", {a, r.input(l, 1)}, a->dtype, r.port_shape(l.outputs[0]));
  r.set_output(l, 0, r.node(l, "Mul", {d, d})->outputs[0]);
}

void rule_not_equal(Reader& r, const LayerDesc& l) {
  ir::Value* e = r.helper(l, "Equal", {r.input(l, 0), r.input(l, 1)}, ir::DType::Bool,
                          r.port_shape(l.outputs[0]));
  r.set_output(l, 0, r.node(l, "Not", {e})->outputs[0]);
}

void rule_select(Reader& r, const LayerDesc& l) {
  check_numpy_broadcast(r, l);
  r.set_output(l, 0, r.node(l, "Where", {r.input(l, 0), r.input(l, 1), r.input(l, 2)})->outputs[0]);
}

void rule_convert(Reader& r, const LayerDesc& l) {
  auto to = dtype_of_element_type(r.required(l, "destination_type"));
  if (!to) throw r.unsupported(l, "destination_type " + r.required(l, "destination_type"));
  r.set_output(l, 0,
               r.node(l, "Cast", {r.input(l, 0)}, {{"to", static_cast<int64_t>(*to)}})->outputs[0]);
}

void rule_clamp(Reader& r, const LayerDesc& l) {
  double lo = r.required_float(l, "min"), hi = r.required_float(l, "max");
  r.set_output(l, 0, r.node(l, "Clip", {r.input(l, 0)}, {{"min", lo}, {"max", hi}})->outputs[0]);
}

void rule_hard_sigmoid(Reader& r, const LayerDesc& l) {
  double alpha = r.const_scalar(l, 1, "alpha"), beta = r.const_scalar(l, 2, "beta");
  r.set_output(
      l, 0,
      r.node(l, "HardSigmoid", {r.input(l, 0)}, {{"alpha", alpha}, {"beta", beta}})->outputs[0]);
}

void rule_hsigmoid(Reader& r, const LayerDesc& l) {
  r.set_output(
      l, 0,
      r.node(l, "HardSigmoid", {r.input(l, 0)}, {{"alpha", 1.0 / 6.0}, {"beta", 0.5}})->outputs[0]);
}

void rule_prelu(Reader& r, const LayerDesc& l) {
  ir::Value* x = r.input(l, 0);
  ir::Value* slope = r.input(l, 1);
  const auto& xd = r.in_dims(l, 0);
  const auto& sd = r.in_dims(l, 1);
  const int64_t count = sd.size() == 1 ? sd[0] : 1;  // only a 1-D slope's count matters
  // A 1-D slope of several values is per channel (axis 1) in PRelu-1: [C] -> [C, 1, ...].
  if (sd.size() == 1 && count > 1 && xd.size() >= 2 && xd.size() != 1) {
    std::vector<int64_t> shape(xd.size() - 1, 1);
    shape[0] = sd[0];
    ir::Value* target = r.constant(ir::Tensor::vector_int64(shape), "prelu_shape");
    ir::Shape s;
    for (int64_t d : shape) s.push_back(ir::Dim::fixed(d));
    slope = r.helper(l, "Reshape", {slope, target}, slope->dtype, s);
  }
  r.set_output(l, 0, r.node(l, "PRelu", {x, slope})->outputs[0]);
}

void rule_elu(Reader& r, const LayerDesc& l) {
  r.set_output(
      l, 0,
      r.node(l, "Elu", {r.input(l, 0)}, {{"alpha", r.required_float(l, "alpha")}})->outputs[0]);
}

void rule_selu(Reader& r, const LayerDesc& l) {
  double alpha = r.const_scalar(l, 1, "alpha"), lambda = r.const_scalar(l, 2, "lambda");
  r.set_output(
      l, 0, r.node(l, "Selu", {r.input(l, 0)}, {{"alpha", alpha}, {"gamma", lambda}})->outputs[0]);
}

void rule_gelu(Reader& r, const LayerDesc& l) {
  // ONNX 17 has no Gelu: written out from its definition.
  ir::Value* x = r.input(l, 0);
  ir::DType t = x->dtype;
  auto shape = r.port_shape(l.outputs[0]);
  std::string mode = r.attr(l, "approximation_mode", "erf");
  for (char& c : mode) c = static_cast<char>(std::tolower(c));
  ir::Value* inner;
  if (mode == "erf") {
    ir::Value* scaled =
        r.helper(l, "Mul", {x, r.scalar(t, 1.0 / std::sqrt(2.0), "gelu_rsqrt2")}, t, shape);
    inner = r.helper(l, "Erf", {scaled}, t, shape);
  } else if (mode == "tanh") {
    ir::Value* cube = r.helper(l, "Mul", {x, x}, t, shape);
    cube = r.helper(l, "Mul", {cube, x}, t, shape);
    ir::Value* term = r.helper(l, "Mul", {cube, r.scalar(t, 0.044715, "gelu_c")}, t, shape);
    ir::Value* sum = r.helper(l, "Add", {x, term}, t, shape);
    ir::Value* arg =
        r.helper(l, "Mul", {sum, r.scalar(t, std::sqrt(2.0 / M_PI), "gelu_k")}, t, shape);
    inner = r.helper(l, "Tanh", {arg}, t, shape);
  } else {
    throw r.unsupported(l, "approximation_mode " + mode);
  }
  ir::Value* one_plus = r.helper(l, "Add", {inner, r.scalar(t, 1.0, "one")}, t, shape);
  ir::Value* half_x = r.helper(l, "Mul", {x, r.scalar(t, 0.5, "half")}, t, shape);
  r.set_output(l, 0, r.node(l, "Mul", {half_x, one_plus})->outputs[0]);
}

void rule_mish(Reader& r, const LayerDesc& l) {
  ir::Value* x = r.input(l, 0);
  auto shape = r.port_shape(l.outputs[0]);
  ir::Value* sp = r.helper(l, "Softplus", {x}, x->dtype, shape);
  ir::Value* th = r.helper(l, "Tanh", {sp}, x->dtype, shape);
  r.set_output(l, 0, r.node(l, "Mul", {x, th})->outputs[0]);
}

void rule_swish(Reader& r, const LayerDesc& l) {
  ir::Value* x = r.input(l, 0);
  auto shape = r.port_shape(l.outputs[0]);
  ir::Value* arg = x;
  if (r.input_count(l) > 1) arg = r.helper(l, "Mul", {x, r.input(l, 1)}, x->dtype, shape);
  ir::Value* s = r.helper(l, "Sigmoid", {arg}, x->dtype, shape);
  r.set_output(l, 0, r.node(l, "Mul", {x, s})->outputs[0]);
}

void rule_round(Reader& r, const LayerDesc& l) {
  if (r.required(l, "mode") != "half_to_even")
    throw r.unsupported(l, "mode " + r.required(l, "mode"));
  r.set_output(l, 0, r.node(l, "Round", {r.input(l, 0)})->outputs[0]);
}

void rule_softmax(Reader& r, const LayerDesc& l) {
  int64_t axis = r.required_int(l, "axis");
  const char* op = l.type == "LogSoftmax" ? "LogSoftmax" : "Softmax";
  r.set_output(l, 0, r.node(l, op, {r.input(l, 0)}, {{"axis", axis}})->outputs[0]);
}

void rule_matmul(Reader& r, const LayerDesc& l) {
  ir::Value* a = r.input(l, 0);
  ir::Value* b = r.input(l, 1);
  if (r.bool_attr(l, "transpose_a", false)) a = swap_last_two(r, l, a, r.in_dims(l, 0));
  if (r.bool_attr(l, "transpose_b", false)) b = swap_last_two(r, l, b, r.in_dims(l, 1));
  r.set_output(l, 0, r.node(l, "MatMul", {a, b})->outputs[0]);
}

void rule_batch_norm(Reader& r, const LayerDesc& l) {
  // opset5 orders inputs data, gamma, beta, mean, variance; opset1 gamma, beta, data, ...
  bool v1 = l.version == "opset1";
  std::vector<ir::Value*> in;
  for (size_t k : v1 ? std::vector<size_t>{2, 0, 1, 3, 4} : std::vector<size_t>{0, 1, 2, 3, 4})
    in.push_back(r.input(l, k));
  r.set_output(l, 0,
               r.node(l, "BatchNormalization", in, {{"epsilon", r.required_float(l, "epsilon")}})
                   ->outputs[0]);
}

void rule_mvn(Reader& r, const LayerDesc& l) {
  // (x - mean) / sqrt(var + eps) over `axes`, written out with ONNX reductions.
  ir::Value* x = r.input(l, 0);
  ir::DType t = x->dtype;
  std::vector<int64_t> axes = r.const_ints(l, 1, "axes");
  auto shape = r.port_shape(l.outputs[0]);
  ir::Shape reduced = shape;
  for (int64_t a : axes) {
    size_t k = static_cast<size_t>(a < 0 ? a + static_cast<int64_t>(shape.size()) : a);
    if (k < reduced.size()) reduced[k] = ir::Dim::fixed(1);
  }
  std::map<std::string, ir::Attribute> reduce_attrs = {{"axes", axes}, {"keepdims", int64_t{1}}};
  ir::Value* mean = r.helper(l, "ReduceMean", {x}, t, reduced, reduce_attrs);
  ir::Value* centered = r.helper(l, "Sub", {x, mean}, t, shape);
  if (!r.bool_attr(l, "normalize_variance", true)) {
    r.set_output(l, 0, centered);
    return;
  }
  double eps = r.required_float(l, "eps");
  std::string mode = r.required(l, "eps_mode");
  ir::Value* sq = r.helper(l, "Mul", {centered, centered}, t, shape);
  ir::Value* var = r.helper(l, "ReduceMean", {sq}, t, reduced, reduce_attrs);
  ir::Value* eps_v = r.scalar(t, eps, "mvn_eps");
  ir::Value* denom;
  if (mode == "inside_sqrt") {
    denom = r.helper(l, "Sqrt", {r.helper(l, "Add", {var, eps_v}, t, reduced)}, t, reduced);
  } else if (mode == "outside_sqrt") {
    denom = r.helper(l, "Add", {r.helper(l, "Sqrt", {var}, t, reduced), eps_v}, t, reduced);
  } else {
    throw r.unsupported(l, "eps_mode " + mode);
  }
  r.set_output(l, 0, r.node(l, "Div", {centered, denom})->outputs[0]);
}

}  // namespace mlexport::frontend::openvino_ir
