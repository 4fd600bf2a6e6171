// The torch format's capability: a model that can give its state dict and configuration.
// Torch-free: the torch writer (core/formats/torch_format.cpp, emit_torch_checkpoint) asks for it
// with emit::find_capability.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "emit/artifact_source.h"
#include "ir/tensor.h"
#include "pyvalue/value.h"

namespace mlexport::emit {

// What the torch format saves: the state dict and the model's configuration.
struct TorchState {
  std::vector<std::pair<std::string, ir::Tensor>> tensors;  // in the model's state-dict order
  pyvalue::ValuePtr config;  // {"class_path": ..., "init_args": {...}}, or null
};

class TorchStateSource : public virtual ArtifactSource {
 public:
  // The weights and configuration; nullopt when the model no longer has them (a TorchScript
  // module frozen since it was loaded holds its weights as constants).
  virtual std::optional<TorchState> torch_state() = 0;
};

}  // namespace mlexport::emit
