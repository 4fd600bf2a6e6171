// mlexport's own unpickler: reads the pickles inside torch.save files into inert pyvalue::Value
// trees.
//
// It never executes anything and never imports anything. Opcodes of protocols 0 to 5 are read
// (PROTO, FRAME, MARK, STOP, POP, POP_MARK, DUP, the memo ops PUT/BINPUT/LONG_BINPUT/MEMOIZE and
// GET/BINGET/LONG_BINGET, NONE, NEWTRUE/NEWFALSE, INT/BININT/BININT1/BININT2/LONG/LONG1/LONG4,
// FLOAT/BINFLOAT, STRING/BINSTRING/SHORT_BINSTRING, UNICODE/BINUNICODE/SHORT_BINUNICODE/
// BINUNICODE8, BINBYTES/SHORT_BINBYTES/BINBYTES8/BYTEARRAY8, the tuple, list, dict and set ops,
// GLOBAL/STACK_GLOBAL, REDUCE, BUILD, NEWOBJ/NEWOBJ_EX, INST/OBJ, BINPERSID, READONLY_BUFFER).
// EXT1/EXT2/EXT4 (the copyreg extension registry), NEXT_BUFFER (out-of-band buffers) and text
// persistent ids (PERSID) are refused as malformed input.
//
// THE POLICY FOR GLOBALS (what a pickle may name, and what it becomes)
//
// 1. Deny list (kDeniedTopModules, kDeniedModules, kDeniedNames in pickle_policy.cpp). A
//    GLOBAL/STACK_GLOBAL/INST naming a module that can run code, touch files, processes or the
//    network, or load another pickle (os, subprocess, sys, importlib, socket, pickle, ctypes,
//    torch._C, torch.jit, numpy.lib.npyio, ..., and their submodules), or a single name such as
//    torch.load, builtins.eval or builtins.getattr, is refused at once, whatever follows; only
//    kDenyExceptions (types.SimpleNamespace, LibTorch's torch.jit._pickle container tags) pass.
//    Error: "<path>: refuses to load: the pickle calls os.system (...)".
//
// 2. Allow table (kAllowList in pickle_policy.cpp, one row a global: its name, the builder that
//    makes the result, whether that is a tensor). REDUCE (and INST/OBJ, which call a class with
//    arguments) of a global in the table runs its builder; of any other global, or of anything
//    that is not a global, it is refused naming it: "<path>: refuses to load: the pickle calls
//    mymodule.func (not on the allow-list of tensor and container builders; ...)". The builders:
//    - torch (pickle_torch.cpp): the torch._utils._rebuild_tensor* family -> Tensor (rebuilt
//      from the storage, see materialize); parameters -> their Tensor;
//      torch._tensor._rebuild_from_type(_v2)(func, type, args, state) -> func(*args) when the table
//      marks func as a tensor builder (the subclass type and Python state are dropped); tensor
//      kinds mlexport cannot read (quantized, sparse, nested, ...) -> inert Objects named after
//      the function, which tensors_of() reports.
//    - Python's classes (pickle_builtins.cpp): dict-like -> Dict, list/deque -> List,
//      tuple/torch.Size -> Tuple, set/frozenset -> set Object, _codecs.encode(str, 'latin1'),
//      bytes and bytearray -> Bytes; copyreg._reconstructor(cls, base, state) -> Object of cls,
//      when cls and base are globals; copyreg.__newobj__ and __newobj_ex__ -> as NEWOBJ.
//    - numpy (pickle_numpy.cpp; numpy.core.* of numpy 1 and numpy._core.* of numpy 2): arrays ->
//      Tensor for the dtypes ir::DType has, else an inert Object; scalars -> Bool/Int/Float.
//    - Inert records (Object with the arguments in items): every other row, such as torch.device,
//      datetime, pathlib, argparse.Namespace and Lightning's AttributeDict.
//    An enum member (REDUCE of the enum class) or any object with a custom __reduce__ returning a
//    callable not in the table is therefore refused: an attacker's payload has exactly that shape.
//    So is torch.storage._load_from_bytes (tensors written by pickle.dump, not torch.save: it
//    would run a nested torch.load), with a hint to re-save with torch.save.
//
// 3. NEWOBJ/NEWOBJ_EX (cls.__new__(cls, *args): how protocol 2+ pickles plain class instances,
//    argparse.Namespace, dataclasses, a trainer's config class, dict/list subclasses) of any
//    global not on the deny list makes an inert Object of that class (OrderedDict/dict -> Dict,
//    list -> List, set -> set Object, tuple/torch.Size -> Tuple). BUILD then sets its attributes
//    (a dict state, or the (dict, slots) pair) or its state (anything else); SETITEM(S) and
//    APPEND(S) on it record dict and list items. NEWOBJ of something that is not a global is
//    malformed; NEWOBJ of a torch._utils.*, torch._tensor.* or copyreg.* function is refused.
//
// 4. A global that is only referenced (a dtype like torch.float32, a class stored as a
//    hyper-parameter) becomes a Value of kind Global.
//
// Persistent ids (BINPERSID) must be ('storage', storage_type, key, location, numel) (zip format)
// or ('storage', storage_type, root_key, location, numel, view_metadata) (legacy format).
// storage_type is a global whose last name component gives the element type, as torch's own
// find_class does: Float, Double, Half, BFloat16, Long, Int, Short, Char, Byte, Bool Storage, or
// UntypedStorage (bytes; _rebuild_tensor_v3 then names the dtype). Other storages (complex,
// quantized) are refused as unsupported. ('module', cls, source_file, source) of legacy
// whole-model pickles gives the class as a Global.
//
// Limits (each breach is one bad_input line): kMaxObjects objects and references, kMaxDepth levels
// of nesting in the result, kMaxExpandedNodes nodes when shared subtrees are counted at every place
// they appear (a memo bomb), no cycles, 64 tensor dimensions, integers of at most 1 KiB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ir/tensor.h"
#include "mlexport/diagnostics.h"
#include "pyvalue/value.h"

namespace mlexport::frontend::checkpoint {

// The bad_input error for a pickle that asks to run code (policy 1 and 2 above). Callers that try
// several readings of a file (torch_file.cpp's legacy probe) never turn it into another message.
class RefusedPickle : public Error {
 public:
  explicit RefusedPickle(const std::string& message) : Error(ExitCode::kBadInput, message) {}
};

inline constexpr size_t kMaxObjects = 20'000'000;
inline constexpr int kMaxDepth = 1000;
inline constexpr uint64_t kMaxExpandedNodes = 20'000'000;
inline constexpr size_t kMaxTensorRank = 64;

namespace detail {

// A storage as a persistent id names it: `nbytes` bytes starting `byte_offset` bytes into the
// record `key` (a legacy storage view starts inside its root storage).
struct StorageRef {
  std::string key;
  ir::DType dtype = ir::DType::UInt8;  // the storage type's element type
  uint64_t byte_offset = 0;
  uint64_t nbytes = 0;
};

// A tensor whose bytes are copied from its storage after unpickling (legacy files store the
// storages after the pickle). `value` is the Tensor node in the tree; shape and dtype are set.
struct PendingTensor {
  std::shared_ptr<pyvalue::Value> value;
  StorageRef storage;
  int64_t offset = 0;  // in elements of value->tensor.dtype
  std::vector<int64_t> strides;
};

// First declaration of each storage key: element type and element count as the pickle states them.
struct StorageDecl {
  std::string key;
  ir::DType dtype = ir::DType::UInt8;
  uint64_t numel = 0;
  uint64_t nbytes = 0;
};

struct PickleResult {
  pyvalue::ValuePtr root;
  std::vector<PendingTensor> tensors;  // only those reachable from root
  std::vector<StorageDecl> storages;   // in order of first reference
  size_t end = 0;                      // offset just past STOP
};

// Parses one pickle starting at data[offset]. Errors read "<path>: ..." and name `part`
// ("data.pkl") and the byte offset of the opcode at fault.
PickleResult unpickle(const std::byte* data, size_t size, size_t offset, const std::string& path,
                      const std::string& part);

// The bytes of storage `key` (the whole record); throws bad_input when there is none.
using StorageLookup = std::function<std::span<const std::byte>(const std::string& key)>;

// Copies every pending tensor out of its storage into a dense row-major buffer: one memcpy for a
// contiguous tensor, a block-wise strided copy otherwise. Checks that each view lies inside its
// storage and that the total output stays below max_total_bytes (expanded views with stride 0
// could otherwise ask for terabytes).
void materialize(std::vector<PendingTensor>& tensors, const StorageLookup& lookup,
                 const std::string& path, uint64_t max_total_bytes);

// Whether `name` is a torch tensor builder whose tensor kind mlexport cannot read (the allow
// table's rows marked kUnreadable); such calls become Objects of that class name.
bool is_unreadable_tensor_builder(std::string_view name);

}  // namespace detail

// Loads one standalone pickle from memory (no torch storages: a persistent id is refused). For
// tests and fuzzing; `name` prefixes errors.
pyvalue::ValuePtr load_pickle_bytes(const void* data, size_t size, const std::string& name);

}  // namespace mlexport::frontend::checkpoint
