// The torch format's checker: a written torch.save file read back with mlexport's own reader.
#pragma once

#include <string>

namespace mlexport::emit {
struct TorchCheckpoint;  // emit/torch/torch_checkpoint.h
}

namespace mlexport::core {

// Reads `path` back with mlexport's own reader (frontend/checkpoint/torch_file.h) and checks it
// against `expected`: the top-level keys in order, the state dict an OrderedDict with the same
// names in order, every tensor's dtype, shape and bytes identical, and config and extra equal
// value for value (floats bit for bit). Returns a one-line report ("ok: 3 top-level keys, 12
// tensors, 44.7 MB"); throws Error(kInternal) naming the first difference. A file that does not
// load throws the reader's bad_input.
std::string verify_torch_checkpoint(const std::string& path, const emit::TorchCheckpoint& expected);

}  // namespace mlexport::core
