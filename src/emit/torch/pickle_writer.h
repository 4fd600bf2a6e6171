// Writes a pyvalue::Value tree as the protocol-2 pickle torch.save (torch 1.13) puts
// in <archive>/data.pkl; the tensors' bytes are not in the pickle but in storage records.
//
// What each kind becomes (the opcodes Python's own pickler picks at protocol 2, so a tree without
// tensors pickles byte for byte as pickle.dumps(obj, protocol=2) does):
//   None -> NONE; Bool -> NEWTRUE/NEWFALSE; Int -> BININT1/BININT2/BININT, else LONG1;
//   an Object of class "builtins.int" (decimal digits in `s`, the reader's form of integers beyond
//   int64) -> LONG1/LONG4; Float -> BINFLOAT (exact); String -> BINUNICODE (SHORT_BINUNICODE is a
//   protocol-4 opcode and torch 1.13's weights_only loader does not know it);
//   Bytes -> _codecs.encode(<latin-1 text>, 'latin1') (empty: __builtin__.bytes()), as Python 3
//   pickles bytes at protocol 2; Tuple -> EMPTY_TUPLE/TUPLE1-3/MARK..TUPLE; List -> EMPTY_LIST +
//   APPEND(S); Dict -> EMPTY_DICT + SETITEM(S); a Dict of class "collections.OrderedDict" ->
//   collections.OrderedDict() + SETITEM(S), then BUILD if it has a state (a state dict's
//   `_metadata`). APPENDS/SETITEMS come in batches of 1000 exactly as CPython's C pickler (the
//   one torch.save uses) cuts them.
//   Tensor -> torch._utils._rebuild_tensor_v2(storage, 0, size, contiguous stride, False,
//   collections.OrderedDict()) with the persistent id ('storage', torch.<Type>Storage, key, 'cpu',
//   numel). Tensors whose ir::Tensor shares one byte buffer (same shared_ptr) and dtype share one
//   storage; keys are "0", "1", ... in order of first use.
// Memo: like Python's pickler, every str, global, non-empty tuple, list, dict and call result gets
// a memo slot (BINPUT, LONG_BINPUT from 256 on). A Value node met a second time (a shared
// ValuePtr) is fetched from the memo, so Python sees one object; equal strings share a slot.
//
// Refused with bad_input naming the place in the tree: other kinds (inert Objects, Globals),
// other container classes (defaultdict, deque), strings that are not UTF-8, unhashable or
// duplicate dict keys (1, 1.0 and True are one key, as in Python), tensors whose byte buffer does
// not fit their shape, integers over 1 KiB, and nesting deeper than kMaxWriteDepth.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/tensor.h"
#include "pyvalue/value.h"

namespace mlexport::emit::torch {

inline constexpr int kMaxWriteDepth = 960;  // below the reader's limit, tensors need a few levels

// <archive>/data/<key> holds the whole buffer `bytes`, elements of `dtype`.
struct StorageRecord {
  std::string key;
  ir::DType dtype = ir::DType::Float32;
  std::shared_ptr<const std::vector<std::byte>> bytes;
};

struct PickledObject {
  std::string data;                     // the data.pkl bytes
  std::vector<StorageRecord> storages;  // keys "0", "1", ... in order of first use
  size_t tensor_count = 0;              // tensor objects in the pickle
};

PickledObject pickle_for_torch_save(const pyvalue::Value& root);

// torch's storage class for a dtype: "FloatStorage", "BFloat16Storage", "BoolStorage", ...
std::string_view storage_class_name(ir::DType dtype);

}  // namespace mlexport::emit::torch
