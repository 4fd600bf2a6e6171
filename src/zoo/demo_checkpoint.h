// A checkpoint in the export guide's form, made from the zoo with seeded weights (torch-free
// header): what `make demo` exports, with nothing downloaded and no Python.
#pragma once

#include <cstdint>
#include <string>

namespace mlexport::zoo {

// Writes {"model_name", "num_classes", "input_size", "epoch", "state_dict"} as torch.save does,
// with trained-looking BatchNorm statistics. Returns the number of tensors written. Throws
// std::runtime_error when the file cannot be written; `arch` must be a zoo model.
size_t write_demo_checkpoint(const std::string& path, const std::string& arch, int64_t num_classes);

// A PyTorch Lightning `.ckpt` of the same model: {"epoch", "global_step",
// "pytorch-lightning_version", "state_dict" (keys prefixed "model."), "hyper_parameters"
// {"model_name", "num_classes", "input_size"}}. `seed` varies the weights, so a workspace's `best`
// and `last` checkpoints differ.
size_t write_demo_lightning_checkpoint(const std::string& path, const std::string& arch,
                                       int64_t num_classes, uint64_t seed);

}  // namespace mlexport::zoo
