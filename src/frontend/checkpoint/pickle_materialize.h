// The strided copy behind materialize() (declared in pickle.h), shared with numpy's Fortran-order
// arrays.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mlexport::frontend::checkpoint::detail {

// Copies the view (sizes, strides, offset in elements) of the elements at `base` into `out` in
// row-major order.
void copy_strided(const std::byte* base, size_t itemsize, int64_t offset,
                  const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                  std::byte* out);

}  // namespace mlexport::frontend::checkpoint::detail
