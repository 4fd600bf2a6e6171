// Activation functions of torch.nn, softmax and log_softmax.
#include <cmath>

#include "frontend/torchscript/op/helpers.h"

namespace mlexport::frontend::torchscript {
namespace {

ir::Value* input_of(TranslateContext& ctx, const JitNode* node) {
  return ctx.tensor_as(node->input(0), ctx.dtype(node->output()));
}

// aten::relu(Tensor self)
void translate_relu(TranslateContext& ctx, const JitNode* node) {
  bind_output(ctx, node, ctx.op("Relu", {input_of(ctx, node)}));
}

// aten::relu6(Tensor self) ; aten::hardtanh(Tensor self, Scalar min_val=-1, Scalar max_val=1)
void translate_hardtanh(TranslateContext& ctx, const JitNode* node) {
  const bool relu6 = node->kind().toQualString() == std::string("aten::relu6") ||
                     node->kind().toQualString() == std::string("aten::relu6_");
  const double lo = relu6 ? 0.0 : ctx.const_double(node->input(1));
  const double hi = relu6 ? 6.0 : ctx.const_double(node->input(2));
  bind_output(ctx, node, ctx.op("Clip", {input_of(ctx, node)}, {{"min", lo}, {"max", hi}}));
}

// aten::leaky_relu(Tensor self, Scalar negative_slope=0.01)
void translate_leaky_relu(TranslateContext& ctx, const JitNode* node) {
  const double slope = node->inputs().size() > 1 ? ctx.const_double(node->input(1)) : 0.01;
  bind_output(ctx, node, ctx.op("LeakyRelu", {input_of(ctx, node)}, {{"alpha", slope}}));
}

// aten::elu(Tensor self, Scalar alpha=1, Scalar scale=1, Scalar input_scale=1)
void translate_elu(TranslateContext& ctx, const JitNode* node) {
  const double alpha = ctx.const_double(node->input(1));
  const double scale = ctx.const_double(node->input(2));
  const double input_scale = ctx.const_double(node->input(3));
  const ir::DType dt = ctx.dtype(node->output());
  ir::Value* x = input_of(ctx, node);
  if (input_scale != 1.0) x = ctx.op("Mul", {x, ctx.scalar(input_scale, dt)});
  ir::Value* y = ctx.op("Elu", {x}, {{"alpha", alpha}});
  if (scale != 1.0) y = ctx.op("Mul", {y, ctx.scalar(scale, dt)});
  bind_output(ctx, node, y);
}

// aten::selu(Tensor self)
void translate_selu(TranslateContext& ctx, const JitNode* node) {
  bind_output(ctx, node, ctx.op("Selu", {input_of(ctx, node)}));
}

// aten::celu(Tensor self, Scalar alpha=1.0)
void translate_celu(TranslateContext& ctx, const JitNode* node) {
  const double alpha = ctx.const_double(node->input(1));
  bind_output(ctx, node, ctx.op("Celu", {input_of(ctx, node)}, {{"alpha", alpha}}));
}

// aten::gelu(Tensor self, *, str approximate='none')
void translate_gelu(TranslateContext& ctx, const JitNode* node) {
  const ir::DType dt = ctx.dtype(node->output());
  std::string approximate = "none";
  if (node->inputs().size() > 1) approximate = ctx.const_string(node->input(1));
  ir::Value* x = input_of(ctx, node);
  ir::Value* half_x = ctx.op("Mul", {x, ctx.scalar(0.5, dt)});
  ir::Value* inner;
  if (approximate == "tanh") {
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    ir::Value* cube = ctx.op("Mul", {ctx.op("Mul", {x, x}), x});
    ir::Value* poly = ctx.op("Add", {x, ctx.op("Mul", {cube, ctx.scalar(0.044715, dt)})});
    inner = ctx.op("Tanh", {ctx.op("Mul", {poly, ctx.scalar(std::sqrt(2.0 / M_PI), dt)})});
  } else {
    // 0.5 x (1 + erf(x / sqrt(2)))
    inner = ctx.op("Erf", {ctx.op("Div", {x, ctx.scalar(std::sqrt(2.0), dt)})});
  }
  bind_output(ctx, node, ctx.op("Mul", {half_x, ctx.op("Add", {inner, ctx.scalar(1.0, dt)})}));
}

// aten::silu(Tensor self) = x * sigmoid(x)
void translate_silu(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = input_of(ctx, node);
  bind_output(ctx, node, ctx.op("Mul", {x, ctx.op("Sigmoid", {x})}));
}

// aten::mish(Tensor self) = x * tanh(softplus(x))
void translate_mish(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = input_of(ctx, node);
  bind_output(ctx, node, ctx.op("Mul", {x, ctx.op("Tanh", {ctx.op("Softplus", {x})})}));
}

// aten::hardswish(Tensor self)
void translate_hardswish(TranslateContext& ctx, const JitNode* node) {
  bind_output(ctx, node, ctx.op("HardSwish", {input_of(ctx, node)}));
}

// aten::hardsigmoid(Tensor self) = clip(x/6 + 1/2, 0, 1)
void translate_hardsigmoid(TranslateContext& ctx, const JitNode* node) {
  bind_output(ctx, node,
              ctx.op("HardSigmoid", {input_of(ctx, node)}, {{"alpha", 1.0 / 6.0}, {"beta", 0.5}}));
}

// aten::sigmoid(Tensor self) ; aten::tanh(Tensor self)
void translate_sigmoid(TranslateContext& ctx, const JitNode* node) {
  bind_output(ctx, node, ctx.op("Sigmoid", {input_of(ctx, node)}));
}
void translate_tanh(TranslateContext& ctx, const JitNode* node) {
  bind_output(ctx, node, ctx.op("Tanh", {input_of(ctx, node)}));
}

// aten::softplus(Tensor self, Scalar beta=1, Scalar threshold=20)
// = x where beta*x > threshold, else log(1 + exp(beta*x)) / beta
void translate_softplus(TranslateContext& ctx, const JitNode* node) {
  const ir::DType dt = ctx.dtype(node->output());
  const double beta = ctx.const_double(node->input(1));
  const double threshold = ctx.const_double(node->input(2));
  ir::Value* x = input_of(ctx, node);
  ir::Value* bx = beta == 1.0 ? x : ctx.op("Mul", {x, ctx.scalar(beta, dt)});
  ir::Value* soft = ctx.op("Softplus", {bx});
  if (beta != 1.0) soft = ctx.op("Div", {soft, ctx.scalar(beta, dt)});
  ir::Value* linear = ctx.op("Greater", {bx, ctx.scalar(threshold, dt)});
  bind_output(ctx, node, ctx.op("Where", {linear, x, soft}));
}

// aten::prelu(Tensor self, Tensor weight): weight [C] applies along dim 1.
void translate_prelu(TranslateContext& ctx, const JitNode* node) {
  const int64_t rank = ctx.rank(node->input(0));
  ir::Value* slope = ctx.tensor_as(node->input(1), ctx.dtype(node->output()));
  const int64_t channels = ctx.sizes(node->input(1)).empty() ? 1 : ctx.sizes(node->input(1))[0];
  if (channels > 1 && rank > 2) {
    std::vector<int64_t> shape(static_cast<size_t>(rank - 1), 1);
    shape[0] = channels;
    slope = ctx.op("Reshape", {slope, ctx.int64_vector(shape)});
  }
  bind_output(ctx, node, ctx.op("PRelu", {input_of(ctx, node), slope}));
}

// aten::clamp(Tensor self, Scalar? min, Scalar? max) ; clamp.Tensor(Tensor self, Tensor? min,
// Tensor? max) ; aten::clamp_min(Tensor self, Scalar min) ; aten::clamp_max(Tensor self, Scalar
// max)
void translate_clamp(TranslateContext& ctx, const JitNode* node) {
  const std::string kind = node->kind().toQualString();
  const ir::DType dt = ctx.dtype(node->output());
  const JitValue* lo = nullptr;
  const JitValue* hi = nullptr;
  if (kind.rfind("aten::clamp_min", 0) == 0) {
    lo = node->input(1);
  } else if (kind.rfind("aten::clamp_max", 0) == 0) {
    hi = node->input(1);
  } else {
    lo = node->input(1);
    hi = node->input(2);
  }
  if (lo && ctx.is_none(lo)) lo = nullptr;
  if (hi && ctx.is_none(hi)) hi = nullptr;
  ir::Value* x = input_of(ctx, node);
  const bool scalar_bounds = (!lo || (ctx.is_static(lo) && !ctx.recorded(lo).isTensor())) &&
                             (!hi || (ctx.is_static(hi) && !ctx.recorded(hi).isTensor()));
  if (scalar_bounds && ir::is_floating(dt)) {
    std::map<std::string, ir::Attribute> attrs;
    if (lo) attrs["min"] = ctx.const_double(lo);
    if (hi) attrs["max"] = ctx.const_double(hi);
    return bind_output(ctx, node, ctx.op("Clip", {x}, attrs));
  }
  if (lo) x = ctx.op("Max", {x, ctx.tensor_as(lo, dt)});
  if (hi) x = ctx.op("Min", {x, ctx.tensor_as(hi, dt)});
  bind_output(ctx, node, x);
}

// aten::log_sigmoid(Tensor self) = min(x, 0) - log(1 + exp(-|x|)), which stays finite for
// large |x| (the -softplus(-x) form overflows exp).
void translate_log_sigmoid(TranslateContext& ctx, const JitNode* node) {
  const ir::DType dt = ctx.dtype(node->output());
  ir::Value* x = input_of(ctx, node);
  ir::Value* negative_part = ctx.op("Min", {x, ctx.scalar(0.0, dt)});
  ir::Value* e = ctx.op("Exp", {ctx.op("Neg", {ctx.op("Abs", {x})})});
  ir::Value* log1p = ctx.op("Log", {ctx.op("Add", {e, ctx.scalar(1.0, dt)})});
  bind_output(ctx, node, ctx.op("Sub", {negative_part, log1p}));
}

// aten::threshold(Tensor self, Scalar threshold, Scalar value) = x > threshold ? x : value
void translate_threshold(TranslateContext& ctx, const JitNode* node) {
  const ir::DType dt = ctx.dtype(node->output());
  ir::Value* x = input_of(ctx, node);
  ir::Value* keep = ctx.op("Greater", {x, ctx.tensor_as(node->input(1), dt)});
  bind_output(ctx, node, ctx.op("Where", {keep, x, ctx.tensor_as(node->input(2), dt)}));
}

// aten::softmax(Tensor self, int dim, ScalarType? dtype) ; aten::log_softmax(...)
void translate_softmax(TranslateContext& ctx, const JitNode* node) {
  const std::string kind = node->kind().toQualString();
  const int64_t axis = ctx.dim_arg(node->input(1), ctx.rank(node->input(0)));
  const char* op = kind == "aten::log_softmax" ? "LogSoftmax" : "Softmax";
  bind_output(ctx, node, ctx.op(op, {input_of(ctx, node)}, {{"axis", axis}}));
}

}  // namespace

std::vector<OpRule> activation_rules() {
  std::vector<OpRule> rows;
  add_with_inplace(rows, "aten::relu", "aten::relu_", translate_relu, "Relu");
  add_with_inplace(rows, "aten::relu6", "aten::relu6_", translate_hardtanh, "Clip(0, 6)");
  add_with_inplace(rows, "aten::hardtanh", "aten::hardtanh_", translate_hardtanh, "Clip");
  add_with_inplace(rows, "aten::leaky_relu", "aten::leaky_relu_", translate_leaky_relu,
                   "LeakyRelu");
  add_with_inplace(rows, "aten::elu", "aten::elu_", translate_elu, "Elu (Mul for scales)");
  add_with_inplace(rows, "aten::selu", "aten::selu_", translate_selu, "Selu");
  add_with_inplace(rows, "aten::celu", "aten::celu_", translate_celu, "Celu");
  add_with_inplace(rows, "aten::gelu", "aten::gelu_", translate_gelu,
                   "Mul/Erf/Add (tanh form: Mul/Tanh/Add)");
  add_with_inplace(rows, "aten::silu", "aten::silu_", translate_silu, "Mul(x, Sigmoid)");
  add_with_inplace(rows, "aten::mish", "aten::mish_", translate_mish, "Mul(x, Tanh(Softplus))");
  add_with_inplace(rows, "aten::hardswish", "aten::hardswish_", translate_hardswish, "HardSwish");
  add_with_inplace(rows, "aten::hardsigmoid", "aten::hardsigmoid_", translate_hardsigmoid,
                   "HardSigmoid");
  add_with_inplace(rows, "aten::sigmoid", "aten::sigmoid_", translate_sigmoid, "Sigmoid");
  add_with_inplace(rows, "aten::tanh", "aten::tanh_", translate_tanh, "Tanh");
  add_with_inplace(rows, "aten::softplus", nullptr, translate_softplus, "Softplus (Where)");
  add_with_inplace(rows, "aten::prelu", nullptr, translate_prelu, "PRelu");
  add_with_inplace(rows, "aten::clamp", "aten::clamp_", translate_clamp, "Clip (Max/Min)");
  add_with_inplace(rows, "aten::clamp_min", "aten::clamp_min_", translate_clamp, "Clip / Max");
  add_with_inplace(rows, "aten::clamp_max", "aten::clamp_max_", translate_clamp, "Clip / Min");
  add_with_inplace(rows, "aten::clip", "aten::clip_", translate_clamp, "Clip");
  rows.push_back({"aten::log_sigmoid", translate_log_sigmoid, "Min/Sub/Log/Exp/Abs"});
  add_with_inplace(rows, "aten::threshold", "aten::threshold_", translate_threshold,
                   "Where(Greater)");
  rows.push_back({"aten::softmax", translate_softmax, "Softmax"});
  rows.push_back({"aten::log_softmax", translate_softmax, "LogSoftmax"});
  return rows;
}

}  // namespace mlexport::frontend::torchscript
