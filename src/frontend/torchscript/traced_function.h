// A C++ function of tensors (a LibTorch frontend module's forward) as a SourceModel: traced with
// LibTorch's tracer and converted by the same importer as TorchScript files.
#pragma once

#include <torch/script.h>

#include <functional>
#include <memory>

#include "frontend/source_model.h"

namespace mlexport::frontend::torchscript {

using TensorFunction = std::function<std::vector<at::Tensor>(const std::vector<at::Tensor>&)>;

using StateFunction = std::function<std::optional<TorchState>()>;

// `keep_alive` holds whatever the function needs (the module). Parameters must not require
// grad: the tracer refuses them. `state` gives the weights and configuration for the torch
// format (none when empty). The TorchScript format saves the trace, weights as constants.
std::unique_ptr<SourceModel> make_traced_source(TensorFunction forward, size_t num_inputs,
                                                std::shared_ptr<void> keep_alive,
                                                std::vector<std::vector<int64_t>> default_shapes,
                                                StateFunction state = {});

}  // namespace mlexport::frontend::torchscript
