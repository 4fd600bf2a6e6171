// Op rules of the ONNX importer. Every default-domain op whose schema changed between opset 7
// and 17 was reviewed (onnx.defs history, libonnx 1.12). Changes that only add types, negative
// axes or attributes whose default keeps the old behaviour need no rule; the ones below change
// where an operand lives or what the op computes:
//   Squeeze/Unsqueeze/Split/ReduceSum-13  operand became an input   -> IR attribute again
//   Clip-11, Pad-11                       attributes became inputs  -> IR attributes
//   Resize-11/13                          roi/scales/sizes inputs   -> scales/sizes attributes
//   Resize-10, Upsample-7/9               asymmetric coordinates    -> Resize with explicit modes
//   Softmax/LogSoftmax/Hardmax < 13       2-D flattening            -> Flatten + op + Reshape
//   BatchNormalization < 9                `spatial`                 -> dropped or decomposed
//   Dropout                               inference                 -> Identity
//   Slice-1, TopK-1                       attributes became inputs  -> constant inputs
//   Scatter-9/11                          renamed                   -> ScatterElements
//   RoiAlign < 16                         default coordinate mode   -> explicit output_half_pixel
//   Cast                                  ONNX element type         -> ir::DType in `to`
// The reference for an ONNX input is ONNX Runtime running the original file, so where ONNX
// Runtime reads an old op as the new one, no rule applies: OneHot-9 is documented to give an
// all-off row for negative indices, but ONNX Runtime counts them from the end as OneHot-11 does
// (measured with onnxruntime-node 1.30; the onehot_9 fixture checks it).
#include "frontend/onnx/op_rules.h"

#include <algorithm>
#include <map>

#include "frontend/onnx/op/rules.h"

namespace mlexport::frontend::onnx {

namespace {

using Rule = bool (*)(NodeDraft&, ImportContext&);

const std::map<std::string_view, Rule>& rules() {
  static const std::map<std::string_view, Rule> table = {
      {"BatchNormalization", batch_norm},
      {"Cast", cast},
      {"Clip", clip},
      {"Dropout", dropout},
      {"Hardmax", old_softmax},
      {"LogSoftmax", old_softmax},
      {"Pad", pad},
      {"ReduceSum", axes_operand},
      {"Resize", resize},
      {"RoiAlign", roi_align},
      {"Scatter", scatter},
      {"Slice", slice},
      {"Softmax", old_softmax},
      {"Split", split},
      {"Squeeze", axes_operand},
      {"TopK", top_k},
      {"Unsqueeze", axes_operand},
      {"Upsample", upsample},
  };
  return table;
}

}  // namespace

bool apply_op_rule(NodeDraft& node, ImportContext& ctx) {
  auto it = rules().find(node.op);
  return it == rules().end() || it->second(node, ctx);
}

bool is_ir_attribute(std::string_view op, std::string_view key) {
  static const std::multimap<std::string_view, std::string_view> kIrAttributes = {
      {"Squeeze", "axes"},  {"Unsqueeze", "axes"}, {"ReduceSum", "axes"}, {"Split", "split"},
      {"Clip", "min"},      {"Clip", "max"},       {"Pad", "pads"},       {"Pad", "value"},
      {"Resize", "scales"}, {"Resize", "sizes"},
  };
  auto [begin, end] = kIrAttributes.equal_range(op);
  return std::any_of(begin, end, [&](const auto& entry) { return entry.second == key; });
}

const char* unrepresentable_op(std::string_view op) {
  static const std::string_view kSequenceOps[] = {
      "SequenceConstruct", "SequenceAt",     "SequenceEmpty",      "SequenceErase",
      "SequenceInsert",    "SequenceLength", "SplitToSequence",    "ConcatFromSequence",
      "SequenceMap",       "Optional",       "OptionalGetElement", "OptionalHasElement"};
  if (std::find(std::begin(kSequenceOps), std::end(kSequenceOps), op) != std::end(kSequenceOps))
    return "sequence and optional values have no IR form";
  return nullptr;
}

}  // namespace mlexport::frontend::onnx
