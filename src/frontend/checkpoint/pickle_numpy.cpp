// numpy objects inside checkpoints: arrays (ndarray._reconstruct then BUILD with the array state,
// or numpy 2's _frombuffer) become Tensors when ir::DType has their dtype and they are
// little-endian, scalars become Bool/Int/Float; anything else stays an inert record. Fortran-order
// arrays are copied into row-major order.
#include <cstring>

#include "frontend/checkpoint/bytes.h"
#include "frontend/checkpoint/pickle_machine.h"
#include "frontend/checkpoint/pickle_materialize.h"
#include "frontend/checkpoint/size_math.h"

namespace mlexport::frontend::checkpoint::detail {
namespace {

// numpy dtype strings as numpy.dtype(...) receives them ("f4", "<f8", "b1", ...).
std::optional<DType> numpy_dtype(std::string_view descr) {
  if (!descr.empty() && (descr[0] == '<' || descr[0] == '|' || descr[0] == '='))
    descr.remove_prefix(1);
  struct Entry {
    std::string_view name;
    DType dtype;
  };
  static constexpr Entry kTable[] = {
      {"f4", DType::Float32}, {"f8", DType::Float64}, {"f2", DType::Float16},
      {"i8", DType::Int64},   {"i4", DType::Int32},   {"i2", DType::Int16},
      {"i1", DType::Int8},    {"u1", DType::UInt8},   {"b1", DType::Bool}};
  for (const auto& e : kTable)
    if (descr == e.name) return e.dtype;
  return std::nullopt;
}

}  // namespace

std::optional<DType> Unpickler::dtype_of_numpy_record(const Value& d) {
  if (d.kind != Kind::Object || d.class_name != "numpy.dtype" || d.items.empty() ||
      d.items[0]->kind != Kind::String)
    return std::nullopt;
  // The byte order lives in the BUILD state: (3, '<', ...).
  if (d.state && d.state->kind == Kind::Tuple && d.state->items.size() > 1 &&
      d.state->items[1]->kind == Kind::String && d.state->items[1]->s == ">")
    return std::nullopt;
  return numpy_dtype(d.items[0]->s);
}

MPtr Unpickler::numpy_tensor(DType dtype, const std::vector<int64_t>& shape, bool fortran,
                             std::string_view raw, const std::string& what) {
  uint64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) fail(what + ": negative array dimension");
    if (!mul_ok(numel, static_cast<uint64_t>(d), &numel)) fail(what + ": absurd array size");
  }
  uint64_t nbytes = 0;
  if (!mul_ok(numel, ir::dtype_size(dtype), &nbytes) || nbytes != raw.size())
    fail(what + ": array data holds " + std::to_string(raw.size()) + " bytes, not " +
         std::to_string(nbytes));
  auto v = make(Kind::Tensor);
  v->tensor.dtype = dtype;
  v->tensor.shape = shape;
  const auto* src = reinterpret_cast<const std::byte*>(raw.data());
  if (!fortran || shape.size() < 2) {
    v->tensor.bytes = copy_of(src, raw.size());
  } else {
    v->tensor.bytes = zeroed(raw.size());
    std::vector<int64_t> strides(shape.size());
    int64_t s = 1;
    for (size_t d = 0; d < shape.size(); ++d) {
      strides[d] = s;
      s *= shape[d];
    }
    copy_strided(src, ir::dtype_size(dtype), 0, shape, strides, v->tensor.raw());
  }
  return v;
}

// ndarray.__setstate__((version, shape, dtype, is_fortran, rawdata)): becomes a Tensor in place
// when the dtype is one ir::DType has, else stays an inert record with the state.
void Unpickler::numpy_setstate(Value& target, MPtr state) {
  if (state->kind != Kind::Tuple || (state->items.size() != 5 && state->items.size() != 4))
    fail("numpy array state is not a (version, shape, dtype, fortran, data) tuple");
  const auto& it = state->items;
  const size_t base = it.size() == 5 ? 1 : 0;
  const std::vector<int64_t> shape = int_list(*it[base], "numpy array shape");
  const auto dtype = dtype_of_numpy_record(*it[base + 1]);
  const Value& raw = *it[base + 3];
  if (!dtype || raw.kind != Kind::Bytes || it[base + 2]->kind != Kind::Bool) {
    target.state = std::move(state);
    return;
  }
  MPtr t = numpy_tensor(*dtype, shape, it[base + 2]->b, raw.s, "numpy array");
  target.kind = Kind::Tensor;
  target.tensor = std::move(t->tensor);
  target.items.clear();
  target.class_name.clear();
}

// numpy.core.multiarray._reconstruct(ndarray, (0,), b'b'): an empty array that BUILD fills in.
MPtr Unpickler::numpy_reconstruct(const std::string&, const std::vector<ValuePtr>& args) {
  auto obj = make_object("numpy.ndarray");
  obj->items = args;
  return obj;
}

MPtr Unpickler::numpy_scalar(const std::string& name, const std::vector<ValuePtr>& args) {
  if (args.size() != 2 || args[1]->kind != Kind::Bytes) return record(name, args);
  const auto dtype = dtype_of_numpy_record(*args[0]);
  if (!dtype || args[1]->s.size() != ir::dtype_size(*dtype)) return record(name, args);
  ir::Tensor t(*dtype, {});
  std::memcpy(t.raw(), args[1]->s.data(), t.nbytes());
  if (*dtype == DType::Bool) return boolean(t.raw()[0] != std::byte{0});
  if (ir::is_floating(*dtype)) {
    auto v = make(Kind::Float);
    v->f = t.value_as_double(0);
    return v;
  }
  return make_int(t.value_as_int(0));
}

MPtr Unpickler::numpy_frombuffer(const std::string& name, const std::vector<ValuePtr>& args) {
  if (args.size() != 4 || args[0]->kind != Kind::Bytes || args[3]->kind != Kind::String)
    return record(name, args);
  const auto dtype = dtype_of_numpy_record(*args[1]);
  if (!dtype) return record(name, args);
  return numpy_tensor(*dtype, int_list(*args[2], "numpy array shape"), args[3]->s == "F",
                      args[0]->s, "numpy array");
}

}  // namespace mlexport::frontend::checkpoint::detail
