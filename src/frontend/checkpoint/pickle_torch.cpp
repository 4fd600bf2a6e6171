// torch.save's tensors: the persistent ids that name storages (their element type, key and size),
// and the torch._utils/torch._tensor builders that the allow table sends here. A readable tensor
// is checked against its storage's bounds and queued as a PendingTensor, whose bytes
// materialize() copies once the storages are at hand; torch.jit's typed-container helpers give
// back their argument.
#include "frontend/checkpoint/pickle_machine.h"
#include "frontend/checkpoint/size_math.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::checkpoint::detail {
namespace {

std::optional<DType> storage_dtype(std::string_view name) {
  // find_class in torch.serialization maps any name containing "Storage" by its last component.
  const auto dot = name.rfind('.');
  const std::string_view last = dot == std::string_view::npos ? name : name.substr(dot + 1);
  struct Entry {
    std::string_view name;
    DType dtype;
  };
  static constexpr Entry kTable[] = {
      {"FloatStorage", DType::Float32}, {"DoubleStorage", DType::Float64},
      {"HalfStorage", DType::Float16},  {"BFloat16Storage", DType::BFloat16},
      {"LongStorage", DType::Int64},    {"IntStorage", DType::Int32},
      {"ShortStorage", DType::Int16},   {"CharStorage", DType::Int8},
      {"ByteStorage", DType::UInt8},    {"BoolStorage", DType::Bool},
      {"UntypedStorage", DType::UInt8}, {"_UntypedStorage", DType::UInt8}};
  for (const auto& e : kTable)
    if (last == e.name) return e.dtype;
  return std::nullopt;
}

std::optional<DType> torch_dtype(std::string_view name) {
  struct Entry {
    std::string_view name;
    DType dtype;
  };
  static constexpr Entry kTable[] = {
      {"torch.float32", DType::Float32},   {"torch.float", DType::Float32},
      {"torch.float64", DType::Float64},   {"torch.double", DType::Float64},
      {"torch.float16", DType::Float16},   {"torch.half", DType::Float16},
      {"torch.bfloat16", DType::BFloat16}, {"torch.int64", DType::Int64},
      {"torch.long", DType::Int64},        {"torch.int32", DType::Int32},
      {"torch.int", DType::Int32},         {"torch.int16", DType::Int16},
      {"torch.short", DType::Int16},       {"torch.int8", DType::Int8},
      {"torch.uint8", DType::UInt8},       {"torch.bool", DType::Bool}};
  for (const auto& e : kTable)
    if (name == e.name) return e.dtype;
  return std::nullopt;
}

}  // namespace

MPtr Unpickler::persistent_load(const Value& pid) {
  if (pid.kind != Kind::Tuple || pid.items.empty() ||
      (pid.items[0]->kind != Kind::String && pid.items[0]->kind != Kind::Bytes))
    fail("a persistent id is not a ('storage', ...) tuple");
  const std::string& type = pid.items[0]->s;
  if (type == "module") {
    if (pid.items.size() != 4 || pid.items[1]->kind != Kind::Global)
      fail("malformed ('module', ...) persistent id");
    return std::const_pointer_cast<Value>(pid.items[1]);
  }
  if (type != "storage") fail("unknown persistent id type '" + type + "'");
  if (pid.items.size() != 5 && pid.items.size() != 6)
    fail("a storage persistent id has " + std::to_string(pid.items.size()) + " fields, not 5 or 6");
  const Value& storage_type = *pid.items[1];
  const Value& key = *pid.items[2];
  const Value& numel = *pid.items[4];
  if (storage_type.kind != Kind::Global) fail("storage type is not a global");
  const auto dtype = storage_dtype(storage_type.class_name);
  if (!dtype) {
    if (storage_type.class_name.find("Storage") == std::string::npos)
      fail("storage type " + storage_type.class_name + " is not a storage class");
    throw bad_input(path_ + ": storage type " + storage_type.class_name +
                    " is not supported (supported: Float, Double, Half, BFloat16, Long, Int, "
                    "Short, Char, Byte, Bool and Untyped storages)");
  }
  if (key.kind != Kind::String && key.kind != Kind::Bytes) fail("storage key is not a string");
  if (key.s.empty() || key.s.size() > 256 || key.s.find('/') != std::string::npos ||
      key.s.find('\\') != std::string::npos || key.s.find('\0') != std::string::npos ||
      key.s == "." || key.s == "..")
    fail("bad storage key '" + key.s.substr(0, 64) + "'");
  if (numel.kind != Kind::Int || numel.i < 0) fail("storage size is not a non-negative integer");
  const size_t itemsize = ir::dtype_size(*dtype);
  uint64_t nbytes = 0;
  if (!mul_ok(static_cast<uint64_t>(numel.i), itemsize, &nbytes) || nbytes > (uint64_t(1) << 56))
    fail("absurd storage size " + std::to_string(numel.i));

  StorageRef ref{key.s, *dtype, 0, nbytes};
  auto it = storage_index_.find(key.s);
  if (it == storage_index_.end()) {
    storage_index_.emplace(key.s, storages_.size());
    storages_.push_back({key.s, *dtype, static_cast<uint64_t>(numel.i), nbytes});
  } else {
    // torch reads a storage once, at its first reference; later ones reuse it.
    ref.nbytes = storages_[it->second].nbytes;
  }
  if (pid.items.size() == 6 && pid.items[5]->kind != Kind::None) {  // legacy storage view
    const Value& view = *pid.items[5];
    if (view.kind != Kind::Tuple || view.items.size() != 3 || view.items[1]->kind != Kind::Int ||
        view.items[2]->kind != Kind::Int || view.items[1]->i < 0 || view.items[2]->i < 0)
      fail("malformed storage view metadata");
    uint64_t off = 0, len = 0, end = 0;
    if (!mul_ok(view.items[1]->i, itemsize, &off) || !mul_ok(view.items[2]->i, itemsize, &len) ||
        !add_ok(off, len, &end) || end > ref.nbytes)
      fail("storage view lies outside its storage");
    ref.byte_offset = off;
    ref.nbytes = len;
  }
  auto v = make_object(storage_type.class_name);
  v->items = {pid.items[2], pid.items[3], pid.items[4]};
  storage_refs_[v.get()] = std::move(ref);
  return v;
}

std::vector<int64_t> Unpickler::int_list(const Value& v, const std::string& what) {
  if (v.kind != Kind::Tuple && v.kind != Kind::List) fail(what + " is not a tuple");
  if (v.items.size() > kMaxTensorRank) fail(what + " has more than 64 dimensions");
  std::vector<int64_t> out;
  out.reserve(v.items.size());
  for (const auto& item : v.items) {
    if (item->kind != Kind::Int) fail(what + " holds a non-integer");
    out.push_back(item->i);
  }
  return out;
}

MPtr Unpickler::rebuild_tensor(const std::string& name, const std::vector<ValuePtr>& args,
                               size_t min_args, bool has_dtype) {
  if (args.size() < min_args || args.size() > min_args + 1)
    fail(name + " takes " + std::to_string(min_args) + " or " + std::to_string(min_args + 1) +
         " arguments, not " + std::to_string(args.size()));
  auto sit = storage_refs_.find(args[0].get());
  if (sit == storage_refs_.end()) fail(name + ": the first argument is not a storage");
  const StorageRef& storage = sit->second;
  if (args[1]->kind != Kind::Int || args[1]->i < 0) fail(name + ": bad storage offset");
  const int64_t offset = args[1]->i;
  std::vector<int64_t> sizes = int_list(*args[2], "tensor size");
  std::vector<int64_t> strides = int_list(*args[3], "tensor stride");
  if (sizes.size() != strides.size()) fail("tensor size and stride differ in length");
  DType dtype = storage.dtype;
  if (has_dtype) {
    const Value& d = *args[6];
    if (d.kind != Kind::Global) fail(name + ": dtype is not a torch dtype");
    const auto parsed = torch_dtype(d.class_name);
    if (!parsed) throw bad_input(path_ + ": tensor dtype " + d.class_name + " is not supported");
    dtype = *parsed;
  }
  const uint64_t itemsize = ir::dtype_size(dtype);
  // Bounds: the furthest element must lie inside the storage.
  uint64_t numel = 1, last = static_cast<uint64_t>(offset);
  bool empty = false;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] < 0) fail("negative tensor size " + std::to_string(sizes[d]));
    if (strides[d] < 0) fail("negative tensor stride " + std::to_string(strides[d]));
    if (sizes[d] == 0) empty = true;
  }
  if (!empty) {
    for (size_t d = 0; d < sizes.size(); ++d) {
      uint64_t span = 0;
      if (!mul_ok(numel, static_cast<uint64_t>(sizes[d]), &numel) ||
          !mul_ok(static_cast<uint64_t>(sizes[d] - 1), static_cast<uint64_t>(strides[d]), &span) ||
          !add_ok(last, span, &last))
        fail("absurd tensor size");
    }
    uint64_t end_bytes = 0;
    if (!add_ok(last, 1, &end_bytes) || !mul_ok(end_bytes, itemsize, &end_bytes) ||
        end_bytes > storage.nbytes)
      throw bad_input(path_ + ": a tensor of shape " + ir::shape_to_string(sizes) + " (stride " +
                      ir::shape_to_string(strides) + ", offset " + std::to_string(offset) +
                      ") reaches beyond its storage '" + storage.key + "' of " +
                      std::to_string(storage.nbytes) + " bytes");
    uint64_t out_bytes = 0;
    if (!mul_ok(numel, itemsize, &out_bytes) || out_bytes > (uint64_t(1) << 56))
      fail("absurd tensor size");
  }
  auto v = make(Kind::Tensor);
  v->tensor.dtype = dtype;
  v->tensor.shape = std::move(sizes);
  pending_.push_back({v, storage, offset, std::move(strides)});
  return v;
}

MPtr Unpickler::rebuild_tensor_v1(const std::string& name, const std::vector<ValuePtr>& args) {
  return rebuild_tensor(name, args, 4, false);
}

MPtr Unpickler::rebuild_tensor_v2(const std::string& name, const std::vector<ValuePtr>& args) {
  return rebuild_tensor(name, args, 6, false);
}

// v3 names the dtype (its storage is untyped).
MPtr Unpickler::rebuild_tensor_v3(const std::string& name, const std::vector<ValuePtr>& args) {
  return rebuild_tensor(name, args, 7, true);
}

// An nn.Parameter is its tensor here (requires_grad, hooks and state are dropped).
MPtr Unpickler::rebuild_parameter(const std::string& name, const std::vector<ValuePtr>& args) {
  if (args.size() < 3 || args.size() > 4) fail(name + " takes 3 or 4 arguments");
  if (args[0]->kind != Kind::Tensor) fail(name + " of something that is not a tensor");
  return std::const_pointer_cast<Value>(args[0]);
}

// (func, type, args, state) of a tensor subclass: func(*args) when func builds a tensor; the
// subclass type and its Python state are dropped.
MPtr Unpickler::rebuild_from_type(const std::string& name, const std::vector<ValuePtr>& args) {
  if (args.size() != 4) fail(name + " takes 4 arguments");
  if (args[2]->kind != Kind::Tuple) fail(name + ": arguments are not a tuple");
  if (args[0]->kind != Kind::Global) refuse("a non-global", "inside " + name);
  const std::string& inner = args[0]->class_name;
  const AllowRule* rule = find_allow_rule(inner);
  if (!rule || rule->builds == Builds::kOther)
    refuse(inner, "through " + name + ", which is allowed only for tensor builders");
  return call(inner, args[2]->items);
}

// LibTorch's own pickler tags typed containers with torch.jit._pickle helpers that only return
// their first argument.
MPtr Unpickler::first_argument(const std::string& name, const std::vector<ValuePtr>& args) {
  if (args.empty()) fail(name + " takes at least one argument");
  return std::const_pointer_cast<Value>(args[0]);
}

}  // namespace mlexport::frontend::checkpoint::detail
