// Writes torch.save-compatible checkpoints without LibTorch (the mirror of the safe reader in
// frontend/checkpoint). The torch format reads a written file back with that reader
// (core/formats/verify_torch_checkpoint.h).
//
// The file is what torch.save (torch 1.13, zip format) writes for
//   {"state_dict": OrderedDict(state_dict...), "config": config, <extra...>}
// a plain dict whose "config" is None when `config` is null. Layout: <archive>/data.pkl (a
// protocol-2 pickle, see pickle_writer.h), <archive>/byteorder ("little"), <archive>/data/<key>
// for each storage, <archive>/version ("3\n"); <archive> is the file name without its extension
// (as torch.save names it), or "archive" when that is not a plain name. Members are stored and
// 64-byte aligned; ZIP64 past 4 GiB (zip_writer.h). stock torch.load reads it; so does
// torch.load(path, weights_only=True) in torch 1.13 as long as config and extra hold no float
// and no bytes (1.13's weights-only unpickler lacks BINFLOAT and _codecs.encode; torch 2.x has
// them).
//
// Writing is atomic: a temporary file beside `path`, renamed into place once complete. On any
// failure nothing appears at `path` (a file already there is left as it was):
//  - bad_input: the folder does not exist or cannot hold a new file; state_dict names repeated;
//    an extra key equal to "state_dict", "config" or another extra key; a value the pickle writer
//    refuses (pickle_writer.h: inert objects, invalid UTF-8, a tensor buffer that does not fit
//    its shape, ...), named by its place in the tree;
//  - kInternal: the disk refused a write, sync or rename.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ir/tensor.h"
#include "pyvalue/value.h"

namespace mlexport::emit {

struct TorchCheckpoint {
  std::vector<std::pair<std::string, ir::Tensor>> state_dict;  // saved as collections.OrderedDict
  pyvalue::ValuePtr config;  // may be null (then saved as None); saved under "config"
  std::vector<std::pair<std::string, pyvalue::ValuePtr>> extra;  // more top-level keys, in order
};

struct TorchEmitResult {
  uint64_t bytes = 0;          // size of the written file
  size_t tensor_count = 0;     // tensors pickled (state dict and any in config/extra)
  size_t storage_count = 0;    // storage records (tensors sharing a buffer share one)
  uint64_t storage_bytes = 0;  // bytes of all storage records
};

TorchEmitResult emit_torch_checkpoint(const TorchCheckpoint& checkpoint, const std::string& path);

// The object emit_torch_checkpoint pickles (the top-level dict), e.g. to compare with what a
// reader gives back.
pyvalue::ValuePtr torch_checkpoint_value(const TorchCheckpoint& checkpoint);

}  // namespace mlexport::emit
