#include "ir/verifier.h"

#include <set>

#include "ir/ops/op_def.h"

namespace mlexport::ir {

namespace {

// A subgraph is closed (verified as a graph of its own), and its inputs and outputs line up with
// its node's: If(cond, captures...) and Loop(M, cond, carried..., captures...).
void verify_control_flow(const Node& n, std::vector<std::string>& problems) {
  const int64_t captures = n.i("captures", -1);
  const std::string where = n.name + " (" + n.op + ")";
  auto fail = [&](const std::string& what) { problems.push_back(where + " " + what); };
  if (captures < 0 || static_cast<size_t>(captures) > n.inputs.size())
    return fail("has no valid captures count");
  for (const Graph* g : n.subgraphs())
    for (const std::string& p : verify_graph(*g)) fail("subgraph: " + p);
  const size_t c = static_cast<size_t>(captures);
  if (n.op == "If") {
    const Graph* branches[] = {n.subgraph("then_branch"), n.subgraph("else_branch")};
    for (const Graph* b : branches) {
      if (!b) return fail("lacks a branch");
      if (n.inputs.size() != 1 + c || b->inputs().size() != c)
        fail("branch inputs do not match its captures");
      if (b->outputs().size() != n.outputs.size()) fail("branch outputs do not match the node's");
    }
  } else if (n.op == "Loop") {
    const Graph* body = n.subgraph("body");
    if (!body) return fail("lacks a body");
    if (n.inputs.size() < 2 + c) return fail("has too few inputs");
    const size_t carried = n.inputs.size() - 2 - c;
    if (body->inputs().size() != 2 + carried + c) fail("body inputs do not match");
    if (body->outputs().size() < 1 + carried || n.outputs.size() != body->outputs().size() - 1)
      fail("body outputs do not match the node's");
  } else {
    fail("has a subgraph but is not If or Loop");
  }
}

}  // namespace

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
    for (std::string& p : ops::check_node(*n)) problems.push_back(std::move(p));
    for (const Value* v : n->outputs) {
      if (v->producer != n.get()) problems.push_back("%" + v->name + " has the wrong producer");
      if (!defined.insert(v).second) problems.push_back("%" + v->name + " is defined twice");
      define_name(v);
    }
  }
  for (const auto& n : graph.nodes())
    if (!n->subgraphs().empty()) verify_control_flow(*n, problems);
  if (graph.outputs().empty()) problems.push_back("graph has no outputs");
  for (const Value* v : graph.outputs())
    if (!v->is_constant() && !defined.count(v))
      problems.push_back("graph output %" + v->name + " is never defined");
  return problems;
}

}  // namespace mlexport::ir
