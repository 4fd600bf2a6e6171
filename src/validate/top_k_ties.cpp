#include "validate/top_k_ties.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace mlexport::validate {
namespace {

// The sizes before, along and after `axis`.
struct Rows {
  int64_t outer = 1, along = 1, inner = 1;
};

Rows rows_of(const std::vector<int64_t>& shape, int64_t axis) {
  Rows r;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    const int64_t size = shape[static_cast<size_t>(d)];
    if (d < axis)
      r.outer *= size;
    else if (d == axis)
      r.along = size;
    else
      r.inner *= size;
  }
  return r;
}

bool same_except(const std::vector<int64_t>& a, const std::vector<int64_t>& b, int64_t axis) {
  if (a.size() != b.size()) return false;
  for (size_t d = 0; d < a.size(); ++d)
    if (static_cast<int64_t>(d) != axis && a[d] != b[d]) return false;
  return true;
}

}  // namespace

TopKChoice top_k_choice_within(const ir::Tensor& x, const ir::Tensor& reference_indices,
                               const ir::Tensor& exported_indices, int64_t axis, bool largest,
                               double delta) {
  TopKChoice c;
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) {
    c.reason = "axis " + std::to_string(axis) + " outside the input's rank";
    return c;
  }
  if (exported_indices.shape != reference_indices.shape ||
      !same_except(x.shape, exported_indices.shape, axis)) {
    c.reason = "the export kept " + ir::shape_to_string(exported_indices.shape) +
               " where the model kept " + ir::shape_to_string(reference_indices.shape);
    return c;
  }
  const Rows in = rows_of(x.shape, axis), out = rows_of(exported_indices.shape, axis);
  const double sign = largest ? 1.0 : -1.0;
  const double allowed = 2 * delta;
  std::vector<char> kept(static_cast<size_t>(in.along));
  for (int64_t o = 0; o < in.outer; ++o)
    for (int64_t i = 0; i < in.inner; ++i) {
      auto value = [&](int64_t at) {
        return sign * x.value_as_double((o * in.along + at) * in.inner + i);
      };
      std::fill(kept.begin(), kept.end(), 0);
      double lowest_kept = std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < out.along; ++j) {
        const int64_t flat = (o * out.along + j) * out.inner + i;
        const int64_t e = exported_indices.value_as_int(flat);
        if (e != reference_indices.value_as_int(flat)) ++c.differing;
        if (e < 0 || e >= in.along || kept[static_cast<size_t>(e)]) {
          c.reason = "the export's index " + std::to_string(e) + " is out of range or repeated";
          return c;
        }
        kept[static_cast<size_t>(e)] = 1;
        const double v = value(e);
        if (std::isnan(v)) {
          c.reason = "the ranked values hold NaN";
          return c;
        }
        // An element placed after one it exceeds: out of order by the excess.
        if (j > 0) c.gap = std::max(c.gap, v - lowest_kept);
        lowest_kept = std::min(lowest_kept, v);
      }
      for (int64_t u = 0; u < in.along; ++u)
        if (!kept[static_cast<size_t>(u)]) c.gap = std::max(c.gap, value(u) - lowest_kept);
    }
  c.explained = c.gap <= allowed;
  if (!c.explained)
    c.reason = "an element it " + std::string(largest ? "ranks lower" : "ranks higher") +
               " exceeds one it keeps by " + std::to_string(c.gap) + ", past twice the input's " +
               "difference (" + std::to_string(delta) + ")";
  return c;
}

TopKChoice same_elements_in_order_within(const ir::Tensor& scores,
                                         const ir::Tensor& reference_indices,
                                         const ir::Tensor& exported_indices, double delta) {
  TopKChoice c;
  if (scores.shape.size() != 1 || reference_indices.shape.size() != 1 ||
      exported_indices.shape != reference_indices.shape) {
    c.reason = "the export kept " + ir::shape_to_string(exported_indices.shape) +
               " where the model kept " + ir::shape_to_string(reference_indices.shape);
    return c;
  }
  const int64_t n = scores.shape[0], k = exported_indices.numel();
  std::vector<int64_t> model(static_cast<size_t>(k)), mine(static_cast<size_t>(k));
  double lowest = std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < k; ++j) {
    const int64_t e = exported_indices.value_as_int(j);
    model[static_cast<size_t>(j)] = reference_indices.value_as_int(j);
    mine[static_cast<size_t>(j)] = e;
    if (e != model[static_cast<size_t>(j)]) ++c.differing;
    if (e < 0 || e >= n) {
      c.reason = "the export's index " + std::to_string(e) + " is out of range";
      return c;
    }
    const double v = scores.value_as_double(e);
    if (std::isnan(v)) {
      c.reason = "the scores hold NaN";
      return c;
    }
    if (j > 0) c.gap = std::max(c.gap, v - lowest);
    lowest = std::min(lowest, v);
  }
  std::sort(model.begin(), model.end());
  std::sort(mine.begin(), mine.end());
  if (model != mine) {
    c.reason = "the export kept other elements, not only in another order";
    return c;
  }
  c.explained = c.gap <= 2 * delta;
  if (!c.explained)
    c.reason = "an element it puts later exceeds one it puts earlier by " + std::to_string(c.gap) +
               ", past twice the scores' difference (" + std::to_string(delta) + ")";
  return c;
}

ir::Tensor gather_along(const ir::Tensor& x, const ir::Tensor& indices, int64_t axis) {
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  if (axis < 0) axis += rank;
  const Rows in = rows_of(x.shape, axis), out = rows_of(indices.shape, axis);
  ir::Tensor values(x.dtype, indices.shape);
  const size_t width = ir::dtype_size(x.dtype);
  for (int64_t o = 0; o < out.outer; ++o)
    for (int64_t j = 0; j < out.along; ++j)
      for (int64_t i = 0; i < out.inner; ++i) {
        const int64_t to = (o * out.along + j) * out.inner + i;
        const int64_t at = indices.value_as_int(to);
        if (at < 0 || at >= in.along) throw std::out_of_range("gather_along: index out of range");
        const int64_t from = (o * in.along + at) * in.inner + i;
        std::copy_n(x.raw() + from * static_cast<int64_t>(width), width,
                    values.raw() + to * static_cast<int64_t>(width));
      }
  return values;
}

}  // namespace mlexport::validate
