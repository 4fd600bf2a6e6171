// The eager LibTorch reference of a PyTorch model (torch-free header: core and the tests call it
// without LibTorch headers).
#pragma once

#include <memory>
#include <string>

#include "runtime/reference.h"
#include "torchmodel/torch_model_handle.h"

namespace mlexport::runtime::libtorch {

// Runs `model` eagerly; shares it with whoever else holds it (the frontend that translated it,
// so that control flow coverage and reference values come from the translated graph).
std::unique_ptr<Reference> make_torch_reference(std::shared_ptr<torchmodel::TorchModel> model);

// "1.13.1": the LibTorch this build links.
std::string libtorch_version();

// Sets LibTorch's intra-op thread count (0 leaves the default).
void set_torch_threads(int threads);

}  // namespace mlexport::runtime::libtorch
