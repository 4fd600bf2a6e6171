// The rule functions of the ONNX importer's op table (op_rules.cpp), one file per op family, and
// the helpers they share. Internal to the ONNX frontend.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "frontend/onnx/import_context.h"

namespace mlexport::frontend::onnx {

// Each rule rewrites one node in place and returns false when nothing more is to be done (it
// added the IR nodes itself, or reported the node unsupported).

// operands.cpp: operands the IR keeps as attributes, Cast's target.
bool axes_operand(NodeDraft& n, ImportContext& ctx);
bool split(NodeDraft& n, ImportContext& ctx);
bool clip(NodeDraft& n, ImportContext& ctx);
bool pad(NodeDraft& n, ImportContext& ctx);
bool cast(NodeDraft& n, ImportContext& ctx);
// resize.cpp
bool resize(NodeDraft& n, ImportContext& ctx);
bool upsample(NodeDraft& n, ImportContext& ctx);
// legacy.cpp: older-opset forms.
bool old_softmax(NodeDraft& n, ImportContext& ctx);
bool batch_norm(NodeDraft& n, ImportContext& ctx);
bool dropout(NodeDraft& n, ImportContext& ctx);
bool scatter(NodeDraft& n, ImportContext& ctx);
bool slice(NodeDraft& n, ImportContext& ctx);
bool top_k(NodeDraft& n, ImportContext& ctx);
bool roi_align(NodeDraft& n, ImportContext& ctx);

// Reports `n` unsupported for `reason`; returns false, as a rule that gave up does.
bool report(NodeDraft& n, ImportContext& ctx, const std::string& reason);
// A one-element constant as a double, when the double holds it exactly (int64 beyond 2^53 does
// not: such a value stays a constant input).
std::optional<double> exact_scalar(const ir::Tensor& t);
// The values of an operand ONNX types as int64 (axes, split, pads, sizes). False, reported, for a
// floating-point tensor in a malformed file: its NaN or 1e30 has no integer value.
bool int_operand(NodeDraft& n, ImportContext& ctx, const ir::Tensor& t, const std::string& what,
                 std::vector<int64_t>& values);
ir::Value* int64_constant(NodeDraft& n, ImportContext& ctx, const std::string& what,
                          const std::vector<int64_t>& values);

}  // namespace mlexport::frontend::onnx
