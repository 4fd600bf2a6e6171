// Writes TorchScript archives (torch-free header: core calls it). The module comes from the
// model's ScriptModuleSource capability (script_module_source.h).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "emit/artifact_source.h"
#include "ir/tensor.h"

namespace mlexport::emit::torchscript {

// Saves `model`'s module with `extra_files` to a temporary file beside `path`, then renames it
// into place: a failed save leaves nothing behind. False when `model` (may be null) offers no
// module to save. Throws mlexport::Error when writing fails.
bool write_torchscript(ArtifactSource* model, const std::string& path,
                       const std::vector<ir::Tensor>& example_inputs,
                       const std::map<std::string, std::string>& extra_files);

}  // namespace mlexport::emit::torchscript
