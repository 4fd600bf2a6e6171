// The TorchScript format's capability: a model that can give a module to save (internal;
// LibTorch). The writer (torchscript_writer.h) asks for it with emit::find_capability.
#pragma once

#include <torch/script.h>

#include <memory>
#include <vector>

#include "emit/artifact_source.h"
#include "ir/tensor.h"

namespace mlexport::emit::torchscript {

class ScriptModuleSource : public virtual ArtifactSource {
 public:
  // A frozen, eval-mode module; `example_inputs` for a model that is traced to get one.
  virtual ::torch::jit::Module script_module(const std::vector<ir::Tensor>& example_inputs) = 0;
};

// A module whose forward is `graph` (a tracer graph: tensors in, tensors out, weights baked in as
// constants), in eval mode, as torch.jit.trace followed by torch.jit.freeze would give.
::torch::jit::Module module_from_graph(std::shared_ptr<::torch::jit::Graph> graph);

}  // namespace mlexport::emit::torchscript
