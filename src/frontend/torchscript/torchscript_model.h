// A TorchScript archive loaded with LibTorch: the eager reference and the source of the IR.
// This header is torch-free so the rest of the project can use it without LibTorch headers.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "frontend/source_model.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace mlexport::frontend::torchscript {

using mlexport::ImportOptions;

class TorchScriptModel : public SourceModel {
 public:
  // Loads the archive in eval mode. Throws mlexport::Error (kBadInput) for anything that is not
  // a readable TorchScript archive.
  static std::unique_ptr<TorchScriptModel> load(const std::string& path);
  ~TorchScriptModel() override;

  // Runs the model eagerly (the reference). Tuples and lists in the result are flattened.
  std::vector<ir::Tensor> run(const std::vector<ir::Tensor>& inputs) override;

  // Freezes, inlines and translates the forward graph into the IR, recording every value's
  // dtype and shape at `example_inputs`. Throws UnsupportedOpsError listing every op without a
  // rule, or mlexport::Error for constructs that cannot be expressed.
  std::unique_ptr<ir::Graph> to_ir(const std::vector<ir::Tensor>& example_inputs,
                                   const ImportOptions& options) override;

  // What a run on `inputs` takes at each data-dependent If/Loop that to_ir found.
  ControlFlowCoverage control_flow_coverage(const std::vector<ir::Tensor>& inputs) override;

  // What the translated graph computes at `keys` (IR Value::reference) on `inputs`.
  std::map<std::string, ir::Tensor> reference_values(const std::vector<ir::Tensor>& inputs,
                                                     const std::vector<std::string>& keys) override;

  // Inputs given as (real, imag) pairs become complex tensors before the model sees them.
  void set_complex_inputs(const std::vector<bool>& complex) override;

  // Number of tensor inputs forward() takes (self excluded).
  size_t num_inputs() const override;
  // Extra files stored in the archive (e.g. mlexport's own metadata).
  const std::map<std::string, std::string>& extra_files() const;
  // Input shapes recorded in the archive's mlexport.json by an earlier export; empty otherwise.
  std::vector<std::vector<int64_t>> default_input_shapes() const override;

  // Parameters and buffers (read before the module is frozen); config names the module's class.
  std::optional<TorchState> torch_state() override;
  // Freezes the module (eval mode) and saves it with `extra_files`.
  bool save_torchscript(const std::string& path, const std::vector<ir::Tensor>& example_inputs,
                        const std::map<std::string, std::string>& extra_files) override;

  struct Impl;

 private:
  explicit TorchScriptModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "1.13.1": the LibTorch this build links.
std::string libtorch_version();

// Sets LibTorch's intra-op thread count (0 leaves the default).
void set_torch_threads(int threads);

}  // namespace mlexport::frontend::torchscript
