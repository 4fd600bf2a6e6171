// Fills in dtype and shape of values the translators left unknown, for the common op kinds.
// Unknown stays unknown: emitters never depend on intermediate shapes.
#include <algorithm>
#include <set>

#include "ir/op_traits.h"
#include "passes/pass.h"

namespace mlexport::passes {
namespace {

std::optional<ir::Shape> broadcast(const std::optional<ir::Shape>& a,
                                   const std::optional<ir::Shape>& b) {
  if (!a || !b) return std::nullopt;
  const size_t rank = std::max(a->size(), b->size());
  ir::Shape out(rank);
  for (size_t k = 0; k < rank; ++k) {
    const size_t ia = k + a->size(), ib = k + b->size();
    const ir::Dim da = ia >= rank ? (*a)[ia - rank] : ir::Dim::fixed(1);
    const ir::Dim db = ib >= rank ? (*b)[ib - rank] : ir::Dim::fixed(1);
    out[k] = (da.is_fixed() && da.size == 1) ? db : da;
  }
  return out;
}

}  // namespace

bool infer_shapes(ir::Graph& graph, const PassContext&) {
  bool changed = false;
  for (const auto& n : graph.nodes()) {
    if (n->outputs.size() != 1 || n->outputs[0]->shape || n->inputs.empty() || !n->inputs[0])
      continue;
    ir::Value* out = n->outputs[0];
    const ir::Value* x = n->inputs[0];
    if (ir::keeps_input_shape_and_type(n->op)) {
      out->dtype = x->dtype;
      out->shape = x->shape;
    } else if (ir::is_broadcasting_binary(n->op) && n->input(1)) {
      out->dtype = x->dtype;
      out->shape = broadcast(x->shape, n->inputs[1]->shape);
    } else if (ir::is_comparison(n->op) && n->input(1)) {
      out->dtype = ir::DType::Bool;
      out->shape = broadcast(x->shape, n->inputs[1]->shape);
    } else if (n->op == "Where" && n->input(2)) {
      out->dtype = n->inputs[1]->dtype;
      out->shape = broadcast(broadcast(x->shape, n->inputs[1]->shape), n->inputs[2]->shape);
    } else if (n->op == "Cast") {
      out->dtype = static_cast<ir::DType>(n->i("to", 0));
      out->shape = x->shape;
    } else if (n->op == "Shape") {
      out->dtype = ir::DType::Int64;
      if (x->shape) {
        const int64_t rank = static_cast<int64_t>(x->shape->size());
        auto clamp_axis = [rank](int64_t a) {
          return std::clamp<int64_t>(a < 0 ? a + rank : a, 0, rank);
        };
        const int64_t count = clamp_axis(n->i("end", rank)) - clamp_axis(n->i("start", 0));
        out->shape = ir::fixed_shape({std::max<int64_t>(count, 0)});
      }
    } else if (n->op == "Transpose" && x->shape) {
      auto perm = n->ints("perm");
      ir::Shape s;
      for (int64_t p : perm) s.push_back((*x->shape)[static_cast<size_t>(p)]);
      out->dtype = x->dtype;
      if (perm.size() == x->shape->size()) out->shape = s;
    } else {
      continue;
    }
    changed = changed || out->shape.has_value();
  }
  return changed;
}

}  // namespace mlexport::passes
