// --segmentation_output: what a segmentation model's exported output holds (internal, torch-free).
//
//   logits              the model's [N, classes, H, W] as it is (default)
//   probabilities       softmax over the class axis, float [N, classes, H, W]
//   argmax              the class map, int64 [N, H, W]
//   argmax:uint8        the class map as uint8 [N, H, W] (at most 256 classes)
//
// The transform is appended to the IR (so ONNX and OpenVINO carry it) and applied to the
// reference outputs before they are compared; class maps are compared pixel by pixel, a flipped
// pixel being acceptable only where the reference's logits tie within the verdict's bands
// (validate/class_outputs.h).
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/tensor.h"

namespace mlexport::core {

struct SegmentationOutput {
  enum class Kind { kLogits, kProbabilities, kArgmax };
  Kind kind = Kind::kLogits;
  ir::DType class_dtype = ir::DType::Int64;  // argmax only

  bool is_logits() const { return kind == Kind::kLogits; }
  std::string describe() const;  // "argmax (int64 class map)", ...
};

// Parses the flag's value; throws bad_input (one line naming the accepted values) otherwise.
SegmentationOutput parse_segmentation_output(const std::string& text);

// True for an output the transform applies to: floating point, rank 4 ([N, classes, H, W]).
bool is_class_scores(ir::DType dtype, size_t rank);

// Appends the transform to every class-score output of `graph` (the new value takes the
// output's name; the logits are renamed "<name>_logits"). Throws bad_input when the graph has no
// such output, naming the outputs it has.
void append_segmentation_output(ir::Graph& graph, const SegmentationOutput& output);

// The same transform on reference outputs (class-score outputs only; others are left as they
// are).
std::vector<ir::Tensor> apply_segmentation_output(const std::vector<ir::Tensor>& outputs,
                                                  const SegmentationOutput& output);

}  // namespace mlexport::core
