#include <algorithm>

#include "passes/pass.h"

namespace mlexport::passes {

namespace {
bool is_noop(const ir::Node& n) {
  if (n.op == "Identity" || n.op == "Dropout") return n.inputs.size() >= 1 && n.outputs.size() >= 1;
  if (n.op == "Cast" && n.inputs[0])
    return n.i("to", -1) == static_cast<int64_t>(n.inputs[0]->dtype);
  return false;
}
bool is_graph_output(const ir::Graph& g, const ir::Value* v) {
  return std::find(g.outputs().begin(), g.outputs().end(), v) != g.outputs().end();
}
bool is_graph_input(const ir::Graph& g, const ir::Value* v) {
  return std::find(g.inputs().begin(), g.inputs().end(), v) != g.inputs().end();
}
}  // namespace

// Identity, Dropout (inference) and casts to the same type pass their input through.
bool remove_identities(ir::Graph& graph, const PassContext&) {
  std::vector<const ir::Node*> dead;
  for (const auto& node : graph.nodes()) {
    if (!is_noop(*node)) continue;
    ir::Value* in = node->inputs[0];
    ir::Value* out = node->outputs[0];
    if (!is_graph_output(graph, out)) {
      graph.replace_all_uses(out, in);
      dead.push_back(node.get());
    } else if (in->producer && !is_graph_output(graph, in) && !is_graph_input(graph, in)) {
      // Keep the output's name on the producer's value.
      graph.replace_all_uses(in, out);
      for (ir::Value*& v : in->producer->outputs)
        if (v == in) v = out;
      out->producer = in->producer;
      dead.push_back(node.get());
    }
  }
  return graph.remove_nodes_if([&](const ir::Node& n) {
    return std::find(dead.begin(), dead.end(), &n) != dead.end();
  }) > 0;
}

}  // namespace mlexport::passes
