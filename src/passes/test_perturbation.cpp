#include "passes/test_perturbation.h"

#include "mlexport/diagnostics.h"
#include "passes/rewriter.h"

namespace mlexport::passes {

void perturb_node_for_test(ir::Graph& graph, const std::string& node_name) {
  ir::Node* target = nullptr;
  for (const auto& node : graph.nodes())
    if (node->name == node_name) target = node.get();
  if (!target) throw bad_input("MLEXPORT_TEST_PERTURB: the IR has no node named " + node_name);
  for (ir::Value*& in : target->inputs) {
    if (!in || in->is_constant() || !ir::is_floating(in->dtype)) continue;
    Rewriter rewriter(graph, target);
    ir::Value* shifted = rewriter.op("Add", {in, rewriter.scalar(1.0, in->dtype)});
    shifted->producer->name = graph.unique_name(node_name + "_test_perturbation");
    shifted->dtype = in->dtype;
    shifted->shape = in->shape;
    in = shifted;
    return;
  }
  throw bad_input("MLEXPORT_TEST_PERTURB: node " + node_name + " reads no floating-point data");
}

}  // namespace mlexport::passes
