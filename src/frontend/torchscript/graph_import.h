// Walks a frozen TorchScript graph once: runs each node on the recorded inputs and hands it to
// its translator, folding whatever depends only on constants.
#pragma once

#include <torch/script.h>

#include <memory>

#include "frontend/source.h"
#include "ir/control_flow_coverage.h"
#include "ir/graph.h"

namespace mlexport::frontend::torchscript {

// `control_flow`, when given, receives the data-dependent If/Loop sites and what the example
// inputs took at each.
std::unique_ptr<ir::Graph> import_graph(const std::shared_ptr<torch::jit::Graph>& graph,
                                        const std::vector<at::Tensor>& example_inputs,
                                        const ImportOptions& options,
                                        ir::ControlFlowCoverage* control_flow = nullptr);

// Runs the graph on `inputs` and reports what it took at each site of `sites` (from
// import_graph).
ir::ControlFlowCoverage run_control_flow(const std::shared_ptr<torch::jit::Graph>& graph,
                                         const std::vector<at::Tensor>& inputs,
                                         const ir::ControlFlowCoverage& sites);

}  // namespace mlexport::frontend::torchscript
