// Example inputs for conversion and validation: seeded random tensors or a user's .npy/.npz.
#pragma once

#include <string>
#include <vector>

#include "ir/tensor.h"
#include "mlexport/export.h"

namespace mlexport::core {

// complex64/complex128 (cfloat/cdouble): an input the model takes as a complex tensor and the
// exported file as its (real, imag) pairs, float32/float64 with a trailing dim of 2.
bool is_complex_dtype(const std::string& name);

// Checks specs (dtype names, positive dims) and returns them as (dtype, shape) pairs; a complex
// input's shape gets its trailing dim of 2.
std::vector<std::pair<ir::DType, std::vector<int64_t>>> parse_input_specs(
    const std::vector<InputSpec>& specs);

// Seeded inputs: floats ~ N(0, 1), integers uniform in [0, 2), bools fair coins.
std::vector<ir::Tensor> random_inputs(
    const std::vector<std::pair<ir::DType, std::vector<int64_t>>>& specs, uint64_t seed);

// The inputs at other shapes (same ranks): along each axis, index i reads index i mod the
// input's size, so a longer axis repeats the input's start and a shorter one cuts it. Values
// stay those of the user's sample, which random ones need not resemble (an image, token ids).
std::vector<ir::Tensor> wrapped_inputs(
    const std::vector<ir::Tensor>& inputs,
    const std::vector<std::pair<ir::DType, std::vector<int64_t>>>& specs);

// Inputs from a .npy (one input) or .npz (inputs in archive order).
std::vector<ir::Tensor> load_sample_inputs(const std::string& path);

// The same specs with the first input's dim 0 set to `batch` and every other dim 0 moved by the
// same amount.
std::vector<std::pair<ir::DType, std::vector<int64_t>>> with_batch(
    std::vector<std::pair<ir::DType, std::vector<int64_t>>> specs, int64_t batch);

}  // namespace mlexport::core
