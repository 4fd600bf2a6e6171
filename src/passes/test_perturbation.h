// Test-only: a deliberately wrong translation of one node, so that tests can check that
// localisation names exactly that node. The export runs it when the environment variable
// MLEXPORT_TEST_PERTURB names a node of the IR; nothing else ever calls it.
#pragma once

#include <string>

#include "ir/graph.h"

namespace mlexport::passes {

// Makes node `node_name` read its first floating-point data input plus 1.0 (an Add inserted in
// front of it, named "<node_name>_test_perturbation", that feeds only this node). Throws
// mlexport::Error (kBadInput) when there is no such node or it reads no float data.
void perturb_node_for_test(ir::Graph& graph, const std::string& node_name);

}  // namespace mlexport::passes
