// Constant evaluators: the small shape arithmetic that translators emit, computed at export time.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "ir/ops/families.h"

namespace mlexport::ir::ops {
namespace {

constexpr int64_t kMaxFoldedElements = int64_t{1} << 20;  // bigger work is left to the runtime

int64_t wrap_axis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

std::optional<Tensor> reshaped(const Tensor& t, std::vector<int64_t> shape, bool allow_zero) {
  int64_t known = 1, infer = -1;
  for (size_t k = 0; k < shape.size(); ++k) {
    if (shape[k] == 0 && !allow_zero) {
      if (k >= t.shape.size()) return std::nullopt;
      shape[k] = t.shape[k];
    }
    if (shape[k] == -1)
      infer = static_cast<int64_t>(k);
    else
      known *= shape[k];
  }
  if (infer >= 0) {
    if (known == 0) return std::nullopt;
    shape[static_cast<size_t>(infer)] = t.numel() / known;
  }
  if (shape_numel(shape) != t.numel()) return std::nullopt;
  Tensor out = t;
  out.shape = shape;
  return out;
}

void put_double(Tensor& out, int64_t i, double value) {
  const Tensor one = Tensor::scalar_of(out.dtype, value);
  std::memcpy(out.raw() + i * dtype_size(out.dtype), one.raw(), dtype_size(out.dtype));
}

}  // namespace

std::optional<Tensor> eval_identity(const Node&, const std::vector<Tensor>& in) {
  return in[0];
}

std::optional<Tensor> eval_cast(const Node& n, const std::vector<Tensor>& in) {
  return in[0].cast(static_cast<DType>(n.i("to", 0)));
}

// Add/Sub/Mul/Div with numpy broadcasting, in double (int64 kept exact).
std::optional<Tensor> eval_arithmetic(const Node& n, const std::vector<Tensor>& in) {
  const Tensor& a = in[0];
  const Tensor& b = in[1];
  if (a.dtype != b.dtype) return std::nullopt;
  const size_t rank = std::max(a.shape.size(), b.shape.size());
  std::vector<int64_t> shape(rank);
  auto dim = [&](const Tensor& t, size_t k) {
    const size_t off = rank - t.shape.size();
    return k < off ? int64_t{1} : t.shape[k - off];
  };
  for (size_t k = 0; k < rank; ++k) {
    const int64_t da = dim(a, k), db = dim(b, k);
    if (da != db && da != 1 && db != 1) return std::nullopt;
    shape[k] = std::max(da, db);
  }
  Tensor out(a.dtype, shape);
  const int64_t count = out.numel();
  if (count > kMaxFoldedElements) return std::nullopt;
  std::vector<int64_t> index(rank, 0);
  auto offset = [&](const Tensor& t) {
    int64_t off = 0, stride = 1;
    for (size_t k = rank; k-- > rank - t.shape.size();) {
      const int64_t d = t.shape[k - (rank - t.shape.size())];
      off += (d == 1 ? 0 : index[k]) * stride;
      stride *= d;
    }
    return off;
  };
  const std::string& op = n.op;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t ia = offset(a), ib = offset(b);
    if (a.dtype == DType::Int64) {
      const int64_t x = a.data<int64_t>()[ia], y = b.data<int64_t>()[ib];
      if (op == "Div" && y == 0) return std::nullopt;
      out.data<int64_t>()[i] = op == "Add"   ? x + y
                               : op == "Sub" ? x - y
                               : op == "Mul" ? x * y
                                             : x / y;
    } else {
      const double x = a.value_as_double(ia), y = b.value_as_double(ib);
      put_double(out, i, op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y);
    }
    for (size_t k = rank; k-- > 0;) {
      if (++index[k] < shape[k]) break;
      index[k] = 0;
    }
  }
  return out;
}

// Sqrt, Reciprocal and Neg of floating constants.
std::optional<Tensor> eval_unary_float(const Node& n, const std::vector<Tensor>& in) {
  if (!is_floating(in[0].dtype)) return std::nullopt;
  Tensor out(in[0].dtype, in[0].shape);
  for (int64_t k = 0; k < out.numel(); ++k) {
    const double x = in[0].value_as_double(k);
    put_double(out, k, n.op == "Sqrt" ? std::sqrt(x) : n.op == "Neg" ? -x : 1.0 / x);
  }
  return out;
}

std::optional<Tensor> eval_transpose(const Node& n, const std::vector<Tensor>& in) {
  const Tensor& t = in[0];
  std::vector<int64_t> perm = n.ints("perm");
  const size_t rank = t.shape.size();
  if (perm.empty())
    for (size_t k = 0; k < rank; ++k) perm.push_back(static_cast<int64_t>(rank - 1 - k));
  if (perm.size() != rank) return std::nullopt;
  std::vector<int64_t> out_shape(rank), in_strides(rank, 1);
  for (size_t k = rank; k-- > 1;) in_strides[k - 1] = in_strides[k] * t.shape[k];
  for (size_t k = 0; k < rank; ++k) out_shape[k] = t.shape[static_cast<size_t>(perm[k])];
  Tensor out(t.dtype, out_shape);
  const size_t elem = dtype_size(t.dtype);
  std::vector<int64_t> index(rank, 0);
  for (int64_t i = 0; i < t.numel(); ++i) {
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

std::optional<Tensor> eval_reshape(const Node& n, const std::vector<Tensor>& in) {
  return reshaped(in[0], in[1].to_int_vector(), n.i("allowzero", 0) != 0);
}

std::optional<Tensor> eval_flatten(const Node& n, const std::vector<Tensor>& in) {
  const int64_t axis = wrap_axis(n.i("axis", 1), static_cast<int64_t>(in[0].shape.size()));
  int64_t outer = 1;
  for (int64_t k = 0; k < axis; ++k) outer *= in[0].shape[static_cast<size_t>(k)];
  return reshaped(in[0], {outer, -1}, false);
}

std::optional<Tensor> eval_squeeze(const Node& n, const std::vector<Tensor>& in) {
  if (!n.has("axes") && n.op == "Unsqueeze") return std::nullopt;
  const std::vector<int64_t>& shape = in[0].shape;
  const auto axes = n.ints("axes");
  std::vector<int64_t> out;
  if (n.op == "Unsqueeze") {
    const int64_t rank = static_cast<int64_t>(shape.size() + axes.size());
    std::vector<bool> is_new(static_cast<size_t>(rank), false);
    for (int64_t a : axes) is_new[static_cast<size_t>(wrap_axis(a, rank))] = true;
    size_t src = 0;
    for (int64_t k = 0; k < rank; ++k) out.push_back(is_new[k] ? 1 : shape[src++]);
    return reshaped(in[0], out, true);
  }
  const int64_t rank = static_cast<int64_t>(shape.size());
  for (int64_t k = 0; k < rank; ++k) {
    bool drop = axes.empty() && shape[k] == 1;
    for (int64_t a : axes) drop = drop || wrap_axis(a, rank) == k;
    if (!drop) out.push_back(shape[k]);
  }
  return reshaped(in[0], out, true);
}

// 1-D concatenation (shape lists); larger concatenations stay in the graph.
std::optional<Tensor> eval_concat(const Node&, const std::vector<Tensor>& in) {
  int64_t total = 0;
  for (const Tensor& p : in) {
    if (p.shape.size() != 1 || p.dtype != in[0].dtype) return std::nullopt;
    total += p.numel();
  }
  Tensor out(in[0].dtype, {total});
  size_t offset = 0;
  for (const Tensor& p : in) {
    std::memcpy(out.raw() + offset, p.raw(), p.nbytes());
    offset += p.nbytes();
  }
  return out;
}

// Gather from a 1-D constant along axis 0 (picking dims out of a shape list).
std::optional<Tensor> eval_gather(const Node& n, const std::vector<Tensor>& in) {
  const Tensor& data = in[0];
  const Tensor& idx = in[1];
  if (data.shape.size() != 1 || n.i("axis", 0) != 0) return std::nullopt;
  Tensor out(data.dtype, idx.shape);
  const size_t elem = dtype_size(data.dtype);
  for (int64_t k = 0; k < idx.numel(); ++k) {
    const int64_t i = wrap_axis(idx.value_as_int(k), data.numel());
    if (i < 0 || i >= data.numel()) return std::nullopt;
    std::memcpy(out.raw() + k * elem, data.raw() + i * elem, elem);
  }
  return out;
}

}  // namespace mlexport::ir::ops
