// A PyTorch model held in LibTorch: a loaded TorchScript archive or a C++ forward function
// (internal; LibTorch). It is loaded once and shared by the parts that each do one thing with
// it: the TorchScript frontend translates its forward graph into IR, the LibTorch reference
// (runtime/libtorch) runs it, and the TorchScript and torch writers take their artifacts from
// the capabilities it implements (emit/torchscript, emit/torch).
#pragma once

#include <torch/script.h>

#include <functional>
#include <memory>
#include <vector>

#include "emit/torch/torch_state_source.h"
#include "emit/torchscript/script_module_source.h"
#include "ir/control_flow_coverage.h"
#include "ir/tensor.h"

namespace mlexport::torchmodel {

class TorchModel : public emit::torchscript::ScriptModuleSource, public emit::TorchStateSource {
 public:
  // Number of tensor inputs forward() takes (self excluded).
  virtual size_t num_inputs() const = 0;
  // Input shapes (with batch) the model records; empty when it has none.
  virtual std::vector<std::vector<int64_t>> default_input_shapes() const { return {}; }
  // A C++ function traced at the example inputs, rather than a scripted archive's own graph.
  virtual bool traced() const = 0;

  // Inputs given as (real, imag) pairs become complex tensors before the model sees them. Only
  // a TorchScript archive takes complex inputs; the others refuse.
  virtual void set_complex_inputs(const std::vector<bool>& complex);
  // `inputs` as forward() takes them.
  std::vector<at::Tensor> torch_inputs(const std::vector<ir::Tensor>& inputs) const;

  // One eager run (the caller holds the no-grad guard); throws what the model throws.
  virtual c10::IValue forward(const std::vector<at::Tensor>& inputs) = 0;
  // A copy of forward's graph for the caller to rewrite: an archive's own (frozen in place
  // first), or a trace at `inputs`.
  virtual std::shared_ptr<torch::jit::Graph> forward_graph(
      const std::vector<at::Tensor>& inputs) = 0;
  // The value of the graph's `self` input: an archive's module object; none for a trace.
  virtual c10::IValue self() const { return c10::IValue(); }

  // What the frontend translated, kept so that the reference runs that same graph.
  struct Translation {
    std::shared_ptr<torch::jit::Graph> graph;
    // Which data-dependent sites a run on the inputs takes. Set by the frontend for a graph with
    // such sites: only its walker names them as the IR does. Empty: none.
    std::function<ir::ControlFlowCoverage(const std::vector<at::Tensor>&)> control_flow;
  };
  Translation translation;

 protected:
  std::vector<bool> complex_inputs_;  // given as (real, imag) pairs
};

}  // namespace mlexport::torchmodel
