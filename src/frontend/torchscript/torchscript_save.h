// Writing TorchScript archives: modules made from a trace, and atomic saves (internal; LibTorch).
#pragma once

#include <torch/script.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ir/tensor.h"

namespace mlexport::frontend::torchscript {

// A module whose forward is `graph` (a tracer graph: tensors in, tensors out, weights baked in as
// constants), in eval mode, as torch.jit.trace followed by torch.jit.freeze would give.
torch::jit::Module module_from_graph(std::shared_ptr<torch::jit::Graph> graph);

// Saves to a temporary file beside `path`, then renames it into place: a failed save leaves
// nothing behind. Throws mlexport::Error.
void save_module_atomically(const torch::jit::Module& module, const std::string& path,
                            const std::map<std::string, std::string>& extra_files);

// The module's parameters and buffers in nn.Module.state_dict() order (own parameters, own
// buffers, then each child), before freezing turns them into constants.
std::vector<std::pair<std::string, ir::Tensor>> module_state(const torch::jit::Module& module);

}  // namespace mlexport::frontend::torchscript
