#include "torchmodel/tensor_convert.h"

#include <cstring>

#include "mlexport/diagnostics.h"

namespace mlexport::torchmodel {

ir::DType to_ir_dtype(c10::ScalarType type) {
  switch (type) {
    case c10::kFloat:
      return ir::DType::Float32;
    case c10::kHalf:
      return ir::DType::Float16;
    case c10::kDouble:
      return ir::DType::Float64;
    case c10::kBFloat16:
      return ir::DType::BFloat16;
    case c10::kChar:
      return ir::DType::Int8;
    case c10::kByte:
      return ir::DType::UInt8;
    case c10::kShort:
      return ir::DType::Int16;
    case c10::kInt:
      return ir::DType::Int32;
    case c10::kLong:
      return ir::DType::Int64;
    case c10::kBool:
      return ir::DType::Bool;
    default:
      throw Error(ExitCode::kUnsupportedOps,
                  std::string("tensors of dtype ") + c10::toString(type) + " are not supported");
  }
}

c10::ScalarType to_torch_dtype(ir::DType dtype) {
  switch (dtype) {
    case ir::DType::Float32:
      return c10::kFloat;
    case ir::DType::Float16:
      return c10::kHalf;
    case ir::DType::Float64:
      return c10::kDouble;
    case ir::DType::BFloat16:
      return c10::kBFloat16;
    case ir::DType::Int8:
      return c10::kChar;
    case ir::DType::UInt8:
      return c10::kByte;
    case ir::DType::Int16:
      return c10::kShort;
    case ir::DType::Int32:
      return c10::kInt;
    case ir::DType::Int64:
      return c10::kLong;
    case ir::DType::Bool:
      return c10::kBool;
  }
  return c10::kFloat;
}

ir::Tensor to_ir_tensor(const at::Tensor& tensor) {
  at::Tensor t = tensor.detach().to(at::kCPU);
  // A complex tensor becomes its (real, imag) pairs in a trailing dim, as the IR holds it.
  if (t.is_complex()) t = at::view_as_real(t.resolve_conj());
  t = t.contiguous();
  ir::Tensor out(to_ir_dtype(t.scalar_type()), t.sizes().vec());
  if (out.nbytes()) std::memcpy(out.raw(), t.data_ptr(), out.nbytes());
  return out;
}

at::Tensor to_torch_tensor(const ir::Tensor& tensor) {
  at::Tensor t = at::empty(tensor.shape, at::TensorOptions().dtype(to_torch_dtype(tensor.dtype)));
  if (tensor.nbytes()) std::memcpy(t.data_ptr(), tensor.raw(), tensor.nbytes());
  return t;
}

}  // namespace mlexport::torchmodel
