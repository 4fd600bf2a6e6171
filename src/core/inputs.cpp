#include "core/inputs.h"

#include <cstring>
#include <random>

#include "io/npy.h"
#include "mlexport/diagnostics.h"

namespace mlexport::core {

bool is_complex_dtype(const std::string& name) {
  return name == "complex64" || name == "complex128" || name == "cfloat" || name == "cdouble";
}

std::vector<std::pair<ir::DType, std::vector<int64_t>>> parse_input_specs(
    const std::vector<InputSpec>& specs) {
  std::vector<std::pair<ir::DType, std::vector<int64_t>>> out;
  for (const InputSpec& spec : specs) {
    // A complex input is given as its (real, imag) pairs: a float tensor with a trailing dim 2.
    const bool complex = is_complex_dtype(spec.dtype);
    const bool wide = spec.dtype == "complex128" || spec.dtype == "cdouble";
    auto dtype = complex && wide ? std::optional(ir::DType::Float64)
                 : complex       ? std::optional(ir::DType::Float32)
                                 : ir::parse_dtype(spec.dtype);
    if (!dtype)
      throw bad_input("unknown input dtype '" + spec.dtype +
                      "' (use float32, float16, float64, int64, int32, bool, complex64 or "
                      "complex128)");
    if (spec.shape.empty()) throw bad_input("an input shape has no dimensions");
    int64_t numel = 1;
    for (int64_t d : spec.shape) {
      if (d <= 0)
        throw bad_input("input shape " + ir::shape_to_string(spec.shape) +
                        " has a dimension that is not positive");
      if (numel > (int64_t{1} << 34) / d)
        throw bad_input("input shape " + ir::shape_to_string(spec.shape) + " is too large");
      numel *= d;
    }
    std::vector<int64_t> shape = spec.shape;
    if (complex) shape.push_back(2);
    out.emplace_back(*dtype, shape);
  }
  return out;
}

std::vector<ir::Tensor> random_inputs(
    const std::vector<std::pair<ir::DType, std::vector<int64_t>>>& specs, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<ir::Tensor> out;
  for (const auto& [dtype, shape] : specs) {
    ir::Tensor f32(ir::DType::Float32, shape);
    const int64_t n = f32.numel();
    if (ir::is_floating(dtype)) {
      for (int64_t i = 0; i < n; ++i) f32.data<float>()[i] = normal(rng);
    } else {
      for (int64_t i = 0; i < n; ++i) f32.data<float>()[i] = static_cast<float>(rng() & 1u);
    }
    out.push_back(dtype == ir::DType::Float32 ? f32 : f32.cast(dtype));
  }
  return out;
}

std::vector<ir::Tensor> wrapped_inputs(
    const std::vector<ir::Tensor>& inputs,
    const std::vector<std::pair<ir::DType, std::vector<int64_t>>>& specs) {
  std::vector<ir::Tensor> out;
  for (size_t k = 0; k < inputs.size() && k < specs.size(); ++k) {
    const ir::Tensor& from = inputs[k];
    const std::vector<int64_t>& shape = specs[k].second;
    ir::Tensor to(from.dtype, shape);
    const int64_t n = to.numel();
    if (from.shape.size() != shape.size() || from.numel() == 0 || n == 0) {
      out.push_back(std::move(to));
      continue;
    }
    const size_t element = from.nbytes() / static_cast<size_t>(from.numel());
    const size_t rank = shape.size();
    std::vector<int64_t> from_strides(rank, 1);
    for (size_t d = rank; d-- > 1;) from_strides[d - 1] = from_strides[d] * from.shape[d];
    std::vector<int64_t> index(rank, 0);
    for (int64_t i = 0; i < n; ++i) {
      int64_t source = 0;
      for (size_t d = 0; d < rank; ++d) source += (index[d] % from.shape[d]) * from_strides[d];
      std::memcpy(to.raw() + static_cast<size_t>(i) * element,
                  from.raw() + static_cast<size_t>(source) * element, element);
      for (size_t d = rank; d-- > 0;) {
        if (++index[d] < shape[d]) break;
        index[d] = 0;
      }
    }
    out.push_back(std::move(to));
  }
  return out;
}

std::vector<ir::Tensor> load_sample_inputs(const std::string& path) {
  const bool is_npz = path.size() > 4 && path.substr(path.size() - 4) == ".npz";
  std::vector<ir::Tensor> out;
  if (is_npz) {
    for (auto& [name, tensor] : io::read_npz(path)) out.push_back(std::move(tensor));
    if (out.empty()) throw bad_input(path + ": the archive holds no arrays");
  } else {
    out.push_back(io::read_npy(path));
  }
  return out;
}

std::vector<std::pair<ir::DType, std::vector<int64_t>>> with_batch(
    std::vector<std::pair<ir::DType, std::vector<int64_t>>> specs, int64_t batch) {
  // Every dim 0 grows by the same amount, so inputs whose leading sizes differ stay different.
  const int64_t delta = specs.empty() || specs[0].second.empty() ? 0 : batch - specs[0].second[0];
  for (auto& [dtype, shape] : specs)
    if (!shape.empty()) shape[0] += delta;
  return specs;
}

}  // namespace mlexport::core
