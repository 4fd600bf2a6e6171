// Writes at indices and the indices of non-zero elements: ScatterND, ScatterElements, NonZero.
#include "emit/openvino/ops/ops.h"

namespace mlexport::emit::openvino {

namespace {

// ONNX reduction -> OpenVINO reduction (the names differ: add/sum, mul/prod). max/min exist in
// both, but ONNX has them from opset 18 only, beyond what the read-back validation can run, so
// they are refused rather than written unproven.
std::string reduction_of(const ir::Node& n, const std::vector<std::string>& allowed) {
  const std::string r = n.s("reduction", "none");
  std::string ov = r == "add" ? "sum" : r == "mul" ? "prod" : r;
  for (const std::string& a : allowed)
    if (a == ov) return ov;
  throw unsupported_variant(n, "with reduction=" + r);
}

OutRef indices_of(const ir::Node& n, Context& ctx, size_t k) {
  OutRef idx = ctx.in(n, k);
  ir::DType t = ctx.dtype(idx);
  if (t != ir::DType::Int64 && t != ir::DType::Int32)
    idx = ctx.convert(idx, ir::DType::Int64, n.name + "/indices_i64");
  return idx;
}

}  // namespace

// ScatterNDUpdate-3 overwrites; ScatterNDUpdate-15 adds the reduction attribute (sum, prod, ...).
void translate_scatter_nd(const ir::Node& n, Context& ctx) {
  const std::string reduction = reduction_of(n, {"none", "sum", "prod"});
  OutRef data = ctx.in(n, 0), updates = ctx.in(n, 2);
  OutRef idx = indices_of(n, ctx, 1);
  const bool plain = reduction == "none";
  Attrs attrs;
  if (!plain) attrs.push_back({"reduction", reduction});
  ctx.bind_output(n, ctx.b.add1("ScatterNDUpdate", plain ? "opset3" : "opset15", n.name,
                                {data, idx, updates}, attrs, ctx.dtype(data), ctx.dims(data)));
}

// ScatterElementsUpdate-3 overwrites; ScatterElementsUpdate-12 reduces (use_init_val=true: the
// data's own value takes part, as in ONNX). The axis becomes a scalar i64 input.
void translate_scatter_elements(const ir::Node& n, Context& ctx) {
  const std::string reduction = reduction_of(n, {"none", "sum", "prod"});
  OutRef data = ctx.in(n, 0), updates = ctx.in(n, 2);
  OutRef idx = indices_of(n, ctx, 1);
  const int64_t axis = normalize_axis(n.i("axis", 0), ctx.rank(n.input(0)));
  OutRef axis_ref = ctx.i64_scalar(axis, n.name + "/axis");
  const bool plain = reduction == "none";
  Attrs attrs;
  if (!plain) attrs = {{"reduction", reduction}, {"use_init_val", bool_attr(true)}};
  ctx.bind_output(
      n, ctx.b.add1("ScatterElementsUpdate", plain ? "opset3" : "opset12", n.name,
                    {data, idx, updates, axis_ref}, attrs, ctx.dtype(data), ctx.dims(data)));
}

// NonZero-3 with output_type i64: [rank, count] in row-major order, as ONNX.
void translate_non_zero(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  const int64_t rank = static_cast<int64_t>(ctx.dims(x).size());
  ctx.bind_output(n, ctx.b.add1("NonZero", "opset3", n.name, {x}, {{"output_type", "i64"}},
                                ir::DType::Int64, {rank, -1}));
}

}  // namespace mlexport::emit::openvino
