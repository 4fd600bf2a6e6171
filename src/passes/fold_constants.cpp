// Evaluates nodes whose inputs are all constants by the op registry's evaluators, and Shape of
// values whose dims are all known.
#include <algorithm>
#include <optional>

#include "ir/ops/op_def.h"
#include "passes/pass.h"

namespace mlexport::passes {
namespace {

using ir::Tensor;

std::optional<Tensor> evaluate(const ir::Node& n, const PassContext& context) {
  const std::string& op = n.op;
  if (op == "Shape") {
    const ir::Value* x = n.inputs[0];
    if (!x->shape || context.dynamic_batch) return std::nullopt;
    // Opset 15's start/end select a slice of the dims (negative counts from the end).
    const int64_t rank = static_cast<int64_t>(x->shape->size());
    auto clamp_axis = [rank](int64_t a) {
      if (a < 0) a += rank;
      return std::clamp<int64_t>(a, 0, rank);
    };
    const int64_t start = clamp_axis(n.i("start", 0));
    const int64_t end = clamp_axis(n.i("end", rank));
    std::vector<int64_t> dims;
    for (int64_t k = start; k < end; ++k) {
      const ir::Dim& d = (*x->shape)[static_cast<size_t>(k)];
      if (!d.is_fixed()) return std::nullopt;
      dims.push_back(d.size);
    }
    return Tensor::vector_int64(dims);
  }
  const ir::ops::OpDef* def = ir::ops::find(op);
  if (!def || !def->evaluate || n.outputs.size() != 1) return std::nullopt;
  std::vector<Tensor> inputs;
  for (const ir::Value* v : n.inputs) {
    if (!v || !v->is_constant()) return std::nullopt;
    inputs.push_back(*v->constant);
  }
  return def->evaluate(n, inputs);
}

}  // namespace

bool fold_constants(ir::Graph& graph, const PassContext& context) {
  bool changed = false;
  std::vector<const ir::Node*> folded;
  for (const auto& node : graph.nodes()) {
    auto result = evaluate(*node, context);
    if (!result) continue;
    ir::Value* out = node->outputs[0];
    ir::Value* c = graph.add_constant(std::move(*result), out->name + "_folded");
    const bool is_output =
        std::find(graph.outputs().begin(), graph.outputs().end(), out) != graph.outputs().end();
    if (is_output) continue;  // outputs keep a producing node
    graph.replace_all_uses(out, c);
    folded.push_back(node.get());
    changed = true;
  }
  graph.remove_nodes_if([&](const ir::Node& n) {
    return std::find(folded.begin(), folded.end(), &n) != folded.end();
  });
  return changed;
}

}  // namespace mlexport::passes
