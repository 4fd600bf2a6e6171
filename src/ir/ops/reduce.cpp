// Reductions, arg-extremes, top-k and cumulative sums.
#include "ir/ops/dims.h"
#include "ir/ops/families.h"

namespace mlexport::ir::ops {
namespace {

ShapeResult reduce_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  if (!x) return std::nullopt;
  std::optional<std::vector<int64_t>> axes;
  if (n.op == "ArgMax" || n.op == "ArgMin")
    axes = std::vector<int64_t>{n.i("axis", 0)};
  else
    axes = n.input(1) ? env.ints(n.input(1)) : std::optional(n.ints("axes"));
  if (!axes) return std::nullopt;
  if (axes->empty() && n.i("noop_with_empty_axes", 0)) return one(*x);
  const bool keep = n.i("keepdims", 1) != 0;
  std::vector<bool> reduced(x->size(), axes->empty());
  for (int64_t a : *axes) {
    const int64_t k = normalize_axis(a, x->size());
    if (k < 0 || k >= static_cast<int64_t>(x->size())) return std::nullopt;
    reduced[static_cast<size_t>(k)] = true;
  }
  Shape out;
  for (size_t k = 0; k < x->size(); ++k) {
    if (!reduced[k])
      out.push_back((*x)[k]);
    else if (keep)
      out.push_back(Dim::fixed(1));
  }
  return one(out);
}

ShapeResult top_k_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  if (!x) return std::nullopt;
  const int64_t axis = normalize_axis(n.i("axis", -1), x->size());
  if (axis < 0 || axis >= static_cast<int64_t>(x->size())) return std::nullopt;
  auto k = env.ints(n.input(1));
  Shape out = *x;
  out[static_cast<size_t>(axis)] = k && k->size() == 1 ? dim_of((*k)[0]) : unknown_dim();
  return std::vector<Shape>{out, out};
}

OpDef reduce(std::string_view name, int axes_input_from) {
  OpDef d{.name = name,
          .max_inputs = 2,
          .attrs = {{"axes", AttrKind::Ints, 0, axes_input_from},
                    {"keepdims", kInt},
                    {"noop_with_empty_axes", kInt, axes_input_from}}};
  d.shape = reduce_rule;
  return d;
}

}  // namespace

std::vector<OpDef> reduce_ops() {
  std::vector<OpDef> ops;
  for (const char* name : {"ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
                           "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"})
    ops.push_back(reduce(name, 18));
  ops.push_back(reduce("ReduceSum", 13));
  for (const char* name : {"ArgMax", "ArgMin"}) {
    OpDef d{.name = name,
            .attrs = {{"axis", kInt}, {"keepdims", kInt}, {"select_last_index", kInt, 12}}};
    d.type = TypeRule::Int64;
    d.shape = reduce_rule;
    ops.push_back(d);
  }
  OpDef top_k{.name = "TopK",
              .min_inputs = 2,
              .max_inputs = 2,
              .min_outputs = 2,
              .max_outputs = 2,
              .attrs = {{"axis", kInt}, {"largest", kInt, 11}, {"sorted", kInt, 11}}};
  top_k.later_outputs = TypeRule::Int64;
  top_k.shape = top_k_rule;
  ops.push_back(top_k);
  OpDef cumsum{.name = "CumSum",
               .min_inputs = 2,
               .max_inputs = 2,
               .traits = kKeepsShapeAndType,
               .attrs = {{"exclusive", kInt}, {"reverse", kInt}}};
  cumsum.onnx_since = 11;
  cumsum.shape = same_shape;
  ops.push_back(cumsum);
  return ops;
}

}  // namespace mlexport::ir::ops
