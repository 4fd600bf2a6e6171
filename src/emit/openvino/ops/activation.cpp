// Activations whose OpenVINO form takes parameters (as inputs or attributes).
#include "emit/openvino/ops/ops.h"

namespace mlexport::emit::openvino {

void translate_hard_sigmoid(const ir::Node& n, Context& ctx) {
  // HardSigmoid-1: alpha and beta are scalar inputs of the data's type.
  OutRef x = ctx.in(n, 0);
  OutRef alpha = ctx.scalar(ctx.dtype(x), n.f("alpha", 0.2), n.name + "/alpha");
  OutRef beta = ctx.scalar(ctx.dtype(x), n.f("beta", 0.5), n.name + "/beta");
  ctx.bind_output(n, ctx.b.add1("HardSigmoid", "opset1", n.name, {x, alpha, beta}, {}, ctx.dtype(x),
                                ctx.dims(x)));
}

void translate_leaky_relu(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  OutRef slope = ctx.scalar(ctx.dtype(x), n.f("alpha", 0.01), n.name + "/slope", true);
  ctx.bind_output(n,
                  ctx.b.add1("PRelu", "opset1", n.name, {x, slope}, {}, ctx.dtype(x), ctx.dims(x)));
}

void translate_prelu(const ir::Node& n, Context& ctx) {
  // PRelu-1 reads a 1-D slope as per-channel (axis 1) where ONNX broadcasts it from the right;
  // a slope of the data's full rank means the same to both.
  OutRef x = ctx.in(n, 0);
  const ir::Value* s = n.input(1);
  size_t rank = ctx.rank(n.input(0));
  OutRef slope;
  const Dims& sd = ctx.dims(s);
  int64_t count = 1;
  for (int64_t d : sd) count = (count < 0 || d < 0) ? -1 : count * d;
  if (count == 1 || sd.size() == rank) {
    slope = ctx.value(s);
  } else if (s->is_constant()) {
    ir::Tensor t = *s->constant;
    t.shape.insert(t.shape.begin(), rank - t.shape.size(), 1);
    slope = ctx.weight(t, s->name + "/full_rank");
  } else {
    std::vector<int64_t> axes;
    for (size_t k = 0; k < rank - sd.size(); ++k) axes.push_back(static_cast<int64_t>(k));
    slope = ctx.unsqueeze(ctx.value(s), axes, n.name + "/slope");
  }
  ctx.bind_output(n, ctx.b.add1("PRelu", "opset1", n.name, {x, slope}, {}, ctx.dtype(x),
                                broadcast_dims(ctx.dims(x), ctx.dims(slope))));
}

void translate_elu(const ir::Node& n, Context& ctx) {
  ctx.bind_output(n, ctx.unary("Elu", "opset1", n.name, ctx.in(n, 0),
                               {{"alpha", float_attr(n.f("alpha", 1.0))}}));
}

// celu(x) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1)); OpenVINO has no Celu layer.
void translate_celu(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  const ir::DType t = ctx.dtype(x);
  const double alpha = n.f("alpha", 1.0);
  OutRef a = ctx.scalar(t, alpha, n.name + "/alpha", true);
  OutRef zero = ctx.scalar(t, 0.0, n.name + "/zero", true);
  OutRef one = ctx.scalar(t, 1.0, n.name + "/one", true);
  OutRef e =
      ctx.unary("Exp", "opset1", n.name + "/exp", ctx.binary("Divide", n.name + "/scaled", x, a));
  OutRef neg = ctx.binary("Minimum", n.name + "/negative", zero,
                          ctx.binary("Multiply", n.name + "/times_alpha",
                                     ctx.binary("Subtract", n.name + "/expm1", e, one), a));
  OutRef pos = ctx.binary("Maximum", n.name + "/positive", x, zero);
  ctx.bind_output(n, ctx.binary("Add", n.name, pos, neg));
}

void translate_selu(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  OutRef alpha =
      ctx.scalar(ctx.dtype(x), n.f("alpha", 1.67326319217681884765625), n.name + "/alpha", true);
  OutRef lambda =
      ctx.scalar(ctx.dtype(x), n.f("gamma", 1.05070102214813232421875), n.name + "/lambda", true);
  ctx.bind_output(
      n, ctx.b.add1("Selu", "opset1", n.name, {x, alpha, lambda}, {}, ctx.dtype(x), ctx.dims(x)));
}

void translate_gelu(const ir::Node& n, Context& ctx) {
  std::string mode = n.s("approximate", "none") == "tanh" ? "tanh" : "erf";
  ctx.bind_output(
      n, ctx.unary("Gelu", "opset7", n.name, ctx.in(n, 0), {{"approximation_mode", mode}}));
}

void translate_softmax(const ir::Node& n, Context& ctx) {
  // ONNX opset 13+ semantics: one axis, default the last. Softmax-8 and LogSoftmax-5 take
  // negative axes.
  int64_t axis = n.i("axis", -1);
  if (n.op == "Softmax")
    ctx.bind_output(
        n, ctx.unary("Softmax", "opset8", n.name, ctx.in(n, 0), {{"axis", std::to_string(axis)}}));
  else
    ctx.bind_output(n, ctx.unary("LogSoftmax", "opset5", n.name, ctx.in(n, 0),
                                 {{"axis", std::to_string(axis)}}));
}

}  // namespace mlexport::emit::openvino
