#include "ir/verifier.h"

#include <set>

namespace mlexport::ir {

std::vector<std::string> verify_graph(const Graph& graph) {
  std::vector<std::string> problems;
  std::set<const Value*> defined(graph.inputs().begin(), graph.inputs().end());
  std::set<std::string> names;
  auto define_name = [&](const Value* v) {
    if (!names.insert(v->name).second) problems.push_back("value name %" + v->name + " repeats");
  };
  for (const Value* v : graph.inputs()) define_name(v);
  std::set<const Value*> constants_seen;
  for (const auto& n : graph.nodes()) {
    for (const Value* v : n->inputs) {
      if (!v) continue;
      if (v->is_constant()) {
        if (constants_seen.insert(v).second) define_name(v);
        continue;
      }
      if (!defined.count(v))
        problems.push_back(n->name + " (" + n->op + ") uses %" + v->name + " before it is defined");
    }
    if (n->outputs.empty()) problems.push_back(n->name + " (" + n->op + ") has no outputs");
    for (const Value* v : n->outputs) {
      if (v->producer != n.get()) problems.push_back("%" + v->name + " has the wrong producer");
      if (!defined.insert(v).second) problems.push_back("%" + v->name + " is defined twice");
      define_name(v);
    }
  }
  if (graph.outputs().empty()) problems.push_back("graph has no outputs");
  for (const Value* v : graph.outputs())
    if (!v->is_constant() && !defined.count(v))
      problems.push_back("graph output %" + v->name + " is never defined");
  return problems;
}

}  // namespace mlexport::ir
