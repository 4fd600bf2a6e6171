// .safetensors files: an 8-byte little-endian header length, a JSON header
// {"<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//  "__metadata__": {"key": "value", ...}} and the raw little-endian tensor bytes; offsets are
// relative to the end of the header.
//
// Read dtypes: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL. Checked (each failure is one bad_input
// line "<path>: <reason>"): the header length fits the file (and is at most 100 MB, the format's
// own limit), the header is a JSON object without duplicate names nested at most a few levels,
// every entry has a known dtype, a shape of non-negative integers (at most 64 dimensions) and
// 0 <= begin <= end <= buffer size with end - begin == numel * itemsize (checked arithmetic), and
// no two tensors overlap. __metadata__ must map strings to strings.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ir/tensor.h"

namespace mlexport::frontend::checkpoint {

// Tensors in header order; `metadata`, when given, receives __metadata__.
std::vector<std::pair<std::string, ir::Tensor>> load_safetensors(
    const std::string& path, std::map<std::string, std::string>* metadata = nullptr);
std::vector<std::pair<std::string, ir::Tensor>> load_safetensors_bytes(
    const void* data, size_t size, const std::string& name,
    std::map<std::string, std::string>* metadata = nullptr);

}  // namespace mlexport::frontend::checkpoint
