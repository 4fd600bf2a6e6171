// The model zoo, torch-free view: which C++ models exist and what input they expect.
//
// The models themselves (LibTorch C++ frontend modules whose state_dict keys equal
// torchvision 0.14's) are built through zoo_torch.h; this header lets the CLI, the service and
// the docs generator list the zoo without compiling torch headers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mlexport::zoo {

// Every registered model name, in registry order (families in the order registry.cpp lists them).
std::vector<std::string> model_names();

// True when `name` is a registered model.
bool has_model(const std::string& name);

// Default input shape without the batch dimension, e.g. {3, 224, 224}. Throws
// std::out_of_range for an unknown name.
std::vector<int64_t> default_input_shape(const std::string& name);

// Family of a model ("resnet", "vgg", "densenet", "mobilenet_v2", "custom", ...). Throws
// std::out_of_range for an unknown name.
std::string model_family(const std::string& name);

// What a model computes: "classification" (logits [N, classes]), "segmentation" (logits
// [N, classes, H, W] at the input's size) or "anomaly" (anomaly_map [N, 1, H, W], pred_score
// [N]). Throws std::out_of_range for an unknown name.
std::string model_task(const std::string& name);

// True when the model can be built with torchvision's auxiliary classifier (aux_loss=True).
bool has_aux_classifier(const std::string& name);

}  // namespace mlexport::zoo
