// A C++ function of tensors (a LibTorch frontend module's forward) as a TorchModel: traced with
// LibTorch's tracer whenever a graph is wanted (internal; LibTorch).
#pragma once

#include <torch/script.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mlexport/config_value.h"
#include "torchmodel/torch_model.h"

namespace mlexport::torchmodel {

using TensorFunction = std::function<std::vector<at::Tensor>(const std::vector<at::Tensor>&)>;

// What the torch format saves of a traced model: its named parameters and buffers, read when
// asked, and its configuration.
struct TracedState {
  std::function<std::vector<std::pair<std::string, at::Tensor>>()> tensors;
  ConfigValue config;
};

// `keep_alive` holds whatever the function needs (the module). Parameters must not require
// grad: the tracer refuses them. Without `state` the torch format has nothing to save. The
// TorchScript format saves the trace, weights as constants.
std::shared_ptr<TorchModel> make_traced_model(TensorFunction forward, size_t num_inputs,
                                              std::shared_ptr<void> keep_alive,
                                              std::vector<std::vector<int64_t>> default_shapes,
                                              std::optional<TracedState> state = std::nullopt);

}  // namespace mlexport::torchmodel
