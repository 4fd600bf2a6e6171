// Conversions between torch::Tensor and ir::Tensor (one memcpy each way).
#pragma once

#include <torch/script.h>

#include "ir/tensor.h"

namespace mlexport::torchmodel {

ir::DType to_ir_dtype(c10::ScalarType type);
c10::ScalarType to_torch_dtype(ir::DType dtype);
ir::Tensor to_ir_tensor(const at::Tensor& tensor);
at::Tensor to_torch_tensor(const ir::Tensor& tensor);

}  // namespace mlexport::torchmodel
