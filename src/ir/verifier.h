// Checks of an IR graph: every input defined before use, unique names, outputs set, and every
// node as its op registry entry defines it (operand counts, attribute names and kinds).
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"

namespace mlexport::ir {

// Returns the problems found; empty when the graph is well formed.
std::vector<std::string> verify_graph(const Graph& graph);

}  // namespace mlexport::ir
