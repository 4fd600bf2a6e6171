// Per-op rewrites from an ONNX node (at the model's opset) into the IR's opset-17 form: the inverse
// of src/emit/onnx/opset_adapt.cpp. One function per op family, listed in one table in
// op_rules.cpp. Internal to the ONNX frontend.
#pragma once

#include <string_view>

#include "frontend/onnx/import_context.h"

namespace mlexport::frontend::onnx {

// Rewrites `node` in place. Returns false when the node needs nothing more: its rule added the IR
// nodes itself, or reported it unsupported through `ctx`.
bool apply_op_rule(NodeDraft& node, ImportContext& ctx);

// Attributes the IR allows on `op` beyond the op's opset-17 schema: the static operands it keeps
// as attributes (Squeeze axes, Split split, Pad pads/value, Clip min/max, Resize scales/sizes...).
bool is_ir_attribute(std::string_view op, std::string_view key);

// Why the IR cannot hold `op` at all (sequence and optional ops), or nullptr.
const char* unrepresentable_op(std::string_view op);

}  // namespace mlexport::frontend::onnx
