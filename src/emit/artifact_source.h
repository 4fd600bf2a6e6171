// What a format writer may ask a model for besides its IR (a TorchScript archive's module, a
// torch checkpoint's state dict). Each writer that needs something owns an interface derived
// from ArtifactSource and asks for it with dynamic_cast; a model offers what it can by
// implementing those interfaces. So a new format adds an interface of its own, not a method
// to every model, and a source (frontend/source.h) stays a producer of IR. Torch-free.
#pragma once

namespace mlexport::emit {

class ArtifactSource {
 public:
  virtual ~ArtifactSource() = default;
};

// The capability `Wanted` of `model`, or null when it does not offer it (or there is no model).
template <typename Wanted>
Wanted* find_capability(ArtifactSource* model) {
  return dynamic_cast<Wanted*>(model);
}

}  // namespace mlexport::emit
