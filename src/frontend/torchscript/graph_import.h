// Walks a frozen TorchScript graph once: runs each node on the recorded inputs and hands it to
// its translator, folding whatever depends only on constants.
#pragma once

#include <torch/script.h>

#include <memory>

#include "frontend/torchscript/torchscript_model.h"
#include "ir/graph.h"

namespace mlexport::torchscript {

std::unique_ptr<ir::Graph> import_graph(const std::shared_ptr<torch::jit::Graph>& graph,
                                        const std::vector<at::Tensor>& example_inputs,
                                        const ImportOptions& options);

}  // namespace mlexport::torchscript
