// Instance masks pasted into the image at a box snapped to whole pixels. torchvision's
// paste_masks_in_image truncates each (expanded) box to integers and resizes the mask into it,
// so a box that float rounding moves across a pixel boundary moves that mask's edge by a pixel:
// values near the edge jump by up to the mask's height while the detection is the same one.
#pragma once

#include <optional>
#include <string>

#include "ir/tensor.h"

namespace mlexport::validate {

// A per-detection output that holds masks: float, rank 3 or more, its last two dims an image
// (at least 8x8), every value in [0, 1] (give or take float rounding).
bool holds_masks(const ir::Tensor& reference);

struct MaskEdgeMove {
  int64_t pixels = 0;  // pixels whose side of 0.5 differs
  double iou = 1;      // of the two masks thresholded at 0.5
};

// Whether row `row` of the reference masks and row `got_row` of the exported ones differ only
// by an edge moved by a pixel: thresholded at 0.5, the masks differ somewhere, and only at
// pixels with a neighbour (of 8) on the reference mask's other side: within one pixel of its edge.
std::optional<MaskEdgeMove> mask_edge_moved(const ir::Tensor& reference, int64_t row,
                                            const ir::Tensor& exported, int64_t got_row);

}  // namespace mlexport::validate
