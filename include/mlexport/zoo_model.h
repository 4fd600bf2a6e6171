// The C++ zoo's architectures (torchvision's, with the same state-dict keys) as Exportable models:
//
//   auto model = mlexport::ZooModel::from_checkpoint("runs/fold_0/weights/best.pt");
//   model.to_openvino("best.xml");
#pragma once

#include <torch/nn/module.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mlexport/exportable.h"

namespace mlexport {

// A model of the C++ zoo (torchvision's architectures) as an Exportable.
class ZooModel : public Exportable<ZooModel> {
 public:
  // Builds `arch` with default initial weights; load weights with load_checkpoint().
  static ZooModel create(const std::string& arch, int64_t num_classes = 1000);
  // Builds the architecture a checkpoint names (or `arch`) and loads its weights.
  static ZooModel from_checkpoint(const std::string& path, const std::string& arch = "");

  torch::Tensor forward(torch::Tensor x) { return forward_(std::move(x)); }
  torch::nn::Module& module_for_export() { return *module_; }
  SampleInput sample_input();
  ConfigValue config();
  const std::string& zoo_architecture() const { return arch_; }
  int64_t num_classes() const { return num_classes_; }

 private:
  std::shared_ptr<torch::nn::Module> module_;
  std::function<torch::Tensor(torch::Tensor)> forward_;
  std::string arch_;
  int64_t num_classes_ = 0;
  std::vector<int64_t> input_shape_;
};

}  // namespace mlexport
