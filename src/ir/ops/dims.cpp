#include "ir/ops/dims.h"

#include <algorithm>

namespace mlexport::ir::ops {

Dim broadcast_dim(const Dim& a, const Dim& b) {
  if (a.is_fixed() && a.size == 1) return b;
  if (b.is_fixed() && b.size == 1) return a;
  if (a.is_fixed()) return a;
  if (b.is_fixed()) return b;
  return a.symbol.empty() ? b : a;
}

Shape broadcast(const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t k = 0; k < rank; ++k) {
    const Dim da = k + a.size() >= rank ? a[k + a.size() - rank] : Dim::fixed(1);
    const Dim db = k + b.size() >= rank ? b[k + b.size() - rank] : Dim::fixed(1);
    out[k] = broadcast_dim(da, db);
  }
  return out;
}

int64_t normalize_axis(int64_t axis, size_t rank) {
  return axis < 0 ? axis + static_cast<int64_t>(rank) : axis;
}

std::optional<int64_t> product(const Shape& shape, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t k = from; k < to && k < shape.size(); ++k) {
    if (!shape[k].is_fixed() || __builtin_mul_overflow(p, shape[k].size, &p)) return std::nullopt;
  }
  return p;
}

Dim product_dim(const Shape& shape, size_t from, size_t to) {
  int64_t fixed = 1;
  const Dim* named = nullptr;
  for (size_t k = from; k < to && k < shape.size(); ++k) {
    if (shape[k].is_fixed()) {
      if (__builtin_mul_overflow(fixed, shape[k].size, &fixed)) return unknown_dim();
    } else {
      if (named || shape[k].symbol.empty()) return unknown_dim();
      named = &shape[k];
    }
  }
  if (!named) return Dim::fixed(fixed);
  return fixed == 1 ? *named : unknown_dim();
}

Shape unknown_shape(size_t rank) {
  return Shape(rank, unknown_dim());
}

Dim wide_dim(Wide size) {
  return size >= 0 && size < (Wide{1} << 62) ? Dim::fixed(static_cast<int64_t>(size))
                                             : unknown_dim();
}

Dim dim_of(int64_t size) {
  return size < 0 ? unknown_dim() : Dim::fixed(size);
}

}  // namespace mlexport::ir::ops
