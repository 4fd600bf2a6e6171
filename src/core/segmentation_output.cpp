#include "core/segmentation_output.h"

#include "mlexport/diagnostics.h"
#include "validate/class_outputs.h"

namespace mlexport::core {

std::string SegmentationOutput::describe() const {
  switch (kind) {
    case Kind::kLogits:
      return "logits";
    case Kind::kProbabilities:
      return "probabilities (softmax over the class axis)";
    case Kind::kArgmax:
      return "argmax (" + std::string(ir::dtype_name(class_dtype)) + " class map)";
  }
  return "";
}

SegmentationOutput parse_segmentation_output(const std::string& text) {
  SegmentationOutput out;
  if (text.empty() || text == "logits") return out;
  if (text == "probabilities") {
    out.kind = SegmentationOutput::Kind::kProbabilities;
  } else if (text == "argmax" || text == "argmax:int64") {
    out.kind = SegmentationOutput::Kind::kArgmax;
  } else if (text == "argmax:uint8") {
    out.kind = SegmentationOutput::Kind::kArgmax;
    out.class_dtype = ir::DType::UInt8;
  } else {
    throw bad_input(
        "--segmentation_output must be logits, probabilities, argmax or argmax:uint8, "
        "not '" +
        text + "'");
  }
  return out;
}

bool is_class_scores(ir::DType dtype, size_t rank) {
  return ir::is_floating(dtype) && rank == 4;
}

void append_segmentation_output(ir::Graph& graph, const SegmentationOutput& output) {
  if (output.is_logits()) return;
  size_t changed = 0;
  std::string seen;
  for (ir::Value*& out : graph.outputs()) {
    const size_t rank = out->shape ? out->shape->size() : 0;
    seen += (seen.empty() ? "" : ", ") + out->name + " " +
            (out->shape ? ir::shape_to_string(*out->shape) : std::string("[?]")) + " " +
            std::string(ir::dtype_name(out->dtype));
    if (!out->shape || !is_class_scores(out->dtype, rank)) continue;
    const std::string name = out->name;
    out->name = name + "_logits";
    ir::Value* result = nullptr;
    if (output.kind == SegmentationOutput::Kind::kProbabilities) {
      result = graph.add_node("Softmax", {out}, 1, {{"axis", int64_t{1}}})->outputs[0];
      result->dtype = out->dtype;
      result->shape = out->shape;
    } else {
      ir::Shape map = *out->shape;
      map.erase(map.begin() + 1);
      result = graph.add_node("ArgMax", {out}, 1, {{"axis", int64_t{1}}, {"keepdims", int64_t{0}}})
                   ->outputs[0];
      result->dtype = ir::DType::Int64;
      result->shape = map;
      if (output.class_dtype != ir::DType::Int64) {
        result =
            graph.add_node("Cast", {result}, 1, {{"to", static_cast<int64_t>(output.class_dtype)}})
                ->outputs[0];
        result->dtype = output.class_dtype;
        result->shape = map;
      }
    }
    result->name = name;
    out = result;
    ++changed;
  }
  if (!changed)
    throw bad_input(
        "--segmentation_output needs an output of class scores [N, classes, H, W]; "
        "the model's outputs are " +
        seen);
}

std::vector<ir::Tensor> apply_segmentation_output(const std::vector<ir::Tensor>& outputs,
                                                  const SegmentationOutput& output) {
  std::vector<ir::Tensor> result = outputs;
  if (output.is_logits()) return result;
  for (ir::Tensor& t : result) {
    if (!is_class_scores(t.dtype, t.shape.size())) continue;
    if (output.kind == SegmentationOutput::Kind::kProbabilities)
      t = validate::softmax_over_classes(t);
    else
      t = validate::argmax_over_classes(t).cast(output.class_dtype);
  }
  return result;
}

}  // namespace mlexport::core
