// Evaluates nodes whose inputs are all constants (the small shape arithmetic translators emit).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <optional>

#include "passes/pass.h"

namespace mlexport::passes {
namespace {

using ir::DType;
using ir::Tensor;

int64_t normalize_axis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

std::optional<Tensor> transpose(const Tensor& t, std::vector<int64_t> perm) {
  const size_t rank = t.shape.size();
  if (perm.empty())
    for (size_t k = 0; k < rank; ++k) perm.push_back(static_cast<int64_t>(rank - 1 - k));
  if (perm.size() != rank) return std::nullopt;
  std::vector<int64_t> out_shape(rank), in_strides(rank, 1);
  for (size_t k = rank; k-- > 1;) in_strides[k - 1] = in_strides[k] * t.shape[k];
  for (size_t k = 0; k < rank; ++k) out_shape[k] = t.shape[static_cast<size_t>(perm[k])];
  Tensor out(t.dtype, out_shape);
  const size_t elem = ir::dtype_size(t.dtype);
  std::vector<int64_t> index(rank, 0);
  const int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) {
    int64_t src = 0;
    for (size_t k = 0; k < rank; ++k) src += index[k] * in_strides[static_cast<size_t>(perm[k])];
    std::memcpy(out.raw() + i * elem, t.raw() + src * elem, elem);
    for (size_t k = rank; k-- > 0;) {
      if (++index[k] < out_shape[k]) break;
      index[k] = 0;
    }
  }
  return out;
}

std::optional<Tensor> reshape(const Tensor& t, std::vector<int64_t> shape, bool allow_zero) {
  int64_t known = 1, infer = -1;
  for (size_t k = 0; k < shape.size(); ++k) {
    if (shape[k] == 0 && !allow_zero) {
      if (k >= t.shape.size()) return std::nullopt;
      shape[k] = t.shape[k];
    }
    if (shape[k] == -1) {
      infer = static_cast<int64_t>(k);
    } else {
      known *= shape[k];
    }
  }
  if (infer >= 0) {
    if (known == 0) return std::nullopt;
    shape[static_cast<size_t>(infer)] = t.numel() / known;
  }
  if (ir::shape_numel(shape) != t.numel()) return std::nullopt;
  Tensor out = t;
  out.shape = shape;
  return out;
}

// Binary arithmetic with numpy broadcasting, computed in double (int64 kept exact).
std::optional<Tensor> binary(const std::string& op, const Tensor& a, const Tensor& b) {
  if (a.dtype != b.dtype) return std::nullopt;
  const size_t rank = std::max(a.shape.size(), b.shape.size());
  std::vector<int64_t> shape(rank);
  auto dim = [&](const Tensor& t, size_t k) {
    size_t off = rank - t.shape.size();
    return k < off ? int64_t{1} : t.shape[k - off];
  };
  for (size_t k = 0; k < rank; ++k) {
    int64_t da = dim(a, k), db = dim(b, k);
    if (da != db && da != 1 && db != 1) return std::nullopt;
    shape[k] = std::max(da, db);
  }
  Tensor out(a.dtype, shape);
  const int64_t n = out.numel();
  if (n > (1 << 20)) return std::nullopt;  // leave big computations to the runtime
  std::vector<int64_t> index(rank, 0);
  auto offset = [&](const Tensor& t) {
    int64_t off = 0, stride = 1;
    for (size_t k = rank; k-- > rank - t.shape.size();) {
      int64_t d = t.shape[k - (rank - t.shape.size())];
      off += (d == 1 ? 0 : index[k]) * stride;
      stride *= d;
    }
    return off;
  };
  const bool integer = a.dtype == DType::Int64;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t ia = offset(a), ib = offset(b);
    if (integer) {
      int64_t x = a.data<int64_t>()[ia], y = b.data<int64_t>()[ib], r = 0;
      if (op == "Add") r = x + y;
      if (op == "Sub") r = x - y;
      if (op == "Mul") r = x * y;
      if (op == "Div") {
        if (y == 0) return std::nullopt;
        r = x / y;
      }
      out.data<int64_t>()[i] = r;
    } else {
      double x = a.value_as_double(ia), y = b.value_as_double(ib), r = 0;
      if (op == "Add") r = x + y;
      if (op == "Sub") r = x - y;
      if (op == "Mul") r = x * y;
      if (op == "Div") r = x / y;
      Tensor one = Tensor::scalar_of(a.dtype, r);
      std::memcpy(out.raw() + i * ir::dtype_size(a.dtype), one.raw(), ir::dtype_size(a.dtype));
    }
    for (size_t k = rank; k-- > 0;) {
      if (++index[k] < shape[k]) break;
      index[k] = 0;
    }
  }
  return out;
}

std::optional<Tensor> evaluate(const ir::Node& n, const PassContext& context) {
  auto in = [&](size_t k) -> const Tensor& { return *n.inputs[k]->constant; };
  const std::string& op = n.op;
  if (op == "Shape") {
    const ir::Value* x = n.inputs[0];
    if (!x->shape || context.dynamic_batch) return std::nullopt;
    // Opset 15's start/end select a slice of the dims (negative counts from the end).
    const int64_t rank = static_cast<int64_t>(x->shape->size());
    auto clamp_axis = [rank](int64_t a) {
      if (a < 0) a += rank;
      return std::clamp<int64_t>(a, 0, rank);
    };
    const int64_t start = clamp_axis(n.i("start", 0));
    const int64_t end = clamp_axis(n.i("end", rank));
    std::vector<int64_t> dims;
    for (int64_t k = start; k < end; ++k) {
      const ir::Dim& d = (*x->shape)[static_cast<size_t>(k)];
      if (!d.is_fixed()) return std::nullopt;
      dims.push_back(d.size);
    }
    return Tensor::vector_int64(dims);
  }
  for (const ir::Value* v : n.inputs)
    if (v && !v->is_constant()) return std::nullopt;
  if (n.outputs.size() != 1) return std::nullopt;
  if (op == "Identity") return in(0);
  if (op == "Cast") return in(0).cast(static_cast<DType>(n.i("to", 0)));
  if (op == "Transpose") return transpose(in(0), n.ints("perm"));
  if (op == "Reshape") return reshape(in(0), in(1).to_int_vector(), n.i("allowzero", 0) != 0);
  if (op == "Flatten") {
    const int64_t axis = normalize_axis(n.i("axis", 1), static_cast<int64_t>(in(0).shape.size()));
    int64_t outer = 1;
    for (int64_t k = 0; k < axis; ++k) outer *= in(0).shape[static_cast<size_t>(k)];
    return reshape(in(0), {outer, -1}, false);
  }
  if (op == "Unsqueeze" || op == "Squeeze") {
    if (!n.has("axes") && op == "Unsqueeze") return std::nullopt;
    std::vector<int64_t> shape = in(0).shape;
    auto axes = n.ints("axes");
    if (op == "Unsqueeze") {
      const int64_t rank = static_cast<int64_t>(shape.size() + axes.size());
      std::vector<bool> is_new(static_cast<size_t>(rank), false);
      for (int64_t a : axes) is_new[static_cast<size_t>(normalize_axis(a, rank))] = true;
      std::vector<int64_t> out;
      size_t src = 0;
      for (int64_t k = 0; k < rank; ++k) out.push_back(is_new[k] ? 1 : shape[src++]);
      return reshape(in(0), out, true);
    }
    std::vector<int64_t> out;
    const int64_t rank = static_cast<int64_t>(shape.size());
    for (int64_t k = 0; k < rank; ++k) {
      bool drop = axes.empty() ? shape[k] == 1 : false;
      for (int64_t a : axes) drop = drop || normalize_axis(a, rank) == k;
      if (!drop) out.push_back(shape[k]);
    }
    return reshape(in(0), out, true);
  }
  if (op == "Concat") {
    // 1-D concatenation (shape lists); larger concatenations stay in the graph.
    std::vector<Tensor> parts;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      if (in(k).shape.size() != 1 || in(k).dtype != in(0).dtype) return std::nullopt;
      parts.push_back(in(k));
    }
    int64_t total = 0;
    for (const auto& p : parts) total += p.numel();
    Tensor out(in(0).dtype, {total});
    size_t offset = 0;
    for (const auto& p : parts) {
      std::memcpy(out.raw() + offset, p.raw(), p.nbytes());
      offset += p.nbytes();
    }
    return out;
  }
  if (op == "Gather" && in(0).shape.size() == 1 && n.i("axis", 0) == 0) {
    const Tensor& data = in(0);
    const Tensor& idx = in(1);
    Tensor out(data.dtype, idx.shape);
    const size_t elem = ir::dtype_size(data.dtype);
    for (int64_t k = 0; k < idx.numel(); ++k) {
      int64_t i = normalize_axis(idx.value_as_int(k), data.numel());
      if (i < 0 || i >= data.numel()) return std::nullopt;
      std::memcpy(out.raw() + k * elem, data.raw() + i * elem, elem);
    }
    return out;
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") return binary(op, in(0), in(1));
  if ((op == "Sqrt" || op == "Reciprocal" || op == "Neg") && ir::is_floating(in(0).dtype)) {
    Tensor out(in(0).dtype, in(0).shape);
    for (int64_t k = 0; k < out.numel(); ++k) {
      double x = in(0).value_as_double(k);
      double r = op == "Sqrt" ? std::sqrt(x) : op == "Neg" ? -x : 1.0 / x;
      Tensor one = Tensor::scalar_of(out.dtype, r);
      std::memcpy(out.raw() + k * ir::dtype_size(out.dtype), one.raw(), ir::dtype_size(out.dtype));
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace

bool fold_constants(ir::Graph& graph, const PassContext& context) {
  bool changed = false;
  std::vector<const ir::Node*> folded;
  for (const auto& node : graph.nodes()) {
    auto result = evaluate(*node, context);
    if (!result) continue;
    ir::Value* out = node->outputs[0];
    ir::Value* c = graph.add_constant(std::move(*result), out->name + "_folded");
    const bool is_output =
        std::find(graph.outputs().begin(), graph.outputs().end(), out) != graph.outputs().end();
    if (is_output) continue;  // outputs keep a producing node
    graph.replace_all_uses(out, c);
    folded.push_back(node.get());
    changed = true;
  }
  graph.remove_nodes_if([&](const ir::Node& n) {
    return std::find(folded.begin(), folded.end(), &n) != folded.end();
  });
  return changed;
}

}  // namespace mlexport::passes
