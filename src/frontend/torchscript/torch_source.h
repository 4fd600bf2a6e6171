// A PyTorch model (a TorchScript archive, or a C++ function traced at the example inputs) as a
// Source: its forward graph translated into IR (torch-free header).
#pragma once

#include <memory>

#include "frontend/source.h"
#include "torchmodel/torch_model_handle.h"

namespace mlexport::frontend::torchscript {

// Shares `model` with its reference and writers. to_ir freezes an archive's module in place,
// inlines, and translates; it leaves the translated graph in the model for the reference (see
// TorchModel::Translation). Throws UnsupportedOpsError listing every op without a rule, or
// mlexport::Error for constructs that cannot be expressed.
std::unique_ptr<Source> make_torch_source(std::shared_ptr<torchmodel::TorchModel> model);

}  // namespace mlexport::frontend::torchscript
