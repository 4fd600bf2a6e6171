#include "emit/openvino/translate.h"

#include <cmath>

#include "ir/ops/dims.h"
#include "ir/ops/infer.h"

namespace mlexport::emit::openvino {

ShapeMap resolve_shapes(const ir::Graph& graph) {
  ShapeMap out;
  for (const auto& [v, shape] : ir::ops::infer_shapes(graph)) {
    Dims& d = out[v];
    for (const ir::Dim& x : shape) d.push_back(x.is_fixed() ? x.size : -1);
  }
  return out;
}

Dims broadcast_dims(const Dims& a, const Dims& b) {
  ir::Shape sa, sb;
  for (int64_t d : a) sa.push_back(ir::ops::dim_of(d));
  for (int64_t d : b) sb.push_back(ir::ops::dim_of(d));
  Dims out;
  for (const ir::Dim& d : ir::ops::broadcast(sa, sb)) out.push_back(d.is_fixed() ? d.size : -1);
  return out;
}

int64_t normalize_axis(int64_t axis, size_t rank) {
  return ir::ops::normalize_axis(axis, rank);
}

namespace {

std::string dims_text(const Dims& d) {
  std::string s = "[";
  for (size_t k = 0; k < d.size(); ++k) s += (k ? "," : "") + std::to_string(d[k]);
  return s + "]";
}

// Compressing to f16 is only lossless enough when every value is inside f16's range.
bool fits_f16(const ir::Tensor& t) {
  const float* p = t.data<float>();
  for (int64_t k = 0; k < t.numel(); ++k)
    if (std::isfinite(p[k]) && std::fabs(p[k]) > 65504.0f) return false;
  return true;
}

}  // namespace

Error unsupported_variant(const ir::Node& n, const std::string& what) {
  return Error(ExitCode::kUnsupportedOps,
               "OpenVINO IR: " + n.op + " " + what + " at node " + n.name + " is not supported");
}

std::vector<int64_t> constant_ints(const ir::Node& n, size_t k, const std::string& what) {
  const ir::Value* v = n.input(k);
  if (!v || !v->is_constant()) throw unsupported_variant(n, "with a run-time " + what);
  return v->constant->to_int_vector();
}

std::vector<int64_t> ints_from(const ir::Node& n, const std::string& key, size_t k) {
  if (n.input(k)) return constant_ints(n, k, key);
  return n.ints(key);
}

const Dims& Context::dims(const ir::Value* v) const {
  auto it = shapes_.find(v);
  if (it == shapes_.end())
    throw Error(ExitCode::kInternal, "OpenVINO IR needs the rank of every tensor; %" +
                                         (v ? v->name : std::string("?")) + " has an unknown rank");
  return it->second;
}

OutRef Context::value(const ir::Value* v) {
  if (!v) throw internal_error("an omitted optional input was used");
  auto it = map_.find(v);
  if (it != map_.end()) return it->second;
  if (!v->is_constant()) throw internal_error("%" + v->name + " is used before it is computed");
  OutRef ref = weight(*v->constant, v->name);
  map_[v] = ref;
  return ref;
}

OutRef Context::in(const ir::Node& n, size_t k) {
  const ir::Value* v = n.input(k);
  if (!v) throw internal_error("node " + n.name + " lacks input " + std::to_string(k));
  return value(v);
}

void Context::bind(const ir::Value* v, OutRef ref) {
  PortInfo& p = b.info(ref);
  if (p.dtype != v->dtype)
    throw internal_error("%" + v->name + " is " + std::string(ir::dtype_name(v->dtype)) +
                         " but its translation gives " + std::string(ir::dtype_name(p.dtype)));
  auto it = shapes_.find(v);
  if (it != shapes_.end()) {
    const Dims& want = it->second;
    if (want.size() != p.dims.size())
      throw internal_error("%" + v->name + " has shape " + dims_text(want) +
                           " but its translation gives " + dims_text(p.dims));
    for (size_t k = 0; k < want.size(); ++k) {
      if (p.dims[k] < 0) p.dims[k] = want[k];
      if (want[k] >= 0 && p.dims[k] != want[k])
        throw internal_error("%" + v->name + " has shape " + dims_text(want) +
                             " but its translation gives " + dims_text(p.dims));
    }
  } else {
    shapes_[v] = p.dims;
  }
  p.names = p.names.empty() ? v->name : p.names + "," + v->name;
  map_[v] = ref;
}

OutRef Context::i64s(const std::vector<int64_t>& values, const std::string& name) {
  return b.constant(ir::Tensor::vector_int64(values), name);
}

OutRef Context::i64_scalar(int64_t value, const std::string& name) {
  return b.constant(ir::Tensor::scalar_int64(value), name);
}

OutRef Context::scalar(ir::DType dtype, double value, const std::string& name, bool as_1d) {
  ir::Tensor t = ir::Tensor::scalar_of(dtype, value);
  if (as_1d) t.shape = {1};
  return b.constant(t, name);
}

OutRef Context::weight(const ir::Tensor& tensor, const std::string& name) {
  if (!options_.compress_to_fp16 || tensor.dtype != ir::DType::Float32 || tensor.numel() < 2 ||
      !fits_f16(tensor))
    return b.constant(tensor, name);
  OutRef half = b.constant(tensor.cast(ir::DType::Float16), name + "/compressed");
  OutRef full = b.add1("Convert", "opset1", name, {half},
                       {{"destination_type", element_type_name(ir::DType::Float32)}},
                       ir::DType::Float32, tensor.shape);
  b.layer(full.layer).decompression = true;
  return full;
}

OutRef Context::unary(const std::string& type, const std::string& version, const std::string& name,
                      OutRef x, Attrs attrs) {
  return b.add1(type, version, name, {x}, std::move(attrs), dtype(x), dims(x));
}

OutRef Context::binary(const std::string& type, const std::string& name, OutRef a, OutRef b_,
                       Attrs extra) {
  Attrs attrs = {{"auto_broadcast", "numpy"}};
  attrs.insert(attrs.end(), extra.begin(), extra.end());
  return b.add1(type, "opset1", name, {a, b_}, std::move(attrs), dtype(a),
                broadcast_dims(dims(a), dims(b_)));
}

OutRef Context::compare(const std::string& type, const std::string& name, OutRef a, OutRef b_) {
  return b.add1(type, "opset1", name, {a, b_}, {{"auto_broadcast", "numpy"}}, ir::DType::Bool,
                broadcast_dims(dims(a), dims(b_)));
}

OutRef Context::convert(OutRef x, ir::DType to, const std::string& name) {
  return b.add1("Convert", "opset1", name, {x}, {{"destination_type", element_type_name(to)}}, to,
                dims(x));
}

OutRef Context::reshape(OutRef x, const std::vector<int64_t>& target, const std::string& name,
                        bool special_zero) {
  Dims in = dims(x);
  Dims out(target.begin(), target.end());
  int64_t total = 1, known = 1;
  for (int64_t d : in) total = (total < 0 || d < 0) ? -1 : total * d;
  int minus = -1;
  for (size_t k = 0; k < out.size(); ++k) {
    if (out[k] == 0 && special_zero) out[k] = k < in.size() ? in[k] : -1;
    if (target[k] == -1)
      minus = static_cast<int>(k);
    else
      known = (known < 0 || out[k] < 0) ? -1 : known * out[k];
  }
  if (minus >= 0) out[static_cast<size_t>(minus)] = (total >= 0 && known > 0) ? total / known : -1;
  OutRef shape = i64s(target, name + "/shape");
  return b.add1("Reshape", "opset1", name, {x, shape}, {{"special_zero", bool_attr(special_zero)}},
                dtype(x), out);
}

OutRef Context::unsqueeze(OutRef x, const std::vector<int64_t>& axes, const std::string& name) {
  Dims in = dims(x);
  size_t rank = in.size() + axes.size();
  std::vector<bool> inserted(rank, false);
  for (int64_t a : axes) inserted[static_cast<size_t>(normalize_axis(a, rank))] = true;
  Dims out;
  size_t src = 0;
  for (size_t k = 0; k < rank; ++k) out.push_back(inserted[k] ? 1 : in[src++]);
  OutRef axes_ref = i64s(axes, name + "/axes");
  return b.add1("Unsqueeze", "opset1", name, {x, axes_ref}, {}, dtype(x), out);
}

}  // namespace mlexport::emit::openvino
