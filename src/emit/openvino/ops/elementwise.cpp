// Elementwise ops: one OpenVINO layer each, numpy broadcasting as in ONNX.
#include "emit/openvino/ops/ops.h"

namespace mlexport::emit::openvino {

namespace {

struct LayerKind {
  const char* type;
  const char* version;
};

const std::map<std::string, LayerKind>& unary_kinds() {
  static const std::map<std::string, LayerKind> table = {
      {"Relu", {"ReLU", "opset1"}},         {"Sigmoid", {"Sigmoid", "opset1"}},
      {"Tanh", {"Tanh", "opset1"}},         {"Exp", {"Exp", "opset1"}},
      {"Log", {"Log", "opset1"}},           {"Sqrt", {"Sqrt", "opset1"}},
      {"Abs", {"Abs", "opset1"}},           {"Erf", {"Erf", "opset1"}},
      {"Neg", {"Negative", "opset1"}},      {"Floor", {"Floor", "opset1"}},
      {"Ceil", {"Ceiling", "opset1"}},      {"Sin", {"Sin", "opset1"}},
      {"Cos", {"Cos", "opset1"}},           {"Tan", {"Tan", "opset1"}},
      {"Asin", {"Asin", "opset1"}},         {"Acos", {"Acos", "opset1"}},
      {"Atan", {"Atan", "opset1"}},         {"Sinh", {"Sinh", "opset1"}},
      {"Cosh", {"Cosh", "opset1"}},         {"Asinh", {"Asinh", "opset4"}},
      {"Acosh", {"Acosh", "opset4"}},       {"Atanh", {"Atanh", "opset4"}},
      {"Sign", {"Sign", "opset1"}},         {"Softplus", {"SoftPlus", "opset4"}},
      {"Softsign", {"SoftSign", "opset9"}}, {"Mish", {"Mish", "opset4"}},
      {"HardSwish", {"HSwish", "opset4"}},  {"Not", {"LogicalNot", "opset1"}},
  };
  return table;
}

const std::map<std::string, std::string>& arithmetic_kinds() {
  static const std::map<std::string, std::string> table = {{"Add", "Add"},
                                                           {"Sub", "Subtract"},
                                                           {"Mul", "Multiply"},
                                                           {"Div", "Divide"},
                                                           {"Pow", "Power"}};
  return table;
}

const std::map<std::string, std::string>& compare_kinds() {
  static const std::map<std::string, std::string> table = {{"Equal", "Equal"},
                                                           {"Less", "Less"},
                                                           {"Greater", "Greater"},
                                                           {"LessOrEqual", "LessEqual"},
                                                           {"GreaterOrEqual", "GreaterEqual"},
                                                           {"And", "LogicalAnd"},
                                                           {"Or", "LogicalOr"},
                                                           {"Xor", "LogicalXor"}};
  return table;
}

}  // namespace

void translate_unary(const ir::Node& n, Context& ctx) {
  if (n.op == "Round") {
    ctx.bind_output(n,
                    ctx.unary("Round", "opset5", n.name, ctx.in(n, 0), {{"mode", "half_to_even"}}));
    return;
  }
  if (n.op == "IsNaN") {
    OutRef x = ctx.in(n, 0);
    ctx.bind_output(n,
                    ctx.b.add1("IsNaN", "opset10", n.name, {x}, {}, ir::DType::Bool, ctx.dims(x)));
    return;
  }
  const LayerKind& kind = unary_kinds().at(n.op);
  ctx.bind_output(n, ctx.unary(kind.type, kind.version, n.name, ctx.in(n, 0)));
}

void translate_arithmetic(const ir::Node& n, Context& ctx) {
  OutRef a = ctx.in(n, 0), b = ctx.in(n, 1);
  Attrs extra;
  if (n.op == "Div")
    // ONNX integer division truncates like C; OpenVINO's python division would floor.
    extra.push_back({"m_pythondiv", bool_attr(false)});
  if (n.op == "Pow" && ctx.dtype(b) != ctx.dtype(a))
    b = ctx.convert(b, ctx.dtype(a), n.name + "/exponent");
  ctx.bind_output(n, ctx.binary(arithmetic_kinds().at(n.op), n.name, a, b, extra));
}

void translate_mod(const ir::Node& n, Context& ctx) {
  // fmod=1 keeps the dividend's sign (C fmod, OpenVINO Mod); fmod=0 the divisor's (FloorMod).
  const char* type = n.i("fmod", 0) ? "Mod" : "FloorMod";
  ctx.bind_output(n, ctx.binary(type, n.name, ctx.in(n, 0), ctx.in(n, 1)));
}

void translate_compare(const ir::Node& n, Context& ctx) {
  ctx.bind_output(n, ctx.compare(compare_kinds().at(n.op), n.name, ctx.in(n, 0), ctx.in(n, 1)));
}

void translate_variadic(const ir::Node& n, Context& ctx) {
  const char* type = n.op == "Min" ? "Minimum" : n.op == "Max" ? "Maximum" : "Add";
  OutRef acc = ctx.in(n, 0);
  for (size_t k = 1; k < n.inputs.size(); ++k)
    acc = ctx.binary(type, n.name + (k + 1 < n.inputs.size() ? "/" + std::to_string(k) : ""), acc,
                     ctx.in(n, k));
  if (n.op == "Mean" && n.inputs.size() > 1) {
    OutRef count =
        ctx.scalar(ctx.dtype(acc), static_cast<double>(n.inputs.size()), n.name + "/count");
    acc = ctx.binary("Divide", n.name + "/mean", acc, count);
  }
  ctx.bind_output(n, acc);
}

void translate_where(const ir::Node& n, Context& ctx) {
  OutRef c = ctx.in(n, 0), x = ctx.in(n, 1), y = ctx.in(n, 2);
  Dims out = broadcast_dims(broadcast_dims(ctx.dims(c), ctx.dims(x)), ctx.dims(y));
  ctx.bind_output(n, ctx.b.add1("Select", "opset1", n.name, {c, x, y},
                                {{"auto_broadcast", "numpy"}}, ctx.dtype(x), out));
}

void translate_cast(const ir::Node& n, Context& ctx) {
  auto to = static_cast<ir::DType>(n.i("to", static_cast<int64_t>(ir::DType::Float32)));
  ctx.bind_output(n, ctx.convert(ctx.in(n, 0), to, n.name));
}

void translate_identity(const ir::Node& n, Context& ctx) {
  // Dropped: the output is carried by the input's port.
  ctx.bind_output(n, ctx.in(n, 0));
}

void translate_reciprocal(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  OutRef one = ctx.scalar(ctx.dtype(x), 1.0, n.name + "/one");
  ctx.bind_output(n, ctx.binary("Divide", n.name, one, x));
}

void translate_clip(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  std::optional<double> lo, hi;
  std::optional<OutRef> lo_ref, hi_ref;
  if (n.has("min")) lo = n.f("min", 0);
  if (n.has("max")) hi = n.f("max", 0);
  auto bound = [&](size_t k, std::optional<double>& v, std::optional<OutRef>& ref) {
    const ir::Value* in = n.input(k);
    if (!in) return;
    if (in->is_constant() && in->constant->numel() == 1)
      v = in->constant->value_as_double(0);
    else
      ref = ctx.value(in);
  };
  bound(1, lo, lo_ref);
  bound(2, hi, hi_ref);
  if (lo && hi) {
    ctx.bind_output(n, ctx.unary("Clamp", "opset1", n.name, x,
                                 {{"min", float_attr(*lo)}, {"max", float_attr(*hi)}}));
    return;
  }
  // One bound, or bounds computed at run time: Maximum/Minimum.
  OutRef y = x;
  bool low_done = false;
  if (lo || lo_ref) {
    OutRef l = lo_ref ? *lo_ref : ctx.scalar(ctx.dtype(x), *lo, n.name + "/min");
    y = ctx.binary("Maximum", (hi || hi_ref) ? n.name + "/low" : n.name, y, l);
    low_done = true;
  }
  if (hi || hi_ref) {
    OutRef h = hi_ref ? *hi_ref : ctx.scalar(ctx.dtype(x), *hi, n.name + "/max");
    y = ctx.binary("Minimum", n.name, y, h);
  } else if (!low_done) {
    y = x;  // no bounds at all: Clip is the identity
  }
  ctx.bind_output(n, y);
}

// BitShift -> BitwiseLeftShift-15 / BitwiseRightShift-15 (numpy broadcasting, as ONNX). The IR
// holds BitShift for uint8 only: other integer shifts are Mul / floor Div by powers of two.
void translate_bit_shift(const ir::Node& n, Context& ctx) {
  const std::string direction = n.s("direction", "");
  if (direction != "LEFT" && direction != "RIGHT")
    throw unsupported_variant(n, "with direction '" + direction + "'");
  OutRef a = ctx.in(n, 0), b = ctx.in(n, 1);
  if (ctx.dtype(a) != ctx.dtype(b)) throw unsupported_variant(n, "on operands of two types");
  const char* type = direction == "LEFT" ? "BitwiseLeftShift" : "BitwiseRightShift";
  ctx.bind_output(n, ctx.b.add1(type, "opset15", n.name, {a, b}, {{"auto_broadcast", "numpy"}},
                                ctx.dtype(a), broadcast_dims(ctx.dims(a), ctx.dims(b))));
}

}  // namespace mlexport::emit::openvino
