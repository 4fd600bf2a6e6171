// Shared helpers of the frontend_onnx tests: the fixture folder, seeded inputs, comparisons.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/tensor.h"

namespace mlexport::frontend::onnx::testing {

// $MLEXPORT_ONNX_FIXTURES (set by CMakeLists.txt; make_fixtures.py writes it), or "".
std::string fixture_dir();
// fixture_dir()/<relative>; fails the current test (and returns "") when the file is missing.
std::string fixture(const std::string& relative);

// Seeded inputs: floats N(0,1), integers in {0, 1}, booleans at random.
ir::Tensor random_tensor(ir::DType dtype, const std::vector<int64_t>& shape, uint32_t seed);

// max |a - b| over all elements (both converted to double); +inf when shapes differ.
double max_abs_diff(const ir::Tensor& a, const ir::Tensor& b);

// A fresh empty directory under the system temp folder, for emitted files.
std::string scratch_dir(const std::string& name);

}  // namespace mlexport::frontend::onnx::testing
