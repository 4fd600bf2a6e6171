// The unpickler's class, internal to the checkpoint readers. Its member functions are defined in
// one file per concern: pickle_machine.cpp (the opcode loop, the stack and the memo),
// pickle_literals.cpp (numbers and strings in opcode arguments), pickle_objects.cpp (dicts, lists,
// NEWOBJ, BUILD), pickle_tree.cpp (the finished tree's checks), pickle_policy.cpp (the deny list
// and the allow table that decide what a global may become), and the builders the table names:
// pickle_builtins.cpp (Python's containers and records), pickle_torch.cpp (storages and tensors),
// pickle_numpy.cpp (arrays and scalars).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "frontend/checkpoint/pickle.h"

namespace mlexport::frontend::checkpoint::detail {

using pyvalue::Value;
using pyvalue::ValuePtr;
using Kind = Value::Kind;
using MPtr = std::shared_ptr<Value>;  // a node while the unpickler still fills it in
using ir::DType;

constexpr size_t kMaxLongBytes = 1024;

inline bool is_container(const Value& v) {
  return v.kind == Kind::Tuple || v.kind == Kind::List || v.kind == Kind::Dict ||
         v.kind == Kind::Object;
}

class Unpickler {
 public:
  Unpickler(const std::byte* data, size_t size, size_t pos, const std::string& path,
            const std::string& part)
      : data_(reinterpret_cast<const uint8_t*>(data)),
        size_(size),
        pos_(pos),
        path_(path),
        part_(part) {}

  ~Unpickler() { break_references(); }

  PickleResult run();

  // A row of the allow list (policy 2 in pickle.h): calling `global` makes what `build` returns.
  // `builds` says whether the global makes a tensor (torch._tensor._rebuild_from_type accepts only
  // those) and whether mlexport can read that tensor.
  using Builder = MPtr (Unpickler::*)(const std::string& name, const std::vector<ValuePtr>& args);
  enum class Builds { kTensor, kUnreadable, kOther };
  struct AllowRule {
    std::string_view global;
    Builder build;
    Builds builds;
  };
  // The row for `global`, or nullptr when the allow list does not have it (pickle_policy.cpp).
  static const AllowRule* find_allow_rule(std::string_view global);

 private:
  // ---- pickle_machine.cpp ----
  [[noreturn]] void fail(const std::string& message) const;
  [[noreturn]] void refuse(const std::string& global, const std::string& why) const;
  void need(uint64_t n) const;
  uint8_t u8();
  uint64_t le(int n);
  std::string_view take(uint64_t n);
  std::string_view line();
  void count(size_t n = 1);
  MPtr make(Kind kind);
  MPtr make_int(int64_t i);
  MPtr make_string(Kind kind, std::string_view s);
  MPtr make_big_int(std::string digits);
  MPtr make_object(std::string class_name);
  MPtr none();
  MPtr boolean(bool b);
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(MPtr v);
  MPtr pop();
  MPtr& top();
  std::vector<MPtr> pop_mark();
  void memo_put(uint64_t index);
  void memo_get(uint64_t index);
  ValuePtr parse();

  // ---- pickle_literals.cpp ----
  MPtr make_long(std::string_view le_bytes);
  MPtr parse_decimal(std::string_view text);
  uint64_t parse_index(std::string_view text);
  std::string escape_decode(std::string_view q);
  std::string raw_unicode_escape(std::string_view in);
  MPtr encode_latin1(const std::string& text, const std::string& encoding);

  // ---- pickle_objects.cpp ----
  void dict_set(Value& d, ValuePtr key, ValuePtr value);
  void append_to(Value& target, std::vector<MPtr> items);
  void set_items(Value& target, std::vector<MPtr> items);
  void fill_dict(Value& d, const Value& src, const std::string& name);
  MPtr new_object(const Value& cls, std::vector<ValuePtr> args);
  void build(Value& target, MPtr state);

  // ---- pickle_tree.cpp ----
  void check_tree(const ValuePtr& root);
  [[noreturn]] void tree_too_big() const;
  void break_references();

  // ---- pickle_policy.cpp ----
  MPtr global(std::string_view module_in, std::string_view name);
  MPtr reduce(const Value& callable, const Value& args_value);
  MPtr call(const std::string& name, const std::vector<ValuePtr>& args);

  // ---- pickle_builtins.cpp: builders for Python's own classes ----
  MPtr record(const std::string& name, const std::vector<ValuePtr>& args);
  MPtr build_dict(const std::string& name, const std::vector<ValuePtr>& args);
  MPtr build_sequence(const std::string& name, const std::vector<ValuePtr>& args);
  MPtr build_bytes(const std::string& name, const std::vector<ValuePtr>& args);
  MPtr codecs_encode(const std::string& name, const std::vector<ValuePtr>& args);
  MPtr copyreg_reconstructor(const std::string& name, const std::vector<ValuePtr>& args);
  MPtr copyreg_newobj(const std::string& name, const std::vector<ValuePtr>& args);
  MPtr copyreg_newobj_ex(const std::string& name, const std::vector<ValuePtr>& args);

  // ---- pickle_torch.cpp: storages and the torch builders ----
  MPtr persistent_load(const Value& pid);
  std::vector<int64_t> int_list(const Value& v, const std::string& what);
  MPtr rebuild_tensor(const std::string& name, const std::vector<ValuePtr>& args, size_t min_args,
                      bool has_dtype);
  MPtr rebuild_tensor_v1(const std::string& name, const std::vector<ValuePtr>& args);
  MPtr rebuild_tensor_v2(const std::string& name, const std::vector<ValuePtr>& args);
  MPtr rebuild_tensor_v3(const std::string& name, const std::vector<ValuePtr>& args);
  MPtr rebuild_parameter(const std::string& name, const std::vector<ValuePtr>& args);
  MPtr rebuild_from_type(const std::string& name, const std::vector<ValuePtr>& args);
  MPtr first_argument(const std::string& name, const std::vector<ValuePtr>& args);

  // ---- pickle_numpy.cpp: numpy arrays and scalars ----
  std::optional<DType> dtype_of_numpy_record(const Value& d);
  MPtr numpy_tensor(DType dtype, const std::vector<int64_t>& shape, bool fortran,
                    std::string_view raw, const std::string& what);
  void numpy_setstate(Value& target, MPtr state);
  MPtr numpy_reconstruct(const std::string& name, const std::vector<ValuePtr>& args);
  MPtr numpy_scalar(const std::string& name, const std::vector<ValuePtr>& args);
  MPtr numpy_frombuffer(const std::string& name, const std::vector<ValuePtr>& args);

  const uint8_t* data_;
  size_t size_;
  size_t pos_;
  size_t op_pos_ = 0;
  std::string path_, part_;
  std::vector<MPtr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, MPtr> memo_;
  std::vector<MPtr> containers_;
  size_t objects_ = 0;
  MPtr none_, true_, false_;
  std::unordered_map<const Value*, StorageRef> storage_refs_;
  std::vector<PendingTensor> pending_;
  std::vector<StorageDecl> storages_;
  std::unordered_map<std::string, size_t> storage_index_;
  std::unordered_map<const Value*, std::unordered_multimap<uint64_t, size_t>> dict_index_;
  std::unordered_set<const Value*> reachable_tensors_;
};

}  // namespace mlexport::frontend::checkpoint::detail
