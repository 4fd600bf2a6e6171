#include "torchmodel/torch_model.h"

#include "mlexport/diagnostics.h"
#include "torchmodel/tensor_convert.h"
#include "torchmodel/torch_model_handle.h"

namespace mlexport::torchmodel {

void TorchModel::set_complex_inputs(const std::vector<bool>& /*complex*/) {
  throw bad_input("complex inputs (complex64, complex128) are taken by TorchScript models only");
}

std::vector<at::Tensor> TorchModel::torch_inputs(const std::vector<ir::Tensor>& inputs) const {
  std::vector<at::Tensor> out;
  for (size_t k = 0; k < inputs.size(); ++k) {
    at::Tensor t = to_torch_tensor(inputs[k]);
    if (k < complex_inputs_.size() && complex_inputs_[k]) {
      if (t.dim() == 0 || t.size(-1) != 2)
        throw bad_input("complex input " + std::to_string(k) +
                        " must come as (real, imag) pairs in a trailing dim of 2");
      t = at::view_as_complex(t);
    }
    out.push_back(t);
  }
  return out;
}

std::shared_ptr<emit::ArtifactSource> artifacts_of(std::shared_ptr<TorchModel> model) {
  return model;
}

}  // namespace mlexport::torchmodel
