#include "ir/tensor.h"

#include <bit>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace mlexport::ir {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::Float64:
    case DType::Int64:
      return 8;
    case DType::Float32:
    case DType::Int32:
      return 4;
    case DType::Float16:
    case DType::BFloat16:
    case DType::Int16:
      return 2;
    case DType::Int8:
    case DType::UInt8:
    case DType::Bool:
      return 1;
  }
  return 0;
}

namespace {
struct DTypeNames {
  DType dtype;
  std::string_view name;
  std::string_view short_name;
};
constexpr DTypeNames kNames[] = {
    {DType::Float32, "float32", "f32"}, {DType::Float16, "float16", "f16"},
    {DType::Float64, "float64", "f64"}, {DType::BFloat16, "bfloat16", "bf16"},
    {DType::Int8, "int8", "i8"},        {DType::UInt8, "uint8", "u8"},
    {DType::Int16, "int16", "i16"},     {DType::Int32, "int32", "i32"},
    {DType::Int64, "int64", "i64"},     {DType::Bool, "bool", "bool"},
};
}  // namespace

std::string_view dtype_name(DType dtype) {
  for (const auto& n : kNames)
    if (n.dtype == dtype) return n.name;
  return "?";
}

std::string_view dtype_short_name(DType dtype) {
  for (const auto& n : kNames)
    if (n.dtype == dtype) return n.short_name;
  return "?";
}

std::optional<DType> parse_dtype(std::string_view name) {
  for (const auto& n : kNames)
    if (n.name == name || n.short_name == name) return n.dtype;
  if (name == "float" || name == "fp32") return DType::Float32;
  if (name == "half" || name == "fp16") return DType::Float16;
  if (name == "double" || name == "fp64") return DType::Float64;
  if (name == "long") return DType::Int64;
  if (name == "int") return DType::Int32;
  return std::nullopt;
}

bool is_floating(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float16 || dtype == DType::Float64 ||
         dtype == DType::BFloat16;
}

int64_t shape_numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_to_string(const std::vector<int64_t>& shape) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? "," : "") << shape[i];
  os << ']';
  return os.str();
}

Tensor::Tensor(DType dtype_, std::vector<int64_t> shape_)
    : dtype(dtype_), shape(std::move(shape_)) {
  bytes = std::make_shared<std::vector<std::byte>>(shape_numel(shape) * dtype_size(dtype));
}

float half_to_float(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exp = 127 - 15 + 1;
      while (!(mant & 0x400)) {
        mant <<= 1;
        --exp;
      }
      bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  return std::bit_cast<float>(bits);
}

uint16_t float_to_half(float f) {
  uint32_t x = std::bit_cast<uint32_t>(f);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) return sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0);  // inf/nan
  if (absx >= 0x477ff000u) return sign | 0x7c00u;                                      // overflow
  if (absx < 0x38800000u) {  // subnormal or zero in half: round to nearest even
    float v = std::bit_cast<float>(absx) * 16777216.0f;  // * 2^24
    return sign | static_cast<uint16_t>(std::nearbyint(v));
  }
  uint32_t mant = absx & 0x7fffffu;
  uint32_t exp = (absx >> 23) - 127 + 15;
  uint32_t h = (exp << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // round to nearest even
  return sign | h;
}

float bfloat16_to_float(uint16_t h) {
  return std::bit_cast<float>(uint32_t(h) << 16);
}

uint16_t float_to_bfloat16(float f) {
  uint32_t x = std::bit_cast<uint32_t>(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;
  x += 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(x >> 16);
}

double Tensor::value_as_double(int64_t i) const {
  switch (dtype) {
    case DType::Float32:
      return data<float>()[i];
    case DType::Float64:
      return data<double>()[i];
    case DType::Float16:
      return half_to_float(data<uint16_t>()[i]);
    case DType::BFloat16:
      return bfloat16_to_float(data<uint16_t>()[i]);
    case DType::Int8:
      return data<int8_t>()[i];
    case DType::UInt8:
      return data<uint8_t>()[i];
    case DType::Int16:
      return data<int16_t>()[i];
    case DType::Int32:
      return data<int32_t>()[i];
    case DType::Int64:
      return static_cast<double>(data<int64_t>()[i]);
    case DType::Bool:
      return data<uint8_t>()[i] ? 1.0 : 0.0;
  }
  return 0;
}

int64_t Tensor::value_as_int(int64_t i) const {
  if (dtype == DType::Int64) return data<int64_t>()[i];
  return static_cast<int64_t>(value_as_double(i));
}

std::vector<int64_t> Tensor::to_int_vector() const {
  std::vector<int64_t> out(numel());
  for (int64_t i = 0; i < numel(); ++i) out[i] = value_as_int(i);
  return out;
}

std::vector<double> Tensor::to_double_vector() const {
  std::vector<double> out(numel());
  for (int64_t i = 0; i < numel(); ++i) out[i] = value_as_double(i);
  return out;
}

Tensor Tensor::scalar_int64(int64_t v) {
  Tensor t(DType::Int64, {});
  t.data<int64_t>()[0] = v;
  return t;
}

Tensor Tensor::vector_int64(const std::vector<int64_t>& values) {
  Tensor t(DType::Int64, {static_cast<int64_t>(values.size())});
  if (!values.empty()) std::memcpy(t.raw(), values.data(), values.size() * sizeof(int64_t));
  return t;
}

namespace {
void store_double(Tensor& t, int64_t i, double v) {
  switch (t.dtype) {
    case DType::Float32:
      t.data<float>()[i] = static_cast<float>(v);
      break;
    case DType::Float64:
      t.data<double>()[i] = v;
      break;
    case DType::Float16:
      t.data<uint16_t>()[i] = float_to_half(static_cast<float>(v));
      break;
    case DType::BFloat16:
      t.data<uint16_t>()[i] = float_to_bfloat16(static_cast<float>(v));
      break;
    case DType::Int8:
      t.data<int8_t>()[i] = static_cast<int8_t>(v);
      break;
    case DType::UInt8:
      t.data<uint8_t>()[i] = static_cast<uint8_t>(v);
      break;
    case DType::Int16:
      t.data<int16_t>()[i] = static_cast<int16_t>(v);
      break;
    case DType::Int32:
      t.data<int32_t>()[i] = static_cast<int32_t>(v);
      break;
    case DType::Int64:
      t.data<int64_t>()[i] = static_cast<int64_t>(v);
      break;
    case DType::Bool:
      t.data<uint8_t>()[i] = v != 0.0;
      break;
  }
}
}  // namespace

Tensor Tensor::scalar_of(DType dtype, double v) {
  Tensor t(dtype, {});
  store_double(t, 0, v);
  return t;
}

Tensor Tensor::cast(DType to) const {
  Tensor out(to, shape);
  if (to == dtype) {
    std::memcpy(out.raw(), raw(), nbytes());
    return out;
  }
  const int64_t n = numel();
  if (to == DType::Int64 && !is_floating(dtype)) {
    for (int64_t i = 0; i < n; ++i) out.data<int64_t>()[i] = value_as_int(i);
  } else if (dtype == DType::Int64) {
    for (int64_t i = 0; i < n; ++i) store_double(out, i, static_cast<double>(data<int64_t>()[i]));
  } else {
    for (int64_t i = 0; i < n; ++i) store_double(out, i, value_as_double(i));
  }
  return out;
}

}  // namespace mlexport::ir
