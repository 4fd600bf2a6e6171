// Dimension arithmetic for the shape rules: a Dim is a size, a named symbol, or unknown.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ir/graph.h"

namespace mlexport::ir::ops {

inline Dim unknown_dim() {
  return Dim{};
}
// Numpy broadcasting of one pair of dims: 1 gives way; a known size wins over an unknown one.
Dim broadcast_dim(const Dim& a, const Dim& b);
Shape broadcast(const Shape& a, const Shape& b);
// Axis in [0, rank) from a possibly negative one (unchecked).
int64_t normalize_axis(int64_t axis, size_t rank);
// Product of dims [from, to), or nullopt when one of them is not a known size.
std::optional<int64_t> product(const Shape& shape, size_t from, size_t to);
// The same product as a Dim: also a named size times ones ([batch_size, 512, 1, 1] flattened
// at axis 1 keeps batch_size), else unknown.
Dim product_dim(const Shape& shape, size_t from, size_t to);
// A shape of `rank` unknown dims.
Shape unknown_shape(size_t rank);
// Shape arithmetic on attribute values, which in a hostile file can be anything: computed wide,
// and unknown when the result is negative or past 2^62.
using Wide = __int128;
Dim wide_dim(Wide size);
// A Dim of the given size (unknown when negative).
Dim dim_of(int64_t size);

// Shorthand for rules with one output.
inline std::optional<std::vector<Shape>> one(Shape s) {
  return std::vector<Shape>{std::move(s)};
}

}  // namespace mlexport::ir::ops
