#include "frontend/torchscript/traced_function.h"

#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/passes/remove_mutation.h>

#include "frontend/torchscript/graph_import.h"
#include "frontend/torchscript/reference_values.h"
#include "frontend/torchscript/tensor_convert.h"
#include "frontend/torchscript/torchscript_save.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {
namespace {

class TracedSource : public SourceModel {
 public:
  TracedSource(TensorFunction forward, size_t num_inputs, std::shared_ptr<void> keep_alive,
               std::vector<std::vector<int64_t>> shapes, StateFunction state)
      : forward_(std::move(forward)),
        num_inputs_(num_inputs),
        keep_alive_(std::move(keep_alive)),
        shapes_(std::move(shapes)),
        state_(std::move(state)) {}

  std::vector<ir::Tensor> run(const std::vector<ir::Tensor>& inputs) override {
    torch::NoGradGuard no_grad;
    std::vector<at::Tensor> args;
    for (const auto& t : inputs) args.push_back(to_torch_tensor(t));
    std::vector<at::Tensor> outputs;
    try {
      outputs = forward_(args);
    } catch (const std::exception& e) {
      throw bad_input("the model failed on the example inputs: " + first_line(e.what()));
    }
    std::vector<ir::Tensor> out;
    for (const auto& t : outputs) out.push_back(to_ir_tensor(t));
    return out;
  }

  std::unique_ptr<ir::Graph> to_ir(const std::vector<ir::Tensor>& example_inputs,
                                   const ImportOptions& options) override {
    std::vector<at::Tensor> inputs;
    auto graph = trace(example_inputs, inputs);
    torch::jit::Inline(*graph);
    torch::jit::RemoveTensorMutation(graph);
    torch::jit::EliminateDeadCode(graph);
    auto ir = import_graph(graph, inputs, options);
    graph_ = graph;
    return ir;
  }

  std::map<std::string, ir::Tensor> reference_values(
      const std::vector<ir::Tensor>& inputs, const std::vector<std::string>& keys) override {
    if (!graph_) return {};
    std::vector<at::Tensor> args;
    for (const auto& t : inputs) args.push_back(to_torch_tensor(t));
    return capture_values(graph_, c10::IValue(), args, keys);
  }

  size_t num_inputs() const override { return num_inputs_; }
  std::vector<std::vector<int64_t>> default_input_shapes() const override { return shapes_; }

  std::optional<TorchState> torch_state() override { return state_ ? state_() : std::nullopt; }

  bool save_torchscript(const std::string& path, const std::vector<ir::Tensor>& example_inputs,
                        const std::map<std::string, std::string>& extra_files) override {
    std::vector<at::Tensor> inputs;
    auto graph = trace(example_inputs, inputs);
    torch::jit::Inline(*graph);
    save_module_atomically(module_from_graph(graph), path, extra_files);
    return true;
  }

 private:
  std::shared_ptr<torch::jit::Graph> trace(const std::vector<ir::Tensor>& example_inputs,
                                           std::vector<at::Tensor>& inputs) {
    torch::NoGradGuard no_grad;
    torch::jit::Stack stack;
    for (const auto& t : example_inputs) {
      inputs.push_back(to_torch_tensor(t));
      stack.emplace_back(inputs.back());
    }
    std::shared_ptr<torch::jit::Graph> graph;
    try {
      auto traced = torch::jit::tracer::trace(
          stack,
          [&](torch::jit::Stack in) {
            std::vector<at::Tensor> args;
            for (const auto& v : in) args.push_back(v.toTensor());
            torch::jit::Stack out;
            for (auto& t : forward_(args)) out.emplace_back(t);
            return out;
          },
          [](const torch::autograd::Variable&) { return std::string(); }, /*strict=*/false,
          /*force_outplace=*/false);
      graph = traced.first->graph;
    } catch (const std::exception& e) {
      // A forward that fails without the tracer too rejects the input (a shape the model cannot
      // take): bad input, with the model's own message. Otherwise tracing itself failed.
      try {
        forward_(inputs);
      } catch (const std::exception& eager) {
        throw bad_input("the model rejects the input: " + first_line(eager.what()));
      }
      throw Error(ExitCode::kTraceFailed, "tracing the model failed: " + first_line(e.what()));
    }
    return graph;
  }

  TensorFunction forward_;
  size_t num_inputs_;
  std::shared_ptr<void> keep_alive_;
  std::vector<std::vector<int64_t>> shapes_;
  StateFunction state_;
  std::shared_ptr<torch::jit::Graph> graph_;  // the graph to_ir translated
};

}  // namespace

std::unique_ptr<SourceModel> make_traced_source(TensorFunction forward, size_t num_inputs,
                                                std::shared_ptr<void> keep_alive,
                                                std::vector<std::vector<int64_t>> default_shapes,
                                                StateFunction state) {
  return std::make_unique<TracedSource>(std::move(forward), num_inputs, std::move(keep_alive),
                                        std::move(default_shapes), std::move(state));
}

}  // namespace mlexport::frontend::torchscript
