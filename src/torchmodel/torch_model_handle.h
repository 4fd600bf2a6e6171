// TorchModel (torch_model.h) for torch-free code: core opens models and hands them to the
// frontend, the reference and the writers without LibTorch headers.
#pragma once

#include <memory>
#include <string>

#include "emit/artifact_source.h"

namespace mlexport::torchmodel {

class TorchModel;

// Loads a TorchScript archive in eval mode (torchvision's operator library first, when
// installed). Throws mlexport::Error (kBadInput) for anything that is not a readable TorchScript
// archive.
std::shared_ptr<TorchModel> load_torchscript(const std::string& path);

// `model` as the format writers ask it for artifacts.
std::shared_ptr<emit::ArtifactSource> artifacts_of(std::shared_ptr<TorchModel> model);

}  // namespace mlexport::torchmodel
