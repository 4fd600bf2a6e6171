// The reference an export is compared with: the original model run on the same inputs (LibTorch
// eager for PyTorch models, ONNX Runtime on the original file for ONNX inputs). Torch-free.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/control_flow_coverage.h"
#include "ir/tensor.h"

namespace mlexport::runtime {

class Reference {
 public:
  virtual ~Reference() = default;
  // Runs the model; tuples and lists in the result are flattened.
  virtual std::vector<ir::Tensor> run(const std::vector<ir::Tensor>& inputs) = 0;

  // Which data-dependent branches and loop counts a run on `inputs` takes; empty for a model
  // without data-dependent control flow (or before the model became IR).
  virtual ir::ControlFlowCoverage control_flow_coverage(const std::vector<ir::Tensor>& /*inputs*/) {
    return {};
  }

  // The values the model computes on `inputs` at `keys` (the Value::reference of its IR's
  // values), for localising where an export diverges; keys it cannot produce are left out, and
  // a reference that cannot do it at all returns nothing.
  virtual std::map<std::string, ir::Tensor> reference_values(
      const std::vector<ir::Tensor>& /*inputs*/, const std::vector<std::string>& /*keys*/) {
    return {};
  }

  // A run on `inputs` in which the values at `replaced`'s keys are replaced by the given tensors
  // (a top-k's choice taken from the export): its outputs, flattened as by run(), and its values
  // at `keys`. nullopt for a reference that cannot do it.
  struct Replay {
    std::vector<ir::Tensor> outputs;
    std::map<std::string, ir::Tensor> values;
  };
  virtual std::optional<Replay> replay(const std::vector<ir::Tensor>& /*inputs*/,
                                       const std::vector<std::string>& /*keys*/,
                                       const std::map<std::string, ir::Tensor>& /*replaced*/) {
    return std::nullopt;
  }
};

}  // namespace mlexport::runtime
