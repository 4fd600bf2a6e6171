// Host tensors and element types shared by every part of mlexport that does not link LibTorch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlexport::ir {

enum class DType : uint8_t {
  Float32,
  Float16,
  Float64,
  BFloat16,
  Int8,
  UInt8,
  Int16,
  Int32,
  Int64,
  Bool
};

size_t dtype_size(DType dtype);
std::string_view dtype_name(DType dtype);        // "float32", "int64", ...
std::string_view dtype_short_name(DType dtype);  // "f32", "i64", ... (IR printer)
std::optional<DType> parse_dtype(std::string_view name);
bool is_floating(DType dtype);

int64_t shape_numel(const std::vector<int64_t>& shape);
std::string shape_to_string(const std::vector<int64_t>& shape);

// A dense, row-major tensor that owns (or shares) its bytes.
struct Tensor {
  DType dtype = DType::Float32;
  std::vector<int64_t> shape;
  std::shared_ptr<std::vector<std::byte>> bytes = std::make_shared<std::vector<std::byte>>();

  Tensor() = default;
  Tensor(DType dtype, std::vector<int64_t> shape);  // zero-filled

  int64_t numel() const { return shape_numel(shape); }
  size_t nbytes() const { return bytes->size(); }
  std::byte* raw() { return bytes->data(); }
  const std::byte* raw() const { return bytes->data(); }
  template <typename T>
  T* data() {
    return reinterpret_cast<T*>(bytes->data());
  }
  template <typename T>
  const T* data() const {
    return reinterpret_cast<const T*>(bytes->data());
  }

  // Element i converted to double / int64 whatever the dtype (for small constants).
  double value_as_double(int64_t i) const;
  int64_t value_as_int(int64_t i) const;
  std::vector<int64_t> to_int_vector() const;
  std::vector<double> to_double_vector() const;

  static Tensor scalar_int64(int64_t v);
  static Tensor vector_int64(const std::vector<int64_t>& values);
  static Tensor scalar_of(DType dtype, double v);  // 0-d tensor of any numeric dtype
  // Values converted to another dtype (float16 and bfloat16 included).
  Tensor cast(DType to) const;
};

float half_to_float(uint16_t h);
uint16_t float_to_half(float f);
float bfloat16_to_float(uint16_t h);
uint16_t float_to_bfloat16(float f);

}  // namespace mlexport::ir
