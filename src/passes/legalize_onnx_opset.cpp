// Rewrites ops that the requested ONNX opset does not have into ones it does: the one place
// where IR ops are lowered for older opsets (the emitter writes what it gets or refuses it).
#include <algorithm>
#include <map>
#include <numeric>
#include <string_view>

#include "ir/ops/op_def.h"
#include "passes/rewriter.h"

namespace mlexport::passes {

void replace_node_output(ir::Graph& graph, ir::Node* node, ir::Value* replacement) {
  ir::Value* out = node->outputs[0];
  const bool is_output =
      std::find(graph.outputs().begin(), graph.outputs().end(), out) != graph.outputs().end();
  replacement->dtype = out->dtype;
  replacement->shape = out->shape;
  // The replacement now computes the output (a folded batch norm's convolution): it is compared
  // with the output's reference value from here on.
  if (!out->reference.empty()) replacement->reference = out->reference;
  graph.replace_all_uses(out, replacement);
  if (is_output) replacement->name = out->name;
  graph.remove_nodes_if([&](const ir::Node& n) { return &n == node; });
}

namespace {

int64_t rank_of(const ir::Value* v) {
  return v->shape ? static_cast<int64_t>(v->shape->size()) : -1;
}

ir::Value* lower_layer_norm(Rewriter& r, ir::Node* n) {
  ir::Value* x = n->inputs[0];
  const int64_t rank = rank_of(x);
  int64_t axis = n->i("axis", -1);
  if (axis < 0) axis += rank;
  std::vector<int64_t> axes(static_cast<size_t>(rank - axis));
  std::iota(axes.begin(), axes.end(), axis);
  const double eps = n->f("epsilon", 1e-5);
  std::map<std::string, ir::Attribute> reduce = {{"axes", axes}, {"keepdims", int64_t{1}}};
  ir::Value* mean = r.op("ReduceMean", {x}, reduce);
  ir::Value* centered = r.op("Sub", {x, mean});
  ir::Value* var = r.op("ReduceMean", {r.op("Mul", {centered, centered})}, reduce);
  ir::Value* denom = r.op("Sqrt", {r.op("Add", {var, r.scalar(eps, x->dtype)})});
  ir::Value* y = r.op("Div", {centered, denom});
  if (n->input(1)) y = r.op("Mul", {y, n->inputs[1]});
  if (n->input(2)) y = r.op("Add", {y, n->inputs[2]});
  return y;
}

ir::Value* lower_softmax_axis(Rewriter& r, ir::Node* n) {
  ir::Value* x = n->inputs[0];
  const int64_t rank = rank_of(x);
  int64_t axis = n->i("axis", -1);
  if (axis < 0) axis += rank;
  std::vector<int64_t> perm(static_cast<size_t>(rank));
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[static_cast<size_t>(axis)], perm.back());
  ir::Value* t = r.op("Transpose", {x}, {{"perm", perm}});
  ir::Value* s = r.op(n->op, {t}, {{"axis", rank - 1}});
  return r.op("Transpose", {s}, {{"perm", perm}});
}

ir::Value* lower_celu(Rewriter& r, ir::Node* n) {
  // celu(x) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
  ir::Value* x = n->inputs[0];
  const double alpha = n->f("alpha", 1.0);
  const ir::DType dt = x->dtype;
  ir::Value* expm1 =
      r.op("Sub", {r.op("Exp", {r.op("Div", {x, r.scalar(alpha, dt)})}), r.scalar(1.0, dt)});
  ir::Value* neg = r.op("Min", {r.scalar(0.0, dt), r.op("Mul", {expm1, r.scalar(alpha, dt)})});
  return r.op("Add", {r.op("Relu", {x}), neg});
}

ir::Value* lower_hard_swish(Rewriter& r, ir::Node* n) {
  ir::Value* x = n->inputs[0];
  return r.op("Mul", {x, r.op("HardSigmoid", {x}, {{"alpha", 1.0 / 6.0}, {"beta", 0.5}})});
}

ir::Value* lower_or_equal(Rewriter& r, ir::Node* n) {
  const char* strict = n->op == "LessOrEqual" ? "Greater" : "Less";
  return r.op("Not", {r.op(strict, {n->inputs[0], n->inputs[1]})});
}

// Ops older opsets lack, each with its rewrite; the registry says from which opset ONNX has them.
using Lowering = ir::Value* (*)(Rewriter&, ir::Node*);
const std::map<std::string_view, Lowering>& lowerings() {
  static const std::map<std::string_view, Lowering> table = {
      {"BitwiseAnd", lower_integer_bitwise},    {"BitwiseOr", lower_integer_bitwise},
      {"BitwiseXor", lower_integer_bitwise},    {"Celu", lower_celu},
      {"GreaterOrEqual", lower_or_equal},       {"HardSwish", lower_hard_swish},
      {"LayerNormalization", lower_layer_norm}, {"LessOrEqual", lower_or_equal},
  };
  return table;
}

// Softmax-family ops before 13 flatten to 2-D at `axis`: the same as 13 for the last axis only.
bool needs_axis_moved_last(const ir::Node& n, int opset) {
  if ((n.op != "Softmax" && n.op != "LogSoftmax" && n.op != "Hardmax") || opset >= 13) return false;
  const int64_t rank = rank_of(n.inputs[0]);
  int64_t axis = n.i("axis", -1);
  if (axis < 0) axis += rank;
  return rank > 0 && axis != rank - 1;
}

}  // namespace

bool legalize_openvino(ir::Graph& graph, const PassContext& /*context*/) {
  // Ops written for OpenVINO IR in other terms, each with its rewrite. OpenVINO has
  // BitwiseAnd/Or/Xor-13, but the IR's read-back validation needs ONNX opset 18 for them.
  static const std::map<std::string_view, Lowering> table = {
      {"BitwiseAnd", lower_integer_bitwise},
      {"BitwiseOr", lower_integer_bitwise},
      {"BitwiseXor", lower_integer_bitwise},
  };
  bool changed = false;
  std::vector<ir::Node*> todo;
  for (const auto& n : graph.nodes())
    if (table.count(n->op)) todo.push_back(n.get());
  for (ir::Node* n : todo) {
    Rewriter r(graph, n);
    if (ir::Value* replacement = table.at(n->op)(r, n)) {
      replace_node_output(graph, n, replacement);
      changed = true;
    }
  }
  return changed;
}

bool legalize_onnx_opset(ir::Graph& graph, const PassContext& context) {
  const int opset = context.opset_version;
  bool changed = false;
  std::vector<ir::Node*> todo;
  for (const auto& n : graph.nodes()) todo.push_back(n.get());
  for (ir::Node* n : todo) {
    Rewriter r(graph, n);
    ir::Value* replacement = nullptr;
    const ir::ops::OpDef* def = ir::ops::find(n->op);
    auto lower = lowerings().find(n->op);
    if (def && opset < def->onnx_since && lower != lowerings().end()) {
      // LayerNormalization's rewrite reduces over the axes from `axis` on: it needs the rank.
      if (n->op != "LayerNormalization" || rank_of(n->inputs[0]) > 0)
        replacement = lower->second(r, n);
    } else if (needs_axis_moved_last(*n, opset)) {
      replacement = lower_softmax_axis(r, n);
    }
    if (replacement) {
      replace_node_output(graph, n, replacement);
      changed = true;
    }
  }
  return changed;
}

}  // namespace mlexport::passes
