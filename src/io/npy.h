// NumPy .npy / .npz files: the exchange format between mlexport, the ONNX Runtime runner, the
// Python peer and users who hand in example inputs.
//
// Reading accepts format versions 1.0, 2.0 and 3.0 with a C-order array of one of the little-endian
// dtypes <f4 <f8 <f2 <i8 <i4 <i2 |i1 |u1 |b1. Anything else (Fortran order, big-endian, object or
// structured dtypes, malformed or truncated files) throws mlexport::bad_input("<path>: <reason>").
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ir/tensor.h"

namespace mlexport::io {

ir::Tensor read_npy(const std::string& path);
// `what` names the source in error messages (a path, "archive.npz:member", ...).
ir::Tensor parse_npy(const void* data, size_t size, const std::string& what);

// The complete .npy file (version 1.0 unless the header needs 2.0). BFloat16 has no npy dtype and
// throws an Error with kInternal; cast to float32 first.
std::string npy_bytes(const ir::Tensor& tensor);
// Atomic: writes a temporary file beside `path`, then renames it over `path`.
void write_npy(const std::string& path, const ir::Tensor& tensor);

using NamedTensors = std::vector<std::pair<std::string, ir::Tensor>>;

// Members in archive order, named without the ".npy" suffix. Stored and deflated members both work.
NamedTensors read_npz(const std::string& path);
// Like numpy.savez (stored) or numpy.savez_compressed (compress = true). Atomic as write_npy.
void write_npz(const std::string& path, const NamedTensors& tensors, bool compress = false);

}  // namespace mlexport::io
