#include "validate/mask_edges.h"

#include <algorithm>

namespace mlexport::validate {

bool holds_masks(const ir::Tensor& reference) {
  const auto& shape = reference.shape;
  if (!ir::is_floating(reference.dtype) || shape.size() < 3 || shape[shape.size() - 1] < 8 ||
      shape[shape.size() - 2] < 8)
    return false;
  // Resizing a probability of 1 may round a pixel to 1 + 1 ulp.
  constexpr double kSlack = 1e-6;
  for (int64_t i = 0; i < reference.numel(); ++i) {
    const double v = reference.value_as_double(i);
    if (!(v >= -kSlack && v <= 1 + kSlack)) return false;
  }
  return true;
}

std::optional<MaskEdgeMove> mask_edge_moved(const ir::Tensor& reference, int64_t row,
                                            const ir::Tensor& exported, int64_t got_row) {
  const auto& shape = reference.shape;
  const int64_t height = shape[shape.size() - 2], width = shape[shape.size() - 1];
  const int64_t per_row = shape[0] ? reference.numel() / shape[0] : 0;
  const int64_t planes = per_row / (height * width);
  auto inside = [&](const ir::Tensor& t, int64_t r, int64_t plane, int64_t y, int64_t x) {
    return t.value_as_double(r * per_row + (plane * height + y) * width + x) >= 0.5;
  };
  // A pixel within one pixel of the reference mask's edge: one of its 8 neighbours lies on the
  // other side of 0.5.
  auto near_edge = [&](int64_t plane, int64_t y, int64_t x) {
    const bool here = inside(reference, row, plane, y, x);
    for (int64_t ny = std::max<int64_t>(0, y - 1); ny <= std::min(height - 1, y + 1); ++ny)
      for (int64_t nx = std::max<int64_t>(0, x - 1); nx <= std::min(width - 1, x + 1); ++nx)
        if (inside(reference, row, plane, ny, nx) != here) return true;
    return false;
  };
  MaskEdgeMove move;
  int64_t both = 0, either = 0;
  for (int64_t plane = 0; plane < planes; ++plane)
    for (int64_t y = 0; y < height; ++y)
      for (int64_t x = 0; x < width; ++x) {
        const bool a = inside(reference, row, plane, y, x);
        const bool b = inside(exported, got_row, plane, y, x);
        both += a && b;
        either += a || b;
        if (a == b) continue;
        ++move.pixels;
        if (!near_edge(plane, y, x)) return std::nullopt;
      }
  if (move.pixels == 0) return std::nullopt;
  move.iou = either ? static_cast<double>(both) / static_cast<double>(either) : 1.0;
  return move;
}

}  // namespace mlexport::validate
