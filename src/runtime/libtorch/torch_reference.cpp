#include "runtime/libtorch/torch_reference.h"

#include <ATen/Parallel.h>
#include <torch/version.h>

#include "mlexport/diagnostics.h"
#include "runtime/libtorch/reference_values.h"
#include "torchmodel/tensor_convert.h"
#include "torchmodel/torch_model.h"

namespace mlexport::runtime::libtorch {
namespace {

class TorchReference : public Reference {
 public:
  explicit TorchReference(std::shared_ptr<torchmodel::TorchModel> model)
      : model_(std::move(model)) {}

  std::vector<ir::Tensor> run(const std::vector<ir::Tensor>& inputs) override {
    torch::NoGradGuard no_grad;
    const std::vector<at::Tensor> args = model_->torch_inputs(inputs);
    c10::IValue result;
    try {
      result = model_->forward(args);
    } catch (const std::exception& e) {
      throw bad_input("the model failed on the example inputs: " + first_line(e.what()));
    }
    std::vector<ir::Tensor> out;
    flatten_tensors(result, out);
    return out;
  }

  ir::ControlFlowCoverage control_flow_coverage(const std::vector<ir::Tensor>& inputs) override {
    const auto& translated = model_->translation;
    if (!translated.graph || !translated.control_flow) return {};
    torch::NoGradGuard no_grad;
    return translated.control_flow(model_->torch_inputs(inputs));
  }

  std::map<std::string, ir::Tensor> reference_values(
      const std::vector<ir::Tensor>& inputs, const std::vector<std::string>& keys) override {
    const auto& translated = model_->translation;
    if (!translated.graph) return {};
    return capture_values(translated.graph, model_->self(), model_->torch_inputs(inputs), keys);
  }

  std::optional<Replay> replay(const std::vector<ir::Tensor>& inputs,
                               const std::vector<std::string>& keys,
                               const std::map<std::string, ir::Tensor>& replaced) override {
    const auto& translated = model_->translation;
    if (!translated.graph) return std::nullopt;
    torch::NoGradGuard no_grad;
    CapturedRun run = run_replaced(translated.graph, model_->self(), model_->torch_inputs(inputs),
                                   keys, replaced, true);
    return Replay{std::move(run.outputs), std::move(run.values)};
  }

 private:
  std::shared_ptr<torchmodel::TorchModel> model_;
};

}  // namespace

std::unique_ptr<Reference> make_torch_reference(std::shared_ptr<torchmodel::TorchModel> model) {
  return std::make_unique<TorchReference>(std::move(model));
}

std::string libtorch_version() {
  return TORCH_VERSION;
}

void set_torch_threads(int threads) {
  if (threads > 0) at::set_num_threads(threads);
}

}  // namespace mlexport::runtime::libtorch
