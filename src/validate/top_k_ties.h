// A top-k whose choice two runtimes may legitimately make differently. When the values a TopK
// ranks differ between the model and the export by up to delta (float rounding upstream), the
// export's choice is still a correct top-k of its own input exactly when, judged on the model's
// values, no element it left out exceeds one it kept by more than 2·delta, and no element it put
// later exceeds one it put earlier by more than 2·delta. Anything else is an error of the export.
#pragma once

#include <cstdint>
#include <string>

#include "ir/tensor.h"

namespace mlexport::validate {

struct TopKChoice {
  bool explained = false;  // the export's choice is a top-k of values within delta of x
  int64_t differing = 0;   // positions whose index differs from the model's
  double gap = 0;          // the largest amount a kept or earlier element falls short by
  std::string reason;      // why not, when not explained
};

// `x`: the model's values the TopK ranks; `reference_indices` and `exported_indices`: the two
// choices (sorted, along `axis`); `largest`: TopK's attribute; `delta`: the largest difference
// between the model's x and the export's.
TopKChoice top_k_choice_within(const ir::Tensor& x, const ir::Tensor& reference_indices,
                               const ir::Tensor& exported_indices, int64_t axis, bool largest,
                               double delta);

// An NMS's kept indices (1-D, in decreasing score order) chosen in another order: whether the
// export kept the same elements as the model, in an order that scores within `delta` of the
// model's `scores` allow (no element put later exceeds one put earlier by more than 2·delta).
// Near-equal scores come out of NMS in either order; which boxes it keeps is not judged here, so
// another set is refused.
TopKChoice same_elements_in_order_within(const ir::Tensor& scores,
                                         const ir::Tensor& reference_indices,
                                         const ir::Tensor& exported_indices, double delta);

// x's values at `indices` along `axis` (ONNX GatherElements): the values a TopK that chose
// `indices` returns.
ir::Tensor gather_along(const ir::Tensor& x, const ir::Tensor& indices, int64_t axis);

}  // namespace mlexport::validate
