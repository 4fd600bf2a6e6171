#include <set>

#include "passes/pass.h"

namespace mlexport::passes {

// Walks backwards from the outputs; a node none of whose outputs is live goes.
bool eliminate_dead_code(ir::Graph& graph, const PassContext&) {
  std::set<const ir::Value*> live(graph.outputs().begin(), graph.outputs().end());
  std::set<const ir::Node*> keep;
  const auto& nodes = graph.nodes();
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    const ir::Node& n = **it;
    bool used = false;
    for (const ir::Value* v : n.outputs) used = used || live.count(v);
    if (!used) continue;
    keep.insert(&n);
    for (const ir::Value* v : n.inputs)
      if (v) live.insert(v);
  }
  return graph.remove_nodes_if([&](const ir::Node& n) { return !keep.count(&n); }) > 0;
}

}  // namespace mlexport::passes
