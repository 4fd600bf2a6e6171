// One input model as an export uses it: a source of IR, a reference to compare with, and what the
// format writers may ask of it beyond the IR. For a PyTorch model the three share one
// TorchModel, loaded once (internal, torch-free).
#pragma once

#include <memory>

#include "emit/artifact_source.h"
#include "frontend/source.h"
#include "runtime/reference.h"

namespace mlexport::core {

struct OpenedModel {
  std::unique_ptr<frontend::Source> source;
  std::unique_ptr<runtime::Reference> reference;
  std::shared_ptr<emit::ArtifactSource> artifacts;  // null: nothing beyond the IR
};

}  // namespace mlexport::core
