// Shape-only execution of the expensive ops during the recorded run.
//
// The importer needs real values only for static (constant-derived) values; for values that
// depend on the input it needs just dtype and shape. Convolutions and matrix products dominate
// the cost of a forward pass, so for them the output shape is computed without the arithmetic
// and a zero tensor of that shape stands in for the value.
#pragma once

#include <torch/script.h>

#include <optional>

namespace mlexport::frontend::torchscript {

// The node's outputs as zero tensors of the right shape and dtype, or nullopt when the node
// is not one of the shape-only ops (then it runs normally).
std::optional<std::vector<c10::IValue>> run_shape_only(const torch::jit::Node* node,
                                                       const torch::jit::Stack& inputs);

}  // namespace mlexport::frontend::torchscript
