// The values a TorchScript graph computes at chosen points, for localising where an export
// diverges: a copy of the graph returns a snapshot of each chosen value, run by LibTorch's
// interpreter on the same inputs as the reference run.
#pragma once

#include <torch/script.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/tensor.h"

namespace mlexport::runtime::libtorch {

// Tensors, tuples, lists and dicts of tensors in order (a model's outputs as the reference gives
// them); anything else is refused.
void flatten_tensors(const c10::IValue& value, std::vector<ir::Tensor>& out);

// `names` are debug names of values of `graph`'s own block (Value::reference in the IR); names
// that are not tensors of that block are left out. `self` is passed for a module's self input.
std::map<std::string, ir::Tensor> capture_values(const std::shared_ptr<torch::jit::Graph>& graph,
                                                 const c10::IValue& self,
                                                 const std::vector<at::Tensor>& inputs,
                                                 const std::vector<std::string>& names);

struct CapturedRun {
  std::vector<ir::Tensor> outputs;  // the graph's outputs, flattened (when asked for)
  std::map<std::string, ir::Tensor> values;
};

// capture_values with the values named in `replaced` replaced by the given tensors (every use of
// such a value reads the tensor), and with the graph's outputs when `with_outputs`.
CapturedRun run_replaced(const std::shared_ptr<torch::jit::Graph>& graph, const c10::IValue& self,
                         const std::vector<at::Tensor>& inputs,
                         const std::vector<std::string>& names,
                         const std::map<std::string, ir::Tensor>& replaced, bool with_outputs);

}  // namespace mlexport::runtime::libtorch
