// A state dict for an architecture of the C++ zoo, as a TorchModel that the TorchScript frontend
// translates and the LibTorch reference runs (torch-free header).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ir/tensor.h"
#include "torchmodel/torch_model_handle.h"

namespace mlexport::frontend::zoo_checkpoint {

using NamedTensors = std::vector<std::pair<std::string, ir::Tensor>>;

struct StateReport {
  std::string stripped_prefix;  // "model." for a Lightning module wrapping the network
  int64_t num_classes = -1;     // what the model was built with
  bool with_aux = false;        // built with the segmentation model's aux_classifier
  std::vector<std::string> missing, unexpected, mismatched;
};

// Builds the architecture, loads the state (prefix stripped). `num_classes` -1 takes the class
// count from the state's classifier weights (1000 when it has none). With strict, any missing,
// unexpected or mismatched key throws mlexport::Error (kBadInput) listing the first few names and
// the counts; otherwise they are only reported. The model gives the torch format its state and
// its torchvision-style configuration.
std::shared_ptr<torchmodel::TorchModel> make_zoo_model(const std::string& arch, int64_t num_classes,
                                                       const NamedTensors& state, bool strict,
                                                       StateReport* report);

}  // namespace mlexport::frontend::zoo_checkpoint
