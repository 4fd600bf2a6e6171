// torch.save files, read without LibTorch and without running anything from them.
//
// Both formats torch.save writes are read:
//  - the zip format (PyTorch >= 1.6): <name>/data.pkl, the storages <name>/data/<key>, a version
//    record and (newer PyTorch) <name>/byteorder; members are stored, so every storage is a view
//    into the mapped file and each tensor is one memcpy out of it (deflated members, e.g. a
//    re-zipped checkpoint, are inflated first);
//  - the legacy format (_use_new_zipfile_serialization=False, PyTorch < 1.6): the pickles of the
//    magic number, the protocol version and sys_info, then the object, then the list of storage
//    keys, then each storage as an 8-byte little-endian element count followed by its bytes.
// The pre-0.4 tar format and big-endian files are refused.
//
// The object pickle is read by the unpickler in pickle.h (policy on globals documented there).
// Tensors come back as dense row-major ir::Tensors (non-contiguous views are materialized);
// everything else as inert pyvalue::Values. Every malformed input throws one bad_input line
// "<path>: <reason>" and nothing is returned.
#pragma once

#include <cstddef>
#include <string>

#include "pyvalue/value.h"

namespace mlexport::frontend::checkpoint {

pyvalue::ValuePtr load_torch_file(const std::string& path);
// The same from memory (fuzzing, embedded data); `name` stands in for the path in messages.
pyvalue::ValuePtr load_torch_bytes(const void* data, size_t size, const std::string& name);

}  // namespace mlexport::frontend::checkpoint
