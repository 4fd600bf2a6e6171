// Reductions. ONNX's axes attribute (or constant input) becomes an i64 Const input.
#include "emit/openvino/ops/ops.h"

namespace mlexport::emit::openvino {

namespace {

struct LayerKind {
  const char* type;
  const char* version;
};

const std::map<std::string, LayerKind>& reduce_kinds() {
  static const std::map<std::string, LayerKind> table = {
      {"ReduceMean", {"ReduceMean", "opset1"}},     {"ReduceSum", {"ReduceSum", "opset1"}},
      {"ReduceMax", {"ReduceMax", "opset1"}},       {"ReduceMin", {"ReduceMin", "opset1"}},
      {"ReduceProd", {"ReduceProd", "opset1"}},     {"ReduceL1", {"ReduceL1", "opset4"}},
      {"ReduceL2", {"ReduceL2", "opset4"}},         {"ReduceSumSquare", {"ReduceSum", "opset1"}},
      {"ReduceLogSumExp", {"ReduceSum", "opset1"}}, {"ReduceLogSum", {"ReduceSum", "opset1"}}};
  return table;
}

}  // namespace

void translate_reduce(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  size_t rank = ctx.rank(n.input(0));
  std::vector<int64_t> axes = ints_from(n, "axes", 1);
  if (axes.empty()) {
    if (n.i("noop_with_empty_axes", 0)) {
      ctx.bind_output(n, x);
      return;
    }
    for (size_t k = 0; k < rank; ++k) axes.push_back(static_cast<int64_t>(k));
  }
  for (int64_t& a : axes) a = normalize_axis(a, rank);
  bool keep = n.i("keepdims", 1) != 0;
  const LayerKind& kind = reduce_kinds().at(n.op);
  OutRef src = x;
  if (n.op == "ReduceSumSquare") src = ctx.binary("Multiply", n.name + "/square", x, x);
  if (n.op == "ReduceLogSumExp") src = ctx.unary("Exp", "opset1", n.name + "/exp", x);
  const bool last = n.op != "ReduceLogSumExp" && n.op != "ReduceLogSum";
  OutRef axes_ref = ctx.i64s(axes, n.name + "/axes");
  OutRef y = ctx.b.add1(kind.type, kind.version, last ? n.name : n.name + "/sum", {src, axes_ref},
                        {{"keep_dims", bool_attr(keep)}}, ctx.dtype(x), ctx.dims(n.outputs[0]));
  if (!last) y = ctx.unary("Log", "opset1", n.name, y);
  ctx.bind_output(n, y);
}

void translate_arg_extreme(const ir::Node& n, Context& ctx) {
  if (n.i("select_last_index", 0)) throw unsupported_variant(n, "with select_last_index=1");
  OutRef x = ctx.in(n, 0);
  size_t rank = ctx.rank(n.input(0));
  int64_t axis = normalize_axis(n.i("axis", 0), rank);
  bool keep = n.i("keepdims", 1) != 0;
  Dims kept = ctx.dims(x);
  kept[static_cast<size_t>(axis)] = 1;
  OutRef k = ctx.i64_scalar(1, n.name + "/k");
  // TopK-11 with k=1; stable picks the first of equal values, as ArgMax does.
  auto refs = ctx.b.add("TopK", "opset11", keep ? n.name : n.name + "/topk", {x, k},
                        {{"axis", std::to_string(axis)},
                         {"mode", n.op == "ArgMax" ? "max" : "min"},
                         {"sort", "none"},
                         {"index_element_type", "i64"},
                         {"stable", bool_attr(true)}},
                        {{ctx.dtype(x), kept, ""}, {ir::DType::Int64, kept, ""}});
  OutRef idx = refs[1];
  if (!keep) {
    OutRef axes = ctx.i64s({axis}, n.name + "/axes");
    idx = ctx.b.add1("Squeeze", "opset1", n.name, {idx, axes}, {}, ir::DType::Int64,
                     ctx.dims(n.outputs[0]));
  }
  ctx.bind_output(n, idx);
}

// TopK-11 with ONNX TopK's k (a 1-element vector) as the scalar OpenVINO wants; stable keeps
// equal values in input order, as ONNX specifies.
void translate_top_k(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  const size_t rank = ctx.rank(n.input(0));
  const int64_t axis = normalize_axis(n.i("axis", -1), rank);
  const ir::Value* k_value = n.input(1);
  OutRef k;
  if (k_value->is_constant()) {
    k = ctx.i64_scalar(k_value->constant->to_int_vector().at(0), n.name + "/k");
  } else {
    OutRef given = ctx.in(n, 1);
    if (ctx.dtype(given) != ir::DType::Int64)
      given = ctx.convert(given, ir::DType::Int64, n.name + "/k_i64");
    k = ctx.reshape(given, {}, n.name + "/k");
  }
  Dims out = ctx.dims(x);
  out[static_cast<size_t>(axis)] =
      k_value->is_constant() ? k_value->constant->to_int_vector().at(0) : -1;
  auto refs = ctx.b.add("TopK", "opset11", n.name, {x, k},
                        {{"axis", std::to_string(axis)},
                         {"mode", n.i("largest", 1) ? "max" : "min"},
                         {"sort", n.i("sorted", 1) ? "value" : "none"},
                         {"index_element_type", "i64"},
                         {"stable", bool_attr(true)}},
                        {{ctx.dtype(x), out, ""}, {ir::DType::Int64, out, ""}});
  ctx.bind_output(n, refs[0], 0);
  ctx.bind_output(n, refs[1], 1);
}

void translate_cumsum(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0), axis = ctx.in(n, 1);
  ctx.bind_output(n, ctx.b.add1("CumSum", "opset3", n.name, {x, axis},
                                {{"exclusive", bool_attr(n.i("exclusive", 0) != 0)},
                                 {"reverse", bool_attr(n.i("reverse", 0) != 0)}},
                                ctx.dtype(x), ctx.dims(x)));
}

}  // namespace mlexport::emit::openvino
