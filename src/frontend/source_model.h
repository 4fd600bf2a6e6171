// A model the exporter reads: it runs eagerly (the validation reference) and becomes IR.
// Torch-free, so the core and the front ends can hold one without LibTorch headers.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "frontend/checkpoint/value.h"
#include "ir/graph.h"
#include "ir/tensor.h"
#include "mlexport/diagnostics.h"

namespace mlexport {

struct ImportOptions {
  bool dynamic_batch = false;  // dim 0 of every input/output becomes the symbol "batch_size"
  std::vector<std::string> input_names;
  std::vector<std::string> output_names;
};

// Which branches of each data-dependent If ran, and how many times each data-dependent Loop went
// round, keyed by source location, over one or more runs of the model.
struct ControlFlowCoverage {
  struct Branches {
    bool then_taken = false;
    bool else_taken = false;
  };
  std::map<std::string, Branches> ifs;
  std::map<std::string, std::set<int64_t>> loops;

  void note_if(const std::string& where, bool then) {
    (then ? ifs[where].then_taken : ifs[where].else_taken) = true;
  }
  void note_loop(const std::string& where, int64_t iterations) { loops[where].insert(iterations); }
  void merge(const ControlFlowCoverage& other);
  bool empty() const { return ifs.empty() && loops.empty(); }
  bool all_branches_taken() const;
  // Every If both ways, and every Loop at three iteration counts or more.
  bool well_covered() const;
  // "If at model.py:12 both branches; Loop at model.py:18 with 1, 3, 7 iterations"
  std::string summary() const;
};

// What the torch format saves: the state dict and the model's configuration.
struct TorchState {
  std::vector<std::pair<std::string, ir::Tensor>> tensors;  // in the model's state-dict order
  frontend::checkpoint::ValuePtr config;  // {"class_path": ..., "init_args": {...}}, or null
};

class SourceModel {
 public:
  virtual ~SourceModel() = default;
  // Runs the model eagerly; tuples and lists in the result are flattened.
  virtual std::vector<ir::Tensor> run(const std::vector<ir::Tensor>& inputs) = 0;
  // The model as IR, with every value's dtype and shape recorded at `example_inputs`. Throws
  // UnsupportedOpsError listing every op without a rule.
  virtual std::unique_ptr<ir::Graph> to_ir(const std::vector<ir::Tensor>& example_inputs,
                                           const ImportOptions& options) = 0;
  // Number of tensor inputs of forward().
  virtual size_t num_inputs() const = 0;
  // Default input shapes (with batch) when the source knows them; empty otherwise.
  virtual std::vector<std::vector<int64_t>> default_input_shapes() const { return {}; }
  // Element types of the inputs when the source knows them (ONNX files); empty: float32.
  virtual std::vector<ir::DType> default_input_dtypes() const { return {}; }

  // Marks the inputs the model takes as complex tensors: the IR and the inputs given to run()
  // and to_ir() hold them as (real, imag) pairs in a trailing dim of 2.
  virtual void set_complex_inputs(const std::vector<bool>& /*complex*/) {
    throw bad_input("complex inputs (complex64, complex128) are taken by TorchScript models only");
  }

  // Which data-dependent branches and loop counts a run on `inputs` takes; empty for a model
  // without data-dependent control flow (or before to_ir).
  virtual ControlFlowCoverage control_flow_coverage(const std::vector<ir::Tensor>& /*inputs*/) {
    return {};
  }

  // The values the model computes on `inputs` at `keys` (the Value::reference of its IR's
  // values), for localising where an export diverges; keys it cannot produce are left out, and
  // a source that cannot do it at all returns nothing.
  virtual std::map<std::string, ir::Tensor> reference_values(
      const std::vector<ir::Tensor>& /*inputs*/, const std::vector<std::string>& /*keys*/) {
    return {};
  }

  // Optional capabilities, for the formats that need more than the IR.
  // The weights and configuration (torch format); nullopt when the source has none.
  virtual std::optional<TorchState> torch_state() { return std::nullopt; }
  // Writes a frozen, eval-mode TorchScript archive holding `extra_files`; false when the source
  // cannot be saved as TorchScript. Throws mlexport::Error when writing fails.
  virtual bool save_torchscript(const std::string& /*path*/,
                                const std::vector<ir::Tensor>& /*example_inputs*/,
                                const std::map<std::string, std::string>& /*extra_files*/) {
    return false;
  }
};

}  // namespace mlexport
