#include "frontend/torchscript/torch_source.h"

#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/passes/lower_tuples.h>
#include <torch/csrc/jit/passes/remove_mutation.h>

#include "frontend/torchscript/graph_import.h"
#include "torchmodel/torch_model.h"

namespace mlexport::frontend::torchscript {
namespace {

class TorchSource : public Source {
 public:
  explicit TorchSource(std::shared_ptr<torchmodel::TorchModel> model) : model_(std::move(model)) {}

  std::unique_ptr<ir::Graph> to_ir(const std::vector<ir::Tensor>& example_inputs,
                                   const ImportOptions& options) override {
    torch::NoGradGuard no_grad;
    const std::vector<at::Tensor> inputs = model_->torch_inputs(example_inputs);
    auto graph = model_->forward_graph(inputs);
    torch::jit::Inline(*graph);
    torch::jit::RemoveTensorMutation(graph);
    // A trace has no tuples to lower and no data-dependent control flow.
    if (!model_->traced()) torch::jit::LowerSimpleTuples(graph);
    torch::jit::EliminateDeadCode(graph);

    ir::ControlFlowCoverage sites;
    auto ir = import_graph(graph, inputs, options, model_->traced() ? nullptr : &sites);
    model_->translation.graph = graph;
    model_->translation.control_flow = nullptr;
    if (!sites.empty())
      model_->translation.control_flow = [graph, sites](const std::vector<at::Tensor>& in) {
        return run_control_flow(graph, in, sites);
      };
    return ir;
  }

  size_t num_inputs() const override { return model_->num_inputs(); }
  std::vector<std::vector<int64_t>> default_input_shapes() const override {
    return model_->default_input_shapes();
  }
  void set_complex_inputs(const std::vector<bool>& complex) override {
    model_->set_complex_inputs(complex);
  }

 private:
  std::shared_ptr<torchmodel::TorchModel> model_;
};

}  // namespace

std::unique_ptr<Source> make_torch_source(std::shared_ptr<torchmodel::TorchModel> model) {
  return std::make_unique<TorchSource>(std::move(model));
}

}  // namespace mlexport::frontend::torchscript
