// Operands the IR keeps as attributes (inputs in newer opsets), and Cast's target dtype.
#include "frontend/onnx/op/rules.h"

#include <cmath>

#include "frontend/onnx/tensors.h"

namespace mlexport::frontend::onnx {

using ir::DType;
using ir::Tensor;
using ir::Value;

bool report(NodeDraft& n, ImportContext& ctx, const std::string& reason) {
  ctx.unsupported(n, reason);
  return false;
}

std::optional<double> exact_scalar(const Tensor& t) {
  if (t.numel() != 1) return std::nullopt;
  const double v = t.value_as_double(0);
  if (t.dtype == DType::Int64) {
    const int64_t i = t.data<int64_t>()[0];
    if (std::fabs(v) > 9007199254740992.0 || static_cast<int64_t>(v) != i) return std::nullopt;
  }
  return v;
}

bool int_operand(NodeDraft& n, ImportContext& ctx, const Tensor& t, const std::string& what,
                 std::vector<int64_t>& values) {
  if (ir::is_floating(t.dtype))
    return report(n, ctx,
                  "its " + what + " operand is " + std::string(ir::dtype_name(t.dtype)) +
                      ", not an integer tensor");
  values = t.to_int_vector();
  return true;
}

Value* int64_constant(NodeDraft& n, ImportContext& ctx, const std::string& what,
                      const std::vector<int64_t>& values) {
  return ctx.constant(n, what, Tensor::vector_int64(values));
}

namespace {

// Squeeze/Unsqueeze axes, Split split, ReduceSum axes: inputs from opset 13, IR attributes. A
// run-time operand stays an input; the emitter passes it on.
bool operand_to_attribute(NodeDraft& n, ImportContext& ctx, const char* key) {
  if (ctx.opset() < 13) return true;  // still an attribute in the file
  const Tensor* t = n.constant_input(1);
  if (!t) return true;
  std::vector<int64_t> values;
  if (!int_operand(n, ctx, *t, key, values)) return false;
  if (!values.empty()) n.attrs[key] = values;  // empty: every axis (Squeeze, ReduceSum)
  n.drop_input(1);
  return true;
}

}  // namespace

bool axes_operand(NodeDraft& n, ImportContext& ctx) {
  return operand_to_attribute(n, ctx, "axes");
}

bool split(NodeDraft& n, ImportContext& ctx) {
  return operand_to_attribute(n, ctx, "split");
}

// Clip-11 takes min/max as inputs; Clip-6 as attributes, which the IR uses too.
bool clip(NodeDraft& n, ImportContext& ctx) {
  if (ctx.opset() < 11) return true;
  const char* keys[] = {"min", "max"};
  for (size_t k = 1; k <= 2; ++k) {
    const Tensor* t = n.constant_input(k);
    if (!t) continue;
    if (auto v = exact_scalar(*t)) {
      n.attrs[keys[k - 1]] = *v;
      n.drop_input(k);
    }
  }
  return true;
}

// Pad-11 takes pads and the constant value as inputs; Pad-2 as attributes, as the IR does.
bool pad(NodeDraft& n, ImportContext& ctx) {
  if (ctx.opset() < 11) return true;
  const Tensor* pads = n.constant_input(1);
  if (!pads) return true;  // run-time pads: both operands stay inputs
  std::vector<int64_t> values;
  if (!int_operand(n, ctx, *pads, "pads", values)) return false;
  n.attrs["pads"] = values;
  n.drop_input(1);
  if (const Tensor* value = n.constant_input(2)) {
    if (auto v = exact_scalar(*value)) {
      n.attrs["value"] = *v;
      n.drop_input(2);
    }
  }
  return true;
}

// The IR keeps Cast's target as an ir::DType.
bool cast(NodeDraft& n, ImportContext& ctx) {
  auto it = n.attrs.find("to");
  if (it == n.attrs.end() || !std::holds_alternative<int64_t>(it->second))
    return report(n, ctx, "it has no integer 'to'");
  const int64_t to = std::get<int64_t>(it->second);
  const auto dtype = dtype_from_onnx(static_cast<int>(to));
  if (!dtype) return report(n, ctx, "a cast to " + onnx_dtype_name(static_cast<int>(to)));
  it->second = static_cast<int64_t>(*dtype);
  return true;
}

}  // namespace mlexport::frontend::onnx
