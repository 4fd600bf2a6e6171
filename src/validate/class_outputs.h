// Per-pixel class outputs of segmentation models, on reference tensors: softmax and argmax over
// the class axis (axis 1 of [N, classes, H, W]), and the comparison of class maps.
#pragma once

#include <string>

#include "ir/tensor.h"
#include "mlexport/export.h"
#include "validate/metrics.h"

namespace mlexport::validate {

// Softmax over axis 1 (computed in double, returned in the input's floating dtype).
ir::Tensor softmax_over_classes(const ir::Tensor& scores);

// Index of the largest score over axis 1, the first one on exact ties (as torch.argmax and ONNX
// ArgMax with select_last_index=0); int64 [N, H, W].
ir::Tensor argmax_over_classes(const ir::Tensor& scores);

// Compares two class maps [N, H, W] pixel by pixel. A pixel whose classes differ is a near-tie
// flip when the reference scores of the two classes differ by no more than the tolerance allows:
// max_diff is the largest such score gap over differing pixels (0 when the maps are equal), judged
// by the bands like any difference (scaled by max(1, max|scores|)); `class_map` says how many
// pixels are equal. Throws mlexport::Error (validation failed) when the shapes differ.
OutputMetrics compare_class_maps(const std::string& name, const ir::Tensor& reference_scores,
                                 const ir::Tensor& reference_map, const ir::Tensor& exported_map,
                                 const Tolerance& tolerance);

}  // namespace mlexport::validate
