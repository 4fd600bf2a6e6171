// The zoo model behind a checkpoint, for callers that need the module itself (internal; LibTorch).
#pragma once

#include "frontend/zoo_checkpoint/zoo_source.h"
#include "mlexport/config_value.h"
#include "zoo/zoo_torch.h"

namespace mlexport::frontend::zoo_checkpoint {

// Builds `arch` and loads `state` into it, as make_zoo_model() does (same rules and errors), in
// eval mode with parameters that do not require grad.
zoo::ZooModel load_zoo_model(const std::string& arch, int64_t num_classes,
                             const NamedTensors& state, bool strict, StateReport* report);

// {"class_path": "torchvision.models.<arch>", "init_args": {"num_classes": n}}; segmentation
// models: "torchvision.models.segmentation.<arch>" with "aux_loss" too.
ConfigValue zoo_config(const std::string& arch, int64_t num_classes, bool with_aux = false);

}  // namespace mlexport::frontend::zoo_checkpoint
