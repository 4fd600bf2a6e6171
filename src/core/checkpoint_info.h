// What a checkpoint file says: which kind of file it is, the architecture, the classes, the input
// size and the weights, following the conventions of training scripts and PyTorch Lightning.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ir/tensor.h"

namespace mlexport::core {

enum class SourceKind { kTorchScript, kTorchCheckpoint, kSafetensors };

// Looks at the file's bytes (never its name alone). Throws bad_input for a missing or
// unrecognisable file.
SourceKind detect_source_kind(const std::string& path);

struct CheckpointInfo {
  std::string arch;          // "" when the file does not say
  std::string arch_key;      // where it was found ("model_name", "hyper_parameters.arch", ...)
  int64_t num_classes = -1;  // -1 when the file does not say
  std::vector<int64_t> input_chw;  // channels, height, width; empty when the file does not say
  std::string task;                // "task" ("segmentation", "regression", ...); "" when absent
  int64_t num_outputs = -1;        // a regression head's outputs ("num_outputs"); -1 when absent
  std::vector<std::string> class_names;  // "class_names"/"classes"/"labels"/"categories"
  std::vector<std::pair<std::string, ir::Tensor>> state;
  std::map<std::string, std::string> metadata;  // other scalar entries (epoch, best_acc, ...)
};

// torch.save files (zip or legacy) and .safetensors (with a config.json beside it, if any).
CheckpointInfo read_checkpoint(const std::string& path, SourceKind kind);

}  // namespace mlexport::core
