// ONNX element types, TensorProtos and TypeProtos in IR terms. Internal to the ONNX frontend.
#pragma once

#include <onnx/onnx_pb.h>

#include <optional>
#include <string>

#include "frontend/onnx/external_data.h"
#include "ir/graph.h"
#include "ir/tensor.h"

namespace mlexport::frontend::onnx {

// The IR dtype of an ONNX element type; nullopt for those the IR has none for (strings,
// unsigned 16/32/64-bit, complex).
std::optional<ir::DType> dtype_from_onnx(int elem_type);
// "uint32", "string", ... for messages.
std::string onnx_dtype_name(int elem_type);

// An initializer or tensor attribute as an IR tensor: raw_data, the typed fields (float16 and
// bfloat16 bits in int32_data) or external data. Throws mlexport::Error: kBadInput naming `what`
// when the data and the shape disagree, kUnsupportedOps for dtypes the IR lacks.
ir::Tensor tensor_from_proto(const ::onnx::TensorProto& t, const ExternalData& external,
                             const std::string& what);

// Drops the bytes of `t` (unless external or under `keep_below` bytes) and marks it external, so
// that ONNX shape inference, which reads only the dtype and dims of weights, runs without a
// second copy of them in memory.
void release_tensor_data(::onnx::TensorProto& t, size_t keep_below);

// What ONNX (declared or inferred) says about one value.
struct ValueType {
  bool known = false;      // a type was given at all
  bool is_tensor = false;  // false for sequences, maps, optionals
  int elem_type = 0;
  std::optional<ir::DType> dtype;  // nullopt when elem_type has no IR dtype
  std::optional<ir::Shape> shape;  // nullopt when even the rank is unknown
};
ValueType value_type(const ::onnx::TypeProto& type);

}  // namespace mlexport::frontend::onnx
