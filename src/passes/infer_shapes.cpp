// Fills in dtype and shape of the values the translators left unknown, by the op registry's
// rules. Shapes the IR records are not changed here.
#include "ir/ops/infer.h"
#include "passes/pass.h"

namespace mlexport::passes {

bool infer_shapes(ir::Graph& graph, const PassContext&) {
  const ir::ops::ShapeMap shapes = ir::ops::infer_shapes(graph);
  bool changed = false;
  for (const auto& n : graph.nodes()) {
    for (size_t k = 0; k < n->outputs.size(); ++k) {
      ir::Value* out = n->outputs[k];
      if (out->shape) continue;
      auto it = shapes.find(out);
      if (it == shapes.end()) continue;
      out->shape = it->second;
      if (auto dtype = ir::ops::infer_type(*n, k)) out->dtype = *dtype;
      changed = true;
    }
  }
  return changed;
}

}  // namespace mlexport::passes
