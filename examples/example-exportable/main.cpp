// A policy network defined with the LibTorch C++ frontend, trained for a few steps on synthetic
// data, then exported to every available format; each export is validated against the model.
#include <mlexport/exportable.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <string>

struct Policy : torch::nn::Module, mlexport::Exportable<Policy> {
  Policy(int64_t observation, int64_t hidden, int64_t actions)
      : observation_(observation), hidden_(hidden), actions_(actions) {
    body = register_module(
        "body", torch::nn::Sequential(torch::nn::Linear(observation, hidden), torch::nn::ReLU(),
                                      torch::nn::Linear(hidden, hidden), torch::nn::ReLU()));
    head = register_module("head", torch::nn::Linear(hidden, actions));
  }

  torch::Tensor forward(torch::Tensor observation) { return head(body->forward(observation)); }
  // Deployment wants probabilities rather than logits.
  torch::Tensor forward_for_export(torch::Tensor observation) {
    return torch::softmax(forward(observation), 1);
  }

  mlexport::SampleInput sample_input() {
    return mlexport::SampleInput::named({{"observation", torch::randn({1, observation_})}});
  }
  mlexport::ConfigValue config() {
    return mlexport::ConfigValue::object(
        "example.Policy",
        {{"observation", observation_}, {"hidden", hidden_}, {"actions", actions_}});
  }
  mlexport::ExportOptions extra_export_args(const std::string& format) {
    mlexport::ExportOptions options;
    if (format == "onnx" || format == "openvino") {
      options.output_names = {"action"};
      options.dynamic_axes = true;
    }
    return options;
  }

  torch::nn::Sequential body{nullptr};
  torch::nn::Linear head{nullptr};
  int64_t observation_, hidden_, actions_;
};

int main(int argc, char** argv) {
  const std::filesystem::path out_dir = argc > 1 ? argv[1] : "exported";
  std::filesystem::create_directories(out_dir);
  torch::manual_seed(0);

  // Synthetic task: the best action is the index of the largest of the first four observations.
  Policy policy(14, 64, 4);
  torch::optim::Adam optimizer(policy.parameters(), torch::optim::AdamOptions(1e-2));
  policy.train();
  float loss_value = 0;
  for (int step = 0; step < 200; ++step) {
    auto observation = torch::randn({64, 14});
    auto target = observation.slice(1, 0, 4).argmax(1);
    auto loss = torch::nn::functional::cross_entropy(policy.forward(observation), target);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    loss_value = loss.item<float>();
  }
  std::printf("trained 200 steps, final loss %.3f\n", loss_value);

  int failures = 0;
  for (const auto& format : mlexport::list_formats()) {
    if (!format.available) {
      std::printf("%-12s not available: %s\n", format.name.c_str(),
                  format.unavailable_reason.c_str());
      continue;
    }
    const auto path = out_dir / ("policy" + format.extensions[0]);
    try {
      mlexport::ExportResult result = policy.export_to(path.string());
      std::printf("%-12s %s  %s  max diff %.2e  (%s)\n", format.name.c_str(),
                  result.validation.status.c_str(), path.string().c_str(),
                  result.validation.max_diff, result.validation.method.c_str());
      if (!result.validation.passed) ++failures;
    } catch (const mlexport::Error& e) {
      std::printf("%-12s FAILED: %s\n", format.name.c_str(), e.what());
      ++failures;
    }
  }
  std::printf("training mode after export: %s\n", policy.is_training() ? "restored" : "LOST");
  return failures == 0 && policy.is_training() ? 0 : 1;
}
