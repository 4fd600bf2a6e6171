#include "frontend/onnx/tensors.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>
#include <limits>

#include "mlexport/diagnostics.h"

namespace mlexport::frontend::onnx {

static_assert(std::endian::native == std::endian::little,
              "raw_data is little-endian and is copied into IR tensors as it is");

namespace {

using TP = ::onnx::TensorProto;

// Number of values in the typed field that holds `t`'s dtype.
int64_t typed_field_size(const TP& t) {
  switch (t.data_type()) {
    case TP::FLOAT:
      return t.float_data_size();
    case TP::DOUBLE:
      return t.double_data_size();
    case TP::INT64:
      return t.int64_data_size();
    default:  // the types below 32 bits, float16 and bfloat16 included, live in int32_data
      return t.int32_data_size();
  }
}

template <typename T, typename Field>
void copy_field(const Field& field, ir::Tensor& out) {
  T* dst = out.data<T>();
  for (int64_t i = 0; i < out.numel(); ++i) dst[i] = static_cast<T>(field.Get(static_cast<int>(i)));
}

void copy_typed_fields(const TP& t, ir::Tensor& out, const std::string& what) {
  // The count was checked against the shape before `out` was allocated.
  switch (t.data_type()) {
    case TP::FLOAT:
      return copy_field<float>(t.float_data(), out);
    case TP::DOUBLE:
      return copy_field<double>(t.double_data(), out);
    case TP::INT64:
      return copy_field<int64_t>(t.int64_data(), out);
    case TP::INT32:
      return copy_field<int32_t>(t.int32_data(), out);
    case TP::INT16:
      return copy_field<int16_t>(t.int32_data(), out);
    case TP::INT8:
      return copy_field<int8_t>(t.int32_data(), out);
    case TP::UINT8:
      return copy_field<uint8_t>(t.int32_data(), out);
    case TP::BOOL:  // one byte per element in the IR, as in raw_data
      for (int64_t i = 0; i < out.numel(); ++i)
        out.data<uint8_t>()[i] = t.int32_data(static_cast<int>(i)) != 0 ? 1 : 0;
      return;
    case TP::FLOAT16:  // the 16 bits of each value, widened into int32_data
    case TP::BFLOAT16:
      return copy_field<uint16_t>(t.int32_data(), out);
    default:
      throw Error(ExitCode::kInternal,
                  what + ": no reader for dtype " + onnx_dtype_name(t.data_type()));
  }
}

}  // namespace

std::optional<ir::DType> dtype_from_onnx(int elem_type) {
  switch (elem_type) {
    case TP::FLOAT:
      return ir::DType::Float32;
    case TP::FLOAT16:
      return ir::DType::Float16;
    case TP::DOUBLE:
      return ir::DType::Float64;
    case TP::BFLOAT16:
      return ir::DType::BFloat16;
    case TP::INT8:
      return ir::DType::Int8;
    case TP::UINT8:
      return ir::DType::UInt8;
    case TP::INT16:
      return ir::DType::Int16;
    case TP::INT32:
      return ir::DType::Int32;
    case TP::INT64:
      return ir::DType::Int64;
    case TP::BOOL:
      return ir::DType::Bool;
    default:
      return std::nullopt;
  }
}

std::string onnx_dtype_name(int elem_type) {
  if (!TP::DataType_IsValid(elem_type)) return "dtype " + std::to_string(elem_type);
  std::string name = TP::DataType_Name(static_cast<TP::DataType>(elem_type));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

ir::Tensor tensor_from_proto(const TP& t, const ExternalData& external, const std::string& what) {
  const auto dtype = dtype_from_onnx(t.data_type());
  if (!dtype)
    throw Error(ExitCode::kUnsupportedOps, what + " is a " + onnx_dtype_name(t.data_type()) +
                                               " tensor, which has no IR dtype");
  if (t.has_segment()) throw bad_input(what + ": segmented tensors are not supported");
  std::vector<int64_t> shape(t.dims().begin(), t.dims().end());
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) throw bad_input(what + " has a negative dimension");
    if (d != 0 && numel > std::numeric_limits<int64_t>::max() / d)
      throw bad_input(what + " has more elements than can be stored");
    numel *= d;
  }
  const size_t bytes = static_cast<size_t>(numel) * ir::dtype_size(*dtype);
  // Sizes are checked against the data before anything is allocated, so a forged shape cannot
  // make the importer allocate more than the files hold.
  const bool is_external = t.data_location() == TP::EXTERNAL;
  ExternalData::Range range;
  if (is_external) {
    range = external.locate(t, bytes, what);
  } else if (t.has_raw_data()) {
    if (t.raw_data().size() != bytes)
      throw bad_input(what + " holds " + std::to_string(t.raw_data().size()) +
                      " bytes of raw data but its dtype and shape need " + std::to_string(bytes));
  } else if (typed_field_size(t) != numel) {
    throw bad_input(what + " holds " + std::to_string(typed_field_size(t)) +
                    " values but its shape needs " + std::to_string(numel));
  }

  ir::Tensor out(*dtype, shape);
  if (is_external) {
    external.read(range, out.raw(), what);
  } else if (t.has_raw_data()) {
    if (bytes > 0) std::memcpy(out.raw(), t.raw_data().data(), bytes);
  } else {
    copy_typed_fields(t, out, what);
  }
  return out;
}

namespace {

size_t stored_bytes(const TP& t) {
  return t.raw_data().size() + 4 * static_cast<size_t>(t.float_data_size() + t.int32_data_size()) +
         8 * static_cast<size_t>(t.int64_data_size() + t.double_data_size() + t.uint64_data_size());
}

}  // namespace

void release_tensor_data(TP& t, size_t keep_below) {
  if (t.data_location() == TP::EXTERNAL || stored_bytes(t) < keep_below) return;
  t.clear_raw_data();
  t.clear_float_data();
  t.clear_int32_data();
  t.clear_int64_data();
  t.clear_double_data();
  t.clear_uint64_data();
  t.set_data_location(TP::EXTERNAL);
  auto* entry = t.add_external_data();
  entry->set_key("location");
  entry->set_value("(held by mlexport)");
}

ValueType value_type(const ::onnx::TypeProto& type) {
  ValueType v;
  if (type.value_case() == ::onnx::TypeProto::VALUE_NOT_SET) return v;
  v.known = true;
  if (!type.has_tensor_type()) return v;
  v.is_tensor = true;
  const auto& tensor = type.tensor_type();
  v.elem_type = tensor.elem_type();
  v.dtype = dtype_from_onnx(v.elem_type);
  if (!tensor.has_shape()) return v;
  ir::Shape shape;
  for (const auto& d : tensor.shape().dim()) {
    if (d.has_dim_value() && d.dim_value() >= 0)
      shape.push_back(ir::Dim::fixed(d.dim_value()));
    else if (d.has_dim_param() && !d.dim_param().empty())
      shape.push_back(ir::Dim::named(d.dim_param()));
    else
      shape.push_back(ir::Dim{});
  }
  v.shape = std::move(shape);
  return v;
}

}  // namespace mlexport::frontend::onnx
