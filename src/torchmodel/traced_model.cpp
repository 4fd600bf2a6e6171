#include "torchmodel/traced_model.h"

#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/csrc/jit/passes/inliner.h>

#include "emit/torch/config_value.h"
#include "mlexport/diagnostics.h"
#include "torchmodel/tensor_convert.h"

namespace mlexport::torchmodel {
namespace {

class TracedModel : public TorchModel {
 public:
  TracedModel(TensorFunction forward, size_t num_inputs, std::shared_ptr<void> keep_alive,
              std::vector<std::vector<int64_t>> shapes, std::optional<TracedState> state)
      : forward_(std::move(forward)),
        num_inputs_(num_inputs),
        keep_alive_(std::move(keep_alive)),
        shapes_(std::move(shapes)),
        state_(std::move(state)) {}

  size_t num_inputs() const override { return num_inputs_; }
  std::vector<std::vector<int64_t>> default_input_shapes() const override { return shapes_; }
  bool traced() const override { return true; }

  c10::IValue forward(const std::vector<at::Tensor>& inputs) override {
    return c10::List<at::Tensor>(forward_(inputs));
  }

  std::shared_ptr<torch::jit::Graph> forward_graph(const std::vector<at::Tensor>& inputs) override {
    return trace(inputs);
  }

  std::optional<emit::TorchState> torch_state() override {
    if (!state_) return std::nullopt;
    emit::TorchState out;
    for (const auto& [key, tensor] : state_->tensors())
      out.tensors.emplace_back(key, to_ir_tensor(tensor));
    out.config = emit::torch::config::from_config_value(state_->config);
    return out;
  }

  torch::jit::Module script_module(const std::vector<ir::Tensor>& example_inputs) override {
    std::vector<at::Tensor> inputs;
    for (const auto& t : example_inputs) inputs.push_back(to_torch_tensor(t));
    auto graph = trace(inputs);
    torch::jit::Inline(*graph);
    return emit::torchscript::module_from_graph(graph);
  }

 private:
  std::shared_ptr<torch::jit::Graph> trace(const std::vector<at::Tensor>& inputs) {
    torch::NoGradGuard no_grad;
    torch::jit::Stack stack(inputs.begin(), inputs.end());
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
  std::optional<TracedState> state_;
};

}  // namespace

std::shared_ptr<TorchModel> make_traced_model(TensorFunction forward, size_t num_inputs,
                                              std::shared_ptr<void> keep_alive,
                                              std::vector<std::vector<int64_t>> default_shapes,
                                              std::optional<TracedState> state) {
  return std::make_shared<TracedModel>(std::move(forward), num_inputs, std::move(keep_alive),
                                       std::move(default_shapes), std::move(state));
}

}  // namespace mlexport::torchmodel
