// An inert Python object tree: the pickle value model shared by mlexport's own unpickler
// (frontend/checkpoint makes one of a torch.save checkpoint) and its torch.save writer (emit/torch
// pickles one).
//
// Nothing in a checkpoint is ever executed. Tensors are rebuilt from their storages into dense,
// row-major ir::Tensors; every other object becomes plain data (see frontend/checkpoint/pickle.h
// for the exact policy on which globals may appear and what each becomes).
//
// Ownership: a tree is immutable once built (ValuePtr = shared_ptr<const Value>). Subtrees can be
// shared (the pickle memo makes one Python object appear at several places, e.g. one tensor under
// two names), but a loaded tree never has a cycle and its depth is bounded (the reader's
// kMaxDepth).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ir/tensor.h"

namespace mlexport::pyvalue {

struct Value;
using ValuePtr = std::shared_ptr<const Value>;

struct Value {
  enum class Kind {
    None,
    Bool,    // b
    Int,     // i (integers outside int64 are Objects of class "builtins.int", s = decimal digits)
    Float,   // f
    String,  // s (UTF-8 as the pickle stored it)
    Bytes,   // s (raw bytes)
    Tuple,   // items
    List,    // items (class_name "collections.deque" for a deque)
    Dict,    // entries in insertion order; class_name "collections.OrderedDict" (or
             // "collections.defaultdict", "collections.Counter") when not a plain dict; state holds
             // the BUILD state if the pickle set one (an OrderedDict state dict's `_metadata`)
    Tensor,  // tensor
    Object,  // an inert record of any other object: class_name "module.QualName"; items are the
             // constructor arguments (then appended elements for list subclasses); entries are its
             // attribute dict (BUILD with a dict, or dict items for dict subclasses); state is a
             // BUILD state that was not a dict. Sets are class "builtins.set"/"builtins.frozenset"
             // with the elements in items.
    Global,  // a reference to a class or function that was never called: class_name holds its
             // "module.name" (torch.float32, a class stored as a hyper-parameter, ...)
  };

  Kind kind = Kind::None;
  bool b = false;
  int64_t i = 0;
  double f = 0.0;
  std::string s;
  std::vector<ValuePtr> items;
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;
  ir::Tensor tensor;
  std::string class_name;
  ValuePtr state;

  bool is(Kind k) const { return kind == k; }
  bool is_none() const { return kind == Kind::None; }
  bool is_string() const { return kind == Kind::String; }
  bool is_tensor() const { return kind == Kind::Tensor; }
  bool is_dict_like() const { return kind == Kind::Dict || kind == Kind::Object; }

  // Dict (or Object attribute) lookup by string key: the value, or nullptr.
  const Value* get(std::string_view key) const;
  // A short Python-like rendering for messages: containers show their first few elements, strings
  // are clipped, tensors show dtype and shape; nesting deeper than max_depth prints "...".
  std::string repr(int max_depth = 2) const;

  static std::string_view kind_name(Kind kind);
};

}  // namespace mlexport::pyvalue
