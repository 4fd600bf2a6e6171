// The reference's outputs on the inputs it last ran on. Export with dynamic axes runs the model on
// the example and at each second size to learn the output shapes, and validation compares the
// same inputs again; a detector's run takes seconds, so each input is run once.
#pragma once

#include <deque>
#include <utility>
#include <vector>

#include "ir/tensor.h"
#include "runtime/reference.h"

namespace mlexport::core {

class ReferenceRuns {
 public:
  // `reference`'s outputs on `inputs`: recalled when the same inputs (dtype, shape and bytes) ran
  // recently, else run and remembered.
  std::vector<ir::Tensor> run(runtime::Reference& reference, const std::vector<ir::Tensor>& inputs);

 private:
  static constexpr size_t kKept = 4;
  // Own copies of the inputs, with the outputs they gave.
  std::deque<std::pair<std::vector<ir::Tensor>, std::vector<ir::Tensor>>> recent_;
};

}  // namespace mlexport::core
