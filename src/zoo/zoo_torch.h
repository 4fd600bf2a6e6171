// The model zoo, LibTorch view (internal: includes torch headers).
//
// Each family file (resnet.cpp, vgg.cpp, ...) defines one `add_<family>_models` function that
// appends its entries to the registry table; registry.cpp calls them all explicitly, in order
// (no self-registering statics: static libraries drop them).
//
// A builder constructs the model with the default torch initialisation (weights are expected to
// be loaded from a state dict); create_model()/create_zoo_model() then switch it to eval mode
// and make every parameter not require grad, so it can be run under torch::NoGradGuard and
// traced with torch::jit::tracer::trace as is.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "zoo/zoo.h"

namespace mlexport::zoo {

// A built model: the module tree (for state dicts, eval(), tracing) and its forward. The forward
// callable keeps the module alive; torch::nn::Module has no virtual forward, hence the callable.
struct ZooModel {
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(torch::Tensor)> forward;
  // Every output, for models with more than one (padim: anomaly_map, pred_score); null: the
  // model has the one output `forward` gives.
  std::function<std::vector<torch::Tensor>(torch::Tensor)> forward_outputs;
};

using ZooBuilder = ZooModel (*)(int64_t num_classes);

struct ZooEntry {
  std::string name;                     // "resnet18": torchvision's builder name where there is one
  ZooBuilder builder;                   // constructs the model with `num_classes` outputs
  std::vector<int64_t> input_shape;     // default input without batch, {3, 224, 224}
  std::string family;                   // "resnet": the family file that registered it
  std::string task = "classification";  // or "segmentation" (see zoo.h model_task)
  // The state key whose dim 0 is the number of classes; empty: the module's last 2-D weight.
  std::string classes_key;
  // Segmentation models: the same model with torchvision's aux_classifier (aux_loss=True), so
  // checkpoints trained with it load as they are; null when the architecture has none.
  ZooBuilder builder_with_aux = nullptr;
  // Models whose buffer shapes the state decides (PaDiM's fitted statistics): resizes them to the
  // state's before it is loaded. Null for the rest.
  void (*fit_to_state)(torch::nn::Module& module,
                       const std::map<std::string, at::Tensor>& state) = nullptr;
};

// Wraps a TORCH_MODULE holder into a ZooModel (the module's forward(Tensor) becomes the callable).
template <typename Holder>
ZooModel make_zoo_model(Holder holder) {
  ZooModel model;
  model.module = holder.ptr();
  model.forward = [holder](torch::Tensor x) mutable { return holder->forward(std::move(x)); };
  return model;
}

// The registry table (built once, in registry order).
const std::vector<ZooEntry>& registry();

// The registry entry for `name`; throws std::out_of_range for an unknown name.
const ZooEntry& find_entry(const std::string& name);

// Builds a model in eval mode with parameters that do not require grad. `with_aux` builds the
// auxiliary classifier of a segmentation model too (std::invalid_argument when it has none).
ZooModel create_zoo_model(const std::string& name, int64_t num_classes = 1000,
                          bool with_aux = false);

// Same, module only (the forward is create_zoo_model's).
std::shared_ptr<torch::nn::Module> create_model(const std::string& name,
                                                int64_t num_classes = 1000);

// eval() + requires_grad(false) on every parameter: what tracing needs.
void prepare_for_inference(torch::nn::Module& module);

// The module's state as PyTorch's Module.state_dict() orders it: for each module, its own
// parameters, then its own buffers, then its children recursively (undefined tensors, such as a
// Conv2d's absent bias, are skipped).
std::vector<std::pair<std::string, torch::Tensor>> named_state(const torch::nn::Module& module);

// The keys of named_state(), i.e. Python's list(model.state_dict().keys()).
std::vector<std::string> state_dict_keys(const torch::nn::Module& module);

// Copies `state` into the module's parameters and buffers (without recording grad).
//  missing:    module keys absent from `state` (a BatchNorm `num_batches_tracked` is never
//              reported missing: checkpoints older than PyTorch 0.4.1 lack it, as PyTorch allows)
//  unexpected: `state` keys the module does not have
//  mismatched: keys present on both sides whose shapes differ ("key: [a, b] vs [c, d]")
// torchvision's legacy DenseNet keys ("denselayer1.norm.1.weight") are renamed to the current
// ones ("denselayer1.norm1.weight") first, as torchvision does when it loads its own weights.
// With strict, any missing/unexpected/mismatched key throws std::runtime_error before anything is
// copied; otherwise the matching tensors are copied and the others reported. Output vectors may
// be null.
void load_state_dict(torch::nn::Module& module, const std::map<std::string, at::Tensor>& state,
                     bool strict = true, std::vector<std::string>* missing = nullptr,
                     std::vector<std::string>* unexpected = nullptr,
                     std::vector<std::string>* mismatched = nullptr);

// One function per family file, called by registry() in this order.
void add_resnet_models(std::vector<ZooEntry>& entries);        // resnet.cpp
void add_vgg_models(std::vector<ZooEntry>& entries);           // vgg.cpp
void add_densenet_models(std::vector<ZooEntry>& entries);      // densenet.cpp
void add_mobilenet_v2_models(std::vector<ZooEntry>& entries);  // mobilenet_v2.cpp
void add_mobilenet_v3_models(std::vector<ZooEntry>& entries);  // mobilenet_v3.cpp
void add_efficientnet_models(std::vector<ZooEntry>& entries);  // efficientnet.cpp
void add_vit_models(std::vector<ZooEntry>& entries);           // vit.cpp
void add_convnext_models(std::vector<ZooEntry>& entries);      // convnext.cpp
void add_custom_models(std::vector<ZooEntry>& entries);        // custom.cpp
void add_segmentation_models(std::vector<ZooEntry>& entries);  // segmentation.cpp
void add_anomaly_models(std::vector<ZooEntry>& entries);       // padim.cpp

}  // namespace mlexport::zoo
