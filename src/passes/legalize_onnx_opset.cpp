// Rewrites ops that the requested ONNX opset does not have into ones it does.
#include <algorithm>
#include <numeric>

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

}  // namespace

bool legalize_onnx_opset(ir::Graph& graph, const PassContext& context) {
  const int opset = context.opset_version;
  bool changed = false;
  std::vector<ir::Node*> todo;
  for (const auto& n : graph.nodes()) todo.push_back(n.get());
  for (ir::Node* n : todo) {
    Rewriter r(graph, n);
    ir::Value* replacement = nullptr;
    if (n->op == "LayerNormalization" && opset < 17 && rank_of(n->inputs[0]) > 0) {
      replacement = lower_layer_norm(r, n);
    } else if (n->op == "HardSwish" && opset < 14) {
      ir::Value* x = n->inputs[0];
      replacement =
          r.op("Mul", {x, r.op("HardSigmoid", {x}, {{"alpha", 1.0 / 6.0}, {"beta", 0.5}})});
    } else if ((n->op == "LessOrEqual" || n->op == "GreaterOrEqual") && opset < 12) {
      replacement = r.op(
          "Not", {r.op(n->op == "LessOrEqual" ? "Greater" : "Less", {n->inputs[0], n->inputs[1]})});
    } else if (n->op == "Celu" && opset < 12) {
      replacement = lower_celu(r, n);
    } else if ((n->op == "Softmax" || n->op == "LogSoftmax") && opset < 13) {
      const int64_t rank = rank_of(n->inputs[0]);
      int64_t axis = n->i("axis", -1);
      if (axis < 0) axis += rank;
      if (rank > 0 && axis != rank - 1) replacement = lower_softmax_axis(r, n);
    }
    if (replacement) {
      replace_node_output(graph, n, replacement);
      changed = true;
    }
  }
  return changed;
}

}  // namespace mlexport::passes
